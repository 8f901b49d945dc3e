//! Error paths: blow-ups, NaN-producing models, step limits, singular matrices, bad input.

use vtrial_pk::ode::{FnSystem, InputProblem, Method, OdeError, OdeSystem, Solver, SolverOptions};

const METHODS: [Method; 3] = [Method::Auto, Method::NonStiff, Method::Stiff];

fn solver(method: Method) -> Solver {
    Solver::new(SolverOptions {
        method,
        ..Default::default()
    })
}

#[test]
fn blow_up_is_an_error_not_a_panic() {
    // dy/dt = y², y(0) = 1: y = 1/(1 − t) blows up at t = 1, before the last stop.
    let sys = FnSystem::new(1, |_t, y: &[f64], d: &mut [f64]| d[0] = y[0] * y[0]);
    for method in METHODS {
        let mut y = [1.0];
        let mut visited = Vec::new();
        let result = solver(method).integrate(&sys, 0.0, &mut y, &[0.5, 2.0], |k, yk| {
            visited.push((k, yk[0]))
        });
        let t = match result {
            Err(OdeError::StepSizeTooSmall { t, .. } | OdeError::NonFinite { t, .. }) => t,
            other => panic!("{method:?}: expected a blow-up error, got {other:?}"),
        };
        assert!(t > 0.99 && t < 1.0 + 1e-6, "{method:?}: stopped at t = {t}");
        // The stop before the blow-up was served (y(0.5) = 2), the one after was not.
        assert_eq!(visited.len(), 1, "{method:?}");
        assert!((visited[0].1 - 2.0).abs() < 1e-6, "{method:?}: {visited:?}");
        // y holds the last accepted state, large but finite.
        assert!(y[0].is_finite() && y[0] > 100.0, "{method:?}: {y:?}");
    }
}

#[test]
fn nan_from_the_model_is_reported_with_its_component() {
    // dy/dt = −√y reaches y = 0 at t = 2 (y = (1 − t/2)²); any step past it takes √ of a
    // negative number.
    let sys = FnSystem::new(2, |_t, y: &[f64], d: &mut [f64]| {
        d[0] = 0.0;
        d[1] = -y[1].sqrt();
    });
    for method in METHODS {
        let mut y = [5.0, 1.0];
        match solver(method).integrate(&sys, 0.0, &mut y, &[3.0], |_, _| {}) {
            Err(OdeError::NonFinite { t, component: 1 }) => {
                assert!(t > 1.9 && t < 2.0 + 1e-6, "{method:?}: t = {t}")
            }
            other => panic!("{method:?}: expected NonFinite in component 1, got {other:?}"),
        }
    }
    // NaN at the initial point is reported at t0 at once.
    let sys = FnSystem::new(3, |_t, y: &[f64], d: &mut [f64]| {
        d.copy_from_slice(y);
        d[2] = f64::NAN;
    });
    let err = solver(Method::Auto)
        .integrate(&sys, 1.0, &mut [1.0; 3], &[2.0], |_, _| {})
        .unwrap_err();
    assert_eq!(
        err,
        OdeError::NonFinite {
            t: 1.0,
            component: 2
        }
    );
    assert!(err.to_string().contains("component 2") && err.to_string().contains("blow-up"));
}

#[test]
fn too_many_steps_reports_the_limit_and_keeps_the_last_state() {
    let sys = FnSystem::new(1, |t: f64, _y: &[f64], d: &mut [f64]| {
        d[0] = (10.0 * t).cos()
    });
    for method in METHODS {
        let mut y = [0.0];
        let opts = SolverOptions {
            method,
            max_steps: 5,
            ..Default::default()
        };
        let err = Solver::new(opts)
            .integrate(&sys, 0.0, &mut y, &[100.0], |_, _| {})
            .unwrap_err();
        match err {
            OdeError::TooManySteps { t, max_steps: 5 } => {
                assert!(t > 0.0 && t < 100.0);
                // y is the solution sin(10t)/10 at the reported t.
                assert!((y[0] - (10.0 * t).sin() / 10.0).abs() < 1e-6, "{method:?}");
            }
            other => panic!("{method:?}: {other:?}"),
        }
        assert!(err.to_string().contains("raise max_steps"));
    }
}

