/**
 * The analysis on hand-made students: every edge case gives a clear message, never NaN or a throw; small
 * cells never appear and cannot be recovered from the totals that are shown; no student id leaves.
 */
import {
  analyzeStudents,
  campusGroup,
  goalBand,
  renderAnalysisCsv,
  renderAnalysisJson,
  renderAnalysisTable,
  tertileBands,
  verdict,
  type Analysis,
  type Outcome,
  type StudentWindow,
  type UsageEffect,
} from '../src';

const Q = {
  districtId: 'd1',
  app: 'ixl',
  assessment: 'map_growth',
  subject: 'math',
  from: '2026-08-01',
  to: '2026-12-31',
};

let id = 0;
/** A hand-made student; by default every engaged second was off campus. */
function student(o: Partial<StudentWindow> & { minutesPerWeek: number; pre: number; post: number }): StudentWindow {
  const engagedSeconds = o.engagedSeconds ?? o.minutesPerWeek * 60 * 13;
  return {
    personId: `person-${id++}`,
    grade: '05',
    schoolId: 'sch-1',
    classId: '',
    preDate: '2026-09-01',
    postDate: '2026-12-01',
    projectedGrowth: null,
    engagedSeconds,
    knownCampusSeconds: engagedSeconds,
    onCampusSeconds: 0,
    daysUsed: o.minutesPerWeek > 0 ? 5 : 0,
    ...o,
  };
}

/** Every number in the output is finite (JSON would turn NaN into null silently). */
function expectFinite(v: unknown, path = 'analysis'): void {
  if (typeof v === 'number') expect([path, Number.isFinite(v)]).toEqual([path, true]);
  else if (Array.isArray(v)) v.forEach((x, i) => expectFinite(x, `${path}[${i}]`));
  else if (v && typeof v === 'object') for (const [k, x] of Object.entries(v)) expectFinite(x, `${path}.${k}`);
}

function run(students: StudentWindow[], k = 3): Analysis {
  const a = { ...analyzeStudents({ ...Q, k }, students), withoutPair: 0, duplicateRecords: 0, costNote: null };
  expectFinite(a);
  // Every format renders without throwing.
  renderAnalysisTable(a);
  renderAnalysisCsv(a);
  renderAnalysisJson(a);
  return a;
}

const district = (a: Analysis) => a.groups.find((g) => g.dimension === 'district')!;
const reasons = (a: Analysis) => {
  const d = district(a);
  return [...d.correlations, ...d.regressions, d.effect].map((r) => (r.ok ? 'ok' : r.reason));
};

