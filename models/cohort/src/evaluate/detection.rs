//! Classifier two-sample test: cross-validated ROC AUC of gradient-boosted trees that try to
//! tell real rows from synthetic ones (0.5: indistinguishable; 1: always told apart).
//!
//! The trees are a small histogram GBDT written here (logistic loss, second-order
//! gains as in XGBoost/LightGBM): features are cut into at most 32 quantile bins, a missing
//! value is its own bin (so missingness patterns are detectable), depth-3 trees, 150 rounds,
//! learning rate 0.1, L2 λ = 1, at least 5 units of hessian per leaf.

use rand::seq::SliceRandom;

use crate::rng::{Purpose, stream};
use crate::stats::ranks;

/// GBDT settings.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct GbtConfig {
    /// Boosting rounds.
    pub rounds: usize,
    /// Tree depth.
    pub depth: usize,
    /// Shrinkage.
    pub learning_rate: f64,
    /// L2 regularisation of leaf values.
    pub lambda: f64,
    /// Minimum hessian sum per leaf.
    pub min_hessian: f64,
    /// Most bins per feature.
    pub bins: usize,
}

impl Default for GbtConfig {
    fn default() -> Self {
        GbtConfig { rounds: 150, depth: 3, learning_rate: 0.1, lambda: 1.0, min_hessian: 5.0, bins: 32 }
    }
}

/// ROC AUC of scores for binary labels (Mann–Whitney, ties count half).
pub fn roc_auc(scores: &[f64], labels: &[bool]) -> f64 {
    let r = ranks(scores);
    let n1 = labels.iter().filter(|&&l| l).count() as f64;
    let n0 = labels.len() as f64 - n1;
    if n1 == 0.0 || n0 == 0.0 {
        return 0.5;
    }
    let s: f64 = r.iter().zip(labels).filter(|(_, l)| **l).map(|(r, _)| r).sum();
    (s - n1 * (n1 + 1.0) / 2.0) / (n1 * n0)
}

/// Binned features: `codes[f][row]`, bin `nbins[f]-1` reserved for missing.
struct Binned {
    codes: Vec<Vec<u8>>,
    nbins: Vec<usize>,
}

fn bin_features(x: &[Vec<f64>], max_bins: usize) -> Binned {
    let mut codes = Vec::with_capacity(x.len());
    let mut nbins = Vec::with_capacity(x.len());
    for col in x {
        let mut v: Vec<f64> = col.iter().copied().filter(|a| !a.is_nan()).collect();
        v.sort_by(f64::total_cmp);
        v.dedup();
        let edges: Vec<f64> = if v.len() <= max_bins {
            v.windows(2).map(|w| 0.5 * (w[0] + w[1])).collect()
        } else {
            let mut all: Vec<f64> = col.iter().copied().filter(|a| !a.is_nan()).collect();
            all.sort_by(f64::total_cmp);
            let mut e: Vec<f64> = (1..max_bins).map(|k| all[k * all.len() / max_bins]).collect();
            e.dedup();
            e
        };
        let nb = edges.len() + 2; // value bins + missing
        codes.push(
            col.iter()
                .map(|&a| if a.is_nan() { (nb - 1) as u8 } else { edges.partition_point(|&e| e < a) as u8 })
                .collect(),
        );
        nbins.push(nb);
    }
    Binned { codes, nbins }
}

#[derive(Debug, Clone)]
enum Node {
    Leaf(f64),
    Split { feature: usize, threshold: u8, missing_left: bool, left: Box<Node>, right: Box<Node> },
}

fn predict(node: &Node, b: &Binned, row: usize) -> f64 {
    match node {
        Node::Leaf(v) => *v,
        Node::Split { feature, threshold, missing_left, left, right } => {
            let c = b.codes[*feature][row];
            let go_left = if c as usize == b.nbins[*feature] - 1 { *missing_left } else { c <= *threshold };
            predict(if go_left { left } else { right }, b, row)
        }
    }
}

