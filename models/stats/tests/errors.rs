//! Errors say what was wrong with the input.

use vtrial_stats::binary::{chi_square, fisher_exact, logistic};
use vtrial_stats::continuous::{ancova, welch_t};
use vtrial_stats::survival::{cox_efron, logrank};
use vtrial_stats::{Direction, Hypothesis, Sided, StatsError};

const TWO: Hypothesis = Hypothesis {
    alpha: 0.05,
    sided: Sided::Two,
    margin: 0.0,
    direction: Direction::HigherIsBetter,
};

#[test]
fn too_few_observations() {
    assert!(matches!(
        welch_t(&[1.0], &[1.0, 2.0], &TWO),
        Err(StatsError::TooFewObservations {
            got: 1,
            need: 2,
            ..
        })
    ));
}

#[test]
fn all_in_one_group() {
    let y = [1.0, 2.0, 3.0, 4.0];
    assert_eq!(
        ancova(&y, &[true; 4], &y, &[], &TWO).unwrap_err(),
        StatsError::OneGroup("all subjects in one arm")
    );
    assert!(matches!(
        logrank(&y, &[true; 4], &[false; 4], None, &TWO),
        Err(StatsError::OneGroup(_))
    ));
}

#[test]
fn singular_design() {
    // Baseline equal to the treatment indicator: collinear columns.
    let trt = [true, false, true, false, true, false];
    let base: Vec<f64> = trt.iter().map(|&t| f64::from(u8::from(t))).collect();
    let y = [1.0, 2.0, 0.5, 3.0, 1.5, 2.5];
    assert!(matches!(
        ancova(&y, &trt, &base, &[], &TWO),
        Err(StatsError::Singular(_))
    ));
}

#[test]
fn separation_in_logistic_regression() {
    let trt = [true, false, true, false, true, false, true, false];
    // All treated respond, no control does.
    let y = trt;
    assert!(matches!(
        logistic(&y, &trt, &[], &TWO),
        Err(StatsError::Separation(_))
    ));
    // Perfect prediction by a covariate.
    let x = [1.0, -1.0, -2.0, 2.0, 3.0, -3.0, -0.5, 0.5];
    let y: Vec<bool> = x.iter().map(|&v| v > 0.0).collect();
    assert!(matches!(
        logistic(&y, &trt, &[&x], &TWO),
        Err(StatsError::Separation(_))
    ));
}

#[test]
fn monotone_cox_likelihood() {
    let t = [1.0, 2.0, 3.0, 4.0, 5.0, 6.0];
    let trt = [true, true, true, false, false, false];
    // Treated subjects all fail before any control subject: the MLE is at +∞.
    let r = cox_efron(&t, &[true; 6], &trt, &[], None, &TWO);
    assert!(matches!(r, Err(StatsError::Separation(_))), "{r:?}");
}

#[test]
fn margins_only_where_meaningful() {
    let ni = Hypothesis::non_inferiority(0.025, 0.1, Direction::HigherIsBetter);
    assert_eq!(
        fisher_exact(3, 10, 4, 10, &ni).unwrap_err(),
        StatsError::MarginUnsupported("fisher_exact")
    );
    assert_eq!(
        chi_square(3, 10, 4, 10, false, &ni).unwrap_err(),
        StatsError::MarginUnsupported("chisq")
    );
    let bad = Hypothesis { alpha: 1.5, ..TWO };
    assert!(matches!(
        welch_t(&[1.0, 2.0], &[1.0, 3.0], &bad),
        Err(StatsError::InvalidArgument(_))
    ));
}
