//! Error norm, initial step size and step-size controllers.

use super::OdeSystem;

/// Scalar tolerances.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Tol {
    pub rtol: f64,
    pub atol: f64,
}

/// Weighted RMS norm of a local error estimate `err` of a step from `y` to `y_new`,
/// with weights `atol + rtol·max(|y|, |y_new|)` (Hairer, Nørsett & Wanner I, §II.4).
///
/// Returns NaN if `err` or `y_new` holds a NaN or infinite value, so such a step is rejected.
#[inline]
pub(crate) fn error_norm(err: &[f64], y: &[f64], y_new: &[f64], tol: Tol) -> f64 {
    let n = err.len();
    let mut sum = 0.0;
    let mut finite = true;
    for ((&e, &a), &b) in err.iter().zip(&y[..n]).zip(&y_new[..n]) {
        let sk = tol.atol + tol.rtol * a.abs().max(b.abs());
        let r = e / sk;
        sum += r * r;
        finite &= b.is_finite();
    }
    if finite {
        (sum / n as f64).sqrt()
    } else {
        f64::NAN
    }
}

/// Index of the first NaN or infinite value.
pub(crate) fn first_non_finite(v: &[f64]) -> Option<usize> {
    v.iter().position(|x| !x.is_finite())
}

/// Whether the step of size `h` from `t` is the last one before `t_end`: it reaches it, or
/// falls short by less than 1 % (within `h_max`), in which case it is stretched to land
/// exactly on `t_end` rather than leaving a sliver.
pub(crate) fn lands_on_end(t: f64, h: f64, t_end: f64, h_max: f64) -> bool {
    t + h >= t_end || (t + 1.01 * h >= t_end && t_end - t <= h_max)
}

/// The error when a step `h` (not the last) has shrunk below what `t` can resolve, or `None`:
/// the non-finite component that drove it down, if one did, else "step size too small".
pub(crate) fn step_too_small(t: f64, h: f64, non_finite: Option<usize>) -> Option<super::OdeError> {
    let h_min = (10.0 * f64::EPSILON * t.abs()).max(1e-300);
    (h <= h_min).then(|| match non_finite {
        Some(component) => super::OdeError::NonFinite { t, component },
        None => super::OdeError::StepSizeTooSmall { t, h },
    })
}

/// Initial step size by Hairer's `hinit` (Hairer, Nørsett & Wanner I, §II.4): the smaller of
/// an estimate from `‖y₀‖/‖f₀‖` and one from the second derivative along an Euler step, for a
/// method of the given `order`. Costs one right-hand-side call, at a time no later than
/// `t_hi`; `y1`, `f1` are scratch.
///
/// Two changes from `hinit`: a `y₀` within the tolerances of zero (weighted RMS below 1, as
/// for a compartment emptied down to `atol` when an infusion starts) is treated like an exact
/// zero, since `‖y₀‖/‖f₀‖` then measures noise and can be far below the resolution of `t₀`;
/// and the result is at least `1000·ε·|t₀|`, so the first step can always be taken.
#[allow(clippy::too_many_arguments)]
pub(crate) fn initial_step<S: OdeSystem + ?Sized>(
    sys: &S,
    t0: f64,
    t_hi: f64,
    y0: &[f64],
    f0: &[f64],
    tol: Tol,
    order: i32,
    h_max: f64,
    y1: &mut [f64],
    f1: &mut [f64],
) -> f64 {
    let mut dnf = 0.0;
    let mut dny = 0.0;
    for (&y, &f) in y0.iter().zip(f0) {
        let sk = tol.atol + tol.rtol * y.abs();
        dnf += (f / sk) * (f / sk);
        dny += (y / sk) * (y / sk);
    }
    let mut h = if dnf <= 1e-10 || dny <= 1e-10 || dny < y0.len() as f64 {
        1e-6
    } else {
        (dny / dnf).sqrt() * 0.01
    };
    h = h.min(h_max);
    for ((y1, &y), &f) in y1.iter_mut().zip(y0).zip(f0) {
        *y1 = y + h * f;
    }
    sys.rhs((t0 + h).min(t_hi), y1, f1);
    let mut der2 = 0.0;
    for ((&a, &b), &y) in f1.iter().zip(f0).zip(y0) {
        let sk = tol.atol + tol.rtol * y.abs();
        der2 += ((a - b) / sk) * ((a - b) / sk);
    }
    let der2 = der2.sqrt() / h;
    let der12 = der2.abs().max(dnf.sqrt());
    let h1 = if der12 <= 1e-15 || !der12.is_finite() {
        (h * 1e-3).max(1e-6)
    } else {
        (0.01 / der12).powf(1.0 / f64::from(order))
    };
    let h_floor = 1e3 * f64::EPSILON * t0.abs();
    let h = (100.0 * h).min(h1).max(h_floor).min(h_max);
    if h.is_finite() && h > 0.0 {
        h
    } else {
        h_max.min(1e-6)
    }
}

