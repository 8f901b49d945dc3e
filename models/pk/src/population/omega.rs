//! Variance–covariance matrices of random effects: NONMEM's `$OMEGA` (and `$SIGMA`).
//!
//! `Ω` must be symmetric positive definite. It is factored once as `Ω = L·Lᵀ` (Cholesky,
//! L lower triangular) and a draw is `η = L·z` with `z` a vector of independent standard
//! normals, so that `Cov(η) = L·Lᵀ = Ω`.
//!
//! A zero variance (an ETA fixed to zero, `$OMEGA 0 FIX`) is allowed: its row and column
//! must then be zero, the ETA is always 0, and the factorisation is done on the remaining
//! ETAs. Everything else that is not positive definite is rejected with
//! [`PkError::NotPositiveDefinite`], naming the matrix, the ETA where the factorisation
//! fails and the smallest eigenvalue.

use nalgebra::DMatrix;
use rand::Rng;
use rand_distr::{Distribution, StandardNormal};

use crate::PkError;

/// Largest relative asymmetry tolerated: `|Ω_ij − Ω_ji| ≤ 1e-12 · max(|Ω_ij|, |Ω_ji|, √(Ω_ii·Ω_jj))`.
/// The stored matrix is the symmetric mean of the two triangles.
const SYMMETRY_RTOL: f64 = 1e-12;

/// A Cholesky pivot `L_kk²` at or below `1e-12 · Ω_kk` counts as zero: the ETA is then a
/// linear combination of the ones before it to 12 digits (a correlation of ±1), which
/// NONMEM also rejects as not positive definite.
const PIVOT_RTOL: f64 = 1e-12;

/// A named variance–covariance matrix of random effects (ETAs): `$OMEGA` for
/// inter-individual variability, an IOV block, or `$SIGMA`.
#[derive(Debug, Clone, PartialEq)]
pub struct Omega {
    name: String,
    names: Vec<String>,
    covariance: DMatrix<f64>,
    cholesky: DMatrix<f64>,
    fixed: Vec<bool>,
}

impl Omega {
    /// Builds and factors `Ω`. `matrix_name` ("OMEGA", "IOV", "SIGMA", …) is used in errors;
    /// `eta_names` name its rows (and columns) in order.
    ///
    /// Errors: [`PkError::InvalidParameter`] when the matrix is not square, its size is not
    /// the number of names, or a name is repeated; [`PkError::NotPositiveDefinite`] when an
    /// entry is not finite, the matrix is not symmetric (relative tolerance 1e-12), a
    /// variance is negative, or the Cholesky factorisation of the ETAs with a non-zero
    /// variance fails.
    pub fn new(matrix_name: &str, eta_names: Vec<String>, covariance: DMatrix<f64>) -> Result<Omega, PkError> {
        let n = eta_names.len();
        let (rows, cols) = covariance.shape();
        if rows != cols || rows != n {
            return Err(PkError::InvalidParameter {
                name: format!("number of {matrix_name} ETA names (the matrix is {rows}×{cols})"),
                value: n as f64,
                expected: "the matrix's number of rows and of columns (a square matrix, one row per ETA)",
            });
        }
        for (j, name) in eta_names.iter().enumerate() {
            if eta_names[..j].contains(name) {
                return Err(PkError::InvalidParameter {
                    name: format!("position of the second {matrix_name} ETA named {name:?}"),
                    value: (j + 1) as f64,
                    expected: "each ETA name listed once",
                });
            }
        }
        let not_pd = |detail: String| PkError::NotPositiveDefinite { name: matrix_name.to_string(), detail };
        let label = |i: usize| &eta_names[i];
        for i in 0..n {
            for j in 0..n {
                let v = covariance[(i, j)];
                if !v.is_finite() {
                    return Err(not_pd(format!("entry ({}, {}) = {v} is not a finite number", label(i), label(j))));
                }
            }
        }
        let mut sym = covariance.clone();
        for i in 0..n {
            for j in 0..i {
                let (a, b) = (covariance[(i, j)], covariance[(j, i)]);
                let scale = a.abs().max(b.abs()).max((covariance[(i, i)] * covariance[(j, j)]).abs().sqrt());
                if (a - b).abs() > SYMMETRY_RTOL * scale {
                    return Err(not_pd(format!(
                        "not symmetric: entry ({}, {}) = {a} but ({}, {}) = {b}",
                        label(i),
                        label(j),
                        label(j),
                        label(i)
                    )));
                }
                let mean = 0.5 * (a + b);
                sym[(i, j)] = mean;
                sym[(j, i)] = mean;
            }
        }
        let smallest = || smallest_eigenvalue(&sym);
        for i in 0..n {
            if sym[(i, i)] < 0.0 {
                return Err(not_pd(format!(
                    "ETA {} has a negative variance {}; smallest eigenvalue {:.4e}",
                    label(i),
                    sym[(i, i)],
                    smallest()
                )));
            }
        }
        let fixed: Vec<bool> = (0..n).map(|i| sym[(i, i)] == 0.0).collect();
        for i in (0..n).filter(|&i| fixed[i]) {
            if let Some(j) = (0..n).find(|&j| sym[(i, j)] != 0.0) {
                return Err(not_pd(format!(
                    "ETA {} has variance 0 but covariance {} with ETA {}; smallest eigenvalue {:.4e}",
                    label(i),
                    sym[(i, j)],
                    label(j),
                    smallest()
                )));
            }
        }
        let free: Vec<usize> = (0..n).filter(|&i| !fixed[i]).collect();
        let reduced = DMatrix::from_fn(free.len(), free.len(), |a, b| sym[(free[a], free[b])]);
        let factor = match factor(&reduced) {
            Ok(l) => l,
            Err((k, pivot)) => {
                let leaving_out = if free.len() < n { ", ETAs fixed to 0 left out" } else { "" };
                return Err(not_pd(format!(
                    "the Cholesky factorisation fails at ETA {}: the leading minor of order {} \
                     (ETAs {} to {}{leaving_out}) is not positive, pivot {pivot:.4e}; smallest eigenvalue {:.4e}",
                    label(free[k]),
                    k + 1,
                    label(free[0]),
                    label(free[k]),
                    smallest()
                )));
            }
        };
        let mut cholesky = DMatrix::zeros(n, n);
        for (a, &i) in free.iter().enumerate() {
            for (b, &j) in free.iter().enumerate().take(a + 1) {
                cholesky[(i, j)] = factor[(a, b)];
            }
        }
        Ok(Omega { name: matrix_name.to_string(), names: eta_names, covariance: sym, cholesky, fixed })
    }

