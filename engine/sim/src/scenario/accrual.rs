//! `[design.accrual]` and `design.planned_events` → [`Accrual`] and the event-driven final
//! analysis, checked against the study length, the primary endpoint and the interim looks.

use super::model::{Accrual, Allocation, Endpoint, EndpointKind, FollowUp, Interim};
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
    Ok(Some(Accrual { duration_h: days * DAY, follow_up }))
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
