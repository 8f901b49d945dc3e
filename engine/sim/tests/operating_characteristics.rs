//! Operating characteristics of the trial analyses, end to end through scenarios: type-I
//! error under the null for every test, power against closed forms, bias and coverage
//! against the simulated truth. Tolerances are written in Monte-Carlo standard errors
//! (MCSE = √(p(1−p)/R) for a rate over R trials): 3.5 MCSE, a false-alarm rate of about
//! 5e-4 per check.

use std::sync::atomic::AtomicBool;

use vtrial_sim::cohort::{CohortSource, TestOnlySource};
use vtrial_sim::driver::{self, RunOptions};
use vtrial_sim::rows::{ComparisonRow, TrialOutput};
use vtrial_sim::scenario::{self, Overrides};
use vtrial_stats::Sided;
use vtrial_stats::power::{schoenfeld_power, t_test_power};

/// A two- or three-arm trial whose drug effect on the change from baseline is exactly
/// `effect` for every treated patient (Emax with a negligible EC50 and no variability),
/// residual SD `sd` (so the change has SD `sd·√2`), no dropout, full compliance. `events`:
/// a time-to-event model, `endpoint`: the `[endpoints.primary]` body.
fn scenario(arms: usize, n_per_arm: u32, effect: f64, sd: f64, events: &str, endpoint: &str) -> String {
    let mut arm_text = String::from("[[arms]]\nname = \"placebo\"\n");
    for k in 1..arms {
        arm_text.push_str(&format!("[[arms]]\nname = \"dose {k}\"\nregimen = \"10 mg q24h\"\n"));
    }
    format!(
        r#"[study]
name = "oc"
replicates = 100
seed = 7
duration_days = 28

[cohort]
generator = "copula"

[drug.pk]
model = "one_cmt_oral"
cl = {{ value = 5.0, unit = "L/h" }}
v  = {{ value = 50.0, unit = "L" }}
ka = {{ value = 1.0, unit = "1/h" }}

[response]
model = "emax"
exposure = "auc_ss"
baseline = {{ value = 50.0, sd = 8.0 }}
emax = {{ value = {effect:?} }}
ec50 = {{ value = 1e-9, unit = "mg*h/L" }}
onset_half_life_days = 0
residual_sd = {sd:?}

{events}

{arm_text}
[design]
n_per_arm = {n_per_arm}
randomisation = {{ method = "stratified", block_size = {block}, strata = ["sex"] }}
visits_days = [0, 28]

[endpoints.primary]
{endpoint}
"#,
        block = 2 * arms
    )
}

fn comparisons(text: &str, replicates: u32) -> Vec<TrialOutput> {
    let file = scenario::parse(text, "oc.toml", &TestOnlySource.columns(), Overrides { replicates: Some(replicates), ..Default::default() })
        .unwrap_or_else(|e| panic!("{e}\n{text}"));
    let mut rows: Vec<TrialOutput> = Vec::new();
    driver::run(&file, &TestOnlySource, &mut rows, RunOptions::default(), &mut |_, _| {}, &AtomicBool::new(false)).unwrap();
    rows
}

/// Share of trials in which `pick` rejected, over trials whose primary comparisons all ran.
fn rate(trials: &[TrialOutput], pick: impl Fn(&[ComparisonRow]) -> bool) -> f64 {
    for t in trials {
        for c in t.comparisons.iter().filter(|c| c.endpoint == 0) {
            assert!(c.failure.is_none(), "{c:?}");
        }
    }
    trials.iter().filter(|t| pick(&t.comparisons)).count() as f64 / trials.len() as f64
}

fn assert_rate(what: &str, observed: f64, expected: f64, trials: usize, allowance: f64) {
    let mcse = (expected * (1.0 - expected) / trials as f64).sqrt();
    assert!(
        (observed - expected).abs() <= 3.5 * mcse + allowance,
        "{what}: {observed:.4} vs {expected:.4} (MCSE {mcse:.4}, allowance {allowance})"
    );
}

const R: u32 = 2000;

