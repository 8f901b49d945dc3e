//! Multiplicity: several active arms against one control.
//!
//! Adjusted p-values as R's `p.adjust` (Wright 1992): with `p₍₁₎ ≤ … ≤ p₍ₘ₎`,
//! - Bonferroni: `min(1, m·pᵢ)`;
//! - Holm (1979): `p̃₍ᵢ₎ = max_{j ≤ i} min(1, (m − j + 1)·p₍ⱼ₎)`;
//! - Hochberg (1988): `p̃₍ᵢ₎ = min_{j ≥ i} min(1, (m − j + 1)·p₍ⱼ₎)`;
//! - fixed sequence (hypotheses in the given, pre-specified order; Maurer et al. 1995):
//!   `p̃ᵢ = max_{j ≤ i} pⱼ`, each tested at full alpha until the first non-rejection.
//!
//! Dunnett's many-to-one test (single step, pooled variance) is in [`dunnett`].

mod dunnett;

pub use dunnett::{dunnett, dunnett_critical, mvt_max_cdf};

use crate::TestResult;

/// A p-value adjustment.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Adjustment {
    /// Bonferroni.
    Bonferroni,
    /// Holm's step-down.
    Holm,
    /// Hochberg's step-up.
    Hochberg,
    /// Fixed sequence in the given order.
    FixedSequence,
}

impl Adjustment {
    /// Name recorded with the results, e.g. `"holm"`.
    pub fn name(self) -> &'static str {
        match self {
            Self::Bonferroni => "bonferroni",
            Self::Holm => "holm",
            Self::Hochberg => "hochberg",
            Self::FixedSequence => "fixed_sequence",
        }
    }
}

/// Adjusted p-values, in the order of `p`.
pub fn adjust(p: &[f64], method: Adjustment) -> Vec<f64> {
    let m = p.len();
    let mf = m as f64;
    let mut order: Vec<usize> = (0..m).collect();
    order.sort_by(|&a, &b| p[a].total_cmp(&p[b]));
    let mut out = vec![0.0; m];
    match method {
        Adjustment::Bonferroni => {
            for (o, &v) in out.iter_mut().zip(p) {
                *o = (mf * v).min(1.0);
            }
        }
        Adjustment::Holm => {
            let mut run: f64 = 0.0;
            for (j, &i) in order.iter().enumerate() {
                run = run.max(((mf - j as f64) * p[i]).min(1.0));
                out[i] = run;
            }
        }
        Adjustment::Hochberg => {
            let mut run: f64 = 1.0;
            for (j, &i) in order.iter().enumerate().rev() {
                run = run.min(((mf - j as f64) * p[i]).min(1.0));
                out[i] = run;
            }
        }
        Adjustment::FixedSequence => {
            let mut run: f64 = 0.0;
            for (o, &v) in out.iter_mut().zip(p) {
                run = run.max(v);
                *o = run;
            }
        }
    }
    out
}

/// Replaces each result's p-value by its adjusted one and its decision by
/// `adjusted p < alpha`; returns the adjusted p-values.
pub fn apply(results: &mut [TestResult], method: Adjustment, alpha: f64) -> Vec<f64> {
    let p: Vec<f64> = results.iter().map(|r| r.p_value).collect();
    let adj = adjust(&p, method);
    for (r, &a) in results.iter_mut().zip(&adj) {
        r.p_value = a;
        r.decision = a < alpha;
    }
    adj
}
