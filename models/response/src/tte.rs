//! Time to event: an exponential or Weibull baseline hazard with a proportional-hazards
//! effect, sampled exactly by inverting the survival function.
//!
//! ```text
//! h(t) = HR · (k/λ)·(t/λ)^(k−1)        S(t) = exp(−HR·(t/λ)^k)
//! T    = λ·(−ln U / HR)^(1/k),  U ~ Uniform(0, 1)
//! ```
//!
//! λ is the scale (time), k the shape (k = 1: exponential with rate 1/λ; the median is
//! then λ·ln 2). The hazard ratio HR = exp(β) comes from the treatment or from exposure.
//! [`first_event_piecewise`] samples the first event under a piecewise-constant hazard
//! (adverse events whose rate changes between visits; constant-hazard dropout).

use crate::{ParameterError, positive};

/// A Weibull baseline hazard (shape 1: exponential).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Weibull {
    /// Scale λ (time unit of the result).
    pub scale: f64,
    /// Shape k.
    pub shape: f64,
}

impl Weibull {
    /// The exponential hazard with this median: λ = median / ln 2.
    pub fn exponential_with_median(median: f64) -> Weibull {
        Weibull { scale: median / std::f64::consts::LN_2, shape: 1.0 }
    }

    /// A Weibull hazard with this median and shape: λ = median / (ln 2)^(1/k).
    pub fn with_median(median: f64, shape: f64) -> Weibull {
        Weibull { scale: median / std::f64::consts::LN_2.powf(1.0 / shape), shape }
    }

    /// Checks the parameters.
    pub fn validate(&self) -> Result<(), ParameterError> {
        positive("Weibull hazard", "scale", self.scale)?;
        positive("Weibull hazard", "shape", self.shape)
    }

    /// Survival S(t) under hazard ratio `hr`.
    pub fn survival(&self, t: f64, hr: f64) -> f64 {
        if t <= 0.0 {
            return 1.0;
        }
        (-hr * (t / self.scale).powf(self.shape)).exp()
    }

    /// Hazard h(t) under hazard ratio `hr`.
    pub fn hazard(&self, t: f64, hr: f64) -> f64 {
        hr * self.shape / self.scale * (t / self.scale).powf(self.shape - 1.0)
    }

    /// The event time for a uniform draw `u` in (0, 1]: S(T) = u. `hr = 0` gives infinity.
    pub fn sample(&self, u: f64, hr: f64) -> f64 {
        let u = u.max(f64::MIN_POSITIVE);
        if hr <= 0.0 {
            return f64::INFINITY;
        }
        self.scale * (-u.ln() / hr).powf(1.0 / self.shape)
    }
}

/// One interval of a piecewise-constant hazard: `[start, end)` with hazard `rate`
/// (events per time unit).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Piece {
    /// Start of the interval.
    pub start: f64,
    /// End of the interval.
    pub end: f64,
    /// Constant hazard in it.
    pub rate: f64,
}

/// The time of the first event under a piecewise-constant hazard, for a uniform draw `u`
/// in (0, 1] (the cumulative hazard reaches −ln u); `None` when it happens after the last
/// piece. Pieces must be contiguous and in order.
pub fn first_event_piecewise(pieces: &[Piece], u: f64) -> Option<f64> {
    let mut target = -u.max(f64::MIN_POSITIVE).ln();
    for p in pieces {
        let width = p.end - p.start;
        let mass = p.rate * width;
        if p.rate > 0.0 && mass >= target {
            return Some(p.start + target / p.rate);
        }
        target -= mass.max(0.0);
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::{Rng, SeedableRng};
    use rand_chacha::ChaCha8Rng;

    /// The empirical survival of sampled times matches S(t) (Kolmogorov distance), for the
    /// exponential and Weibull shapes and a hazard ratio.
    #[test]
    fn sampled_times_follow_the_survival_function() {
        let mut rng = ChaCha8Rng::seed_from_u64(7);
        for (shape, hr) in [(1.0, 1.0), (1.5, 0.7), (0.6, 2.0)] {
            let w = Weibull::with_median(365.0, shape);
            let n = 20_000;
            let mut times: Vec<f64> = (0..n).map(|_| w.sample(1.0 - rng.random::<f64>(), hr)).collect();
            times.sort_by(f64::total_cmp);
            let d = times
                .iter()
                .enumerate()
                .map(|(i, &t)| {
                    let f = 1.0 - w.survival(t, hr);
                    (f - i as f64 / n as f64).abs().max((f - (i + 1) as f64 / n as f64).abs())
                })
                .fold(0.0, f64::max);
            // The 0.999 quantile of the Kolmogorov statistic is about 1.95/sqrt(n).
            assert!(d < 1.95 / (n as f64).sqrt(), "shape {shape}, hr {hr}: D = {d}");
        }
    }

    #[test]
    fn median_is_the_median() {
        let w = Weibull::with_median(100.0, 2.0);
        assert!((w.survival(100.0, 1.0) - 0.5).abs() < 1e-12);
        assert!((w.sample(0.5, 1.0) - 100.0).abs() < 1e-9);
        let e = Weibull::exponential_with_median(10.0);
        assert!((e.hazard(3.0, 1.0) - std::f64::consts::LN_2 / 10.0).abs() < 1e-15);
    }

    #[test]
    fn hazard_integrates_to_cumulative_hazard() {
        // −ln S(t) = ∫ h: check by the trapezoidal rule on a fine grid (shape > 1: h(0) = 0).
        let w = Weibull { scale: 50.0, shape: 1.7 };
        let (t, n) = (80.0, 100_000);
        let dt = t / n as f64;
        let integral: f64 = (0..n).map(|i| 0.5 * dt * (w.hazard(i as f64 * dt, 0.8) + w.hazard((i + 1) as f64 * dt, 0.8))).sum();
        assert!((integral + w.survival(t, 0.8).ln()).abs() < 1e-6);
    }

    #[test]
    fn piecewise_matches_exponential_and_accumulates() {
        let pieces = [Piece { start: 0.0, end: 10.0, rate: 0.1 }, Piece { start: 10.0, end: 20.0, rate: 0.1 }];
        let u: f64 = 0.3;
        let t = first_event_piecewise(&pieces, u).unwrap();
        assert!((t - (-u.ln() / 0.1)).abs() < 1e-12);
        // Rate zero then a jump: the whole mass comes from the second piece.
        let pieces = [Piece { start: 0.0, end: 5.0, rate: 0.0 }, Piece { start: 5.0, end: 15.0, rate: 1.0 }];
        assert!((first_event_piecewise(&pieces, (-2.0f64).exp()).unwrap() - 7.0).abs() < 1e-12);
        assert_eq!(first_event_piecewise(&pieces, 1e-9), None);
    }
}
