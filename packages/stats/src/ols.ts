import { DEFAULT_LEVEL, StatResult, fail, ok } from './result';
import { tCritical, tTwoSided } from './distributions';
import { mean } from './descriptive';
import { checkFinite, checkLevel, checkSameLength, firstProblem } from './validate';
import { aliasedColumns, collinearityProblem } from './collinearity';
import { type DesignColumns, inverseGram, multiply, sparseLeastSquares } from './qr';

export interface Predictor {
  name: string;
  /** One value per student (a plain array, or a typed array such as fixedEffects' 0/1 bytes). */
  values: ArrayLike<number>;
}

/** Standard error, t, p and interval of one coefficient under one covariance estimate. */
export interface Inference {
  se: number;
  t: number;
  /** Two-sided, t distribution with the residual degrees of freedom. */
  p: number;
  log10p: number;
  ciLow: number;
  ciHigh: number;
}

export interface Coefficient extends Inference {
  /** "intercept", then the predictors' names in the order given. */
  name: string;
  estimate: number;
  /** Heteroskedasticity-robust inference (HC1 by default, see OlsOptions.robust) for the same estimate. */
  robust: Inference;
}

export interface OlsFit {
  n: number;
  /** Residual degrees of freedom, n − number of coefficients (intercept included). */
  df: number;
  r2: number;
  adjR2: number;
  /** Which robust covariance the coefficients' `robust` figures use. */
  robustType: RobustType;
  coefficients: Coefficient[];
  /** Predictors of `OlsOptions.dropAliased` left out because they were aliased (in the given order). */
  dropped: string[];
}

/**
 * HC1: the choice and Stata's `vce(robust)`. HC3: better coverage when a few students have
 * very high usage (high leverage) and the error spread grows with usage (Long & Ervin 2000).
 */
export type RobustType = 'HC1' | 'HC3';

export interface OlsOptions {
  level?: number;
  /** Name of the outcome used in reasons, default "outcome" (say "post-test score"). */
  outcomeName?: string;
  /** Robust covariance for `robust`, default 'HC1'. */
  robust?: RobustType;
  /**
   * Report these coefficients only (by name; default all). Their figures are the same as in the full
   * table; the others' t, p and interval are not computed (each p costs an incomplete beta function,
   * and a fixed-effects fit has dozens of coefficients nobody reads).
   */
  only?: readonly string[];
  /**
   * Predictors (by name; fixed-effect dummies of crossed groups such as grade and school) that are left
   * out of the fit, and named in `OlsFit.dropped`, when they lie in the span of the intercept and the
   * ones of this list before them (a school whose grades are its own adds nothing to the grade dummies).
   * Each is checked against the intercept and these dummies only: a dummy aliased with a predictor
   * outside the list (usage constant within a school) is still a reason, as without this option.
   */
  dropAliased?: readonly string[];
}

export const INTERCEPT = 'intercept';

/** Residual sum of squares at or below this share of the total means the fit is exact. */
const EXACT_FIT_SHARE = 1e-20;

/**
 * Ordinary least squares of y on an intercept and the predictors, by QR on typed arrays without
 * forming Q (./qr: Givens rotations row by row with sparse columns first, then the small R brought
 * back to the given column order, whose diagonal names a collinear predictor). Classical and robust (HC1, or HC3 on request) standard errors; see README for the
 * statsmodels calls each figure equals. Predictors of `dropAliased` that add nothing are left out
 * first (their coefficients are not identified; the fit is that of the others).
 */
