//! Cox proportional hazards regression (Cox 1972) with Efron's handling of ties
//! (Efron 1977, *JASA* 72:557–565), optionally stratified (a baseline hazard per stratum).
//!
//! At an event time with tied deaths `D` (`d` of them) and risk set `R`, with
//! `rᵢ = exp(xᵢᵀβ)`, `S_k = Σ_R rᵢxᵢ^{⊗k}`, `S_kᴰ = Σ_D rᵢxᵢ^{⊗k}` and `φ_l = S₀ − (l/d)S₀ᴰ`
//! (likewise `ψ_l`, `Ω_l` for k = 1, 2), for `l = 0..d−1`:
//! `ℓ(β) = Σ [Σ_D xᵢᵀβ − Σ_l ln φ_l]`, score `Σ [Σ_D xᵢ − Σ_l ψ_l/φ_l]`,
//! information `Σ Σ_l [Ω_l/φ_l − ψ_lψ_lᵀ/φ_l²]`.
//! Newton–Raphson from β = 0 with step halving, until the largest step is below 1e-10.
//! The treatment coefficient is the log hazard ratio with the Wald SE from the inverse
//! information (model-based, as R's `coxph` and lifelines without `robust`).

use nalgebra::{DMatrix, DVector};

use super::{check_lengths, strata_sorted};
use crate::hypothesis::z_result;
use crate::{Hypothesis, StatsError, TestResult};

/// A Cox fit: coefficients (treatment first, then covariates), Wald SEs, log partial
/// likelihood at the estimate and at β = 0, iterations.
#[derive(Debug, Clone, PartialEq)]
pub struct CoxFit {
    /// Coefficients (log hazard ratios).
    pub coef: Vec<f64>,
    /// Standard errors.
    pub se: Vec<f64>,
    /// Log partial likelihood at the estimate.
    pub loglik: f64,
    /// Log partial likelihood at β = 0.
    pub loglik0: f64,
    /// Newton iterations used.
    pub iterations: usize,
}

struct Eval {
    loglik: f64,
    score: DVector<f64>,
    info: DMatrix<f64>,
}

fn evaluate(
    x: &DMatrix<f64>,
    times: &[f64],
    events: &[bool],
    groups: &[Vec<usize>],
    beta: &DVector<f64>,
) -> Eval {
    let p = x.ncols();
    let mut loglik = 0.0;
    let mut score = DVector::zeros(p);
    let mut info = DMatrix::zeros(p, p);
    let eta = x * beta;
    for g in groups {
        let (mut s0, mut s1, mut s2) = (0.0, DVector::<f64>::zeros(p), DMatrix::<f64>::zeros(p, p));
        // Walk from the latest time down so that the risk set accumulates.
        let mut j = g.len();
        while j > 0 {
            let t = times[g[j - 1]];
            let mut i = j;
            while i > 0 && times[g[i - 1]] == t {
                i -= 1;
            }
            let (mut d0, mut d1, mut d2, mut d) = (
                0.0,
                DVector::<f64>::zeros(p),
                DMatrix::<f64>::zeros(p, p),
                0usize,
            );
            for &k in &g[i..j] {
                let xk = x.row(k).transpose();
                let r = eta[k].exp();
                s0 += r;
                s1 += r * &xk;
                s2 += r * &xk * xk.transpose();
                if events[k] {
                    d += 1;
                    d0 += r;
                    d1 += r * &xk;
                    d2 += r * &xk * xk.transpose();
                    loglik += eta[k];
                    score += &xk;
                }
            }
            for l in 0..d {
                let f = l as f64 / d as f64;
                let phi = s0 - f * d0;
                let psi = &s1 - f * &d1;
                let omega = &s2 - f * &d2;
                loglik -= phi.ln();
                score -= &psi / phi;
                info += omega / phi - &psi * psi.transpose() / (phi * phi);
            }
            j = i;
        }
    }
    Eval {
        loglik,
        score,
        info,
    }
}

/// Cox PH with Efron ties of `times`/`events` on treatment and `covariates`; method
/// `"cox_efron"`, estimate = log hazard ratio of treatment (H1 "lower hazard" is
/// [`Sided::OneLower`](crate::Sided::OneLower)).
pub fn cox_efron(
    times: &[f64],
    events: &[bool],
    treated: &[bool],
    covariates: &[&[f64]],
    strata: Option<&[u32]>,
    h: &Hypothesis,
) -> Result<(TestResult, CoxFit), StatsError> {
    h.validate()?;
    let n = times.len();
    let mut lens = vec![events.len(), treated.len(), strata.map_or(n, <[u32]>::len)];
    lens.extend(covariates.iter().map(|c| c.len()));
    check_lengths(n, &lens)?;
    let n_trt = treated.iter().filter(|&&t| t).count();
    if n_trt == 0 || n_trt == n {
        return Err(StatsError::OneGroup("all subjects in one arm"));
    }
    if !events.iter().any(|&e| e) {
        return Err(StatsError::Degenerate("no events"));
    }
    let p = 1 + covariates.len();
    // Centred covariates: same β, better conditioned exponentials.
    let mut x = DMatrix::from_fn(n, p, |i, j| {
        if j == 0 {
            f64::from(u8::from(treated[i]))
        } else {
            covariates[j - 1][i]
        }
    });
    for mut c in x.column_iter_mut() {
        let m = c.mean();
        c.add_scalar_mut(-m);
    }
    let groups = strata_sorted(times, strata);
    let mut beta = DVector::<f64>::zeros(p);
    let mut cur = evaluate(&x, times, events, &groups, &beta);
    let loglik0 = cur.loglik;
    let mut iterations = 0;
    let mut converged = false;
    for it in 1..=100 {
        iterations = it;
        // At β = 0 a singular information is a design problem (collinear covariates);
        // later it means the information vanished as the estimates ran off to infinity.
        let chol = cur.info.clone().cholesky().ok_or(if it == 1 {
            StatsError::Singular("information matrix not positive definite")
        } else {
            StatsError::Separation(
                "information vanishes as coefficients diverge (monotone likelihood)",
            )
        })?;
        let mut step = chol.solve(&cur.score);
        let mut next;
        let mut halvings = 0;
        loop {
            let cand = &beta + &step;
            next = evaluate(&x, times, events, &groups, &cand);
            if next.loglik >= cur.loglik - 1e-12 * cur.loglik.abs() || halvings > 30 {
                beta = cand;
                break;
            }
            step *= 0.5;
            halvings += 1;
        }
        cur = next;
        // A relative hazard beyond e^±35 around the mean: monotone likelihood.
        if (&x * &beta).amax() > 35.0 {
            return Err(StatsError::Separation(
                "coefficients diverge (monotone likelihood)",
            ));
        }
        if step.amax() < 1e-10 {
            converged = true;
            break;
        }
    }
    if !converged {
        return Err(StatsError::NoConvergence(
            "Cox Newton-Raphson after 100 iterations",
        ));
    }
    let cov = cur
        .info
        .clone()
        .try_inverse()
        .ok_or(StatsError::Singular("information matrix not invertible"))?;
    let fit = CoxFit {
        coef: beta.iter().copied().collect(),
        se: (0..p).map(|j| cov[(j, j)].sqrt()).collect(),
        loglik: cur.loglik,
        loglik0,
        iterations,
    };
    Ok((z_result("cox_efron", fit.coef[0], fit.se[0], h), fit))
}
