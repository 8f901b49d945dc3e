//! The scenario file as written: serde structures, every table with
//! `deny_unknown_fields`. [`super::resolve`] turns them into a checked [`super::Scenario`].
//! Keys carry their unit in their name where it is fixed (`duration_days`,
//! `half_life_days`, `per_year`); quantities whose unit the author chooses are written
//! `{ value = 5.0, unit = "L/h" }`.

use std::collections::BTreeMap;

use serde::Deserialize;

/// The whole file.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawScenario {
    /// `[study]`.
    pub study: RawStudy,
    /// `[cohort]`.
    pub cohort: RawCohort,
    /// `[drug]`.
    pub drug: Option<RawDrug>,
    /// `[response]`: the continuous response model.
    pub response: Option<RawResponse>,
    /// `[events]`: the time-to-event model.
    pub events: Option<RawEvents>,
    /// `[safety]`: adverse events.
    pub safety: Option<RawSafety>,
    /// `[[arms]]`.
    pub arms: Vec<RawArm>,
    /// `[design]`.
    pub design: RawDesign,
    /// `[endpoints]`.
    pub endpoints: RawEndpoints,
    /// `[output]`.
    #[serde(default)]
    pub output: RawOutput,
    /// `[sweep]`: dotted paths to lists of values (and optionally `point`, a list of tables).
    pub sweep: Option<toml::Table>,
}

/// `[study]`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawStudy {
    /// Short name.
    pub name: String,
    /// Free text.
    pub description: Option<String>,
    /// Trials per scenario point.
    pub replicates: u32,
    /// Seed of every random stream.
    pub seed: u64,
    /// Study duration from the first dose, days.
    pub duration_days: f64,
}

/// `[cohort]`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawCohort {
    /// `neural` (default) or `copula`.
    pub generator: Option<String>,
    /// Inclusion criteria (vtrial-expr).
    pub include: Option<String>,
    /// Exclusion criteria (vtrial-expr): a patient meeting them is excluded.
    pub exclude: Option<String>,
}

/// `[drug]`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawDrug {
    /// Name of the drug.
    pub name: Option<String>,
    /// `[drug.pk]`.
    pub pk: RawPk,
}

/// `[drug.pk]`: a linear model of the PK library and its parameters.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawPk {
    /// `one_cmt`, `one_cmt_oral`, `two_cmt`, `two_cmt_oral`, `three_cmt`, `three_cmt_oral`.
    pub model: String,
    /// Clearance (linear models).
    pub cl: Option<RawParam>,
    /// Central volume.
    pub v: RawParam,
    /// Intercompartmental clearance.
    pub q: Option<RawParam>,
    /// Peripheral volume.
    pub v2: Option<RawParam>,
    /// Second intercompartmental clearance.
    pub q3: Option<RawParam>,
    /// Second peripheral volume.
    pub v3: Option<RawParam>,
    /// Absorption rate constant.
    pub ka: Option<RawParam>,
    /// Maximal elimination rate (Michaelis–Menten models).
    pub vmax: Option<RawParam>,
    /// Concentration of half-maximal elimination (Michaelis–Menten models).
    pub km: Option<RawParam>,
    /// Bioavailable fraction (no unit; oral models).
    pub f: Option<f64>,
    /// Residual error of concentrations.
    pub error: Option<RawResidual>,
    /// Correlations between the ETAs of two parameters with `omega`, e.g.
    /// `{ "cl,v" = 0.6 }`: a full Ω (the covariance is ρ·√(ω₁ω₂)).
    #[serde(default)]
    pub correlations: std::collections::BTreeMap<String, f64>,
}

/// A parameter: typical value with unit, log-normal IIV and covariate effects.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawParam {
    /// Typical value.
    pub value: f64,
    /// Unit of the value.
    pub unit: Option<String>,
    /// Variance ω² of the log-normal random effect (NONMEM's $OMEGA).
    pub omega: Option<f64>,
    /// Standard deviation of an additive normal random effect (for effects that change sign).
    pub sd: Option<f64>,
    /// Covariate effects: covariate name → `"power(0.75, ref=70)"` etc.
    #[serde(default)]
    pub covariates: BTreeMap<String, String>,
}

/// Residual error of concentrations (mg/L).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawResidual {
    /// Proportional SD (fraction).
    pub proportional: Option<f64>,
    /// Additive SD, mg/L.
    pub additive: Option<f64>,
}

