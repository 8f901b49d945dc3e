//! What a run produces: rows for the trials, arms, patients and observations tables, and
//! the [`Sink`] that receives them (the DuckDB writer in `vtrial-store`; a vector in tests).
//! Rows of a trial are sorted by patient before they leave the engine.

/// One trial (a replicate at a scenario point).
#[derive(Debug, Clone, PartialEq)]
pub struct TrialRow {
    /// Scenario point.
    pub point: u32,
    /// Replicate.
    pub replicate: u32,
    /// Patients enrolled.
    pub n_patients: u32,
    /// Patients who dropped out.
    pub n_dropouts: u32,
    /// Patients whose simulation failed (excluded from the analysis).
    pub n_failed: u32,
    /// Patients with an adverse event.
    pub n_ae: u32,
    /// Whether every comparison of the primary endpoint rejected its null hypothesis
    /// (after the multiplicity adjustment); `None` when the primary endpoint has none.
    pub success: Option<bool>,
    /// With interim looks: the look (1-based) at which the trial stopped (the last when it
    /// ran to the end).
    pub stopped_look: Option<u32>,
    /// With interim looks: why it stopped there (`efficacy`, `futility`, `not_rejected`).
    pub stop_reason: Option<&'static str>,
    /// Calendar day of the analysis that decided the trial (the stopping look's, or the
    /// final one's: the end of the study, or the day of the planned events).
    pub analysis_day: f64,
    /// Time-to-event primary: the events of its comparisons' arms that analysis saw.
    pub analysis_events: Option<u32>,
    /// Patients who had entered by that analysis's day (all of them without accrual).
    pub enrolled_at_analysis: u32,
}

/// One look of a group-sequential trial at its primary comparison (looks up to the one it
/// stopped at).
#[derive(Debug, Clone, PartialEq)]
pub struct LookRow {
    /// Scenario point.
    pub point: u32,
    /// Replicate.
    pub replicate: u32,
    /// Look number, 1-based.
    pub look: u32,
    /// Planned information fraction.
    pub information: f64,
    /// Patients analysed in the two arms.
    pub patients: u32,
    /// Events in the two arms (time-to-event endpoints).
    pub events: Option<u32>,
    /// Calendar day of the look: the data cut of a look by events; when the analysed
    /// patients have completed follow-up for a look by patients; the final analysis's day at
    /// the final look.
    pub cut_day: f64,
    /// The primary comparison's p-value (`None`: not analysable at this look).
    pub p_value: Option<f64>,
    /// Its standardised statistic on the boundary's scale (`|z|` for two-sided tests).
    pub z: Option<f64>,
    /// The efficacy boundary on z.
    pub efficacy_z: f64,
    /// The look's nominal level: the trial stops for efficacy when `p_value` is at or below.
    pub level: f64,
    /// The futility boundary on z (interim looks with one).
    pub futility_z: Option<f64>,
    /// The primary comparison's estimate at this look (its scale: a difference, log odds,
    /// log hazard ratio).
    pub estimate: Option<f64>,
    /// Its standard error.
    pub std_error: Option<f64>,
    /// The repeated confidence interval (Jennison & Turnbull, ch. 9): the estimate ± the
    /// look's efficacy boundary in standard errors (on the test's own reference
    /// distribution: Student's t with the look's df for t tests). Together the looks'
    /// intervals cover the truth with probability at least `rci_level`, whenever the trial
    /// stops (approximately for tests whose p-value is not the Wald statistic).
    pub rci: Option<(f64, f64)>,
    /// Their simultaneous coverage: 1 − 2α for a one-sided design at α, 1 − α two-sided.
    pub rci_level: f64,
    /// The simulated truth for the patients analysed at this look.
    pub truth: Option<f64>,
    /// At the look the trial stopped at: the stage-wise ordering p-value of the primary
    /// comparison (the null probability of stopping earlier for efficacy or here with a
    /// larger statistic; two-sided designs: twice that of |z|). At most alpha exactly when
    /// the trial rejected; uniform under the null without a futility rule. `None` at the
    /// other looks.
    pub p_stagewise: Option<f64>,
    /// At the stopping look of a one-sided design: the stage-wise median-unbiased estimate
    /// of the primary comparison's parameter (its scale, as `estimate`), and ...
    pub estimate_stagewise: Option<f64>,
    /// ... the stage-wise `1 − 2α` confidence interval, which covers the truth at its level
    /// however the trial stopped for efficacy or at the end (the naive interval does not;
    /// a futility rule is ignored, which biases both towards the null).
    pub ci_stagewise: Option<(f64, f64)>,
    /// `continue`, `efficacy`, `futility` or `not_rejected`.
    pub outcome: &'static str,
    /// Why the primary comparison could not be analysed.
    pub failure: Option<String>,
}

