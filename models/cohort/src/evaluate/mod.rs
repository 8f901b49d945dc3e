//! Evaluation of a synthetic table against real data (see the submodules for each metric).

pub mod detection;
pub mod ks;
pub mod privacy;

use std::path::Path;

use serde::Serialize;

use crate::data::{RawColumn, RawTable, read_csv};
use crate::error::CohortError;
use crate::schema::record_for_name;
use crate::transform::{ColumnTransform, TransformOptions};

/// Per-column marginal fidelity.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ColumnFidelity {
    /// Column (training-file name).
    pub name: String,
    /// "ks" (continuous) or "tv" (categorical).
    pub metric: String,
    /// Its value.
    pub value: f64,
    /// |missing share real − synthetic|.
    pub missing_diff: f64,
}

/// The whole evaluation.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Evaluation {
    /// Real rows.
    pub real_rows: usize,
    /// Synthetic rows.
    pub synthetic_rows: usize,
    /// Columns compared.
    pub columns: Vec<ColumnFidelity>,
    /// Mean KS over continuous columns.
    pub ks_mean: f64,
    /// Max KS over continuous columns.
    pub ks_max: f64,
    /// Mean TV over categorical columns.
    pub tv_mean: f64,
    /// Max TV over categorical columns.
    pub tv_max: f64,
    /// Mean |Δρ| (Spearman) over column pairs.
    pub spearman_mean_abs_diff: f64,
    /// Largest |Δρ| and its pair.
    pub spearman_max_abs_diff: (f64, String),
    /// Cross-validated detection AUC (GBDT), mean over `repeats` subsamples.
    pub detection_auc: f64,
    /// Privacy (when training rows were given).
    pub privacy: Option<privacy::Privacy>,
    /// Real columns (not excluded) left out because the synthetic table (or the training
    /// rows) lack them: the figures above do not cover these.
    pub real_columns_not_compared: Vec<String>,
}

/// A table as numeric columns over a fixed column list.
struct NumTable {
    cols: Vec<Vec<f64>>,
    n: usize,
}

/// Maps record names/labels back to training names/codes (e.g. `height` → `ht`, 'F' → 1).
fn to_training_names(t: &mut RawTable) {
    for j in 0..t.names.len() {
        let Some(rec) = record_for_name(&t.names[j]) else { continue };
        if t.names.iter().any(|n| n == rec.source && rec.source != rec.name) {
            continue;
        }
        t.names[j] = rec.source.to_string();
        if !rec.labels.is_empty()
            && let RawColumn::Text { values } = &t.columns[j]
        {
            let mapped = values
                .iter()
                .map(|v| v.as_ref().and_then(|s| rec.labels.iter().find(|(_, l)| l == s).map(|(c, _)| *c)))
                .collect();
            t.columns[j] = RawColumn::Numeric { values: mapped, decimals: 0 };
        }
    }
}