describe('analysis edge cases', () => {
  it('n < 3: a clear message, no figures', () => {
    const a = run(
      [student({ minutesPerWeek: 10, pre: 200, post: 205 }), student({ minutesPerWeek: 40, pre: 210, post: 220 })],
      1,
    );
    for (const r of reasons(a)) expect(r).not.toBe('ok');
    expect(reasons(a)[0]).toMatch(/student|n = 2|at least/i);
  });

  it('no students at all', () => {
    const a = run([]);
    expect(a.groups).toEqual([]);
    expect(a.hidden).toEqual({ district: 1 });
  });

  it('zero variance of usage: correlation and regression say so', () => {
    const students = Array.from({ length: 12 }, (_, i) =>
      student({ minutesPerWeek: 20, pre: 200 + i, post: 205 + i * 1.5 }),
    );
    const r = reasons(run(students));
    expect(r[0]).toMatch(/same value/);
    expect(r[2]).toMatch(/constant|same value|collinear/);
  });

  it('perfectly collinear predictors (usage = pre): the regression names them', () => {
    const students = Array.from({ length: 12 }, (_, i) =>
      student({ minutesPerWeek: 10 + i, pre: 10 + i, post: 30 + 2 * i + (i % 3) }),
    );
    const fit = district(run(students)).regressions[0]!;
    expect(fit.ok).toBe(false);
    expect(!fit.ok && fit.reason).toMatch(/collinear/);
  });

  it('all students in one band: Hedges g explains; the empty bands show 0', () => {
    const students = Array.from({ length: 12 }, (_, i) =>
      student({ minutesPerWeek: 40 + i, pre: 200 + (i % 4), post: 210 + i }),
    );
    const d = district(run(students));
    expect(d.goalBands.map((b) => [b.band, b.n])).toEqual([
      ['none', 0],
      ['below_goal', 0],
      ['at_goal', 12],
    ]);
    expect(d.effect.ok).toBe(false);
    expect(!d.effect.ok && d.effect.reason).toMatch(
      /^needs at least 3 students at goal and 3 below goal or without use$/,
    );
  });

  it('grades nested in schools: the fixed-effects model falls back to grade only, saying so', () => {
    const students = Array.from({ length: 24 }, (_, i) =>
      student({
        schoolId: i < 12 ? 'sch-1' : 'sch-2',
        grade: i < 12 ? '03' : '06',
        minutesPerWeek: (i * 7) % 40,
        pre: 200 + ((i * 5) % 17),
        post: 205 + ((i * 5) % 17) + ((i * 7) % 40) / 10 + (i % 3),
      }),
    );
    const fits = district(run(students)).regressions;
    expect(fits.map((f) => (f.ok ? f.value.model : f.reason))).toEqual([
      'post ~ usage + pre',
      'post ~ usage + pre + grade',
    ]);
    // sch-2's dummy equals grade[06]'s: schools add nothing, and the fit says which dummy it left out.
    expect(fits[1]!.ok && fits[1]!.value.dropped).toEqual(['school[sch-2]']);
  });

  it('a school whose grades are its own: only its aliased dummy is left out, the school effects stay', () => {
    // Elementary schools A and B teach grades 03-04, middle school C grades 06-07, so school[C] =
    // grade[06] + grade[07]. post = pre + 0.05·usage + 6·[A] + 3·[04] + 20·[06] + 24·[07] ± 1, and A's
    // students use the app most. Each cell holds two (usage, pre) profiles, each twice with residuals +1
    // and −1: the residuals sum to 0 in every cell and against usage and pre, so OLS with grade and school
    // effects returns 0.05 exactly; grade alone leaves A's +6 to its higher usage.
    const cells: [school: string, grade: string, profiles: [usage: number, pre: number][]][] = [
      [
        'A',
        '03',
        [
          [40, 200],
          [60, 190],
        ],
      ],
      [
        'A',
        '04',
        [
          [50, 210],
          [70, 205],
        ],
      ],
      [
        'B',
        '03',
        [
          [10, 195],
          [30, 185],
        ],
      ],
      [
        'B',
        '04',
        [
          [0, 200],
          [20, 215],
        ],
      ],
      [
        'C',
        '06',
        [
          [20, 230],
          [40, 220],
        ],
      ],
      [
        'C',
        '07',
        [
          [30, 240],
          [10, 235],
        ],
      ],
    ];
    const effect: Record<string, number> = { A: 6, B: 0, C: 0, '03': 0, '04': 3, '06': 20, '07': 24 };
    const students = cells.flatMap(([schoolId, grade, profiles]) =>
      profiles.flatMap(([minutesPerWeek, pre]) =>
        [1, -1].map((e) =>
          student({
            schoolId,
            grade,
            minutesPerWeek,
            pre,
            post: pre + 0.05 * minutesPerWeek + effect[schoolId]! + effect[grade]! + e,
          }),
        ),
      ),
    );
    const [, fe] = district(run(students)).regressions;
    if (!fe?.ok) throw new Error(fe ? fe.reason : 'no fixed-effects model');
    expect(fe.value.model).toBe('post ~ usage + pre + grade + school (aliased, left out: school[C])');
    expect(fe.value.dropped).toEqual(['school[C]']);
    expect(fe.value.estimate).toBeCloseTo(0.05, 9);
  });

  it('every group where schools or grades vary gets the fixed-effects model: a grade across schools, users mostly off campus', () => {
    // 30 students of grade 05 in three schools, 10 each; schools differ in level, not in usage.
    const students = Array.from({ length: 30 }, (_, i) =>
      student({
        schoolId: `sch-${i % 3}`,
        grade: i < 15 ? '05' : '06',
        minutesPerWeek: 5 + ((i * 7) % 40),
        pre: 200 + ((i * 5) % 17),
        post: 205 + ((i * 5) % 17) + ((i * 7) % 40) / 10 + (i % 3) * 4 + (i % 2),
      }),
    );
    const models = (g: Analysis['groups'][number] | undefined) =>
      g?.regressions.map((f) => (f.ok ? f.value.model : f.reason));
    const a = run(students);
    expect(models(a.groups.find((g) => g.dimension === 'grade' && g.id === '05'))).toEqual([
      'post ~ usage + pre',
      'post ~ usage + pre + school',
    ]);
    // Everybody used the app off campus: one campus group with both grades and all schools.
    expect(models(a.groups.find((g) => g.dimension === 'campus' && g.id === 'mostly_off'))).toEqual([
      'post ~ usage + pre',
      'post ~ usage + pre + grade + school',
    ]);
  });
});

