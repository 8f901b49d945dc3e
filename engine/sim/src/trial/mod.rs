//! One trial as a bevy_ecs World: patients are entities, each domain a system set run in a
//! fixed order.
//!
//! ```text
//! setup   : Individual ─▶ Dosing ─▶ Pharmacokinetics ─▶ Events        (once)
//! visit k : Status ─▶ Response                                         (once per visit)
//! end     : rows sorted by PatientId, endpoints, every comparison (vtrial-stats), success
//! ```
//!
//! - Individual: PK parameters (typical value × covariates × exp(η), η ~ N(0, Ω)) and
//!   response parameters;
//! - Dosing: the arm's regimen or the first dose adjustment whose condition holds, per-kg
//!   amounts, missed doses (compliance);
//! - Pharmacokinetics: the doses actually taken through the PK library's event simulator
//!   (closed-form linear models): concentrations at the PK sampling times, on the grid a
//!   turnover model needs, and the steady-state metrics of the maintenance regimen;
//! - Events: time to event, first adverse event (hazard from Cmax at steady state while on
//!   drug), dropout (constant hazard, or discontinuation after an adverse event);
//! - Status / Response: at each visit, patients still in the study are measured.
//!
//! Every random number comes from a stream keyed by (seed, point, replicate, patient,
//! purpose), so results depend neither on threads nor on query order; nothing reads Entity
//! ids. A patient whose simulation fails keeps its row, with the reason, and is left out of
//! the analysis.

use std::sync::Arc;

use bevy_ecs::prelude::*;
use bevy_ecs::schedule::{LogLevel, ScheduleBuildSettings};
use rand::Rng;
use rand_chacha::ChaCha8Rng;
use rand_distr::{Distribution, StandardNormal};
use vtrial_expr::Value;
use vtrial_pk::linear::{LinearParams, LinearPk};
use vtrial_pk::nonlinear::{Dynamics, MichaelisMenten, OdeModel, OdePk};
use vtrial_pk::ode::SolverOptions;
use vtrial_pk::population::{purpose, rng_stream};
use vtrial_pk::{Dose, DoseInput, PkError, PkSystem, Record, RecordKind, Simulator, SteadyState};
use vtrial_response::course::onset;
use vtrial_response::emax::Emax;
use vtrial_response::turnover::Turnover;
use vtrial_stats::continuous::mean_var;
use vtrial_stats::dist::normal;

use crate::analysis::{self, Subject};

mod analyses;
use analyses::{Calendar, analysis_day, assessment_visit, comparisons, endpoint_value, is_success, sequential_comparisons};
use crate::regimen::{BodySize, Regimen, ScheduledDose};
use crate::sequential::{DataCut, LookOutcome, data_cut, decide, z_of_p};
use crate::rows::*;
use crate::scenario::{Detail, DrugEffect, Endpoint, EndpointKind, Exposure, Interim, Param, PkKind, PkModel, Scenario, TteEffect};

/// Purposes of the engine's own random streams (beyond `vtrial_pk::population::purpose`).
/// Their values enter the key derivation: never renumber them.
pub mod engine_purpose {
    /// Time to event.
    pub const EVENTS: u64 = 0x5101;
    /// Adverse events.
    pub const SAFETY: u64 = 0x5102;
    /// Residual errors of therapeutic drug monitoring samples.
    pub const MONITORING: u64 = 0x5103;
    /// Entry times (`[design.accrual]`), one stream per trial.
    pub const ACCRUAL: u64 = 0x5104;
}

/// A patient entering a trial.
#[derive(Debug, Clone)]
pub struct Enrolled {
    /// Covariates for expressions, in the scenario's covariate order.
    pub values: Vec<Value>,
    /// The same as numbers (labels coded), for covariate models.
    pub nums: Vec<f64>,
    /// Arm index.
    pub arm: usize,
    /// Randomisation stratum (0 without strata): analyses stratify by it.
    pub stratum: u32,
    /// Why the patient fails before simulation (a stratum expression undefined for them);
    /// recorded as any other failure.
    pub failure: Option<String>,
}

/// The patient's number in the trial (enrolment order).
#[derive(Component, Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct PatientId(pub u32);

/// Covariates.
#[derive(Component, Debug)]
struct Covariates {
    values: Vec<Value>,
    nums: Vec<f64>,
}

/// Arm.
#[derive(Component, Debug, Clone, Copy)]
struct ArmIdx(usize);

/// Randomisation stratum.
#[derive(Component, Debug, Clone, Copy)]
struct Stratum(u32);

/// Individual parameters.
#[derive(Component, Debug, Default)]
struct Individual {
    pk: Option<PkParams>,
    baseline: f64,
    emax: f64,
    ec50: f64,
    hill: f64,
    kout: f64,
    max: f64,
    c50: f64,
    tte_ec50: f64,
    /// Standard-normal residuals of the response, one per visit.
    residuals: Vec<f64>,
}

/// Individual PK parameters: `linear` for closed-form models, `mm` for Michaelis–Menten.
#[derive(Debug, Clone, Copy, Default)]
struct PkParams {
    linear: LinearParams,
    mm: MmParams,
}

/// Parameters of a one-compartment Michaelis–Menten model (engine units: mg/h, mg/L, L, 1/h).
#[derive(Debug, Clone, Copy, PartialEq, Default)]
struct MmParams {
    vmax: f64,
    km: f64,
    v: f64,
    ka: f64,
}

/// Tolerances of the ODE path of nonlinear models.
fn mm_solver() -> SolverOptions {
    SolverOptions { rtol: 1e-7, atol: 1e-9, ..SolverOptions::default() }
}

/// A patient's PK system: the PK library's closed form, or its ODE path for Michaelis–Menten
/// elimination (both carry the AUC of the central amount as their last state component).
fn pk_system(model: &PkModel, p: &PkParams) -> Result<Dynamics, PkError> {
    Ok(match model.kind {
        PkKind::Linear(s) => Dynamics::Closed(LinearPk::with_auc(s, p.linear)?),
        PkKind::MichaelisMenten { oral } => {
            let MmParams { vmax, km, v, ka } = p.mm;
            let model = MichaelisMenten { vmax, km, v, cl: 0.0, ka: oral.then_some(ka), peripheral: None };
            model.validate()?;
            Dynamics::Ode(OdePk::new(OdeModel::MichaelisMenten(model), mm_solver()).with_auc())
        }
    })
}

/// The central volume of a patient's PK model, L.
fn central_volume(model: &PkModel, p: &PkParams) -> f64 {
    match model.kind {
        PkKind::Linear(_) => p.linear.v,
        PkKind::MichaelisMenten { .. } => p.mm.v,
    }
}

