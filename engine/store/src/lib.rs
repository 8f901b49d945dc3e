//! The only DuckDB user in vtrial.
//!
//! - [`writer`]: the run store — one writer thread fed by a bounded channel, DuckDB
//!   Appenders, one transaction per run, the run's status ([`writer::RunWriter`], a
//!   [`vtrial_sim::rows::Sink`]);
//! - [`query`]: run SQL against a store and get a printable table;
//! - [`export`]: write every table and the summary views to Parquet or CSV;
//! - file conversions for `vtrial pk` ([`csv_to_parquet`], [`duckdb_version`]).
//!
//! The schema is `schema.sql` in this crate (documented there, column by column).

pub mod export;
pub mod query;
pub mod writer;

use std::path::Path;

use thiserror::Error;

/// The documented schema (`engine/store/schema.sql`), applied when a store is opened.
pub const SCHEMA: &str = include_str!("../schema.sql");

/// The tables of a store, in the order they are exported.
pub const TABLES: [&str; 11] = [
    "runs",
    "points",
    "point_parameters",
    "arm_definitions",
    "trials",
    "looks",
    "comparisons",
    "failures",
    "arms",
    "patients",
    "observations",
];

/// The version of [`SCHEMA`]; stores written with another version are refused on open.
pub const SCHEMA_VERSION: i32 = 9;

/// A storage error, with the file it concerns.
#[derive(Debug, Error)]
pub enum StoreError {
    /// DuckDB refused an operation.
    #[error("{path}: {source}")]
    Duckdb {
        /// The file involved.
        path: String,
        /// DuckDB's error.
        source: duckdb::Error,
    },
    /// The writer thread stopped.
    #[error("{path}: the writer stopped: {message}")]
    Writer {
        /// The store.
        path: String,
        /// Why.
        message: String,
    },
    /// The store was written with another schema version.
    #[error("{path}: {message}")]
    Incompatible {
        /// The store.
        path: String,
        /// What was found and what to do.
        message: String,
    },
    /// A file system error.
    #[error("{path}: {source}")]
    Io {
        /// The file or folder.
        path: String,
        /// The cause.
        source: std::io::Error,
    },
}

/// Quotes a string as an SQL literal (for file paths, which DuckDB's COPY cannot bind).
pub(crate) fn literal(s: &str) -> String {
    format!("'{}'", s.replace('\'', "''"))
}

/// Converts a CSV file with a header row into a Parquet file. Column types are inferred but
/// only as integer, double or text (never boolean or date: a column of `F`/`T` labels, or of
/// `0`/`1`, must not become BOOLEAN).
pub fn csv_to_parquet(csv: &Path, parquet: &Path) -> Result<(), StoreError> {
    let err = |source| StoreError::Duckdb { path: parquet.display().to_string(), source };
    let conn = duckdb::Connection::open_in_memory().map_err(err)?;
    let sql = format!(
        "COPY (SELECT * FROM read_csv({}, header = true, auto_type_candidates = ['BIGINT', 'DOUBLE', 'VARCHAR'])) TO {} (FORMAT parquet)",
        literal(&csv.display().to_string()),
        literal(&parquet.display().to_string())
    );
    conn.execute_batch(&sql).map_err(err)
}

/// The version of the embedded DuckDB library.
pub fn duckdb_version() -> Result<String, StoreError> {
    let err = |source| StoreError::Duckdb { path: ":memory:".into(), source };
    let conn = duckdb::Connection::open_in_memory().map_err(err)?;
    conn.query_row("SELECT version()", [], |r| r.get(0)).map_err(err)
}

/// Opens (or creates) a store and applies the schema.
pub fn open(path: &Path) -> Result<duckdb::Connection, StoreError> {
    let err = |source| StoreError::Duckdb { path: path.display().to_string(), source };
    let conn = duckdb::Connection::open(path).map_err(err)?;
    let has = |table: &str| -> Result<bool, StoreError> {
        conn.query_row("SELECT count(*) > 0 FROM information_schema.tables WHERE table_name = ?", [table], |r| r.get(0)).map_err(err)
    };
    let version: Option<i32> =
        if has("store_info")? { conn.query_row("SELECT max(schema_version) FROM store_info", [], |r| r.get(0)).map_err(err)? } else { None };
    match version {
        Some(SCHEMA_VERSION) => {}
        None if !has("runs")? => {}
        found => {
            let found = found.map_or_else(|| "1".to_string(), |v| v.to_string());
            return Err(StoreError::Incompatible {
                path: path.display().to_string(),
                message: format!(
                    "this store was written with schema version {found} by another vtrial version; this one writes version {SCHEMA_VERSION}: use a new file (or export the old one first)"
                ),
            });
        }
    }
    conn.execute_batch(SCHEMA).map_err(err)?;
    if version.is_none() {
        conn.execute("INSERT INTO store_info VALUES (?)", [SCHEMA_VERSION]).map_err(err)?;
    }
    Ok(conn)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csv_round_trips_through_parquet() {
        let dir = std::env::temp_dir().join(format!("vtrial-store-test-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let (csv, pq) = (dir.join("a'b.csv"), dir.join("out.parquet"));
        std::fs::write(&csv, "ID,TIME,CP,SEX\n1,0,0,F\n1,1.5,2.25,F\n").unwrap();
        csv_to_parquet(&csv, &pq).unwrap();
        let conn = duckdb::Connection::open_in_memory().unwrap();
        let sum: f64 = conn.query_row(&format!("SELECT sum(CP) FROM read_parquet({})", literal(&pq.display().to_string())), [], |r| r.get(0)).unwrap();
        assert_eq!(sum, 2.25);
        let sex: String = conn.query_row(&format!("SELECT typeof(SEX) || ':' || SEX FROM read_parquet({}) LIMIT 1", literal(&pq.display().to_string())), [], |r| r.get(0)).unwrap();
        assert_eq!(sex, "VARCHAR:F");
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn reports_the_duckdb_version() {
        assert!(duckdb_version().unwrap().starts_with('v'));
    }
}
