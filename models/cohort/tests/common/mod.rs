//! Helpers shared by the integration tests (each test file includes this module; not every
//! file uses every helper).
#![allow(dead_code)]

use std::path::PathBuf;

use vtrial_cohort::{Cohort, CohortModel, SampleOptions, SampleReport, sample};

/// A file of `../shared/reference-data`.
pub fn reference(file: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/reference-data").join(file)
}

/// The shipped default model.
pub fn model() -> CohortModel {
    CohortModel::default_model().expect("the shipped model loads")
}

/// `n` patients of the shipped model at `seed` meeting `criteria`, with the cohort as CSV
/// bytes: cohorts are compared by their bytes (NaN != NaN would defeat a struct comparison,
/// and a failure prints no megabyte Debug dump).
pub fn sample_csv(n: usize, seed: u64, criteria: &str) -> (Cohort, SampleReport, Vec<u8>) {
    let mut o = SampleOptions::new(n, seed);
    o.criteria = Some(criteria.into());
    let (c, r) = sample(&model(), &o).unwrap_or_else(|e| panic!("{criteria}: {e}"));
    let mut csv = Vec::new();
    vtrial_cohort::output::write_csv(&c, &mut csv).unwrap();
    (c, r, csv)
}