/// Doses taken (missed doses removed; doses after leaving the study are not counted in
/// the stored total).
#[derive(Component, Debug, Default)]
struct Dosing {
    regimen: Option<Regimen>,
    /// The `[[arms.adjust]]` rule that gave the regimen (`None`: the arm's own).
    rule: Option<usize>,
    doses: Vec<ScheduledDose>,
    planned: usize,
    /// One maintenance dose for this patient as the regimen gives it (scaled, rounded,
    /// capped), mg; drug monitoring's changes are in `troughs` ([`Dosing::maintenance_now`]).
    maintenance_mg: f64,
    /// Drug monitoring: each sample, in time order.
    troughs: Vec<TroughSample>,
}

/// One drug-monitoring sample.
#[derive(Debug, Clone, Copy)]
struct TroughSample {
    time_h: f64,
    /// Measured trough, mg/L (with residual error).
    measured: f64,
    /// Whether it changed a dose.
    changed: bool,
    /// The maintenance dose after it, mg.
    maintenance_mg: f64,
}

impl Dosing {
    /// The troughs taken while the patient was in the study (`in_study` of their time), the
    /// number of them that changed the dose, and the maintenance dose in effect when they
    /// left. (The PK, AE hazard and exposure use the final dose: an AE that ends
    /// participation is only known after monitoring.)
    fn monitored_while(&self, in_study: impl Fn(f64) -> bool + Copy) -> (impl Iterator<Item = &TroughSample>, u32, f64) {
        let on_study = move || self.troughs.iter().take_while(move |t| in_study(t.time_h));
        let changes = on_study().filter(|t| t.changed).count() as u32;
        let dose = on_study().last().map_or(self.maintenance_mg, |t| t.maintenance_mg);
        (on_study(), changes, dose)
    }

    /// The maintenance dose after every drug-monitoring sample so far, mg (what the PK, the
    /// steady-state metrics and the AE hazard use).
    fn maintenance_now(&self) -> f64 {
        self.troughs.last().map_or(self.maintenance_mg, |t| t.maintenance_mg)
    }
}

/// Concentrations on a grid (half the turnover step, plus every dose time), each with its
/// value just before and just after the doses at that time: a bolus makes the profile jump,
/// and the turnover integration reads a step's start from the right and its end from the
/// left (see `Turnover::simulate_with_jumps`). Between grid times it is interpolated linearly.
#[derive(Debug, Default)]
struct Profile {
    times: Vec<f64>,
    before: Vec<f64>,
    after: Vec<f64>,
    /// Dose times (where `after` may differ from `before`) and infusion ends.
    jumps: Vec<f64>,
}

impl Profile {
    /// The concentration at `t`, from the right (`after`) or the left at a grid time.
    fn at(&self, t: f64, after: bool) -> f64 {
        let k = self.times.partition_point(|&s| s <= t);
        if k == 0 {
            return 0.0;
        }
        let i = k - 1;
        if self.times[i] == t {
            return if after { self.after[i] } else { self.before[i] };
        }
        if i + 1 == self.times.len() {
            return self.after[i];
        }
        let w = (t - self.times[i]) / (self.times[i + 1] - self.times[i]);
        self.after[i] * (1.0 - w) + self.before[i + 1] * w
    }
}

/// PK results.
#[derive(Component, Debug, Default)]
struct Pk {
    /// (time h, concentration mg/L without residual error) at the PK sampling times.
    samples: Vec<(f64, f64)>,
    /// The concentration profile a turnover response integrates over.
    profile: Profile,
    /// Concentrations at the visits.
    at_visits: Vec<f64>,
    auc_ss: f64,
    cavg_ss: f64,
    cmax_ss: f64,
    ctrough_ss: f64,
}

/// How the patient's study goes.
#[derive(Component, Debug)]
struct Course {
    status: Status,
    /// Calendar time of entry, hours after the start of enrolment (0 without accrual).
    entry_h: f64,
    /// End of the patient's follow-up in their own time (hours after entry): the study's
    /// duration, or less with a common study end.
    end_h: f64,
    leave_h: f64,
    ae_h: Option<f64>,
    tte: Option<(f64, bool)>,
    /// The patient's log hazard ratio of the time-to-event model (0 off drug).
    log_hr: f64,
    failure: Option<String>,
    active: bool,
}

impl Course {
    /// Whether the patient is in the study at `t` (own time, hours): before leaving it
    /// early, and up to the end of their follow-up.
    fn in_study(&self, t: f64) -> bool {
        t < self.leave_h && t <= self.end_h
    }
}

impl Default for Course {
    fn default() -> Self {
        Course { status: Status::Completed, entry_h: 0.0, end_h: f64::INFINITY, leave_h: f64::INFINITY, ae_h: None, tte: None, log_hr: 0.0, failure: None, active: true }
    }
}

/// Responses at the visits (NaN: not measured), and their noise-free expectations as if
/// the patient stayed in the study (the simulated truth).
#[derive(Component, Debug, Default)]
struct Measurements {
    measured: Vec<f64>,
    expected: Vec<f64>,
}

/// The trial being simulated.
#[derive(Resource)]
struct Ctx {
    scenario: Arc<Scenario>,
    point: u32,
    replicate: u32,
}

impl Ctx {
    fn rng(&self, patient: PatientId, purpose: u64) -> ChaCha8Rng {
        rng_stream(self.scenario.seed, &[u64::from(self.point), u64::from(self.replicate), u64::from(patient.0), purpose])
    }
}

/// The visit being run.
#[derive(Resource, Debug, Default)]
struct Clock {
    visit: usize,
    time_h: f64,
}

/// The system sets, one per domain, in this order.
#[derive(SystemSet, Debug, Clone, PartialEq, Eq, Hash)]
enum Domain {
    Individual,
    Dosing,
    Monitoring,
    Pharmacokinetics,
    Events,
    Status,
    Response,
}

fn draw_param(p: &Param, cov: &Covariates, names: &[String], rng: &mut ChaCha8Rng) -> Result<f64, String> {
    let lookup = |n: &str| names.iter().position(|x| x == n).map(|i| cov.nums[i]).filter(|v| !v.is_nan());
    let tv = p.typical.typical_value(lookup).map_err(|e| e.to_string())?;
    let z1: f64 = StandardNormal.sample(rng);
    let z2: f64 = StandardNormal.sample(rng);
    Ok(tv * (p.omega.sqrt() * z1).exp() + p.sd * z2)
}

