import type { StudentWindow } from './usage';

/** Dosage bands by goal: no use, below the goal, at the goal (≥ goal minutes per week). */
export type GoalBand = 'none' | 'below_goal' | 'at_goal';
export const GOAL_BANDS: readonly GoalBand[] = ['none', 'below_goal', 'at_goal'];

/** The default goal: 30 engaged minutes a week (a common vendor recommendation; configurable per app). */
export const DEFAULT_GOAL_MINUTES_PER_WEEK = 30;

export function goalBand(minutesPerWeek: number, goal: number): GoalBand {
  if (!(minutesPerWeek > 0)) return 'none';
  return minutesPerWeek >= goal ? 'at_goal' : 'below_goal';
}

/** Goals per app from "ixl=45,newsela=20" (minutes per week), naming the bad part. */
export function parseGoals(text: string): Map<string, number> {
  const goals = new Map<string, number>();
  for (const part of text.split(',').filter((p) => p.trim() !== '')) {
    const [app, value] = part.split('=').map((s) => s.trim());
    const n = Number(value);
    if (!app || !(n > 0)) throw new Error(`--goal: "${part}" is not <app>=<minutes per week > 0>`);
    goals.set(app, n);
  }
  return goals;
}

export function bandByGoal(students: readonly StudentWindow[], goal: number): Map<GoalBand, StudentWindow[]> {
  const out = new Map<GoalBand, StudentWindow[]>(GOAL_BANDS.map((b) => [b, []]));
  for (const s of students) out.get(goalBand(s.minutesPerWeek, goal))!.push(s);
  return out;
}
