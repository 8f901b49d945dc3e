//! The patient record: output names, units and codes of every column `cohort sample` writes.
//!
//! The generator models the training file's columns under their own names (NHEFS: `ht`,
//! `wt71`, `sex` 0/1 …). The record renames and relabels them (table [`RECORD`]) and adds
//! the derived columns ([`DERIVED`]). A training column that the table does not know keeps
//! its name and its values, with the unit "as in the training file".

/// One column of the record that comes from a training column.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RecordColumn {
    /// Name in the record (and in criteria).
    pub name: &'static str,
    /// Name in the training file (NHEFS).
    pub source: &'static str,
    /// Unit, or "code"/"label" for categorical columns.
    pub unit: &'static str,
    /// Meaning, with the codes.
    pub description: &'static str,
    /// Numeric codes written as text labels (empty: written as numbers).
    pub labels: &'static [(f64, &'static str)],
}

impl RecordColumn {
    /// Whether `v` is one of the numeric codes the record labels.
    pub fn is_code(&self, v: f64) -> bool {
        self.labels.iter().any(|(c, _)| *c == v)
    }

    /// The numeric code a record label stands for.
    pub fn code_of(&self, label: &str) -> Option<f64> {
        self.labels.iter().find(|(_, l)| *l == label).map(|(c, _)| *c)
    }
}

/// Sex labels (NHEFS 0 male, 1 female).
pub const SEX_LABELS: &[(f64, &str)] = &[(0.0, "M"), (1.0, "F")];
/// Race labels (NHEFS 0 white, 1 black or other).
pub const RACE_LABELS: &[(f64, &str)] = &[(0.0, "white"), (1.0, "black_or_other")];

/// The record columns that come from NHEFS columns.
pub const RECORD: &[RecordColumn] = &[
    RecordColumn { name: "sex", source: "sex", unit: "label", description: "sex: 'F' female, 'M' male", labels: SEX_LABELS },
    RecordColumn { name: "age", source: "age", unit: "years", description: "age at baseline", labels: &[] },
    RecordColumn { name: "race", source: "race", unit: "label", description: "race: 'white' or 'black_or_other' (NHEFS coding)", labels: RACE_LABELS },
    RecordColumn { name: "height", source: "ht", unit: "cm", description: "height", labels: &[] },
    RecordColumn { name: "weight", source: "wt71", unit: "kg", description: "body weight", labels: &[] },
    RecordColumn { name: "sbp", source: "sbp", unit: "mmHg", description: "systolic blood pressure (may be missing)", labels: &[] },
    RecordColumn { name: "dbp", source: "dbp", unit: "mmHg", description: "diastolic blood pressure (may be missing)", labels: &[] },
    RecordColumn { name: "cholesterol", source: "cholesterol", unit: "mg/dL", description: "serum total cholesterol (may be missing)", labels: &[] },
    RecordColumn { name: "diabetes", source: "diabetes", unit: "code", description: "ever told diabetes: 0 never, 1 ever, 2 not recorded", labels: &[] },
    RecordColumn { name: "hbp", source: "hbp", unit: "code", description: "ever told high blood pressure: 0 never, 1 ever, 2 not recorded", labels: &[] },
    RecordColumn { name: "hf", source: "hf", unit: "code", description: "ever heart failure: 0 no, 1 yes", labels: &[] },
    RecordColumn { name: "asthma", source: "asthma", unit: "code", description: "ever asthma: 0 no, 1 yes", labels: &[] },
    RecordColumn { name: "smokeintensity", source: "smokeintensity", unit: "cigarettes/day", description: "smoking intensity", labels: &[] },
    RecordColumn { name: "smokeyrs", source: "smokeyrs", unit: "years", description: "years of smoking", labels: &[] },
    RecordColumn { name: "education", source: "education", unit: "code", description: "1 <=8th grade, 2 high-school dropout, 3 high school, 4 college dropout, 5 college or more", labels: &[] },
    RecordColumn { name: "exercise", source: "exercise", unit: "code", description: "recreational exercise: 0 much, 1 moderate, 2 little or none", labels: &[] },
    RecordColumn { name: "active", source: "active", unit: "code", description: "daily activity: 0 very active, 1 moderately active, 2 inactive", labels: &[] },
    RecordColumn { name: "alcoholfreq", source: "alcoholfreq", unit: "code", description: "alcohol: 0 almost daily, 1 2-3x/week, 2 1-4x/month, 3 <12x/year, 4 none last year, 5 unknown", labels: &[] },
    RecordColumn { name: "income", source: "income", unit: "code", description: "income bracket code 11-22 (ordinal; may be missing)", labels: &[] },
    RecordColumn { name: "marital", source: "marital", unit: "code", description: "marital status code (NHEFS)", labels: &[] },
];

