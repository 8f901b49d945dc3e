//! `vtrial run`: simulate a scenario into a DuckDB store and print the summary per point.

use std::io::IsTerminal;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Instant;

use anyhow::{Context, Result};
use clap::Args;
use indicatif::{ProgressBar, ProgressStyle};
use vtrial_sim::cohort::CohortSource;
use vtrial_sim::driver::{self, PointSummary, RunError, RunOptions};
use vtrial_sim::scenario::{Detail, Overrides, ScenarioFile};
use vtrial_store::writer::{PointMeta, RunEnd, RunMeta, RunWriter};

/// Run a scenario: every sweep point × replicate, results into a DuckDB file.
///
/// Prints a progress bar on a terminal and, at the end, one summary row per scenario
/// point (trials, mean patients per arm, mean dropouts per trial, failed patients, and the
/// probability of success with its Monte-Carlo standard error) and one per comparison
/// (rejection rate, mean estimate, truth, bias and coverage, with MCSEs). Ctrl-C (or SIGTERM,
/// SIGHUP) stops the run cleanly: nothing of it is committed except its status.
#[derive(Debug, Args)]
pub struct RunArgs {
    /// Scenario file (TOML; see engine/sim/README.md).
    pub scenario: PathBuf,
    /// DuckDB file to write (created if missing; runs accumulate, each with its run_id).
    #[arg(long, default_value = "run.duckdb")]
    pub db: PathBuf,
    /// Worker threads (default: all cores). Results do not depend on it.
    #[arg(long, value_parser = crate::thread_count)]
    pub threads: Option<usize>,
    /// Trials per scenario point (replaces study.replicates).
    #[arg(long)]
    pub replicates: Option<u32>,
    /// Seed of every random stream (replaces study.seed).
    #[arg(long)]
    pub seed: Option<u64>,
    /// What to store: trial (trials and arms), patient (+ patients) or observation
    /// (+ concentrations, responses, events); replaces output.detail.
    #[arg(long)]
    pub detail: Option<String>,
    /// Most rows the cohort generator may draw to meet rare inclusion criteria (per cohort and
    /// block of ~131k patients; default: 200,000 for the pre-run check, the generator's own budget for the run).
    #[arg(long)]
    pub max_draws: Option<usize>,
}

/// The cohort source of the CLI: the real generator.
pub(crate) fn cohort_source() -> Result<Box<dyn CohortSource>> {
    let source = vtrial_sim::cohort::GeneratorSource::default_model().context("loading the cohort generator")?;
    Ok(Box::new(source))
}

/// Loads and checks a scenario (syntax, design, cohorts) against the source.
pub(crate) fn load(path: &std::path::Path, source: &dyn CohortSource, overrides: Overrides, max_draws: usize) -> Result<ScenarioFile> {
    let file = vtrial_sim::scenario::load(path, &source.columns(), overrides)?;
    driver::check_cohorts(&file, source, max_draws)?;
    for w in &file.warnings {
        eprintln!("warning: {}: {w}", file.file);
    }
    Ok(file)
}

