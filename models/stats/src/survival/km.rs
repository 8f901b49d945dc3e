//! Kaplan–Meier estimator (Kaplan & Meier 1958) with Greenwood's variance (Greenwood 1926).
//!
//! `Ŝ(t) = Π_{tⱼ ≤ t} (1 − dⱼ/nⱼ)`, `Var Ŝ(t) = Ŝ(t)² Σ_{tⱼ ≤ t} dⱼ/(nⱼ(nⱼ − dⱼ))`.
//! The pointwise interval is the log–log ("exponential Greenwood") one, as lifelines and
//! R's `conf.type = "log-log"`: `v = Σ dⱼ/(nⱼ(nⱼ − dⱼ)) / (ln Ŝ)²`,
//! `(Ŝ^{exp(z√v)}, Ŝ^{exp(−z√v)})`.

use super::check_lengths;
use crate::StatsError;
use crate::dist::normal;

/// One step of the Kaplan–Meier curve, at a distinct event time.
#[derive(Debug, Clone, PartialEq)]
pub struct KmStep {
    /// Event time.
    pub time: f64,
    /// Subjects at risk just before `time`.
    pub n_risk: usize,
    /// Events at `time`.
    pub n_events: usize,
    /// `Ŝ(time)`.
    pub survival: f64,
    /// Greenwood standard error of `Ŝ(time)`.
    pub se: f64,
    /// Log–log confidence interval at level `1 − alpha`.
    pub ci: (f64, f64),
}

/// Kaplan–Meier curve of one group with `1 − alpha` log–log intervals.
pub fn kaplan_meier(times: &[f64], events: &[bool], alpha: f64) -> Result<Vec<KmStep>, StatsError> {
    check_lengths(times.len(), &[events.len()])?;
    let mut idx: Vec<usize> = (0..times.len()).collect();
    idx.sort_by(|&a, &b| times[a].total_cmp(&times[b]));
    let z = normal::quantile(1.0 - alpha / 2.0);
    let mut steps = Vec::new();
    let (mut s, mut gw) = (1.0, 0.0);
    let mut i = 0;
    while i < idx.len() {
        let t = times[idx[i]];
        let n_risk = idx.len() - i;
        let mut d = 0;
        let mut j = i;
        while j < idx.len() && times[idx[j]] == t {
            d += usize::from(events[idx[j]]);
            j += 1;
        }
        if d > 0 {
            let (n, dd) = (n_risk as f64, d as f64);
            s *= 1.0 - dd / n;
            if d < n_risk {
                gw += dd / (n * (n - dd));
            }
            let ci = if s > 0.0 && s < 1.0 {
                let v = gw / s.ln().powi(2);
                (s.powf((z * v.sqrt()).exp()), s.powf((-z * v.sqrt()).exp()))
            } else {
                (s, s)
            };
            steps.push(KmStep {
                time: t,
                n_risk,
                n_events: d,
                survival: s,
                se: s * gw.sqrt(),
                ci,
            });
        }
        i = j;
    }
    Ok(steps)
}
