//! The event simulator: NONMEM dosing semantics on top of any [`PkSystem`].
//!
//! Records are processed in order. Events implied by a dose record — lagged doses,
//! additional doses (ADDL), the ends of infusions — are kept in a queue and happen before
//! any record at the same time (as in NONMEM: an observation at the time a lagged or
//! additional bolus lands sees the dose). At a dose record the recorded state is the state
//! after the dose. Steady state (SS = 1, SS = 2) is solved as the periodic orbit of the
//! regimen, exactly for linear systems; the state at the dose record and the infusions of
//! earlier doses still running then are both set, so lag times, II < DUR and II = DUR
//! need no special cases.

use std::cmp::Ordering;
use std::collections::BinaryHeap;

use crate::PkError;
use crate::event::{Dose, Record, RecordKind, SteadyState};
use crate::system::PkSystem;

/// Which parameter set advances the system over the interval between two records.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ParamTiming {
    /// Next observation carried backward: the interval ending at record i uses record i's
    /// parameters (NONMEM's default).
    #[default]
    Nocb,
    /// Last observation carried forward: it uses record i−1's parameters (mrgsolve's default).
    Locf,
}

/// Settings of the simulator.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SimOptions {
    /// Parameter timing for time-varying covariates.
    pub param_timing: ParamTiming,
    /// Relative tolerance of the iterated steady state (nonlinear systems only).
    pub ss_rtol: f64,
    /// Most dosing intervals iterated to reach steady state (nonlinear systems only).
    pub ss_max_intervals: usize,
}

impl Default for SimOptions {
    fn default() -> Self {
        SimOptions { param_timing: ParamTiming::Nocb, ss_rtol: 1e-10, ss_max_intervals: 20_000 }
    }
}

/// A future event implied by a dose record.
#[derive(Debug, Clone, Copy)]
struct Pending {
    time: f64,
    seq: u64,
    event: PendingEvent,
}

#[derive(Debug, Clone, Copy)]
enum PendingEvent {
    /// Dose `k` of the train that starts at `start` (the record time plus lag).
    Dose { dose: Dose, start: f64, k: u32 },
    /// An infusion into `cmt` at `rate` stops.
    InfusionEnd { cmt: usize, rate: f64 },
}

impl PartialEq for Pending {
    fn eq(&self, other: &Self) -> bool {
        self.cmp(other) == Ordering::Equal
    }
}
impl Eq for Pending {}
impl PartialOrd for Pending {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}
impl Ord for Pending {
    /// Reversed, so that `BinaryHeap` pops the earliest event (then the first scheduled).
    fn cmp(&self, other: &Self) -> Ordering {
        other.time.total_cmp(&self.time).then(other.seq.cmp(&self.seq))
    }
}

/// Reusable simulator: owns the scratch space, so simulating many subjects allocates
/// little. One per worker thread.
#[derive(Debug, Default)]
pub struct Simulator {
    options: SimOptions,
    queue: BinaryHeap<Pending>,
    seq: u64,
    state: Vec<f64>,
    rates: Vec<f64>,
    /// Infusions running per compartment; the rate is zeroed exactly when none are left.
    running: Vec<u32>,
    stops: Vec<f64>,
}

impl Simulator {
    /// A simulator with these options.
    pub fn new(options: SimOptions) -> Self {
        Simulator { options, ..Default::default() }
    }

