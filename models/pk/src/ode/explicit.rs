//! Dormand–Prince 5(4) with dense output and stiffness detection.
//!
//! Coefficients from J. R. Dormand & P. J. Prince, J. Comput. Appl. Math. 6 (1980) 19–26; the
//! dense-output coefficients `D*` (Shampine 1986) and the stiffness test are those of Hairer's
//! `dopri5.f` (Hairer, Nørsett & Wanner I, §II.5–II.6, and Hairer & Wanner II, §IV.2).

use super::OdeSystem;
use super::control::Tol;
use super::dense::Dense;
use super::dim::{by_dim, dim};

const C2: f64 = 1.0 / 5.0;
const C3: f64 = 3.0 / 10.0;
const C4: f64 = 4.0 / 5.0;
const C5: f64 = 8.0 / 9.0;
const A21: f64 = 1.0 / 5.0;
const A31: f64 = 3.0 / 40.0;
const A32: f64 = 9.0 / 40.0;
const A41: f64 = 44.0 / 45.0;
const A42: f64 = -56.0 / 15.0;
const A43: f64 = 32.0 / 9.0;
const A51: f64 = 19372.0 / 6561.0;
const A52: f64 = -25360.0 / 2187.0;
const A53: f64 = 64448.0 / 6561.0;
const A54: f64 = -212.0 / 729.0;
const A61: f64 = 9017.0 / 3168.0;
const A62: f64 = -355.0 / 33.0;
const A63: f64 = 46732.0 / 5247.0;
const A64: f64 = 49.0 / 176.0;
const A65: f64 = -5103.0 / 18656.0;
// Fifth-order weights (also the seventh stage, FSAL; b2 = 0).
const A71: f64 = 35.0 / 384.0;
const A73: f64 = 500.0 / 1113.0;
const A74: f64 = 125.0 / 192.0;
const A75: f64 = -2187.0 / 6784.0;
const A76: f64 = 11.0 / 84.0;
// Fifth- minus fourth-order weights (e2 = 0).
const E1: f64 = 71.0 / 57600.0;
const E3: f64 = -71.0 / 16695.0;
const E4: f64 = 71.0 / 1920.0;
const E5: f64 = -17253.0 / 339200.0;
const E6: f64 = 22.0 / 525.0;
const E7: f64 = -1.0 / 40.0;
// Dense output (d2 = 0).
const D1: f64 = -12715105075.0 / 11282082432.0;
const D3: f64 = 87487479700.0 / 32700410799.0;
const D4: f64 = -10690763975.0 / 1880347072.0;
const D5: f64 = 701980252875.0 / 199316789632.0;
const D6: f64 = -1453857185.0 / 822651844.0;
const D7: f64 = 69997945.0 / 29380423.0;

/// `h·|λ|` above which a step counts as limited by stability rather than accuracy.
///
/// `dopri5.f` uses 3.25, just inside the stability boundary (≈ 3.31 on the negative real
/// axis), but the step-size controller often settles well inside it: at `h·|λ| ≈ 1.76` on a
/// turnover model with `kout = 500`, at ≈ 3.0 on Robertson's problem. A mode that is still
/// active cannot be followed accurately at `h·|λ| = 1.5` (the local error factor
/// `|R(z) − eᶻ|` is already 6·10⁻³ at `z = −1.5`), so above it the fast mode must have died
/// out: the problem is stiff. At tolerances looser than about 5·10⁻³ this may switch
/// needlessly, which costs efficiency, not accuracy.
pub(crate) const STIFFNESS_THRESHOLD: f64 = 1.5;

/// Result of one Dormand–Prince step attempt.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Attempt {
    /// Weighted RMS error norm; NaN if the new state or its derivative is not finite.
    pub err: f64,
    /// Estimate of `h·|λ|` for the dominant eigenvalue (0 unless requested).
    pub stiffness: f64,
}

