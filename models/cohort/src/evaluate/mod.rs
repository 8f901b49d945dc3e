//! Evaluation of a synthetic table against real data (see the submodules for each metric).

pub mod detection;
pub mod ks;
pub mod privacy;

use std::path::Path;

use serde::Serialize;

use crate::data::{RawColumn, RawTable, ReadOptions, read_csv_with};
use crate::error::CohortError;
use crate::schema::{record_for_name, record_for_source};
use crate::transform::{ColumnTransform, TransformOptions};

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

/// A table as numeric columns over a fixed column list.
struct NumTable {
    cols: Vec<Vec<f64>>,
    n: usize,
}

/// Renames record names back to training names (e.g. `height` → `ht`), unless the table also
/// has the training name.
fn rename_to_training(t: &mut RawTable) {
    for j in 0..t.names.len() {
        let Some(rec) = record_for_name(&t.names[j]) else { continue };
        if t.names.iter().any(|n| n == rec.source && rec.source != rec.name) {
            continue;
        }
        t.names[j] = rec.source.to_string();
    }
}

/// The present values of a column: `None` when it has none, else its type and an example.
fn kind_of(c: &RawColumn) -> Option<(&'static str, String)> {
    match c {
        RawColumn::Numeric { values, .. } => values.iter().flatten().next().map(|v| ("numeric", format!("{v}"))),
        RawColumn::Text { values } => values.iter().flatten().next().map(|v| ("text", format!("{v:?}"))),
    }
}

/// Brings the record's labelled columns (sex, race: text labels of NHEFS codes) to one coding
/// across the tables. The labels are mapped to their codes only when every text column holds
/// nothing but the record's labels and every numeric column nothing but its codes; otherwise
/// nothing is relabelled (text is compared as it is, and text against numbers is refused by
/// [`check_types`]).
fn align_labels(tables: &mut [&mut RawTable]) {
    let mut names: Vec<String> = Vec::new();
    for t in tables.iter() {
        for n in &t.names {
            if record_for_source(n).is_some_and(|r| !r.labels.is_empty()) && !names.contains(n) {
                names.push(n.clone());
            }
        }
    }
    for name in names {
        let rec = record_for_source(&name).expect("known");
        let label_code = |s: &str| rec.labels.iter().find(|(_, l)| *l == s).map(|(c, _)| *c);
        let consistent = tables.iter().all(|t| match t.index(&name).map(|j| &t.columns[j]) {
            None => true,
            Some(RawColumn::Text { values }) => values.iter().flatten().all(|s| label_code(s).is_some()),
            Some(RawColumn::Numeric { values, .. }) => {
                values.iter().flatten().all(|v| rec.labels.iter().any(|(c, _)| c == v))
            }
        });
        if !consistent {
            continue;
        }
        for t in tables.iter_mut() {
            let Some(j) = t.index(&name) else { continue };
            if let RawColumn::Text { values } = &t.columns[j] {
                let mapped = values.iter().map(|v| v.as_deref().and_then(label_code)).collect();
                t.columns[j] = RawColumn::Numeric { values: mapped, decimals: 0 };
            }
        }
    }
}

/// Maps record names/labels back to training names/codes in all the tables together.
fn to_training_names(tables: &mut [&mut RawTable]) {
    for t in tables.iter_mut() {
        rename_to_training(t);
    }
    align_labels(tables);
}

/// Refuses a column that holds numbers in one table and text in another (after
/// [`align_labels`]): comparing them would read the text as missing or the numbers as level
/// indices. A column with no value in a table has no type there and matches either.
fn check_types(names: &[String], tables: &[&RawTable]) -> Result<(), CohortError> {
    for n in names {
        let kinds: Vec<(&RawTable, (&str, String))> = tables
            .iter()
            .filter_map(|t| t.index(n).and_then(|j| kind_of(&t.columns[j])).map(|k| (*t, k)))
            .collect();
        let Some((t0, (k0, e0))) = kinds.first() else { continue };
        if let Some((t1, (k1, e1))) = kinds.iter().find(|(_, (k, _))| k != k0) {
            let hint = match record_for_source(n).filter(|r| !r.labels.is_empty()) {
                Some(r) => format!(
                    " (text and numbers are matched only through the record's coding {}, and only \
                     when every value of the column is one of those labels or codes)",
                    r.labels.iter().map(|(c, l)| format!("{l:?} = {c}")).collect::<Vec<_>>().join(", ")
                ),
                None => String::new(),
            };
            return Err(CohortError::Invalid(format!(
                "column {n:?} is {k0} in {} (e.g. {e0}) but {k1} in {} (e.g. {e1}): the files must \
                 code it the same way to be compared{hint}",
                t0.source, t1.source
            )));
        }
    }
    Ok(())
}

