//! Adaptive ODE solvers for pharmacokinetic models.
//!
//! Used for the models without a closed form (Michaelis–Menten elimination, transit-compartment
//! absorption, turnover models) and to check the closed forms of the linear compartment models.
//! The solver is built for many small systems (dimension 1–12) solved over and over: a
//! [`Solver`] owns every scratch buffer, so after its first call for a given dimension a call
//! allocates nothing; observation times are served from each method's continuous extension
//! (dense output) rather than by shortening steps (DOP853's only where its defect check passes,
//! see below); the error norm is the usual weighted RMS.
//!
//! # Methods
//!
//! * [`Method::Auto`] (the default), for systems that give their Taylor coefficients
//!   ([`OdeSystem::taylor`]; the linear models and transit chains of [`crate::nonlinear`] do,
//!   Michaelis–Menten elimination does not, see below): the Taylor-series
//!   method (order 20; coefficients by automatic differentiation of the right-hand side, the
//!   step from the last two terms as in À. Jorba & M. Zou, Exp. Math. 14, 99–117, 2005, and
//!   bounded by the radius of convergence their ratio estimates; the polynomial is the dense
//!   output). No step is rejected. After sixteen steps in a row each shorter than 1/64 of the
//!   way left (a stiff stretch), it hands the rest of the call to [`Method::RungeKutta`]. See
//!   `taylor.rs` and "Why the Taylor series" below.
//! * [`Method::NonStiff`]: the Dormand–Prince 5(4) pair (J. R. Dormand & P. J. Prince, "A family
//!   of embedded Runge–Kutta formulae", J. Comput. Appl. Math. 6, 19–26, 1980), FSAL, with the
//!   4th-order continuous extension of Shampine (Math. Comp. 46, 135–150, 1986) in the form of
//!   Hairer's `dopri5.f`, and that code's PI step-size controller. See E. Hairer, S. P. Nørsett &
//!   G. Wanner, *Solving Ordinary Differential Equations I*, 2nd ed., Springer 1993, §II.5–II.6.
//! * [`Method::Stiff`]: the Rosenbrock–Wanner method Rodas5P (G. Steinebach, "Construction of
//!   Rosenbrock–Wanner method Rodas5P and numerical benchmarks within the Julia Differential
//!   Equations package", BIT Numer. Math. 63, 27, 2023): order 5 with an embedded order-4 error
//!   estimate, L-stable, stiffly accurate, with a 4th-order dense output. It is written in the
//!   transformed variables of E. Hairer & G. Wanner, *Solving Ordinary Differential Equations II*,
//!   2nd ed., Springer 1996, §IV.7, so each step costs one Jacobian, one LU factorisation of
//!   `I/(γh) − J` and eight back-substitutions. Step sizes follow the predictive (Gustafsson)
//!   controller of Hairer's `rodas.f` (ibid. §IV.8). The Jacobian is the system's analytic one
//!   when [`OdeSystem::jacobian`] provides it, otherwise forward differences.
//! * [`Method::RungeKutta`], and [`Method::Auto`] for other systems: Dormand–Prince with the
//!   stiffness test of `dopri5.f`
//!   (ibid. §IV.2): `h·|λ|` for the dominant eigenvalue is estimated from the last two stages
//!   on every accepted step (here in the error-weighted norm), and fifteen estimates above 1.5
//!   (not interrupted by six below) switch to Rodas5P. `dopri5.f`'s threshold of 3.25 misses
//!   stiffness where the controller settles well inside the stability boundary (see
//!   `explicit::STIFFNESS_THRESHOLD`). It switches back when `h·‖J‖∞`, an upper bound on `h`
//!   times the Jacobian's spectral radius, stays below 1 for twenty accepted stiff steps.
//! * At relative tolerances of `1e-5` and below, [`Method::RungeKutta`] uses instead the explicit
//!   method DOP853 of Hairer's `dop853.f` (Prince & Dormand's order-8 pair, J. Comput. Appl.
//!   Math. 7, 67–75, 1981, with Hairer's error estimator of orders 5 and 3 and a 7th-order
//!   dense output; Hairer, Nørsett & Wanner I, §II.10), as Hairer and DifferentialEquations.jl
//!   recommend a high-order pair at tight tolerances: on a two-compartment oral model at
//!   `rtol = 1e-8` it takes about 32 steps a day where Dormand–Prince 5(4) takes 150, i.e. half
//!   the right-hand-side calls; at `rtol = atol = 1e-6` 16 where Dormand–Prince takes 48, and
//!   it is still the cheaper of the two at `1e-5` with hourly observations. Each step costs twelve calls, plus three for the dense output
//!   and two for its defect check when a stop falls within it: where a fast mode has died out
//!   but steps have grown to `|λh|` ≈ 5–10 the interpolant can be off by hundreds of times the
//!   tolerances between step ends that are accurate, so it serves the stops inside a step only
//!   if its defect `f(t, u) − u'`, sampled at a third and two thirds of the step, passes;
//!   otherwise those stops are reached by re-integration (see `dense.rs`). Its stiffness
//!   test is the same estimate with the threshold
//!   scaled to its larger stability region (see `dop853::STIFFNESS_THRESHOLD`).
//!
//! * [`Method::Adams`] (opt-in): the variable-step, variable-order Adams–Bashforth–Moulton
//!   method (PECE, orders 1–12) of L. F. Shampine & M. K. Gordon, *Computer Solution of
//!   Ordinary Differential Equations*, Freeman 1975 (their STEP and INTRP, as in Netlib's
//!   `ode.f` and SLATEC's DDEABM): two right-hand-side calls per step, dense output from the
//!   interpolating polynomial at no extra call, restarted at order 1 at every call (every
//!   discontinuity), with a first step from an estimate of `y''` (see `adams.rs`). It has no
//!   stiffness test and is for non-stiff problems only.
//!
//! ## Why the Taylor series
//!
//! On PK systems the work per step decides, not the right-hand-side calls (below). A Taylor
//! step of order 20 costs twenty passes of the right-hand side's recurrence (for a linear
//! model one small matrix-vector product each, with no stage combinations), spans
//! `|λh|` ≈ 3–4 of the fastest mode still present where DOP853 spans about 1, and serves each
//! stop by evaluating its polynomial (four Horner chains side by side). Measured on the
//! benchmark case below (callgrind, instructions per subject; closed form 75 k):
//!
//! | rtol / atol   | method | steps | instructions | vs closed form |
//! |---------------|--------|------:|-------------:|---------------:|
//! | 1e-8 / 1e-10  | Auto (Taylor)             | 270 | 0.58 M | 7.7× |
//! | 1e-8 / 1e-10  | RungeKutta (DOP853)       | 935 | 2.41 M | 32× |
//! | 1e-6 / 1e-6   | Auto (Taylor)             | 199 | 0.47 M | 6.3× |
//! | 1e-6 / 1e-6   | RungeKutta (DOP853)       | 470 | 1.66 M | 22× |
//!
//! Michaelis–Menten elimination gives no coefficients, so it runs on [`Method::RungeKutta`].
//! Its coefficients were built and measured (the quotient series of `C/(KM + C)`): the gain
//! was small, as the solution's complex singularities (where `C` would reach `−KM`) bound the
//! steps (2.32 M instructions per subject against DOP853's 2.93 M at 1e-8 with VMAX 10 mg/h,
//! KM 2 mg/L), and a review found the step rule blind to the kink where the central
//! compartment empties at a small KM (its weight in the last coefficients is of order KM): a
//! step ran past it and the central amount reached −17 mg at the default tolerances. Global
//! errors of the Taylor series against the closed forms stay within the tolerances' scale
//! (tests `ode_linear.rs`, `ode_pk.rs`, `properties.rs`).
//!
//! ## Why [`Method::RungeKutta`] does not use the Adams method
//!
//! Adams methods save right-hand-side calls, which pays when `f` is expensive; PK systems are
//! small and `f` is cheap (a 3×3 product for a two-compartment oral model, ~25 instructions),
//! so the per-step work of the method decides. Measured on mrgsolve's benchmark case
//! (two-compartment oral, 100 mg q24h × 28, 673 hourly observations; `examples/throughput.rs`,
//! callgrind instructions per subject; the closed form takes 74 k):
//!
//! | rtol / atol   | method | steps | RHS calls | instructions | vs closed form |
//! |---------------|--------|------:|----------:|-------------:|---------------:|
//! | 1e-8 / 1e-10  | RungeKutta (DOP853) |   903 | 10 890 | 2.40 M | 32× |
//! | 1e-8 / 1e-10  | Adams  | 3 540 |  7 130 | 4.99 M | 67× |
//! | 1e-6 / 1e-6   | RungeKutta (DOP853) |   449 |  5 440 | 1.53 M | 21× |
//! | 1e-6 / 1e-6   | Adams  | 2 090 |  4 240 | 2.96 M | 40× |
//!
//! (DOP853's instructions include its defect checks and re-integrations to stops, about 0.27 M
//! at 1e-8 and 0.30 M at 1e-6; see `dense.rs`.)
//!
//! Adams takes about 4× the steps of DOP853 for ⅔ (1e-8) to ¾ (1e-6) of its calls: the steps
//! are set by accuracy in the absorption compartment (rate 1.2/h, held to `rtol` relative to
//! its decaying amount), where order 10–12 runs at `h ≈ 0.14 h` while DOP853 takes 0.75 h
//! (capping the order lowers the step size further: 7 070 steps at order ≤ 5). Each call
//! restarts at order 1 from `h ≈ 1e-4` and doubles up (about 15 steps a dose), and each step
//! costs ~700 instructions (difference-table updates of order ~10, coefficients whenever the
//! step size or order changes) plus ~1 100 per observation for the interpolant's coefficients.
//! The global error on the absorption compartment is also larger than DOP853's at the same
//! tolerances (up to ~15× rather than ~2× `rtol·|y| + atol` on the closed forms, as local
//! errors add up over the many small steps: `tests/ode_adams.rs`). So [`Method::RungeKutta`]
//! keeps DOP853 / Dormand–Prince; [`Method::Adams`] is there for models whose right-hand side is
//! expensive relative to the step overhead.
//!
//! The first trial step of a call comes from Hairer's `hinit` (see `control::initial_step`);
//! after it is accepted the step may grow by up to 10⁴ (as CVODE's first step) rather than the
//! controller's usual bound, since `hinit` is cautious when a compartment starts empty.
//!
//! Non-stiff PK models (linear compartments at ordinary rates, Michaelis–Menten at moderate
//! `Vmax/Km`) stay on the Taylor series, or on the explicit Runge–Kutta method for systems
//! without coefficients, which are cheaper per step; stiff ones (turnover models with fast
//! `kout`, chains of fast transit compartments) move to Rodas5P after a few steps.
//!
//! # Determinism
//!
//! The same inputs on a fresh [`Solver`] give bit-identical outputs. By default a solver keeps
//! nothing from one call to the next that affects results; [`Solver::set_warm_start`] opts in to
//! starting a call from the previous call's last step size and stiffness decision, which saves
//! the initial-step search but makes results depend on the calls before.
//!
//! # Example
//!
//! ```
//! use vtrial_pk::ode::{FnSystem, Solver, SolverOptions};
//! // One-compartment elimination, k = 0.1 /h, 100 mg at t = 0, observed hourly for a day.
//! let sys = FnSystem::new(1, |_t, y: &[f64], dy: &mut [f64]| dy[0] = -0.1 * y[0]);
//! let stops: Vec<f64> = (1..=24).map(f64::from).collect();
//! let mut y = [100.0];
//! let mut conc = Vec::new();
//! let mut solver = Solver::new(SolverOptions::default());
//! solver.integrate(&sys, 0.0, &mut y, &stops, |_k, yk| conc.push(yk[0])).unwrap();
//! assert!((y[0] - 100.0 * (-2.4f64).exp()).abs() < 1e-7);
//! assert_eq!(conc.len(), 24);
//! ```

