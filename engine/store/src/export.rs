//! Exporting a store: one Parquet or CSV file per table.

use std::path::{Path, PathBuf};

use duckdb::{AccessMode, Config, Connection};

use crate::{StoreError, TABLES, literal};

/// Export format.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// Apache Parquet.
    Parquet,
    /// CSV with a header row.
    Csv,
}

impl Format {
    /// The file extension.
    pub fn extension(self) -> &'static str {
        match self {
            Format::Parquet => "parquet",
            Format::Csv => "csv",
        }
    }
}

/// The summary views exported next to the tables (computed by DuckDB at export time).
pub const EXPORTED_VIEWS: [&str; 4] = ["operating_characteristics", "study_success", "arm_summary", "interim_summary"];

/// What [`export`] writes, in order: `store_info` (the schema version), every table of
/// [`TABLES`], then [`EXPORTED_VIEWS`]. `latest_run` is left out: it is a row of `runs`.
pub fn exported_relations() -> Vec<&'static str> {
    std::iter::once("store_info").chain(TABLES).chain(EXPORTED_VIEWS).collect()
}

/// Writes every table of the store and its summary views ([`exported_relations`]) into `dir`
/// (created if needed) as `<name>.<ext>`; with `run`, only that run's rows (an id the store does not hold is an error naming the
/// ones it does). Files that exist already are an error naming them, unless `overwrite`;
/// anything other than a regular file under a table's name is always an error. All files
/// are written under temporary names first and renamed into place only when every one is
/// complete: a failure while writing leaves the folder as it was (only a failing rename of
/// one file over another, after the checks, could leave a mix; the error then says so).
/// Returns the files written.
pub fn export(path: &Path, dir: &Path, format: Format, run: Option<i64>, overwrite: bool) -> Result<Vec<PathBuf>, StoreError> {
    let name = path.display().to_string();
    let err = |source| StoreError::Duckdb { path: name.clone(), source };
    if !path.exists() {
        return Err(StoreError::Io { path: name.clone(), source: std::io::Error::new(std::io::ErrorKind::NotFound, "no such store") });
    }
    let relations = exported_relations();
    let files: Vec<PathBuf> = relations.iter().map(|table| dir.join(format!("{table}.{}", format.extension()))).collect();
    // Only regular files (or links to them) can be replaced: a folder under a table's name
    // would make the last phase fail after other files had been replaced.
    if let Some(f) = files.iter().find(|f| f.metadata().is_ok_and(|m| !m.is_file())) {
        return Err(StoreError::Incompatible {
            path: dir.display().to_string(),
            message: format!("{} is in the way and is not a file; move it, or export to another folder", f.display()),
        });
    }
    let existing: Vec<String> = files.iter().filter(|f| f.exists()).map(|f| f.display().to_string()).collect();
    if !existing.is_empty() && !overwrite {
        return Err(StoreError::Incompatible {
            path: dir.display().to_string(),
            message: format!("{} would be replaced ({}); choose another folder, or replace them on purpose with --force", plural(existing.len(), "file"), existing.join(", ")),
        });
    }
    let config = Config::default().access_mode(AccessMode::ReadOnly).map_err(err)?;
    let conn = Connection::open_with_flags(path, config).map_err(err)?;
    if let Some(r) = run {
        let ids: Vec<i64> = conn
            .prepare("SELECT run_id FROM runs ORDER BY run_id")
            .and_then(|mut st| st.query_map([], |row| row.get(0))?.collect())
            .map_err(err)?;
        if !ids.contains(&r) {
            let held = if ids.is_empty() { "none".to_string() } else { ids.iter().map(i64::to_string).collect::<Vec<_>>().join(", ") };
            return Err(StoreError::Incompatible { path: name.clone(), message: format!("the store has no run {r} (its runs: {held})") });
        }
    }
    std::fs::create_dir_all(dir).map_err(|e| StoreError::Io { path: dir.display().to_string(), source: e })?;
    // Two phases, so that a failure leaves no partial set that looks complete: every file is
    // written under a temporary name first (a failure removes them all and leaves the folder
    // as it was), and only then are they renamed into place.
    let temps: Vec<PathBuf> = relations.iter().map(|table| dir.join(format!(".{table}.{}.partial-{}", format.extension(), std::process::id()))).collect();
    let remove_temps = || {
        for tmp in &temps {
            let _ = std::fs::remove_file(tmp);
        }
    };
    for ((table, tmp), file) in relations.iter().zip(&temps).zip(&files) {
        // store_info is about the file, not a run.
        let filter = run.filter(|_| *table != "store_info").map_or(String::new(), |r| format!(" WHERE run_id = {r}"));
        let options = match format {
            Format::Parquet => "FORMAT parquet",
            Format::Csv => "FORMAT csv, HEADER true",
        };
        // Names come from the constant lists, never from the user; the run id is a number.
        // Rows keep the order the run appended them in: run, then block of replicates, point,
        // replicate, patient (vtrial-sim's driver); COPY keeps it.
        let sql = format!("COPY (SELECT * FROM {table}{filter}) TO {} ({options})", literal(&tmp.display().to_string()));
        if let Err(e) = conn.execute_batch(&sql) {
            remove_temps();
            return Err(StoreError::Duckdb { path: format!("{name} (exporting {table} to {})", file.display()), source: e });
        }
    }
    for (i, (tmp, file)) in temps.iter().zip(&files).enumerate() {
        if let Err(e) = std::fs::rename(tmp, file) {
            remove_temps();
            let replaced: Vec<String> = files[..i].iter().map(|f| file_name(f)).collect();
            let message = if replaced.is_empty() { String::new() } else { format!(" after {} had been replaced ({}): the set is incomplete", plural(i, "file"), replaced.join(", ")) };
            return Err(StoreError::Io { path: file.display().to_string(), source: std::io::Error::new(e.kind(), format!("{e}{message}")) });
        }
    }
    Ok(files)
}

fn file_name(path: &Path) -> String {
    path.file_name().map_or_else(|| path.display().to_string(), |n| n.to_string_lossy().into_owned())
}

fn plural(n: usize, what: &str) -> String {
    if n == 1 { format!("1 {what}") } else { format!("{n} {what}s") }
}
