//! Event records with NONMEM semantics, already resolved to numbers.
//!
//! A data set reader turns NONMEM columns (EVID, AMT, CMT, RATE, II, ADDL, SS) and the model's
//! dose modifiers (F, ALAG, modeled R and D, evaluated on the dose record itself) into
//! [`Record`]s. The simulator needs nothing else.

/// One record of a subject, in time order.
#[derive(Debug, Clone, PartialEq)]
pub struct Record {
    /// Time of the record (model time unit, usually hours).
    pub time: f64,
    /// What happens at this record.
    pub kind: RecordKind,
    /// Index of the parameter set in effect for the interval that ends at this record
    /// (see [`crate::sim::ParamTiming`]); most subjects have a single set, index 0.
    pub params: usize,
}

/// NONMEM's EVID, with the dose resolved.
#[derive(Debug, Clone, PartialEq)]
pub enum RecordKind {
    /// EVID 0: an observation; the output is recorded.
    Observation,
    /// EVID 2: an "other" event; the output is recorded, nothing changes.
    Other,
    /// EVID 3: reset every compartment to zero and stop every infusion and pending dose.
    Reset,
    /// EVID 1: a dose.
    Dose(Dose),
    /// EVID 4: a reset followed by a dose.
    ResetDose(Dose),
}

impl RecordKind {
    /// The dose of a dose record (EVID 1 or 4).
    pub fn dose(&self) -> Option<&Dose> {
        match self {
            RecordKind::Dose(d) | RecordKind::ResetDose(d) => Some(d),
            _ => None,
        }
    }
}

/// How a dose enters its compartment.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum DoseInput {
    /// Instantaneous (RATE = 0).
    Bolus,
    /// Zero-order input at this rate (RATE > 0, or RATE = -1 with the modeled rate R).
    /// With bioavailability F the amount is F·AMT and the duration F·AMT/rate.
    Rate(f64),
    /// Zero-order input over this duration (RATE = -2 with the modeled duration D).
    /// With bioavailability F the rate is F·AMT/duration.
    Duration(f64),
}

/// NONMEM's SS data item.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum SteadyState {
    /// SS = 0: an ordinary dose.
    #[default]
    No,
    /// SS = 1: reset, then the system is at steady state for this regimen.
    Reset,
    /// SS = 2: the steady state of this regimen is added to the current state.
    Add,
}

/// A dose record, with its own modifier values (F, ALAG) already evaluated.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Dose {
    /// Zero-based compartment index.
    pub cmt: usize,
    /// Nominal amount (AMT). Zero with a rate, II = 0 and SS = 1 or 2 asks for the steady
    /// state of a constant infusion at that rate; as in NONMEM the infusion then stops.
    pub amount: f64,
    /// Bolus or zero-order input.
    pub input: DoseInput,
    /// Bioavailable fraction F of the compartment (1 when not modeled).
    pub bioavailability: f64,
    /// Lag time ALAG of the compartment (0 when not modeled).
    pub lag: f64,
    /// Interdose interval II (0 when none).
    pub interval: f64,
    /// Number of additional doses ADDL at `interval` after this one.
    pub additional: u32,
    /// Steady-state flag SS.
    pub steady_state: SteadyState,
}

impl Dose {
    /// A single bolus of `amount` into compartment `cmt` (zero-based).
    pub fn bolus(cmt: usize, amount: f64) -> Self {
        Dose {
            cmt,
            amount,
            input: DoseInput::Bolus,
            bioavailability: 1.0,
            lag: 0.0,
            interval: 0.0,
            additional: 0,
            steady_state: SteadyState::No,
        }
    }

    /// The same dose repeated `additional` more times every `interval`.
    pub fn every(mut self, interval: f64, additional: u32) -> Self {
        self.interval = interval;
        self.additional = additional;
        self
    }

    /// The same dose given as a zero-order input at `rate`.
    pub fn at_rate(mut self, rate: f64) -> Self {
        self.input = DoseInput::Rate(rate);
        self
    }

    /// Amount that reaches the compartment: F·AMT.
    pub fn effective_amount(&self) -> f64 {
        self.bioavailability * self.amount
    }

    /// Rate and duration of a zero-order dose, `None` for a bolus (or a zero-length input).
    pub fn infusion(&self) -> Option<(f64, f64)> {
        let amount = self.effective_amount();
        match self.input {
            DoseInput::Bolus => None,
            DoseInput::Rate(rate) => Some((rate, amount / rate)).filter(|&(_, d)| d > 0.0),
            DoseInput::Duration(dur) if dur > 0.0 => Some((amount / dur, dur)),
            DoseInput::Duration(_) => None,
        }
    }

    /// Checks what the simulator relies on; `record` is used in the message.
    pub fn validate(&self, record: usize) -> Result<(), crate::PkError> {
        self.check().map_err(|reason| crate::PkError::InvalidDose { record, reason })
    }

    /// Checks what the simulator relies on: `Err` says what is wrong and what would be valid.
    pub fn check(&self) -> Result<(), String> {
        let bad = |reason: String| Err(reason);
        if !(self.amount >= 0.0 && self.amount.is_finite()) {
            return bad(format!("AMT = {} must be a finite number >= 0", self.amount));
        }
        if !(self.bioavailability >= 0.0 && self.bioavailability.is_finite()) {
            return bad(format!("bioavailability F = {} must be finite and >= 0", self.bioavailability));
        }
        if !(self.lag >= 0.0 && self.lag.is_finite()) {
            return bad(format!("lag time ALAG = {} must be finite and >= 0", self.lag));
        }
        if !(self.interval >= 0.0 && self.interval.is_finite()) {
            return bad(format!("II = {} must be finite and >= 0", self.interval));
        }
        match self.input {
            DoseInput::Rate(r) if !(r > 0.0 && r.is_finite()) => {
                return bad(format!("infusion rate {r} must be finite and > 0"));
            }
            DoseInput::Duration(d) if !(d >= 0.0 && d.is_finite()) => {
                return bad(format!("infusion duration {d} must be finite and >= 0"));
            }
            _ => {}
        }
        if self.additional > 0 && self.interval <= 0.0 {
            return bad(format!("ADDL = {} needs II > 0", self.additional));
        }
        if self.steady_state != SteadyState::No {
            let constant_infusion = self.amount == 0.0 && matches!(self.input, DoseInput::Rate(_) | DoseInput::Bolus);
            if self.interval <= 0.0 && !constant_infusion {
                return bad("SS = 1 or 2 needs II > 0 (or AMT = 0 with RATE >= 0 and II = 0 for the steady state of a constant infusion)".into());
            }
            if self.interval > 0.0 && self.lag >= self.interval {
                return bad(format!(
                    "steady state with lag time ALAG = {} >= II = {} is not supported",
                    self.lag, self.interval
                ));
            }
        }
        Ok(())
    }
}
