//! Adverse events driven by Cmax: a hazard that rises with the peak concentration,
//!
//! ```text
//! h(Cmax) = h0 + hmax · Cmax^γ / (C50^γ + Cmax^γ)     (events per time unit)
//! ```
//!
//! The engine evaluates it on each interval between visits with the Cmax reached in that
//! interval, and samples the first event with [`crate::tte::first_event_piecewise`].

use crate::emax::Emax;
use crate::{ParameterError, positive};

/// An exposure-driven adverse-event hazard.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct AeHazard {
    /// Background hazard without drug (per time unit).
    pub background: f64,
    /// Maximal extra hazard from the drug (per time unit).
    pub max: f64,
    /// Cmax of half the maximal extra hazard.
    pub c50: f64,
    /// Steepness γ.
    pub hill: f64,
}

impl AeHazard {
    /// Checks the parameters.
    pub fn validate(&self) -> Result<(), ParameterError> {
        if !(self.background >= 0.0 && self.background.is_finite()) {
            return Err(ParameterError { model: "adverse events", parameter: "background", value: self.background, requirement: "must be a finite number >= 0" });
        }
        if !(self.max >= 0.0 && self.max.is_finite()) {
            return Err(ParameterError { model: "adverse events", parameter: "max", value: self.max, requirement: "must be a finite number >= 0" });
        }
        positive("adverse events", "c50", self.c50)?;
        positive("adverse events", "hill", self.hill)
    }

    /// The hazard at peak concentration `cmax`.
    pub fn rate(&self, cmax: f64) -> f64 {
        self.background + Emax { e0: 0.0, emax: self.max, ec50: self.c50, hill: self.hill }.effect(cmax)
    }

    /// The probability of at least one event over `duration` at constant `cmax`.
    pub fn probability(&self, cmax: f64, duration: f64) -> f64 {
        1.0 - (-self.rate(cmax) * duration).exp()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hazard_rises_with_cmax_to_background_plus_max() {
        let ae = AeHazard { background: 0.001, max: 0.02, c50: 3.0, hill: 2.0 };
        ae.validate().unwrap();
        assert_eq!(ae.rate(0.0), 0.001);
        assert!((ae.rate(3.0) - 0.011).abs() < 1e-15);
        assert!(ae.rate(1e9) <= 0.021 + 1e-12);
        assert!(ae.rate(2.0) < ae.rate(4.0));
        assert!((ae.probability(3.0, 100.0) - (1.0 - (-1.1f64).exp())).abs() < 1e-12);
    }
}
