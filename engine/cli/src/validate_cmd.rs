//! `vtrial validate`: check a scenario without simulating.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Result;
use clap::Args;
use vtrial_sim::scenario::{FollowUp, Overrides, Scenario};

/// Check a scenario file: syntax, units, design and cohort criteria, without simulating.
///
/// Every sweep point is resolved and every cohort is sampled briefly (criteria that no
/// generated patient meets are reported here). Prints the points on success.
#[derive(Debug, Args)]
pub struct ValidateArgs {
    /// Scenario file (TOML).
    pub scenario: PathBuf,
    /// Most rows the cohort generator may draw to check rare inclusion criteria (default 200,000).
    #[arg(long)]
    pub max_draws: Option<usize>,
}

/// Runs the command.
pub fn run(args: ValidateArgs) -> Result<ExitCode> {
    let source = crate::run_cmd::cohort_source()?;
    let file = crate::run_cmd::load(&args.scenario, source.as_ref(), Overrides::default(), args.max_draws.unwrap_or(0))?;
    let first = &file.points[0].scenario;
    outln!(
        "{}: valid: {:?}, {} arm(s), {} point(s) x {} replicates",
        file.file,
        first.name,
        first.arms.len(),
        file.points.len(),
        first.replicates,
    );
    // The design as resolved for each sweep point: lines every point shares are printed once,
    // the others under their point.
    let lines: Vec<Vec<String>> = file.points.iter().map(|p| design_lines(&p.scenario)).collect();
    let shared: Vec<&String> = lines[0].iter().filter(|l| lines.iter().all(|other| other.contains(l))).collect();
    for l in &shared {
        outln!("  {l}");
    }
    for (p, own) in file.points.iter().zip(&lines) {
        outln!("  point {}: {} patients{}", p.index, p.scenario.n_patients(), if p.label.is_empty() { String::new() } else { format!(", {}", p.label) });
        for l in own.iter().filter(|l| !shared.contains(l)) {
            outln!("    {l}");
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// What `validate` says about one point's design: endpoints, interim looks, accrual and the
/// event-driven final analysis.
fn design_lines(s: &Scenario) -> Vec<String> {
    let mut out = Vec::new();
    for e in &s.endpoints {
        let role = if e.primary { "primary" } else { "secondary" };
        if e.treatments.is_empty() {
            out.push(format!("{role} endpoint {:?}: {}, no comparison", e.name, e.kind.name()));
            continue;
        }
        let arm = |i: usize| s.arms[i].name.as_str();
        let comparisons: Vec<String> = e.treatments.iter().map(|&t| format!("{} vs {}", arm(t), arm(e.control))).collect();
        let h = &e.hypothesis;
        out.push(format!(
            "{role} endpoint {:?}: {}, {}{}, alpha {} ({}{}), multiplicity {}: {}",
            e.name,
            e.kind.name(),
            e.method.name(),
            if e.stratified { " (stratified)" } else { "" },
            h.alpha,
            h.sided.name(),
            if h.margin > 0.0 { format!(", non-inferiority margin {}", h.margin) } else { String::new() },
            e.multiplicity.name(),
            comparisons.join(", ")
        ));
    }
    if let Some(i) = &s.interim {
        let list = |v: &[f64], digits: usize| v.iter().map(|x| format!("{x:.digits$}")).collect::<Vec<_>>().join(", ");
        out.push(format!(
            "interim looks by {} at information {}: {} spending, efficacy z {} (levels {}){}",
            if i.by_events { "events" } else { "patients" },
            list(&i.information, 3),
            i.spending.name(),
            list(&i.bounds_z, 3),
            list(&i.levels, 5),
            i.futility_z.map_or(String::new(), |f| format!(", non-binding futility at z < {f}"))
        ));
    }
    if let Some(a) = &s.accrual {
        let follow_up = match a.follow_up {
            FollowUp::Fixed => format!("each patient followed {} days from entry", s.duration_h / 24.0),
            FollowUp::ToStudyEnd => format!("followed until the study ends on day {}", s.duration_h / 24.0),
        };
        let rate = if a.is_uniform() {
            "uniform entry".to_string()
        } else {
            // Days back from hours without the rounding residue (0.1 days, not 0.10000000000000002).
            let day = |h: f64| (h / 24.0 * 1e6).round() / 1e6;
            let periods: Vec<String> = a.periods.iter().map(|p| format!("{} to day {}", p.relative_rate, day(p.end_h))).collect();
            format!("entry at relative rates {}", periods.join(", "))
        };
        out.push(format!("accrual: {rate} over {} days, {follow_up}", a.duration_h / 24.0));
    }
    if let Some(d) = s.planned_events {
        out.push(format!("final analysis at {d} primary events (or at the end of the study if fewer)"));
    }
    out
}