#[test]
fn every_two_arm_test_holds_its_level_under_the_null() {
    let continuous = "kind = \"change_from_baseline\"\nat_day = 28\n";
    let responder = "kind = \"responder\"\nat_day = 28\nthreshold = -2\nbetter = \"lower\"\n";
    // (label, endpoint body, one-sided alpha or two-sided alpha)
    let cases: [(&str, String, f64); 9] = [
        ("welch_t", format!("{continuous}method = \"welch_t\""), 0.05),
        ("ancova", format!("{continuous}method = \"ancova\""), 0.05),
        ("wald", format!("{responder}method = \"difference_in_proportions\"\nci = \"wald\""), 0.05),
        ("newcombe", format!("{responder}method = \"difference_in_proportions\"\nci = \"newcombe\""), 0.05),
        ("chi_square", format!("{responder}method = \"chi_square\""), 0.05),
        ("fisher_exact", format!("{responder}method = \"fisher_exact\""), 0.05),
        ("logistic", format!("{responder}method = \"logistic\"\ncovariates = [\"age\"]"), 0.05),
        ("welch_t one-sided", format!("{continuous}method = \"welch_t\"\nalpha = 0.025\nsided = 1\nbetter = \"lower\""), 0.025),
        ("ancova one-sided", format!("{continuous}method = \"ancova\"\nalpha = 0.025\nsided = 1\nbetter = \"higher\""), 0.025),
    ];
    for (label, endpoint, alpha) in cases {
        let trials = comparisons(&scenario(2, 40, 0.0, 3.0, "", &endpoint), R);
        let observed = rate(&trials, |c| c[0].decision == Some(true));
        if label == "fisher_exact" {
            // Fisher's exact test is conservative: its level is at most alpha.
            assert!(observed <= alpha + 3.5 * (alpha * (1.0 - alpha) / f64::from(R)).sqrt(), "fisher_exact: {observed}");
        } else {
            assert_rate(label, observed, alpha, R as usize, 0.0);
        }
    }
}

#[test]
fn time_to_event_tests_hold_their_level_and_log_rank_power_matches_schoenfeld() {
    let tte = |hr: f64| format!("[events]\ndistribution = \"exponential\"\nmedian_days = 40\neffect = {{ hazard_ratio = {hr:?} }}");
    for method in ["log_rank", "cox"] {
        let text = scenario(2, 60, 0.0, 3.0, &tte(1.0), &format!("kind = \"time_to_event\"\nmethod = \"{method}\"\n"));
        let trials = comparisons(&text, R);
        assert_rate(method, rate(&trials, |c| c[0].decision == Some(true)), 0.05, R as usize, 0.0);
    }
    // HR 0.6, one-sided 2.5 %: Schoenfeld's power at the mean number of events. The formula
    // is an approximation (about 0.01 here), allowed for on top of 3.5 MCSE.
    let text = scenario(2, 100, 0.0, 3.0, &tte(0.6), "kind = \"time_to_event\"\nalpha = 0.025\nsided = 1\nbetter = \"lower\"\n");
    let trials = comparisons(&text, R);
    let events = trials.iter().map(|t| f64::from(t.comparisons[0].events.unwrap())).sum::<f64>() / trials.len() as f64;
    let expected = schoenfeld_power(0.6, events, 0.025, 0.5, Sided::OneLower);
    let observed = rate(&trials, |c| c[0].decision == Some(true));
    assert!(expected > 0.5 && expected < 0.95, "{expected}");
    assert_rate("log-rank power", observed, expected, R as usize, 0.02);
    // The truth is log(0.6) for every patient on drug; Peto's estimate is close to it.
    let truth = trials[0].comparisons[0].truth.unwrap();
    assert!((truth - 0.6f64.ln()).abs() < 1e-12, "{truth}");
}

