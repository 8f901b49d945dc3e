//! The Adams–Bashforth–Moulton method (`Method::Adams`): linear models with doses against
//! their closed forms at several tolerances, nonlinear models against DOP853, dense
//! observations, and its errors.

mod common;

use std::cell::Cell;

use common::Counting;

use vtrial_pk::nonlinear::{LinearOde, MichaelisMenten, OdePk, PkOde, Transit};
use vtrial_pk::ode::{FnSystem, Method, OdeError, SolverOptions, Solver};
use vtrial_pk::{Dose, LinearParams, LinearPk, PkSystem, Record, RecordKind, Simulator, Structure};

fn adams(rtol: f64, atol: f64) -> SolverOptions {
    SolverOptions { method: Method::Adams, rtol, atol, ..Default::default() }
}

fn params() -> LinearParams {
    LinearParams { cl: 1.0, v: 20.0, q: 2.0, v2: 50.0, q3: 0.5, v3: 100.0, ka: 1.2 }
}

/// The state after each record.
fn states<S: PkSystem>(system: S, records: &[Record]) -> Vec<Vec<f64>> {
    let mut out = vec![Vec::new(); records.len()];
    Simulator::default().run(&mut [system], records, |i, a| out[i] = a.to_vec()).expect("simulates");
    out
}

/// Doses into `cmt`: boluses q12h × 4, an infusion over 2.5 h at 30 h, and observations every
/// 0.7 h (not on the dose times) to 60 h.
fn regimen(cmt: usize) -> Vec<Record> {
    let mut records = vec![
        Record { time: 0.0, kind: RecordKind::Dose(Dose::bolus(cmt, 100.0).every(12.0, 3)), params: 0 },
        Record { time: 30.0, kind: RecordKind::Dose(Dose::bolus(cmt, 50.0).at_rate(20.0)), params: 0 },
    ];
    records.extend((1..=85).map(|i| Record { time: 0.7 * f64::from(i), kind: RecordKind::Observation, params: 0 }));
    records.sort_by(|a, b| a.time.total_cmp(&b.time));
    records
}

#[test]
fn linear_models_with_doses_match_their_closed_forms() {
    // Every structure (1-, 2-, 3-compartment, IV and oral) at three tolerances. The local
    // error per step is held to rtol·|y| + atol; over the run the global error stays within
    // a small multiple of it (measured: at most 0.6 of it over all cases).
    for structure in Structure::ALL {
        let records = regimen(0);
        let closed = states(LinearPk::new(structure, params()).unwrap(), &records);
        for rtol in [1e-6, 1e-8, 1e-10] {
            let atol = rtol * 1e-2;
            let worst = |method| {
                let options = SolverOptions { method, rtol, atol, ..Default::default() };
                let got = states(OdePk::new(LinearOde::new(structure, params()).unwrap(), options), &records);
                let mut worst = (0.0f64, 0, 0);
                for (i, (a, b)) in got.iter().zip(&closed).enumerate() {
                    for c in 0..b.len() {
                        let ratio = (a[c] - b[c]).abs() / (rtol * b[c].abs() + atol);
                        if ratio > worst.0 {
                            worst = (ratio, i, c);
                        }
                    }
                }
                worst
            };
            let (a, d) = (worst(Method::Adams), worst(Method::Auto));
            eprintln!("{structure:?} rtol {rtol:e}: worst error / tolerance (record, cmt): Adams {a:?}, Auto {d:?}");
            assert!(a.0 <= 30.0, "{structure:?} rtol {rtol}: Adams {a:?}, Auto {d:?}");
        }
    }
}

