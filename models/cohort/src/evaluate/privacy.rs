//! Privacy: exact copies of training rows and distance to the closest record (DCR).
//!
//! Distance between two rows: Euclidean over the columns, where a continuous column
//! contributes its difference divided by the training standard deviation, a categorical
//! column 1 when the categories differ, and a missing value 1 against a present one (0
//! against another missing one).

use rand::seq::SliceRandom;

use crate::rng::{Purpose, stream};
use crate::stats::quantile;

/// Fewest rows in each of the real (holdout), synthetic and training tables for the privacy
/// figures: below it a DCR share or a 5th percentile is one or two distances, not a figure.
pub const MIN_ROWS: usize = 20;

/// How distances are measured.
#[derive(Debug, Clone, PartialEq)]
pub struct Metric {
    /// Per column: `Some(sd)` for continuous (scale), `None` for categorical.
    pub scale: Vec<Option<f64>>,
}

impl Metric {
    /// Scales from the training rows (column-major).
    pub fn from_train(train: &[Vec<f64>], categorical: &[bool]) -> Metric {
        let scale = train
            .iter()
            .zip(categorical)
            .map(|(c, &cat)| {
                if cat {
                    return None;
                }
                let v: Vec<f64> = c.iter().copied().filter(|x| !x.is_nan()).collect();
                let m = v.iter().sum::<f64>() / v.len().max(1) as f64;
                let sd = (v.iter().map(|x| (x - m) * (x - m)).sum::<f64>() / (v.len().max(2) - 1) as f64).sqrt();
                Some(if sd > 0.0 { sd } else { 1.0 })
            })
            .collect();
        Metric { scale }
    }

    /// Squared distance between row `a` of `x` and row `b` of `y`.
    pub fn dist2(&self, x: &[Vec<f64>], a: usize, y: &[Vec<f64>], b: usize) -> f64 {
        let mut s = 0.0;
        for (j, sc) in self.scale.iter().enumerate() {
            let (u, v) = (x[j][a], y[j][b]);
            s += match (u.is_nan(), v.is_nan()) {
                (true, true) => 0.0,
                (true, false) | (false, true) => 1.0,
                _ => match sc {
                    Some(sd) => ((u - v) / sd).powi(2),
                    None => f64::from(u8::from(u != v)),
                },
            };
        }
        s
    }

    /// Distance from each row of `x` to its closest row of `y` (rows listed in `ys`).
    pub fn closest(&self, x: &[Vec<f64>], xs: &[usize], y: &[Vec<f64>], ys: &[usize]) -> Vec<f64> {
        use rayon::prelude::*;
        xs.par_iter()
            .map(|&a| ys.iter().map(|&b| self.dist2(x, a, y, b)).fold(f64::INFINITY, f64::min).sqrt())
            .collect()
    }
}

/// Privacy figures of a synthetic table against its training rows and a holdout.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Privacy {
    /// Synthetic rows identical to some training row on every column.
    pub exact_copies: usize,
    /// Synthetic rows compared.
    pub synthetic_rows: usize,
    /// Share of synthetic rows closer to the training rows than to the holdout (ties half),
    /// with the training rows subsampled to the holdout's size; ideal 0.5.
    pub dcr_share: f64,
    /// 5th percentile of synthetic → training DCR.
    pub dcr_p5_synthetic: f64,
    /// 5th percentile of holdout → training DCR (what real unseen patients reach).
    pub dcr_p5_holdout: f64,
    /// `dcr_p5_synthetic / dcr_p5_holdout` (target ≥ 0.9); NaN when the holdout's is 0.
    pub dcr_p5_ratio: f64,
    /// Holdout rows identical to some training row. Non-zero means the "holdout" is not
    /// unseen data (e.g. it was cut from the training file), so the DCR figures do not measure
    /// privacy.
    pub holdout_rows_in_train: usize,
}