    /// Simulates one subject. `systems[r.params]` are the dynamics in effect for record
    /// `r` (see [`ParamTiming`]); all must have the same state size. `on_record(i, state)`
    /// receives the state after record `i` is processed (after its dose, if any).
    pub fn run<S: PkSystem, F: FnMut(usize, &[f64])>(
        &mut self,
        systems: &mut [S],
        records: &[Record],
        mut on_record: F,
    ) -> Result<(), PkError> {
        let Some(first) = records.first() else { return Ok(()) };
        check_records(records, systems.len())?;
        let n_state = systems.first().map(|s| s.n_state()).unwrap_or(0);
        self.reset_all(n_state);
        let mut t = first.time;
        let mut i = 0;
        while i < records.len() {
            let rec = &records[i];
            let sys = self.interval_system(records, i);
            // Implied events up to and including this record's time come first.
            while let Some(next) = self.queue.peek().copied() {
                if next.time > rec.time {
                    break;
                }
                self.queue.pop();
                self.advance_to(&mut systems[sys], t, next.time)?;
                t = t.max(next.time);
                self.apply_pending(next);
            }
            if matches!(rec.kind, RecordKind::Observation | RecordKind::Other) {
                // A run of observations with nothing in between: one call, dense output.
                let next_event = self.queue.peek().map_or(f64::INFINITY, |p| p.time);
                let locf = self.options.param_timing == ParamTiming::Locf;
                self.stops.clear();
                self.stops.push(rec.time);
                let mut j = i + 1;
                while let Some(r) = records.get(j) {
                    let params = if locf { records[j - 1].params } else { r.params };
                    if !matches!(r.kind, RecordKind::Observation | RecordKind::Other) || r.time >= next_event || params != sys {
                        break;
                    }
                    self.stops.push(r.time);
                    j += 1;
                }
                // The run ends before the next event; when the same parameters also advance
                // the system to that event (the record after the run comes at or after it),
                // the event time is one more stop of the same call. An ODE solver then
                // integrates the whole interval between two discontinuities in one go
                // instead of restarting for the stretch from the last observation.
                let visible = self.stops.len();
                if records.get(j).is_some_and(|r| r.time >= next_event && self.interval_system(records, j) == sys) {
                    self.stops.push(next_event);
                }
                let rates = std::mem::take(&mut self.rates);
                let result = systems[sys].advance(&mut self.state, t, &self.stops, &rates, |k, x| {
                    if k < visible {
                        on_record(i + k, x)
                    }
                });
                self.rates = rates;
                result.map_err(|e| at_record(e, i))?;
                t = *self.stops.last().expect("at least record i");
                i = j;
                continue;
            }
            self.advance_to(&mut systems[sys], t, rec.time)?;
            t = rec.time;
            match &rec.kind {
                RecordKind::Reset => self.reset_all(n_state),
                RecordKind::Dose(dose) => self.dose_record(&mut systems[rec.params], dose, i, t)?,
                RecordKind::ResetDose(dose) => {
                    self.reset_all(n_state);
                    self.dose_record(&mut systems[rec.params], dose, i, t)?;
                }
                RecordKind::Observation | RecordKind::Other => unreachable!("handled above"),
            }
            on_record(i, &self.state);
            i += 1;
        }
        Ok(())
    }

    /// The parameter set that advances the system to record `i` (indices checked in `run`).
    #[inline]
    fn interval_system(&self, records: &[Record], i: usize) -> usize {
        match self.options.param_timing {
            ParamTiming::Nocb => records[i].params,
            ParamTiming::Locf => records[i.saturating_sub(1)].params,
        }
    }

    fn reset_all(&mut self, n_state: usize) {
        self.state.clear();
        self.state.resize(n_state, 0.0);
        self.rates.clear();
        self.rates.resize(n_state, 0.0);
        self.running.clear();
        self.running.resize(n_state, 0);
        self.queue.clear();
    }

    fn advance_to<S: PkSystem>(&mut self, sys: &mut S, t: f64, to: f64) -> Result<(), PkError> {
        if to > t {
            sys.advance(&mut self.state, t, &[to], &self.rates, |_, _| {})?;
        }
        Ok(())
    }

    fn push(&mut self, time: f64, event: PendingEvent) {
        self.seq += 1;
        self.queue.push(Pending { time, seq: self.seq, event });
    }

    fn apply_pending(&mut self, p: Pending) {
        match p.event {
            PendingEvent::Dose { dose, start, k } => {
                self.give(&dose, p.time);
                if k < dose.additional {
                    let next = start + f64::from(k + 1) * dose.interval;
                    self.push(next, PendingEvent::Dose { dose, start, k: k + 1 });
                }
            }
            PendingEvent::InfusionEnd { cmt, rate } => self.stop_infusion(cmt, rate),
        }
    }

    fn start_infusion(&mut self, cmt: usize, rate: f64) {
        self.rates[cmt] += rate;
        self.running[cmt] += 1;
    }

    fn stop_infusion(&mut self, cmt: usize, rate: f64) {
        self.running[cmt] = self.running[cmt].saturating_sub(1);
        self.rates[cmt] = if self.running[cmt] == 0 { 0.0 } else { self.rates[cmt] - rate };
    }

    /// One dose lands now: a bolus, or the start of an infusion (its end is queued).
    fn give(&mut self, dose: &Dose, now: f64) {
        match dose.infusion() {
            None => self.state[dose.cmt] += dose.effective_amount(),
            Some((rate, duration)) => {
                self.start_infusion(dose.cmt, rate);
                self.push(now + duration, PendingEvent::InfusionEnd { cmt: dose.cmt, rate });
            }
        }
    }

