//! Integration tests of the cohort generator (one binary; reads the shared reference data).

mod common;

use common::{model, reference, sample_csv};
use vtrial_cohort::data::read_csv_from;
use vtrial_cohort::derived::{bmi, bsa_mosteller, crcl_cockcroft_gault, egfr_ckd_epi_2021};
use vtrial_cohort::evaluate::{EvalOptions, evaluate_tables};
use vtrial_cohort::model::fnv1a64;
use vtrial_cohort::sample::ColumnData;
use vtrial_cohort::{CohortError, Generator, SampleOptions, TrainOptions, sample, train};

#[test]
fn criteria_are_exact_even_below_one_percent_acceptance() {
    let mut o = SampleOptions::new(300, 11);
    o.criteria = Some("age >= 65 and egfr < 60 and sex == 'F'".into());
    let (c, r) = sample(&model(), &o).unwrap();
    assert_eq!(c.n, 300);
    assert_eq!(r.returned, 300);
    // This criterion is a rare one (< 1 % of generated patients) and still completes.
    assert!(r.acceptance_rate < 0.02, "acceptance {}", r.acceptance_rate);
    let age = c.num("age").unwrap();
    let egfr = c.num("egfr").unwrap();
    for i in 0..c.n {
        assert!(age[i] >= 65.0 && egfr[i] < 60.0, "row {i}: age {} egfr {}", age[i], egfr[i]);
        assert_eq!(c.text("sex", i), Some("F"));
    }
    // The report accounts for every generated row.
    let implausible: usize = r.implausible.values().sum();
    assert_eq!(r.drawn, implausible + r.rejected_by_criteria + r.accepted);
}

#[test]
fn in_between_and_or_criteria_are_exact() {
    let mut o = SampleOptions::new(200, 3);
    o.criteria = Some("race in ('black_or_other') or weight between 60 and 70".into());
    let (c, _) = sample(&model(), &o).unwrap();
    let w = c.num("weight").unwrap();
    for (i, wi) in w.iter().enumerate() {
        assert!(c.text("race", i) == Some("black_or_other") || (60.0..=70.0).contains(wi));
    }
}

#[test]
fn every_row_is_plausible_and_derived_columns_match_their_inputs() {
    let m = model();
    for generator in [Generator::Neural, Generator::Copula] {
        let mut o = SampleOptions::new(20_000, 5);
        o.generator = generator;
        let (c, _) = sample(&m, &o).unwrap();
        let g = |n: &str| c.num(n).unwrap();
        let (age, ht, wt, cr) = (g("age"), g("height"), g("weight"), g("creatinine"));
        let (b, s, e, cl) = (g("bmi"), g("bsa"), g("egfr"), g("crcl"));
        let (sbp, dbp) = (g("sbp"), g("dbp"));
        for i in 0..c.n {
            let female = c.text("sex", i) == Some("F");
            assert!(c.text("sex", i).is_some() && c.text("race", i).is_some() && c.text("cyp2c19", i).is_some());
            for x in [age[i], ht[i], wt[i], cr[i], b[i], s[i], e[i], cl[i]] {
                assert!(x.is_finite(), "row {i}: non-finite value");
            }
            assert!((18.0..=110.0).contains(&age[i]) && (120.0..=220.0).contains(&ht[i]));
            assert!((30.0..=250.0).contains(&wt[i]) && (0.2..=15.0).contains(&cr[i]));
            assert!(sbp[i].is_nan() || dbp[i].is_nan() || dbp[i] < sbp[i]);
            assert!((b[i] - bmi(wt[i], ht[i])).abs() <= 0.005 + 1e-9);
            assert!((s[i] - bsa_mosteller(wt[i], ht[i])).abs() <= 0.0005 + 1e-9);
            assert!((e[i] - egfr_ckd_epi_2021(cr[i], age[i], female)).abs() <= 0.05 + 1e-9);
            assert!((cl[i] - crcl_cockcroft_gault(cr[i], age[i], wt[i], female)).abs() <= 0.05 + 1e-9);
        }
        // Missing values appear only where the training data had them.
        for col in &c.columns {
            if let ColumnData::Num(v) = &col.data
                && v.iter().any(|x| x.is_nan())
            {
                assert!(["sbp", "dbp", "cholesterol", "income"].contains(&col.name.as_str()), "{}", col.name);
            }
        }
    }
}

#[test]
fn same_seed_same_cohort_whatever_the_thread_count() {
    let m = model();
    let run = |threads: usize, seed: u64| {
        let pool = rayon::ThreadPoolBuilder::new().num_threads(threads).build().unwrap();
        pool.install(|| {
            let mut o = SampleOptions::new(20_000, seed);
            o.criteria = Some("age >= 40".into());
            let mut csv = Vec::new();
            vtrial_cohort::output::write_csv(&sample(&m, &o).unwrap().0, &mut csv).unwrap();
            csv
        })
    };
    // Compare the CSV bytes (NaN != NaN would defeat a struct comparison; and no
    // megabyte Debug dump on failure).
    let a = run(1, 42);
    assert!(a == run(2, 42), "1 vs 2 threads differ");
    assert!(a == run(4, 42), "1 vs 4 threads differ");
    assert!(a != run(2, 43), "seeds 42 and 43 gave the same cohort");
}

