//! `cohort evaluate` on inputs that used to give wrong or meaningless figures: unknown text
//! labels, numbers against text, all-missing columns, and tables too small for a figure.

use serde_json::Value;
use vtrial_cohort::data::read_csv_from;
use vtrial_cohort::evaluate::{EvalOptions, evaluate_files, evaluate_tables};

fn table(csv: &str, source: &str) -> vtrial_cohort::data::RawTable {
    read_csv_from(csv.as_bytes(), source).unwrap()
}

/// A CSV with header `header` and `n` rows made by `row(i)`.
fn csv(header: &str, n: usize, row: impl Fn(usize) -> String) -> String {
    let mut s = format!("{header}\n");
    for i in 0..n {
        s += &row(i);
        s.push('\n');
    }
    s
}

fn opts() -> EvalOptions {
    EvalOptions { repeats: 1, ..Default::default() }
}

/// The JSON of a column's fidelity entry.
fn column(e: &Value, name: &str) -> Value {
    e["columns"].as_array().unwrap().iter().find(|c| c["name"] == name).unwrap_or_else(|| panic!("no {name}: {e}")).clone()
}

#[test]
fn text_labels_the_record_does_not_know_are_compared_as_they_are() {
    // Real race White/Black half and half, synthetic all Black: TV 0.5, nothing missing.
    let real = table(&csv("age,race,x", 40, |i| format!("{},{},{}", 40 + i % 30, ["White", "Black"][i % 2], i)), "real.csv");
    let syn = table(&csv("age,race,x", 40, |i| format!("{},Black,{}", 40 + i % 30, i)), "syn.csv");
    let e = serde_json::to_value(evaluate_tables(real, syn, None, &opts()).unwrap()).unwrap();
    let race = column(&e, "race");
    assert!((race["value"].as_f64().unwrap() - 0.5).abs() < 1e-12, "{race}");
    assert_eq!(race["missing_diff"].as_f64().unwrap(), 0.0, "{race}");

    // sex female/male vs all male.
    let real = table(&csv("age,sex", 40, |i| format!("{},{}", 40 + i % 30, ["female", "male"][i % 2])), "real.csv");
    let syn = table(&csv("age,sex", 40, |i| format!("{},male", 40 + i % 30)), "syn.csv");
    let e = serde_json::to_value(evaluate_tables(real, syn, None, &opts()).unwrap()).unwrap();
    let sex = column(&e, "sex");
    assert!((sex["value"].as_f64().unwrap() - 0.5).abs() < 1e-12, "{sex}");
    assert_eq!(sex["missing_diff"].as_f64().unwrap(), 0.0, "{sex}");

    // One side has the record's labels, the other a value outside them: no relabelling, so
    // the real 'F'/'M' are not turned into codes that the synthetic "female" cannot match.
    let real = table(&csv("age,sex", 40, |i| format!("{},{}", 40 + i % 30, ["F", "M"][i % 2])), "real.csv");
    let syn = table(&csv("age,sex", 40, |i| format!("{},{}", 40 + i % 30, ["F", "female"][i % 2])), "syn.csv");
    let e = serde_json::to_value(evaluate_tables(real, syn, None, &opts()).unwrap()).unwrap();
    let sex = column(&e, "sex");
    assert!((sex["value"].as_f64().unwrap() - 0.5).abs() < 1e-12, "{sex}");
    assert_eq!(sex["missing_diff"].as_f64().unwrap(), 0.0, "{sex}");

    // The record's own coding still aligns NHEFS codes with the sampler's labels
    // (0 = M, 1 = F): real 0/1 half and half, synthetic 3/4 'F'.
    let real = table(&csv("age,sex,race", 40, |i| format!("{},{},{}", 40 + i % 30, i % 2, i % 2)), "real.csv");
    let syn = table(
        &csv("age,sex,race", 40, |i| format!("{},{},{}", 40 + i % 30, if i % 4 == 0 { "M" } else { "F" }, ["white", "black_or_other"][i % 2])),
        "syn.csv",
    );
    let e = serde_json::to_value(evaluate_tables(real, syn, None, &opts()).unwrap()).unwrap();
    assert!((column(&e, "sex")["value"].as_f64().unwrap() - 0.25).abs() < 1e-12, "{e}");
    assert_eq!(column(&e, "race")["value"].as_f64().unwrap(), 0.0, "{e}");
}

