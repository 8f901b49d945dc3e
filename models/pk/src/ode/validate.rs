//! Checks of the solver's arguments before any work is done.

use super::SolverOptions;
use super::error::InputProblem;

/// Checks the options, the state and the stops of one call.
pub(crate) fn check(
    options: &SolverOptions,
    dim: usize,
    t0: f64,
    y0: &[f64],
    stops: &[f64],
) -> Result<(), InputProblem> {
    let (rtol, atol) = (options.rtol, options.atol);
    if !(rtol.is_finite() && rtol >= 0.0 && atol.is_finite() && atol > 0.0) {
        return Err(InputProblem::BadTolerance { rtol, atol });
    }
    for (name, value) in [
        ("initial_step", options.initial_step),
        ("max_step", options.max_step),
    ] {
        if let Some(v) = value
            && !(v.is_finite() && v > 0.0)
        {
            return Err(InputProblem::BadStepOption { name, value: v });
        }
    }
    if options.max_steps == 0 {
        return Err(InputProblem::BadStepOption {
            name: "max_steps",
            value: 0.0,
        });
    }
    if y0.len() != dim {
        return Err(InputProblem::DimensionMismatch {
            expected: dim,
            got: y0.len(),
        });
    }
    if !t0.is_finite() {
        return Err(InputProblem::NonFiniteStart { t0 });
    }
    if let Some(component) = y0.iter().position(|v| !v.is_finite()) {
        return Err(InputProblem::NonFiniteInitialState {
            component,
            value: y0[component],
        });
    }
    let mut previous = t0;
    for (index, &stop) in stops.iter().enumerate() {
        if !stop.is_finite() {
            return Err(InputProblem::NonFiniteStop { index, stop });
        }
        if stop < t0 {
            return Err(InputProblem::StopBeforeStart { index, stop, t0 });
        }
        if stop < previous {
            return Err(InputProblem::StopsDecreasing {
                index,
                stop,
                previous,
            });
        }
        previous = stop;
    }
    Ok(())
}
