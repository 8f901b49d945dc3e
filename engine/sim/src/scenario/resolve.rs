//! Raw scenario → [`Scenario`]: names bound, units converted, design rules checked.

use std::collections::BTreeSet;

use vtrial_expr::Expr;
use vtrial_pk::linear::Structure;
use vtrial_pk::population::{CovariateEffect, IndividualParameter, Omega, ResidualError, Variability};
use vtrial_response::course::{Placebo, Progression};
use vtrial_response::safety::AeHazard;
use vtrial_response::tte::Weibull;
use vtrial_response::turnover::TurnoverKind;

use super::endpoints;
use super::model::*;
use super::raw::*;
use crate::regimen::Regimen;

/// A problem at a key.
pub(crate) struct KeyError {
    pub key: String,
    pub message: String,
}

pub(crate) type R<T> = Result<T, KeyError>;

/// Most patients in one simulated trial (all arms together): far above any real trial, and
/// it keeps sample-size arithmetic from overflowing (`n_per_arm = 1073741824` with 4 arms
/// wrapped to 0 patients).
pub(crate) const MAX_PATIENTS_PER_TRIAL: u32 = 1_000_000;

pub(crate) fn bad<T>(key: impl Into<String>, message: impl Into<String>) -> R<T> {
    Err(KeyError { key: key.into(), message: message.into() })
}

/// Hours per day, year, week.
const DAY: f64 = 24.0;
const WEEK: f64 = 168.0;
const YEAR: f64 = 365.25 * 24.0;

/// Standard covariates stored with every patient when the source has them.
pub const STANDARD_COVARIATES: [&str; 4] = ["age", "sex", "weight", "egfr"];

/// Covariates also stored with each patient at patient detail (`patients.bsa`, `.crcl`),
/// when the source has them. Not drawn otherwise: CrCl needs creatinine, whose sampling cost
/// about a fifth of the demo's throughput.
pub const PATIENT_DETAIL_COVARIATES: [&str; 2] = ["bsa", "crcl"];

/// Units accepted for each kind of quantity, with the factor to the engine unit.
fn unit_factor(kind: &str, unit: &str) -> Option<f64> {
    let u: String = unit.chars().filter(|c| !c.is_whitespace()).collect::<String>().replace('·', "*");
    let table: &[(&str, f64)] = match kind {
        "clearance" => &[("L/h", 1.0), ("L/d", 1.0 / 24.0), ("mL/min", 0.06), ("mL/h", 0.001), ("L/min", 60.0)],
        "volume" => &[("L", 1.0), ("mL", 0.001)],
        "rate" => &[("1/h", 1.0), ("1/d", 1.0 / 24.0), ("1/min", 60.0), ("1/w", 1.0 / 168.0)],
        "auc" => &[("mg*h/L", 1.0), ("ug*h/mL", 1.0), ("ng*h/mL", 0.001), ("mg*d/L", 24.0)],
        "concentration" => &[("mg/L", 1.0), ("ug/mL", 1.0), ("ng/mL", 0.001), ("ug/L", 0.001)],
        "amount_rate" => &[("mg/h", 1.0), ("mg/d", 1.0 / 24.0), ("mg/min", 60.0), ("g/d", 1000.0 / 24.0)],
        _ => &[],
    };
    table.iter().find(|(n, _)| n.eq_ignore_ascii_case(&u)).map(|(_, f)| *f)
}

fn unit_list(kind: &str) -> &'static str {
    match kind {
        "clearance" => "L/h, L/d, mL/min, mL/h, L/min",
        "volume" => "L, mL",
        "rate" => "1/h, 1/d, 1/min, 1/w",
        "auc" => "mg*h/L, ug*h/mL, ng*h/mL, mg*d/L",
        "concentration" => "mg/L, ug/mL, ng/mL, ug/L",
        "amount_rate" => "mg/h, mg/d, mg/min, g/d",
        _ => "",
    }
}

/// A parameter: converts the unit (`kind`: "clearance", …, or "" for unitless), parses the
/// covariate effects, checks names against `available`.
fn param(key: &str, p: &RawParam, kind: &str, available: &[String], used: &mut BTreeSet<String>) -> R<Param> {
    let factor = match (kind, &p.unit) {
        ("", None) => 1.0,
        ("", Some(u)) if u.is_empty() || u == "1" => 1.0,
        ("", Some(u)) => return bad(format!("{key}.unit"), format!("{u:?}: this parameter has no unit (response units); remove `unit`")),
        (k, None) => return bad(format!("{key}.unit"), format!("missing unit: write e.g. unit = \"{}\" (accepted: {})", unit_list(k).split(',').next().unwrap_or(""), unit_list(k))),
        (k, Some(u)) => match unit_factor(k, u) {
            Some(f) => f,
            None => return bad(format!("{key}.unit"), format!("unit {u:?} is not a {k} unit; accepted: {}", unit_list(k))),
        },
    };
    if !p.value.is_finite() {
        return bad(format!("{key}.value"), "must be a finite number");
    }
    let omega = p.omega.unwrap_or(0.0);
    if !(omega >= 0.0 && omega.is_finite()) {
        return bad(format!("{key}.omega"), format!("{omega}: the variance of a random effect must be a finite number >= 0"));
    }
    let sd = p.sd.unwrap_or(0.0);
    if !(sd >= 0.0 && sd.is_finite()) {
        return bad(format!("{key}.sd"), format!("{sd}: a standard deviation must be a finite number >= 0"));
    }
    let mut covariates = Vec::new();
    for (name, text) in &p.covariates {
        if !available.iter().any(|a| a == name) {
            return bad(format!("{key}.covariates.{name}"), format!("unknown covariate {name:?}; the cohort has: {}", available.join(", ")));
        }
        let effect = CovariateEffect::parse(text)
            .map_err(|e| e.to_string())
            .and_then(|e| e.resolve_labels(|l| Some(crate::cohort::label_code(l))).map_err(|e| e.to_string()))
            .map_err(|message| KeyError { key: format!("{key}.covariates.{name}"), message })?;
        used.insert(name.clone());
        covariates.push((name.clone(), effect));
    }
    Ok(Param { typical: IndividualParameter { typical: p.value * factor, covariates, eta: None, kind: Variability::LogNormal }, omega, sd })
}

