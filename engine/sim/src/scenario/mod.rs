//! Scenario files: TOML → raw structures (unknown keys rejected, errors with
//! file:line:column) → sweep points → resolved [`Scenario`]s.
//!
//! The format is documented key by key in `engine/sim/README.md`.

mod accrual;
mod categories;
mod endpoints;
mod error;
mod interim;
mod model;
mod raw;
mod resolve;

use sha2::{Digest, Sha256};

pub use categories::{CategoricalUse, ColumnValues, check_levels};
pub use error::{ScenarioError, line_column};
pub use model::*;
pub use raw::*;
pub use resolve::{PATIENT_DETAIL_COVARIATES, STANDARD_COVARIATES};
pub(crate) use resolve::check_adjust_condition;

/// Values given on the command line that replace the file's.
#[derive(Debug, Clone, Copy, Default)]
pub struct Overrides {
    /// `--replicates`.
    pub replicates: Option<u32>,
    /// `--seed`.
    pub seed: Option<u64>,
    /// `--detail`.
    pub detail: Option<Detail>,
}

/// One point of the sweep.
#[derive(Debug, Clone)]
pub struct ScenarioPoint {
    /// 0-based index, in the order of the Cartesian product (first axis slowest) or of the
    /// explicit list.
    pub index: usize,
    /// `key=value, …` (empty without a sweep).
    pub label: String,
    /// The swept keys and their values at this point.
    pub values: Vec<(String, toml::Value)>,
    /// The resolved scenario.
    pub scenario: Scenario,
}

impl ScenarioPoint {
    /// The swept values as (key, number if numeric, text).
    pub fn parameters(&self) -> Vec<(String, Option<f64>, String)> {
        self.values
            .iter()
            .map(|(k, v)| {
                let num = v.as_float().or_else(|| v.as_integer().map(|i| i as f64));
                let text = match v {
                    toml::Value::String(s) => s.clone(),
                    other => other.to_string(),
                };
                (k.clone(), num, text)
            })
            .collect()
    }
}

/// A loaded scenario file.
#[derive(Debug, Clone)]
pub struct ScenarioFile {
    /// The file name as given.
    pub file: String,
    /// Its text.
    pub text: String,
    /// SHA-256 of the text, hexadecimal.
    pub sha256: String,
    /// The points (one without a sweep).
    pub points: Vec<ScenarioPoint>,
    /// The categorical covariate effects of every point, checked against the cohort's levels
    /// before a run ([`check_levels`]).
    pub categorical: Vec<CategoricalUse>,
    /// Things that are valid but probably not meant (`validate` and `run` print them).
    pub warnings: Vec<String>,
}

