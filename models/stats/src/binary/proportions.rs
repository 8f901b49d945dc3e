//! Difference in proportions `p₁ − p₀` with a Wald or Newcombe interval.
//!
//! Test: Wald `Z = (p₁ − p₀ − δ0)/SE`, `SE = √(p₁q₁/n₁ + p₀q₀/n₀)` (unpooled, so that it serves
//! non-inferiority margins too).
//!
//! Newcombe's hybrid score interval (Newcombe 1998, *Stat Med* 17:873–890, method 10):
//! with Wilson intervals `(l₁, u₁)`, `(l₀, u₀)` of each proportion,
//! `L = d − √((p₁ − l₁)² + (u₀ − p₀)²)`, `U = d + √((u₁ − p₁)² + (p₀ − l₀)²)`.
//! With the Newcombe interval the test is the interval's inversion: the decision is "the
//! interval excludes δ0 on the side of H1", and the p-value is the level at which it stops
//! excluding δ0 (the α whose interval has δ0 on its bound, found by bisection on the normal
//! quantile), so `p < α` exactly when the level-α interval excludes δ0 and multiplicity
//! adjustments of p agree with the interval. The statistic stays the Wald `Z`; when both
//! proportions are 0 or 1 it has no standard error (statistic NaN, `se` None) while the
//! Newcombe interval and its test are still defined (the Wald test is then an error).

use super::props;
use crate::dist::normal;
use crate::hypothesis::z_result;
use crate::{Hypothesis, Sided, StatsError, TestResult};

/// Which confidence interval to report for `p₁ − p₀`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PropCi {
    /// `d ± z·SE` (method `"diff_prop_wald"`).
    Wald,
    /// Newcombe's hybrid score interval (method `"diff_prop_newcombe"`).
    Newcombe,
}

/// Wilson score interval of `x/n` at normal quantile `z`.
pub fn wilson(x: u64, n: u64, z: f64) -> (f64, f64) {
    let n = n as f64;
    let p = x as f64 / n;
    let z2 = z * z;
    let centre = p + z2 / (2.0 * n);
    let half = z * (p * (1.0 - p) / n + z2 / (4.0 * n * n)).sqrt();
    let den = 1.0 + z2 / n;
    ((centre - half) / den, (centre + half) / den)
}

/// Difference in proportions of `x1/n1` (treated) and `x0/n0` (control).
pub fn diff_proportions(
    x1: u64,
    n1: u64,
    x0: u64,
    n0: u64,
    ci: PropCi,
    h: &Hypothesis,
) -> Result<TestResult, StatsError> {
    h.validate()?;
    let (p1, p0, se) = props(x1, n1, x0, n0)?;
    let d = p1 - p0;
    match ci {
        PropCi::Wald if se == 0.0 => Err(StatsError::Degenerate(
            "both proportions are 0 or 1, so the Wald standard error is 0 (the Newcombe interval is defined here)",
        )),
        PropCi::Wald => Ok(z_result("diff_prop_wald", d, se, h)),
        PropCi::Newcombe => {
            // With both proportions 0 or 1 the Wald Z has no standard error (no statistic,
            // no SE), but the Wilson intervals, and so the test, are well defined: 0/200 vs
            // 0/200 still rules out a difference of 0.1.
            let mut r = if se > 0.0 {
                z_result("diff_prop_newcombe", d, se, h)
            } else {
                TestResult {
                    method: "diff_prop_newcombe",
                    estimate: d,
                    se: None,
                    ci: (d, d),
                    p_value: 1.0,
                    statistic: f64::NAN,
                    df: None,
                    sided: h.sided,
                    decision: false,
                }
            };
            let bounds = |z: f64| newcombe(x1, n1, x0, n0, z);
            let (lo, hi) = bounds(normal::quantile(h.ci_prob()));
            r.ci = (lo, hi);
            let d0 = h.null_value();
            r.decision = match h.sided {
                Sided::Two => lo > d0 || hi < d0,
                Sided::OneUpper => lo > d0,
                Sided::OneLower => hi < d0,
            };
            // z* at which the interval's bound reaches δ0: the lower bound when the
            // estimate is above δ0 (`above`), else the upper one. A one-sided hypothesis
            // whose estimate lies on the wrong side of δ0 gets p = Φ(z*) ≥ ½.
            let touch = |above: bool| invert(|z| if above { bounds(z).0 - d0 } else { d0 - bounds(z).1 });
            r.p_value = match h.sided {
                Sided::Two => 2.0 * normal::sf(touch(d > d0)),
                Sided::OneUpper if d > d0 => normal::sf(touch(true)),
                Sided::OneUpper => normal::cdf(touch(false)),
                Sided::OneLower if d < d0 => normal::sf(touch(false)),
                Sided::OneLower => normal::cdf(touch(true)),
            }
            .min(1.0);
            Ok(r)
        }
    }
}

