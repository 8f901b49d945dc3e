//! Staggered entry (`[design.accrual]`) and event-driven analyses (`design.planned_events`),
//! end to end through scenarios, against closed forms: the expected number of events by a
//! calendar day under uniform or piecewise-constant entry and an exponential time to event,
//! and the day on which a planned number of events is reached. Tolerances are in Monte-Carlo standard errors of
//! the simulated trials (4 MCSE) plus, where stated, the order-statistic approximation.

use std::sync::atomic::AtomicBool;

use vtrial_sim::cohort::{CohortSource, TestOnlySource};
use vtrial_sim::driver::{self, RunOptions};
use vtrial_sim::rows::TrialOutput;
use vtrial_sim::scenario::{self, Accrual, AccrualPeriod, FollowUp, Overrides};

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
fn an_endpoint_that_late_entrants_cannot_reach_is_warned_about() {
    let warnings = |text: &str| scenario::parse(text, "accrual.toml", &TestOnlySource.columns(), Overrides::default()).unwrap().warnings;
    // Study day 400, enrolment 200 days, responder on day 300: entrants after day 100 miss it.
    let w = warnings(&responder_scenario(300, COMMON_END));
    assert_eq!(w.len(), 1, "{w:?}");
    assert!(w[0].contains("\"primary\" (day 300: patients entering after day 100, about 50 %)") && w[0].contains("follow_up = \"fixed\""), "{w:?}");
    // With the ramp-up 40 % have entered by day 100.
    let w = warnings(&responder_scenario(300, RAMP_UP));
    assert!(w[0].contains("about 60 %"), "{w:?}");
    // Reached by everyone, followed from entry, or a time to event: nothing to say.
    assert!(warnings(&responder_scenario(200, COMMON_END)).is_empty());
    assert!(warnings(&responder_scenario(300, "[design.accrual]\nduration_days = 200")).is_empty());
    assert!(warnings(&scenario(1.0, COMMON_END)).is_empty());
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

/// A ramp-up: 10 % of the patients enter over the first 50 days (rate 1), 90 % over the
/// next 150 (rate 3); common end.
const RAMP_UP: &str = "[design.accrual]\nduration_days = 200\nfollow_up = \"to_study_end\"\nperiod_ends_days = [50, 200]\nrelative_rates = [1, 3]";

/// `∫_a^b (1 − e^{−λ(t−u)}) du` for entries over `[a, b]` (all before `t`).
fn events_of_entries(a: f64, b: f64, t: f64) -> f64 {
    let lambda = std::f64::consts::LN_2 / MEDIAN_DAYS;
    (b - a) - ((-lambda * (t - b)).exp() - (-lambda * (t - a)).exp()) / lambda
}

#[test]
fn a_ramp_up_enters_patients_at_the_rates_given_and_the_events_follow_the_closed_form() {
    let trials = run(&scenario(1.0, RAMP_UP), 200);
    let entries: Vec<f64> = trials.iter().flat_map(|t| t.patients.iter().map(|p| p.entry_day)).collect();
    let n = entries.len() as f64;
    assert!(entries.iter().all(|&e| (0.0..=ACCRUAL_DAYS).contains(&e)));
    // Share entered by day 50: 50·1 / (50·1 + 150·3) = 0.1 (binomial MCSE).
    let early = entries.iter().filter(|&&e| e < 50.0).count() as f64 / n;
    assert!((early - 0.1).abs() < 4.0 * (0.1f64 * 0.9 / n).sqrt(), "share entered by day 50: {early}");
    // Within each period entry is uniform: mean 0.1·25 + 0.9·125 = 115 days.
    let (mean, sd) = mean_sd(&entries);
    assert!((mean - 115.0).abs() < 4.0 * sd / n.sqrt(), "mean entry {mean}");
    // Events by the common end: each period's share times its uniform-entry closed form.
    let p = 0.1 * events_of_entries(0.0, 50.0, STUDY_DAYS) / 50.0 + 0.9 * events_of_entries(50.0, 200.0, STUDY_DAYS) / 150.0;
    let events: Vec<f64> = trials.iter().map(|t| f64::from(t.comparisons[0].events.unwrap())).collect();
    let (mean, sd) = mean_sd(&events);
    let expected = f64::from(2 * PER_ARM) * p;
    assert!((mean - expected).abs() < 4.0 * sd / (events.len() as f64).sqrt(), "events {mean} vs {expected} (SD {sd})");
    // Fewer than with uniform entry (later entry, shorter follow-up to the common end):
    // 95.8 against 99.1 expected, and the simulated mean tells them apart.
    let uniform = f64::from(2 * PER_ARM) * p_event_by(STUDY_DAYS);
    assert!(expected < uniform - 3.0 && (mean - uniform).abs() > 4.0 * sd / (events.len() as f64).sqrt(), "{mean} vs uniform {uniform}");
}

#[test]
fn a_period_at_rate_zero_enrols_no_one_and_one_period_is_uniform_entry() {
    // An enrolment pause from day 50 to day 100: half the patients before it, half after.
    let paused = "[design.accrual]\nduration_days = 200\nperiod_ends_days = [50, 100, 200]\nrelative_rates = [2, 0, 1]";
    let trials = run(&scenario(1.0, paused), 20);
    let entries: Vec<f64> = trials.iter().flat_map(|t| t.patients.iter().map(|p| p.entry_day)).collect();
    assert!(entries.iter().all(|&e| !(e > 50.0 && e < 100.0)), "an entry in the pause");
    let early = entries.iter().filter(|&&e| e < 50.0).count() as f64 / entries.len() as f64;
    assert!((early - 0.5).abs() < 4.0 * (0.25 / entries.len() as f64).sqrt(), "{early}");
    // A pause at the start: enrolment opens on day 30.
    let late_start = "[design.accrual]\nduration_days = 200\nperiod_ends_days = [30, 200]\nrelative_rates = [0, 1]";
    let trials = run(&scenario(1.0, late_start), 5);
    assert!(trials.iter().flat_map(|t| &t.patients).all(|p| p.entry_day >= 30.0));
    // One period, or periods all at the same rate, is the uniform entry, to the bit.
    let uniform = run(&scenario(0.7, COMMON_END), 5);
    let one_period = run(&scenario(0.7, &format!("{COMMON_END}\nperiod_ends_days = [200]\nrelative_rates = [7]")), 5);
    assert_eq!(uniform, one_period);
    let same_rates = run(&scenario(0.7, &format!("{COMMON_END}\nperiod_ends_days = [20, 200]\nrelative_rates = [2, 2]")), 5);
    assert_eq!(uniform, same_rates);
}

#[test]
fn the_entry_time_inverts_the_enrolment_distribution() {
    let day = 24.0;
    let a = Accrual { periods: vec![AccrualPeriod { end_h: 50.0 * day, relative_rate: 1.0 }, AccrualPeriod { end_h: 100.0 * day, relative_rate: 0.0 }, AccrualPeriod { end_h: 200.0 * day, relative_rate: 3.0 }], ..Accrual::uniform(200.0 * day, FollowUp::Fixed) };
    // Masses 50 and 300 of 350: u = 50/350 is the start of the third period (after the pause).
    assert_eq!(a.entry_h(0.0), 0.0);
    assert!((a.entry_h(25.0 / 350.0) - 25.0 * day).abs() < 1e-9);
    assert!((a.entry_h(50.0 / 350.0 + 1e-12) - 100.0 * day).abs() < 1e-6);
    assert!((a.entry_h(200.0 / 350.0) - 150.0 * day).abs() < 1e-9);
    assert!(a.entry_h(1.0 - f64::EPSILON) <= 200.0 * day);
    assert!(!a.is_uniform());
    let u = Accrual::uniform(200.0 * day, FollowUp::Fixed);
    assert!(u.is_uniform());
    for x in [0.0, 0.123_456_789, 0.5, 0.999_999] {
        assert_eq!(u.entry_h(x), x * (200.0 * day), "uniform entry is u · duration exactly");
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
    // Piecewise rates: both keys, one rate per period, increasing ends covering the enrolment.
    let piecewise = |ends: &str, rates: &str| rejected(&scenario(1.0, &format!("[design.accrual]\nduration_days = 200\n{ends}\n{rates}")));
    // (ends, rates, what the message must say)
    let cases: [(&str, &str, &[&str]); 13] = [
        ("period_ends_days = [50, 200]", "", &["design.accrual.relative_rates", "one number per period"]),
        ("", "relative_rates = [1, 2]", &["design.accrual.period_ends_days", "the last one duration_days"]),
        ("period_ends_days = [50, 200]", "relative_rates = [1, 2, 3]", &["design.accrual.relative_rates", "3 rates for 2 periods"]),
        ("period_ends_days = [100, 50, 200]", "relative_rates = [1, 2, 3]", &["design.accrual.period_ends_days[1]", "must increase"]),
        ("period_ends_days = [50, 150]", "relative_rates = [1, 2]", &["design.accrual.period_ends_days", "ends on day 150", "cover the enrolment"]),
        ("period_ends_days = [50, 200]", "relative_rates = [1, -2]", &["design.accrual.relative_rates[1]", "≥ 0"]),
        ("period_ends_days = [50, 200]", "relative_rates = [0, 0]", &["design.accrual.relative_rates", "at least one period"]),
        ("period_ends_days = []", "relative_rates = []", &["design.accrual.period_ends_days", "empty"]),
        ("period_ends_days = [50, nan]", "relative_rates = [1, 2]", &["design.accrual.period_ends_days[1]", "must increase"]),
        ("period_ends_days = [50, inf]", "relative_rates = [1, 2]", &["design.accrual.period_ends_days[1]"]),
        // An earlier period ending on (or past, within rounding of) the last day: a period of
        // negative length would give negative entry times.
        ("period_ends_days = [200.0000001, 200.0000002]", "relative_rates = [1, 1e12]", &["design.accrual.period_ends_days[0]", "before the enrolment does"]),
        // Rates whose total overflows put everyone on the last day.
        ("period_ends_days = [50, 200]", "relative_rates = [1, 1e306]", &["design.accrual.relative_rates", "too large"]),
        // A last period without entries would end enrolment before duration_days unannounced.
        ("period_ends_days = [150, 200]", "relative_rates = [1, 0]", &["design.accrual.relative_rates[1]", "end the enrolment"]),
    ];
    for (ends, rates, expected) in cases {
        let e = piecewise(ends, rates);
        assert!(expected.iter().all(|x| e.contains(x)), "{ends} / {rates}: {e}");
    }
    // Equal rates, however large, are uniform entry.
    assert!(scenario::parse(&scenario(1.0, "[design.accrual]\nduration_days = 200\nperiod_ends_days = [50, 200]\nrelative_rates = [1e306, 1e306]"), "accrual.toml", &TestOnlySource.columns(), Overrides::default()).is_ok());
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
