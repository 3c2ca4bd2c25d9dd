/**
 * Householder QR kernels on column-major Float64Arrays for least squares. The orthogonal factor Q
 * (n × k) is never formed: the reflections are applied to y as they are made, and everything else
 * OLS needs (coefficients, (XᵀX)⁻¹ = R⁻¹R⁻ᵀ, leverages, the robust sandwich) follows from the k × k R.
 * Hand-written because no maintained pure-JS library offers QR on typed arrays without forming Q
 * (ml-matrix's QrDecomposition works on its boxed Matrix and builds Q for the sandwich).
 */

/** Column-major n × k design: column j occupies [j·n, (j + 1)·n). */
export interface DesignColumns {
  n: number;
  k: number;
  data: Float64Array;
}

export interface LeastSquaresQr {
  /** Row-major k × k upper-triangular factor of X = QR. */
  R: Float64Array;
  /** Least-squares coefficients (meaningful only when R has no zero diagonal). */
  beta: Float64Array;
}

/**
 * Householder QR of X (copied; the design is left intact) with the same reflections applied to y,
 * then β from R β = (Qᵀy)[0..k). Diagonal entries of R may be (near) zero for collinear columns; the
 * caller checks them before trusting β.
 */
export function householderLeastSquares(X: DesignColumns, y: ArrayLike<number>): LeastSquaresQr {
  const { n, k } = X;
  const A = Float64Array.from(X.data);
  const qty = Float64Array.from(y);
  const R = new Float64Array(k * k);
  for (let j = 0; j < k; j++) {
    const col = j * n;
    let norm2 = 0;
    for (let i = j; i < n; i++) norm2 += A[col + i]! * A[col + i]!;
    const norm = Math.sqrt(norm2);
    if (norm === 0) continue; // a zero column below the diagonal: R_jj = 0, nothing to reflect
    // v = a − α e₁ with α of the opposite sign to a₀, so v₀ does not cancel.
    const a0 = A[col + j]!;
    const alpha = a0 > 0 ? -norm : norm;
    const v0 = a0 - alpha;
    A[col + j] = v0;
    const vtv = norm2 - a0 * a0 + v0 * v0;
    R[j * k + j] = alpha;
    if (vtv === 0) continue;
    const tau = 2 / vtv;
    for (let l = j + 1; l < k; l++) reflect(A, col, l * n, j, n, tau);
    reflectVector(A, col, qty, j, n, tau);
    for (let l = j + 1; l < k; l++) R[j * k + l] = A[l * n + j]!;
  }
  return { R, beta: backSubstitute(R, k, qty) };
}

/** a_l ← a_l − τ (vᵀa_l) v over rows [from, n), v stored at A[vCol + from..]. */
function reflect(A: Float64Array, vCol: number, lCol: number, from: number, n: number, tau: number): void {
  let dot = 0;
  for (let i = from; i < n; i++) dot += A[vCol + i]! * A[lCol + i]!;
  const s = tau * dot;
  if (s === 0) return;
  for (let i = from; i < n; i++) A[lCol + i] = A[lCol + i]! - s * A[vCol + i]!;
}

function reflectVector(A: Float64Array, vCol: number, b: Float64Array, from: number, n: number, tau: number): void {
  let dot = 0;
  for (let i = from; i < n; i++) dot += A[vCol + i]! * b[i]!;
  const s = tau * dot;
  for (let i = from; i < n; i++) b[i] = b[i]! - s * A[vCol + i]!;
}

/** Solves R x = b[0..k) for upper-triangular row-major R. */
function backSubstitute(R: Float64Array, k: number, b: Float64Array): Float64Array {
  const x = new Float64Array(k);
  for (let row = k - 1; row >= 0; row--) {
    let s = b[row]!;
    for (let m = row + 1; m < k; m++) s -= R[row * k + m]! * x[m]!;
    x[row] = s / R[row * k + row]!;
  }
  return x;
}

/** R⁻¹ (row-major k × k, upper triangular) by back substitution, one column at a time. */
export function upperTriangularInverse(R: Float64Array, k: number): Float64Array {
  const inv = new Float64Array(k * k);
  for (let col = 0; col < k; col++) {
    for (let row = col; row >= 0; row--) {
      let s = row === col ? 1 : 0;
      for (let m = row + 1; m <= col; m++) s -= R[row * k + m]! * inv[m * k + col]!;
      inv[row * k + col] = s / R[row * k + row]!;
    }
  }
  return inv;
}

