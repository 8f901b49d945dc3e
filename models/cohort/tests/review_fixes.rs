//! Regression tests for reviewed defects: criteria checks and three-valued logic, the draw
//! budget, CSV line numbers, invalid UTF-8, splitting, and the evaluation of a "holdout" that
//! is not one.

mod common;

use std::path::PathBuf;

use common::{model, sample_csv};
use vtrial_cohort::data::read_csv_from;
use vtrial_cohort::split::split_file;
use vtrial_cohort::{CohortError, SampleOptions, sample};

fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("vtrial-cohort-review-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn criteria_error(crit: &str) -> (usize, String) {
    let mut o = SampleOptions::new(10, 1);
    o.criteria = Some(crit.into());
    match sample(&model(), &o).unwrap_err() {
        e @ CohortError::CriteriaParse { column, .. } => (column, e.to_string()),
        e => panic!("{crit}: {e}"),
    }
}

#[test]
fn criteria_that_are_not_conditions_or_mix_types_are_errors_with_the_column() {
    for (crit, col) in [("age - 57", 1), ("age", 1), ("  age * 2", 3), ("age > 60 and weight", 14), ("not age", 5)] {
        let (c, msg) = criteria_error(crit);
        assert_eq!(c, col, "{crit}: {msg}");
        assert!(msg.contains("must be a condition") && msg.contains("not a number"), "{msg}");
    }
    let (c, msg) = criteria_error("'F'");
    assert!(c == 1 && msg.contains("not a string"), "{msg}");
    let (c, msg) = criteria_error("sex == 1");
    assert!(c == 8 && msg.contains("text column sex") && msg.contains("in quotes"), "{msg}");
    let (c, msg) = criteria_error("age >= 18 and age == '65'");
    assert!(c == 22 && msg.contains("numeric column age"), "{msg}");
    let (c, msg) = criteria_error("sex in ('F', 2)");
    assert_eq!(c, 14, "{msg}");
    let (c, msg) = criteria_error("sex > 'A'");
    assert!(c == 1 && msg.contains("needs numbers"), "{msg}");
    // Reversed constant bounds, with the position of the lower bound.
    let (c, msg) = criteria_error("sex == 'F' and age between 70 and 30");
    assert!(c == 28 && msg.contains("reversed") && msg.contains("age between 30 and 70"), "{msg}");
    let (c, _) = criteria_error("age not between -1 and -5");
    assert_eq!(c, 17);
    // Still fine: conditions of every shape, bounds in order, booleans used as numbers.
    for crit in [
        "age between 30 and 70",
        "(sex == 'F') + (age > 60) >= 1",
        "missing(sbp) or not (sbp > 120)",
        "if(age > 60, sbp > 140, sbp > 130)",
    ] {
        let mut o = SampleOptions::new(5, 1);
        o.criteria = Some(crit.into());
        sample(&model(), &o).unwrap_or_else(|e| panic!("{crit}: {e}"));
    }
}

#[test]
fn not_does_not_let_missing_values_in() {
    // Three-valued logic: `not (sbp > 120)` is unknown where sbp is missing, so it selects
    // exactly the patients `sbp <= 120` does: the same cohort for the same seed.
    let run = |crit: &str| sample_csv(2000, 3, crit);
    let (c, _, negated) = run("not (sbp > 120)");
    assert!(c.num("sbp").unwrap().iter().all(|x| !x.is_nan() && *x <= 120.0));
    let (.., plain) = run("sbp <= 120");
    assert!(negated == plain, "not (sbp > 120) and sbp <= 120 gave different cohorts");
    // The generator does produce missing sbp: `missing(sbp)` finds such patients.
    let (m, ..) = run("missing(sbp) or not (sbp > 0)");
    assert!(m.num("sbp").unwrap().iter().all(|x| x.is_nan()));
}

#[test]
fn the_draw_budget_is_never_exceeded() {
    // More patients than draws can never finish: refused before anything is generated.
    for n in [100, usize::MAX, 3_000_000_000] {
        let mut o = SampleOptions::new(n, 1);
        o.max_draws = 10;
        let msg = sample(&model(), &o).unwrap_err().to_string();
        assert!(msg.contains("--max-draws") && msg.contains("cannot finish"), "{msg}");
    }
    let mut o = SampleOptions::new(usize::MAX, 1);
    o.max_draws = usize::MAX;
    assert!(sample(&model(), &o).is_err());
    // With and without criteria, the pilot and the batches stay within the budget.
    for crit in [None, Some("sex == 'F'"), Some("age >= 90")] {
        for budget in [10, 9000, 20_000] {
            let mut o = SampleOptions::new(8, 2);
            o.criteria = crit.map(Into::into);
            o.max_draws = budget;
            match sample(&model(), &o) {
                Ok((_, r)) => assert!(r.drawn <= budget, "{crit:?} {budget}: {r:?}"),
                Err(CohortError::CriteriaTooRare { drawn, .. }) => assert!(drawn <= budget, "{crit:?} {budget}: {drawn}"),
                Err(e) => panic!("{e}"),
            }
        }
    }
    // A budget that binds mid-chunk gives the same patients as a large one.
    let run = |budget: usize| {
        let mut o = SampleOptions::new(200, 5);
        o.criteria = Some("sex == 'F'".into());
        o.max_draws = budget;
        let (c, r) = sample(&model(), &o).unwrap();
        let mut csv = Vec::new();
        vtrial_cohort::output::write_csv(&c, &mut csv).unwrap();
        (csv, r.drawn)
    };
    let (small, drawn) = run(1000);
    assert!(drawn <= 1000);
    assert!(small == run(20_000_000).0);
}

