//! The per-patient exposure summary, and the exact AUC from a model's integrator.

use super::profile::{clip, segment_auc};
use super::{AucMethod, AucSource, ExposureError, Window};

/// Exposure of one patient over one window; see the module docs for each definition.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ExposureMetrics {
    /// The window the metrics describe.
    pub window: Window,
    /// Largest concentration in the window.
    pub cmax: f64,
    /// First time at which `cmax` is reached.
    pub tmax: f64,
    /// Smallest concentration in the window.
    pub cmin: f64,
    /// First time at which `cmin` is reached.
    pub tmin: f64,
    /// Concentration at the end of the window (before the next dose).
    pub ctrough: f64,
    /// Area under the concentration curve over the window.
    pub auc: f64,
    /// How `auc` was obtained.
    pub auc_source: AucSource,
    /// Average concentration, `auc / (end − start)`.
    pub cavg: f64,
}

impl ExposureMetrics {
    /// Metrics of a sampled profile (times non-decreasing) over `window`, with the default
    /// AUC method (linear-up/log-down).
    ///
    /// Errors: an empty or non-finite window, lengths that differ, a time or concentration
    /// that is not finite, unsorted times, a window not within the sampled times.
    pub fn from_profile(times: &[f64], conc: &[f64], window: Window) -> Result<ExposureMetrics, ExposureError> {
        Self::from_profile_with(times, conc, window, AucMethod::default())
    }

    /// Like [`ExposureMetrics::from_profile`] with a chosen AUC method (which also sets how
    /// the window's ends are interpolated).
    pub fn from_profile_with(
        times: &[f64],
        conc: &[f64],
        window: Window,
        method: AucMethod,
    ) -> Result<ExposureMetrics, ExposureError> {
        let clipped = clip(times, conc, window, method)?;
        let (mut tmax, mut cmax) = (f64::NAN, f64::NEG_INFINITY);
        let (mut tmin, mut cmin) = (f64::NAN, f64::INFINITY);
        for (t, c) in clipped.points() {
            if c > cmax {
                (tmax, cmax) = (t, c);
            }
            if c < cmin {
                (tmin, cmin) = (t, c);
            }
        }
        let auc: f64 = clipped.segments().map(|(a, b)| segment_auc(a, b, method)).sum();
        Ok(ExposureMetrics {
            window,
            cmax,
            tmax,
            cmin,
            tmin,
            ctrough: clipped.last().1,
            auc,
            auc_source: AucSource::Profile(method),
            cavg: auc / window.length(),
        })
    }

    /// The same metrics with `auc` (and `cavg`) replaced by an exact AUC, e.g. from
    /// [`auc_from_integral`].
    pub fn with_exact_auc(self, auc: f64) -> ExposureMetrics {
        ExposureMetrics { auc, cavg: auc / self.window.length(), auc_source: AucSource::Integral, ..self }
    }
}

/// The exact AUC over a window from a model that integrates the amount in its state
/// ([`LinearPk::with_auc`](crate::LinearPk::with_auc)): `(I(end) − I(start)) / volume_scale`,
/// where `I` is the integral of the amount and `volume_scale` the volume that turns the
/// amount into a concentration (`C = A / V`).
///
/// Exact up to rounding: the relative error is about `ε · I(end) / (I(end) − I(start))`,
/// which grows when the integral has accumulated over many earlier windows.
pub fn auc_from_integral(integral_at_start: f64, integral_at_end: f64, volume_scale: f64) -> Result<f64, ExposureError> {
    if !(volume_scale.is_finite() && volume_scale > 0.0) {
        return Err(ExposureError::InvalidVolume { volume_scale });
    }
    if !integral_at_start.is_finite() {
        return Err(ExposureError::NonFiniteIntegral { which: "start", value: integral_at_start });
    }
    if !integral_at_end.is_finite() {
        return Err(ExposureError::NonFiniteIntegral { which: "end", value: integral_at_end });
    }
    Ok((integral_at_end - integral_at_start) / volume_scale)
}
