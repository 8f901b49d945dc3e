//! Checks, before training, that a covariate file (and a creatinine file) fit the patient
//! record of README §1: record names, sex coding, derived-column clashes, plausibility bounds
//! and relations. Each refusal says what to exclude, rename or correct.

use crate::data::{RawColumn, RawTable};
use crate::error::CohortError;
use crate::model::CreatinineMeta;
use crate::schema::{BOUNDS, DERIVED, check_sex_levels, female_of_tokens, numeric_levels, record_for_source};
use crate::transform::ColumnTransform;

/// Record name of a training column.
fn record_name(source: &str) -> &str {
    record_for_source(source).map_or(source, |r| r.name)
}

/// Checks, before training, that the covariate file fits the patient record (README §1):
/// no two columns (or a column and the cohort's `id`) share a record name; a column named
/// like a derived column is refused when the record derives it from columns that are
/// present (a modelled copy would disagree with them); `sex` is coded so that the derived
/// columns know who is female; and no training value lies outside the record's plausibility
/// bounds ([`BOUNDS`]).
///
/// Bounds: the training data is refused rather than the bounds widened to it. The bounds
/// and the derived equations (CKD-EPI 2021, Cockcroft–Gault, Mosteller BSA limits) are those
/// of adults; a model of, say, children would learn a population whose every generated row
/// fails them (sampling could never finish) or, for ages 5–60, silently lose everyone under
/// 18. Refusing names the column, the bound and the count; renaming the column models it as
/// an ordinary column, without bounds or derived columns.
pub(crate) fn check_record(table: &RawTable, cols: &[usize], transforms: &[ColumnTransform], creat_file: bool) -> Result<(), CohortError> {
    let src = &table.source;
    let names: Vec<&str> = transforms.iter().map(|t| record_name(&t.name)).collect();
    check_name_case(src, transforms)?;
    for (k, t) in transforms.iter().enumerate() {
        if names[k] == "id" {
            return Err(CohortError::Invalid(format!(
                "{src}: column {:?} would be written as `id`, the patient number of the generated \
                 cohort, giving two `id` columns; exclude it (an identifier: `id` is excluded by \
                 default, like `seqn`) or rename it",
                t.name
            )));
        }
        if let Some(o) = (0..k).find(|&o| names[o] == names[k]) {
            return Err(CohortError::Invalid(format!(
                "{src}: columns {:?} and {:?} are both the record column `{}`; exclude or rename one",
                transforms[o].name, t.name, names[k]
            )));
        }
    }
    let has = |n: &str| names.contains(&n);
    let body = has("height") && has("weight");
    let sex_age = has("sex") && has("age");
    let creat_known = sex_age && (creat_file || has("creatinine"));
    for d in DERIVED {
        let inputs = match d.name {
            "bmi" | "bsa" => body.then_some("height and weight"),
            "egfr" => creat_known.then_some("creatinine, age and sex"),
            "crcl" => (creat_known && body).then_some("creatinine, age, sex and weight"),
            // A modelled creatinine feeds eGFR/CrCl; a CYP2C19 column is real data.
            _ => None,
        };
        if let (Some(inputs), true) = (inputs, has(d.name)) {
            return Err(CohortError::Invalid(format!(
                "{src}: column {:?} is a derived column of the record, computed from {inputs} \
                 (also in this file); a modelled copy would disagree with them. Exclude it \
                 (--exclude {}) or rename it",
                d.name, d.name
            )));
        }
    }
    if let Some(t) = transforms.iter().find(|t| record_name(&t.name) == "sex") {
        check_sex_levels(t, src).map_err(CohortError::Invalid)?;
    }
    let mut outside = Vec::new();
    for (k, &j) in cols.iter().enumerate() {
        let Some(&(_, lo, hi)) = BOUNDS.iter().find(|b| b.0 == names[k]) else { continue };
        match &table.columns[j] {
            RawColumn::Numeric { values, .. } => {
                let bad: Vec<usize> =
                    (0..values.len()).filter(|&i| values[i].is_some_and(|x| !(lo..=hi).contains(&x))).collect();
                if !bad.is_empty() {
                    let (mn, mx) = bad
                        .iter()
                        .filter_map(|&i| values[i])
                        .fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), x| (a.min(x), b.max(x)));
                    outside.push(format!(
                        "{} ({}): {} of {} rows outside {lo}..{hi} (values {mn}..{mx}; {})",
                        names[k],
                        transforms[k].name,
                        bad.len(),
                        table.n_rows(),
                        data_rows(&bad)
                    ));
                }
            }
            RawColumn::Text { values } => {
                let example = values.iter().flatten().next().cloned().unwrap_or_default();
                return Err(CohortError::Invalid(format!(
                    "{src}: column {:?} is text (e.g. {example:?}) but the record's `{}` is a number \
                     (README §1); recode it as numbers, or rename it to model it as an ordinary column",
                    transforms[k].name, names[k]
                )));
            }
        }
    }
    outside.extend(relation_violations(table, cols, &names));
    if !outside.is_empty() {
        return Err(CohortError::Invalid(format!(
            "{src}: training values outside the record's plausibility rules (adults, README §1): {}. \
             Generated patients breaking them are rejected, so this model could not reproduce \
             its training population. Correct or remove those rows, or rename the column to model \
             it as an ordinary column (no bounds, no derived columns)",
            outside.join("; ")
        )));
    }
    Ok(())
}