mod adams;
mod control;
mod dense;
mod dim;
mod dop853;
mod error;
mod explicit;
mod jacobian;
mod linalg;
mod rosenbrock;
mod solver;
mod taylor;
mod validate;

pub use error::{InputProblem, OdeError};

/// `[1/1, 1/2, …, 1/N]`: the factors `1/(k + 1)` of the Adams and Taylor recurrences, so that
/// they multiply instead of divide.
const fn reciprocals<const N: usize>() -> [f64; N] {
    let mut r = [0.0; N];
    let mut k = 0;
    while k < N {
        r[k] = 1.0 / (k + 1) as f64;
        k += 1;
    }
    r
}
pub use solver::Solver;
pub use taylor::MAX_TAYLOR_ORDER;
pub(crate) use taylor::TAYLOR_RECIPROCALS;

/// Right-hand side of `dy/dt = f(t, y)`.
pub trait OdeSystem {
    /// Number of state components.
    fn dim(&self) -> usize;

    /// Writes `f(t, y)` into `dydt` (both of length [`dim`](OdeSystem::dim)).
    fn rhs(&self, t: f64, y: &[f64], dydt: &mut [f64]);

    /// Analytic Jacobian `∂f/∂y`, row-major `dim × dim` into `jac` (entry `(i, j)` at
    /// `i * dim + j` is `∂f_i/∂y_j`; every entry must be written). Return `false` (the
    /// default) to let the solver use finite differences instead.
    fn jacobian(&self, _t: f64, _y: &[f64], _jac: &mut [f64]) -> bool {
        false
    }

