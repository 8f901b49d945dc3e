//! Taylor-series integration for systems that provide their solution's Taylor coefficients
//! ([`OdeSystem::taylor`]).
//!
//! Each step expands the solution through the current point to order `p` (the coefficients
//! come from the system by automatic differentiation of its right-hand side: for a linear
//! system `y_{k+1} = (K·y_k + r·[k = 0])/(k + 1)`) and chooses the step from the last two
//! coefficients, in the way of À. Jorba & M. Zou, "A software package for the numerical
//! integration of ODEs by means of high-order Taylor methods", Exp. Math. 14, 99–117, 2005:
//! `h = min((ε/‖y_{p−1}‖)^{1/(p−1)}, (ε/‖y_p‖)^{1/p})`, with `‖·‖` the weighted RMS norm of the
//! error control (weights `atol + rtol·|y|`) and `ε` = [`TARGET`]. No step is rejected. The
//! polynomial is the continuous extension: a stop inside a step is served by evaluating it,
//! and it is as accurate there as at the step's end (each term only shrinks by `θᵏ`).
//!
//! Why here: PK systems are small and their right-hand sides cheap, so the per-step work of a
//! Runge–Kutta method (12 stage combinations and a dense-output build for DOP853) dominates;
//! the Taylor method's work per order is one pass of the right-hand side's recurrence, and at
//! order 20 a step spans `|λh|` ≈ 3–4 for the fastest mode still present where DOP853 spans
//! ≈ 1 (see `mod.rs` for measurements).
//!
//! Being explicit, it is not for stiff stretches: after [`SMALL_RUN`] steps in a row each
//! shorter than 1/[`HANDOVER_STEPS`] of the way left to the end of the call, the solver hands
//! the rest of the call to the Runge–Kutta/Rosenbrock path of [`super::Method::RungeKutta`]. So
//! it does at once where the system declines to give coefficients at a point, where a step
//! would come out non-finite, and where the step falls to the resolution of `t`: the Taylor
//! series itself fails only by `max_steps`, and every other error is the other path's.
//!
//! What it cannot see: the step rule reads the last two coefficients, so a feature whose
//! weight in them is tiny — such as the near-kink of Michaelis–Menten elimination where a
//! compartment empties at a small KM (weight of order KM) — can be stepped over. Systems with
//! such features should not give coefficients ([`crate::nonlinear::MichaelisMenten`] does not);
//! linear systems, whose solutions are sums of exponentials, have none.

use super::OdeSystem;
use super::control::{self, Tol};
use super::dim::{by_dim, dim};
use super::error::OdeError;
use super::SolveStats;

/// Most Taylor orders a system must support (the order used is at most this).
pub const MAX_TAYLOR_ORDER: usize = 24;

/// `1/(k + 1)` for `k = 0..MAX_TAYLOR_ORDER`, the factors of the coefficient recurrences
/// (`y_{k+1} = f_k/(k + 1)`), so that they multiply instead of divide.
pub(crate) const TAYLOR_RECIPROCALS: [f64; MAX_TAYLOR_ORDER] = super::reciprocals();

/// Order of the expansion. At order 20 a step on `exp(λt)` spans `|λh|` ≈ 3.9 at `ε` = 1e-7
/// and ≈ 2.9 at 1e-9; the evaluation cost at each stop grows with it too.
const ORDER: usize = 20;

/// Size of the last two terms, in units of the tolerances, that the step is chosen for. The
/// terms beyond them shrink at least as fast as `|λh|/(p + 1)` ≈ 0.2 for an exponential mode,
/// so the truncation error is a fraction of this.
const TARGET: f64 = 0.1;

/// Largest step as a fraction of the radius of convergence estimated from the last two
/// coefficients (`‖y_{p−1}‖/‖y_p‖`). For an exponential mode `e^{λt}` that estimate is
/// `p/|λ|`, far beyond the tolerance's step; for a pole at distance `ρ` it tends to `ρ`.
const RADIUS_FRACTION: f64 = 0.5;

/// A step is short when more than this many of its size would be needed to reach the end of
/// the call.
const HANDOVER_STEPS: f64 = 64.0;

/// Short steps in a row after which the integration is handed over (see the module
/// documentation): a stiff stretch keeps the steps short, while after a dose they are short
/// only for a few steps.
const SMALL_RUN: usize = 16;