#[test]
fn welch_power_matches_the_noncentral_t_and_estimates_are_unbiased_with_nominal_coverage() {
    // Effect −2 on a change with SD 3·√2, 30 per arm.
    let (effect, sd, n) = (-2.0, 3.0, 30);
    let text = scenario(2, n, effect, sd, "", "kind = \"change_from_baseline\"\nat_day = 28\nmethod = \"welch_t\"\n");
    let trials = comparisons(&text, R);
    let expected = t_test_power(effect, sd * 2f64.sqrt(), n as usize, n as usize, 0.05, Sided::Two);
    assert!(expected > 0.4 && expected < 0.9, "{expected}");
    // Welch's df differ slightly from Student's: 0.005 allowed on top of 3.5 MCSE.
    assert_rate("Welch power", rate(&trials, |c| c[0].decision == Some(true)), expected, R as usize, 0.005);
    let estimates: Vec<f64> = trials.iter().map(|t| t.comparisons[0].estimate.unwrap()).collect();
    let mean = estimates.iter().sum::<f64>() / estimates.len() as f64;
    let sd_est = (estimates.iter().map(|e| (e - mean).powi(2)).sum::<f64>() / (estimates.len() - 1) as f64).sqrt();
    let truth = trials[0].comparisons[0].truth.unwrap();
    assert!((truth - effect).abs() < 1e-6, "truth {truth}");
    assert!((mean - truth).abs() <= 3.5 * sd_est / (estimates.len() as f64).sqrt(), "bias: mean {mean} vs {truth}");
    let covered = trials.iter().filter(|t| t.comparisons[0].ci.is_some_and(|(lo, hi)| lo <= truth && truth <= hi)).count() as f64 / f64::from(R);
    assert_rate("coverage", covered, 0.95, R as usize, 0.0);
}

#[test]
fn a_non_inferiority_test_rejects_at_alpha_on_the_margin() {
    // Higher is better; the drug is worse by exactly the margin: the null's boundary.
    let text = scenario(2, 40, -1.5, 3.0, "", "kind = \"change_from_baseline\"\nat_day = 28\nmargin = 1.5\nalpha = 0.025\nsided = 1\nbetter = \"higher\"\n");
    let trials = comparisons(&text, R);
    assert_rate("NI at the margin", rate(&trials, |c| c[0].decision == Some(true)), 0.025, R as usize, 0.0);
}

#[test]
fn multiplicity_procedures_control_the_familywise_error() {
    // Two doses, both without effect: any rejection is a familywise error.
    let body = "kind = \"change_from_baseline\"\nat_day = 28\n";
    for (method, adjustment, exact) in [
        ("dunnett", "dunnett", true),
        ("welch_t", "bonferroni", false),
        ("welch_t", "holm", false),
        ("welch_t", "hochberg", false),
        ("welch_t", "fixed_sequence", true),
    ] {
        let text = scenario(3, 40, 0.0, 3.0, "", &format!("{body}method = \"{method}\"\nmultiplicity = \"{adjustment}\"\n"));
        let trials = comparisons(&text, R);
        assert_eq!(trials[0].comparisons.len(), 2);
        // Adjusted p-values are never below the unadjusted ones, and decide.
        for c in trials.iter().flat_map(|t| &t.comparisons) {
            let (p, q) = (c.p_value.unwrap(), c.p_adjusted.unwrap());
            assert!(q >= p - 1e-12 && c.decision == Some(q < 0.05), "{adjustment}: {c:?}");
        }
        let fwer = rate(&trials, |c| c.iter().any(|x| x.decision == Some(true)));
        let bound = 0.05 + 3.5 * (0.05 * 0.95 / f64::from(R)).sqrt();
        assert!(fwer <= bound, "{adjustment}: FWER {fwer}");
        if exact {
            // Dunnett's test and the fixed sequence use the whole alpha.
            assert_rate(adjustment, fwer, 0.05, R as usize, 0.0);
        }
        // Without an adjustment, two tests at 5 % would exceed it.
        let unadjusted = rate(&trials, |c| c.iter().any(|x| x.p_value.unwrap() < 0.05));
        assert!(unadjusted > 0.07, "{adjustment}: unadjusted {unadjusted}");
    }
}