fn individual(ctx: Res<Ctx>, mut q: Query<(&PatientId, &Covariates, &mut Individual, &mut Course)>) {
    let s = &*ctx.scenario;
    for (id, cov, mut ind, mut course) in &mut q {
        let result = (|| -> Result<Individual, String> {
            let mut out = Individual { hill: 1.0, ..Default::default() };
            let lookup = |n: &str| s.covariates.iter().position(|x| x == n).map(|i| cov.nums[i]).filter(|v| !v.is_nan());
            if let Some(pk) = &s.pk {
                let mut eta = vec![0.0; pk.omega.as_ref().map_or(0, |o| o.dim())];
                if let Some(o) = &pk.omega {
                    o.sample(&mut ctx.rng(*id, purpose::IIV), &mut eta);
                }
                let mut params = PkParams::default();
                for (name, p) in &pk.params {
                    let v = p.value(lookup, &eta).map_err(|e| format!("PK parameter {name}: {e}"))?;
                    match (pk.kind, *name) {
                        (PkKind::MichaelisMenten { .. }, "vmax") => params.mm.vmax = v,
                        (PkKind::MichaelisMenten { .. }, "km") => params.mm.km = v,
                        (PkKind::MichaelisMenten { .. }, "v") => params.mm.v = v,
                        (PkKind::MichaelisMenten { .. }, "ka") => params.mm.ka = v,
                        _ => {
                            params.linear.set(name, v);
                        }
                    }
                }
                out.pk = Some(params);
            }
            let mut rng = ctx.rng(*id, purpose::RESPONSE);
            let names = &s.covariates;
            if let Some(r) = &s.response {
                let mut res = ctx.rng(*id, purpose::RESIDUAL);
                out.residuals = (0..s.visits_h.len()).map(|_| StandardNormal.sample(&mut res)).collect();
                out.baseline = draw_param(&r.baseline, cov, names, &mut rng).map_err(|e| format!("response baseline: {e}"))?;
                match &r.drug {
                    DrugEffect::Emax { emax, ec50, hill, .. } => {
                        out.emax = draw_param(emax, cov, names, &mut rng)?;
                        out.ec50 = draw_param(ec50, cov, names, &mut rng)?;
                        out.hill = draw_param(hill, cov, names, &mut rng)?;
                    }
                    DrugEffect::Turnover { kout, max, c50, hill, .. } => {
                        out.kout = draw_param(kout, cov, names, &mut rng)?;
                        out.max = draw_param(max, cov, names, &mut rng)?;
                        out.c50 = draw_param(c50, cov, names, &mut rng)?;
                        out.hill = draw_param(hill, cov, names, &mut rng)?;
                    }
                }
            }
            if let Some(e) = &s.events
                && let TteEffect::Exposure { ec50, .. } = &e.effect
            {
                out.tte_ec50 = draw_param(ec50, cov, names, &mut rng)?;
            }
            Ok(out)
        })();
        match result {
            Ok(v) => *ind = v,
            Err(e) => fail(&mut course, e),
        }
    }
}

fn fail(course: &mut Course, reason: String) {
    if course.failure.is_none() {
        course.status = Status::Failed;
        course.failure = Some(reason);
        course.active = false;
    }
}

fn dosing(ctx: Res<Ctx>, mut q: Query<(&PatientId, &Covariates, &ArmIdx, &mut Dosing, &mut Course)>) {
    let s = &*ctx.scenario;
    let column = |name: &str| s.covariates.iter().position(|c| c == name);
    let (weight_col, bsa_col) = (column("weight"), column("bsa"));
    for (id, cov, arm, mut dosing, mut course) in &mut q {
        if course.failure.is_some() {
            continue;
        }
        let arm = &s.arms[arm.0];
        let mut regimen = &arm.regimen;
        for (k, adj) in arm.adjust.iter().enumerate() {
            // Three-valued, as inclusion criteria: a condition on a missing covariate is
            // unknown and does not select the alternative regimen.
            match adj.condition.eval_condition(&cov.values) {
                Ok(Some(true)) => {
                    regimen = &adj.regimen;
                    dosing.rule = Some(k);
                    break;
                }
                Ok(Some(false) | None) => {}
                Err(e) => {
                    fail(&mut course, format!("dose adjustment {:?}: {e}", adj.when));
                    break;
                }
            }
        }
        if course.failure.is_some() || regimen.is_placebo() {
            continue;
        }
        let body = BodySize {
            weight_kg: weight_col.map_or(f64::NAN, |c| cov.nums[c]),
            bsa_m2: bsa_col.map_or(f64::NAN, |c| cov.nums[c]),
        };
        let unknown_size = regimen.phases.iter().find_map(|p| {
            let size = body.scale(p.basis);
            p.basis.covariate().filter(|_| !(size > 0.0 && size.is_finite())).map(|(name, unit)| (name, unit, size))
        });
        if let Some((name, unit, size)) = unknown_size {
            fail(&mut course, format!("dosing per {unit} needs the covariate `{name}`; this patient's is {size}"));
            continue;
        }
        let mut planned = Vec::new();
        regimen.doses(s.duration_h, &body, &mut planned);
        dosing.maintenance_mg = regimen.maintenance().map_or(0.0, |m| m.dose_mg(&body));
        let mut rng = ctx.rng(*id, purpose::DOSING);
        let p = s.missed_dose_probability;
        let Dosing { doses, .. } = &mut *dosing;
        doses.clear();
        for d in &planned {
            if p == 0.0 || rng.random::<f64>() >= p {
                doses.push(*d);
            }
        }
        dosing.planned = planned.len();
        dosing.regimen = Some(regimen.clone());
    }
}

/// Grid intervals used to find Cmax over one steady-state interval. The grid is
/// cubically spaced (`τ·(i/n)³`), dense early in the interval where oral and infusion
/// peaks are, and the maximum is refined by the parabola through the largest value and its
/// neighbours; Ctrough (the end of the interval) is exact.
const SS_GRID: usize = 32;

/// The grid times of one interval `tau`.
fn ss_times(tau: f64) -> impl Iterator<Item = f64> {
    (1..=SS_GRID).map(move |i| tau * (i as f64 / SS_GRID as f64).powi(3))
}

/// The sample times of one steady-state interval, 0 first: the grid, plus the time within
/// the interval at which an infusion of `infusion_h` ends, returned as the kink. The
/// concentration has a kink there (often the peak): as a sample of its own it is taken
/// exactly, and no refining parabola spans it (the grid alone was off by −3.4 % … +1.2 % for
/// 0.5–2 h infusions, found by review).
fn ss_sample_times(tau: f64, infusion_h: f64) -> (Vec<f64>, Option<f64>) {
    let mut times: Vec<f64> = std::iter::once(0.0).chain(ss_times(tau)).collect();
    let end = if infusion_h > 0.0 { infusion_h % tau } else { 0.0 };
    if end > 0.0 && !times.contains(&end) {
        times.push(end);
        times.sort_by(f64::total_cmp);
    }
    (times, (end > 0.0).then_some(end))
}

