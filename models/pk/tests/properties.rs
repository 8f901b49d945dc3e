//! Invariants of the PK library, checked on random models and regimens (proptest):
//! closed form = ODE, mass balance, non-negativity, superposition of doses, and exact
//! steady state = the limit of many doses. Tolerances are stated per property.

use proptest::prelude::*;
use vtrial_pk::linear::{LinearParams, LinearPk, Structure};
use vtrial_pk::nonlinear::{LinearOde, OdePk};
use vtrial_pk::ode::SolverOptions;
use vtrial_pk::{Dose, DoseInput, PkSystem, Record, RecordKind, Simulator, SteadyState};

fn structure() -> impl Strategy<Value = Structure> {
    prop::sample::select(Structure::ALL.to_vec())
}

fn params() -> impl Strategy<Value = LinearParams> {
    (0.1f64..10.0, 5.0f64..100.0, 0.1f64..10.0, 5.0f64..200.0, 0.05f64..5.0, 10.0f64..300.0, 0.2f64..5.0)
        .prop_map(|(cl, v, q, v2, q3, v3, ka)| LinearParams { cl, v, q, v2, q3, v3, ka })
}

/// A dose into a random compartment: bolus or infusion, with F, lag, repeats.
fn dose(n_cmt: usize) -> impl Strategy<Value = Dose> {
    (0..n_cmt, 1.0f64..500.0, prop::bool::ANY, 0.5f64..30.0, 0.3f64..1.0, 0.0f64..3.0, 4.0f64..24.0, 0u32..4).prop_map(
        |(cmt, amount, infusion, duration, f, lag, interval, additional)| Dose {
            cmt,
            amount,
            input: if infusion { DoseInput::Duration(duration) } else { DoseInput::Bolus },
            bioavailability: f,
            lag,
            interval,
            additional,
            steady_state: SteadyState::No,
        },
    )
}

fn schedule(doses: &[(f64, Dose)], obs: &[f64]) -> Vec<Record> {
    let mut records: Vec<Record> = doses.iter().map(|(t, d)| Record { time: *t, kind: RecordKind::Dose(*d), params: 0 }).collect();
    records.extend(obs.iter().map(|&t| Record { time: t, kind: RecordKind::Observation, params: 0 }));
    records.sort_by(|a, b| a.time.total_cmp(&b.time));
    records
}

fn simulate<S: PkSystem>(system: S, records: &[Record]) -> Vec<Vec<f64>> {
    let mut out = vec![Vec::new(); records.len()];
    Simulator::default().run(&mut [system], records, |i, a| out[i] = a.to_vec()).expect("simulates");
    out
}