#[test]
fn bad_analysis_settings_are_rejected_with_what_to_change() {
    let err = |endpoint: &str, arms: usize| -> String {
        let text = scenario(arms, 10, 0.0, 3.0, "", endpoint);
        scenario::parse(&text, "oc.toml", &TestOnlySource.columns(), Overrides::default()).expect_err("rejected").to_string()
    };
    let c = "kind = \"change_from_baseline\"\nat_day = 28\n";
    let e = err(&format!("{c}method = \"log_rank\""), 2);
    assert!(e.contains("endpoints.primary.method") && e.contains("welch_t, ancova or dunnett"), "{e}");
    let e = err(c, 3);
    assert!(e.contains("endpoints.primary.multiplicity") && e.contains("2 comparisons"), "{e}");
    let e = err(&format!("{c}margin = 1"), 2);
    assert!(e.contains("sided = 1"), "{e}");
    let e = err(&format!("{c}margin = -1\nsided = 1\nbetter = \"lower\""), 2);
    assert!(e.contains("endpoints.primary.margin") && e.contains("positive"), "{e}");
    let e = err(&format!("{c}method = \"welch_t\"\ncovariates = [\"age\"]"), 2);
    assert!(e.contains("covariates") && e.contains("logistic or cox"), "{e}");
    let e = err(&format!("{c}method = \"dunnett\"\nmultiplicity = \"holm\""), 3);
    assert!(e.contains("adjusts for multiplicity itself"), "{e}");
    let e = err(&format!("{c}treatments = [\"placebo\"]"), 2);
    assert!(e.contains("control arm"), "{e}");
    let e = err("kind = \"responder\"\nat_day = 28\nthreshold = -2\nmethod = \"fisher_exact\"\nmargin = 0.1\nsided = 1\nbetter = \"lower\"", 2);
    assert!(e.contains("tests no margin"), "{e}");
    // A threshold on an endpoint that is not a responder was silently ignored.
    let e = err(&format!("{c}threshold = -10"), 2);
    assert!(e.contains("endpoints.primary.threshold") && e.contains("kind = \"responder\" only"), "{e}");
    let text = scenario(2, 10, 0.0, 3.0, "", c).replace("visits_days = [0, 28]", "visits_days = [14, 28]");
    let e = scenario::parse(&text, "oc.toml", &TestOnlySource.columns(), Overrides::default()).expect_err("no baseline").to_string();
    assert!(e.contains("baseline visit on day 0"), "{e}");
}

#[test]
fn a_one_sided_responder_test_looks_for_more_responders_on_treatment() {
    // Lower scores are better, so a response is a change at or below −2; the drug lowers
    // the score by 3: more responders on treatment, which a one-sided test must detect.
    let endpoint = "kind = \"responder\"\nat_day = 28\nthreshold = -2\nbetter = \"lower\"\nalpha = 0.025\nsided = 1\n";
    let trials = comparisons(&scenario(2, 60, -3.0, 3.0, "", endpoint), 200);
    let estimate = trials.iter().map(|t| t.comparisons[0].estimate.unwrap()).sum::<f64>() / trials.len() as f64;
    assert!(estimate > 0.2, "{estimate}");
    assert!(rate(&trials, |c| c[0].decision == Some(true)) > 0.8);
}

/// The scenario of [`scenario`] with `[design.interim]` given by `interim` (its body).
fn with_interim(text: &str, interim: &str) -> String {
    text.replace("\n[endpoints.primary]", &format!("\n[design.interim]\n{interim}\n\n[endpoints.primary]"))
}

/// Every group-sequential trial's rows agree with each other: one look row per look up to
/// the stopping one, the stop reason is the last look's outcome, and the primary decision
/// (and the trial's success) is "stopped with the null rejected".
fn check_looks(trials: &[TrialOutput], looks: usize) {
    for t in trials {
        let stopped = t.trial.stopped_look.unwrap() as usize;
        assert!(stopped >= 1 && stopped <= looks && t.looks.len() == stopped, "{:?}", t.trial);
        let last = t.looks.last().unwrap();
        assert_eq!(Some(last.outcome), t.trial.stop_reason);
        assert!(t.looks[..stopped - 1].iter().all(|l| l.outcome == "continue"));
        let rejected = matches!(last.outcome, "efficacy" | "harm" | "rejected");
        assert_eq!(t.comparisons[0].decision, Some(rejected), "{:?}", t.comparisons[0]);
        // A stop for harm rejects the null but is not a success.
        assert_eq!(t.trial.success, Some(rejected && last.outcome != "harm"));
        assert_eq!(t.comparisons[0].p_value, last.p_value);
        assert_eq!(t.comparisons[0].n_control + t.comparisons[0].n_treatment, last.patients);
        assert!(t.looks.windows(2).all(|w| w[0].patients < w[1].patients || w[0].events < w[1].events));
    }
}

/// Every look has a repeated confidence interval at `level` around its estimate that
/// `dual` (the look, the interval) accepts.
fn assert_rci_dual(trials: &[TrialOutput], level: f64, dual: impl Fn(&vtrial_sim::rows::LookRow, (f64, f64)) -> bool) {
    for l in trials.iter().flat_map(|t| &t.looks) {
        let rci = l.rci.unwrap_or_else(|| panic!("no interval: {l:?}"));
        assert!(rci.0 < l.estimate.unwrap() && l.estimate.unwrap() < rci.1 && (l.rci_level - level).abs() < 1e-12, "{l:?}");
        assert!(dual(l, rci), "interval and outcome disagree: {l:?}");
    }
}

