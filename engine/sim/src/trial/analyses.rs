//! A finished trial's analyses: each patient's endpoint value and noise-free expectation,
//! the comparisons on a data cut, the group-sequential looks, and whether the trial
//! succeeded.

use super::*;
use crate::scenario::{Accrual, FollowUp};
use crate::sequential::final_cut;

/// The baseline (first visit) and the value at visit `at` of a series of visit values (NaN
/// where absent).
fn baseline_and_at(series: &[f64], at: Option<usize>) -> (f64, f64) {
    let base = series.first().copied().unwrap_or(f64::NAN);
    (base, at.and_then(|k| series.get(k).copied()).unwrap_or(f64::NAN))
}

/// An endpoint's value for one patient (`None`: missing or failed): the measured change or
/// value at visit `at` (the endpoint's assessment), 1/0 for a responder (patients who left
/// early do not respond; a patient whose follow-up ends before the assessment, at a common
/// study end, has no value), or the time to event or censoring in days.
pub(super) fn endpoint_value(e: &Endpoint, at: Option<usize>, o: &Outcome) -> Option<f64> {
    if o.course.failure.is_some() || (e.kind != EndpointKind::TimeToEvent && e.at_h > o.course.end_h) {
        return None;
    }
    let (base, at) = baseline_and_at(&o.m.measured, at);
    match e.kind {
        EndpointKind::ChangeFromBaseline => Some(at - base).filter(|x| x.is_finite()),
        EndpointKind::Value => Some(at).filter(|x| x.is_finite()),
        EndpointKind::Responder { threshold, below } => {
            let change = at - base;
            let rule = vtrial_response::binary::Threshold { value: threshold, below };
            Some(if change.is_finite() && rule.responds(change) { 1.0 } else { 0.0 })
        }
        EndpointKind::TimeToEvent => o.course.tte.map(|(t, _)| t / 24.0),
        EndpointKind::None => None,
    }
}

/// The patient's noise-free expectation of an endpoint, as if they completed the study: the
/// expected value or change, the probability of responding (the change measured with
/// residual error at both visits: normal with variance 2σ²), or the log hazard ratio.
fn expected_value(e: &Endpoint, at: Option<usize>, o: &Outcome, s: &Scenario) -> Option<f64> {
    if o.course.failure.is_some() {
        return None;
    }
    let (base, at) = baseline_and_at(&o.m.expected, at);
    let value = match e.kind {
        EndpointKind::ChangeFromBaseline => at - base,
        EndpointKind::Value => at,
        EndpointKind::Responder { threshold, below } => {
            let sd = s.response.as_ref().map_or(0.0, |r| r.residual_sd) * std::f64::consts::SQRT_2;
            let change = at - base;
            let p_below = if sd > 0.0 { normal::cdf((threshold - change) / sd) } else if change <= threshold { 1.0 } else { 0.0 };
            if below { p_below } else { 1.0 - p_below }
        }
        EndpointKind::TimeToEvent => o.course.log_hr,
        EndpointKind::None => return None,
    };
    value.is_finite().then_some(value)
}

/// The visit at which an endpoint is assessed.
pub(super) fn assessment_visit(e: &Endpoint, s: &Scenario) -> Option<usize> {
    s.visits_h.iter().position(|&v| v == e.at_h)
}

