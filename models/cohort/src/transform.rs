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
    /// For the outermost bins of truly continuous columns: interior edges of equal-mass
    /// sub-bins (quantiles of the training values in the bin); a value is decoded uniformly
    /// inside one of them. Empty: uniform over the whole bin.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub knots: Vec<f64>,
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
    /// Equal-mass sub-bins of the first and last bin of a truly continuous column (3, the
    /// default; 1: none, uniform between the bin edges). Quantile bins are narrow in the
    /// bulk, but the outermost ones stretch to the extremes (NHEFS weight: the top bin is
    /// 100–169 kg, two thirds of its patients under 112), where a uniform draw puts half the
    /// bin's patients above 135 kg. 3 gives the best held-out within-bin likelihood for
    /// height and weight (2 and 4: worse or equal), chosen by validation NLL (README, sweep).
    pub edge_sub_bins: usize,
}

impl Default for TransformOptions {
    fn default() -> Self {
        TransformOptions { max_categories: 15, max_bins: 24, max_text_levels: 50, edge_sub_bins: 3 }
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
                    let edge = k == 0 || k + 1 == groups.len();
                    let knots = if !discrete && edge && opt.edge_sub_bins > 1 {
                        sub_bin_knots(g, opt.edge_sub_bins, lo, hi)
                    } else {
                        Vec::new()
                    };
                    bins.push(Bin { lo, hi, values: if discrete { g.clone() } else { Vec::new() }, knots });
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
                let x = if b.knots.is_empty() {
                    b.lo + u * (b.hi - b.lo)
                } else {
                    // Equal-mass sub-bins: u picks one and the position inside it.
                    let m = b.knots.len() + 1;
                    let k = ((u * m as f64) as usize).min(m - 1);
                    let lo = if k == 0 { b.lo } else { b.knots[k - 1] };
                    let hi = if k + 1 == m { b.hi } else { b.knots[k] };
                    lo + (u * m as f64 - k as f64) * (hi - lo)
                };
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

/// Interior edges of `m` equal-mass sub-bins of [lo, hi] from the (sorted, counted) values
/// in the bin: linearly interpolated quantiles, kept inside the bin and non-decreasing; none
/// when the bin holds fewer than 2·m values.
fn sub_bin_knots(values: &[(f64, u32)], m: usize, lo: f64, hi: f64) -> Vec<f64> {
    let xs: Vec<f64> = values.iter().flat_map(|&(v, c)| std::iter::repeat_n(v, c as usize)).collect();
    if xs.len() < 2 * m {
        return Vec::new();
    }
    let mut prev = lo;
    (1..m)
        .map(|i| {
            let h = (xs.len() - 1) as f64 * i as f64 / m as f64;
            let f = h.floor() as usize;
            let q = xs[f] + (h - f as f64) * (xs[(f + 1).min(xs.len() - 1)] - xs[f]);
            prev = q.clamp(prev, hi);
            prev
        })
        .collect()
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
    fn outermost_bins_decode_by_equal_mass_sub_bins() {
        // A long upper tail: most of the top bin's values sit near its lower edge.
        let values: Vec<Option<f64>> =
            (0..480).map(|i| Some(50.0 + f64::from(i) * 0.1 + if i >= 470 { 40.0 } else { 0.0 })).collect();
        let col = RawColumn::Numeric { values, decimals: 2 };
        let opt = TransformOptions { max_bins: 24, ..TransformOptions::default() };
        assert_eq!(opt.edge_sub_bins, 3);
        let t = ColumnTransform::fit("x", &col, &opt).unwrap();
        let ColumnKind::Continuous { bins, .. } = &t.kind else { panic!() };
        let last = bins.len() - 1;
        assert_eq!(bins[0].knots.len(), 2);
        assert_eq!(bins[last].knots.len(), 2);
        assert!(bins[1..last].iter().all(|b| b.knots.is_empty()));
        // Monotone in u, inside the bin; two thirds of the mass below the second knot.
        let xs: Vec<f64> = (0..100).map(|k| t.decode_num(last, f64::from(k) / 100.0)).collect();
        assert!(xs.windows(2).all(|w| w[0] <= w[1]), "{xs:?}");
        assert!(xs.iter().all(|&x| x >= bins[last].lo && x <= bins[last].hi));
        assert!(xs[66] <= bins[last].knots[1] + 0.01, "{} {:?}", xs[66], bins[last].knots);
        // 1: none.
        let t1 = ColumnTransform::fit("x", &col, &TransformOptions { edge_sub_bins: 1, ..opt }).unwrap();
        let ColumnKind::Continuous { bins, .. } = &t1.kind else { panic!() };
        assert!(bins.iter().all(|b| b.knots.is_empty()));
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
