//! Aligning real, synthetic and training tables before they are compared: record names back
//! to training names, record labels back to codes (only where every value is one of them),
//! the same text levels on every side, type checks, and numeric column-major matrices.

use crate::data::{RawColumn, RawTable};
use crate::error::CohortError;
use crate::schema::{record_for_name, record_for_source};
use crate::transform::{ColumnTransform, TransformOptions};

/// A table as numeric columns over a fixed column list.
pub(super) struct NumTable {
    pub(super) cols: Vec<Vec<f64>>,
    pub(super) n: usize,
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
        let consistent = tables.iter().all(|t| match t.index(&name).map(|j| &t.columns[j]) {
            None => true,
            Some(RawColumn::Text { values }) => values.iter().flatten().all(|s| rec.code_of(s).is_some()),
            Some(RawColumn::Numeric { values, .. }) => values.iter().flatten().all(|&v| rec.is_code(v)),
        });
        if !consistent {
            continue;
        }
        for t in tables.iter_mut() {
            let Some(j) = t.index(&name) else { continue };
            if let RawColumn::Text { values } = &t.columns[j] {
                let mapped = values.iter().map(|v| v.as_deref().and_then(|s| rec.code_of(s))).collect();
                t.columns[j] = RawColumn::Numeric { values: mapped, decimals: 0 };
            }
        }
    }
}

/// Maps record names/labels back to training names/codes in all the tables together.
pub(super) fn to_training_names(tables: &mut [&mut RawTable]) {
    for t in tables.iter_mut() {
        rename_to_training(t);
    }
    align_labels(tables);
}

/// Refuses a column that holds numbers in one table and text in another (after
/// [`align_labels`]): comparing them would read the text as missing or the numbers as level
/// indices. A column with no value in a table has no type there and matches either.
pub(super) fn check_types(names: &[String], tables: &[&RawTable]) -> Result<(), CohortError> {
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
pub(super) fn text_levels(names: &[String], real: &RawTable, others: &[&RawTable]) -> Vec<Option<Vec<String>>> {
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

pub(super) fn numeric(t: &RawTable, names: &[String], text_levels: &[Option<Vec<String>>]) -> NumTable {
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

/// Whether each column is categorical: from the real column, or (when it has no value there)
/// the training rows' or the synthetic one's.
pub(super) fn categorical_flags(names: &[String], tables: &[&RawTable]) -> Result<Vec<bool>, CohortError> {
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
