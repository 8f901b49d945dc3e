//! `vtrial pk`: simulate a NONMEM-format data set with a model file.
//!
//! Each individual is simulated independently (in parallel with rayon); random effects and
//! residual errors come from streams keyed by (seed, individual index, purpose), so results
//! do not depend on the number of threads. Input errors (an unknown compartment, RATE = −1
//! without a modeled rate…) stop the run with the data file's line; a simulation failure of
//! one individual is reported for that individual and the others go on.

use std::path::PathBuf;

use rand::Rng;
use rand_distr::StandardNormal;
use rayon::prelude::*;
use thiserror::Error;
use vtrial_expr::Value;
use vtrial_pk::nonlinear::Dynamics;
use vtrial_pk::population::{ResidualError, purpose, rng_stream};
use vtrial_pk::{Dose, DoseInput, Record, RecordKind, SimOptions, Simulator, SteadyState};

use crate::dataset::{Dataset, Individual, Row};
use crate::model_file::{ModelExpr, PkModelFile};

/// An error that stops the run: bad input, found before or while building records.
#[derive(Debug, Error)]
pub enum PkRunError {
    /// A data record that the model cannot simulate.
    #[error("{path}:{line}: {message}")]
    Record {
        /// The data file.
        path: PathBuf,
        /// 1-based line of the record.
        line: u64,
        /// What is wrong and what would be valid.
        message: String,
    },
}

/// Settings of a run.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct PkRunOptions {
    /// Seed of every random stream.
    pub seed: u64,
    /// Draw random effects and residual errors (false: typical values, no DV).
    pub variability: bool,
}

impl Default for PkRunOptions {
    fn default() -> Self {
        PkRunOptions { seed: 1, variability: true }
    }
}

/// One output row per input record.
#[derive(Debug, Clone, PartialEq)]
pub struct OutputRow {
    /// Individual identifier.
    pub id: String,
    /// TIME.
    pub time: f64,
    /// EVID.
    pub evid: u8,
    /// The model's output (e.g. CP): central amount / scale.
    pub output: f64,
    /// The output with residual error, when the model has one and variability is on.
    pub dv: Option<f64>,
    /// Amount in each compartment.
    pub amounts: Vec<f64>,
}

/// The result of a run.
#[derive(Debug, Clone, Default)]
pub struct PkRunResult {
    /// Rows of every individual that simulated, in input order.
    pub rows: Vec<OutputRow>,
    /// Individuals whose simulation failed: (ID, reason). Their rows are absent.
    pub failures: Vec<(String, String)>,
}

/// Simulates every individual of `data` with `model`.
pub fn simulate(model: &PkModelFile, data: &Dataset, options: PkRunOptions) -> Result<PkRunResult, PkRunError> {
    let individuals = data.individuals();
    let outcomes: Vec<Result<Result<Vec<OutputRow>, String>, PkRunError>> = individuals
        .par_iter()
        .enumerate()
        .map_init(
            || Simulator::new(SimOptions { param_timing: model.param_timing, ..SimOptions::default() }),
            |sim, (index, ind)| simulate_individual(sim, model, data, options, index as u64, ind),
        )
        .collect();
    let mut result = PkRunResult::default();
    for (ind, outcome) in individuals.iter().zip(outcomes) {
        match outcome? {
            Ok(rows) => result.rows.extend(rows),
            Err(reason) => result.failures.push((ind.id.to_string(), reason)),
        }
    }
    Ok(result)
}

/// The values an individual's expressions read: covariates, parameters, random effects.
struct Slots {
    values: Vec<Value>,
}

impl Slots {
    fn eval(&self, e: &ModelExpr) -> Result<f64, String> {
        let v = e.compiled.eval(&self.values).map_err(|err| format!("{} (in '{}')", err, e.source))?;
        v.as_f64().filter(|x| x.is_finite()).ok_or_else(|| format!("'{}' gives {v:?}, not a finite number", e.source))
    }
}