/// Stage storage of Dormand–Prince 5(4). `k1 = f(t, y)` and `k7 = f(t + h, y₁)` are kept by the
/// caller (first same as last).
#[derive(Clone, Debug, Default)]
pub(crate) struct Dopri5 {
    k2: Vec<f64>,
    k3: Vec<f64>,
    k4: Vec<f64>,
    k5: Vec<f64>,
    k6: Vec<f64>,
    stage: Vec<f64>,
    /// Input of the sixth stage, for the stiffness test.
    y6: Vec<f64>,
}

impl Dopri5 {
    /// Sizes the buffers for dimension `n`.
    pub(crate) fn resize(&mut self, n: usize) {
        for v in [
            &mut self.k2,
            &mut self.k3,
            &mut self.k4,
            &mut self.k5,
            &mut self.k6,
            &mut self.stage,
            &mut self.y6,
        ] {
            v.resize(n, 0.0);
        }
    }

    /// Attempts a step from `(t, y)` with `f0 = f(t, y)` to `t_new`, writing the solution to
    /// `y_new` and `f(t_new, y_new)` to `f1`. Costs six right-hand-side calls. With
    /// `estimate_stiffness`, also estimates `h·|λ|` as in `dopri5.f`: `h‖f(y₁) − f(y₆)‖ /
    /// ‖y₁ − y₆‖` with `y₆` the sixth stage's input (also at `t + h`); unlike `dopri5.f` the
    /// norms are weighted by the error weights, i.e. the estimate is for `W J W⁻¹` (same
    /// eigenvalues), which favours the components the error control watches.
    #[allow(clippy::too_many_arguments)]
    pub(crate) fn step<S: OdeSystem + ?Sized>(
        &mut self,
        sys: &S,
        t: f64,
        t_new: f64,
        y: &[f64],
        f0: &[f64],
        y_new: &mut [f64],
        f1: &mut [f64],
        tol: Tol,
        estimate_stiffness: bool,
    ) -> Attempt {
        by_dim!(y.len(), |N| self.step_n::<S, N>(
            sys,
            t,
            t_new,
            y,
            f0,
            y_new,
            f1,
            tol,
            estimate_stiffness
        ))
    }

    /// [`Dopri5::step`] for dimension `N` (0: any).
    #[allow(clippy::too_many_arguments)]
    fn step_n<S: OdeSystem + ?Sized, const N: usize>(
        &mut self,
        sys: &S,
        t: f64,
        t_new: f64,
        y: &[f64],
        f0: &[f64],
        y_new: &mut [f64],
        f1: &mut [f64],
        tol: Tol,
        estimate_stiffness: bool,
    ) -> Attempt {
        let n = dim::<N>(y.len());
        let h = t_new - t;
        let (y, k1, y_new, f1) = (&y[..n], &f0[..n], &mut y_new[..n], &mut f1[..n]);
        let Self {
            k2,
            k3,
            k4,
            k5,
            k6,
            stage,
            y6,
        } = self;
        let (k2, k3, k4, k5, k6) = (
            &mut k2[..n],
            &mut k3[..n],
            &mut k4[..n],
            &mut k5[..n],
            &mut k6[..n],
        );
        let (stage, y6) = (&mut stage[..n], &mut y6[..n]);

        for i in 0..n {
            stage[i] = y[i] + h * (A21 * k1[i]);
        }
        sys.rhs(t + C2 * h, stage, k2);
        for i in 0..n {
            stage[i] = y[i] + h * (A31 * k1[i] + A32 * k2[i]);
        }
        sys.rhs(t + C3 * h, stage, k3);
        for i in 0..n {
            stage[i] = y[i] + h * (A41 * k1[i] + A42 * k2[i] + A43 * k3[i]);
        }
        sys.rhs(t + C4 * h, stage, k4);
        for i in 0..n {
            stage[i] = y[i] + h * (A51 * k1[i] + A52 * k2[i] + A53 * k3[i] + A54 * k4[i]);
        }
        sys.rhs(t + C5 * h, stage, k5);
        for i in 0..n {
            y6[i] =
                y[i] + h * (A61 * k1[i] + A62 * k2[i] + A63 * k3[i] + A64 * k4[i] + A65 * k5[i]);
        }
        sys.rhs(t_new, y6, k6);
        for i in 0..n {
            y_new[i] =
                y[i] + h * (A71 * k1[i] + A73 * k3[i] + A74 * k4[i] + A75 * k5[i] + A76 * k6[i]);
        }
        sys.rhs(t_new, y_new, f1);

        let (mut sum, mut num, mut den) = (0.0, 0.0, 0.0);
        let mut finite = true;
        for i in 0..n {
            let e =
                h * (E1 * k1[i] + E3 * k3[i] + E4 * k4[i] + E5 * k5[i] + E6 * k6[i] + E7 * f1[i]);
            let w = 1.0 / (tol.atol + tol.rtol * y[i].abs().max(y_new[i].abs()));
            sum += (e * w) * (e * w);
            finite &= y_new[i].is_finite() & f1[i].is_finite();
            if estimate_stiffness {
                let df = (f1[i] - k6[i]) * w;
                let dy = (y_new[i] - y6[i]) * w;
                num += df * df;
                den += dy * dy;
            }
        }
        let err = if finite {
            (sum / n as f64).sqrt()
        } else {
            f64::NAN
        };
        let stiffness = if den > 0.0 {
            h * (num / den).sqrt()
        } else {
            0.0
        };
        Attempt { err, stiffness }
    }

