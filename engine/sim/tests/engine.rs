//! End-to-end tests of the engine with the test-only cohort source.

use std::path::Path;
use std::sync::atomic::AtomicBool;

use vtrial_sim::cohort::{CohortSource, TestOnlySource};
use vtrial_sim::driver::{self, RunOptions};
use vtrial_sim::rows::{FailureRow, TrialOutput};
use vtrial_sim::scenario::{self, Detail, Overrides, ScenarioError, ScenarioFile};

fn load(name: &str, overrides: Overrides) -> ScenarioFile {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../scenarios").join(name);
    scenario::load(&path, &TestOnlySource.columns(), overrides).unwrap_or_else(|e| panic!("{e}"))
}

fn run(file: &ScenarioFile, threads: usize, batch: usize) -> (Vec<TrialOutput>, Vec<driver::PointSummary>) {
    let mut rows: Vec<TrialOutput> = Vec::new();
    let summary = driver::run(file, &TestOnlySource, &mut rows, RunOptions { threads, batch, ..RunOptions::default() }, &mut |_, _| {}, &AtomicBool::new(false)).unwrap();
    (rows, summary)
}

#[test]
fn dose_ranging_runs_and_is_identical_across_thread_counts() {
    let file = load("phase2-dose-ranging.toml", Overrides { replicates: Some(12), detail: Some(Detail::Observation), ..Default::default() });
    assert_eq!(file.points.len(), 4);
    let (a, sa) = run(&file, 1, 5);
    let (b, sb) = run(&file, 2, 64);
    assert_eq!(a, b);
    assert_eq!(sa, sb);
    assert_eq!(a.len(), 48);
    // Point 1 = n_per_arm 30, emax -12: 120 patients, 4 arms.
    let t = &a[12];
    assert_eq!((t.trial.point, t.trial.replicate, t.trial.n_patients), (1, 0, 120));
    assert_eq!(t.arms.len(), 4);
    assert_eq!(t.patients.len(), 120);
    assert!(t.patients.windows(2).all(|w| w[0].patient < w[1].patient));
    assert!(!t.observations.is_empty());
    // Concentrations only for patients who received drug (arm 0 is placebo).
    let placebo: std::collections::BTreeSet<u32> = t.patients.iter().filter(|p| p.arm == 0).map(|p| p.patient).collect();
    let concentration = |o: &&vtrial_sim::rows::ObservationRow| o.kind == vtrial_sim::rows::ObservationKind::Concentration;
    assert!(!placebo.is_empty() && t.observations.iter().filter(concentration).any(|o| !placebo.contains(&o.patient)));
    assert!(t.observations.iter().filter(concentration).all(|o| !placebo.contains(&o.patient)));
}

#[test]
fn a_large_drug_effect_is_detected_and_placebo_is_not_different_from_itself() {
    let file = load("phase2-dose-ranging.toml", Overrides { replicates: Some(40), ..Default::default() });
    let (rows, summary) = run(&file, 0, 64);
    // emax -12 with 50 per arm: the mean change on 100 mg is well below placebo's.
    let last = summary.last().unwrap();
    assert_eq!(last.trials, 40);
    assert!(last.success > 0.5, "{last:?}");
    let arms = &rows.last().unwrap().arms;
    assert!(arms[3].endpoint_mean.unwrap() < arms[0].endpoint_mean.unwrap());
    // Exposure increases with dose.
    assert!(arms[1].exposure_mean.unwrap() < arms[2].exposure_mean.unwrap());
}

#[test]
fn unknown_keys_are_reported_with_line_and_column() {
    let text = "[study]\nname = \"x\"\nreplicates = 1\nseed = 1\nduration_days = 10\nreplicatse = 3\n";
    let err = scenario::parse(text, "bad.toml", &TestOnlySource.columns(), Overrides::default()).unwrap_err();
    match &err {
        ScenarioError::Syntax { line, column, message, .. } => {
            assert_eq!((*line, *column), (6, 1), "{err}");
            assert!(message.contains("replicatse"), "{err}");
        }
        other => panic!("{other}"),
    }
}

#[test]
fn every_shipped_scenario_validates_and_runs() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../scenarios");
    let mut n = 0;
    for entry in std::fs::read_dir(&dir).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().and_then(|e| e.to_str()) != Some("toml") {
            continue;
        }
        let file = scenario::load(&path, &TestOnlySource.columns(), Overrides { replicates: Some(2), ..Default::default() }).unwrap_or_else(|e| panic!("{e}"));
        driver::check_cohorts(&file, &TestOnlySource, 0).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        let (rows, summary) = run(&file, 0, 64);
        assert_eq!(rows.len(), 2 * file.points.len(), "{}", path.display());
        assert!(summary.iter().all(|s| s.failed_patients == 0), "{}: {summary:?}", path.display());
        n += 1;
    }
    assert!(n >= 4);
}

#[test]
fn time_to_event_trial_detects_a_strong_effect() {
    let file = load("phase3-time-to-event.toml", Overrides { replicates: Some(20), ..Default::default() });
    let (rows, summary) = run(&file, 0, 64);
    // HR about 0.7 with 1200 patients: most trials significant; fewer events on drug.
    let strong = &summary[3];
    assert!(strong.success > 0.6, "{strong:?}");
    let t = rows.iter().find(|t| t.trial.point == 3).unwrap();
    assert!(t.arms[1].n_events < t.arms[0].n_events);
    assert!(t.comparisons[0].estimate.unwrap() < 0.0);
}

