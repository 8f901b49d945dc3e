//! Errors of the ODE solver, each carrying what is needed to act on it.

use thiserror::Error;

/// Why [`Solver::integrate`](super::Solver::integrate) stopped without reaching the last stop.
///
/// On every error except [`OdeError::InvalidInput`] the state slice holds the last accepted
/// state, at the `t` the error reports, and every stop before that `t` has been visited.
#[derive(Clone, Debug, Error, PartialEq)]
pub enum OdeError {
    /// The step size fell to the floating-point resolution of `t`.
    #[error(
        "ODE step size {h:e} at t = {t} is too small to make progress: the solution is probably \
         blowing up or the model is singular near t (check the model), or the tolerances are \
         too tight for f64 (loosen rtol/atol)"
    )]
    StepSizeTooSmall {
        /// Time reached.
        t: f64,
        /// Step size that was too small.
        h: f64,
    },
    /// `max_steps` step attempts were made without reaching the last stop.
    #[error(
        "ODE solver made {max_steps} step attempts and stopped at t = {t}: raise max_steps, \
         loosen rtol/atol, or use Method::Auto or Method::Stiff if the model is stiff"
    )]
    TooManySteps {
        /// Time reached.
        t: f64,
        /// The limit that was hit (`SolverOptions::max_steps`).
        max_steps: usize,
    },
    /// A state component or its derivative became NaN or infinite and smaller steps did not help.
    #[error(
        "ODE state component {component} or its derivative became NaN or infinite at t = {t}: \
         check the model for a blow-up, a division by zero, or a log/sqrt of a negative value"
    )]
    NonFinite {
        /// Time of the last finite state.
        t: f64,
        /// Index of the first non-finite component.
        component: usize,
    },
    /// The stiff method's iteration matrix `I/(γh) − J` stayed singular as `h` was halved.
    #[error(
        "the stiff method's iteration matrix I/(γh) - J was singular at t = {t} (last h = {h:e}): \
         check the analytic Jacobian for NaN/infinite entries, or the model for a blow-up"
    )]
    SingularIterationMatrix {
        /// Time reached.
        t: f64,
        /// Last step size tried.
        h: f64,
    },
    /// The arguments were rejected before integrating; nothing was visited.
    #[error("invalid ODE solver input: {problem}")]
    InvalidInput {
        /// What was wrong.
        problem: InputProblem,
    },
}

/// What was wrong with the arguments of [`Solver::integrate`](super::Solver::integrate) or its
/// [`SolverOptions`](super::SolverOptions).
#[derive(Clone, Debug, Error, PartialEq)]
pub enum InputProblem {
    /// The state slice length differs from [`OdeSystem::dim`](super::OdeSystem::dim).
    #[error("state has {got} components but the system's dim() is {expected}")]
    DimensionMismatch {
        /// The system's dimension.
        expected: usize,
        /// Length of the state slice.
        got: usize,
    },
    /// `t0` is NaN or infinite.
    #[error("t0 = {t0} is not finite")]
    NonFiniteStart {
        /// The start time given.
        t0: f64,
    },
    /// A component of the initial state is NaN or infinite.
    #[error("initial state component {component} is {value}")]
    NonFiniteInitialState {
        /// Index of the component.
        component: usize,
        /// Its value.
        value: f64,
    },
    /// A stop is NaN or infinite.
    #[error("stop {index} is {stop}, not a finite time")]
    NonFiniteStop {
        /// Index into `stops`.
        index: usize,
        /// The stop.
        stop: f64,
    },
    /// A stop is before `t0`.
    #[error("stop {index} = {stop} is before t0 = {t0}; integrate forward only")]
    StopBeforeStart {
        /// Index into `stops`.
        index: usize,
        /// The stop.
        stop: f64,
        /// The start time.
        t0: f64,
    },
    /// Stops decrease.
    #[error("stop {index} = {stop} is before the stop before it ({previous}); sort the stops")]
    StopsDecreasing {
        /// Index into `stops` of the offending stop.
        index: usize,
        /// The stop.
        stop: f64,
        /// The stop before it.
        previous: f64,
    },
    /// Tolerances out of range: `rtol` must be finite and `>= 0`, `atol` finite and `> 0`.
    #[error("tolerances rtol = {rtol}, atol = {atol}: need finite rtol >= 0 and atol > 0")]
    BadTolerance {
        /// Relative tolerance given.
        rtol: f64,
        /// Absolute tolerance given.
        atol: f64,
    },
    /// `initial_step` or `max_step` is not finite and positive, or `max_steps` is 0.
    #[error("{name} = {value} must be finite and positive")]
    BadStepOption {
        /// Which option (`"initial_step"`, `"max_step"` or `"max_steps"`).
        name: &'static str,
        /// Its value.
        value: f64,
    },
}

impl From<InputProblem> for OdeError {
    fn from(problem: InputProblem) -> Self {
        OdeError::InvalidInput { problem }
    }
}
