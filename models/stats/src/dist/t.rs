//! Student's t distribution with `ν > 0` degrees of freedom (ν may be fractional, as in
//! Welch's test).
//!
//! `P(T > t) = ½ I_{ν/(ν+t²)}(ν/2, ½)` for `t ≥ 0` (for `t² < ν` through the complementary
//! `½ − ½ I_{t²/(ν+t²)}(½, ν/2)`, which keeps full precision near 0); the quantile inverts the CDF by
//! safeguarded Newton steps from the normal quantile.

use super::special::{beta_inc, ln_beta};
use super::{invert, normal};

/// Density.
pub fn pdf(x: f64, df: f64) -> f64 {
    (-(0.5 * (df + 1.0)) * (1.0 + x * x / df).ln() - 0.5 * df.ln() - ln_beta(0.5 * df, 0.5)).exp()
}

/// Upper tail `P(T > x)`.
pub fn sf(x: f64, df: f64) -> f64 {
    if x.is_nan() {
        return f64::NAN;
    }
    if df.is_infinite() {
        return normal::sf(x);
    }
    let x2 = x * x;
    let tail = if x2 < df {
        // Near 0, `1 − ν/(ν+x²)` would cancel: use I_z(ν/2, ½) = 1 − I_{1−z}(½, ν/2) with
        // 1 − z = x²/(ν+x²), which is exact.
        0.5 - 0.5 * beta_inc(0.5, 0.5 * df, x2 / (df + x2))
    } else {
        0.5 * beta_inc(0.5 * df, 0.5, df / (df + x2))
    };
    if x >= 0.0 { tail } else { 1.0 - tail }
}

/// `P(T ≤ x)`.
pub fn cdf(x: f64, df: f64) -> f64 {
    sf(-x, df)
}

/// Quantile for `p ∈ (0, 1)`.
pub fn quantile(p: f64, df: f64) -> f64 {
    if p <= 0.0 {
        return f64::NEG_INFINITY;
    }
    if p >= 1.0 {
        return f64::INFINITY;
    }
    if p == 0.5 {
        return 0.0;
    }
    if df.is_infinite() {
        return normal::quantile(p);
    }
    if p > 0.5 {
        return -quantile(1.0 - p, df);
    }
    // Lower half: x < 0; bracket grows until it contains the quantile.
    let mut lo = -10.0;
    while cdf(lo, df) > p {
        lo *= 4.0;
        if lo < -1e300 {
            return f64::NEG_INFINITY;
        }
    }
    let x0 = normal::quantile(p).max(lo);
    invert(p, lo, 0.0, x0, |x| cdf(x, df), |x| pdf(x, df))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_values() {
        assert!((quantile(0.975, 10.0) - 2.228_138_851_986_274).abs() < 1e-12);
        assert!((cdf(2.0, 1.0) - (0.5 + 2f64.atan() / std::f64::consts::PI)).abs() < 1e-14);
        assert!((quantile(0.995, 1.0) - 63.656_741_162_871_57).abs() < 1e-9);
    }
}
