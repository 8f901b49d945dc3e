//! Where patients come from: a [`CohortSource`] samples a table of covariates that meets
//! the scenario's criteria exactly.
//!
//! The real source is the cohort generator of `vtrial-cohort` ([`GeneratorSource`], with
//! the crate feature `cohort`, which the CLI turns on). [`TestOnlySource`] exists for this
//! crate's tests and benchmarks, which must not need libtorch: it draws independent
//! covariates from fixed textbook distributions and is **not** a cohort generator (no
//! correlations learned from data); never present its output as a realistic population.

use std::sync::Arc;

use rand::Rng;
use rand_distr::{Distribution, Normal};
use thiserror::Error;
use vtrial_expr::{Expr, Value};
use vtrial_pk::population::rng_stream;

/// Why a cohort could not be sampled.
#[derive(Debug, Clone, PartialEq, Error)]
pub enum CohortSourceError {
    /// The criteria did not parse or name unknown columns.
    #[error("criteria {criteria:?}: {message}")]
    Criteria {
        /// The criteria.
        criteria: String,
        /// What is wrong.
        message: String,
    },
    /// Too few generated patients meet the criteria.
    #[error("criteria {criteria:?}: only {accepted} of {drawn} generated patients meet them ({wanted} wanted); relax the criteria")]
    TooRare {
        /// The criteria.
        criteria: String,
        /// Patients accepted.
        accepted: usize,
        /// Patients generated.
        drawn: usize,
        /// Patients wanted.
        wanted: usize,
    },
    /// The generator failed.
    #[error("cohort generator: {0}")]
    Generator(String),
}

/// The values of one covariate for every patient.
#[derive(Debug, Clone, PartialEq)]
pub enum Column {
    /// Numbers; NaN is missing.
    Num(Vec<f64>),
    /// Labels: `codes` index `levels`; `u32::MAX` is missing.
    Text {
        /// The labels.
        levels: Vec<String>,
        /// One code per patient.
        codes: Vec<u32>,
    },
}

/// A sampled cohort: the requested columns, in the requested order.
#[derive(Debug, Clone, PartialEq)]
pub struct PatientTable {
    /// Column names.
    pub names: Vec<String>,
    /// Columns.
    pub columns: Vec<Column>,
    /// Number of patients.
    pub n: usize,
}

impl PatientTable {
    /// The value of column `c` for patient `row`, for expressions.
    pub fn value(&self, c: usize, row: usize) -> Value {
        match &self.columns[c] {
            Column::Num(v) => if v[row].is_nan() { Value::Missing } else { Value::Num(v[row]) },
            Column::Text { levels, codes } => levels.get(codes[row] as usize).map_or(Value::Missing, |l| Value::Str(Arc::from(l.as_str()))),
        }
    }

    /// The numeric value of column `c` (text: its code; missing: NaN), for covariate models.
    pub fn num(&self, c: usize, row: usize) -> f64 {
        match &self.columns[c] {
            Column::Num(v) => v[row],
            Column::Text { levels, codes } => levels.get(codes[row] as usize).map_or(f64::NAN, |l| label_code(l)),
        }
    }

    /// The label of a text column for a patient.
    pub fn text(&self, c: usize, row: usize) -> Option<&str> {
        match &self.columns[c] {
            Column::Text { levels, codes } => levels.get(codes[row] as usize).map(String::as_str),
            Column::Num(_) => None,
        }
    }
}

/// The number that stands for a text label in covariate models (categorical effects on
/// `sex`, …): FNV-1a of the label, reduced to 52 bits so that it is an exact integer in an
/// f64. It depends only on the label, so effects resolve once for every cohort.
pub fn label_code(label: &str) -> f64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in label.bytes() {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0000_0100_0000_01b3);
    }
    (h & ((1u64 << 52) - 1)) as f64
}

/// What to sample.
#[derive(Debug, Clone, Copy)]
pub struct CohortRequest<'a> {
    /// Patients wanted.
    pub n: usize,
    /// Seed.
    pub seed: u64,
    /// Criteria every patient meets (vtrial-expr over the source's columns).
    pub criteria: Option<&'a str>,
    /// `neural` or `copula` (sources with one model ignore it).
    pub generator: &'a str,
    /// Columns to return, in this order.
    pub columns: &'a [String],
    /// Most patients to generate before giving up on rare criteria (0: the source's default).
    pub max_draws: usize,
}