/** Product of two row-major k × k matrices. */
export function multiply(A: Float64Array, B: Float64Array, k: number): Float64Array {
  const C = new Float64Array(k * k);
  for (let i = 0; i < k; i++) {
    for (let m = 0; m < k; m++) {
      const a = A[i * k + m]!;
      if (a === 0) continue;
      for (let j = 0; j < k; j++) C[i * k + j] = C[i * k + j]! + a * B[m * k + j]!;
    }
  }
  return C;
}

export function transpose(A: Float64Array, k: number): Float64Array {
  const T = new Float64Array(k * k);
  for (let i = 0; i < k; i++) for (let j = 0; j < k; j++) T[j * k + i] = A[i * k + j]!;
  return T;
}

/** (XᵀX)⁻¹ = R⁻¹R⁻ᵀ from the k × k factor. */
export function inverseGram(R: Float64Array, k: number): Float64Array {
  const rInv = upperTriangularInverse(R, k);
  return multiply(rInv, transpose(rInv, k), k);
}

/**
 * The same R and β as `householderLeastSquares(X, y)` (the R of X in its own column order), fast for
 * designs with sparse columns. First Givens rotations, one student (row) at a time, with the columns
 * ordered sparsest first (fixed-effect dummies before the intercept and the dense predictors): a row
 * of a school dummy, a grade dummy and three dense values costs a few dozen updates instead of the 2k²
 * flops per row of dense Householder. That gives X P = Q₁R₁ (P the reordering) and Q₁ᵀy. Then
 * X = Q₁(R₁Pᵀ), and the Householder QR of the small k × k matrix R₁Pᵀ = Q₂R gives X = (Q₁Q₂)R: the
 * R of the original order, whose diagonal names the first collinear column, and Q₂ᵀQ₁ᵀy for β.
 */
export function sparseLeastSquares(X: DesignColumns, y: readonly number[]): LeastSquaresQr {
  const { n, k, data } = X;
  const order = sparsestFirst(X);
  const R1 = new Float64Array(k * k);
  const qty = new Float64Array(k);
  const row = new Float64Array(k);
  for (let i = 0; i < n; i++) {
    for (let p = 0; p < k; p++) row[p] = data[order[p]! * n + i]!;
    let yi = y[i]!;
    for (let p = 0; p < k; p++) {
      const b = row[p]!;
      if (b === 0) continue;
      // Rotate (R₁ row p, this row) so that the row's entry p becomes 0; r > 0 since b ≠ 0.
      const a = R1[p * k + p]!;
      const r = Math.sqrt(a * a + b * b);
      const c = a / r;
      const s = b / r;
      R1[p * k + p] = r;
      for (let m = p + 1; m < k; m++) {
        const rm = R1[p * k + m]!;
        const xm = row[m]!;
        if (rm === 0 && xm === 0) continue;
        R1[p * k + m] = c * rm + s * xm;
        row[m] = c * xm - s * rm;
      }
      const qp = qty[p]!;
      qty[p] = c * qp + s * yi;
      yi = c * yi - s * qp;
    }
  }
  // R₁Pᵀ, column-major: column order[p] is column p of R₁.
  const unpermuted = new Float64Array(k * k);
  for (let p = 0; p < k; p++) for (let r = 0; r <= p; r++) unpermuted[order[p]! * k + r] = R1[r * k + p]!;
  return householderLeastSquares({ n: k, k, data: unpermuted }, qty);
}

/** Column indices by their count of non-zero entries, fewest first (stable: ties keep their order). */
function sparsestFirst(X: DesignColumns): number[] {
  const { n, k, data } = X;
  const nonZero = Array.from({ length: k }, (_, j) => {
    let count = 0;
    for (let i = j * n; i < (j + 1) * n; i++) if (data[i] !== 0) count++;
    return count;
  });
  return [...nonZero.keys()].sort((a, b) => nonZero[a]! - nonZero[b]! || a - b);
}
