//! Therapeutic drug monitoring (TDM): a trough measured on given days changes later doses.
//!
//! On each monitoring day the concentration just before that day's doses is measured with the
//! `[drug.pk]` residual error. If it falls outside the target window, every later dose is
//! multiplied by `midpoint / measured` — the proportional rule, exact for linear PK at steady
//! state — limited to `[1/max_change, max_change]`, then rounded and capped (the rule's
//! `round_mg`/`max_mg`, else the regimen's maintenance phase's `round`/`max`). Rounding or
//! the cap never moves a dose against the factor: a dose that would is left as it was. A
//! trough inside the window leaves the doses as they are.

/// An arm's monitoring rule (`[arms.tdm]`).
#[derive(Debug, Clone, PartialEq)]
pub struct Tdm {
    /// Sampling times, hours from the first dose (increasing).
    pub times_h: Vec<f64>,
    /// Target window of the trough, mg/L.
    pub low: f64,
    /// Upper end of the window, mg/L.
    pub high: f64,
    /// Largest factor by which one sample may change the dose (≥ 1; its inverse is the
    /// smallest).
    pub max_change: f64,
    /// Adjusted doses are rounded to the nearest multiple of this (mg; at least one).
    pub round_mg: Option<f64>,
    /// Adjusted doses are capped at this (mg), after rounding.
    pub max_mg: Option<f64>,
}

impl Tdm {
    /// The factor a measured trough (mg/L) calls for: `None` inside the window.
    pub fn factor(&self, measured: f64) -> Option<f64> {
        if (self.low..=self.high).contains(&measured) {
            return None;
        }
        let target = 0.5 * (self.low + self.high);
        // A measured value at or below 0 (additive residual error) calls for the largest rise.
        let raw = if measured > 0.0 { target / measured } else { f64::INFINITY };
        Some(raw.clamp(1.0 / self.max_change, self.max_change))
    }

    /// A dose (mg) multiplied by `factor`, then rounded to `round_mg` and capped at `max_mg`
    /// (the caller's defaults for the rule's own); the old dose if that would move it against
    /// the factor.
    pub fn adjusted(&self, dose_mg: f64, factor: f64, round_mg: Option<f64>, max_mg: Option<f64>) -> f64 {
        let dose = crate::regimen::round_and_cap(dose_mg * factor, round_mg, max_mg);
        let wrong_way = (factor > 1.0 && dose < dose_mg) || (factor < 1.0 && dose > dose_mg);
        if wrong_way { dose_mg } else { dose }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rule() -> Tdm {
        Tdm { times_h: vec![72.0], low: 10.0, high: 20.0, max_change: 2.0, round_mg: Some(250.0), max_mg: Some(2000.0) }
    }

    #[test]
    fn a_trough_in_the_window_changes_nothing() {
        assert_eq!(rule().factor(10.0), None);
        assert_eq!(rule().factor(15.3), None);
        assert_eq!(rule().factor(20.0), None);
    }

    #[test]
    fn a_trough_outside_the_window_scales_the_dose_towards_its_midpoint() {
        // 7.5 mg/L against a midpoint of 15: double the dose.
        assert_eq!(rule().factor(7.5), Some(2.0));
        // 30 mg/L: halve it; 100 mg/L would call for 0.15, limited to 0.5.
        assert_eq!(rule().factor(30.0), Some(0.5));
        assert_eq!(rule().factor(100.0), Some(0.5));
        assert_eq!(rule().factor(1.0), Some(2.0));
        assert_eq!(rule().factor(-0.3), Some(2.0));
        let r = Tdm { max_change: 4.0, ..rule() };
        assert!((r.factor(25.0).unwrap() - 0.6).abs() < 1e-12);
    }

    #[test]
    fn adjusted_doses_are_rounded_then_capped() {
        let (r, round, max) = (rule(), Some(250.0), Some(2000.0));
        // 1000 mg × 1.3 = 1300 → 1250 (nearest 250).
        assert_eq!(r.adjusted(1000.0, 1.3, round, max), 1250.0);
        // 1500 × 2 = 3000 → capped at 2000.
        assert_eq!(r.adjusted(1500.0, 2.0, round, max), 2000.0);
        // 500 × 0.5 = 250.
        assert_eq!(r.adjusted(500.0, 0.5, round, max), 250.0);
        assert!((r.adjusted(1000.0, 1.3, None, None) - 1300.0).abs() < 1e-9);
    }

    #[test]
    fn rounding_or_the_cap_never_moves_a_dose_against_the_factor() {
        let r = rule();
        // 200 × 0.8 = 160 → one step of 250 would be a rise after a high trough: kept at 200.
        assert_eq!(r.adjusted(200.0, 0.8, Some(250.0), None), 200.0);
        // 100 × 2 = 200, capped at 50 would be a cut after a low trough: kept at 100.
        assert_eq!(r.adjusted(100.0, 2.0, None, Some(50.0)), 100.0);
        // 1000 × 1.1 = 1100 → 1000 (nearest 250): no change, not a cut.
        assert_eq!(r.adjusted(1000.0, 1.1, Some(250.0), None), 1000.0);
    }
}