fn positive_param(key: &str, p: &Param) -> R<()> {
    if p.typical.typical > 0.0 { Ok(()) } else { bad(format!("{key}.value"), format!("{} must be > 0", p.typical.typical)) }
}

fn exposure(key: &str, name: &str) -> R<Exposure> {
    Exposure::from_name(name).map_or_else(
        || bad(key, format!("unknown exposure {name:?}; use auc_ss, cavg_ss, ctrough_ss, cmax_ss or concentration")),
        Ok,
    )
}

fn exposure_unit(e: Exposure) -> &'static str {
    if e.is_auc() { "auc" } else { "concentration" }
}

/// A condition (`[[arms.adjust]] when`): [`variables`], and a condition by type
/// (`vtrial_expr::check_condition`; `text[i]`: column `i` of `available` holds labels, empty
/// when not known yet — the cohort's types are checked again before a run).
pub(crate) fn condition(key: &str, src: &str, available: &[String], text: &[bool], used: &mut BTreeSet<String>) -> R<vtrial_expr::Compiled> {
    let compiled = variables(key, src, available, used)?;
    let names: Vec<&str> = available.iter().map(String::as_str).collect();
    check_adjust_condition(src, &names, text).map_err(|message| KeyError { key: key.into(), message })?;
    Ok(compiled)
}

/// The type check of a dose-adjustment condition `src` over `names` (`text` as in
/// `vtrial_expr::check_condition`): the reason, with a caret under the problem.
pub(crate) fn check_adjust_condition(src: &str, names: &[&str], text: &[bool]) -> Result<(), String> {
    let expr = Expr::parse(src).map_err(|e| e.to_string())?;
    vtrial_expr::check_condition(&expr, names, text, "a dose-adjustment condition")
        .map_err(|e| format!("{}\n{}", e, vtrial_expr::caret(src, e.column)))
}

fn variables(key: &str, text: &str, available: &[String], used: &mut BTreeSet<String>) -> R<vtrial_expr::Compiled> {
    let expr = Expr::parse(text).map_err(|e| KeyError { key: key.into(), message: format!("{}\n{}", e, e.render(text)) })?;
    for v in expr.variables() {
        if !available.iter().any(|a| a == v) {
            return bad(key, format!("unknown covariate {v:?} in {text:?}; the cohort has: {}", available.join(", ")));
        }
        used.insert(v.to_string());
    }
    // Compiled later against the final covariate list; here only checked.
    let names: Vec<&str> = available.iter().map(String::as_str).collect();
    expr.compile(&names).map_err(|e| KeyError { key: key.into(), message: e.to_string() })
}

