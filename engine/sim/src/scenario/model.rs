//! The resolved scenario of one sweep point: every name bound, every unit converted to the
//! engine's (hours, mg, L, mg/L), every design rule checked.

use vtrial_expr::Compiled;
use vtrial_pk::linear::Structure;
use vtrial_pk::population::{IndividualParameter, Omega, ResidualError};
use vtrial_response::course::{Placebo, Progression};
use vtrial_response::safety::AeHazard;
use vtrial_response::tte::Weibull;
use vtrial_response::turnover::TurnoverKind;

use vtrial_stats::Hypothesis;
use vtrial_stats::binary::PropCi;
use vtrial_stats::multiplicity::Adjustment;

use crate::regimen::Regimen;

/// One scenario point, ready to simulate.
#[derive(Debug, Clone)]
pub struct Scenario {
    /// Study name.
    pub name: String,
    /// Trials per point.
    pub replicates: u32,
    /// Seed of every random stream.
    pub seed: u64,
    /// Study duration from the first dose, hours.
    pub duration_h: f64,
    /// The cohort.
    pub cohort: CohortSpec,
    /// Covariates every patient carries (the cohort's columns the models, adjustments and
    /// strata read, plus `age`, `sex`, `weight`, `egfr` when the source has them).
    pub covariates: Vec<String>,
    /// The drug's PK model (absent: no drug, placebo-only trial).
    pub pk: Option<PkModel>,
    /// Continuous response model.
    pub response: Option<ResponseModel>,
    /// Time-to-event model.
    pub events: Option<EventModel>,
    /// Adverse events.
    pub safety: Option<SafetyModel>,
    /// Arms, in file order.
    pub arms: Vec<Arm>,
    /// Enrolment and randomisation.
    pub allocation: Allocation,
    /// Visit times, hours (sorted, unique).
    pub visits_h: Vec<f64>,
    /// PK sampling times, hours after the first dose (sorted).
    pub pk_samples_h: Vec<f64>,
    /// Dropout hazard per hour (0: none).
    pub dropout_per_h: f64,
    /// Probability of missing any one dose.
    pub missed_dose_probability: f64,
    /// The endpoints: the primary first, then the secondary ones in file order.
    pub endpoints: Vec<Endpoint>,
    /// Interim looks at the primary endpoint (`None`: one analysis at the end).
    pub interim: Option<Interim>,
    /// Staggered entry (`None`: every patient enters on day 0).
    pub accrual: Option<Accrual>,
    /// Event-driven final analysis: held when the primary comparison's arms have had this
    /// many events (`None`: at the end of the study).
    pub planned_events: Option<u32>,
    /// What is stored.
    pub detail: Detail,
}

impl Scenario {
    /// Patients per trial.
    pub fn n_patients(&self) -> usize {
        self.allocation.patients(&self.arms)
    }
}

/// How much is stored per trial.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Detail {
    /// Trials and arms.
    Trial,
    /// Also one row per patient.
    Patient,
    /// Also concentrations, responses and events.
    Observation,
}

impl Detail {
    /// Parses `trial`, `patient`, `observation`.
    pub fn from_name(s: &str) -> Option<Detail> {
        Some(match s {
            "trial" => Detail::Trial,
            "patient" => Detail::Patient,
            "observation" | "observations" => Detail::Observation,
            _ => return None,
        })
    }

    /// The name.
    pub fn name(self) -> &'static str {
        match self {
            Detail::Trial => "trial",
            Detail::Patient => "patient",
            Detail::Observation => "observation",
        }
    }
}

/// Where patients come from.
#[derive(Debug, Clone, PartialEq)]
pub struct CohortSpec {
    /// `neural` or `copula`.
    pub generator: String,
    /// Inclusion and exclusion combined into one criterion (`None`: everyone).
    pub criteria: Option<String>,
}

/// The structural PK model.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PkKind {
    /// A linear compartment model in closed form.
    Linear(Structure),
    /// One compartment with Michaelis–Menten elimination (ODE), IV or oral.
    MichaelisMenten {
        /// First-order absorption from a depot.
        oral: bool,
    },
}

impl PkKind {
    /// Zero-based index of the central compartment.
    pub fn central(self) -> usize {
        match self {
            PkKind::Linear(s) => s.central(),
            PkKind::MichaelisMenten { oral } => usize::from(oral),
        }
    }
}

