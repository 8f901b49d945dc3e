//! `Omega`: construction, rejection of matrices that are not positive definite, and the
//! distribution of its draws.
//!
//! Tolerances: sample covariances of `n` draws agree with Ω within 4 Monte-Carlo standard
//! errors per entry, `SE(S_ij) = √((Ω_ii·Ω_jj + Ω_ij²)/n)` (Isserlis' theorem for a
//! zero-mean Gaussian, with the known mean 0); 6 standard errors in the property test,
//! which runs many random matrices with a random seed. Seeds are fixed elsewhere, so
//! those tests are deterministic.

use nalgebra::DMatrix;
use proptest::prelude::*;
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use vtrial_pk::PkError;
use vtrial_pk::population::Omega;

fn names(list: &[&str]) -> Vec<String> {
    list.iter().map(|s| s.to_string()).collect()
}

/// Sample covariance about the known mean 0 of `n` draws.
fn sample_covariance(omega: &Omega, n: usize, seed: u64) -> DMatrix<f64> {
    let d = omega.dim();
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let mut eta = vec![0.0; d];
    let mut s = DMatrix::<f64>::zeros(d, d);
    for _ in 0..n {
        omega.sample(&mut rng, &mut eta);
        for i in 0..d {
            for j in 0..=i {
                s[(i, j)] += eta[i] * eta[j];
            }
        }
    }
    for i in 0..d {
        for j in 0..=i {
            s[(i, j)] /= n as f64;
            s[(j, i)] = s[(i, j)];
        }
    }
    s
}

/// The largest |S_ij − Ω_ij| in units of the Monte-Carlo standard error of S_ij.
fn worst_z(omega: &DMatrix<f64>, s: &DMatrix<f64>, n: usize) -> f64 {
    let d = omega.nrows();
    let mut worst: f64 = 0.0;
    for i in 0..d {
        for j in 0..=i {
            let se = ((omega[(i, i)] * omega[(j, j)] + omega[(i, j)].powi(2)) / n as f64).sqrt();
            if se == 0.0 {
                assert_eq!(s[(i, j)], 0.0, "entry ({i}, {j}) of a degenerate ETA");
                continue;
            }
            worst = worst.max((s[(i, j)] - omega[(i, j)]).abs() / se);
        }
    }
    worst
}

#[test]
fn sample_covariance_of_a_block_converges_to_omega() {
    // CL, V, KA: ω² = 0.09, 0.04, 0.16; corr(CL, V) = 0.5, corr(CL, KA) = -0.25, corr(V, KA) = 0.3.
    let lower = [0.09, 0.03, 0.04, -0.03, 0.024, 0.16];
    let omega = Omega::from_lower_triangle("OMEGA", names(&["CL", "V", "KA"]), &lower).unwrap();
    let n = 200_000;
    let s = sample_covariance(&omega, n, 20261127);
    let z = worst_z(omega.covariance(), &s, n);
    assert!(z < 4.0, "sample covariance {s} is {z:.2} standard errors from Ω {}", omega.covariance());
}

#[test]
fn from_lower_triangle_reads_rows_of_the_lower_triangle() {
    // $OMEGA BLOCK(3) 4 / 0.1 3 / 0.2 0.3 2
    let omega = Omega::from_lower_triangle("OMEGA", names(&["A", "B", "C"]), &[4.0, 0.1, 3.0, 0.2, 0.3, 2.0]).unwrap();
    let m = omega.covariance();
    let want = [[4.0, 0.1, 0.2], [0.1, 3.0, 0.3], [0.2, 0.3, 2.0]];
    for i in 0..3 {
        for j in 0..3 {
            assert_eq!(m[(i, j)], want[i][j], "entry ({i}, {j})");
        }
    }
    let err = Omega::from_lower_triangle("OMEGA", names(&["A", "B", "C"]), &[4.0, 0.1, 3.0]).unwrap_err();
    assert!(err.to_string().contains("OMEGA BLOCK values"), "{err}");
}

#[test]
fn accessors_name_the_etas() {
    let omega = Omega::diagonal("IOV", names(&["CL", "V"]), &[0.01, 0.02]).unwrap();
    assert_eq!(omega.name(), "IOV");
    assert_eq!(omega.dim(), 2);
    assert_eq!(omega.names(), ["CL".to_string(), "V".to_string()]);
    assert_eq!(omega.index_of("V"), Some(1));
    assert_eq!(omega.index_of("KA"), None);
    assert_eq!(omega.cholesky()[(1, 1)], 0.02_f64.sqrt());
    assert_eq!(omega.cholesky()[(0, 1)], 0.0);
}