/// Safety factor applied to every step-size proposal.
const SAFE: f64 = 0.9;

/// The PI step-size controller of Hairer's `dopri5.f` (β = 0.04), for Dormand–Prince 5(4):
/// `h_new = h · SAFE / (err^(0.2 − 0.75β) · err_old^(−β))`, bounded to `[h/5, 10h]`.
/// Powers are taken as one `ln` and one `exp` per step (a `powf` costs about as much as both).
#[derive(Clone, Copy, Debug)]
pub(crate) struct PiController {
    /// `ln(max(err_old, 1e-4))`.
    ln_err_old: f64,
}

impl PiController {
    const BETA: f64 = 0.04;
    const EXPO: f64 = 0.2 - Self::BETA * 0.75;
    /// Bounds on `h_new / h`.
    const MIN_FACTOR: f64 = 0.2;
    const MAX_FACTOR: f64 = 10.0;
    /// `ln(1e-4)`, the floor of `ln_err_old`.
    const LN_ERR_FLOOR: f64 = -9.210340371976182;

    pub(crate) fn new() -> Self {
        Self {
            ln_err_old: Self::LN_ERR_FLOOR,
        }
    }

    /// Next step size after accepting a step of size `h` with error norm `err <= 1`.
    pub(crate) fn accept(&mut self, err: f64, h: f64) -> f64 {
        let ln_err = err.ln();
        let fac = (Self::EXPO * ln_err - Self::BETA * self.ln_err_old).exp() / SAFE;
        let fac = fac.clamp(1.0 / Self::MAX_FACTOR, 1.0 / Self::MIN_FACTOR);
        self.ln_err_old = ln_err.max(Self::LN_ERR_FLOOR);
        h / fac
    }

    /// Next trial step size after rejecting a step of size `h` with error norm `err > 1`.
    pub(crate) fn reject(&self, err: f64, h: f64) -> f64 {
        let fac11 = (Self::EXPO * err.ln()).exp();
        h / (fac11 / SAFE).min(1.0 / Self::MIN_FACTOR)
    }
}

/// The step-size controller of Hairer's `dop853.f` for its error estimate of order 8 (β = 0):
/// `h_new = h · SAFE / err^(1/8)`, bounded to `[h/3, 6h]`; `err^(1/8)` by three square roots.
pub(crate) struct Dop853Controller;

impl Dop853Controller {
    /// Bounds on `h_new / h` (`fac1`, `fac2` of `dop853.f`).
    const MIN_FACTOR: f64 = 0.333;
    const MAX_FACTOR: f64 = 6.0;

    /// Next step size after accepting a step of size `h` with error norm `err <= 1`.
    pub(crate) fn accept(err: f64, h: f64) -> f64 {
        let fac = err.sqrt().sqrt().sqrt() / SAFE;
        h / fac.clamp(1.0 / Self::MAX_FACTOR, 1.0 / Self::MIN_FACTOR)
    }

    /// Next trial step size after rejecting a step of size `h` with error norm `err > 1`.
    pub(crate) fn reject(err: f64, h: f64) -> f64 {
        h / (err.sqrt().sqrt().sqrt() / SAFE).min(1.0 / Self::MIN_FACTOR)
    }
}

