//! The PK library against NONMEM 7.5 on 29 dosing scenarios (mrgsolve/nmtests, model 1001;
//! see `../shared/reference-data/nonmem-dosing/`). This reads the data set with a minimal
//! reader so that it checks the simulator alone; the engine's own reader and model file
//! are checked against the same reference in `engine/core/tests`.
//!
//! Tolerance: NONMEM prints 5 significant digits, so values agree to a relative
//! difference ≤ 1e-4 (or an absolute one ≤ 1e-4 below 1).

use std::path::PathBuf;

use vtrial_pk::{Dose, DoseInput, LinearParams, LinearPk, Record, RecordKind, Simulator, SteadyState, Structure};

fn reference_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/reference-data/nonmem-dosing")
}

fn read_rows(name: &str) -> Vec<Vec<String>> {
    let text = std::fs::read_to_string(reference_dir().join(name)).expect("reference data present");
    text.lines().skip(1).map(|l| l.split(',').map(str::to_string).collect()).collect()
}

fn num(s: &str) -> f64 {
    if s == "." { 0.0 } else { s.parse().unwrap_or_else(|_| panic!("number expected, got {s:?}")) }
}

/// Input columns: C,ID,time,evid,amt,cmt,ss,ii,addl,rate,LAGT,MODE,DUR2,RAT2,BIOAV,DV
fn record(row: &[String]) -> Record {
    let v = |i: usize| num(&row[i]);
    let (time, evid, amt, cmt, ss, ii, addl, rate) = (v(2), v(3) as i64, v(4), v(5) as usize, v(6) as i64, v(7), v(8), v(9));
    let (lagt, dur2, rat2, bioav) = (v(10), v(12), v(13), v(14));
    let central = cmt == 2;
    let dose = || Dose {
        cmt: cmt - 1,
        amount: amt,
        input: match rate {
            r if r > 0.0 => DoseInput::Rate(r),
            r if r == -1.0 => DoseInput::Rate(rat2),
            r if r == -2.0 => DoseInput::Duration(dur2),
            _ => DoseInput::Bolus,
        },
        bioavailability: if central { bioav } else { 1.0 },
        lag: if central { lagt } else { 0.0 },
        interval: ii,
        additional: addl as u32,
        steady_state: match ss {
            1 => SteadyState::Reset,
            2 => SteadyState::Add,
            _ => SteadyState::No,
        },
    };
    let kind = match evid {
        0 => RecordKind::Observation,
        1 => RecordKind::Dose(dose()),
        2 => RecordKind::Other,
        3 => RecordKind::Reset,
        4 => RecordKind::ResetDose(dose()),
        e => panic!("EVID {e}"),
    };
    Record { time, kind, params: 0 }
}

#[test]
fn all_29_scenarios_match_nonmem() {
    let input = read_rows("1001-input.csv");
    let output = read_rows("1001-nonmem-output.csv");
    assert_eq!(input.len(), output.len());
    let params = LinearParams { cl: 1.1, v: 20.0, ka: 1.5, ..Default::default() };
    let mut sim = Simulator::default();
    let mut failures = Vec::new();
    let mut compared = 0;
    let mut start = 0;
    while start < input.len() {
        let id = input[start][1].clone();
        let end = start + input[start..].iter().take_while(|r| r[1] == id).count();
        let records: Vec<Record> = input[start..end].iter().map(|r| record(r)).collect();
        let mut cp = vec![f64::NAN; records.len()];
        let mut model = [LinearPk::new(Structure::OneCmtOral, params).unwrap()];
        sim.run(&mut model, &records, |i, a| cp[i] = a[1] / (20.0 / 1000.0)).unwrap_or_else(|e| panic!("ID {id}: {e}"));
        for (k, r) in records.iter().enumerate() {
            if r.kind != RecordKind::Observation {
                continue;
            }
            let expected = num(&output[start + k][2]);
            let got = cp[k];
            let ok = if expected.abs() < 1.0 { (got - expected).abs() <= 1e-4 } else { ((got - expected) / expected).abs() <= 1e-4 };
            compared += 1;
            if !ok {
                failures.push(format!("ID {id} time {}: vtrial {got} vs NONMEM {expected}", r.time));
            }
        }
        start = end;
    }
    assert!(compared > 3000, "compared {compared} observations");
    assert!(failures.is_empty(), "{} of {compared} observations differ:\n{}", failures.len(), failures.iter().take(40).cloned().collect::<Vec<_>>().join("\n"));
}
