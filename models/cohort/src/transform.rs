//! Per-column tokenisation: every column becomes a small alphabet of tokens.
//!
//! This is the mode-specific normalisation of the generators. Categorical columns keep their
//! levels. Continuous columns are cut into (at most `max_bins`) quantile bins, so every mode
//! of a multi-modal or heaped distribution gets its own tokens; a value is decoded inside
//! its bin either by drawing one of the values seen there (discrete-valued columns: ages,
//! cigarettes per day, creatinine reported to 0.1 mg/dL keep their heaping) or uniformly
//! between the bin edges (truly continuous columns: no training value is reproduced).
//! A missing value is one more token, so missingness is modelled jointly with everything
//! else, never imputed silently.

use serde::{Deserialize, Serialize};

use crate::data::RawColumn;

/// A categorical level: a number code or a text label.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum Level {
    /// A numeric code (e.g. `sex` 0/1 in NHEFS).
    Num(f64),
    /// A text label (e.g. `sex` F/M in flchain).
    Text(String),
}

/// One value of a generated or loaded cell.
#[derive(Debug, Clone, PartialEq)]
pub enum Cell {
    /// A number.
    Num(f64),
    /// A text label.
    Text(String),
    /// Missing.
    Missing,
}

/// A quantile bin of a continuous column.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Bin {
    /// Lower edge.
    pub lo: f64,
    /// Upper edge.
    pub hi: f64,
    /// For discrete-valued columns: the values seen in this bin and their counts.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub values: Vec<(f64, u32)>,
}

/// How a column is tokenised.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum ColumnKind {
    /// A fixed set of levels.
    Categorical {
        /// The levels, in token order.
        levels: Vec<Level>,
    },
    /// A continuous column cut into quantile bins.
    Continuous {
        /// The bins, in increasing order.
        bins: Vec<Bin>,
        /// Decimals to round generated values to (as many as the training file had).
        decimals: u32,
        /// True when every training value was an integer.
        integer: bool,
    },
}

/// The tokenisation of one column.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ColumnTransform {
    /// Column name in the training file.
    pub name: String,
    /// Kind and parameters.
    #[serde(flatten)]
    pub kind: ColumnKind,
    /// True when the column had missing values: one extra token (the last) means "missing".
    pub has_missing: bool,
    /// Missing cells seen in training.
    pub n_missing: usize,
}

/// Options for building transforms.
#[derive(Debug, Clone, Copy)]
pub struct TransformOptions {
    /// An integer-valued numeric column with at most this many distinct values is categorical.
    pub max_categories: usize,
    /// Most bins for a continuous column.
    pub max_bins: usize,
    /// Most levels for a text column.
    pub max_text_levels: usize,
}

impl Default for TransformOptions {
    fn default() -> Self {
        TransformOptions { max_categories: 15, max_bins: 24, max_text_levels: 50 }
    }
}