/// Resolves one point. `available`: the cohort source's columns.
/// Resolves one point. `extra`: covariates to carry even if this point reads none of them
/// (the union over the sweep's points).
pub(crate) fn resolve(raw: &RawScenario, available: &[String], extra: &BTreeSet<String>) -> R<Scenario> {
    let mut used = BTreeSet::new();
    let s = &raw.study;
    if s.name.trim().is_empty() {
        return bad("study.name", "must not be empty");
    }
    if s.replicates == 0 {
        return bad("study.replicates", "must be at least 1");
    }
    if !(s.duration_days > 0.0 && s.duration_days.is_finite()) {
        return bad("study.duration_days", format!("{}: the study must last more than 0 days", s.duration_days));
    }
    let duration_h = s.duration_days * DAY;

    // Cohort.
    let generator = raw.cohort.generator.clone().unwrap_or_else(|| "neural".into());
    if !matches!(generator.as_str(), "neural" | "copula") {
        return bad("cohort.generator", format!("unknown generator {generator:?}; use \"neural\" or \"copula\""));
    }
    let mut criteria = Vec::new();
    if let Some(inc) = &raw.cohort.include {
        variables("cohort.include", inc, available, &mut BTreeSet::new())?;
        criteria.push(format!("({inc})"));
    }
    if let Some(exc) = &raw.cohort.exclude {
        variables("cohort.exclude", exc, available, &mut BTreeSet::new())?;
        criteria.push(format!("not ({exc})"));
    }
    let criteria = (!criteria.is_empty()).then(|| criteria.join(" and "));

    // PK.
    let pk = match &raw.drug {
        None => None,
        Some(d) => Some(pk_model(&d.pk, available, &mut used)?),
    };

    // Arms.
    if raw.arms.is_empty() {
        return bad("arms", "a trial needs at least one arm ([[arms]] with a name)");
    }
    let mut arms = Vec::new();
    let mut names = BTreeSet::new();
    for (i, a) in raw.arms.iter().enumerate() {
        let key = format!("arms[{i}]");
        if a.name.trim().is_empty() {
            return bad(format!("{key}.name"), "an arm needs a name (it labels the arm in every table), e.g. name = \"placebo\"");
        }
        if !names.insert(a.name.clone()) {
            return bad(format!("{key}.name"), format!("arm name {:?} is used twice", a.name));
        }
        let regimen = parse_regimen(&format!("{key}.regimen"), a.regimen.as_deref().unwrap_or("placebo"))?;
        let mut adjust = Vec::new();
        for (j, adj) in a.adjust.iter().enumerate() {
            let k = format!("{key}.adjust[{j}]");
            let c = condition(&format!("{k}.when"), &adj.when, available, &[], &mut used)?;
            let alt = parse_regimen(&format!("{k}.regimen"), &adj.regimen)?;
            adjust.push(DoseAdjustment { condition: c, when: adj.when.clone(), regimen: alt, regimen_text: adj.regimen.clone() });
        }
        let regimen_text = a.regimen.clone().unwrap_or_else(|| "placebo".into());
        // The arm's regimen and each [[arms.adjust]] regimen: (key, regimen, as written).
        let regimens: Vec<(String, &Regimen, &str)> = std::iter::once((format!("{key}.regimen"), &regimen, regimen_text.as_str()))
            .chain(adjust.iter().enumerate().map(|(j, x)| (format!("{key}.adjust[{j}].regimen"), &x.regimen, x.regimen_text.as_str())))
            .collect();
        let gives_drug = regimens.iter().any(|(_, r, _)| !r.is_placebo());
        if gives_drug && pk.is_none() {
            return bad(format!("{key}.regimen"), "an arm gives drug but the scenario has no [drug.pk] model");
        }
        for (at, r, _) in &regimens {
            for (name, unit) in r.body_size_covariates() {
                if !available.iter().any(|a| a == name) {
                    return bad(at.as_str(), format!("dosing per {unit} needs the covariate `{name}` ({unit}), which the cohort does not have"));
                }
                used.insert(name.into());
            }
        }
        let ratio = match a.ratio {
            None => 1,
            Some(r) if r >= 1.0 && r.fract() == 0.0 && r <= 100.0 => r as u32,
            Some(r) => return bad(format!("{key}.ratio"), format!("{r}: an allocation ratio is a whole number from 1 to 100 (e.g. 2 for 2:1)")),
        };
        let cohort = match (&a.include, a.n) {
            (Some(inc), Some(n)) => {
                variables(&format!("{key}.include"), inc, available, &mut BTreeSet::new())?;
                if n == 0 {
                    return bad(format!("{key}.n"), "a cohort arm needs at least 1 patient");
                }
                if n > MAX_PATIENTS_PER_TRIAL {
                    return bad(format!("{key}.n"), format!("{n} is more than {MAX_PATIENTS_PER_TRIAL} patients per trial"));
                }
                Some((inc.clone(), n))
            }
            (None, None) => None,
            (Some(_), None) => return bad(format!("{key}.n"), "a cohort arm (with `include`) needs its number of patients `n`"),
            (None, Some(_)) => return bad(format!("{key}.include"), "`n` per arm is for cohort arms: give the arm's `include` criteria, or use design.n_per_arm"),
        };
        let tdm = match &a.tdm {
            None => None,
            Some(_) if !gives_drug => return bad(format!("{key}.tdm"), "drug monitoring needs an arm that gives drug"),
            Some(t) => {
                let rule = tdm_rule(&format!("{key}.tdm"), t, duration_h)?;
                tdm_doses_on_days(&format!("{key}.tdm"), &rule, &regimens, duration_h)?;
                Some(rule)
            }
        };
        arms.push(Arm { name: a.name.clone(), regimen, regimen_text, adjust, ratio, cohort, tdm });
    }

    // Design.
    let d = &raw.design;
    let cohort_arms = arms.iter().filter(|a| a.cohort.is_some()).count();
    let allocation = if cohort_arms > 0 {
        if cohort_arms != arms.len() {
            return bad("arms", "either every arm is a cohort arm (with `include` and `n`) or none is");
        }
        if d.n_per_arm.is_some() || d.n_total.is_some() || d.randomisation.is_some() {
            return bad("design", "cohort arms set their own `n`; remove design.n_per_arm, n_total and randomisation");
        }
        Allocation::Cohorts
    } else {
        let ratio_sum: u32 = arms.iter().map(|a| a.ratio).sum();
        let n_total = match (d.n_per_arm, d.n_total) {
            (Some(_), Some(_)) => return bad("design.n_total", "give either n_per_arm or n_total, not both"),
            (None, None) => return bad("design", "missing sample size: add n_per_arm = 60 or n_total = 240"),
            (Some(0), _) | (_, Some(0)) => return bad(if d.n_per_arm.is_some() { "design.n_per_arm" } else { "design.n_total" }, "zero patients: the sample size must be at least 1"),
            (Some(n), None) => {
                if arms.iter().any(|a| a.ratio != 1) {
                    return bad("design.n_per_arm", "n_per_arm means equal allocation, but some arms have a ratio other than 1: use n_total");
                }
                match n.checked_mul(arms.len() as u32).filter(|&t| t <= MAX_PATIENTS_PER_TRIAL) {
                    Some(t) => t,
                    None => return bad("design.n_per_arm", format!("{n} per arm × {} arms is more than {MAX_PATIENTS_PER_TRIAL} patients per trial", arms.len())),
                }
            }
            (None, Some(n)) if n > MAX_PATIENTS_PER_TRIAL => {
                return bad("design.n_total", format!("{n} is more than {MAX_PATIENTS_PER_TRIAL} patients per trial"));
            }
            (None, Some(n)) => {
                if n < ratio_sum {
                    return bad("design.n_total", format!("{n} patients cannot be allocated {}: at least {ratio_sum} are needed", ratio_text(&arms)));
                }
                n
            }
        };
        let method = match &d.randomisation {
            None => Randomisation::Block { size: 2 * ratio_sum },
            Some(r) => {
                let size = r.block_size.unwrap_or(2 * ratio_sum);
                if size == 0 || size % ratio_sum != 0 {
                    return bad(
                        "design.randomisation.block_size",
                        format!("{size}: a block size is a positive multiple of the sum of the allocation ratios ({ratio_sum}, from {})", ratio_text(&arms)),
                    );
                }
                match r.method.as_str() {
                    "simple" => {
                        if r.block_size.is_some() || !r.strata.is_empty() {
                            return bad("design.randomisation", "simple randomisation takes no block_size or strata");
                        }
                        Randomisation::Simple
                    }
                    "block" | "permuted_block" => {
                        if !r.strata.is_empty() {
                            return bad("design.randomisation.strata", "strata need method = \"stratified\"");
                        }
                        Randomisation::Block { size }
                    }
                    "stratified" => {
                        if r.strata.is_empty() {
                            return bad("design.randomisation.strata", "stratified randomisation needs strata, e.g. strata = [\"sex\", \"egfr < 60\"]");
                        }
                        let mut strata = Vec::new();
                        for (i, f) in r.strata.iter().enumerate() {
                            let c = variables(&format!("design.randomisation.strata[{i}]"), f, available, &mut used)?;
                            strata.push((f.clone(), c));
                        }
                        Randomisation::Stratified { size, strata }
                    }
                    m => return bad("design.randomisation.method", format!("unknown method {m:?}; use simple, block or stratified")),
                }
            }
        };
        Allocation::Randomised { n_total, method }
    };

    let mut visits_h: Vec<f64> = Vec::new();
    for (i, &v) in d.visits_days.iter().enumerate() {
        if !(v >= 0.0 && v.is_finite()) {
            return bad(format!("design.visits_days[{i}]"), format!("{v}: visit days are >= 0"));
        }
        if v > s.duration_days {
            return bad(format!("design.visits_days[{i}]"), format!("a visit on day {v} is after the end of the study (day {}): remove it or lengthen study.duration_days", s.duration_days));
        }
        if let Some(j) = d.visits_days[..i].iter().position(|&w| w == v) {
            return bad(format!("design.visits_days[{i}]"), format!("day {v} is listed twice (also at [{j}]); each visit once"));
        }
        visits_h.push(v * DAY);
    }
    visits_h.sort_by(f64::total_cmp);
    visits_h.dedup();
    if visits_h.is_empty() {
        return bad("design.visits_days", "at least one visit is needed (day 0 is the baseline)");
    }
    let mut pk_samples_h = Vec::new();
    if let Some(ps) = &d.pk_sampling {
        if pk.is_none() {
            return bad("design.pk_sampling", "PK sampling needs a [drug.pk] model");
        }
        for (i, &day) in ps.days.iter().enumerate() {
            for (j, &h) in ps.hours.iter().enumerate() {
                let t = day * DAY + h;
                if !(day >= 0.0 && day.is_finite()) {
                    return bad(format!("design.pk_sampling.days[{i}]"), format!("{day}: sampling days are >= 0"));
                }
                if !(h >= 0.0 && t.is_finite()) {
                    return bad(format!("design.pk_sampling.hours[{j}]"), format!("{h}: sampling hours are >= 0"));
                }
                if t > duration_h {
                    return bad(format!("design.pk_sampling.hours[{j}]"), format!("a sample at day {day} + {h} h is after the end of the study (day {})", s.duration_days));
                }
                pk_samples_h.push(t);
            }
        }
        // A value listed twice is a slip (like a visit day listed twice); the grid's own
        // overlaps (day 0 + 24 h = day 1 + 0 h) are one sample.
        for (list, key) in [(&ps.days, "days"), (&ps.hours, "hours")] {
            for (i, v) in list.iter().enumerate() {
                if let Some(j) = list[..i].iter().position(|w| w == v) {
                    return bad(format!("design.pk_sampling.{key}[{i}]"), format!("{v} is listed twice (also at [{j}]); each value once"));
                }
            }
        }
        pk_samples_h.sort_by(f64::total_cmp);
        pk_samples_h.dedup();
    }
    let dropout_per_h = match &d.dropout {
        None => 0.0,
        Some(x) if x.per_year >= 0.0 && x.per_year.is_finite() => x.per_year / YEAR,
        Some(x) => return bad("design.dropout.per_year", format!("{}: a hazard is >= 0", x.per_year)),
    };
    let missed_dose_probability = match &d.compliance {
        None => 0.0,
        Some(c) if (0.0..1.0).contains(&c.missed_dose_probability) => c.missed_dose_probability,
        Some(c) => return bad("design.compliance.missed_dose_probability", format!("{}: a probability in [0, 1)", c.missed_dose_probability)),
    };

    // Response, events, safety.
    let response = match &raw.response {
        None => None,
        Some(r) => Some(response_model(r, pk.is_some(), available, &mut used)?),
    };
    let events = match &raw.events {
        None => None,
        Some(e) => Some(event_model(e, available, &mut used)?),
    };
    let safety = match &raw.safety {
        None => None,
        Some(x) => {
            if pk.is_none() {
                return bad("safety", "adverse events driven by Cmax need a [drug.pk] model");
            }
            let c50 = param("safety.cmax50", &x.cmax50, "concentration", available, &mut used)?;
            if c50.omega != 0.0 || c50.sd != 0.0 || !c50.typical.covariates.is_empty() {
                return bad("safety.cmax50", "the AE model's Cmax50 is one value for all patients: remove omega, sd and covariates");
            }
            let hazard = AeHazard {
                background: x.background_per_week / WEEK,
                max: x.max_per_week / WEEK,
                c50: c50.typical.typical,
                hill: x.hill.unwrap_or(1.0),
            };
            hazard.validate().map_err(|e| KeyError { key: "safety".into(), message: e.to_string() })?;
            let discontinue = x.discontinue.unwrap_or(0.0);
            if !(0.0..=1.0).contains(&discontinue) {
                return bad("safety.discontinue", format!("{discontinue}: a probability in [0, 1]"));
            }
            Some(SafetyModel { name: x.name.clone().unwrap_or_else(|| "adverse event".into()), hazard, discontinue })
        }
    };

    // Endpoints.
    let stratified_randomisation = matches!(allocation, Allocation::Randomised { method: Randomisation::Stratified { .. }, .. });
    let cx = endpoints::Context {
        arms: &arms,
        visits_h: &visits_h,
        visits_days: &d.visits_days,
        duration_h,
        has_response: response.is_some(),
        has_events: events.is_some(),
        stratified_randomisation,
        available,
    };
    let resolved_endpoints = endpoints::resolve(&raw.endpoints, &cx)?;
    for (_, names) in &resolved_endpoints {
        used.extend(names.iter().cloned());
    }
    let detail = match raw.output.detail.as_deref() {
        None => Detail::Trial,
        Some(x) => Detail::from_name(x).map_or_else(|| bad("output.detail", format!("{x:?}: use trial, patient or observation")), Ok)?,
    };

    for c in STANDARD_COVARIATES {
        if available.iter().any(|a| a == c) {
            used.insert(c.to_string());
        }
    }
    used.extend(extra.iter().cloned());
    let covariates: Vec<String> = used.into_iter().collect();
    // Compile the expressions against the final covariate order.
    let names: Vec<&str> = covariates.iter().map(String::as_str).collect();
    let recompile = |text: &str| Expr::parse(text).ok().and_then(|e| e.compile(&names).ok());
    for arm in &mut arms {
        for adj in &mut arm.adjust {
            adj.condition = recompile(&adj.when).expect("checked above");
        }
    }
    let endpoints: Vec<Endpoint> = resolved_endpoints
        .into_iter()
        .map(|(mut e, names)| {
            e.adjust_for = names.iter().map(|n| covariates.iter().position(|c| c == n).expect("added to the covariates above")).collect();
            e
        })
        .collect();
    let interim = super::interim::resolve(d.interim.as_ref(), &endpoints, &allocation)?;
    let accrual = super::accrual::resolve(d.accrual.as_ref(), duration_h, interim.as_ref(), &allocation, &endpoints)?;
    let planned_events = super::accrual::planned_events(d.planned_events, &endpoints, allocation.patients(&arms))?;
    let allocation = match allocation {
        Allocation::Randomised { n_total, method: Randomisation::Stratified { size, strata } } => Allocation::Randomised {
            n_total,
            method: Randomisation::Stratified { size, strata: strata.into_iter().map(|(t, _)| { let c = recompile(&t).expect("checked above"); (t, c) }).collect() },
        },
        a => a,
    };

    Ok(Scenario {
        name: s.name.clone(),
        replicates: s.replicates,
        seed: s.seed,
        duration_h,
        cohort: CohortSpec { generator, criteria },
        covariates,
        pk,
        response,
        events,
        safety,
        arms,
        allocation,
        visits_h,
        pk_samples_h,
        dropout_per_h,
        missed_dose_probability,
        endpoints,
        interim,
        accrual,
        planned_events,
        detail,
    })
}

