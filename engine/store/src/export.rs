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

/// Writes every table of the store into `dir` (created if needed) as `<table>.<ext>`;
/// with `run`, only that run's rows. Returns the files written.
pub fn export(path: &Path, dir: &Path, format: Format, run: Option<i64>) -> Result<Vec<PathBuf>, StoreError> {
    let name = path.display().to_string();
    let err = |source| StoreError::Duckdb { path: name.clone(), source };
    if !path.exists() {
        return Err(StoreError::Io { path: name.clone(), source: std::io::Error::new(std::io::ErrorKind::NotFound, "no such store") });
    }
    std::fs::create_dir_all(dir).map_err(|e| StoreError::Io { path: dir.display().to_string(), source: e })?;
    let config = Config::default().access_mode(AccessMode::ReadOnly).map_err(err)?;
    let conn = Connection::open_with_flags(path, config).map_err(err)?;
    let mut files = Vec::new();
    for table in TABLES {
        let file = dir.join(format!("{table}.{}", format.extension()));
        let filter = run.map_or(String::new(), |r| format!(" WHERE run_id = {r}"));
        let options = match format {
            Format::Parquet => "FORMAT parquet",
            Format::Csv => "FORMAT csv, HEADER true",
        };
        // Table names come from the constant list, never from the user; the run id is a number.
        // Rows were appended in (run, point, replicate, patient) order, which COPY keeps.
        let sql = format!("COPY (SELECT * FROM {table}{filter}) TO {} ({options})", literal(&file.display().to_string()));
        conn.execute_batch(&sql).map_err(err)?;
        files.push(file);
    }
    Ok(files)
}