/// A PK model with population variability.
#[derive(Debug, Clone)]
pub struct PkModel {
    /// Structural model.
    pub kind: PkKind,
    /// Individual parameters by name (`cl`, `v`, `q`, `v2`, `q3`, `v3`, `ka`; `vmax`, `km`),
    /// in engine units (L/h, L, 1/h, mg/h, mg/L).
    pub params: Vec<(&'static str, IndividualParameter)>,
    /// Ω of the ETAs (diagonal), `None` without IIV.
    pub omega: Option<Omega>,
    /// Bioavailable fraction.
    pub f: f64,
    /// Residual error of concentrations.
    pub residual: ResidualError,
}

/// One `[[arms.adjust]]` rule: when `condition` holds for a patient, they get `regimen`
/// instead of the arm's.
#[derive(Debug, Clone)]
pub struct DoseAdjustment {
    /// The condition, compiled against the scenario's covariates.
    pub condition: Compiled,
    /// The condition as written (`when`).
    pub when: String,
    /// The regimen it gives.
    pub regimen: Regimen,
    /// That regimen as written.
    pub regimen_text: String,
}

/// An exposure metric (Emax models, exposure-driven hazards).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Exposure {
    /// AUC over one dosing interval at steady state (mg·h/L), scaled by the fraction of
    /// doses taken.
    AucSs,
    /// Average concentration at steady state (mg/L), likewise.
    CavgSs,
    /// Trough concentration at steady state (mg/L).
    CtroughSs,
    /// Peak concentration at steady state (mg/L).
    CmaxSs,
    /// The concentration at the time of the measurement (mg/L).
    Concentration,
}

impl Exposure {
    /// Parses the scenario name.
    pub fn from_name(s: &str) -> Option<Exposure> {
        Some(match s {
            "auc_ss" | "auc" => Exposure::AucSs,
            "cavg_ss" | "cavg" => Exposure::CavgSs,
            "ctrough_ss" | "ctrough" => Exposure::CtroughSs,
            "cmax_ss" | "cmax" => Exposure::CmaxSs,
            "concentration" | "conc" => Exposure::Concentration,
            _ => return None,
        })
    }

    /// Whether this is an AUC (unit mg·h/L) rather than a concentration (mg/L).
    pub fn is_auc(self) -> bool {
        self == Exposure::AucSs
    }
}

/// A model parameter with covariates and random effects:
/// `typical·Π factors·exp(η) + δ` with `η ~ N(0, omega)`, `δ ~ N(0, sd²)`.
#[derive(Debug, Clone)]
pub struct Param {
    /// Typical value and covariate effects.
    pub typical: IndividualParameter,
    /// Variance of the log-normal random effect.
    pub omega: f64,
    /// SD of the additive random effect.
    pub sd: f64,
}

impl Param {
    /// A fixed value.
    pub fn fixed(value: f64) -> Param {
        Param { typical: IndividualParameter::fixed(value), omega: 0.0, sd: 0.0 }
    }
}

/// The response model.
#[derive(Debug, Clone)]
pub struct ResponseModel {
    /// Name of the response.
    pub name: String,
    /// Baseline.
    pub baseline: Param,
    /// Drug effect.
    pub drug: DrugEffect,
    /// Placebo response (time in hours).
    pub placebo: Placebo,
    /// Progression (per hour).
    pub progression: Progression,
    /// Residual SD of a measurement.
    pub residual_sd: f64,
}

/// How the drug changes the response.
#[derive(Debug, Clone)]
pub enum DrugEffect {
    /// (Sigmoid) Emax on an exposure metric, with an onset half-life (hours).
    Emax {
        /// The exposure metric.
        exposure: Exposure,
        /// Maximal effect.
        emax: Param,
        /// EC50, in the metric's unit.
        ec50: Param,
        /// Hill coefficient.
        hill: Param,
        /// Onset half-life, hours (0: immediate).
        onset_half_life_h: f64,
    },
    /// Indirect response driven by the concentration profile.
    Turnover {
        /// Type I–IV.
        kind: TurnoverKind,
        /// kout, 1/h.
        kout: Param,
        /// Imax or Emax.
        max: Param,
        /// C50, mg/L.
        c50: Param,
        /// Hill coefficient.
        hill: Param,
        /// Integration step, hours.
        step_h: f64,
    },
}

/// Time to event.
#[derive(Debug, Clone)]
pub struct EventModel {
    /// Name of the event.
    pub name: String,
    /// Baseline hazard, time in hours.
    pub baseline: Weibull,
    /// Treatment effect.
    pub effect: TteEffect,
}

