//! The interface between the event simulator and a model's dynamics.

use crate::PkError;

/// Dynamics of compartment amounts under piecewise-constant zero-order inputs.
///
/// The simulator ([`crate::sim`]) owns the event logic (doses, infusions, resets, steady
/// state); an implementation only advances amounts in time. Closed-form linear models
/// ([`crate::linear::LinearPk`]) and ODE models ([`crate::nonlinear`]) both implement it.
pub trait PkSystem {
    /// Number of compartments; they come first in the state vector.
    fn n_cmt(&self) -> usize;

    /// Number of state components: the compartments, then integrators (such as the AUC of
    /// the central compartment) that feed nothing back. Steady-state solutions act on the
    /// compartments only; integrators keep accumulating.
    fn n_state(&self) -> usize {
        self.n_cmt()
    }

    /// Advances `state` from `t0` through each of `stops` (non-decreasing, all ≥ `t0`) with
    /// constant `rates` (amount per time into each state component), calling
    /// `visit(k, state)` at `stops[k]`. On return `state` is at the last stop.
    fn advance<V: FnMut(usize, &[f64])>(
        &mut self,
        state: &mut [f64],
        t0: f64,
        stops: &[f64],
        rates: &[f64],
        visit: V,
    ) -> Result<(), PkError>;

    /// For linear systems: solves the periodic steady state `x = Φ(period)·x + c` exactly over
    /// the compartments (`c` and `x` have `n_cmt` components), where Φ is the
    /// state-transition matrix. `None` when the system is not linear (the simulator then
    /// iterates dosing intervals to convergence).
    fn solve_periodic(&mut self, _period: f64, _c: &[f64], _x: &mut [f64]) -> Option<Result<(), PkError>> {
        None
    }

    /// For linear systems: the steady state of the compartments under constant `rates`
    /// (solves `K·x + r = 0`; both have `n_cmt` components). `None` when not linear.
    fn solve_constant_input(&mut self, _rates: &[f64], _x: &mut [f64]) -> Option<Result<(), PkError>> {
        None
    }

}
