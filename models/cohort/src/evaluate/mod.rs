//! Evaluation of a synthetic table against real data (see the submodules for each metric).

mod align;
pub mod detection;
pub mod ks;
pub mod privacy;
mod report;

use std::path::Path;

use serde::Serialize;

use crate::data::{RawTable, ReadOptions, read_csv_with};
use crate::error::CohortError;
use align::{categorical_flags, check_types, numeric, text_levels, to_training_names};

/// Per-column marginal fidelity.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ColumnFidelity {
    /// Column (training-file name).
    pub name: String,
    /// "ks" (continuous) or "tv" (categorical).
    pub metric: String,
    /// Its value; `None` (null in JSON) when one table has no value in the column (then the
    /// statistic is undefined and the column is left out of the means; see `note`).
    pub value: Option<f64>,
    /// |missing share real − synthetic|.
    pub missing_diff: f64,
    /// Why `value` is not computed.
    pub note: Option<String>,
}

/// The whole evaluation.
///
/// A figure that cannot be computed from the inputs (too few rows, no column of its kind) is
/// NaN here, `null` in JSON and "not computed" in the text report, with the reason in
/// `not_computed`: never a number that only looks ideal.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Evaluation {
    /// Real rows.
    pub real_rows: usize,
    /// Synthetic rows.
    pub synthetic_rows: usize,
    /// Columns compared.
    pub columns: Vec<ColumnFidelity>,
    /// Mean KS over continuous columns (NaN when none has values in both tables).
    pub ks_mean: f64,
    /// Max KS over continuous columns (NaN when none).
    pub ks_max: f64,
    /// Mean TV over categorical columns (NaN when none has values in both tables).
    pub tv_mean: f64,
    /// Max TV over categorical columns (NaN when none).
    pub tv_max: f64,
    /// Mean |Δρ| (Spearman) over the column pairs with at least
    /// [`ks::MIN_SPEARMAN_ROWS`] pairwise-complete rows in both tables (NaN when none).
    pub spearman_mean_abs_diff: f64,
    /// Largest |Δρ| and its pair (`None` when no pair is computed).
    pub spearman_max_abs_diff: Option<(f64, String)>,
    /// Cross-validated detection AUC (GBDT), mean over `repeats` subsamples (NaN when either
    /// table has fewer than [`detection::min_rows_per_class`] rows).
    pub detection_auc: f64,
    /// Privacy (when training rows were given).
    pub privacy: Option<privacy::Privacy>,
    /// Real columns (not excluded) left out because the synthetic table (or the training
    /// rows) lack them: the figures above do not cover these.
    pub real_columns_not_compared: Vec<String>,
    /// Figures not computed, each with the reason (`figure: reason`).
    pub not_computed: Vec<String>,
}

/// Options of [`evaluate_files`].
#[derive(Debug, Clone)]
pub struct EvalOptions {
    /// Columns to ignore (identifiers).
    pub exclude: Vec<String>,
    /// Cross-validation folds of the detection test.
    pub folds: usize,
    /// Seed of subsampling and folds.
    pub seed: u64,
    /// Most synthetic rows used for privacy.
    pub privacy_rows: usize,
    /// Detection AUC is averaged over this many seeded subsamples/fold assignments.
    pub repeats: usize,
}

impl Default for EvalOptions {
    fn default() -> Self {
        EvalOptions { exclude: vec!["seqn".into(), "id".into(), "row".into()], folds: 5, seed: 1, privacy_rows: 2000, repeats: 5 }
    }
}

