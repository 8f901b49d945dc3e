//! Sampling cohorts: token generation (NADE or copula), decoding into the patient record,
//! derived columns, plausibility checks and exact inclusion criteria.
//!
//! Rows are generated in fixed-size chunks; chunk `i` draws all its randomness from the
//! streams `(seed, Tokens, i)` and `(seed, Decode, i)`, and libtorch runs on one thread per
//! chunk (`tch::set_num_threads(1)`; parallelism comes from rayon over chunks). Accepted rows
//! are concatenated in chunk order and the cohort is the first `n`, so the same seed gives
//! the same cohort whatever the number of threads.

use std::collections::BTreeMap;
use std::sync::Arc;

use rand::Rng;
use rand_distr::StandardNormal;
use rayon::prelude::*;
use serde::{Deserialize, Serialize};
use vtrial_expr::Value;

use crate::criteria::Criteria;
use crate::derived::{bmi, bsa_mosteller, crcl_cockcroft_gault, egfr_ckd_epi_2021};
use crate::error::CohortError;
use crate::model::CohortModel;
use crate::pgx;
use crate::rng::{Purpose, stream};
use crate::schema::{Ancestry, BOUNDS, DERIVED, ancestry_of, female_of_levels, female_of_tokens, record_for_source, record_levels};
use crate::transform::{ColumnTransform, round_to};

/// Which joint model generates the tokens.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Generator {
    /// The NADE (neural, tch).
    Neural,
    /// The Gaussian-copula baseline (pure Rust).
    Copula,
}

/// Options of [`sample`].
#[derive(Debug, Clone)]
pub struct SampleOptions {
    /// Patients wanted.
    pub n: usize,
    /// Seed of every random stream.
    pub seed: u64,
    /// Inclusion criteria (`vtrial-expr` syntax over record columns).
    pub criteria: Option<String>,
    /// Joint model.
    pub generator: Generator,
    /// Rows per chunk (part of the result's definition: keep the default for reproducibility).
    pub chunk: usize,
    /// Most rows generated before giving up (counted per row: the last chunk is cut at the
    /// budget); `n` larger than this is refused up front.
    pub max_draws: usize,
}

impl SampleOptions {
    /// Defaults: neural generator, no criteria, chunks of 8192 rows, a budget of 20 million draws.
    pub fn new(n: usize, seed: u64) -> Self {
        SampleOptions { n, seed, criteria: None, generator: Generator::Neural, chunk: 8192, max_draws: 20_000_000 }
    }
}

/// The values of one record column.
#[derive(Debug, Clone, PartialEq)]
pub enum ColumnData {
    /// Numbers; NaN is missing.
    Num(Vec<f64>),
    /// Labels: `codes` index `levels`; `u32::MAX` is missing.
    Text {
        /// The labels.
        levels: Vec<String>,
        /// One code per row.
        codes: Vec<u32>,
    },
}

/// One column of a generated cohort.
#[derive(Debug, Clone, PartialEq)]
pub struct OutColumn {
    /// Record name.
    pub name: String,
    /// Unit.
    pub unit: String,
    /// Meaning.
    pub description: String,
    /// Values.
    pub data: ColumnData,
}

/// A generated cohort (columnar).
#[derive(Debug, Clone, PartialEq)]
pub struct Cohort {
    /// Number of patients.
    pub n: usize,
    /// Columns, in output order (`id` first).
    pub columns: Vec<OutColumn>,
}

impl Cohort {
    /// A column by name.
    pub fn column(&self, name: &str) -> Option<&OutColumn> {
        self.columns.iter().find(|c| c.name == name)
    }
    /// Numeric values of a column (text columns: `None`).
    pub fn num(&self, name: &str) -> Option<&[f64]> {
        match &self.column(name)?.data {
            ColumnData::Num(v) => Some(v),
            ColumnData::Text { .. } => None,
        }
    }
    /// The label of a text column at a row.
    pub fn text(&self, name: &str, row: usize) -> Option<&str> {
        match &self.column(name)?.data {
            ColumnData::Text { levels, codes } => levels.get(codes[row] as usize).map(String::as_str),
            ColumnData::Num(_) => None,
        }
    }
}