/// The stage-wise p-value at each trial's stopping look is at most `alpha` exactly when the
/// trial rejected.
fn assert_stagewise_rejects_at(trials: &[TrialOutput], alpha: f64) {
    for t in trials {
        let last = t.looks.last().unwrap();
        assert_eq!(last.p_stagewise.unwrap() <= alpha, t.comparisons[0].decision == Some(true), "{last:?}");
    }
}

#[test]
fn a_chi_square_primary_gets_wald_repeated_intervals_not_t_ones_with_its_df() {
    // The chi-square's df (1) is not a t's: with it the first look's interval on a
    // difference in proportions was ±364.
    let endpoint = "kind = \"responder\"\nat_day = 28\nthreshold = -2\nbetter = \"lower\"\nmethod = \"chi_square\"\nalpha = 0.025\nsided = 1\n";
    let interim = "information = [0.3333333333333333, 0.6666666666666666]\nspending = \"obrien_fleming\"";
    let trials = comparisons(&with_interim(&scenario(2, 100, -1.5, 3.0, "", endpoint), interim), 100);
    for l in trials.iter().flat_map(|t| &t.looks) {
        let (lo, hi) = l.rci.unwrap();
        let se = l.std_error.unwrap();
        // The boundary in SEs on the normal scale (3.71, 2.51, 1.99 for these looks).
        assert!(((hi - lo) / (2.0 * se) - l.efficacy_z).abs() < 1e-9 && hi - lo < 1.0, "{l:?}");
    }
}

