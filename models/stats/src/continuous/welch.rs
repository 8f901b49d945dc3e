//! Welch's unequal-variance t-test (Welch 1947).
//!
//! `θ̂ = x̄₁ − x̄₀`, `SE = √(s₁²/n₁ + s₀²/n₀)`, `T = (θ̂ − δ0)/SE` on the Welch–Satterthwaite
//! degrees of freedom `ν = SE⁴ / [ (s₁²/n₁)²/(n₁−1) + (s₀²/n₀)²/(n₀−1) ]`.

use super::mean_var;
use crate::hypothesis::t_result;
use crate::{Hypothesis, StatsError, TestResult};

/// Welch's t-test of `mean(treated) − mean(control)`; method `"welch_t"`.
///
/// Errors with fewer than 2 observations per arm or zero variance in both arms.
pub fn welch_t(treated: &[f64], control: &[f64], h: &Hypothesis) -> Result<TestResult, StatsError> {
    h.validate()?;
    for (what, x) in [("treated arm", treated), ("control arm", control)] {
        if x.len() < 2 {
            return Err(StatsError::TooFewObservations { what, got: x.len(), need: 2 });
        }
    }
    let (m1, v1) = mean_var(treated);
    let (m0, v0) = mean_var(control);
    let (a, b) = (v1 / treated.len() as f64, v0 / control.len() as f64);
    let se2 = a + b;
    if se2 <= 0.0 || !se2.is_finite() {
        return Err(StatsError::Degenerate("zero variance in both arms"));
    }
    let df = se2 * se2 / (a * a / (treated.len() as f64 - 1.0) + b * b / (control.len() as f64 - 1.0));
    Ok(t_result("welch_t", m1 - m0, se2.sqrt(), df, h))
}