/// `[response]`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawResponse {
    /// Name of the response (e.g. "HbA1c", "pain score").
    pub name: Option<String>,
    /// `emax`, `sigmoid_emax` or `turnover`.
    pub model: String,
    /// `auc_ss`, `cavg_ss`, `ctrough_ss`, `cmax_ss` or `concentration` (Emax models).
    pub exposure: Option<String>,
    /// Baseline value (turnover: the baseline R0 = kin/kout).
    pub baseline: RawParam,
    /// Maximal drug effect (Emax models), response units.
    pub emax: Option<RawParam>,
    /// Exposure of half-maximal effect, in the exposure metric's unit.
    pub ec50: Option<RawParam>,
    /// Hill coefficient (sigmoid Emax, turnover).
    pub hill: Option<RawParam>,
    /// Half-life of the onset of the drug effect, days (Emax models; 0: immediate).
    pub onset_half_life_days: Option<f64>,
    /// Turnover type: `I`, `II`, `III`, `IV`.
    pub kind: Option<String>,
    /// Turnover loss rate constant.
    pub kout: Option<RawParam>,
    /// Turnover maximal fractional effect (Imax or Emax).
    pub max: Option<RawParam>,
    /// Turnover concentration of half-maximal effect (mg/L).
    pub c50: Option<RawParam>,
    /// Turnover integration step, hours (default 1).
    pub step_hours: Option<f64>,
    /// Placebo response.
    pub placebo: Option<RawPlacebo>,
    /// Disease progression.
    pub progression: Option<RawProgression>,
    /// Residual SD of each measurement, response units.
    pub residual_sd: Option<f64>,
}

/// Placebo response.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawPlacebo {
    /// Asymptotic placebo effect (response units).
    pub max: f64,
    /// Onset half-life, days.
    pub half_life_days: Option<f64>,
}

/// Linear disease progression.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawProgression {
    /// Change per year, response units.
    pub per_year: f64,
}

/// `[events]`: time to event.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawEvents {
    /// Name of the event.
    pub name: Option<String>,
    /// `exponential` or `weibull`.
    pub distribution: String,
    /// Median time to event without treatment, days.
    pub median_days: f64,
    /// Weibull shape (1 for exponential).
    pub shape: Option<f64>,
    /// Treatment effect.
    pub effect: RawTteEffect,
}

/// The treatment effect on the hazard: a hazard ratio for active arms, or exposure-driven.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawTteEffect {
    /// Hazard ratio of every active arm versus placebo.
    pub hazard_ratio: Option<f64>,
    /// Exposure metric driving the log hazard ratio.
    pub exposure: Option<String>,
    /// Maximal log hazard ratio (Emax on exposure).
    pub max_log_hr: Option<f64>,
    /// Exposure of half the maximal log hazard ratio.
    pub ec50: Option<RawParam>,
}

/// `[safety]`: adverse events whose hazard rises with Cmax at steady state.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawSafety {
    /// Name of the adverse event.
    pub name: Option<String>,
    /// Background hazard, per week.
    pub background_per_week: f64,
    /// Maximal extra hazard from the drug, per week.
    pub max_per_week: f64,
    /// Cmax of half the extra hazard.
    pub cmax50: RawParam,
    /// Steepness.
    pub hill: Option<f64>,
    /// Probability that a patient with the event discontinues (drops out) at that time.
    pub discontinue: Option<f64>,
}

/// `[[arms]]`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawArm {
    /// Arm name.
    pub name: String,
    /// Regimen (see the regimen language); absent or `"placebo"` for placebo.
    pub regimen: Option<String>,
    /// Allocation ratio (randomised designs; default 1).
    pub ratio: Option<f64>,
    /// Cohort arms: the arm's own inclusion criteria (not randomised).
    pub include: Option<String>,
    /// Cohort arms: patients in this arm.
    pub n: Option<u32>,
    /// Dose adjustments: the first `when` that holds gives the regimen.
    #[serde(default)]
    pub adjust: Vec<RawAdjust>,
    /// Therapeutic drug monitoring: troughs that change later doses.
    pub tdm: Option<RawTdm>,
}

/// `[arms.tdm]`: therapeutic drug monitoring.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawTdm {
    /// Days on which the trough (the concentration before that day's doses) is measured.
    pub days: Vec<f64>,
    /// The trough's target window.
    pub target: RawTdmTarget,
    /// Largest factor one sample may change the dose by (default 2).
    pub max_change: Option<f64>,
    /// Adjusted doses are rounded to a multiple of this, mg.
    pub round_mg: Option<f64>,
    /// Adjusted doses are capped at this, mg.
    pub max_mg: Option<f64>,
}

/// A trough window.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawTdmTarget {
    /// Lower end.
    pub low: f64,
    /// Upper end.
    pub high: f64,
    /// Concentration unit (mg/L, ug/mL, ng/mL, ug/L).
    pub unit: String,
}

/// A dose adjustment.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawAdjust {
    /// Condition on covariates (vtrial-expr).
    pub when: String,
    /// The regimen to give instead.
    pub regimen: String,
}

/// `[design]`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawDesign {
    /// Patients per arm (randomised designs, equal allocation).
    pub n_per_arm: Option<u32>,
    /// Total patients (randomised designs, allocation by the arms' `ratio`).
    pub n_total: Option<u32>,
    /// Randomisation.
    pub randomisation: Option<RawRandomisation>,
    /// Visit days (day 0 = baseline, before the first dose).
    pub visits_days: Vec<f64>,
    /// PK sampling.
    pub pk_sampling: Option<RawPkSampling>,
    /// Dropout.
    pub dropout: Option<RawDropout>,
    /// Compliance.
    pub compliance: Option<RawCompliance>,
    /// Interim analyses of the primary endpoint (a group-sequential design).
    pub interim: Option<RawInterim>,
    /// Staggered entry.
    pub accrual: Option<RawAccrual>,
    /// Event-driven final analysis: held when the primary comparison's arms have had this
    /// many events (time-to-event primary).
    pub planned_events: Option<u32>,
}

