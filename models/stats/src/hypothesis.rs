//! The hypothesis a test is run against, and the result every test returns.
//!
//! The null value is `δ0 = -margin` when higher is better and `+margin` when lower is
//! better (0 for superiority), on the scale of the estimate (difference of means or
//! proportions; log odds ratio; log hazard ratio). With statistic `Z = (θ̂ − δ0)/SE`:
//!
//! - [`Sided::Two`]: `p = 2·P(|T| ≥ |Z|)`, CI at level `1 − α`;
//! - [`Sided::OneUpper`] (H1: θ > δ0): `p = P(T ≥ Z)`;
//! - [`Sided::OneLower`] (H1: θ < δ0): `p = P(T ≤ Z)`.
//!
//! For one-sided tests the reported CI is the two-sided `1 − 2α` interval, whose relevant
//! bound is the one-sided `1 − α` bound (one-sided 2.5% ↔ two-sided 95% CI, ICH E9), so the
//! decision `p < α` is the same as "the bound excludes δ0".

use crate::StatsError;
use crate::dist::{normal, t};

/// Which alternative is tested.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Sided {
    /// H1: θ ≠ δ0.
    Two,
    /// H1: θ > δ0.
    OneUpper,
    /// H1: θ < δ0.
    OneLower,
}

impl Sided {
    /// `two`, `one_upper` or `one_lower` (the name stored with results).
    pub fn name(self) -> &'static str {
        match self {
            Sided::Two => "two",
            Sided::OneUpper => "one_upper",
            Sided::OneLower => "one_lower",
        }
    }
}

/// Which direction of the effect is a benefit: sets the sign of the margin.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Direction {
    /// A larger estimate is better (response rate, change in a score): δ0 = −margin.
    HigherIsBetter,
    /// A smaller estimate is better (log hazard ratio of death): δ0 = +margin.
    LowerIsBetter,
}

/// Alpha, sidedness, non-inferiority margin and direction of benefit.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Hypothesis {
    /// Significance level, in (0, 1).
    pub alpha: f64,
    /// Alternative.
    pub sided: Sided,
    /// Non-inferiority margin (≥ 0) on the estimate's scale; 0 for superiority.
    pub margin: f64,
    /// Direction of benefit.
    pub direction: Direction,
}

impl Hypothesis {
    /// Superiority (margin 0), higher is better.
    pub fn superiority(alpha: f64, sided: Sided) -> Self {
        Self {
            alpha,
            sided,
            margin: 0.0,
            direction: Direction::HigherIsBetter,
        }
    }

    /// Non-inferiority with `margin` ≥ 0: one-sided in the direction of benefit.
    pub fn non_inferiority(alpha: f64, margin: f64, direction: Direction) -> Self {
        let sided = match direction {
            Direction::HigherIsBetter => Sided::OneUpper,
            Direction::LowerIsBetter => Sided::OneLower,
        };
        Self {
            alpha,
            sided,
            margin,
            direction,
        }
    }

    /// The null value δ0.
    pub fn null_value(&self) -> f64 {
        match self.direction {
            Direction::HigherIsBetter => -self.margin,
            Direction::LowerIsBetter => self.margin,
        }
    }

    /// Checks alpha ∈ (0, 1) and margin ≥ 0 (finite).
    pub fn validate(&self) -> Result<(), StatsError> {
        if !(self.alpha > 0.0 && self.alpha < 1.0) {
            return Err(StatsError::InvalidArgument(format!(
                "alpha = {} not in (0, 1)",
                self.alpha
            )));
        }
        if !(self.margin >= 0.0 && self.margin.is_finite()) {
            return Err(StatsError::InvalidArgument(format!(
                "margin = {} not finite and >= 0",
                self.margin
            )));
        }
        Ok(())
    }

    /// Upper quantile used for the CI: `1 − α/2` (two-sided) or `1 − α` (one-sided).
    pub(crate) fn ci_prob(&self) -> f64 {
        match self.sided {
            Sided::Two => 1.0 - self.alpha / 2.0,
            _ => 1.0 - self.alpha,
        }
    }

    /// Errors unless the margin is 0 (for tests of no difference only).
    pub(crate) fn require_zero_margin(&self, method: &'static str) -> Result<(), StatsError> {
        self.validate()?;
        if self.margin != 0.0 {
            return Err(StatsError::MarginUnsupported(method));
        }
        Ok(())
    }

    /// p-value from a statistic given the upper-tail `sf` of its symmetric reference law.
    pub(crate) fn p_from(&self, stat: f64, sf: impl Fn(f64) -> f64) -> f64 {
        let p = match self.sided {
            Sided::Two => 2.0 * sf(stat.abs()),
            Sided::OneUpper => sf(stat),
            Sided::OneLower => sf(-stat),
        };
        p.clamp(0.0, 1.0)
    }
}

/// The result of one test on one comparison.
#[derive(Debug, Clone, PartialEq)]
pub struct TestResult {
    /// Name of the method, e.g. `"welch_t"`, `"ancova"`, `"fisher_exact"`, `"logrank"`,
    /// `"cox_efron"`.
    pub method: &'static str,
    /// Point estimate (scale documented by each test).
    pub estimate: f64,
    /// Standard error of the estimate, where the method has one.
    pub se: Option<f64>,
    /// Confidence interval (see the module docs for the level).
    pub ci: (f64, f64),
    /// p-value against the hypothesis's null.
    pub p_value: f64,
    /// Test statistic (t, z, chi-square, …).
    pub statistic: f64,
    /// Degrees of freedom of the statistic's reference law, where it has some.
    pub df: Option<f64>,
    /// Alternative tested.
    pub sided: Sided,
    /// Whether the null is rejected at alpha.
    pub decision: bool,
}

/// Wald-type result with a normal reference: `Z = (θ̂ − δ0)/SE`.
pub(crate) fn z_result(method: &'static str, estimate: f64, se: f64, h: &Hypothesis) -> TestResult {
    let z = (estimate - h.null_value()) / se;
    let p = h.p_from(z, normal::sf);
    let q = normal::quantile(h.ci_prob());
    TestResult {
        method,
        estimate,
        se: Some(se),
        ci: (estimate - q * se, estimate + q * se),
        p_value: p,
        statistic: z,
        df: None,
        sided: h.sided,
        decision: p < h.alpha,
    }
}

/// t-type result: `T = (θ̂ − δ0)/SE` on `df` degrees of freedom.
pub(crate) fn t_result(
    method: &'static str,
    estimate: f64,
    se: f64,
    df: f64,
    h: &Hypothesis,
) -> TestResult {
    let stat = (estimate - h.null_value()) / se;
    let p = h.p_from(stat, |x| t::sf(x, df));
    let q = t::quantile(h.ci_prob(), df);
    TestResult {
        method,
        estimate,
        se: Some(se),
        ci: (estimate - q * se, estimate + q * se),
        p_value: p,
        statistic: stat,
        df: Some(df),
        sided: h.sided,
        decision: p < h.alpha,
    }
}
