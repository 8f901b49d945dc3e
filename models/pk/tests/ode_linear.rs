//! Linear systems against the exact matrix exponential (nalgebra's `exp`, a Padé
//! scaling-and-squaring approximation accurate to ~1e-15 here): every method, dense output,
//! determinism, and a property test over random compartmental matrices. The test system gives
//! its Taylor coefficients, so [`Method::Auto`] is the Taylor-series method here (handing
//! over to [`Method::RungeKutta`] on stiff stretches).

use nalgebra::{DMatrix, DVector};
use proptest::prelude::*;
use vtrial_pk::ode::{FnSystem, Method, OdeSystem, SolveStats, Solver, SolverOptions};

const METHODS: [Method; 4] = [Method::Auto, Method::RungeKutta, Method::NonStiff, Method::Stiff];

/// `dy/dt = A y`, with or without the analytic Jacobian.
struct Linear {
    n: usize,
    a: Vec<f64>,
    analytic_jacobian: bool,
}

impl OdeSystem for Linear {
    fn dim(&self) -> usize {
        self.n
    }
    fn rhs(&self, _t: f64, y: &[f64], dydt: &mut [f64]) {
        for (i, d) in dydt.iter_mut().enumerate() {
            *d = self.a[i * self.n..(i + 1) * self.n]
                .iter()
                .zip(y)
                .map(|(a, y)| a * y)
                .sum();
        }
    }
    fn jacobian(&self, _t: f64, _y: &[f64], jac: &mut [f64]) -> bool {
        if self.analytic_jacobian {
            jac.copy_from_slice(&self.a);
        }
        self.analytic_jacobian
    }
    fn is_autonomous(&self) -> bool {
        true
    }
    fn taylor(&self, _t: f64, order: usize, coeffs: &mut [f64]) -> bool {
        let n = self.n;
        for k in 0..order {
            let (done, rest) = coeffs.split_at_mut((k + 1) * n);
            self.rhs(0.0, &done[k * n..], &mut rest[..n]);
            rest[..n].iter_mut().for_each(|d| *d /= (k + 1) as f64);
        }
        true
    }
}

fn exact(sys: &Linear, y0: &[f64], t: f64) -> Vec<f64> {
    let a = DMatrix::from_row_slice(sys.n, sys.n, &sys.a) * t;
    (a.exp() * DVector::from_column_slice(y0))
        .as_slice()
        .to_vec()
}

fn options(method: Method) -> SolverOptions {
    SolverOptions {
        method,
        rtol: 1e-8,
        atol: 1e-10,
        ..Default::default()
    }
}

/// Solves and returns the largest relative error over all stops and components, and the stats.
fn max_rel_error(sys: &Linear, y0: &[f64], stops: &[f64], method: Method) -> (f64, SolveStats) {
    let mut y = y0.to_vec();
    let mut worst = 0.0f64;
    let mut visited = 0;
    let stats = Solver::new(options(method))
        .integrate(sys, 0.0, &mut y, stops, |k, yk| {
            assert_eq!(k, visited, "stops visited in order, once each");
            visited += 1;
            for (got, want) in yk.iter().zip(exact(sys, y0, stops[k])) {
                worst = worst.max((got - want).abs() / want.abs());
            }
        })
        .unwrap_or_else(|e| panic!("{method:?}: {e}"));
    assert_eq!(visited, stops.len());
    (worst, stats)
}

/// Two-compartment model with first-order absorption: depot → central ⇄ peripheral → out
/// (ka = 0.3, k10 = 0.15, k12 = 0.4, k21 = 0.1 per hour), all compartments initially filled
/// so every component stays far from zero.
fn two_cmt_oral() -> Linear {
    let (ka, k10, k12, k21) = (0.3, 0.15, 0.4, 0.1);
    #[rustfmt::skip]
    let a = vec![
        -ka, 0.0, 0.0,
        ka, -(k10 + k12), k21,
        0.0, k12, -k21,
    ];
    Linear {
        n: 3,
        a,
        analytic_jacobian: false,
    }
}