/// One comparison of one endpoint in one trial: treatment against control.
#[derive(Debug, Clone, PartialEq)]
pub struct ComparisonRow {
    /// Scenario point.
    pub point: u32,
    /// Replicate.
    pub replicate: u32,
    /// Endpoint index (0: primary, then the secondary endpoints in file order).
    pub endpoint: u32,
    /// Comparison index within the endpoint, in testing order.
    pub comparison: u32,
    /// Control arm index.
    pub control: u32,
    /// Treatment arm index.
    pub treatment: u32,
    /// The statistics library's name of the test that ran (e.g. `diff_prop_newcombe`,
    /// `logrank_stratified`); `None` when the analysis failed.
    pub test: Option<&'static str>,
    /// Patients analysed in the control arm.
    pub n_control: u32,
    /// Patients analysed in the treatment arm.
    pub n_treatment: u32,
    /// Events in both arms (time-to-event endpoints).
    pub events: Option<u32>,
    /// Treatment − control estimate (log odds or hazard ratio where the method says so).
    pub estimate: Option<f64>,
    /// Its standard error.
    pub std_error: Option<f64>,
    /// Confidence interval (two-sided level 1 − alpha, or one-sided 1 − alpha bounds).
    pub ci: Option<(f64, f64)>,
    /// Test statistic.
    pub statistic: Option<f64>,
    /// Degrees of freedom (t tests).
    pub df: Option<f64>,
    /// Unadjusted p-value.
    pub p_value: Option<f64>,
    /// p-value after the multiplicity adjustment.
    pub p_adjusted: Option<f64>,
    /// Null hypothesis rejected.
    pub decision: Option<bool>,
    /// Simulated truth for these patients (see `analysis`).
    pub truth: Option<f64>,
    /// Why the comparison could not be analysed.
    pub failure: Option<String>,
}

/// A patient whose simulation failed (written at every detail level).
#[derive(Debug, Clone, PartialEq)]
pub struct FailureRow {
    /// Scenario point.
    pub point: u32,
    /// Replicate.
    pub replicate: u32,
    /// Patient number within the trial.
    pub patient: u32,
    /// Arm index.
    pub arm: u32,
    /// Why the simulation failed.
    pub reason: String,
}

/// One arm of one trial.
#[derive(Debug, Clone, PartialEq)]
pub struct ArmRow {
    /// Scenario point.
    pub point: u32,
    /// Replicate.
    pub replicate: u32,
    /// Arm index (file order).
    pub arm: u32,
    /// Patients enrolled.
    pub n: u32,
    /// Patients who completed.
    pub n_completed: u32,
    /// Dropouts.
    pub n_dropouts: u32,
    /// Failed simulations.
    pub n_failed: u32,
    /// Patients with an adverse event.
    pub n_ae: u32,
    /// Events (time-to-event endpoint).
    pub n_events: u32,
    /// Patients with a primary endpoint value.
    pub endpoint_n: u32,
    /// Mean of the primary endpoint (share of responders for a responder endpoint).
    pub endpoint_mean: Option<f64>,
    /// Its SD.
    pub endpoint_sd: Option<f64>,
    /// Mean exposure (the response model's metric, or AUC at steady state).
    pub exposure_mean: Option<f64>,
}

/// How a patient left the study.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    /// Completed the study.
    Completed,
    /// Dropped out (constant hazard).
    Dropout,
    /// Discontinued after an adverse event.
    AeDiscontinued,
    /// The simulation failed (see the reason).
    Failed,
}

impl Status {
    /// Name stored in the database.
    pub fn name(self) -> &'static str {
        match self {
            Status::Completed => "completed",
            Status::Dropout => "dropout",
            Status::AeDiscontinued => "ae_discontinued",
            Status::Failed => "failed",
        }
    }
}