/// `[arms.tdm]` → [`crate::monitoring::Tdm`]: days within the study, increasing; a window
/// `0 < low < high` in a concentration unit; factors and doses positive.
fn tdm_rule(key: &str, t: &RawTdm, duration_h: f64) -> R<crate::monitoring::Tdm> {
    if t.days.is_empty() {
        return bad(format!("{key}.days"), "list the days on which the trough is measured, e.g. days = [3, 7]");
    }
    let mut previous = 0.0;
    for (i, &d) in t.days.iter().enumerate() {
        if !(d > previous && d.is_finite()) {
            return bad(format!("{key}.days[{i}]"), format!("{d}: monitoring days are after day 0 (a trough needs a dose before it) and increase strictly"));
        }
        if d * DAY >= duration_h {
            return bad(format!("{key}.days[{i}]"), format!("day {d} is not before the end of the study (day {})", duration_h / DAY));
        }
        previous = d;
    }
    let factor = match unit_factor("concentration", &t.target.unit) {
        Some(f) => f,
        None => return bad(format!("{key}.target.unit"), format!("unit {:?} is not a concentration unit; accepted: {}", t.target.unit, unit_list("concentration"))),
    };
    let (low, high) = (t.target.low * factor, t.target.high * factor);
    if !(low > 0.0 && high > low && high.is_finite()) {
        return bad(format!("{key}.target"), format!("low {} and high {}: a window 0 < low < high", t.target.low, t.target.high));
    }
    let max_change = t.max_change.unwrap_or(2.0);
    if !(max_change >= 1.0 && max_change.is_finite()) {
        return bad(format!("{key}.max_change"), format!("{max_change}: the largest factor one sample may change the dose by, >= 1 (e.g. 2: from half to double)"));
    }
    for (name, v) in [("round_mg", t.round_mg), ("max_mg", t.max_mg)] {
        if let Some(x) = v {
            if !(x > 0.0 && x.is_finite()) {
                return bad(format!("{key}.{name}"), format!("{x}: an amount in mg, > 0"));
            }
        }
    }
    if let (Some(step), Some(max)) = (t.round_mg, t.max_mg) {
        if !crate::regimen::is_multiple(max, step) {
            return bad(format!("{key}.max_mg"), format!("{max} is not a multiple of round_mg = {step}: a capped dose could not be given in those units"));
        }
    }
    Ok(crate::monitoring::Tdm {
        times_h: t.days.iter().map(|d| d * DAY).collect(),
        low,
        high,
        max_change,
        round_mg: t.round_mg,
        max_mg: t.max_mg,
    })
}