/// Evaluates tables already loaded (record names are mapped back to training names first).
pub fn evaluate_tables(
    mut real: RawTable,
    mut syn: RawTable,
    train: Option<RawTable>,
    opt: &EvalOptions,
) -> Result<Evaluation, CohortError> {
    let mut train = train;
    match train.as_mut() {
        Some(t) => to_training_names(&mut [&mut real, &mut syn, t]),
        None => to_training_names(&mut [&mut real, &mut syn]),
    }
    let names: Vec<String> = real
        .names
        .iter()
        .filter(|n| !opt.exclude.contains(n) && syn.index(n).is_some())
        .filter(|n| train.as_ref().is_none_or(|t| t.index(n).is_some()))
        .cloned()
        .collect();
    let real_columns_not_compared: Vec<String> =
        real.names.iter().filter(|n| !opt.exclude.contains(n) && !names.contains(n)).cloned().collect();
    if names.is_empty() {
        return Err(CohortError::Invalid(format!(
            "{} and {} have no column in common (real: {}; synthetic: {})",
            real.source,
            syn.source,
            real.names.join(", "),
            syn.names.join(", ")
        )));
    }
    let mut all: Vec<&RawTable> = vec![&real, &syn];
    all.extend(train.as_ref());
    check_types(&names, &all)?;
    // Real first (its figures are the reference), then the training rows, then the synthetic.
    let mut order: Vec<&RawTable> = vec![&real];
    order.extend(train.as_ref());
    order.push(&syn);
    let categorical = categorical_flags(&names, &order)?;
    let levels = text_levels(&names, &real, &order[1..]);
    let r = numeric(&real, &names, &levels);
    let s = numeric(&syn, &names, &levels);
    let mut not_computed = Vec::new();
    let mut columns = Vec::new();
    for (i, n) in names.iter().enumerate() {
        let miss = |c: &[f64]| c.iter().filter(|x| x.is_nan()).count() as f64 / c.len().max(1) as f64;
        let empty = |c: &[f64]| c.iter().all(|x| x.is_nan());
        let metric = if categorical[i] { "tv" } else { "ks" };
        let (value, note) = match (empty(&r.cols[i]), empty(&s.cols[i])) {
            (false, false) => (
                Some(if categorical[i] {
                    ks::total_variation(&r.cols[i], &s.cols[i])
                } else {
                    ks::ks_statistic(&r.cols[i], &s.cols[i])
                }),
                None,
            ),
            (re, se) => {
                let which = match (re, se) {
                    (true, true) => "either file".to_string(),
                    (true, false) => real.source.clone(),
                    _ => syn.source.clone(),
                };
                (None, Some(format!("all missing in {which}: {} not computed, left out of the means", metric.to_uppercase())))
            }
        };
        columns.push(ColumnFidelity {
            name: n.clone(),
            metric: metric.into(),
            value,
            missing_diff: (miss(&r.cols[i]) - miss(&s.cols[i])).abs(),
            note,
        });
    }
    let mut stat = |m: &str, what: &str| {
        let v: Vec<f64> = columns.iter().filter(|c| c.metric == m).filter_map(|c| c.value).collect();
        if v.is_empty() {
            not_computed.push(format!("{}: no {what} column has values in both files", m.to_uppercase()));
            (f64::NAN, f64::NAN)
        } else {
            (v.iter().sum::<f64>() / v.len() as f64, v.iter().copied().fold(0.0, f64::max))
        }
    };
    let (ks_mean, ks_max) = stat("ks", "continuous");
    let (tv_mean, tv_max) = stat("tv", "categorical");
    let (sp_mean, sp_max) = match ks::mean_abs_spearman_diff(&r.cols, &s.cols, &names) {
        Ok(d) => {
            if d.skipped > 0 {
                not_computed.push(format!(
                    "Spearman: {} of {} column pairs left out (fewer than {} rows with both present in a file)",
                    d.skipped,
                    d.skipped + d.pairs,
                    ks::MIN_SPEARMAN_ROWS
                ));
            }
            (d.mean, Some((d.max, d.pair)))
        }
        Err(skipped) => {
            not_computed.push(if names.len() < 2 {
                "Spearman: needs at least two columns".to_string()
            } else {
                format!(
                    "Spearman: none of the {skipped} column pairs has {} rows with both present in both files",
                    ks::MIN_SPEARMAN_ROWS
                )
            });
            (f64::NAN, None)
        }
    };
    let gbt = detection::GbtConfig::default();
    let need = detection::min_rows_per_class(opt.folds, &gbt);
    let auc = if r.n.min(s.n) < need {
        not_computed.push(if opt.folds < 2 {
            format!("detection AUC: needs at least 2 cross-validation folds ({} given)", opt.folds)
        } else {
            format!(
                "detection AUC: needs at least {need} rows in each file for {}-fold cross-validation (real {}, synthetic {})",
                opt.folds, r.n, s.n
            )
        });
        f64::NAN
    } else {
        let reps = opt.repeats.max(1);
        (0..reps).map(|k| detection::detection_auc(&r.cols, &s.cols, opt.folds, opt.seed + k as u64, &gbt)).sum::<f64>()
            / reps as f64
    };
    let privacy = train.as_ref().and_then(|t| {
        let tn = numeric(t, &names, &levels);
        if r.n.min(s.n).min(tn.n) < privacy::MIN_ROWS {
            not_computed.push(format!(
                "privacy: needs at least {} rows in each of the real, synthetic and training files (real {}, synthetic {}, training {})",
                privacy::MIN_ROWS,
                r.n,
                s.n,
                tn.n
            ));
            return None;
        }
        let metric = privacy::Metric::from_train(&tn.cols, &categorical);
        Some(privacy::privacy(&s.cols, &tn.cols, &r.cols, &metric, opt.privacy_rows, opt.seed))
    });
    Ok(Evaluation {
        real_columns_not_compared,
        real_rows: r.n,
        synthetic_rows: s.n,
        columns,
        ks_mean,
        ks_max,
        tv_mean,
        tv_max,
        spearman_mean_abs_diff: sp_mean,
        spearman_max_abs_diff: sp_max,
        detection_auc: auc,
        privacy,
        not_computed,
    })
}

/// The columns two tables share (record names mapped back to training names), as numeric
/// column-major matrices (text labels as level indices of the real table, NaN missing).
///
/// # Panics
/// When a column holds numbers in one table and text in the other (see [`evaluate_tables`],
/// which returns that as an error).
pub fn aligned(mut real: RawTable, mut syn: RawTable, exclude: &[String]) -> (Vec<String>, Vec<Vec<f64>>, Vec<Vec<f64>>) {
    to_training_names(&mut [&mut real, &mut syn]);
    let names: Vec<String> =
        real.names.iter().filter(|n| !exclude.contains(n) && syn.index(n).is_some()).cloned().collect();
    if let Err(e) = check_types(&names, &[&real, &syn]) {
        panic!("{e}");
    }
    let levels = text_levels(&names, &real, &[&syn]);
    let r = numeric(&real, &names, &levels);
    let s = numeric(&syn, &names, &levels);
    (names, r.cols, s.cols)
}

/// Reads the files and evaluates (`train` enables the privacy figures). Columns that are all
/// missing are read (see [`ReadOptions::allow_all_missing`]).
pub fn evaluate_files(real: &Path, syn: &Path, train: Option<&Path>, opt: &EvalOptions) -> Result<Evaluation, CohortError> {
    let ro = ReadOptions { allow_all_missing: true };
    let r = read_csv_with(real, &ro)?;
    let s = read_csv_with(syn, &ro)?;
    let t = train.map(|p| read_csv_with(p, &ro)).transpose()?;
    evaluate_tables(r, s, t, opt)
}
