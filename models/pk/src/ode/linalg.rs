//! Small dense LU factorisation with partial pivoting, for the stiff method's iteration matrix.
//!
//! The matrices are tiny (PK systems have up to about a dozen states), so a plain row-major
//! Doolittle elimination beats any blocked routine; buffers are sized once and reused.

use super::dim::dim;

/// In-place LU factors `P·M = L·U` of a square row-major matrix, reused between steps.
#[derive(Clone, Debug, Default)]
pub(crate) struct Lu {
    n: usize,
    /// The matrix before [`Lu::factor`]; `L` (unit diagonal, not stored) and `U` after.
    a: Vec<f64>,
    /// Row exchanged with row `k` at elimination step `k`.
    piv: Vec<usize>,
    /// `1 / U[k][k]`.
    inv_diag: Vec<f64>,
}

impl Lu {
    /// Sizes the buffers for `n × n` matrices.
    pub(crate) fn resize(&mut self, n: usize) {
        self.n = n;
        self.a.resize(n * n, 0.0);
        self.piv.resize(n, 0);
        self.inv_diag.resize(n, 0.0);
    }

    /// The matrix to fill (row-major) before calling [`Lu::factor`].
    pub(crate) fn matrix_mut(&mut self) -> &mut [f64] {
        &mut self.a
    }

    /// Factors the matrix in place. Returns `false` if it is singular to working precision
    /// (a zero pivot) or holds NaN or infinite values on a pivot.
    #[cfg(test)]
    pub(crate) fn factor(&mut self) -> bool {
        self.factor_n::<0>()
    }

    /// [`Lu::factor`] specialised for dimension `N` (0: any; see [`super::dim`]).
    #[inline]
    pub(crate) fn factor_n<const N: usize>(&mut self) -> bool {
        let n = dim::<N>(self.n);
        let a = &mut self.a[..n * n];
        for k in 0..n {
            let mut p = k;
            let mut max = a[k * n + k].abs();
            for i in k + 1..n {
                let v = a[i * n + k].abs();
                if v > max {
                    max = v;
                    p = i;
                }
            }
            self.piv[k] = p;
            if !(max > 0.0 && max.is_finite()) {
                return false;
            }
            if p != k {
                for j in 0..n {
                    a.swap(k * n + j, p * n + j);
                }
            }
            let inv = 1.0 / a[k * n + k];
            self.inv_diag[k] = inv;
            let (upper, lower) = a.split_at_mut((k + 1) * n);
            let pivot_row = &upper[k * n + k + 1..(k + 1) * n];
            for row in lower.chunks_exact_mut(n) {
                let l = row[k] * inv;
                row[k] = l;
                if l != 0.0 {
                    for (r, &u) in row[k + 1..].iter_mut().zip(pivot_row) {
                        *r -= l * u;
                    }
                }
            }
        }
        true
    }

    /// Solves `M x = b` in place using the factors from a successful [`Lu::factor`].
    #[cfg(test)]
    pub(crate) fn solve(&self, b: &mut [f64]) {
        self.solve_n::<0>(b)
    }

    /// [`Lu::solve`] specialised for dimension `N` (0: any).
    #[inline]
    pub(crate) fn solve_n<const N: usize>(&self, b: &mut [f64]) {
        let n = dim::<N>(self.n);
        let a = &self.a[..n * n];
        let b = &mut b[..n];
        for (k, &p) in self.piv[..n].iter().enumerate() {
            if p != k {
                b.swap(k, p);
            }
        }
        for i in 1..n {
            let row = &a[i * n..i * n + i];
            let s: f64 = row.iter().zip(&b[..i]).map(|(l, x)| l * x).sum();
            b[i] -= s;
        }
        let inv_diag = &self.inv_diag[..n];
        for i in (0..n).rev() {
            let row = &a[i * n + i + 1..(i + 1) * n];
            let s: f64 = row.iter().zip(&b[i + 1..]).map(|(u, x)| u * x).sum();
            b[i] = (b[i] - s) * inv_diag[i];
        }
    }
}

#[cfg(test)]
mod tests {
    use super::Lu;
    use nalgebra::{DMatrix, DVector};

    fn factor(n: usize, m: &[f64]) -> (Lu, bool) {
        let mut lu = Lu::default();
        lu.resize(n);
        lu.matrix_mut().copy_from_slice(m);
        let ok = lu.factor();
        (lu, ok)
    }

    #[test]
    fn solves_against_nalgebra_including_pivoting() {
        // A zero leading entry forces a row exchange.
        let m = [
            0.0, 2.0, 1.0, 4.0, 1.0, -3.0, 2.5, -1.0, 7.0, 0.5, 3.0, 1.0, -2.0, 0.0, 1.5, 6.0,
        ];
        let b = [1.0, -2.0, 3.0, 0.25];
        let (lu, ok) = factor(4, &m);
        assert!(ok);
        let mut x = b;
        lu.solve(&mut x);
        let reference = DMatrix::from_row_slice(4, 4, &m)
            .lu()
            .solve(&DVector::from_row_slice(&b));
        let reference = reference.expect("nonsingular");
        for i in 0..4 {
            assert!(
                (x[i] - reference[i]).abs() <= 1e-13 * (1.0 + reference[i].abs()),
                "{i}"
            );
        }
    }

    #[test]
    fn solves_one_by_one() {
        let (lu, ok) = factor(1, &[4.0]);
        assert!(ok);
        let mut x = [2.0];
        lu.solve(&mut x);
        assert_eq!(x, [0.5]);
    }

    #[test]
    fn reports_singular_and_nan() {
        assert!(!factor(2, &[1.0, 2.0, 2.0, 4.0]).1);
        assert!(!factor(2, &[f64::NAN, 0.0, 0.0, 1.0]).1);
        assert!(!factor(2, &[1.0, 0.0, 0.0, f64::INFINITY]).1);
    }
}
