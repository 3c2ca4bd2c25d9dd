-- Periods written before the publications log (0003) existed, by the daily rebuilds of earlier
-- versions: logged as 'legacy' so the scheduled publication does not write them again (a new version
-- beside the ones researchers may hold). A school year's outcome bands count only once the year is over
-- (June 30); the current year's partial bands are replaced once, when it has settled.

INSERT INTO publications (table_name, period, published_at, rows, k, trigger)
SELECT 'weekly_app_usage_district', toString(week_start), now(), count(), any(k), 'legacy'
FROM weekly_app_usage_district
GROUP BY week_start;

INSERT INTO publications (table_name, period, published_at, rows, k, trigger)
SELECT 'weekly_app_usage_school', toString(week_start), now(), count(), any(k), 'legacy'
FROM weekly_app_usage_school
GROUP BY week_start;

INSERT INTO publications (table_name, period, published_at, rows, k, trigger)
SELECT 'weekly_app_usage_grade', toString(week_start), now(), count(), any(k), 'legacy'
FROM weekly_app_usage_grade
GROUP BY week_start;

INSERT INTO publications (table_name, period, published_at, rows, k, trigger)
SELECT 'weekly_license_utilization', toString(week_start), now(), count(), any(k), 'legacy'
FROM weekly_license_utilization
GROUP BY week_start;

INSERT INTO publications (table_name, period, published_at, rows, k, trigger)
SELECT 'outcome_bands', school_year, now(), count(), any(k), 'legacy'
FROM outcome_bands
WHERE toDate(concat(toString(toUInt16(substring(school_year, 1, 4)) + 1), '-06-30')) < today()
GROUP BY school_year;
