//! NONMEM-format data sets (CSV).
//!
//! - standard columns, matched case-insensitively: ID, TIME, EVID, AMT, CMT, RATE, II, ADDL,
//!   SS, MDV, DV; only ID and TIME are required (EVID defaults to 1 where AMT > 0, else 0);
//! - a `C` column marks comments: a record whose C value starts with the letter `C` is
//!   skipped, as NONMEM's `IGNORE=C` does;
//! - `.` (or an empty cell) is a missing value: 0 in a standard column, as in NONMEM;
//! - every other column is a covariate, numeric or text (a column with any text value is a
//!   text column); a missing covariate is kept as missing;
//! - a new individual starts wherever ID changes.
//!
//! Everything that would make a record meaningless is an error naming the file, the line,
//! the column and what would be valid: non-numeric cells in standard columns, unknown EVID,
//! negative AMT, time going backwards within an individual, SS without II, and so on.

use std::path::{Path, PathBuf};

use thiserror::Error;
use vtrial_expr::Value;

/// An error in a data set, with its place.
#[derive(Debug, Error)]
pub enum DatasetError {
    /// The file could not be read.
    #[error("{path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The operating system's error.
        source: std::io::Error,
    },
    /// The CSV structure is broken (ragged rows, bad quoting).
    #[error("{path}:{line}: {message}")]
    Csv {
        /// The file.
        path: PathBuf,
        /// 1-based line.
        line: u64,
        /// What the CSV reader said.
        message: String,
    },
    /// A record that cannot be simulated.
    #[error("{path}:{line}: column {column} ({name}): {message}")]
    Cell {
        /// The file.
        path: PathBuf,
        /// 1-based line.
        line: u64,
        /// 1-based column.
        column: usize,
        /// Column name as written in the header.
        name: String,
        /// What is wrong and what would be valid.
        message: String,
    },
    /// The header lacks something required.
    #[error("{path}:1: {message}")]
    Header {
        /// The file.
        path: PathBuf,
        /// What is missing.
        message: String,
    },
}

/// The standard NONMEM data items.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Item {
    Id,
    Time,
    Evid,
    Amt,
    Cmt,
    Rate,
    Ii,
    Addl,
    Ss,
    Mdv,
    Dv,
    Comment,
}

impl Item {
    fn from_header(name: &str) -> Option<Item> {
        Some(match name.trim().to_ascii_uppercase().as_str() {
            "ID" => Item::Id,
            "TIME" => Item::Time,
            "EVID" => Item::Evid,
            "AMT" => Item::Amt,
            "CMT" => Item::Cmt,
            "RATE" => Item::Rate,
            "II" => Item::Ii,
            "ADDL" => Item::Addl,
            "SS" => Item::Ss,
            "MDV" => Item::Mdv,
            "DV" => Item::Dv,
            "C" => Item::Comment,
            _ => return None,
        })
    }
}

/// One data record with its standard items decoded.
#[derive(Debug, Clone, PartialEq)]
pub struct Row {
    /// 1-based line in the file.
    pub line: u64,
    /// Individual identifier, as written.
    pub id: String,
    /// TIME.
    pub time: f64,
    /// EVID (0–4).
    pub evid: u8,
    /// AMT.
    pub amt: f64,
    /// CMT as written (1-based; 0 when absent).
    pub cmt: u32,
    /// RATE (0, > 0, −1 or −2).
    pub rate: f64,
    /// II.
    pub ii: f64,
    /// ADDL.
    pub addl: u32,
    /// SS (0, 1, 2).
    pub ss: u8,
    /// DV, when present and not missing.
    pub dv: Option<f64>,
    /// Covariate values, in the order of [`Dataset::covariates`].
    pub covariates: Vec<Value>,
}