/// Every drug regimen of the arm (`regimens`: key, regimen, as written) gives a dose at each
/// monitoring time: a trough is measured just before a dose.
fn tdm_doses_on_days(key: &str, rule: &crate::monitoring::Tdm, regimens: &[(String, &Regimen, &str)], duration_h: f64) -> R<()> {
    for (_, r, text) in regimens.iter().filter(|(_, r, _)| !r.is_placebo()) {
        let mut doses = Vec::new();
        r.doses(duration_h, &crate::regimen::BodySize { weight_kg: 1.0, bsa_m2: 1.0 }, &mut doses);
        for (j, &at) in rule.times_h.iter().enumerate() {
            if !doses.iter().any(|d| (d.time_h - at).abs() < 1e-9) {
                return bad(
                    format!("{key}.days[{j}]"),
                    format!(
                        "regimen {text:?} gives no dose at day {} ({at} h after the first): a trough is measured just before a dose, and later doses are what it changes",
                        at / DAY
                    ),
                );
            }
        }
    }
    Ok(())
}

fn ratio_text(arms: &[Arm]) -> String {
    arms.iter().map(|a| a.ratio.to_string()).collect::<Vec<_>>().join(":")
}

fn parse_regimen(key: &str, text: &str) -> R<Regimen> {
    Regimen::parse(text).map_err(|e| KeyError { key: key.into(), message: format!("{text:?}, column {}: {}", e.column, e.message) })
}

