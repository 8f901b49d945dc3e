//! `[design.accrual]` and `design.planned_events` → [`Accrual`] and the event-driven final
//! analysis, checked against the study length, the primary endpoint and the interim looks.

use super::model::{Accrual, AccrualPeriod, Allocation, Endpoint, EndpointKind, FollowUp, Interim};
use super::raw::RawAccrual;
use super::resolve::{R, bad};

const DAY: f64 = 24.0;

/// Resolves the accrual period for a study of `duration_h` hours with these `endpoints`.
pub(crate) fn resolve(raw: Option<&RawAccrual>, duration_h: f64, interim: Option<&Interim>, allocation: &Allocation, endpoints: &[Endpoint]) -> R<Option<Accrual>> {
    let Some(raw) = raw else { return Ok(None) };
    let key = "design.accrual";
    if matches!(allocation, Allocation::Cohorts) {
        return bad(key, "staggered entry needs a randomised design (cohort arms enrol arm by arm, so one arm would enter before the other)");
    }
    let days = raw.duration_days;
    if !(days.is_finite() && days > 0.0) {
        return bad(format!("{key}.duration_days"), format!("{days}: the enrolment period in days, a number > 0 (e.g. 365)"));
    }
    let follow_up = match raw.follow_up.as_deref() {
        None | Some("fixed") => FollowUp::Fixed,
        Some("to_study_end") => FollowUp::ToStudyEnd,
        Some(other) => return bad(format!("{key}.follow_up"), format!("{other:?}: use \"fixed\" (each patient study.duration_days from entry) or \"to_study_end\"")),
    };
    if follow_up == FollowUp::ToStudyEnd {
        if days * DAY >= duration_h {
            return bad(
                format!("{key}.duration_days"),
                format!(
                    "enrolment lasts {days} days but the study ends on day {} (follow_up = \"to_study_end\"): the last patients would not be followed; \
                     lengthen study.duration_days or shorten the enrolment",
                    duration_h / DAY
                ),
            );
        }
        if let Some(e) = endpoints.iter().find(|e| e.kind != EndpointKind::TimeToEvent && e.kind != EndpointKind::None && e.at_h >= duration_h) {
            return bad(
                format!("{key}.follow_up"),
                format!(
                    "endpoint {:?} is assessed on day {}, when the study ends (follow_up = \"to_study_end\"): no patient would be followed that long; \
                     assess it earlier, lengthen study.duration_days, or use follow_up = \"fixed\"",
                    e.name,
                    e.at_h / DAY
                ),
            );
        }
        if interim.is_some_and(|i| !i.by_events) {
            return bad(
                format!("{key}.follow_up"),
                "interim looks by patients analyse the first patients with complete follow-up, which a common study end does not give before the end: \
                 use follow_up = \"fixed\", or a time-to-event primary (looks by events)",
            );
        }
    }
    let periods = periods(raw, days)?;
    Ok(Some(Accrual { periods, ..Accrual::uniform(days * DAY, follow_up) }))
}

/// The enrolment rate's periods: `period_ends_days` and `relative_rates` together, or one
/// period of rate 1 (uniform entry; also when every period has the same rate).
fn periods(raw: &RawAccrual, days: f64) -> R<Vec<AccrualPeriod>> {
    let key = "design.accrual";
    let (ends, rates) = match (&raw.period_ends_days, &raw.relative_rates) {
        (None, None) => return Ok(vec![AccrualPeriod { end_h: days * DAY, relative_rate: 1.0 }]),
        (Some(e), Some(r)) => (e, r),
        (Some(_), None) => return bad(format!("{key}.relative_rates"), "missing: period_ends_days needs the rate of each period (relative_rates = [...], one number per period)"),
        (None, Some(_)) => return bad(format!("{key}.period_ends_days"), "missing: relative_rates needs the day each period ends (period_ends_days = [...], the last one duration_days)"),
    };
    if ends.is_empty() {
        return bad(format!("{key}.period_ends_days"), "empty: give the day each period ends, at least one (the last one duration_days)");
    }
    if ends.len() != rates.len() {
        return bad(
            format!("{key}.relative_rates"),
            format!("{} rates for {} periods: give one rate per period in period_ends_days", rates.len(), ends.len()),
        );
    }
    let mut start = 0.0;
    for (i, &end) in ends.iter().enumerate() {
        if !(end.is_finite() && end > start) {
            return bad(
                format!("{key}.period_ends_days[{i}]"),
                format!("{end}: the days on which the periods end must increase from day 0 (after {start})"),
            );
        }
        if i + 1 < ends.len() && end >= days {
            return bad(
                format!("{key}.period_ends_days[{i}]"),
                format!("{end}: a period other than the last must end before the enrolment does, on day {days} (duration_days)"),
            );
        }
        start = end;
    }
    let last = ends[ends.len() - 1];
    if (last - days).abs() > 1e-9 * days {
        return bad(
            format!("{key}.period_ends_days"),
            format!("the last period ends on day {last}, the enrolment on day {days} (duration_days): the periods must cover the enrolment exactly"),
        );
    }
    if let Some((i, r)) = rates.iter().enumerate().find(|(_, r)| !(r.is_finite() && **r >= 0.0)) {
        return bad(format!("{key}.relative_rates[{i}]"), format!("{r}: a rate relative to the other periods, a number ≥ 0 (0: no one enters then)"));
    }
    if rates.iter().all(|&r| r == 0.0) {
        return bad(format!("{key}.relative_rates"), "all 0: at least one period must enrol (a rate > 0)");
    }
    if rates[rates.len() - 1] == 0.0 {
        return bad(
            format!("{key}.relative_rates[{}]", rates.len() - 1),
            "0: the last period enrols no one, so enrolment would end before duration_days; end the enrolment (duration_days and the last period) where entry ends",
        );
    }
    if rates.iter().all(|&r| r == rates[0]) {
        // The same rate throughout: uniform entry (drawn exactly as without periods).
        return Ok(vec![AccrualPeriod { end_h: days * DAY, relative_rate: 1.0 }]);
    }
    let mut periods: Vec<AccrualPeriod> = ends.iter().zip(rates).map(|(&end, &relative_rate)| AccrualPeriod { end_h: end * DAY, relative_rate }).collect();
    // The last period ends exactly at the enrolment's end (the check above allows rounding).
    periods.last_mut().expect("at least one period").end_h = days * DAY;
    // The mass the draw normalises by must be finite.
    if !super::model::total_mass(&periods).is_finite() {
        return bad(format!("{key}.relative_rates"), "too large to add up over the periods: give the rates relative to each other, e.g. [1, 3]");
    }
    Ok(periods)
}

/// Checks `design.planned_events` against the primary endpoint and the `patients` of a trial.
pub(crate) fn planned_events(raw: Option<u32>, endpoints: &[Endpoint], patients: usize) -> R<Option<u32>> {
    let Some(d) = raw else { return Ok(None) };
    let key = "design.planned_events";
    if endpoints.first().is_none_or(|e| !e.primary || e.kind != EndpointKind::TimeToEvent) {
        return bad(key, "an event-driven final analysis needs a time-to-event primary endpoint ([endpoints.primary] kind = \"time_to_event\")");
    }
    if d == 0 {
        return bad(key, "0: the number of primary events at which the final analysis is held, at least 1");
    }
    if d as usize > patients {
        return bad(key, format!("{d} events cannot occur among the trial's {patients} patients (one first event each): plan at most {patients}"));
    }
    Ok(Some(d))
}