/// A parsed data set.
#[derive(Debug, Clone)]
pub struct Dataset {
    /// Where it came from (for messages).
    pub path: PathBuf,
    /// Covariate column names, as written.
    pub covariates: Vec<String>,
    /// Records, in file order, comments skipped.
    pub rows: Vec<Row>,
    /// Number of comment records skipped.
    pub skipped_comments: usize,
    /// Index of each standard column's header position (for messages).
    header: Vec<String>,
    item_columns: Vec<(Item, usize)>,
}

/// One individual: a contiguous run of rows with the same ID.
#[derive(Debug, Clone, Copy)]
pub struct Individual<'a> {
    /// Identifier as written.
    pub id: &'a str,
    /// Its rows.
    pub rows: &'a [Row],
}

impl Dataset {
    /// Reads and checks a data set from a CSV file.
    pub fn read(path: impl AsRef<Path>) -> Result<Dataset, DatasetError> {
        let path = path.as_ref();
        let bytes = std::fs::read(path).map_err(|source| DatasetError::Io { path: path.into(), source })?;
        let text = String::from_utf8(bytes).map_err(|e| {
            let valid = &e.as_bytes()[..e.utf8_error().valid_up_to()];
            DatasetError::Csv {
                path: path.into(),
                line: line_at(valid, valid.len()),
                message: "the file is not UTF-8 text (save it as UTF-8 CSV)".into(),
            }
        })?;
        Dataset::parse(&text, path)
    }

    /// Parses CSV text; `path` is used in messages only.
    pub fn parse(text: &str, path: &Path) -> Result<Dataset, DatasetError> {
        if text.trim().is_empty() {
            return Err(DatasetError::Header { path: path.into(), message: "the file is empty; expected a header line with at least ID and TIME, then one line per record".into() });
        }
        // Flexible: a blank line (spaces only) is skipped and a ragged record gets a message
        // of ours (see below), not the reader's.
        let mut reader = csv::ReaderBuilder::new().has_headers(true).flexible(true).trim(csv::Trim::All).from_reader(text.as_bytes());
        // Lines are counted from byte offsets: the csv reader's own line count is one short
        // per CRLF line ending.
        let csv_err = |e: csv::Error| DatasetError::Csv {
            path: path.into(),
            line: e.position().map_or(0, |p| line_at(text.as_bytes(), p.byte() as usize)),
            message: e.to_string(),
        };
        let header: Vec<String> = reader.headers().map_err(csv_err)?.iter().map(str::to_string).collect();
        let mut item_columns = Vec::new();
        let mut covariate_columns = Vec::new();
        for (i, name) in header.iter().enumerate() {
            match Item::from_header(name) {
                Some(item) if item_columns.iter().any(|&(it, _)| it == item) => {
                    return Err(DatasetError::Header { path: path.into(), message: format!("column {name} appears twice") });
                }
                Some(item) => item_columns.push((item, i)),
                None => covariate_columns.push(i),
            }
        }
        for required in [Item::Id, Item::Time] {
            if !item_columns.iter().any(|&(it, _)| it == required) {
                let label = if required == Item::Id { "ID" } else { "TIME" };
                return Err(DatasetError::Header {
                    path: path.into(),
                    message: format!("a column named {label} is required (columns found: {})", header.join(", ")),
                });
            }
        }
        let mut ds = Dataset {
            path: path.into(),
            covariates: covariate_columns.iter().map(|&i| header[i].clone()).collect(),
            rows: Vec::new(),
            skipped_comments: 0,
            header,
            item_columns,
        };
        let text_columns = text_covariates(text, &covariate_columns);
        let mut lines = LineCounter::new(text.as_bytes());
        for record in reader.records() {
            let record = record.map_err(csv_err)?;
            let line = record.position().map_or(0, |p| lines.line_at(p.byte() as usize));
            if record.iter().all(str::is_empty) {
                continue;
            }
            // A comment record is skipped whatever its fields (free text after the C).
            if let Some(&(_, c)) = ds.item_columns.iter().find(|(it, _)| *it == Item::Comment)
                && record.get(c).is_some_and(|v| v.starts_with('C') || v.starts_with('c'))
            {
                ds.skipped_comments += 1;
                continue;
            }
            if record.len() != ds.header.len() {
                return Err(DatasetError::Csv {
                    path: path.into(),
                    line,
                    message: format!("{} fields, but the header has {} columns ({})", record.len(), ds.header.len(), ds.header.join(",")),
                });
            }
            let row = ds.decode(&record, line, &covariate_columns, &text_columns)?;
            ds.rows.push(row);
        }
        if ds.rows.is_empty() {
            return Err(DatasetError::Header { path: path.into(), message: format!("no records after the header ({} comment records skipped); nothing to simulate", ds.skipped_comments) });
        }
        ds.check_order()?;
        Ok(ds)
    }

