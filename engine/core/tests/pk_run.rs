//! `pk_run` behaviour: determinism across thread counts, IOV by occasion, failures recorded.

use std::path::Path;

use vtrial_engine::dataset::Dataset;
use vtrial_engine::model_file::PkModelFile;
use vtrial_engine::pk_run::{PkRunOptions, PkRunResult, simulate};

const MODEL: &str = r#"
[model]
structure = "one_cmt_oral"

[parameters]
CL = "2 * (WT / 70)^0.75 * exp(ETA_CL)"
V = "30 * exp(ETA_V)"
KA = "1.2 * exp(IOV_KA)"

[random_effects]
names = ["ETA_CL", "ETA_V"]
omega = [[0.09, 0.02], [0.02, 0.04]]
iov = { occasion = "OCC", names = ["IOV_KA"], omega = [0.1] }

[residual_error]
proportional = 0.1
additive = 0.05
"#;

/// 40 individuals, two occasions each with a dose and samples.
fn data() -> Dataset {
    let mut text = String::from("ID,TIME,EVID,AMT,CMT,WT,OCC\n");
    for id in 1..=40 {
        let wt = 50 + id;
        for (occ, start) in [(1, 0.0), (2, 168.0)] {
            text.push_str(&format!("{id},{start},1,100,1,{wt},{occ}\n"));
            for t in [0.5, 1.0, 2.0, 4.0, 8.0, 24.0] {
                text.push_str(&format!("{id},{},0,0,2,{wt},{occ}\n", start + t));
            }
        }
    }
    Dataset::parse(&text, Path::new("iov.csv")).unwrap()
}

fn run(threads: usize, seed: u64) -> PkRunResult {
    let data = data();
    let model = PkModelFile::parse(MODEL, Path::new("iov.toml"), &data.covariates).unwrap();
    let pool = rayon::ThreadPoolBuilder::new().num_threads(threads).build().unwrap();
    pool.install(|| simulate(&model, &data, PkRunOptions { seed, variability: true }).unwrap())
}

#[test]
fn identical_results_for_one_and_four_threads() {
    let (a, b) = (run(1, 42), run(4, 42));
    assert_eq!(a.rows, b.rows);
    assert_ne!(a.rows, run(4, 43).rows, "a different seed gives different draws");
}

#[test]
fn occasions_get_their_own_absorption() {
    let result = run(2, 7);
    // Same individual, same dose and sampling, but absorption differs between occasions:
    // the 0.5 h concentrations of occasion 1 and 2 differ for (almost) everyone.
    let per_id: Vec<(f64, f64)> = (0..40)
        .map(|i| {
            let rows = &result.rows[i * 14..(i + 1) * 14];
            (rows[1].output, rows[8].output)
        })
        .collect();
    let differ = per_id.iter().filter(|(a, b)| (a - b).abs() > 1e-6 * a.abs()).count();
    assert!(differ >= 38, "only {differ} of 40 individuals differ between occasions");
}

#[test]
fn typical_values_without_variability() {
    let data = data();
    let model = PkModelFile::parse(MODEL, Path::new("iov.toml"), &data.covariates).unwrap();
    let result = simulate(&model, &data, PkRunOptions { seed: 1, variability: false }).unwrap();
    assert!(result.rows.iter().all(|r| r.dv.is_none()));
    // Individual 20 (WT 70) at 24 h after the first dose: 1-compartment oral, CL 2, V 30, KA 1.2.
    let (k, ka, t): (f64, f64, f64) = (2.0 / 30.0, 1.2, 24.0);
    let expected = 100.0 * ka / (ka - k) * ((-k * t).exp() - (-ka * t).exp()) / 30.0;
    let row = &result.rows[19 * 14 + 6];
    assert_eq!((row.id.as_str(), row.time), ("20", 24.0));
    assert!((row.output - expected).abs() < 1e-12 * expected);
}

#[test]
fn an_individual_whose_parameters_are_invalid_stops_the_run_with_its_line() {
    let data = Dataset::parse("ID,TIME,EVID,AMT,CMT,WT,OCC\n1,0,1,100,1,70,1\n2,0,1,100,1,-70,1\n", Path::new("neg.csv")).unwrap();
    let model = PkModelFile::parse(MODEL, Path::new("iov.toml"), &data.covariates).unwrap();
    let err = simulate(&model, &data, PkRunOptions::default()).unwrap_err().to_string();
    assert!(err.starts_with("neg.csv:3: parameter CL:"), "{err}");
}

#[test]
fn a_scale_that_is_not_positive_stops_the_run_with_its_line() {
    let data = Dataset::parse("ID,TIME,EVID,AMT,CMT,S\n1,0,1,100,1,1\n1,1,0,.,2,1\n2,0,1,100,1,0\n", Path::new("s.csv")).unwrap();
    let model = PkModelFile::parse("[model]\nstructure = \"one_cmt_oral\"\nscale = \"S\"\n[parameters]\nCL = 1\nV = 20\nKA = 1\n", Path::new("s.toml"), &data.covariates).unwrap();
    let err = simulate(&model, &data, PkRunOptions::default()).unwrap_err().to_string();
    assert!(err.starts_with("s.csv:4: scale (S) is 0; it must be a finite number > 0"), "{err}");
}

/// `transit_one_cmt` through a model file: Savic et al. 2007's layout (dose compartment, N
/// transit compartments, absorption, central), so the last transit compartment holds
/// `Dose·(KTR·t)ᴺ·e^(−KTR·t)/N!` with `KTR = (N + 1)/MTT`.
#[test]
fn transit_model_files_follow_savic() {
    let model_text = "[model]\nstructure = \"transit_one_cmt\"\ntransit_compartments = 3\nrtol = 1e-10\natol = 1e-12\n\n[parameters]\nMTT = 2\nKA = 1.2\nCL = 4\nV = 30\n";
    let data = Dataset::parse("ID,TIME,EVID,AMT,CMT\n1,0,1,100,1\n1,0.5,0,0,6\n1,1,0,0,6\n1,3,0,0,6\n", Path::new("transit.csv")).unwrap();
    let model = PkModelFile::parse(model_text, Path::new("transit.toml"), &data.covariates).unwrap();
    let result = simulate(&model, &data, PkRunOptions { seed: 1, variability: false }).unwrap();
    let ktr = 4.0 / 2.0;
    for row in &result.rows[1..] {
        assert_eq!(row.amounts.len(), 6, "dose, 3 transit, absorption, central");
        let x = ktr * row.time;
        let savic = 100.0 * x.powi(3) * (-x).exp() / 6.0;
        assert!((row.amounts[3] - savic).abs() < 1e-7, "A4({}) = {} vs {savic}", row.time, row.amounts[3]);
        assert!((row.output - row.amounts[5] / 30.0).abs() < 1e-15);
    }
}
