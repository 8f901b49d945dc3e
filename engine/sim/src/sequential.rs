//! Group-sequential analysis of one trial: what each look sees (its data cut) and whether
//! the trial stops there.
//!
//! Days here are calendar days from the start of enrolment (`[design.accrual]`; without it
//! every patient enters on day 0 and calendar and patient days agree). A look by patients
//! (continuous and responder endpoints) analyses the first `⌈t·N⌉` patients enrolled, each
//! with complete follow-up. A look by events (time-to-event primary) is held on the day the
//! `⌈t·D⌉`-th event occurs, `D` being the planned events (`design.planned_events`) or else
//! the events of the final analysis; a patient's follow-up after that day is not seen (times
//! are censored there, patients not yet enrolled are not analysed), and an endpoint assessed
//! later than that in a patient's follow-up has no value for them.

use vtrial_stats::Sided;
use vtrial_stats::dist::normal;

use crate::scenario::Interim;

/// The data one analysis sees.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct DataCut {
    /// Patients with an enrolment number below this are analysed.
    pub patients: usize,
    /// Follow-up up to this calendar day is seen (infinite: all of it).
    pub day: f64,
}

impl DataCut {
    /// Everything.
    pub const ALL: DataCut = DataCut { patients: usize::MAX, day: f64::INFINITY };
}

/// The final analysis's cut: on the day of the `planned_events`-th event when that many occur
/// (`event_days`: the calendar days of the primary comparison's observed events, sorted),
/// else at the end of the study — the common end `common_end_day` when follow-up ends there,
/// otherwise after every patient's complete follow-up.
pub fn final_cut(planned_events: Option<u32>, event_days: &[f64], common_end_day: Option<f64>) -> DataCut {
    let end = common_end_day.unwrap_or(f64::INFINITY);
    let day = match planned_events {
        Some(d) if event_days.len() >= d as usize => event_days[d as usize - 1].min(end),
        _ => end,
    };
    DataCut { patients: usize::MAX, day }
}

/// The cut of look `k` of `interim` in a trial of `enrolled` patients whose final analysis
/// is `last`; `event_days`: the calendar days of the primary comparison's observed events,
/// sorted; `planned_events`: the `D` of looks by events (else the events up to `last`).
/// `None`: an interim look by events whose events do not occur before the final analysis is
/// not held (the final boundary stays the planned one, which is then conservative).
pub fn data_cut(interim: &Interim, k: usize, enrolled: usize, event_days: &[f64], last: DataCut, planned_events: Option<u32>) -> Option<DataCut> {
    if k + 1 >= interim.information.len() {
        return Some(last);
    }
    let t = interim.information[k];
    // The tolerance keeps 0.3 × 10 = 3.0000000000000004 from becoming 4.
    let share = |total: usize| ((t * total as f64 - 1e-9).ceil().max(1.0)) as usize;
    if interim.by_events {
        let total = planned_events.map_or_else(|| event_days.partition_point(|&d| d <= last.day), |d| d as usize);
        let day = event_days.get(share(total) - 1).filter(|&&d| d <= last.day)?;
        Some(DataCut { patients: usize::MAX, day: *day })
    } else {
        Some(DataCut { patients: share(enrolled).min(enrolled), day: f64::INFINITY })
    }
}

/// What happened at a look.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LookOutcome {
    /// No boundary crossed at an interim look: the trial goes on.
    Continue,
    /// The efficacy boundary was reached: the trial stops and its null is rejected.
    Efficacy,
    /// A two-sided test's boundary was reached with the estimate on the side of harm: the
    /// trial stops, its null rejected (the drug is worse).
    Harm,
    /// A two-sided test's boundary was reached and the direction of benefit is not known
    /// (no `better`): the trial stops, its null rejected.
    Rejected,
    /// The futility boundary was crossed: the trial stops without rejecting.
    Futility,
    /// The final analysis did not reach its boundary.
    NotRejected,
}

impl LookOutcome {
    /// The name stored in `looks.outcome` and `trials.stop_reason`.
    pub fn name(self) -> &'static str {
        match self {
            LookOutcome::Continue => "continue",
            LookOutcome::Efficacy => "efficacy",
            LookOutcome::Harm => "harm",
            LookOutcome::Rejected => "rejected",
            LookOutcome::Futility => "futility",
            LookOutcome::NotRejected => "not_rejected",
        }
    }

    /// Whether the trial stops here.
    pub fn stops(self) -> bool {
        self != LookOutcome::Continue
    }

    /// Whether the null hypothesis is rejected here.
    pub fn rejects(self) -> bool {
        matches!(self, LookOutcome::Efficacy | LookOutcome::Harm | LookOutcome::Rejected)
    }
}

/// The standardised statistic of a p-value on the boundaries' scale: `Φ⁻¹(1 − p)` for a
/// one-sided test, `Φ⁻¹(1 − p/2)` (that is, `|z|`) for a two-sided one.
pub fn z_of_p(p: f64, sided: Sided) -> f64 {
    let tail = if sided == Sided::Two { p / 2.0 } else { p };
    -normal::quantile(tail.clamp(1e-300, 1.0))
}