    fn cell_error(&self, line: u64, column: usize, message: String) -> DatasetError {
        DatasetError::Cell { path: self.path.clone(), line, column: column + 1, name: self.header[column].clone(), message }
    }

    fn decode(&self, record: &csv::StringRecord, line: u64, covariate_columns: &[usize], text_columns: &[bool]) -> Result<Row, DatasetError> {
        let get = |item: Item| self.item_columns.iter().find(|(it, _)| *it == item).map(|&(_, c)| c);
        let number = |item: Item| -> Result<Option<f64>, DatasetError> {
            let Some(c) = get(item) else { return Ok(None) };
            let cell = record.get(c).unwrap_or("");
            if is_missing(cell) {
                return Ok(None);
            }
            match cell.parse::<f64>() {
                Ok(v) if v.is_finite() => Ok(Some(v)),
                _ => Err(self.cell_error(line, c, format!("'{cell}' is not a number (use '.' for a missing value)"))),
            }
        };
        let integer = |item: Item, allowed: &str, ok: &dyn Fn(f64) -> bool| -> Result<f64, DatasetError> {
            let v = number(item)?.unwrap_or(0.0);
            if v.fract() != 0.0 || !ok(v) {
                let c = get(item).expect("present when non-zero");
                return Err(self.cell_error(line, c, format!("{v} is not valid; expected {allowed}")));
            }
            Ok(v)
        };
        let id_col = get(Item::Id).expect("checked");
        let id = record.get(id_col).unwrap_or("").to_string();
        if is_missing(&id) {
            return Err(self.cell_error(line, id_col, "every record needs an ID".into()));
        }
        let time = number(Item::Time)?.ok_or_else(|| self.cell_error(line, get(Item::Time).expect("checked"), "every record needs a TIME".into()))?;
        let amt = number(Item::Amt)?.unwrap_or(0.0);
        if amt < 0.0 {
            let c = get(Item::Amt).expect("non-zero");
            return Err(self.cell_error(line, c, format!("AMT = {amt} is negative; a dose amount must be >= 0 (other records take 0 or '.')")));
        }
        let evid = match get(Item::Evid) {
            Some(_) => integer(Item::Evid, "EVID 0 (observation), 1 (dose), 2 (other), 3 (reset) or 4 (reset and dose)", &|v| (0.0..=4.0).contains(&v))? as u8,
            // As NONMEM without an EVID item: a dose where AMT > 0, else an observation,
            // or an other-type event where MDV = 1.
            None if amt > 0.0 => 1,
            None if integer(Item::Mdv, "MDV 0 or 1", &|v| v == 0.0 || v == 1.0)? == 1.0 => 2,
            None => 0,
        };
        let is_dose = matches!(evid, 1 | 4);
        let cmt = integer(Item::Cmt, "a compartment number >= 1 (or '.' for the default)", &|v| v >= 0.0)? as u32;
        let rate = number(Item::Rate)?.unwrap_or(0.0);
        if is_dose && !(rate >= 0.0 || rate == -1.0 || rate == -2.0) {
            let c = get(Item::Rate).expect("non-zero");
            return Err(self.cell_error(line, c, format!("RATE = {rate} is not valid; expected 0 (bolus), > 0 (rate), -1 (modeled rate) or -2 (modeled duration)")));
        }
        let ii = number(Item::Ii)?.unwrap_or(0.0);
        if ii < 0.0 {
            let c = get(Item::Ii).expect("non-zero");
            return Err(self.cell_error(line, c, format!("II = {ii} is negative")));
        }
        let addl = integer(Item::Addl, "a whole number from 0 to 4294967295", &|v| v >= 0.0 && v <= f64::from(u32::MAX))? as u32;
        let ss = integer(Item::Ss, "SS 0, 1 or 2", &|v| (0.0..=2.0).contains(&v))? as u8;
        if is_dose && addl > 0 && ii <= 0.0 {
            let c = get(Item::Addl).expect("non-zero");
            return Err(self.cell_error(line, c, format!("ADDL = {addl} needs an interval II > 0")));
        }
        if is_dose && ss > 0 && ii <= 0.0 && !(amt == 0.0 && rate >= 0.0) {
            let c = get(Item::Ss).expect("non-zero");
            return Err(self.cell_error(line, c, "SS needs an interval II > 0 (only a constant infusion, AMT = 0 with RATE, has II = 0)".into()));
        }
        let dv = number(Item::Dv)?;
        let covariates = covariate_columns
            .iter()
            .zip(text_columns)
            .map(|(&c, &is_text)| {
                let cell = record.get(c).unwrap_or("");
                if is_missing(cell) {
                    Value::Missing
                } else if is_text {
                    Value::from(cell)
                } else {
                    Value::Num(cell.parse().expect("numeric column checked"))
                }
            })
            .collect();
        Ok(Row { line, id, time, evid, amt, cmt, rate, ii, addl, ss, dv, covariates })
    }

