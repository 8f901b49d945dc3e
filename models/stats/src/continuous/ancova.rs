//! ANCOVA: treatment effect on a continuous outcome (e.g. change from baseline) adjusted
//! for baseline and for categorical factors (stratification factors).
//!
//! Model `y = β₀ + θ·trt + β_b·baseline + Σ_f Σ_{l≠first} γ_{fl}·1[factor_f = l] + ε`, fitted by
//! ordinary least squares through the QR decomposition of the design `X = QR`:
//! `β̂ = R⁻¹Qᵀy`, `σ̂² = RSS/(n − p)`, `Var(β̂) = σ̂²(RᵀR)⁻¹`. The test of θ is a t-test on
//! `n − p` degrees of freedom. Factor levels are coded against their smallest level.

use nalgebra::{DMatrix, DVector};

use crate::hypothesis::t_result;
use crate::{Hypothesis, StatsError, TestResult};

/// An OLS fit: coefficients (intercept, treatment, baseline, factor dummies), their
/// standard errors, residual variance and degrees of freedom.
#[derive(Debug, Clone, PartialEq)]
pub struct AncovaFit {
    /// Coefficients in design order.
    pub coef: Vec<f64>,
    /// Standard errors of the coefficients.
    pub se: Vec<f64>,
    /// Residual variance `σ̂²`.
    pub sigma2: f64,
    /// Residual degrees of freedom `n − p`.
    pub df: f64,
}

/// ANCOVA of `y` on treatment, `baseline` and categorical `factors` (each a slice of level
/// codes parallel to `y`); method `"ancova"`, estimate = adjusted treatment difference.
pub fn ancova(
    y: &[f64],
    treated: &[bool],
    baseline: &[f64],
    factors: &[&[u32]],
    h: &Hypothesis,
) -> Result<(TestResult, AncovaFit), StatsError> {
    h.validate()?;
    let n = y.len();
    if treated.len() != n || baseline.len() != n || factors.iter().any(|f| f.len() != n) {
        return Err(StatsError::LengthMismatch(
            "y, treated, baseline and factors",
        ));
    }
    let n_trt = treated.iter().filter(|&&t| t).count();
    if n_trt == 0 || n_trt == n {
        return Err(StatsError::OneGroup("all subjects in one arm"));
    }
    let mut cols: Vec<Vec<f64>> = vec![
        vec![1.0; n],
        treated.iter().map(|&t| f64::from(u8::from(t))).collect(),
        baseline.to_vec(),
    ];
    for f in factors {
        cols.extend(dummy_columns(f));
    }
    let fit = ols(y, &cols)?;
    let r = t_result("ancova", fit.coef[1], fit.se[1], fit.df, h);
    Ok((r, fit))
}

/// Indicator columns of a categorical factor, one per level except the smallest
/// (treatment coding): for factor covariates in [`ancova`] and
/// [`logistic`](crate::binary::logistic).
pub fn dummy_columns(codes: &[u32]) -> Vec<Vec<f64>> {
    let mut levels: Vec<u32> = codes.to_vec();
    levels.sort_unstable();
    levels.dedup();
    levels
        .iter()
        .skip(1)
        .map(|&l| codes.iter().map(|&v| f64::from(u8::from(v == l))).collect())
        .collect()
}

/// OLS of `y` on the given columns by QR.
pub(crate) fn ols(y: &[f64], cols: &[Vec<f64>]) -> Result<AncovaFit, StatsError> {
    let n = y.len();
    let p = cols.len();
    if n <= p {
        return Err(StatsError::TooFewObservations {
            what: "regression (n must exceed the number of coefficients)",
            got: n,
            need: p + 1,
        });
    }
    let x = DMatrix::from_fn(n, p, |i, j| cols[j][i]);
    let qr = x.clone().qr();
    let r = qr.r();
    let scale = (0..p).map(|j| x.column(j).norm()).fold(0.0, f64::max);
    if (0..p).any(|j| r[(j, j)].abs() <= 1e-10 * scale) {
        return Err(StatsError::Singular(
            "a column is a linear combination of the others",
        ));
    }
    let yv = DVector::from_column_slice(y);
    let qty = qr.q().transpose() * &yv;
    let beta = r
        .solve_upper_triangular(&qty)
        .ok_or(StatsError::Singular("R not invertible"))?;
    let resid = &yv - &x * &beta;
    let df = (n - p) as f64;
    let sigma2 = resid.norm_squared() / df;
    let rinv = r
        .solve_upper_triangular(&DMatrix::identity(p, p))
        .ok_or(StatsError::Singular("R not invertible"))?;
    let cov = &rinv * rinv.transpose();
    Ok(AncovaFit {
        coef: beta.iter().copied().collect(),
        se: (0..p).map(|j| (sigma2 * cov[(j, j)]).sqrt()).collect(),
        sigma2,
        df,
    })
}
