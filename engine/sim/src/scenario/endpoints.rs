//! `[endpoints.primary]` and `[[endpoints.secondary]]` → [`Endpoint`]s: the comparisons,
//! the test, the hypothesis (alpha, sidedness, margin, direction) and the multiplicity
//! adjustment, each checked against the endpoint kind and the design.

use vtrial_stats::binary::PropCi;
use vtrial_stats::multiplicity::Adjustment;
use vtrial_stats::{Direction, Hypothesis, Sided};

use super::model::{Arm, Endpoint, EndpointKind, Method, Multiplicity};
use super::raw::{RawEndpoint, RawEndpoints};
use super::resolve::{KeyError, R, bad};

/// What the endpoints need to know of the rest of the scenario.
pub(crate) struct Context<'a> {
    /// Arms, file order.
    pub arms: &'a [Arm],
    /// Visit times, hours.
    pub visits_h: &'a [f64],
    /// Visit days as written (for messages).
    pub visits_days: &'a [f64],
    /// Study duration, hours.
    pub duration_h: f64,
    /// Whether there is a continuous response model.
    pub has_response: bool,
    /// Whether there is a time-to-event model.
    pub has_events: bool,
    /// Whether randomisation is stratified.
    pub stratified_randomisation: bool,
    /// The cohort's covariate names.
    pub available: &'a [String],
}

const DAY: f64 = 24.0;

/// Resolves every endpoint; the covariates a model adjusts for are returned by name (the
/// caller turns them into indices once the covariate order is fixed).
pub(crate) fn resolve(raw: &RawEndpoints, cx: &Context) -> R<Vec<(Endpoint, Vec<String>)>> {
    let mut out = vec![endpoint(&raw.primary, "endpoints.primary", true, cx)?];
    for (i, e) in raw.secondary.iter().enumerate() {
        let key = format!("endpoints.secondary[{i}]");
        if e.name.is_none() {
            return bad(format!("{key}.name"), "a secondary endpoint needs a name (stored with its results)");
        }
        out.push(endpoint(e, &key, false, cx)?);
    }
    for (i, (e, _)) in out.iter().enumerate() {
        if out[..i].iter().any(|(o, _)| o.name == e.name) {
            return bad("endpoints", format!("endpoint name {:?} is used twice", e.name));
        }
    }
    Ok(out)
}