#[test]
fn numbers_against_text_are_refused_naming_column_files_and_types() {
    // Synthetic text in a column that is numeric in the real file.
    let real = table(&csv("age,kappa", 40, |i| format!("{},{}", 40 + i % 30, 0.83 + i as f64 / 10.0)), "ho.csv");
    let syn = table(&csv("age,kappa", 40, |i| format!("{},{}", 40 + i % 30, ["high", "low"][i % 2])), "syn_kappatext.csv");
    let err = evaluate_tables(real, syn, None, &opts()).unwrap_err().to_string();
    for part in ["\"kappa\"", "ho.csv", "syn_kappatext.csv", "numeric", "text", "0.83", "\"high\""] {
        assert!(err.contains(part), "{part} missing from: {err}");
    }
    // A real text column against synthetic numbers (which used to be read as level indices).
    let real = table(&csv("age,mgus", 40, |i| format!("{},{}", 40 + i % 30, ["no", "yes"][i % 2])), "real_mgustext.csv");
    let syn = table(&csv("age,mgus", 40, |i| format!("{},{}", 40 + i % 30, i % 2)), "syn.csv");
    let err = evaluate_tables(real, syn, None, &opts()).unwrap_err().to_string();
    for part in ["\"mgus\"", "real_mgustext.csv", "syn.csv", "numeric", "text", "\"no\""] {
        assert!(err.contains(part), "{part} missing from: {err}");
    }
    // Codes outside the record's coding (sex 1/2) are not matched to its labels.
    let real = table(&csv("age,sex", 40, |i| format!("{},{}", 40 + i % 30, 1 + i % 2)), "sex12.csv");
    let syn = table(&csv("age,sex", 40, |i| format!("{},{}", 40 + i % 30, ["M", "F"][i % 2])), "syn.csv");
    let err = evaluate_tables(real, syn, None, &opts()).unwrap_err().to_string();
    assert!(err.contains("\"sex\"") && err.contains("sex12.csv") && err.contains("\"M\" = 0"), "{err}");
    // The training rows are checked too.
    let real = table(&csv("age,kappa", 40, |i| format!("{},{}", 40 + i % 30, i)), "ho.csv");
    let syn = table(&csv("age,kappa", 40, |i| format!("{},{}", 40 + i % 30, i)), "syn.csv");
    let train = table(&csv("age,kappa", 40, |i| format!("{},{}", 40 + i % 30, ["a", "b"][i % 2])), "fit.csv");
    let err = evaluate_tables(real, syn, Some(train), &opts()).unwrap_err().to_string();
    assert!(err.contains("fit.csv") && err.contains("\"kappa\""), "{err}");
}

