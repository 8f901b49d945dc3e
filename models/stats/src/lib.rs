//! Statistical analyses of one virtual trial: pure functions of the trial's data, no I/O.
//!
//! Every test returns a [`TestResult`] (estimate, standard error, confidence interval,
//! p-value, statistic, degrees of freedom, decision, and the method's name) for a
//! [`Hypothesis`] (alpha, sidedness, non-inferiority margin, direction of benefit).
//!
//! - [`dist`]: normal, Student t, chi-square and noncentral t distributions, built on the
//!   regularized incomplete beta and gamma functions (implemented here, no dependency);
//! - [`continuous`]: Welch's t-test and ANCOVA (OLS by QR);
//! - [`binary`]: difference in proportions (Wald, Newcombe), Pearson chi-square (with and
//!   without Yates), Fisher's exact test, logistic regression (IRLS);
//! - [`survival`]: Kaplan–Meier with Greenwood variance, (stratified) log-rank, Cox
//!   proportional hazards with Efron's ties;
//! - [`multiplicity`]: Bonferroni, Holm, Hochberg, fixed sequence, Dunnett many-to-one;
//! - [`group_sequential`]: efficacy boundaries of group-sequential designs (Lan–DeMets
//!   alpha spending: O'Brien–Fleming, Pocock, Hwang–Shih–DeCani);
//! - [`power`]: two-sample t power (noncentral t) and Schoenfeld's log-rank formula.
//!
//! Reference values from scipy, statsmodels and lifelines are stored with the script that
//! produced them in `tests/reference/`.
//!
//! ```
//! use vtrial_stats::{Hypothesis, Sided, continuous::welch_t};
//! let trt = [5.1, 6.0, 5.8, 6.4, 5.5];
//! let ctl = [4.2, 4.9, 5.0, 4.4, 4.8, 5.3];
//! let r = welch_t(&trt, &ctl, &Hypothesis::superiority(0.05, Sided::Two)).unwrap();
//! assert!(r.decision && r.ci.0 > 0.0);
//! ```

pub mod binary;
pub mod continuous;
pub mod dist;
mod error;
pub mod group_sequential;
mod hypothesis;
pub mod multiplicity;
pub mod power;
pub mod survival;

pub use error::StatsError;
pub use hypothesis::{Direction, Hypothesis, Sided, TestResult};