fn endpoint(p: &RawEndpoint, key: &str, primary: bool, cx: &Context) -> R<(Endpoint, Vec<String>)> {
    let k = |field: &str| format!("{key}.{field}");
    let kind = kind(p, key)?;
    match kind {
        EndpointKind::TimeToEvent if !cx.has_events => return bad(k("kind"), "time_to_event needs an [events] model"),
        EndpointKind::ChangeFromBaseline | EndpointKind::Value | EndpointKind::Responder { .. } if !cx.has_response => {
            return bad(k("kind"), format!("{} needs a [response] model", kind.name()));
        }
        _ => {}
    }
    let (control, treatments) = if kind == EndpointKind::None { (0, Vec::new()) } else { comparisons(p, key, cx.arms)? };
    let at_h = match (kind, p.at_day) {
        (EndpointKind::TimeToEvent | EndpointKind::None, _) => cx.duration_h,
        (_, None) => return bad(k("at_day"), "give the day of assessment (one of the visits)"),
        (_, Some(day)) => {
            if !cx.visits_h.iter().any(|&v| (v - day * DAY).abs() < 1e-9) {
                return bad(k("at_day"), format!("day {day} is not a visit; the visits are on days {:?}", cx.visits_days));
            }
            if day == 0.0 && kind != EndpointKind::Value {
                return bad(k("at_day"), "the change from baseline at day 0 is 0: choose a later visit");
            }
            if kind != EndpointKind::Value && cx.visits_h.first() != Some(&0.0) {
                return bad("design.visits_days", format!("{} needs a baseline visit on day 0; the visits are on days {:?}", kind.name(), cx.visits_days));
            }
            day * DAY
        }
    };
    let method = method(p, key, kind)?;
    let hypothesis = hypothesis(p, key, method, kind)?;
    let multiplicity = multiplicity(p, key, method, treatments.len())?;
    let covariates = p.covariates.clone().unwrap_or_default();
    if !covariates.is_empty() && !matches!(method, Method::Logistic | Method::Cox) {
        return bad(k("covariates"), format!("method {} takes no covariates; use logistic or cox (ANCOVA adjusts for the baseline and the strata)", method.name()));
    }
    for c in &covariates {
        if !cx.available.iter().any(|a| a == c) {
            return bad(k("covariates"), format!("unknown covariate {c:?}; the cohort has: {}", cx.available.join(", ")));
        }
    }
    let stratified = match p.stratified {
        Some(true) if !cx.stratified_randomisation => {
            return bad(k("stratified"), "randomisation is not stratified: there are no strata to analyse by");
        }
        Some(true) if !matches!(method, Method::Ancova | Method::LogRank | Method::Cox) => {
            return bad(k("stratified"), format!("method {} has no stratified form; use ancova, log_rank or cox", method.name()));
        }
        Some(s) => s,
        None => cx.stratified_randomisation && matches!(method, Method::Ancova | Method::LogRank | Method::Cox),
    };
    let name = p.name.clone().unwrap_or_else(|| "primary".into());
    let benefit_known = p.better.is_some();
    let e = Endpoint { name, primary, kind, at_h, control, treatments, method, hypothesis, benefit_known, multiplicity, adjust_for: Vec::new(), stratified };
    Ok((e, covariates))
}

fn kind(p: &RawEndpoint, key: &str) -> R<EndpointKind> {
    if p.threshold.is_some() && p.kind != "responder" {
        return bad(
            format!("{key}.threshold"),
            format!("a threshold applies to kind = \"responder\" only (this endpoint is {:?}): remove it, or make the endpoint a responder", p.kind),
        );
    }
    Ok(match p.kind.as_str() {
        "change_from_baseline" => EndpointKind::ChangeFromBaseline,
        "value" => EndpointKind::Value,
        "responder" => {
            let Some(threshold) = p.threshold else {
                return bad(format!("{key}.threshold"), "a responder endpoint needs the threshold on the change from baseline");
            };
            let below = match p.better.as_deref() {
                None | Some("lower") => true,
                Some("higher") => false,
                Some(b) => return bad(format!("{key}.better"), format!("{b:?}: use \"lower\" or \"higher\"")),
            };
            EndpointKind::Responder { threshold, below }
        }
        "time_to_event" => EndpointKind::TimeToEvent,
        "none" => EndpointKind::None,
        k => return bad(format!("{key}.kind"), format!("unknown endpoint {k:?}; use change_from_baseline, value, responder, time_to_event or none")),
    })
}

