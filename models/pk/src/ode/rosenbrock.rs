//! Rodas5P: an L-stable, stiffly accurate Rosenbrock–Wanner method of order 5(4) with a
//! 4th-order dense output.
//!
//! Coefficients: G. Steinebach, BIT Numer. Math. 63, 27 (2023), in the transformed variables
//! of Hairer & Wanner II, §IV.7 (as also tabulated by OrdinaryDiffEq.jl). With
//! `W = I/(γh) − J`, each stage solves
//!
//! ```text
//! W kᵢ = f(t + αᵢh, y + Σⱼ aᵢⱼ kⱼ) + Σⱼ (cᵢⱼ/h) kⱼ + h dᵢ ∂f/∂t,
//! ```
//!
//! the solution is the eighth stage's input plus `k₈`, and `k₈` itself is the error estimate
//! (stiffly accurate embedding). Stages 7 and 8 add `k₆` and `k₇` to the previous input.

use super::OdeSystem;
use super::SolveStats;
use super::control::{Tol, error_norm};
use super::dense::Dense;
use super::dim::{by_dim, dim};
use super::jacobian;
use super::linalg::Lu;

const STAGES: usize = 8;
const GAMMA: f64 = 0.21193756319429014;

/// Stage-input coefficients `aᵢⱼ` (`j < i`).
const A: [[f64; STAGES]; STAGES] = {
    let r6 = [
        -7.502846399306121,
        2.561846144803919,
        -11.627539656261098,
        -0.18268767659942256,
        0.030198172008377946,
        0.0,
        0.0,
        0.0,
    ];
    let mut r7 = r6;
    r7[5] = 1.0;
    let mut r8 = r7;
    r8[6] = 1.0;
    [
        [0.0; STAGES],
        [3.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0],
        [
            2.849394379747939,
            0.45842242204463923,
            0.0,
            0.0,
            0.0,
            0.0,
            0.0,
            0.0,
        ],
        [
            -6.954028509809101,
            2.489845061869568,
            -10.358996098473584,
            0.0,
            0.0,
            0.0,
            0.0,
            0.0,
        ],
        [
            2.8029986275628964,
            0.5072464736228206,
            -0.3988312541770524,
            -0.04721187230404641,
            0.0,
            0.0,
            0.0,
            0.0,
        ],
        r6,
        r7,
        r8,
    ]
};

/// Coupling coefficients `cᵢⱼ` (`j < i`).
const C: [[f64; STAGES]; STAGES] = [
    [0.0; STAGES],
    [-14.155112264123755, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0],
    [
        -17.97296035885952,
        -2.859693295451294,
        0.0,
        0.0,
        0.0,
        0.0,
        0.0,
        0.0,
    ],
    [
        147.12150275711716,
        -1.41221402718213,
        71.68940251302358,
        0.0,
        0.0,
        0.0,
        0.0,
        0.0,
    ],
    [
        165.43517024871676,
        -0.4592823456491126,
        42.90938336958603,
        -5.961986721573306,
        0.0,
        0.0,
        0.0,
        0.0,
    ],
    [
        24.854864614690072,
        -3.0009227002832186,
        47.4931110020768,
        5.5814197821558125,
        -0.6610691825249471,
        0.0,
        0.0,
        0.0,
    ],
    [
        30.91273214028599,
        -3.1208243349937974,
        77.79954646070892,
        34.28646028294783,
        -19.097331116725623,
        -28.087943162872662,
        0.0,
        0.0,
    ],
    [
        37.80277123390563,
        -3.2571969029072276,
        112.26918849496327,
        66.9347231244047,
        -40.06618937091002,
        -54.66780262877968,
        -9.48861652309627,
        0.0,
    ],
];

/// Stage times `αᵢ` as fractions of the step.
const ALPHA: [f64; STAGES] = [
    0.0,
    0.6358126895828704,
    0.4095798393397535,
    0.9769306725060716,
    0.4288403609558664,
    1.0,
    1.0,
    1.0,
];

/// Time-derivative weights `dᵢ` (`Σⱼ γᵢⱼ` of the untransformed method).
const D: [f64; STAGES] = [
    0.21193756319429014,
    -0.42387512638858027,
    -0.3384627126235924,
    1.8046452872882734,
    2.325825639765069,
    0.0,
    0.0,
    0.0,
];

