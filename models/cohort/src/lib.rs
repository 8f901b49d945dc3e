//! Synthetic patient cohorts for vtrial.
//!
//! * [`model::train`] learns a [`nade::Nade`] (neural autoregressive generator, libtorch via
//!   tch) over the tokenised columns of a covariate file ([`transform`]), a creatinine
//!   conditional p(creatinine | sex, age) from a second file, and a Gaussian-copula baseline
//!   ([`copula`]); [`model::CohortModel::default_model`] is the shipped model.
//! * [`sample::sample`] generates a cohort of patient records ([`schema`], [`derived`],
//!   [`pgx`]) that satisfy inclusion criteria exactly ([`criteria`]), deterministically.
//! * [`evaluate`] compares a synthetic table with real data: per-column KS / total
//!   variation, Spearman correlation differences, a classifier two-sample test (detection
//!   AUC, gradient-boosted trees) and privacy (exact copies, distance to closest record).
//!
//! See `README.md` for the record's columns and units, the model choice and the measurements.

pub mod copula;
pub mod criteria;
pub mod data;
pub mod derived;
pub mod error;
pub mod evaluate;
pub mod model;
pub mod nade;
pub mod output;
pub mod pgx;
mod record_check;
pub mod relative;
pub mod rng;
pub mod safetensors;
pub mod sample;
pub mod schema;
pub mod split;
pub mod stats;
pub mod transform;

pub use error::CohortError;
pub use model::{CohortModel, TrainOptions, train};
pub use sample::{Cohort, Generator, SampleOptions, SampleReport, sample};