/// The comparisons of the endpoints with the indices in `endpoints` on the data of `cut`;
/// `values[e][i]`: endpoint `e` of patient `all[i]` (`all` in enrolment order).
pub(super) fn comparisons(
    s: &Scenario,
    all: &[Outcome],
    values: &[Vec<Option<f64>>],
    cut: DataCut,
    endpoints: std::ops::Range<usize>,
    point: u32,
    replicate: u32,
) -> Vec<ComparisonRow> {
    let mut rows = Vec::new();
    for (ei, e) in s.endpoints.iter().enumerate().skip(endpoints.start).take(endpoints.len()) {
        let at = assessment_visit(e, s);
        let tte = e.kind == EndpointKind::TimeToEvent;
        let at_day = e.at_h / 24.0;
        // An endpoint that no patient had reached by the cut (the first enrolled is the
        // furthest in) has no data (the reason names the assessment day; the cut's day is in
        // `looks.cut_day`).
        let first_entry = all.first().map_or(0.0, |o| entry_day(o));
        let unassessed = (!tte && first_entry + at_day > cut.day)
            .then(|| format!("not analysed: no patient had reached this endpoint's assessment on day {at_day} of their follow-up by the data cut (an interim look, an event-driven final analysis or the common study end)"));
        let subjects: Vec<Subject> = all
            .iter()
            .zip(&values[ei])
            .filter(|(o, _)| o.course.failure.is_none() && (o.id as usize) < cut.patients && entry_day(o) < cut.day)
            .map(|(o, value)| {
                let event = o.course.tte.is_some_and(|t| t.1);
                // Follow-up after the cut is not seen: times are censored there, and an
                // assessment after it has no value (compared on the calendar, as the cut's
                // day was found).
                let entry = entry_day(o);
                let (value, event) = match value {
                    _ if unassessed.is_some() => (None, false),
                    Some(v) if tte && entry + *v > cut.day => (Some(cut.day - entry), false),
                    Some(_) if !tte && entry + at_day > cut.day => (None, false),
                    _ => (*value, event),
                };
                Subject {
                    arm: o.arm,
                    stratum: o.stratum,
                    value,
                    event,
                    baseline: o.m.measured.first().copied().unwrap_or(f64::NAN),
                    covariates: e.adjust_for.iter().map(|&i| o.cov.nums[i]).collect(),
                    expected: expected_value(e, at, o, s),
                }
            })
            .collect();
        for (ci, mut c) in analysis::analyse(e, &subjects).into_iter().enumerate() {
            if let Some(reason) = &unassessed {
                (c.result, c.p_adjusted, c.decision) = (Err(reason.clone()), None, None);
            }
            let r = c.result.as_ref().ok();
            rows.push(ComparisonRow {
                point,
                replicate,
                endpoint: ei as u32,
                comparison: ci as u32,
                control: c.control as u32,
                treatment: c.treatment as u32,
                test: r.map(|r| r.method),
                n_control: c.n.0,
                n_treatment: c.n.1,
                events: c.events,
                estimate: r.map(|r| r.estimate),
                std_error: r.and_then(|r| r.se),
                ci: r.map(|r| r.ci),
                // NaN where the test has none (Newcombe with both proportions 0 or 1).
                statistic: r.map(|r| r.statistic).filter(|s| !s.is_nan()),
                df: r.and_then(|r| r.df),
                p_value: r.map(|r| r.p_value),
                p_adjusted: c.p_adjusted,
                decision: c.decision,
                truth: c.truth,
                failure: c.result.err(),
            });
        }
    }
    rows
}

/// The patient's calendar day of entry.
fn entry_day(o: &Outcome) -> f64 {
    o.course.entry_h / 24.0
}

/// A finished trial on the calendar: the primary comparison's events and the final
/// analysis's data cut.
pub(super) struct Calendar {
    /// Calendar days of the primary comparison's observed events (every arm of its
    /// comparisons), sorted; `None` unless the primary is a time to event.
    event_days: Option<Vec<f64>>,
    /// The final analysis's data cut (see [`final_cut`]).
    pub last: DataCut,
}

impl Calendar {
    pub(super) fn new(s: &Scenario, all: &[Outcome], values: &[Vec<Option<f64>>]) -> Calendar {
        let primary = &s.endpoints[0];
        let pair = |arm: usize| arm == primary.control || primary.treatments.contains(&arm);
        let event_days = (primary.kind == EndpointKind::TimeToEvent).then(|| {
            let mut days: Vec<f64> = all
                .iter()
                .zip(&values[0])
                .filter(|(o, _)| o.course.failure.is_none() && pair(o.arm) && o.course.tte.is_some_and(|t| t.1))
                .filter_map(|(o, v)| v.map(|v| entry_day(o) + v))
                .collect();
            days.sort_by(f64::total_cmp);
            days
        });
        let common_end = matches!(s.accrual, Some(Accrual { follow_up: FollowUp::ToStudyEnd, .. })).then(|| s.duration_h / 24.0);
        let last = final_cut(s.planned_events, event_days.as_deref().unwrap_or_default(), common_end);
        Calendar { event_days, last }
    }

    /// The primary events seen by an analysis on `cut` (`None`: not a time-to-event primary).
    pub(super) fn events_by(&self, cut: DataCut) -> Option<u32> {
        self.event_days.as_ref().map(|days| days.partition_point(|&d| d <= cut.day) as u32)
    }
}