describe('campus groups (share of engaged time with a known place that was on campus)', () => {
  const used = (engaged: number, known: number, on: number) =>
    student({
      minutesPerWeek: 1,
      pre: 200,
      post: 201,
      engagedSeconds: engaged,
      knownCampusSeconds: known,
      onCampusSeconds: on,
    });

  it('buckets at 1/3 and 2/3, both bounds included in the outer groups; unknown place left out of the share', () => {
    const cases: [engaged: number, known: number, on: number, group: string | null][] = [
      [3000, 3000, 3000, 'mostly_on'],
      [3000, 3000, 2000, 'mostly_on'], // exactly 2/3
      [3000, 3000, 1999, 'mixed'],
      [3000, 3000, 1500, 'mixed'],
      [3000, 3000, 1001, 'mixed'],
      [3000, 3000, 1000, 'mostly_off'], // exactly 1/3
      [3000, 3000, 0, 'mostly_off'],
      // 700 s without a place (e.g. Caliper): 200 of the 300 known seconds on campus = 2/3.
      [1000, 300, 200, 'mostly_on'],
      [1000, 0, 0, 'unknown'], // used the app, never with a known place
    ];
    expect(cases.map(([e, k, on]) => campusGroup(used(e, k, on)))).toEqual(cases.map((c) => c[3]));
    // No engaged time: no place of use, in no campus group (the district's `none` band).
    expect(campusGroup(student({ minutesPerWeek: 0, pre: 200, post: 201 }))).toBeNull();
  });

  it('each campus group is analysed like a school or grade, and a group under k is hidden with a complement', () => {
    const group = (on: number, known: number, count: number) =>
      Array.from({ length: count }, (_, i) =>
        student({
          minutesPerWeek: 5 + ((i * 7) % 40),
          engagedSeconds: known + 100,
          knownCampusSeconds: known,
          onCampusSeconds: on,
          pre: 200 + ((i * 5) % 17),
          post: 205 + ((i * 5) % 17) + ((i * 7) % 40) / 10 + (i % 2),
        }),
      );
    const students = [
      ...group(900, 900, 12), // mostly on
      ...group(450, 900, 11), // mixed
      ...group(100, 900, 15), // mostly off
      ...group(0, 0, 4), // place unknown: under k = 10
      ...Array.from({ length: 6 }, () => student({ minutesPerWeek: 0, pre: 200, post: 203 })), // no use
    ];
    const a = run(students, 10);
    const campus = a.groups.filter((g) => g.dimension === 'campus');
    // 4 < k is hidden; since the users' total is published (district n − none), the next smallest
    // (mixed, 11) is hidden too.
    expect(campus.map((g) => [g.id, g.n])).toEqual([
      ['mostly_off', 15],
      ['mostly_on', 12],
    ]);
    expect(a.hidden.campus).toBe(2);
    for (const g of campus) {
      expect(g.goalBands.find((b) => b.band === 'none')!.n).toBe(0);
      expect(g.regressions[0]!.ok).toBe(true);
    }
    const csv = renderAnalysisCsv(a);
    expect(csv).toContain('campus,mostly_on,12,goal,');
    expect(csv).not.toContain('campus,mixed');
    expect(csv).not.toContain('campus,unknown');
    expect(renderAnalysisTable(a)).toContain(
      'campus mostly_on: users mostly on campus (≥ 2/3 of their time with a known place) (n = 12)',
    );
  });
});

describe('projected growth', () => {
  it('each band reports the share of its students with a projection whose growth reached it', () => {
    // growth = post − pre; "met" = growth ≥ projected growth; students without a projection do not count.
    const band = (minutes: number, rows: [growth: number, projected: number | null][]) =>
      rows.map(([growth, projectedGrowth], i) =>
        student({ minutesPerWeek: minutes + i, pre: 200 + i, post: 200 + i + growth, projectedGrowth }),
      );
    const atGoal = band(40, [
      [8, 5], // met
      [6, 5], // met
      [4, 5],
      [10, null],
      [3, 5],
      [7, null],
    ]); // 2 of 4 with a projection
    const belowGoal = band(10, [
      [2, 5],
      [5, 5], // met (equal)
      [1, 3],
      [6, null],
      [0, null],
      [4, null],
    ]); // 1 of 3
    const a = run([...atGoal, ...belowGoal], 3);
    expect(a.goal).toBeGreaterThan(15);
    expect(a.goal).toBeLessThanOrEqual(40);
    expect(district(a).goalBands.map((b) => [b.band, b.n, b.shareMetProjected])).toEqual([
      ['none', 0, null],
      ['below_goal', 6, 1 / 3],
      ['at_goal', 6, 2 / 4],
    ]);
  });
});

describe('verdict', () => {
  // 60 students, usage 0..59 min/week; growth = 5 + slope × usage + a fixed ±3 pattern.
  const sample = (slope: number, preShift = (_i: number) => 0) =>
    Array.from({ length: 60 }, (_, i) => {
      const minutes = i;
      const pre = 200 + ((i * 7) % 11) + preShift(i);
      return student({ minutesPerWeek: minutes, pre, post: pre + 5 + slope * minutes + (((i * 5) % 7) - 3) });
    });

  it('a positive, significant usage coefficient with the pre-test control meets Tier III, with the caveats', () => {
    const v = district(run(sample(0.2), 10)).verdict;
    expect(v.meetsTierIII).toBe(true);
    expect(v.text).toMatch(
      /needs a positive, statistically significant effect .* controls for prior achievement\. This analysis meets it/,
    );
    expect(v.caveats[0]).toMatch(/^Correlational, not causal/);
  });

  it('no effect: does not meet it, saying the association is not significant', () => {
    const v = district(run(sample(0), 10)).verdict;
    expect(v.meetsTierIII).toBe(false);
    expect(v.text).toMatch(/does not meet it: the association is not statistically significant/);
  });

  it('a negative effect does not meet it; a baseline gap over 0.25 SD and a small n are caveats', () => {
    const v = district(
      run(
        sample(-0.2, (i) => (i >= 30 ? 15 : 0)),
        10,
      ),
    ).verdict;
    expect(v.meetsTierIII).toBe(false);
    expect(v.text).toMatch(/more ixl use goes with less growth/);
    expect(v.caveats.some((c) => /baseline differs by .* SD \(> 0\.25\)/.test(c))).toBe(true);
    const small = district(run(sample(0.2).slice(0, 30), 3)).verdict;
    expect(small.caveats.some((c) => /^Small sample: 30 students/.test(c))).toBe(true);
  });
});