impl ColumnTransform {
    /// Learns the tokenisation of `column`.
    pub fn fit(name: &str, column: &RawColumn, opt: &TransformOptions) -> Result<Self, String> {
        let n_missing = column.missing();
        match column {
            RawColumn::Text { values } => {
                let mut levels: Vec<String> = values.iter().flatten().cloned().collect();
                levels.sort();
                levels.dedup();
                if levels.len() > opt.max_text_levels {
                    return Err(format!(
                        "{} distinct text values (at most {} are modelled as categories)",
                        levels.len(),
                        opt.max_text_levels
                    ));
                }
                Ok(ColumnTransform {
                    name: name.into(),
                    kind: ColumnKind::Categorical {
                        levels: levels.into_iter().map(Level::Text).collect(),
                    },
                    has_missing: n_missing > 0,
                    n_missing,
                })
            }
            RawColumn::Numeric { values, decimals } => {
                let mut xs: Vec<f64> = values.iter().flatten().copied().collect();
                xs.sort_by(f64::total_cmp);
                let mut distinct: Vec<(f64, u32)> = Vec::new();
                for &x in &xs {
                    match distinct.last_mut() {
                        Some((v, c)) if *v == x => *c += 1,
                        _ => distinct.push((x, 1)),
                    }
                }
                let integer = xs.iter().all(|x| x.fract() == 0.0);
                if integer && distinct.len() <= opt.max_categories {
                    return Ok(ColumnTransform {
                        name: name.into(),
                        kind: ColumnKind::Categorical {
                            levels: distinct.iter().map(|(v, _)| Level::Num(*v)).collect(),
                        },
                        has_missing: n_missing > 0,
                        n_missing,
                    });
                }
                // Discrete-valued: many ties (integers, or values reported on a coarse grid).
                let discrete = integer || distinct.len() * 3 <= xs.len();
                let n = xs.len();
                let target = opt.max_bins.min(distinct.len()).max(1);
                let mut groups: Vec<Vec<(f64, u32)>> = vec![Vec::new()];
                let mut cum = 0usize;
                for (i, &(v, c)) in distinct.iter().enumerate() {
                    groups.last_mut().expect("non-empty").push((v, c));
                    cum += c as usize;
                    let k = groups.len();
                    if cum * target >= k * n && i + 1 < distinct.len() && k < target {
                        groups.push(Vec::new());
                    }
                }
                let mut bins = Vec::with_capacity(groups.len());
                for (k, g) in groups.iter().enumerate() {
                    let lo = if k == 0 { g[0].0 } else {
                        let prev = groups[k - 1].last().expect("non-empty").0;
                        0.5 * (prev + g[0].0)
                    };
                    let hi = if k + 1 == groups.len() { g.last().expect("non-empty").0 } else {
                        0.5 * (g.last().expect("non-empty").0 + groups[k + 1][0].0)
                    };
                    bins.push(Bin { lo, hi, values: if discrete { g.clone() } else { Vec::new() } });
                }
                Ok(ColumnTransform {
                    name: name.into(),
                    kind: ColumnKind::Continuous { bins, decimals: *decimals, integer },
                    has_missing: n_missing > 0,
                    n_missing,
                })
            }
        }
    }

    /// Number of non-missing tokens.
    pub fn n_values(&self) -> usize {
        match &self.kind {
            ColumnKind::Categorical { levels } => levels.len(),
            ColumnKind::Continuous { bins, .. } => bins.len(),
        }
    }

    /// Number of tokens (values plus the missing token, if any).
    pub fn n_tokens(&self) -> usize {
        self.n_values() + usize::from(self.has_missing)
    }

    /// True for continuous columns.
    pub fn is_continuous(&self) -> bool {
        matches!(self.kind, ColumnKind::Continuous { .. })
    }

    /// The token of a number (nearest level / containing bin), or the missing token.
    pub fn encode_num(&self, x: Option<f64>) -> usize {
        let Some(x) = x else {
            return self.n_values().min(self.n_tokens() - 1);
        };
        match &self.kind {
            ColumnKind::Categorical { levels } => {
                let mut best = 0;
                let mut dist = f64::INFINITY;
                for (i, l) in levels.iter().enumerate() {
                    if let Level::Num(v) = l
                        && (v - x).abs() < dist
                    {
                        dist = (v - x).abs();
                        best = i;
                    }
                }
                best
            }
            ColumnKind::Continuous { bins, .. } => {
                bins.iter().position(|b| x <= b.hi).unwrap_or(bins.len() - 1)
            }
        }
    }

    /// The token of a text label (`None` when the label is unknown), or the missing token.
    pub fn encode_text(&self, s: Option<&str>) -> Option<usize> {
        let Some(s) = s else {
            return self.has_missing.then(|| self.n_values());
        };
        match &self.kind {
            ColumnKind::Categorical { levels } => {
                levels.iter().position(|l| matches!(l, Level::Text(t) if t == s))
            }
            ColumnKind::Continuous { .. } => None,
        }
    }

    /// Tokens of a whole column.
    pub fn encode_column(&self, column: &RawColumn) -> Vec<usize> {
        match column {
            RawColumn::Numeric { values, .. } => values.iter().map(|v| self.encode_num(*v)).collect(),
            RawColumn::Text { values } => values
                .iter()
                .map(|v| self.encode_text(v.as_deref()).unwrap_or(0))
                .collect(),
        }
    }

    /// Decodes a token to a value; `u` in [0, 1) chooses the value inside a bin.
    pub fn decode(&self, token: usize, u: f64) -> Cell {
        if token >= self.n_values() {
            return Cell::Missing;
        }
        match &self.kind {
            ColumnKind::Categorical { levels } => match &levels[token] {
                Level::Num(v) => Cell::Num(*v),
                Level::Text(t) => Cell::Text(t.clone()),
            },
            ColumnKind::Continuous { bins, decimals, integer } => {
                let b = &bins[token];
                if !b.values.is_empty() {
                    let total: u32 = b.values.iter().map(|(_, c)| c).sum();
                    let mut r = u * f64::from(total);
                    for &(v, c) in &b.values {
                        r -= f64::from(c);
                        if r < 0.0 {
                            return Cell::Num(v);
                        }
                    }
                    return Cell::Num(b.values.last().expect("non-empty").0);
                }
                let x = b.lo + u * (b.hi - b.lo);
                let x = if *integer { x.round() } else { round_to(x, *decimals) };
                Cell::Num(x.clamp(b.lo.min(b.hi), b.hi.max(b.lo)))
            }
        }
    }