    fn check_order(&self) -> Result<(), DatasetError> {
        let time_col = self.item_columns.iter().find(|(it, _)| *it == Item::Time).map(|&(_, c)| c).expect("checked");
        for pair in self.rows.windows(2) {
            if pair[0].id == pair[1].id && pair[1].time < pair[0].time {
                return Err(self.cell_error(
                    pair[1].line,
                    time_col,
                    format!(
                        "time goes backwards within ID {} ({} after {} on line {}); sort each individual's records by time",
                        pair[1].id, pair[1].time, pair[0].time, pair[0].line
                    ),
                ));
            }
        }
        Ok(())
    }

    /// The individuals, in file order.
    pub fn individuals(&self) -> Vec<Individual<'_>> {
        let mut out = Vec::new();
        let mut start = 0;
        for i in 1..=self.rows.len() {
            if i == self.rows.len() || self.rows[i].id != self.rows[start].id {
                out.push(Individual { id: &self.rows[start].id, rows: &self.rows[start..i] });
                start = i;
            }
        }
        out
    }

    /// Index of a covariate column by name (case-insensitive).
    pub fn covariate_index(&self, name: &str) -> Option<usize> {
        self.covariates.iter().position(|c| c.eq_ignore_ascii_case(name))
    }

    /// 1-based column of a covariate, for messages.
    pub fn covariate_column(&self, index: usize) -> usize {
        self.header.iter().position(|h| h == &self.covariates[index]).map_or(0, |c| c + 1)
    }

    /// 1-based column of a standard item by its name (ID, TIME, CMT, RATE…), for messages.
    pub fn item_column(&self, name: &str) -> Option<usize> {
        let item = Item::from_header(name)?;
        self.item_columns.iter().find(|(it, _)| *it == item).map(|&(_, c)| c + 1)
    }
}

/// The 1-based line of the record the csv reader places at byte `offset` of `bytes`: its
/// first character not a line end or blank (the reader's record positions can sit on the
/// LF of a CRLF or on blank lines before the record).
fn line_at(bytes: &[u8], offset: usize) -> u64 {
    let start = record_start(bytes, offset);
    1 + bytes[..start].iter().filter(|&&b| b == b'\n').count() as u64
}

