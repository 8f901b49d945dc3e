//! The trained cohort model: column transforms, the NADE, the creatinine conditional and the
//! copula baseline; training, saving and loading.
//!
//! Files: `NAME.safetensors` holds the network weights (f32), `NAME.json` everything else
//! (transforms, category lists, missing-value handling, units, copula, training settings,
//! seed and data hashes). The default model is embedded in the library, so sampling needs
//! no file and no training step.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::copula::Copula;
use crate::data::{RawColumn, RawTable, read_csv};
use crate::error::CohortError;
use crate::nade::{Nade, NadeConfig, TrainReport};
use crate::safetensors::{from_bytes, to_bytes};
use crate::record_check::{check_creatinine_sex, check_record};
use crate::relative::RelativeColumn;
use crate::transform::{ColumnTransform, TransformOptions};

/// Format tag of the metadata file of a model without relative columns (readable by every
/// version).
pub const FORMAT: &str = "vtrial-cohort/1";

/// Format tag of a model with relative columns (`relative` in the metadata): a reader that
/// does not know them must refuse the file, not decode `smokeyrs` as the starting age.
pub const FORMAT_RELATIVE: &str = "vtrial-cohort/2";

/// Where the training data came from.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DataProvenance {
    /// File name (no directory).
    pub file: String,
    /// FNV-1a 64-bit hash of the file's bytes, hex.
    pub fnv1a64: String,
    /// Data rows read.
    pub rows: usize,
    /// Rows used for training (all rows: missing values are modelled, not dropped).
    pub rows_used: usize,
    /// Columns not modelled (identifiers), by name.
    pub excluded: Vec<String>,
}

/// The creatinine conditional p(creatinine | sex, age), learned on a second file.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CreatinineMeta {
    /// Provenance (rows_used excludes rows whose creatinine is missing).
    pub data: DataProvenance,
    /// Rows dropped because creatinine was missing (they carry no information on it).
    pub rows_dropped_missing: usize,
    /// Transforms of the three modelled columns: sex, age, creatinine.
    pub columns: Vec<ColumnTransform>,
    /// Ages below this (the youngest age in the file) use the conditional at this age.
    pub age_floor: f64,
    /// Training settings.
    pub config: NadeConfig,
    /// Training outcome.
    pub report: TrainReport,
}

/// Everything about a model except its network weights.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ModelMeta {
    /// [`FORMAT`], or [`FORMAT_RELATIVE`] when `relative` is not empty.
    pub format: String,
    /// Transforms of the modelled columns, in the NADE's order.
    pub columns: Vec<ColumnTransform>,
    /// Training settings (hidden size, seed, …).
    pub config: NadeConfig,
    /// Transform settings.
    pub transform: TransformSettings,
    /// Training outcome.
    pub report: TrainReport,
    /// Training data.
    pub data: DataProvenance,
    /// Creatinine sub-model (absent when trained without a creatinine file).
    pub creatinine: Option<CreatinineMeta>,
    /// The Gaussian-copula baseline over the same tokens.
    pub copula: Copula,
    /// Units of the record columns (record name → unit), for documentation.
    pub units: BTreeMap<String, String>,
    /// Columns modelled relative to another (`smokeyrs` as the age smoking started; see
    /// [`crate::relative`]); their transforms are of the modelled difference. Models written
    /// before this existed have none.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub relative: Vec<RelativeColumn>,
}

/// Serializable copy of [`TransformOptions`].
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct TransformSettings {
    /// See [`TransformOptions::max_categories`].
    pub max_categories: usize,
    /// See [`TransformOptions::max_bins`].
    pub max_bins: usize,
    /// See [`TransformOptions::edge_sub_bins`] (models written before it had none: 1).
    #[serde(default = "one", skip_serializing_if = "is_one")]
    pub edge_sub_bins: usize,
}

fn one() -> usize {
    1
}

fn is_one(x: &usize) -> bool {
    *x == 1
}

