//! Group-sequential boundaries against gsDesign's integration routines (reference file made
//! by `reference/make_group_sequential.py`), against the classic Pocock and O'Brien–Fleming
//! constants of Jennison & Turnbull (2000) Table 2.1/2.3, and against simulated Brownian
//! paths.

use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use rand_distr::{Distribution, StandardNormal};
use vtrial_stats::dist::normal;
use vtrial_stats::group_sequential::{Spending, crossing_probabilities, crossing_probabilities_with_drift, efficacy_bounds, stagewise_estimate, stagewise_p_value};

#[test]
fn boundaries_and_power_match_gsdesigns_integration() {
    let text = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/reference/group_sequential.json")).unwrap();
    let cases: Vec<serde_json::Value> = serde_json::from_str(&text).unwrap();
    assert_eq!(cases.len(), 8);
    for case in &cases {
        let spending = Spending::parse(case["spending"].as_str().unwrap()).unwrap();
        let alpha = case["alpha"].as_f64().unwrap();
        let info: Vec<f64> = case["information"].as_array().unwrap().iter().map(|v| v.as_f64().unwrap()).collect();
        let want: Vec<f64> = case["z"].as_array().unwrap().iter().map(|v| v.as_f64().unwrap()).collect();
        let got = efficacy_bounds(alpha, &info, spending).unwrap();
        for (k, (g, w)) in got.z.iter().zip(&want).enumerate() {
            assert!((g - w).abs() < 1e-6, "{case}: look {k}: {g} vs {w}");
        }
        let drift = case["drift"].as_f64().unwrap();
        let want: Vec<f64> = case["power_by_look"].as_array().unwrap().iter().map(|v| v.as_f64().unwrap()).collect();
        let got_power = crossing_probabilities_with_drift(&info, &got.z, drift).unwrap();
        for (k, (g, w)) in got_power.iter().zip(&want).enumerate() {
            assert!((g - w).abs() < 1e-7, "{case}: power at look {k}: {g} vs {w}");
        }
        // The boundaries spend exactly the alpha they were built to.
        let crossing = crossing_probabilities(&info, &got.z).unwrap();
        assert!((crossing.iter().sum::<f64>() - alpha).abs() < 1e-9, "{case}: {crossing:?}");
    }
}

#[test]
fn classic_pocock_and_obrien_fleming_constants_have_their_published_level() {
    // Jennison & Turnbull Table 2.1 (Pocock C_P) and 2.3 (O'Brien–Fleming C_B), two-sided
    // 0.05 = one-sided 0.025 per tail, K equally spaced looks, printed to 3 decimals.
    for (k, pocock, obf) in [(2usize, 2.178, 1.977), (3, 2.289, 2.004), (4, 2.361, 2.024), (5, 2.413, 2.040)] {
        let info: Vec<f64> = (1..=k).map(|i| i as f64 / k as f64).collect();
        let level = |z: &[f64]| crossing_probabilities(&info, z).unwrap().iter().sum::<f64>();
        let p = level(&vec![pocock; k]);
        let o = level(&info.iter().map(|t| obf / t.sqrt()).collect::<Vec<_>>());
        // ±0.0005 in the constant moves the level by at most ~1e-4.
        assert!((p - 0.025).abs() < 1.5e-4, "Pocock K={k}: {p}");
        assert!((o - 0.025).abs() < 1.5e-4, "O'Brien-Fleming K={k}: {o}");
    }
}

#[test]
fn simulated_brownian_paths_cross_at_the_designed_rates() {
    // Under the null and under a drift giving about 80 % power.
    for drift in [0.0, 2.8] {
        simulated_paths_cross_at_the_computed_rates(drift);
    }
}

#[test]
fn one_look_with_drift_is_the_fixed_designs_power() {
    let b = efficacy_bounds(0.025, &[1.0], Spending::OBrienFleming).unwrap();
    let p = crossing_probabilities_with_drift(&[1.0], &b.z, 2.8).unwrap();
    assert!((p[0] - normal::sf(1.959964 - 2.8)).abs() < 1e-6, "{p:?}");
    // Group-sequential power at the same maximum information is a little lower.
    let info = [1.0 / 3.0, 2.0 / 3.0, 1.0];
    let b = efficacy_bounds(0.025, &info, Spending::OBrienFleming).unwrap();
    let power: f64 = crossing_probabilities_with_drift(&info, &b.z, 2.8).unwrap().iter().sum();
    assert!(power < p[0] && power > p[0] - 0.01, "{power} vs {}", p[0]);
}

fn simulated_paths_cross_at_the_computed_rates(drift: f64) {
    let info = [0.25, 0.6, 1.0];
    let bounds = efficacy_bounds(0.025, &info, Spending::Pocock).unwrap();
    let per_look = crossing_probabilities_with_drift(&info, &bounds.z, drift).unwrap();
    let mut rng = ChaCha8Rng::seed_from_u64(20261207);
    let n = 400_000;
    let mut stopped = [0usize; 3];
    for _ in 0..n {
        let (k, z) = stop_of_path(&mut rng, &info, &bounds.z, drift);
        if z >= bounds.z[k] {
            stopped[k] += 1;
        }
    }
    for k in 0..3 {
        let rate = stopped[k] as f64 / n as f64;
        let mcse = (per_look[k] * (1.0 - per_look[k]) / n as f64).sqrt();
        assert!((rate - per_look[k]).abs() < 4.0 * mcse, "drift {drift}, look {k}: simulated {rate}, computed {} (MCSE {mcse})", per_look[k]);
    }
}