#[test]
fn group_sequential_designs_hold_their_level_and_have_their_designed_power_and_sample_size() {
    use vtrial_stats::group_sequential::{Spending, crossing_probabilities_with_drift, efficacy_bounds};
    // One-sided 2.5 %, looks at a third and two thirds of 60 + 60 patients, O'Brien–Fleming.
    let endpoint = "kind = \"change_from_baseline\"\nat_day = 28\nmethod = \"welch_t\"\nalpha = 0.025\nsided = 1\nbetter = \"lower\"\n";
    let interim = "information = [0.3333333333333333, 0.6666666666666666]\nspending = \"obrien_fleming\"";
    let null = comparisons(&with_interim(&scenario(2, 60, 0.0, 3.0, "", endpoint), interim), R);
    check_looks(&null, 3);
    // The p-values are Welch's t, the boundaries normal: 0.003 allowed for that.
    assert_rate("group-sequential type-I error", rate(&null, |c| c[0].decision == Some(true)), 0.025, R as usize, 0.003);
    // Under the alternative (drift 2.8: effect −2.17 on a change with SD 3·√2, 60 per arm):
    // power and the stopping probabilities of each look as computed for the design.
    let info = [1.0 / 3.0, 2.0 / 3.0, 1.0];
    let drift = 2.17 / (3.0 * 2f64.sqrt() * (2.0f64 / 60.0).sqrt());
    let bounds = efficacy_bounds(0.025, &info, Spending::OBrienFleming).unwrap();
    let by_look = crossing_probabilities_with_drift(&info, &bounds.z, drift).unwrap();
    let alt = comparisons(&with_interim(&scenario(2, 60, -2.17, 3.0, "", endpoint), interim), R);
    check_looks(&alt, 3);
    let power: f64 = by_look.iter().sum();
    assert!(power > 0.75 && power < 0.85, "{power}");
    assert_rate("group-sequential power", rate(&alt, |c| c[0].decision == Some(true)), power, R as usize, 0.015);
    for (k, p) in by_look.iter().enumerate().take(2) {
        let stopped = alt.iter().filter(|t| t.trial.stopped_look == Some(k as u32 + 1) && t.trial.stop_reason == Some("efficacy")).count();
        assert_rate(&format!("efficacy at look {}", k + 1), stopped as f64 / f64::from(R), *p, R as usize, 0.015);
    }
    // The expected sample size: 40, 80 or 120 patients by the stopping look.
    let expected_n = 40.0 * by_look[0] + 80.0 * by_look[1] + 120.0 * (1.0 - by_look[0] - by_look[1]);
    let mean_n = alt.iter().map(|t| f64::from(t.looks.last().unwrap().patients)).sum::<f64>() / f64::from(R);
    assert!((mean_n - expected_n).abs() < 3.0, "mean patients at the stop {mean_n} vs {expected_n}");
    assert!(alt.iter().any(|t| t.looks[0].patients == 40));
    // Repeated confidence intervals (1 − 2α = 95 % together): at every look the interval
    // excludes 0 on the side of benefit exactly when the trial stops there for efficacy, and
    // the intervals of all looks held cover the truth in at least 95 % of the trials, under
    // the null and under the alternative (3.5 MCSE).
    for (trials, truth) in [(&null, 0.0), (&alt, -2.17)] {
        for l in trials.iter().flat_map(|t| &t.looks) {
            let (lo, hi) = l.rci.unwrap_or_else(|| panic!("{l:?}"));
            assert_eq!(hi < 0.0, l.outcome == "efficacy", "{l:?}");
            assert!(lo < l.estimate.unwrap() && l.estimate.unwrap() < hi && l.rci_level == 0.95, "{l:?}");
        }
        let covered = trials.iter().filter(|t| t.looks.iter().all(|l| l.rci.is_some_and(|(lo, hi)| lo <= truth && truth <= hi))).count() as f64 / f64::from(R);
        assert!(covered >= 0.95 - 3.5 * (0.95f64 * 0.05 / f64::from(R)).sqrt(), "simultaneous coverage {covered} (truth {truth})");
    }
    // The stage-wise ordering p-value at the stop: at most alpha exactly when the trial
    // rejected, only at the stopping look, and uniform under the null (Welch's t against the
    // normal boundaries: 0.005 allowed).
    for trials in [&null, &alt] {
        assert_stagewise_rejects_at(trials, 0.025);
        assert!(trials.iter().all(|t| t.looks.split_last().unwrap().1.iter().all(|l| l.p_stagewise.is_none())));
    }
    for q in [0.1, 0.5] {
        let share = null.iter().filter(|t| t.looks.last().unwrap().p_stagewise.unwrap() <= q).count() as f64 / f64::from(R);
        assert_rate(&format!("P(stage-wise p <= {q}) under the null"), share, q, R as usize, 0.005);
    }
    // Under the drift the stage-wise estimate is median-unbiased and its 95 % interval
    // covers the truth, where the naive estimate at the stop overstates the effect (the
    // drug lowers the score: estimates below the truth are the overstated ones).
    let share = |pick: &dyn Fn(&vtrial_sim::rows::LookRow) -> bool| alt.iter().filter(|t| pick(t.looks.last().unwrap())).count() as f64 / f64::from(R);
    let truth = -2.17;
    assert_rate("P(stage-wise estimate <= truth)", share(&|l| l.estimate_stagewise.unwrap() <= truth), 0.5, R as usize, 0.01);
    // Ordered by the test's own statistic: the interval excludes 0 on the benefit side
    // exactly when the trial rejected.
    for t in null.iter().chain(&alt) {
        let l = t.looks.last().unwrap();
        assert_eq!(l.ci_stagewise.unwrap().1 < 0.0, t.comparisons[0].decision == Some(true), "{l:?}");
    }
    assert_rate("stage-wise interval coverage", share(&|l| l.ci_stagewise.is_some_and(|(lo, hi)| lo <= truth && truth <= hi)), 0.95, R as usize, 0.01);
    let naive = share(&|l| l.estimate.unwrap() <= truth);
    assert!(naive > 0.5 + 3.5 * (0.25 / f64::from(R)).sqrt(), "naive P(estimate <= truth) = {naive}");
    assert!(null.iter().chain(&alt).all(|t| t.looks.split_last().unwrap().1.iter().all(|l| l.estimate_stagewise.is_none())));
    // Later looks, more information, narrower intervals.
    let widths = |k: usize| null.iter().filter_map(|t| t.looks.get(k)).map(|l| l.rci.unwrap().1 - l.rci.unwrap().0).sum::<f64>() / null.len() as f64;
    assert!(widths(0) > widths(1) && widths(1) > widths(2));
}

