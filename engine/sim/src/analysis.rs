//! The analyses of one trial: for each endpoint, one comparison per treatment arm against
//! the control with the endpoint's test (`vtrial-stats`), adjusted for multiplicity across
//! the comparisons, and the simulated truth the estimate is compared with.
//!
//! The truth of a comparison is computed from the same patients without measurement noise,
//! as if no one had left the study (a hypothetical estimand): the difference in the arms'
//! mean expected endpoint (`mean_difference`), in their mean response probability
//! (`risk_difference`), in the logits of those mean probabilities (`log_odds_ratio`, a
//! marginal odds ratio), or in their mean individual log hazard ratio (`log_hazard_ratio`).
//! Averaged over trials it is the population value the estimates should centre on; bias
//! and coverage are measured against that average.

use vtrial_stats::binary::{chi_square, diff_proportions, fisher_exact, logistic};
use vtrial_stats::continuous::{ancova, welch_t};
use vtrial_stats::dist::t;
use vtrial_stats::multiplicity::{adjust, dunnett};
use vtrial_stats::survival::{cox_efron, logrank};
use vtrial_stats::{Hypothesis, Sided, StatsError, TestResult};

use crate::scenario::{Endpoint, Method, Multiplicity};

/// One patient as the analyses of one endpoint see it (patients whose simulation failed
/// are not passed in).
#[derive(Debug, Clone, PartialEq)]
pub struct Subject {
    /// Arm index.
    pub arm: usize,
    /// Randomisation stratum (0 without strata).
    pub stratum: u32,
    /// The endpoint: continuous value, 1/0 for responders, time in days for time to event;
    /// `None` when missing (continuous endpoints of patients who left early).
    pub value: Option<f64>,
    /// Time to event: whether the event was observed.
    pub event: bool,
    /// Baseline measurement (ANCOVA).
    pub baseline: f64,
    /// Covariates the endpoint's model adjusts for, in its order.
    pub covariates: Vec<f64>,
    /// Noise-free expectation on the truth's scale: expected value, response probability,
    /// or log hazard ratio.
    pub expected: Option<f64>,
}

impl Subject {
    /// Whether the comparison can use this patient: an endpoint value and every covariate
    /// of the model (complete cases: a missing covariate, NaN, leaves the patient out).
    fn analysable(&self) -> bool {
        self.value.is_some() && self.covariates.iter().all(|c| c.is_finite())
    }
}

/// The outcome of one comparison.
#[derive(Debug, Clone, PartialEq)]
pub struct ComparisonOutcome {
    /// Control arm.
    pub control: usize,
    /// Treatment arm.
    pub treatment: usize,
    /// Patients analysed in the control / treatment arm.
    pub n: (u32, u32),
    /// Events in both arms (time-to-event endpoints).
    pub events: Option<u32>,
    /// The test result (its p-value unadjusted), or why there is none.
    pub result: Result<TestResult, String>,
    /// The p-value after the multiplicity adjustment (equal to the unadjusted one without).
    pub p_adjusted: Option<f64>,
    /// Whether the null hypothesis is rejected (after adjustment); `None` without a result.
    pub decision: Option<bool>,
    /// The simulated truth of these patients.
    pub truth: Option<f64>,
}

/// Analyses every comparison of `endpoint`.
pub fn analyse(endpoint: &Endpoint, subjects: &[Subject]) -> Vec<ComparisonOutcome> {
    let h = &endpoint.hypothesis;
    let mut out: Vec<ComparisonOutcome> = endpoint
        .treatments
        .iter()
        .map(|&treatment| {
            let pair: Vec<&Subject> = subjects.iter().filter(|s| s.arm == endpoint.control || s.arm == treatment).collect();
            let analysed = |arm: usize| pair.iter().filter(|s| s.arm == arm && s.analysable()).count() as u32;
            let events = (endpoint.method.estimand() == "log_hazard_ratio")
                .then(|| pair.iter().filter(|s| s.analysable() && s.event).count() as u32);
            let result = if endpoint.method == Method::Dunnett {
                Err(String::new()) // filled below, all arms at once
            } else {
                compare(endpoint, &pair, treatment).map_err(|e| e.to_string())
            };
            ComparisonOutcome {
                control: endpoint.control,
                treatment,
                n: (analysed(endpoint.control), analysed(treatment)),
                events,
                result,
                p_adjusted: None,
                decision: None,
                truth: truth(endpoint.method, &pair, endpoint.control, treatment),
            }
        })
        .collect();
    if endpoint.method == Method::Dunnett {
        run_dunnett(endpoint, subjects, &mut out);
    }
    // Multiplicity. A comparison without a result counts as p = 1 (it cannot be rejected;
    // with a fixed sequence it stops the sequence).
    match endpoint.multiplicity {
        // Every stored decision is `p_adjusted < alpha`, whatever the adjustment (the
        // Newcombe test's p-value is its interval's inversion, so it agrees with the interval).
        Multiplicity::None => {
            for o in &mut out {
                if let Ok(r) = &o.result {
                    o.p_adjusted = Some(r.p_value);
                    o.decision = Some(r.p_value < h.alpha);
                }
            }
        }
        // Dunnett's adjusted p-values are already in place; its decisions use them.
        Multiplicity::Dunnett => {
            for o in &mut out {
                if let Ok(r) = &o.result {
                    o.decision = Some(r.decision);
                }
            }
        }
        Multiplicity::Adjusted(method) => {
            let p: Vec<f64> = out.iter().map(|o| o.result.as_ref().map_or(1.0, |r| r.p_value)).collect();
            for (o, q) in out.iter_mut().zip(adjust(&p, method)) {
                if o.result.is_ok() {
                    o.p_adjusted = Some(q);
                    o.decision = Some(q < h.alpha);
                }
            }
        }
    }
    out
}

