//! The vtrial engine: data sets, model files, and the drivers that simulate them.
//!
//! - [`dataset`]: NONMEM-format CSV data sets, checked record by record;
//! - [`model_file`]: PK model files (TOML) with parameter expressions and dose modifiers;
//! - [`pk_run`]: `vtrial pk`, a data set simulated with a model file.
pub mod dataset;
pub mod model_file;
pub mod pk_run;
