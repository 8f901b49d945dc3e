//! Continuous extension (dense output) of one accepted step.
//!
//! Both methods' interpolants are quartics in `θ = (t − t₀)/h` that can be written as
//!
//! ```text
//! y(θ) = y₀ + θ·Δ + θ(1 − θ)·(p₀ + θ·p₁ + θ²·p₂),    Δ = y₁ − y₀,
//! ```
//!
//! so they share this storage and evaluation; each method fills `p₀, p₁, p₂` from its stages.

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

    #[test]
    fn matches_its_endpoints() {
        let mut d = Dense::default();
        d.resize(2);
        let c = d.begin(1.0, 0.5);
        c.y0.copy_from_slice(&[1.0, -2.0]);
        c.delta.copy_from_slice(&[0.5, 4.0]);
        c.p0.copy_from_slice(&[3.0, 1.0]);
        c.p1.copy_from_slice(&[-1.0, 2.0]);
        c.p2.copy_from_slice(&[7.0, 0.5]);
        let mut out = [0.0; 2];
        d.eval(1.0, &mut out);
        assert_eq!(out, [1.0, -2.0]);
        d.eval(1.5, &mut out);
        assert_eq!(out, [1.5, 2.0]);
        // θ = 1/2: y0 + Δ/2 + (p0 + p1/2 + p2/4)/4.
        d.eval(1.25, &mut out);
        assert!((out[0] - (1.25 + (3.0 - 0.5 + 1.75) / 4.0)).abs() < 1e-15);
    }
}
