//! A sampled profile restricted to a window, and its AUC.

use super::{AucMethod, ExposureError, Window};

/// Checks lengths, finiteness and order of a profile.
pub(super) fn check_profile(times: &[f64], conc: &[f64]) -> Result<(), ExposureError> {
    if times.len() != conc.len() {
        return Err(ExposureError::LengthMismatch { times: times.len(), concentrations: conc.len() });
    }
    for (index, (&t, &c)) in times.iter().zip(conc).enumerate() {
        if !t.is_finite() {
            return Err(ExposureError::NonFinite { index, what: "time", value: t });
        }
        if !c.is_finite() {
            return Err(ExposureError::NonFinite { index, what: "concentration", value: c });
        }
        if index > 0 && t < times[index - 1] {
            return Err(ExposureError::Unsorted { index, time: t, previous: times[index - 1] });
        }
    }
    Ok(())
}

/// The profile over a window: its two (possibly interpolated) ends and the samples
/// strictly inside.
#[derive(Debug, Clone, Copy)]
pub(super) struct Clipped<'a> {
    first: (f64, f64),
    inner_times: &'a [f64],
    inner_conc: &'a [f64],
    last: (f64, f64),
}

impl Clipped<'_> {
    /// The points `(t, C)` of the profile in the window, in time order.
    pub(super) fn points(&self) -> impl Iterator<Item = (f64, f64)> + '_ {
        std::iter::once(self.first)
            .chain(self.inner_times.iter().copied().zip(self.inner_conc.iter().copied()))
            .chain(std::iter::once(self.last))
    }

    /// Consecutive pairs of points: the segments of the profile.
    pub(super) fn segments(&self) -> impl Iterator<Item = ((f64, f64), (f64, f64))> + '_ {
        self.points().zip(self.points().skip(1))
    }

    /// The value at the window's end.
    pub(super) fn last(&self) -> (f64, f64) {
        self.last
    }
}

/// Restricts a checked-or-not profile to `window`, interpolating its ends with `method`'s
/// rule (see the module docs for samples at the same time).
pub(super) fn clip<'a>(
    times: &'a [f64],
    conc: &'a [f64],
    window: Window,
    method: AucMethod,
) -> Result<Clipped<'a>, ExposureError> {
    window.check()?;
    check_profile(times, conc)?;
    let (Some(&first), Some(&last)) = (times.first(), times.last()) else {
        return Err(ExposureError::OutsideProfile { start: window.start, end: window.end, first: f64::NAN, last: f64::NAN });
    };
    if window.start < first || window.end > last {
        return Err(ExposureError::OutsideProfile { start: window.start, end: window.end, first, last });
    }
    // Samples strictly inside the window: indices lo..hi. Because first ≤ start < end ≤ last,
    // 1 ≤ lo ≤ hi < n whenever a sample is needed on either side.
    let lo = times.partition_point(|&t| t <= window.start);
    let hi = times.partition_point(|&t| t < window.end);
    let at = |i: usize, j: usize, t: f64| (t, interpolate(times[i], conc[i], times[j], conc[j], t, method));
    let start = if times[lo - 1] == window.start { (window.start, conc[lo - 1]) } else { at(lo - 1, lo, window.start) };
    let end = if times[hi] == window.end { (window.end, conc[hi]) } else { at(hi - 1, hi, window.end) };
    Ok(Clipped { first: start, inner_times: &times[lo..hi], inner_conc: &conc[lo..hi], last: end })
}

/// Whether the log rule applies to a segment: a decline with both concentrations > 0.
fn log_down(c0: f64, c1: f64, method: AucMethod) -> bool {
    method == AucMethod::LinearUpLogDown && c1 < c0 && c1 > 0.0
}

/// The concentration at `t` between two samples: log-linear on a decline under
/// linear-up/log-down, linear otherwise.
fn interpolate(t0: f64, c0: f64, t1: f64, c1: f64, t: f64, method: AucMethod) -> f64 {
    let theta = (t - t0) / (t1 - t0);
    if log_down(c0, c1, method) { c0 * ((c1 / c0).ln() * theta).exp() } else { c0 + (c1 - c0) * theta }
}

/// The area of one segment. The log rule is written `Δt·(C₀ − C₁)/(−ln(1 + (C₁ − C₀)/C₀))`:
/// `C₀ − C₁` is exact when the two are close, and `ln_1p` keeps the logarithm's digits.
pub(super) fn segment_auc((t0, c0): (f64, f64), (t1, c1): (f64, f64), method: AucMethod) -> f64 {
    let dt = t1 - t0;
    if dt <= 0.0 {
        0.0
    } else if log_down(c0, c1, method) {
        dt * (c0 - c1) / -((c1 - c0) / c0).ln_1p()
    } else {
        dt * 0.5 * (c0 + c1)
    }
}

/// The AUC of the sampled profile over `window` by `method` (see the module docs).
pub fn auc(times: &[f64], conc: &[f64], window: Window, method: AucMethod) -> Result<f64, ExposureError> {
    let clipped = clip(times, conc, window, method)?;
    Ok(clipped.segments().map(|(a, b)| segment_auc(a, b, method)).sum())
}
