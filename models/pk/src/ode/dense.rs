//! Continuous extension (dense output) of one accepted step.
//!
//! Both methods' interpolants are quartics in `θ = (t − t₀)/h` that can be written as
//!
//! ```text
//! y(θ) = y₀ + θ·Δ + θ(1 − θ)·(p₀ + θ·p₁ + θ²·p₂),    Δ = y₁ − y₀,
//! ```
//!
//! so they share this storage and evaluation; each method fills `p₀, p₁, p₂` from its stages.
//! DOP853's 7th-order interpolant has its own form (see [`Dense::begin_dop853`]).
//!
//! # When DOP853's interpolant is not used
//!
//! A continuous extension is not error-controlled: the step's error estimate covers its end
//! point only. For DOP853 that matters when a fast mode `λ` has decayed to a small multiple
//! of the tolerances while the steps have grown to `|λh|` ≈ 5–10 (the controller accepts such
//! steps because the mode's amplitude `a` is tiny; `dop853.f`'s stiffness test does not fire
//! as long as the slower components dominate its estimate). The step ends stay within the
//! tolerances, but the interpolant of the mode is a polynomial in `λh` far from `e^{λhθ}`
//! between them, `|P(θ, λh) − e^{λhθ}|·a` up to ~50 `a`: on random compartmental matrices at
//! `rtol = 1e-8` errors of 3e-6 … 4e-5 relative at stops inside such steps, and on the
//! benchmark regimen at `rtol = atol = 1e-6` 3e-4 mg (300 `atol`) in an emptied depot late in
//! each dosing interval, although the step ends were within a few `atol`.
//!
//! So the solver checks the interpolant `u` of every DOP853 step that has a stop strictly
//! inside it, a posteriori, by its defect `δ(t) = f(t, u(t)) − u'(t)` (the residual of the ODE;
//! [`Dense::eval_with_derivative`] gives `u'`): the interpolation error `e = u − y` solves
//! `e' = J e + δ` with `e ≈ 0` (to the step's error) at both ends, so `|e(t)|` is about `|δ|`
//! times the distance to the nearer end at most (integrating forward from the start, or
//! backward from the end while `|λ|·distance ≲ 1`; forward integration damps a faster mode
//! to `|δ|/|λ|`, less still). The defect is sampled at `θ = 1/3` and `2/3` (two right-hand-side
//! calls per step with a stop inside). Sampling at the stops themselves is not enough: the
//! defect of a poor interpolant can vanish at a stop while it is large on both sides (seen on
//! the benchmark). For every linear mode `y' = λy` with `λh` in `[−12, 0] × [0, 6]i`,
//! `max_θ |δ(θ)|·min(θ, 1 − θ)·h` over the two samples bounds the interpolation error over the
//! whole step (by a factor 1.26 at worst; `solver.rs` tests it). If it exceeds 10, in the
//! weighted RMS norm of the error control (weights `atol + rtol·|u|`), none of the step's
//! interior stops is taken from the interpolant: each is reached by re-integration with DOP853
//! from the step's start (or the previous such stop), a step ending exactly on the stop,
//! error-controlled like any other (and split if its estimate rejects it). The main step
//! sequence is unchanged, so the end state does not depend on the stops. On smooth solutions
//! the estimate stayed below ~3 where measured (a few times the actual interpolation error),
//! so the limit of 10 leaves them alone; the failures above give 15 … 2000. Cost on the benchmark
//! (`examples/throughput.rs`, callgrind instructions per subject): 2.13 M → 2.40 M at
//! `rtol = 1e-8`, `atol = 1e-10`, and 1.24 M → 1.53 M at `rtol = atol = 1e-6`, where about a
//! fifth of that is re-integration.

use super::dim::{by_dim, dim};

