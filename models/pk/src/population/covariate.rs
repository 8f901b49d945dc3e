//! Covariate models: how a covariate value scales a parameter's typical value.
//!
//! Each model gives a multiplicative factor `f(x)` (the typical value is `θ · Π f`), as
//! they are usually written in NONMEM's `$PK`:
//!
//! | model                                 | factor                  | scenario form               |
//! |---------------------------------------|-------------------------|-----------------------------|
//! | power (allometry)                     | `(x / ref)^e`           | `power(0.75, ref=70)`       |
//! | exponential                           | `exp(c · (x − ref))`    | `exp(0.01, ref=40)`         |
//! | linear                                | `1 + s · (x − ref)`     | `linear(-0.005, ref=90)`    |
//! | categorical                           | the level's factor      | `categorical(F=0.8, M=1)`   |
//!
//! A factor must be a finite number > 0: a linear model that goes negative at an extreme
//! covariate value, or a power model at `x ≤ 0`, is an error naming the value (never a
//! silently clipped parameter). Levels not listed in a categorical model have factor 1.
//!
//! Covariate values are numbers; categorical levels are integer codes (`categorical(1=0.8)`)
//! or labels (`categorical(F=0.8)`). A label is turned into the covariate's code with
//! [`CovariateEffect::resolve_labels`] (e.g. with the cohort's sex codes, 0 = M, 1 = F)
//! before factors are computed.

use std::fmt;

use thiserror::Error;

/// A level of a categorical covariate: an integer code as stored, or a label to resolve.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum CategoryKey {
    /// An integer code, compared with the covariate's value.
    Code(i64),
    /// A label such as `F`, turned into a code by [`CovariateEffect::resolve_labels`].
    Label(String),
}

impl fmt::Display for CategoryKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            CategoryKey::Code(c) => write!(f, "{c}"),
            CategoryKey::Label(l) => f.write_str(l),
        }
    }
}

/// How one covariate scales a typical value; see the module docs for the formulas.
#[derive(Debug, Clone, PartialEq)]
pub enum CovariateEffect {
    /// `(x / reference)^exponent`.
    Power {
        /// Exponent (0.75 for allometric clearance, 1 for volume).
        exponent: f64,
        /// Reference value (70 kg), where the factor is 1.
        reference: f64,
    },
    /// `exp(coefficient · (x − reference))`.
    Exponential {
        /// Change of the log-parameter per unit of the covariate.
        coefficient: f64,
        /// Reference value, where the factor is 1.
        reference: f64,
    },
    /// `1 + slope · (x − reference)`.
    Linear {
        /// Fractional change per unit of the covariate.
        slope: f64,
        /// Reference value, where the factor is 1.
        reference: f64,
    },
    /// The factor of the covariate's level; levels not listed have factor 1.
    Categorical {
        /// `(level, factor)` pairs.
        factors: Vec<(CategoryKey, f64)>,
    },
}

/// Why a covariate model cannot give a factor. The covariate's name is added by the caller
/// ([`ParameterError::Covariate`](super::ParameterError::Covariate)).
#[derive(Debug, Clone, PartialEq, Error)]
pub enum CovariateError {
    /// The covariate value is NaN or infinite.
    #[error("value {value} is not a finite number")]
    NotFinite {
        /// The value.
        value: f64,
    },
    /// The model gives a factor that is not a finite number > 0 at this value.
    #[error("value {value} gives factor {factor} with {effect}; a covariate factor must be a finite number > 0")]
    InvalidFactor {
        /// The covariate value.
        value: f64,
        /// The factor it gives (may be NaN).
        factor: f64,
        /// The model, in scenario form.
        effect: String,
    },
    /// A categorical model got a value that is not an integer code.
    #[error("value {value} is not an integer category code, as {effect} needs")]
    NotACode {
        /// The covariate value.
        value: f64,
        /// The model, in scenario form.
        effect: String,
    },
    /// A categorical model still has a label that was never turned into a code.
    #[error("level {label:?} has no numeric code: resolve the model's labels with the covariate's codes first")]
    UnresolvedLabel {
        /// The label.
        label: String,
    },
    /// [`CovariateEffect::resolve_labels`] met a label the covariate does not have.
    #[error("level {label:?} is not a level of this covariate")]
    UnknownLabel {
        /// The label.
        label: String,
    },
}

impl CovariateEffect {
    /// The factor at covariate value `value` (see the module docs); a finite number > 0.
    pub fn factor(&self, value: f64) -> Result<f64, CovariateError> {
        if !value.is_finite() {
            return Err(CovariateError::NotFinite { value });
        }
        let factor = match self {
            CovariateEffect::Power { exponent, reference } => (value / reference).powf(*exponent),
            CovariateEffect::Exponential { coefficient, reference } => (coefficient * (value - reference)).exp(),
            CovariateEffect::Linear { slope, reference } => 1.0 + slope * (value - reference),
            CovariateEffect::Categorical { factors } => {
                if value.fract() != 0.0 || value.abs() >= 2f64.powi(63) {
                    return Err(CovariateError::NotACode { value, effect: self.to_string() });
                }
                let code = value as i64;
                let mut found = None;
                for (key, f) in factors {
                    match key {
                        CategoryKey::Code(c) if *c == code => found = found.or(Some(*f)),
                        CategoryKey::Code(_) => {}
                        CategoryKey::Label(label) => {
                            return Err(CovariateError::UnresolvedLabel { label: label.clone() });
                        }
                    }
                }
                found.unwrap_or(1.0)
            }
        };
        if factor.is_finite() && factor > 0.0 {
            Ok(factor)
        } else {
            Err(CovariateError::InvalidFactor { value, factor, effect: self.to_string() })
        }
    }

    /// The same model with categorical labels replaced by codes: `code_of(label)` gives the
    /// covariate's code for a label (an integer), `None` for a label it does not have.
    /// Codes and continuous models are returned unchanged.
    pub fn resolve_labels(&self, code_of: impl Fn(&str) -> Option<f64>) -> Result<CovariateEffect, CovariateError> {
        let CovariateEffect::Categorical { factors } = self else { return Ok(self.clone()) };
        let factors = factors
            .iter()
            .map(|(key, f)| match key {
                CategoryKey::Code(_) => Ok((key.clone(), *f)),
                CategoryKey::Label(label) => match code_of(label) {
                    Some(code) if code.fract() == 0.0 && code.abs() < 2f64.powi(63) => {
                        Ok((CategoryKey::Code(code as i64), *f))
                    }
                    Some(code) => Err(CovariateError::NotACode { value: code, effect: self.to_string() }),
                    None => Err(CovariateError::UnknownLabel { label: label.clone() }),
                },
            })
            .collect::<Result<_, _>>()?;
        Ok(CovariateEffect::Categorical { factors })
    }
}

/// The scenario form, which [`CovariateEffect::parse`] reads back to the same model.
impl fmt::Display for CovariateEffect {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            CovariateEffect::Power { exponent, reference } => write!(f, "power({exponent}, ref={reference})"),
            CovariateEffect::Exponential { coefficient, reference } => write!(f, "exp({coefficient}, ref={reference})"),
            CovariateEffect::Linear { slope, reference } => write!(f, "linear({slope}, ref={reference})"),
            CovariateEffect::Categorical { factors } => {
                f.write_str("categorical(")?;
                for (i, (key, factor)) in factors.iter().enumerate() {
                    if i > 0 {
                        f.write_str(", ")?;
                    }
                    write!(f, "{key}={factor}")?;
                }
                f.write_str(")")
            }
        }
    }
}