/// A loaded model.
#[derive(Debug, Clone, PartialEq)]
pub struct CohortModel {
    /// Metadata.
    pub meta: ModelMeta,
    /// The main generator.
    pub nade: Nade,
    /// The creatinine conditional's network.
    pub creatinine: Option<Nade>,
}

/// Identifier columns [`TrainOptions::new`] leaves out; unlike other excluded names, the file
/// need not have them.
pub const DEFAULT_EXCLUDED: [&str; 3] = ["seqn", "id", "row"];

/// Options of [`train`].
#[derive(Debug, Clone)]
pub struct TrainOptions {
    /// Covariate file (NHEFS-like).
    pub data: PathBuf,
    /// Creatinine file (flchain-like: `age`, `sex`, `creatinine`); `None`: no creatinine.
    pub creatinine_data: Option<PathBuf>,
    /// Columns to leave out, matched ignoring case. A name the file lacks is an error, except
    /// the default identifiers [`DEFAULT_EXCLUDED`] (a typo must not model the column).
    pub exclude: Vec<String>,
    /// Network and optimiser settings.
    pub config: NadeConfig,
    /// Tokenisation settings.
    pub transform: TransformOptions,
    /// Model the columns of [`crate::relative::RELATIVE`] relative to their base
    /// (`smokeyrs` as the age smoking started); `false` models them as they are.
    pub relative: bool,
}

impl TrainOptions {
    /// Defaults for `data`: excludes `seqn`, `id`, `row`; uses `flchain-train.csv` next to
    /// the data file for creatinine when it exists.
    pub fn new(data: impl Into<PathBuf>) -> Self {
        let data = data.into();
        let fl = data.with_file_name("flchain-train.csv");
        TrainOptions {
            creatinine_data: fl.exists().then_some(fl),
            data,
            exclude: DEFAULT_EXCLUDED.iter().map(|s| (*s).to_string()).collect(),
            config: NadeConfig::default(),
            transform: TransformOptions::default(),
            relative: true,
        }
    }
}

/// FNV-1a 64-bit hash.
pub fn fnv1a64(bytes: &[u8]) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in bytes {
        h ^= u64::from(*b);
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    h
}

fn provenance(path: &Path, table: &RawTable, rows_used: usize, excluded: Vec<String>) -> Result<DataProvenance, CohortError> {
    let bytes = std::fs::read(path)
        .map_err(|e| CohortError::Io { path: path.display().to_string(), source: e })?;
    Ok(DataProvenance {
        file: path.file_name().map_or_else(String::new, |f| f.to_string_lossy().into_owned()),
        fnv1a64: format!("{:016x}", fnv1a64(&bytes)),
        rows: table.n_rows(),
        rows_used,
        excluded,
    })
}

/// Fits transforms for the given columns of a table; errors name the column.
pub fn fit_transforms(
    table: &RawTable,
    columns: &[usize],
    opt: &TransformOptions,
) -> Result<Vec<ColumnTransform>, CohortError> {
    columns
        .iter()
        .map(|&j| {
            ColumnTransform::fit(&table.names[j], &table.columns[j], opt).map_err(|reason| {
                CohortError::UnusableColumn {
                    source_name: table.source.clone(),
                    column: table.names[j].clone(),
                    column_number: j + 1,
                    reason,
                }
            })
        })
        .collect()
}

/// Standardised token positions per column (see [`Nade::train`]), weighted by the
/// training token counts; text levels and missing tokens sit at 0.
pub fn token_positions(transforms: &[ColumnTransform], rows: &[Vec<usize>]) -> Vec<Vec<f32>> {
    transforms
        .iter()
        .enumerate()
        .map(|(j, t)| {
            let raw = t.raw_positions();
            let xs: Vec<f64> = rows.iter().filter_map(|r| raw[r[j]]).collect();
            if xs.is_empty() {
                return vec![0.0; raw.len()];
            }
            let m = xs.iter().sum::<f64>() / xs.len() as f64;
            let sd = (xs.iter().map(|x| (x - m) * (x - m)).sum::<f64>() / xs.len() as f64).sqrt();
            let sd = if sd > 0.0 { sd } else { 1.0 };
            raw.iter().map(|p| p.map_or(0.0, |x| ((x - m) / sd) as f32)).collect()
        })
        .collect()
}