/// Runs `model` under Adams and under `Method::Auto` (DOP853 at these tolerances) against a
/// reference at rtol 1e-12 and compares the worst errors relative to the tolerance.
fn agrees_with_dop853<M: PkOde + Clone>(model: M, records: &[Record], what: &str) {
    for rtol in [1e-6, 1e-9] {
        let atol = rtol * 1e-2;
        let reference = states(OdePk::new(model.clone(), SolverOptions { rtol: 1e-12, atol: 1e-14, ..Default::default() }), records);
        let a = states(OdePk::new(model.clone(), adams(rtol, atol)), records);
        let d = states(OdePk::new(model.clone(), SolverOptions { rtol, atol, ..Default::default() }), records);
        let (mut worst_a, mut worst_d) = ((0.0f64, 0, 0), (0.0f64, 0, 0));
        for (i, ((x, y), r)) in a.iter().zip(&d).zip(&reference).enumerate() {
            for c in 0..r.len() {
                let tol = rtol * r[c].abs() + atol;
                let (ea, ed) = ((x[c] - r[c]).abs() / tol, (y[c] - r[c]).abs() / tol);
                if ea > worst_a.0 {
                    worst_a = (ea, i, c);
                }
                if ed > worst_d.0 {
                    worst_d = (ed, i, c);
                }
            }
        }
        eprintln!("{what} rtol {rtol:e}: worst error / tolerance (record, cmt): Adams {worst_a:?}, DOP853 {worst_d:?}");
        assert!(worst_a.0 <= 30.0, "{what} rtol {rtol}: Adams {worst_a:?}, DOP853 {worst_d:?}");
    }
}

fn daily(cmt: usize, amount: f64) -> Vec<Record> {
    let mut records = vec![Record { time: 0.0, kind: RecordKind::Dose(Dose::bolus(cmt, amount).every(24.0, 6)), params: 0 }];
    records.extend((1..=170).map(|h| Record { time: f64::from(h), kind: RecordKind::Observation, params: 0 }));
    records
}

#[test]
fn michaelis_menten_agrees_with_dop853() {
    // Saturable elimination well into saturation (C up to ~25 × KM) and back, oral with a
    // peripheral compartment, daily doses.
    let mm = MichaelisMenten { vmax: 30.0, km: 0.5, v: 20.0, cl: 0.2, ka: Some(0.8), peripheral: Some((2.0, 50.0)) };
    agrees_with_dop853(mm, &daily(0, 500.0), "Michaelis–Menten oral");
    let iv = MichaelisMenten { vmax: 10.0, km: 1.0, v: 10.0, cl: 0.0, ka: None, peripheral: None };
    agrees_with_dop853(iv, &daily(0, 200.0), "Michaelis–Menten IV");
}

#[test]
fn transit_model_agrees_with_dop853() {
    let transit = Transit { n: 5, mtt: 3.0, ka: 1.0, cl: 2.0, v: 30.0 };
    agrees_with_dop853(transit, &daily(0, 100.0), "transit");
}

/// mrgsolve's benchmark regimen (100 mg q24h × 28 into the depot) observed at `times`: the
/// state after each record and the right-hand-side calls made.
fn benchmark(options: &SolverOptions, times: &[f64]) -> (Vec<Vec<f64>>, usize) {
    let mut records = vec![Record { time: 0.0, kind: RecordKind::Dose(Dose::bolus(0, 100.0).every(24.0, 27)), params: 0 }];
    records.extend(times.iter().map(|&time| Record { time, kind: RecordKind::Observation, params: 0 }));
    let p = LinearParams { cl: 1.0, v: 20.0, q: 2.0, v2: 50.0, ka: 1.2, ..Default::default() };
    let model = Counting { inner: LinearOde::new(Structure::TwoCmtOral, p).unwrap(), calls: Cell::new(0) };
    let mut systems = [OdePk::new(model, options.clone())];
    let mut out = vec![Vec::new(); records.len()];
    Simulator::default().run(&mut systems, &records, |i, a| out[i] = a.to_vec()).unwrap();
    (out, systems[0].model().calls.get())
}

#[test]
fn dense_observations_cost_no_steps_and_match_each_observation_alone() {
    let hours: Vec<f64> = (0..=672).map(f64::from).collect();
    for rtol in [1e-6, 1e-8] {
        let options = adams(rtol, rtol * 1e-2);
        // The interpolating polynomial costs no right-hand-side call: 673 hourly observations
        // take exactly the calls of one observation at the end, and give the same final state.
        let (dense, dense_calls) = benchmark(&options, &hours);
        let (sparse, sparse_calls) = benchmark(&options, &[672.0]);
        assert_eq!(dense_calls, sparse_calls, "rtol {rtol}");
        assert_eq!(dense.last(), sparse.last(), "rtol {rtol}");
        // Each observation of the dense schedule against the same observation alone (where the
        // solver lands on it as the end of its last step).
        for t in [1.0, 2.0, 5.0, 23.0, 25.0, 47.0, 100.0, 239.0, 241.0, 500.0, 647.0, 649.0, 671.0] {
            let (alone, _) = benchmark(&options, &[t]);
            let k = 1 + t as usize;
            for c in 0..3 {
                let (a, b) = (dense[k][c], alone[1][c]);
                assert!((a - b).abs() <= 5.0 * (rtol * b.abs() + 1e-2 * rtol), "rtol {rtol}, t = {t}, cmt {c}: dense {a} vs alone {b}");
            }
        }
    }
}

