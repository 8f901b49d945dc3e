//! The engine's data set reader, model files and `pk` driver against references:
//! NONMEM 7.5 (nmtests 1001) and a visual predictive check on theophylline.

use std::path::{Path, PathBuf};

use vtrial_engine::dataset::Dataset;
use vtrial_engine::model_file::PkModelFile;
use vtrial_engine::pk_run::{PkRunOptions, simulate};

fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn shared(rel: &str) -> PathBuf {
    repo().join("../shared/reference-data").join(rel)
}

/// NONMEM prints 5 significant digits: relative difference ≤ 1e-4, or absolute ≤ 1e-4 below 1.
fn agrees(got: f64, nonmem: f64) -> bool {
    if nonmem.abs() < 1.0 { (got - nonmem).abs() <= 1e-4 } else { ((got - nonmem) / nonmem).abs() <= 1e-4 }
}

#[test]
fn nonmem_1001_model_file_matches_every_observation() {
    let data = Dataset::read(shared("nonmem-dosing/1001-input.csv")).unwrap();
    let model = PkModelFile::read(repo().join("scenarios/validation/nonmem-1001.toml"), &data.covariates).unwrap();
    check_against_nonmem(&data, &model);
}

/// The same model solved by ODE (steady states by iterating dosing intervals) also
/// reproduces NONMEM: the ODE path is checked against the same reference as the closed form.
#[test]
fn nonmem_1001_by_ode_matches_every_observation() {
    let data = Dataset::read(shared("nonmem-dosing/1001-input.csv")).unwrap();
    let path = repo().join("scenarios/validation/nonmem-1001.toml");
    let text = std::fs::read_to_string(&path).unwrap().replace("[model]\n", "[model]\nsolver = \"ode\"\nrtol = 1e-10\natol = 1e-8\n");
    assert!(text.contains("solver = \"ode\""));
    let model = PkModelFile::parse(&text, &path, &data.covariates).unwrap();
    check_against_nonmem(&data, &model);
}

fn check_against_nonmem(data: &Dataset, model: &PkModelFile) {
    let result = simulate(model, data, PkRunOptions::default()).unwrap();
    assert!(result.failures.is_empty(), "{:?}", result.failures);
    let reference = std::fs::read_to_string(shared("nonmem-dosing/1001-nonmem-output.csv")).unwrap();
    let expected: Vec<Vec<f64>> = reference.lines().skip(1).map(|l| l.split(',').map(|v| v.parse().unwrap()).collect()).collect();
    assert_eq!(result.rows.len(), expected.len());
    let mut compared = 0;
    let mut bad = Vec::new();
    for (row, exp) in result.rows.iter().zip(&expected) {
        assert_eq!((row.id.parse::<f64>().unwrap(), row.time), (exp[0], exp[1]));
        if row.evid == 0 {
            compared += 1;
            if !agrees(row.output, exp[2]) {
                bad.push(format!("ID {} TIME {}: {} vs NONMEM {}", row.id, row.time, row.output, exp[2]));
            }
        }
    }
    assert_eq!(compared, 3799);
    assert!(bad.is_empty(), "{} differ:\n{}", bad.len(), bad.join("\n"));
}

/// Theoph as a NONMEM data set: a dose of Dose·Wt mg into the depot, then the samples.
fn theoph_dataset() -> Dataset {
    let text = std::fs::read_to_string(shared("theoph.csv")).unwrap();
    let mut out = String::from("ID,TIME,EVID,AMT,CMT,DV,WT\n");
    let mut last = String::new();
    for line in text.lines().skip(1) {
        let f: Vec<&str> = line.split(',').collect();
        let (id, wt, dose, time, conc) = (f[0], f[1], f[2], f[3], f[4]);
        if id != last {
            let amt = dose.parse::<f64>().unwrap() * wt.parse::<f64>().unwrap();
            out.push_str(&format!("{id},0,1,{amt},1,.,{wt}\n"));
            last = id.to_string();
        }
        out.push_str(&format!("{id},{time},0,0,2,{conc},{wt}\n"));
    }
    Dataset::parse(&out, Path::new("theoph.csv")).unwrap()
}

fn median(v: &mut [f64]) -> f64 {
    v.sort_by(f64::total_cmp);
    let n = v.len();
    if n % 2 == 1 { v[n / 2] } else { (v[n / 2 - 1] + v[n / 2]) / 2.0 }
}

fn quantile(sorted: &[f64], p: f64) -> f64 {
    let h = (sorted.len() - 1) as f64 * p;
    let (lo, hi) = (h.floor() as usize, h.ceil() as usize);
    sorted[lo] + (h - lo as f64) * (sorted[hi] - sorted[lo])
}

/// Visual predictive check: for each of the 11 nominal sampling times, the observed median
/// concentration must lie within the 5th–95th percentile of the medians of 500 simulated
/// replicates of the study (the 90 % interval of the simulated median).
#[test]
fn theophylline_vpc_observed_median_within_simulated_90_percent_interval() {
    let data = theoph_dataset();
    let model = PkModelFile::read(repo().join("scenarios/validation/theoph-pinheiro-bates.toml"), &data.covariates).unwrap();
    // Observations by (subject, sample index): the k-th sample of each subject is bin k.
    let bins = |rows: &mut dyn Iterator<Item = (String, u8, f64)>| -> Vec<Vec<f64>> {
        let mut out = vec![Vec::new(); 11];
        let mut k = 0;
        let mut id = String::new();
        for (row_id, evid, value) in rows {
            if row_id != id {
                id = row_id;
                k = 0;
            }
            if evid == 0 {
                out[k].push(value);
                k += 1;
            }
        }
        out
    };
    let mut observed = bins(&mut data.rows.iter().map(|r| (r.id.clone(), r.evid, r.dv.unwrap_or(f64::NAN))));
    let observed_median: Vec<f64> = observed.iter_mut().map(|v| median(v)).collect();
    let replicates = 500;
    let mut simulated_medians = vec![Vec::with_capacity(replicates); 11];
    for seed in 0..replicates as u64 {
        let result = simulate(&model, &data, PkRunOptions { seed: 1000 + seed, variability: true }).unwrap();
        let mut sim = bins(&mut result.rows.iter().map(|r| (r.id.clone(), r.evid, r.dv.unwrap())));
        for (k, v) in sim.iter_mut().enumerate() {
            simulated_medians[k].push(median(v));
        }
    }
    let mut inside = 0;
    let mut report = Vec::new();
    for (k, meds) in simulated_medians.iter_mut().enumerate() {
        meds.sort_by(f64::total_cmp);
        let (lo, hi) = (quantile(meds, 0.05), quantile(meds, 0.95));
        let ok = (lo..=hi).contains(&observed_median[k]);
        inside += usize::from(ok);
        report.push(format!("sample {k}: observed median {:.2}, simulated 90% interval [{lo:.2}, {hi:.2}] {}", observed_median[k], if ok { "" } else { "OUTSIDE" }));
    }
    assert!(inside >= 9, "observed median inside the interval at only {inside} of 11 times:\n{}", report.join("\n"));
}