/// What sampling did: nothing is dropped without being counted.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SampleReport {
    /// Rows generated.
    pub drawn: usize,
    /// Rows that failed a plausibility rule (regenerated), by rule.
    pub implausible: BTreeMap<String, usize>,
    /// Plausible rows that failed the criteria.
    pub rejected_by_criteria: usize,
    /// Plausible rows that met the criteria.
    pub accepted: usize,
    /// accepted / plausible rows (1 without criteria).
    pub acceptance_rate: f64,
    /// Rows returned (the first `n` accepted).
    pub returned: usize,
}

#[derive(Debug, Clone)]
enum Source {
    Model(usize),
    Id,
    Derived(&'static str),
}

/// The record's columns and how each is produced.
#[derive(Debug, Clone)]
pub struct Layout {
    names: Vec<String>,
    units: Vec<String>,
    descriptions: Vec<String>,
    /// Text levels for label columns.
    levels: Vec<Option<Vec<String>>>,
    sources: Vec<Source>,
    /// For numeric codes shown as labels: (code value → level index).
    label_codes: Vec<Vec<f64>>,
    idx: BTreeMap<&'static str, usize>,
    creat_table: Option<CreatTable>,
    /// Per level of the sex column: female? (`None`: not recognised; derived columns that
    /// need it are then missing).
    female: Vec<Option<bool>>,
    /// Per level of the race column: the CYP2C19 ancestry group (`None`: European fallback).
    ancestry: Vec<Option<Ancestry>>,
    /// Per record column: decoded as `base − modelled value` ([`crate::relative`]).
    relative: Vec<Option<RelativeDecode>>,
}

/// How a column modelled relative to another is decoded and checked.
#[derive(Debug, Clone)]
struct RelativeDecode {
    /// Record column of the base.
    base: usize,
    /// Model column of the base.
    base_model: usize,
    /// The column's training range and decimals.
    range: (f64, f64),
    decimals: u32,
    /// The plausibility rule's name in reports.
    rule: String,
}

#[derive(Debug, Clone)]
struct CreatTable {
    /// Per sex token of the creatinine model: female?
    sex_female: Vec<Option<bool>>,
    age: ColumnTransform,
    creat: ColumnTransform,
    age_floor: f64,
    /// cdf[sex_tok][age_tok] over creatinine tokens.
    cdf: Vec<Vec<Vec<f64>>>,
}

impl Layout {
    /// Builds the record layout of a model.
    pub fn new(model: &CohortModel) -> Layout {
        let mut l = Layout {
            names: vec!["id".into()],
            units: vec!["".into()],
            descriptions: vec!["patient number within the cohort, 1..n".into()],
            levels: vec![None],
            sources: vec![Source::Id],
            label_codes: vec![vec![]],
            idx: BTreeMap::new(),
            creat_table: None,
            female: Vec::new(),
            ancestry: Vec::new(),
            relative: Vec::new(),
        };
        for (j, t) in model.meta.columns.iter().enumerate() {
            let rec = record_for_source(&t.name);
            let name = rec.map_or(t.name.clone(), |r| r.name.to_string());
            // Text levels are written as they are; numeric codes get the record's labels
            // (NHEFS sex 0/1 → M/F) only when every code is one of the record's; otherwise
            // (race 1/2/3) they stay the file's codes.
            let (levels, codes) = record_levels(t);
            let (unit, description) = match rec {
                Some(r) if !r.labels.is_empty() && levels.is_none() => (
                    "code".to_string(),
                    format!("training column {}, codes as in the training file (not the record's {})", t.name, r.description),
                ),
                // Text labels other than the record's (race "White"/"Asian"): the file's own.
                Some(r)
                    if !r.labels.is_empty()
                        && codes.is_empty()
                        && levels.as_ref().is_some_and(|lv| lv.iter().any(|l| !r.labels.iter().any(|(_, s)| s == l))) =>
                {
                    ("label".to_string(), format!("training column {}, labels as in the training file", t.name))
                }
                Some(r) => (r.unit.to_string(), r.description.to_string()),
                // A modelled column named like a derived one (flchain's creatinine): the
                // record's unit for it.
                None => match DERIVED.iter().find(|d| d.name == t.name && d.name != "cyp2c19") {
                    Some(d) => (d.unit.to_string(), format!("training column {} (modelled, not derived)", t.name)),
                    None => ("as in the training file".to_string(), format!("training column {}", t.name)),
                },
            };
            l.names.push(name);
            l.units.push(unit);
            l.descriptions.push(description);
            l.levels.push(levels);
            l.label_codes.push(codes);
            l.sources.push(Source::Model(j));
        }
        for key in ["sex", "age", "race", "height", "weight", "sbp", "dbp", "smokeyrs", "creatinine"] {
            if let Some(p) = l.names.iter().position(|n| n == key) {
                l.idx.insert(key, p);
            }
        }
        l.relative = vec![None; l.names.len()];
        let model_col = |name: &str| model.meta.columns.iter().position(|t| t.name == name);
        for r in &model.meta.relative {
            let (Some(j), Some(jb)) = (model_col(&r.column), model_col(&r.base)) else { continue };
            // Model column j is record column j + 1 (`id` first).
            let c = j + 1;
            l.descriptions[c] += &format!("; modelled as the {}", r.meaning);
            l.relative[c] = Some(RelativeDecode {
                base: jb + 1,
                base_model: jb,
                range: r.range,
                decimals: r.decimals,
                rule: r.rule(&l.names[c]),
            });
        }
        let body = l.idx.contains_key("height") && l.idx.contains_key("weight");
        let sex_age = l.idx.contains_key("sex") && l.idx.contains_key("age");
        let has_creat = model.creatinine.is_some() && sex_age;
        // eGFR/CrCl also work when creatinine is itself a training column.
        let creat_known = has_creat || (sex_age && l.idx.contains_key("creatinine"));
        for d in DERIVED {
            if l.names.iter().any(|n| n == d.name) {
                // The training data has a column of that name: it is modelled, not derived.
                continue;
            }
            let ok = match d.name {
                "bmi" | "bsa" => body,
                "creatinine" => has_creat,
                "egfr" => creat_known,
                "crcl" => creat_known && body,
                _ => true,
            };
            if ok {
                l.idx.insert(d.name, l.names.len());
                l.names.push(d.name.into());
                l.units.push(d.unit.into());
                l.descriptions.push(d.description.into());
                l.levels.push((d.name == "cyp2c19").then(|| pgx::PHENOTYPES.iter().map(|s| s.to_string()).collect()));
                l.label_codes.push(vec![]);
                l.sources.push(Source::Derived(d.name));
            }
        }
        // Derived columns are never relative.
        l.relative.resize(l.names.len(), None);
        if has_creat
            && let (Some(meta), Some(nade)) = (&model.meta.creatinine, &model.creatinine)
        {
            let sex_female = female_of_tokens(&meta.columns[0]).unwrap_or_default();
            let age = meta.columns[1].clone();
            let creat = meta.columns[2].clone();
            let cdf = (0..meta.columns[0].n_tokens())
                .map(|s| {
                    (0..age.n_tokens())
                        .map(|a| {
                            let p = nade.conditional(&[s, a], 2);
                            let mut acc = 0.0;
                            p.iter().map(|x| { acc += x; acc }).collect()
                        })
                        .collect()
                })
                .collect();
            l.creat_table = Some(CreatTable { sex_female, age, creat, age_floor: meta.age_floor, cdf });
        }
        let levels_of = |k: &str| l.idx.get(k).and_then(|&i| l.levels[i].clone()).unwrap_or_default();
        l.female = female_of_levels(&levels_of("sex"));
        let race_levels = levels_of("race");
        l.ancestry = race_levels.iter().map(|s| ancestry_of(s)).collect();
        if let (Some(&ic), Some(&ir)) = (l.idx.get("cyp2c19"), l.idx.get("race")) {
            // The documented fallback for race values that name no known ancestry group
            // (schema::ancestry_of): European frequencies, said in the column's description.
            let unknown: Vec<&str> =
                race_levels.iter().zip(&l.ancestry).filter(|(_, a)| a.is_none()).map(|(s, _)| s.as_str()).collect();
            if l.levels[ir].is_none() {
                l.descriptions[ic] += "; race is not coded as the record's labels: European frequencies for everyone";
            } else if !unknown.is_empty() {
                l.descriptions[ic] += &format!("; race {} not a known ancestry group: European frequencies", unknown.join(", "));
            }
        }
        l
    }