#[test]
fn renal_impairment_raises_exposure_by_egfr_class() {
    let file = load("renal-impairment-pk.toml", Overrides { replicates: Some(20), ..Default::default() });
    let (rows, _) = run(&file, 0, 64);
    let mean = |arm: usize| rows.iter().map(|t| t.arms[arm].exposure_mean.unwrap()).sum::<f64>() / rows.len() as f64;
    assert!(mean(0) < mean(1) && mean(1) < mean(2) && mean(2) < mean(3), "{} {} {} {}", mean(0), mean(1), mean(2), mean(3));
    // Rich PK profiles are stored; concentrations are finite and peak within the first hours.
    let obs = &rows[0].observations;
    assert!(obs.iter().filter(|o| o.kind == vtrial_sim::rows::ObservationKind::Concentration).count() >= 13 * 30);
    assert!(rows[0].patients.iter().all(|p| p.egfr.is_some()));
}

fn base() -> String {
    std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("../../scenarios/phase2-dose-ranging.toml")).unwrap()
}

fn parse_err(text: &str) -> String {
    match scenario::parse(text, "s.toml", &TestOnlySource.columns(), Overrides::default()) {
        Ok(_) => panic!("accepted"),
        Err(e) => e.to_string(),
    }
}

#[test]
fn impossible_designs_are_rejected_with_what_to_change() {
    let e = parse_err(&base().replace("n_per_arm = 50", "n_per_arm = 0").replace("\"design.n_per_arm\" = [30, 50]\n", ""));
    assert!(e.contains("design.n_per_arm") && e.contains("zero patients"), "{e}");
    // An error outside the swept keys is the file's, not a sweep point's.
    let e = parse_err(&base().replace("block_size = 8", "block_size = 6"));
    assert!(!e.contains("sweep point"), "{e}");
    let e = parse_err(&base().replacen("name = \"placebo\"", "name = \" \"", 1));
    assert!(e.contains("arms[0].name") && e.contains("needs a name"), "{e}");
    // 1073741824 × 4 arms wrapped to 0 patients in u32 arithmetic.
    let e = parse_err(&base().replace("n_per_arm = 50", "n_per_arm = 1073741824").replace("\"design.n_per_arm\" = [30, 50]\n", ""));
    assert!(e.contains("design.n_per_arm") && e.contains("more than 1000000 patients per trial"), "{e}");
    let e = parse_err(&base().replace("visits_days = [0, 14, 28, 56, 84]", "visits_days = [0, 14, 28, 56, 84, 90]"));
    assert!(e.contains("visits_days[5]") && e.contains("after the end of the study"), "{e}");
    let e = parse_err(&base().replace("cl = { value = 5.0, unit = \"L/h\"", "cl = { value = 5.0, unit = \"mg\""));
    assert!(e.contains("drug.pk.cl.unit") && e.contains("L/h"), "{e}");
    let e = parse_err(&base().replace("regimen = \"25 mg q24h\"", "regimen = \"25 mg q24h\"\nratio = 1.5"));
    assert!(e.contains("ratio") && e.contains("whole number"), "{e}");
    let e = parse_err(&base().replace("block_size = 8", "block_size = 6"));
    assert!(e.contains("block_size") && e.contains("multiple"), "{e}");
    let e = parse_err(&base().replace("method = \"ancova\"", "method = \"anova\""));
    assert!(e.contains("unknown method \"anova\"; use welch_t, ancova or dunnett"), "{e}");
    let e = parse_err(&base().replace("method = \"ancova\"", "method = \"log_rank\""));
    assert!(e.contains("\"log_rank\" does not analyse a change_from_baseline endpoint"), "{e}");
    let e = parse_err(&base().replace("block_size = 8", "block_size = 0"));
    assert!(e.contains("0: a block size is a positive multiple"), "{e}");
    let e = parse_err(&base().replace("visits_days = [0, 14, 28, 56, 84]", "visits_days = [0, 14, 28, 14, 84]"));
    assert!(e.contains("design.visits_days[3]") && e.contains("day 14 is listed twice (also at [1])"), "{e}");
    let e = parse_err(&base().replace("hours = [0.5, 1, 2, 4, 8, 23.5]", "hours = [0.5, 1, 2, 4, 2, 23.5]"));
    assert!(e.contains("design.pk_sampling.hours[4]") && e.contains("2 is listed twice (also at [2])"), "{e}");
    let e = parse_err(&base().replace("hours = [0.5, 1, 2, 4, 8, 23.5]", "hours = [0.5, -1, 2, 4, -1, 23.5]"));
    assert!(e.contains("design.pk_sampling.hours[1]") && e.contains("-1: sampling hours are >= 0"), "{e}");
    let e = parse_err(&base().replace("regimen = \"50 mg q24h\"", "regimen = \"50 mgs q24h\""));
    assert!(e.contains("arms[2].regimen") && e.contains("column 4"), "{e}");
    let e = parse_err(&base().replace("treatments = [\"100 mg\", \"50 mg\"]", "treatments = [\"200 mg\", \"50 mg\"]"));
    assert!(e.contains("unknown arm \"200 mg\""), "{e}");
    let e = parse_err(&base().replace("\"response.emax.value\" = [-8.0, -12.0]", "\"response.emax.valeu\" = [-8.0, -12.0]"));
    assert!(e.contains("\"response.emax.valeu\" is not set in the file"), "{e}");
    // A sweep may only change values the file writes: `design.n_total` beside the file's
    // `n_per_arm` was accepted and failed at every point.
    let e = parse_err(&base().replace("\"design.n_per_arm\" = [30, 50]", "\"design.n_total\" = [60, 120]"));
    assert!(e.contains("design.n_total") && e.contains("is not set in the file") && !e.contains("sweep point"), "{e}");
    let e = parse_err(&base().replace("strata = [\"sex\", \"egfr < 60\"]", "strata = [\"sex\", \"gfr < 60\"]"));
    assert!(e.contains("unknown covariate \"gfr\""), "{e}");
    let e = parse_err(&base().replace("seed = 20261127", "seed = \"x\""));
    assert!(e.starts_with("s.toml:10:8:"), "{e}");
}