/// `[design.accrual]`: patients enter over a period instead of all on day 0.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawAccrual {
    /// Length of the enrolment period, days (entry times uniform over it unless
    /// `period_ends_days` and `relative_rates` give the rate).
    pub duration_days: f64,
    /// `fixed` (default: each patient is followed `study.duration_days` from entry) or
    /// `to_study_end` (everyone is followed until the study ends, `study.duration_days`
    /// after the start of enrolment).
    pub follow_up: Option<String>,
    /// Piecewise-constant enrolment rate (a ramp-up while sites open): the days on which
    /// consecutive periods end, increasing, the last `duration_days` ...
    pub period_ends_days: Option<Vec<f64>>,
    /// ... and each period's rate relative to the others (≥ 0).
    pub relative_rates: Option<Vec<f64>>,
}

/// `[design.interim]`: group-sequential looks at the primary endpoint's comparison.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawInterim {
    /// Information fractions of the interim looks, increasing in (0, 1); the final analysis
    /// (1) is implied and may be written.
    pub information: Vec<f64>,
    /// Alpha spending: `obrien_fleming` (default), `pocock` or `hsd(GAMMA)`.
    pub spending: Option<String>,
    /// Non-binding futility: stop at an interim look when the primary statistic's z is
    /// below this (one-sided tests only).
    pub futility_z: Option<f64>,
}

/// Randomisation.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawRandomisation {
    /// `simple`, `block` or `stratified`.
    pub method: String,
    /// Block size (a multiple of the sum of the allocation ratios).
    pub block_size: Option<u32>,
    /// Stratification factors: covariate names or expressions (`"egfr < 60"`).
    #[serde(default)]
    pub strata: Vec<String>,
}

/// PK sampling times: hours after the dose on each listed day.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawPkSampling {
    /// Days (0 = day of the first dose).
    pub days: Vec<f64>,
    /// Hours after that day's first dose.
    pub hours: Vec<f64>,
}

/// Dropout: a constant hazard.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawDropout {
    /// Constant hazard, per year (e.g. 0.1: about 9.5% drop out in a year).
    pub per_year: f64,
}

/// Compliance.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawCompliance {
    /// Probability that any given dose is missed (independently).
    pub missed_dose_probability: f64,
}

/// `[endpoints]`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawEndpoints {
    /// `[endpoints.primary]`.
    pub primary: RawEndpoint,
    /// `[[endpoints.secondary]]`: further endpoints, analysed and stored the same way; they
    /// do not enter the probability of success.
    #[serde(default)]
    pub secondary: Vec<RawEndpoint>,
}

/// `[endpoints.primary]` or one `[[endpoints.secondary]]`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawEndpoint {
    /// Name stored with the results (default `primary`; required for secondary endpoints).
    pub name: Option<String>,
    /// `change_from_baseline`, `value`, `responder`, `time_to_event` or `none`.
    pub kind: String,
    /// Day of assessment (continuous and responder endpoints).
    pub at_day: Option<f64>,
    /// One comparison: `[control, treatment]`.
    pub compare: Option<Vec<String>>,
    /// The control arm (default the first arm).
    pub control: Option<String>,
    /// The arms compared with the control, in testing order (default every other arm).
    pub treatments: Option<Vec<String>>,
    /// The test: `welch_t`, `ancova`, `dunnett` (continuous); `difference_in_proportions`,
    /// `chi_square`, `fisher_exact`, `logistic` (responder); `log_rank`, `cox` (time to event).
    pub method: Option<String>,
    /// Difference in proportions: `newcombe` (default) or `wald` confidence interval.
    pub ci: Option<String>,
    /// Covariates a logistic or Cox model adjusts for.
    pub covariates: Option<Vec<String>>,
    /// Whether ANCOVA, log-rank and Cox are stratified by the randomisation strata
    /// (default: when randomisation is stratified).
    pub stratified: Option<bool>,
    /// Several comparisons: `none`, `bonferroni`, `holm`, `hochberg`, `fixed_sequence` or
    /// `dunnett` (with `method = "dunnett"`).
    pub multiplicity: Option<String>,
    /// Significance level (default 0.05; one-sided tests: the one-sided level).
    pub alpha: Option<f64>,
    /// 1 or 2 (default 2).
    pub sided: Option<u8>,
    /// `lower` or `higher` values (fewer or more events) are better.
    pub better: Option<String>,
    /// Non-inferiority margin (> 0, in the estimate's units; needs `sided = 1` and `better`).
    pub margin: Option<f64>,
    /// Responder: the threshold on the change from baseline.
    pub threshold: Option<f64>,
}

/// `[output]`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawOutput {
    /// `trial` (trials and arms), `patient` (+ patients) or `observation` (+ observations).
    pub detail: Option<String>,
}
