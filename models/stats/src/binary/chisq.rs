//! Pearson's chi-square test of a 2×2 table, with or without Yates's continuity correction.
//!
//! `X² = Σ (|O − E| − c)² / E` over the four cells, `c = min(½, |O − E|)` with the correction
//! (as R's `chisq.test` and scipy's `chi2_contingency`), `c = 0` without; `p = P(χ²₁ > X²)`.
//! One-sided p-values use the signed root `Z = sign(p₁ − p₀)·√X²` against the normal.
//! The estimate, SE and CI are those of the Wald difference `p₁ − p₀`.

use super::props;
use crate::dist::{chisq, normal};
use crate::{Hypothesis, Sided, StatsError, TestResult};

/// Chi-square test of `x1/n1` (treated) against `x0/n0`; method `"chisq"` or
/// `"chisq_yates"`.
pub fn chi_square(
    x1: u64,
    n1: u64,
    x0: u64,
    n0: u64,
    yates: bool,
    h: &Hypothesis,
) -> Result<TestResult, StatsError> {
    let method = if yates { "chisq_yates" } else { "chisq" };
    h.require_zero_margin(method)?;
    let (p1, p0, se) = props(x1, n1, x0, n0)?;
    let obs = [[x1 as f64, (n1 - x1) as f64], [x0 as f64, (n0 - x0) as f64]];
    let n = (n1 + n0) as f64;
    let col = [(x1 + x0) as f64, (n1 + n0 - x1 - x0) as f64];
    if col[0] == 0.0 || col[1] == 0.0 {
        return Err(StatsError::Degenerate(
            "no events or no non-events in either arm",
        ));
    }
    let row = [n1 as f64, n0 as f64];
    let mut stat = 0.0;
    for i in 0..2 {
        for j in 0..2 {
            let e = row[i] * col[j] / n;
            let dev = (obs[i][j] - e).abs();
            let c = if yates { dev.min(0.5) } else { 0.0 };
            stat += (dev - c).powi(2) / e;
        }
    }
    let d = p1 - p0;
    let p = match h.sided {
        Sided::Two => chisq::sf(stat, 1.0),
        _ => h.p_from(d.signum() * stat.sqrt(), normal::sf),
    };
    let q = normal::quantile(h.ci_prob());
    Ok(TestResult {
        method,
        estimate: d,
        se: Some(se),
        ci: (d - q * se, d + q * se),
        p_value: p,
        statistic: stat,
        df: Some(1.0),
        sided: h.sided,
        decision: p < h.alpha,
    })
}