export function ols(
  y: readonly number[],
  predictors: readonly Predictor[],
  options: OlsOptions = {},
): StatResult<OlsFit> {
  const level = options.level ?? DEFAULT_LEVEL;
  const outcomeName = options.outcomeName ?? 'outcome';
  const robustType = options.robust ?? 'HC1';
  const shape = shapeProblem(y, predictors, level, outcomeName);
  if (shape) return fail(shape);
  const dropped = aliasedDummies(predictors, options.dropAliased ?? []);
  const kept = predictors.filter((p) => !dropped.includes(p.name));
  const names = [INTERCEPT, ...kept.map((p) => p.name)];
  const problem = sizeProblem(y, names.length, outcomeName);
  if (problem) return fail(problem);

  const n = y.length;
  const k = names.length;
  const X = designColumns(n, kept);
  const { R, beta } = sparseLeastSquares(X, y);
  const collinear = collinearityProblem(X, R, names);
  if (collinear) return fail(collinear);

  const residuals = residualsOf(X, y, beta);
  let ssr = 0;
  for (const e of residuals) ssr += e * e;
  const my = mean(y);
  const tss = y.reduce((s, v) => s + (v - my) * (v - my), 0);
  if (ssr <= tss * EXACT_FIT_SHARE) {
    return fail(
      `the predictors reproduce ${outcomeName} exactly (no residual variation); standard errors are not defined`,
    );
  }
  const df = n - k;
  const xtxInverse = inverseGram(R, k);
  const classical = xtxInverse.map((v) => (v * ssr) / df);
  const meat = robustMeat(X, xtxInverse, residuals, robustType, n / df);
  if (typeof meat === 'string') return fail(meat);
  const robust = multiply(multiply(xtxInverse, meat, k), xtxInverse, k);

  const coefficients = coefficientTable(names, beta, classical, robust, df, tCritical(level, df), options.only);
  if (typeof coefficients === 'string') return fail(coefficients);
  const r2 = 1 - ssr / tss;
  return ok({ n, df, r2, adjR2: 1 - ((n - 1) / df) * (1 - r2), robustType, coefficients, dropped });
}

/** Problems of the input as given: level, names, lengths, finite values. */
function shapeProblem(
  y: readonly number[],
  predictors: readonly Predictor[],
  level: number,
  outcomeName: string,
): string | null {
  return firstProblem(
    checkLevel(level),
    duplicateNameProblem([INTERCEPT, ...predictors.map((p) => p.name)]),
    checkSameLength([{ name: outcomeName, values: y }, ...predictors]),
    checkFinite(y, outcomeName),
    ...predictors.map((p) => checkFinite(p.values, `predictor ${p.name}`)),
  );
}

/** Problems of the fit itself, once aliased dummies are left out: k coefficients (intercept included). */
function sizeProblem(y: readonly number[], k: number, outcomeName: string): string | null {
  const n = y.length;
  return firstProblem(
    n <= k
      ? `a regression with ${k} coefficients needs at least ${k + 1} students (one more than coefficients), got ${n}`
      : null,
    y.every((v) => v === y[0])
      ? `${outcomeName} has the same value (${y[0]}) for every student; there is nothing to explain`
      : null,
  );
}

/**
 * Names of the `droppable` predictors that lie in the span of the intercept and the droppable ones
 * before them (in the order given): the R of the QR of [1, droppable…] (the same kernel and tolerance
 * as the fit's collinearity check), read column by column.
 */
function aliasedDummies(predictors: readonly Predictor[], droppable: readonly string[]): string[] {
  const dummies = predictors.filter((p) => droppable.includes(p.name));
  if (dummies.length === 0) return [];
  const n = dummies[0]!.values.length;
  const X = designColumns(n, dummies);
  const { R } = sparseLeastSquares(X, new Array<number>(n).fill(0));
  return aliasedColumns(X, R)
    .filter((j) => j > 0) // the intercept (a column of ones) is never dropped
    .map((j) => dummies[j - 1]!.name);
}

/** n × k, column-major: a column of ones, then one column per predictor. */
function designColumns(n: number, predictors: readonly Predictor[]): DesignColumns {
  const k = predictors.length + 1;
  const data = new Float64Array(n * k);
  data.fill(1, 0, n);
  predictors.forEach((p, j) => data.set(p.values, (j + 1) * n));
  return { n, k, data };
}

/** y − Xβ, accumulated column by column (contiguous reads). */
function residualsOf(X: DesignColumns, y: readonly number[], beta: Float64Array): Float64Array {
  const { n, k, data } = X;
  const residuals = Float64Array.from(y);
  for (let j = 0; j < k; j++) {
    const b = beta[j]!;
    const col = j * n;
    for (let i = 0; i < n; i++) residuals[i] = residuals[i]! - b * data[col + i]!;
  }
  return residuals;
}