/// A system whose analytic Jacobian is NaN: the stiff method cannot factor `I/(γh) − J`.
struct BadJacobian;

impl OdeSystem for BadJacobian {
    fn dim(&self) -> usize {
        2
    }
    fn rhs(&self, _t: f64, y: &[f64], d: &mut [f64]) {
        d[0] = -y[0];
        d[1] = -y[1];
    }
    fn jacobian(&self, _t: f64, _y: &[f64], jac: &mut [f64]) -> bool {
        jac.fill(f64::NAN);
        true
    }
}

#[test]
fn singular_iteration_matrix_is_reported() {
    let mut y = [1.0, 1.0];
    let err = solver(Method::Stiff)
        .integrate(&BadJacobian, 0.0, &mut y, &[1.0], |_, _| {})
        .unwrap_err();
    assert!(
        matches!(err, OdeError::SingularIterationMatrix { t: 0.0, .. }),
        "{err:?}"
    );
    assert!(err.to_string().contains("Jacobian"));
    assert_eq!(y, [1.0, 1.0]);
    // The explicit method never uses the Jacobian.
    solver(Method::NonStiff)
        .integrate(&BadJacobian, 0.0, &mut y, &[1.0], |_, _| {})
        .unwrap();
}

fn invalid(opts: SolverOptions, t0: f64, y0: &[f64], stops: &[f64]) -> InputProblem {
    let sys = FnSystem::new(2, |_t, y: &[f64], d: &mut [f64]| d.copy_from_slice(y));
    let mut y = y0.to_vec();
    let result = Solver::new(opts).integrate(&sys, t0, &mut y, stops, |_, _| panic!("visited"));
    assert_eq!(y, y0, "state untouched");
    match result {
        Err(OdeError::InvalidInput { problem }) => problem,
        other => panic!("expected InvalidInput, got {other:?}"),
    }
}

#[test]
fn invalid_input_is_rejected_before_any_work() {
    let ok = SolverOptions::default;
    let y0 = [1.0, 2.0];
    assert_eq!(
        invalid(ok(), 0.0, &y0, &[1.0, 3.0, 2.0]),
        InputProblem::StopsDecreasing {
            index: 2,
            stop: 2.0,
            previous: 3.0
        }
    );
    assert_eq!(
        invalid(ok(), 1.0, &y0, &[0.5, 2.0]),
        InputProblem::StopBeforeStart {
            index: 0,
            stop: 0.5,
            t0: 1.0
        }
    );
    assert!(matches!(
        invalid(ok(), 0.0, &y0, &[1.0, f64::NAN]),
        InputProblem::NonFiniteStop { index: 1, .. }
    ));
    assert_eq!(
        invalid(ok(), 0.0, &[1.0, 2.0, 3.0], &[1.0]),
        InputProblem::DimensionMismatch {
            expected: 2,
            got: 3
        }
    );
    assert!(matches!(
        invalid(ok(), 0.0, &[1.0, f64::INFINITY], &[1.0]),
        InputProblem::NonFiniteInitialState { component: 1, .. }
    ));
    assert!(matches!(
        invalid(ok(), f64::NAN, &y0, &[1.0]),
        InputProblem::NonFiniteStart { .. }
    ));
    for (rtol, atol) in [
        (-1e-6, 1e-10),
        (1e-6, 0.0),
        (f64::NAN, 1e-10),
        (1e-6, f64::INFINITY),
    ] {
        let opts = SolverOptions { rtol, atol, ..ok() };
        assert!(matches!(
            invalid(opts, 0.0, &y0, &[1.0]),
            InputProblem::BadTolerance { .. }
        ));
    }
    let opts = SolverOptions {
        initial_step: Some(0.0),
        ..ok()
    };
    assert!(matches!(
        invalid(opts, 0.0, &y0, &[1.0]),
        InputProblem::BadStepOption {
            name: "initial_step",
            ..
        }
    ));
    let opts = SolverOptions {
        max_step: Some(-1.0),
        ..ok()
    };
    assert!(matches!(
        invalid(opts, 0.0, &y0, &[1.0]),
        InputProblem::BadStepOption {
            name: "max_step",
            ..
        }
    ));
    let opts = SolverOptions {
        max_steps: 0,
        ..ok()
    };
    assert!(matches!(
        invalid(opts, 0.0, &y0, &[1.0]),
        InputProblem::BadStepOption {
            name: "max_steps",
            ..
        }
    ));
    // The message names the problem and what to do.
    let msg = OdeError::from(InputProblem::StopsDecreasing {
        index: 2,
        stop: 2.0,
        previous: 3.0,
    })
    .to_string();
    assert!(
        msg.contains("stop 2") && msg.contains("sort the stops"),
        "{msg}"
    );
}

