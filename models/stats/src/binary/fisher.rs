//! Fisher's exact test of a 2×2 table (Fisher 1935), conditional on the margins.
//!
//! With `m` events among `N = n₁ + n₀` subjects, the treated events `X` are hypergeometric:
//! `P(X = k) = C(n₁, k)·C(n₀, m − k)/C(N, m)`. Two-sided p-value as R's `fisher.test` and
//! scipy: the sum of `P(X = k)` over tables with `P(X = k) ≤ P(X = x₁)·(1 + 10⁻⁷)`.
//! One-sided: `P(X ≥ x₁)` for H1 p₁ > p₀, `P(X ≤ x₁)` for H1 p₁ < p₀.
//! The estimate, SE and CI are those of the Wald difference `p₁ − p₀`; the statistic is the
//! sample odds ratio `x₁(n₀ − x₀)/((n₁ − x₁)x₀)`.

use super::props;
use crate::dist::normal;
use crate::dist::special::ln_gamma;
use crate::{Hypothesis, Sided, StatsError, TestResult};

fn ln_choose(n: u64, k: u64) -> f64 {
    ln_gamma(n as f64 + 1.0) - ln_gamma(k as f64 + 1.0) - ln_gamma((n - k) as f64 + 1.0)
}

/// Fisher's exact test of `x1/n1` (treated) against `x0/n0`; method `"fisher_exact"`.
pub fn fisher_exact(
    x1: u64,
    n1: u64,
    x0: u64,
    n0: u64,
    h: &Hypothesis,
) -> Result<TestResult, StatsError> {
    h.require_zero_margin("fisher_exact")?;
    let (p1, p0, se) = props(x1, n1, x0, n0)?;
    let m = x1 + x0;
    let lo = m.saturating_sub(n0);
    let hi = m.min(n1);
    let lp: Vec<f64> = (lo..=hi)
        .map(|k| ln_choose(n1, k) + ln_choose(n0, m - k) - ln_choose(n1 + n0, m))
        .collect();
    let prob = |k: u64| lp[(k - lo) as usize].exp();
    let obs = prob(x1);
    let p = match h.sided {
        Sided::Two => (lo..=hi)
            .map(prob)
            .filter(|&q| q <= obs * (1.0 + 1e-7))
            .sum::<f64>(),
        Sided::OneUpper => (x1..=hi).map(prob).sum::<f64>(),
        Sided::OneLower => (lo..=x1).map(prob).sum::<f64>(),
    }
    .clamp(0.0, 1.0);
    let d = p1 - p0;
    let q = normal::quantile(h.ci_prob());
    let or = (x1 as f64 * (n0 - x0) as f64) / ((n1 - x1) as f64 * x0 as f64);
    Ok(TestResult {
        method: "fisher_exact",
        estimate: d,
        se: Some(se),
        ci: (d - q * se, d + q * se),
        p_value: p,
        statistic: or,
        df: None,
        sided: h.sided,
        decision: p < h.alpha,
    })
}