#[test]
fn exponential_decay_every_method() {
    // dy/dt = -0.3 y over 10 h: y falls to 5% of y0, relative error ≤ 1e-6 at every stop.
    let sys = Linear {
        n: 1,
        a: vec![-0.3],
        analytic_jacobian: false,
    };
    let stops: Vec<f64> = (0..=40).map(|i| 0.25 * f64::from(i)).collect();
    for method in METHODS {
        let (err, stats) = max_rel_error(&sys, &[100.0], &stops, method);
        assert!(err <= 1e-6, "{method:?}: relative error {err:e}");
        assert!(
            stats.steps > 0 && stats.steps < 200,
            "{method:?}: {stats:?}"
        );
    }
}

#[test]
fn two_compartment_oral_every_method() {
    let sys = two_cmt_oral();
    let y0 = [100.0, 20.0, 5.0];
    let stops: Vec<f64> = (0..=24).map(f64::from).collect();
    for method in METHODS {
        let (err, stats) = max_rel_error(&sys, &y0, &stops, method);
        assert!(err <= 1e-6, "{method:?}: relative error {err:e}");
        assert!(stats.steps < stops.len() * 4, "{method:?}: {stats:?}");
        if method == Method::Stiff {
            assert_eq!(stats.stiff_steps, stats.steps);
        } else {
            // Not stiff: Auto must stay explicit.
            assert_eq!(stats.stiff_steps, 0, "{method:?}: {stats:?}");
        }
    }
}

#[test]
fn three_compartment_iv_every_method_with_analytic_jacobian() {
    // central ⇄ shallow, central ⇄ deep, elimination from central; rates span two decades.
    let (k10, k12, k21, k13, k31) = (0.5, 1.0, 0.6, 0.2, 0.02);
    #[rustfmt::skip]
    let a = vec![
        -(k10 + k12 + k13), k21, k31,
        k12, -k21, 0.0,
        k13, 0.0, -k31,
    ];
    let stops: Vec<f64> = (0..=48).map(|i| 0.5 * f64::from(i)).collect();
    let y0 = [500.0, 50.0, 200.0];
    for analytic_jacobian in [false, true] {
        let sys = Linear {
            n: 3,
            a: a.clone(),
            analytic_jacobian,
        };
        for method in METHODS {
            let (err, _) = max_rel_error(&sys, &y0, &stops, method);
            assert!(
                err <= 1e-6,
                "{method:?} (analytic J: {analytic_jacobian}): {err:e}"
            );
        }
    }
}

#[test]
fn stops_are_accurate_where_a_fast_mode_has_died_out() {
    // mrgsolve's benchmark regimen (100 mg into the depot q24h x 28, hourly observations, one
    // call per dosing interval) for one subject (ka = 1.44, CL = 1.2, V = 16.7, Q = 2,
    // V2 = 60) at rtol = atol = 1e-6, where RungeKutta uses DOP853. Late in each interval the
    // depot has emptied below atol and steps grow to h·ka ≈ 8; DOP853's interpolant then
    // follows the depot's fast mode badly between step ends (up to 3e-4 mg, 300 atol, before
    // the defect check, although the step ends were within a few atol). Within 20 tolerances
    // (atol + rtol·|y|) of the exact solution at every stop, for DOP853 and for the Taylor
    // series (Auto), whose polynomial is as accurate inside a step as at its end.
    let (ka, cl, v, q, v2) = (1.44, 1.2, 50.0 / 3.0, 2.0, 60.0);
    let (k10, k12, k21) = (cl / v, q / v, q / v2);
    #[rustfmt::skip]
    let a = vec![
        -ka, 0.0, 0.0,
        ka, -(k10 + k12), k21,
        0.0, k12, -k21,
    ];
    let sys = Linear {
        n: 3,
        a,
        analytic_jacobian: false,
    };
    for method in [Method::RungeKutta, Method::Auto] {
        let opts = SolverOptions {
            rtol: 1e-6,
            atol: 1e-6,
            method,
            ..Default::default()
        };
        let mut solver = Solver::new(opts);
        let stops: Vec<f64> = (1..=24).map(f64::from).collect();
        let (mut y, mut y_exact) = (vec![0.0; 3], vec![0.0; 3]);
        let mut worst = 0.0f64;
        for _day in 0..28 {
            y[0] += 100.0;
            y_exact[0] += 100.0;
            solver
                .integrate(&sys, 0.0, &mut y, &stops, |k, yk| {
                    for (g, w) in yk.iter().zip(exact(&sys, &y_exact, stops[k])) {
                        worst = worst.max((g - w).abs() / (1e-6 + 1e-6 * w.abs()));
                    }
                })
                .unwrap();
            y_exact = exact(&sys, &y_exact, 24.0);
        }
        assert!(worst <= 20.0, "{method:?}: error {worst} times the tolerance");
    }
}

