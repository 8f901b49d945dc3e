//! Marginal and pairwise fidelity: KS, total variation, Spearman correlation differences.

use std::collections::BTreeMap;

use crate::stats::spearman;

/// Two-sample Kolmogorov–Smirnov statistic sup |F₁ − F₂| over the non-NaN values.
pub fn ks_statistic(a: &[f64], b: &[f64]) -> f64 {
    let mut x: Vec<f64> = a.iter().copied().filter(|v| !v.is_nan()).collect();
    let mut y: Vec<f64> = b.iter().copied().filter(|v| !v.is_nan()).collect();
    if x.is_empty() || y.is_empty() {
        return if x.is_empty() && y.is_empty() { 0.0 } else { 1.0 };
    }
    x.sort_by(f64::total_cmp);
    y.sort_by(f64::total_cmp);
    let (n, m) = (x.len() as f64, y.len() as f64);
    let (mut i, mut j, mut d) = (0usize, 0usize, 0f64);
    while i < x.len() && j < y.len() {
        let v = x[i].min(y[j]);
        while i < x.len() && x[i] <= v {
            i += 1;
        }
        while j < y.len() && y[j] <= v {
            j += 1;
        }
        d = d.max((i as f64 / n - j as f64 / m).abs());
    }
    d
}

/// Total variation distance ½ Σ |p − q| between the category frequencies (NaN is a category).
pub fn total_variation(a: &[f64], b: &[f64]) -> f64 {
    let key = |v: f64| if v.is_nan() { u64::MAX } else { v.to_bits() };
    let mut p: BTreeMap<u64, (f64, f64)> = BTreeMap::new();
    for &v in a {
        p.entry(key(v)).or_default().0 += 1.0 / a.len() as f64;
    }
    for &v in b {
        p.entry(key(v)).or_default().1 += 1.0 / b.len() as f64;
    }
    0.5 * p.values().map(|(x, y)| (x - y).abs()).sum::<f64>()
}

/// Fewest pairwise-complete rows a Spearman correlation is computed from.
pub const MIN_SPEARMAN_ROWS: usize = 3;

/// Spearman correlation of two columns over the rows where both are present (0 if fewer
/// than [`MIN_SPEARMAN_ROWS`] rows; see [`pairwise_spearman_checked`]).
pub fn pairwise_spearman(x: &[f64], y: &[f64]) -> f64 {
    pairwise_spearman_checked(x, y).unwrap_or(0.0)
}

/// Spearman correlation over the rows where both are present; `None` when there are fewer
/// than [`MIN_SPEARMAN_ROWS`] such rows (the correlation is then undefined, not 0).
pub fn pairwise_spearman_checked(x: &[f64], y: &[f64]) -> Option<f64> {
    let (a, b): (Vec<f64>, Vec<f64>) =
        x.iter().zip(y).filter(|(u, v)| !u.is_nan() && !v.is_nan()).map(|(u, v)| (*u, *v)).unzip();
    (a.len() >= MIN_SPEARMAN_ROWS).then(|| spearman(&a, &b))
}

/// Spearman differences between two tables over their column pairs.
#[derive(Debug, Clone, PartialEq)]
pub struct SpearmanDiff {
    /// Mean |ρ_real − ρ_syn| over the pairs computed.
    pub mean: f64,
    /// The largest one ...
    pub max: f64,
    /// ... and its pair (`a~b`).
    pub pair: String,
    /// Pairs computed.
    pub pairs: usize,
    /// Pairs left out: fewer than [`MIN_SPEARMAN_ROWS`] rows with both present, in either table.
    pub skipped: usize,
}

/// Mean |ρ_real − ρ_syn| (Spearman) over the column pairs that have at least
/// [`MIN_SPEARMAN_ROWS`] pairwise-complete rows in both tables, and the largest one with its
/// pair. `Err(skipped pairs)` when no pair qualifies (fewer than two columns, or too few rows).
pub fn mean_abs_spearman_diff(real: &[Vec<f64>], syn: &[Vec<f64>], names: &[String]) -> Result<SpearmanDiff, usize> {
    let d = real.len();
    let (mut sum, mut count, mut skipped, mut max, mut which) = (0.0, 0usize, 0usize, 0.0, String::new());
    for i in 0..d {
        for j in 0..i {
            let (Some(a), Some(b)) =
                (pairwise_spearman_checked(&real[i], &real[j]), pairwise_spearman_checked(&syn[i], &syn[j]))
            else {
                skipped += 1;
                continue;
            };
            let diff = (a - b).abs();
            sum += diff;
            count += 1;
            if diff > max || which.is_empty() {
                max = diff;
                which = format!("{}~{}", names[i], names[j]);
            }
        }
    }
    if count == 0 {
        return Err(skipped);
    }
    Ok(SpearmanDiff { mean: sum / count as f64, max, pair: which, pairs: count, skipped })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ks_matches_scipy() {
        // scipy.stats.ks_2samp([1,2,3,4,5,6,7,8], [2.5,3.5,6.5,9,10,11]).statistic = 0.5
        let d = ks_statistic(&[1., 2., 3., 4., 5., 6., 7., 8.], &[2.5, 3.5, 6.5, 9., 10., 11.]);
        assert!((d - 0.5).abs() < 1e-12, "{d}");
        // With ties across samples: ks_2samp([1,1,2,2,3], [1,2,2,3,3]).statistic = 0.2
        let d = ks_statistic(&[1., 1., 2., 2., 3.], &[1., 2., 2., 3., 3.]);
        assert!((d - 0.2).abs() < 1e-12, "{d}");
        assert_eq!(ks_statistic(&[1., 2.], &[1., 2.]), 0.0);
    }

    #[test]
    fn tv_known() {
        // p = (0.5, 0.5, 0), q = (0.25, 0.25, 0.5): TV = 0.5
        let tv = total_variation(&[0., 1., 0., 1.], &[0., 1., f64::NAN, f64::NAN]);
        assert!((tv - 0.5).abs() < 1e-12);
    }
}