fn build(b: &Binned, rows: &[usize], g: &[f64], h: &[f64], depth: usize, cfg: &GbtConfig) -> Node {
    let (gs, hs): (f64, f64) = rows.iter().fold((0.0, 0.0), |(a, c), &r| (a + g[r], c + h[r]));
    let leaf = Node::Leaf(-gs / (hs + cfg.lambda) * cfg.learning_rate);
    if depth == 0 || hs < 2.0 * cfg.min_hessian {
        return leaf;
    }
    let parent = gs * gs / (hs + cfg.lambda);
    let mut best: Option<(f64, usize, u8, bool)> = None;
    for f in 0..b.codes.len() {
        let nb = b.nbins[f];
        let mut hg = vec![0.0; nb];
        let mut hh = vec![0.0; nb];
        for &r in rows {
            let c = b.codes[f][r] as usize;
            hg[c] += g[r];
            hh[c] += h[r];
        }
        let (mg, mh) = (hg[nb - 1], hh[nb - 1]);
        let (mut lg, mut lh) = (0.0, 0.0);
        for t in 0..nb.saturating_sub(2) {
            lg += hg[t];
            lh += hh[t];
            for missing_left in [false, true] {
                let (l_g, l_h) = if missing_left { (lg + mg, lh + mh) } else { (lg, lh) };
                let (r_g, r_h) = (gs - l_g, hs - l_h);
                if l_h < cfg.min_hessian || r_h < cfg.min_hessian {
                    continue;
                }
                let gain = l_g * l_g / (l_h + cfg.lambda) + r_g * r_g / (r_h + cfg.lambda) - parent;
                if gain > 1e-9 && best.is_none_or(|(bg, ..)| gain > bg) {
                    best = Some((gain, f, t as u8, missing_left));
                }
            }
        }
    }
    let Some((_, feature, threshold, missing_left)) = best else { return leaf };
    let (l, r): (Vec<usize>, Vec<usize>) = rows.iter().partition(|&&row| {
        let c = b.codes[feature][row];
        if c as usize == b.nbins[feature] - 1 { missing_left } else { c <= threshold }
    });
    Node::Split {
        feature,
        threshold,
        missing_left,
        left: Box::new(build(b, &l, g, h, depth - 1, cfg)),
        right: Box::new(build(b, &r, g, h, depth - 1, cfg)),
    }
}

/// Trains on `train` rows and returns margins for `test` rows.
fn fit_predict(b: &Binned, y: &[bool], train: &[usize], test: &[usize], cfg: &GbtConfig) -> Vec<f64> {
    let n = y.len();
    let mut f = vec![0.0f64; n];
    let mut g = vec![0.0f64; n];
    let mut h = vec![0.0f64; n];
    for _ in 0..cfg.rounds {
        for &r in train {
            let p = 1.0 / (1.0 + (-f[r]).exp());
            g[r] = p - if y[r] { 1.0 } else { 0.0 };
            h[r] = (p * (1.0 - p)).max(1e-12);
        }
        let tree = build(b, train, &g, &h, cfg.depth, cfg);
        for r in train.iter().chain(test) {
            f[*r] += predict(&tree, b, *r);
        }
    }
    test.iter().map(|&r| f[r]).collect()
}

/// Fewest rows each side needs for [`detection_auc`] to mean anything: every fold needs a row
/// of each class, and the training part of a fold must be able to split at all (its hessian
/// sum, ¼ per row at the start, must reach twice `min_hessian`). Below this the classifier
/// gives every row the same score and the AUC is 0.5 by construction, not because the tables
/// are alike. 25 with the defaults (5 folds, `min_hessian` 5).
pub fn min_rows_per_class(folds: usize, cfg: &GbtConfig) -> usize {
    if folds < 2 {
        return usize::MAX;
    }
    // 2n (folds − 1) / folds training rows × ¼ ≥ 2 min_hessian.
    let n = (8.0 * cfg.min_hessian * folds as f64 / (2.0 * (folds - 1) as f64)).ceil() as usize;
    n.max(folds)
}