describe('verdict p-value', () => {
  /** A hand-made fit whose robust p is `p` (the other figures only need to be printed). */
  const fit = (p: number): Outcome<UsageEffect> => {
    const inference = { se: 0.05, ciLow: 0.001, ciHigh: 0.199, p, log10p: Math.log10(p) };
    return {
      ok: true,
      value: {
        model: 'post ~ usage + pre',
        dropped: [],
        n: 100,
        r2: 0.5,
        estimate: 0.1,
        classical: inference,
        hc1: inference,
      },
    };
  };
  const text = (p: number) => verdict('ixl', fit(p), { ok: false, reason: 'not needed here' }, 100).text;

  it('below 0.001 is a bound, not a rounded power of ten', () => {
    expect(text(0.00042)).toContain(', p < 0.001, robust SE');
    expect(text(0.00042)).not.toMatch(/1e-/);
  });

  it('just below 0.05 never prints as 0.050 beside "statistically significant"', () => {
    const v = verdict('ixl', fit(0.04996), { ok: false, reason: 'not needed here' }, 100);
    expect(v.meetsTierIII).toBe(true);
    expect(v.text).toContain(', p = 0.04996, robust SE');
    // Two significant figures otherwise; 0.05004 rounds to 0.050, which is not below 0.05 either.
    expect(text(0.0123)).toContain(', p = 0.012, robust SE');
    expect(text(0.05004)).toContain('not statistically significant: 0.100 points per minute/week');
    expect(text(0.05004)).toContain(', p = 0.050, robust SE');
  });
});