/// Interpolation data of the last accepted step: `[y₀ | Δ | p₀ | p₁ | p₂]` for the quartics,
/// or `[y₀ | F₀ | … | F₆]` for DOP853's 7th-order interpolant (see [`Dense::begin_dop853`]).
#[derive(Clone, Debug, Default)]
pub(crate) struct Dense {
    n: usize,
    t0: f64,
    h: f64,
    /// Whether `data` holds DOP853's interpolant.
    dop853: bool,
    data: Vec<f64>,
}

/// Mutable views of the five coefficient vectors of a [`Dense`].
pub(crate) struct Coefficients<'a> {
    pub y0: &'a mut [f64],
    pub delta: &'a mut [f64],
    pub p0: &'a mut [f64],
    pub p1: &'a mut [f64],
    pub p2: &'a mut [f64],
}

impl Dense {
    /// Sizes the storage for systems of dimension `n`.
    pub(crate) fn resize(&mut self, n: usize) {
        self.n = n;
        self.data.resize(8 * n, 0.0);
    }

    /// Starts a DOP853 step from `t0` of size `h`; the caller fills `[y₀ | F₀ | … | F₆]`
    /// (returned as one slice of `8n`), evaluated as in Hairer's `contd8`:
    /// `y₀ + θ(F₀ + θ'(F₁ + θ(F₂ + θ'(F₃ + θ(F₄ + θ'(F₅ + θF₆))))))`, `θ' = 1 − θ`.
    pub(crate) fn begin_dop853(&mut self, t0: f64, h: f64) -> &mut [f64] {
        self.t0 = t0;
        self.h = h;
        self.dop853 = true;
        &mut self.data[..8 * self.n]
    }