fn simulate_individual(
    sim: &mut Simulator,
    model: &PkModelFile,
    data: &Dataset,
    options: PkRunOptions,
    index: u64,
    ind: &Individual<'_>,
) -> Result<Result<Vec<OutputRow>, String>, PkRunError> {
    let record_error = |row: &Row, message: String| PkRunError::Record { path: data.path.clone(), line: row.line, message };
    let (n_eta, n_iov) = (model.n_etas(), model.n_iov());
    let first_eta = model.inputs.len() - n_eta - n_iov;
    let mut slots = Slots { values: vec![Value::Missing; model.inputs.len()] };
    for k in 0..n_eta + n_iov {
        slots.values[first_eta + k] = Value::Num(0.0);
    }
    if let (Some(omega), true) = (&model.omega, options.variability) {
        let mut etas = vec![0.0; n_eta];
        omega.sample(&mut rng_stream(options.seed, &[index, purpose::IIV]), &mut etas);
        for (k, eta) in etas.into_iter().enumerate() {
            slots.values[first_eta + k] = Value::Num(eta);
        }
    }
    let occasion_column = model.iov.as_ref().map(|(column, _)| data.covariate_index(column).expect("checked when the model was read"));

    // Parameters and dose modifiers, record by record (the dose record's own values apply).
    let mut systems: Vec<Dynamics> = Vec::new();
    let mut last_params: Vec<f64> = Vec::new();
    let mut params: Vec<f64> = Vec::with_capacity(model.structural.len());
    let mut records = Vec::with_capacity(ind.rows.len());
    let mut scales = Vec::with_capacity(ind.rows.len());
    for row in ind.rows {
        for (k, v) in row.covariates.iter().enumerate() {
            slots.values[k] = v.clone();
        }
        if let (Some(column), Some((_, iov)), true) = (occasion_column, &model.iov, options.variability) {
            // Each occasion's effects come from their own stream: the same occasion number
            // always gets the same draws, wherever it appears.
            let occasion = match &row.covariates[column] {
                Value::Num(v) if v.fract() == 0.0 && *v >= 0.0 => *v as u64,
                other => return Err(record_error(row, format!("occasion column {}: {other:?} is not a whole number >= 0", model.iov.as_ref().expect("some").0))),
            };
            let mut kappas = vec![0.0; n_iov];
            iov.sample(&mut rng_stream(options.seed, &[index, purpose::IOV, occasion]), &mut kappas);
            for (k, kappa) in kappas.into_iter().enumerate() {
                slots.values[first_eta + n_eta + k] = Value::Num(kappa);
            }
        }
        for (name, expr, slot) in &model.parameters {
            let v = slots.eval(expr).map_err(|m| record_error(row, format!("parameter {name}: {m}")))?;
            slots.values[*slot] = Value::Num(v);
        }
        params.clear();
        params.extend(model.structural.iter().map(|p| p.map_or(0.0, |p| slots.values[model.parameters[p].2].as_f64().expect("set above"))));
        if systems.is_empty() || last_params != params {
            let system = model.structure.dynamics(&params, &model.solver).map_err(|e| record_error(row, e.to_string()))?;
            systems.push(system);
            last_params.clone_from(&params);
        }
        let scale = slots.eval(&model.scale).map_err(|m| record_error(row, format!("scale: {m}")))?;
        if !(scale > 0.0 && scale.is_finite()) {
            return Err(record_error(row, format!("scale ({}) is {scale}; it must be a finite number > 0 (the output is the central amount / scale)", model.scale.source)));
        }
        scales.push(scale);
        let kind = record_kind(model, row, &slots).map_err(|m| record_error(row, m))?;
        records.push(Record { time: row.time, kind, params: systems.len() - 1 });
    }

    let n = model.structure.n_cmt();
    let central = model.structure.central();
    let mut rows: Vec<OutputRow> = ind
        .rows
        .iter()
        .map(|r| OutputRow { id: ind.id.to_string(), time: r.time, evid: r.evid, output: f64::NAN, dv: None, amounts: vec![0.0; n] })
        .collect();
    if let Err(e) = sim.run(&mut systems, &records, |i, amounts| {
        rows[i].amounts.copy_from_slice(&amounts[..n]);
        rows[i].output = amounts[central] / scales[i];
    }) {
        return Ok(Err(e.to_string()));
    }
    if options.variability && model.residual != ResidualError::None {
        let mut rng = rng_stream(options.seed, &[index, purpose::RESIDUAL]);
        for row in &mut rows {
            row.dv = Some(model.residual.apply(row.output, rng.sample(StandardNormal)));
        }
    }
    Ok(Ok(rows))
}