describe('privacy', () => {
  // Two schools: sch-1 with 30 students spread over the bands, sch-2 with 12 students of which 2 at goal.
  const students: StudentWindow[] = [];
  // Where each user used the app, written by hand: the campus group they belong to.
  const campusOf = new Map<string, string>();
  const onShare = { mostly_on: 1, mixed: 0.5, mostly_off: 0, unknown: 0 };
  const add = (school: string, grade: string, minutes: number, count: number, place: keyof typeof onShare) => {
    for (let i = 0; i < count; i++) {
      const minutesPerWeek = minutes + i * 0.1;
      const engagedSeconds = Math.round(minutesPerWeek * 60 * 13);
      const knownCampusSeconds = place === 'unknown' ? 0 : engagedSeconds;
      const s = student({
        schoolId: school,
        grade,
        minutesPerWeek,
        engagedSeconds,
        knownCampusSeconds,
        onCampusSeconds: Math.round(knownCampusSeconds * onShare[place]),
        pre: 200 + ((i * 7) % 13),
        post: 206 + ((i * 5) % 11) + minutes / 10,
      });
      if (minutesPerWeek > 0) campusOf.set(s.personId, place);
      students.push(s);
    }
  };
  add('sch-1', '05', 0, 10, 'mostly_off');
  add('sch-1', '05', 10, 10, 'mostly_on');
  add('sch-1', '06', 45, 10, 'mixed');
  add('sch-2', '06', 0, 6, 'mostly_off');
  add('sch-2', '06', 12, 4, 'unknown'); // a campus group under k
  add('sch-2', '07', 50, 2, 'mixed');
  add('sch-3', '07', 50, 4, 'mostly_off'); // a school under k
  add('sch-4', '08', 0, 12, 'mostly_off'); // a school shown, with 3 students at goal (a band under k)
  add('sch-4', '08', 60, 3, 'mostly_off');
  const k = 5;
  const a = run(students, k);
  const json = renderAnalysisJson(a);

  const members = (dimension: string, groupId: string) =>
    students.filter((s) => {
      const key =
        dimension === 'school'
          ? s.schoolId
          : dimension === 'grade'
            ? s.grade
            : dimension === 'campus'
              ? (campusOf.get(s.personId) ?? '')
              : '';
      return dimension === 'district' || key === groupId;
    });

  it('no student id and no per-student row leaves through any format', () => {
    for (const out of [json, renderAnalysisCsv(a), renderAnalysisTable(a)])
      for (const s of students) expect(out.includes(s.personId)).toBe(false);
    // The largest array in the JSON is the list of groups; nothing is one entry per student.
    const longest = (v: unknown): number =>
      Array.isArray(v)
        ? Math.max(v.length, ...v.map(longest))
        : v && typeof v === 'object'
          ? Math.max(0, ...Object.values(v).map(longest))
          : 0;
    expect(longest(JSON.parse(json))).toBeLessThan(students.length / 2);
  });

  it('no cell under k is shown, and no hidden cell can be recovered from a row or column total', () => {
    const published = JSON.parse(json) as Analysis;
    const trueCount = (dimension: string, groupId: string, band: string) =>
      members(dimension, groupId).filter((s) => {
        const b = s.minutesPerWeek <= 0 ? 'none' : s.minutesPerWeek >= a.goal ? 'at_goal' : 'below_goal';
        return b === band;
      }).length;
    for (const g of published.groups) {
      expect(g.n).toBeGreaterThanOrEqual(k);
      for (const b of g.goalBands) if (b.n !== null && b.n > 0) expect(b.n).toBeGreaterThanOrEqual(k);
      // Row: the group's n minus its shown bands must not pin down one hidden band, nor hidden bands under
      // k (empty bands describe nobody and are shown as 0 unless needed as a complement).
      const hidden = g.goalBands.filter((b) => b.n === null);
      for (const b of g.goalBands) if (b.n === 0) expect(trueCount(g.dimension, g.id, b.band)).toBe(0);
      // No message or figure of the group states a hidden band's size (e.g. "has 4 and 20").
      for (const b of g.goalBands.filter((x) => x.n === null)) {
        const size = trueCount(g.dimension, g.id, b.band);
        const text = JSON.stringify([g.effect, g.cost]);
        expect([g.dimension, g.id, b.band, new RegExp(`\\b${size}\\b`).test(text)]).toEqual([
          g.dimension,
          g.id,
          b.band,
          false,
        ]);
      }
      if (hidden.length > 0) {
        expect(hidden.length).toBeGreaterThan(1);
        expect(hidden.reduce((s, b) => s + trueCount(g.dimension, g.id, b.band), 0)).toBeGreaterThanOrEqual(k);
      }
    }
    // Tertile bands, row by row (the cuts are not published; the true ones split the group: ≤ low, ≤ high,
    // above): a shown band has k or more, or is empty; hidden bands are never alone and hold k or more together.
    let groupsWithTertiles = 0;
    let tertileGroupsWithHidden = 0;
    for (const g of published.groups) {
      if (!('bands' in g.tertiles)) continue;
      groupsWithTertiles++;
      const truth = tertileBands(members(g.dimension, g.id));
      if (!truth.ok) throw new Error(truth.reason);
      const tertileCount = (band: string) => truth.bands.find(([b]) => b === band)![1].length;
      for (const b of g.tertiles.bands) {
        if (b.n !== null)
          expect([g.dimension, g.id, b.band, b.n]).toEqual([g.dimension, g.id, b.band, tertileCount(b.band)]);
        if (b.n !== null && b.n > 0) expect(b.n).toBeGreaterThanOrEqual(k);
      }
      const hidden = g.tertiles.bands.filter((b) => b.n === null);
      if (hidden.length > 0) {
        tertileGroupsWithHidden++;
        expect([g.dimension, g.id, hidden.length > 1]).toEqual([g.dimension, g.id, true]);
        expect(hidden.reduce((sum, b) => sum + tertileCount(b.band), 0)).toBeGreaterThanOrEqual(k);
      }
    }
    expect(groupsWithTertiles).toBeGreaterThan(0);
    expect(tertileGroupsWithHidden).toBeGreaterThan(0); // the sample exercises tertile suppression
    // Columns: for each dimension and band, the district's band n minus the shown groups' cells.
    const districtRow = published.groups.find((g) => g.dimension === 'district')!;
    const groupIds = {
      school: [...new Set(students.map((s) => s.schoolId))],
      grade: [...new Set(students.map((s) => s.grade))],
      campus: [...new Set(campusOf.values())],
    };
    for (const [dimension, ids] of Object.entries(groupIds)) {
      for (const band of ['none', 'below_goal', 'at_goal']) {
        if (districtRow.goalBands.find((b) => b.band === band)!.n === null) continue;
        const cell = (gid: string) =>
          published.groups
            .find((g) => g.dimension === dimension && g.id === gid)
            ?.goalBands.find((b) => b.band === band)?.n ?? null;
        const hiddenIds = ids.filter((gid) => cell(gid) === null && trueCount(dimension, gid, band) > 0);
        if (hiddenIds.length === 0) continue;
        expect([dimension, band, hiddenIds.length > 1 || trueCount(dimension, hiddenIds[0]!, band) === 0]).toEqual([
          dimension,
          band,
          true,
        ]);
        expect(hiddenIds.reduce((s, gid) => s + trueCount(dimension, gid, band), 0)).toBeGreaterThanOrEqual(k);
      }
    }
  });

  it('a hidden band is not recovered from the tertiles or the usage bins (the non-users are the low tertile)', () => {
    // The review's district: 40 non-users, 5 below goal, 55 at goal, k = 10. The goal table hides
    // below_goal and, as its complement, none; the low tertile (n = 40) and the bins at 0 minutes would
    // give none back, then below_goal = 100 − 55 − 40 and its mean growth from the tertiles' sums.
    const many = [
      ...Array.from({ length: 40 }, (_, i) => student({ minutesPerWeek: 0, pre: 200 + (i % 7), post: 205 + (i % 7) })),
      ...Array.from({ length: 5 }, (_, i) => student({ minutesPerWeek: 10 + i, pre: 200, post: 201 + i })),
      ...Array.from({ length: 55 }, (_, i) =>
        student({ minutesPerWeek: 40 + i, pre: 200 + (i % 5), post: 209 + (i % 5) }),
      ),
    ];
    const d = district(run(many, 10));
    expect(d.goalBands.find((b) => b.band === 'below_goal')!.n).toBeNull();
    expect('bands' in d.tertiles).toBe(false);
    expect(d.binned.ok).toBe(false);
  });

  it('a group under k is not shown at all, nor one whose size total − shown groups would give away', () => {
    for (const [dimension, ids] of Object.entries({
      school: [...new Set(students.map((s) => s.schoolId))],
      grade: [...new Set(students.map((s) => s.grade))],
      campus: [...new Set(campusOf.values())],
    })) {
      const hiddenIds = ids.filter((gid) => !a.groups.some((g) => g.dimension === dimension && g.id === gid));
      expect([dimension, hiddenIds.length]).toEqual([dimension, a.hidden[dimension] ?? 0]);
      for (const gid of ids)
        if (members(dimension, gid).length < k)
          expect([dimension, gid, hiddenIds.includes(gid)]).toEqual([dimension, gid, true]);
      if (hiddenIds.length > 0) {
        expect([dimension, hiddenIds.length > 1]).toEqual([dimension, true]);
        expect(hiddenIds.reduce((sum, gid) => sum + members(dimension, gid).length, 0)).toBeGreaterThanOrEqual(k);
      }
    }
    // The sample has a campus group under k (4 users whose place is unknown).
    expect(a.groups.some((g) => g.dimension === 'campus' && g.id === 'unknown')).toBe(false);
  });

  it('a school under k is not shown at all', () => {
    expect(a.groups.some((g) => g.id === 'sch-3')).toBe(false);
    expect(a.hidden.school).toBeGreaterThanOrEqual(1);
  });
});