    /// A diagonal `Ω` (independent ETAs, NONMEM's `$OMEGA` without `BLOCK`) from the variances.
    pub fn diagonal(matrix_name: &str, names: Vec<String>, variances: &[f64]) -> Result<Omega, PkError> {
        if variances.len() != names.len() {
            return Err(PkError::InvalidParameter {
                name: format!("number of {matrix_name} variances (with {} ETA names)", names.len()),
                value: variances.len() as f64,
                expected: "one variance per ETA name",
            });
        }
        Omega::new(matrix_name, names, DMatrix::from_diagonal(&nalgebra::DVector::from_column_slice(variances)))
    }

    /// `Ω` from its lower triangle listed row by row, as in NONMEM's `$OMEGA BLOCK(n)`:
    /// `ω11, ω21, ω22, ω31, ω32, ω33, …` (`n(n+1)/2` values for `n` names).
    pub fn from_lower_triangle(matrix_name: &str, names: Vec<String>, lower: &[f64]) -> Result<Omega, PkError> {
        let n = names.len();
        if lower.len() != n * (n + 1) / 2 {
            return Err(PkError::InvalidParameter {
                name: format!("number of {matrix_name} BLOCK values (with {n} ETA names)"),
                value: lower.len() as f64,
                expected: "n(n+1)/2 values for n ETAs: the lower triangle, row by row",
            });
        }
        let mut m = DMatrix::zeros(n, n);
        let mut k = 0;
        for i in 0..n {
            for j in 0..=i {
                m[(i, j)] = lower[k];
                m[(j, i)] = lower[k];
                k += 1;
            }
        }
        Omega::new(matrix_name, names, m)
    }

    /// The block-diagonal matrix of several blocks (NONMEM's successive `$OMEGA` records);
    /// ETAs keep their order. Names must be distinct across blocks.
    pub fn block_diagonal(matrix_name: &str, blocks: &[Omega]) -> Result<Omega, PkError> {
        let n: usize = blocks.iter().map(Omega::dim).sum();
        let mut m = DMatrix::zeros(n, n);
        let mut names = Vec::with_capacity(n);
        let mut offset = 0;
        for b in blocks {
            m.view_mut((offset, offset), (b.dim(), b.dim())).copy_from(&b.covariance);
            names.extend(b.names.iter().cloned());
            offset += b.dim();
        }
        Omega::new(matrix_name, names, m)
    }

    /// The matrix's name, as given (OMEGA, IOV, SIGMA, …).
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Number of ETAs.
    pub fn dim(&self) -> usize {
        self.names.len()
    }

    /// ETA names, in order.
    pub fn names(&self) -> &[String] {
        &self.names
    }

    /// Position of the ETA called `name`.
    pub fn index_of(&self, name: &str) -> Option<usize> {
        self.names.iter().position(|n| n == name)
    }