/// A source of patients.
pub trait CohortSource {
    /// A one-line description (stored with the run).
    fn describe(&self) -> String;
    /// The covariates it provides.
    fn columns(&self) -> Vec<String>;
    /// Samples `request.n` patients meeting the criteria, deterministically from the seed.
    fn sample(&self, request: &CohortRequest<'_>) -> Result<PatientTable, CohortSourceError>;
    /// The codes a numeric categorical column takes, when the source knows them (checked
    /// against the codes a scenario's `categorical(…)` effects name); `None` by default.
    fn codes(&self, _column: &str) -> Option<Vec<f64>> {
        None
    }
}

/// **Test-only** source: independent draws from fixed distributions (age, sex, weight,
/// height, eGFR falling with age; BSA by Mosteller, CrCl by Cockcroft–Gault). It is not a generator of
/// realistic cohorts — it has no learned joint distribution — and exists so that the engine
/// can be tested and benchmarked without libtorch.
#[derive(Debug, Clone, Copy, Default)]
pub struct TestOnlySource;

const TEST_COLUMNS: [&str; 7] = ["age", "sex", "weight", "height", "egfr", "crcl", "bsa"];

impl CohortSource for TestOnlySource {
    fn describe(&self) -> String {
        "test-only independent covariates (not a cohort generator)".into()
    }

    fn columns(&self) -> Vec<String> {
        TEST_COLUMNS.iter().map(|s| s.to_string()).collect()
    }

    fn sample(&self, request: &CohortRequest<'_>) -> Result<PatientTable, CohortSourceError> {
        let all: Vec<&str> = TEST_COLUMNS.to_vec();
        let criteria = match request.criteria {
            None => None,
            Some(c) => Some(
                Expr::parse(c)
                    .map_err(|e| CohortSourceError::Criteria { criteria: c.into(), message: e.to_string() })?
                    .compile(&all)
                    .map_err(|e| CohortSourceError::Criteria { criteria: c.into(), message: e.to_string() })?,
            ),
        };
        for name in request.columns {
            if !all.contains(&name.as_str()) {
                return Err(CohortSourceError::Criteria { criteria: String::new(), message: format!("no column {name:?}") });
            }
        }
        let mut rng = rng_stream(request.seed, &[0x7e57]);
        let (age_d, wt_d, ht_d) = (Normal::<f64>::new(55.0, 13.0).unwrap(), Normal::<f64>::new(78.0, 16.0).unwrap(), Normal::<f64>::new(170.0, 9.0).unwrap());
        let egfr_noise = Normal::<f64>::new(0.0, 20.0).unwrap();
        let mut rows: Vec<[f64; 7]> = Vec::with_capacity(request.n);
        let mut drawn = 0usize;
        let budget = if request.max_draws > 0 { request.max_draws } else { 2_000 * request.n + 100_000 };
        let mut slots = vec![Value::Missing; TEST_COLUMNS.len()];
        while rows.len() < request.n {
            if drawn >= budget {
                return Err(CohortSourceError::TooRare { criteria: request.criteria.unwrap_or("").into(), accepted: rows.len(), drawn, wanted: request.n });
            }
            drawn += 1;
            let age: f64 = age_d.sample(&mut rng).clamp(18.0, 95.0).round();
            let female = rng.random::<f64>() < 0.5;
            let sex_shift = if female { -10.0 } else { 0.0 };
            let weight: f64 = (wt_d.sample(&mut rng) + sex_shift).clamp(40.0, 180.0);
            let height: f64 = (ht_d.sample(&mut rng) + sex_shift * 1.3).clamp(140.0, 210.0);
            let egfr: f64 = (110.0 - 0.9 * (age - 40.0) + egfr_noise.sample(&mut rng)).clamp(5.0, 150.0);
            // Creatinine back-computed for Cockcroft–Gault: a test convenience, not physiology.
            let crcl = (egfr * weight / 70.0).clamp(5.0, 250.0);
            let bsa = (height * weight / 3600.0).sqrt();
            let row = [age, if female { 0.0 } else { 1.0 }, weight, height, egfr, crcl, bsa];
            if let Some(c) = &criteria {
                for (k, v) in row.iter().enumerate() {
                    slots[k] = if k == 1 { Value::str(if *v == 0.0 { "F" } else { "M" }) } else { Value::Num(*v) };
                }
                if c.eval_condition(&slots).ok().flatten() != Some(true) {
                    continue;
                }
            }
            rows.push(row);
        }
        let columns = request
            .columns
            .iter()
            .map(|name| {
                let k = all.iter().position(|a| a == name).expect("checked");
                if k == 1 {
                    Column::Text { levels: vec!["F".into(), "M".into()], codes: rows.iter().map(|r| r[1] as u32).collect() }
                } else {
                    Column::Num(rows.iter().map(|r| r[k]).collect())
                }
            })
            .collect();
        Ok(PatientTable { names: request.columns.to_vec(), columns, n: request.n })
    }
}

#[cfg(feature = "cohort")]
pub use generator::GeneratorSource;

#[cfg(feature = "cohort")]
mod generator {
    use super::*;
    use vtrial_cohort::sample::ColumnData;
    use vtrial_cohort::schema::record_for_source;
    use vtrial_cohort::transform::{ColumnKind, Level};
    use vtrial_cohort::{CohortModel, Generator, SampleOptions};

