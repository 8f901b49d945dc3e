//! `vtrial`: the command-line program. Thin: it parses arguments and calls the library
//! crates; every error is printed with its whole chain of causes.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Context, Result, bail};
use clap::{Parser, Subcommand};

mod cohort_cmd;
mod export_cmd;
mod pk_cmd;
mod query_cmd;
mod run_cmd;
mod validate_cmd;

/// vtrial: a virtual clinical trial simulation engine.
#[derive(Debug, Parser)]
#[command(name = "vtrial", version, about, long_about = None)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Simulate a NONMEM-format data set with a PK model file.
    Pk(pk_cmd::PkArgs),
    /// Synthetic patient cohorts: train the generator, sample under criteria, evaluate.
    Cohort(cohort_cmd::CohortArgs),
    /// Run a scenario: every sweep point × replicate, results into a DuckDB file.
    Run(run_cmd::RunArgs),
    /// Check a scenario file without simulating.
    Validate(validate_cmd::ValidateArgs),
    /// Run SQL on a run store and print the result as a table.
    Query(query_cmd::QueryArgs),
    /// Write every table of a run store to Parquet or CSV files.
    Export(export_cmd::ExportArgs),
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let outcome = match cli.command {
        Command::Pk(args) => pk_cmd::run(args),
        Command::Cohort(args) => cohort_cmd::run(args).map(|()| ExitCode::SUCCESS),
        Command::Run(args) => run_cmd::run(args),
        Command::Validate(args) => validate_cmd::run(args),
        Command::Query(args) => query_cmd::run(args),
        Command::Export(args) => export_cmd::run(args),
    };
    match outcome {
        Ok(code) => code,
        Err(e) => {
            eprintln!("error: {e}");
            for cause in e.chain().skip(1) {
                eprintln!("  caused by: {cause}");
            }
            ExitCode::from(2)
        }
    }
}

/// Output formats chosen by file extension.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Format {
    Csv,
    Parquet,
}

impl Format {
    fn of(path: &Path) -> Result<Format> {
        match path.extension().and_then(|e| e.to_str()).map(str::to_ascii_lowercase).as_deref() {
            Some("csv") => Ok(Format::Csv),
            Some("parquet") => Ok(Format::Parquet),
            _ => bail!("{}: the output format is chosen by extension: use .csv or .parquet", path.display()),
        }
    }
}

/// Writes a file atomically: `write` fills a temporary file beside `path`, which then
/// replaces `path`, so a crash never leaves a half-written file under the final name.
fn write_atomically(path: &Path, write: impl FnOnce(&Path) -> Result<()>) -> Result<()> {
    let dir = path.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new("."));
    let name = path.file_name().context("the output path has no file name")?.to_string_lossy();
    let tmp: PathBuf = dir.join(format!(".{name}.partial-{}", std::process::id()));
    let result = write(&tmp).and_then(|()| std::fs::rename(&tmp, path).with_context(|| format!("moving {} to {}", tmp.display(), path.display())));
    if result.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    result
}
