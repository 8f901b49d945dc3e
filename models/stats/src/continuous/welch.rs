//! Welch's unequal-variance t-test (Welch 1947) and Student's pooled two-sample t-test.
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
    two_per_arm(treated, control)?;
    let (m1, v1) = mean_var(treated);
    let (m0, v0) = mean_var(control);
    let (a, b) = (v1 / treated.len() as f64, v0 / control.len() as f64);
    let se2 = a + b;
    if se2 <= 0.0 || !se2.is_finite() {
        return Err(StatsError::Degenerate("zero variance in both arms"));
    }
    let df =
        se2 * se2 / (a * a / (treated.len() as f64 - 1.0) + b * b / (control.len() as f64 - 1.0));
    Ok(t_result("welch_t", m1 - m0, se2.sqrt(), df, h))
}

/// Student's two-sample t-test with pooled variance `s² = ((n₁−1)s₁² + (n₀−1)s₀²)/(n₁+n₀−2)`,
/// `SE = s√(1/n₁ + 1/n₀)` on `n₁ + n₀ − 2` df; method `"student_t"` (the test whose power
/// [`t_test_power`](crate::power::t_test_power) gives).
pub fn student_t(
    treated: &[f64],
    control: &[f64],
    h: &Hypothesis,
) -> Result<TestResult, StatsError> {
    h.validate()?;
    two_per_arm(treated, control)?;
    let (m1, v1) = mean_var(treated);
    let (m0, v0) = mean_var(control);
    let (n1, n0) = (treated.len() as f64, control.len() as f64);
    let df = n1 + n0 - 2.0;
    let s2 = ((n1 - 1.0) * v1 + (n0 - 1.0) * v0) / df;
    if s2 <= 0.0 || !s2.is_finite() {
        return Err(StatsError::Degenerate("zero pooled variance"));
    }
    Ok(t_result(
        "student_t",
        m1 - m0,
        (s2 * (1.0 / n1 + 1.0 / n0)).sqrt(),
        df,
        h,
    ))
}

/// Both t-tests need at least two observations in each arm.
fn two_per_arm(treated: &[f64], control: &[f64]) -> Result<(), StatsError> {
    for (what, x) in [("treated arm", treated), ("control arm", control)] {
        if x.len() < 2 {
            return Err(StatsError::TooFewObservations { what, got: x.len(), need: 2 });
        }
    }
    Ok(())
}