/// A training column whose name matches a record, derived or `id` column only when case is
/// ignored (`SEX`, `Age`, `BMI`, `Id`) would be neither the record's column nor safely an
/// ordinary one (the cohort would carry `BMI` beside a derived `bmi`, which DuckDB treats as
/// the same name): refused, with the exact spelling to use.
fn check_name_case(src: &str, transforms: &[ColumnTransform]) -> Result<(), CohortError> {
    let reserved = std::iter::once("id")
        .chain(crate::schema::RECORD.iter().flat_map(|r| [r.name, r.source]))
        .chain(DERIVED.iter().map(|d| d.name));
    for name in reserved {
        if let Some(t) = transforms.iter().find(|t| t.name != name && t.name.eq_ignore_ascii_case(name)) {
            return Err(CohortError::Invalid(format!(
                "{src}: column {:?} differs only in case from the record's `{name}` (names are \
                 case-sensitive, and the cohort file could not hold both); rename it to `{name}` \
                 to use it as that record column, or to another name to model it as an ordinary \
                 column (or exclude it)",
                t.name
            )));
        }
    }
    Ok(())
}

/// Rows breaking the record's relations (`dbp < sbp`, `smokeyrs <= age`), which sampling
/// enforces on every generated row; one message per relation broken.
fn relation_violations(table: &RawTable, cols: &[usize], names: &[&str]) -> Vec<String> {
    let col = |n: &str| {
        let k = names.iter().position(|x| *x == n)?;
        match &table.columns[cols[k]] {
            RawColumn::Numeric { values, .. } => Some(values),
            RawColumn::Text { .. } => None,
        }
    };
    let mut out = Vec::new();
    for (rule, small, large, strict) in [("dbp < sbp", "dbp", "sbp", true), ("smokeyrs <= age", "smokeyrs", "age", false)] {
        let (Some(a), Some(b)) = (col(small), col(large)) else { continue };
        let bad: Vec<usize> = (0..a.len())
            .filter(|&i| match (a[i], b[i]) {
                (Some(x), Some(y)) => if strict { x >= y } else { x > y },
                _ => false,
            })
            .collect();
        if !bad.is_empty() {
            out.push(format!("{rule}: broken by {} of {} rows ({})", bad.len(), table.n_rows(), data_rows(&bad)));
        }
    }
    out
}

/// "data rows 3, 17 and 40" (1-based, the header not counted), at most five listed.
fn data_rows(rows: &[usize]) -> String {
    let shown: Vec<String> = rows.iter().take(5).map(|i| (i + 1).to_string()).collect();
    let more = if rows.len() > 5 { format!(" and {} more", rows.len() - 5) } else { String::new() };
    format!("data row{} {}{more}", if rows.len() == 1 { "" } else { "s" }, shown.join(", "))
}

/// The creatinine file's sex levels must cover the covariate file's (same meaning, per
/// [`crate::schema::sex_is_female`] or the NHEFS codes 0 = male, 1 = female), or no patient
/// of the unmatched sex would get a creatinine.
pub(crate) fn check_creatinine_sex(src: &str, cf: &str, transforms: &[ColumnTransform], m: &CreatinineMeta) -> Result<(), CohortError> {
    check_sex_levels(&m.columns[0], &format!("creatinine data {cf}")).map_err(CohortError::Invalid)?;
    let Some(t) = transforms.iter().find(|t| record_name(&t.name) == "sex") else { return Ok(()) };
    let (Some(cov), Some(cr)) = (female_of_tokens(t), female_of_tokens(&m.columns[0])) else { return Ok(()) };
    let show = |t: &ColumnTransform| match (t.text_levels(), numeric_levels(t)) {
        (Some(l), _) => l.join(", "),
        (_, Some(v)) => v.iter().map(|x| x.to_string()).collect::<Vec<_>>().join(", "),
        _ => String::new(),
    };
    if cov.iter().any(|f| !cr.contains(f)) {
        return Err(CohortError::Invalid(format!(
            "the sexes of {src} (sex {}) are not all in the creatinine data {cf} (sex {}): \
             patients of the missing sex would get no creatinine, eGFR or CrCl",
            show(t),
            show(&m.columns[0])
        )));
    }
    Ok(())
}