/// One comparison by a two-arm method.
fn compare(endpoint: &Endpoint, pair: &[&Subject], treatment: usize) -> Result<TestResult, StatsError> {
    let h = &endpoint.hypothesis;
    let with_value: Vec<&Subject> = pair.iter().copied().filter(|s| s.analysable()).collect();
    let treated: Vec<bool> = with_value.iter().map(|s| s.arm == treatment).collect();
    let values = |arm_is_treated: bool| -> Vec<f64> {
        with_value.iter().zip(&treated).filter(|(_, t)| **t == arm_is_treated).filter_map(|(s, _)| s.value).collect()
    };
    let columns = || -> Vec<Vec<f64>> {
        let k = with_value.first().map_or(0, |s| s.covariates.len());
        (0..k).map(|j| with_value.iter().map(|s| s.covariates[j]).collect()).collect()
    };
    let strata = || -> Option<Vec<u32>> { endpoint.stratified.then(|| with_value.iter().map(|s| s.stratum).collect()) };
    let counts = |arm_is_treated: bool| {
        let v = values(arm_is_treated);
        (v.iter().filter(|&&x| x == 1.0).count() as u64, v.len() as u64)
    };
    match endpoint.method {
        Method::WelchT => welch_t(&values(true), &values(false), h),
        Method::Ancova => {
            let y: Vec<f64> = with_value.iter().filter_map(|s| s.value).collect();
            let baseline: Vec<f64> = with_value.iter().map(|s| s.baseline).collect();
            let codes = strata();
            let factors: Vec<&[u32]> = codes.as_deref().into_iter().collect();
            ancova(&y, &treated, &baseline, &factors, h).map(|(r, _)| r)
        }
        Method::DifferenceInProportions(ci) => {
            let ((x1, n1), (x0, n0)) = (counts(true), counts(false));
            diff_proportions(x1, n1, x0, n0, ci, h)
        }
        Method::ChiSquare => {
            let ((x1, n1), (x0, n0)) = (counts(true), counts(false));
            chi_square(x1, n1, x0, n0, false, h)
        }
        Method::FisherExact => {
            let ((x1, n1), (x0, n0)) = (counts(true), counts(false));
            fisher_exact(x1, n1, x0, n0, h)
        }
        Method::Logistic => {
            let y: Vec<bool> = with_value.iter().map(|s| s.value == Some(1.0)).collect();
            let cols = columns();
            let refs: Vec<&[f64]> = cols.iter().map(Vec::as_slice).collect();
            logistic(&y, &treated, &refs, h).map(|(r, _)| r)
        }
        Method::LogRank | Method::Cox => {
            let times: Vec<f64> = with_value.iter().filter_map(|s| s.value).collect();
            let events: Vec<bool> = with_value.iter().map(|s| s.event).collect();
            let codes = strata();
            if endpoint.method == Method::LogRank {
                logrank(&times, &events, &treated, codes.as_deref(), h).map(|(r, _)| r)
            } else {
                let cols = columns();
                let refs: Vec<&[f64]> = cols.iter().map(Vec::as_slice).collect();
                cox_efron(&times, &events, &treated, &refs, codes.as_deref(), h).map(|(r, _)| r)
            }
        }
        Method::Dunnett => unreachable!("Dunnett's test runs over all arms at once"),
    }
}

