//! Staggered entry (`[design.accrual]`) and event-driven analyses (`design.planned_events`),
//! end to end through scenarios, against closed forms: the expected number of events by a
//! calendar day under uniform entry and an exponential time to event, and the day on which
//! a planned number of events is reached. Tolerances are in Monte-Carlo standard errors of
//! the simulated trials (4 MCSE) plus, where stated, the order-statistic approximation.

use std::sync::atomic::AtomicBool;

use vtrial_sim::cohort::{CohortSource, TestOnlySource};
use vtrial_sim::driver::{self, RunOptions};
use vtrial_sim::rows::TrialOutput;
use vtrial_sim::scenario::{self, Overrides};

/// Enrolment period, days.
const ACCRUAL_DAYS: f64 = 200.0;
/// Study end (common end), days from the start of enrolment.
const STUDY_DAYS: f64 = 400.0;
/// Median time to event, days (exponential).
const MEDIAN_DAYS: f64 = 300.0;
/// Patients per arm.
const PER_ARM: u32 = 100;

/// Two arms, exponential time to event with hazard ratio `hr`, log-rank primary (one-sided
/// 2.5 %), no dropout; `design`: extra `[design]` keys and tables.
fn scenario(hr: f64, design: &str) -> String {
    format!(
        r#"[study]
name = "accrual"
replicates = 10
seed = 11
duration_days = {STUDY_DAYS:?}

[cohort]
generator = "copula"

[drug.pk]
model = "one_cmt_oral"
cl = {{ value = 5.0, unit = "L/h" }}
v  = {{ value = 50.0, unit = "L" }}
ka = {{ value = 1.0, unit = "1/h" }}

[events]
distribution = "exponential"
median_days = {MEDIAN_DAYS:?}
effect = {{ hazard_ratio = {hr:?} }}

[[arms]]
name = "placebo"
[[arms]]
name = "drug"
regimen = "10 mg q24h"

[design]
n_per_arm = {PER_ARM}
randomisation = {{ method = "block", block_size = 4 }}
visits_days = [0, 28]
{design}

[endpoints.primary]
kind = "time_to_event"
alpha = 0.025
sided = 1
better = "lower"

[output]
detail = "patient"
"#
    )
}

const COMMON_END: &str = "[design.accrual]\nduration_days = 200\nfollow_up = \"to_study_end\"";

fn run(text: &str, replicates: u32) -> Vec<TrialOutput> {
    let file = scenario::parse(text, "accrual.toml", &TestOnlySource.columns(), Overrides { replicates: Some(replicates), ..Default::default() })
        .unwrap_or_else(|e| panic!("{e}\n{text}"));
    let mut rows: Vec<TrialOutput> = Vec::new();
    driver::run(&file, &TestOnlySource, &mut rows, RunOptions::default(), &mut |_, _| {}, &AtomicBool::new(false)).unwrap();
    rows
}

fn rejected(text: &str) -> String {
    scenario::parse(text, "accrual.toml", &TestOnlySource.columns(), Overrides::default()).expect_err("rejected").to_string()
}

/// Probability that a patient entering uniformly over `[0, A]` has had an event (rate `λ`)
/// by calendar day `t`: `(1/A)∫₀^min(t,A) (1 − e^{−λ(t−u)}) du`.
fn p_event_by(t: f64) -> f64 {
    let (a, lambda) = (ACCRUAL_DAYS, std::f64::consts::LN_2 / MEDIAN_DAYS);
    let entered = t.min(a);
    (entered - ((-lambda * (t - entered)).exp() - (-lambda * t).exp()) / lambda) / a
}

fn mean_sd(x: &[f64]) -> (f64, f64) {
    let n = x.len() as f64;
    let mean = x.iter().sum::<f64>() / n;
    (mean, (x.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / (n - 1.0)).sqrt())
}

#[test]
fn patients_enter_over_the_period_and_are_followed_to_the_common_end() {
    let trials = run(&scenario(1.0, COMMON_END), 200);
    let n = f64::from(2 * PER_ARM);
    let mut entries = Vec::new();
    for t in &trials {
        let p = &t.patients;
        assert!(p.windows(2).all(|w| w[0].entry_day <= w[1].entry_day), "entry in enrolment order");
        for r in p {
            assert!((0.0..=ACCRUAL_DAYS).contains(&r.entry_day), "{r:?}");
            // Follow-up ends at the common end: no time beyond it.
            let time = r.event_day.unwrap();
            assert!(time <= STUDY_DAYS - r.entry_day + 1e-9, "{r:?}");
            entries.push(r.entry_day);
        }
        assert_eq!(t.trial.analysis_day, STUDY_DAYS);
    }
    // Uniform entry: mean A/2, SD A/√12.
    let (mean, sd) = mean_sd(&entries);
    let mcse = ACCRUAL_DAYS / 12f64.sqrt() / (entries.len() as f64).sqrt();
    assert!((mean - ACCRUAL_DAYS / 2.0).abs() < 4.0 * mcse, "mean entry {mean}");
    assert!((sd - ACCRUAL_DAYS / 12f64.sqrt()).abs() < 2.0, "SD of entry {sd}");
    // Events by the common end against the closed form.
    let events: Vec<f64> = trials.iter().map(|t| f64::from(t.comparisons[0].events.unwrap())).collect();
    let (mean, sd) = mean_sd(&events);
    let expected = n * p_event_by(STUDY_DAYS);
    assert!((mean - expected).abs() < 4.0 * sd / (events.len() as f64).sqrt(), "events {mean} vs {expected} (SD {sd})");
    // The arms count the same events.
    for t in &trials {
        assert_eq!(t.arms.iter().map(|a| a.n_events).sum::<u32>(), t.comparisons[0].events.unwrap());
    }
}