/// Newcombe's hybrid score interval of `x1/n1 − x0/n0` at normal quantile `z`.
fn newcombe(x1: u64, n1: u64, x0: u64, n0: u64, z: f64) -> (f64, f64) {
    let (p1, p0) = (x1 as f64 / n1 as f64, x0 as f64 / n0 as f64);
    let (l1, u1) = wilson(x1, n1, z);
    let (l0, u0) = wilson(x0, n0, z);
    let d = p1 - p0;
    (d - ((p1 - l1).powi(2) + (u0 - p0).powi(2)).sqrt(), d + ((u1 - p1).powi(2) + (p0 - l0).powi(2)).sqrt())
}

/// The `z ≥ 0` where `gap(z)` — by how much the interval at quantile `z` still excludes δ0,
/// decreasing as the interval widens — reaches 0, by bisection to 1e-12; 0 when it is not
/// positive at `z = 0` (the estimate itself is not beyond δ0), 40 (p ≈ 0) when the interval
/// never reaches δ0.
fn invert(gap: impl Fn(f64) -> f64) -> f64 {
    if gap(0.0) <= 0.0 {
        return 0.0;
    }
    let (mut a, mut b) = (0.0, 40.0);
    if gap(b) > 0.0 {
        return b;
    }
    while b - a > 1e-12 {
        let m = 0.5 * (a + b);
        if gap(m) > 0.0 { a = m } else { b = m }
    }
    0.5 * (a + b)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Direction;

    #[test]
    fn newcombe_is_defined_when_both_arms_have_no_responders() {
        // 0/199 treated vs 0/200 control: the Wilson upper bounds z²/(n + z²) give
        // [−0.018846, 0.018938] at 95 % (statsmodels `confint_proportions_2indep`,
        // method 'newcomb': [−0.01885, 0.01894]).
        let two = Hypothesis::superiority(0.05, Sided::Two);
        let r = diff_proportions(0, 199, 0, 200, PropCi::Newcombe, &two).unwrap();
        let z2 = 1.959_963_984_540_054f64.powi(2);
        assert!((r.ci.0 + z2 / (200.0 + z2)).abs() < 1e-12, "{:?}", r.ci);
        assert!((r.ci.1 - z2 / (199.0 + z2)).abs() < 1e-12, "{:?}", r.ci);
        assert_eq!((r.estimate, r.se, r.decision), (0.0, None, false));
        assert!(r.statistic.is_nan());
        assert!((r.p_value - 1.0).abs() < 1e-9, "{}", r.p_value);
        // Non-inferiority at a margin of 0.1 (lower is better: H1 is d < 0.1) is shown.
        let ni = Hypothesis::non_inferiority(0.025, 0.1, Direction::LowerIsBetter);
        let r = diff_proportions(0, 199, 0, 200, PropCi::Newcombe, &ni).unwrap();
        assert!(r.decision && r.p_value < 1e-5, "{r:?}");
        // All responders in both arms mirror it; the Wald test has no standard error.
        let r = diff_proportions(199, 199, 200, 200, PropCi::Newcombe, &two).unwrap();
        assert!((r.ci.1 - z2 / (200.0 + z2)).abs() < 1e-12, "{:?}", r.ci);
        assert!(matches!(
            diff_proportions(0, 199, 0, 200, PropCi::Wald, &two),
            Err(StatsError::Degenerate(_))
        ));
    }
}
