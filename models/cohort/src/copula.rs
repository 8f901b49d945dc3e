//! The pure-Rust baseline: a Gaussian copula over the same column tokens as the NADE.
//!
//! Each column's token distribution is kept exactly (empirical frequencies); the dependence
//! is a Gaussian copula whose correlation matrix is the Pearson correlation of the tokens'
//! normal scores Φ⁻¹(mid-CDF). Decoding (within-bin values, missing tokens) is shared with
//! the neural model, so the comparison isolates the joint model.

use serde::{Deserialize, Serialize};

use crate::stats::{cholesky, norm_cdf, norm_quantile, pearson};

/// A fitted Gaussian copula over token columns.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Copula {
    /// Cumulative token probabilities per column (last = 1).
    pub cdf: Vec<Vec<f64>>,
    /// Lower Cholesky factor of the correlation matrix (D × D, row-major).
    pub chol: Vec<f64>,
}

impl Copula {
    /// Fits on token rows (row: one token per column); `sizes` = tokens per column.
    pub fn fit(rows: &[Vec<usize>], sizes: &[usize]) -> Copula {
        let d = sizes.len();
        let n = rows.len() as f64;
        let mut cdf = Vec::with_capacity(d);
        let mut scores: Vec<Vec<f64>> = Vec::with_capacity(d);
        for (j, &k) in sizes.iter().enumerate() {
            let mut counts = vec![0.0; k];
            for r in rows {
                counts[r[j]] += 1.0;
            }
            let mut c = Vec::with_capacity(k);
            let mut acc = 0.0;
            for x in &counts {
                acc += x / n;
                c.push(acc);
            }
            let score: Vec<f64> = (0..k)
                .map(|t| {
                    let lo = if t == 0 { 0.0 } else { c[t - 1] };
                    norm_quantile(0.5 * (lo + c[t]))
                })
                .collect();
            scores.push(rows.iter().map(|r| score[r[j]]).collect());
            *c.last_mut().expect("k > 0") = 1.0;
            cdf.push(c);
        }
        let mut corr = vec![0.0; d * d];
        for i in 0..d {
            corr[i * d + i] = 1.0;
            for j in 0..i {
                let r = pearson(&scores[i], &scores[j]);
                corr[i * d + j] = r;
                corr[j * d + i] = r;
            }
        }
        // Shrink towards the identity until positive definite.
        let mut lambda = 0.0;
        let chol = loop {
            let a: Vec<f64> = corr
                .iter()
                .enumerate()
                .map(|(idx, &v)| if idx / d == idx % d { 1.0 } else { v * (1.0 - lambda) })
                .collect();
            if let Some(l) = cholesky(&a, d) {
                break l;
            }
            lambda += 0.01;
        };
        Copula { cdf, chol }
    }

    /// Samples token rows from standard normal draws `z` (row-major n × D).
    pub fn sample_tokens(&self, z: &[f64], n: usize) -> Vec<u16> {
        let d = self.cdf.len();
        let mut out = Vec::with_capacity(n * d);
        let mut x = vec![0.0; d];
        for r in 0..n {
            let e = &z[r * d..(r + 1) * d];
            for (i, xi) in x.iter_mut().enumerate() {
                *xi = (0..=i).map(|k| self.chol[i * d + k] * e[k]).sum();
            }
            for (j, c) in self.cdf.iter().enumerate() {
                let u = norm_cdf(x[j]);
                let t = c.iter().position(|&p| u < p).unwrap_or(c.len() - 1);
                out.push(t as u16);
            }
        }
        out
    }
}