fn numeric(t: &RawTable, names: &[String], text_levels: &[Option<Vec<String>>]) -> NumTable {
    let cols = names
        .iter()
        .zip(text_levels)
        .map(|(n, lv)| {
            let j = t.index(n).expect("common column");
            match &t.columns[j] {
                RawColumn::Numeric { values, .. } => values.iter().map(|v| v.unwrap_or(f64::NAN)).collect(),
                RawColumn::Text { values } => values
                    .iter()
                    .map(|v| {
                        v.as_ref()
                            .and_then(|s| lv.as_ref().and_then(|l| l.iter().position(|x| x == s)))
                            .map_or(f64::NAN, |p| p as f64)
                    })
                    .collect(),
            }
        })
        .collect();
    NumTable { cols, n: t.n_rows() }
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
    to_training_names(&mut real);
    to_training_names(&mut syn);
    let mut train = train;
    if let Some(t) = train.as_mut() {
        to_training_names(t);
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
    let topt = TransformOptions::default();
    let mut categorical = Vec::new();
    let mut levels = Vec::new();
    for n in &names {
        let j = real.index(n).expect("present");
        let t = ColumnTransform::fit(n, &real.columns[j], &topt).map_err(|reason| CohortError::UnusableColumn {
            source_name: real.source.clone(),
            column: n.clone(),
            column_number: j + 1,
            reason,
        })?;
        categorical.push(!t.is_continuous());
        levels.push(t.text_levels());
    }
    let r = numeric(&real, &names, &levels);
    let s = numeric(&syn, &names, &levels);
    let mut columns = Vec::new();
    for (i, n) in names.iter().enumerate() {
        let miss = |c: &[f64]| c.iter().filter(|x| x.is_nan()).count() as f64 / c.len().max(1) as f64;
        let (metric, value) = if categorical[i] {
            ("tv", ks::total_variation(&r.cols[i], &s.cols[i]))
        } else {
            ("ks", ks::ks_statistic(&r.cols[i], &s.cols[i]))
        };
        columns.push(ColumnFidelity {
            name: n.clone(),
            metric: metric.into(),
            value,
            missing_diff: (miss(&r.cols[i]) - miss(&s.cols[i])).abs(),
        });
    }
    let stat = |m: &str| {
        let v: Vec<f64> = columns.iter().filter(|c| c.metric == m).map(|c| c.value).collect();
        if v.is_empty() { (0.0, 0.0) } else { (v.iter().sum::<f64>() / v.len() as f64, v.iter().copied().fold(0.0, f64::max)) }
    };
    let (ks_mean, ks_max) = stat("ks");
    let (tv_mean, tv_max) = stat("tv");
    let (sp_mean, sp_max, sp_pair) = ks::mean_abs_spearman_diff(&r.cols, &s.cols, &names);
    let reps = opt.repeats.max(1);
    let auc = (0..reps)
        .map(|k| detection::detection_auc(&r.cols, &s.cols, opt.folds, opt.seed + k as u64, &detection::GbtConfig::default()))
        .sum::<f64>()
        / reps as f64;
    let privacy = train.as_ref().map(|t| {
        let tn = numeric(t, &names, &levels);
        let metric = privacy::Metric::from_train(&tn.cols, &categorical);
        privacy::privacy(&s.cols, &tn.cols, &r.cols, &metric, opt.privacy_rows, opt.seed)
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
        spearman_max_abs_diff: (sp_max, sp_pair),
        detection_auc: auc,
        privacy,
    })
}

/// The columns two tables share (record names mapped back to training names), as numeric
/// column-major matrices (text labels as level indices of the real table, NaN missing).
pub fn aligned(mut real: RawTable, mut syn: RawTable, exclude: &[String]) -> (Vec<String>, Vec<Vec<f64>>, Vec<Vec<f64>>) {
    to_training_names(&mut real);
    to_training_names(&mut syn);
    let names: Vec<String> =
        real.names.iter().filter(|n| !exclude.contains(n) && syn.index(n).is_some()).cloned().collect();
    let topt = TransformOptions::default();
    let levels: Vec<Option<Vec<String>>> = names
        .iter()
        .map(|n| {
            let j = real.index(n).expect("present");
            ColumnTransform::fit(n, &real.columns[j], &topt).ok().and_then(|t| t.text_levels())
        })
        .collect();
    let r = numeric(&real, &names, &levels);
    let s = numeric(&syn, &names, &levels);
    (names, r.cols, s.cols)
}

/// Reads the files and evaluates (`train` enables the privacy figures).
pub fn evaluate_files(real: &Path, syn: &Path, train: Option<&Path>, opt: &EvalOptions) -> Result<Evaluation, CohortError> {
    let r = read_csv(real)?;
    let s = read_csv(syn)?;
    let t = train.map(read_csv).transpose()?;
    evaluate_tables(r, s, t, opt)
}

impl Evaluation {
    /// A plain-text report.
    pub fn to_text(&self) -> String {
        use std::fmt::Write;
        let mut o = String::new();
        let _ = writeln!(o, "real rows {}, synthetic rows {}", self.real_rows, self.synthetic_rows);
        if !self.real_columns_not_compared.is_empty() {
            let _ = writeln!(
                o,
                "not compared ({} real columns missing from the synthetic or training data): {}",
                self.real_columns_not_compared.len(),
                self.real_columns_not_compared.join(", ")
            );
        }
        let _ = writeln!(o, "{:<16} {:>6} {:>8} {:>10}", "column", "metric", "value", "|Δmissing|");
        for c in &self.columns {
            let _ = writeln!(o, "{:<16} {:>6} {:>8.4} {:>10.4}", c.name, c.metric, c.value, c.missing_diff);
        }
        let _ = writeln!(o, "KS (continuous): mean {:.4}, max {:.4}", self.ks_mean, self.ks_max);
        let _ = writeln!(o, "TV (categorical): mean {:.4}, max {:.4}", self.tv_mean, self.tv_max);
        let _ = writeln!(
            o,
            "mean |Δρ| Spearman: {:.4} (max {:.4}, {})",
            self.spearman_mean_abs_diff, self.spearman_max_abs_diff.0, self.spearman_max_abs_diff.1
        );
        let _ = writeln!(o, "detection AUC (GBDT, 5-fold CV, mean of 5 subsamples): {:.4}", self.detection_auc);
        if let Some(p) = &self.privacy {
            let _ = writeln!(o, "exact copies of training rows: {} of {}", p.exact_copies, p.synthetic_rows);
            let _ = writeln!(o, "DCR share (closer to train than holdout; ideal 0.5): {:.4}", p.dcr_share);
            let ratio = if p.dcr_p5_ratio.is_nan() {
                "ratio undefined: the holdout's is 0".to_string()
            } else {
                format!("ratio {:.3}", p.dcr_p5_ratio)
            };
            let _ = writeln!(
                o,
                "DCR 5th percentile: synthetic {:.4} vs holdout {:.4} ({ratio})",
                p.dcr_p5_synthetic, p.dcr_p5_holdout
            );
            if p.holdout_rows_in_train > 0 {
                let _ = writeln!(
                    o,
                    "warning: {} of {} real rows are identical to a training row: the real file is not a \
                     holdout the model never saw (carve one with `vtrial cohort split`), so the DCR \
                     figures above do not measure privacy",
                    p.holdout_rows_in_train, self.real_rows
                );
            }
        }
        o
    }
}
