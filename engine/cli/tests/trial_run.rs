//! `vtrial run`, `validate`, `query`, `export` end to end, including an interrupted run.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Duration;

fn vtrial() -> Command {
    Command::new(env!("CARGO_BIN_EXE_vtrial"))
}

fn scenario(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../scenarios").join(name)
}

fn temp(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("vtrial-cli-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

fn query(db: &Path, sql: &str) -> String {
    let out = vtrial().args(["query", sql, "--db"]).arg(db).output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8(out.stdout).unwrap()
}

#[test]
fn run_query_export_and_identical_results_across_threads() {
    let d = temp("run");
    let db = d.join("run.duckdb");
    for threads in ["1", "2"] {
        let out = vtrial()
            .arg("run")
            .arg(scenario("phase2-dose-ranging.toml"))
            .args(["--replicates", "4", "--threads", threads, "--detail", "patient", "--db"])
            .arg(&db)
            .output()
            .unwrap();
        let stdout = String::from_utf8_lossy(&out.stdout);
        assert!(out.status.success(), "{stdout}\n{}", String::from_utf8_lossy(&out.stderr));
        assert!(stdout.contains("success") && stdout.contains("design.n_per_arm=30"), "{stdout}");
        assert!(stdout.contains("100 mg vs placebo") && stdout.contains("coverage (± mcse)"), "{stdout}");
    }
    let runs = query(&db, "SELECT run_id, status, threads FROM runs ORDER BY run_id");
    assert!(runs.contains("complete") && runs.contains("(2 rows)"), "{runs}");
    // The two runs stored the same results.
    for table in ["patients", "comparisons", "trials"] {
        let diff = query(
            &db,
            &format!("SELECT count(*) AS differing FROM (SELECT * EXCLUDE (run_id) FROM {table} WHERE run_id = 1 EXCEPT ALL SELECT * EXCLUDE (run_id) FROM {table} WHERE run_id = 2)"),
        );
        assert!(diff.lines().nth(2).unwrap().trim() == "0", "{table}: {diff}");
    }
    let trials = query(&db, "SELECT count(*) FROM trials WHERE run_id = 2");
    assert!(trials.lines().nth(2).unwrap().trim() == "16", "{trials}");
    let success = query(&db, "SELECT point, pos, pos_mcse FROM study_success WHERE run_id = 2 ORDER BY point");
    assert!(success.contains("(4 rows)"), "{success}");
    // 4 points x (2 primary + 3 secondary comparisons).
    let oc = query(&db, "SELECT count(*) FROM operating_characteristics WHERE run_id = 2");
    assert!(oc.lines().nth(2).unwrap().trim() == "20", "{oc}");
    let out = vtrial().args(["export", "--format", "csv", "--db"]).arg(&db).arg("--out").arg(d.join("csv")).output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(d.join("csv/patients.csv").exists() && d.join("csv/runs.csv").exists());
    std::fs::remove_dir_all(&d).unwrap();
}

#[test]
fn validate_reports_bad_input_before_simulating() {
    let d = temp("validate");
    let ok = vtrial().arg("validate").arg(scenario("renal-impairment-pk.toml")).output().unwrap();
    assert!(ok.status.success(), "{}", String::from_utf8_lossy(&ok.stderr));
    assert!(String::from_utf8_lossy(&ok.stdout).contains("primary endpoint \"primary\": none, no comparison"));
    let p2 = vtrial().arg("validate").arg(scenario("phase2-dose-ranging.toml")).output().unwrap();
    let listing = String::from_utf8_lossy(&p2.stdout);
    assert!(
        listing.contains("ancova (stratified), alpha 0.05 (two), multiplicity fixed_sequence: 100 mg vs placebo, 50 mg vs placebo"),
        "{listing}"
    );
    let text = std::fs::read_to_string(scenario("phase2-dose-ranging.toml")).unwrap();
    for (bad, expected) in [
        (text.replace("replicates = 1000", "replicates = 1000\nreplicatess = 3"), ":10:1: unknown field `replicatess`"),
        (text.replace("egfr >= 45\"", "egfr >= 45 and age > 150\""), "age > 150"),
        (text.replace("visits_days = [0, 14, 28, 56, 84]", "visits_days = [0, 14, 100]"), "after the end of the study"),
        // A code the generator's categorical column never takes gave factor 1 to everyone.
        (
            text.replace("egfr = \"power(0.4, ref=90)\" }", "egfr = \"power(0.4, ref=90)\", diabetes = \"categorical(7=0.9)\" }"),
            "drug.pk.cl.covariates.diabetes: 7 is not a value of diabetes (its values: 0, 1",
        ),
    ] {
        let path = d.join("bad.toml");
        std::fs::write(&path, bad).unwrap();
        let out = vtrial().arg("validate").arg(&path).output().unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{stderr}");
        assert!(stderr.contains(expected), "expected {expected:?} in {stderr}");
    }
    std::fs::remove_dir_all(&d).unwrap();
}

#[test]
fn a_killed_run_leaves_nothing_complete_and_the_next_run_works() {
    let d = temp("kill");
    let db = d.join("run.duckdb");
    let mut child = vtrial()
        .arg("run")
        .arg(scenario("phase2-dose-ranging.toml"))
        .args(["--replicates", "3000", "--detail", "patient", "--db"])
        .arg(&db)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    std::thread::sleep(Duration::from_millis(8000));
    child.kill().unwrap(); // SIGKILL
    child.wait().unwrap();
    let out = vtrial().arg("run").arg(scenario("phase2-dose-ranging.toml")).args(["--replicates", "2", "--db"]).arg(&db).output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let runs = query(&db, "SELECT count(*) FILTER (status = 'complete'), count(*) FROM runs");
    assert_eq!(runs.lines().nth(2).unwrap().split_whitespace().collect::<Vec<_>>(), ["1", "1"], "{runs}");
    let trials = query(&db, "SELECT count(*) FROM trials");
    assert_eq!(trials.lines().nth(2).unwrap().trim(), "8", "{trials}");
    std::fs::remove_dir_all(&d).unwrap();
}

#[test]
fn sigterm_interrupts_a_run_cleanly_and_export_says_it_has_no_results() {
    // SIGTERM (timeout, systemd, Slurm) killed the process without recording the run.
    let d = temp("term");
    let db = d.join("run.duckdb");
    let child = vtrial()
        .arg("run")
        .arg(scenario("phase2-dose-ranging.toml"))
        .args(["--replicates", "3000", "--detail", "observation", "--db"])
        .arg(&db)
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    std::thread::sleep(Duration::from_millis(6000));
    let sent = Command::new("kill").args(["-TERM", &child.id().to_string()]).status().unwrap();
    assert!(sent.success());
    let out = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(130), "{stderr}");
    assert!(stderr.contains("interrupted"), "{stderr}");
    assert!(query(&db, "SELECT status FROM runs").contains("interrupted"));
    let out = vtrial().args(["export", "--format", "csv", "--run", "1", "--db"]).arg(&db).arg("--out").arg(d.join("csv")).output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success() && stderr.contains("warning: run 1 is interrupted: it has no results"), "{stderr}");
    std::fs::remove_dir_all(&d).unwrap();
}

