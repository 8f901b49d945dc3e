//! Group-sequential analysis of one trial: what each look sees (its data cut) and whether
//! the trial stops there.
//!
//! There is no accrual model: every patient starts at day 0. A look by patients (continuous
//! and responder endpoints) analyses the first `⌈t·N⌉` patients enrolled, each with complete
//! follow-up — the interim is held when they have all reached the assessment visit. A look
//! by events (time-to-event primary) is held on the day the `⌈t·D⌉`-th event occurs, `D`
//! being the events of the final analysis; follow-up after that day is not seen (times are
//! censored there), and an endpoint assessed after it cannot be analysed at that look.

use vtrial_stats::Sided;
use vtrial_stats::dist::normal;

use crate::scenario::Interim;

/// The data one analysis sees.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct DataCut {
    /// Patients with an enrolment number below this are analysed.
    pub patients: usize,
    /// Follow-up up to this day is seen (infinite: all of it).
    pub day: f64,
}

impl DataCut {
    /// Everything: the final analysis, or a trial without interim looks.
    pub const FINAL: DataCut = DataCut { patients: usize::MAX, day: f64::INFINITY };
}

/// The cut of look `k` of `interim` in a trial of `enrolled` patients; `event_days`: the days
/// of the primary comparison's observed events at the end of the study.
pub fn data_cut(interim: &Interim, k: usize, enrolled: usize, event_days: &[f64]) -> DataCut {
    if k + 1 >= interim.information.len() {
        return DataCut::FINAL;
    }
    let t = interim.information[k];
    // The tolerance keeps 0.3 × 10 = 3.0000000000000004 from becoming 4.
    let share = |total: usize| ((t * total as f64 - 1e-9).ceil().max(1.0)) as usize;
    if interim.by_events {
        let mut days = event_days.to_vec();
        days.sort_by(f64::total_cmp);
        // No events at all: the look sees none (its analysis fails and the trial goes on).
        let day = if days.is_empty() { 0.0 } else { days[share(days.len()).min(days.len()) - 1] };
        DataCut { patients: usize::MAX, day }
    } else {
        DataCut { patients: share(enrolled).min(enrolled), day: f64::INFINITY }
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
        assert_eq!(data_cut(&d, 0, 10, &[]), DataCut { patients: 3, day: f64::INFINITY });
        assert_eq!(data_cut(&d, 1, 101, &[]).patients, 61);
        assert_eq!(data_cut(&d, 2, 101, &[]), DataCut::FINAL);
        assert_eq!(data_cut(&d, 0, 1, &[]).patients, 1);
    }

    #[test]
    fn looks_by_events_cut_on_the_day_of_the_share_of_events() {
        let d = design(true, None);
        let days = [40.0, 5.0, 12.0, 30.0, 7.0, 21.0, 9.0, 50.0, 3.0, 60.0];
        // 30 % of 10 events: the 3rd event, on day 7.
        assert_eq!(data_cut(&d, 0, 100, &days), DataCut { patients: usize::MAX, day: 7.0 });
        assert_eq!(data_cut(&d, 1, 100, &days).day, 21.0);
        assert_eq!(data_cut(&d, 0, 100, &[]).day, 0.0);
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
