//! Time above a threshold, and the exact peak, of a profile over a window.
//!
//! "Above" is strict: `C(t) > threshold`; time spent exactly at the threshold counts zero.

use super::profile::clip;
use super::roots::{brent_max, brent_zero};
use super::{AucMethod, ExposureError, Window};

/// Each crossing and peak time is located to within this fraction of the window's length
/// (plus `4ε|t|` from rounding the time itself).
const TIME_TOL: f64 = 1e-12;

/// Time in `window` with the concentration above `threshold`, from samples, with the
/// profile interpolated linearly between them.
///
/// Resolution-limited: a crossing is placed by linear interpolation between the two
/// samples around it (an error of order the sampling interval squared times the
/// curvature), and excursions above the threshold that fall between two samples are
/// missed. Use [`time_above_exact`] when the concentration can be evaluated at any time.
pub fn time_above(times: &[f64], conc: &[f64], window: Window, threshold: f64) -> Result<f64, ExposureError> {
    if !threshold.is_finite() {
        return Err(ExposureError::InvalidThreshold { threshold });
    }
    let clipped = clip(times, conc, window, AucMethod::Linear)?;
    Ok(clipped
        .segments()
        .map(|((t0, c0), (t1, c1))| {
            let dt = t1 - t0;
            match (c0 > threshold, c1 > threshold) {
                _ if dt <= 0.0 => 0.0,
                (true, true) => dt,
                (false, false) => 0.0,
                (true, false) => dt * (c0 - threshold) / (c0 - c1),
                (false, true) => dt * (c1 - threshold) / (c1 - c0),
            }
        })
        .sum())
}

/// The points of `grid` strictly inside the window, with the window's ends, evaluated.
fn evaluate_grid(
    window: Window,
    grid: &[f64],
    f: &mut impl FnMut(f64) -> f64,
) -> Result<Vec<(f64, f64)>, ExposureError> {
    window.check()?;
    for (index, &t) in grid.iter().enumerate() {
        if !t.is_finite() {
            return Err(ExposureError::NonFinite { index, what: "grid time", value: t });
        }
        if index > 0 && t < grid[index - 1] {
            return Err(ExposureError::Unsorted { index, time: t, previous: grid[index - 1] });
        }
    }
    let inside = grid.iter().copied().filter(|&t| t > window.start && t < window.end);
    std::iter::once(window.start)
        .chain(inside)
        .chain(std::iter::once(window.end))
        .map(|t| finite(f, t).map(|c| (t, c)))
        .collect()
}

/// `f(t)`, or an error when it is not finite.
fn finite(f: &mut impl FnMut(f64) -> f64, t: f64) -> Result<f64, ExposureError> {
    let value = f(t);
    if value.is_finite() { Ok(value) } else { Err(ExposureError::NonFiniteFunction { time: t, value }) }
}

/// Time in `window` with `f(t) > threshold`, for a concentration function `f` that can be
/// evaluated anywhere (a closed form, or a model's dense output).
///
/// `f` is evaluated at the window's ends and at the points of `grid` inside the window
/// (non-decreasing; [`Window::grid`] makes an even one; include dose times, where `f`
/// jumps). Each grid cell whose ends lie on opposite sides of the threshold holds a
/// crossing, located by Brent's method to within `1e-12·(end − start) + 4ε|t|` (a jump is
/// located the same way). Cells whose ends are both above count whole, both below (or at)
/// not at all: an excursion that leaves and re-enters within one cell is missed, so the grid
/// must resolve the profile's features, though not the crossings.
pub fn time_above_exact(
    threshold: f64,
    window: Window,
    mut f: impl FnMut(f64) -> f64,
    grid: &[f64],
) -> Result<f64, ExposureError> {
    if !threshold.is_finite() {
        return Err(ExposureError::InvalidThreshold { threshold });
    }
    let points = evaluate_grid(window, grid, &mut f)?;
    let tol = TIME_TOL * window.length();
    let mut total = 0.0;
    for pair in points.windows(2) {
        let ((t0, c0), (t1, c1)) = (pair[0], pair[1]);
        let (g0, g1) = (c0 - threshold, c1 - threshold);
        total += match (g0 > 0.0, g1 > 0.0) {
            (true, true) => t1 - t0,
            (false, false) => 0.0,
            (above_first, _) => {
                let root = brent_zero(|t| finite(&mut f, t).map(|c| c - threshold), t0, t1, g0, g1, tol)?;
                if above_first { root - t0 } else { t1 - root }
            }
        };
    }
    Ok(total)
}

/// `(Tmax, Cmax)` of a concentration function over `window`: the largest of `f` at the
/// window's ends and the points of `grid` inside it (see [`time_above_exact`]), refined by
/// Brent's parabolic search between that point's neighbours. Tmax is located to about
/// `√ε` relative (a smooth maximum is flat), so Cmax is exact to rounding; a peak narrower
/// than the grid may be missed.
pub fn peak_exact(window: Window, mut f: impl FnMut(f64) -> f64, grid: &[f64]) -> Result<(f64, f64), ExposureError> {
    let points = evaluate_grid(window, grid, &mut f)?;
    let mut best = 0;
    for (i, p) in points.iter().enumerate() {
        if p.1 > points[best].1 {
            best = i;
        }
    }
    let lo = points[best.saturating_sub(1)].0;
    let hi = points[(best + 1).min(points.len() - 1)].0;
    let tol = TIME_TOL * window.length();
    let (t, c) = brent_max(|t| finite(&mut f, t), lo, hi, tol)?;
    Ok(if c > points[best].1 { (t, c) } else { points[best] })
}
