//! Carving a holdout from a data file: a seeded random split that keeps each row's fields.

use std::path::Path;

use rand::seq::SliceRandom;

use crate::data::LineCounter;
use crate::error::CohortError;
use crate::rng::{Purpose, stream};

/// Counts of a split.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SplitCounts {
    /// Rows written to the training part.
    pub train: usize,
    /// Rows written to the holdout.
    pub holdout: usize,
}

/// Splits `data` into `train_out` and `holdout_out`, `fraction` of the rows (rounded) to the
/// holdout, chosen by `seed`. Rows keep their order and their fields; they are written back
/// as CSV, so line ends become LF, a byte-order mark is dropped and quotes are kept only where
/// a field needs them. A file without data rows is an error. Both parts are written to
/// temporary files next to their targets and renamed into place only when both were written,
/// so a failure leaves neither behind.
pub fn split_file(
    data: &Path,
    fraction: f64,
    seed: u64,
    train_out: &Path,
    holdout_out: &Path,
) -> Result<SplitCounts, CohortError> {
    if !(fraction > 0.0 && fraction < 1.0) {
        return Err(CohortError::Invalid(format!("holdout fraction {fraction} is not in (0, 1), e.g. 0.3")));
    }
    let io = |p: &Path, e: std::io::Error| CohortError::Io { path: p.display().to_string(), source: e };
    // The output directories exist, before any work.
    for out in [train_out, holdout_out] {
        let dir = match out.parent() {
            Some(d) if !d.as_os_str().is_empty() => d,
            _ => Path::new("."),
        };
        if !dir.is_dir() {
            return Err(io(out, std::io::Error::new(std::io::ErrorKind::NotFound, format!("directory {} does not exist", dir.display()))));
        }
    }
    let bytes = std::fs::read(data).map_err(|e| io(data, e))?;
    let lines = std::cell::RefCell::new(LineCounter::new(&bytes));
    let csv_err = |e: csv::Error| CohortError::Csv {
        source_name: data.display().to_string(),
        line: e.position().map_or(0, |p| lines.borrow_mut().line_at(p.byte())),
        message: e.to_string(),
    };
    let no_rows = |message: &str| CohortError::Csv { source_name: data.display().to_string(), line: 1, message: message.into() };
    let mut rdr = csv::ReaderBuilder::new().from_reader(&bytes[..]);
    let header = rdr.byte_headers().map_err(csv_err)?.clone();
    if header.is_empty() || bytes.iter().all(|b| b.is_ascii_whitespace()) {
        return Err(no_rows("no header row (the file is empty)"));
    }
    let records: Vec<csv::ByteRecord> = rdr.byte_records().collect::<Result<_, _>>().map_err(csv_err)?;
    if records.is_empty() {
        return Err(no_rows("the file has a header but no data rows: nothing to split"));
    }
    let mut idx: Vec<usize> = (0..records.len()).collect();
    idx.shuffle(&mut stream(seed, Purpose::HoldoutSplit, 0));
    let n_hold = (records.len() as f64 * fraction).round() as usize;
    if n_hold == 0 || n_hold == records.len() {
        return Err(no_rows(&format!(
            "a holdout fraction of {fraction} of {} rows leaves one part without rows",
            records.len()
        )));
    }
    let mut is_hold = vec![false; records.len()];
    for &i in &idx[..n_hold] {
        is_hold[i] = true;
    }
    let tmp_of = |p: &Path| {
        let name = p.file_name().map_or_else(|| "split".into(), |n| n.to_string_lossy().into_owned());
        p.with_file_name(format!(".{name}.partial-{}", std::process::id()))
    };
    let (tt, th) = (tmp_of(train_out), tmp_of(holdout_out));
    let write = |path: &Path, tmp: &Path, hold: bool| -> Result<(), CohortError> {
        let mut w = csv::Writer::from_path(tmp).map_err(|e| io(path, e.into()))?;
        w.write_byte_record(&header).map_err(|e| io(path, e.into()))?;
        for (i, r) in records.iter().enumerate() {
            if is_hold[i] == hold {
                w.write_byte_record(r).map_err(|e| io(path, e.into()))?;
            }
        }
        w.flush().map_err(|e| io(path, e))
    };
    let written = write(train_out, &tt, false)
        .and_then(|()| write(holdout_out, &th, true))
        .and_then(|()| std::fs::rename(&tt, train_out).map_err(|e| io(train_out, e)))
        .and_then(|()| {
            std::fs::rename(&th, holdout_out).map_err(|e| {
                let _ = std::fs::remove_file(train_out);
                io(holdout_out, e)
            })
        });
    if written.is_err() {
        let _ = std::fs::remove_file(&tt);
        let _ = std::fs::remove_file(&th);
    }
    written?;
    Ok(SplitCounts { train: records.len() - n_hold, holdout: n_hold })
}