/// A derived record column.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct DerivedColumn {
    /// Name in the record.
    pub name: &'static str,
    /// Unit.
    pub unit: &'static str,
    /// How it is obtained.
    pub description: &'static str,
}

/// The derived columns, in output order.
pub const DERIVED: &[DerivedColumn] = &[
    DerivedColumn { name: "bmi", unit: "kg/m2", description: "body-mass index = weight / (height/100)^2, rounded to 0.01" },
    DerivedColumn { name: "bsa", unit: "m2", description: "body-surface area, Mosteller: sqrt(height*weight/3600), rounded to 0.001" },
    DerivedColumn { name: "creatinine", unit: "mg/dL", description: "serum creatinine, generated conditional on age and sex (model learned on flchain; ages < 50 use the 50-year-old conditional)" },
    DerivedColumn { name: "egfr", unit: "mL/min/1.73m2", description: "eGFR, CKD-EPI 2021 creatinine equation (race-free), rounded to 0.1" },
    DerivedColumn { name: "crcl", unit: "mL/min", description: "creatinine clearance, Cockcroft-Gault with total body weight, rounded to 0.1" },
    DerivedColumn { name: "cyp2c19", unit: "label", description: "CYP2C19 phenotype: poor, intermediate, normal, rapid, ultrarapid (CPIC allele frequencies by ancestry)" },
];

/// The record entry for a training column, if the table knows it.
pub fn record_for_source(source: &str) -> Option<&'static RecordColumn> {
    RECORD.iter().find(|r| r.source == source)
}

/// The record entry for a record name, if the table knows it.
pub fn record_for_name(name: &str) -> Option<&'static RecordColumn> {
    RECORD.iter().find(|r| r.name == name)
}

/// Physiological plausibility bounds (inclusive) on record columns, checked on every row.
pub const BOUNDS: &[(&str, f64, f64)] = &[
    ("age", 18.0, 110.0),
    ("height", 120.0, 220.0),
    ("weight", 30.0, 250.0),
    ("bmi", 12.0, 80.0),
    ("bsa", 0.9, 3.2),
    ("sbp", 70.0, 270.0),
    ("dbp", 30.0, 160.0),
    ("cholesterol", 60.0, 700.0),
    ("smokeintensity", 0.0, 100.0),
    ("smokeyrs", 0.0, 90.0),
    ("creatinine", 0.2, 15.0),
    ("egfr", 2.0, 200.0),
    ("crcl", 2.0, 350.0),
];

/// Whether a sex label means female (`Some(true)`), male (`Some(false)`) or is not
/// recognised (`None`). Recognised, ignoring case and surrounding spaces: `F`, `female`,
/// `W`, `woman` (female); `M`, `male`, `man` (male). Used for eGFR, CrCl and the creatinine
/// conditional, which must know who is female: an unrecognised level is never taken for
/// male (training refuses it, see [`check_sex_levels`]).
pub fn sex_is_female(label: &str) -> Option<bool> {
    match label.trim().to_ascii_lowercase().as_str() {
        "f" | "female" | "w" | "woman" => Some(true),
        "m" | "male" | "man" => Some(false),
        _ => None,
    }
}

/// Ancestry groups with CYP2C19 allele frequencies ([`crate::pgx`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ancestry {
    /// European frequencies.
    European,
    /// African American / Afro-Caribbean frequencies.
    AfricanAmerican,
}

/// The ancestry group of a race label, ignoring case, surrounding spaces and the
/// separators ` `, `-`, `_`, `/`: `white`, `european`, `caucasian` → European; `black`,
/// `black_or_other` (NHEFS), `african_american`, `black_or_african_american`,
/// `afro_caribbean`, `african` → African American. Anything else: `None` (the caller's
/// documented fallback: European frequencies, noted in the `cyp2c19` column description).
pub fn ancestry_of(label: &str) -> Option<Ancestry> {
    let key: String = label
        .trim()
        .to_ascii_lowercase()
        .chars()
        .map(|c| if matches!(c, ' ' | '-' | '/') { '_' } else { c })
        .collect();
    match key.as_str() {
        "white" | "european" | "caucasian" => Some(Ancestry::European),
        "black" | "black_or_other" | "african_american" | "black_or_african_american" | "afro_caribbean"
        | "african" => Some(Ancestry::AfricanAmerican),
        _ => None,
    }
}