#[test]
fn a_reader_that_closes_the_pipe_early_is_not_a_crash() {
    // `vtrial run … | head -1`: the run is committed before the summary is printed; a closed
    // stdout made println! panic (exit 101 with a backtrace).
    let d = temp("pipe");
    let db = d.join("run.duckdb");
    let mut child = vtrial()
        .arg("run")
        .arg(scenario("phase2-dose-ranging.toml"))
        .args(["--replicates", "2", "--db"])
        .arg(&db)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    drop(child.stdout.take());
    let out = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success() && !stderr.contains("panicked"), "{:?}: {stderr}", out.status);
    assert_eq!(query(&db, "SELECT status FROM runs").lines().filter(|l| l.contains("complete")).count(), 1);
}

#[test]
fn a_run_where_every_patient_fails_says_so() {
    // A CL covariate model that is negative for everyone: the run completed with empty
    // analyses and "reject 0.000" without a word.
    let d = temp("allfail");
    let text = std::fs::read_to_string(scenario("phase2-dose-ranging.toml")).unwrap().replace("egfr = \"power(0.4, ref=90)\"", "egfr = \"linear(-0.5, ref=0)\"");
    let s = d.join("allfail.toml");
    std::fs::write(&s, text).unwrap();
    let out = vtrial().arg("run").arg(&s).args(["--replicates", "2", "--db"]).arg(d.join("run.duckdb")).output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    assert!(stderr.contains("warning: point 0: the simulation of every patient failed"), "{stderr}");
    assert!(stderr.contains("comparisons that could not be analysed"), "{stderr}");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.contains("analysed"), "{stdout}");
}