/// How a Taylor run ended without error.
pub(crate) enum Outcome {
    /// Reached the last stop; the step size proposed next.
    Done(f64),
    /// Stopped at `t` (state in `y`, the stops before `t` visited) after the given number of
    /// steps: the rest is for another method.
    Handover { t: f64, steps: usize },
}

/// Scratch for the coefficients, `(ORDER + 1) × n`, row `k` = `y⁽ᵏ⁾/k!`.
#[derive(Clone, Debug, Default)]
pub(crate) struct Taylor {
    coeffs: Vec<f64>,
    /// The state at the end of the step.
    y_new: Vec<f64>,
    /// The state at the end of a longer step being tried.
    y_longer: Vec<f64>,
}

impl Taylor {
    pub(crate) fn resize(&mut self, n: usize) {
        self.coeffs.resize((ORDER + 1) * n, 0.0);
        self.y_new.resize(n, 0.0);
        self.y_longer.resize(n, 0.0);
    }

    /// Integrates from `t0` (state `y`) through `stops[*next..]`, visiting each, until the last
    /// stop or a hand-over. `*next` is advanced past the stops visited.
    #[allow(clippy::too_many_arguments)]
    pub(crate) fn run<S: OdeSystem + ?Sized, V: FnMut(usize, &[f64])>(
        &mut self,
        sys: &S,
        t0: f64,
        y: &mut [f64],
        stops: &[f64],
        next: &mut usize,
        visit: &mut V,
        tol: Tol,
        h_max: f64,
        max_steps: usize,
        stats: &mut SolveStats,
    ) -> Result<Outcome, OdeError> {
        let n = y.len();
        let t_end = *stops.last().expect("the caller returns early without stops");
        let mut t = t0;
        let (mut taken, mut small) = (0usize, 0usize);
        let c = &mut self.coeffs[..(ORDER + 1) * n];
        let y_new = &mut self.y_new[..n];
        let y_longer = &mut self.y_longer[..n];
        loop {
            if taken >= max_steps {
                return Err(OdeError::TooManySteps { t, max_steps });
            }
            c[..n].copy_from_slice(y);
            if !sys.taylor(t, ORDER, c) {
                return Ok(Outcome::Handover { t, steps: taken });
            }
            stats.rhs_evals += ORDER;
            // A non-finite coefficient makes the polynomial non-finite at the step's end,
            // which is checked before any stop inside the step is served.
            let mut h = by_dim!(n, |N| step_size::<N>(c, y, y, tol)).min(h_max);
            by_dim!(n, |N| evaluate::<N>(c, h.min(t_end - t), y_new));
            if grew(y, y_new, tol) {
                // Weights from the start alone are too strict for a component that grows
                // from near zero (a compartment filling after a dose): take the weights of
                // the error control, atol + rtol·max(|y|, |y_new|), and keep the longer step
                // they allow if it passes with the weights of its own end.
                let longer = by_dim!(n, |N| step_size::<N>(c, y, y_new, tol)).min(h_max);
                if longer > h {
                    by_dim!(n, |N| evaluate::<N>(c, longer.min(t_end - t), y_longer));
                    if by_dim!(n, |N| step_size::<N>(c, y, y_longer, tol)) >= longer {
                        h = longer;
                        y_new.copy_from_slice(y_longer);
                    }
                }
            }
            let last = control::lands_on_end(t, h, t_end, h_max);
            // A step held to `max_step` is the caller's choice, not a sign of stiffness.
            small = if t_end - t > HANDOVER_STEPS * h && h < h_max { small + 1 } else { 0 };
            if !last && small >= SMALL_RUN {
                return Ok(Outcome::Handover { t, steps: taken });
            }
            let t_new = if last { t_end } else { t + h };
            if !last && control::step_too_small(t, t_new - t, None).is_some() {
                return Ok(Outcome::Handover { t, steps: taken });
            }
            if t_new - t != h.min(t_end - t) {
                // Stretched onto the end (see `control::lands_on_end`).
                by_dim!(n, |N| evaluate::<N>(c, t_new - t, y_new));
            }
            if control::first_non_finite(y_new).is_some() {
                // A non-finite coefficient (the model is not finite at this state) or an
                // overflow: the other path reports it where it happens, or gets through.
                return Ok(Outcome::Handover { t, steps: taken });
            }
            while *next < stops.len() && stops[*next] < t_new {
                by_dim!(n, |N| evaluate::<N>(c, stops[*next] - t, y));
                visit(*next, y);
                *next += 1;
            }
            y.copy_from_slice(y_new);
            taken += 1;
            stats.steps += 1;
            t = t_new;
            while *next < stops.len() && stops[*next] <= t {
                visit(*next, y);
                *next += 1;
            }
            if last {
                return Ok(Outcome::Done(h));
            }
        }
    }
}

