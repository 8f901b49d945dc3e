//! Writing a cohort: CSV plus a `.meta.json` sidecar with every column's unit and meaning.

use std::io::Write;
use std::path::Path;

use serde::Serialize;

use crate::error::CohortError;
use crate::sample::{Cohort, ColumnData, SampleReport};

#[derive(Serialize)]
struct ColumnDoc<'a> {
    name: &'a str,
    unit: &'a str,
    description: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    levels: Option<&'a [String]>,
}

/// The sidecar document: columns with units, the sampling report and free provenance fields.
#[derive(Serialize)]
struct MetaDoc<'a> {
    columns: Vec<ColumnDoc<'a>>,
    report: &'a SampleReport,
    provenance: &'a serde_json::Value,
}

/// Writes `cohort` as CSV to `path` (missing values are empty cells) and the sidecar
/// `path` + `.meta.json`. Only `.csv` is supported here; another extension is an error
/// (the `vtrial` CLI also writes Parquet, converting this CSV through the DuckDB store).
pub fn write_cohort(
    cohort: &Cohort,
    report: &SampleReport,
    provenance: &serde_json::Value,
    path: &Path,
) -> Result<(), CohortError> {
    let ext = path.extension().and_then(|e| e.to_str()).unwrap_or("").to_ascii_lowercase();
    if ext != "csv" {
        return Err(CohortError::Invalid(format!(
            "{}: output format {ext:?} is not supported by the library writer; use a .csv file name \
             (`vtrial cohort sample` also writes .parquet)",
            path.display()
        )));
    }
    write_csv_file(cohort, path)?;
    write_sidecar(cohort, report, provenance, path)
}

/// Writes the CSV of a cohort to a file (whatever its name).
pub fn write_csv_file(cohort: &Cohort, path: &Path) -> Result<(), CohortError> {
    let io = |e: std::io::Error| CohortError::Io { path: path.display().to_string(), source: e };
    let f = std::fs::File::create(path).map_err(io)?;
    let mut wtr = std::io::BufWriter::with_capacity(1 << 20, f);
    write_csv(cohort, &mut wtr).map_err(io)?;
    wtr.flush().map_err(io)
}

/// The path of the sidecar of a cohort file: the file name + `.meta.json`.
pub fn sidecar_path(data: &Path) -> std::path::PathBuf {
    std::path::PathBuf::from(format!("{}.meta.json", data.display()))
}

/// Writes the sidecar of the cohort file `data` ([`sidecar_path`]): every column's unit,
/// meaning and labels, the sampling report and `provenance`.
pub fn write_sidecar(
    cohort: &Cohort,
    report: &SampleReport,
    provenance: &serde_json::Value,
    data: &Path,
) -> Result<(), CohortError> {
    let doc = MetaDoc {
        columns: cohort
            .columns
            .iter()
            .map(|c| ColumnDoc {
                name: &c.name,
                unit: &c.unit,
                description: &c.description,
                levels: match &c.data {
                    ColumnData::Text { levels, .. } => Some(levels),
                    ColumnData::Num(_) => None,
                },
            })
            .collect(),
        report,
        provenance,
    };
    let mp = sidecar_path(data);
    std::fs::write(&mp, serde_json::to_string_pretty(&doc).expect("json") + "\n")
        .map_err(|e| CohortError::Io { path: mp.display().to_string(), source: e })
}

/// Writes the CSV text of a cohort.
pub fn write_csv<W: Write>(cohort: &Cohort, w: &mut W) -> std::io::Result<()> {
    let mut header = String::new();
    for (i, c) in cohort.columns.iter().enumerate() {
        if i > 0 {
            header.push(',');
        }
        push_field(&mut header, &c.name);
    }
    writeln!(w, "{header}")?;
    // A numeric column is written either as integers throughout (every value whole) or with
    // a decimal point on every value (`120.0`), so a reader that infers types from a sample
    // of rows (DuckDB, pandas) gives the column one type: BIGINT or DOUBLE.
    let fractional: Vec<bool> = cohort
        .columns
        .iter()
        .map(|c| match &c.data {
            ColumnData::Num(v) => v.iter().any(|x| x.is_finite() && x.fract() != 0.0),
            ColumnData::Text { .. } => false,
        })
        .collect();
    let mut line = String::with_capacity(256);
    for r in 0..cohort.n {
        line.clear();
        for (i, c) in cohort.columns.iter().enumerate() {
            if i > 0 {
                line.push(',');
            }
            match &c.data {
                ColumnData::Num(v) => {
                    let x = v[r];
                    if !x.is_nan() {
                        use std::fmt::Write as _;
                        if fractional[i] && x.fract() == 0.0 {
                            let _ = write!(line, "{x:.1}");
                        } else {
                            let _ = write!(line, "{x}");
                        }
                    }
                }
                ColumnData::Text { levels, codes } => {
                    if let Some(l) = levels.get(codes[r] as usize) {
                        push_field(&mut line, l);
                    }
                }
            }
        }
        line.push('\n');
        w.write_all(line.as_bytes())?;
    }
    Ok(())
}

/// Appends a CSV field, quoted per RFC 4180 (quotes doubled) when it holds a comma, a quote,
/// CR or LF, or (so that readers do not trim it or read it as missing) starts or ends with a
/// space, or is empty.
fn push_field(line: &mut String, s: &str) {
    let quote = s.is_empty() || s.contains([',', '"', '\r', '\n']) || s.starts_with(' ') || s.ends_with(' ');
    if quote {
        line.push('"');
        line.push_str(&s.replace('"', "\"\""));
        line.push('"');
    } else {
        line.push_str(s);
    }
}
