//! The levels named by categorical covariate effects (`sex = "categorical(F=0.8)"`).
//!
//! Which levels exist is the cohort's business, not the scenario file's, so they are checked
//! against the cohort's columns before a run ([`check_levels`], called by
//! `driver::check_cohorts`): a level no patient can have (`Female` where the cohort says `F`)
//! would otherwise give every patient the factor 1 without a word.

use vtrial_pk::population::{CategoryKey, CovariateEffect};

/// One categorical effect of the scenario file.
#[derive(Debug, Clone, PartialEq)]
pub struct CategoricalUse {
    /// Its key, e.g. `drug.pk.cl.covariates.sex`.
    pub key: String,
    /// The covariate.
    pub covariate: String,
    /// The levels it names by label.
    pub labels: Vec<String>,
    /// The levels it names by numeric code.
    pub codes: Vec<i64>,
}

/// Every categorical effect under a `covariates` table anywhere in `table` (`path`: the
/// table's own key).
pub(crate) fn categorical_uses(table: &toml::Table, path: &str, out: &mut Vec<CategoricalUse>) {
    for (k, v) in table {
        let here = if path.is_empty() { k.clone() } else { format!("{path}.{k}") };
        match v {
            toml::Value::Table(t) if k == "covariates" => {
                for (covariate, text) in t {
                    let Some(CovariateEffect::Categorical { factors }) = text.as_str().and_then(|s| CovariateEffect::parse(s).ok()) else {
                        continue;
                    };
                    let mut u = CategoricalUse { key: format!("{here}.{covariate}"), covariate: covariate.clone(), labels: vec![], codes: vec![] };
                    for (key, _) in factors {
                        match key {
                            CategoryKey::Label(l) => u.labels.push(l),
                            CategoryKey::Code(c) => u.codes.push(c),
                        }
                    }
                    if !out.contains(&u) {
                        out.push(u);
                    }
                }
            }
            toml::Value::Table(t) => categorical_uses(t, &here, out),
            toml::Value::Array(items) => {
                for (i, item) in items.iter().enumerate() {
                    if let toml::Value::Table(t) = item {
                        categorical_uses(t, &format!("{here}[{i}]"), out);
                    }
                }
            }
            _ => {}
        }
    }
}

/// What a cohort column holds, for [`check_levels`].
#[derive(Debug, Clone, PartialEq)]
pub enum ColumnValues {
    /// A text column and its levels.
    Text(Vec<String>),
    /// A numeric column, with the codes it takes when the cohort source knows them (a
    /// categorical column of the generator); `None`: not known (any code is accepted).
    Codes(Option<Vec<f64>>),
}

/// Checks `uses` against the cohort's columns: `levels(covariate)` says what the column
/// holds (`None`: the cohort lacks it, reported elsewhere). Labels must be levels of a text
/// column; a numeric column takes codes only — those it takes, when the source knows them —
/// and a text column labels only. Returns the offending key and the reason.
pub fn check_levels(uses: &[CategoricalUse], levels: impl Fn(&str) -> Option<ColumnValues>) -> Result<(), (String, String)> {
    for u in uses {
        match levels(&u.covariate) {
            None => {}
            Some(ColumnValues::Text(levels)) => {
                let list = levels.join(", ");
                if let Some(l) = u.labels.iter().find(|l| !levels.contains(l)) {
                    return Err((u.key.clone(), format!("{l:?} is not a level of {} (its levels: {list}); no patient would get this factor", u.covariate)));
                }
                if let Some(c) = u.codes.first() {
                    return Err((u.key.clone(), format!("{} is a text column: name its levels ({list}), not codes such as {c}", u.covariate)));
                }
            }
            Some(ColumnValues::Codes(known)) => {
                if let Some(l) = u.labels.first() {
                    return Err((u.key.clone(), format!("{} is numeric: name its values as codes (e.g. categorical(1=1.2)), not labels such as {l:?}", u.covariate)));
                }
                if let Some(values) = known
                    && let Some(c) = u.codes.iter().find(|&&c| !values.contains(&(c as f64)))
                {
                    let list = values.iter().map(f64::to_string).collect::<Vec<_>>().join(", ");
                    return Err((u.key.clone(), format!("{c} is not a value of {} (its values: {list}); no patient would get this factor", u.covariate)));
                }
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn uses(text: &str) -> Vec<CategoricalUse> {
        let mut out = Vec::new();
        categorical_uses(&toml::from_str(text).unwrap(), "", &mut out);
        out
    }

    #[test]
    fn finds_categorical_effects_with_their_keys() {
        let u = uses(
            "[drug.pk.cl]\nvalue = 1\ncovariates = { sex = \"categorical(F=0.8, M=1)\", weight = \"power(0.75, ref=70)\" }\n\
             [[arms]]\nname = \"a\"\ncovariates = { race = \"categorical(1=1.5)\" }\n",
        );
        let by_key = |k: &str| u.iter().find(|x| x.key == k).unwrap_or_else(|| panic!("{k}: {u:?}"));
        assert_eq!(u.len(), 2);
        assert_eq!(by_key("drug.pk.cl.covariates.sex").labels, vec!["F".to_string(), "M".into()]);
        assert_eq!(by_key("arms[0].covariates.race").codes, vec![1]);
    }

    #[test]
    fn levels_the_cohort_lacks_are_refused_by_key() {
        let text_sex = |c: &str| match c {
            "sex" => Some(ColumnValues::Text(vec!["F".to_string(), "M".into()])),
            "diabetes" => Some(ColumnValues::Codes(Some(vec![0.0, 1.0, 2.0]))),
            "egfr" => Some(ColumnValues::Codes(None)),
            _ => None,
        };
        assert!(check_levels(&uses("[a.covariates]\nsex = \"categorical(F=0.5)\""), text_sex).is_ok());
        let (key, msg) = check_levels(&uses("[a.covariates]\nsex = \"categorical(Female=0.5, M=1)\""), text_sex).unwrap_err();
        assert_eq!(key, "a.covariates.sex");
        assert!(msg.contains("\"Female\" is not a level of sex (its levels: F, M)"), "{msg}");
        let (_, msg) = check_levels(&uses("[a.covariates]\nsex = \"categorical(1=0.5)\""), text_sex).unwrap_err();
        assert!(msg.contains("text column"), "{msg}");
        let (_, msg) = check_levels(&uses("[a.covariates]\ndiabetes = \"categorical(yes=1.2)\""), text_sex).unwrap_err();
        assert!(msg.contains("diabetes is numeric"), "{msg}");
        assert!(check_levels(&uses("[a.covariates]\ndiabetes = \"categorical(1=1.2)\""), text_sex).is_ok());
        let (key, msg) = check_levels(&uses("[a.covariates]\ndiabetes = \"categorical(1=1.2, 7=0.9)\""), text_sex).unwrap_err();
        assert_eq!(key, "a.covariates.diabetes");
        assert!(msg.contains("7 is not a value of diabetes (its values: 0, 1, 2)"), "{msg}");
        // A source that does not know a column's codes accepts any.
        assert!(check_levels(&uses("[a.covariates]\negfr = \"categorical(7=0.9)\""), text_sex).is_ok());
    }
}