/// Effect on the hazard.
#[derive(Debug, Clone)]
pub enum TteEffect {
    /// A hazard ratio for every patient on drug.
    HazardRatio(f64),
    /// log HR = max_log_hr·E/(EC50 + E).
    Exposure {
        /// Exposure metric (a steady-state metric).
        exposure: Exposure,
        /// Maximal log hazard ratio.
        max_log_hr: f64,
        /// EC50 in the metric's unit.
        ec50: Param,
    },
}

/// Adverse events.
#[derive(Debug, Clone)]
pub struct SafetyModel {
    /// Name of the event.
    pub name: String,
    /// Hazard per hour as a function of Cmax at steady state.
    pub hazard: AeHazard,
    /// Probability of discontinuing at the event.
    pub discontinue: f64,
}

/// An arm.
#[derive(Debug, Clone)]
pub struct Arm {
    /// Name.
    pub name: String,
    /// Its regimen (empty: placebo).
    pub regimen: Regimen,
    /// The regimen as written.
    pub regimen_text: String,
    /// Adjustments (`[[arms.adjust]]`): the first condition that holds gives the regimen.
    pub adjust: Vec<DoseAdjustment>,
    /// Allocation ratio (randomised designs).
    pub ratio: u32,
    /// Cohort arms: criteria and size.
    pub cohort: Option<(String, u32)>,
    /// Therapeutic drug monitoring (`[arms.tdm]`).
    pub tdm: Option<crate::monitoring::Tdm>,
}

impl Allocation {
    /// Patients per trial with these `arms`.
    pub fn patients(&self, arms: &[Arm]) -> usize {
        match self {
            Allocation::Randomised { n_total, .. } => *n_total as usize,
            Allocation::Cohorts => arms.iter().filter_map(|a| a.cohort.as_ref()).map(|c| c.1 as usize).sum(),
        }
    }
}

/// How patients reach arms.
#[derive(Debug, Clone)]
pub enum Allocation {
    /// Randomised from one cohort.
    Randomised {
        /// Patients in all.
        n_total: u32,
        /// Method.
        method: Randomisation,
    },
    /// Each arm is its own cohort (criteria and size per arm).
    Cohorts,
}

/// Randomisation method.
#[derive(Debug, Clone)]
pub enum Randomisation {
    /// Each patient independently with probability ratio/Σratios.
    Simple,
    /// Permuted blocks.
    Block {
        /// Block size.
        size: u32,
    },
    /// Permuted blocks within strata.
    Stratified {
        /// Block size.
        size: u32,
        /// Factors: source text and compiled expression over the covariates.
        strata: Vec<(String, Compiled)>,
    },
}

/// An endpoint and how it is analysed: one comparison per treatment arm against the
/// control, adjusted for multiplicity across them.
#[derive(Debug, Clone, PartialEq)]
pub struct Endpoint {
    /// Name stored with the results (`primary` for the primary endpoint by default).
    pub name: String,
    /// Whether this is the primary endpoint (its comparisons define the trial's success).
    pub primary: bool,
    /// What is measured.
    pub kind: EndpointKind,
    /// Assessment time, hours (continuous and responder endpoints).
    pub at_h: f64,
    /// Control arm index.
    pub control: usize,
    /// Treatment arm indices, in testing order.
    pub treatments: Vec<usize>,
    /// The test.
    pub method: Method,
    /// Alpha, sidedness, margin and direction.
    pub hypothesis: Hypothesis,
    /// Whether the file says which way is better (`better`): then a two-sided rejection with
    /// the estimate on the other side is harm, not success.
    pub benefit_known: bool,
    /// Adjustment across the comparisons.
    pub multiplicity: Multiplicity,
    /// Covariates (indices into [`Scenario::covariates`]) a logistic or Cox model adjusts for.
    pub adjust_for: Vec<usize>,
    /// Whether ANCOVA, log-rank and Cox are stratified by the randomisation strata.
    pub stratified: bool,
}

impl Endpoint {
    /// Whether a rejection with this estimate is one for harm: `Some(true)` when a two-sided
    /// test whose file gives `better` has the estimate on the other side, `Some(false)`
    /// otherwise (a one-sided test rejects only for benefit, or non-inferiority), `None` for
    /// a two-sided test without `better` (the direction is unknown).
    pub fn is_harm(&self, estimate: Option<f64>) -> Option<bool> {
        match self.hypothesis.sided {
            vtrial_stats::Sided::Two if !self.benefit_known => None,
            vtrial_stats::Sided::Two => Some(estimate.is_some_and(|x| match self.hypothesis.direction {
                vtrial_stats::Direction::HigherIsBetter => x < 0.0,
                vtrial_stats::Direction::LowerIsBetter => x > 0.0,
            })),
            _ => Some(false),
        }
    }
}