#[test]
fn dense_output_between_steps_is_accurate_and_does_not_add_steps() {
    let sys = two_cmt_oral();
    let y0 = [100.0, 20.0, 5.0];
    let fine: Vec<f64> = (0..=2400).map(|i| 0.01 * f64::from(i)).collect();
    for method in METHODS {
        let (err, dense_stats) = max_rel_error(&sys, &y0, &fine, method);
        assert!(err <= 1e-6, "{method:?}: relative error {err:e}");
        // Far fewer steps than stops: most stops fall inside steps.
        assert!(
            dense_stats.steps * 10 < fine.len(),
            "{method:?}: {dense_stats:?}"
        );

        // Stops do not change the step sequence: the end state is bit-identical with or
        // without the 2400 intermediate stops.
        let mut y_dense = y0;
        Solver::new(options(method))
            .integrate(&sys, 0.0, &mut y_dense, &fine, |_, _| {})
            .unwrap();
        let mut y_end = y0;
        let end_stats = Solver::new(options(method))
            .integrate(&sys, 0.0, &mut y_end, &[24.0], |_, _| {})
            .unwrap();
        assert_eq!(y_dense, y_end, "{method:?}");
        assert_eq!(dense_stats, end_stats, "{method:?}");
    }
}

#[test]
fn stops_at_t0_duplicates_and_empty() {
    let sys = two_cmt_oral();
    let y0 = [100.0, 20.0, 5.0];
    let mut solver = Solver::new(SolverOptions::default());
    let mut seen = Vec::new();
    let mut y = y0;
    let stops = [0.0, 0.0, 1.5, 1.5, 3.0];
    solver
        .integrate(&sys, 0.0, &mut y, &stops, |k, yk| {
            seen.push((k, yk.to_vec()))
        })
        .unwrap();
    assert_eq!(
        seen.iter().map(|s| s.0).collect::<Vec<_>>(),
        vec![0, 1, 2, 3, 4]
    );
    assert_eq!(seen[0].1, y0.to_vec());
    assert_eq!(seen[1].1, y0.to_vec());
    assert_eq!(seen[2].1, seen[3].1);
    assert_eq!(seen[4].1, y.to_vec());
    // No stops: nothing happens.
    let mut y = y0;
    let stats = solver
        .integrate(&sys, 0.0, &mut y, &[], |_, _| panic!("no stops"))
        .unwrap();
    assert_eq!((y, stats.steps), (y0, 0));
    // Only t0: visited with the initial state, no steps.
    let stats = solver
        .integrate(&sys, 2.0, &mut y, &[2.0], |_, yk| assert_eq!(yk, y0))
        .unwrap();
    assert_eq!(stats.rhs_evals, 0);
}

#[test]
fn fresh_and_reused_solvers_are_bit_identical() {
    let sys = two_cmt_oral();
    let stops: Vec<f64> = (1..=24).map(f64::from).collect();
    for method in METHODS {
        let run = |solver: &mut Solver| {
            let mut out = Vec::new();
            let mut y = [100.0, 20.0, 5.0];
            let stats = solver
                .integrate(&sys, 0.0, &mut y, &stops, |_, yk| out.extend_from_slice(yk))
                .unwrap();
            (out, stats)
        };
        let first = run(&mut Solver::new(options(method)));
        let mut reused = Solver::new(options(method));
        // Warm the solver up on another problem of another size first.
        let decay = Linear {
            n: 1,
            a: vec![-2.0],
            analytic_jacobian: false,
        };
        reused
            .integrate(&decay, 0.0, &mut [1.0], &[3.0], |_, _| {})
            .unwrap();
        run(&mut reused);
        assert_eq!(run(&mut reused), first, "{method:?}");
    }
}

