//! Response and safety models of a virtual trial: pure functions of exposure and time, no
//! I/O, no ECS. The trial engine (`vtrial-sim`) decides when to call them.
//!
//! - [`emax`]: Emax and sigmoid Emax (Hill) on an exposure metric or a concentration;
//! - [`turnover`]: indirect-response (turnover) models I–IV driven by a concentration profile;
//! - [`course`]: placebo response and disease progression over time;
//! - [`binary`]: responders (logistic model or threshold on a continuous endpoint);
//! - [`tte`]: time to event with an exponential or Weibull baseline hazard and a
//!   proportional-hazards effect, sampled exactly by inversion of the survival function;
//! - [`safety`]: adverse events whose probability rises with Cmax.
//!
//! Every model ships with a reference solution in its tests (closed forms, the survival
//! function, brute-force integration).
//!
//! ```
//! use vtrial_response::emax::Emax;
//! let pd = Emax { e0: 0.0, emax: -12.0, ec50: 40.0, hill: 1.0 };
//! assert_eq!(pd.effect(40.0), -6.0);
//! ```

pub mod binary;
pub mod course;
pub mod emax;
pub mod safety;
pub mod tte;
pub mod turnover;

use thiserror::Error;

/// A model parameter out of its domain, named with its value.
#[derive(Debug, Clone, PartialEq, Error)]
#[error("{model}: parameter {parameter} = {value} {requirement}")]
pub struct ParameterError {
    /// The model (e.g. "sigmoid Emax").
    pub model: &'static str,
    /// The parameter name.
    pub parameter: &'static str,
    /// Its value.
    pub value: f64,
    /// What it must be ("must be > 0").
    pub requirement: &'static str,
}

/// Checks `value > 0` (and finite).
pub(crate) fn positive(model: &'static str, parameter: &'static str, value: f64) -> Result<(), ParameterError> {
    if value > 0.0 && value.is_finite() {
        Ok(())
    } else {
        Err(ParameterError { model, parameter, value, requirement: "must be a finite number > 0" })
    }
}

/// Checks that `value` is finite.
pub(crate) fn finite(model: &'static str, parameter: &'static str, value: f64) -> Result<(), ParameterError> {
    if value.is_finite() {
        Ok(())
    } else {
        Err(ParameterError { model, parameter, value, requirement: "must be a finite number" })
    }
}