#[test]
fn an_auc_driven_model_over_regimens_with_different_intervals_is_warned_about() {
    // 100 mg q12h has half the auc_ss of 200 mg q24h: the same daily dose, another effect.
    let file = scenario::parse(&base(), "s.toml", &TestOnlySource.columns(), Overrides::default()).unwrap();
    assert!(file.warnings.is_empty(), "{:?}", file.warnings);
    let text = base().replace("regimen = \"50 mg q24h\"", "regimen = \"25 mg q12h\"");
    let file = scenario::parse(&text, "s.toml", &TestOnlySource.columns(), Overrides::default()).unwrap();
    assert!(file.warnings.len() == 1 && file.warnings[0].contains("(12 h, 24 h)") && file.warnings[0].contains("cavg_ss"), "{:?}", file.warnings);
}

#[test]
fn pools_sampled_block_by_block_keep_common_patients_and_thread_independence() {
    // Blocks of one replicate (120 patients): memory no longer grows with the replicates.
    let file = load("phase2-dose-ranging.toml", Overrides { replicates: Some(5), detail: Some(Detail::Patient), ..Default::default() });
    let run_with = |threads: usize, pool_block_patients: usize| {
        let mut rows: Vec<TrialOutput> = Vec::new();
        let options = RunOptions { threads, batch: 3, pool_block_patients, ..RunOptions::default() };
        driver::run(&file, &TestOnlySource, &mut rows, options, &mut |_, _| {}, &AtomicBool::new(false)).unwrap();
        rows.sort_by_key(|o| (o.trial.point, o.trial.replicate));
        rows
    };
    let (a, b) = (run_with(1, 200), run_with(2, 200));
    assert_eq!(a, b);
    assert_eq!(a.len(), 20);
    // Replicate r enrols the same patients at every point (first patients of the pool).
    let ages = |o: &TrialOutput| o.patients.iter().take(60).map(|p| p.age).collect::<Vec<_>>();
    for r in 0..5 {
        assert_eq!(ages(&a[r]), ages(&a[5 + r]), "replicate {r}");
    }
    // The first block is the pool's own seed: the same trials as with one big block.
    let whole = run_with(1, 0);
    assert_eq!(a[0], whole[0]);
    assert_ne!(a[1].patients, whole[1].patients);
}

#[test]
fn toml_errors_are_in_the_scenarios_terms() {
    let e = parse_err(&base().replace("seed = 20261127", "seed = 20261127\nseed = 5"));
    assert!(e.contains("duplicate key seed"), "{e}");
    let e = parse_err(&base().replace("seed = 20261127", "seed = -5"));
    assert!(e.contains("expected a whole number >= 0") && !e.contains("u64"), "{e}");
    let e = parse_err(&base().replace("replicates = ", "replicates = -"));
    assert!(e.contains("expected a whole number from 0 to") && !e.contains("u32"), "{e}");
}

#[test]
fn criteria_no_patient_meets_are_rejected_before_simulating() {
    let text = base().replace("egfr >= 45\"", "egfr >= 45 and age > 200\"");
    let file = scenario::parse(&text, "s.toml", &TestOnlySource.columns(), Overrides::default()).unwrap();
    let e = driver::check_cohorts(&file, &TestOnlySource, 0).unwrap_err().to_string();
    assert!(e.contains("age > 200") && e.contains("relax"), "{e}");
}

#[test]
fn categorical_levels_the_cohort_lacks_are_rejected_before_simulating() {
    let with = |effect: &str| base().replace("egfr = \"power(0.4, ref=90)\"", &format!("egfr = \"power(0.4, ref=90)\", {effect}"));
    let check = |effect: &str| {
        let file = scenario::parse(&with(effect), "s.toml", &TestOnlySource.columns(), Overrides::default()).unwrap();
        driver::check_cohorts(&file, &TestOnlySource, 0).map_err(|e| e.to_string())
    };
    // `Female` where the cohort's sex is F/M gave every woman the factor 1, silently.
    let e = check("sex = \"categorical(Female=0.5, M=1)\"").unwrap_err();
    assert!(e.starts_with("s.toml: drug.pk.cl.covariates.sex: \"Female\" is not a level of sex (its levels: F, M)"), "{e}");
    let e = check("sex = \"categorical(0=0.5)\"").unwrap_err();
    assert!(e.contains("sex is a text column"), "{e}");
    check("sex = \"categorical(F=0.5)\"").unwrap();
}