    /// Fills `dense` with the continuous extension of the last (accepted) step.
    #[allow(clippy::too_many_arguments)]
    pub(crate) fn dense_output(
        &self,
        dense: &mut Dense,
        t: f64,
        t_new: f64,
        y: &[f64],
        f0: &[f64],
        y_new: &[f64],
        f1: &[f64],
    ) {
        let h = t_new - t;
        let c = dense.begin(t, h);
        for i in 0..y.len() {
            let delta = y_new[i] - y[i];
            let bspl = h * f0[i] - delta;
            let r4 = delta - h * f1[i] - bspl;
            let r5 = h
                * (D1 * f0[i]
                    + D3 * self.k3[i]
                    + D4 * self.k4[i]
                    + D5 * self.k5[i]
                    + D6 * self.k6[i]
                    + D7 * f1[i]);
            c.y0[i] = y[i];
            c.delta[i] = delta;
            c.p0[i] = bspl;
            c.p1[i] = r4 + r5;
            c.p2[i] = -r5;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tableau_is_consistent() {
        let rows = [
            (C2, A21),
            (C3, A31 + A32),
            (C4, A41 + A42 + A43),
            (C5, A51 + A52 + A53 + A54),
            (1.0, A61 + A62 + A63 + A64 + A65),
            (1.0, A71 + A73 + A74 + A75 + A76),
        ];
        for (c, sum) in rows {
            assert!((c - sum).abs() < 1e-14, "{c} vs {sum}");
        }
        assert!((E1 + E3 + E4 + E5 + E6 + E7).abs() < 1e-16);
        // Dense output: the θ⁴ and lower terms must integrate constants exactly, i.e. the
        // D weights sum to zero.
        assert!((D1 + D3 + D4 + D5 + D6 + D7).abs() < 1e-13);
        // Order conditions of the 5th-order weights: Σb c^(q−1) = 1/q for q = 1..5.
        let b = [A71, 0.0, A73, A74, A75, A76];
        let c = [0.0, C2, C3, C4, C5, 1.0];
        for q in 1..=5 {
            let s: f64 = b.iter().zip(c).map(|(b, c)| b * c.powi(q - 1)).sum();
            assert!((s - 1.0 / f64::from(q)).abs() < 1e-14, "q = {q}");
        }
    }
}
