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
/// `path` + `.meta.json`. Only `.csv` is supported; another extension is an error.
pub fn write_cohort(
    cohort: &Cohort,
    report: &SampleReport,
    provenance: &serde_json::Value,
    path: &Path,
) -> Result<(), CohortError> {
    let ext = path.extension().and_then(|e| e.to_str()).unwrap_or("").to_ascii_lowercase();
    if ext != "csv" {
        return Err(CohortError::Invalid(format!(
            "{}: output format {ext:?} is not supported yet; use a .csv file name (Parquet output \
             will come through the DuckDB store)",
            path.display()
        )));
    }
    let io = |e: std::io::Error| CohortError::Io { path: path.display().to_string(), source: e };
    let f = std::fs::File::create(path).map_err(io)?;
    let mut wtr = std::io::BufWriter::with_capacity(1 << 20, f);
    write_csv(cohort, &mut wtr).map_err(io)?;
    wtr.flush().map_err(io)?;
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
    let mp = format!("{}.meta.json", path.display());
    std::fs::write(&mp, serde_json::to_string_pretty(&doc).expect("json") + "\n")
        .map_err(|e| CohortError::Io { path: mp, source: e })
}

/// Writes the CSV text of a cohort.
pub fn write_csv<W: Write>(cohort: &Cohort, w: &mut W) -> std::io::Result<()> {
    let names: Vec<&str> = cohort.columns.iter().map(|c| c.name.as_str()).collect();
    writeln!(w, "{}", names.join(","))?;
    let mut line = String::with_capacity(256);
    for r in 0..cohort.n {
        line.clear();
        for (i, c) in cohort.columns.iter().enumerate() {
            if i > 0 {
                line.push(',');
            }
            match &c.data {
                ColumnData::Num(v) => {
                    if !v[r].is_nan() {
                        use std::fmt::Write as _;
                        let _ = write!(line, "{}", v[r]);
                    }
                }
                ColumnData::Text { levels, codes } => {
                    if let Some(l) = levels.get(codes[r] as usize) {
                        line.push_str(l);
                    }
                }
            }
        }
        line.push('\n');
        w.write_all(line.as_bytes())?;
    }
    Ok(())
}
