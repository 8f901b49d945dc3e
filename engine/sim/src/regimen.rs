//! The regimen language: dosing written the way a protocol reads.
//!
//! ```text
//! placebo
//! 100 mg q24h x 28                 28 doses of 100 mg every 24 h
//! 100 mg q12h                      every 12 h until the end of the study
//! load 200 mg then 100 mg q12h     a loading dose, then 100 mg every 12 h from 12 h on
//! 200 mg q12h x 2 then 100 mg qd for 4 w
//! 1.5 mg/kg q24h x 14              weight-based (needs the covariate `weight`, kg)
//! 75 mg/m2 over 1 h q3w x 6        BSA-based (needs the covariate `bsa`, m²)
//! 15 mg/kg max 1 g q12h            weight-based, each dose capped at 1 g
//! 2 mg/kg round 25 mg qd           weight-based, rounded to a multiple of 25 mg (a tablet)
//! 500 mg over 1 h q8h x 21         zero-order infusion of 1 h
//! 50 mg once                       a single dose
//! ```
//!
//! Grammar (words are case-insensitive):
//!
//! ```text
//! regimen  = "placebo" | phase { "then" phase }
//! phase    = [ "load" ] amount [ "over" number ( "h" | "min" ) ] [ interval ] [ count ]
//! amount   = number unit [ ( "/kg" | "/m2" ) [ "round" number unit ] [ "max" number unit ] ]
//! unit     = "mg" | "g" | "ug" | "mcg"
//! interval = "q" number ( "h" | "d" | "w" ) | "qd" | "bid" | "tid" | "qid" | "qw" | "once"
//! count    = "x" integer | "for" number ( "h" | "d" | "w" )
//! ```
//!
//! A phase without an interval (or `once`, or `load`) is one dose. The first phase starts
//! at time 0; each later phase starts where the previous one ends: after its last dose plus
//! its interval, or — after a single dose — one interval of the next phase later (so `load
//! 200 mg then 100 mg q12h` gives 200 mg at 0 h and 100 mg from 12 h on). A repeated phase
//! without a count runs until the end of the study (doses strictly before it). Two single-dose
//! phases in a row are refused (the second would fall on the first). Spaces
//! between a number and its unit are optional (`100mg`, `q 24 h`).
//!
//! A body-size-based amount (`/kg` of body weight, `/m2` of body-surface area) is scaled per
//! patient, then rounded to the nearest multiple of the `round` step (at least one step: a
//! patient is never given 0 mg), then capped at `max` (which must be a whole number of
//! `round` steps); `round` and `max` apply to scaled amounts only.

use thiserror::Error;

/// A regimen the parser did not understand, with the 1-based character column.
#[derive(Debug, Clone, PartialEq, Error)]
#[error("regimen {text:?}, column {column}: {message}")]
pub struct RegimenError {
    /// The regimen text.
    pub text: String,
    /// 1-based character column of the problem.
    pub column: usize,
    /// What was expected.
    pub message: String,
}

/// What a phase's amount is per: a fixed dose, or per unit of body size.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DoseBasis {
    /// The amount is the dose.
    Fixed,
    /// Per kg of body weight (covariate `weight`).
    PerKg,
    /// Per m² of body-surface area (covariate `bsa`).
    PerM2,
}

impl DoseBasis {
    /// The covariate a scaled dose reads, with its unit (`None` for a fixed dose).
    pub fn covariate(self) -> Option<(&'static str, &'static str)> {
        match self {
            DoseBasis::Fixed => None,
            DoseBasis::PerKg => Some(("weight", "kg")),
            DoseBasis::PerM2 => Some(("bsa", "m2")),
        }
    }
}

/// A patient's body size, as the scaled doses read it (NaN: unknown).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct BodySize {
    /// Body weight, kg.
    pub weight_kg: f64,
    /// Body-surface area, m².
    pub bsa_m2: f64,
}