/// The text levels of each column that is text in some table: the real table's levels
/// (sorted) first, then values only the other tables have (sorted), so that no text value is
/// read as missing.
fn text_levels(names: &[String], real: &RawTable, others: &[&RawTable]) -> Vec<Option<Vec<String>>> {
    let text_of = |t: &RawTable, n: &str| -> Option<Vec<String>> {
        match t.index(n).map(|j| &t.columns[j]) {
            Some(RawColumn::Text { values }) => {
                let mut v: Vec<String> = values.iter().flatten().cloned().collect();
                v.sort();
                v.dedup();
                Some(v)
            }
            _ => None,
        }
    };
    names
        .iter()
        .map(|n| {
            let mut levels = text_of(real, n);
            for t in others {
                if let Some(extra) = text_of(t, n) {
                    let l = levels.get_or_insert_with(Vec::new);
                    let mut new: Vec<String> = extra.into_iter().filter(|v| !l.contains(v)).collect();
                    l.append(&mut new);
                }
            }
            levels
        })
        .collect()
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

/// Whether each column is categorical: from the real column, or (when it has no value there)
/// the training rows' or the synthetic one's.
fn categorical_flags(names: &[String], tables: &[&RawTable]) -> Result<Vec<bool>, CohortError> {
    let topt = TransformOptions::default();
    names
        .iter()
        .map(|n| {
            let with_values = tables
                .iter()
                .find(|t| t.index(n).is_some_and(|j| kind_of(&t.columns[j]).is_some()))
                .unwrap_or(&tables[0]);
            let j = with_values.index(n).expect("present");
            let t = ColumnTransform::fit(n, &with_values.columns[j], &topt).map_err(|reason| {
                CohortError::UnusableColumn {
                    source_name: with_values.source.clone(),
                    column: n.clone(),
                    column_number: j + 1,
                    reason,
                }
            })?;
            Ok(!t.is_continuous())
        })
        .collect()
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
            match c.value {
                Some(v) => {
                    let _ = writeln!(o, "{:<16} {:>6} {:>8.4} {:>10.4}", c.name, c.metric, v, c.missing_diff);
                }
                None => {
                    let _ = writeln!(
                        o,
                        "{:<16} {:>6} {:>8} {:>10.4}  ({})",
                        c.name,
                        c.metric,
                        "-",
                        c.missing_diff,
                        c.note.as_deref().unwrap_or("not computed")
                    );
                }
            }
        }
        let reason = |key: &str| {
            self.not_computed
                .iter()
                .find_map(|r| r.strip_prefix(key).and_then(|r| r.strip_prefix(": ")))
                .unwrap_or("no data")
                .to_string()
        };
        let mean_max = |mean: f64, max: f64, key: &str| {
            if mean.is_nan() {
                format!("not computed ({})", reason(key))
            } else {
                format!("mean {mean:.4}, max {max:.4}")
            }
        };
        let _ = writeln!(o, "KS (continuous): {}", mean_max(self.ks_mean, self.ks_max, "KS"));
        let _ = writeln!(o, "TV (categorical): {}", mean_max(self.tv_mean, self.tv_max, "TV"));
        match &self.spearman_max_abs_diff {
            Some((max, pair)) => {
                let _ = writeln!(o, "mean |Δρ| Spearman: {:.4} (max {max:.4}, {pair})", self.spearman_mean_abs_diff);
            }
            None => {
                let _ = writeln!(o, "mean |Δρ| Spearman: not computed ({})", reason("Spearman"));
            }
        }
        if let Some(skipped) = self.not_computed.iter().find(|r| r.starts_with("Spearman: ") && r.contains("left out")) {
            let _ = writeln!(o, "  note: {}", &skipped["Spearman: ".len()..]);
        }
        if self.detection_auc.is_nan() {
            let _ = writeln!(o, "detection AUC: not computed ({})", reason("detection AUC"));
        } else {
            let _ = writeln!(o, "detection AUC (GBDT, 5-fold CV, mean of 5 subsamples): {:.4}", self.detection_auc);
        }
        if self.not_computed.iter().any(|r| r.starts_with("privacy: ")) {
            let _ = writeln!(o, "privacy figures: not computed ({})", reason("privacy"));
        }
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