fn not_pd_detail(result: Result<Omega, PkError>) -> (String, String) {
    match result {
        Err(e) => match &e {
            PkError::NotPositiveDefinite { name, .. } => (name.clone(), e.to_string()),
            other => panic!("expected NotPositiveDefinite, got {other:?}"),
        },
        Ok(o) => panic!("expected NotPositiveDefinite, got {o:?}"),
    }
}

#[test]
fn indefinite_matrix_is_rejected_naming_matrix_eta_and_smallest_eigenvalue() {
    // Eigenvalues 3 and -1.
    let m = DMatrix::from_row_slice(2, 2, &[1.0, 2.0, 2.0, 1.0]);
    let (name, message) = not_pd_detail(Omega::new("OMEGA", names(&["CL", "V"]), m));
    assert_eq!(name, "OMEGA");
    assert!(message.contains("matrix OMEGA is not positive definite"), "{message}");
    assert!(message.contains("at ETA V"), "{message}");
    assert!(message.contains("order 2"), "{message}");
    assert!(message.contains("smallest eigenvalue -1"), "{message}");
}

#[test]
fn failure_in_the_third_leading_minor_names_the_third_eta() {
    // Every pair is a valid correlation, but the three together are not: det < 0.
    let m = DMatrix::from_row_slice(3, 3, &[1.0, 0.9, 0.9, 0.9, 1.0, -0.9, 0.9, -0.9, 1.0]);
    let (name, message) = not_pd_detail(Omega::new("IOV", names(&["CL", "V", "KA"]), m));
    assert_eq!(name, "IOV");
    assert!(message.contains("at ETA KA") && message.contains("order 3"), "{message}");
}

#[test]
fn perfect_correlation_is_rejected() {
    let m = DMatrix::from_row_slice(2, 2, &[0.09, 0.06, 0.06, 0.04]); // correlation exactly 1
    let (_, message) = not_pd_detail(Omega::new("OMEGA", names(&["CL", "V"]), m));
    assert!(message.contains("at ETA V"), "{message}");
}

#[test]
fn asymmetric_negative_and_non_finite_matrices_are_rejected() {
    let asym = DMatrix::from_row_slice(2, 2, &[0.1, 0.01, 0.02, 0.1]);
    let (_, message) = not_pd_detail(Omega::new("OMEGA", names(&["CL", "V"]), asym));
    assert!(message.contains("not symmetric") && message.contains("(CL, V) = 0.01"), "{message}");

    let (_, message) = not_pd_detail(Omega::diagonal("SIGMA", names(&["PROP", "ADD"]), &[0.01, -0.5]));
    assert!(message.contains("matrix SIGMA") && message.contains("ADD has a negative variance -0.5"), "{message}");

    let (_, message) = not_pd_detail(Omega::diagonal("OMEGA", names(&["CL"]), &[f64::NAN]));
    assert!(message.contains("not a finite number"), "{message}");
}

#[test]
fn shape_and_name_mistakes_are_invalid_parameters() {
    let err = Omega::new("OMEGA", names(&["CL", "V"]), DMatrix::zeros(2, 3)).unwrap_err();
    assert!(matches!(err, PkError::InvalidParameter { .. }), "{err:?}");
    assert!(err.to_string().contains("2×3"), "{err}");
    let err = Omega::diagonal("OMEGA", names(&["CL", "V", "CL"]), &[0.1, 0.1, 0.1]).unwrap_err();
    assert!(err.to_string().contains("\"CL\""), "{err}");
    let err = Omega::diagonal("OMEGA", names(&["CL", "V"]), &[0.1]).unwrap_err();
    assert!(matches!(err, PkError::InvalidParameter { .. }), "{err:?}");
}