#[test]
fn early_rejection_gives_the_same_cohort_as_plain_rejection() {
    // `a and b and c` is screened term by term while the NADE draws (sex and age are its
    // first columns); the same criteria wrapped in `or` are one term that reads eGFR, so
    // they are only checked on finished rows. Same seed: the very same patients.
    let run = |crit: &str| sample_csv(300, 11, crit);
    let crit = "sex == 'F' and age >= 65 and egfr < 60 and weight < 80";
    let (_, rs, screened) = run(crit);
    let (_, rp, plain) = run(&format!("({crit}) or 1 > 2"));
    assert!(screened == plain, "early rejection changed the cohort");
    assert_eq!((rs.drawn, rs.accepted), (rp.drawn, rp.accepted));
    assert!(rs.acceptance_rate < 0.01, "{rs:?}");
    // The screened rows were never finished, so fewer rows reached the plausibility check.
    assert!(rs.implausible.values().sum::<usize>() < rp.implausible.values().sum::<usize>());
}

#[test]
fn impossible_criteria_fail_early_with_the_reason() {
    let mut o = SampleOptions::new(100, 1);
    o.criteria = Some("age >= 90".into());
    let t = std::time::Instant::now();
    let e = sample(&model(), &o).unwrap_err();
    assert!(t.elapsed().as_secs() < 30);
    let msg = e.to_string();
    assert!(matches!(e, CohortError::CriteriaTooRare { accepted: 0, .. }), "{msg}");
    assert!(msg.contains("age ranges 25..74"), "{msg}");
}

#[test]
fn rare_but_possible_criteria_over_the_budget_say_how_to_finish() {
    let mut o = SampleOptions::new(1000, 1);
    o.criteria = Some("age >= 65 and egfr < 60 and sex == 'F'".into());
    o.max_draws = 100_000;
    let e = sample(&model(), &o).unwrap_err();
    let msg = e.to_string();
    assert!(matches!(e, CohortError::CriteriaTooRare { accepted, .. } if accepted > 0), "{msg}");
    assert!(msg.contains("possible but rare"), "{msg}");
    // The suggested budget is over the one that ran out.
    let suggested: u64 = msg
        .split("--max-draws ")
        .nth(1)
        .and_then(|t| t.split(' ').next())
        .and_then(|t| t.parse().ok())
        .unwrap_or_else(|| panic!("{msg}"));
    assert!(suggested > 100_000, "{msg}");
}

#[test]
fn criteria_errors_give_the_position_or_the_valid_names() {
    let mut o = SampleOptions::new(10, 1);
    o.criteria = Some("age >= and sex == 'F'".into());
    match sample(&model(), &o).unwrap_err() {
        CohortError::CriteriaParse { column, .. } => assert_eq!(column, 8),
        e => panic!("{e}"),
    }
    o.criteria = Some("agee >= 65".into());
    let e = sample(&model(), &o).unwrap_err();
    let msg = e.to_string();
    assert!(msg.contains("agee") && msg.contains("egfr") && msg.contains("age"), "{msg}");
}

#[test]
fn bad_training_data_is_reported_with_its_position() {
    let all_missing = "a,b,c\n1,,x\n2,,y\n";
    match read_csv_from(all_missing.as_bytes(), "t.csv").unwrap_err() {
        CohortError::UnusableColumn { column, column_number, .. } => {
            assert_eq!((column.as_str(), column_number), ("b", 2));
        }
        e => panic!("{e}"),
    }
    let mut text = String::from("age,wt\n");
    for i in 0..30 {
        text.push_str(&format!("{},{}\n", 30 + i, if i == 17 { "heavy".to_string() } else { format!("{}", 60 + i) }));
    }
    let e = read_csv_from(text.as_bytes(), "t.csv").unwrap_err();
    match &e {
        CohortError::BadCell { line, column, column_number, value, .. } => {
            assert_eq!((*line, column.as_str(), *column_number, value.as_str()), (19, "wt", 2, "heavy"));
        }
        e => panic!("{e}"),
    }
    assert!(e.to_string().contains("line 19, column 2 (wt)"), "{e}");
    let mixed = "a,b\n1,x\n2,3\n3,y\n4,z\n";
    match read_csv_from(mixed.as_bytes(), "t.csv").unwrap_err() {
        CohortError::UnusableColumn { column, reason, .. } => {
            assert_eq!(column, "b");
            assert!(reason.contains("mixed types"), "{reason}");
        }
        e => panic!("{e}"),
    }
    let ragged = "a,b\n1,2\n3\n";
    assert!(matches!(read_csv_from(ragged.as_bytes(), "t.csv").unwrap_err(), CohortError::Csv { line: 3, .. }));
}

#[test]
fn training_is_reproducible_on_a_small_config() {
    let mut o = TrainOptions::new(reference("nhefs-train.csv"));
    o.config.hidden = 8;
    o.config.max_epochs = 3;
    o.config.patience = 3;
    let a = train(&o).unwrap().to_bytes();
    let b = train(&o).unwrap().to_bytes();
    assert_eq!(a, b);
    o.config.seed += 1;
    assert_ne!(a.0, train(&o).unwrap().to_bytes().0);
}