#[test]
fn an_all_missing_column_is_evaluated_not_refused() {
    let dir = std::env::temp_dir().join(format!("vtrial-evaluate-inputs-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let real = dir.join("real.csv");
    let syn = dir.join("syn.csv");
    // Real sbp present in 3 of 4 rows; the synthetic cohort was sampled under missing(sbp).
    std::fs::write(&real, csv("age,sbp,sex", 60, |i| format!("{},{},{}", 30 + i, if i % 4 == 0 { String::new() } else { (110 + i).to_string() }, ["M", "F"][i % 2]))).unwrap();
    std::fs::write(&syn, csv("id,age,sbp,sex", 60, |i| format!("{i},{},NA,{}", 31 + i, ["M", "F"][i % 2]))).unwrap();
    // Training still refuses such a column.
    let err = vtrial_cohort::data::read_csv(&syn).unwrap_err().to_string();
    assert!(err.contains("all 60 cells are missing"), "{err}");
    let e = evaluate_files(&real, &syn, None, &opts()).unwrap();
    let text = e.to_text();
    let j = serde_json::to_value(&e).unwrap();
    let sbp = column(&j, "sbp");
    assert!(sbp["value"].is_null(), "{sbp}");
    assert!((sbp["missing_diff"].as_f64().unwrap() - 0.75).abs() < 1e-12, "{sbp}");
    assert!(sbp["note"].as_str().unwrap().contains("all missing in"), "{sbp}");
    // The KS mean is over the other continuous column (age) only.
    let age = column(&j, "age")["value"].as_f64().unwrap();
    assert!((e.ks_mean - age).abs() < 1e-12, "{text}");
    assert!(text.contains("sbp") && text.contains("all missing in") && text.contains(&syn.display().to_string()), "{text}");
    // All missing on both sides.
    std::fs::write(&real, csv("age,sbp", 30, |i| format!("{},", 30 + i))).unwrap();
    let e = evaluate_files(&real, &syn, None, &opts()).unwrap();
    let sbp = column(&serde_json::to_value(&e).unwrap(), "sbp");
    assert!(sbp["value"].is_null() && sbp["missing_diff"].as_f64().unwrap() == 0.0, "{sbp}");
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn tiny_tables_report_figures_as_not_computed() {
    let real = table("age,sex,x\n68,F,0.786\n70,M,1.5\n", "rows2.csv");
    let syn = table("age,sex,x\n50,F,0.1\n60,M,0.2\n", "syn.csv");
    let e = evaluate_tables(real, syn, None, &opts()).unwrap();
    let text = e.to_text();
    assert!(text.contains("detection AUC: not computed (needs at least 25 rows in each file"), "{text}");
    assert!(text.contains("mean |Δρ| Spearman: not computed"), "{text}");
    assert!(text.contains("none of the 3 column pairs has 3 rows"), "{text}");
    assert!(text.lines().all(|l| !l.starts_with("detection AUC") || !l.contains("0.5")), "{text}");
    let j = serde_json::to_value(&e).unwrap();
    assert!(j["detection_auc"].is_null(), "{j}");
    assert!(j["spearman_mean_abs_diff"].is_null(), "{j}");
    assert!(j["spearman_max_abs_diff"].is_null(), "{j}");
    assert!(j["not_computed"].as_array().unwrap().len() >= 2, "{j}");
    // As the CLI writes it (`--json`): null, not a number.
    let pretty = serde_json::to_string_pretty(&e).unwrap();
    assert!(pretty.contains("\"detection_auc\": null") && pretty.contains("\"spearman_max_abs_diff\": null"), "{pretty}");

    // A single column: no pair for Spearman, even with enough rows for detection.
    let real = table(&csv("x", 40, |i| format!("{i}.5")), "real.csv");
    let syn = table(&csv("x", 40, |i| format!("{}.25", i + 1)), "syn.csv");
    let e = evaluate_tables(real, syn, None, &opts()).unwrap();
    assert!(e.to_text().contains("Spearman: not computed (needs at least two columns)"), "{}", e.to_text());
    assert!(!e.detection_auc.is_nan());
    // No categorical column: the TV mean is not computed rather than 0.
    let j = serde_json::to_value(&e).unwrap();
    assert!(j["tv_mean"].is_null() && j["tv_max"].is_null(), "{j}");
    assert!(e.to_text().contains("TV (categorical): not computed"), "{}", e.to_text());

    // Privacy against one holdout row: no DCR share or percentile from one distance.
    let real = table("x,y\n3.5,1\n", "one.csv");
    let syn = table(&csv("x,y", 40, |i| format!("{}.25,{}", i, i % 2)), "syn.csv");
    let train = table(&csv("x,y", 40, |i| format!("{i},{}", i % 2)), "train.csv");
    let e = evaluate_tables(real, syn, Some(train), &opts()).unwrap();
    assert!(e.privacy.is_none());
    let text = e.to_text();
    assert!(text.contains("privacy figures: not computed (needs at least 20 rows in each of the real, synthetic and training files (real 1, synthetic 40, training 40))"), "{text}");
    assert!(!text.contains("DCR share"), "{text}");
    assert!(serde_json::to_value(&e).unwrap()["privacy"].is_null());
}