#[test]
fn warm_start_changes_nothing_but_the_start_and_stays_accurate() {
    // Warm starts concern the Runge-Kutta path (the Taylor series needs no first step).
    let sys = two_cmt_oral();
    let y0 = [100.0, 20.0, 5.0];
    let stops: Vec<f64> = (1..=24).map(f64::from).collect();
    let mut solver = Solver::new(options(Method::RungeKutta));
    solver.set_warm_start(true);
    assert!(solver.last_step_size().is_none());
    for _ in 0..3 {
        let mut y = y0;
        let mut worst = 0.0f64;
        solver
            .integrate(&sys, 0.0, &mut y, &stops, |k, yk| {
                for (g, w) in yk.iter().zip(exact(&sys, &y0, stops[k])) {
                    worst = worst.max((g - w).abs() / w.abs());
                }
            })
            .unwrap();
        assert!(worst <= 1e-6, "{worst:e}");
        assert!(solver.last_step_size().is_some_and(|h| h > 0.0));
    }
}

#[test]
fn rhs_is_only_evaluated_between_t0_and_the_last_stop() {
    // An input that exists only on [t0, t1] (an infusion ending at the last stop): the model
    // panics if evaluated outside. The second component is stiff, so Auto switches and the
    // stiff method takes ∂f/∂t by differences next to both ends.
    let (t0, t1) = (0.3, 2.7);
    let sys = FnSystem::new(2, move |t: f64, y: &[f64], d: &mut [f64]| {
        assert!((t0..=t1).contains(&t), "rhs evaluated at t = {t}");
        d[0] = 5.0 * (1.0 + 0.1 * t) - 0.4 * y[0];
        d[1] = 1e3 * (y[0] - y[1]);
    });
    for method in METHODS {
        let mut y = [0.0, 0.0];
        let stats = Solver::new(options(method))
            .integrate(&sys, t0, &mut y, &[1.0, t1], |_, _| {})
            .unwrap();
        assert!(
            method == Method::NonStiff || stats.stiff_steps > 0,
            "{method:?}: {stats:?}"
        );
        // Also with a stop equal to t0 and a first step that would overshoot.
        let opts = SolverOptions {
            initial_step: Some(10.0),
            ..options(method)
        };
        Solver::new(opts)
            .integrate(&sys, t0, &mut y, &[t0, t1], |_, _| {})
            .unwrap();
    }
}

#[test]
fn solver_is_send_and_reusable_across_dimensions() {
    fn assert_send<T: Send>() {}
    assert_send::<Solver>();
    // One solver, dimensions 1 to 14 (specialised kernels up to 12, generic beyond) and back.
    let mut solver = Solver::new(options(Method::Auto));
    let mut stiff = Solver::new(options(Method::Stiff));
    for n in (1..=14).chain([3, 1]) {
        // A chain: each compartment drains into the next at rate 0.5.
        let mut a = vec![0.0; n * n];
        for i in 0..n {
            a[i * n + i] = -0.5;
            if i > 0 {
                a[i * n + i - 1] = 0.5;
            }
        }
        let sys = Linear {
            n,
            a,
            analytic_jacobian: false,
        };
        let y0: Vec<f64> = (0..n).map(|i| 10.0 + i as f64).collect();
        let want = exact(&sys, &y0, 4.0);
        for s in [&mut solver, &mut stiff] {
            let mut y = y0.clone();
            s.integrate(&sys, 0.0, &mut y, &[4.0], |_, _| {}).unwrap();
            for (g, w) in y.iter().zip(&want) {
                assert!((g - w).abs() <= 1e-6 * w.abs(), "n = {n}: {g} vs {w}");
            }
        }
    }
}