describe('privacy: groups nested in other groups (classes in schools, grades in schools)', () => {
  const k = 10;
  const BANDS = ['none', 'below_goal', 'at_goal'];
  /** `count` students of one class with growths summing to `growthSum` (each differs a little). */
  const cohort = (
    o: { schoolId: string; classId?: string; grade?: string; minutes: number },
    count: number,
    growthSum: number,
  ) =>
    Array.from({ length: count }, (_, i) => {
      // Growths spread evenly around the mean (the offsets sum to 0).
      const growth = growthSum / count + (i - (count - 1) / 2) / 4;
      return student({
        schoolId: o.schoolId,
        classId: o.classId ?? '',
        grade: o.grade ?? '05',
        minutesPerWeek: o.minutes + (i % 5),
        pre: 200 + (i % 7),
        post: 200 + (i % 7) + growth,
      });
    });
  const find = (a: Analysis, dimension: string, gid: string) =>
    (JSON.parse(renderAnalysisJson(a)) as Analysis).groups.find((g) => g.dimension === dimension && g.id === gid);
  /** A published group's n and sum of growth, as anybody can read them: its mean growth, or its shown bands. */
  const published = (g: Analysis['groups'][number]) => {
    if (g.binned.ok) return { n: g.n, growth: g.binned.value.meanGrowth * g.n };
    // Bands hidden beside shown ones that already add up to n are empty: the shown bands are the whole group.
    if (g.goalBands.reduce((s, b) => s + (b.n ?? 0), 0) === g.n)
      return { n: g.n, growth: g.goalBands.reduce((s, b) => s + (b.n ? b.n * b.growth!.mean : 0), 0) };
    return { n: g.n, growth: null };
  };
  /** What a parent minus its published children gives away: n and mean growth of the rest. */
  const rest = (a: Analysis, parent: [string, string], children: [string, string][]) => {
    const p = find(a, ...parent);
    if (!p) return null;
    const shown = children.map((c) => find(a, ...c)).filter((g) => g !== undefined);
    const figures = [p, ...shown].map(published);
    const n = figures[0]!.n - figures.slice(1).reduce((s, f) => s + f.n, 0);
    const growth = figures.some((f) => f.growth === null)
      ? null
      : figures[0]!.growth! - figures.slice(1).reduce((s, f) => s + f.growth!, 0);
    return { n, meanGrowth: growth === null || n === 0 ? null : Number((growth / n).toFixed(3)) };
  };

  /** What the subtraction gives: fine when it is k students or more (or nothing is published to subtract from). */
  const recovered = (leak: ReturnType<typeof rest>) => (leak === null || leak.n >= k ? 'k or more students' : leak);

  it('the review reproduction: a small class cannot be recovered as its school minus the school’s shown classes', () => {
    // School S: c1 = 12 (mean growth 6), c2 = 11 (mean 76/11), c3 = 3 (mean 21); school T: d1 = 10, d2 = 50.
    const students = [
      ...cohort({ schoolId: 'S', classId: 'c1', minutes: 10 }, 12, 72),
      ...cohort({ schoolId: 'S', classId: 'c2', minutes: 10 }, 11, 76),
      ...cohort({ schoolId: 'S', classId: 'c3', minutes: 40 }, 3, 63),
      ...cohort({ schoolId: 'T', classId: 'd1', minutes: 10 }, 10, 50),
      ...cohort({ schoolId: 'T', classId: 'd2', minutes: 10 }, 50, 250),
    ];
    const a = run(students, k);
    expect(find(a, 'class', 'c3')).toBeUndefined();
    const school = find(a, 'school', 'S');
    // S's at-goal band (c3's 3 students) is hidden, so its usage bins, which gave its total growth, are
    // withheld too: nothing to subtract the classes' growth from.
    expect(school && published(school)).toEqual({ n: 26, growth: null });
    // S − (its shown classes) must be k or more students, never c3 alone (n = 3, mean growth 21).
    const leak = rest(
      a,
      ['school', 'S'],
      [
        ['class', 'c1'],
        ['class', 'c2'],
        ['class', 'c3'],
      ],
    )!;
    expect(recovered(leak)).toBe('k or more students');
    // The complement is a second class of S, not a class of T; the district-wide rule still holds.
    expect(['c1', 'c2'].filter((c) => find(a, 'class', c) === undefined)).toHaveLength(1);
    expect(['d1', 'd2'].filter((c) => find(a, 'class', c) === undefined)).toEqual([]);
    expect(a.hidden.class).toBe(2);
  });

  it('students of a school in no class are a remainder: school − its classes must not be fewer than k', () => {
    const students = [
      ...cohort({ schoolId: 'W', classId: 'g1', minutes: 10 }, 12, 60),
      ...cohort({ schoolId: 'W', classId: 'g2', minutes: 10 }, 12, 84),
      ...cohort({ schoolId: 'W', minutes: 10 }, 3, 45), // no class
      ...cohort({ schoolId: 'Z', classId: 'h1', minutes: 10 }, 30, 150),
    ];
    const a = run(students, k);
    expect(find(a, 'school', 'W')).toBeDefined();
    const leak = rest(
      a,
      ['school', 'W'],
      [
        ['class', 'g1'],
        ['class', 'g2'],
      ],
    )!;
    expect(recovered(leak)).toBe('k or more students');
    // Nor the district minus every shown class (the same three students, and Z's class).
    const all = rest(
      a,
      ['district', ''],
      [
        ['class', 'g1'],
        ['class', 'g2'],
        ['class', 'h1'],
      ],
    )!;
    expect(recovered(all)).toBe('k or more students');
  });

  it('a grade found in one school only: school − grade (or grade − school) does not give a small crossing away', () => {
    // School X: grade 03 (12) and 3 students of grade 04; school Y: grade 04 (40). Grade 03 lies in X, Y in grade 04.
    const students = [
      ...cohort({ schoolId: 'X', grade: '03', minutes: 10 }, 12, 60),
      ...cohort({ schoolId: 'X', grade: '04', minutes: 10 }, 3, 60),
      ...cohort({ schoolId: 'Y', grade: '04', minutes: 10 }, 40, 200),
    ];
    const a = run(students, k);
    const viaSchool = rest(a, ['school', 'X'], [['grade', '03']]);
    const viaGrade = rest(a, ['grade', '04'], [['school', 'Y']]);
    for (const leak of [viaSchool, viaGrade]) expect(recovered(leak)).toBe('k or more students');
  });

  it('band cells: a school’s band minus its classes’ shown cells of that band never isolates one hidden cell', () => {
    // U = e1 + e2. e1: 10 without use, 3 below goal, 10 at goal; e2: 10, 11, 10. V's class f1: 10, 10, 10.
    const band = (schoolId: string, classId: string, counts: [number, number, number]) =>
      [0, 10, 40].flatMap((minutes, b) =>
        cohort({ schoolId, classId, minutes }, counts[b]!, counts[b]! * (4 + b)).map((s) =>
          minutes === 0 ? { ...s, minutesPerWeek: 0, engagedSeconds: 0, knownCampusSeconds: 0, daysUsed: 0 } : s,
        ),
      );
    const students = [
      ...band('U', 'e1', [10, 3, 10]),
      ...band('U', 'e2', [10, 11, 10]),
      ...band('V', 'f1', [10, 10, 10]),
    ];
    const a = run(students, k);
    const truth = (classId: string, b: number) =>
      students.filter((s) => s.classId === classId && goalBand(s.minutesPerWeek, a.goal) === BANDS[b]).length;
    const school = find(a, 'school', 'U')!;
    expect(school).toBeDefined();
    let checked = 0;
    school.goalBands.forEach((cell, b) => {
      if (cell.n === null) return;
      const classes = ['e1', 'e2'].map((c) => ({ c, g: find(a, 'class', c) }));
      const hidden = classes.filter(({ c, g }) => (g ? g.goalBands[b]!.n === null : true) && truth(c, b) > 0);
      if (hidden.length === 0) return;
      checked++;
      const n = hidden.reduce((s, { c }) => s + truth(c, b), 0);
      expect([cell.band, hidden.map((h) => h.c), hidden.length >= 2 && n >= k]).toEqual([
        cell.band,
        hidden.map((h) => h.c),
        true,
      ]);
    });
    expect(checked + school.goalBands.filter((c) => c.n === null).length).toBeGreaterThan(0);
  });

  it('random districts of classes nested in schools and grades: a parent minus its shown children never leaves a small part', () => {
    // Deterministic pseudo-random numbers (mulberry32).
    const rng = (seed: number) => () => {
      let t = (seed = (seed + 0x6d2b79f5) >>> 0);
      t = Math.imul(t ^ (t >>> 15), t | 1);
      t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
      return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
    };
    let checked = 0;
    for (let seed = 1; seed <= 40; seed++) {
      const next = rng(seed);
      const students: StudentWindow[] = [];
      for (let sc = 0; sc < 2 + Math.floor(next() * 3); sc++) {
        const classes = 1 + Math.floor(next() * 4);
        for (let c = 0; c <= classes; c++) {
          // The last "class" is the school's students in no class: often none, else a few.
          const size = c === classes ? (next() < 0.5 ? 0 : Math.floor(next() * 6)) : 1 + Math.floor(next() * 25);
          const grade = `0${3 + Math.floor(next() * 3)}`;
          for (let i = 0; i < size; i++) {
            const r = next();
            const minutesPerWeek = r < 0.3 ? 0 : r < 0.7 ? 5 + next() * 20 : 35 + next() * 20;
            students.push(
              student({
                schoolId: `s${sc}`,
                classId: c === classes ? '' : `s${sc}c${c}`,
                grade,
                minutesPerWeek,
                engagedSeconds: Math.round(minutesPerWeek * 60 * 13),
                pre: 200,
                post: 205 + next() * 10,
              }),
            );
          }
        }
      }
      const a = run(students, k);
      const shown = (dimension: string, gid: string) => a.groups.find((g) => g.dimension === dimension && g.id === gid);
      const bandOf = (s: StudentWindow) => goalBand(s.minutesPerWeek, a.goal);
      for (const parent of a.groups.filter((g) => g.dimension === 'school' || g.dimension === 'grade')) {
        const inParent = students.filter((s) => (parent.dimension === 'school' ? s.schoolId : s.grade) === parent.id);
        // The classes lying wholly in the parent, and the parent's other students (the remainder).
        const classes = [...new Set(inParent.map((s) => s.classId).filter((c) => c !== ''))].filter((c) =>
          students.filter((s) => s.classId === c).every((s) => inParent.includes(s)),
        );
        for (const band of [null, 'none', 'below_goal', 'at_goal']) {
          const cell = band === null ? parent.n : parent.goalBands.find((b) => b.band === band)!.n;
          if (cell === null) continue; // the parent's own cell is hidden: nothing to subtract from
          const members = (list: StudentWindow[]) => list.filter((s) => band === null || bandOf(s) === band).length;
          // Unknown parts: hidden classes (their cell), and the remainder.
          const parts = classes
            .filter((c) => {
              const g = shown('class', c);
              return !g || (band !== null && g.goalBands.find((b) => b.band === band)!.n === null);
            })
            .map((c) => ({ what: `class ${c}`, n: members(students.filter((s) => s.classId === c)) }))
            .filter((p) => p.n > 0);
          const remainder = members(inParent.filter((s) => !classes.includes(s.classId)));
          if (remainder > 0) parts.push({ what: 'remainder', n: remainder });
          const total = parts.reduce((t, p) => t + p.n, 0);
          const safe = parts.length === 0 || (total >= k && (parts.length >= 2 || parts[0]!.what === 'remainder'));
          expect([seed, parent.dimension, parent.id, band, safe ? 'safe' : parts]).toEqual([
            seed,
            parent.dimension,
            parent.id,
            band,
            'safe',
          ]);
          checked++;
        }
      }
    }
    expect(checked).toBeGreaterThan(100);
  });
});

