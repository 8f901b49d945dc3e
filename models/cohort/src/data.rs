//! Loading a training or evaluation CSV into typed columns, with validation.
//!
//! Every cell is read; nothing is dropped silently. A cell is *missing* when it is empty or
//! one of `NA`, `NaN`, `.` (case-insensitive). A column is numeric when all its present
//! cells parse as numbers, text when none does (then it is categorical with string levels).
//! A column that is all missing, or that mixes numbers and text, is an error that names the
//! column and the first offending cell (line and column number, 1-based, header = line 1).
//! Evaluation reads with [`ReadOptions::allow_all_missing`]: there an all-missing column is
//! a legitimate value (e.g. a cohort sampled under `missing(sbp)`), read as a numeric column
//! with every value `None` (it has no type of its own).

use std::path::Path;

use crate::error::CohortError;

/// One column as read from a file.
#[derive(Debug, Clone, PartialEq)]
pub enum RawColumn {
    /// Numbers (missing = `None`); `decimals` is the most digits seen after the point.
    Numeric {
        /// The values, `None` where the cell was missing.
        values: Vec<Option<f64>>,
        /// Largest number of decimal digits seen in the file (for output rounding).
        decimals: u32,
    },
    /// Text labels (missing = `None`).
    Text {
        /// The labels, `None` where the cell was missing.
        values: Vec<Option<String>>,
    },
}

impl RawColumn {
    /// Number of rows.
    pub fn len(&self) -> usize {
        match self {
            RawColumn::Numeric { values, .. } => values.len(),
            RawColumn::Text { values } => values.len(),
        }
    }
    /// True when the column has no rows.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
    /// Number of missing cells.
    pub fn missing(&self) -> usize {
        match self {
            RawColumn::Numeric { values, .. } => values.iter().filter(|v| v.is_none()).count(),
            RawColumn::Text { values } => values.iter().filter(|v| v.is_none()).count(),
        }
    }
}

/// A table read from a CSV file: named columns of equal length.
#[derive(Debug, Clone, PartialEq)]
pub struct RawTable {
    /// Where it came from (for messages).
    pub source: String,
    /// Column names, in file order.
    pub names: Vec<String>,
    /// Columns, in file order.
    pub columns: Vec<RawColumn>,
}

impl RawTable {
    /// Number of rows.
    pub fn n_rows(&self) -> usize {
        self.columns.first().map_or(0, |c| c.len())
    }
    /// Index of a column by name.
    pub fn index(&self, name: &str) -> Option<usize> {
        self.names.iter().position(|n| n == name)
    }
    /// A new table with the given rows (by index), in that order.
    pub fn select_rows(&self, rows: &[usize]) -> RawTable {
        let columns = self
            .columns
            .iter()
            .map(|c| match c {
                RawColumn::Numeric { values, decimals } => RawColumn::Numeric {
                    values: rows.iter().map(|&r| values[r]).collect(),
                    decimals: *decimals,
                },
                RawColumn::Text { values } => {
                    RawColumn::Text { values: rows.iter().map(|&r| values[r].clone()).collect() }
                }
            })
            .collect();
        RawTable { source: self.source.clone(), names: self.names.clone(), columns }
    }
}

/// True when a cell counts as missing.
pub fn is_missing_cell(s: &str) -> bool {
    let t = s.trim();
    t.is_empty() || t.eq_ignore_ascii_case("na") || t.eq_ignore_ascii_case("nan") || t == "."
}

fn decimals_of(s: &str) -> u32 {
    let t = s.trim();
    if t.contains(['e', 'E']) {
        return 6;
    }
    t.split_once('.').map_or(0, |(_, f)| f.len().min(6) as u32)
}

/// How [`read_csv_with`] treats what [`read_csv`] refuses.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ReadOptions {
    /// Accept a column whose cells are all missing (read as `RawColumn::Numeric` with every
    /// value `None`). Off for training input, where such a column cannot be modelled; on for
    /// evaluation, where "always missing" is a value to compare.
    pub allow_all_missing: bool,
}