#[test]
fn max_step_is_respected() {
    let sys = two_cmt_oral();
    let mut y = [100.0, 20.0, 5.0];
    let opts = SolverOptions {
        max_step: Some(0.1),
        ..Default::default()
    };
    let stats = Solver::new(opts)
        .integrate(&sys, 0.0, &mut y, &[10.0], |_, _| {})
        .unwrap();
    assert!(stats.steps >= 100, "{stats:?}");
    // A step that would end a sliver short of the last stop is stretched to it only while
    // that stays within max_step: 1.0005 takes ten steps of 0.1 and a sliver.
    let opts = SolverOptions {
        max_step: Some(0.1),
        initial_step: Some(0.1),
        rtol: 1e-4,
        ..options(Method::NonStiff)
    };
    let mut y = [100.0, 20.0, 5.0];
    let stats = Solver::new(opts)
        .integrate(&sys, 0.0, &mut y, &[1.0005], |_, _| {})
        .unwrap();
    assert_eq!(stats.steps, 11, "{stats:?}");
}

/// A random compartmental matrix: non-negative transfer rates off the diagonal, and each
/// diagonal entry minus the sum of its column's transfers and an elimination rate, so every
/// column sums to ≤ 0 (mass is conserved or lost, never created).
fn compartmental(n: usize) -> impl Strategy<Value = (Vec<f64>, Vec<f64>)> {
    (
        prop::collection::vec(prop_oneof![Just(0.0), 0.0..2.0f64], n * n),
        prop::collection::vec(0.0..1.0f64, n),
        prop::collection::vec(1.0..100.0f64, n),
    )
        .prop_map(move |(mut a, elim, y0)| {
            for j in 0..n {
                let out: f64 = (0..n).filter(|&i| i != j).map(|i| a[i * n + j]).sum();
                a[j * n + j] = -out - elim[j];
            }
            (a, y0)
        })
}

/// 48 cases, or `PROPTEST_CASES` when set (`with_cases` alone would override the variable).
fn cases() -> u32 {
    std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|c| c.parse().ok())
        .unwrap_or(48)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(cases()))]

    /// Every method matches `exp(A t) y0` at every stop within 1e-6 relative, plus 1e-8
    /// absolute for components that decay far below their start (atol is 1e-10).
    #[test]
    fn random_compartmental_systems_match_the_matrix_exponential(
        (n, (a, y0)) in (1usize..=5).prop_flat_map(|n| (Just(n), compartmental(n))),
        t_end in 0.5..10.0f64,
    ) {
        let sys = Linear { n, a, analytic_jacobian: false };
        let stops: Vec<f64> = (1..=8).map(|i| t_end * f64::from(i) / 8.0).collect();
        for method in METHODS {
            let mut y = y0.clone();
            let mut worst = 0.0f64;
            Solver::new(options(method))
                .integrate(&sys, 0.0, &mut y, &stops, |k, yk| {
                    for (g, w) in yk.iter().zip(exact(&sys, &y0, stops[k])) {
                        worst = worst.max((g - w).abs() / (1e-6 * w.abs() + 1e-8));
                    }
                })
                .map_err(|e| TestCaseError::fail(format!("{method:?}: {e}")))?;
            prop_assert!(worst <= 1.0, "{:?}: error {} times the tolerance", method, worst);
        }
    }
}

#[test]
fn runge_kutta_uses_the_high_order_method_at_tight_tolerances() {
    // Hourly observations of the two-compartment oral model over a day: at rtol 1e-8
    // RungeKutta (DOP853) is as accurate as Dormand–Prince 5(4) against the exact solution
    // with far fewer steps and right-hand-side calls (the latter counting DOP853's three
    // dense-output calls per step, at most).
    let sys = two_cmt_oral();
    let y0 = [100.0, 20.0, 5.0];
    let stops: Vec<f64> = (1..=24).map(f64::from).collect();
    let (err_auto, auto) = max_rel_error(&sys, &y0, &stops, Method::RungeKutta);
    let (err_dp5, dp5) = max_rel_error(&sys, &y0, &stops, Method::NonStiff);
    assert!(
        err_auto <= 1e-7 && err_dp5 <= 1e-7,
        "{err_auto:e} {err_dp5:e}"
    );
    assert!(auto.steps * 3 < dp5.steps, "{auto:?} vs {dp5:?}");
    assert!(
        auto.rhs_evals + 3 * auto.steps < dp5.rhs_evals,
        "{auto:?} vs {dp5:?}"
    );
    assert_eq!(auto.stiff_steps, 0);
}