describe('privacy: figures under k and exact usage cut points are not published', () => {
  it('fewer than k students: the count itself is withheld ("fewer than k"), not printed', () => {
    const students = Array.from({ length: 3 }, (_, i) => student({ minutesPerWeek: 10 * i, pre: 200, post: 205 + i }));
    const a = {
      ...analyzeStudents({ ...Q, k: 10 }, students),
      withoutPair: null,
      duplicateRecords: null,
      costNote: null,
    };
    expect(a.students).toBeNull();
    expect(a.groups).toEqual([]);
    const text = renderAnalysisTable(a);
    expect(text).toContain('fewer than 10 students with a pre and a post test');
    expect(text).not.toMatch(/\b3 students\b/);
    // Nobody: 0 is shown as 0 (it describes no student).
    expect(analyzeStudents({ ...Q, k: 10 }, []).students).toBe(0);
  });

  it('tertile cut points (one student’s minutes a week when n is small) are in no output', () => {
    const students = Array.from({ length: 10 }, (_, i) =>
      student({ minutesPerWeek: 7 + i * 3.7, pre: 200 + i, post: 210 + i * 1.5 }),
    );
    const a = run(students, 3);
    const d = district(a);
    expect('bands' in d.tertiles).toBe(true);
    expect(Object.keys(d.tertiles)).toEqual(['bands']);
    expect(renderAnalysisJson(a)).not.toContain('"cuts"');
    expect(renderAnalysisTable(a)).not.toMatch(/cuts/);
  });
});
