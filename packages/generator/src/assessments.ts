import { addDays } from './time';
import { rngFor, type Rng } from './rng';
import type { SampleDistrict, TruthEvent } from './types';

/**
 * Assessments of the sample district with a known effect of app usage on growth. For every enabled
 * student and each (assessment, subject) below: a pre test the day before the first day of events and
 * a post test the day after the last, with
 *
 *   pre  = grade mean + N(0, preSd)
 *   post = pre + baseGrowth + beta × (engaged minutes per week of `app` between the two tests) + N(0, noiseSd)
 *
 * (both rounded to whole scale points). The minutes are computed from the generator's own truth with the
 * metric rules of docs/ARCHITECTURE.md (explicit seconds + 60 × distinct minutes of hit-style events, per
 * person and app; malformed events and re-sent copies do not count), so they are exactly what the
 * pipeline stores. Usage does not depend on the pre score, so `post ~ minutes + pre` estimates beta
 * without bias.
 */
export interface AssessmentSpec {
  /** The assessment as `outcomes import` stores it (for Ed-Fi: the assessmentIdentifier). */
  assessment: 'map_growth' | 'iready_diagnostic' | 'star' | 'Interim-Mathematics' | 'Interim-Reading';
  subject: 'math' | 'reading';
  /** The layout `writeAssessmentFiles` writes it in, named as the `outcomes import` preset that reads it. */
  layout: 'map-growth' | 'iready' | 'star' | 'edfi';
  /** The app whose usage drives growth (its minutes are recorded even when beta is 0). */
  app: string;
  /** Scale points of growth per engaged minute per week of `app`. */
  beta: number;
  baseGrowth: number;
  preSd: number;
  noiseSd: number;
  /** Mean pre score of grade g (3..12). */
  gradeMean: (grade: number) => number;
  scale: { min: number; max: number };
}

export const ASSESSMENT_SPECS: readonly AssessmentSpec[] = [
  {
    assessment: 'map_growth',
    layout: 'map-growth',
    subject: 'math',
    app: 'ixl',
    beta: 0.1,
    baseGrowth: 3,
    preSd: 12,
    noiseSd: 4,
    gradeMean: (g) => 180 + 6 * g,
    scale: { min: 100, max: 350 },
  },
  {
    assessment: 'map_growth',
    layout: 'map-growth',
    subject: 'reading',
    app: 'newsela',
    beta: 0,
    baseGrowth: 3,
    preSd: 13,
    noiseSd: 4,
    gradeMean: (g) => 182 + 5 * g,
    scale: { min: 100, max: 350 },
  },
  {
    assessment: 'iready_diagnostic',
    layout: 'iready',
    subject: 'math',
    app: 'ixl',
    beta: 0.25,
    baseGrowth: 8,
    preSd: 30,
    noiseSd: 10,
    gradeMean: (g) => 380 + 20 * g,
    scale: { min: 100, max: 800 },
  },
  {
    assessment: 'iready_diagnostic',
    layout: 'iready',
    subject: 'reading',
    app: 'newsela',
    beta: 0,
    baseGrowth: 8,
    preSd: 35,
    noiseSd: 10,
    gradeMean: (g) => 400 + 22 * g,
    scale: { min: 100, max: 800 },
  },
  // Renaissance Star Math / Reading, Unified scale.
  {
    assessment: 'star',
    layout: 'star',
    subject: 'math',
    app: 'ixl',
    beta: 0.45,
    baseGrowth: 20,
    preSd: 60,
    noiseSd: 18,
    gradeMean: (g) => 780 + 30 * g,
    scale: { min: 0, max: 1400 },
  },
  {
    assessment: 'star',
    layout: 'star',
    subject: 'reading',
    app: 'newsela',
    beta: 0,
    baseGrowth: 18,
    preSd: 65,
    noiseSd: 20,
    gradeMean: (g) => 760 + 32 * g,
    scale: { min: 0, max: 1400 },
  },
  // A district interim assessment delivered as Ed-Fi StudentAssessment resources (its scale score).
  {
    assessment: 'Interim-Mathematics',
    layout: 'edfi',
    subject: 'math',
    app: 'ixl',
    beta: 0.6,
    baseGrowth: 40,
    preSd: 80,
    noiseSd: 25,
    gradeMean: (g) => 2200 + 70 * g,
    scale: { min: 1000, max: 4000 },
  },
  {
    assessment: 'Interim-Reading',
    layout: 'edfi',
    subject: 'reading',
    app: 'newsela',
    beta: 0,
    baseGrowth: 38,
    preSd: 85,
    noiseSd: 26,
    gradeMean: (g) => 2180 + 72 * g,
    scale: { min: 1000, max: 4000 },
  },
];