    /// A dose record at time `t`: steady state if asked, then the dose train.
    fn dose_record<S: PkSystem>(&mut self, sys: &mut S, dose: &Dose, record: usize, t: f64) -> Result<(), PkError> {
        dose.validate(record)?;
        if dose.cmt >= sys.n_cmt() {
            return Err(PkError::UnknownCompartment { record, cmt: dose.cmt + 1, n_cmt: sys.n_cmt() });
        }
        if dose.steady_state != SteadyState::No {
            if dose.steady_state == SteadyState::Reset {
                let integrals: Vec<f64> = self.state[sys.n_cmt()..].to_vec();
                self.reset_all(sys.n_state());
                self.state[sys.n_cmt()..].copy_from_slice(&integrals);
            }
            self.add_steady_state(sys, dose, record, t)?;
            if dose.amount == 0.0 {
                return Ok(()); // a constant infusion: nothing more to give
            }
        }
        if dose.lag > 0.0 {
            self.push(t + dose.lag, PendingEvent::Dose { dose: *dose, start: t + dose.lag, k: 0 });
        } else {
            self.give(dose, t);
            if dose.additional > 0 {
                self.push(t + dose.interval, PendingEvent::Dose { dose: *dose, start: t, k: 1 });
            }
        }
        Ok(())
    }

    /// Adds the steady state of `dose`'s regimen at the record time `t` (before the
    /// record's own dose, which lands at `t + lag`), with the earlier doses' infusions
    /// that are still running.
    fn add_steady_state<S: PkSystem>(&mut self, sys: &mut S, dose: &Dose, record: usize, t: f64) -> Result<(), PkError> {
        let n = sys.n_cmt();
        let n_state = sys.n_state();
        let mut x = vec![0.0; n_state];
        if dose.interval == 0.0 {
            // Steady state of a constant infusion (AMT = 0, RATE ≥ 0, II = 0). As in NONMEM
            // ("the infusion terminates at the event time of the SS dose record"), the
            // system is put at that steady state and the infusion does not go on.
            let rate = match dose.input {
                crate::event::DoseInput::Rate(rate) => rate,
                _ => 0.0,
            };
            let mut r = vec![0.0; n_state];
            r[dose.cmt] = rate;
            self.constant_input_steady_state(sys, &r, &mut x, record)?;
        } else {
            let regimen = Regimen::of(dose, n_state);
            self.periodic_steady_state(sys, &regimen, &mut x, record)?;
            // From the dose phase back to the record time: phase (II − lag) of the orbit.
            if dose.lag > 0.0 {
                regimen.run(sys, &mut x, dose.interval - dose.lag).map_err(|e| at_record(e, record))?;
            }
            if let Some((rate, duration)) = dose.infusion() {
                let mut k = 1.0;
                while k * dose.interval < dose.lag + duration {
                    self.start_infusion(dose.cmt, rate);
                    let end = t + dose.lag - k * dose.interval + duration;
                    self.push(end, PendingEvent::InfusionEnd { cmt: dose.cmt, rate });
                    k += 1.0;
                }
            }
        }
        for (s, xi) in self.state.iter_mut().zip(&x).take(n) {
            *s += xi;
        }
        Ok(())
    }

    /// The state just before a dose of the periodic regimen, at steady state.
    fn periodic_steady_state<S: PkSystem>(&mut self, sys: &mut S, regimen: &Regimen, x: &mut [f64], record: usize) -> Result<(), PkError> {
        let n = sys.n_cmt();
        let mut c = vec![0.0; x.len()];
        regimen.run(sys, &mut c, regimen.period).map_err(|e| at_record(e, record))?;
        if let Some(result) = sys.solve_periodic(regimen.period, &c[..n], &mut x[..n]) {
            return result.map_err(|e| at_record(e, record));
        }
        // Nonlinear: iterate the dosing interval until the state repeats.
        x.copy_from_slice(&c);
        let mut next = vec![0.0; x.len()];
        for _ in 0..self.options.ss_max_intervals {
            next.copy_from_slice(x);
            regimen.run(sys, &mut next, regimen.period).map_err(|e| at_record(e, record))?;
            let converged = converged(&x[..n], &next[..n], self.options.ss_rtol);
            x.copy_from_slice(&next);
            if converged {
                x[n..].iter_mut().for_each(|v| *v = 0.0);
                return Ok(());
            }
        }
        Err(PkError::NoSteadyState {
            record,
            reason: format!(
                "not reached after {} dosing intervals (amounts still change by more than {} per interval): the \
                 elimination may not keep up with the dosing, as with Michaelis-Menten elimination whose VMAX is \
                 below the dosing rate (dose divided by the interval)",
                self.options.ss_max_intervals, self.options.ss_rtol
            ),
        })
    }