#[test]
fn taylor_series_takes_long_steps_on_a_smooth_system() {
    // The same day as above: Auto (Taylor series, order 20) within 1e-7 of the exact solution
    // at rtol 1e-8 in fewer than half of DOP853's steps, none rejected, no stiff steps.
    let sys = two_cmt_oral();
    let y0 = [100.0, 20.0, 5.0];
    let stops: Vec<f64> = (1..=24).map(f64::from).collect();
    let (err_taylor, taylor) = max_rel_error(&sys, &y0, &stops, Method::Auto);
    let (_, dop853) = max_rel_error(&sys, &y0, &stops, Method::RungeKutta);
    assert!(err_taylor <= 1e-7, "{err_taylor:e}");
    assert!(taylor.steps * 2 < dop853.steps, "{taylor:?} vs {dop853:?}");
    assert_eq!((taylor.rejected, taylor.stiff_steps), (0, 0), "{taylor:?}");
}

#[test]
fn taylor_series_hands_a_stiff_stretch_over_and_stays_accurate() {
    // A fast equilibrium (rates 2000/h) next to a slow elimination, over two days: the Taylor
    // series would need steps of ~0.002 h; Auto hands over to RungeKutta, which switches to
    // the stiff method. Within 1e-6 relative at every stop, in far fewer steps than the
    // explicit method alone takes.
    #[rustfmt::skip]
    let a = vec![
        -2000.0, 1000.0,
        2000.0, -1000.1,
    ];
    let sys = Linear { n: 2, a, analytic_jacobian: true };
    let y0 = [10.0, 90.0];
    let stops: Vec<f64> = (1..=48).map(f64::from).collect();
    let (err, auto) = max_rel_error(&sys, &y0, &stops, Method::Auto);
    let (_, nonstiff) = max_rel_error(&sys, &y0, &stops, Method::NonStiff);
    assert!(err <= 1e-6, "{err:e}");
    assert!(auto.stiff_steps > 0, "{auto:?}");
    assert!(auto.steps * 20 < nonstiff.steps, "{auto:?} vs {nonstiff:?}");
}

#[test]
fn taylor_series_follows_a_long_stretch_after_one_dose() {
    // One call over four weeks of hourly observations after a dose into the depot of the
    // two-compartment oral model: the short steps of the absorption phase do not send the
    // call to the Runge-Kutta path (the steps grow once the depot has emptied).
    let sys = two_cmt_oral();
    let y0 = [100.0, 0.0, 0.0];
    let stops: Vec<f64> = (1..=672).map(f64::from).collect();
    let mut y = y0;
    let mut worst = 0.0f64;
    let stats = Solver::new(options(Method::Auto))
        .integrate(&sys, 0.0, &mut y, &stops, |k, yk| {
            for (g, w) in yk.iter().zip(exact(&sys, &y0, stops[k])) {
                worst = worst.max((g - w).abs() / (1e-8 * w.abs() + 1e-10));
            }
        })
        .unwrap();
    assert!(worst <= 10.0, "error {worst} times the tolerance");
    // Every step a Taylor step: one coefficient pass of 20 orders each, nothing else.
    assert_eq!(stats.rhs_evals, 20 * stats.steps, "{stats:?}");
    assert!(stats.steps < 100, "{stats:?}");
}

#[test]
fn taylor_series_steps_held_to_max_step_are_not_handed_over() {
    // Short steps because the caller asked for them (max_step 0.25 h over a day) are no sign
    // of stiffness: every step stays a Taylor step.
    let sys = two_cmt_oral();
    let opts = SolverOptions { max_step: Some(0.25), ..options(Method::Auto) };
    let mut y = [100.0, 20.0, 5.0];
    let stats = Solver::new(opts).integrate(&sys, 0.0, &mut y, &[24.0], |_, _| {}).unwrap();
    assert_eq!((stats.steps, stats.rhs_evals), (96, 96 * 20), "{stats:?}");
    let want = exact(&sys, &[100.0, 20.0, 5.0], 24.0);
    for (g, w) in y.iter().zip(&want) {
        assert!((g - w).abs() <= 1e-8 * w.abs(), "{y:?} vs {want:?}");
    }
}