#[test]
fn errors_are_reported_like_the_other_methods() {
    let solver = |max_steps| Solver::new(SolverOptions { method: Method::Adams, max_steps, ..Default::default() });
    // Too many steps: the limit and the last accepted state, accurate at the reported t.
    let sys = FnSystem::new(1, |t: f64, _y: &[f64], d: &mut [f64]| d[0] = (10.0 * t).cos());
    let mut y = [0.0];
    match solver(5).integrate(&sys, 0.0, &mut y, &[100.0], |_, _| {}) {
        Err(OdeError::TooManySteps { t, max_steps: 5 }) => {
            assert!(t > 0.0 && t < 100.0);
            assert!((y[0] - (10.0 * t).sin() / 10.0).abs() < 1e-6, "{y:?} at {t}");
        }
        other => panic!("{other:?}"),
    }
    // A NaN from the model: dy/dt = −√y reaches y = 0 at t = 2.
    let sys = FnSystem::new(2, |_t, y: &[f64], d: &mut [f64]| {
        d[0] = 0.0;
        d[1] = -y[1].sqrt();
    });
    match solver(100_000).integrate(&sys, 0.0, &mut [5.0, 1.0], &[3.0], |_, _| {}) {
        Err(OdeError::NonFinite { t, component: 1 }) => assert!(t > 1.9 && t < 2.0 + 1e-4, "t = {t}"),
        other => panic!("expected NonFinite in component 1, got {other:?}"),
    }
    // A blow-up before the last stop: y' = y², y(0) = 1.
    let sys = FnSystem::new(1, |_t, y: &[f64], d: &mut [f64]| d[0] = y[0] * y[0]);
    let mut y = [1.0];
    let mut visited = Vec::new();
    let t = match solver(100_000).integrate(&sys, 0.0, &mut y, &[0.5, 2.0], |k, yk| visited.push((k, yk[0]))) {
        Err(OdeError::StepSizeTooSmall { t, .. } | OdeError::NonFinite { t, .. }) => t,
        other => panic!("expected a blow-up error, got {other:?}"),
    };
    assert!(t > 0.99 && t < 1.0 + 1e-6, "stopped at t = {t}");
    assert_eq!(visited.len(), 1);
    assert!((visited[0].1 - 2.0).abs() < 1e-6, "{visited:?}");
    assert!(y[0].is_finite() && y[0] > 100.0, "{y:?}");
    // NaN at the start is reported at t0.
    let sys = FnSystem::new(3, |_t, y: &[f64], d: &mut [f64]| {
        d.copy_from_slice(y);
        d[2] = f64::NAN;
    });
    let err = solver(100_000).integrate(&sys, 1.0, &mut [1.0; 3], &[2.0], |_, _| {}).unwrap_err();
    assert_eq!(err, OdeError::NonFinite { t: 1.0, component: 2 });
}

#[test]
fn fresh_and_reused_solvers_are_bit_identical_and_rhs_stays_in_range() {
    // dy/dt = −y, evaluated only within [t0, last stop].
    let lo = 2.0;
    let hi = 7.5;
    let sys = FnSystem::new(2, move |t: f64, y: &[f64], d: &mut [f64]| {
        assert!((lo..=hi).contains(&t), "f evaluated at t = {t}");
        d[0] = -y[0];
        d[1] = -0.1 * y[1] + y[0];
    });
    let stops = [2.5, 3.0, 7.5];
    let run = |solver: &mut Solver| {
        let mut y = [1.0, 0.0];
        let mut seen = Vec::new();
        solver.integrate(&sys, lo, &mut y, &stops, |_, yk| seen.push(yk.to_vec())).unwrap();
        (y, seen)
    };
    let mut solver = Solver::new(adams(1e-8, 1e-10));
    let first = run(&mut solver);
    let second = run(&mut solver);
    assert_eq!(first, second);
    assert!((first.0[0] - (-5.5f64).exp()).abs() < 1e-9);
}
