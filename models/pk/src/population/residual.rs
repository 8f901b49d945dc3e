//! Residual (intra-individual) error models, as written in NONMEM's `$ERROR` with
//! `$SIGMA` variances.
//!
//! `F` is the individual prediction (IPRED) and `ε` a standard normal draw; each model
//! scales it to its own variance:
//!
//! | model          | NONMEM `$ERROR`              | here, `Y = apply(F, ε)`            | `Var(Y)` = `variance(F)`          |
//! |----------------|------------------------------|------------------------------------|-----------------------------------|
//! | none           | `Y = F`                      | `F`                                | 0                                 |
//! | additive       | `Y = F + EPS(1)`             | `F + sd·ε`                         | `sd²`                             |
//! | proportional   | `Y = F + F·EPS(1)`           | `F·(1 + cv·ε)`                     | `(cv·F)²`                         |
//! | combined       | `Y = F + F·EPS(1) + EPS(2)`  | `F + √((cv·F)² + sd²)·ε`           | `(cv·F)² + sd²`                   |
//! | exponential    | `Y = F·EXP(EPS(1))`          | `F·exp(sd·ε)`                      | `F²·e^{sd²}·(e^{sd²} − 1)`        |
//!
//! The combined model takes a single draw: the sum of the two independent normal terms
//! `F·ε₁ (ε₁ ~ N(0, cv²))` and `ε₂ ~ N(0, sd²)` is itself normal with variance
//! `(cv·F)² + sd²`, so one standard normal scaled by its square root has exactly NONMEM's
//! distribution. For the exponential model `sd` is the SD of ε on the log scale; the
//! variance above is the exact log-normal one (NONMEM's first-order linearisation gives
//! `(sd·F)²`), and the mean of `Y` is `F·e^{sd²/2}`, not `F`. The additive, proportional and
//! combined models can give negative observations; nothing is truncated here (apply a
//! BLQ rule downstream).

use crate::PkError;

/// A residual error model; see the module docs for the formulas.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub enum ResidualError {
    /// No residual error: `Y = F`.
    #[default]
    None,
    /// `Y = F + sd·ε`.
    Additive {
        /// Standard deviation, in concentration units.
        sd: f64,
    },
    /// `Y = F·(1 + cv·ε)`.
    Proportional {
        /// Coefficient of variation (0.15 = 15 %).
        cv: f64,
    },
    /// NONMEM's `Y = F + F·ε₁ + ε₂`, drawn as `F + √((cv·F)² + sd²)·ε`.
    Combined {
        /// SD of the additive part, in concentration units.
        additive_sd: f64,
        /// Coefficient of variation of the proportional part.
        proportional_cv: f64,
    },
    /// `Y = F·exp(sd·ε)`.
    Exponential {
        /// SD of the error on the log scale.
        sd: f64,
    },
}

impl ResidualError {
    /// Checks that every SD and CV is a finite number ≥ 0 ([`PkError::InvalidParameter`]
    /// naming it otherwise).
    pub fn validate(&self) -> Result<(), PkError> {
        let check = |name: &str, value: f64| {
            if value.is_finite() && value >= 0.0 {
                Ok(())
            } else {
                Err(PkError::InvalidParameter {
                    name: format!("residual error {name}"),
                    value,
                    expected: "a finite number >= 0",
                })
            }
        };
        match *self {
            ResidualError::None => Ok(()),
            ResidualError::Additive { sd } => check("additive sd", sd),
            ResidualError::Proportional { cv } => check("proportional cv", cv),
            ResidualError::Combined { additive_sd, proportional_cv } => {
                check("additive sd", additive_sd)?;
                check("proportional cv", proportional_cv)
            }
            ResidualError::Exponential { sd } => check("exponential sd", sd),
        }
    }

    /// The observation `Y` for prediction `ipred` and a standard normal draw `eps`.
    pub fn apply(&self, ipred: f64, eps: f64) -> f64 {
        match *self {
            ResidualError::None => ipred,
            ResidualError::Additive { sd } => ipred + sd * eps,
            ResidualError::Proportional { cv } => ipred * (1.0 + cv * eps),
            ResidualError::Combined { .. } => ipred + self.variance(ipred).sqrt() * eps,
            ResidualError::Exponential { sd } => ipred * (sd * eps).exp(),
        }
    }

    /// `Var(Y | F = ipred)`, exact for every model (log-normal for the exponential one).
    pub fn variance(&self, ipred: f64) -> f64 {
        match *self {
            ResidualError::None => 0.0,
            ResidualError::Additive { sd } => sd * sd,
            ResidualError::Proportional { cv } => (cv * ipred).powi(2),
            ResidualError::Combined { additive_sd, proportional_cv } => {
                (proportional_cv * ipred).powi(2) + additive_sd * additive_sd
            }
            ResidualError::Exponential { sd } => {
                let s2 = sd * sd;
                ipred * ipred * s2.exp() * s2.exp_m1()
            }
        }
    }

    /// `√variance(ipred)`: NONMEM's `W`, the SD of `Y` at this prediction.
    pub fn sd(&self, ipred: f64) -> f64 {
        self.variance(ipred).sqrt()
    }
}