#[test]
fn a_patient_whose_simulation_fails_is_recorded_and_the_run_continues() {
    // A linear age effect that makes CL negative from age 60 on: those patients' PK fails,
    // the trial goes on without them.
    let text = base().replace("egfr = \"power(0.4, ref=90)\"", "egfr = \"power(0.4, ref=90)\", age = \"linear(-0.05, ref=40)\"");
    let file = scenario::parse(&text, "s.toml", &TestOnlySource.columns(), Overrides { replicates: Some(2), detail: Some(Detail::Patient), ..Default::default() }).unwrap();
    let (rows, summary) = run(&file, 0, 64);
    assert!(summary.iter().all(|s| s.failed_patients > 0 && s.compared == 2), "{summary:?}");
    let failed = rows[0].patients.iter().find(|p| p.failure.is_some()).unwrap();
    assert!(failed.age.unwrap() >= 60.0);
    assert_eq!(failed.status, vtrial_sim::rows::Status::Failed);
    assert!(failed.failure.as_ref().unwrap().contains("age"), "{:?}", failed.failure);
}

#[test]
fn dose_adjustment_conditions_are_checked_as_conditions_with_the_cohorts_types() {
    let with = |when: &str| base().replace("regimen = \"50 mg q24h\"\n", &format!("regimen = \"50 mg q24h\"\n[[arms.adjust]]\nwhen = \"{when}\"\nregimen = \"25 mg q24h\"\n"));
    // Not a condition: every patient got the adjusted dose.
    let e = parse_err(&with("egfr"));
    assert!(e.contains("arms[2].adjust[0].when") && e.contains("must be a condition") && e.contains("not a column's value: `egfr`"), "{e}");
    // A label compared with a number: every patient it met failed at run time.
    let file = scenario::parse(&with("sex < 30"), "s.toml", &TestOnlySource.columns(), Overrides::default()).unwrap();
    let e = driver::check_cohorts(&file, &TestOnlySource, 0).unwrap_err().to_string();
    assert!(e.starts_with("s.toml: arms[2].adjust[0].when: column 1: `<` needs numbers") && e.contains("text column sex"), "{e}");
    let file = scenario::parse(&with("egfr < 30 and sex == 'F'"), "s.toml", &TestOnlySource.columns(), Overrides::default()).unwrap();
    driver::check_cohorts(&file, &TestOnlySource, 0).unwrap();
}

#[test]
fn each_patient_row_says_which_regimen_and_adjustment_rule_it_got() {
    let text = base().replace("regimen = \"50 mg q24h\"\n", "regimen = \"50 mg q24h\"\n[[arms.adjust]]\nwhen = \"egfr < 60\"\nregimen = \"25 mg q24h\"\n");
    let file = scenario::parse(&text, "s.toml", &TestOnlySource.columns(), Overrides { replicates: Some(2), detail: Some(Detail::Patient), ..Default::default() }).unwrap();
    let (rows, _) = run(&file, 0, 64);
    let (mut adjusted, mut own) = (0, 0);
    for p in rows.iter().flat_map(|t| &t.patients) {
        let expected = match p.arm {
            0 => ("placebo", None),
            2 if p.egfr.unwrap() < 60.0 => ("25 mg q24h", Some(0)),
            2 => ("50 mg q24h", None),
            _ => continue,
        };
        assert_eq!((p.regimen.as_deref(), p.adjust_rule), (Some(expected.0), expected.1), "{p:?}");
        if p.arm == 2 {
            if expected.1.is_some() { adjusted += 1 } else { own += 1 }
        }
    }
    assert!(adjusted > 0 && own > 0, "{adjusted} / {own}");
}

#[test]
fn the_summary_counts_the_patients_each_adjustment_rule_chose() {
    // Rules are tried in order: `egfr < 30` after `egfr < 60` can never fire.
    let rules = "[[arms.adjust]]\nwhen = \"egfr < 60\"\nregimen = \"25 mg q24h\"\n[[arms.adjust]]\nwhen = \"egfr < 30\"\nregimen = \"10 mg q24h\"\n";
    let text = base().replace("regimen = \"50 mg q24h\"\n", &format!("regimen = \"50 mg q24h\"\n{rules}"));
    let file = scenario::parse(&text, "s.toml", &TestOnlySource.columns(), Overrides { replicates: Some(3), detail: Some(Detail::Patient), ..Default::default() }).unwrap();
    let (rows, summary) = run(&file, 0, 64);
    for p in &summary {
        let by_rule = &p.adjusted_patients[2];
        let low_egfr = rows
            .iter()
            .filter(|t| t.trial.point as usize == p.point)
            .flat_map(|t| &t.patients)
            .filter(|q| q.arm == 2 && q.egfr.is_some_and(|e| e < 60.0))
            .count() as u64;
        assert_eq!(by_rule, &vec![low_egfr, 0], "point {}", p.point);
        assert!(low_egfr > 0);
        assert!(p.adjusted_patients[0].is_empty(), "the placebo arm has no rules");
    }
}