/// Decodes a row's EVID and dose items, with the dose record's own modifier values.
fn record_kind(model: &PkModelFile, row: &Row, slots: &Slots) -> Result<RecordKind, String> {
    // As NONMEM: an observation or other record in a compartment the model lacks is a data
    // error, not silently the central concentration (n + 1 is NONMEM's output compartment;
    // doses are checked below).
    let n_cmt = model.structure.n_cmt();
    if !matches!(row.evid, 1 | 4) && row.cmt as usize > n_cmt + 1 {
        return Err(format!(
            "CMT = {} does not exist; {} has compartments 1..={n_cmt} and the output compartment {} \
             (the output is always the central compartment's concentration)",
            row.cmt,
            model.structure.name(),
            n_cmt + 1
        ));
    }
    let dose = || -> Result<Dose, String> {
        let cmt = if row.cmt == 0 { 1 } else { row.cmt as usize };
        if cmt > n_cmt {
            return Err(format!("CMT = {cmt} does not exist; {} has compartments 1..={n_cmt}", model.structure.name()));
        }
        let modifiers = &model.dosing[cmt - 1];
        let eval = |e: &Option<ModelExpr>, default: f64, what: &str| -> Result<f64, String> {
            e.as_ref().map_or(Ok(default), |e| slots.eval(e)).map_err(|m| format!("{what}{cmt}: {m}"))
        };
        let input = match row.rate {
            r if r > 0.0 => DoseInput::Rate(r),
            r if r == -1.0 => match &modifiers.rate {
                Some(e) => DoseInput::Rate(slots.eval(e).map_err(|m| format!("R{cmt}: {m}"))?),
                None => return Err(format!("RATE = -1 asks for a modeled rate, but the model has none for compartment {cmt}: add R to [dosing.{cmt}]")),
            },
            r if r == -2.0 => match &modifiers.duration {
                Some(e) => DoseInput::Duration(slots.eval(e).map_err(|m| format!("D{cmt}: {m}"))?),
                None => return Err(format!("RATE = -2 asks for a modeled duration, but the model has none for compartment {cmt}: add D to [dosing.{cmt}]")),
            },
            _ => DoseInput::Bolus,
        };
        let dose = Dose {
            cmt: cmt - 1,
            amount: row.amt,
            input,
            bioavailability: eval(&modifiers.f, 1.0, "F")?,
            lag: eval(&modifiers.alag, 0.0, "ALAG")?,
            interval: row.ii,
            additional: row.addl,
            steady_state: match row.ss {
                1 => SteadyState::Reset,
                2 => SteadyState::Add,
                _ => SteadyState::No,
            },
        };
        dose.check()?;
        Ok(dose)
    };
    Ok(match row.evid {
        0 => RecordKind::Observation,
        1 => RecordKind::Dose(dose()?),
        2 => RecordKind::Other,
        3 => RecordKind::Reset,
        4 => RecordKind::ResetDose(dose()?),
        e => return Err(format!("EVID {e} is not valid")),
    })
}

/// Writes rows as CSV: ID, TIME, EVID, the output, DV (when simulated), A1…An.
pub fn write_csv<W: std::io::Write>(model: &PkModelFile, result: &PkRunResult, out: W) -> std::io::Result<()> {
    let mut w = csv::Writer::from_writer(out);
    let with_dv = result.rows.iter().any(|r| r.dv.is_some());
    let mut header = vec!["ID".to_string(), "TIME".into(), "EVID".into(), model.output.clone()];
    if with_dv {
        header.push("DV".into());
    }
    header.extend((1..=model.structure.n_cmt()).map(|i| format!("A{i}")));
    w.write_record(&header)?;
    let mut fields = Vec::with_capacity(header.len());
    for r in &result.rows {
        fields.clear();
        fields.push(r.id.clone());
        fields.push(number(r.time));
        fields.push(r.evid.to_string());
        fields.push(number(r.output));
        if with_dv {
            fields.push(r.dv.map_or(String::new(), number));
        }
        fields.extend(r.amounts.iter().copied().map(number));
        w.write_record(&fields)?;
    }
    w.flush()
}

/// A number as CSV text: the shortest form that reads back to the same `f64`, in scientific
/// notation where plain digits would be long (|x| < 1e-5 or ≥ 1e15, e.g. `1.39e-31` rather
/// than thirty zeros).
fn number(x: f64) -> String {
    if x != 0.0 && x.is_finite() && !(1e-5..1e15).contains(&x.abs()) { format!("{x:e}") } else { x.to_string() }
}

#[cfg(test)]
mod tests {
    use super::number;

    #[test]
    fn numbers_round_trip_and_stay_short() {
        for x in [0.0, -0.0, 1.0, 0.1, 123.456, 1e-5, 9.99e-6, -1.3907791823725651e-31, 2.5e15, 1e300, f64::MIN_POSITIVE] {
            let text = number(x);
            assert_eq!(text.parse::<f64>().unwrap().to_bits(), x.to_bits(), "{x} -> {text}");
            assert!(text.len() <= 24, "{text}");
        }
        assert_eq!(number(-1.3907791823725651e-31), "-1.3907791823725651e-31");
        assert_eq!(number(0.5), "0.5");
    }
}
