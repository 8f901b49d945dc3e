//! Emax and sigmoid Emax models: `E(C) = E0 + Emax·C^h / (EC50^h + C^h)`.
//!
//! `C` is any non-negative exposure: a concentration or a metric such as AUC, Cavg,
//! Ctrough or Cmax (EC50 then has the metric's unit). With `h = 1` this is the ordinary
//! Emax model; `h` is the Hill coefficient.

use crate::{ParameterError, finite, positive};

/// A (sigmoid) Emax model.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Emax {
    /// Effect at zero exposure.
    pub e0: f64,
    /// Maximal effect (negative for a decrease).
    pub emax: f64,
    /// Exposure giving half the maximal effect (> 0).
    pub ec50: f64,
    /// Hill coefficient (> 0; 1 for the ordinary Emax model).
    pub hill: f64,
}

impl Emax {
    /// Checks the parameters.
    pub fn validate(&self) -> Result<(), ParameterError> {
        finite("Emax", "e0", self.e0)?;
        finite("Emax", "emax", self.emax)?;
        positive("Emax", "ec50", self.ec50)?;
        positive("Emax", "hill", self.hill)
    }

    /// The fraction of the maximal effect reached at exposure `c` (0 for `c <= 0`).
    pub fn fraction(&self, c: f64) -> f64 {
        if c <= 0.0 {
            return 0.0;
        }
        if self.hill == 1.0 {
            c / (self.ec50 + c)
        } else {
            // Written with the ratio to stay finite for large exposures and Hill coefficients.
            1.0 / (1.0 + (self.ec50 / c).powf(self.hill))
        }
    }

    /// The effect at exposure `c`.
    pub fn effect(&self, c: f64) -> f64 {
        self.e0 + self.emax * self.fraction(c)
    }

    /// The exposure that gives the fraction `f` (0 < f < 1) of the maximal effect: the
    /// inverse of [`Emax::fraction`] (`EC50·(f/(1−f))^(1/h)`).
    pub fn exposure_for_fraction(&self, f: f64) -> f64 {
        self.ec50 * (f / (1.0 - f)).powf(1.0 / self.hill)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn half_effect_at_ec50_for_any_hill() {
        for hill in [0.5, 1.0, 2.0, 5.0] {
            let m = Emax { e0: 3.0, emax: -10.0, ec50: 7.0, hill };
            assert!((m.effect(7.0) - (3.0 - 5.0)).abs() < 1e-12);
            assert_eq!(m.effect(0.0), 3.0);
            assert!((m.effect(1e24) - (3.0 - 10.0)).abs() < 1e-9);
        }
    }

    #[test]
    fn inverse_recovers_exposure() {
        let m = Emax { e0: 0.0, emax: 1.0, ec50: 4.0, hill: 2.5 };
        for c in [0.1, 1.0, 4.0, 30.0] {
            assert!((m.exposure_for_fraction(m.fraction(c)) - c).abs() < 1e-9 * c.max(1.0));
        }
    }

    #[test]
    fn ordinary_emax_matches_closed_form() {
        let m = Emax { e0: 1.0, emax: 2.0, ec50: 3.0, hill: 1.0 };
        assert!((m.effect(6.0) - (1.0 + 2.0 * 6.0 / 9.0)).abs() < 1e-15);
    }

    #[test]
    fn rejects_bad_parameters() {
        assert!(Emax { e0: 0.0, emax: 1.0, ec50: 0.0, hill: 1.0 }.validate().is_err());
        assert!(Emax { e0: 0.0, emax: 1.0, ec50: 1.0, hill: -1.0 }.validate().is_err());
        assert!(Emax { e0: f64::NAN, emax: 1.0, ec50: 1.0, hill: 1.0 }.validate().is_err());
    }
}