#[test]
fn a_stratum_undefined_for_a_patient_fails_that_patient_with_the_reason() {
    // log(age - 50) is undefined under 50: those patients were put in a silent "?" stratum.
    let text = base().replace("strata = [\"sex\", \"egfr < 60\"]", "strata = [\"sex\", \"log(age - 50) > 2\"]");
    assert_ne!(text, base());
    let file = scenario::parse(&text, "s.toml", &TestOnlySource.columns(), Overrides { replicates: Some(2), detail: Some(Detail::Patient), ..Default::default() }).unwrap();
    let (rows, summary) = run(&file, 0, 64);
    assert!(summary.iter().all(|s| s.failed_patients > 0), "{summary:?}");
    for p in &rows[0].patients {
        let age = p.age.unwrap();
        match &p.failure {
            Some(f) => assert!(age <= 50.0 && f.contains("randomisation stratum \"log(age - 50) > 2\"") && f.contains("log"), "{age} {f}"),
            None => assert!(age > 50.0, "{age}"),
        }
    }
}

#[test]
fn sweeps_by_arm_name_and_explicit_points() {
    let text = base().replace(
        "[sweep]\n\"design.n_per_arm\" = [30, 50]\n\"response.emax.value\" = [-8.0, -12.0]\n",
        "[sweep]\npoint = [ { \"design.n_per_arm\" = 10, \"arms.100 mg.regimen\" = \"100 mg q12h\" }, { \"design.n_per_arm\" = 12 } ]\n",
    );
    let file = scenario::parse(&text, "s.toml", &TestOnlySource.columns(), Overrides { replicates: Some(2), ..Default::default() }).unwrap();
    assert_eq!(file.points.len(), 2);
    assert_eq!(file.points[0].scenario.arms[3].regimen.phases[0].interval_h, 12.0);
    assert_eq!(file.points[1].scenario.arms[3].regimen_text, "load 200 mg then 100 mg q24h");
    assert_eq!(file.points[1].scenario.n_patients(), 48);
    assert_eq!(file.points[0].label, "arms.100 mg.regimen=\"100 mg q12h\", design.n_per_arm=10");
    let bad = base().replace("\"response.emax.value\" = [-8.0, -12.0]", "\"arms.200 mg.regimen\" = [\"1 mg once\"]");
    assert!(parse_err(&bad).contains("no element named \"200 mg\""));
}

#[test]
fn turnover_and_responder_endpoints() {
    let text = base()
        .replace(
            "model = \"emax\"\nexposure = \"auc_ss\"\nbaseline = { value = 50.0, sd = 8.0 }\nemax = { value = -12.0, sd = 3.0 }\nec50 = { value = 10.0, unit = \"mg*h/L\", omega = 0.25 }\nonset_half_life_days = 7\n",
            "model = \"turnover\"\nkind = \"I\"\nbaseline = { value = 50.0, omega = 0.02 }\nkout = { value = 0.2, unit = \"1/d\" }\nmax = { value = 0.6 }\nc50 = { value = 0.5, unit = \"mg/L\" }\nstep_hours = 2\n",
        )
        .replace("kind = \"change_from_baseline\"", "kind = \"responder\"\nthreshold = -10\nbetter = \"lower\"")
        .replace("method = \"ancova\"", "method = \"difference_in_proportions\"")
        .replace("treatments = [\"100 mg\", \"50 mg\"]\nmultiplicity = \"fixed_sequence\"", "treatments = [\"100 mg\"]")
        .replace("\"response.emax.value\" = [-8.0, -12.0]", "\"response.max.value\" = [0.3, 0.6]");
    let file = scenario::parse(&text, "s.toml", &TestOnlySource.columns(), Overrides { replicates: Some(6), ..Default::default() }).unwrap_or_else(|e| panic!("{e}"));
    let (rows, summary) = run(&file, 0, 64);
    // Inhibiting production lowers the response: more responders on 100 mg than placebo.
    let t = rows.last().unwrap();
    assert!(t.arms[3].endpoint_mean.unwrap() > t.arms[0].endpoint_mean.unwrap() + 0.3, "{:?}", t.arms);
    assert!(summary[3].success > 0.5, "{summary:?}");
}

#[test]
fn michaelis_menten_pk_through_the_ode_solver_is_more_than_dose_proportional() {
    let text = base()
        .replace("model = \"one_cmt_oral\"\ncl = { value = 5.0, unit = \"L/h\", omega = 0.09, covariates = { weight = \"power(0.75, ref=70)\", egfr = \"power(0.4, ref=90)\" } }",
                 "model = \"one_cmt_oral_mm\"\nvmax = { value = 480, unit = \"mg/d\", omega = 0.04 }\nkm = { value = 1.0, unit = \"mg/L\" }")
        .replace("exposure = \"auc_ss\"", "exposure = \"cavg_ss\"")
        .replace("ec50 = { value = 10.0, unit = \"mg*h/L\", omega = 0.25 }", "ec50 = { value = 0.5, unit = \"mg/L\", omega = 0.25 }");
    let file = scenario::parse(&text, "s.toml", &TestOnlySource.columns(), Overrides { replicates: Some(2), detail: Some(Detail::Observation), ..Default::default() }).unwrap_or_else(|e| panic!("{e}"));
    let (rows, summary) = run(&file, 0, 64);
    let failures: Vec<&FailureRow> = rows.iter().flat_map(|t| &t.failures).collect();
    assert!(summary.iter().all(|s| s.failed_patients == 0), "{failures:?}");
    let arms = &rows[0].arms;
    let (low, high) = (arms[1].exposure_mean.unwrap(), arms[3].exposure_mean.unwrap());
    assert!(high > 4.0 * low, "Cavg at 100 mg {high} vs 25 mg {low}");
    // The model is stated wrongly on purpose: `cl` is not a parameter of a Michaelis–Menten model.
    let bad = text.replace("km = { value = 1.0, unit = \"mg/L\" }", "km = { value = 1.0, unit = \"mg/L\" }\ncl = { value = 1.0, unit = \"L/h\" }");
    assert!(parse_err(&bad).contains("has no parameter cl"));
}