/// Dense-output weights: the interpolant is
/// `(1−θ)y₀ + θ(y₁ + (1−θ)(q₁ + θ(q₂ + θq₃)))` with `qₘ = Σⱼ H[m][j] kⱼ`.
const H: [[f64; STAGES]; 3] = [
    [
        25.948786856663858,
        -2.5579724845846235,
        10.433815404888879,
        -2.3679251022685204,
        0.524948541321073,
        1.1241088310450404,
        0.4272876194431874,
        -0.17202221070155493,
    ],
    [
        -9.91568850695171,
        -0.9689944594115154,
        3.0438037242978453,
        -24.495224566215796,
        20.176138334709044,
        15.98066361424651,
        -6.789040303419874,
        -6.710236069923372,
    ],
    [
        11.419903575922262,
        2.8879645146136994,
        72.92137995996029,
        80.12511834622643,
        -52.072871366152654,
        -59.78993625266729,
        -0.15582684282751913,
        4.883087185713722,
    ],
];

/// Why a Rodas5P step could not be completed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum StepFailure {
    /// `I/(γh) − J` could not be factored.
    Singular,
    /// The right-hand side returned NaN or infinity in this component at a stage.
    NonFinite(usize),
}

/// Jacobian, time derivative, LU factors and stage storage of Rodas5P.
#[derive(Clone, Debug, Default)]
pub(crate) struct Rodas {
    n: usize,
    jac: Vec<f64>,
    ft: Vec<f64>,
    /// `‖J‖∞` at the current point.
    jac_norm: f64,
    lu: Lu,
    /// Stages `k₁ … k₈`, each of length `n`, one after another.
    k: Vec<f64>,
    stage: Vec<f64>,
    rhs: Vec<f64>,
}

impl Rodas {
    /// Sizes the buffers for dimension `n`.
    pub(crate) fn resize(&mut self, n: usize) {
        self.n = n;
        self.jac.resize(n * n, 0.0);
        self.ft.resize(n, 0.0);
        self.lu.resize(n);
        self.k.resize(STAGES * n, 0.0);
        self.stage.resize(n, 0.0);
        self.rhs.resize(n, 0.0);
    }

    /// Evaluates the Jacobian and `∂f/∂t` at the accepted point `(t, y)` with `f0 = f(t, y)`,
    /// sampling `f` in time only within `[t_lo, t_hi]`.
    #[allow(clippy::too_many_arguments)]
    pub(crate) fn prepare<S: OdeSystem + ?Sized>(
        &mut self,
        sys: &S,
        t: f64,
        y: &[f64],
        f0: &[f64],
        t_lo: f64,
        t_hi: f64,
        stats: &mut SolveStats,
    ) {
        let n = self.n;
        if !sys.jacobian(t, y, &mut self.jac) {
            jacobian::forward_difference(
                sys,
                t,
                y,
                f0,
                &mut self.jac,
                &mut self.stage,
                &mut self.rhs,
            );
            stats.rhs_evals += n;
        }
        stats.jacobian_evals += 1;
        if sys.is_autonomous() {
            self.ft.fill(0.0);
        } else {
            stats.rhs_evals +=
                jacobian::time_derivative(sys, t, y, f0, t_lo, t_hi, &mut self.ft, &mut self.rhs);
        }
        self.jac_norm = self
            .jac
            .chunks_exact(n.max(1))
            .map(|row| row.iter().map(|v| v.abs()).sum::<f64>())
            .fold(0.0, f64::max);
    }

    /// `‖J‖∞` at the point of the last [`Rodas::prepare`], an upper bound on the spectral radius.
    pub(crate) fn jacobian_norm(&self) -> f64 {
        self.jac_norm
    }

    /// Attempts a step from `(t, y)` with `f0 = f(t, y)` to `t_new`, writing the solution to
    /// `y_new`. Returns the error norm (NaN if a value went non-finite), or why the step
    /// failed. Costs up to seven right-hand-side calls.
    #[allow(clippy::too_many_arguments)]
    pub(crate) fn step<S: OdeSystem + ?Sized>(
        &mut self,
        sys: &S,
        t: f64,
        t_new: f64,
        y: &[f64],
        f0: &[f64],
        y_new: &mut [f64],
        tol: Tol,
        stats: &mut SolveStats,
    ) -> Result<f64, StepFailure> {
        by_dim!(self.n, |N| self
            .step_n::<S, N>(sys, t, t_new, y, f0, y_new, tol, stats))
    }