/// Dunnett's test over all treatment arms; each result keeps the unadjusted p-value of its
/// pooled-variance t statistic, and the adjusted one goes to `p_adjusted`.
fn run_dunnett(endpoint: &Endpoint, subjects: &[Subject], out: &mut [ComparisonOutcome]) {
    let values = |arm: usize| -> Vec<f64> { subjects.iter().filter(|s| s.arm == arm).filter_map(|s| s.value).collect() };
    let control = values(endpoint.control);
    let arms: Vec<Vec<f64>> = endpoint.treatments.iter().map(|&a| values(a)).collect();
    let refs: Vec<&[f64]> = arms.iter().map(Vec::as_slice).collect();
    match dunnett(&control, &refs, &endpoint.hypothesis) {
        Ok(results) => {
            for (o, mut r) in out.iter_mut().zip(results) {
                let adjusted = r.p_value;
                r.p_value = unadjusted_t_p(&endpoint.hypothesis, r.statistic, r.df.unwrap_or(f64::INFINITY));
                o.p_adjusted = Some(adjusted);
                o.result = Ok(r);
            }
        }
        Err(e) => {
            for o in out.iter_mut() {
                o.result = Err(e.to_string());
            }
        }
    }
}

/// The p-value of a t statistic without adjustment.
fn unadjusted_t_p(h: &Hypothesis, statistic: f64, df: f64) -> f64 {
    let p = match h.sided {
        Sided::Two => 2.0 * t::sf(statistic.abs(), df),
        Sided::OneUpper => t::sf(statistic, df),
        Sided::OneLower => t::sf(-statistic, df),
    };
    p.clamp(0.0, 1.0)
}

/// The simulated truth of one comparison (see the module documentation).
fn truth(method: Method, pair: &[&Subject], control: usize, treatment: usize) -> Option<f64> {
    let mean = |arm: usize| -> Option<f64> {
        let v: Vec<f64> = pair.iter().filter(|s| s.arm == arm).filter_map(|s| s.expected).collect();
        (!v.is_empty()).then(|| v.iter().sum::<f64>() / v.len() as f64)
    };
    let (c, t) = (mean(control)?, mean(treatment)?);
    let value = if method.estimand() == "log_odds_ratio" { logit(t) - logit(c) } else { t - c };
    value.is_finite().then_some(value)
}

fn logit(p: f64) -> f64 {
    (p / (1.0 - p)).ln()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cohort::{CohortSource, TestOnlySource};

    /// The endpoint of a two-arm scenario with `method`.
    fn endpoint(method: &str) -> Endpoint {
        let text = format!(
            "[study]\nname = \"a\"\nreplicates = 1\nseed = 1\nduration_days = 28\n[cohort]\ngenerator = \"copula\"\n\
             [drug.pk]\nmodel = \"one_cmt_oral\"\ncl = {{ value = 5.0, unit = \"L/h\" }}\nv = {{ value = 50.0, unit = \"L\" }}\nka = {{ value = 1.0, unit = \"1/h\" }}\n\
             [response]\nmodel = \"emax\"\nexposure = \"auc_ss\"\nbaseline = {{ value = 50.0, sd = 8.0 }}\nemax = {{ value = -5.0 }}\n\
             ec50 = {{ value = 10.0, unit = \"mg*h/L\" }}\nresidual_sd = 3.0\n\
             [[arms]]\nname = \"a\"\n[[arms]]\nname = \"b\"\nregimen = \"10 mg q24h\"\n[design]\nn_per_arm = 10\nvisits_days = [0, 28]\n\
             [endpoints.primary]\nkind = \"responder\"\nat_day = 28\nthreshold = -2\nbetter = \"lower\"\n{method}\n"
        );
        let file = crate::scenario::parse(&text, "s.toml", &TestOnlySource.columns(), Default::default()).unwrap_or_else(|e| panic!("{e}"));
        file.points[0].scenario.endpoints[0].clone()
    }

    #[test]
    fn a_missing_covariate_leaves_the_patient_out_of_covariate_adjusted_comparisons() {
        // 40 patients per arm; every fifth has no value for the covariate. Before, the NaN
        // reached the fit and every trial failed as "X'WX not positive definite".
        let subjects: Vec<Subject> = (0..80)
            .map(|i| Subject {
                arm: i % 2,
                stratum: 0,
                value: Some(f64::from(u8::from(i % 3 == 0 || (i % 2 == 1 && i % 5 == 1)))),
                event: false,
                baseline: 0.0,
                covariates: vec![if i % 5 == 0 { f64::NAN } else { 40.0 + f64::from(i as u8 % 7) }],
                expected: None,
            })
            .collect();
        let out = analyse(&endpoint("method = \"logistic\"\ncovariates = [\"age\"]"), &subjects);
        assert!(out[0].result.is_ok(), "{:?}", out[0].result);
        assert_eq!(out[0].n, (32, 32));
        // Methods without covariates (whose subjects carry none) analyse everyone with a value.
        let plain: Vec<Subject> = subjects.iter().map(|s| Subject { covariates: Vec::new(), ..s.clone() }).collect();
        let out = analyse(&endpoint("method = \"chi_square\""), &plain);
        assert_eq!(out[0].n, (40, 40));
    }
}