impl BodySize {
    /// The size a dose basis scales by (1 for a fixed dose).
    pub fn scale(&self, basis: DoseBasis) -> f64 {
        match basis {
            DoseBasis::Fixed => 1.0,
            DoseBasis::PerKg => self.weight_kg,
            DoseBasis::PerM2 => self.bsa_m2,
        }
    }
}

/// One phase: `count` doses (None: until the end of the study) every `interval_h`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Phase {
    /// Amount per dose in mg (per kg or per m² when `basis` says so).
    pub amount_mg: f64,
    /// What the amount is per.
    pub basis: DoseBasis,
    /// A scaled dose is rounded to the nearest multiple of this (mg; at least one multiple).
    pub round_mg: Option<f64>,
    /// A scaled dose is capped at this (mg), after rounding.
    pub max_mg: Option<f64>,
    /// Infusion duration in hours (0: bolus or oral dose).
    pub infusion_h: f64,
    /// Dosing interval in hours (0: a single dose).
    pub interval_h: f64,
    /// Number of doses; `None` means until the end of the study.
    pub count: Option<u32>,
}

/// A parsed regimen: no phases means placebo.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Regimen {
    /// The phases, in order.
    pub phases: Vec<Phase>,
}

/// One dose in time: what the PK simulator receives.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ScheduledDose {
    /// Time from the first dose, hours.
    pub time_h: f64,
    /// Amount in mg.
    pub amount_mg: f64,
    /// Infusion duration in hours (0: bolus).
    pub infusion_h: f64,
}

impl Regimen {
    /// Parses the regimen language (see the module docs).
    pub fn parse(text: &str) -> Result<Regimen, RegimenError> {
        Parser::new(text).regimen()
    }

    /// Whether this is placebo (no drug).
    pub fn is_placebo(&self) -> bool {
        self.phases.is_empty()
    }

    /// The covariates (with their units) that this regimen's scaled doses read, each once.
    pub fn body_size_covariates(&self) -> Vec<(&'static str, &'static str)> {
        let mut out = Vec::new();
        for c in self.phases.iter().filter_map(|p| p.basis.covariate()) {
            if !out.contains(&c) {
                out.push(c);
            }
        }
        out
    }

    /// The maintenance phase (the last one): its amount and interval define steady state.
    pub fn maintenance(&self) -> Option<&Phase> {
        self.phases.last()
    }

    /// Start time (h) of each phase.
    pub fn phase_starts(&self) -> Vec<f64> {
        let mut starts = Vec::with_capacity(self.phases.len());
        let mut t = 0.0;
        for (i, p) in self.phases.iter().enumerate() {
            starts.push(t);
            let span = match p.count {
                _ if p.interval_h == 0.0 => self.phases.get(i + 1).map_or(0.0, |n| n.interval_h),
                Some(c) => p.interval_h * f64::from(c),
                None => f64::INFINITY,
            };
            t += span;
        }
        starts
    }

    /// Every dose strictly before `end_h`, in time order, with scaled amounts for `body`.
    pub fn doses(&self, end_h: f64, body: &BodySize, out: &mut Vec<ScheduledDose>) {
        out.clear();
        for (p, start) in self.phases.iter().zip(self.phase_starts()) {
            let amount = p.dose_mg(body);
            let count = if p.interval_h == 0.0 { 1 } else { p.count.unwrap_or(u32::MAX) };
            for k in 0..count {
                let t = start + f64::from(k) * p.interval_h;
                if t >= end_h {
                    break;
                }
                out.push(ScheduledDose { time_h: t, amount_mg: amount, infusion_h: p.infusion_h });
            }
        }
    }
}

impl Phase {
    /// The amount of one dose of this phase for a patient of size `body`, mg: scaled, then
    /// rounded, then capped.
    pub fn dose_mg(&self, body: &BodySize) -> f64 {
        if self.basis == DoseBasis::Fixed {
            return self.amount_mg;
        }
        round_and_cap(self.amount_mg * body.scale(self.basis), self.round_mg, self.max_mg)
    }
}

