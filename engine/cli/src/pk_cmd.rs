//! `vtrial pk`: simulate a NONMEM-format data set with a PK model file.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{Context, Result};
use clap::Args;
use vtrial_engine::dataset::Dataset;
use vtrial_engine::model_file::PkModelFile;
use vtrial_engine::pk_run::{PkRunOptions, simulate, write_csv};

use crate::{Format, ensure_distinct_paths, write_atomically};

/// Arguments of `vtrial pk`.
#[derive(Debug, Args)]
#[command(after_help = "Example:\n  vtrial pk --data ../shared/reference-data/nonmem-dosing/1001-input.csv \\\n            --model scenarios/validation/nonmem-1001.toml --out 1001.csv")]
pub struct PkArgs {
    /// NONMEM-format data set (CSV: ID, TIME, EVID, AMT, CMT, RATE, II, ADDL, SS, covariates…).
    #[arg(long)]
    data: PathBuf,
    /// Model file (TOML): structure, parameters, dose modifiers, variability.
    #[arg(long)]
    model: PathBuf,
    /// Output file: one row per input record (.csv or .parquet).
    #[arg(long)]
    out: PathBuf,
    /// Seed of the random effects and residual errors.
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// Typical values only: no random effects, no residual error.
    #[arg(long)]
    no_variability: bool,
    /// Worker threads (default: all cores). Results do not depend on it.
    #[arg(long, value_parser = crate::thread_count)]
    threads: Option<usize>,
}

/// Runs `vtrial pk`; exit code 1 when some individuals failed to simulate.
pub fn run(args: PkArgs) -> Result<ExitCode> {
    let format = Format::of(&args.out)?;
    ensure_distinct_paths(&[&args.data, &args.model], &[&args.out])?;
    if let Some(n) = args.threads {
        rayon::ThreadPoolBuilder::new().num_threads(n).build_global().context("setting the number of threads")?;
    }
    let data = Dataset::read(&args.data)?;
    let model = PkModelFile::read(&args.model, &data.covariates)?;
    for warning in &model.warnings {
        eprintln!("warning: {warning}");
    }
    let result = simulate(&model, &data, PkRunOptions { seed: args.seed, variability: !args.no_variability })?;
    write_atomically(&args.out, |tmp| {
        match format {
            Format::Csv => write_csv(&model, &result, std::io::BufWriter::new(std::fs::File::create(tmp)?))?,
            Format::Parquet => {
                let csv = tmp.with_extension("csv");
                write_csv(&model, &result, std::io::BufWriter::new(std::fs::File::create(&csv)?))?;
                let converted = vtrial_store::csv_to_parquet(&csv, tmp);
                let _ = std::fs::remove_file(&csv);
                converted?;
            }
        }
        Ok(())
    })?;
    let individuals = data.individuals().len();
    eprintln!(
        "vtrial pk: {} records of {} individuals ({} comment records skipped) -> {}",
        result.rows.len(),
        individuals - result.failures.len(),
        data.skipped_comments,
        args.out.display()
    );
    for (id, reason) in &result.failures {
        eprintln!("  individual {id} failed: {reason}");
    }
    Ok(if result.failures.is_empty() { ExitCode::SUCCESS } else { ExitCode::from(1) })
}