/// The end of the study on the calendar: the common end, or the last patient's end of
/// follow-up.
fn study_end_day(s: &Scenario, all: &[Outcome]) -> f64 {
    match s.accrual {
        Some(Accrual { follow_up: FollowUp::ToStudyEnd, .. }) => s.duration_h / 24.0,
        _ => (all.last().map_or(0.0, |o| o.course.entry_h) + s.duration_h) / 24.0,
    }
}

/// The calendar day of an analysis on `cut`: when its last patient completes follow-up (a
/// look by patients), the day of the cut, or the end of the study.
pub(super) fn analysis_day(s: &Scenario, all: &[Outcome], cut: DataCut) -> f64 {
    match cut.patients.checked_sub(1).and_then(|last| all.get(last)) {
        Some(o) if cut.patients < all.len() => (o.course.entry_h + s.duration_h) / 24.0,
        _ => cut.day.min(study_end_day(s, all)),
    }
}

/// Whether a primary comparison counts towards the trial's success: its null rejected and,
/// for a two-sided test whose direction of benefit the file gives (`better`), with the
/// estimate on that side — a significant harm is not a success. (One-sided tests reject only
/// for benefit, or non-inferiority.)
pub(super) fn is_success(e: &Endpoint, c: &ComparisonRow) -> bool {
    c.decision == Some(true) && e.is_harm(c.estimate) != Some(true)
}

/// Tests whose reference distribution is Student's t: their `df` is the t's (a chi-square
/// test's df is not).
const T_TESTS: [&str; 4] = ["welch_t", "student_t", "ancova", "dunnett"];

/// The repeated confidence interval at a look with efficacy boundary `bound_z`: the
/// estimate ± the boundary in standard errors, the boundary taken to the test's reference
/// distribution (for the t tests of [`T_TESTS`], Student's t with the look's df: the
/// quantile at the boundary's nominal one-sided level). For tests whose p-value is the Wald
/// statistic estimate/SE (t tests, Wald difference in proportions, logistic, Cox, Peto's
/// log-rank) the interval excludes the null value on a side exactly when the look's test
/// crosses the boundary there; for the others (Newcombe, chi-square, Fisher) it is the Wald
/// interval and agrees only approximately. `None` without a finite estimate and SE;
/// unbounded when the boundary is (a look that spends no alpha).
pub(super) fn repeated_ci(estimate: Option<f64>, std_error: Option<f64>, test: Option<&str>, df: Option<f64>, bound_z: f64) -> Option<(f64, f64)> {
    let (estimate, se) = (estimate?, std_error?);
    if !(estimate.is_finite() && se.is_finite() && se >= 0.0) {
        return None;
    }
    let q = match df {
        // The lower tail at the boundary's level keeps its precision for large boundaries.
        Some(df) if df.is_finite() && df > 0.0 && test.is_some_and(|t| T_TESTS.contains(&t)) => -vtrial_stats::dist::t::quantile(normal::sf(bound_z), df),
        _ => bound_z,
    };
    if q.is_infinite() {
        return Some((f64::NEG_INFINITY, f64::INFINITY));
    }
    Some((estimate - q * se, estimate + q * se))
}

/// The stage-wise ordering p-value of a trial that stopped at look `k` with `z` on the
/// boundaries' scale (`|z|` for two-sided tests, whose one-sided boundaries are at α/2: the
/// p-value is then doubled).
fn stagewise_p(interim: &Interim, k: usize, z: f64, sided: vtrial_stats::Sided) -> Option<f64> {
    let p = vtrial_stats::group_sequential::stagewise_p_value(&interim.information, &interim.bounds_z, k, z).ok()?;
    Some(if sided == vtrial_stats::Sided::Two { (2.0 * p).min(1.0) } else { p })
}