    /// Record column names, in output order.
    pub fn names(&self) -> &[String] {
        &self.names
    }

    /// Record column units, in output order.
    pub fn units(&self) -> &[String] {
        &self.units
    }

    /// The range of values the model produces for record column `c` (modelled, numeric).
    fn model_range(&self, model: &CohortModel, c: usize) -> Option<(f64, f64)> {
        match (&self.relative[c], &self.sources[c]) {
            (Some(r), _) => Some(r.range),
            (None, Source::Model(j)) => model.meta.columns[*j].range(),
            _ => None,
        }
    }
}

/// Early rejection for the neural generator: the criteria's top-level `and` terms that read
/// only modelled columns, each checked right after the last model column it needs is drawn
/// (the NADE's column order), so a row that already fails is not generated further. Exact:
/// a row is only dropped when a term of the criteria is false on the very values the row
/// would have been written with; every surviving row is still checked against the whole
/// criteria at the end.
struct Screen {
    /// Per model column: a term becomes decidable after it.
    at: Vec<bool>,
    /// Per model column: the terms decidable after it.
    terms: Vec<Vec<Criteria>>,
}

impl Screen {
    fn new(layout: &Layout, criteria: &Criteria, d: usize) -> Option<Screen> {
        let names: Vec<&str> = layout.names.iter().map(String::as_str).collect();
        let mut sc = Screen { at: vec![false; d], terms: vec![Vec::new(); d] };
        for term in criteria.conjuncts(&names) {
            // A relative column is known once its base is drawn too.
            let model_cols: Option<Vec<usize>> = term
                .used
                .iter()
                .map(|&c| match (&layout.sources[c], &layout.relative[c]) {
                    (Source::Model(j), Some(r)) => Some((*j).max(r.base_model)),
                    (Source::Model(j), None) => Some(*j),
                    _ => None,
                })
                .collect();
            if let Some(last) = model_cols.and_then(|v| v.into_iter().max()) {
                sc.at[last] = true;
                sc.terms[last].push(term);
            }
        }
        sc.at.iter().any(|&b| b).then_some(sc)
    }
}

/// The value model column `j` (record column `c`) holds for token `tok` and uniform `u`:
/// numeric codes shown as labels become the level index; a relative column's value is the
/// modelled difference (see [`record_value`]).
fn decode_model(layout: &Layout, cols: &[ColumnTransform], c: usize, j: usize, tok: usize, u: f64) -> f64 {
    let x = cols[j].decode_num(tok, u);
    if layout.label_codes[c].is_empty() || x.is_nan() {
        x
    } else {
        layout.label_codes[c].iter().position(|v| *v == x).map_or(f64::NAN, |p| p as f64)
    }
}

/// The record value of model column `j` (record column `c`); `tok_u(j)` gives a model
/// column's token and decoding uniform. A relative column is decoded from its base.
fn record_value(layout: &Layout, cols: &[ColumnTransform], c: usize, j: usize, tok_u: impl Fn(usize) -> (usize, f64)) -> f64 {
    let (tok, u) = tok_u(j);
    let x = decode_model(layout, cols, c, j, tok, u);
    match &layout.relative[c] {
        Some(r) => {
            let (bt, bu) = tok_u(r.base_model);
            crate::relative::decode(decode_model(layout, cols, r.base, r.base_model, bt, bu), x, r.decimals)
        }
        None => x,
    }
}

/// A record value as the criteria see it.
fn criteria_value(layout: &Layout, label_values: &[Vec<Value>], c: usize, x: f64) -> Value {
    if x.is_nan() {
        Value::Missing
    } else if let Some(lv) = label_values[c].get(x as usize).filter(|_| layout.levels[c].is_some()) {
        lv.clone()
    } else {
        Value::Num(x)
    }
}

/// Rows of one chunk, row-major over the layout's columns (labels as level index; NaN missing).
struct Chunk {
    /// Rows of the chunk that count (the first `rows`; the rest are past the budget).
    rows: usize,
    values: Vec<f64>,
    keep: Vec<bool>,
    implausible: BTreeMap<String, usize>,
    rejected: usize,
}

#[allow(clippy::too_many_arguments)]
fn gen_chunk(
    model: &CohortModel,
    layout: &Layout,
    opts: &SampleOptions,
    criteria: Option<&Criteria>,
    screen: Option<&Screen>,
    label_values: &[Vec<Value>],
    chunk: u64,
    rows: usize,
) -> Result<Chunk, CohortError> {
    // The random streams and tokens are those of the whole chunk, so a chunk cut at the
    // budget holds the same first rows as a whole one; only the first `rows` are used.
    let n = opts.chunk;
    let cols = &model.meta.columns;
    let d = cols.len();
    let w = layout.names.len();
    // Decoding uniforms, drawn up front in row order: per row one per model column, then
    // creatinine (token, value) and the CYP2C19 phenotype.
    let per_row = d + 3;
    let ud: Vec<f64> = {
        let mut rng = stream(opts.seed, Purpose::Decode, chunk);
        (0..n * per_row).map(|_| rng.random()).collect()
    };
    let (tokens, screened): (Vec<u16>, Option<Vec<bool>>) = match opts.generator {
        Generator::Neural => {
            // libtorch's intra-op thread count is per calling thread (OpenMP): cap it here,
            // on the worker, so every chunk's arithmetic is the same whatever thread runs it.
            tch::set_num_threads(1);
            let mut rng = stream(opts.seed, Purpose::Tokens, chunk);
            let u: Vec<f32> = (0..n * d).map(|_| rng.random::<f32>()).collect();
            match screen {
                None => (model.nade.sample_tokens(&u, n), None),
                Some(sc) => {
                    let mut scratch = vec![Value::Missing; w];
                    let mut check = |j: usize, rows: &[usize], toks: &[Vec<i64>]| -> Vec<bool> {
                        rows.iter()
                            .enumerate()
                            .map(|(p, &r)| {
                                sc.terms[j].iter().all(|term| {
                                    for &c in &term.used {
                                        let Source::Model(jj) = layout.sources[c] else { continue };
                                        let x = record_value(layout, cols, c, jj, |k| (toks[k][p] as usize, ud[r * per_row + k]));
                                        scratch[c] = criteria_value(layout, label_values, c, x);
                                    }
                                    // An error is left to the full check of the criteria.
                                    term.accepts(&scratch).unwrap_or(true)
                                })
                            })
                            .collect()
                    };
                    let (t, kept) = model.nade.sample_tokens_screened(&u, n, &sc.at, &mut check);
                    (t, Some(kept))
                }
            }
        }
        Generator::Copula => {
            let mut rng = stream(opts.seed, Purpose::Tokens, chunk);
            let z: Vec<f64> = (0..n * d).map(|_| rng.sample(StandardNormal)).collect();
            (model.meta.copula.sample_tokens(&z, n), None)
        }
    };
    let mut values = vec![f64::NAN; n * w];
    let mut keep: Vec<bool> = (0..n).map(|r| r < rows).collect();
    let mut implausible: BTreeMap<String, usize> = BTreeMap::new();
    let mut rejected = 0;
    let bounds: Vec<(usize, f64, f64, &str)> = BOUNDS
        .iter()
        .filter_map(|(name, lo, hi)| layout.idx.get(name).map(|&i| (i, *lo, *hi, *name)))
        .collect();
    let g = |k: &str| layout.idx.get(k).copied();
    let (i_sex, i_age, i_race, i_ht, i_wt) = (g("sex"), g("age"), g("race"), g("height"), g("weight"));
    let mut row_vals: Vec<Value> = Vec::with_capacity(w);
    // Per-level lookups, so the row loop allocates nothing. A sex level is matched to the
    // creatinine model's sex token by meaning (female or male), not by spelling.
    let creat_sex_tok: Vec<Option<usize>> = match &layout.creat_table {
        Some(t) => layout.female.iter().map(|f| f.and_then(|f| t.sex_female.iter().position(|s| *s == Some(f)))).collect(),
        None => Vec::new(),
    };
    let pgx_eur = pgx::phenotype_cdf(pgx::EUROPEAN);
    let pgx_afr = pgx::phenotype_cdf(pgx::AFRICAN_AMERICAN);
    for r in 0..rows.min(n) {
        if screened.as_ref().is_some_and(|k| !k[r]) {
            // Already failed a term of the criteria while its tokens were drawn.
            keep[r] = false;
            rejected += 1;
            continue;
        }
        let row = &mut values[r * w..(r + 1) * w];
        let ur = &ud[r * per_row..(r + 1) * per_row];
        for (c, src) in layout.sources.iter().enumerate() {
            if let Source::Model(j) = src {
                row[c] = record_value(layout, cols, c, *j, |k| (tokens[r * d + k] as usize, ur[k]));
            }
        }
        // Derived columns, in DERIVED order.
        let (u_ct, u_cv, u_pgx) = (ur[d], ur[d + 1], ur[d + 2]);
        let sex_level = i_sex.map(|i| row[i]).filter(|x| !x.is_nan()).map(|x| x as usize);
        // `None` (sex missing or not recognised): eGFR, CrCl and creatinine are missing.
        let female: Option<bool> = sex_level.and_then(|l| layout.female.get(l).copied().flatten());
        let age = i_age.map_or(f64::NAN, |i| row[i]);
        let (ht, wt) = (i_ht.map_or(f64::NAN, |i| row[i]), i_wt.map_or(f64::NAN, |i| row[i]));
        // A modelled creatinine column is already decoded; a derived one is filled below.
        let mut creat = g("creatinine").map_or(f64::NAN, |i| row[i]);
        for (c, src) in layout.sources.iter().enumerate() {
            let Source::Derived(name) = src else { continue };
            row[c] = match *name {
                "bmi" => round_to(bmi(wt, ht), 2),
                "bsa" => round_to(bsa_mosteller(wt, ht), 3),
                "creatinine" => {
                    let t = layout.creat_table.as_ref().expect("creatinine table");
                    let s_tok = sex_level.and_then(|l| creat_sex_tok.get(l).copied().flatten());
                    // (A sex level the creatinine model does not know gives no creatinine;
                    // training refuses such a pair of files.)
                    creat = match s_tok {
                        Some(s) if !age.is_nan() => {
                            let a = t.age.encode_num(Some(age.max(t.age_floor)));
                            let cdf = &t.cdf[s][a];
                            let tok = cdf.iter().position(|&p| u_ct < p).unwrap_or(cdf.len() - 1);
                            t.creat.decode_num(tok, u_cv)
                        }
                        _ => f64::NAN,
                    };
                    creat
                }
                // NaN whenever an input is missing (derived.rs).
                "egfr" => female.map_or(f64::NAN, |f| round_to(egfr_ckd_epi_2021(creat, age, f), 1)),
                "crcl" => female.map_or(f64::NAN, |f| round_to(crcl_cockcroft_gault(creat, age, wt, f), 1)),
                "cyp2c19" => {
                    // African American frequencies for the groups schema::ancestry_of maps
                    // there; European for white, for a missing race and (documented
                    // fallback) for a label or code that names no known group.
                    let race = i_race
                        .filter(|&i| layout.levels[i].is_some())
                        .map(|i| row[i])
                        .filter(|x| !x.is_nan())
                        .map(|x| x as usize);
                    let afr = race.and_then(|l| layout.ancestry.get(l).copied().flatten()) == Some(Ancestry::AfricanAmerican);
                    pgx::draw_cdf(if afr { &pgx_afr } else { &pgx_eur }, u_pgx) as f64
                }
                _ => f64::NAN,
            };
        }
        // Plausibility.
        let mut bad: Option<&str> = None;
        for &(i, lo, hi, name) in &bounds {
            let x = row[i];
            if !x.is_nan() && !(lo..=hi).contains(&x) {
                bad = Some(name);
                break;
            }
        }
        if bad.is_none() {
            // A relative column decoded outside the values its training column took.
            bad = layout.relative.iter().enumerate().find_map(|(c, r)| {
                let r = r.as_ref()?;
                (!row[c].is_nan() && !(r.range.0..=r.range.1).contains(&row[c])).then_some(r.rule.as_str())
            });
        }
        if bad.is_none()
            && let (Some(s), Some(dd)) = (g("sbp"), g("dbp"))
            && row[dd] >= row[s]
        {
            bad = Some("dbp < sbp");
        }
        if bad.is_none()
            && let (Some(a), Some(y)) = (i_age, g("smokeyrs"))
            && row[y] > row[a]
        {
            bad = Some("smokeyrs <= age");
        }
        if bad.is_none() {
            let inputs_missing = [age, ht, wt, creat].iter().any(|x| x.is_nan()) || female.is_none();
            for (c, src) in layout.sources.iter().enumerate() {
                let missing_ok = match src {
                    Source::Model(j) => cols[*j].has_missing,
                    Source::Id => true,
                    // Missing only when an input is (possible for non-NHEFS training files).
                    Source::Derived(_) => inputs_missing,
                };
                if row[c].is_nan() && !missing_ok || row[c].is_infinite() {
                    bad = Some("no NaN where a value is required");
                    break;
                }
            }
        }
        if let Some(b) = bad {
            *implausible.entry(b.to_string()).or_insert(0) += 1;
            keep[r] = false;
            continue;
        }
        if let Some(cr) = criteria {
            row_vals.clear();
            for (c, &x) in row.iter().enumerate() {
                row_vals.push(criteria_value(layout, label_values, c, x));
            }
            if !cr.accepts(&row_vals)? {
                keep[r] = false;
                rejected += 1;
            }
        }
    }
    Ok(Chunk { rows: rows.min(n), values, keep, implausible, rejected })
}

/// Generates a cohort. See the module docs for determinism; the report counts every row.
pub fn sample(model: &CohortModel, opts: &SampleOptions) -> Result<(Cohort, SampleReport), CohortError> {
    if opts.chunk == 0 {
        return Err(CohortError::Invalid("chunk size must be positive".into()));
    }
    if opts.n > opts.max_draws {
        // Every patient is at least one draw: this could never finish. Also keeps absurd
        // sizes from reaching an allocation.
        return Err(CohortError::Invalid(format!(
            "{} patients were asked for with a budget of {} draws (--max-draws): every patient \
             takes at least one draw, so this cannot finish; raise --max-draws to at least {} \
             (more with criteria: draws needed ≈ n / acceptance rate)",
            opts.n, opts.max_draws, opts.n
        )));
    }
    let layout = Layout::new(model);
    let names: Vec<&str> = layout.names.iter().map(String::as_str).collect();
    let text: Vec<bool> = layout.levels.iter().map(Option::is_some).collect();
    let criteria = opts.criteria.as_deref().map(|s| Criteria::parse_typed(s, &names, &text)).transpose()?;
    let screen = match (&criteria, opts.generator) {
        (Some(cr), Generator::Neural) => Screen::new(&layout, cr, model.meta.columns.len()),
        _ => None,
    };
    let label_values: Vec<Vec<Value>> = layout
        .levels
        .iter()
        .map(|l| l.as_ref().map_or_else(Vec::new, |lv| lv.iter().map(|s| Value::Str(Arc::from(s.as_str()))).collect()))
        .collect();
    tch::set_num_threads(1);
    let w = layout.names.len();
    if opts.n.checked_mul(w).is_none_or(|x| x > isize::MAX as usize / 8) {
        return Err(CohortError::Invalid(format!("{} patients of {w} columns do not fit in memory", opts.n)));
    }
    // Grown as rows are accepted; the reservation is capped, not sized for `n` up front.
    let mut rows: Vec<f64> = Vec::with_capacity(opts.n.min(1 << 16) * w);
    let mut report = SampleReport {
        drawn: 0,
        implausible: BTreeMap::new(),
        rejected_by_criteria: 0,
        accepted: 0,
        acceptance_rate: 1.0,
        returned: 0,
    };
    let started = std::time::Instant::now();
    let mut next = 0u64;
    let pilot = if criteria.is_some() { 16 } else { 1 };
    let mut batch = opts.n.div_ceil(opts.chunk).max(pilot).min(512);
    let mut taken = 0usize;
    while taken < opts.n {
        // Never past the budget: the pilot and every batch are cut to the draws left.
        let left = opts.max_draws - report.drawn;
        batch = batch.min(left.div_ceil(opts.chunk)).max(1);
        let start = next;
        let chunks: Vec<Chunk> = (next..next + batch as u64)
            .into_par_iter()
            .map(|c| {
                let before = (c - start) as usize * opts.chunk;
                let cut = left.saturating_sub(before).min(opts.chunk);
                gen_chunk(model, &layout, opts, criteria.as_ref(), screen.as_ref(), &label_values, c, cut)
            })
            .collect::<Result<_, _>>()?;
        next += batch as u64;
        for ch in chunks {
            report.drawn += ch.rows;
            report.rejected_by_criteria += ch.rejected;
            for (k, v) in ch.implausible {
                *report.implausible.entry(k).or_insert(0) += v;
            }
            for (r, &ok) in ch.keep.iter().enumerate() {
                if ok {
                    report.accepted += 1;
                    if taken < opts.n {
                        rows.extend_from_slice(&ch.values[r * w..(r + 1) * w]);
                        taken += 1;
                    }
                }
            }
        }
        let plausible = report.accepted + report.rejected_by_criteria;
        report.acceptance_rate = if plausible == 0 { 0.0 } else { report.accepted as f64 / plausible as f64 };
        if taken >= opts.n {
            break;
        }
        let rate = report.accepted as f64 / report.drawn as f64;
        let needed = if rate > 0.0 { (opts.n - taken) as f64 / rate } else { f64::INFINITY };
        if report.drawn >= opts.max_draws || report.drawn as f64 + needed > opts.max_draws as f64 {
            let rules = report.implausible.iter().map(|(k, v)| format!("{k}: {v}")).collect::<Vec<_>>().join(", ");
            if criteria.is_none() {
                // Nothing but the plausibility rules rejects rows here: name them.
                return Err(CohortError::Invalid(format!(
                    "only {} of {} generated patients pass the plausibility rules (rows rejected, by \
                     rule: {rules}); producing {} would need {}, over the budget of {} (--max-draws). \
                     The model generates patients outside the record's bounds (README §1); {}",
                    report.accepted,
                    report.drawn,
                    opts.n,
                    if rate > 0.0 { format!("about {:.0} draws", opts.n as f64 / rate) } else { "more draws than any budget".into() },
                    opts.max_draws,
                    plausibility_hint(&layout, model, &report.implausible)
                )));
            }
            let mut hint = range_hint(&layout, criteria.as_ref(), model);
            if report.accepted > 0 {
                // Possible but rare: say what finishing would take at the speed measured here.
                let total = opts.n as f64 / rate;
                let secs = started.elapsed().as_secs_f64() * total / report.drawn as f64;
                hint = format!(
                    "The criteria are possible but rare in the population the model learned: \
                     --max-draws {} would finish in about {secs:.0} s here; or relax them. {hint}",
                    (total * 1.2).ceil() as u64
                );
            }
            if report.accepted + report.rejected_by_criteria == 0 && !rules.is_empty() {
                hint = format!("No generated patient passed the plausibility rules ({rules}) before the criteria. {hint}");
            }
            return Err(CohortError::CriteriaTooRare {
                accepted: report.accepted,
                drawn: report.drawn,
                rate: 100.0 * report.acceptance_rate,
                wanted: opts.n,
                needed: if rate > 0.0 { opts.n as f64 / rate } else { f64::INFINITY },
                budget: opts.max_draws,
                hint,
            });
        }
        batch = ((needed * 1.1 / opts.chunk as f64).ceil() as usize).clamp(1, 512);
    }
    // Columnar output.
    let mut columns = Vec::with_capacity(w);
    for c in 0..w {
        let data = match &layout.levels[c] {
            Some(lv) => ColumnData::Text {
                levels: lv.clone(),
                codes: (0..taken).map(|r| { let x = rows[r * w + c]; if x.is_nan() { u32::MAX } else { x as u32 } }).collect(),
            },
            None if c == 0 => ColumnData::Num((1..=taken).map(|i| i as f64).collect()),
            None => ColumnData::Num((0..taken).map(|r| rows[r * w + c]).collect()),
        };
        columns.push(OutColumn {
            name: layout.names[c].clone(),
            unit: layout.units[c].clone(),
            description: layout.descriptions[c].clone(),
            data,
        });
    }
    report.returned = taken;
    Ok((Cohort { n: taken, columns }, report))
}

fn range_hint(layout: &Layout, criteria: Option<&Criteria>, model: &CohortModel) -> String {
    let Some(cr) = criteria else { return String::new() };
    let mut parts = Vec::new();
    for &c in &cr.used {
        let name = &layout.names[c];
        match &layout.levels[c] {
            Some(lv) => parts.push(format!("{name} takes {}", lv.join("/"))),
            None => {
                if let Some((lo, hi)) = layout.model_range(model, c) {
                    parts.push(format!("{name} ranges {lo}..{hi}"));
                }
            }
        }
    }
    if parts.is_empty() {
        "The criteria select too small a part of the population the model learned; relax them.".into()
    } else {
        format!(
            "The generator only produces patients like its training data ({}); criteria outside that cannot be met.",
            parts.join(", ")
        )
    }
}

/// For each bound that rejected rows: the range the model's column produces.
fn plausibility_hint(layout: &Layout, model: &CohortModel, implausible: &BTreeMap<String, usize>) -> String {
    let mut parts = Vec::new();
    for (name, lo, hi) in BOUNDS {
        if !implausible.contains_key(*name) {
            continue;
        }
        let range = layout.idx.get(name).and_then(|&c| layout.model_range(model, c));
        parts.push(match range {
            Some((a, b)) => format!("{name} must be within {lo}..{hi}, the model's {name} ranges {a}..{b}"),
            None => format!("{name} must be within {lo}..{hi}"),
        });
    }
    if parts.is_empty() {
        "retrain on data inside the bounds".into()
    } else {
        format!("{}; retrain on data inside the bounds", parts.join("; "))
    }
}