    /// Starts a step from `t0` of size `h`; the caller then fills the coefficients.
    pub(crate) fn begin(&mut self, t0: f64, h: f64) -> Coefficients<'_> {
        self.t0 = t0;
        self.h = h;
        self.dop853 = false;
        let n = self.n;
        let (y0, rest) = self.data[..5 * n].split_at_mut(n);
        let (delta, rest) = rest.split_at_mut(n);
        let (p0, rest) = rest.split_at_mut(n);
        let (p1, p2) = rest.split_at_mut(n);
        Coefficients {
            y0,
            delta,
            p0,
            p1,
            p2,
        }
    }

    /// Writes the interpolated state at `t` (within the step) into `out`.
    pub(crate) fn eval(&self, t: f64, out: &mut [f64]) {
        by_dim!(self.n, |N| self.eval_n::<N>(t, out))
    }

    /// Writes the interpolated state at `t` (within the step) into `out` and its time
    /// derivative into `dout`, for the defect check of the solver (see the module docs).
    pub(crate) fn eval_with_derivative(&self, t: f64, out: &mut [f64], dout: &mut [f64]) {
        by_dim!(self.n, |N| self.eval_with_derivative_n::<N>(t, out, dout))
    }

    fn eval_with_derivative_n<const N: usize>(&self, t: f64, out: &mut [f64], dout: &mut [f64]) {
        let n = dim::<N>(self.n);
        let (out, dout) = (&mut out[..n], &mut dout[..n]);
        let theta = (t - self.t0) / self.h;
        let s1 = 1.0 - theta;
        let inv_h = 1.0 / self.h;
        if self.dop853 {
            // Horner's scheme with derivative (with respect to θ; dθ'/dθ = −1), inside out.
            let d = &self.data[..8 * n];
            for i in 0..n {
                let f = |k: usize| d[(k + 1) * n + i];
                let (a, da) = (f(5) + theta * f(6), f(6));
                let (a, da) = (f(4) + s1 * a, s1 * da - a);
                let (a, da) = (f(3) + theta * a, theta * da + a);
                let (a, da) = (f(2) + s1 * a, s1 * da - a);
                let (a, da) = (f(1) + theta * a, theta * da + a);
                let (a, da) = (f(0) + s1 * a, s1 * da - a);
                out[i] = d[i] + theta * a;
                dout[i] = (a + theta * da) * inv_h;
            }
            return;
        }
        let w = theta * s1;
        let (y0, rest) = self.data[..5 * n].split_at(n);
        let (delta, rest) = rest.split_at(n);
        let (p0, rest) = rest.split_at(n);
        let (p1, p2) = rest.split_at(n);
        for i in 0..n {
            let p = p0[i] + theta * (p1[i] + theta * p2[i]);
            let dp = p1[i] + 2.0 * theta * p2[i];
            out[i] = y0[i] + theta * delta[i] + w * p;
            dout[i] = (delta[i] + (1.0 - 2.0 * theta) * p + w * dp) * inv_h;
        }
    }

    fn eval_n<const N: usize>(&self, t: f64, out: &mut [f64]) {
        let n = dim::<N>(self.n);
        let out = &mut out[..n];
        let theta = (t - self.t0) / self.h;
        if self.dop853 {
            let s1 = 1.0 - theta;
            let d = &self.data[..8 * n];
            for i in 0..n {
                let f = |k: usize| d[(k + 1) * n + i];
                let par = f(3) + theta * (f(4) + s1 * (f(5) + theta * f(6)));
                out[i] = d[i] + theta * (f(0) + s1 * (f(1) + theta * (f(2) + s1 * par)));
            }
            return;
        }
        let w = theta * (1.0 - theta);
        let (y0, rest) = self.data[..5 * n].split_at(n);
        let (delta, rest) = rest.split_at(n);
        let (p0, rest) = rest.split_at(n);
        let (p1, p2) = rest.split_at(n);
        for i in 0..n {
            out[i] = y0[i] + theta * delta[i] + w * (p0[i] + theta * (p1[i] + theta * p2[i]));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::Dense;

    /// A quartic interpolant over [1, 1.5] with known coefficients.
    fn quartic_interpolant() -> Dense {
        let mut d = Dense::default();
        d.resize(2);
        let c = d.begin(1.0, 0.5);
        c.y0.copy_from_slice(&[1.0, -2.0]);
        c.delta.copy_from_slice(&[0.5, 4.0]);
        c.p0.copy_from_slice(&[3.0, 1.0]);
        c.p1.copy_from_slice(&[-1.0, 2.0]);
        c.p2.copy_from_slice(&[7.0, 0.5]);
        d
    }

    #[test]
    fn matches_its_endpoints() {
        let d = quartic_interpolant();
        let mut out = [0.0; 2];
        d.eval(1.0, &mut out);
        assert_eq!(out, [1.0, -2.0]);
        d.eval(1.5, &mut out);
        assert_eq!(out, [1.5, 2.0]);
        // θ = 1/2: y0 + Δ/2 + (p0 + p1/2 + p2/4)/4.
        d.eval(1.25, &mut out);
        assert!((out[0] - (1.25 + (3.0 - 0.5 + 1.75) / 4.0)).abs() < 1e-15);
    }

    #[test]
    fn derivatives_match_central_differences() {
        let mut d = quartic_interpolant();
        let mut quartic = d.clone();
        let data = d.begin_dop853(1.0, 0.5);
        for (k, x) in data.iter_mut().enumerate() {
            *x = 0.3 * k as f64 - 1.0 + 0.05 * (k * k) as f64;
        }
        quartic.dop853 = false;
        for dense in [&d, &quartic] {
            for t in [1.0, 1.1, 1.3, 1.45, 1.5] {
                let (mut y, mut dy, mut plain) = ([0.0; 2], [0.0; 2], [0.0; 2]);
                let (mut lo, mut hi) = ([0.0; 2], [0.0; 2]);
                dense.eval_with_derivative(t, &mut y, &mut dy);
                dense.eval(t, &mut plain);
                let e = 1e-6;
                dense.eval(t - e, &mut lo);
                dense.eval(t + e, &mut hi);
                for i in 0..2 {
                    assert_eq!(y[i], plain[i]);
                    let fd = (hi[i] - lo[i]) / (2.0 * e);
                    assert!(
                        (dy[i] - fd).abs() < 1e-6 * (1.0 + fd.abs()),
                        "{t} {i}: {} {fd}",
                        dy[i]
                    );
                }
            }
        }
    }
}