/// Parses and resolves a scenario. `available`: the cohort source's columns.
pub fn parse(text: &str, file: &str, available: &[String], overrides: Overrides) -> Result<ScenarioFile, ScenarioError> {
    // First pass on the text itself, for errors with line and column.
    let base: RawScenario = toml::from_str(text).map_err(|e| {
        let (line, column) = e.span().map_or((1, 1), |s| line_column(text, s.start));
        ScenarioError::Syntax { file: file.into(), line, column, message: plain_toml_message(e.message(), e.span().map(|s| &text[s])) }
    })?;
    let table: toml::Table = toml::from_str(text).map_err(|e| ScenarioError::Syntax { file: file.into(), line: 1, column: 1, message: e.to_string() })?;
    let invalid = |key: String, message: String| ScenarioError::Invalid { file: file.into(), key, message };
    let mut settings: Vec<Vec<(String, toml::Value)>> = vec![Vec::new()];
    if let Some(sweep) = &base.sweep {
        settings = sweep_points(sweep).map_err(|(k, m)| invalid(k, m))?;
    }
    let sha256 = Sha256::digest(text.as_bytes()).iter().map(|b| format!("{b:02x}")).collect();
    // Each point's raw scenario.
    let mut raws = Vec::new();
    let mut categorical = Vec::new();
    for (index, values) in settings.into_iter().enumerate() {
        let label = values.iter().map(|(k, v)| format!("{k}={}", show(v))).collect::<Vec<_>>().join(", ");
        let mut t = table.clone();
        t.remove("sweep");
        for (k, v) in &values {
            set_path(&mut t, k, v.clone()).map_err(|m| invalid(format!("sweep.\"{k}\""), m))?;
        }
        categories::categorical_uses(&t, "", &mut categorical);
        let raw: RawScenario = if values.is_empty() {
            base.clone()
        } else {
            toml::Value::Table(t)
                .try_into()
                .map_err(|e: toml::de::Error| ScenarioError::Point { file: file.into(), point: index, label: label.clone(), message: plain_toml_message(e.message(), None) })?
        };
        raws.push((index, label, values, raw));
    }
    // Resolve every point; patients carry the union of the covariates any point reads (the
    // cohort pools are shared between points), so points whose own set is smaller are
    // resolved again with the union.
    let resolve_all = |extra: &std::collections::BTreeSet<String>| -> Result<Vec<ScenarioPoint>, ScenarioError> {
        let mut points = Vec::new();
        for (index, label, values, raw) in &raws {
            let detail = overrides.detail.or_else(|| raw.output.detail.as_deref().and_then(Detail::from_name));
            let mut extra = extra.clone();
            if detail.is_some_and(|d| d >= Detail::Patient) {
                extra.extend(PATIENT_DETAIL_COVARIATES.iter().filter(|c| available.iter().any(|a| a == *c)).map(|c| c.to_string()));
            }
            let extra = &extra;
            let mut scenario = resolve::resolve(raw, available, extra).map_err(|e| {
                // An error the file has without its sweep is the file's, not this point's.
                let in_base = !values.is_empty() && resolve::resolve(&base, available, extra).err().is_some_and(|b| b.key == e.key);
                if values.is_empty() || in_base {
                    invalid(e.key, e.message)
                } else {
                    ScenarioError::Point { file: file.into(), point: *index, label: label.clone(), message: format!("{}: {}", e.key, e.message) }
                }
            })?;
            if let Some(r) = overrides.replicates {
                if r == 0 {
                    return Err(invalid("--replicates".into(), "must be at least 1".into()));
                }
                scenario.replicates = r;
            }
            if let Some(s) = overrides.seed {
                scenario.seed = s;
            }
            if let Some(d) = overrides.detail {
                scenario.detail = d;
            }
            points.push(ScenarioPoint { index: *index, label: label.clone(), values: values.clone(), scenario });
        }
        Ok(points)
    };
    let mut points = resolve_all(&Default::default())?;
    let union: std::collections::BTreeSet<String> = points.iter().flat_map(|p| p.scenario.covariates.iter().cloned()).collect();
    if points.iter().any(|p| p.scenario.covariates.len() != union.len()) {
        points = resolve_all(&union)?;
    }
    if points.iter().any(|p| p.scenario.replicates != points[0].scenario.replicates || p.scenario.seed != points[0].scenario.seed) {
        return Err(invalid("sweep".into(), "study.replicates and study.seed cannot be swept".into()));
    }
    let mut warnings: Vec<String> = Vec::new();
    for check in [auc_over_different_intervals, endpoints_late_entrants_miss] {
        let per_point: Vec<Option<String>> = points.iter().map(|p| check(&p.scenario)).collect();
        // Once for the file when every point has it, else per point.
        if per_point.windows(2).all(|w| w[0] == w[1]) {
            warnings.extend(per_point[0].iter().cloned());
        } else {
            warnings.extend(points.iter().zip(per_point).filter_map(|(p, w)| w.map(|w| format!("point {} ({}): {w}", p.index, p.label))));
        }
    }
    Ok(ScenarioFile { file: file.into(), text: text.into(), sha256, points, categorical, warnings })
}

