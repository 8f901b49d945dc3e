//! The course of the response without drug: placebo response and disease progression.
//!
//! ```text
//! placebo(t)     = Pmax·(1 − 2^(−t/t½))          onset with half-life t½ (t½ = 0: immediate)
//! progression(t) = slope·t                        linear natural history
//! ```

/// Placebo response: rises from 0 to `max` with half-life `half_life` (same time unit as t).
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct Placebo {
    /// Asymptotic placebo effect (response units).
    pub max: f64,
    /// Half-life of onset (0: immediate).
    pub half_life: f64,
}

impl Placebo {
    /// The placebo effect at time `t` after the start of treatment (0 before).
    pub fn at(&self, t: f64) -> f64 {
        onset(self.max, self.half_life, t)
    }
}

/// `max·(1 − 2^(−t/t½))` for `t > 0`; `max` when `t½ = 0`; 0 for `t <= 0`.
pub fn onset(max: f64, half_life: f64, t: f64) -> f64 {
    if t <= 0.0 {
        0.0
    } else if half_life <= 0.0 {
        max
    } else {
        max * (1.0 - (-std::f64::consts::LN_2 * t / half_life).exp())
    }
}

/// Linear disease progression: the untreated response changes by `slope` per time unit.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct Progression {
    /// Change per time unit.
    pub slope: f64,
}

impl Progression {
    /// The change due to progression at time `t`.
    pub fn at(&self, t: f64) -> f64 {
        self.slope * t.max(0.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn placebo_reaches_half_at_half_life() {
        let p = Placebo { max: -4.0, half_life: 14.0 };
        assert!((p.at(14.0) + 2.0).abs() < 1e-12);
        assert!((p.at(28.0) + 3.0).abs() < 1e-12);
        assert_eq!(p.at(0.0), 0.0);
        assert_eq!(Placebo { max: -4.0, half_life: 0.0 }.at(1.0), -4.0);
    }

    #[test]
    fn progression_is_linear() {
        let p = Progression { slope: 0.5 };
        assert_eq!(p.at(10.0), 5.0);
        assert_eq!(p.at(-1.0), 0.0);
    }
}