/// The first byte at or after `offset` that is not a line end, space or tab.
fn record_start(bytes: &[u8], offset: usize) -> usize {
    let offset = offset.min(bytes.len());
    offset + bytes[offset..].iter().take_while(|b| matches!(b, b'\r' | b'\n' | b' ' | b'\t')).count()
}

/// [`line_at`] for increasing offsets, counting each byte once.
struct LineCounter<'a> {
    bytes: &'a [u8],
    offset: usize,
    line: u64,
}

impl<'a> LineCounter<'a> {
    fn new(bytes: &'a [u8]) -> Self {
        LineCounter { bytes, offset: 0, line: 1 }
    }

    fn line_at(&mut self, offset: usize) -> u64 {
        let offset = record_start(self.bytes, offset);
        if offset < self.offset {
            return line_at(self.bytes, offset);
        }
        self.line += self.bytes[self.offset..offset].iter().filter(|&&b| b == b'\n').count() as u64;
        self.offset = offset;
        self.line
    }
}

fn is_missing(cell: &str) -> bool {
    cell.is_empty() || cell == "."
}

/// For each covariate column, whether any of its (non-missing) cells is not a number.
fn text_covariates(text: &str, covariate_columns: &[usize]) -> Vec<bool> {
    let mut is_text = vec![false; covariate_columns.len()];
    let mut reader = csv::ReaderBuilder::new().has_headers(true).trim(csv::Trim::All).from_reader(text.as_bytes());
    for record in reader.records().flatten() {
        for (k, &c) in covariate_columns.iter().enumerate() {
            let cell = record.get(c).unwrap_or("");
            if !is_text[k] && !is_missing(cell) && cell.parse::<f64>().is_err() {
                is_text[k] = true;
            }
        }
    }
    is_text
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<Dataset, DatasetError> {
        Dataset::parse(text, Path::new("data.csv"))
    }

    #[test]
    fn reads_standard_items_case_insensitively_and_keeps_covariates() {
        let ds = parse("C,id,Time,evid,amt,cmt,WT,SEX\n.,1,0,1,100,1,70.5,F\nC,1,1,0,.,2,70.5,F\n.,1,2,0,.,2,.,M\n").unwrap();
        assert_eq!(ds.rows.len(), 2);
        assert_eq!(ds.skipped_comments, 1);
        assert_eq!(ds.covariates, ["WT", "SEX"]);
        assert_eq!(ds.rows[0].amt, 100.0);
        assert_eq!(ds.rows[1].covariates[0], Value::Missing);
        assert_eq!(ds.rows[1].covariates[1], Value::from("M"));
        assert_eq!(ds.rows[1].line, 4);
    }

    #[test]
    fn evid_defaults_from_amt() {
        let ds = parse("ID,TIME,AMT\n1,0,50\n1,1,0\n").unwrap();
        assert_eq!((ds.rows[0].evid, ds.rows[1].evid), (1, 0));
        // As NONMEM: MDV = 1 without a dose is an other-type event.
        let ds = parse("ID,TIME,AMT,MDV\n1,0,50,1\n1,1,0,1\n1,2,.,0\n").unwrap();
        assert_eq!([ds.rows[0].evid, ds.rows[1].evid, ds.rows[2].evid], [1, 2, 0]);
    }

    #[test]
    fn lines_are_counted_the_same_with_crlf_line_ends() {
        for end in ["\n", "\r\n"] {
            let text = ["ID,TIME,AMT", "1,0,100", "1,1,.", "1,2,x"].join(end) + end;
            assert!(message(&text).starts_with("data.csv:4: column 3 (AMT)"), "{end:?}: {}", message(&text));
            let ds = parse(&text.replace(",x", ",.")).unwrap();
            assert_eq!(ds.rows.iter().map(|r| r.line).collect::<Vec<_>>(), [2, 3, 4], "{end:?}");
        }
    }

    #[test]
    fn blank_lines_are_skipped_and_ragged_records_named() {
        let ds = parse("ID,TIME,AMT\n1,0,100\n   \n\n1,1,.\n").unwrap();
        assert_eq!(ds.rows.iter().map(|r| r.line).collect::<Vec<_>>(), [2, 5]);
        assert!(message("ID,TIME,AMT\n1,0,100\n1,1\n").starts_with("data.csv:3: 2 fields, but the header has 3 columns"), "{}", message("ID,TIME,AMT\n1,0,100\n1,1\n"));
        // Comment records may be free text.
        let ds = parse("C,ID,TIME,AMT\nC dose records follow\n.,1,0,100\n").unwrap();
        assert_eq!((ds.rows.len(), ds.skipped_comments), (1, 1));
    }

    #[test]
    fn empty_files_and_files_without_records_are_errors() {
        assert!(message("").contains("the file is empty"), "{}", message(""));
        assert!(message("ID,TIME,AMT\n").contains("no records after the header"), "{}", message("ID,TIME,AMT\n"));
        assert!(message("C,ID,TIME\nC,1,0\n").contains("1 comment records skipped"));
    }

    #[test]
    fn negative_amounts_are_errors_with_or_without_evid() {
        assert!(message("ID,TIME,AMT\n1,0,-100\n").contains("data.csv:2: column 3 (AMT): AMT = -100 is negative"));
        assert!(message("ID,TIME,EVID,AMT\n1,0,0,-1\n").contains("AMT = -1 is negative"));
    }

    #[test]
    fn text_that_is_not_utf8_names_its_line() {
        let dir = std::env::temp_dir().join(format!("vtrial-dataset-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("latin1.csv");
        std::fs::write(&path, b"ID,TIME,SITE\n1,0,A\n1,1,M\xfcnchen\n").unwrap();
        let err = Dataset::read(&path).unwrap_err().to_string();
        assert!(err.contains("latin1.csv:3:") && err.contains("not UTF-8"), "{err}");
        std::fs::remove_dir_all(&dir).unwrap();
    }

    fn message(text: &str) -> String {
        parse(text).unwrap_err().to_string()
    }

    #[test]
    fn bad_cells_name_line_column_and_what_is_valid() {
        assert_eq!(message("ID,TIME,AMT\n1,0,abc\n"), "data.csv:2: column 3 (AMT): 'abc' is not a number (use '.' for a missing value)");
        assert!(message("ID,TIME,EVID,AMT\n1,0,1,-5\n").contains("data.csv:2: column 4 (AMT): AMT = -5 is negative"));
        assert!(message("ID,TIME,EVID\n1,0,7\n").contains("column 3 (EVID): 7 is not valid; expected EVID 0"));
        assert!(message("ID,TIME,EVID,AMT,SS\n1,0,1,100,1\n").contains("column 5 (SS): SS needs an interval II > 0"));
        assert!(message("ID,TIME\n1,5\n1,4\n").contains("data.csv:3: column 2 (TIME): time goes backwards within ID 1 (4 after 5 on line 2)"));
        assert!(message("ID,TIME,EVID,AMT,RATE\n1,0,1,10,-3\n").contains("RATE = -3 is not valid"));
        assert!(message("TIME,AMT\n0,1\n").contains("data.csv:1: a column named ID is required (columns found: TIME, AMT)"));
        assert!(message("ID,TIME,AMT\n1,0\n").starts_with("data.csv:2:"));
    }

    #[test]
    fn individuals_split_where_id_changes() {
        let ds = parse("ID,TIME\n1,0\n1,1\n2,0\n1,0\n").unwrap();
        let ids: Vec<(&str, usize)> = ds.individuals().iter().map(|i| (i.id, i.rows.len())).collect();
        assert_eq!(ids, [("1", 2), ("2", 1), ("1", 1)]);
    }
}