/// The maximum of samples `(x, y)` (x increasing), refined by the parabola through the
/// largest sample and its two neighbours (exact for a quadratic peak), unless the largest
/// sample is at one of the `kinks` (where the curve is not smooth: it is the peak itself).
pub fn refined_max(x: &[f64], y: &[f64], kinks: &[f64]) -> f64 {
    let Some((k, &m)) = y.iter().enumerate().max_by(|a, b| a.1.total_cmp(b.1)) else { return f64::NAN };
    if k == 0 || k + 1 == y.len() || kinks.contains(&x[k]) {
        return m;
    }
    let (x0, x1, x2) = (x[k - 1], x[k], x[k + 1]);
    let (y0, y1, y2) = (y[k - 1], m, y[k + 1]);
    let d = (x0 - x1) * (x0 - x2) * (x1 - x2);
    let a = (x2 * (y1 - y0) + x1 * (y0 - y2) + x0 * (y2 - y1)) / d;
    let b = (x2 * x2 * (y0 - y1) + x1 * x1 * (y2 - y0) + x0 * x0 * (y1 - y2)) / d;
    let c = (x1 * x2 * (x1 - x2) * y0 + x2 * x0 * (x2 - x0) * y1 + x0 * x1 * (x0 - x1) * y2) / d;
    if a >= 0.0 || !d.is_finite() {
        return m;
    }
    let v = c - b * b / (4.0 * a);
    // The parabola's vertex can only raise the estimate, and only a little.
    if v.is_finite() && v >= m { v } else { m }
}

/// A scheduled dose as a PK record (into the depot or central compartment, with F).
fn dose_record(pk_model: &PkModel, d: &ScheduledDose) -> Record {
    let mut dose = Dose::bolus(0, d.amount_mg);
    dose.bioavailability = pk_model.f;
    if d.infusion_h > 0.0 {
        dose.input = DoseInput::Duration(d.infusion_h);
    }
    Record { time: d.time_h, kind: RecordKind::Dose(dose), params: 0 }
}

/// When the patient drops out (the constant dropout hazard), and the uniform draw that decides
/// whether a first adverse event ends their participation: one stream, read by the
/// monitoring system (no trough is taken after a dropout) and by `events`.
fn dropout_draws(ctx: &Ctx, id: PatientId) -> (f64, f64) {
    let s = &*ctx.scenario;
    let mut rng = ctx.rng(id, purpose::DROPOUT);
    let u: f64 = 1.0 - rng.random::<f64>();
    let t_drop = if s.dropout_per_h > 0.0 { -u.ln() / s.dropout_per_h } else { f64::INFINITY };
    (t_drop, rng.random())
}

/// Therapeutic drug monitoring (`[arms.tdm]`, see `crate::monitoring`): on each monitoring
/// day before the patient drops out, the trough (before that day's doses) is simulated from
/// the doses so far, measured with the residual error, and a trough outside the window
/// changes every later dose.
fn monitoring(ctx: Res<Ctx>, mut sim: Local<Simulator>, mut q: Query<(&PatientId, &ArmIdx, &Individual, &mut Dosing, &mut Course)>) {
    let s = &*ctx.scenario;
    let Some(pk_model) = &s.pk else { return };
    let mut records: Vec<Record> = Vec::new();
    for (id, arm, ind, mut dosing, mut course) in &mut q {
        let Some(tdm) = &s.arms[arm.0].tdm else { continue };
        let Some(params) = ind.pk else { continue };
        if course.failure.is_some() || dosing.regimen.is_none() {
            continue;
        }
        let mut rng = ctx.rng(*id, engine_purpose::MONITORING);
        let central = pk_model.kind.central();
        let v = central_volume(pk_model, &params);
        let (t_drop, _) = dropout_draws(&ctx, *id);
        // Rounding and cap: the rule's, else those of the regimen's maintenance phase.
        let phase = dosing.regimen.as_ref().and_then(|r| r.maintenance().copied());
        let round_mg = tdm.round_mg.or(phase.and_then(|p| p.round_mg));
        let max_mg = tdm.max_mg.or(phase.and_then(|p| p.max_mg));
        let result = (|| -> Result<(), String> {
            for &t in tdm.times_h.iter().take_while(|&&t| t < t_drop) {
                records.clear();
                records.extend(dosing.doses.iter().take_while(|d| d.time_h < t).map(|d| dose_record(pk_model, d)));
                records.push(Record { time: t, kind: RecordKind::Observation, params: 0 });
                let mut model = [pk_system(pk_model, &params).map_err(|e| e.to_string())?];
                let last = records.len() - 1;
                let mut trough = 0.0;
                sim.run(&mut model, &records, |i, state| {
                    if i == last {
                        trough = state[central] / v;
                    }
                })
                .map_err(|e| e.to_string())?;
                let eps: f64 = StandardNormal.sample(&mut rng);
                let measured = pk_model.residual.apply(trough, eps);
                let before = dosing.maintenance_now();
                let mut changed = false;
                let mut maintenance_mg = before;
                if let Some(factor) = tdm.factor(measured) {
                    for d in dosing.doses.iter_mut().filter(|d| d.time_h >= t) {
                        let new = tdm.adjusted(d.amount_mg, factor, round_mg, max_mg);
                        changed |= new != d.amount_mg;
                        d.amount_mg = new;
                    }
                    maintenance_mg = tdm.adjusted(before, factor, round_mg, max_mg);
                    changed |= maintenance_mg != before;
                }
                dosing.troughs.push(TroughSample { time_h: t, measured, changed, maintenance_mg });
            }
            Ok(())
        })();
        if let Err(e) = result {
            fail(&mut course, format!("drug monitoring: {e}"));
        }
    }
}

