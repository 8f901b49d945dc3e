//! Exposure metrics of one patient's concentration profile over a window, such as one
//! dosing interval at steady state.
//!
//! From samples `(tᵢ, Cᵢ)` (times non-decreasing) and a window `[start, end]`:
//!
//! - **Cmax**, **Tmax**: the largest concentration in the window and the first time it is
//!   reached; **Cmin**, **Tmin** likewise for the smallest;
//! - **Ctrough**: the concentration at the *end* of the window, i.e. just before the next
//!   dose when the window is a dosing interval (the pre-dose level of the next dose);
//! - **AUC**: the area under the profile over the window, by the linear trapezoid
//!   `Δt·(C₀ + C₁)/2`, or — the **default** — linear-up/log-down: the trapezoid while the
//!   concentration rises or stays level, and `Δt·(C₀ − C₁)/ln(C₀/C₁)` when it falls with
//!   both concentrations > 0. The log rule is exact for a mono-exponential decline; the
//!   trapezoid overestimates it by `O(Δt²)`. (PKNCA's default; Phoenix WinNonlin offers
//!   both as "linear up log down" and "linear trapezoidal".) [`AucMethod`] chooses.
//! - **Cavg** = AUC / (end − start).
//!
//! The window's ends need not be sample times: their concentrations are interpolated
//! between the neighbouring samples with the AUC method's rule (log-linear on a decline for
//! linear-up/log-down); nothing is extrapolated, so the window must lie within the sampled
//! times. A time sampled twice marks a jump (a bolus, with the pre-dose then the post-dose
//! concentration): the window's start takes the last value at that time and its end the
//! first, so a dosing interval starts after its dose and its trough is the pre-dose level.
//!
//! For models that carry the integral of the central amount in their state
//! ([`LinearPk::with_auc`](crate::LinearPk::with_auc)), [`auc_from_integral`] gives the exact
//! AUC over the window, and [`ExposureMetrics::with_exact_auc`] puts it in the metrics.
//!
//! Time above a threshold: [`time_above`] interpolates crossings linearly between samples,
//! so it is only as good as the sampling grid; [`time_above_exact`] evaluates the
//! concentration function itself, brackets the crossings on a grid and refines each with
//! Brent's method to about 1e-12 of the window's length. [`peak_exact`] refines Cmax and
//! Tmax the same way.

mod metrics;
mod profile;
mod roots;
mod threshold;

use thiserror::Error;

pub use metrics::{ExposureMetrics, auc_from_integral};
pub use profile::auc;
pub use threshold::{peak_exact, time_above, time_above_exact};

/// The time interval over which exposure is measured, `[start, end]` with `start < end`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Window {
    /// First time of the window (e.g. the time of a dose).
    pub start: f64,
    /// Last time of the window (e.g. just before the next dose).
    pub end: f64,
}

impl Window {
    /// The window `[start, end]`; an error unless both are finite and `start < end`.
    pub fn new(start: f64, end: f64) -> Result<Window, ExposureError> {
        let w = Window { start, end };
        w.check()?;
        Ok(w)
    }

    /// `end − start`.
    pub fn length(&self) -> f64 {
        self.end - self.start
    }

    /// `n + 1` equally spaced times from `start` to `end` (both exact): a grid of `n`
    /// intervals for [`time_above_exact`] and [`peak_exact`].
    pub fn grid(&self, n: usize) -> Vec<f64> {
        let n = n.max(1);
        (0..=n).map(|i| if i == n { self.end } else { self.start + self.length() * i as f64 / n as f64 }).collect()
    }

    fn check(&self) -> Result<(), ExposureError> {
        if self.start.is_finite() && self.end.is_finite() && self.start < self.end {
            Ok(())
        } else {
            Err(ExposureError::EmptyWindow { start: self.start, end: self.end })
        }
    }
}

/// How the AUC is computed from samples; see the module docs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum AucMethod {
    /// The linear trapezoid everywhere.
    Linear,
    /// The linear trapezoid while the concentration rises or stays level, the log
    /// trapezoid while it falls with both concentrations > 0 (the default).
    #[default]
    LinearUpLogDown,
}

/// Where an [`ExposureMetrics`]'s AUC (and so Cavg) came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AucSource {
    /// The samples, with this method.
    Profile(AucMethod),
    /// The model's integral of the amount ([`auc_from_integral`]): exact.
    Integral,
}

/// Why exposure metrics could not be computed.
#[derive(Debug, Clone, PartialEq, Error)]
pub enum ExposureError {
    /// The window is empty (`end ≤ start`) or not finite.
    #[error("window [{start}, {end}] is empty or not finite: it needs finite start < end")]
    EmptyWindow {
        /// Start of the window.
        start: f64,
        /// End of the window.
        end: f64,
    },
    /// Times and concentrations have different lengths.
    #[error("{times} times but {concentrations} concentrations: give one concentration per time")]
    LengthMismatch {
        /// Number of times.
        times: usize,
        /// Number of concentrations.
        concentrations: usize,
    },
    /// Times are not sorted.
    #[error("sample {index}: time {time} is before the previous sample's time {previous}; sort samples by time")]
    Unsorted {
        /// Zero-based index of the sample.
        index: usize,
        /// Its time.
        time: f64,
        /// The time before it.
        previous: f64,
    },
    /// A time, concentration or grid time is NaN or infinite.
    #[error("sample {index}: {what} {value} is not a finite number")]
    NonFinite {
        /// Zero-based index of the sample (or grid point).
        index: usize,
        /// "time", "concentration" or "grid time".
        what: &'static str,
        /// The value.
        value: f64,
    },
    /// The window is not inside the sampled times (nothing is extrapolated).
    #[error("window [{start}, {end}] is not within the sampled times [{first}, {last}]; sample both ends of the window")]
    OutsideProfile {
        /// Start of the window.
        start: f64,
        /// End of the window.
        end: f64,
        /// First sample time (NaN without samples).
        first: f64,
        /// Last sample time (NaN without samples).
        last: f64,
    },
    /// The threshold of a time above threshold is NaN or infinite.
    #[error("threshold {threshold} is not a finite number")]
    InvalidThreshold {
        /// The threshold.
        threshold: f64,
    },
    /// The volume that turns amounts into concentrations is not a finite number > 0.
    #[error("volume scale {volume_scale} is invalid: a finite number > 0 (concentration = amount / volume)")]
    InvalidVolume {
        /// The volume given.
        volume_scale: f64,
    },
    /// An integral of the amount is NaN or infinite.
    #[error("integral of the amount at the window's {which} is {value}, not a finite number")]
    NonFiniteIntegral {
        /// "start" or "end".
        which: &'static str,
        /// The value.
        value: f64,
    },
    /// The concentration function returned NaN or an infinity.
    #[error("the concentration function is {value} at time {time}: not a finite number")]
    NonFiniteFunction {
        /// Where it was evaluated.
        time: f64,
        /// What it returned.
        value: f64,
    },
}