    /// Decodes a token to a number without allocating: NaN for missing; for a text
    /// categorical column, the level index.
    pub fn decode_num(&self, token: usize, u: f64) -> f64 {
        if token >= self.n_values() {
            return f64::NAN;
        }
        match &self.kind {
            ColumnKind::Categorical { levels } => match &levels[token] {
                Level::Num(v) => *v,
                Level::Text(_) => token as f64,
            },
            ColumnKind::Continuous { .. } => match self.decode(token, u) {
                Cell::Num(x) => x,
                _ => f64::NAN,
            },
        }
    }

    /// Raw numeric position of every token (bin midpoint or level value; `None` for text
    /// levels and the missing token).
    pub fn raw_positions(&self) -> Vec<Option<f64>> {
        let mut out: Vec<Option<f64>> = match &self.kind {
            ColumnKind::Categorical { levels } => {
                levels.iter().map(|l| if let Level::Num(v) = l { Some(*v) } else { None }).collect()
            }
            ColumnKind::Continuous { bins, .. } => bins.iter().map(|b| Some(0.5 * (b.lo + b.hi))).collect(),
        };
        if self.has_missing {
            out.push(None);
        }
        out
    }

    /// The text levels of a text categorical column (`None` otherwise).
    pub fn text_levels(&self) -> Option<Vec<String>> {
        match &self.kind {
            ColumnKind::Categorical { levels } if levels.iter().all(|l| matches!(l, Level::Text(_))) => {
                Some(levels.iter().map(|l| if let Level::Text(t) = l { t.clone() } else { String::new() }).collect())
            }
            _ => None,
        }
    }

    /// Empirical token frequencies of the training column are not stored; this gives the
    /// smallest and largest value the column can decode to.
    pub fn range(&self) -> Option<(f64, f64)> {
        match &self.kind {
            ColumnKind::Categorical { levels } => {
                let nums: Vec<f64> = levels
                    .iter()
                    .filter_map(|l| if let Level::Num(v) = l { Some(*v) } else { None })
                    .collect();
                (!nums.is_empty()).then(|| {
                    (nums.iter().copied().fold(f64::INFINITY, f64::min),
                     nums.iter().copied().fold(f64::NEG_INFINITY, f64::max))
                })
            }
            ColumnKind::Continuous { bins, .. } => Some((bins[0].lo, bins[bins.len() - 1].hi)),
        }
    }
}

/// Rounds to `decimals` digits after the point.
pub fn round_to(x: f64, decimals: u32) -> f64 {
    let p = 10f64.powi(decimals.min(12) as i32);
    (x * p).round() / p
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn heaped_integer_column_keeps_its_values() {
        let values: Vec<Option<f64>> =
            (0..200).map(|i| Some(if i % 2 == 0 { 20.0 } else { f64::from(i % 37) })).collect();
        let col = RawColumn::Numeric { values: values.clone(), decimals: 0 };
        let t = ColumnTransform::fit("x", &col, &TransformOptions::default()).unwrap();
        assert!(t.is_continuous());
        for v in values.iter().flatten() {
            let tok = t.encode_num(Some(*v));
            // Decoding anywhere in the bin gives a value seen in training, in the same bin.
            for u in [0.0, 0.3, 0.99] {
                let Cell::Num(d) = t.decode(tok, u) else { panic!() };
                assert_eq!(t.encode_num(Some(d)), tok);
                assert!(values.contains(&Some(d)));
            }
        }
    }

    #[test]
    fn missing_is_its_own_token() {
        let col = RawColumn::Numeric { values: vec![Some(1.0), None, Some(0.0)], decimals: 0 };
        let t = ColumnTransform::fit("x", &col, &TransformOptions::default()).unwrap();
        assert_eq!(t.n_tokens(), 3);
        assert_eq!(t.encode_num(None), 2);
        assert_eq!(t.decode(2, 0.5), Cell::Missing);
    }
}