/// Reads a CSV file (header row required).
pub fn read_csv(path: &Path) -> Result<RawTable, CohortError> {
    read_csv_with(path, &ReadOptions::default())
}

/// Reads a CSV file (header row required) with the given options.
pub fn read_csv_with(path: &Path, opt: &ReadOptions) -> Result<RawTable, CohortError> {
    let file = std::fs::File::open(path)
        .map_err(|e| CohortError::Io { path: path.display().to_string(), source: e })?;
    read_csv_from_with(file, &path.display().to_string(), opt)
}

/// Line numbers (1-based) from byte offsets into a text, for LF and CRLF line ends alike
/// (csv's own `Position::line` is off by one after a CRLF header and for the first record).
pub(crate) struct LineCounter<'a> {
    bytes: &'a [u8],
    offset: usize,
    line: u64,
}

impl<'a> LineCounter<'a> {
    /// Counts in `bytes`.
    pub(crate) fn new(bytes: &'a [u8]) -> Self {
        LineCounter { bytes, offset: 0, line: 1 }
    }
    /// The line holding byte `offset`: 1 + the newlines before it (fast for rising offsets).
    pub(crate) fn line_at(&mut self, offset: u64) -> u64 {
        let mut offset = (offset as usize).min(self.bytes.len());
        // After a CRLF, csv puts a record's start on the LF that ends the line before it;
        // no record starts with a line end, so step over them.
        while offset < self.bytes.len() && matches!(self.bytes[offset], b'\r' | b'\n') {
            offset += 1;
        }
        if offset < self.offset {
            self.offset = 0;
            self.line = 1;
        }
        self.line += self.bytes[self.offset..offset].iter().filter(|&&b| b == b'\n').count() as u64;
        self.offset = offset;
        self.line
    }
}

/// Reads CSV text from any reader; `source` names it in messages.
pub fn read_csv_from<R: std::io::Read>(reader: R, source: &str) -> Result<RawTable, CohortError> {
    read_csv_from_with(reader, source, &ReadOptions::default())
}