    /// The state under a constant input, at steady state.
    fn constant_input_steady_state<S: PkSystem>(&mut self, sys: &mut S, rates: &[f64], x: &mut [f64], record: usize) -> Result<(), PkError> {
        let n = sys.n_cmt();
        if let Some(result) = sys.solve_constant_input(&rates[..n], &mut x[..n]) {
            return result.map_err(|e| at_record(e, record));
        }
        let mut next = x.to_vec();
        let mut dt = 1.0;
        for _ in 0..80 {
            sys.advance(&mut next, 0.0, &[dt], rates, |_, _| {}).map_err(|e| at_record(e, record))?;
            if converged(&x[..n], &next[..n], self.options.ss_rtol) {
                x[..n].copy_from_slice(&next[..n]);
                return Ok(());
            }
            x.copy_from_slice(&next);
            dt *= 2.0;
        }
        Err(PkError::NoSteadyState { record, reason: "a constant infusion does not reach steady state".into() })
    }
}

/// Checks once what the event loop relies on: finite, sorted times and existing parameter sets.
fn check_records(records: &[Record], n_systems: usize) -> Result<(), PkError> {
    let mut previous = f64::NEG_INFINITY;
    for (i, r) in records.iter().enumerate() {
        if !r.time.is_finite() {
            return Err(PkError::InvalidDose { record: i, reason: format!("time {} is not a finite number", r.time) });
        }
        if r.time < previous {
            return Err(PkError::TimeNotSorted { record: i, time: r.time, previous });
        }
        if r.params >= n_systems {
            return Err(PkError::InvalidDose { record: i, reason: format!("parameter set {} does not exist ({n_systems} given)", r.params) });
        }
        previous = r.time;
    }
    Ok(())
}

/// Whether two successive states agree to `rtol` (relative to the larger component).
fn converged(a: &[f64], b: &[f64], rtol: f64) -> bool {
    let scale = a.iter().chain(b).fold(0.0_f64, |m, v| m.max(v.abs()));
    a.iter().zip(b).all(|(x, y)| (x - y).abs() <= rtol * scale.max(f64::MIN_POSITIVE))
}

/// Attaches the record index to errors raised without one.
fn at_record(e: PkError, record: usize) -> PkError {
    match e {
        PkError::NoSteadyState { reason, .. } => PkError::NoSteadyState { record, reason },
        other => other,
    }
}

/// One dosing interval of a steady-state regimen, as seen from the dose time (phase 0).
///
/// A bolus lands at phase 0. An infusion of duration D at rate R, repeated every τ,
/// overlaps ⌊D/τ⌋ earlier ones: the input is (q+1)·R on [0, D − qτ) and q·R after,
/// with q = ⌊D/τ⌋.
struct Regimen {
    period: f64,
    cmt: usize,
    bolus: f64,
    /// `(phase where the segment ends, rate)`, in order, covering [0, period).
    segments: Vec<(f64, f64)>,
    n_state: usize,
}

impl Regimen {
    fn of(dose: &Dose, n_state: usize) -> Self {
        let period = dose.interval;
        let (bolus, segments) = match dose.infusion() {
            None => (dose.effective_amount(), vec![(period, 0.0)]),
            Some((rate, duration)) => {
                let q = (duration / period).floor();
                let rem = duration - q * period;
                let mut segs = Vec::with_capacity(2);
                if rem > 0.0 {
                    segs.push((rem, (q + 1.0) * rate));
                }
                segs.push((period, q * rate));
                (0.0, segs)
            }
        };
        Regimen { period, cmt: dose.cmt, bolus, segments, n_state }
    }

    /// Runs the regimen from phase 0 (just before the dose) to phase `until` ≤ period.
    fn run<S: PkSystem>(&self, sys: &mut S, x: &mut [f64], until: f64) -> Result<(), PkError> {
        x[self.cmt] += self.bolus;
        let mut rates = vec![0.0; self.n_state];
        let mut phase = 0.0;
        for &(end, rate) in &self.segments {
            let end = end.min(until);
            if end > phase {
                rates[self.cmt] = rate;
                sys.advance(x, phase, &[end], &rates, |_, _| {})?;
                phase = end;
            }
        }
        Ok(())
    }
}