/// Stage-wise median-unbiased estimate and `1 − 2α` interval at the stopping look `k` of a
/// one-sided design. The outcome is ordered by the look's test statistic `z` (from its
/// p-value, as the decision is), so the interval excludes δ0 exactly when the trial
/// rejected; it is mapped back to the parameter's scale with the SE that statistic implies,
/// `(estimate − δ0)/z` in the direction of the alternative (the Wald SE when z is near 0 or
/// of the other sign). `None` for two-sided designs or without an estimate and statistic.
fn stagewise_estimate(interim: &Interim, k: usize, z: Option<f64>, estimate: Option<f64>, se: Option<f64>, h: &vtrial_stats::Hypothesis) -> Option<(f64, (f64, f64))> {
    let (z, estimate, se) = (z?, estimate?, se?);
    let direction = match h.sided {
        vtrial_stats::Sided::OneUpper => 1.0,
        vtrial_stats::Sided::OneLower => -1.0,
        vtrial_stats::Sided::Two => return None,
    };
    if !(z.is_finite() && estimate.is_finite() && se.is_finite() && se > 0.0) {
        return None;
    }
    let implied = direction * (estimate - h.null_value()) / z;
    let scale = if z.abs() > 1e-8 && implied.is_finite() && implied > 0.0 { implied } else { se };
    let (m, lo, hi) = vtrial_stats::group_sequential::stagewise_estimate(&interim.information, &interim.bounds_z, k, z, h.alpha).ok()??;
    let back = |m: f64| h.null_value() + direction * m * scale;
    let (a, b) = (back(lo), back(hi));
    Some((back(m), (a.min(b), a.max(b))))
}

/// A group-sequential trial: the primary comparison at each look until a boundary is
/// crossed or the final look, then every endpoint on that look's data. The primary
/// decision is the group-sequential one (its p-value against the look's level); estimates
/// and intervals are the naive ones at that look. Returns the comparisons, the looks, and
/// the stopping look (0-based) with its outcome and data cut.
pub(super) fn sequential_comparisons(
    s: &Scenario,
    interim: &Interim,
    all: &[Outcome],
    values: &[Vec<Option<f64>>],
    calendar: &Calendar,
    point: u32,
    replicate: u32,
) -> (Vec<ComparisonRow>, Vec<LookRow>, (usize, LookOutcome, DataCut)) {
    let primary = &s.endpoints[0];
    let event_days = calendar.event_days.as_deref().unwrap_or_default();
    let mut looks = Vec::with_capacity(interim.information.len());
    for k in 0..interim.information.len() {
        let Some(cut) = data_cut(interim, k, all.len(), event_days, calendar.last, s.planned_events) else { continue };
        // The primary endpoint has one comparison (checked with the design).
        let first = comparisons(s, all, values, cut, 0..1, point, replicate).remove(0);
        let outcome = decide(interim, k, first.p_value, primary.is_harm(first.estimate), primary.hypothesis.sided);
        looks.push(LookRow {
            point,
            replicate,
            look: k as u32 + 1,
            information: interim.information[k],
            patients: first.n_control + first.n_treatment,
            events: first.events,
            cut_day: analysis_day(s, all, cut),
            p_value: first.p_value,
            z: first.p_value.map(|p| z_of_p(p, primary.hypothesis.sided)),
            efficacy_z: interim.bounds_z[k],
            level: interim.levels[k],
            futility_z: interim.futility_z.filter(|_| k + 1 < interim.information.len()),
            estimate: first.estimate,
            std_error: first.std_error,
            rci: repeated_ci(first.estimate, first.std_error, first.test, first.df, interim.bounds_z[k]),
            rci_level: 1.0 - if primary.hypothesis.sided == vtrial_stats::Sided::Two { primary.hypothesis.alpha } else { 2.0 * primary.hypothesis.alpha },
            truth: first.truth,
            p_stagewise: None,
            estimate_stagewise: None,
            ci_stagewise: None,
            outcome: outcome.name(),
            failure: first.failure.clone(),
        });
        if outcome.stops() {
            let last = looks.last_mut().expect("pushed above");
            last.p_stagewise = last.z.and_then(|z| stagewise_p(interim, k, z, primary.hypothesis.sided));
            if let Some((estimate, ci)) = stagewise_estimate(interim, k, last.z, last.estimate, last.std_error, &primary.hypothesis) {
                (last.estimate_stagewise, last.ci_stagewise) = (Some(estimate), Some(ci));
            }
            // The primary comparison as analysed for this look, then the other endpoints.
            let mut rows = vec![ComparisonRow { decision: first.p_value.map(|_| outcome.rejects()), ..first }];
            rows.extend(comparisons(s, all, values, cut, 1..s.endpoints.len(), point, replicate));
            return (rows, looks, (k, outcome, cut));
        }
    }
    unreachable!("the final look always stops")
}