/// Runs the command.
pub fn run(args: RunArgs) -> Result<ExitCode> {
    let detail = args
        .detail
        .as_deref()
        .map(|d| Detail::from_name(d).with_context(|| format!("--detail {d:?}: use trial, patient or observation")))
        .transpose()?;
    let source = cohort_source()?;
    let overrides = Overrides { replicates: args.replicates, seed: args.seed, detail };
    let max_draws = args.max_draws.unwrap_or(0);
    let file = load(&args.scenario, source.as_ref(), overrides, max_draws)?;
    let threads = args.threads.unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get()));
    let first = &file.points[0].scenario;
    let meta = RunMeta {
        scenario_name: first.name.clone(),
        scenario_file: file.file.clone(),
        scenario_text: file.text.clone(),
        scenario_sha256: file.sha256.clone(),
        seed: first.seed,
        replicates: first.replicates,
        detail: first.detail.name().into(),
        threads: threads as u32,
        cohort_source: source.describe(),
        engine_version: env!("CARGO_PKG_VERSION").into(),
        started_micros: vtrial_store::writer::now_micros(),
        points: file
            .points
            .iter()
            .map(PointMeta::from_point)
            .collect(),
    };
    let total = file.points.len() as u64 * u64::from(first.replicates);
    let patients_planned: u64 = file.points.iter().map(|p| p.scenario.n_patients() as u64 * u64::from(p.scenario.replicates)).sum();
    eprintln!(
        "{}: {} point(s) x {} replicates = {total} trials, {patients_planned} patients; cohort: {}; {threads} thread(s) -> {}",
        file.file,
        file.points.len(),
        first.replicates,
        source.describe(),
        args.db.display()
    );
    let mut writer = RunWriter::start(&args.db, meta, 8).with_context(|| format!("opening {}", args.db.display()))?;

    let cancel = Arc::new(AtomicBool::new(false));
    {
        let cancel = cancel.clone();
        // A second Ctrl-C while the first is being handled ends the process.
        let _ = ctrlc::set_handler(move || {
            if cancel.swap(true, Ordering::SeqCst) {
                std::process::exit(130);
            }
        });
    }
    let bar = if std::io::stderr().is_terminal() { ProgressBar::new(total) } else { ProgressBar::hidden() };
    bar.set_style(ProgressStyle::with_template("{elapsed_precise} [{bar:40}] {pos}/{len} trials ({per_sec}, eta {eta})").expect("valid template").progress_chars("=> "));
    let start = Instant::now();
    let outcome = driver::run(&file, source.as_ref(), &mut writer, RunOptions { threads, max_draws, ..RunOptions::default() }, &mut |done, _| bar.set_position(done), &cancel);
    bar.finish_and_clear();
    let seconds = start.elapsed().as_secs_f64();
    match outcome {
        Ok(summary) => {
            let run_id = writer.finish(RunEnd::Complete).context("committing the run")?;
            print_summary(&summary);
            warn_if_all_failed(&summary);
            warn_of_rules_that_never_fired(&file, &summary);
            print_operating_characteristics(&args.db, run_id)?;
            eprintln!(
                "run {run_id} complete: {total} trials, {patients_planned} patients in {seconds:.1} s ({:.0} patients/s) -> {}",
                patients_planned as f64 / seconds,
                args.db.display()
            );
            Ok(ExitCode::SUCCESS)
        }
        Err(RunError::Interrupted { done, total }) => {
            let run_id = writer.finish(RunEnd::Interrupted(format!("interrupted after {done} of {total} trials"))).context("recording the interruption")?;
            eprintln!("run {run_id} interrupted after {done} of {total} trials: nothing of it was committed (status 'interrupted')");
            Ok(ExitCode::from(130))
        }
        Err(e) => {
            let _ = writer.finish(RunEnd::Failed(e.to_string()));
            Err(e.into())
        }
    }
}

/// Prints the summary table per scenario point.
pub(crate) fn print_summary(summary: &[PointSummary]) {
    let table = vtrial_store::query::Table {
        columns: ["point", "parameters", "trials", "patients/arm", "dropouts/trial", "failed", "success", "mcse"].map(String::from).to_vec(),
        rows: summary
            .iter()
            .map(|p| {
                vec![
                    p.point.to_string(),
                    if p.label.is_empty() { "-".into() } else { p.label.clone() },
                    p.trials.to_string(),
                    p.mean_patients_per_arm.iter().map(|n| format!("{n:.1}")).collect::<Vec<_>>().join(" / "),
                    format!("{:.2}", p.mean_dropouts),
                    p.failed_patients.to_string(),
                    if p.success.is_finite() { format!("{:.3}", p.success) } else { "".into() },
                    if p.mcse.is_finite() { format!("{:.3}", p.mcse) } else { "".into() },
                ]
            })
            .collect(),
    };
    crate::out::print(&vtrial_store::query::render(&table));
}