/// Cross-validated detection AUC: `real` and `syn` are column-major feature matrices
/// (same columns; NaN = missing). The larger side is subsampled to the smaller one's size;
/// `folds`-fold stratified CV; the AUC of the pooled out-of-fold scores.
pub fn detection_auc(real: &[Vec<f64>], syn: &[Vec<f64>], folds: usize, seed: u64, cfg: &GbtConfig) -> f64 {
    let nr = real.first().map_or(0, Vec::len);
    let ns = syn.first().map_or(0, Vec::len);
    let n = nr.min(ns);
    let mut rng = stream(seed, Purpose::Evaluate, 1);
    let mut ri: Vec<usize> = (0..nr).collect();
    let mut si: Vec<usize> = (0..ns).collect();
    ri.shuffle(&mut rng);
    si.shuffle(&mut rng);
    ri.truncate(n);
    si.truncate(n);
    let x: Vec<Vec<f64>> = real
        .iter()
        .zip(syn)
        .map(|(a, b)| ri.iter().map(|&i| a[i]).chain(si.iter().map(|&i| b[i])).collect())
        .collect();
    let y: Vec<bool> = (0..2 * n).map(|i| i < n).collect();
    let b = bin_features(&x, cfg.bins);
    // Stratified folds.
    let mut fold = vec![0usize; 2 * n];
    for side in [0..n, n..2 * n] {
        let mut idx: Vec<usize> = side.collect();
        idx.shuffle(&mut rng);
        for (k, i) in idx.into_iter().enumerate() {
            fold[i] = k % folds;
        }
    }
    let mut scores = vec![0.0; 2 * n];
    for k in 0..folds {
        let train: Vec<usize> = (0..2 * n).filter(|&i| fold[i] != k).collect();
        let test: Vec<usize> = (0..2 * n).filter(|&i| fold[i] == k).collect();
        let s = fit_predict(&b, &y, &train, &test, cfg);
        for (i, v) in test.into_iter().zip(s) {
            scores[i] = v;
        }
    }
    roc_auc(&scores, &y)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn auc_of_known_rankings() {
        assert_eq!(roc_auc(&[0.9, 0.8, 0.3, 0.1], &[true, true, false, false]), 1.0);
        assert_eq!(roc_auc(&[0.1, 0.2, 0.8, 0.9], &[true, true, false, false]), 0.0);
        // sklearn.metrics.roc_auc_score([1,0,1,0,1],[0.8,0.7,0.6,0.5,0.4]) = 0.5 ... here:
        // positives 0.8, 0.6, 0.4 vs negatives 0.7, 0.5: wins 2+1+0 = 3 of 6 → 0.5
        assert!((roc_auc(&[0.8, 0.7, 0.6, 0.5, 0.4], &[true, false, true, false, true]) - 0.5).abs() < 1e-12);
        // Ties count half: one positive tied with one negative.
        assert!((roc_auc(&[0.5, 0.5], &[true, false]) - 0.5).abs() < 1e-12);
    }

    #[test]
    fn detects_a_shifted_distribution_and_not_an_identical_one() {
        let mut rng = stream(1, Purpose::Evaluate, 99);
        use rand::Rng;
        let a: Vec<Vec<f64>> = (0..3).map(|_| (0..400).map(|_| rng.random::<f64>()).collect()).collect();
        let same: Vec<Vec<f64>> = (0..3).map(|_| (0..400).map(|_| rng.random::<f64>()).collect()).collect();
        let shifted: Vec<Vec<f64>> =
            (0..3).map(|j| (0..400).map(|_| rng.random::<f64>() + if j == 0 { 0.5 } else { 0.0 }).collect()).collect();
        let cfg = GbtConfig::default();
        let auc_same = detection_auc(&a, &same, 5, 7, &cfg);
        let auc_shift = detection_auc(&a, &shifted, 5, 7, &cfg);
        assert!(auc_same < 0.6, "{auc_same}");
        // The Bayes-optimal AUC for U(0,1) vs U(0.5,1.5) on one of three features is 0.875.
        assert!(auc_shift > 0.8, "{auc_shift}");
    }
}