/// `auc_ss` is the AUC over one dosing interval: an exposure-driven model on it compares
/// 100 mg q12h (AUC of 100 mg) with 200 mg q24h (AUC of 200 mg) although the daily doses
/// are equal. A warning when the maintenance intervals of the regimens (arms and their
/// adjustments) differ.
fn auc_over_different_intervals(s: &Scenario) -> Option<String> {
    let on_auc = matches!(s.response.as_ref().map(|r| &r.drug), Some(DrugEffect::Emax { exposure: Exposure::AucSs, .. }))
        || matches!(s.events.as_ref().map(|e| &e.effect), Some(TteEffect::Exposure { exposure: Exposure::AucSs, .. }));
    if !on_auc {
        return None;
    }
    let mut intervals: Vec<f64> = s
        .arms
        .iter()
        .flat_map(|a| std::iter::once(&a.regimen).chain(a.adjust.iter().map(|adj| &adj.regimen)))
        .filter_map(|r| r.maintenance().map(|m| m.interval_h))
        .filter(|&h| h > 0.0)
        .collect();
    intervals.sort_by(f64::total_cmp);
    intervals.dedup();
    (intervals.len() > 1).then(|| {
        let list: Vec<String> = intervals.iter().map(|h| format!("{h} h")).collect();
        format!(
            "the exposure auc_ss is the AUC over one dosing interval, and the regimens' maintenance intervals differ ({}): \
             equal daily doses get different exposures; cavg_ss (auc_ss/τ) compares daily exposure",
            list.join(", ")
        )
    })
}

/// Endpoints assessed later than the last patients can be followed to a common study end:
/// those patients have no value (not an error — the design may intend it — but the
/// analysed patients are fewer than enrolled, which the sample size may not allow for).
fn endpoints_late_entrants_miss(s: &Scenario) -> Option<String> {
    let accrual = s.accrual.as_ref().filter(|a| a.follow_up == FollowUp::ToStudyEnd)?;
    let last_entry_h = accrual.last_entry_h();
    let missed: Vec<String> = s
        .endpoints
        .iter()
        .filter(|e| e.kind != EndpointKind::TimeToEvent && e.kind != EndpointKind::None && e.at_h > s.duration_h - last_entry_h)
        .map(|e| {
            let late = 1.0 - accrual.share_entered_by(s.duration_h - e.at_h);
            format!("{:?} (day {}: patients entering after day {}, about {:.0} %)", e.name, e.at_h / 24.0, (s.duration_h - e.at_h) / 24.0, 100.0 * late)
        })
        .collect();
    (!missed.is_empty()).then(|| {
        format!(
            "with follow_up = \"to_study_end\" the study ends on day {}, so patients who enter late are not followed to these endpoints and have no value there: {}; \
             lengthen study.duration_days, shorten the enrolment, or use follow_up = \"fixed\" if every patient should reach them",
            s.duration_h / 24.0,
            missed.join(", ")
        )
    })
}

/// The TOML reader's message in the scenario's terms: Rust type names become the values
/// they stand for, and a duplicate key is named (`spanned`: the text the error points at).
fn plain_toml_message(message: &str, spanned: Option<&str>) -> String {
    let mut m = message.trim().to_string();
    for (rust, plain) in [
        ("expected u32", "expected a whole number from 0 to 4294967295"),
        ("expected u64", "expected a whole number >= 0"),
        ("expected usize", "expected a whole number >= 0"),
        ("expected i64", "expected a whole number"),
        ("expected f64", "expected a number"),
    ] {
        m = m.replace(rust, plain);
    }
    if m == "duplicate key"
        && let Some(key) = spanned.map(str::trim).filter(|k| !k.is_empty())
    {
        m = format!("duplicate key {key}: each key may be set once");
    }
    m
}

/// Reads and parses a scenario file.
pub fn load(path: &std::path::Path, available: &[String], overrides: Overrides) -> Result<ScenarioFile, ScenarioError> {
    let file = path.display().to_string();
    let text = std::fs::read_to_string(path)
        .map_err(|e| ScenarioError::Invalid { file: file.clone(), key: "(file)".into(), message: format!("cannot read: {e}") })?;
    parse(&text, &file, available, overrides)
}

fn show(v: &toml::Value) -> String {
    match v {
        toml::Value::String(s) => format!("{s:?}"),
        other => other.to_string(),
    }
}