/// The test of one comparison.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Method {
    /// Welch's unequal-variance t-test.
    WelchT,
    /// ANCOVA of the endpoint adjusted for the baseline (and the strata when stratified).
    Ancova,
    /// Dunnett's many-to-one test (pooled variance, single step).
    Dunnett,
    /// Difference in proportions, Wald test, with a Wald or Newcombe interval.
    DifferenceInProportions(PropCi),
    /// Pearson's chi-square test (no continuity correction).
    ChiSquare,
    /// Fisher's exact test.
    FisherExact,
    /// Logistic regression on treatment (and covariates): log odds ratio.
    Logistic,
    /// Log-rank test (stratified when the endpoint is): Peto's log hazard ratio.
    LogRank,
    /// Cox proportional hazards, Efron's ties: log hazard ratio.
    Cox,
}

impl Method {
    /// The name used in scenario files.
    pub fn name(self) -> &'static str {
        match self {
            Method::WelchT => "welch_t",
            Method::Ancova => "ancova",
            Method::Dunnett => "dunnett",
            Method::DifferenceInProportions(_) => "difference_in_proportions",
            Method::ChiSquare => "chi_square",
            Method::FisherExact => "fisher_exact",
            Method::Logistic => "logistic",
            Method::LogRank => "log_rank",
            Method::Cox => "cox",
        }
    }

    /// What the estimate measures: `mean_difference`, `risk_difference`,
    /// `log_odds_ratio` or `log_hazard_ratio` (treatment versus control).
    pub fn estimand(self) -> &'static str {
        match self {
            Method::WelchT | Method::Ancova | Method::Dunnett => "mean_difference",
            Method::DifferenceInProportions(_) | Method::ChiSquare | Method::FisherExact => "risk_difference",
            Method::Logistic => "log_odds_ratio",
            Method::LogRank | Method::Cox => "log_hazard_ratio",
        }
    }

    /// Whether the method tests against a non-inferiority margin.
    pub fn supports_margin(self) -> bool {
        !matches!(self, Method::ChiSquare | Method::FisherExact | Method::LogRank)
    }
}

/// Multiplicity adjustment across an endpoint's comparisons.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Multiplicity {
    /// Each comparison at the full alpha.
    None,
    /// Adjusted p-values (Bonferroni, Holm, Hochberg, fixed sequence).
    Adjusted(Adjustment),
    /// Dunnett's test adjusts its own p-values.
    Dunnett,
}

impl Multiplicity {
    /// Name stored with the results.
    pub fn name(self) -> &'static str {
        match self {
            Multiplicity::None => "none",
            Multiplicity::Adjusted(a) => a.name(),
            Multiplicity::Dunnett => "dunnett",
        }
    }
}

/// Kinds of endpoint.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum EndpointKind {
    /// Response at `at_h` minus baseline (completers).
    ChangeFromBaseline,
    /// Response at `at_h` (completers).
    Value,
    /// Change from baseline beyond a threshold (dropouts are non-responders).
    Responder {
        /// Threshold on the change from baseline.
        threshold: f64,
        /// Whether a response is a change at or below it.
        below: bool,
    },
    /// Time to event, censored at dropout and at the end of the study.
    TimeToEvent,
    /// No comparison (e.g. a PK study).
    None,
}

impl EndpointKind {
    /// Name stored with the trial.
    pub fn name(&self) -> &'static str {
        match self {
            EndpointKind::ChangeFromBaseline => "change_from_baseline",
            EndpointKind::Value => "value",
            EndpointKind::Responder { .. } => "responder",
            EndpointKind::TimeToEvent => "time_to_event",
            EndpointKind::None => "none",
        }
    }
}


/// A group-sequential design: looks at the primary endpoint's one comparison, stopping for
/// efficacy when its p-value reaches the look's level (Lan–DeMets alpha spending), or for
/// futility (non-binding) when its z falls below `futility_z`.
#[derive(Debug, Clone, PartialEq)]
pub struct Interim {
    /// Information fraction of each look, the final (1) included.
    pub information: Vec<f64>,
    /// The alpha-spending function.
    pub spending: vtrial_stats::group_sequential::Spending,
    /// Efficacy boundaries on the z scale (`|z|` for two-sided tests, whose boundaries are
    /// the one-sided ones at alpha/2).
    pub bounds_z: Vec<f64>,
    /// Nominal level of each look: the primary p-value must be at or below it to stop.
    pub levels: Vec<f64>,
    /// Non-binding futility boundary on z, applied at interim looks (one-sided tests only).
    pub futility_z: Option<f64>,
    /// Information is events (time-to-event primary: looks are held when that share of the
    /// final analysis's events has occurred), otherwise patients in enrolment order.
    pub by_events: bool,
}