    /// Whether `f` does not depend on `t`. Returning `true` lets the stiff method skip the
    /// finite-difference time derivative (one right-hand-side call per step). Default `false`.
    fn is_autonomous(&self) -> bool {
        false
    }

    /// Normalised Taylor coefficients of the solution through `(t, y)`, for the Taylor-series
    /// method of [`Method::Auto`]: `coeffs` holds `order + 1` rows of
    /// [`dim`](OdeSystem::dim) values, row-major; row 0 is `y` on entry, and row `k` must be
    /// set to `y⁽ᵏ⁾(t)/k!` for `k = 1..=order` (`order` ≤ [`MAX_TAYLOR_ORDER`]), by automatic
    /// differentiation of `f` (e.g. `y_{k+1} = K·y_k/(k + 1)` for `f = K·y`). Return `false`
    /// (the default) where the system has no coefficients at this point; the solver then uses
    /// [`Method::RungeKutta`] for the rest of the call. Give them only for systems whose
    /// solutions the last two coefficients describe well: not for a kink of small weight
    /// (see `taylor.rs`, "What it cannot see").
    fn taylor(&self, _t: f64, _order: usize, _coeffs: &mut [f64]) -> bool {
        false
    }
}

/// An [`OdeSystem`] from a closure `f(t, y, dydt)`, with finite-difference Jacobians.
#[derive(Clone, Debug)]
pub struct FnSystem<F> {
    dim: usize,
    f: F,
}