#[test]
fn an_adjustment_rule_that_never_fires_is_named_after_the_run() {
    // Rules are tried in order: `egfr < 30` listed after `egfr < 60` chose nobody, silently.
    let d = temp("rules");
    let rules = "[[arms.adjust]]\nwhen = \"egfr < 60\"\nregimen = \"25 mg q24h\"\n[[arms.adjust]]\nwhen = \"egfr < 30\"\nregimen = \"10 mg q24h\"\n";
    let text = std::fs::read_to_string(scenario("phase2-dose-ranging.toml")).unwrap().replace("regimen = \"50 mg q24h\"\n", &format!("regimen = \"50 mg q24h\"\n{rules}"));
    let s = d.join("rules.toml");
    std::fs::write(&s, text).unwrap();
    let out = vtrial().arg("run").arg(&s).args(["--replicates", "2", "--db"]).arg(d.join("run.duckdb")).output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    assert!(
        stderr.contains("warning: point 0: arms[2].adjust[1] (arm \"50 mg\", when = \"egfr < 30\") gave no patient its regimen in 2 trials"),
        "{stderr}"
    );
    assert!(!stderr.contains("adjust[0]"), "the first rule fired: {stderr}");
    std::fs::remove_dir_all(&d).unwrap();
}

#[test]
fn validate_describes_a_ramp_up_of_enrolment_and_a_swept_design_per_point() {
    let d = temp("rampup");
    let ramp = "period_ends_days = [90, 365]\nrelative_rates = [1, 3]";
    let text = std::fs::read_to_string(scenario("phase3-time-to-event.toml")).unwrap().replace(ramp, "period_ends_days = [30, 60, 365]\nrelative_rates = [1, 0, 2.5]");
    assert!(text.contains("[30, 60, 365]"));
    let s = d.join("rampup.toml");
    std::fs::write(&s, text).unwrap();
    let out = vtrial().arg("validate").arg(&s).output().unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(stdout.contains("accrual: entry at relative rates 1 to day 30, 0 to day 60, 2.5 to day 365 over 365 days, followed until the study ends on day 1095"), "{stdout}");
    // A swept enrolment period is printed under each point, the rest once.
    let swept = std::fs::read_to_string(&s).unwrap().replace("\"design.n_total\" = [800, 1200]", "\"design.n_total\" = [800, 1200]\n\"design.accrual.duration_days\" = [365, 500]");
    assert!(swept.contains("duration_days\" = [365, 500]"));
    let swept = swept.replace("period_ends_days = [30, 60, 365]\nrelative_rates = [1, 0, 2.5]\n", "");
    std::fs::write(&s, swept).unwrap();
    let out = vtrial().arg("validate").arg(&s).output().unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let point0 = stdout.find("  point 0:").unwrap();
    let points = stdout.matches("  point ").count();
    assert!(points >= 2 && !stdout[..point0].contains("accrual:"), "{stdout}");
    assert_eq!(stdout.matches("\n    accrual: uniform entry over ").count(), points, "{stdout}");
    assert!(stdout.contains("    accrual: uniform entry over 365 days") && stdout.contains("    accrual: uniform entry over 500 days"), "{stdout}");
    assert_eq!(stdout.matches("interim looks by events").count(), 1, "{stdout}");
    assert!(stdout.find("interim looks by events").unwrap() < point0, "{stdout}");
    std::fs::remove_dir_all(&d).unwrap();
}