/// One patient.
#[derive(Debug, Clone, PartialEq)]
pub struct PatientRow {
    /// Scenario point.
    pub point: u32,
    /// Replicate.
    pub replicate: u32,
    /// Patient number within the trial (enrolment order).
    pub patient: u32,
    /// Arm index.
    pub arm: u32,
    /// Calendar day of entry (`[design.accrual]`; 0 without it). The other days of the row
    /// are the patient's own, from entry.
    pub entry_day: f64,
    /// Age, years.
    pub age: Option<f64>,
    /// Sex label.
    pub sex: Option<String>,
    /// Weight, kg.
    pub weight: Option<f64>,
    /// eGFR, mL/min/1.73 m².
    pub egfr: Option<f64>,
    /// Body-surface area, m².
    pub bsa: Option<f64>,
    /// Creatinine clearance, mL/min.
    pub crcl: Option<f64>,
    /// Status.
    pub status: Status,
    /// Time of leaving the study early, days.
    pub dropout_day: Option<f64>,
    /// Time of the first adverse event, days.
    pub ae_day: Option<f64>,
    /// Time to event or censoring, days (time-to-event models).
    pub event_day: Option<f64>,
    /// Whether the event was observed (false: censored).
    pub event_observed: Option<bool>,
    /// Total dose taken, mg.
    pub dose_mg: f64,
    /// One dose of the regimen's last phase for this patient (scaled, rounded, capped; with
    /// drug monitoring, as the last trough before completing or leaving set it), mg; `None`
    /// for placebo or a patient who failed before dosing.
    pub maintenance_dose_mg: Option<f64>,
    /// Drug monitoring (`[arms.tdm]`): troughs taken in the study that changed the dose;
    /// `None` without it.
    pub tdm_dose_changes: Option<u32>,
    /// The regimen given, as written: the arm's, or that of the first `[[arms.adjust]]` rule
    /// whose condition held; `None` when the patient failed before dosing.
    pub regimen: Option<String>,
    /// That rule's 0-based index in the arm's `[[arms.adjust]]` list (`None`: the arm's own
    /// regimen).
    pub adjust_rule: Option<u32>,
    /// Exposure metric of the response model (or AUC at steady state).
    pub exposure: Option<f64>,
    /// Baseline response.
    pub baseline: Option<f64>,
    /// Primary endpoint value (responders: 1/0).
    pub endpoint: Option<f64>,
    /// Why the simulation failed.
    pub failure: Option<String>,
}

/// What an observation is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ObservationKind {
    /// Drug concentration (mg/L, with residual error).
    Concentration,
    /// Response measurement (with residual error).
    Response,
    /// Time-to-event endpoint: 1 event, 0 censored.
    Event,
    /// First adverse event.
    AdverseEvent,
    /// Leaving the study early.
    Dropout,
    /// A drug-monitoring trough (mg/L, with residual error), `[arms.tdm]`.
    Trough,
}

impl ObservationKind {
    /// Name stored in the database.
    pub fn name(self) -> &'static str {
        match self {
            ObservationKind::Concentration => "concentration",
            ObservationKind::Response => "response",
            ObservationKind::Event => "event",
            ObservationKind::AdverseEvent => "adverse_event",
            ObservationKind::Dropout => "dropout",
            ObservationKind::Trough => "trough",
        }
    }
}

/// One observation.
#[derive(Debug, Clone, PartialEq)]
pub struct ObservationRow {
    /// Scenario point.
    pub point: u32,
    /// Replicate.
    pub replicate: u32,
    /// Patient.
    pub patient: u32,
    /// Time after the first dose, hours.
    pub time_h: f64,
    /// Kind.
    pub kind: ObservationKind,
    /// Value.
    pub value: f64,
}

/// Everything one trial produces.
#[derive(Debug, Clone, PartialEq)]
pub struct TrialOutput {
    /// The trial.
    pub trial: TrialRow,
    /// Its comparisons, by endpoint then comparison (with interim looks: at the look the
    /// trial stopped at).
    pub comparisons: Vec<ComparisonRow>,
    /// Its interim looks, in order (empty without a group-sequential design).
    pub looks: Vec<LookRow>,
    /// Its arms, in arm order.
    pub arms: Vec<ArmRow>,
    /// Its patients whose simulation failed, by patient number.
    pub failures: Vec<FailureRow>,
    /// Its patients (detail `patient` and above), by patient number.
    pub patients: Vec<PatientRow>,
    /// Its observations (detail `observation`), by patient then time.
    pub observations: Vec<ObservationRow>,
    /// Per arm, per `[[arms.adjust]]` rule: patients whose condition chose that rule (not
    /// stored; the run summary warns about rules that never fire).
    pub adjusted: Vec<Vec<u32>>,
}

/// Receives the trials of a run, in block-major order (see the driver).
pub trait Sink {
    /// Takes a batch of trials. An error stops the run.
    fn write(&mut self, batch: Vec<TrialOutput>) -> Result<(), SinkError>;
}

/// A sink's failure, as text (the store's error type is not known here).
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("{0}")]
pub struct SinkError(pub String);

impl Sink for Vec<TrialOutput> {
    fn write(&mut self, batch: Vec<TrialOutput>) -> Result<(), SinkError> {
        self.extend(batch);
        Ok(())
    }
}