impl<F: Fn(f64, &[f64], &mut [f64])> FnSystem<F> {
    /// Wraps `f` as the right-hand side of a system of dimension `dim`.
    pub fn new(dim: usize, f: F) -> Self {
        Self { dim, f }
    }
}

impl<F: Fn(f64, &[f64], &mut [f64])> OdeSystem for FnSystem<F> {
    fn dim(&self) -> usize {
        self.dim
    }
    fn rhs(&self, t: f64, y: &[f64], dydt: &mut [f64]) {
        (self.f)(t, y, dydt)
    }
}

/// Which integration method [`Solver::integrate`] uses.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum Method {
    /// The Taylor-series method where the system provides its coefficients
    /// ([`OdeSystem::taylor`], as the PK models do), handing over to [`Method::RungeKutta`]
    /// for a stretch where it would need many short steps (stiffness, a near-singularity);
    /// [`Method::RungeKutta`] for other systems.
    #[default]
    Auto,
    /// Dormand–Prince 5(4) (DOP853 at `rtol <= 1e-5`) with stiffness detection, switching to
    /// Rodas5P while the problem is stiff (and back when it no longer is): what
    /// [`Method::Auto`] does for systems without Taylor coefficients.
    RungeKutta,
    /// Dormand–Prince 5(4) only, with its 4th-order dense output.
    NonStiff,
    /// Rodas5P only: L-stable Rosenbrock–Wanner method of order 5 with 4th-order dense output.
    Stiff,
    /// Variable-step, variable-order Adams–Bashforth–Moulton (PECE, orders 1–12) of Shampine
    /// & Gordon only, with its interpolating polynomial as dense output.
    Adams,
}

/// Tolerances, limits and method for [`Solver`].
#[derive(Clone, Debug)]
pub struct SolverOptions {
    /// Relative tolerance (`>= 0`). Default `1e-8`.
    pub rtol: f64,
    /// Absolute tolerance, in the units of the state (mg for PK amounts); must be `> 0`.
    /// Default `1e-10`.
    pub atol: f64,
    /// Most step attempts (accepted and rejected, DOP853's re-integrations to stops included)
    /// per call before [`OdeError::TooManySteps`].
    /// Default `100_000`.
    pub max_steps: usize,
    /// Integration method. Default [`Method::Auto`].
    pub method: Method,
    /// First trial step size; `None` (default) estimates one from the system at `t0`.
    pub initial_step: Option<f64>,
    /// Largest step size allowed; `None` (default) for no limit beyond the integration span.
    pub max_step: Option<f64>,
}

impl Default for SolverOptions {
    fn default() -> Self {
        Self {
            rtol: 1e-8,
            atol: 1e-10,
            max_steps: 100_000,
            method: Method::Auto,
            initial_step: None,
            max_step: None,
        }
    }
}

/// Work counters of one [`Solver::integrate`] call.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct SolveStats {
    /// Accepted steps.
    pub steps: usize,
    /// Rejected step attempts (error too large, non-finite values or a singular matrix).
    pub rejected: usize,
    /// Right-hand-side evaluations (for a Taylor step, one per order of its coefficients),
    /// finite-difference ones included, except those DOP853 (see
    /// [`Method::Auto`]) makes to serve stops inside a step: three for its dense output, two
    /// for the defect check and those of any re-integration to the stops. The counters
    /// describe the step sequence, which does not depend on the stops.
    pub rhs_evals: usize,
    /// Jacobian evaluations, analytic or by finite differences.
    pub jacobian_evals: usize,
    /// LU factorisations of the stiff method's iteration matrix.
    pub lu_decompositions: usize,
    /// Accepted steps taken by the stiff method.
    pub stiff_steps: usize,
}

impl std::ops::AddAssign for SolveStats {
    /// Adds the counters of another call.
    fn add_assign(&mut self, other: Self) {
        self.steps += other.steps;
        self.rejected += other.rejected;
        self.rhs_evals += other.rhs_evals;
        self.jacobian_evals += other.jacobian_evals;
        self.lu_decompositions += other.lu_decompositions;
        self.stiff_steps += other.stiff_steps;
    }
}
