//! Time-to-event endpoints: Kaplan–Meier, (stratified) log-rank, Cox proportional hazards.
//!
//! Data are parallel slices: follow-up `times`, `events` (true = event, false = censored),
//! `treated`, and optionally `strata` (level codes). At a tied time, events precede
//! censorings (a subject censored at t is at risk at t).

mod cox;
mod km;
mod logrank;

pub use cox::{CoxFit, cox_efron};
pub use km::{KmStep, kaplan_meier};
pub use logrank::{LogrankParts, logrank};

use crate::StatsError;

pub(crate) fn check_lengths(n: usize, others: &[usize]) -> Result<(), StatsError> {
    if others.iter().any(|&m| m != n) {
        return Err(StatsError::LengthMismatch(
            "times, events, treated and strata",
        ));
    }
    if n == 0 {
        return Err(StatsError::TooFewObservations {
            what: "survival data",
            got: 0,
            need: 1,
        });
    }
    Ok(())
}

/// Indices grouped by stratum (a single group when `strata` is `None`), each sorted by
/// time ascending.
pub(crate) fn strata_sorted(times: &[f64], strata: Option<&[u32]>) -> Vec<Vec<usize>> {
    let mut groups: Vec<(u32, Vec<usize>)> = Vec::new();
    for i in 0..times.len() {
        let s = strata.map_or(0, |s| s[i]);
        match groups.iter_mut().find(|(k, _)| *k == s) {
            Some((_, g)) => g.push(i),
            None => groups.push((s, vec![i])),
        }
    }
    groups
        .into_iter()
        .map(|(_, mut g)| {
            g.sort_by(|&a, &b| times[a].total_cmp(&times[b]));
            g
        })
        .collect()
}