/// The outcome of look `k` given the primary comparison's p-value (`None`: it could not be
/// analysed, which never stops a trial early and does not reject at the end) and whether a
/// rejection would be one for harm (`Endpoint::is_harm`: `None` when the direction is
/// unknown), which names it [`LookOutcome::Harm`] or [`LookOutcome::Rejected`].
pub fn decide(interim: &Interim, k: usize, p: Option<f64>, harm: Option<bool>, sided: Sided) -> LookOutcome {
    let last = k + 1 == interim.information.len();
    let rejection = match harm {
        Some(false) => LookOutcome::Efficacy,
        Some(true) => LookOutcome::Harm,
        None => LookOutcome::Rejected,
    };
    match p {
        Some(p) if p <= interim.levels[k] => rejection,
        _ if last => LookOutcome::NotRejected,
        Some(p) if interim.futility_z.is_some_and(|f| z_of_p(p, sided) < f) => LookOutcome::Futility,
        _ => LookOutcome::Continue,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use vtrial_stats::group_sequential::Spending;

    fn design(by_events: bool, futility_z: Option<f64>) -> Interim {
        Interim {
            information: vec![0.3, 0.6, 1.0],
            spending: Spending::Pocock,
            bounds_z: vec![2.3, 2.3, 2.3],
            levels: vec![0.01, 0.01, 0.012],
            futility_z,
            by_events,
        }
    }

    #[test]
    fn looks_by_patients_take_the_first_enrolled() {
        let d = design(false, None);
        let all = DataCut::ALL;
        let cut = |k, n| data_cut(&d, k, n, &[], all, None).unwrap();
        assert_eq!(cut(0, 10), DataCut { patients: 3, day: f64::INFINITY });
        assert_eq!(cut(1, 101).patients, 61);
        assert_eq!(cut(2, 101), DataCut::ALL);
        assert_eq!(cut(0, 1).patients, 1);
    }

    #[test]
    fn looks_by_events_cut_on_the_day_of_the_share_of_events() {
        let d = design(true, None);
        let mut days = [40.0, 5.0, 12.0, 30.0, 7.0, 21.0, 9.0, 50.0, 3.0, 60.0];
        days.sort_by(f64::total_cmp);
        let all = DataCut::ALL;
        let day = |k, days: &[f64], last, planned| data_cut(&d, k, 100, days, last, planned).map(|c| c.day);
        // 30 % of 10 events: the 3rd event, on day 7.
        assert_eq!(data_cut(&d, 0, 100, &days, all, None), Some(DataCut { patients: usize::MAX, day: 7.0 }));
        assert_eq!(day(1, &days, all, None), Some(21.0));
        // No events: the interim look is not held; the final analysis is.
        assert_eq!(day(0, &[], all, None), None);
        assert_eq!(data_cut(&d, 2, 100, &[], all, None), Some(all));
        // A final analysis on day 25 has 6 events: 30 % is the 2nd (day 5), 60 % the 4th.
        let last = DataCut { patients: usize::MAX, day: 25.0 };
        assert_eq!(day(0, &days, last, None), Some(5.0));
        assert_eq!(day(1, &days, last, None), Some(9.0));
        assert_eq!(data_cut(&d, 2, 100, &days, last, None), Some(last));
        // Planned events: shares of 20 events; the 12th never comes, so the second look is
        // not held; nor one whose event comes after the final analysis.
        assert_eq!(day(0, &days, all, Some(20)), Some(21.0));
        assert_eq!(day(1, &days, all, Some(20)), None);
        assert_eq!(day(0, &days, DataCut { patients: usize::MAX, day: 15.0 }, Some(20)), None);
    }

    #[test]
    fn the_final_analysis_is_at_the_planned_events_or_the_end() {
        let days = [3.0, 5.0, 7.0, 9.0];
        assert_eq!(final_cut(None, &days, None), DataCut::ALL);
        assert_eq!(final_cut(None, &days, Some(8.0)).day, 8.0);
        assert_eq!(final_cut(Some(3), &days, None).day, 7.0);
        assert_eq!(final_cut(Some(3), &days, Some(6.0)).day, 6.0);
        // Fewer events than planned: at the end of the study.
        assert_eq!(final_cut(Some(5), &days, Some(10.0)).day, 10.0);
        assert_eq!(final_cut(Some(5), &days, None), DataCut::ALL);
    }

    #[test]
    fn the_stopping_rule() {
        let d = design(false, Some(0.0));
        // A one-sided test never rejects for harm.
        let (one, benefit) = (Sided::OneLower, Some(false));
        assert_eq!(decide(&d, 0, Some(0.009), benefit, one), LookOutcome::Efficacy);
        assert_eq!(decide(&d, 0, Some(0.2), benefit, one), LookOutcome::Continue);
        // z < 0: the estimate points the wrong way.
        assert_eq!(decide(&d, 1, Some(0.7), benefit, one), LookOutcome::Futility);
        assert_eq!(decide(&d, 1, None, benefit, one), LookOutcome::Continue);
        // Futility is not applied at the final look.
        assert_eq!(decide(&d, 2, Some(0.7), benefit, one), LookOutcome::NotRejected);
        assert_eq!(decide(&d, 2, Some(0.011), benefit, one), LookOutcome::Efficacy);
        assert_eq!(decide(&d, 2, None, benefit, one), LookOutcome::NotRejected);
        // Two-sided: a rejection the way of harm is named so; without a direction, neutrally.
        let two = Interim { futility_z: None, ..design(false, None) };
        assert_eq!(decide(&two, 0, Some(0.005), Some(false), Sided::Two), LookOutcome::Efficacy);
        assert_eq!(decide(&two, 0, Some(0.005), Some(true), Sided::Two), LookOutcome::Harm);
        assert_eq!(decide(&two, 0, Some(0.005), None, Sided::Two), LookOutcome::Rejected);
        assert_eq!(decide(&two, 0, Some(0.2), None, Sided::Two), LookOutcome::Continue);
        assert!(LookOutcome::Harm.rejects() && !LookOutcome::Futility.rejects());
        assert!((z_of_p(0.025, Sided::OneUpper) - 1.959964).abs() < 1e-6);
        assert!((z_of_p(0.05, Sided::Two) - 1.959964).abs() < 1e-6);
    }
}