fn observation_times() -> Vec<f64> {
    (0..40).map(|i| 0.37 + 2.5 * i as f64).collect()
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 48, ..ProptestConfig::default() })]

    /// The closed form equals the ODE (Auto method, rtol 1e-10) to 1e-6 relative to the
    /// largest amount, at every record, for every structure and random regimens.
    #[test]
    fn closed_form_equals_ode(s in structure(), p in params(), d1 in dose(4), d2 in dose(4), t2 in 0.0f64..40.0) {
        let n = s.n_cmt();
        let doses = [(0.0, Dose { cmt: d1.cmt % n, ..d1 }), (t2, Dose { cmt: d2.cmt % n, ..d2 })];
        let records = schedule(&doses, &observation_times());
        let closed = simulate(LinearPk::new(s, p).unwrap(), &records);
        let options = SolverOptions { rtol: 1e-10, atol: 1e-10, ..SolverOptions::default() };
        let ode = simulate(OdePk::new(LinearOde::new(s, p).unwrap(), options), &records);
        let scale = closed.iter().flatten().fold(1e-9f64, |m, v| m.max(v.abs()));
        for (a, b) in closed.iter().zip(&ode) {
            for (x, y) in a.iter().zip(b) {
                prop_assert!((x - y).abs() <= 1e-6 * scale, "closed {x} vs ODE {y} (scale {scale})");
            }
        }
    }

    /// Without elimination (CL = 0), the amount in the body is the amount dosed so far:
    /// every bolus, and each infusion's rate times its elapsed time; to 1e-9 relative.
    /// Amounts never go negative (beyond -1e-12 of the scale).
    #[test]
    fn mass_balance_and_non_negativity(s in structure(), p in params(), d in dose(4)) {
        let n = s.n_cmt();
        let d = Dose { cmt: d.cmt % n, ..d };
        let records = schedule(&[(0.0, d)], &observation_times());
        let states = simulate(LinearPk::new(s, LinearParams { cl: 0.0, ..p }).unwrap(), &records);
        let per_dose = d.effective_amount();
        for (r, a) in records.iter().zip(&states) {
            let mut given = 0.0;
            for k in 0..=d.additional {
                let start = d.lag + f64::from(k) * d.interval;
                given += match d.infusion() {
                    None if r.time >= start => per_dose,
                    Some((rate, dur)) if r.time > start => rate * (r.time - start).min(dur),
                    _ => 0.0,
                };
            }
            let total: f64 = a.iter().sum();
            prop_assert!((total - given).abs() <= 1e-9 * given.max(1.0), "t = {}: {total} in the body, {given} given", r.time);
            prop_assert!(a.iter().all(|&x| x >= -1e-12 * given.max(1.0)), "negative amount at t = {}: {a:?}", r.time);
        }
    }

    /// Linear systems superpose: the response to two dose records is the sum of the
    /// responses to each, to 1e-10 relative.
    #[test]
    fn doses_superpose(s in structure(), p in params(), d1 in dose(4), d2 in dose(4), t2 in 0.0f64..30.0) {
        let n = s.n_cmt();
        let (d1, d2) = (Dose { cmt: d1.cmt % n, ..d1 }, Dose { cmt: d2.cmt % n, ..d2 });
        let obs = observation_times();
        let both = simulate(LinearPk::new(s, p).unwrap(), &schedule(&[(0.0, d1), (t2, d2)], &obs));
        let first = simulate(LinearPk::new(s, p).unwrap(), &schedule(&[(0.0, d1)], &obs));
        let second = simulate(LinearPk::new(s, p).unwrap(), &schedule(&[(t2, d2)], &obs));
        let pick = |states: &[Vec<f64>], records: &[Record]| -> Vec<Vec<f64>> {
            records.iter().zip(states).filter(|(r, _)| r.kind == RecordKind::Observation).map(|(_, a)| a.clone()).collect()
        };
        let both = pick(&both, &schedule(&[(0.0, d1), (t2, d2)], &obs));
        let first = pick(&first, &schedule(&[(0.0, d1)], &obs));
        let second = pick(&second, &schedule(&[(t2, d2)], &obs));
        let scale = both.iter().flatten().fold(1e-9f64, |m, v| m.max(v.abs()));
        for ((ab, a), b) in both.iter().zip(&first).zip(&second) {
            for i in 0..n {
                prop_assert!((ab[i] - a[i] - b[i]).abs() <= 1e-10 * scale);
            }
        }
    }

    /// The exact steady state (SS = 1) equals the state reached after enough doses of the
    /// same regimen to decay by e^-40 at the slowest eigenvalue (counted from the end of the
    /// first dose's input), for boluses and infusions
    /// with II < DUR, II = DUR or II > DUR and a lag time; to 1e-8 relative, over the whole
    /// following interval.
    #[test]
    fn steady_state_is_the_limit_of_repeated_doses(s in structure(), p in params(), amount in 10.0f64..200.0,
        duration_ratio in prop::sample::select(vec![0.0, 0.4, 1.0, 2.5]), interval in 6.0f64..24.0, lag_ratio in 0.0f64..0.9) {
        let n = s.n_cmt();
        let slowest = LinearPk::new(s, p).unwrap().rate_matrix().complex_eigenvalues().iter().map(|l| l.re.abs()).fold(f64::INFINITY, f64::min);
        // Enough doses for the first one's effect to decay by e^-40 after its input ends
        // (an infusion longer than the interval keeps running into later intervals).
        let doses = (40.0 / (slowest * interval) + duration_ratio).ceil() as u32;
        let cmt = 0;
        let input = if duration_ratio == 0.0 { DoseInput::Bolus } else { DoseInput::Duration(duration_ratio * interval) };
        let lag = lag_ratio * interval;
        let base = Dose { cmt, amount, input, bioavailability: 0.8, lag, interval, additional: 0, steady_state: SteadyState::Reset };
        let t0 = f64::from(doses) * interval;
        let obs: Vec<f64> = (0..12).map(|k| t0 + k as f64 * interval / 11.0).collect();
        let ss = schedule(&[(t0, base)], &obs);
        let many = schedule(&[(0.0, Dose { steady_state: SteadyState::No, additional: doses, ..base })], &obs);
        let a = simulate(LinearPk::new(s, p).unwrap(), &ss);
        let b = simulate(LinearPk::new(s, p).unwrap(), &many);
        let pick = |states: &[Vec<f64>], records: &[Record]| -> Vec<Vec<f64>> {
            records.iter().zip(states).filter(|(r, _)| r.kind == RecordKind::Observation).map(|(_, a)| a.clone()).collect()
        };
        let (a, b) = (pick(&a, &ss), pick(&b, &many));
        let scale = b.iter().flatten().fold(1e-9f64, |m, v| m.max(v.abs()));
        for (x, y) in a.iter().zip(&b) {
            for i in 0..n {
                prop_assert!((x[i] - y[i]).abs() <= 1e-8 * scale, "cmt {i}: SS {} vs {doses} doses {} (scale {scale})", x[i], y[i]);
            }
        }
    }
}
