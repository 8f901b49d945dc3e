//! Residual error models: formulas, validation, and the distribution of `apply` with
//! standard normal draws.
//!
//! Tolerances: formulas to 1e-14 relative; Monte-Carlo mean and variance of 200,000
//! observations within 4 standard errors (SE of the mean `s/√n`; SE of the variance
//! `√((m₄ − s⁴)/n)` with `m₄` the sample fourth central moment), fixed seeds.

use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use rand_distr::{Distribution, StandardNormal};
use vtrial_pk::population::ResidualError;

fn close(a: f64, b: f64) -> bool {
    (a - b).abs() <= 1e-14 * b.abs().max(1e-300)
}

#[test]
fn variances_follow_the_nonmem_formulas() {
    let f = 10.0;
    assert_eq!(ResidualError::None.variance(f), 0.0);
    assert!(close(ResidualError::Additive { sd: 0.5 }.variance(f), 0.25));
    assert!(close(ResidualError::Proportional { cv: 0.2 }.variance(f), 4.0));
    assert!(close(ResidualError::Combined { additive_sd: 0.5, proportional_cv: 0.2 }.variance(f), 4.25));
    // Log-normal: F²·e^{σ²}·(e^{σ²} − 1) with σ = 0.2.
    assert!(close(ResidualError::Exponential { sd: 0.2 }.variance(f), 4.247629348257033));
    assert!(close(ResidualError::Combined { additive_sd: 0.5, proportional_cv: 0.2 }.sd(f), 4.25_f64.sqrt()));
}

#[test]
fn apply_scales_the_draw() {
    let f = 10.0;
    assert_eq!(ResidualError::None.apply(f, 3.0), 10.0);
    assert!(close(ResidualError::Additive { sd: 0.5 }.apply(f, 1.5), 10.75));
    assert!(close(ResidualError::Proportional { cv: 0.2 }.apply(f, -1.0), 8.0));
    assert!(close(ResidualError::Combined { additive_sd: 0.5, proportional_cv: 0.2 }.apply(f, 1.0), 10.0 + 4.25_f64.sqrt()));
    assert!(close(ResidualError::Exponential { sd: 0.2 }.apply(f, 1.0), 10.0 * 0.2_f64.exp()));
}

#[test]
fn sample_moments_of_apply_match_mean_and_variance() {
    let f = 7.5;
    let models = [
        (ResidualError::Additive { sd: 0.8 }, f),
        (ResidualError::Proportional { cv: 0.25 }, f),
        (ResidualError::Combined { additive_sd: 0.8, proportional_cv: 0.25 }, f),
        // E[F·exp(σε)] = F·e^{σ²/2}.
        (ResidualError::Exponential { sd: 0.3 }, f * (0.3_f64 * 0.3 / 2.0).exp()),
    ];
    let n = 200_000;
    for (k, (model, mean)) in models.into_iter().enumerate() {
        let mut rng = ChaCha8Rng::seed_from_u64(100 + k as u64);
        let y: Vec<f64> = (0..n).map(|_| model.apply(f, StandardNormal.sample(&mut rng))).collect();
        let m = y.iter().sum::<f64>() / n as f64;
        let s2 = y.iter().map(|v| (v - m).powi(2)).sum::<f64>() / (n - 1) as f64;
        let m4 = y.iter().map(|v| (v - m).powi(4)).sum::<f64>() / n as f64;
        let se_mean = (s2 / n as f64).sqrt();
        let se_var = ((m4 - s2 * s2) / n as f64).sqrt();
        let var = model.variance(f);
        assert!((m - mean).abs() < 4.0 * se_mean, "{model:?}: mean {m} vs {mean} (SE {se_mean})");
        assert!((s2 - var).abs() < 4.0 * se_var, "{model:?}: variance {s2} vs {var} (SE {se_var})");
    }
}

#[test]
fn validation_names_the_bad_sd() {
    assert!(ResidualError::Combined { additive_sd: 0.0, proportional_cv: 0.1 }.validate().is_ok());
    assert!(ResidualError::None.validate().is_ok());
    let err = ResidualError::Combined { additive_sd: 0.1, proportional_cv: -0.2 }.validate().unwrap_err();
    assert!(err.to_string().contains("residual error proportional cv = -0.2"), "{err}");
    let err = ResidualError::Additive { sd: f64::INFINITY }.validate().unwrap_err();
    assert!(err.to_string().contains("additive sd = inf"), "{err}");
    assert!(ResidualError::Exponential { sd: f64::NAN }.validate().is_err());
}