#[test]
fn group_sequential_two_sided_and_event_driven_designs_hold_their_level() {
    // Two-sided 5 %, Pocock spending: the one-sided boundaries at 2.5 % on |z|.
    let endpoint = "kind = \"change_from_baseline\"\nat_day = 28\nmethod = \"welch_t\"\n";
    let trials = comparisons(&with_interim(&scenario(2, 60, 0.0, 3.0, "", endpoint), "information = [0.5]\nspending = \"pocock\""), R);
    check_looks(&trials, 2);
    assert_rate("two-sided Pocock type-I error", rate(&trials, |c| c[0].decision == Some(true)), 0.05, R as usize, 0.004);
    // Without `better` a two-sided rejection has no direction to name.
    assert!(trials.iter().all(|t| t.trial.stop_reason != Some("efficacy")) && trials.iter().any(|t| t.trial.stop_reason == Some("rejected")));
    // Repeated intervals, two-sided at 5 %: 95 % together, excluding 0 exactly at a rejection.
    assert_rci_dual(&trials, 0.95, |l, (lo, hi)| (lo > 0.0 || hi < 0.0) == (l.outcome == "rejected"));
    assert_stagewise_rejects_at(&trials, 0.05);
    // With it, a drug that raises a lower-is-better score is stopped for harm, not efficacy.
    let harmful = comparisons(&with_interim(&scenario(2, 60, 3.0, 3.0, "", &format!("{endpoint}better = \"lower\"\n")), "information = [0.5]\nspending = \"pocock\""), 200);
    check_looks(&harmful, 2);
    let harm = harmful.iter().filter(|t| t.trial.stop_reason == Some("harm")).count();
    assert!(harm > 150 && harmful.iter().all(|t| t.trial.stop_reason != Some("efficacy")), "{harm} of 200 stopped for harm");
    assert_rci_dual(&harmful, 0.95, |l, (lo, hi)| lo > 0.0 && hi > 0.0 && l.outcome == "harm" || lo <= 0.0 && l.outcome != "harm");
    // Log-rank, looks by events: half of the final analysis's events, HSD(-4) spending.
    let tte = "[events]\ndistribution = \"exponential\"\nmedian_days = 40\neffect = { hazard_ratio = 1.0 }";
    // A secondary endpoint assessed on day 28, after the interim cut.
    let endpoint = "kind = \"time_to_event\"\nalpha = 0.025\nsided = 1\nbetter = \"lower\"\n\n[[endpoints.secondary]]\nname = \"score\"\nkind = \"change_from_baseline\"\nat_day = 28\n";
    let trials = comparisons(&with_interim(&scenario(2, 80, 0.0, 3.0, tte, endpoint), "information = [0.5]\nspending = \"hsd(-4)\""), R);
    check_looks(&trials, 2);
    // Trials stopped at the interim look have no data on it yet: not analysed, no patients.
    let early: Vec<&TrialOutput> = trials.iter().filter(|t| t.trial.stopped_look == Some(1)).collect();
    assert!(!early.is_empty());
    for t in early {
        let c = &t.comparisons[1];
        assert!(c.failure.as_deref().is_some_and(|f| f.contains("interim look") && f.contains("day 28")) && c.n_control + c.n_treatment == 0, "{c:?}");
    }
    assert!(trials.iter().filter(|t| t.trial.stopped_look == Some(2)).all(|t| t.comparisons[1].failure.is_none()));
    assert_rate("event-driven type-I error", rate(&trials, |c| c[0].decision == Some(true)), 0.025, R as usize, 0.003);
    // Peto's log-rank: estimate/SE is its z, so its repeated intervals are exactly dual too.
    assert_rci_dual(&trials, 0.95, |l, (_, hi)| (hi < 0.0) == (l.outcome == "efficacy"));
    assert_stagewise_rejects_at(&trials, 0.025);
    for t in &trials {
        let first = &t.looks[0];
        let cut = first.cut_day;
        assert!(cut > 0.0 && cut < 28.0, "{first:?}");
        // The first look sees half of the final events (those on the cut day included).
        if t.looks.len() == 2 {
            let final_events = t.looks[1].events.unwrap();
            assert_eq!(first.events.unwrap(), final_events.div_ceil(2), "{:?}", t.looks);
        }
    }
}