/// `dose` (mg) rounded to the nearest multiple of `round_mg` (at least one), then capped at
/// `max_mg`: the rule of scaled doses and of drug monitoring's changes.
pub fn round_and_cap(dose: f64, round_mg: Option<f64>, max_mg: Option<f64>) -> f64 {
    let rounded = round_mg.map_or(dose, |step| ((dose / step).round() * step).max(step));
    max_mg.map_or(rounded, |max| rounded.min(max))
}

/// Whether `x` is a whole multiple of `step` (to rounding error).
pub(crate) fn is_multiple(x: f64, step: f64) -> bool {
    let q = x / step;
    (q - q.round()).abs() < 1e-9 * q.abs().max(1.0)
}

/// A token with its 1-based column.
#[derive(Debug, Clone, PartialEq)]
enum Tok {
    Num(f64),
    Word(String),
    Slash,
}

struct Parser<'a> {
    text: &'a str,
    toks: Vec<(Tok, usize)>,
    pos: usize,
}

impl<'a> Parser<'a> {
    fn new(text: &'a str) -> Self {
        let mut toks = Vec::new();
        let chars: Vec<char> = text.chars().collect();
        let mut i = 0;
        while i < chars.len() {
            let c = chars[i];
            if c.is_whitespace() || c == ',' {
                i += 1;
            } else if c.is_ascii_digit() || (c == '.' && chars.get(i + 1).is_some_and(char::is_ascii_digit)) {
                let start = i;
                while i < chars.len() && (chars[i].is_ascii_digit() || chars[i] == '.') {
                    i += 1;
                }
                let s: String = chars[start..i].iter().collect();
                toks.push((s.parse().map(Tok::Num).unwrap_or(Tok::Word(s)), start + 1));
            } else if c.is_alphabetic() {
                let start = i;
                while i < chars.len() && chars[i].is_alphabetic() {
                    i += 1;
                }
                // `q24h`: a word `q` directly followed by a number stays split.
                let s: String = chars[start..i].iter().collect::<String>().to_ascii_lowercase();
                toks.push((Tok::Word(s), start + 1));
            } else if c == '/' {
                toks.push((Tok::Slash, i + 1));
                i += 1;
            } else {
                toks.push((Tok::Word(c.to_string()), i + 1));
                i += 1;
            }
        }
        Parser { text, toks, pos: 0 }
    }

    fn err<T>(&self, message: impl Into<String>) -> Result<T, RegimenError> {
        let column = self.toks.get(self.pos).map_or(self.text.chars().count() + 1, |t| t.1);
        Err(RegimenError { text: self.text.to_string(), column, message: message.into() })
    }

    fn peek_word(&self) -> Option<&str> {
        match self.toks.get(self.pos) {
            Some((Tok::Word(w), _)) => Some(w),
            _ => None,
        }
    }

    fn eat(&mut self, word: &str) -> bool {
        if self.peek_word() == Some(word) {
            self.pos += 1;
            true
        } else {
            false
        }
    }

    fn number(&mut self, what: &str) -> Result<f64, RegimenError> {
        match self.toks.get(self.pos) {
            Some((Tok::Num(x), _)) => {
                self.pos += 1;
                Ok(*x)
            }
            Some((Tok::Word(w), _)) if w == "-" && matches!(self.toks.get(self.pos + 1), Some((Tok::Num(_), _))) => {
                self.err(format!("{what} must be > 0, not negative"))
            }
            _ => self.err(format!("expected {what} (a number)")),
        }
    }

    fn word(&mut self, what: &str) -> Result<String, RegimenError> {
        match self.toks.get(self.pos) {
            Some((Tok::Word(w), _)) => {
                self.pos += 1;
                Ok(w.clone())
            }
            _ => self.err(format!("expected {what}")),
        }
    }

