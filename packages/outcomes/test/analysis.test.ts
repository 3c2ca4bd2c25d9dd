/**
 * The analysis on hand-made students: every edge case gives a clear message, never NaN or a throw; small
 * cells never appear and cannot be recovered from the totals that are shown; no student id leaves.
 */
import {
  analyzeStudents,
  renderAnalysisCsv,
  renderAnalysisJson,
  renderAnalysisTable,
  type Analysis,
  type StudentWindow,
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
function student(o: Partial<StudentWindow> & { minutesPerWeek: number; pre: number; post: number }): StudentWindow {
  return {
    personId: `person-${id++}`,
    grade: '05',
    schoolId: 'sch-1',
    classId: '',
    preDate: '2026-09-01',
    postDate: '2026-12-01',
    projectedGrowth: null,
    engagedSeconds: o.minutesPerWeek * 60 * 13,
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

describe('privacy', () => {
  // Two schools: sch-1 with 30 students spread over the bands, sch-2 with 12 students of which 2 at goal.
  const students: StudentWindow[] = [];
  const add = (school: string, grade: string, minutes: number, count: number) => {
    for (let i = 0; i < count; i++)
      students.push(
        student({
          schoolId: school,
          grade,
          minutesPerWeek: minutes + i * 0.1,
          pre: 200 + ((i * 7) % 13),
          post: 206 + ((i * 5) % 11) + minutes / 10,
        }),
      );
  };
  add('sch-1', '05', 0, 10);
  add('sch-1', '05', 10, 10);
  add('sch-1', '06', 45, 10);
  add('sch-2', '06', 0, 6);
  add('sch-2', '06', 12, 4);
  add('sch-2', '07', 50, 2);
  add('sch-3', '07', 50, 4); // a school under k
  add('sch-4', '08', 0, 12); // a school shown, with 3 students at goal (a band under k)
  add('sch-4', '08', 60, 3);
  const k = 5;
  const a = run(students, k);
  const json = renderAnalysisJson(a);

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
      students.filter((s) => {
        const key =
          dimension === 'school'
            ? s.schoolId
            : dimension === 'grade'
              ? s.grade
              : dimension === 'campus' && s.minutesPerWeek > 0
                ? 'mostly_off' // every test student uses the app off campus
                : '';
        const inGroup = dimension === 'district' || key === groupId;
        const b = s.minutesPerWeek <= 0 ? 'none' : s.minutesPerWeek >= a.goal ? 'at_goal' : 'below_goal';
        return inGroup && b === band;
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
    // Columns: for each dimension and band, the district's band n minus the shown groups' cells.
    const districtRow = published.groups.find((g) => g.dimension === 'district')!;
    for (const dimension of ['school', 'grade']) {
      const ids = [...new Set(students.map((s) => (dimension === 'school' ? s.schoolId : s.grade)))];
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

  it('a school under k is not shown at all', () => {
    expect(a.groups.some((g) => g.id === 'sch-3')).toBe(false);
    expect(a.hidden.school).toBeGreaterThanOrEqual(1);
  });
});