/// The control arm and the treatment arms, in testing order.
fn comparisons(p: &RawEndpoint, key: &str, arms: &[Arm]) -> R<(usize, Vec<usize>)> {
    let index = |name: &str, field: &str| -> R<usize> {
        arms.iter().position(|a| a.name == name).map_or_else(
            || bad(format!("{key}.{field}"), format!("unknown arm {name:?}; the arms are: {}", arms.iter().map(|a| format!("{:?}", a.name)).collect::<Vec<_>>().join(", "))),
            Ok,
        )
    };
    let (control, treatments) = match (&p.compare, &p.control, &p.treatments) {
        (Some(_), Some(_), _) | (Some(_), _, Some(_)) => {
            return bad(format!("{key}.compare"), "give either compare = [control, treatment] or control/treatments, not both");
        }
        (Some(c), None, None) if c.len() == 2 => (index(&c[0], "compare")?, vec![index(&c[1], "compare")?]),
        (Some(_), None, None) => return bad(format!("{key}.compare"), "name exactly two arms: [control, treatment]"),
        (None, c, t) => {
            let control = c.as_deref().map_or(Ok(0), |c| index(c, "control"))?;
            let treatments = match t {
                Some(t) => t.iter().map(|n| index(n, "treatments")).collect::<R<Vec<_>>>()?,
                None => (0..arms.len()).filter(|&a| a != control).collect(),
            };
            (control, treatments)
        }
    };
    if treatments.is_empty() {
        return bad(format!("{key}.treatments"), "no arm to compare with the control (a one-arm trial has no comparison: use kind = \"none\")");
    }
    for (i, &t) in treatments.iter().enumerate() {
        if t == control {
            return bad(format!("{key}.treatments"), format!("{:?} is the control arm: compare it with another arm", arms[t].name));
        }
        if treatments[..i].contains(&t) {
            return bad(format!("{key}.treatments"), format!("{:?} is listed twice", arms[t].name));
        }
    }
    Ok((control, treatments))
}

fn method(p: &RawEndpoint, key: &str, kind: EndpointKind) -> R<Method> {
    let continuous = matches!(kind, EndpointKind::ChangeFromBaseline | EndpointKind::Value);
    let responder = matches!(kind, EndpointKind::Responder { .. });
    let tte = kind == EndpointKind::TimeToEvent;
    let ci = match p.ci.as_deref() {
        None | Some("newcombe") => PropCi::Newcombe,
        Some("wald") => PropCi::Wald,
        Some(c) => return bad(format!("{key}.ci"), format!("{c:?}: use \"newcombe\" or \"wald\"")),
    };
    if p.ci.is_some() && !(responder && matches!(p.method.as_deref(), None | Some("difference_in_proportions"))) {
        return bad(format!("{key}.ci"), "the interval choice applies to method = \"difference_in_proportions\" only");
    }
    let m = match (p.method.as_deref(), kind) {
        (None, _) if continuous => Method::WelchT,
        (None, _) if responder => Method::DifferenceInProportions(ci),
        (None, _) if tte => Method::LogRank,
        (None, _) => Method::WelchT,
        (Some("welch_t"), _) if continuous => Method::WelchT,
        (Some("ancova"), _) if continuous => Method::Ancova,
        (Some("dunnett"), _) if continuous => Method::Dunnett,
        (Some("difference_in_proportions"), _) if responder => Method::DifferenceInProportions(ci),
        (Some("chi_square"), _) if responder => Method::ChiSquare,
        (Some("fisher_exact"), _) if responder => Method::FisherExact,
        (Some("logistic"), _) if responder => Method::Logistic,
        (Some("log_rank"), _) if tte => Method::LogRank,
        (Some("cox"), _) if tte => Method::Cox,
        (Some(m), k) => {
            let valid = if continuous {
                "welch_t, ancova or dunnett"
            } else if responder {
                "difference_in_proportions, chi_square, fisher_exact or logistic"
            } else if tte {
                "log_rank or cox"
            } else {
                "none (this endpoint has no comparison)"
            };
            const KNOWN: [&str; 9] = ["welch_t", "ancova", "dunnett", "difference_in_proportions", "chi_square", "fisher_exact", "logistic", "log_rank", "cox"];
            let what = if KNOWN.contains(&m) { format!("{m:?} does not analyse a {} endpoint", k.name()) } else { format!("unknown method {m:?}") };
            return bad(format!("{key}.method"), format!("{what}; use {valid}"));
        }
    };
    Ok(m)
}

