//! `vtrial query`: SQL on a run store.

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{Context, Result};
use clap::Args;

/// Run SQL on a run store and print the result as a table.
///
/// The store is opened read-only, without access to other files (no COPY or ATTACH; use
/// `vtrial export`). Tables: store_info, runs, points, point_parameters, arm_definitions,
/// trials, comparisons, failures, arms, patients, observations; views:
/// operating_characteristics, study_success, arm_summary, latest_run (see
/// engine/store/schema.sql).
#[derive(Debug, Args)]
pub struct QueryArgs {
    /// The SQL, e.g. "SELECT * FROM study_success".
    pub sql: String,
    /// DuckDB file.
    #[arg(long, default_value = "run.duckdb")]
    pub db: PathBuf,
}

/// Runs the command.
pub fn run(args: QueryArgs) -> Result<ExitCode> {
    let table = vtrial_store::query::query(&args.db, &args.sql).with_context(|| format!("query {:?}", args.sql))?;
    // A closed pipe (`| head`) is not an error.
    let _ = write!(std::io::stdout().lock(), "{}", vtrial_store::query::render(&table));
    Ok(ExitCode::SUCCESS)
}