/// Whether some component started within its absolute tolerance (`rtol·|y| < atol`) and grew
/// enough to loosen its weight in the error control by more than half.
#[inline(always)]
fn grew(y: &[f64], y_new: &[f64], tol: Tol) -> bool {
    y.iter().zip(y_new).any(|(&a, &b)| tol.rtol * a.abs() < tol.atol && tol.rtol * b.abs() > tol.atol + 2.0 * tol.rtol * a.abs())
}

/// The step for which the last two terms are [`TARGET`] in the weighted RMS norm with weights
/// `atol + rtol·max(|y_a|, |y_b|)`, from the coefficients `c` of the expansion.
#[inline(always)]
fn step_size<const N: usize>(c: &[f64], ya: &[f64], yb: &[f64], tol: Tol) -> f64 {
    let n = dim::<N>(ya.len());
    let (mut s1, mut s2) = (0.0, 0.0);
    let (c1, c2) = (&c[(ORDER - 1) * n..ORDER * n], &c[ORDER * n..(ORDER + 1) * n]);
    for i in 0..n {
        let w = 1.0 / (tol.atol + tol.rtol * ya[i].abs().max(yb[i].abs()));
        s1 += (c1[i] * w) * (c1[i] * w);
        s2 += (c2[i] * w) * (c2[i] * w);
    }
    let (a1, a2) = ((s1 / n as f64).sqrt(), (s2 / n as f64).sqrt());
    // The largest h with a1·h^(p−1) ≤ ε and a2·h^p ≤ ε, i.e. the smaller (ε/a)^(1/k); a zero
    // term (a state at rest, or no term of that order) sets no bound. One power in the usual
    // case, where the terms decrease and the last but one binds.
    let h = if a1 > 0.0 { (TARGET / a1).powf(1.0 / (ORDER - 1) as f64) } else { f64::INFINITY };
    let h = if a2 > 0.0 && a2 * h.powi(ORDER as i32) > TARGET { (TARGET / a2).powf(1.0 / ORDER as f64) } else { h };
    // Within the radius of convergence, estimated by the ratio of the last two terms (a
    // nearby pole of small weight passes the test above at steps beyond it).
    if a2 > 0.0 { h.min(RADIUS_FRACTION * a1 / a2) } else { h }
}

/// Terms per chain of the polynomial evaluation ([`evaluate`]).
const CHAIN: usize = (ORDER + 1).div_ceil(4);

/// `out = Σ_k c_k·θᵏ` (`k = 0..=ORDER`), for each component. Four Horner chains of
/// [`CHAIN`] terms each, `P_j = Σ_i c_{jm+i}·θⁱ` (`m` = [`CHAIN`]), joined as
/// `P_0 + θᵐ(P_1 + θᵐ(P_2 + θᵐ·P_3))`: the chains run side by side, so a stop costs about a
/// quarter of a single chain's latency.
#[inline(always)]
fn evaluate<const N: usize>(c: &[f64], theta: f64, out: &mut [f64]) {
    let mut theta_m = 1.0;
    for _ in 0..CHAIN {
        theta_m *= theta;
    }
    if N == 0 {
        let n = out.len();
        for (i, o) in out.iter_mut().enumerate() {
            let mut acc = [0.0; 4];
            for (j, a) in acc.iter_mut().enumerate() {
                for k in (j * CHAIN..((j + 1) * CHAIN).min(ORDER + 1)).rev() {
                    *a = *a * theta + c[k * n + i];
                }
            }
            *o = acc[0] + theta_m * (acc[1] + theta_m * (acc[2] + theta_m * acc[3]));
        }
        return;
    }
    // Row by row with the dimension known, so that every loop unrolls.
    let c = &c[..(ORDER + 1) * N];
    let mut acc = [[0.0; N]; 4];
    for (j, a) in acc.iter_mut().enumerate() {
        for k in (j * CHAIN..((j + 1) * CHAIN).min(ORDER + 1)).rev() {
            let row: &[f64; N] = c[k * N..(k + 1) * N].try_into().expect("N values");
            for i in 0..N {
                a[i] = a[i] * theta + row[i];
            }
        }
    }
    for i in 0..N {
        out[i] = acc[0][i] + theta_m * (acc[1][i] + theta_m * (acc[2][i] + theta_m * acc[3][i]));
    }
}