/// The numeric levels of a categorical numeric column (`None`: text or continuous).
pub fn numeric_levels(t: &crate::transform::ColumnTransform) -> Option<Vec<f64>> {
    use crate::transform::{ColumnKind, Level};
    match &t.kind {
        ColumnKind::Categorical { levels } => {
            levels.iter().map(|l| if let Level::Num(v) = l { Some(*v) } else { None }).collect()
        }
        ColumnKind::Continuous { .. } => None,
    }
}

/// The labels a modelled column is written with: its text levels, or the record's labels for
/// numeric codes when every level of the column is one of the record's codes (NHEFS sex 0/1
/// → M/F); a numeric column coded otherwise (sex 1/2, race 1/2/3) is not relabelled.
/// Returns (levels, code of each level) — codes empty for text levels.
pub fn record_levels(
    t: &crate::transform::ColumnTransform,
) -> (Option<Vec<String>>, Vec<f64>) {
    if let Some(lv) = t.text_levels() {
        return (Some(lv), vec![]);
    }
    match (record_for_source(&t.name), numeric_levels(t)) {
        (Some(r), Some(nums)) if !r.labels.is_empty() && nums.iter().all(|&v| r.is_code(v)) => (
            Some(r.labels.iter().map(|(_, s)| s.to_string()).collect()),
            r.labels.iter().map(|(v, _)| *v).collect(),
        ),
        _ => (None, vec![]),
    }
}

/// Checks at training that the sex column can be read as female/male: text levels must be
/// recognised by [`sex_is_female`], numeric codes must be the record's 0 = male, 1 = female.
/// `source` names the file.
pub fn check_sex_levels(t: &crate::transform::ColumnTransform, source: &str) -> Result<(), String> {
    let fmt = |v: &[f64]| v.iter().map(|x| x.to_string()).collect::<Vec<_>>().join(", ");
    if let Some(lv) = t.text_levels() {
        let bad: Vec<&String> = lv.iter().filter(|l| sex_is_female(l).is_none()).collect();
        if !bad.is_empty() {
            return Err(format!(
                "{source}: sex levels {bad:?} are not recognised; sex must be F/M (or female/male, \
                 woman/man, any case) or coded 0 = male, 1 = female (NHEFS): eGFR, CrCl and creatinine \
                 need to know who is female. Recode the column, or rename it to model it as an \
                 ordinary column"
            ));
        }
        return Ok(());
    }
    match numeric_levels(t) {
        Some(nums) if nums.iter().all(|v| *v == 0.0 || *v == 1.0) => Ok(()),
        Some(nums) => Err(format!(
            "{source}: sex must be coded 0 = male, 1 = female (NHEFS) or as text F/M; found {}. \
             Recode the column, or rename it to model it as an ordinary column",
            fmt(&nums)
        )),
        None => Err(format!(
            "{source}: sex must be coded 0 = male, 1 = female (NHEFS) or as text F/M; found a \
             continuous column"
        )),
    }
}

/// Whether each level of a sex column (as [`record_levels`] writes it) is female.
pub fn female_of_levels(levels: &[String]) -> Vec<Option<bool>> {
    levels.iter().map(|l| sex_is_female(l)).collect()
}

/// Whether each level (token order, the missing token left out) of a sex column means
/// female: text levels by [`sex_is_female`], numeric codes by the record's 0 = male,
/// 1 = female ([`SEX_LABELS`]); `None` for a continuous column.
pub fn female_of_tokens(t: &crate::transform::ColumnTransform) -> Option<Vec<Option<bool>>> {
    if let Some(lv) = t.text_levels() {
        return Some(female_of_levels(&lv));
    }
    numeric_levels(t).map(|v| {
        v.iter()
            .map(|x| SEX_LABELS.iter().find(|(c, _)| c == x).and_then(|(_, l)| sex_is_female(l)))
            .collect()
    })
}