    /// A time unit in hours.
    fn time_unit(&mut self, allowed: &[&str]) -> Result<f64, RegimenError> {
        let at = self.pos;
        let w = self.word(&format!("a time unit ({})", allowed.join(", ")))?;
        let hours = match w.as_str() {
            "min" | "mins" | "minute" | "minutes" => 1.0 / 60.0,
            "h" | "hr" | "hrs" | "hour" | "hours" => 1.0,
            "d" | "day" | "days" => 24.0,
            "w" | "wk" | "wks" | "week" | "weeks" => 168.0,
            _ => 0.0,
        };
        let canonical = match hours {
            x if x == 1.0 / 60.0 => "min",
            1.0 => "h",
            24.0 => "d",
            168.0 => "w",
            _ => "",
        };
        if !allowed.contains(&canonical) {
            self.pos = at;
            return self.err(format!("expected a time unit ({}), found {w:?}", allowed.join(", ")));
        }
        Ok(hours)
    }

    fn regimen(mut self) -> Result<Regimen, RegimenError> {
        if self.toks.is_empty() {
            return self.err("empty regimen: write e.g. \"100 mg q24h x 28\" or \"placebo\"");
        }
        if self.eat("placebo") {
            if self.pos < self.toks.len() {
                return self.err("nothing may follow \"placebo\"");
            }
            return Ok(Regimen::default());
        }
        let mut phases = vec![self.phase()?];
        while self.eat("then") {
            let at = self.pos;
            let next = self.phase()?;
            // A single dose's successor starts one of *its* intervals later; a second single
            // dose has none, so both would be given at once.
            if phases.last().is_some_and(|p| p.interval_h == 0.0) && next.interval_h == 0.0 {
                self.pos = at;
                return self.err(
                    "two single doses in a row would be given at the same time; give the first an interval \
                     (\"load 200 mg q12h x 2 then 50 mg q12h\" for two loading doses 12 h apart)",
                );
            }
            phases.push(next);
        }
        if self.pos < self.toks.len() {
            return self.err("expected \"then\" or the end of the regimen");
        }
        Ok(Regimen { phases })
    }

    fn phase(&mut self) -> Result<Phase, RegimenError> {
        let load = self.eat("load") || self.eat("loading");
        let amount = self.number("a dose amount")?;
        if !(amount > 0.0 && amount.is_finite()) {
            self.pos -= 1;
            return self.err("the dose amount must be > 0");
        }
        let factor = self.mass_unit()?;
        let mut basis = DoseBasis::Fixed;
        if matches!(self.toks.get(self.pos), Some((Tok::Slash, _))) {
            self.pos += 1;
            basis = if self.eat("kg") {
                DoseBasis::PerKg
            } else if self.body_surface_unit() {
                DoseBasis::PerM2
            } else {
                return self.err("expected kg or m2 after '/' (e.g. 1.5 mg/kg, 75 mg/m2)");
            };
        }
        let round_mg = self.scaled_dose_limit("round", basis)?;
        let at_max = self.pos;
        let max_mg = self.scaled_dose_limit("max", basis)?;
        if let (Some(step), Some(max)) = (round_mg, max_mg) {
            if !is_multiple(max, step) {
                self.pos = at_max;
                return self.err(format!(
                    "the maximum {max} mg is not a multiple of the rounding step {step} mg: a capped dose could not be given in those units"
                ));
            }
        }
        if max_mg.is_some() && self.peek_word() == Some("round") {
            return self.err("write \"round\" before \"max\" (e.g. 2 mg/kg round 25 mg max 200 mg)");
        }
        let mut infusion_h = 0.0;
        if self.eat("over") {
            let d = self.number("an infusion duration")?;
            infusion_h = d * self.time_unit(&["min", "h"])?;
            if infusion_h <= 0.0 {
                return self.err("the infusion duration must be > 0");
            }
        }
        let mut interval_h = 0.0;
        if self.eat("q") {
            let n = self.number("the dosing interval")?;
            interval_h = n * self.time_unit(&["h", "d", "w"])?;
            if interval_h <= 0.0 {
                return self.err("the dosing interval must be > 0");
            }
        } else if let Some(w) = self.peek_word() {
            let every = match w {
                "qd" | "daily" => Some(24.0),
                "bid" => Some(12.0),
                "tid" => Some(8.0),
                "qid" => Some(6.0),
                "qw" | "weekly" => Some(168.0),
                "once" => Some(0.0),
                _ => None,
            };
            if let Some(e) = every {
                self.pos += 1;
                interval_h = e;
            }
        }
        let mut count = None;
        if self.eat("x") {
            let at = self.pos;
            let n = self.number("the number of doses")?;
            if n < 1.0 || n.fract() != 0.0 || n > f64::from(u32::MAX) {
                self.pos = at;
                return self.err("the number of doses must be a whole number >= 1");
            }
            count = Some(n as u32);
        } else if self.eat("for") {
            let d = self.number("a treatment duration")?;
            let hours = d * self.time_unit(&["h", "d", "w"])?;
            if interval_h == 0.0 {
                return self.err("\"for\" needs a dosing interval (e.g. q24h)");
            }
            count = Some(((hours / interval_h) - 1e-9).ceil().max(1.0) as u32);
        }
        if interval_h == 0.0 && count.is_some_and(|c| c > 1) {
            return self.err("several doses need a dosing interval (e.g. q24h)");
        }
        if load && interval_h > 0.0 && count.is_none() {
            count = Some(1);
        }
        if load && interval_h == 0.0 {
            count = Some(1);
        }
        if interval_h == 0.0 {
            count = Some(1);
        }
        Ok(Phase { amount_mg: amount * factor, basis, round_mg, max_mg, infusion_h, interval_h, count })
    }

