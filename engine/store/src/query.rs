//! Running SQL against a store: the result as a table of strings, for printing.

use std::path::Path;

use duckdb::types::{TimeUnit, Value};
use duckdb::{AccessMode, Config, Connection};

use crate::StoreError;

/// A query result: column names and rows of formatted values (NULL as an empty string).
#[derive(Debug, Clone, PartialEq)]
pub struct Table {
    /// Column names.
    pub columns: Vec<String>,
    /// Rows.
    pub rows: Vec<Vec<String>>,
}

/// Runs `sql` on the store at `path`, opened read-only (a query cannot change it) and
/// without external access: no `COPY … TO`, `ATTACH`, `read_csv` or other file access
/// (through `COPY … TO` a query could overwrite any file, another store included).
/// `vtrial export` writes files; notebooks open the store with their own DuckDB.
pub fn query(path: &Path, sql: &str) -> Result<Table, StoreError> {
    let name = path.display().to_string();
    let err = |source| StoreError::Duckdb { path: name.clone(), source };
    if !path.exists() {
        return Err(StoreError::Io { path: name.clone(), source: std::io::Error::new(std::io::ErrorKind::NotFound, "no such store (run `vtrial run` first)") });
    }
    let config = Config::default().access_mode(AccessMode::ReadOnly).and_then(|c| c.enable_external_access(false)).map_err(err)?;
    let conn = Connection::open_with_flags(path, config).map_err(err)?;
    query_conn(&conn, sql).map_err(err)
}

/// Runs `sql` on an open connection.
pub fn query_conn(conn: &Connection, sql: &str) -> duckdb::Result<Table> {
    let mut stmt = conn.prepare(sql)?;
    let mut rows = stmt.query([])?;
    let columns = rows.as_ref().map(|s| s.column_names()).unwrap_or_default();
    let mut out = Vec::new();
    while let Some(row) = rows.next()? {
        let mut r = Vec::with_capacity(columns.len());
        for i in 0..columns.len() {
            let v: Value = row.get(i)?;
            r.push(format_value(&v));
        }
        out.push(r);
    }
    Ok(Table { columns, rows: out })
}

/// A value as text: numbers as Rust prints them (shortest round-trip), timestamps in ISO
/// 8601 (UTC), NULL as "".
pub fn format_value(v: &Value) -> String {
    match v {
        Value::Null => String::new(),
        Value::Boolean(b) => b.to_string(),
        Value::TinyInt(x) => x.to_string(),
        Value::SmallInt(x) => x.to_string(),
        Value::Int(x) => x.to_string(),
        Value::BigInt(x) => x.to_string(),
        Value::HugeInt(x) => x.to_string(),
        Value::UHugeInt(x) => x.to_string(),
        Value::UTinyInt(x) => x.to_string(),
        Value::USmallInt(x) => x.to_string(),
        Value::UInt(x) => x.to_string(),
        Value::UBigInt(x) => x.to_string(),
        Value::Float(x) => x.to_string(),
        Value::Double(x) => x.to_string(),
        // `ceil(x)`, `sum` of integers and numeric literals are DECIMAL in DuckDB.
        Value::Decimal(x) => x.to_string(),
        Value::Text(s) => s.clone(),
        Value::Timestamp(unit, t) => {
            let micros = match unit {
                TimeUnit::Second => t * 1_000_000,
                TimeUnit::Millisecond => t * 1_000,
                TimeUnit::Microsecond => *t,
                TimeUnit::Nanosecond => t / 1_000,
            };
            iso(micros)
        }
        other => format!("{other:?}"),
    }
}

/// ISO 8601 of microseconds since the epoch (proleptic Gregorian, UTC).
fn iso(micros: i64) -> String {
    let secs = micros.div_euclid(1_000_000);
    let days = secs.div_euclid(86_400);
    let rem = secs.rem_euclid(86_400);
    // Howard Hinnant's civil_from_days.
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = if m <= 2 { y + 1 } else { y };
    format!("{y:04}-{m:02}-{d:02} {:02}:{:02}:{:02}", rem / 3600, rem % 3600 / 60, rem % 60)
}

/// Renders a table with aligned columns (numbers right-aligned).
pub fn render(t: &Table) -> String {
    let mut widths: Vec<usize> = t.columns.iter().map(|c| c.chars().count()).collect();
    for r in &t.rows {
        for (w, v) in widths.iter_mut().zip(r) {
            *w = (*w).max(v.chars().count());
        }
    }
    let numeric: Vec<bool> = (0..t.columns.len()).map(|i| t.rows.iter().all(|r| r[i].is_empty() || r[i].parse::<f64>().is_ok())).collect();
    let line = |cells: &[String]| {
        cells
            .iter()
            .enumerate()
            .map(|(i, c)| if numeric[i] { format!("{c:>w$}", w = widths[i]) } else { format!("{c:<w$}", w = widths[i]) })
            .collect::<Vec<_>>()
            .join("  ")
            .trim_end()
            .to_string()
    };
    let mut out = line(&t.columns);
    out.push('\n');
    out.push_str(&widths.iter().map(|w| "-".repeat(*w)).collect::<Vec<_>>().join("  "));
    out.push('\n');
    for r in &t.rows {
        out.push_str(&line(r));
        out.push('\n');
    }
    out.push_str(&format!("({} row{})\n", t.rows.len(), if t.rows.len() == 1 { "" } else { "s" }));
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn iso_dates() {
        assert_eq!(iso(0), "1970-01-01 00:00:00");
        assert_eq!(iso(1_795_000_000 * 1_000_000), "2026-11-18 11:06:40");
    }
}