/// The settings of each point: the Cartesian product of the axes, or the explicit list
/// `point = [{ "a.b" = 1, … }, …]`.
fn sweep_points(sweep: &toml::Table) -> Result<Vec<Vec<(String, toml::Value)>>, (String, String)> {
    if let Some(list) = sweep.get("point") {
        if sweep.len() > 1 {
            return Err(("sweep".into(), "give either axes (\"key\" = [values]) or an explicit list of points (point = [...]), not both".into()));
        }
        let Some(arr) = list.as_array() else { return Err(("sweep.point".into(), "an array of tables: point = [{ \"design.n_per_arm\" = 40 }, …]".into())) };
        let mut out = Vec::new();
        for (i, p) in arr.iter().enumerate() {
            let Some(t) = p.as_table() else { return Err((format!("sweep.point[{i}]"), "a table of key = value".into())) };
            if t.is_empty() {
                return Err((format!("sweep.point[{i}]"), "an empty point".into()));
            }
            out.push(t.iter().map(|(k, v)| (k.clone(), v.clone())).collect());
        }
        if out.is_empty() {
            return Err(("sweep.point".into(), "the list of points is empty".into()));
        }
        return Ok(out);
    }
    let mut out: Vec<Vec<(String, toml::Value)>> = vec![Vec::new()];
    for (key, values) in sweep {
        if !key.contains('.') {
            return Err((format!("sweep.\"{key}\""), "sweep keys are dotted paths into the scenario, e.g. \"design.n_per_arm\"".into()));
        }
        let Some(arr) = values.as_array().filter(|a| !a.is_empty()) else {
            return Err((format!("sweep.\"{key}\""), "a non-empty list of values, e.g. [40, 60, 80]".into()));
        };
        out = out.into_iter().flat_map(|prefix| arr.iter().map(move |v| {
            let mut p = prefix.clone();
            p.push((key.clone(), v.clone()));
            p
        })).collect();
    }
    Ok(out)
}

/// Sets the value at a dotted path. A segment selects a table key, or in an array of
/// tables the element whose `name` is the segment (or a 0-based index).
fn set_path(table: &mut toml::Table, path: &str, value: toml::Value) -> Result<(), String> {
    let segments: Vec<&str> = path.split('.').collect();
    let mut current: &mut toml::Value = &mut *table.entry(segments[0]).or_insert_with(|| toml::Value::Table(Default::default()));
    if segments.len() == 1 {
        *current = value;
        return Ok(());
    }
    for (i, seg) in segments.iter().enumerate().skip(1) {
        let last = i == segments.len() - 1;
        current = match current {
            toml::Value::Table(t) => {
                if last {
                    // Only a value the file writes can be swept (as documented): a key
                    // added by the sweep could clash with one the file sets instead
                    // (`design.n_total` beside `design.n_per_arm`).
                    let Some(slot) = t.get_mut(*seg) else {
                        return Err(format!(
                            "{path:?} is not set in the file: only values the file writes can be swept (write its base value first)"
                        ));
                    };
                    *slot = value;
                    return Ok(());
                }
                match t.get_mut(*seg) {
                    Some(v) => v,
                    None => return Err(format!("{:?} has no key {seg:?}", segments[..i].join("."))),
                }
            }
            toml::Value::Array(a) => {
                let pos = a.iter().position(|v| v.get("name").and_then(|n| n.as_str()) == Some(seg)).or_else(|| seg.parse::<usize>().ok().filter(|&k| k < a.len()));
                let Some(pos) = pos else {
                    let names: Vec<String> = a.iter().filter_map(|v| v.get("name").and_then(|n| n.as_str()).map(|s| format!("{s:?}"))).collect();
                    return Err(format!("{:?} has no element named {seg:?} (names: {})", segments[..i].join("."), names.join(", ")));
                };
                if last {
                    a[pos] = value;
                    return Ok(());
                }
                &mut a[pos]
            }
            _ => return Err(format!("{:?} is not a table", segments[..i].join("."))),
        };
    }
    Ok(())
}
