//! Log-rank test (Mantel 1966; Peto & Peto 1972), stratified by summing over strata.
//!
//! At each distinct event time with `d` events among `n` at risk, of whom `n₁` treated and
//! `d₁` treated events: `E₁ = d·n₁/n`, `V = d·(n₁/n)(1 − n₁/n)(n − d)/(n − 1)`.
//! `U = Σ(d₁ − E₁)` and `V` are summed over times and strata; `χ² = U²/V` on 1 df.
//! The result's statistic is the signed `Z = U/√V` (`χ² = Z²`), its estimate Peto's log
//! hazard ratio `U/V` with `SE = 1/√V`, so H1 "treatment lowers the hazard" is
//! [`Sided::OneLower`](crate::Sided::OneLower).

use super::{check_lengths, strata_sorted};
use crate::dist::normal;
use crate::{Hypothesis, StatsError, TestResult};

/// Observed minus expected treated events and their variance.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct LogrankParts {
    /// Observed treated events.
    pub observed: f64,
    /// Expected treated events under H0.
    pub expected: f64,
    /// Hypergeometric variance of `observed − expected`.
    pub variance: f64,
}

impl LogrankParts {
    /// `χ² = (O − E)²/V`.
    pub fn chi2(&self) -> f64 {
        (self.observed - self.expected).powi(2) / self.variance
    }
}

/// Log-rank test of treated vs control, stratified when `strata` is given; method
/// `"logrank"` or `"logrank_stratified"`.
pub fn logrank(
    times: &[f64],
    events: &[bool],
    treated: &[bool],
    strata: Option<&[u32]>,
    h: &Hypothesis,
) -> Result<(TestResult, LogrankParts), StatsError> {
    let method = if strata.is_some() {
        "logrank_stratified"
    } else {
        "logrank"
    };
    h.require_zero_margin(method)?;
    check_lengths(
        times.len(),
        &[
            events.len(),
            treated.len(),
            strata.map_or(times.len(), <[u32]>::len),
        ],
    )?;
    let n_trt = treated.iter().filter(|&&t| t).count();
    if n_trt == 0 || n_trt == times.len() {
        return Err(StatsError::OneGroup("all subjects in one arm"));
    }
    let mut parts = LogrankParts {
        observed: 0.0,
        expected: 0.0,
        variance: 0.0,
    };
    for g in strata_sorted(times, strata) {
        let mut n1_risk = g.iter().filter(|&&i| treated[i]).count();
        let mut i = 0;
        while i < g.len() {
            let t = times[g[i]];
            let n = (g.len() - i) as f64;
            let n1 = n1_risk as f64;
            let (mut d, mut d1, mut j) = (0.0, 0.0, i);
            while j < g.len() && times[g[j]] == t {
                if events[g[j]] {
                    d += 1.0;
                    if treated[g[j]] {
                        d1 += 1.0;
                    }
                }
                if treated[g[j]] {
                    n1_risk -= 1;
                }
                j += 1;
            }
            if d > 0.0 {
                parts.observed += d1;
                parts.expected += d * n1 / n;
                if n > 1.0 {
                    parts.variance += d * (n1 / n) * (1.0 - n1 / n) * (n - d) / (n - 1.0);
                }
            }
            i = j;
        }
    }
    if parts.variance <= 0.0 {
        return Err(StatsError::Degenerate(
            "no events, or no information at the event times",
        ));
    }
    let u = parts.observed - parts.expected;
    let se = 1.0 / parts.variance.sqrt();
    let z = u * se;
    let p = h.p_from(z, normal::sf);
    let est = u / parts.variance;
    let q = normal::quantile(h.ci_prob());
    Ok((
        TestResult {
            method,
            estimate: est,
            se: Some(se),
            ci: (est - q * se, est + q * se),
            p_value: p,
            statistic: z,
            df: None,
            sided: h.sided,
            decision: p < h.alpha,
        },
        parts,
    ))
}