/// Normal scores of the ordered tokens per column, the positions of the NADE's direct linear
/// paths: Φ⁻¹ of the token's mid-CDF under the training token frequencies, in value order
/// (as the copula's scores), so the direct paths are a Gaussian copula inside the NADE; text
/// levels and missing tokens sit at 0.
pub fn token_scores(transforms: &[ColumnTransform], rows: &[Vec<usize>]) -> Vec<Vec<f32>> {
    transforms
        .iter()
        .enumerate()
        .map(|(j, t)| {
            let raw = t.raw_positions();
            let mut count = vec![0usize; raw.len()];
            for r in rows {
                count[r[j]] += 1;
            }
            let mut ordered: Vec<usize> = (0..raw.len()).filter(|&k| raw[k].is_some()).collect();
            ordered.sort_by(|&a, &b| raw[a].partial_cmp(&raw[b]).unwrap_or(std::cmp::Ordering::Equal));
            let total: usize = ordered.iter().map(|&k| count[k]).sum();
            let mut out = vec![0f32; raw.len()];
            if total == 0 {
                return out;
            }
            let mut below = 0usize;
            for &k in &ordered {
                let mid = (below as f64 + 0.5 * count[k] as f64) / total as f64;
                out[k] = crate::stats::norm_quantile(mid.clamp(0.5 / total as f64, 1.0 - 0.5 / total as f64)) as f32;
                below += count[k];
            }
            out
        })
        .collect()
}

/// Token rows of a table under the given transforms (column `names` looked up by name).
pub fn tokenize(table: &RawTable, transforms: &[ColumnTransform]) -> Result<Vec<Vec<usize>>, CohortError> {
    let cols: Vec<Vec<usize>> = transforms
        .iter()
        .map(|t| {
            let j = table.index(&t.name).ok_or_else(|| CohortError::MissingColumn {
                source_name: table.source.clone(),
                column: t.name.clone(),
                available: table.names.join(", "),
            })?;
            Ok(t.encode_column(&table.columns[j]))
        })
        .collect::<Result<_, CohortError>>()?;
    Ok((0..table.n_rows()).map(|r| cols.iter().map(|c| c[r]).collect()).collect())
}

fn train_creatinine(path: &Path, cfg: &NadeConfig, opt: &TransformOptions) -> Result<(CreatinineMeta, Nade), CohortError> {
    let table = read_csv(path)?;
    let need = ["sex", "age", "creatinine"];
    let idx: Vec<usize> = need
        .iter()
        .map(|n| {
            table.index(n).ok_or_else(|| CohortError::MissingColumn {
                source_name: table.source.clone(),
                column: (*n).into(),
                available: table.names.join(", "),
            })
        })
        .collect::<Result<_, _>>()?;
    let creat = &table.columns[idx[2]];
    let keep: Vec<usize> = match creat {
        RawColumn::Numeric { values, .. } => (0..values.len()).filter(|&r| values[r].is_some()).collect(),
        RawColumn::Text { .. } => {
            return Err(CohortError::UnusableColumn {
                source_name: table.source.clone(),
                column: "creatinine".into(),
                column_number: idx[2] + 1,
                reason: "creatinine must be numeric (mg/dL)".into(),
            });
        }
    };
    let dropped = table.n_rows() - keep.len();
    let sub = table.select_rows(&keep);
    let transforms = fit_transforms(&sub, &idx, opt)?;
    let rows = tokenize(&sub, &transforms)?;
    let sizes: Vec<usize> = transforms.iter().map(ColumnTransform::n_tokens).collect();
    let cfg = NadeConfig { hidden: cfg.hidden.min(32), ..*cfg };
    let pos = token_positions(&transforms, &rows);
    let scores = token_scores(&transforms, &rows);
    // Errors of this step name the creatinine file, not the covariate file.
    let (nade, report) = Nade::train(&rows, &sizes, &pos, &scores, &cfg).map_err(|e| match e {
        CohortError::Invalid(m) => CohortError::Invalid(format!(
            "creatinine data {} ({} rows with a creatinine value): {m}",
            table.source,
            keep.len()
        )),
        e => e,
    })?;
    let age_floor = transforms[1].range().map_or(0.0, |r| r.0);
    Ok((
        CreatinineMeta {
            data: provenance(path, &table, keep.len(), vec![])?,
            rows_dropped_missing: dropped,
            columns: transforms,
            age_floor,
            config: cfg,
            report,
        },
        nade,
    ))
}

