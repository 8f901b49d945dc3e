//! End-to-end tests of the engine with the test-only cohort source.

use std::path::Path;
use std::sync::atomic::AtomicBool;

use vtrial_sim::cohort::{CohortSource, TestOnlySource};
use vtrial_sim::driver::{self, RunOptions};
use vtrial_sim::rows::TrialOutput;
use vtrial_sim::scenario::{self, Detail, Overrides, ScenarioError, ScenarioFile};

fn load(name: &str, overrides: Overrides) -> ScenarioFile {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../scenarios").join(name);
    scenario::load(&path, &TestOnlySource.columns(), overrides).unwrap_or_else(|e| panic!("{e}"))
}

fn run(file: &ScenarioFile, threads: usize, batch: usize) -> (Vec<TrialOutput>, Vec<driver::PointSummary>) {
    let mut rows: Vec<TrialOutput> = Vec::new();
    let summary = driver::run(file, &TestOnlySource, &mut rows, RunOptions { threads, batch }, &mut |_, _| {}, &AtomicBool::new(false)).unwrap();
    (rows, summary)
}

#[test]
fn dose_ranging_runs_and_is_identical_across_thread_counts() {
    let file = load("phase2-dose-ranging.toml", Overrides { replicates: Some(12), detail: Some(Detail::Observation), ..Default::default() });
    assert_eq!(file.points.len(), 4);
    let (a, sa) = run(&file, 1, 5);
    let (b, sb) = run(&file, 2, 64);
    assert_eq!(a, b);
    assert_eq!(sa, sb);
    assert_eq!(a.len(), 48);
    // Point 1 = n_per_arm 30, emax -12: 120 patients, 4 arms.
    let t = &a[12];
    assert_eq!((t.trial.point, t.trial.replicate, t.trial.n_patients), (1, 0, 120));
    assert_eq!(t.arms.len(), 4);
    assert_eq!(t.patients.len(), 120);
    assert!(t.patients.windows(2).all(|w| w[0].patient < w[1].patient));
    assert!(!t.observations.is_empty());
}

#[test]
fn a_large_drug_effect_is_detected_and_placebo_is_not_different_from_itself() {
    let file = load("phase2-dose-ranging.toml", Overrides { replicates: Some(40), ..Default::default() });
    let (rows, summary) = run(&file, 0, 64);
    // emax -12 with 50 per arm: the mean change on 100 mg is well below placebo's.
    let last = summary.last().unwrap();
    assert_eq!(last.trials, 40);
    assert!(last.power > 0.5, "{last:?}");
    let arms = &rows.last().unwrap().arms;
    assert!(arms[3].endpoint_mean.unwrap() < arms[0].endpoint_mean.unwrap());
    // Exposure increases with dose.
    assert!(arms[1].exposure_mean.unwrap() < arms[2].exposure_mean.unwrap());
}

#[test]
fn unknown_keys_are_reported_with_line_and_column() {
    let text = "[study]\nname = \"x\"\nreplicates = 1\nseed = 1\nduration_days = 10\nreplicatse = 3\n";
    let err = scenario::parse(text, "bad.toml", &TestOnlySource.columns(), Overrides::default()).unwrap_err();
    match &err {
        ScenarioError::Syntax { line, column, message, .. } => {
            assert_eq!((*line, *column), (6, 1), "{err}");
            assert!(message.contains("replicatse"), "{err}");
        }
        other => panic!("{other}"),
    }
}
