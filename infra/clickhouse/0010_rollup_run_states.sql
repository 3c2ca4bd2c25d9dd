-- Run states (docs/ARCHITECTURE.md "Rollup month grain"): beside a run's count of distinct people, the
-- same people as a uniqExact state, so a reader can unite them with the contributions newer than the
-- compactions (the current month, between two compactions) instead of merging every month's state.
-- has_state is 1 where the compaction wrote the state; rows written before this migration have 0 and an
-- empty state, which a reader never takes for a set of people.
ALTER TABLE rollup_app_month_runs ADD COLUMN users_state AggregateFunction(uniqExact, String);
ALTER TABLE rollup_app_month_runs ADD COLUMN has_state UInt8;