/** One student's pair of tests and the usage that drove the difference (the truth an analysis should recover). */
export interface AssessmentTruth {
  assessment: AssessmentSpec['assessment'];
  subject: AssessmentSpec['subject'];
  sourcedId: string;
  /** Roster `identifier` (the local id the vendor exports carry). */
  localId: string;
  grade: string;
  preDate: string;
  postDate: string;
  pre: number;
  post: number;
  app: string;
  /** Engaged minutes of `app` per week between the tests (weeks = days between the tests / 7). */
  minutesPerWeek: number;
  beta: number;
}

/**
 * Engaged seconds per `sourcedId|app` over the sample's events (the metric rule, from truth); with
 * `where`, over the events it keeps only (e.g. those on campus).
 */
export function engagedSecondsByStudentApp(
  events: Iterable<TruthEvent>,
  where: (ev: TruthEvent) => boolean = () => true,
): Map<string, number> {
  const seconds = new Map<string, number>();
  const minutes = new Set<string>();
  for (const ev of events) {
    if (ev.malformed || ev.duplicate_of !== null || ev.person_sourced_id === null || ev.app_id === null) continue;
    if (!where(ev)) continue;
    if (ev.type === 'login' || ev.type === 'logout') continue;
    const key = `${ev.person_sourced_id}|${ev.app_id}`;
    if (ev.active_seconds !== null) {
      seconds.set(key, (seconds.get(key) ?? 0) + Math.min(86_400, Math.max(0, Math.round(ev.active_seconds))));
    } else if (ev.type === 'page_view' || ev.type === 'heartbeat' || ev.type === 'use') {
      const minute = `${key}|${Math.floor(ev.epoch_ms / 60_000)}`;
      if (!minutes.has(minute)) {
        minutes.add(minute);
        seconds.set(key, (seconds.get(key) ?? 0) + 60);
      }
    }
  }
  return seconds;
}

/** Standard normal draw (Box-Muller). */
function normal(rng: Rng): number {
  const u = 1 - rng.next();
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * rng.next());
}

const clamp = (x: number, s: { min: number; max: number }) => Math.min(s.max, Math.max(s.min, x));

/**
 * Every enabled student's pre and post tests for each spec, deterministic in the district's seed (or in
 * `noiseSeed`: the coverage test draws many noise samples over one district's usage).
 */
export function generateAssessments(
  sample: SampleDistrict,
  specs: readonly AssessmentSpec[] = ASSESSMENT_SPECS,
  usage: Map<string, number> = engagedSecondsByStudentApp(sample.events()),
  noiseSeed: number = sample.options.seed,
): AssessmentTruth[] {
  const firstDay = sample.days[0]!.date;
  const lastDay = sample.days[sample.days.length - 1]!.date;
  const preDate = addDays(firstDay, -1);
  const postDate = addDays(lastDay, 1);
  const weeks = (sample.days.length + 1) / 7;
  const out: AssessmentTruth[] = [];
  for (const spec of specs) {
    const rng = rngFor(noiseSeed, 'assessments', spec.assessment, spec.subject);
    for (const u of sample.roster.users) {
      if (u.role !== 'student' || u.enabledUser !== 'true') continue;
      const grade = Number(u.grades.split(',')[0]);
      const minutesPerWeek = (usage.get(`${u.sourcedId}|${spec.app}`) ?? 0) / 60 / weeks;
      const pre = Math.round(clamp(spec.gradeMean(grade) + spec.preSd * normal(rng), spec.scale));
      const growth = spec.baseGrowth + spec.beta * minutesPerWeek + spec.noiseSd * normal(rng);
      const post = Math.round(clamp(pre + growth, spec.scale));
      out.push({
        assessment: spec.assessment,
        subject: spec.subject,
        sourcedId: u.sourcedId,
        localId: u.identifier,
        grade: u.grades.split(',')[0]!,
        preDate,
        postDate,
        pre,
        post,
        app: spec.app,
        minutesPerWeek,
        beta: spec.beta,
      });
    }
  }
  return out;
}