/// Computes [`Privacy`]. At most `max_rows` synthetic rows are used (a seeded subsample).
pub fn privacy(
    syn: &[Vec<f64>],
    train: &[Vec<f64>],
    holdout: &[Vec<f64>],
    metric: &Metric,
    max_rows: usize,
    seed: u64,
) -> Privacy {
    let ns = syn.first().map_or(0, Vec::len);
    let nt = train.first().map_or(0, Vec::len);
    let nh = holdout.first().map_or(0, Vec::len);
    let mut rng = stream(seed, Purpose::Evaluate, 2);
    let mut si: Vec<usize> = (0..ns).collect();
    si.shuffle(&mut rng);
    si.truncate(max_rows);
    let all_t: Vec<usize> = (0..nt).collect();
    let all_h: Vec<usize> = (0..nh).collect();
    let mut sub_t = all_t.clone();
    sub_t.shuffle(&mut rng);
    sub_t.truncate(nh.min(nt));
    let d_train = metric.closest(syn, &si, train, &all_t);
    let exact_copies = d_train.iter().filter(|&&d| d == 0.0).count();
    let d_tsub = metric.closest(syn, &si, train, &sub_t);
    let d_hold = metric.closest(syn, &si, holdout, &all_h);
    let share = d_tsub
        .iter()
        .zip(&d_hold)
        .map(|(a, b)| if a < b { 1.0 } else if a == b { 0.5 } else { 0.0 })
        .sum::<f64>()
        / si.len().max(1) as f64;
    let h_train = metric.closest(holdout, &all_h, train, &all_t);
    let p5s = quantile(&d_train, 0.05);
    let p5h = quantile(&h_train, 0.05);
    Privacy {
        exact_copies,
        synthetic_rows: si.len(),
        dcr_share: share,
        dcr_p5_synthetic: p5s,
        dcr_p5_holdout: p5h,
        dcr_p5_ratio: if p5h > 0.0 { p5s / p5h } else { f64::NAN },
        holdout_rows_in_train: h_train.iter().filter(|&&d| d == 0.0).count(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn copies_are_found_and_dcr_share_is_one() {
        // Train: 0..10 on a line; holdout: 0.5..9.5; synthetic = train (copies).
        let train = vec![(0..10).map(f64::from).collect::<Vec<_>>()];
        let hold = vec![(0..10).map(|i| f64::from(i) + 0.5).collect::<Vec<_>>()];
        let m = Metric { scale: vec![Some(1.0)] };
        let p = privacy(&train, &train, &hold, &m, 1000, 1);
        assert_eq!(p.exact_copies, 10);
        assert_eq!(p.dcr_share, 1.0);
        assert_eq!(p.dcr_p5_synthetic, 0.0);
        assert!((p.dcr_p5_holdout - 0.5).abs() < 1e-12);
        assert_eq!(p.holdout_rows_in_train, 0);
        // A "holdout" cut from the training rows is flagged, and its ratio is undefined.
        let q = privacy(&hold, &train, &train, &m, 1000, 1);
        assert_eq!(q.holdout_rows_in_train, 10);
        assert!(q.dcr_p5_ratio.is_nan());
    }

    #[test]
    fn synthetic_from_the_population_is_balanced() {
        // Train at even numbers, holdout at odd numbers, synthetic at x.25 / x.75 alternating:
        // each synthetic point is 0.25 from one set and 0.75 from the other.
        let train = vec![(0..50).map(|i| f64::from(2 * i)).collect::<Vec<_>>()];
        let hold = vec![(0..50).map(|i| f64::from(2 * i + 1)).collect::<Vec<_>>()];
        let syn = vec![(0..100).map(|i| f64::from(i) + 0.25).collect::<Vec<_>>()];
        let m = Metric { scale: vec![Some(1.0)] };
        let p = privacy(&syn, &train, &hold, &m, 1000, 1);
        assert_eq!(p.exact_copies, 0);
        assert!((p.dcr_share - 0.5).abs() < 1e-12, "{}", p.dcr_share);
        // Categorical mismatch and missing values count 1.
        let m2 = Metric { scale: vec![None] };
        assert_eq!(m2.dist2(&[vec![1.0]], 0, &[vec![2.0]], 0), 1.0);
        assert_eq!(m2.dist2(&[vec![f64::NAN]], 0, &[vec![2.0]], 0), 1.0);
        assert_eq!(m2.dist2(&[vec![f64::NAN]], 0, &[vec![f64::NAN]], 0), 0.0);
    }
}