/// Refuses an excluded name that matches no column of the file (other than the default
/// identifiers), listing the columns.
fn check_excluded_names(table: &RawTable, exclude: &[String]) -> Result<(), CohortError> {
    let absent: Vec<&str> = exclude
        .iter()
        .map(String::as_str)
        .filter(|e| !table.names.iter().any(|n| n.eq_ignore_ascii_case(e)))
        .filter(|e| !DEFAULT_EXCLUDED.iter().any(|d| d.eq_ignore_ascii_case(e)))
        .collect();
    if absent.is_empty() {
        return Ok(());
    }
    Err(CohortError::Invalid(format!(
        "{}: --exclude names {} that the file does not have; its columns are {}",
        table.source,
        absent.iter().map(|a| format!("`{a}`")).collect::<Vec<_>>().join(", "),
        table.names.join(", ")
    )))
}

/// Trains a model (libtorch on one thread; same options and machine → same weights).
pub fn train(opts: &TrainOptions) -> Result<CohortModel, CohortError> {
    let table = read_csv(&opts.data)?;
    // Identifier names are matched ignoring case (`Id`, `SEQN`).
    let is_excluded = |n: &str| opts.exclude.iter().any(|e| e.eq_ignore_ascii_case(n));
    check_excluded_names(&table, &opts.exclude)?;
    let excluded: Vec<String> = table.names.iter().filter(|n| is_excluded(n)).cloned().collect();
    let cols: Vec<usize> = (0..table.names.len()).filter(|&j| !is_excluded(&table.names[j])).collect();
    if cols.is_empty() {
        return Err(CohortError::Invalid(format!("{}: no columns left to model", table.source)));
    }
    check_record(&table, &cols, &fit_transforms(&table, &cols, &opts.transform)?, opts.creatinine_data.is_some())?;
    // What the generator learns: the file with `smokeyrs` as the age smoking started.
    let relative = if opts.relative { crate::relative::plan(&table, &cols) } else { Vec::new() };
    let modelled = crate::relative::apply(&table, &relative);
    let transforms = fit_transforms(&modelled, &cols, &opts.transform)?;
    // The creatinine conditional first: its checks fail before the long main training
    // (each training seeds libtorch itself, so the order changes no weights).
    let (creat_meta, creat) = match &opts.creatinine_data {
        Some(p) => {
            let (m, n) = train_creatinine(p, &opts.config, &opts.transform)?;
            check_creatinine_sex(&table.source, &p.display().to_string(), &transforms, &m)?;
            (Some(m), Some(n))
        }
        None => (None, None),
    };
    let rows = tokenize(&modelled, &transforms)?;
    let sizes: Vec<usize> = transforms.iter().map(ColumnTransform::n_tokens).collect();
    let pos = token_positions(&transforms, &rows);
    let scores = token_scores(&transforms, &rows);
    let (nade, report) = Nade::train(&rows, &sizes, &pos, &scores, &opts.config)?;
    let copula = Copula::fit(&rows, &sizes);
    let meta = ModelMeta {
        format: if relative.is_empty() { FORMAT } else { FORMAT_RELATIVE }.into(),
        columns: transforms,
        config: opts.config,
        transform: TransformSettings {
            max_categories: opts.transform.max_categories,
            max_bins: opts.transform.max_bins,
            edge_sub_bins: opts.transform.edge_sub_bins,
        },
        report,
        data: provenance(&opts.data, &table, table.n_rows(), excluded)?,
        creatinine: creat_meta,
        copula,
        units: BTreeMap::new(),
        relative,
    };
    let mut model = CohortModel { meta, nade, creatinine: creat };
    // The units the sampled record (and its sidecar) gives, so the two always agree.
    let layout = crate::sample::Layout::new(&model);
    model.meta.units = layout.names().iter().zip(layout.units()).skip(1).map(|(n, u)| (n.clone(), u.clone())).collect();
    Ok(model)
}

