//! Binary responders: a logistic model on a linear predictor, or a threshold on a
//! continuous endpoint.

/// The logistic function 1/(1 + e^(−x)), computed without overflow.
pub fn logistic(x: f64) -> f64 {
    if x >= 0.0 {
        1.0 / (1.0 + (-x).exp())
    } else {
        let e = x.exp();
        e / (1.0 + e)
    }
}

/// The logit ln(p/(1−p)).
pub fn logit(p: f64) -> f64 {
    (p / (1.0 - p)).ln()
}

/// Whether a continuous outcome is a response.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Threshold {
    /// The cut-off.
    pub value: f64,
    /// True: a response is a value at or below the cut-off (a reduction); false: at or above.
    pub below: bool,
}

impl Threshold {
    /// Whether `x` is a response (a missing value, NaN, is not).
    pub fn responds(&self, x: f64) -> bool {
        if self.below { x <= self.value } else { x >= self.value }
    }
}

/// Draws a responder with probability `p` from a uniform `u` in [0, 1).
pub fn draw(p: f64, u: f64) -> bool {
    u < p
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn logistic_inverts_logit() {
        for p in [1e-6, 0.1, 0.5, 0.9, 0.999] {
            assert!((logistic(logit(p)) - p).abs() < 1e-12);
        }
        assert_eq!(logistic(-800.0), 0.0);
        assert_eq!(logistic(800.0), 1.0);
    }

    #[test]
    fn threshold_directions_and_missing() {
        let t = Threshold { value: -10.0, below: true };
        assert!(t.responds(-12.0) && t.responds(-10.0) && !t.responds(-9.0) && !t.responds(f64::NAN));
        let t = Threshold { value: 50.0, below: false };
        assert!(t.responds(50.0) && !t.responds(49.0));
    }
}
