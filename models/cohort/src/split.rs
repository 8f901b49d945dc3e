//! Carving a holdout from a data file: a seeded random split that copies rows verbatim.

use std::path::Path;

use rand::seq::SliceRandom;

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
/// holdout, chosen by `seed`. Rows keep their order and their text.
pub fn split_file(
    data: &Path,
    fraction: f64,
    seed: u64,
    train_out: &Path,
    holdout_out: &Path,
) -> Result<SplitCounts, CohortError> {
    if !(0.0..1.0).contains(&fraction) {
        return Err(CohortError::Invalid(format!("holdout fraction {fraction} is not in [0, 1)")));
    }
    let io = |p: &Path, e: std::io::Error| CohortError::Io { path: p.display().to_string(), source: e };
    let csv_err = |e: csv::Error| CohortError::Csv {
        source_name: data.display().to_string(),
        line: e.position().map_or(0, |p| p.line()),
        message: e.to_string(),
    };
    let mut rdr = csv::ReaderBuilder::new().from_path(data).map_err(csv_err)?;
    let header = rdr.byte_headers().map_err(csv_err)?.clone();
    let records: Vec<csv::ByteRecord> = rdr.byte_records().collect::<Result<_, _>>().map_err(csv_err)?;
    let mut idx: Vec<usize> = (0..records.len()).collect();
    idx.shuffle(&mut stream(seed, Purpose::HoldoutSplit, 0));
    let n_hold = (records.len() as f64 * fraction).round() as usize;
    let mut is_hold = vec![false; records.len()];
    for &i in &idx[..n_hold] {
        is_hold[i] = true;
    }
    let mut wt = csv::Writer::from_path(train_out).map_err(|e| io(train_out, e.into()))?;
    let mut wh = csv::Writer::from_path(holdout_out).map_err(|e| io(holdout_out, e.into()))?;
    wt.write_byte_record(&header).map_err(|e| io(train_out, e.into()))?;
    wh.write_byte_record(&header).map_err(|e| io(holdout_out, e.into()))?;
    for (i, r) in records.iter().enumerate() {
        if is_hold[i] {
            wh.write_byte_record(r).map_err(|e| io(holdout_out, e.into()))?;
        } else {
            wt.write_byte_record(r).map_err(|e| io(train_out, e.into()))?;
        }
    }
    wt.flush().map_err(|e| io(train_out, e))?;
    wh.flush().map_err(|e| io(holdout_out, e))?;
    Ok(SplitCounts { train: records.len() - n_hold, holdout: n_hold })
}