    /// The cohort generator of `vtrial-cohort` (neural NADE or Gaussian-copula baseline),
    /// with its exact inclusion criteria.
    pub struct GeneratorSource {
        model: CohortModel,
        columns: Vec<String>,
        name: String,
    }

    impl GeneratorSource {
        /// The shipped default model.
        pub fn default_model() -> Result<GeneratorSource, CohortSourceError> {
            let model = CohortModel::default_model().map_err(|e| CohortSourceError::Generator(e.to_string()))?;
            Self::new(model, "default".into())
        }

        /// A given model.
        pub fn new(model: CohortModel, name: String) -> Result<GeneratorSource, CohortSourceError> {
            let mut opts = SampleOptions::new(1, 1);
            opts.generator = Generator::Copula;
            opts.chunk = 64;
            let (probe, _) = vtrial_cohort::sample(&model, &opts).map_err(|e| CohortSourceError::Generator(e.to_string()))?;
            let columns = probe.columns.iter().map(|c| c.name.clone()).filter(|n| n != "id").collect();
            Ok(GeneratorSource { model, columns, name })
        }
    }

    impl CohortSource for GeneratorSource {
        fn describe(&self) -> String {
            format!("vtrial-cohort model {:?}", self.name)
        }

        fn columns(&self) -> Vec<String> {
            self.columns.clone()
        }

        fn codes(&self, column: &str) -> Option<Vec<f64>> {
            // A categorical training column written as numbers (codes without record labels);
            // a relative column's tokens are of the modelled difference, not its values.
            let relative = |t: &str| self.model.meta.relative.iter().any(|r| r.column == t);
            self.model.meta.columns.iter().filter(|t| !relative(&t.name)).find_map(|t| {
                let name = record_for_source(&t.name).map_or(t.name.as_str(), |r| r.name);
                match &t.kind {
                    ColumnKind::Categorical { levels } if name == column => {
                        levels.iter().map(|l| if let Level::Num(v) = l { Some(*v) } else { None }).collect()
                    }
                    _ => None,
                }
            })
        }

        fn sample(&self, request: &CohortRequest<'_>) -> Result<PatientTable, CohortSourceError> {
            let mut opts = SampleOptions::new(request.n, request.seed);
            opts.criteria = request.criteria.map(str::to_string);
            opts.generator = if request.generator == "copula" { Generator::Copula } else { Generator::Neural };
            if request.max_draws > 0 {
                opts.max_draws = request.max_draws;
            }
            let (cohort, report) = vtrial_cohort::sample(&self.model, &opts).map_err(|e| {
                let text = e.to_string();
                CohortSourceError::Generator(text)
            })?;
            if cohort.n < request.n {
                return Err(CohortSourceError::TooRare {
                    criteria: request.criteria.unwrap_or("").into(),
                    accepted: report.accepted,
                    drawn: report.drawn,
                    wanted: request.n,
                });
            }
            let mut columns = Vec::new();
            for name in request.columns {
                let col = cohort.column(name).ok_or_else(|| CohortSourceError::Generator(format!("the generator has no column {name:?}")))?;
                columns.push(match &col.data {
                    ColumnData::Num(v) => Column::Num(v[..request.n].to_vec()),
                    ColumnData::Text { levels, codes } => Column::Text { levels: levels.clone(), codes: codes[..request.n].to_vec() },
                });
            }
            Ok(PatientTable { names: request.columns.to_vec(), columns, n: request.n })
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn test_source_meets_criteria_and_is_deterministic() {
        let cols: Vec<String> = ["egfr", "sex", "age"].iter().map(|s| s.to_string()).collect();
        let req = CohortRequest { n: 500, seed: 9, criteria: Some("egfr < 60 and sex == 'F'"), generator: "copula", columns: &cols, max_draws: 0 };
        let a = TestOnlySource.sample(&req).unwrap();
        let b = TestOnlySource.sample(&req).unwrap();
        assert_eq!(a, b);
        for i in 0..a.n {
            assert!(a.num(0, i) < 60.0);
            assert_eq!(a.text(1, i), Some("F"));
        }
        let impossible = CohortRequest { criteria: Some("age > 200"), n: 5, ..req };
        assert!(matches!(TestOnlySource.sample(&impossible), Err(CohortSourceError::TooRare { .. })));
    }
}