/// The predictive (Gustafsson) controller of Hairer's `rodas.f`, for an embedded pair whose
/// error estimate is `O(h^5)` (Rodas5P): the larger reduction of the standard proposal
/// `SAFE·err^(−1/5)` and Gustafsson's `SAFE·(h/h_acc)·(err_acc/err²)^(1/5)`, within
/// `[h/5, 6h]`.
#[derive(Clone, Copy, Debug)]
pub(crate) struct PredictiveController {
    /// Step size and `ln(max(err, 1e-2))` of the previous accepted step, once there is one.
    last: Option<(f64, f64)>,
}

impl PredictiveController {
    const EXPO: f64 = 1.0 / 5.0;
    const MIN_FACTOR: f64 = 0.2;
    const MAX_FACTOR: f64 = 6.0;
    /// `ln(1e-2)`.
    const LN_ERR_FLOOR: f64 = -4.605170185988091;

    pub(crate) fn new() -> Self {
        Self { last: None }
    }

    fn clamp(fac: f64) -> f64 {
        fac.clamp(1.0 / Self::MAX_FACTOR, 1.0 / Self::MIN_FACTOR)
    }

    /// Next step size after accepting a step of size `h` with error norm `err <= 1`.
    pub(crate) fn accept(&mut self, err: f64, h: f64) -> f64 {
        let ln_err = err.ln();
        let mut fac = Self::clamp((Self::EXPO * ln_err).exp() / SAFE);
        if let Some((h_acc, ln_err_acc)) = self.last {
            let gus = (h_acc / h) * (Self::EXPO * (2.0 * ln_err - ln_err_acc)).exp() / SAFE;
            fac = fac.max(Self::clamp(gus));
        }
        self.last = Some((h, ln_err.max(Self::LN_ERR_FLOOR)));
        h / fac
    }

    /// Next trial step size after rejecting a step of size `h` with error norm `err > 1`.
    /// A rejected first step is cut tenfold, as in `rodas.f`.
    pub(crate) fn reject(&self, err: f64, h: f64) -> f64 {
        if self.last.is_none() {
            0.1 * h
        } else {
            h / Self::clamp((Self::EXPO * err.ln()).exp() / SAFE)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn norm_is_weighted_rms_and_flags_non_finite() {
        let tol = Tol {
            rtol: 0.5,
            atol: 1.0,
        };
        // weights: 1 + 0.5*2 = 2, 1 + 0.5*0 = 1
        let e = error_norm(&[2.0, 1.0], &[2.0, 0.0], &[1.0, 0.0], tol);
        assert!((e - 1.0).abs() < 1e-15);
        assert!(error_norm(&[0.0], &[1.0], &[f64::INFINITY], tol).is_nan());
        assert!(error_norm(&[f64::NAN], &[1.0], &[1.0], tol).is_nan());
    }

    #[test]
    fn controllers_grow_on_small_errors_and_shrink_on_large() {
        let mut pi = PiController::new();
        assert!(pi.accept(1e-6, 1.0) > 1.0);
        assert!(pi.reject(10.0, 1.0) < 1.0);
        assert!(pi.accept(1e-30, 1.0) <= 10.0 + 1e-12);
        let mut pr = PredictiveController::new();
        assert_eq!(pr.reject(10.0, 1.0), 0.1);
        assert!(pr.accept(1e-6, 1.0) > 1.0);
        assert!(pr.reject(10.0, 1.0) < 1.0);
        assert!(pr.accept(1e-30, 1.0) <= 6.0 + 1e-12);
        assert!(pr.accept(0.0, 1.0) <= 6.0 + 1e-12);
        assert!(pi.accept(0.0, 1.0) <= 10.0 + 1e-12);
        assert!(Dop853Controller::accept(1e-6, 1.0) > 1.0);
        assert!(Dop853Controller::accept(0.0, 1.0) <= 6.0 + 1e-12);
        assert!(Dop853Controller::reject(10.0, 1.0) < 1.0);
        assert!(Dop853Controller::reject(1e30, 1.0) >= 0.333 - 1e-12);
    }

    #[test]
    fn log_floors_match_their_values() {
        assert_eq!(PiController::LN_ERR_FLOOR, 1e-4f64.ln());
        assert_eq!(PredictiveController::LN_ERR_FLOOR, 1e-2f64.ln());
    }
}