#[test]
fn shipped_model_records_its_provenance() {
    let m = model();
    let bytes = std::fs::read(reference("nhefs-train.csv")).unwrap();
    assert_eq!(m.meta.data.fnv1a64, format!("{:016x}", fnv1a64(&bytes)));
    assert_eq!(m.meta.data.rows, 1140);
    assert_eq!(m.meta.data.excluded, vec!["seqn".to_string()]);
    assert_eq!(m.meta.columns.len(), 20);
    let c = m.meta.creatinine.as_ref().unwrap();
    assert_eq!(c.data.rows, 5512);
    assert_eq!(c.data.rows_used + c.rows_dropped_missing, 5512);
    assert_eq!(m.meta.units["egfr"], "mL/min/1.73m2");
}

#[test]
fn creatinine_under_50_is_within_adult_reference_ranges() {
    let mut o = SampleOptions::new(4000, 9);
    o.criteria = Some("age < 50".into());
    let (c, _) = sample(&model(), &o).unwrap();
    let cr = c.num("creatinine").unwrap();
    for sex in ["M", "F"] {
        let mut v: Vec<f64> = (0..c.n).filter(|&i| c.text("sex", i) == Some(sex)).map(|i| cr[i]).collect();
        v.sort_by(f64::total_cmp);
        let q = |p: f64| v[((v.len() - 1) as f64 * p) as usize];
        // Published adult reference intervals (Mayo Clinic Laboratories): men 0.74–1.35,
        // women 0.59–1.04 mg/dL. flchain reports to 0.1 mg/dL with an older assay, so allow 0.1–0.2.
        let (lo, hi) = if sex == "M" { (0.74, 1.35) } else { (0.59, 1.04) };
        eprintln!("{sex} < 50 y: creatinine 5/25/50/75/95 % = {} {} {} {} {}", q(0.05), q(0.25), q(0.5), q(0.75), q(0.95));
        assert!(q(0.5) > lo && q(0.5) < hi, "{sex} median {}", q(0.5));
        assert!(q(0.25) >= lo - 0.1 && q(0.75) <= hi + 0.1, "{sex} 25-75 %: {} {}", q(0.25), q(0.75));
        // The upper tail is that of 50-year-olds in a population sample (CKD included), so
        // it is wider than a healthy-adult interval; it must still be adult-like.
        assert!(q(0.05) >= lo - 0.3 && q(0.95) <= hi + 0.6, "{sex} 5-95 %: {} {}", q(0.05), q(0.95));
    }
}

#[test]
fn shipped_model_fidelity_regression_guard() {
    // In-sample check (the default model was trained on this file): guards against a broken
    // model or sampler, with margins over the figures measured when the weights were made.
    let real = vtrial_cohort::data::read_csv(&reference("nhefs-train.csv")).unwrap();
    let (c, r) = sample(&model(), &SampleOptions::new(5000, 2)).unwrap();
    let mut csv = Vec::new();
    vtrial_cohort::output::write_csv(&c, &mut csv).unwrap();
    let syn = read_csv_from(csv.as_slice(), "synthetic").unwrap();
    let e = evaluate_tables(real, syn, None, &EvalOptions { repeats: 1, ..Default::default() }).unwrap();
    assert_eq!(e.columns.len(), 20);
    assert!(e.ks_mean < 0.06 && e.ks_max < 0.10, "{}", e.to_text());
    assert!(e.tv_mean < 0.05, "{}", e.to_text());
    assert!(e.spearman_mean_abs_diff < 0.06, "{}", e.to_text());
    assert!(e.detection_auc < 0.72, "{}", e.to_text());
    let implausible: usize = r.implausible.values().sum();
    assert!((implausible as f64) < 0.05 * r.drawn as f64, "{r:?}");
}

#[test]
fn output_writes_units_and_refuses_unknown_formats() {
    let (c, r) = sample(&model(), &SampleOptions::new(50, 1)).unwrap();
    let dir = std::env::temp_dir().join(format!("vtrial-cohort-test-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let p = dir.join("c.csv");
    vtrial_cohort::output::write_cohort(&c, &r, &serde_json::json!({"seed": 1}), &p).unwrap();
    let meta: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir.join("c.csv.meta.json")).unwrap()).unwrap();
    let cols = meta["columns"].as_array().unwrap();
    assert_eq!(cols.len(), c.columns.len());
    assert!(cols.iter().any(|c| c["name"] == "weight" && c["unit"] == "kg"));
    assert!(cols.iter().any(|c| c["name"] == "creatinine" && c["unit"] == "mg/dL"));
    let text = std::fs::read_to_string(&p).unwrap();
    assert_eq!(text.lines().count(), 51);
    let e = vtrial_cohort::output::write_cohort(&c, &r, &serde_json::json!({}), &dir.join("c.xlsx")).unwrap_err();
    assert!(e.to_string().contains("not supported"), "{e}");
    std::fs::remove_dir_all(&dir).ok();
}