    /// [`Rodas::step`] for dimension `N` (0: any).
    #[allow(clippy::too_many_arguments)]
    fn step_n<S: OdeSystem + ?Sized, const N: usize>(
        &mut self,
        sys: &S,
        t: f64,
        t_new: f64,
        y: &[f64],
        f0: &[f64],
        y_new: &mut [f64],
        tol: Tol,
        stats: &mut SolveStats,
    ) -> Result<f64, StepFailure> {
        let n = dim::<N>(self.n);
        let h = t_new - t;
        let inv_gh = 1.0 / (GAMMA * h);
        let m = self.lu.matrix_mut();
        for (w, j) in m.iter_mut().zip(&self.jac) {
            *w = -j;
        }
        for i in 0..n {
            m[i * n + i] += inv_gh;
        }
        stats.lu_decompositions += 1;
        if !self.lu.factor_n::<N>() {
            return Err(StepFailure::Singular);
        }
        let inv_h = 1.0 / h;
        let stage = &mut self.stage[..n];
        for s in 0..STAGES {
            let (done, rest) = self.k.split_at_mut(s * n);
            let rhs = &mut rest[..n];
            if s == 0 {
                rhs.copy_from_slice(&f0[..n]);
            } else {
                stage.copy_from_slice(&y[..n]);
                for (kj, &a) in done.chunks_exact(n).zip(&A[s]) {
                    for (u, &k) in stage.iter_mut().zip(kj) {
                        *u += a * k;
                    }
                }
                sys.rhs((t + ALPHA[s] * h).min(t_new), stage, rhs);
                stats.rhs_evals += 1;
                // Report the model's own NaN before the solve smears it over all components.
                if let Some(i) = rhs.iter().position(|v| !v.is_finite()) {
                    return Err(StepFailure::NonFinite(i));
                }
            }
            if D[s] != 0.0 {
                let hd = h * D[s];
                for (r, &ft) in rhs.iter_mut().zip(&self.ft) {
                    *r += hd * ft;
                }
            }
            for (kj, &c) in done.chunks_exact(n).zip(&C[s]) {
                let c = c * inv_h;
                for (r, &k) in rhs.iter_mut().zip(kj) {
                    *r += c * k;
                }
            }
            self.lu.solve_n::<N>(rhs);
        }
        // The eighth stage's input is still in `stage`; add k₈.
        let k8 = &self.k[(STAGES - 1) * n..];
        for ((yn, &u), &k) in y_new[..n].iter_mut().zip(stage.iter()).zip(k8) {
            *yn = u + k;
        }
        Ok(error_norm(k8, y, y_new, tol))
    }

    /// Fills `dense` with the continuous extension of the last (accepted) step.
    pub(crate) fn dense_output(
        &self,
        dense: &mut Dense,
        t: f64,
        t_new: f64,
        y: &[f64],
        y_new: &[f64],
    ) {
        let n = self.n;
        let c = dense.begin(t, t_new - t);
        c.y0.copy_from_slice(&y[..n]);
        for i in 0..n {
            c.delta[i] = y_new[i] - y[i];
        }
        for (out, weights) in [&mut *c.p0, &mut *c.p1, &mut *c.p2].into_iter().zip(&H) {
            out.fill(0.0);
            for (kj, &w) in self.k.chunks_exact(n).zip(weights) {
                for (o, &k) in out.iter_mut().zip(kj) {
                    *o += w * k;
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tableau_structure() {
        assert_eq!(D[0], GAMMA);
        // α₂ = a₂₁γ: the first stage is the linearly implicit Euler increment scaled by γ.
        assert!((ALPHA[1] - A[1][0] * GAMMA).abs() < 1e-15);
        for i in 0..STAGES {
            for j in i..STAGES {
                assert_eq!(A[i][j], 0.0);
                assert_eq!(C[i][j], 0.0);
            }
        }
    }
}