/// `[design.accrual]`: patients enter at times drawn from the enrolment rate over the
/// enrolment period (uniformly, or piecewise-constant for a ramp-up), in enrolment order.
/// Patient-level simulation runs on each patient's own clock (day 0 = their entry); analyses
/// are held on the calendar (day 0 = the start of enrolment).
#[derive(Debug, Clone, PartialEq)]
pub struct Accrual {
    /// Length of the enrolment period, hours.
    pub duration_h: f64,
    /// How long each patient is followed.
    pub follow_up: FollowUp,
    /// The enrolment rate, piecewise constant: consecutive periods from hour 0, the last
    /// ending at `duration_h`. Uniform entry is one period of rate 1.
    pub periods: Vec<AccrualPeriod>,
}

/// One period of a piecewise-constant enrolment rate.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct AccrualPeriod {
    /// End of the period, hours from the start of enrolment (it starts where the previous
    /// one ends, or at 0).
    pub end_h: f64,
    /// Enrolment rate in the period, relative to the other periods (≥ 0; only the ratios
    /// matter, the number of patients is the design's).
    pub relative_rate: f64,
}

impl Accrual {
    /// Uniform entry over `duration_h`.
    pub fn uniform(duration_h: f64, follow_up: FollowUp) -> Self {
        Accrual { duration_h, follow_up, periods: vec![AccrualPeriod { end_h: duration_h, relative_rate: 1.0 }] }
    }

    /// Whether the rate is the same over the whole period.
    pub fn is_uniform(&self) -> bool {
        self.periods.windows(2).all(|w| w[0].relative_rate == w[1].relative_rate)
    }

    /// The expected share of the patients who have entered by calendar time `t_h` (the
    /// enrolment's distribution function).
    pub fn share_entered_by(&self, t_h: f64) -> f64 {
        let by_t: f64 = spans(&self.periods).map(|(start, p, _)| (p.end_h.min(t_h) - start).max(0.0) * p.relative_rate).sum();
        by_t / total_mass(&self.periods)
    }

    /// When the last patient enters at the latest, hours: the end of the last period with a
    /// rate > 0.
    pub fn last_entry_h(&self) -> f64 {
        self.periods.iter().rev().find(|p| p.relative_rate > 0.0).map_or(self.duration_h, |p| p.end_h)
    }

    /// The entry time, hours, at which the enrolment's distribution function reaches `u` in
    /// [0, 1) (inverse-CDF draw; the CDF is piecewise linear). Uniform entry gives exactly
    /// `u · duration_h`.
    pub fn entry_h(&self, u: f64) -> f64 {
        // Walk the periods with their share of the entries; a period with rate 0 has none.
        let target = u * total_mass(&self.periods);
        let mut before = 0.0;
        for (start, p, m) in spans(&self.periods) {
            if m > 0.0 && target < before + m {
                return (start + (target - before) / p.relative_rate).min(p.end_h);
            }
            before += m;
        }
        // u at the top of the range (rounding): the end of the last period with entries.
        self.last_entry_h()
    }
}

/// Each period of a piecewise-constant enrolment rate with its start, hours, and its mass
/// (length × relative rate: its share of the entries before normalising).
fn spans(periods: &[AccrualPeriod]) -> impl Iterator<Item = (f64, &AccrualPeriod, f64)> {
    std::iter::once(0.0).chain(periods.iter().map(|p| p.end_h)).zip(periods).map(|(start, p)| (start, p, (p.end_h - start) * p.relative_rate))
}

/// The enrolment's total mass (the sum of [`spans`]' masses), by which entry shares are
/// normalised.
pub(crate) fn total_mass(periods: &[AccrualPeriod]) -> f64 {
    spans(periods).map(|(_, _, m)| m).sum()
}

/// How long each patient is followed when entry is staggered.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FollowUp {
    /// `study.duration_days` from each patient's entry.
    Fixed,
    /// Until the study's common end, `study.duration_days` after the start of enrolment.
    ToStudyEnd,
}

impl Scenario {
    /// How long a patient who entered at calendar time `entry_h` is followed, hours from
    /// their entry.
    pub fn follow_up_h(&self, entry_h: f64) -> f64 {
        match self.accrual {
            Some(Accrual { follow_up: FollowUp::ToStudyEnd, .. }) => self.duration_h - entry_h,
            _ => self.duration_h,
        }
    }
}
