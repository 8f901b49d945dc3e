//! The run store: commit, interruption, recovery, queries and export.

use std::path::PathBuf;

use vtrial_sim::rows::*;
use vtrial_store::export::{Format, export};
use vtrial_store::query::{query, render};
use vtrial_store::writer::{EndpointMeta, PointMeta, RunEnd, RunMeta, RunWriter};

fn dir(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("vtrial-store-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

fn meta() -> RunMeta {
    RunMeta {
        scenario_name: "t".into(),
        scenario_file: "t.toml".into(),
        scenario_text: "[study]\n".into(),
        scenario_sha256: "00".into(),
        seed: u64::MAX,
        replicates: 3,
        detail: "observation".into(),
        threads: 1,
        cohort_source: "test".into(),
        engine_version: "0".into(),
        started_micros: vtrial_store::writer::now_micros(),
        points: vec![PointMeta {
            point: 0,
            label: "design.n_per_arm=2".into(),
            parameters: vec![("design.n_per_arm".into(), Some(2.0), "2".into())],
            arms: vec![("placebo".into(), "placebo".into()), ("10 mg".into(), "10 mg q24h".into())],
            endpoints: vec![EndpointMeta {
                name: "primary".into(),
                primary: true,
                method: "welch_t".into(),
                estimand: "mean_difference".into(),
                hypothesis: "superiority".into(),
                sided: "two".into(),
                alpha: 0.05,
                margin: 0.0,
                multiplicity: "none".into(),
                stratified: false,
            }],
        }],
    }
}

fn trial(replicate: u32, significant: bool) -> TrialOutput {
    let arm = |a| ArmRow { point: 0, replicate, arm: a, n: 2, n_completed: 2, n_dropouts: 0, n_failed: 0, n_ae: 0, n_events: 0, endpoint_n: 2, endpoint_mean: Some(-1.0), endpoint_sd: None, exposure_mean: None };
    TrialOutput {
        adjusted: vec![],
        trial: TrialRow { point: 0, replicate, n_patients: 4, n_dropouts: 0, n_failed: 1, n_ae: 0, success: Some(significant), stopped_look: None, stop_reason: None, analysis_day: 28.0, analysis_events: None, enrolled_at_analysis: 4 },
        // Estimates −1, −1, −1.6 against a truth of −1.1 (the mean of −1, −1.3, −1); the third
        // interval, (−2, −1.2), misses it.
        comparisons: vec![ComparisonRow {
            point: 0,
            replicate,
            endpoint: 0,
            comparison: 0,
            control: 0,
            treatment: 1,
            test: Some("welch_t"),
            n_control: 2,
            n_treatment: 1,
            events: None,
            estimate: Some(if replicate == 2 { -1.6 } else { -1.0 }),
            std_error: Some(0.25),
            ci: Some(if replicate == 2 { (-2.0, -1.2) } else { (-1.5, -0.5) }),
            statistic: Some(-4.0),
            df: Some(2.0),
            p_value: Some(if significant { 0.01 } else { 0.2 }),
            p_adjusted: Some(if significant { 0.01 } else { 0.2 }),
            decision: Some(significant),
            truth: Some(if replicate == 1 { -1.3 } else { -1.0 }),
            failure: None,
        }],
        arms: vec![arm(0), arm(1)],
        failures: vec![FailureRow { point: 0, replicate, patient: 0, arm: 0, reason: "PK: it's broken".into() }],
        patients: vec![PatientRow {
            point: 0, replicate, patient: 0, arm: 0, entry_day: 0.0, age: Some(50.0), sex: Some("F".into()), weight: None, egfr: None, bsa: None, crcl: None, status: Status::Failed,
            dropout_day: None, ae_day: None, event_day: None, event_observed: None, dose_mg: 0.0, maintenance_dose_mg: Some(50.0), tdm_dose_changes: None, regimen: Some("50 mg q24h".into()),
            adjust_rule: Some(1), exposure: None, baseline: None, endpoint: None,
            failure: Some("PK: it's broken".into()),
        }],
        observations: vec![ObservationRow { point: 0, replicate, patient: 0, time_h: 1.5, kind: ObservationKind::Concentration, value: 2.0 }],
        looks: vec![],
    }
}

/// A group-sequential trial (looks at 0.5 and 1 of 4 patients) that stops at `stopped`
/// (1-based) with `reason`.
fn sequential_trial(replicate: u32, stopped: u32, reason: &'static str) -> TrialOutput {
    let mut t = trial(replicate, reason == "efficacy");
    t.trial.stopped_look = Some(stopped);
    t.trial.stop_reason = Some(reason);
    t.looks = (1..=stopped)
        .map(|look| LookRow {
            point: 0,
            replicate,
            look,
            information: f64::from(look) / 2.0,
            patients: 2 * look,
            events: None,
            cut_day: 28.0,
            p_value: Some(if look == stopped && reason == "efficacy" { 0.001 } else { 0.2 }),
            z: Some(1.0),
            efficacy_z: if look == 1 { 2.96 } else { 1.97 },
            level: if look == 1 { 0.0015 } else { 0.0245 },
            futility_z: (look == 1).then_some(0.0),
            estimate: Some(-1.0),
            std_error: Some(0.5),
            // −1 ± boundary · 0.5: (−2.48, 0.48) at look 1, (−1.985, −0.015) at look 2.
            // None for the trial stopped for futility (replicate 2): no SE there, say.
            rci: (replicate != 2).then_some(if look == 1 { (-2.48, 0.48) } else { (-1.985, -0.015) }),
            rci_level: 0.95,
            // Covered at every look, except at look 2 of the trial not rejected (replicate 3).
            truth: Some(if replicate == 3 { 0.2 } else { -0.5 }),
            p_stagewise: (look == stopped).then_some(if reason == "efficacy" { 0.001 } else { 0.3 }),
            estimate_stagewise: (look == stopped).then_some(-0.9),
            ci_stagewise: (look == stopped).then_some((-1.8, 0.1)),
            outcome: if look < stopped { "continue" } else { reason },
            failure: None,
        })
        .collect();
    t
}

fn cell(db: &std::path::Path, sql: &str) -> String {
    query(db, sql).unwrap().rows[0][0].clone()
}

#[test]
fn a_complete_run_is_committed_and_queryable() {
    let d = dir("complete");
    let db = d.join("run.duckdb");
    let mut w = RunWriter::start(&db, meta(), 2).unwrap();
    w.write(vec![trial(0, true), trial(1, false)]).unwrap();
    w.write(vec![trial(2, true)]).unwrap();
    assert_eq!(w.finish(RunEnd::Complete).unwrap(), 1);
    assert_eq!(cell(&db, "SELECT status FROM runs"), "complete");
    assert_eq!(cell(&db, "SELECT count(*) FROM trials"), "3");
    assert_eq!(cell(&db, "SELECT round(pos, 4) FROM study_success"), "0.6667");
    assert_eq!(cell(&db, "SELECT round(rejection_rate, 4) FROM operating_characteristics"), "0.6667");
    assert_eq!(cell(&db, "SELECT round(rejection_mcse, 4) FROM operating_characteristics"), "0.2722");
    assert_eq!(cell(&db, "SELECT round(truth, 4) || ' ' || round(bias, 4) FROM operating_characteristics"), "-1.1 -0.1");
    assert_eq!(cell(&db, "SELECT round(coverage, 4) || ' ' || nominal_coverage FROM operating_characteristics"), "0.6667 0.95");
    assert_eq!(cell(&db, "SELECT control || ' -> ' || treatment FROM operating_characteristics"), "placebo -> 10 mg");
    assert_eq!(cell(&db, "SELECT count(*) || ' ' || any_value(reason) FROM failures"), "3 PK: it's broken");
    assert_eq!(cell(&db, "SELECT failure FROM patients LIMIT 1"), "PK: it's broken");
    assert_eq!(cell(&db, "SELECT regimen || ' / ' || adjust_rule FROM patients LIMIT 1"), "50 mg q24h / 1");
    assert_eq!(cell(&db, "SELECT seed FROM runs"), u64::MAX.to_string());
    // DECIMAL results print as numbers (they printed as `Decimal(Decimal { … })`).
    assert_eq!(cell(&db, "SELECT 12.50::DECIMAL(5, 2)"), "12.50");
    assert_eq!(cell(&db, "SELECT finished_at >= started_at FROM runs"), "true");
    let t = query(&db, "SELECT arm_name, mean_n FROM arm_summary ORDER BY arm").unwrap();
    assert_eq!(t.rows, vec![vec!["placebo".to_string(), "2".into()], vec!["10 mg".into(), "2".into()]]);
    assert!(render(&t).contains("(2 rows)"));
    // A second run into the same file gets the next id.
    let w = RunWriter::start(&db, meta(), 2).unwrap();
    assert_eq!(w.finish(RunEnd::Complete).unwrap(), 2);
    std::fs::remove_dir_all(&d).unwrap();
}

#[test]
fn an_interrupted_run_leaves_only_its_status_and_the_next_run_works() {
    let d = dir("interrupt");
    let db = d.join("run.duckdb");
    let mut w = RunWriter::start(&db, meta(), 1).unwrap();
    w.write(vec![trial(0, true)]).unwrap();
    w.finish(RunEnd::Interrupted("Ctrl-C".into())).unwrap();
    assert_eq!(cell(&db, "SELECT status || ':' || message FROM runs"), "interrupted:Ctrl-C");
    assert_eq!(cell(&db, "SELECT count(*) FROM trials"), "0");
    assert_eq!(cell(&db, "SELECT count(*) FROM points"), "0");
    // Dropped without finishing (a panic upstream): recorded as failed.
    let mut w = RunWriter::start(&db, meta(), 1).unwrap();
    w.write(vec![trial(0, true)]).unwrap();
    drop(w);
    assert_eq!(cell(&db, "SELECT status FROM runs WHERE run_id = 2"), "failed");
    let mut w = RunWriter::start(&db, meta(), 1).unwrap();
    w.write(vec![trial(0, true)]).unwrap();
    assert_eq!(w.finish(RunEnd::Complete).unwrap(), 3);
    assert_eq!(cell(&db, "SELECT count(*) FROM trials"), "1");
    assert_eq!(cell(&db, "SELECT count(*) FROM study_success"), "1");
    std::fs::remove_dir_all(&d).unwrap();
}

#[test]
fn export_writes_every_table() {
    let d = dir("export");
    let db = d.join("run.duckdb");
    let mut w = RunWriter::start(&db, meta(), 1).unwrap();
    w.write(vec![trial(0, true)]).unwrap();
    w.finish(RunEnd::Complete).unwrap();
    for format in [Format::Parquet, Format::Csv] {
        let out = d.join(format.extension());
        let files = export(&db, &out, format, None, false).unwrap();
        // The schema version, the tables and the summary views.
        assert_eq!(files.len(), 1 + vtrial_store::TABLES.len() + vtrial_store::export::EXPORTED_VIEWS.len());
        assert_eq!(files.len(), 16);
        assert!(files.iter().all(|f| f.exists()));
    }
    let oc = std::fs::read_to_string(d.join("csv/operating_characteristics.csv")).unwrap();
    assert!(oc.starts_with("run_id,point,label,endpoint") && oc.lines().count() > 1, "{oc}");
    let info = std::fs::read_to_string(d.join("csv/store_info.csv")).unwrap();
    assert_eq!(info, format!("schema_version\n{}\n", vtrial_store::SCHEMA_VERSION));
    let one_run = export(&db, &d.join("run1"), Format::Csv, Some(1), false).unwrap();
    assert_eq!(one_run.len(), 16);
    assert!(std::fs::read_to_string(d.join("run1/study_success.csv")).unwrap().lines().count() == 2);
    let csv = std::fs::read_to_string(d.join("csv/trials.csv")).unwrap();
    assert!(csv.starts_with("run_id,point,replicate"), "{csv}");
    assert!(query(&d.join("missing.duckdb"), "SELECT 1").is_err());
    // Existing files are not replaced unless asked; nothing is written then.
    std::fs::write(d.join("csv/runs.csv"), "precious").unwrap();
    let e = export(&db, &d.join("csv"), Format::Csv, None, false).unwrap_err().to_string();
    assert!(e.contains("would be replaced") && e.contains("--force"), "{e}");
    assert_eq!(std::fs::read_to_string(d.join("csv/runs.csv")).unwrap(), "precious");
    export(&db, &d.join("csv"), Format::Csv, None, true).unwrap();
    assert!(std::fs::read_to_string(d.join("csv/runs.csv")).unwrap().starts_with("run_id"));
    // A failure part-way leaves the folder as it was: no file of the set, no temporary one.
    // (A folder in place of the temporary file of the last view makes its COPY fail.)
    let failing = d.join("failing");
    std::fs::create_dir_all(&failing).unwrap();
    let blocker = failing.join(format!(".interim_summary.csv.partial-{}", std::process::id()));
    std::fs::create_dir(&blocker).unwrap();
    let e = export(&db, &failing, Format::Csv, None, false).unwrap_err().to_string();
    assert!(e.contains("exporting interim_summary to") && e.contains("interim_summary.csv"), "{e}");
    let left: Vec<String> = std::fs::read_dir(&failing).unwrap().map(|f| f.unwrap().file_name().to_string_lossy().into_owned()).collect();
    assert_eq!(left, vec![blocker.file_name().unwrap().to_string_lossy().into_owned()], "only the blocker is left");
    // With --force over an earlier export, the earlier files stay untouched.
    std::fs::write(d.join("csv/runs.csv"), "earlier").unwrap();
    let blocker = d.join("csv").join(format!(".interim_summary.csv.partial-{}", std::process::id()));
    std::fs::create_dir(&blocker).unwrap();
    assert!(export(&db, &d.join("csv"), Format::Csv, None, true).is_err());
    assert_eq!(std::fs::read_to_string(d.join("csv/runs.csv")).unwrap(), "earlier");
    std::fs::remove_dir(&blocker).unwrap();
    let hidden = |dir: &str| std::fs::read_dir(d.join(dir)).unwrap().filter(|f| f.as_ref().unwrap().file_name().to_string_lossy().starts_with('.')).count();
    assert_eq!(hidden("csv"), 0, "temporary files left");
    // A folder under a table's name is refused before anything is written, even with --force.
    std::fs::remove_file(d.join("csv/trials.csv")).unwrap();
    std::fs::create_dir(d.join("csv/trials.csv")).unwrap();
    let e = export(&db, &d.join("csv"), Format::Csv, None, true).unwrap_err().to_string();
    assert!(e.contains("trials.csv is in the way and is not a file"), "{e}");
    assert_eq!(std::fs::read_to_string(d.join("csv/runs.csv")).unwrap(), "earlier");
    assert_eq!(hidden("csv"), 0);
    std::fs::remove_dir(d.join("csv/trials.csv")).unwrap();
    // A run the store does not hold.
    let e = export(&db, &d.join("run99"), Format::Csv, Some(99), false).unwrap_err().to_string();
    assert!(e.contains("no run 99 (its runs: 1)"), "{e}");
    assert!(!d.join("run99").exists());
    // Queries cannot write or read files.
    let victim = d.join("victim.csv");
    assert!(query(&db, &format!("COPY (SELECT 1 AS x) TO '{}' (FORMAT csv)", victim.display())).is_err());
    assert!(!victim.exists());
    assert!(query(&db, "SELECT * FROM read_csv('/etc/hostname')").is_err());
    std::fs::remove_dir_all(&d).unwrap();
}

#[test]
fn a_store_of_another_schema_version_is_refused_with_what_to_do() {
    let d = dir("version");
    let db = d.join("old.duckdb");
    {
        let conn = duckdb::Connection::open(&db).unwrap();
        conn.execute_batch("CREATE TABLE runs (run_id BIGINT); INSERT INTO runs VALUES (1);").unwrap();
    }
    let e = RunWriter::start(&db, meta(), 1).err().expect("refused").to_string();
    assert!(e.contains("schema version 1") && e.contains("use a new file"), "{e}");
    std::fs::remove_dir_all(&d).unwrap();
}

#[test]
fn interim_looks_are_stored_and_summarised_per_look() {
    let d = dir("looks");
    let db = d.join("run.duckdb");
    let mut w = RunWriter::start(&db, meta(), 2).unwrap();
    // Stopped for efficacy at look 1, at look 2, for futility at look 1, not rejected at 2.
    w.write(vec![
        sequential_trial(0, 1, "efficacy"),
        sequential_trial(1, 2, "efficacy"),
        sequential_trial(2, 1, "futility"),
        sequential_trial(3, 2, "not_rejected"),
    ])
    .unwrap();
    w.finish(RunEnd::Complete).unwrap();
    assert_eq!(cell(&db, "SELECT count(*) FROM looks"), "6");
    assert_eq!(cell(&db, "SELECT stopped_look || ' ' || stop_reason FROM trials WHERE replicate = 2"), "1 futility");
    let t = query(
        &db,
        "SELECT look, reached, p_stop_reject, p_stop_futility, cumulative_reject, expected_patients, level FROM interim_summary ORDER BY look",
    )
    .unwrap();
    assert_eq!(
        t.rows,
        vec![
            vec!["1".to_string(), "4".into(), "0.25".into(), "0.25".into(), "0.25".into(), "3".into(), "0.0015".into()],
            vec!["2".to_string(), "2".into(), "0.25".into(), "0".into(), "0.5".into(), "3".into(), "0.0245".into()],
        ]
    );
    // Repeated confidence intervals: per look, and all of a trial's looks together.
    // The trial without an interval counts in neither (2 of the 3 others covered at every look).
    let t = query(&db, "SELECT look, rci_level, rci_coverage, round(rci_coverage_all_looks, 6), rci_trials FROM interim_summary ORDER BY look").unwrap();
    assert_eq!(
        t.rows,
        vec![vec!["1".to_string(), "0.95".into(), "1".into(), "0.666667".into(), "3".into()], vec!["2".to_string(), "0.95".into(), "0.5".into(), "0.666667".into(), "3".into()]]
    );
    assert_eq!(cell(&db, "SELECT rci_lower || ' ' || rci_upper || ' ' || estimate || ' ' || std_error FROM looks WHERE replicate = 1 AND look = 2"), "-1.985 -0.015 -1.0 0.5");
    assert_eq!(cell(&db, "SELECT count(p_stagewise) || ' ' || max(p_stagewise) FILTER (WHERE look = 1 AND replicate = 2) FROM looks"), "4 0.3");
    assert_eq!(cell(&db, "SELECT count(estimate_stagewise) || ' ' || min(ci_stagewise_lower) || ' ' || max(ci_stagewise_upper) FROM looks"), "4 -1.8 0.1");
    // The primary decision follows the look's level, so study_success agrees.
    assert_eq!(cell(&db, "SELECT pos FROM study_success"), "0.5");
    std::fs::remove_dir_all(&d).unwrap();
}