fn pk_model(p: &RawPk, available: &[String], used: &mut BTreeSet<String>) -> R<PkModel> {
    let mm = match p.model.to_ascii_lowercase().as_str() {
        "one_cmt_mm" => Some(false),
        "one_cmt_oral_mm" => Some(true),
        _ => None,
    };
    let kind = match (mm, Structure::from_name(&p.model)) {
        (Some(oral), _) => PkKind::MichaelisMenten { oral },
        (None, Some(s)) => PkKind::Linear(s),
        (None, None) => {
            return bad(
                "drug.pk.model",
                format!("unknown model {:?}; use one of {}, one_cmt_mm, one_cmt_oral_mm", p.model, Structure::ALL.map(|s| s.name()).join(", ")),
            );
        }
    };
    let needed: Vec<String> = match kind {
        PkKind::Linear(s) => s.parameter_names().iter().map(|n| n.to_ascii_lowercase()).collect(),
        PkKind::MichaelisMenten { oral } => {
            let mut v = vec!["vmax".to_string(), "km".into(), "v".into()];
            if oral {
                v.push("ka".into());
            }
            v
        }
    };
    let model_name = p.model.as_str();
    let given: [(&'static str, &Option<RawParam>, &str); 8] = [
        ("cl", &p.cl, "clearance"),
        ("q", &p.q, "clearance"),
        ("v2", &p.v2, "volume"),
        ("q3", &p.q3, "clearance"),
        ("v3", &p.v3, "volume"),
        ("ka", &p.ka, "rate"),
        ("vmax", &p.vmax, "amount_rate"),
        ("km", &p.km, "concentration"),
    ];
    let mut params = vec![("v", param("drug.pk.v", &p.v, "volume", available, used)?)];
    for (name, raw, unit_kind) in given {
        match (raw, needed.iter().any(|n| n == name)) {
            (Some(r), true) => params.push((name, param(&format!("drug.pk.{name}"), r, unit_kind, available, used)?)),
            (None, true) => return bad(format!("drug.pk.{name}"), format!("model {model_name} needs {name}")),
            (Some(_), false) => return bad(format!("drug.pk.{name}"), format!("model {model_name} has no parameter {name}: remove it")),
            (None, false) => {}
        }
    }
    let mut eta_names = Vec::new();
    let mut variances = Vec::new();
    let mut out = Vec::new();
    for (name, prm) in params {
        positive_param(&format!("drug.pk.{name}"), &prm)?;
        if prm.sd > 0.0 {
            return bad(format!("drug.pk.{name}.sd"), "PK parameters take log-normal variability: use omega (variance of ETA)");
        }
        let mut ind = prm.typical.clone();
        if prm.omega > 0.0 {
            ind.eta = Some(eta_names.len());
            eta_names.push(name.to_ascii_uppercase());
            variances.push(prm.omega);
        }
        out.push((name, ind));
    }
    let omega = if eta_names.is_empty() {
        None
    } else {
        // Ω's lower triangle, row by row (element (i, j), j ≤ i, at i(i+1)/2 + j).
        let at = |i: usize, j: usize| i * (i + 1) / 2 + j;
        let mut lower = vec![0.0; at(eta_names.len(), 0)];
        for (i, v) in variances.iter().enumerate() {
            lower[at(i, i)] = *v;
        }
        for (pair, &rho) in &p.correlations {
            let key = format!("drug.pk.correlations.\"{pair}\"");
            let names: Vec<String> = pair.split(',').map(|n| n.trim().to_ascii_uppercase()).collect();
            let index = |n: &String| eta_names.iter().position(|e| e == n);
            let (i, j) = match names.as_slice() {
                [a, b] if a != b => match (index(a), index(b)) {
                    (Some(i), Some(j)) => (i, j),
                    _ => return bad(key, format!("both parameters need an omega; those with one: {}", eta_names.join(", ").to_ascii_lowercase())),
                },
                _ => return bad(key, "name two different parameters, e.g. \"cl,v\""),
            };
            if !(rho > -1.0 && rho < 1.0) {
                return bad(key, format!("{rho}: a correlation is in (-1, 1)"));
            }
            lower[at(i.max(j), i.min(j))] = rho * (variances[i] * variances[j]).sqrt();
        }
        Some(Omega::from_lower_triangle("OMEGA", eta_names, &lower).map_err(|e| KeyError { key: "drug.pk.correlations".into(), message: e.to_string() })?)
    };
    let f = p.f.unwrap_or(1.0);
    if !(f > 0.0 && f <= 1.0) {
        return bad("drug.pk.f", format!("{f}: the bioavailable fraction is in (0, 1]"));
    }
    let residual = match &p.error {
        None => ResidualError::None,
        Some(e) => match (e.additive, e.proportional) {
            (None, None) => ResidualError::None,
            (Some(a), None) => ResidualError::Additive { sd: a },
            (None, Some(c)) => ResidualError::Proportional { cv: c },
            (Some(a), Some(c)) => ResidualError::Combined { additive_sd: a, proportional_cv: c },
        },
    };
    residual.validate().map_err(|e| KeyError { key: "drug.pk.error".into(), message: e.to_string() })?;
    Ok(PkModel { kind, params: out, omega, f, residual })
}

fn response_model(r: &RawResponse, has_pk: bool, available: &[String], used: &mut BTreeSet<String>) -> R<ResponseModel> {
    let baseline = param("response.baseline", &r.baseline, "", available, used)?;
    let need = |x: &Option<RawParam>, name: &str| -> R<RawParam> {
        x.clone().map_or_else(|| bad(format!("response.{name}"), format!("model {:?} needs {name}", r.model)), Ok)
    };
    let forbid = |x: bool, name: &str| -> R<()> { if x { bad(format!("response.{name}"), format!("model {:?} does not use {name}: remove it", r.model)) } else { Ok(()) } };
    let drug = match r.model.as_str() {
        "emax" | "sigmoid_emax" => {
            forbid(r.kind.is_some(), "kind")?;
            forbid(r.kout.is_some(), "kout")?;
            forbid(r.max.is_some(), "max")?;
            forbid(r.c50.is_some(), "c50")?;
            let Some(x) = &r.exposure else { return bad("response.exposure", "Emax models need the exposure metric: auc_ss, cavg_ss, ctrough_ss, cmax_ss or concentration") };
            let exposure = exposure("response.exposure", x)?;
            if !has_pk {
                return bad("response.exposure", "an exposure-driven model needs a [drug.pk] model");
            }
            let emax = param("response.emax", &need(&r.emax, "emax")?, "", available, used)?;
            let ec50 = param("response.ec50", &need(&r.ec50, "ec50")?, exposure_unit(exposure), available, used)?;
            positive_param("response.ec50", &ec50)?;
            let hill = match (&r.hill, r.model.as_str()) {
                (Some(h), "sigmoid_emax") => param("response.hill", h, "", available, used)?,
                (None, "sigmoid_emax") => return bad("response.hill", "the sigmoid Emax model needs the Hill coefficient"),
                (Some(_), _) => return bad("response.hill", "the Emax model has Hill coefficient 1: use model = \"sigmoid_emax\""),
                (None, _) => Param::fixed(1.0),
            };
            positive_param("response.hill", &hill)?;
            let onset = r.onset_half_life_days.unwrap_or(0.0);
            if !(onset >= 0.0 && onset.is_finite()) {
                return bad("response.onset_half_life_days", format!("{onset}: must be a finite number of days >= 0"));
            }
            DrugEffect::Emax { exposure, emax, ec50, hill, onset_half_life_h: onset * DAY }
        }
        "turnover" => {
            forbid(r.exposure.is_some(), "exposure")?;
            forbid(r.emax.is_some(), "emax")?;
            forbid(r.ec50.is_some(), "ec50")?;
            if !has_pk {
                return bad("response.model", "a turnover model is driven by concentrations: it needs a [drug.pk] model");
            }
            let kind_text = r.kind.clone().unwrap_or_default();
            let Some(kind) = TurnoverKind::from_name(&kind_text) else {
                return bad("response.kind", format!("{kind_text:?}: the turnover type is I, II, III or IV"));
            };
            let kout = param("response.kout", &need(&r.kout, "kout")?, "rate", available, used)?;
            positive_param("response.kout", &kout)?;
            let max = param("response.max", &need(&r.max, "max")?, "", available, used)?;
            let c50 = param("response.c50", &need(&r.c50, "c50")?, "concentration", available, used)?;
            positive_param("response.c50", &c50)?;
            let hill = r.hill.as_ref().map(|h| param("response.hill", h, "", available, used)).transpose()?.unwrap_or_else(|| Param::fixed(1.0));
            let step_h = r.step_hours.unwrap_or(1.0);
            if !(step_h > 0.0 && step_h <= 24.0) {
                return bad("response.step_hours", format!("{step_h}: the integration step is in (0, 24] hours"));
            }
            if baseline.typical.typical <= 0.0 {
                return bad("response.baseline.value", "a turnover response has a positive baseline (kin/kout)");
            }
            DrugEffect::Turnover { kind, kout, max, c50, hill, step_h }
        }
        m => return bad("response.model", format!("unknown model {m:?}; use emax, sigmoid_emax or turnover")),
    };
    let placebo = match &r.placebo {
        None => Placebo::default(),
        Some(p) => {
            let hl = p.half_life_days.unwrap_or(0.0);
            if !(hl >= 0.0 && p.max.is_finite()) {
                return bad("response.placebo", "max must be finite and half_life_days >= 0");
            }
            Placebo { max: p.max, half_life: hl * DAY }
        }
    };
    let progression = Progression { slope: r.progression.as_ref().map_or(0.0, |p| p.per_year / YEAR) };
    let residual_sd = r.residual_sd.unwrap_or(0.0);
    if !(residual_sd >= 0.0 && residual_sd.is_finite()) {
        return bad("response.residual_sd", format!("{residual_sd}: must be a finite number >= 0"));
    }
    Ok(ResponseModel { name: r.name.clone().unwrap_or_else(|| "response".into()), baseline, drug, placebo, progression, residual_sd })
}

fn event_model(e: &RawEvents, available: &[String], used: &mut BTreeSet<String>) -> R<EventModel> {
    if !(e.median_days > 0.0 && e.median_days.is_finite()) {
        return bad("events.median_days", "must be > 0");
    }
    let baseline = match (e.distribution.as_str(), e.shape) {
        ("exponential", None | Some(1.0)) => Weibull::exponential_with_median(e.median_days * DAY),
        ("exponential", Some(_)) => return bad("events.shape", "an exponential hazard has shape 1: use distribution = \"weibull\""),
        ("weibull", Some(k)) if k > 0.0 && k.is_finite() => Weibull::with_median(e.median_days * DAY, k),
        ("weibull", _) => return bad("events.shape", "a Weibull hazard needs shape > 0"),
        (d, _) => return bad("events.distribution", format!("{d:?}: use exponential or weibull")),
    };
    let fx = &e.effect;
    let effect = match (fx.hazard_ratio, &fx.exposure) {
        (Some(hr), None) => {
            if !(hr > 0.0 && hr.is_finite()) {
                return bad("events.effect.hazard_ratio", "must be > 0");
            }
            if fx.max_log_hr.is_some() || fx.ec50.is_some() {
                return bad("events.effect", "give either hazard_ratio or (exposure, max_log_hr, ec50)");
            }
            TteEffect::HazardRatio(hr)
        }
        (None, Some(x)) => {
            let exposure = exposure("events.effect.exposure", x)?;
            if exposure == Exposure::Concentration {
                return bad("events.effect.exposure", "the hazard uses a steady-state metric: auc_ss, cavg_ss, ctrough_ss or cmax_ss");
            }
            let Some(max_log_hr) = fx.max_log_hr else { return bad("events.effect.max_log_hr", "missing (e.g. -0.5)") };
            let Some(ec50) = &fx.ec50 else { return bad("events.effect.ec50", "missing") };
            let ec50 = param("events.effect.ec50", ec50, exposure_unit(exposure), available, used)?;
            positive_param("events.effect.ec50", &ec50)?;
            TteEffect::Exposure { exposure, max_log_hr, ec50 }
        }
        _ => return bad("events.effect", "give either hazard_ratio = 0.75 or exposure-driven effect (exposure, max_log_hr, ec50)"),
    };
    Ok(EventModel { name: e.name.clone().unwrap_or_else(|| "event".into()), baseline, effect })
}
