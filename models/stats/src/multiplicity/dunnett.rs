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

/// Dunnett's test of each active arm against `control` (pooled variance, single step);
/// method `"dunnett"`. Results in the order of `arms`: estimate = difference in means,
/// SE, unadjusted-df t statistic, adjusted p-value; the CI is the unadjusted t interval.
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