#[test]
fn zero_variance_eta_is_always_zero_and_leaves_the_others_intact() {
    // ETA2 fixed to 0 between two correlated ETAs.
    let m = DMatrix::from_row_slice(3, 3, &[0.09, 0.0, 0.03, 0.0, 0.0, 0.0, 0.03, 0.0, 0.04]);
    let omega = Omega::new("OMEGA", names(&["CL", "F", "V"]), m).unwrap();
    assert!(omega.is_fixed_to_zero(1) && !omega.is_fixed_to_zero(0));
    let l = omega.cholesky();
    assert!((l * l.transpose() - omega.covariance()).abs().max() < 1e-16);
    let n = 200_000;
    let mut rng = ChaCha8Rng::seed_from_u64(3);
    let mut eta = [0.0; 3];
    for _ in 0..1000 {
        omega.sample(&mut rng, &mut eta);
        assert_eq!(eta[1], 0.0);
    }
    let s = sample_covariance(&omega, n, 4);
    assert_eq!(s[(1, 1)], 0.0);
    let z = worst_z(omega.covariance(), &s, n);
    assert!(z < 4.0, "{z}");
}

#[test]
fn zero_variance_with_a_covariance_is_rejected() {
    let m = DMatrix::from_row_slice(2, 2, &[0.09, 0.01, 0.01, 0.0]);
    let (_, message) = not_pd_detail(Omega::new("OMEGA", names(&["CL", "V"]), m));
    assert!(message.contains("ETA V has variance 0 but covariance 0.01 with ETA CL"), "{message}");
}

#[test]
fn block_diagonal_keeps_blocks_and_names() {
    let a = Omega::from_lower_triangle("OMEGA", names(&["CL", "V"]), &[0.09, 0.03, 0.04]).unwrap();
    let b = Omega::diagonal("OMEGA", names(&["KA"]), &[0.16]).unwrap();
    let all = Omega::block_diagonal("OMEGA", &[a, b]).unwrap();
    assert_eq!(all.names(), ["CL", "V", "KA"].map(String::from));
    assert_eq!(all.covariance()[(1, 0)], 0.03);
    assert_eq!(all.covariance()[(2, 0)], 0.0);
    assert_eq!(all.covariance()[(2, 2)], 0.16);
}

#[test]
fn empty_omega_draws_nothing() {
    let omega = Omega::new("OMEGA", vec![], DMatrix::zeros(0, 0)).unwrap();
    assert!(omega.draw(&mut ChaCha8Rng::seed_from_u64(1)).is_empty());
}

#[test]
#[should_panic(expected = "output has 1 slots for 2 ETAs")]
fn sample_into_a_wrong_sized_slice_panics() {
    let omega = Omega::diagonal("OMEGA", names(&["CL", "V"]), &[0.1, 0.1]).unwrap();
    omega.sample(&mut ChaCha8Rng::seed_from_u64(1), &mut [0.0]);
}

/// A random positive-definite matrix `A·Aᵀ + εI`.
fn pd_matrix() -> impl Strategy<Value = DMatrix<f64>> {
    (1usize..=4).prop_flat_map(|d| {
        (proptest::collection::vec(-1.0..1.0_f64, d * d), 0.05..0.5_f64).prop_map(move |(a, eps)| {
            let a = DMatrix::from_row_slice(d, d, &a);
            &a * a.transpose() + DMatrix::identity(d, d) * eps
        })
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(48))]

    #[test]
    fn random_pd_matrices_factor_and_sample_correctly(m in pd_matrix(), seed in any::<u64>()) {
        let d = m.nrows();
        let omega = Omega::new("OMEGA", (0..d).map(|i| format!("ETA{}", i + 1)).collect(), m.clone()).unwrap();
        let l = omega.cholesky();
        let scale = m.amax();
        prop_assert!((l * l.transpose() - &m).amax() <= 1e-13 * scale);
        let n = 20_000;
        let s = sample_covariance(&omega, n, seed);
        let z = worst_z(&m, &s, n);
        prop_assert!(z < 6.0, "{} standard errors", z);
    }

    #[test]
    fn matrices_with_a_negative_eigenvalue_are_rejected(m in pd_matrix(), shift in 1.001..3.0_f64) {
        // Subtract more than the smallest eigenvalue: one eigenvalue becomes negative.
        let d = m.nrows();
        let lambda_min = m.clone().symmetric_eigenvalues().min();
        let bad = &m - DMatrix::identity(d, d) * (lambda_min * shift);
        let result = Omega::new("OMEGA", (0..d).map(|i| format!("ETA{}", i + 1)).collect(), bad);
        prop_assert!(matches!(result, Err(PkError::NotPositiveDefinite { .. })), "{:?}", result);
    }
}