/** One row per coefficient, or a reason when a standard error is zero (t would be infinite). */
function coefficientTable(
  names: readonly string[],
  beta: Float64Array,
  classical: Float64Array,
  robust: Float64Array,
  df: number,
  tCrit: number,
  only: readonly string[] | undefined,
): Coefficient[] | string {
  const coefficients: Coefficient[] = [];
  for (let j = 0; j < names.length; j++) {
    const k = names.length;
    const estimate = beta[j]!;
    const seClassical = Math.sqrt(classical[j * k + j]!);
    const seRobust = Math.sqrt(robust[j * k + j]!);
    if (!(seClassical > 0) || !(seRobust > 0)) {
      return `the standard error of ${names[j]} is zero; the data leave no variation to estimate it from`;
    }
    if (only && !only.includes(names[j]!)) continue; // checked above like every coefficient, not reported
    coefficients.push({
      name: names[j] as string,
      estimate,
      ...inference(estimate, seClassical, df, tCrit),
      robust: inference(estimate, seRobust, df, tCrit),
    });
  }
  return coefficients;
}

function inference(estimate: number, se: number, df: number, tCrit: number): Inference {
  const t = estimate / se;
  return { se, t, ...tTwoSided(t, df), ciLow: estimate - tCrit * se, ciHigh: estimate + tCrit * se };
}

/** A student whose leverage is this close to 1 determines a coefficient alone (HC3 divides by 1 − h). */
const MAX_LEVERAGE = 1 - 1e-10;

/**
 * The sandwich's meat Xᵀdiag(w)X = Σ wᵢ xᵢxᵢᵀ, so that the robust covariance is
 * (XᵀX)⁻¹ (meat) (XᵀX)⁻¹. Weights: HC1 eᵢ²·n/(n − k) (MacKinnon & White 1985), HC3 eᵢ²/(1 − hᵢ)² with
 * the leverage hᵢ = xᵢ(XᵀX)⁻¹xᵢᵀ (= ‖row i of Q‖², without forming Q). One pass over the students,
 * visiting only each row's non-zero entries: with fixed-effect dummies a row has a handful of them,
 * so this is O(n·nnz²) instead of O(n·k²). A reason string when HC3 is undefined.
 */
function robustMeat(
  X: DesignColumns,
  xtxInverse: Float64Array,
  residuals: Float64Array,
  type: RobustType,
  hc1Scale: number,
): Float64Array | string {
  const { n, k, data } = X;
  const meat = new Float64Array(k * k);
  const at = new Int32Array(k);
  const value = new Float64Array(k);
  for (let i = 0; i < n; i++) {
    let nnz = 0;
    for (let j = 0; j < k; j++) {
      const x = data[j * n + i]!;
      if (x !== 0) {
        at[nnz] = j;
        value[nnz++] = x;
      }
    }
    const e = residuals[i]!;
    let w = e * e * hc1Scale;
    if (type === 'HC3') {
      const h = quadraticForm(xtxInverse, k, at, value, nnz);
      if (h >= MAX_LEVERAGE) {
        return `the student at position ${i} alone determines a coefficient (leverage 1, e.g. the only student of a school or grade); HC3 is not defined: merge that group or use HC1`;
      }
      w = (e * e) / ((1 - h) * (1 - h));
    }
    for (let a = 0; a < nnz; a++) {
      const row = at[a]! * k;
      const xa = value[a]! * w;
      for (let b = a; b < nnz; b++) meat[row + at[b]!] = meat[row + at[b]!]! + xa * value[b]!;
    }
  }
  for (let a = 0; a < k; a++) for (let b = 0; b < a; b++) meat[a * k + b] = meat[b * k + a]!;
  return meat;
}

/** x A xᵀ for a symmetric row-major k × k A and a sparse x (positions `at`, values `value`). */
function quadraticForm(A: Float64Array, k: number, at: Int32Array, value: Float64Array, nnz: number): number {
  let s = 0;
  for (let a = 0; a < nnz; a++) {
    const row = at[a]! * k;
    let t = 0;
    for (let b = 0; b < nnz; b++) t += A[row + at[b]!]! * value[b]!;
    s += value[a]! * t;
  }
  return s;
}

function duplicateNameProblem(names: readonly string[]): string | null {
  const seen = new Set<string>();
  for (const name of names) {
    if (seen.has(name))
      return `two coefficients are named "${name}"; give every predictor its own name (and none "${INTERCEPT}")`;
    seen.add(name);
  }
  return null;
}
