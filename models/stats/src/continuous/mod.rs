//! Continuous endpoints: Welch's and Student's t-tests, ANCOVA.

mod ancova;
mod welch;

pub use ancova::{AncovaFit, ancova, dummy_columns};
pub use welch::{student_t, welch_t};

/// Mean and unbiased (n − 1) variance; the variance is NaN for fewer than two values.
pub fn mean_var(x: &[f64]) -> (f64, f64) {
    let n = x.len() as f64;
    let m = x.iter().sum::<f64>() / n;
    let v = x.iter().map(|v| (v - m) * (v - m)).sum::<f64>() / (n - 1.0);
    (m, v)
}