#[test]
fn an_event_driven_final_analysis_is_held_on_the_day_of_the_planned_events() {
    const PLANNED: u32 = 70;
    let trials = run(&scenario(1.0, &format!("planned_events = {PLANNED}\n{COMMON_END}")), 200);
    let n = f64::from(2 * PER_ARM);
    let mut days = Vec::new();
    for t in &trials {
        let c = &t.comparisons[0];
        assert!(c.failure.is_none(), "{c:?}");
        let day = t.trial.analysis_day;
        // Reached before the study's end in every trial (expected by day 400: 99).
        assert_eq!(c.events, Some(PLANNED), "{:?}", t.trial);
        assert!(day < STUDY_DAYS);
        // Exactly the events on or before the analysis day are analysed, and patients who
        // entered after it are not.
        let by_then = t.patients.iter().filter(|p| p.event_observed == Some(true) && p.entry_day + p.event_day.unwrap() <= day).count();
        assert_eq!(by_then as u32, PLANNED);
        let entered = t.patients.iter().filter(|p| p.entry_day < day).count() as u32;
        assert_eq!(c.n_control + c.n_treatment, entered);
        assert_eq!((t.trial.analysis_events, t.trial.enrolled_at_analysis), (Some(PLANNED), entered));
        days.push(day);
    }
    // The day the expected events reach D/(N+1) of the patients (the mean of the D-th order
    // statistic, to O(1/N)), by bisection on the closed form.
    let target = f64::from(PLANNED) / (n + 1.0);
    let (mut lo, mut hi) = (0.0, STUDY_DAYS);
    for _ in 0..100 {
        let mid = 0.5 * (lo + hi);
        if p_event_by(mid) < target { lo = mid } else { hi = mid }
    }
    let (mean, sd) = mean_sd(&days);
    let mcse = sd / (days.len() as f64).sqrt();
    assert!((mean - lo).abs() < 4.0 * mcse + 2.0, "analysis day {mean} vs {lo} (MCSE {mcse})");
}

#[test]
fn looks_by_events_with_staggered_entry_hold_the_level_and_see_only_enrolled_patients() {
    // O'Brien–Fleming look at half the planned events: about day 186, before enrolment ends.
    let design = format!("planned_events = 70\n{COMMON_END}\n\n[design.interim]\ninformation = [0.5]");
    const R: u32 = 1000;
    let trials = run(&scenario(1.0, &design), R);
    let mut first_look_patients = Vec::new();
    for t in &trials {
        let first = &t.looks[0];
        assert_eq!(first.events, Some(35), "{first:?}");
        assert!(first.cut_day < ACCRUAL_DAYS + 60.0, "{first:?}");
        first_look_patients.push(f64::from(first.patients));
        let entered = t.patients.iter().filter(|p| p.entry_day < first.cut_day).count() as u32;
        assert_eq!(first.patients, entered);
        assert_eq!(t.trial.analysis_day, t.looks.last().unwrap().cut_day);
    }
    let (mean, _) = mean_sd(&first_look_patients);
    assert!(mean > 150.0 && mean < 200.0, "patients at the interim look {mean}");
    let rejections = trials.iter().filter(|t| t.comparisons[0].decision == Some(true)).count() as f64 / f64::from(R);
    let mcse = (0.025f64 * 0.975 / f64::from(R)).sqrt();
    assert!((rejections - 0.025).abs() < 4.0 * mcse, "type-I error {rejections}");
}

/// The scenario with a continuous response instead of the time to event as primary, a
/// responder endpoint assessed on `at_day`.
fn responder_scenario(at_day: u32, design: &str) -> String {
    scenario(1.0, design)
        .replace("[events]", "[response]\nmodel = \"emax\"\nexposure = \"auc_ss\"\nbaseline = { value = 50.0 }\nemax = { value = -5.0 }\nec50 = { value = 1.0, unit = \"mg*h/L\" }\nresidual_sd = 3\n\n[events]")
        .replace("visits_days = [0, 28]", &format!("visits_days = [0, {at_day}]"))
        .replace("kind = \"time_to_event\"", &format!("kind = \"responder\"\nat_day = {at_day}\nthreshold = -2\nmethod = \"difference_in_proportions\""))
}

