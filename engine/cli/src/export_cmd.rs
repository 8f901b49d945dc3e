//! `vtrial export`: the tables and summary views of a run store to Parquet or CSV.

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{Context, Result};
use clap::{Args, ValueEnum};
use vtrial_store::export::Format;

/// Write the tables of a run store and its summary views (operating_characteristics,
/// study_success, arm_summary) to a folder, one Parquet or CSV file each.
#[derive(Debug, Args)]
pub struct ExportArgs {
    /// DuckDB file.
    #[arg(long, default_value = "run.duckdb")]
    pub db: PathBuf,
    /// File format.
    #[arg(long, value_enum, default_value = "parquet")]
    pub format: ExportFormat,
    /// Output folder (created if missing).
    #[arg(long)]
    pub out: PathBuf,
    /// Only this run (default: every run).
    #[arg(long)]
    pub run: Option<i64>,
    /// Replace files of the same names in the output folder (default: refuse).
    #[arg(long)]
    pub force: bool,
}

/// Export formats.
#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum ExportFormat {
    /// Apache Parquet.
    Parquet,
    /// CSV with a header row.
    Csv,
}

/// Runs the command.
pub fn run(args: ExportArgs) -> Result<ExitCode> {
    let format = match args.format {
        ExportFormat::Parquet => Format::Parquet,
        ExportFormat::Csv => Format::Csv,
    };
    let files = vtrial_store::export::export(&args.db, &args.out, format, args.run, args.force).with_context(|| format!("exporting {}", args.db.display()))?;
    // Runs without results (interrupted, failed): their tables are empty by design; say so.
    let filter = args.run.map_or(String::new(), |r| format!(" AND run_id = {r}"));
    let incomplete = vtrial_store::query::query(&args.db, &format!("SELECT run_id, status FROM runs WHERE status <> 'complete'{filter} ORDER BY run_id"))
        .with_context(|| format!("reading the runs of {}", args.db.display()))?;
    for row in &incomplete.rows {
        eprintln!("warning: run {} is {}: it has no results, only its row in runs", row[0], row[1]);
    }
    // A closed pipe (`| head`) is not an error.
    let mut out = std::io::stdout().lock();
    for f in files {
        if writeln!(out, "{}", f.display()).is_err() {
            break;
        }
    }
    Ok(ExitCode::SUCCESS)
}
