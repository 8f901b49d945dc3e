//! The simulator with an ODE model and many observations: observations are read from the
//! solver's dense output, so they neither shorten steps nor restart the solver; only doses,
//! infusion starts and ends and lag times (discontinuities) do.

mod common;

use std::cell::Cell;

use common::Counting;

use vtrial_pk::nonlinear::{LinearOde, OdePk};
use vtrial_pk::ode::{Method, SolverOptions};
use vtrial_pk::{Dose, LinearParams, LinearPk, Record, RecordKind, Simulator, Structure};

fn params() -> LinearParams {
    LinearParams { cl: 1.0, v: 20.0, q: 2.0, v2: 50.0, ka: 1.2, ..Default::default() }
}

/// mrgsolve's benchmark regimen: 100 mg q24h × 28 into the depot, and observations at `times`.
fn daily_dosing(times: impl IntoIterator<Item = f64>) -> Vec<Record> {
    let mut records = vec![Record { time: 0.0, kind: RecordKind::Dose(Dose::bolus(0, 100.0).every(24.0, 27)), params: 0 }];
    records.extend(times.into_iter().map(|time| Record { time, kind: RecordKind::Observation, params: 0 }));
    records
}

/// The state after each record, and the right-hand-side calls made.
fn simulate(options: &SolverOptions, records: &[Record]) -> (Vec<Vec<f64>>, usize) {
    let model = Counting { inner: LinearOde::new(Structure::TwoCmtOral, params()).unwrap(), calls: Cell::new(0) };
    let mut systems = [OdePk::new(model, options.clone())];
    let mut states = vec![Vec::new(); records.len()];
    Simulator::default().run(&mut systems, records, |i, a| states[i] = a.to_vec()).unwrap();
    (states, systems[0].model().calls.get())
}

#[test]
fn hourly_observations_leave_the_step_sequence_unchanged() {
    // Dormand–Prince 5(4)'s dense output costs no right-hand-side call, so the calls count
    // the steps: 673 hourly observations take exactly the steps (and give bit for bit the
    // final state) of one observation at the end. The solver runs once per dosing interval
    // in both cases.
    for rtol in [1e-6, 1e-8] {
        let options = SolverOptions { method: Method::NonStiff, rtol, atol: rtol * 1e-2, ..Default::default() };
        let (dense, dense_calls) = simulate(&options, &daily_dosing((0..=672).map(f64::from)));
        let (sparse, sparse_calls) = simulate(&options, &daily_dosing([672.0]));
        assert_eq!(dense_calls, sparse_calls, "rtol {rtol}");
        assert_eq!(dense.last(), sparse.last(), "rtol {rtol}");
    }
}

#[test]
fn dense_schedule_matches_each_observation_simulated_alone() {
    // Each observation of the hourly schedule against a run with that observation only (where
    // the solver lands on it as the end of its last step), and both against the closed form.
    let options = SolverOptions::default();
    let hours: Vec<f64> = (0..=672).map(f64::from).collect();
    let (dense, _) = simulate(&options, &daily_dosing(hours.iter().copied()));
    let mut closed = vec![Vec::new(); hours.len() + 1];
    let mut lin = [LinearPk::new(Structure::TwoCmtOral, params()).unwrap()];
    Simulator::default().run(&mut lin, &daily_dosing(hours.iter().copied()), |i, a| closed[i] = a.to_vec()).unwrap();
    // Around doses (just after, just before), early absorption, and the last day.
    let picks = [0.0, 1.0, 2.0, 5.0, 23.0, 24.0, 25.0, 47.0, 100.0, 239.0, 240.0, 241.0, 500.0, 647.0, 648.0, 649.0, 671.0, 672.0];
    for &t in &picks {
        let (alone, _) = simulate(&options, &daily_dosing([t]));
        let k = 1 + t as usize;
        for c in 0..3 {
            let (a, b, exact) = (dense[k][c], alone[1][c], closed[k][c]);
            let scale = 1e-7 * exact.abs() + 1e-8;
            assert!((a - b).abs() <= scale, "t = {t}, cmt {c}: dense {a} vs alone {b}");
            assert!((a - exact).abs() <= scale, "t = {t}, cmt {c}: dense {a} vs closed form {exact}");
        }
    }
}

#[test]
fn infusions_and_lag_times_still_break_the_integration() {
    // An infusion (its end is a discontinuity between observations) and a lagged oral dose:
    // the hourly-observed ODE run agrees with the closed form throughout.
    let records: Vec<Record> = [
        Record { time: 0.0, kind: RecordKind::Dose(Dose::bolus(1, 50.0).at_rate(20.0).every(12.0, 3)), params: 0 },
        Record { time: 0.0, kind: RecordKind::Dose(Dose { lag: 0.7, ..Dose::bolus(0, 80.0).every(24.0, 1) }), params: 0 },
    ]
    .into_iter()
    .chain((0..=60).map(|h| Record { time: 0.5 * f64::from(h), kind: RecordKind::Observation, params: 0 }))
    .collect();
    let (ode, _) = simulate(&SolverOptions::default(), &records);
    let mut lin = [LinearPk::new(Structure::TwoCmtOral, params()).unwrap()];
    let mut closed = vec![Vec::new(); records.len()];
    Simulator::default().run(&mut lin, &records, |i, a| closed[i] = a.to_vec()).unwrap();
    for (i, (a, b)) in ode.iter().zip(&closed).enumerate() {
        for c in 0..3 {
            assert!((a[c] - b[c]).abs() <= 1e-7 * b[c].abs() + 1e-8, "record {i} (t = {}), cmt {c}: {} vs {}", records[i].time, a[c], b[c]);
        }
    }
}