#[test]
fn patients_followed_less_than_the_assessment_have_no_endpoint() {
    // Study day 400, enrolment 200 days: patients entering after day 100 end before day 300.
    let trials = run(&responder_scenario(300, COMMON_END), 20);
    for t in &trials {
        let c = &t.comparisons[0];
        let assessed = t.patients.iter().filter(|p| p.entry_day + 300.0 <= STUDY_DAYS).count() as u32;
        assert!(assessed > 60 && assessed < 140, "{assessed}");
        for p in &t.patients {
            // Not a non-responder: not assessed (a dropout before day 300 would be one).
            assert_eq!(p.endpoint.is_some(), p.entry_day + 300.0 <= STUDY_DAYS, "{p:?}");
        }
        assert_eq!(c.n_control + c.n_treatment, assessed);
        assert_eq!(t.arms.iter().map(|a| a.endpoint_n).sum::<u32>(), assessed);
    }
}

#[test]
fn fixed_follow_up_changes_only_the_calendar() {
    // Each patient is followed the same time from entry: every analysis is the same as with
    // everyone entering on day 0; the final analysis is after the last patient's follow-up.
    let plain = run(&scenario(0.7, ""), 20);
    let staggered = run(&scenario(0.7, "[design.accrual]\nduration_days = 200"), 20);
    for (a, b) in plain.iter().zip(&staggered) {
        assert_eq!(a.comparisons, b.comparisons);
        assert_eq!(a.trial.analysis_day, STUDY_DAYS);
        let last_entry = b.patients.last().unwrap().entry_day;
        assert!((b.trial.analysis_day - (last_entry + STUDY_DAYS)).abs() < 1e-9, "{:?}", b.trial);
        assert!(last_entry > 150.0 && last_entry <= ACCRUAL_DAYS);
    }
}

#[test]
fn accrual_designs_that_cannot_work_are_rejected_with_what_to_change() {
    let e = rejected(&scenario(1.0, "[design.accrual]\nduration_days = 400\nfollow_up = \"to_study_end\""));
    assert!(e.contains("design.accrual.duration_days") && e.contains("lengthen study.duration_days"), "{e}");
    let e = rejected(&scenario(1.0, "[design.accrual]\nduration_days = 0"));
    assert!(e.contains("design.accrual.duration_days") && e.contains("> 0"), "{e}");
    let e = rejected(&scenario(1.0, "[design.accrual]\nduration_days = 100\nfollow_up = \"common\""));
    assert!(e.contains("design.accrual.follow_up") && e.contains("to_study_end"), "{e}");
    let e = rejected(&scenario(1.0, "planned_events = 0"));
    assert!(e.contains("design.planned_events") && e.contains("at least 1"), "{e}");
    let e = rejected(&scenario(1.0, "planned_events = 201"));
    assert!(e.contains("design.planned_events") && e.contains("among the trial's 200 patients"), "{e}");
    let e = rejected(&scenario(1.0, "[design.accrual]\nduration_days = 100\nstart = 3"));
    assert!(e.contains("unknown field `start`"), "{e}");
    // Planned events need a time-to-event primary; looks by patients need complete follow-up.
    let e = rejected(&responder_scenario(28, "planned_events = 10"));
    assert!(e.contains("design.planned_events") && e.contains("time-to-event primary"), "{e}");
    let by_patients = responder_scenario(28, &format!("{COMMON_END}\n\n[design.interim]\ninformation = [0.5]"));
    let e = rejected(&by_patients);
    assert!(e.contains("design.accrual.follow_up") && e.contains("follow_up = \"fixed\""), "{e}");
    // A common end on the assessment day: nobody would be assessed.
    let e = rejected(&responder_scenario(400, COMMON_END));
    assert!(e.contains("design.accrual.follow_up") && e.contains("assessed on day 400") && e.contains("no patient"), "{e}");
    // Cohort arms enrol one after the other.
    let cohorts = scenario(1.0, "[design.accrual]\nduration_days = 100")
        .replace("n_per_arm = 100\nrandomisation = { method = \"block\", block_size = 4 }\n", "")
        .replace("name = \"placebo\"\n", "name = \"placebo\"\ninclude = \"age >= 18\"\nn = 50\n")
        .replace("name = \"drug\"\n", "name = \"drug\"\ninclude = \"age >= 18\"\nn = 50\n");
    let e = rejected(&cohorts);
    assert!(e.contains("design.accrual") && e.contains("randomised design"), "{e}");
}