    /// `Ω` (symmetrised: the mean of the two triangles as given).
    pub fn covariance(&self) -> &DMatrix<f64> {
        &self.covariance
    }

    /// The lower-triangular factor `L` with `Ω = L·Lᵀ`; rows and columns of ETAs fixed to
    /// zero are zero.
    pub fn cholesky(&self) -> &DMatrix<f64> {
        &self.cholesky
    }

    /// Whether ETA `i` has variance zero (and so is always 0).
    pub fn is_fixed_to_zero(&self, i: usize) -> bool {
        self.fixed[i]
    }

    /// Draws `η ~ N(0, Ω)` into `out` as `L·z`, with `z` `dim()` independent draws of
    /// [`StandardNormal`]: always exactly `dim()` draws, whatever ETAs are fixed, so streams
    /// stay aligned when a variance is set to zero.
    ///
    /// # Panics
    /// When `out.len() != self.dim()`.
    pub fn sample<R: Rng + ?Sized>(&self, rng: &mut R, out: &mut [f64]) {
        let n = self.dim();
        assert_eq!(out.len(), n, "Omega {}: output has {} slots for {n} ETAs", self.name, out.len());
        for z in out.iter_mut() {
            *z = StandardNormal.sample(rng);
        }
        // In place, last row first: row i reads z_0..z_i, which rows above have not overwritten.
        for i in (0..n).rev() {
            out[i] = (0..=i).map(|j| self.cholesky[(i, j)] * out[j]).sum();
        }
    }

    /// One draw of `η ~ N(0, Ω)` as a new vector (see [`Omega::sample`]).
    pub fn draw<R: Rng + ?Sized>(&self, rng: &mut R) -> Vec<f64> {
        let mut out = vec![0.0; self.dim()];
        self.sample(rng, &mut out);
        out
    }
}

/// Cholesky factor of a symmetric matrix by nalgebra, with near-zero pivots (see
/// [`PIVOT_RTOL`]) counted as failures; on failure, the zero-based order of the first
/// leading minor that is not positive and its pivot `L_kk²`.
fn factor(m: &DMatrix<f64>) -> Result<DMatrix<f64>, (usize, f64)> {
    let n = m.nrows();
    if let Some(chol) = nalgebra::Cholesky::new(m.clone()) {
        let l = chol.unpack();
        if (0..n).all(|k| l[(k, k)] * l[(k, k)] > PIVOT_RTOL * m[(k, k)]) {
            return Ok(l);
        }
    }
    // Locate the failure: the pivots of the plain (Cholesky–Crout) recurrence.
    let mut l = DMatrix::<f64>::zeros(n, n);
    for k in 0..n {
        let pivot = m[(k, k)] - (0..k).map(|j| l[(k, j)] * l[(k, j)]).sum::<f64>();
        if pivot <= PIVOT_RTOL * m[(k, k)] {
            return Err((k, pivot));
        }
        l[(k, k)] = pivot.sqrt();
        for i in k + 1..n {
            let s = m[(i, k)] - (0..k).map(|j| l[(i, j)] * l[(k, j)]).sum::<f64>();
            l[(i, k)] = s / l[(k, k)];
        }
    }
    // nalgebra refused but the recurrence succeeded: a pivot at the rounding limit.
    Err((n - 1, 0.0))
}

fn smallest_eigenvalue(m: &DMatrix<f64>) -> f64 {
    if m.is_empty() {
        return f64::NAN;
    }
    m.clone().symmetric_eigenvalues().iter().copied().fold(f64::INFINITY, f64::min)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(n: usize) -> Vec<String> {
        (1..=n).map(|i| format!("ETA{i}")).collect()
    }

    #[test]
    fn cholesky_reproduces_omega() {
        let o = Omega::from_lower_triangle("OMEGA", names(3), &[0.09, 0.03, 0.04, -0.01, 0.005, 0.16]).unwrap();
        let l = o.cholesky();
        let back = l * l.transpose();
        assert!((back - o.covariance()).abs().max() < 1e-15);
    }

    #[test]
    fn sample_in_place_is_l_times_z() {
        use rand::SeedableRng;
        let o = Omega::from_lower_triangle("OMEGA", names(3), &[0.09, 0.03, 0.04, -0.01, 0.005, 0.16]).unwrap();
        let mut r1 = rand_chacha::ChaCha8Rng::seed_from_u64(7);
        let mut r2 = r1.clone();
        let eta = o.draw(&mut r1);
        let z = nalgebra::DVector::from_fn(3, |_, _| StandardNormal.sample(&mut r2));
        let want = o.cholesky() * z;
        for i in 0..3 {
            assert!((eta[i] - want[i]).abs() < 1e-15);
        }
    }
}