/// Alpha, sidedness, margin and the direction of benefit of the estimate. For responders
/// `better` says which side of the threshold responds; the estimate (more responders on
/// treatment) is then always better when higher.
fn hypothesis(p: &RawEndpoint, key: &str, method: Method, kind: EndpointKind) -> R<Hypothesis> {
    let alpha = p.alpha.unwrap_or(0.05);
    if !(alpha > 0.0 && alpha < 1.0) {
        return bad(format!("{key}.alpha"), format!("{alpha}: a significance level in (0, 1)"));
    }
    let sided = p.sided.unwrap_or(2);
    if sided != 1 && sided != 2 {
        return bad(format!("{key}.sided"), format!("{sided}: 1 or 2"));
    }
    let direction = match p.better.as_deref() {
        Some(_) if matches!(kind, EndpointKind::Responder { .. }) => Some(Direction::HigherIsBetter),
        Some("lower") => Some(Direction::LowerIsBetter),
        Some("higher") => Some(Direction::HigherIsBetter),
        None => None,
        Some(b) => return bad(format!("{key}.better"), format!("{b:?}: use \"lower\" or \"higher\"")),
    };
    let h = match (sided, direction, p.margin) {
        (_, _, Some(m)) if !(m > 0.0 && m.is_finite()) => {
            return bad(format!("{key}.margin"), format!("{m}: a non-inferiority margin is a positive number in the estimate's units"));
        }
        (2, _, Some(_)) => return bad(format!("{key}.margin"), "a non-inferiority test is one-sided: set sided = 1 and better"),
        (_, None, Some(_)) | (1, None, None) => {
            return bad(format!("{key}.better"), "a one-sided test needs the direction: better = \"lower\" or \"higher\"");
        }
        (_, Some(d), Some(m)) => {
            if !method.supports_margin() {
                return bad(format!("{key}.margin"), format!("method {} tests no margin; use a method with an estimate and SE (welch_t, ancova, difference_in_proportions, logistic, cox)", method.name()));
            }
            Hypothesis::non_inferiority(alpha, m, d)
        }
        (1, Some(d), None) => Hypothesis {
            alpha,
            sided: if d == Direction::LowerIsBetter { Sided::OneLower } else { Sided::OneUpper },
            margin: 0.0,
            direction: d,
        },
        (_, d, None) => Hypothesis { alpha, sided: Sided::Two, margin: 0.0, direction: d.unwrap_or(Direction::HigherIsBetter) },
    };
    h.validate().map_err(|e| KeyError { key: key.to_string(), message: e.to_string() })?;
    Ok(h)
}

fn multiplicity(p: &RawEndpoint, key: &str, method: Method, comparisons: usize) -> R<Multiplicity> {
    let k = format!("{key}.multiplicity");
    let m = match p.multiplicity.as_deref() {
        None if method == Method::Dunnett => Multiplicity::Dunnett,
        None if comparisons > 1 => {
            return bad(
                k,
                format!("{comparisons} comparisons with the control: choose the adjustment (none, bonferroni, holm, hochberg, fixed_sequence, or dunnett with method = \"dunnett\")"),
            );
        }
        None | Some("none") => Multiplicity::None,
        Some("bonferroni") => Multiplicity::Adjusted(Adjustment::Bonferroni),
        Some("holm") => Multiplicity::Adjusted(Adjustment::Holm),
        Some("hochberg") => Multiplicity::Adjusted(Adjustment::Hochberg),
        Some("fixed_sequence") => Multiplicity::Adjusted(Adjustment::FixedSequence),
        Some("dunnett") => Multiplicity::Dunnett,
        Some(x) => return bad(k, format!("{x:?}: use none, bonferroni, holm, hochberg, fixed_sequence or dunnett")),
    };
    match (m, method) {
        (Multiplicity::Dunnett, Method::Dunnett) => Ok(m),
        (Multiplicity::Dunnett, _) => bad(k, "Dunnett's adjustment comes with method = \"dunnett\" (continuous endpoints)"),
        (_, Method::Dunnett) => bad(k, "method = \"dunnett\" adjusts for multiplicity itself: remove multiplicity or set it to \"dunnett\""),
        _ => Ok(m),
    }
}
