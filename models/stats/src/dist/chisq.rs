//! Chi-square distribution: `P(X ≤ x) = P(k/2, x/2)` (regularized incomplete gamma).

use super::special::{gamma_p, gamma_q};

/// `P(X ≤ x)` on `k` degrees of freedom.
pub fn cdf(x: f64, k: f64) -> f64 {
    gamma_p(0.5 * k, 0.5 * x)
}

/// Upper tail `P(X > x)`.
pub fn sf(x: f64, k: f64) -> f64 {
    gamma_q(0.5 * k, 0.5 * x)
}
