//! The only DuckDB user in vtrial: file conversions now; the run store (schema, writer
//! thread, queries, export) comes with the trial engine.

use std::path::Path;

use thiserror::Error;

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
}

/// Quotes a string as an SQL literal (for file paths, which DuckDB's COPY cannot bind).
fn literal(s: &str) -> String {
    format!("'{}'", s.replace('\'', "''"))
}

/// Converts a CSV file with a header row into a Parquet file (column types inferred).
pub fn csv_to_parquet(csv: &Path, parquet: &Path) -> Result<(), StoreError> {
    let err = |source| StoreError::Duckdb { path: parquet.display().to_string(), source };
    let conn = duckdb::Connection::open_in_memory().map_err(err)?;
    let sql = format!(
        "COPY (SELECT * FROM read_csv({}, header = true)) TO {} (FORMAT parquet)",
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csv_round_trips_through_parquet() {
        let dir = std::env::temp_dir().join(format!("vtrial-store-test-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let (csv, pq) = (dir.join("a'b.csv"), dir.join("out.parquet"));
        std::fs::write(&csv, "ID,TIME,CP\n1,0,0\n1,1.5,2.25\n").unwrap();
        csv_to_parquet(&csv, &pq).unwrap();
        let conn = duckdb::Connection::open_in_memory().unwrap();
        let sum: f64 = conn.query_row(&format!("SELECT sum(CP) FROM read_parquet({})", literal(&pq.display().to_string())), [], |r| r.get(0)).unwrap();
        assert_eq!(sum, 2.25);
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn reports_the_duckdb_version() {
        assert!(duckdb_version().unwrap().starts_with('v'));
    }
}
