//! Dunnett's many-to-one comparisons (Dunnett 1955, *JASA* 50:1096–1121), single step.
//!
//! With `k` active arms and a control, pooled variance `s²` on `ν = N − k − 1` df,
//! `Tᵢ = (ȳᵢ − ȳ₀ − δ0)/(s√(1/nᵢ + 1/n₀))`. The `Tᵢ` are multivariate t with correlations
//! `ρᵢⱼ = λᵢλⱼ`, `λᵢ = √(nᵢ/(nᵢ + n₀))`, a product structure that reduces the k-dimensional
//! probability to a two-dimensional integral (Dunnett 1955; Genz & Bretz 2009, §2.2.1):
//! `P(max|Tᵢ| ≤ c) = ∫₀^∞ f_S(s) ∫ φ(z) Πᵢ [Φ((cs − λᵢz)/√(1−λᵢ²)) − Φ((−cs − λᵢz)/√(1−λᵢ²))] dz ds`
//! with `S = √(χ²_ν/ν)`; one-sided versions keep only the first Φ. Both integrals are done
//! by composite 20-point Gauss–Legendre rules (z ∈ [−9, 9] in 6 panels, s ∈ [0, 1 + 10/√ν]
//! in 8 panels; about 20 ms for three arms). Against a `scipy.integrate` evaluation of the same integral at
//! tolerance 1e-12, the absolute error of the adjusted p-values is below 1e-9
//! (tests/reference); scipy's own `dunnett` (randomised quasi-Monte-Carlo) agrees to its
//! ~1e-5 accuracy. The rule assumes `λᵢ² ≤ 0.95` (arms not vastly larger than control).
//! Adjusted p-value of arm i: `1 − P(max|T| ≤ |tᵢ|)` (two-sided), `1 − P(max T ≤ tᵢ)`
//! (one-sided upper; lower by symmetry).

use std::sync::OnceLock;

use crate::dist::{normal, special::ln_gamma, t};
use crate::{Hypothesis, Sided, StatsError, TestResult};

const GL_N: usize = 20;

/// Gauss–Legendre nodes and weights on [−1, 1] (Newton on Legendre polynomials).
fn gauss_legendre() -> &'static [(f64, f64); GL_N] {
    static NODES: OnceLock<[(f64, f64); GL_N]> = OnceLock::new();
    NODES.get_or_init(|| {
        let mut out = [(0.0, 0.0); GL_N];
        let n = GL_N as f64;
        for (i, o) in out.iter_mut().enumerate() {
            let mut x = (std::f64::consts::PI * (i as f64 + 0.75) / (n + 0.5)).cos();
            let mut dp = 0.0;
            for _ in 0..100 {
                let (mut p0, mut p1) = (1.0, x);
                for k in 2..=GL_N {
                    let kf = k as f64;
                    let p2 = ((2.0 * kf - 1.0) * x * p1 - (kf - 1.0) * p0) / kf;
                    p0 = p1;
                    p1 = p2;
                }
                dp = n * (x * p1 - p0) / (x * x - 1.0);
                let dx = p1 / dp;
                x -= dx;
                if dx.abs() < 1e-16 {
                    break;
                }
            }
            *o = (x, 2.0 / ((1.0 - x * x) * dp * dp));
        }
        out
    })
}

/// Composite Gauss–Legendre nodes (point, weight) on [a, b] with `panels` panels.
fn composite(a: f64, b: f64, panels: usize) -> Vec<(f64, f64)> {
    let h = (b - a) / panels as f64;
    let mut v = Vec::with_capacity(panels * GL_N);
    for p in 0..panels {
        let mid = a + (p as f64 + 0.5) * h;
        for &(x, w) in gauss_legendre() {
            v.push((mid + 0.5 * h * x, 0.5 * h * w));
        }
    }
    v
}

/// `P(max_i |T_i| ≤ c)` (`two_sided`) or `P(max_i T_i ≤ c)` for the multivariate t with
/// correlations `λᵢλⱼ` on `df` degrees of freedom.
pub fn mvt_max_cdf(c: f64, lambda: &[f64], df: f64, two_sided: bool) -> f64 {
    let zs = composite(-9.0, 9.0, 6);
    let inner = |cs: f64| -> f64 {
        zs.iter()
            .map(|&(z, w)| {
                let prod: f64 = lambda
                    .iter()
                    .map(|&l| {
                        let r = (1.0 - l * l).sqrt();
                        let up = normal::cdf((cs - l * z) / r);
                        if two_sided {
                            up - normal::cdf((-cs - l * z) / r)
                        } else {
                            up
                        }
                    })
                    .product();
                w * normal::pdf(z) * prod
            })
            .sum()
    };
    if df.is_infinite() {
        return inner(c).clamp(0.0, 1.0);
    }
    let smax = 1.0 + 10.0 / df.sqrt();
    let ln_norm = 0.5 * df * df.ln() - (0.5 * df - 1.0) * 2f64.ln() - ln_gamma(0.5 * df);
    let total: f64 = composite(0.0, smax, 8)
        .into_iter()
        .map(|(s, w)| {
            let dens = (ln_norm + (df - 1.0) * s.ln() - 0.5 * df * s * s).exp();
            w * dens * inner(c * s)
        })
        .sum();
    total.clamp(0.0, 1.0)
}