    /// A mass unit, as its factor to mg.
    fn mass_unit(&mut self) -> Result<f64, RegimenError> {
        let at = self.pos;
        let unit = self.word("a dose unit (mg, g, ug)")?;
        match unit.as_str() {
            "mg" => Ok(1.0),
            "g" => Ok(1000.0),
            "ug" | "mcg" | "µg" | "μg" => Ok(0.001),
            _ => {
                self.pos = at;
                self.err(format!("unknown dose unit {unit:?}: use mg, g or ug"))
            }
        }
    }

    /// `m2` or `m²` (the tokeniser splits them into `m` and `2` or `²`).
    fn body_surface_unit(&mut self) -> bool {
        let two = match self.toks.get(self.pos + 1) {
            Some((Tok::Num(x), _)) => *x == 2.0,
            Some((Tok::Word(w), _)) => w == "²",
            _ => false,
        };
        if self.peek_word() == Some("m") && two {
            self.pos += 2;
            true
        } else {
            false
        }
    }

    /// `KEYWORD amount unit` after a scaled amount (`round 25 mg`, `max 1 g`), in mg.
    fn scaled_dose_limit(&mut self, keyword: &str, basis: DoseBasis) -> Result<Option<f64>, RegimenError> {
        let at = self.pos;
        if !self.eat(keyword) {
            return Ok(None);
        }
        if basis == DoseBasis::Fixed {
            self.pos = at;
            return self.err(format!(
                "\"{keyword}\" applies to a weight- or BSA-based amount (e.g. 1.5 mg/kg {keyword} 100 mg); a fixed dose is given as written"
            ));
        }
        let what = if keyword == "max" { "the maximum dose" } else { "the rounding step" };
        let at_number = self.pos;
        let x = self.number(what)?;
        let mg = x * self.mass_unit()?;
        if !(mg > 0.0 && mg.is_finite()) {
            self.pos = at_number;
            return self.err(format!("{what} must be > 0"));
        }
        Ok(Some(mg))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn times(r: &str, end: f64) -> Vec<(f64, f64)> {
        let mut out = Vec::new();
        Regimen::parse(r).unwrap().doses(end, &BodySize { weight_kg: 70.0, bsa_m2: 1.8 }, &mut out);
        out.iter().map(|d| (d.time_h, d.amount_mg)).collect()
    }

    #[test]
    fn simple_repeated_regimen() {
        let d = times("100 mg q24h x 28", 1e9);
        assert_eq!(d.len(), 28);
        assert_eq!(d[27], (27.0 * 24.0, 100.0));
    }

    #[test]
    fn loading_dose_then_maintenance_one_interval_later() {
        let d = times("load 200 mg then 100 mg q12h", 48.0);
        assert_eq!(d, vec![(0.0, 200.0), (12.0, 100.0), (24.0, 100.0), (36.0, 100.0)]);
    }

    #[test]
    fn phases_follow_each_other() {
        let d = times("200 mg q12h x 2 then 100 mg qd for 3 d", 1e9);
        assert_eq!(d, vec![(0.0, 200.0), (12.0, 200.0), (24.0, 100.0), (48.0, 100.0), (72.0, 100.0)]);
    }

    #[test]
    fn per_kg_units_and_infusions() {
        let r = Regimen::parse("1.5 mg/kg over 30 min q8h x 3").unwrap();
        assert_eq!(r.body_size_covariates(), vec![("weight", "kg")]);
        let mut out = Vec::new();
        r.doses(1e9, &BodySize { weight_kg: 80.0, bsa_m2: f64::NAN }, &mut out);
        assert_eq!(out.len(), 3);
        assert!((out[0].amount_mg - 120.0).abs() < 1e-12);
        assert!((out[0].infusion_h - 0.5).abs() < 1e-12);
        assert_eq!(times("0.5 g once", 100.0), vec![(0.0, 500.0)]);
        assert_eq!(times("250ug bid x 2", 100.0), vec![(0.0, 0.25), (12.0, 0.25)]);
        assert!(Regimen::parse("placebo").unwrap().is_placebo());
    }

    fn dose_for(r: &str, weight_kg: f64, bsa_m2: f64) -> f64 {
        let mut out = Vec::new();
        Regimen::parse(r).unwrap().doses(1e9, &BodySize { weight_kg, bsa_m2 }, &mut out);
        out[0].amount_mg
    }

    #[test]
    fn bsa_based_doses_scale_by_body_surface_area() {
        let r = Regimen::parse("75 mg/m2 over 1 h q3w x 6").unwrap();
        assert_eq!(r.phases[0].basis, DoseBasis::PerM2);
        assert_eq!(r.body_size_covariates(), vec![("bsa", "m2")]);
        assert!((dose_for("75 mg/m2 q3w x 6", f64::NAN, 1.9) - 142.5).abs() < 1e-12);
        assert!((dose_for("75 mg/m² q3w x 6", f64::NAN, 2.0) - 150.0).abs() < 1e-12);
        assert!((dose_for("500 ug/m2 once", f64::NAN, 2.0) - 1.0).abs() < 1e-12);
        let both = Regimen::parse("load 2 mg/kg then 50 mg/m2 q24h").unwrap();
        assert_eq!(both.body_size_covariates(), vec![("weight", "kg"), ("bsa", "m2")]);
        assert!(Regimen::parse("100 mg q24h").unwrap().body_size_covariates().is_empty());
    }

    #[test]
    fn scaled_doses_are_rounded_then_capped() {
        // 15 mg/kg: 1050 mg at 70 kg, capped at 1 g; 900 mg at 60 kg, under the cap.
        assert_eq!(dose_for("15 mg/kg max 1 g q12h", 70.0, 1.8), 1000.0);
        assert!((dose_for("15 mg/kg max 1 g q12h", 60.0, 1.8) - 900.0).abs() < 1e-9);
        // 2 mg/kg at 70 kg = 140 mg, to the nearest 25 mg: 150; at 5 kg (10 mg) one tablet.
        assert_eq!(dose_for("2 mg/kg round 25 mg qd", 70.0, 1.8), 150.0);
        assert_eq!(dose_for("2 mg/kg round 25 mg qd", 5.0, 1.8), 25.0);
        // Rounding before the cap: 2.2 mg/kg at 70 kg = 154 → 150 → capped at 125.
        assert_eq!(dose_for("2.2 mg/kg round 25 mg max 125 mg qd", 70.0, 1.8), 125.0);
        assert_eq!(dose_for("2.2 mg/kg round 0.5 g max 1.5 g qd", 700.0, 1.8), 1500.0);
        // BSA with a cap (carboplatin-like flat maximum).
        assert_eq!(dose_for("100 mg/m2 max 180 mg q3w", 70.0, 2.1), 180.0);
        let mut out = Vec::new();
        Regimen::parse("load 20 mg/kg max 2 g then 15 mg/kg max 1 g q12h x 2")
            .unwrap()
            .doses(1e9, &BodySize { weight_kg: 120.0, bsa_m2: 2.4 }, &mut out);
        let amounts: Vec<f64> = out.iter().map(|d| d.amount_mg).collect();
        assert_eq!(amounts, vec![2000.0, 1000.0, 1000.0]);
    }

    #[test]
    fn round_and_max_are_refused_where_they_cannot_apply() {
        let e = Regimen::parse("100 mg max 80 mg q24h").unwrap_err();
        assert_eq!(e.column, 8, "{e}");
        assert!(e.message.contains("weight- or BSA-based"), "{e}");
        let e = Regimen::parse("1 mg/kg max 0 mg q24h").unwrap_err();
        assert!(e.message.contains("maximum dose must be > 0"), "{e}");
        let e = Regimen::parse("1 mg/kg max 80 q24h").unwrap_err();
        assert!(e.message.contains("dose unit"), "{e}");
        let e = Regimen::parse("1 mg/kg max 80 mg round 5 mg q24h").unwrap_err();
        assert!(e.message.contains("before"), "{e}");
        // A cap that is not a whole number of rounding steps (140 mg with 25 mg tablets).
        let e = Regimen::parse("2 mg/kg round 25 mg max 140 mg qd").unwrap_err();
        assert_eq!(e.column, 21, "{e}");
        assert!(e.message.contains("not a multiple of the rounding step 25 mg"), "{e}");
        let e = Regimen::parse("1 mg/m3 q24h").unwrap_err();
        assert!(e.message.contains("kg or m2"), "{e}");
        let e = Regimen::parse("1 mg/kg round -5 mg q24h").unwrap_err();
        assert!(e.message.contains("not negative"), "{e}");
    }

    #[test]
    fn errors_point_at_the_problem() {
        let e = Regimen::parse("100 mgs q24h").unwrap_err();
        assert_eq!(e.column, 5);
        assert!(e.message.contains("mg, g or ug"), "{e}");
        let e = Regimen::parse("100 mg q24 x 3").unwrap_err();
        assert!(e.message.contains("time unit"), "{e}");
        let e = Regimen::parse("100 mg x 3").unwrap_err();
        assert!(e.message.contains("interval"), "{e}");
        assert!(Regimen::parse("100 mg q24h x 2.5").is_err());
        assert!(Regimen::parse("").is_err());
        assert!(Regimen::parse("100 mg q24h and more").is_err());
        let e = Regimen::parse("-100 mg q24h").unwrap_err();
        assert!(e.column == 1 && e.message.contains("a dose amount must be > 0, not negative"), "{e}");
        let e = Regimen::parse("100 mg over -1 h q24h").unwrap_err();
        assert!(e.message.contains("an infusion duration must be > 0, not negative"), "{e}");
    }

    #[test]
    fn two_single_doses_in_a_row_are_refused() {
        // The second `load` was given at 0 h with the first: a 300 mg bolus.
        let e = Regimen::parse("load 200 mg then load 100 mg then 50 mg q12h x 2").unwrap_err();
        assert_eq!(e.column, 18, "{e}");
        assert!(e.message.contains("same time") && e.message.contains("load 200 mg q12h x 2"), "{e}");
        assert!(Regimen::parse("50 mg once then 50 mg once").is_err());
        // Two loading doses with their interval, and a single dose before a repeated phase.
        let d = times("load 200 mg q12h x 2 then 50 mg q12h x 2", 100.0);
        assert_eq!(d, vec![(0.0, 200.0), (12.0, 200.0), (24.0, 50.0), (36.0, 50.0)]);
        assert!(Regimen::parse("load 200 mg then 100 mg q12h").is_ok());
    }
}