#[test]
fn a_group_sequential_run_stores_its_looks_and_prints_the_interim_summary() {
    let d = temp("interim");
    let db = d.join("run.duckdb");
    let out = vtrial().arg("validate").arg(scenario("phase3-time-to-event.toml")).output().unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    // O'Brien–Fleming-type spending at half the events: z 2.963 then 1.969.
    assert!(stdout.contains("interim looks by events at information 0.500, 1.000: obrien_fleming spending, efficacy z 2.963, 1.969"), "{stdout}");
    assert!(stdout.contains("accrual: entry at relative rates 1 to day 90, 3 to day 365 over 365 days, followed until the study ends on day 1095"), "{stdout}");
    let out = vtrial().arg("run").arg(scenario("phase3-time-to-event.toml")).args(["--replicates", "6", "--threads", "2", "--db"]).arg(&db).output().unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{stdout}\n{}", String::from_utf8_lossy(&out.stderr));
    assert!(stdout.contains("stop: reject (± mcse)") && stdout.contains("expected patients (± mcse)") && stdout.contains("expected day"), "{stdout}");
    assert!(stdout.contains("repeated CIs cover (level)") && stdout.contains("(0.95)"), "{stdout}");
    // Every trial has a first look; those that went on have a second; the stopping look and
    // reason agree with the last look's outcome.
    let looks = query(&db, "SELECT count(*) FILTER (WHERE look = 1), count(*) FILTER (WHERE t.stopped_look = 2 AND look = 2) = count(*) FILTER (WHERE look = 2) FROM looks JOIN trials t USING (run_id, point, replicate)");
    assert!(looks.lines().nth(2).unwrap().split_whitespace().collect::<Vec<_>>() == ["24", "true"], "{looks}");
    let agree = query(&db, "SELECT count(*) FROM trials t JOIN looks l ON l.run_id = t.run_id AND l.point = t.point AND l.replicate = t.replicate AND l.look = t.stopped_look WHERE l.outcome <> t.stop_reason");
    assert!(agree.lines().nth(2).unwrap().trim() == "0", "{agree}");
    // Calendar days: the interim cut before the study's end (day 1095); each trial decided on
    // its stopping look's day.
    let cuts = query(&db, "SELECT min(cut_day) > 0 AND max(cut_day) < 1095 FROM looks WHERE look = 1");
    assert!(cuts.contains("true"), "{cuts}");
    // Repeated confidence intervals on the log hazard ratio at every look, 95 % together.
    let rci = query(&db, "SELECT count(*) FILTER (WHERE rci_lower < estimate AND estimate < rci_upper AND rci_level = 0.95) = count(*) FROM looks");
    assert!(rci.contains("true"), "{rci}");
    let summary = query(&db, "SELECT count(*) FILTER (WHERE rci_coverage_all_looks BETWEEN 0 AND 1) > 0 FROM interim_summary");
    assert!(summary.contains("true"), "{summary}");
    let days = query(&db, "SELECT count(*) FROM trials t JOIN looks l ON l.run_id = t.run_id AND l.point = t.point AND l.replicate = t.replicate AND l.look = t.stopped_look WHERE l.cut_day <> t.analysis_day OR t.analysis_day > 1095");
    assert!(days.lines().nth(2).unwrap().trim() == "0", "{days}");
    let summary = query(&db, "SELECT count(*) FROM interim_summary");
    assert!(summary.lines().nth(2).unwrap().trim().parse::<u32>().unwrap() >= 4, "{summary}");
    std::fs::remove_dir_all(&d).unwrap();
}