/// Dunnett's critical value `c` with `P(max|Tᵢ| ≤ c) = 1 − alpha` (`two_sided`) or
/// `P(max Tᵢ ≤ c) = 1 − alpha`, by the Illinois variant of regula falsi between the
/// unadjusted and the Bonferroni t quantiles (which bracket it), to 1e-9. Simultaneous
/// intervals are `θ̂ᵢ ± c·SEᵢ`. Each call costs about ten integrals; the value depends only on
/// the design (`lambda`, `df`), so callers running many trials should cache it.
pub fn dunnett_critical(alpha: f64, lambda: &[f64], df: f64, two_sided: bool) -> f64 {
    let k = lambda.len() as f64;
    let a = if two_sided { alpha / 2.0 } else { alpha };
    let (mut lo, mut hi) = (t::quantile(1.0 - a, df), t::quantile(1.0 - a / k, df));
    let g = |c: f64| mvt_max_cdf(c, lambda, df, two_sided) - (1.0 - alpha);
    let (mut glo, mut ghi) = (g(lo), g(hi));
    if glo >= 0.0 {
        return lo;
    }
    if ghi <= 0.0 {
        return hi;
    }
    let mut side = 0;
    for _ in 0..60 {
        let c = (lo * ghi - hi * glo) / (ghi - glo);
        let gc = g(c);
        if gc.abs() < 1e-13 || hi - lo < 1e-9 {
            return c;
        }
        if gc < 0.0 {
            lo = c;
            glo = gc;
            if side == -1 {
                ghi *= 0.5;
            }
            side = -1;
        } else {
            hi = c;
            ghi = gc;
            if side == 1 {
                glo *= 0.5;
            }
            side = 1;
        }
    }
    0.5 * (lo + hi)
}

/// Dunnett's test of each active arm against `control` (pooled variance, single step);
/// method `"dunnett"`. Results in the order of `arms`: estimate = difference in means,
/// SE, t statistic, adjusted p-value. The CI is the *unadjusted* t interval (per-trial speed);
/// simultaneous intervals use [`dunnett_critical`].
pub fn dunnett(
    control: &[f64],
    arms: &[&[f64]],
    h: &Hypothesis,
) -> Result<Vec<TestResult>, StatsError> {
    h.validate()?;
    if arms.is_empty() {
        return Err(StatsError::InvalidArgument("no active arm".into()));
    }
    let mut groups = vec![control];
    groups.extend_from_slice(arms);
    let mut ss = 0.0;
    let mut n_tot = 0usize;
    let mut means = Vec::new();
    for g in &groups {
        if g.len() < 2 {
            return Err(StatsError::TooFewObservations {
                what: "a Dunnett arm",
                got: g.len(),
                need: 2,
            });
        }
        let m = g.iter().sum::<f64>() / g.len() as f64;
        ss += g.iter().map(|v| (v - m).powi(2)).sum::<f64>();
        n_tot += g.len();
        means.push(m);
    }
    let df = (n_tot - groups.len()) as f64;
    let s2 = ss / df;
    if s2 <= 0.0 {
        return Err(StatsError::Degenerate("zero pooled variance"));
    }
    let n0 = control.len() as f64;
    let lambda: Vec<f64> = arms
        .iter()
        .map(|a| (a.len() as f64 / (a.len() as f64 + n0)).sqrt())
        .collect();
    let q = t::quantile(h.ci_prob(), df);
    Ok(arms
        .iter()
        .enumerate()
        .map(|(i, a)| {
            let est = means[i + 1] - means[0];
            let se = (s2 * (1.0 / a.len() as f64 + 1.0 / n0)).sqrt();
            let stat = (est - h.null_value()) / se;
            let p = match h.sided {
                Sided::Two => 1.0 - mvt_max_cdf(stat.abs(), &lambda, df, true),
                Sided::OneUpper => 1.0 - mvt_max_cdf(stat, &lambda, df, false),
                Sided::OneLower => 1.0 - mvt_max_cdf(-stat, &lambda, df, false),
            }
            .clamp(0.0, 1.0);
            TestResult {
                method: "dunnett",
                estimate: est,
                se: Some(se),
                ci: (est - q * se, est + q * se),
                p_value: p,
                statistic: stat,
                df: Some(df),
                sided: h.sided,
                decision: p < h.alpha,
            }
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_arm_reduces_to_student_t() {
        let lam = [0.5f64.sqrt()];
        for df in [5.0, 30.0] {
            let c = t::quantile(0.975, df);
            assert!((mvt_max_cdf(c, &lam, df, true) - 0.95).abs() < 1e-10);
            assert!((mvt_max_cdf(c, &lam, df, false) - t::cdf(c, df)).abs() < 1e-10);
        }
    }

    #[test]
    fn critical_values_match_dunnetts_table() {
        // Dunnett (1955) Table / Bechhofer & Dunnett (1988): equal n, df = ∞, two-sided 5%:
        // k = 2: 2.212, k = 3: 2.349; one-sided 5%, k = 2: 1.916.
        let lam = [0.5f64.sqrt(); 3];
        let c2 = dunnett_critical(0.05, &lam[..2], f64::INFINITY, true);
        let c3 = dunnett_critical(0.05, &lam, f64::INFINITY, true);
        let c1 = dunnett_critical(0.05, &lam[..2], f64::INFINITY, false);
        assert!((c2 - 2.212).abs() < 5e-4, "{c2}");
        assert!((c3 - 2.349).abs() < 5e-4, "{c3}");
        assert!((c1 - 1.916).abs() < 5e-4, "{c1}");
        let c = dunnett_critical(0.05, &lam, 40.0, true);
        assert!((mvt_max_cdf(c, &lam, 40.0, true) - 0.95).abs() < 1e-9);
    }
}
