//! The vtrial trial engine.
//!
//! - [`scenario`]: scenario files (TOML), sweeps, resolution and checks;
//! - [`regimen`]: the regimen language (`"load 200 mg then 100 mg q12h"`);
//! - [`cohort`]: where patients come from ([`cohort::CohortSource`]);
//! - [`design`]: randomisation;
//! - [`trial`]: one trial as a bevy_ecs World;
//! - [`analysis`]: each endpoint's comparisons with `vtrial-stats`, multiplicity, and the
//!   simulated truth;
//! - [`sequential`]: group-sequential looks (data cuts and the stopping rule);
//! - [`monitoring`]: therapeutic drug monitoring (troughs that change later doses);
//! - [`rows`]: what a run produces, and the [`rows::Sink`] that receives it;
//! - [`driver`]: the run over sweep points × replicates, rayon across trials.
//!
//! The engine knows nothing of DuckDB: it produces rows; `vtrial-store` writes them.

pub mod analysis;
pub mod cohort;
pub mod design;
pub mod driver;
pub mod monitoring;
pub mod regimen;
pub mod rows;
pub mod scenario;
pub mod sequential;
pub mod trial;