fn pharmacokinetics(ctx: Res<Ctx>, mut sim: Local<Simulator>, mut q: Query<(&Individual, &Dosing, &mut Pk, &mut Course)>) {
    let s = &*ctx.scenario;
    let Some(pk_model) = &s.pk else { return };
    let nonlinear = matches!(pk_model.kind, PkKind::MichaelisMenten { .. });
    let need_ss_shape = nonlinear
        || matches!(s.response.as_ref().map(|r| &r.drug), Some(DrugEffect::Emax { exposure: Exposure::CmaxSs | Exposure::CtroughSs, .. }))
        || s.safety.is_some()
        || matches!(s.events.as_ref().map(|e| &e.effect), Some(TteEffect::Exposure { exposure: Exposure::CmaxSs | Exposure::CtroughSs, .. }));
    let grid_step = match s.response.as_ref().map(|r| &r.drug) {
        Some(DrugEffect::Turnover { step_h, .. }) => *step_h / 2.0,
        _ => 0.0,
    };
    let need_visits = matches!(s.response.as_ref().map(|r| &r.drug), Some(DrugEffect::Emax { exposure: Exposure::Concentration, .. }));
    let last_visit = s.visits_h.last().copied().unwrap_or(0.0);
    let mut records: Vec<Record> = Vec::new();
    // Observation slots: (time, what): 0 = PK sample k, 1 = grid point k, 2 = visit k.
    let mut slots: Vec<(f64, u8, usize)> = Vec::new();
    for (ind, dosing, mut pk, mut course) in &mut q {
        if course.failure.is_some() {
            continue;
        }
        let Some(params) = ind.pk else { continue };
        let Some(regimen) = &dosing.regimen else {
            // Placebo: no drug, every concentration is zero.
            pk.samples = s.pk_samples_h.iter().map(|&t| (t, 0.0)).collect();
            pk.profile = Profile::default();
            pk.at_visits = vec![0.0; s.visits_h.len()];
            continue;
        };
        let result = (|| -> Result<(), String> {
            let mut model = [pk_system(pk_model, &params).map_err(|e| e.to_string())?];
            let central = pk_model.kind.central();
            let v = central_volume(pk_model, &params);
            slots.clear();
            slots.extend(s.pk_samples_h.iter().enumerate().map(|(k, &t)| (t, 0u8, k)));
            // The turnover profile: the grid and every dose time up to the last visit, read
            // before (slot 1) and, at dose times, after the doses there (slot 3).
            let mut profile = Profile::default();
            if grid_step > 0.0 {
                let n_grid = (last_visit / grid_step).ceil() as usize + 2;
                // Dose times (a bolus jumps) and infusion ends (the slope jumps): no
                // turnover step crosses either.
                profile.jumps = dosing
                    .doses
                    .iter()
                    .flat_map(|d| [Some(d.time_h), (d.infusion_h > 0.0).then(|| d.time_h + d.infusion_h)])
                    .flatten()
                    .filter(|&t| t <= last_visit)
                    .collect();
                profile.jumps.sort_by(f64::total_cmp);
                profile.jumps.dedup();
                profile.times = (0..n_grid).map(|k| k as f64 * grid_step).chain(profile.jumps.iter().copied()).collect();
                profile.times.sort_by(f64::total_cmp);
                profile.times.dedup();
                profile.before = vec![0.0; profile.times.len()];
                profile.after = vec![f64::NAN; profile.times.len()];
                slots.extend(profile.times.iter().enumerate().map(|(k, &t)| (t, 1u8, k)));
                for &t in &profile.jumps {
                    let k = profile.times.partition_point(|&x| x < t);
                    slots.push((t, 3u8, k));
                }
            }
            if need_visits {
                slots.extend(s.visits_h.iter().enumerate().map(|(k, &t)| (t, 2u8, k)));
            }
            slots.sort_by(|a, b| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1)).then(a.2.cmp(&b.2)));
            // Records: observations come before a dose at the same time (pre-dose samples),
            // except the profile's after-dose reads (slot 3).
            records.clear();
            let mut di = 0;
            for &(t, what, _) in slots.iter() {
                while di < dosing.doses.len() && (dosing.doses[di].time_h < t || what == 3 && dosing.doses[di].time_h == t) {
                    records.push(dose_record(pk_model, &dosing.doses[di]));
                    di += 1;
                }
                records.push(Record { time: t, kind: RecordKind::Observation, params: 0 });
            }
            // Doses after the last observation cannot change any observed value: not simulated.
            pk.samples = vec![(0.0, 0.0); s.pk_samples_h.len()];
            pk.at_visits = vec![0.0; s.visits_h.len()];
            let mut obs = 0;
            let Pk { samples, at_visits, .. } = &mut *pk;
            sim.run(&mut model, &records, |i, state| {
                if matches!(records[i].kind, RecordKind::Observation) {
                    let (t, what, k) = slots[obs];
                    let c = state[central] / v;
                    match what {
                        0 => samples[k] = (t, c),
                        1 => profile.before[k] = c,
                        3 => profile.after[k] = c,
                        _ => at_visits[k] = c,
                    }
                    obs += 1;
                }
            })
            .map_err(|e| e.to_string())?;
            // Where no dose falls, the value after is the value before.
            for (after, &before) in profile.after.iter_mut().zip(&profile.before) {
                if after.is_nan() {
                    *after = before;
                }
            }
            pk.profile = profile;
            // Steady-state metrics of the maintenance phase.
            let m = regimen.maintenance().expect("not placebo");
            let amount = dosing.maintenance_now();
            let taken = if dosing.planned > 0 { dosing.doses.len() as f64 / dosing.planned as f64 } else { 1.0 };
            if !nonlinear {
                pk.auc_ss = pk_model.f * amount / params.linear.cl * taken;
            }
            if need_ss_shape {
                let tau = if m.interval_h > 0.0 { m.interval_h } else { 240.0 };
                let mut dose = Dose::bolus(0, amount);
                dose.bioavailability = pk_model.f;
                if m.infusion_h > 0.0 {
                    dose.input = DoseInput::Duration(m.infusion_h);
                }
                if m.interval_h > 0.0 {
                    dose.interval = m.interval_h;
                    dose.steady_state = SteadyState::Reset;
                }
                let (times, kink) = ss_sample_times(tau, if m.interval_h > 0.0 { m.infusion_h } else { 0.0 });
                let last = times.len() - 1;
                records.clear();
                records.push(Record { time: 0.0, kind: RecordKind::Dose(dose), params: 0 });
                records.extend(times[1..].iter().map(|&time| Record { time, kind: RecordKind::Observation, params: 0 }));
                let mut profile = vec![0.0; times.len()];
                let mut auc = [0.0; 2];
                let mut model = [pk_system(pk_model, &params).map_err(|e| e.to_string())?];
                let auc_index = model[0].n_cmt();
                sim.run(&mut model, &records, |i, state| {
                    profile[i] = state[central] / v;
                    if i == 0 || i == last {
                        auc[usize::from(i > 0)] = state[auc_index];
                    }
                })
                .map_err(|e| e.to_string())?;
                pk.cmax_ss = refined_max(&times, &profile, kink.as_slice());
                pk.ctrough_ss = profile[last];
                if nonlinear {
                    // AUC over one interval at steady state, from the integral of the
                    // central amount divided by the volume (linear models: CL·AUC = F·dose
                    // exactly, so the closed form is used).
                    let interval_auc = if m.interval_h > 0.0 { (auc[1] - auc[0]) / v } else { f64::NAN };
                    pk.auc_ss = interval_auc * taken;
                }
            }
            pk.cavg_ss = if m.interval_h > 0.0 { pk.auc_ss / m.interval_h } else { f64::NAN };
            Ok(())
        })();
        if let Err(e) = result {
            // The proportional rule assumes linear PK: say when it set the dose that failed.
            let monitored = if dosing.troughs.iter().any(|t| t.changed) {
                format!(" (drug monitoring had changed the maintenance dose to {} mg)", dosing.maintenance_now())
            } else {
                String::new()
            };
            fail(&mut course, format!("PK: {e}{monitored}"));
        }
    }
}

fn exposure_of(pk: &Pk, e: Exposure) -> f64 {
    match e {
        Exposure::AucSs => pk.auc_ss,
        Exposure::CavgSs => pk.cavg_ss,
        Exposure::CtroughSs => pk.ctrough_ss,
        Exposure::CmaxSs => pk.cmax_ss,
        Exposure::Concentration => f64::NAN,
    }
}

