//! `vtrial`: the command-line program. Thin: it parses arguments and calls the library
//! crates; every error is printed with its whole chain of causes.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Context, Result, bail};
use clap::{Parser, Subcommand};

#[macro_use]
mod out;
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
    /// Write a run store's tables and summary views to Parquet or CSV files.
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
            // Each cause once: errors that quote their source (most do) are not repeated.
            let mut shown = e.to_string();
            eprintln!("error: {shown}");
            for cause in e.chain().skip(1) {
                let text = cause.to_string();
                // DuckDB's C-level code under its message says nothing more.
                let bare_code = text.starts_with("Error code ") && text.ends_with("Unknown error code");
                if !shown.contains(&text) && !bare_code {
                    eprintln!("  caused by: {text}");
                    shown.push_str(&text);
                }
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
/// Errors name `path` (not the temporary file).
fn write_atomically(path: &Path, write: impl FnOnce(&Path) -> Result<()>) -> Result<()> {
    let dir = path.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new("."));
    let name = path.file_name().context("the output path has no file name")?.to_string_lossy();
    if !dir.is_dir() {
        bail!("{}: cannot write here: the directory {} does not exist", path.display(), dir.display());
    }
    let tmp: PathBuf = dir.join(format!(".{name}.partial-{}", std::process::id()));
    let result = write(&tmp)
        .and_then(|()| std::fs::rename(&tmp, path).with_context(|| format!("moving {} to {}", tmp.display(), path.display())))
        .with_context(|| format!("writing {}", path.display()));
    if result.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    result
}

/// Parses `--threads`: a whole number ≥ 1.
fn thread_count(text: &str) -> std::result::Result<usize, String> {
    // 10,000 threads spent minutes being started; results do not depend on the count.
    const MAX_THREADS: usize = 1024;
    match text.parse::<usize>() {
        Ok(n) if (1..=MAX_THREADS).contains(&n) => Ok(n),
        _ => Err(format!(
            "{text:?} is not a number of threads; give a whole number from 1 to {MAX_THREADS} (or leave it out for one per core)"
        )),
    }
}

/// Refuses a command whose outputs would overwrite one of its inputs or each other (the
/// same file under any spelling of its path), before any work is done.
fn ensure_distinct_paths(inputs: &[&Path], outputs: &[&Path]) -> Result<()> {
    let key = |p: &Path| -> PathBuf {
        // An output need not exist yet: resolve its directory, keep its name.
        std::fs::canonicalize(p).unwrap_or_else(|_| {
            let dir = p.parent().filter(|d| !d.as_os_str().is_empty()).unwrap_or(Path::new("."));
            let dir = std::fs::canonicalize(dir).unwrap_or_else(|_| dir.to_path_buf());
            dir.join(p.file_name().unwrap_or_default())
        })
    };
    for (i, out) in outputs.iter().enumerate() {
        let k = key(out);
        if let Some(input) = inputs.iter().find(|p| key(p) == k) {
            bail!("{}: the output would overwrite the input {}; choose another output path", out.display(), input.display());
        }
        if let Some(other) = outputs[..i].iter().find(|p| key(p) == k) {
            bail!("{}: two outputs name the same file ({}); give each its own path", out.display(), other.display());
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn outputs_must_differ_from_inputs_and_each_other() {
        let dir = std::env::temp_dir().join(format!("vtrial-paths-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let data = dir.join("data.csv");
        std::fs::write(&data, "ID,TIME\n").unwrap();
        let same_by_other_spelling = dir.join(".").join("data.csv");
        let err = ensure_distinct_paths(&[&data], &[&same_by_other_spelling]).unwrap_err().to_string();
        assert!(err.contains("would overwrite the input"), "{err}");
        let (a, b) = (dir.join("a.csv"), dir.join("a.csv"));
        let err = ensure_distinct_paths(&[&data], &[&a, &b]).unwrap_err().to_string();
        assert!(err.contains("same file"), "{err}");
        ensure_distinct_paths(&[&data], &[&dir.join("out.csv"), &dir.join("out2.csv")]).unwrap();
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn thread_counts_are_bounded() {
        assert_eq!(thread_count("1024"), Ok(1024));
        for bad in ["0", "1025", "10000", "-1", "two"] {
            assert!(thread_count(bad).unwrap_err().contains("from 1 to 1024"), "{bad}");
        }
    }
}