#[test]
fn correlated_etas_give_a_full_omega_and_bad_correlations_are_rejected() {
    let with = |corr: &str| base().replace("error = { proportional = 0.15, additive = 0.01 }", &format!("error = {{ proportional = 0.15, additive = 0.01 }}\ncorrelations = {corr}"));
    let file = scenario::parse(&with("{ \"cl,v\" = 0.5 }"), "s.toml", &TestOnlySource.columns(), Overrides::default()).unwrap_or_else(|e| panic!("{e}"));
    let omega = file.points[0].scenario.pk.as_ref().unwrap().omega.clone().unwrap();
    let (cl, v) = (omega.index_of("CL").unwrap(), omega.index_of("V").unwrap());
    let c = omega.covariance();
    assert!((c[(cl, v)] - 0.5 * (0.09f64 * 0.04).sqrt()).abs() < 1e-15 && c[(v, cl)] == c[(cl, v)], "{c}");
    let e = parse_err(&with("{ \"cl,q\" = 0.5 }"));
    assert!(e.contains("drug.pk.correlations") && e.contains("need an omega"), "{e}");
    let e = parse_err(&with("{ \"cl,v\" = 1.5 }"));
    assert!(e.contains("(-1, 1)"), "{e}");
    // Pairwise plausible, jointly impossible: not positive definite.
    let e = parse_err(&with("{ \"cl,v\" = 0.95, \"cl,ka\" = 0.95, \"ka,v\" = -0.95 }"));
    assert!(e.contains("OMEGA"), "{e}");
}

#[test]
fn bsa_and_weight_based_doses_are_scaled_rounded_and_capped_per_patient() {
    let text = base()
        .replace("regimen = \"50 mg q24h\"", "regimen = \"30 mg/m2 round 5 mg max 60 mg q24h\"")
        .replace("regimen = \"load 200 mg then 100 mg q24h\"", "regimen = \"load 2.5 mg/kg max 250 mg then 1.2 mg/kg max 100 mg q24h\"");
    let file = scenario::parse(&text, "s.toml", &TestOnlySource.columns(), Overrides { replicates: Some(2), detail: Some(Detail::Patient), ..Default::default() }).unwrap();
    let (rows, _) = run(&file, 0, 64);
    let (mut capped, mut under_cap) = (0, 0);
    for p in rows.iter().flat_map(|t| &t.patients).filter(|p| p.failure.is_none()) {
        let (bsa, weight) = (p.bsa.expect("the test source has bsa"), p.weight.unwrap());
        let expected = match p.arm {
            0 => None,
            1 => Some(25.0),
            2 => Some(((30.0 * bsa / 5.0).round() * 5.0).max(5.0).min(60.0)),
            _ => Some((1.2 * weight).min(100.0)),
        };
        assert_eq!(p.maintenance_dose_mg, expected, "{p:?}");
        if p.arm == 3 {
            if 1.2 * weight > 100.0 { capped += 1 } else { under_cap += 1 }
        }
        // Every dose taken is a multiple of the rounding step.
        if p.arm == 2 {
            assert!((p.dose_mg / 5.0 - (p.dose_mg / 5.0).round()).abs() < 1e-9, "{p:?}");
        }
    }
    assert!(capped > 0 && under_cap > 0, "{capped} capped, {under_cap} under the cap");
}

#[test]
fn bsa_based_dosing_needs_the_bsa_covariate() {
    let text = base().replace("regimen = \"50 mg q24h\"", "regimen = \"30 mg/m2 q24h\"");
    let without: Vec<String> = TestOnlySource.columns().into_iter().filter(|c| c != "bsa").collect();
    let e = scenario::parse(&text, "s.toml", &without, Overrides::default()).unwrap_err().to_string();
    assert!(e.contains("arms[2].regimen") && e.contains("covariate `bsa` (m2)"), "{e}");
    let adjusted = base().replace("regimen = \"50 mg q24h\"\n", "regimen = \"50 mg q24h\"\n[[arms.adjust]]\nwhen = \"egfr < 60\"\nregimen = \"20 mg/m2 q24h\"\n");
    let e = scenario::parse(&adjusted, "s.toml", &without, Overrides::default()).unwrap_err().to_string();
    assert!(e.contains("arms[2].adjust[0].regimen") && e.contains("`bsa`"), "{e}");
}

/// The dose-ranging scenario with drug monitoring on the 50 mg arm (troughs on days 7 and
/// 14, window 0.08–0.12 mg/L, at most ×4 per sample, 5 mg tablets).
fn with_tdm() -> String {
    base().replace(
        "regimen = \"50 mg q24h\"\n",
        "regimen = \"50 mg q24h\"\n[arms.tdm]\ndays = [7, 14]\ntarget = { low = 80, high = 120, unit = \"ng/mL\" }\nmax_change = 4\nround_mg = 5\n",
    )
}