fn events(ctx: Res<Ctx>, mut q: Query<(&PatientId, &Individual, &Dosing, &Pk, &mut Course)>) {
    let s = &*ctx.scenario;
    for (id, ind, dosing, pk, mut course) in &mut q {
        if course.failure.is_some() {
            continue;
        }
        let end = course.end_h;
        let on_drug = dosing.regimen.is_some();
        // Dropout (constant hazard).
        let (t_drop, discontinue_u) = dropout_draws(&ctx, *id);
        let mut leave = (t_drop, Status::Dropout);
        // Adverse events.
        if let Some(ae) = &s.safety {
            let rate = if on_drug { ae.hazard.rate(pk.cmax_ss) } else { ae.hazard.background };
            let u: f64 = 1.0 - ctx.rng(*id, engine_purpose::SAFETY).random::<f64>();
            let t_ae = if rate > 0.0 { -u.ln() / rate } else { f64::INFINITY };
            if t_ae < end && t_ae < leave.0 {
                course.ae_h = Some(t_ae);
                if discontinue_u < ae.discontinue {
                    leave = (t_ae, Status::AeDiscontinued);
                }
            }
        }
        if leave.0 < end {
            course.leave_h = leave.0;
            course.status = leave.1;
        }
        // Time to event, censored at the end of follow-up or on leaving the study.
        if let Some(ev) = &s.events {
            let hr = match &ev.effect {
                _ if !on_drug => 1.0,
                TteEffect::HazardRatio(hr) => *hr,
                TteEffect::Exposure { exposure, max_log_hr, .. } => {
                    let x = exposure_of(pk, *exposure);
                    (max_log_hr * x / (ind.tte_ec50 + x)).exp()
                }
            };
            let u: f64 = 1.0 - ctx.rng(*id, engine_purpose::EVENTS).random::<f64>();
            let t = ev.baseline.sample(u, hr);
            course.log_hr = hr.ln();
            let censor = course.leave_h.min(end);
            course.tte = Some(if t <= censor { (t, true) } else { (censor, false) });
        }
    }
}

fn status(clock: Res<Clock>, mut q: Query<&mut Course>) {
    for mut course in &mut q {
        // Out of the study after leaving it, or after the end of their follow-up.
        if course.failure.is_none() && clock.time_h > 0.0 && (course.leave_h <= clock.time_h || clock.time_h > course.end_h) {
            course.active = false;
        }
    }
}

fn response(ctx: Res<Ctx>, clock: Res<Clock>, mut q: Query<(&Individual, &Dosing, &Pk, &Course, &mut Measurements)>) {
    let s = &*ctx.scenario;
    let Some(r) = &s.response else { return };
    let t = clock.time_h;
    for (ind, dosing, pk, course, mut m) in &mut q {
        if m.measured.is_empty() {
            m.measured = vec![f64::NAN; s.visits_h.len()];
            m.expected = vec![f64::NAN; s.visits_h.len()];
        }
        if course.failure.is_some() {
            continue;
        }
        let on_drug = dosing.regimen.is_some();
        let drug = match &r.drug {
            DrugEffect::Emax { exposure, onset_half_life_h, .. } => {
                let x = if !on_drug {
                    0.0
                } else if *exposure == Exposure::Concentration {
                    pk.at_visits[clock.visit]
                } else {
                    exposure_of(pk, *exposure)
                };
                let model = Emax { e0: 0.0, emax: ind.emax, ec50: ind.ec50, hill: ind.hill };
                if *exposure == Exposure::Concentration {
                    model.effect(x)
                } else {
                    onset(model.effect(x), *onset_half_life_h, t)
                }
            }
            DrugEffect::Turnover { kind, step_h, .. } => {
                let model = Turnover { kind: *kind, kin: ind.baseline * ind.kout, kout: ind.kout, max: ind.max, c50: ind.c50, hill: ind.hill };
                let profile = &pk.profile;
                model.simulate_with_jumps(ind.baseline, 0.0, &[t], *step_h, &profile.jumps, |x, after| profile.at(x, after))[0] - ind.baseline
            }
        };
        let expected = ind.baseline + r.placebo.at(t) + r.progression.at(t) + drug;
        m.expected[clock.visit] = expected;
        if course.active {
            m.measured[clock.visit] = expected + r.residual_sd * ind.residuals[clock.visit];
        }
    }
}

/// The regimen text a patient was given (see [`PatientRow::regimen`]).
fn regimen_given(s: &Scenario, o: &Outcome) -> Option<String> {
    let arm = &s.arms[o.arm];
    // No regimen is kept for placebo (nothing to dose) or for a patient who failed before
    // dosing started (covariate model, adjustment condition, per-kg dose without a weight).
    if o.dosing.regimen.is_none() && o.course.failure.is_some() {
        return None;
    }
    Some(match o.dosing.rule {
        Some(k) => arm.adjust[k].regimen_text.clone(),
        None => arm.regimen_text.clone(),
    })
}

/// Each patient's calendar entry time in enrolment order, hours: sorted draws from the
/// enrolment rate over the enrolment period (one stream per trial), or all 0 without
/// `[design.accrual]`.
fn entry_times_h(s: &Scenario, point: u32, replicate: u32, n: usize) -> Vec<f64> {
    let Some(accrual) = &s.accrual else { return vec![0.0; n] };
    // u64::MAX in the patient position: no patient's stream has this key.
    let mut rng = rng_stream(s.seed, &[u64::from(point), u64::from(replicate), u64::MAX, engine_purpose::ACCRUAL]);
    let mut times: Vec<f64> = (0..n).map(|_| accrual.entry_h(rng.random::<f64>())).collect();
    times.sort_by(f64::total_cmp);
    times
}