/// The metadata path that goes with a weights path (`x.safetensors` → `x.json`).
pub fn meta_path(weights: &Path) -> PathBuf {
    weights.with_extension("json")
}

impl CohortModel {
    /// Serialises to (safetensors bytes, JSON text).
    pub fn to_bytes(&self) -> (Vec<u8>, String) {
        let mut t = BTreeMap::new();
        self.nade.to_tensors("main.", &mut t);
        if let Some(c) = &self.creatinine {
            c.to_tensors("creatinine.", &mut t);
        }
        let json = serde_json::to_string_pretty(&self.meta).expect("serialisable") + "\n";
        (to_bytes(&t), json)
    }

    /// Writes `path` (safetensors) and its `.json` metadata.
    pub fn save(&self, path: &Path) -> Result<(), CohortError> {
        let (w, j) = self.to_bytes();
        let io = |p: &Path, e| CohortError::Io { path: p.display().to_string(), source: e };
        std::fs::write(path, w).map_err(|e| io(path, e))?;
        let mp = meta_path(path);
        std::fs::write(&mp, j).map_err(|e| io(&mp, e))
    }

    /// Reads a model from safetensors bytes and JSON text; `name` labels errors.
    pub fn from_bytes(weights: &[u8], json: &str, name: &str) -> Result<CohortModel, CohortError> {
        let err = |m: String| CohortError::Model { path: name.to_string(), message: m };
        let meta: ModelMeta = serde_json::from_str(json).map_err(|e| err(format!("metadata: {e}")))?;
        let expected = if meta.relative.is_empty() { FORMAT } else { FORMAT_RELATIVE };
        if meta.format != expected {
            return Err(err(format!(
                "format {:?}, expected {expected:?} for a model {} relative columns",
                meta.format,
                if meta.relative.is_empty() { "without" } else { "with" }
            )));
        }
        let t = from_bytes(weights).map_err(err)?;
        let sizes: Vec<usize> = meta.columns.iter().map(ColumnTransform::n_tokens).collect();
        let nade = Nade::from_tensors("main.", &sizes, meta.config.hidden, &t).map_err(err)?;
        let creatinine = match &meta.creatinine {
            Some(c) => {
                let sizes: Vec<usize> = c.columns.iter().map(ColumnTransform::n_tokens).collect();
                Some(Nade::from_tensors("creatinine.", &sizes, c.config.hidden, &t).map_err(err)?)
            }
            None => None,
        };
        Ok(CohortModel { meta, nade, creatinine })
    }

    /// Loads `path` (safetensors) and its `.json` metadata.
    pub fn load(path: &Path) -> Result<CohortModel, CohortError> {
        let io = |p: &Path, e| CohortError::Io { path: p.display().to_string(), source: e };
        let w = std::fs::read(path).map_err(|e| io(path, e))?;
        let mp = meta_path(path);
        let j = std::fs::read_to_string(&mp).map_err(|e| io(&mp, e))?;
        Self::from_bytes(&w, &j, &path.display().to_string())
    }

    /// The shipped default model (trained on the whole `nhefs-train.csv`), embedded.
    pub fn default_model() -> Result<CohortModel, CohortError> {
        Self::from_bytes(
            include_bytes!("../weights/default.safetensors"),
            include_str!("../weights/default.json"),
            "default",
        )
    }
}
