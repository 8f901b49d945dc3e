//! Columns modelled relative to another column of the record.
//!
//! `smokeyrs` (years of smoking) is bounded by `age` and, read with it, says when a patient
//! started: `age − smokeyrs` is the age smoking started. Modelled directly, years of smoking
//! and age are two wide, strongly dependent columns whose difference — a narrow, heaped
//! distribution around 15–20 years — the token model gets wrong: on a 70 % part of
//! `nhefs-train.csv` both the NADE and the copula put 7.5 % of patients starting before
//! age 10, where 2.4 % of the real patients did (README §4, "Age smoking started"). So the
//! generator models the starting age instead, and sampling decodes `smokeyrs = age − start`.
//!
//! The table [`RELATIVE`] names the pairs by record name; a pair is used when the training
//! file has both columns as numbers and every row with a value of the column has one of its
//! base ([`plan`]). The model file lists the pairs it used (`relative` in `model.json`), so a
//! model trained without them (or on a file without `age`) decodes as before.

use serde::{Deserialize, Serialize};

use crate::data::{RawColumn, RawTable};
use crate::schema::record_for_source;

/// Record columns modelled as `base − column`: (column, base, what the difference is).
pub const RELATIVE: &[(&str, &str, &str)] = &[("smokeyrs", "age", "age smoking started (age − smokeyrs)")];

/// A column the model holds as `base − column`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RelativeColumn {
    /// The column, by training-file name.
    pub column: String,
    /// The column it is measured from, by training-file name.
    pub base: String,
    /// What the modelled difference means.
    pub meaning: String,
    /// Smallest and largest training value of the column itself: a decoded value outside
    /// them is rejected as implausible (the record's bounds still apply too).
    pub range: (f64, f64),
    /// Decimals of the column in the training file (decoded values are rounded to them).
    pub decimals: u32,
}

impl RelativeColumn {
    /// The plausibility rule a decoded value must meet, as counted in sampling reports.
    pub fn rule(&self, record_name: &str) -> String {
        format!("{record_name} within its training range {}..{}", self.range.0, self.range.1)
    }
}

fn numeric<'a>(table: &'a RawTable, name: &str) -> Option<(&'a [Option<f64>], u32)> {
    match &table.columns[table.index(name)?] {
        RawColumn::Numeric { values, decimals } => Some((values, *decimals)),
        RawColumn::Text { .. } => None,
    }
}

/// The pairs of [`RELATIVE`] this training file supports among its modelled columns `cols`
/// (by index): both columns numeric, the column has values, and every row with a value
/// of the column also has its base.
pub fn plan(table: &RawTable, cols: &[usize]) -> Vec<RelativeColumn> {
    let modelled = |record: &str| {
        cols.iter()
            .map(|&j| table.names[j].as_str())
            .find(|n| record_for_source(n).map_or(*n, |r| r.name) == record)
    };
    let mut out = Vec::new();
    for (column, base, meaning) in RELATIVE {
        let (Some(cn), Some(bn)) = (modelled(column), modelled(base)) else { continue };
        let (Some((cv, decimals)), Some((bv, _))) = (numeric(table, cn), numeric(table, bn)) else { continue };
        if cv.iter().zip(bv).any(|(c, b)| c.is_some() && b.is_none()) {
            continue;
        }
        let (lo, hi) = cv.iter().flatten().fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), &x| (a.min(x), b.max(x)));
        if lo > hi {
            continue;
        }
        out.push(RelativeColumn { column: cn.into(), base: bn.into(), meaning: (*meaning).into(), range: (lo, hi), decimals });
    }
    out
}

/// The table the generator learns from: each planned column replaced by `base − column`
/// (missing where the column is).
pub fn apply(table: &RawTable, relative: &[RelativeColumn]) -> RawTable {
    let mut out = table.clone();
    for r in relative {
        let (Some((cv, decimals)), Some((bv, bd))) = (numeric(table, &r.column), numeric(table, &r.base)) else { continue };
        let values = cv.iter().zip(bv).map(|(c, b)| Some(b.as_ref()? - c.as_ref()?)).collect();
        let j = table.index(&r.column).expect("planned column");
        out.columns[j] = RawColumn::Numeric { values, decimals: decimals.max(bd) };
    }
    out
}

/// Decodes a column from its modelled difference and its base (NaN when either is missing).
pub fn decode(base: f64, difference: f64, decimals: u32) -> f64 {
    crate::transform::round_to(base - difference, decimals)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn table(age: &[Option<f64>], yrs: &[Option<f64>]) -> RawTable {
        RawTable {
            source: "t.csv".into(),
            names: vec!["age".into(), "smokeyrs".into()],
            columns: vec![
                RawColumn::Numeric { values: age.to_vec(), decimals: 0 },
                RawColumn::Numeric { values: yrs.to_vec(), decimals: 0 },
            ],
        }
    }

    #[test]
    fn smoking_years_become_the_starting_age_and_decode_back() {
        let t = table(&[Some(40.0), Some(60.0), Some(30.0)], &[Some(20.0), None, Some(12.0)]);
        let plan = plan(&t, &[0, 1]);
        assert_eq!(plan.len(), 1);
        assert_eq!((plan[0].column.as_str(), plan[0].base.as_str(), plan[0].range), ("smokeyrs", "age", (12.0, 20.0)));
        let a = apply(&t, &plan);
        let RawColumn::Numeric { values, .. } = &a.columns[1] else { panic!() };
        assert_eq!(values, &vec![Some(20.0), None, Some(18.0)]);
        assert_eq!(a.columns[0], t.columns[0]);
        assert_eq!(decode(30.0, 18.0, 0), 12.0);
        assert!(decode(f64::NAN, 18.0, 0).is_nan() && decode(30.0, f64::NAN, 0).is_nan());
    }

    #[test]
    fn not_used_when_a_value_has_no_base_or_a_column_is_not_modelled() {
        let t = table(&[Some(40.0), None], &[Some(20.0), Some(3.0)]);
        assert!(plan(&t, &[0, 1]).is_empty(), "a smokeyrs value without an age");
        let t = table(&[Some(40.0), Some(50.0)], &[Some(20.0), Some(3.0)]);
        assert!(plan(&t, &[1]).is_empty(), "age excluded");
        assert!(plan(&t, &[0]).is_empty(), "smokeyrs excluded");
        let t = table(&[Some(40.0), Some(50.0)], &[None, None]);
        assert!(plan(&t, &[0, 1]).is_empty(), "no smokeyrs values");
    }
}