/// Simulates one trial and returns its rows.
pub fn simulate(scenario: &Arc<Scenario>, point: u32, replicate: u32, patients: Vec<Enrolled>) -> TrialOutput {
    let s = &**scenario;
    let mut world = World::new();
    world.insert_resource(Ctx { scenario: scenario.clone(), point, replicate });
    world.insert_resource(Clock::default());
    let entries = entry_times_h(s, point, replicate, patients.len());
    world.spawn_batch(patients.into_iter().zip(entries).enumerate().map(|(i, (p, entry_h))| {
        let mut course = Course { entry_h, end_h: s.follow_up_h(entry_h), ..Course::default() };
        if let Some(reason) = p.failure {
            fail(&mut course, reason);
        }
        (
            PatientId(i as u32),
            Covariates { values: p.values, nums: p.nums },
            ArmIdx(p.arm),
            Stratum(p.stratum),
            Individual::default(),
            Dosing::default(),
            Pk::default(),
            course,
            Measurements::default(),
        )
    }));
    let strict = ScheduleBuildSettings { ambiguity_detection: LogLevel::Error, ..Default::default() };
    let mut setup = Schedule::default();
    setup.set_build_settings(strict.clone());
    setup.configure_sets((Domain::Individual, Domain::Dosing, Domain::Monitoring, Domain::Pharmacokinetics, Domain::Events).chain());
    setup.add_systems((
        individual.in_set(Domain::Individual),
        dosing.in_set(Domain::Dosing),
        monitoring.in_set(Domain::Monitoring),
        pharmacokinetics.in_set(Domain::Pharmacokinetics),
        events.in_set(Domain::Events),
    ));
    setup.run(&mut world);
    let mut visit = Schedule::default();
    visit.set_build_settings(strict);
    visit.configure_sets((Domain::Status, Domain::Response).chain());
    visit.add_systems((status.in_set(Domain::Status), response.in_set(Domain::Response)));
    for (k, &t) in s.visits_h.iter().enumerate() {
        *world.resource_mut::<Clock>() = Clock { visit: k, time_h: t };
        visit.run(&mut world);
    }
    collect(&mut world, s, point, replicate)
}

/// Per-patient results in patient order.
struct Outcome<'a> {
    id: u32,
    cov: &'a Covariates,
    arm: usize,
    dosing: &'a Dosing,
    pk: &'a Pk,
    stratum: u32,
    course: &'a Course,
    m: &'a Measurements,
}