/// Prints, from the committed run, each comparison's rejection rate (power, or type-I
/// error under the null), mean estimate, truth, bias and coverage, with Monte-Carlo SEs;
/// and on stderr the commonest reasons why patients failed, if any did.
fn print_operating_characteristics(db: &std::path::Path, run_id: i64) -> Result<()> {
    let sql = format!(
        "SELECT point, endpoint, treatment || ' vs ' || control AS \"treatment vs control\", method, trials, analysed, \
         printf('%.3f ± %.3f', rejection_rate, rejection_mcse) AS \"reject (± mcse)\", \
         printf('%.3f', mean_estimate) AS estimate, printf('%.3f', truth) AS truth, \
         printf('%.3f ± %.3f', bias, bias_mcse) AS \"bias (± mcse)\", \
         printf('%.3f ± %.3f', coverage, coverage_mcse) AS \"coverage (± mcse)\", nominal_coverage AS nominal \
         FROM operating_characteristics WHERE run_id = {run_id} ORDER BY point, primary_endpoint DESC, endpoint, comparison"
    );
    let table = vtrial_store::query::query(db, &sql).with_context(|| format!("reading the operating characteristics from {}", db.display()))?;
    if !table.rows.is_empty() {
        crate::out::print(&vtrial_store::query::render(&table));
    }
    let looks = vtrial_store::query::query(
        db,
        &format!(
            "SELECT point, look, printf('%.3f', information) AS information, printf('%.3f', efficacy_z) AS \"efficacy z\", \
             printf('%.5f', level) AS level, coalesce(printf('%.2f', futility_z), '') AS \"futility z\", reached, \
             printf('%.3f ± %.3f', p_stop_reject, p_stop_reject_mcse) AS \"stop: reject (± mcse)\", \
             printf('%.3f', p_stop_harm) AS \"of which harm\", \
             printf('%.3f', p_stop_futility) AS \"stop: futility\", printf('%.3f', cumulative_reject) AS \"cumulative reject\", \
             printf('%.1f ± %.1f', expected_patients, coalesce(expected_patients_mcse, 0)) AS \"expected patients (± mcse)\", \
             coalesce(printf('%.1f', expected_events), '') AS \"expected events\", coalesce(printf('%.0f', expected_day), '') AS \"expected day\", \
             coalesce(printf('%.3f (%.2f)', rci_coverage_all_looks, rci_level), '') AS \"repeated CIs cover (level)\" \
             FROM interim_summary WHERE run_id = {run_id} ORDER BY point, look"
        ),
    )
    .with_context(|| format!("reading the interim looks from {}", db.display()))?;
    if !looks.rows.is_empty() {
        crate::out::print(&vtrial_store::query::render(&looks));
    }
    let reasons = vtrial_store::query::query(
        db,
        &format!("SELECT count(*) AS patients, reason FROM failures WHERE run_id = {run_id} GROUP BY reason ORDER BY patients DESC, reason LIMIT 5"),
    )
    .with_context(|| format!("reading the failures from {}", db.display()))?;
    if !reasons.rows.is_empty() {
        eprintln!("patients whose simulation failed (excluded from the analyses; all in table `failures`):");
        eprint!("{}", vtrial_store::query::render(&reasons));
    }
    let unanalysed = vtrial_store::query::query(
        db,
        &format!(
            "SELECT count(*) AS trials, point, endpoint, failure AS reason FROM comparisons WHERE run_id = {run_id} AND failure IS NOT NULL \
             GROUP BY point, endpoint, failure ORDER BY trials DESC, point, endpoint, reason LIMIT 5"
        ),
    )
    .with_context(|| format!("reading the unanalysed comparisons from {}", db.display()))?;
    if !unanalysed.rows.is_empty() {
        eprintln!("comparisons that could not be analysed (counted as not rejected; column comparisons.failure):");
        eprint!("{}", vtrial_store::query::render(&unanalysed));
    }
    Ok(())
}

/// Warns about `[[arms.adjust]]` rules that chose no patient at a point: rules are tried in
/// order, so one listed after a broader rule (`egfr < 30` after `egfr < 60`) never fires.
fn warn_of_rules_that_never_fired(file: &ScenarioFile, summary: &[PointSummary]) {
    for p in summary {
        let Some(point) = file.points.iter().find(|q| q.index == p.point) else { continue };
        for (i, arm) in point.scenario.arms.iter().enumerate() {
            for (j, adj) in arm.adjust.iter().enumerate() {
                if p.adjusted_patients.get(i).and_then(|r| r.get(j)) == Some(&0) {
                    eprintln!(
                        "warning: point {}: arms[{i}].adjust[{j}] (arm {:?}, when = {:?}) gave no patient its regimen in {} trials: an earlier rule takes its patients, or none meets it",
                        p.point, arm.name, adj.when, p.trials
                    );
                }
            }
        }
    }
}

/// Warns about points where every patient's simulation failed: their tables are empty, and
/// a success rate of 0 would otherwise read as a result.
fn warn_if_all_failed(summary: &[PointSummary]) {
    for p in summary {
        let planned = p.trials as f64 * p.mean_patients_per_arm.iter().sum::<f64>();
        if p.failed_patients > 0 && p.failed_patients as f64 >= planned - 0.5 {
            eprintln!(
                "warning: point {}: the simulation of every patient failed ({} patients); there is nothing to analyse (reasons below)",
                p.point, p.failed_patients
            );
        }
    }
}