#[test]
fn drug_monitoring_changes_later_doses_by_the_measured_trough() {
    let file = scenario::parse(&with_tdm(), "s.toml", &TestOnlySource.columns(), Overrides { replicates: Some(2), detail: Some(Detail::Observation), ..Default::default() }).unwrap();
    let (rows, _) = run(&file, 0, 64);
    let (mut changed, mut kept, mut dropped) = (0, 0, 0);
    for t in &rows {
        for p in t.patients.iter().filter(|p| p.arm == 2 && p.failure.is_none()) {
            let troughs: Vec<(f64, f64)> = t
                .observations
                .iter()
                .filter(|o| o.patient == p.patient && o.kind == vtrial_sim::rows::ObservationKind::Trough)
                .map(|o| (o.time_h, o.value))
                .collect();
            // The stored troughs are those taken in the study (none after a dropout or an adverse
            // event that ended participation), and the stored dose and count follow them.
            assert!(troughs.iter().map(|t| t.0).eq([168.0, 336.0].into_iter().take(troughs.len())), "{troughs:?}");
            if troughs.len() < 2 {
                dropped += 1;
            }
            // Replay the rule: the midpoint 0.1 mg/L over the measured trough, within ×4, to 5 mg;
            // a rounding that would go against the factor keeps the dose; only real changes count.
            let mut dose = 50.0;
            let mut changes = 0;
            for (_, c) in troughs {
                if !(0.08..=0.12).contains(&c) {
                    let factor = if c > 0.0 { (0.1 / c).clamp(0.25, 4.0) } else { 4.0 };
                    let new = ((dose * factor / 5.0).round() * 5.0).max(5.0);
                    let new = if (factor > 1.0 && new < dose) || (factor < 1.0 && new > dose) { dose } else { new };
                    changes += u32::from(new != dose);
                    dose = new;
                }
            }
            assert_eq!(p.tdm_dose_changes, Some(changes), "{p:?}");
            assert!((p.maintenance_dose_mg.unwrap() - dose).abs() < 1e-9, "{p:?}: expected {dose}");
            if changes > 0 { changed += 1 } else { kept += 1 }
        }
        // Arms without monitoring have none.
        assert!(t.patients.iter().filter(|p| p.arm != 2).all(|p| p.tdm_dose_changes.is_none()));
    }
    assert!(changed > 0 && kept > 0 && dropped > 0, "{changed} changed, {kept} kept, {dropped} left before day 14");
}

#[test]
fn drug_monitoring_narrows_the_spread_of_steady_state_troughs() {
    // The same patients (same seed) with and without monitoring: the steady-state trough on
    // 50 mg (stored as the response model's exposure) varies less between patients when
    // measured troughs steer the dose. (AUC need not: with a half-life short against the
    // interval the trough moves much more than the AUC with clearance.)
    let on_trough = |text: String| {
        text.replace("exposure = \"auc_ss\"", "exposure = \"ctrough_ss\"").replace("ec50 = { value = 10.0, unit = \"mg*h/L\"", "ec50 = { value = 0.1, unit = \"mg/L\"")
    };
    let spread = |text: &str| {
        let text = on_trough(text.to_string());
        assert!(text.contains("ctrough_ss") && text.contains("0.1, unit = \"mg/L\""));
        let file = scenario::parse(&text, "s.toml", &TestOnlySource.columns(), Overrides { replicates: Some(4), detail: Some(Detail::Patient), ..Default::default() }).unwrap();
        let (rows, _) = run(&file, 0, 64);
        let x: Vec<f64> = rows.iter().flat_map(|t| &t.patients).filter(|p| p.arm == 2).filter_map(|p| p.exposure).map(f64::ln).collect();
        let mean = x.iter().sum::<f64>() / x.len() as f64;
        (x.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / (x.len() - 1) as f64).sqrt()
    };
    let (without, with) = (spread(&base()), spread(&with_tdm()));
    assert!(with < 0.8 * without, "SD of log Ctrough,ss: {with} with monitoring, {without} without");
}