fn collect(world: &mut World, s: &Scenario, point: u32, replicate: u32) -> TrialOutput {
    let mut q = world.query::<(&PatientId, &Covariates, &ArmIdx, &Stratum, &Dosing, &Pk, &Course, &Measurements)>();
    let mut all: Vec<Outcome> = q
        .iter(world)
        .map(|(id, cov, arm, stratum, dosing, pk, course, m)| Outcome { id: id.0, cov, arm: arm.0, stratum: stratum.0, dosing, pk, course, m })
        .collect();
    all.sort_by_key(|o| o.id);
    let metric = s.response.as_ref().and_then(|r| match &r.drug {
        DrugEffect::Emax { exposure, .. } if *exposure != Exposure::Concentration => Some(*exposure),
        _ => None,
    });
    let exposure = |o: &Outcome| -> Option<f64> {
        if s.pk.is_none() || o.course.failure.is_some() {
            return None;
        }
        Some(exposure_of(o.pk, metric.unwrap_or(Exposure::AucSs))).filter(|x| x.is_finite())
    };
    // Each endpoint's value per patient, computed once (arms summarise the primary one).
    let endpoint_values: Vec<Vec<Option<f64>>> = s
        .endpoints
        .iter()
        .map(|e| {
            let at = assessment_visit(e, s);
            all.iter().map(|o| endpoint_value(e, at, o)).collect()
        })
        .collect();
    let endpoints = &endpoint_values[0];

    // Arms.
    let mut arms = Vec::with_capacity(s.arms.len());
    for a in 0..s.arms.len() {
        let members: Vec<usize> = (0..all.len()).filter(|&i| all[i].arm == a).collect();
        let count = |f: &dyn Fn(&Outcome) -> bool| members.iter().filter(|&&i| f(&all[i])).count() as u32;
        let values: Vec<f64> = members.iter().filter_map(|&i| endpoints[i]).collect();
        let (mean, var) = if values.is_empty() { (f64::NAN, f64::NAN) } else { mean_var(&values) };
        let exps: Vec<f64> = members.iter().filter_map(|&i| exposure(&all[i])).collect();
        arms.push(ArmRow {
            point,
            replicate,
            arm: a as u32,
            n: members.len() as u32,
            n_completed: count(&|o| o.course.status == Status::Completed),
            n_dropouts: count(&|o| matches!(o.course.status, Status::Dropout | Status::AeDiscontinued)),
            n_failed: count(&|o| o.course.status == Status::Failed),
            n_ae: count(&|o| o.course.ae_h.is_some()),
            n_events: count(&|o| o.course.tte.is_some_and(|t| t.1)),
            endpoint_n: values.len() as u32,
            endpoint_mean: Some(mean).filter(|x| x.is_finite()),
            endpoint_sd: Some(var.sqrt()).filter(|x| x.is_finite()),
            exposure_mean: if exps.is_empty() { None } else { Some(exps.iter().sum::<f64>() / exps.len() as f64) },
        });
    }

    let calendar = Calendar::new(s, &all, &endpoint_values);
    let (comparisons, looks, stop, cut) = match &s.interim {
        None => (comparisons(s, &all, &endpoint_values, calendar.last, 0..s.endpoints.len(), point, replicate), Vec::new(), None, calendar.last),
        Some(interim) => {
            let (rows, looks, (k, outcome, cut)) = sequential_comparisons(s, interim, &all, &endpoint_values, &calendar, point, replicate);
            (rows, looks, Some((k, outcome)), cut)
        }
    };
    let day = analysis_day(s, &all, cut);
    let primary_rows: Vec<&ComparisonRow> = comparisons.iter().filter(|c| c.endpoint == 0).collect();
    let trial = TrialRow {
        point,
        replicate,
        n_patients: all.len() as u32,
        n_dropouts: all.iter().filter(|o| matches!(o.course.status, Status::Dropout | Status::AeDiscontinued)).count() as u32,
        n_failed: all.iter().filter(|o| o.course.status == Status::Failed).count() as u32,
        n_ae: all.iter().filter(|o| o.course.ae_h.is_some()).count() as u32,
        success: (!primary_rows.is_empty()).then(|| primary_rows.iter().all(|c| is_success(&s.endpoints[0], c))),
        stopped_look: stop.map(|(k, _)| k as u32 + 1),
        stop_reason: stop.map(|(_, outcome)| outcome.name()),
        analysis_day: day,
        analysis_events: calendar.events_by(cut),
        enrolled_at_analysis: all.iter().filter(|o| o.course.entry_h / 24.0 < day).count() as u32,
    };

    let mut patients = Vec::new();
    let mut observations = Vec::new();
    if s.detail >= Detail::Patient {
        let col = |name: &str| s.covariates.iter().position(|c| c == name);
        let (age, sex, weight, egfr, bsa, crcl) = (col("age"), col("sex"), col("weight"), col("egfr"), col("bsa"), col("crcl"));
        for (o, ep) in all.iter().zip(endpoints) {
            let num = |c: Option<usize>| c.map(|i| o.cov.nums[i]).filter(|v| v.is_finite());
            let left_early = o.course.leave_h.is_finite() && o.course.failure.is_none();
            let regimen = regimen_given(s, o);
            let (_, dose_changes, final_dose) = o.dosing.monitored_while(|t| o.course.in_study(t));
            patients.push(PatientRow {
                point,
                replicate,
                patient: o.id,
                arm: o.arm as u32,
                entry_day: o.course.entry_h / 24.0,
                age: num(age),
                sex: sex.and_then(|i| o.cov.values[i].as_str().map(str::to_string)),
                weight: num(weight),
                egfr: num(egfr),
                bsa: num(bsa),
                crcl: num(crcl),
                status: o.course.status,
                dropout_day: left_early.then(|| o.course.leave_h / 24.0),
                ae_day: o.course.ae_h.map(|t| t / 24.0),
                event_day: o.course.tte.map(|t| t.0 / 24.0),
                event_observed: o.course.tte.map(|t| t.1),
                // Summed from +0.0: an empty f64 sum is -0.0, printed "-0" for placebo.
                dose_mg: o.dosing.doses.iter().filter(|d| o.course.in_study(d.time_h)).fold(0.0, |sum, d| sum + d.amount_mg),
                maintenance_dose_mg: o.dosing.regimen.as_ref().map(|_| final_dose),
                tdm_dose_changes: s.arms[o.arm].tdm.as_ref().and(o.dosing.regimen.as_ref()).map(|_| dose_changes),
                // NULL with the regimen: a patient who failed before dosing was given none.
                adjust_rule: o.dosing.rule.filter(|_| regimen.is_some()).map(|k| k as u32),
                regimen,
                exposure: exposure(o),
                baseline: s.response.as_ref().and_then(|_| o.m.measured.first().copied()).filter(|x| x.is_finite()),
                endpoint: *ep,
                failure: o.course.failure.clone(),
            });
        }
    }
    if s.detail >= Detail::Observation {
        let residual = s.pk.as_ref().map(|p| p.residual);
        for o in &all {
            if o.course.failure.is_some() {
                continue;
            }
            let obs = |time_h: f64, kind: ObservationKind, value: f64| ObservationRow { point, replicate, patient: o.id, time_h, kind, value };
            // No drug, no PK samples: a placebo patient's "concentrations" would be residual
            // noise around 0 (half of them negative).
            if let Some(res) = residual.filter(|_| !o.dosing.doses.is_empty()) {
                let mut rng = rng_stream(s.seed, &[u64::from(point), u64::from(replicate), u64::from(o.id), purpose::RESIDUAL, 1]);
                for &(time, c) in &o.pk.samples {
                    let eps: f64 = StandardNormal.sample(&mut rng);
                    if o.course.in_study(time) {
                        observations.push(obs(time, ObservationKind::Concentration, res.apply(c, eps)));
                    }
                }
            }
            for (k, &v) in o.m.measured.iter().enumerate() {
                if v.is_finite() {
                    observations.push(obs(s.visits_h[k], ObservationKind::Response, v));
                }
            }
            for t in o.dosing.monitored_while(|t| o.course.in_study(t)).0 {
                observations.push(obs(t.time_h, ObservationKind::Trough, t.measured));
            }
            if let Some(t) = o.course.ae_h {
                observations.push(obs(t, ObservationKind::AdverseEvent, 1.0));
            }
            if o.course.leave_h.is_finite() {
                observations.push(obs(o.course.leave_h, ObservationKind::Dropout, 1.0));
            }
            if let Some((t, ev)) = o.course.tte {
                observations.push(obs(t, ObservationKind::Event, if ev { 1.0 } else { 0.0 }));
            }
        }
        observations.sort_by(|a, b| a.patient.cmp(&b.patient).then(a.time_h.total_cmp(&b.time_h)));
    }
    let failures = all
        .iter()
        .filter_map(|o| {
            let reason = o.course.failure.clone()?;
            Some(FailureRow { point, replicate, patient: o.id, arm: o.arm as u32, reason })
        })
        .collect();
    let mut adjusted: Vec<Vec<u32>> = s.arms.iter().map(|a| vec![0; a.adjust.len()]).collect();
    for o in &all {
        if let Some(k) = o.dosing.rule {
            adjusted[o.arm][k] += 1;
        }
    }
    TrialOutput { trial, comparisons, looks, arms, failures, patients, observations, adjusted }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refined_max_of_smooth_peaks() {
        // One-compartment oral profiles over a 24 h interval: the refined grid maximum is
        // within 0.2 % of the analytic Cmax (tmax = ln(ka/k)/(ka − k)), for fast and slow
        // absorption.
        for (ka, k) in [(3.0f64, 0.1f64), (1.0, 0.1), (0.3, 0.05), (1.0, 0.5)] {
            let c = |t: f64| (-k * t).exp() - (-ka * t).exp();
            let tmax = (ka / k).ln() / (ka - k);
            let x: Vec<f64> = std::iter::once(0.0).chain(ss_times(24.0)).collect();
            let y: Vec<f64> = x.iter().map(|&t| c(t)).collect();
            let cmax = refined_max(&x, &y, &[]);
            assert!((cmax - c(tmax)).abs() < 2e-3 * c(tmax), "ka {ka}: {cmax} vs {}", c(tmax));
        }
        assert_eq!(refined_max(&[0.0, 1.0, 2.0], &[3.0, 2.0, 1.0], &[]), 3.0);
        // One-compartment IV infusions at steady state (k = 0.3/h, q12h): the peak is the
        // kink at the end of the infusion, sampled exactly (also when the infusion outlasts
        // the interval).
        let k = 0.3f64;
        let tau = 12.0;
        for dur in [0.5f64, 1.0, 2.0, 7.3, 15.0] {
            // Concentration over one interval at steady state, rate 1, by superposition of
            // the infusions started 0, τ, 2τ, … ago.
            let c = |t: f64| -> f64 {
                (0..200)
                    .map(|j| {
                        let s = t + f64::from(j) * tau;
                        let on = s.min(dur);
                        (1.0 - (-k * on).exp()) * (-k * (s - on)).exp() / k
                    })
                    .sum()
            };
            let (x, kink) = ss_sample_times(tau, dur);
            let y: Vec<f64> = x.iter().map(|&t| c(t)).collect();
            let peak = c(dur % tau);
            let cmax = refined_max(&x, &y, kink.as_slice());
            assert!((cmax - peak).abs() < 1e-9 * peak, "infusion {dur} h: {cmax} vs {peak}");
            // Without the end of the infusion among the samples the grid misses the kink.
            if dur < 3.0 {
                let grid: Vec<f64> = std::iter::once(0.0).chain(ss_times(tau)).collect();
                let y: Vec<f64> = grid.iter().map(|&t| c(t)).collect();
                assert!((refined_max(&grid, &y, &[]) - peak).abs() > 1e-4 * peak, "infusion {dur} h: the plain grid happens to be exact");
            }
        }
        let x = [0.0, 1.0, 2.0, 3.0, 4.0];
        let q: Vec<f64> = x.iter().map(|&t: &f64| -(t - 2.3f64).powi(2)).collect();
        assert!(refined_max(&x, &q, &[]).abs() < 1e-12);
    }
}
