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
/// each file is written under a temporary name and renamed when complete. Returns the
/// files written.
pub fn export(path: &Path, dir: &Path, format: Format, run: Option<i64>, overwrite: bool) -> Result<Vec<PathBuf>, StoreError> {
    let name = path.display().to_string();
    let err = |source| StoreError::Duckdb { path: name.clone(), source };
    if !path.exists() {
        return Err(StoreError::Io { path: name.clone(), source: std::io::Error::new(std::io::ErrorKind::NotFound, "no such store") });
    }
    let relations = exported_relations();
    let files: Vec<PathBuf> = relations.iter().map(|table| dir.join(format!("{table}.{}", format.extension()))).collect();
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
    for (table, file) in relations.iter().zip(&files) {
        // store_info is about the file, not a run.
        let filter = run.filter(|_| *table != "store_info").map_or(String::new(), |r| format!(" WHERE run_id = {r}"));
        let options = match format {
            Format::Parquet => "FORMAT parquet",
            Format::Csv => "FORMAT csv, HEADER true",
        };
        let tmp = dir.join(format!(".{table}.{}.partial-{}", format.extension(), std::process::id()));
        // Names come from the constant lists, never from the user; the run id is a number.
        // Rows keep the order the run appended them in: run, then block of replicates, point,
        // replicate, patient (vtrial-sim's driver); COPY keeps it.
        let sql = format!("COPY (SELECT * FROM {table}{filter}) TO {} ({options})", literal(&tmp.display().to_string()));
        let written = conn.execute_batch(&sql).map_err(err).and_then(|()| {
            std::fs::rename(&tmp, file).map_err(|e| StoreError::Io { path: file.display().to_string(), source: e })
        });
        if let Err(e) = written {
            let _ = std::fs::remove_file(&tmp);
            return Err(e);
        }
    }
    Ok(files)
}

fn plural(n: usize, what: &str) -> String {
    if n == 1 { format!("1 {what}") } else { format!("{n} {what}s") }
}