#[test]
fn drug_monitoring_settings_that_cannot_work_are_rejected() {
    let tdm = |body: &str| base().replace("regimen = \"50 mg q24h\"\n", &format!("regimen = \"50 mg q24h\"\n[arms.tdm]\n{body}\n"));
    let e = parse_err(&tdm("days = [7, 90]\ntarget = { low = 0.1, high = 0.2, unit = \"mg/L\" }"));
    assert!(e.contains("arms[2].tdm.days[1]") && e.contains("not before the end of the study"), "{e}");
    let e = parse_err(&tdm("days = [7, 7]\ntarget = { low = 0.1, high = 0.2, unit = \"mg/L\" }"));
    assert!(e.contains("arms[2].tdm.days[1]") && e.contains("increase strictly"), "{e}");
    let e = parse_err(&tdm("days = [0]\ntarget = { low = 0.1, high = 0.2, unit = \"mg/L\" }"));
    assert!(e.contains("after day 0"), "{e}");
    let e = parse_err(&tdm("days = [7]\ntarget = { low = 0.2, high = 0.1, unit = \"mg/L\" }"));
    assert!(e.contains("arms[2].tdm.target") && e.contains("0 < low < high"), "{e}");
    let e = parse_err(&tdm("days = [7]\ntarget = { low = 0.1, high = 0.2, unit = \"mg\" }"));
    assert!(e.contains("arms[2].tdm.target.unit") && e.contains("mg/L"), "{e}");
    let e = parse_err(&tdm("days = [7]\ntarget = { low = 0.1, high = 0.2, unit = \"mg/L\" }\nmax_change = 0.5"));
    assert!(e.contains("arms[2].tdm.max_change") && e.contains(">= 1"), "{e}");
    let e = parse_err(&tdm("days = [7]\ntarget = { low = 0.1, high = 0.2, unit = \"mg/L\" }\nround_mg = 0"));
    assert!(e.contains("arms[2].tdm.round_mg"), "{e}");
    // A day without a dose has no trough, and a day after the last dose no later dose to change.
    let weekly = tdm("days = [3]\ntarget = { low = 0.1, high = 0.2, unit = \"mg/L\" }").replace("regimen = \"50 mg q24h\"", "regimen = \"50 mg q1w\"");
    let e = parse_err(&weekly);
    assert!(e.contains("arms[2].tdm.days[0]") && e.contains("\"50 mg q1w\" gives no dose at day 3"), "{e}");
    let short = tdm("days = [10]\ntarget = { low = 0.1, high = 0.2, unit = \"mg/L\" }").replace("regimen = \"50 mg q24h\"", "regimen = \"50 mg q24h x 3\"");
    assert!(parse_err(&short).contains("gives no dose at day 10"));
    let placebo = base().replace("regimen = \"placebo\"\n", "regimen = \"placebo\"\n[arms.tdm]\ndays = [7]\ntarget = { low = 0.1, high = 0.2, unit = \"mg/L\" }\n");
    let e = parse_err(&placebo);
    assert!(e.contains("arms[0].tdm") && e.contains("gives drug"), "{e}");
}

#[test]
fn drug_monitoring_keeps_the_regimens_rounding_and_cap_unless_it_has_its_own() {
    // 1 mg/kg to 25 mg, at most 100 mg; troughs far below the window call for ×3.
    let text = base().replace(
        "regimen = \"50 mg q24h\"\n",
        "regimen = \"1 mg/kg round 25 mg max 100 mg q24h\"\n[arms.tdm]\ndays = [7]\ntarget = { low = 5, high = 10, unit = \"mg/L\" }\nmax_change = 3\n",
    );
    let file = scenario::parse(&text, "s.toml", &TestOnlySource.columns(), Overrides { replicates: Some(2), detail: Some(Detail::Patient), ..Default::default() }).unwrap();
    let (rows, _) = run(&file, 0, 64);
    let doses: Vec<f64> = rows.iter().flat_map(|t| &t.patients).filter(|p| p.arm == 2 && p.failure.is_none()).map(|p| p.maintenance_dose_mg.unwrap()).collect();
    assert!(!doses.is_empty());
    // Multiples of 25, never above the regimen's 100 mg (before: up to 3 × 100 = 300, not multiples).
    assert!(doses.iter().all(|d| *d <= 100.0 && (d / 25.0).fract() == 0.0), "{doses:?}");
    assert!(doses.iter().any(|d| *d == 100.0));
}

#[test]
fn bsa_and_crcl_are_drawn_for_the_patients_table_only_at_patient_detail() {
    // CrCl needs creatinine, which costs the generator about a fifth of its throughput.
    let covariates = |detail: Option<Detail>| {
        let file = scenario::parse(&base(), "s.toml", &TestOnlySource.columns(), Overrides { detail, ..Default::default() }).unwrap();
        file.points[0].scenario.covariates.clone()
    };
    let trial = covariates(None);
    assert!(!trial.iter().any(|c| c == "bsa" || c == "crcl"), "{trial:?}");
    let patient = covariates(Some(Detail::Patient));
    assert!(patient.iter().any(|c| c == "bsa") && patient.iter().any(|c| c == "crcl"), "{patient:?}");
    // A scenario that doses by BSA draws it at any detail.
    let bsa = base().replace("regimen = \"50 mg q24h\"", "regimen = \"30 mg/m2 q24h\"");
    let file = scenario::parse(&bsa, "s.toml", &TestOnlySource.columns(), Overrides::default()).unwrap();
    assert!(file.points[0].scenario.covariates.iter().any(|c| c == "bsa"));
}

#[test]
fn the_personalised_dosing_example_puts_more_troughs_in_the_window_with_monitoring() {
    let file = load("personalised-dosing.toml", Overrides { replicates: Some(5), ..Default::default() });
    let (rows, _) = run(&file, 0, 64);
    let share = |arm: u32| {
        let troughs: Vec<f64> = rows
            .iter()
            .flat_map(|t| {
                let in_arm: std::collections::BTreeSet<u32> = t.patients.iter().filter(|p| p.arm == arm).map(|p| p.patient).collect();
                t.observations
                    .iter()
                    .filter(move |o| o.kind == vtrial_sim::rows::ObservationKind::Concentration && (o.time_h - 143.9).abs() < 1e-9 && in_arm.contains(&o.patient))
                    .map(|o| o.value)
            })
            .collect();
        assert!(troughs.len() > 400, "{}", troughs.len());
        troughs.iter().filter(|c| (10.0..=20.0).contains(*c)).count() as f64 / troughs.len() as f64
    };
    let (fixed, weight, tdm) = (share(0), share(1), share(2));
    assert!(tdm > fixed + 0.1 && tdm > weight + 0.1, "in window: fixed {fixed}, weight-based {weight}, TDM {tdm}");
}