/// `dy/dt = y²` with its Taylor coefficients (`y_{k+1} = Σ_j y_j·y_{k−j}/(k + 1)`), so that
/// [`Method::Auto`] runs the Taylor series on it.
struct Square;

impl OdeSystem for Square {
    fn dim(&self) -> usize {
        1
    }
    fn rhs(&self, _t: f64, y: &[f64], d: &mut [f64]) {
        d[0] = y[0] * y[0];
    }
    fn taylor(&self, _t: f64, order: usize, c: &mut [f64]) -> bool {
        for k in 0..order {
            let square: f64 = (0..=k).map(|j| c[j] * c[k - j]).sum();
            c[k + 1] = square / (k + 1) as f64;
        }
        true
    }
}

#[test]
fn taylor_series_hands_a_blow_up_over_and_reports_it() {
    // y = 1/(1 − t): the steps shrink with the radius of convergence as the pole nears, the
    // rest goes to the Runge-Kutta path, which reports the blow-up as for the other methods.
    let mut y = [1.0];
    let mut visited = Vec::new();
    let result = solver(Method::Auto).integrate(&Square, 0.0, &mut y, &[0.5, 2.0], |k, yk| visited.push((k, yk[0])));
    let t = match result {
        Err(OdeError::StepSizeTooSmall { t, .. } | OdeError::NonFinite { t, .. }) => t,
        other => panic!("expected a blow-up error, got {other:?}"),
    };
    assert!(t > 0.99 && t < 1.0 + 1e-6, "stopped at t = {t}");
    assert_eq!(visited.len(), 1);
    assert!((visited[0].1 - 2.0).abs() < 1e-8, "{visited:?}");
    assert!(y[0].is_finite() && y[0] > 100.0, "{y:?}");
}

/// `dy/dt = cos(10t)` with its Taylor coefficients `10ᵏ·cos(10t + kπ/2)/(k + 1)!`.
struct Cosine;

impl OdeSystem for Cosine {
    fn dim(&self) -> usize {
        1
    }
    fn rhs(&self, t: f64, _y: &[f64], d: &mut [f64]) {
        d[0] = (10.0 * t).cos();
    }
    fn taylor(&self, t: f64, order: usize, c: &mut [f64]) -> bool {
        let mut scale = 1.0;
        for k in 0..order {
            scale *= if k == 0 { 1.0 } else { 10.0 / k as f64 };
            let derivative = (10.0 * t + k as f64 * std::f64::consts::FRAC_PI_2).cos();
            c[k + 1] = scale * derivative / (k + 1) as f64;
        }
        true
    }
}

#[test]
fn taylor_series_counts_its_steps_against_max_steps() {
    let mut y = [0.0];
    let opts = SolverOptions { max_steps: 5, ..Default::default() };
    let err = Solver::new(opts).integrate(&Cosine, 0.0, &mut y, &[100.0], |_, _| {}).unwrap_err();
    match err {
        OdeError::TooManySteps { t, max_steps: 5 } => {
            assert!(t > 0.0 && t < 100.0);
            assert!((y[0] - (10.0 * t).sin() / 10.0).abs() < 1e-9, "y({t}) = {}", y[0]);
        }
        other => panic!("{other:?}"),
    }
}
