import { Matrix, QrDecomposition } from 'ml-matrix';
import { DEFAULT_LEVEL, StatResult, fail, ok } from './result';
import { tCritical, tTwoSided } from './distributions';
import { mean } from './descriptive';
import { checkFinite, checkLevel, checkSameLength, firstProblem } from './validate';
import { collinearityProblem } from './collinearity';

export interface Predictor {
  name: string;
  values: readonly number[];
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
}

export const INTERCEPT = 'intercept';

/** Residual sum of squares at or below this share of the total means the fit is exact. */
const EXACT_FIT_SHARE = 1e-20;

/**
 * Ordinary least squares of y on an intercept and the predictors, solved by Householder QR
 * (ml-matrix). Classical and robust (HC1, or HC3 on request) standard errors; see README for the
 * statsmodels calls each figure equals.
 */
export function ols(
  y: readonly number[],
  predictors: readonly Predictor[],
  options: OlsOptions = {},
): StatResult<OlsFit> {
  const level = options.level ?? DEFAULT_LEVEL;
  const outcomeName = options.outcomeName ?? 'outcome';
  const robustType = options.robust ?? 'HC1';
  const names = [INTERCEPT, ...predictors.map((p) => p.name)];
  const problem = inputProblem(y, predictors, names, level, outcomeName);
  if (problem) return fail(problem);

  const n = y.length;
  const k = names.length;
  const X = designMatrix(n, predictors);
  const qr = new QrDecomposition(X);
  const R = qr.upperTriangularMatrix;
  const collinear = collinearityProblem(X, R, names);
  if (collinear) return fail(collinear);

  const beta = qr.solve(Matrix.columnVector([...y])).getColumn(0);
  const fitted = X.mmul(Matrix.columnVector(beta)).getColumn(0);
  const residuals = y.map((v, i) => v - (fitted[i] as number));
  const ssr = residuals.reduce((s, e) => s + e * e, 0);
  const my = mean(y);
  const tss = y.reduce((s, v) => s + (v - my) * (v - my), 0);
  if (ssr <= tss * EXACT_FIT_SHARE) {
    return fail(
      `the predictors reproduce ${outcomeName} exactly (no residual variation); standard errors are not defined`,
    );
  }
  const df = n - k;
  const rInv = upperTriangularInverse(R);
  const classical = rInv.mmul(rInv.transpose()).mul(ssr / df);
  const weights = robustWeights(qr.orthogonalMatrix, residuals, robustType, n / df);
  if (typeof weights === 'string') return fail(weights);
  const robust = sandwich(qr.orthogonalMatrix, rInv, weights);

  const coefficients = coefficientTable(names, beta, classical, robust, df, tCritical(level, df));
  if (typeof coefficients === 'string') return fail(coefficients);
  const r2 = 1 - ssr / tss;
  return ok({ n, df, r2, adjR2: 1 - ((n - 1) / df) * (1 - r2), robustType, coefficients });
}

function inputProblem(
  y: readonly number[],
  predictors: readonly Predictor[],
  names: readonly string[],
  level: number,
  outcomeName: string,
): string | null {
  const n = y.length;
  const k = names.length;
  return firstProblem(
    checkLevel(level),
    duplicateNameProblem(names),
    checkSameLength([{ name: outcomeName, values: y }, ...predictors]),
    checkFinite(y, outcomeName),
    ...predictors.map((p) => checkFinite(p.values, `predictor ${p.name}`)),
    n <= k
      ? `a regression with ${k} coefficients needs at least ${k + 1} students (one more than coefficients), got ${n}`
      : null,
    y.every((v) => v === y[0])
      ? `${outcomeName} has the same value (${y[0]}) for every student; there is nothing to explain`
      : null,
  );
}

/** n × k: a column of ones, then one column per predictor. */
function designMatrix(n: number, predictors: readonly Predictor[]): Matrix {
  const X = new Matrix(n, predictors.length + 1);
  for (let i = 0; i < n; i++) {
    X.set(i, 0, 1);
    predictors.forEach((p, j) => X.set(i, j + 1, p.values[i] as number));
  }
  return X;
}

/** One row per coefficient, or a reason when a standard error is zero (t would be infinite). */
function coefficientTable(
  names: readonly string[],
  beta: readonly number[],
  classical: Matrix,
  robust: Matrix,
  df: number,
  tCrit: number,
): Coefficient[] | string {
  const coefficients: Coefficient[] = [];
  for (let j = 0; j < names.length; j++) {
    const estimate = beta[j] as number;
    const seClassical = Math.sqrt(classical.get(j, j));
    const seRobust = Math.sqrt(robust.get(j, j));
    if (!(seClassical > 0) || !(seRobust > 0)) {
      return `the standard error of ${names[j]} is zero; the data leave no variation to estimate it from`;
    }
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
 * The weight of each squared residual in the sandwich: HC1 eᵢ²·n/(n − k) (MacKinnon & White 1985),
 * HC3 eᵢ²/(1 − hᵢ)² with the leverage hᵢ = ‖qᵢ‖² (row i of Q). A reason string when HC3 is undefined.
 */
function robustWeights(Q: Matrix, residuals: readonly number[], type: RobustType, hc1Scale: number): number[] | string {
  if (type === 'HC1') return residuals.map((e) => e * e * hc1Scale);
  const weights: number[] = [];
  for (let i = 0; i < residuals.length; i++) {
    const h = Q.getRow(i).reduce((s, q) => s + q * q, 0);
    if (h >= MAX_LEVERAGE) {
      return `the student at position ${i} alone determines a coefficient (leverage 1, e.g. the only student of a school or grade); HC3 is not defined: merge that group or use HC1`;
    }
    const e = residuals[i] as number;
    weights.push((e * e) / ((1 - h) * (1 - h)));
  }
  return weights;
}

/**
 * (XᵀX)⁻¹ Xᵀ diag(w) X (XᵀX)⁻¹. With X = QR, (XᵀX)⁻¹Xᵀ = R⁻¹Qᵀ, so this is R⁻¹ (Σ wᵢ qᵢqᵢᵀ) R⁻ᵀ.
 */
function sandwich(Q: Matrix, rInv: Matrix, weights: readonly number[]): Matrix {
  const k = Q.columns;
  const meat = new Matrix(k, k);
  weights.forEach((w, i) => {
    for (let a = 0; a < k; a++) {
      const qa = Q.get(i, a) * w;
      for (let b = a; b < k; b++) meat.set(a, b, meat.get(a, b) + qa * Q.get(i, b));
    }
  });
  for (let a = 0; a < k; a++) for (let b = 0; b < a; b++) meat.set(a, b, meat.get(b, a));
  return rInv.mmul(meat).mmul(rInv.transpose());
}

/** Inverse of an upper-triangular matrix by back substitution (R is small: one row per coefficient). */
function upperTriangularInverse(R: Matrix): Matrix {
  const k = R.columns;
  const inv = new Matrix(k, k);
  for (let col = 0; col < k; col++) {
    for (let row = col; row >= 0; row--) {
      let s = row === col ? 1 : 0;
      for (let m = row + 1; m <= col; m++) s -= R.get(row, m) * inv.get(m, col);
      inv.set(row, col, s / R.get(row, row));
    }
  }
  return inv;
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
