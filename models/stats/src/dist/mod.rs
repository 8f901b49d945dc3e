//! Distributions used by the tests, each as CDF / survival function / quantile.
//!
//! Built on [`special`] (log-gamma by Lanczos, regularized incomplete beta by Lentz's
//! continued fraction, regularized incomplete gamma by series / continued fraction;
//! Numerical Recipes 3rd ed. §6.1–6.4). Relative accuracy is about 1e-14 in the ranges the
//! tests use; the reference tests check them against scipy to 1e-10.
//! Implemented here rather than taken from `statrs` to keep the crate free of a
//! dependency whose numerics we would have to audit anyway, and because the noncentral t
//! (for power) is not in `statrs`.

pub mod chisq;
pub mod nct;
pub mod normal;
pub mod special;
pub mod t;

/// Inverts an increasing `cdf` at `p` by safeguarded Newton steps inside `[lo, hi]`.
pub(crate) fn invert(
    p: f64,
    mut lo: f64,
    mut hi: f64,
    x0: f64,
    cdf: impl Fn(f64) -> f64,
    pdf: impl Fn(f64) -> f64,
) -> f64 {
    let mut x = x0.clamp(lo, hi);
    for _ in 0..200 {
        let f = cdf(x) - p;
        if f == 0.0 {
            return x;
        }
        if f < 0.0 {
            lo = x;
        } else {
            hi = x;
        }
        let d = pdf(x);
        let mut next = x - f / d;
        if !(next > lo && next < hi && next.is_finite()) {
            next = 0.5 * (lo + hi);
        }
        if (next - x).abs() <= 1e-15 * x.abs().max(1e-300) {
            return next;
        }
        x = next;
    }
    x
}