#[test]
fn the_stagewise_p_value_is_the_alpha_spent_at_the_boundary_and_uniform_under_the_null() {
    let info = [0.25, 0.6, 1.0];
    let b = efficacy_bounds(0.025, &info, Spending::OBrienFleming).unwrap();
    // One look: the fixed design's p-value.
    let one = efficacy_bounds(0.025, &[1.0], Spending::OBrienFleming).unwrap();
    assert!((stagewise_p_value(&[1.0], &one.z, 0, 1.3).unwrap() - normal::sf(1.3)).abs() < 1e-12);
    // On a boundary: the alpha spent by that look; it rises as z falls, up to 1.
    for k in 0..3 {
        let p = stagewise_p_value(&info, &b.z, k, b.z[k]).unwrap();
        assert!((p - b.cumulative_alpha[k]).abs() < 1e-9, "look {k}: {p} vs {}", b.cumulative_alpha[k]);
        let lower = stagewise_p_value(&info, &b.z, k, b.z[k] - 0.5).unwrap();
        assert!(lower > p && stagewise_p_value(&info, &b.z, k, -50.0).unwrap() > 1.0 - 1e-9, "look {k}");
    }
    // Simulated null paths: the p-value at the stop is uniform (deciles, 4 MCSE).
    let mut rng = ChaCha8Rng::seed_from_u64(20261208);
    let n = 40_000;
    let mut p_values = Vec::with_capacity(n);
    for _ in 0..n {
        let (k, z) = stop_of_path(&mut rng, &info, &b.z, 0.0);
        p_values.push(stagewise_p_value(&info, &b.z, k, z).unwrap());
    }
    for q in [0.025, 0.1, 0.3, 0.5, 0.7, 0.9] {
        let share = p_values.iter().filter(|&&p| p <= q).count() as f64 / n as f64;
        assert!((share - q).abs() < 4.0 * (q * (1.0 - q) / n as f64).sqrt(), "P(p <= {q}) = {share}");
    }
}

#[test]
fn the_stagewise_median_unbiased_estimate_and_interval_hold_on_simulated_paths() {
    // One look: the estimate is z, the interval z ± 1.96.
    let (m, lo, hi) = stagewise_estimate(&[1.0], &[1.959964], 0, 1.3, 0.025).unwrap().unwrap();
    assert!((m - 1.3).abs() < 1e-8 && (lo - (1.3 - 1.959964)).abs() < 1e-6 && (hi - (1.3 + 1.959964)).abs() < 1e-6, "{m} {lo} {hi}");
    // Far out: no clamping (z = 50 is 50 ± 1.96), and a root far below z is still found
    // (at look 2 of O'Brien-Fleming the earlier efficacy stops dominate the tail).
    let (m, lo, _) = stagewise_estimate(&[1.0], &[1.959964], 0, 50.0, 0.025).unwrap().unwrap();
    assert!((m - 50.0).abs() < 1e-4 && (lo - (50.0 - 1.959964)).abs() < 1e-4, "{m} {lo}");
    let obf = efficacy_bounds(0.025, &[1.0 / 3.0, 2.0 / 3.0, 1.0], Spending::OBrienFleming).unwrap();
    assert!(stagewise_estimate(&[1.0 / 3.0, 2.0 / 3.0, 1.0], &obf.z, 1, 20.0, 0.025).unwrap().is_some());
    // O'Brien-Fleming at 1/3, 2/3, 1 under a drift of 2.8 (80 % power): the estimate of the
    // drift (the mean at the stopping look over √t) is median-unbiased, the interval covers
    // 95 %, where the naive z/√t at the stop is biased upwards.
    let info = [1.0 / 3.0, 2.0 / 3.0, 1.0];
    let b = efficacy_bounds(0.025, &info, Spending::OBrienFleming).unwrap();
    let drift = 2.8;
    let mut rng = ChaCha8Rng::seed_from_u64(20261209);
    let n = 4_000;
    let (mut below, mut covered, mut naive_below) = (0usize, 0usize, 0usize);
    for _ in 0..n {
        let (k, z) = stop_of_path(&mut rng, &info, &b.z, drift);
        let t = info[k];
        let (m, lo, hi) = stagewise_estimate(&info, &b.z, k, z, 0.025).unwrap().unwrap();
        below += usize::from(m / t.sqrt() <= drift);
        covered += usize::from(lo / t.sqrt() <= drift && drift <= hi / t.sqrt());
        naive_below += usize::from(z / t.sqrt() <= drift);
    }
    let share = |c: usize| c as f64 / n as f64;
    let mcse = |p: f64| (p * (1.0 - p) / n as f64).sqrt();
    assert!((share(below) - 0.5).abs() < 4.0 * mcse(0.5), "P(estimate <= truth) = {}", share(below));
    assert!((share(covered) - 0.95).abs() < 4.0 * mcse(0.95), "coverage {}", share(covered));
    assert!(share(naive_below) < 0.5 - 4.0 * mcse(0.5), "naive P(estimate <= truth) = {}", share(naive_below));
}

/// One simulated Brownian path (`Z_k ~ N(drift·√t_k, 1)`) run until it crosses a boundary or
/// reaches the last look: that look and its statistic.
fn stop_of_path(rng: &mut ChaCha8Rng, info: &[f64], bounds: &[f64], drift: f64) -> (usize, f64) {
    let (mut score, mut previous) = (0.0, 0.0);
    for (k, &t) in info.iter().enumerate() {
        let e: f64 = StandardNormal.sample(rng);
        score += e * (t - previous).sqrt() + drift * (t - previous);
        previous = t;
        let z = score / t.sqrt();
        if z >= bounds[k] || k + 1 == info.len() {
            return (k, z);
        }
    }
    unreachable!("the last look returns")
}
