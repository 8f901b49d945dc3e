//! Individual parameters: a typical value, covariate factors and a random effect.
//!
//! With `θ` the typical value, `Π f` the product of the covariate factors
//! ([`CovariateEffect::factor`]) and `η` the parameter's ETA, the typical value of the
//! patient is `TV = θ · Π f`, and
//!
//! | [`Variability`] | individual value                          | NONMEM `$PK`                        | use                         |
//! |-----------------|-------------------------------------------|-------------------------------------|-----------------------------|
//! | `LogNormal`     | `TV · exp(η)`                             | `CL = TVCL*EXP(ETA(1))`             | CL, V, KA (positive)        |
//! | `Normal`        | `TV + η`                                  | `E0 = TVE0 + ETA(2)`                | baselines, signed effects   |
//! | `Logit`         | `1 / (1 + exp(−(logit(TV) + η)))`         | `F1 = 1/(1+EXP(-(LOGIT+ETA(3))))`   | fractions: F, Emax fraction |
//!
//! with `logit(p) = ln(p / (1 − p))`. A parameter without an ETA is its typical value.
//! A logit parameter's typical value must lie in [0, 1] (0 and 1 stay 0 and 1).

use thiserror::Error;

use super::covariate::{CovariateEffect, CovariateError};

/// How the random effect enters an individual parameter; see the module docs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Variability {
    /// `θ · Π f · exp(η)`: the usual log-normal inter-individual variability.
    #[default]
    LogNormal,
    /// `θ · Π f + η`: additive, normal variability.
    Normal,
    /// `inv_logit(logit(θ · Π f) + η)`: for fractions such as a bioavailability F.
    Logit,
}

/// A parameter of the model for one patient: typical value, covariate effects and ETA.
#[derive(Debug, Clone, PartialEq)]
pub struct IndividualParameter {
    /// The typical value θ, at the reference covariate values.
    pub typical: f64,
    /// `(covariate name, effect)` pairs; their factors multiply θ.
    pub covariates: Vec<(String, CovariateEffect)>,
    /// Index of the parameter's ETA in the ETA vector ([`Omega::index_of`](super::Omega::index_of)),
    /// `None` for a parameter without variability.
    pub eta: Option<usize>,
    /// How the ETA enters.
    pub kind: Variability,
}

/// Why an individual parameter could not be computed.
#[derive(Debug, Clone, PartialEq, Error)]
pub enum ParameterError {
    /// The patient has no value for a covariate the parameter uses.
    #[error("covariate {covariate} has no value for this patient")]
    MissingCovariate {
        /// The covariate's name.
        covariate: String,
    },
    /// A covariate model could not give a factor for the patient's value.
    #[error("covariate {covariate}: {source}")]
    Covariate {
        /// The covariate's name.
        covariate: String,
        /// Why.
        source: CovariateError,
    },
    /// The parameter's ETA index is beyond the ETA vector given.
    #[error("ETA index {index} is out of range: {n_etas} ETAs were given")]
    EtaOutOfRange {
        /// The parameter's ETA index.
        index: usize,
        /// Length of the ETA vector.
        n_etas: usize,
    },
    /// A logit parameter whose typical value is not a fraction.
    #[error("typical value × covariate factors = {typical_value} is outside [0, 1], but a logit parameter is a fraction")]
    NotAFraction {
        /// θ · Π f.
        typical_value: f64,
    },
    /// The result (or θ, or η) is NaN or infinite.
    #[error("the individual value is {value}, not a finite number (typical value × covariate factors {typical_value}, ETA {eta})")]
    NotFinite {
        /// The individual value.
        value: f64,
        /// θ · Π f.
        typical_value: f64,
        /// The ETA applied (0 without one).
        eta: f64,
    },
}

impl IndividualParameter {
    /// A parameter without covariates or variability.
    pub fn fixed(typical: f64) -> Self {
        IndividualParameter { typical, covariates: Vec::new(), eta: None, kind: Variability::LogNormal }
    }

    /// The patient's typical value `θ · Π f` (no ETA); `covariate_values(name)` gives the
    /// patient's value of a covariate, `None` when missing.
    pub fn typical_value(&self, covariate_values: impl Fn(&str) -> Option<f64>) -> Result<f64, ParameterError> {
        let mut tv = self.typical;
        for (name, effect) in &self.covariates {
            let x = covariate_values(name).ok_or_else(|| ParameterError::MissingCovariate { covariate: name.clone() })?;
            tv *= effect.factor(x).map_err(|source| ParameterError::Covariate { covariate: name.clone(), source })?;
        }
        Ok(tv)
    }

    /// The individual value (see the module docs) for a patient's covariates and ETA
    /// vector `etas`.
    pub fn value(&self, covariate_values: impl Fn(&str) -> Option<f64>, etas: &[f64]) -> Result<f64, ParameterError> {
        let tv = self.typical_value(covariate_values)?;
        let eta = match self.eta {
            Some(index) => *etas.get(index).ok_or(ParameterError::EtaOutOfRange { index, n_etas: etas.len() })?,
            None => 0.0,
        };
        let value = match self.kind {
            Variability::LogNormal => tv * eta.exp(),
            Variability::Normal => tv + eta,
            Variability::Logit => {
                if !(0.0..=1.0).contains(&tv) {
                    return Err(ParameterError::NotAFraction { typical_value: tv });
                }
                if tv == 0.0 || tv == 1.0 || self.eta.is_none() { tv } else { inv_logit(logit(tv) + eta) }
            }
        };
        if value.is_finite() && eta.is_finite() {
            Ok(value)
        } else {
            Err(ParameterError::NotFinite { value, typical_value: tv, eta })
        }
    }
}

/// `ln(p / (1 − p))`, accurate near 0 and 1.
fn logit(p: f64) -> f64 {
    p.ln() - (-p).ln_1p()
}

/// `1 / (1 + e^{−x})`, without overflow.
fn inv_logit(x: f64) -> f64 {
    if x >= 0.0 {
        1.0 / (1.0 + (-x).exp())
    } else {
        let e = x.exp();
        e / (1.0 + e)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn logit_round_trips() {
        for p in [1e-12, 0.1, 0.5, 0.9, 1.0 - 1e-9] {
            assert!((inv_logit(logit(p)) - p).abs() <= 64.0 * f64::EPSILON * p, "{p}");
        }
    }
}
