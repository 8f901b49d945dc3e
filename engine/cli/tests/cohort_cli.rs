//! `vtrial cohort sample` end to end: CSV and Parquet output with the units sidecar,
//! refused extensions, and criteria too rare for the generator.

use std::path::PathBuf;
use std::process::Command;

fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("vtrial-cohort-cli-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn vtrial(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_vtrial")).args(args).output().expect("vtrial runs")
}

fn no_partial_files(dir: &std::path::Path) -> bool {
    std::fs::read_dir(dir).unwrap().all(|e| !e.unwrap().file_name().to_string_lossy().contains("partial"))
}

#[test]
fn cohort_sample_writes_parquet_by_extension_with_typed_columns_and_units() {
    let dir = scratch("pq");
    let (pq, csv) = (dir.join("cohort.parquet"), dir.join("cohort.csv"));
    let crit = "age >= 65 and sex == 'F'";
    for out in [&pq, &csv] {
        let o = vtrial(&["cohort", "sample", "--n", "300", "--seed", "7", "--where", crit, "--out", out.to_str().unwrap()]);
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    }
    assert!(no_partial_files(&dir));
    let conn = duckdb::Connection::open_in_memory().unwrap();
    let q = |sql: &str| -> (i64, i64, f64) {
        conn.query_row(&sql.replace("{pq}", &pq.display().to_string()).replace("{csv}", &csv.display().to_string()), [], |r| {
            Ok((r.get(0)?, r.get(1)?, r.get(2)?))
        })
        .unwrap()
    };
    // Same patients in both files; every one meets the criteria.
    let (n, women, age) = q("SELECT count(*), count(*) FILTER (WHERE sex = 'F' AND age >= 65), avg(age) FROM read_parquet('{pq}')");
    assert_eq!((n, women), (300, 300));
    let (n_csv, _, age_csv) = q("SELECT count(*), 0, avg(age) FROM read_csv('{csv}')");
    assert_eq!(n_csv, 300);
    assert!((age - age_csv).abs() < 1e-9, "{age} vs {age_csv}");
    // Column types: integers, doubles (creatinine and eGFR keep their decimals), labels.
    let ty = |col: &str| -> String {
        conn.query_row(
            &format!("SELECT typeof({col}) FROM read_parquet('{}') LIMIT 1", pq.display()),
            [],
            |r| r.get(0),
        )
        .unwrap()
    };
    assert_eq!(ty("id"), "BIGINT");
    assert_eq!(ty("sex"), "VARCHAR");
    assert_eq!(ty("cyp2c19"), "VARCHAR");
    for c in ["creatinine", "egfr", "crcl", "bmi", "weight"] {
        assert_eq!(ty(c), "DOUBLE", "{c}");
    }
    // Missing values (blood pressure, cholesterol) are NULL in both.
    let (sbp, chol, _) = q("SELECT count(sbp), count(cholesterol), 0.0 FROM read_parquet('{pq}')");
    let (sbp_csv, chol_csv, _) = q("SELECT count(sbp), count(cholesterol), 0.0 FROM read_csv('{csv}')");
    assert_eq!((sbp, chol), (sbp_csv, chol_csv));
    let (_, _, creat) = q("SELECT 0, 0, sum(creatinine) FROM read_parquet('{pq}')");
    let (_, _, creat_csv) = q("SELECT 0, 0, sum(creatinine) FROM read_csv('{csv}')");
    assert!((creat - creat_csv).abs() < 1e-9);
    // The units sidecar sits next to the Parquet file.
    let meta: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir.join("cohort.parquet.meta.json")).unwrap()).unwrap();
    assert!(meta["columns"].as_array().unwrap().iter().any(|c| c["name"] == "egfr" && c["unit"] == "mL/min/1.73m2"));
    assert_eq!(meta["report"]["returned"], 300);
    assert_eq!(meta["provenance"]["criteria"], crit);
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn cohort_sample_refuses_other_extensions_before_sampling() {
    let dir = scratch("ext");
    let out = dir.join("cohort.xlsx");
    let o = vtrial(&["cohort", "sample", "--n", "10", "--out", out.to_str().unwrap()]);
    let stderr = String::from_utf8_lossy(&o.stderr);
    assert!(!o.status.success());
    assert!(stderr.contains("use .csv or .parquet"), "{stderr}");
    assert!(!out.exists() && no_partial_files(&dir));
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn criteria_the_generator_cannot_meet_fail_early_with_the_reason() {
    // NHEFS has nobody over 74: rejection would never finish, so sampling stops after its
    // pilot and says why, well within seconds, and writes nothing.
    let dir = scratch("rare");
    let out = dir.join("cohort.csv");
    let t = std::time::Instant::now();
    let o = vtrial(&["cohort", "sample", "--n", "1000", "--where", "age >= 85 and egfr < 30 and sex == 'F'", "--out", out.to_str().unwrap()]);
    let stderr = String::from_utf8_lossy(&o.stderr);
    assert!(!o.status.success());
    assert!(t.elapsed().as_secs() < 30, "took {:?}", t.elapsed());
    assert!(stderr.contains("criteria accept 0 of"), "{stderr}");
    assert!(stderr.contains("age ranges 25..74"), "{stderr}");
    assert!(!out.exists() && no_partial_files(&dir));
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn cohort_split_refuses_clashing_outputs_empty_input_and_leaves_nothing_on_failure() {
    let dir = scratch("split");
    let data = dir.join("small.csv");
    let text = "a,b\n1,2\n3,4\n5,6\n7,8\n";
    std::fs::write(&data, text).unwrap();
    let p = |f: &str| dir.join(f).to_str().unwrap().to_string();
    let d = data.to_str().unwrap();
    let split = |train: &str, hold: &str| vtrial(&["cohort", "split", "--data", d, "--train-out", train, "--holdout-out", hold]);
    let o = split(&p("same.csv"), &p("./same.csv"));
    assert!(!o.status.success() && String::from_utf8_lossy(&o.stderr).contains("same file"));
    let o = split(d, &p("ho.csv"));
    assert!(!o.status.success() && String::from_utf8_lossy(&o.stderr).contains("overwrite the input"));
    assert_eq!(std::fs::read_to_string(&data).unwrap(), text);
    // The holdout cannot be written: the training part is not left behind either.
    let o = split(&p("tr.csv"), &p("nope/ho.csv"));
    assert!(!o.status.success() && String::from_utf8_lossy(&o.stderr).contains("nope/ho.csv"));
    assert_eq!(std::fs::read_dir(&dir).unwrap().count(), 1, "files left behind");
    // A header without rows is an error naming the file.
    let hdr = dir.join("hdr.csv");
    std::fs::write(&hdr, "a,b\n").unwrap();
    let o = vtrial(&["cohort", "split", "--data", hdr.to_str().unwrap(), "--train-out", &p("tr.csv"), "--holdout-out", &p("ho.csv")]);
    let stderr = String::from_utf8_lossy(&o.stderr);
    assert!(!o.status.success() && stderr.contains("hdr.csv") && stderr.contains("no data rows"), "{stderr}");
    assert!(split(&p("tr.csv"), &p("ho.csv")).status.success());
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn cohort_sample_refuses_more_patients_than_draws_and_non_conditions_before_sampling() {
    let dir = scratch("budget");
    let out = dir.join("c.csv");
    let o_ = out.to_str().unwrap();
    for args in [
        &["--n", "100", "--where", "sex == 'F'", "--max-draws", "10"][..],
        &["--n", "1000000", "--max-draws", "10"],
        &["--n", "18446744073709551615"],
        &["--n", "3000000000"],
    ] {
        let o = vtrial(&[&["cohort", "sample", "--out", o_][..], args].concat());
        let stderr = String::from_utf8_lossy(&o.stderr);
        // An error, not a panic (101) or an abort.
        assert!(matches!(o.status.code(), Some(c) if c != 0 && c != 101), "{args:?}: {stderr}");
        assert!(stderr.contains("--max-draws") && stderr.contains("cannot finish"), "{args:?}: {stderr}");
    }
    let o = vtrial(&["cohort", "sample", "--out", o_, "--n", "10", "--where", "age - 57"]);
    let stderr = String::from_utf8_lossy(&o.stderr);
    assert!(!o.status.success() && stderr.contains("must be a condition") && stderr.contains("\n  ^"), "{stderr}");
    assert!(!out.exists() && no_partial_files(&dir));
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn cohort_evaluate_checks_the_json_location_first_and_names_uncompared_columns() {
    let dir = scratch("eval");
    let (real, syn, part) = (dir.join("real.csv"), dir.join("syn.csv"), dir.join("part.csv"));
    for (out, seed) in [(&real, "1"), (&syn, "2")] {
        let o = vtrial(&["cohort", "sample", "--n", "300", "--seed", seed, "--out", out.to_str().unwrap()]);
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    }
    // A synthetic file with only 6 columns.
    let six: String = std::fs::read_to_string(&syn)
        .unwrap()
        .lines()
        .map(|l| l.split(',').take(6).collect::<Vec<_>>().join(",") + "\n")
        .collect();
    std::fs::write(&part, six).unwrap();
    let (r, s, pt) = (real.to_str().unwrap(), syn.to_str().unwrap(), part.to_str().unwrap());
    let t = std::time::Instant::now();
    let o = vtrial(&["cohort", "evaluate", "--real", r, "--synthetic", s, "--json", "/nonexistent-vtrial-dir/ev.json"]);
    let stderr = String::from_utf8_lossy(&o.stderr);
    assert!(!o.status.success() && stderr.contains("/nonexistent-vtrial-dir") && stderr.contains("does not exist"), "{stderr}");
    assert!(!String::from_utf8_lossy(&o.stdout).contains("detection AUC"), "evaluated before failing");
    assert!(t.elapsed().as_secs() < 5);
    let o = vtrial(&["cohort", "evaluate", "--real", r, "--synthetic", s, "--json", r]);
    assert!(!o.status.success() && String::from_utf8_lossy(&o.stderr).contains("overwrite the input"));
    let json = dir.join("ev.json");
    let o = vtrial(&["cohort", "evaluate", "--real", r, "--synthetic", pt, "--json", json.to_str().unwrap()]);
    let stderr = String::from_utf8_lossy(&o.stderr);
    assert!(o.status.success(), "{stderr}");
    assert!(stderr.contains("warning:") && stderr.contains("not compared") && stderr.contains("cholesterol"), "{stderr}");
    let ev: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(&json).unwrap()).unwrap();
    assert!(ev["real_columns_not_compared"].as_array().unwrap().iter().any(|c| c == "cholesterol"));
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn cohort_train_refuses_an_excluded_name_the_file_lacks_and_keeps_excluding_identifiers() {
    let dir = scratch("exclude");
    let data = dir.join("data.csv");
    std::fs::write(&data, "seqn,age,wt71\n1,40,70.5\n2,50,80.1\n").unwrap();
    let out = dir.join("m.safetensors");
    let o = vtrial(&["cohort", "train", "--data", data.to_str().unwrap(), "--exclude", "wt7", "--out", out.to_str().unwrap()]);
    let err = String::from_utf8_lossy(&o.stderr);
    // `--exclude` adds to the identifiers: seqn is not reported missing, the typo is.
    assert!(!o.status.success() && err.contains("`wt7`") && !err.contains("`seqn`") && err.contains("seqn, age, wt71"), "{err}");
    assert!(!out.exists());
}