/// Reads CSV text from any reader with the given options; `source` names it in messages.
pub fn read_csv_from_with<R: std::io::Read>(
    mut reader: R,
    source: &str,
    opt: &ReadOptions,
) -> Result<RawTable, CohortError> {
    let mut bytes = Vec::new();
    reader
        .read_to_end(&mut bytes)
        .map_err(|e| CohortError::Io { path: source.to_string(), source: e })?;
    let lines_of = std::cell::RefCell::new(LineCounter::new(&bytes));
    let line_of = |p: Option<&csv::Position>| p.map_or(0, |p| lines_of.borrow_mut().line_at(p.byte()));
    let mut rdr = csv::ReaderBuilder::new().has_headers(true).flexible(false).from_reader(&bytes[..]);
    let csv_err = |e: csv::Error| {
        let line = line_of(e.position());
        CohortError::Csv { source_name: source.to_string(), line, message: e.to_string() }
    };
    let header = rdr.byte_headers().map_err(csv_err)?.clone();
    let mut names: Vec<String> = Vec::with_capacity(header.len());
    for (j, h) in header.iter().enumerate() {
        let h = std::str::from_utf8(h).map_err(|e| CohortError::Csv {
            source_name: source.to_string(),
            line: 1,
            message: format!("the name of column {} is not valid UTF-8 text ({e})", j + 1),
        })?;
        names.push(h.trim().to_string());
    }
    if names.is_empty() {
        return Err(CohortError::Csv {
            source_name: source.to_string(),
            line: 1,
            message: "no header row".into(),
        });
    }
    for (i, n) in names.iter().enumerate() {
        if n.is_empty() || names[..i].contains(n) {
            return Err(CohortError::Csv {
                source_name: source.to_string(),
                line: 1,
                message: format!("column {} has an empty or duplicate name {n:?}", i + 1),
            });
        }
    }
    let mut cells: Vec<Vec<String>> = vec![Vec::new(); names.len()];
    let mut lines: Vec<u64> = Vec::new();
    for rec in rdr.byte_records() {
        let rec = rec.map_err(csv_err)?;
        let line = line_of(rec.position());
        lines.push(line);
        for (j, c) in rec.iter().enumerate() {
            let c = std::str::from_utf8(c).map_err(|e| CohortError::BadCell {
                source_name: source.to_string(),
                line,
                column: names[j].clone(),
                column_number: j + 1,
                value: String::from_utf8_lossy(c).into_owned(),
                expected: format!("valid UTF-8 text ({e}; save the file as UTF-8)"),
            })?;
            cells[j].push(c.to_string());
        }
    }
    if lines.is_empty() {
        return Err(CohortError::Csv {
            source_name: source.to_string(),
            line: 1,
            message: "the file has a header but no data rows".into(),
        });
    }
    let mut columns = Vec::with_capacity(names.len());
    for (j, col) in cells.into_iter().enumerate() {
        let present: Vec<usize> = (0..col.len()).filter(|&i| !is_missing_cell(&col[i])).collect();
        if present.is_empty() && opt.allow_all_missing {
            columns.push(RawColumn::Numeric { values: vec![None; col.len()], decimals: 0 });
            continue;
        }
        if present.is_empty() {
            return Err(CohortError::UnusableColumn {
                source_name: source.to_string(),
                column: names[j].clone(),
                column_number: j + 1,
                reason: format!("all {} cells are missing", col.len()),
            });
        }
        let numeric: Vec<usize> =
            present.iter().copied().filter(|&i| col[i].trim().parse::<f64>().is_ok()).collect();
        if numeric.len() == present.len() {
            let mut decimals = 0;
            let values = col
                .iter()
                .map(|s| {
                    if is_missing_cell(s) {
                        None
                    } else {
                        decimals = decimals.max(decimals_of(s));
                        s.trim().parse::<f64>().ok()
                    }
                })
                .collect::<Vec<_>>();
            if let Some(i) = values.iter().position(|v| v.is_some_and(|x| !x.is_finite())) {
                return Err(CohortError::BadCell {
                    source_name: source.to_string(),
                    line: lines[i],
                    column: names[j].clone(),
                    column_number: j + 1,
                    value: col[i].clone(),
                    expected: "a finite number".into(),
                });
            }
            columns.push(RawColumn::Numeric { values, decimals });
        } else if numeric.is_empty() {
            let values =
                col.iter().map(|s| (!is_missing_cell(s)).then(|| s.trim().to_string())).collect();
            columns.push(RawColumn::Text { values });
        } else if numeric.len() * 10 >= present.len() * 9 {
            // Mostly numbers: the text cells are errors where numbers are expected.
            let i = present.iter().copied().find(|i| !numeric.contains(i)).unwrap_or(0);
            return Err(CohortError::BadCell {
                source_name: source.to_string(),
                line: lines[i],
                column: names[j].clone(),
                column_number: j + 1,
                value: col[i].clone(),
                expected: format!(
                    "a number ({} of {} present cells in this column are numbers)",
                    numeric.len(),
                    present.len()
                ),
            });
        } else {
            let first_num = numeric[0];
            let first_text = present.iter().copied().find(|i| !numeric.contains(i)).unwrap_or(0);
            return Err(CohortError::UnusableColumn {
                source_name: source.to_string(),
                column: names[j].clone(),
                column_number: j + 1,
                reason: format!(
                    "mixed types: {} numeric and {} text cells (e.g. {:?} on line {}, {:?} on line {})",
                    numeric.len(),
                    present.len() - numeric.len(),
                    col[first_num],
                    lines[first_num],
                    col[first_text],
                    lines[first_text]
                ),
            });
        }
    }
    Ok(RawTable { source: source.to_string(), names, columns })
}