#[test]
fn line_numbers_are_right_for_lf_and_crlf() {
    for eol in ["\n", "\r\n"] {
        let text = ["a,b", "1,2", "3,4", "x,5", "6,7", "8,9", "10,11", "12,13", "14,15", "16,17", "18,19"].join(eol) + eol;
        let msg = read_csv_from(text.as_bytes(), "t.csv").unwrap_err().to_string();
        assert!(msg.contains("t.csv, line 4, column 1 (a): \"x\""), "{eol:?}: {msg}");
        // The first data row is line 2.
        let text = ["a,b", "y,2", "3,4", "5,6", "7,8", "9,10", "11,12", "13,14", "15,16", "17,18", "19,20"].join(eol);
        let msg = read_csv_from(text.as_bytes(), "t.csv").unwrap_err().to_string();
        assert!(msg.contains("line 2,"), "{eol:?}: {msg}");
        // A ragged row, after a quoted field spanning two lines.
        let text = ["a,b", "\"p", "q\",2", "3,4,5"].join(eol);
        let msg = read_csv_from(text.as_bytes(), "t.csv").unwrap_err().to_string();
        assert!(msg.contains("line 4:"), "{eol:?}: {msg}");
    }
}

#[test]
fn invalid_utf8_is_reported_with_its_line_and_column() {
    let mut text = b"a,b\n1,ok\n2,ok\n3,caf".to_vec();
    text.extend_from_slice(&[0xe9, b'\n']);
    let msg = read_csv_from(&text[..], "t.csv").unwrap_err().to_string();
    assert!(msg.contains("t.csv, line 4, column 2 (b)") && msg.contains("UTF-8"), "{msg}");
}

#[test]
fn split_refuses_empty_files_and_leaves_nothing_behind_on_failure() {
    let dir = scratch("split");
    let (tr, ho) = (dir.join("tr.csv"), dir.join("ho.csv"));
    for (name, text) in [("empty.csv", ""), ("header.csv", "a,b\n")] {
        let data = dir.join(name);
        std::fs::write(&data, text).unwrap();
        let msg = split_file(&data, 0.3, 1, &tr, &ho).unwrap_err().to_string();
        assert!(msg.contains(name) && msg.contains("line 1"), "{msg}");
        assert!(!tr.exists() && !ho.exists());
    }
    let data = dir.join("d.csv");
    std::fs::write(&data, "a,b\r\n1,2\r\n3,4\r\n5,6\r\n").unwrap();
    // The holdout's directory does not exist: neither part is written.
    let msg = split_file(&data, 0.3, 1, &tr, &dir.join("nope/ho.csv")).unwrap_err().to_string();
    assert!(msg.contains("nope/ho.csv"), "{msg}");
    assert!(!tr.exists());
    assert_eq!(std::fs::read_dir(&dir).unwrap().count(), 3, "temporary files left behind");
    // A fraction of 0, or one that rounds to no holdout row (or to all rows), is refused.
    for f in [0.0, 0.1, 0.9] {
        let msg = split_file(&data, f, 1, &tr, &ho).unwrap_err().to_string();
        assert!(msg.contains("holdout fraction") && (msg.contains("not in (0, 1)") || msg.contains("leaves one part without rows")), "{f}: {msg}");
        assert!(!tr.exists() && !ho.exists());
    }
    let c = split_file(&data, 0.34, 1, &tr, &ho).unwrap();
    assert_eq!((c.train, c.holdout), (2, 1));
    let t = std::fs::read_to_string(&tr).unwrap();
    assert!(t.starts_with("a,b\n") && t.lines().count() == 3, "{t}");
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn evaluate_warns_when_the_holdout_rows_are_in_the_training_file() {
    use vtrial_cohort::evaluate::{EvalOptions, evaluate_tables};
    let csv = |n: usize, off: f64| {
        let mut s = String::from("x,y\n");
        for i in 0..n {
            s += &format!("{},{}\n", f64::from(i as u32) + off, i % 3);
        }
        s
    };
    let real = read_csv_from(csv(40, 0.0).as_bytes(), "real.csv").unwrap();
    let syn = read_csv_from(csv(40, 0.5).as_bytes(), "syn.csv").unwrap();
    let train = read_csv_from(csv(80, 0.0).as_bytes(), "train.csv").unwrap();
    let e = evaluate_tables(real, syn, Some(train), &EvalOptions::default()).unwrap();
    let p = e.privacy.as_ref().unwrap();
    assert_eq!(p.holdout_rows_in_train, 40);
    let text = e.to_text();
    assert!(text.contains("40 of 40 real rows are identical to a training row"), "{text}");
    assert!(text.contains("ratio undefined"), "{text}");
    // A real holdout (disjoint from the training rows) gets no warning.
    let real = read_csv_from(csv(40, 0.25).as_bytes(), "real.csv").unwrap();
    let syn = read_csv_from(csv(40, 0.5).as_bytes(), "syn.csv").unwrap();
    let train = read_csv_from(csv(80, 0.0).as_bytes(), "train.csv").unwrap();
    let e = evaluate_tables(real, syn, Some(train), &EvalOptions::default()).unwrap();
    assert_eq!(e.privacy.as_ref().unwrap().holdout_rows_in_train, 0);
    assert!(!e.to_text().contains("warning"));
}
