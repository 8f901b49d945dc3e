//! Logistic regression of a binary outcome on treatment and covariates, by iteratively
//! reweighted least squares (Newton–Raphson on the log-likelihood; McCullagh & Nelder 1989).
//!
//! `logit P(y = 1) = β₀ + θ·trt + Σ β_j x_j`; each step solves `(XᵀWX) Δ = Xᵀ(y − μ)`,
//! `W = diag(μ(1 − μ))`, until the largest |Δ| is below 1e-10. The estimate is the log odds
//! ratio θ̂ with the Wald SE from `(XᵀWX)⁻¹` and a Wald z test. Separation (an outcome
//! perfectly predicted, estimates running off to ±∞, detected as a linear predictor beyond
//! ±35) is reported as an error.

use nalgebra::{DMatrix, DVector};

use crate::hypothesis::z_result;
use crate::{Hypothesis, StatsError, TestResult};

/// A logistic fit: coefficients (intercept, treatment, covariates), Wald SEs, iterations.
#[derive(Debug, Clone, PartialEq)]
pub struct LogisticFit {
    /// Coefficients in design order.
    pub coef: Vec<f64>,
    /// Wald standard errors.
    pub se: Vec<f64>,
    /// Newton iterations used.
    pub iterations: usize,
}

/// Logistic regression; method `"logistic"`, estimate = log odds ratio of treatment.
pub fn logistic(
    y: &[bool],
    treated: &[bool],
    covariates: &[&[f64]],
    h: &Hypothesis,
) -> Result<(TestResult, LogisticFit), StatsError> {
    h.validate()?;
    let n = y.len();
    if treated.len() != n || covariates.iter().any(|c| c.len() != n) {
        return Err(StatsError::LengthMismatch("y, treated and covariates"));
    }
    let p = 2 + covariates.len();
    if n <= p {
        return Err(StatsError::TooFewObservations {
            what: "logistic regression",
            got: n,
            need: p + 1,
        });
    }
    let n_trt = treated.iter().filter(|&&t| t).count();
    if n_trt == 0 || n_trt == n {
        return Err(StatsError::OneGroup("all subjects in one arm"));
    }
    for arm in [true, false] {
        let ev = y
            .iter()
            .zip(treated)
            .filter(|&(&yi, &t)| t == arm && yi)
            .count();
        let tot = treated.iter().filter(|&&t| t == arm).count();
        if ev == 0 || ev == tot {
            return Err(StatsError::Separation("no events or only events in an arm"));
        }
    }
    let x = DMatrix::from_fn(n, p, |i, j| match j {
        0 => 1.0,
        1 => f64::from(u8::from(treated[i])),
        _ => covariates[j - 2][i],
    });
    let yv = DVector::from_fn(n, |i, _| f64::from(u8::from(y[i])));
    let mut beta = DVector::<f64>::zeros(p);
    let mut iterations = 0;
    let mut converged = false;
    for it in 1..=100 {
        iterations = it;
        let eta = &x * &beta;
        let mu = eta.map(|e| 1.0 / (1.0 + (-e).exp()));
        let w = mu.map(|m| m * (1.0 - m));
        let mut xw = x.clone();
        for (i, mut row) in xw.row_iter_mut().enumerate() {
            row *= w[i];
        }
        let info = x.transpose() * &xw;
        let score = x.transpose() * (&yv - &mu);
        let chol = info.clone().cholesky().ok_or(if it == 1 {
            StatsError::Singular("X'WX not positive definite")
        } else {
            StatsError::Separation("X'WX vanishes as coefficients diverge (perfect prediction)")
        })?;
        let delta = chol.solve(&score);
        beta += &delta;
        // |η| > 35 is a fitted probability within 1e-15 of 0 or 1: perfect prediction.
        if (&x * &beta).amax() > 35.0 {
            return Err(StatsError::Separation(
                "coefficients diverge (perfect prediction)",
            ));
        }
        if delta.amax() < 1e-10 {
            converged = true;
            break;
        }
    }
    if !converged {
        return Err(StatsError::NoConvergence(
            "logistic IRLS after 100 iterations",
        ));
    }
    // Information at the converged estimate.
    let eta = &x * &beta;
    let mu = eta.map(|e| 1.0 / (1.0 + (-e).exp()));
    let mut xw = x.clone();
    for (i, mut row) in xw.row_iter_mut().enumerate() {
        row *= mu[i] * (1.0 - mu[i]);
    }
    let info = x.transpose() * &xw;
    let cov = info
        .try_inverse()
        .ok_or(StatsError::Singular("X'WX not invertible"))?;
    let se: Vec<f64> = (0..p).map(|j| cov[(j, j)].sqrt()).collect();
    let fit = LogisticFit {
        coef: beta.iter().copied().collect(),
        se,
        iterations,
    };
    Ok((z_result("logistic", fit.coef[1], fit.se[1], h), fit))
}