#[test]
fn interim_designs_that_cannot_work_are_rejected_with_what_to_change() {
    let continuous = "kind = \"change_from_baseline\"\nat_day = 28\n";
    let err = |arms: usize, endpoint: &str, interim: &str| -> String {
        let text = with_interim(&scenario(arms, 10, 0.0, 3.0, "", endpoint), interim);
        scenario::parse(&text, "oc.toml", &TestOnlySource.columns(), Overrides::default()).expect_err("rejected").to_string()
    };
    let e = err(3, &format!("{continuous}multiplicity = \"holm\""), "information = [0.5]");
    assert!(e.contains("design.interim") && e.contains("one comparison") && e.contains("it has 2"), "{e}");
    let e = err(2, continuous, "information = [0.6, 0.4]");
    assert!(e.contains("design.interim.information[1]") && e.contains("increase strictly"), "{e}");
    let e = err(2, continuous, "information = []");
    assert!(e.contains("at least one interim look"), "{e}");
    let e = err(2, continuous, "information = [0.5]\nspending = \"haybittle\"");
    assert!(e.contains("design.interim.spending") && e.contains("obrien_fleming, pocock or hsd"), "{e}");
    let e = err(2, continuous, "information = [0.5]\nfutility_z = 0");
    assert!(e.contains("design.interim.futility_z") && e.contains("one-sided") && e.contains("sided = 1"), "{e}");
    // Looks closer than 0.01 in information: the later boundary came out wrong (3.2 for 2.1).
    let e = err(2, continuous, "information = [0.3, 0.3000001]");
    assert!(e.contains("design.interim.information[1]") && e.contains("less than 0.01 apart"), "{e}");
    let e = err(2, continuous, "information = [0.999999]");
    assert!(e.contains("design.interim.information[0]") && e.contains("less than 0.01 apart"), "{e}");
    let many = format!("information = [{}]", (1..=20).map(|k| format!("{}", k as f64 / 21.0)).collect::<Vec<_>>().join(", "));
    let e = err(2, continuous, &many);
    assert!(e.contains("design.interim.information") && e.contains("20 interim looks: at most 19"), "{e}");
    let e = err(2, continuous, "information = [0.5]\nlooks = 2");
    assert!(e.contains("unknown field `looks`"), "{e}");
}

#[test]
fn a_futility_boundary_stops_trials_that_point_the_wrong_way() {
    let endpoint = "kind = \"change_from_baseline\"\nat_day = 28\nmethod = \"welch_t\"\nalpha = 0.025\nsided = 1\nbetter = \"lower\"\n";
    let trials = comparisons(&with_interim(&scenario(2, 60, 0.0, 3.0, "", endpoint), "information = [0.5]\nfutility_z = 0"), 400);
    check_looks(&trials, 2);
    let futile: Vec<&TrialOutput> = trials.iter().filter(|t| t.trial.stop_reason == Some("futility")).collect();
    // Under the null, z < 0 at the first look about half the time.
    assert_rate("stopped for futility", futile.len() as f64 / 400.0, 0.5, 400, 0.0);
    for t in futile {
        assert!(t.looks[0].z.unwrap() < 0.0 && t.comparisons[0].estimate.unwrap() > 0.0, "{:?}", t.looks[0]);
    }
}

#[test]
fn a_significant_harm_is_not_a_success() {
    // Two-sided, lower is better, the drug raises the score by 3: the null is rejected in
    // most trials, but the wrong way; without `better` the direction is unknown and any
    // rejection counts.
    let endpoint = "kind = \"change_from_baseline\"\nat_day = 28\nmethod = \"welch_t\"\n";
    let with_direction = comparisons(&scenario(2, 40, 3.0, 3.0, "", &format!("{endpoint}better = \"lower\"\n")), 200);
    let rejected = with_direction.iter().filter(|t| t.comparisons[0].decision == Some(true)).count();
    assert!(rejected > 150, "{rejected}");
    assert!(with_direction.iter().all(|t| t.trial.success == Some(false)), "a harmful drug succeeded");
    let without = comparisons(&scenario(2, 40, 3.0, 3.0, "", endpoint), 200);
    let success = without.iter().filter(|t| t.trial.success == Some(true)).count();
    assert_eq!(success, without.iter().filter(|t| t.comparisons[0].decision == Some(true)).count());
    // For a beneficial drug, success is the rejection.
    let good = comparisons(&scenario(2, 40, -3.0, 3.0, "", &format!("{endpoint}better = \"lower\"\n")), 200);
    assert!(good.iter().all(|t| t.trial.success == Some(t.comparisons[0].decision == Some(true))));
}
