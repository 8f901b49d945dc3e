//! The run writer: one thread owns the DuckDB connection; the engine hands it batches of
//! rows through a bounded channel (so a slow disk slows the simulation instead of filling
//! memory). Everything of a run — its `runs` row, points, arms, trials, patients,
//! observations — is appended inside one transaction, committed only when the run
//! completes. An interrupted or failed run is rolled back and then recorded on its own
//! with its status and message, and no results; after `kill -9` the uncommitted
//! transaction is simply gone when DuckDB next opens the file.

use std::path::{Path, PathBuf};
use std::sync::mpsc::{Receiver, SyncSender, sync_channel};
use std::thread::JoinHandle;

use duckdb::{Connection, params};
use vtrial_sim::rows::{Sink, SinkError, TrialOutput};
use vtrial_sim::scenario::{Endpoint, ScenarioPoint};

use crate::StoreError;

/// Provenance and layout of a run, written before its results.
#[derive(Debug, Clone)]
pub struct RunMeta {
    /// Study name.
    pub scenario_name: String,
    /// Path of the scenario file.
    pub scenario_file: String,
    /// Its text.
    pub scenario_text: String,
    /// SHA-256 of the text.
    pub scenario_sha256: String,
    /// Seed.
    pub seed: u64,
    /// Replicates per point.
    pub replicates: u32,
    /// `trial`, `patient` or `observation`.
    pub detail: String,
    /// Worker threads.
    pub threads: u32,
    /// Where patients come from.
    pub cohort_source: String,
    /// vtrial version.
    pub engine_version: String,
    /// The points: index, label, swept values (name, number, text).
    pub points: Vec<PointMeta>,
    /// Start of the run, microseconds since the Unix epoch (UTC); see [`now_micros`].
    pub started_micros: i64,
}

/// The current time in microseconds since the Unix epoch (UTC). DuckDB's `now()` is the
/// start of the transaction, which for a run is its start: the end is taken here.
pub fn now_micros() -> i64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_micros() as i64)
}

/// One scenario point.
#[derive(Debug, Clone)]
pub struct PointMeta {
    /// Index.
    pub point: u32,
    /// Label.
    pub label: String,
    /// Swept parameters: (name, numeric value, value as text).
    pub parameters: Vec<(String, Option<f64>, String)>,
    /// Arms: (name, regimen text).
    pub arms: Vec<(String, String)>,
    /// The endpoints, in the engine's order (primary first).
    pub endpoints: Vec<EndpointMeta>,
}

impl PointMeta {
    /// The layout of a resolved scenario point.
    pub fn from_point(p: &ScenarioPoint) -> PointMeta {
        PointMeta {
            point: p.index as u32,
            label: p.label.clone(),
            parameters: p.parameters(),
            arms: p.scenario.arms.iter().map(|a| (a.name.clone(), a.regimen_text.clone())).collect(),
            endpoints: p.scenario.endpoints.iter().map(EndpointMeta::from_endpoint).collect(),
        }
    }
}

/// How an endpoint is analysed: the columns every comparison row of it repeats.
#[derive(Debug, Clone)]
pub struct EndpointMeta {
    /// Name.
    pub name: String,
    /// Whether it is the primary endpoint.
    pub primary: bool,
    /// Method as written in the scenario.
    pub method: String,
    /// `mean_difference`, `risk_difference`, `log_odds_ratio` or `log_hazard_ratio`.
    pub estimand: String,
    /// `superiority` or `non_inferiority`.
    pub hypothesis: String,
    /// `two`, `one_upper` or `one_lower`.
    pub sided: String,
    /// Significance level.
    pub alpha: f64,
    /// Non-inferiority margin (0 for superiority).
    pub margin: f64,
    /// Multiplicity adjustment.
    pub multiplicity: String,
    /// Analysed within the randomisation strata.
    pub stratified: bool,
}

impl EndpointMeta {
    /// What the store records of a resolved endpoint.
    pub fn from_endpoint(e: &Endpoint) -> EndpointMeta {
        let h = &e.hypothesis;
        EndpointMeta {
            name: e.name.clone(),
            primary: e.primary,
            method: e.method.name().into(),
            estimand: e.method.estimand().into(),
            hypothesis: if h.margin > 0.0 { "non_inferiority" } else { "superiority" }.into(),
            sided: h.sided.name().into(),
            alpha: h.alpha,
            margin: h.margin,
            multiplicity: e.multiplicity.name().into(),
            stratified: e.stratified,
        }
    }
}

/// How a run ended.
#[derive(Debug, Clone, PartialEq)]
pub enum RunEnd {
    /// Every trial was written: commit.
    Complete,
    /// Stopped by the user: roll back, record the status.
    Interrupted(String),
    /// Stopped by an error: roll back, record the status.
    Failed(String),
}

enum Msg {
    Batch(Vec<TrialOutput>),
    End(RunEnd),
}

/// Writes one run; a [`Sink`] for the engine. Call [`RunWriter::finish`] at the end.
pub struct RunWriter {
    sender: Option<SyncSender<Msg>>,
    handle: Option<JoinHandle<Result<i64, StoreError>>>,
    path: PathBuf,
}

impl RunWriter {
    /// Opens the store (creating the schema if needed), starts the writer thread and the
    /// run's transaction. `capacity`: batches the channel holds.
    pub fn start(path: &Path, meta: RunMeta, capacity: usize) -> Result<RunWriter, StoreError> {
        let (tx, rx) = sync_channel::<Msg>(capacity.max(1));
        let (ready_tx, ready_rx) = sync_channel::<Result<(), StoreError>>(1);
        let p = path.to_path_buf();
        let handle = std::thread::Builder::new()
            .name("vtrial-store".into())
            .spawn(move || writer_thread(&p, meta, rx, ready_tx))
            .map_err(|e| StoreError::Io { path: path.display().to_string(), source: e })?;
        let mut w = RunWriter { sender: Some(tx), handle: Some(handle), path: path.to_path_buf() };
        match ready_rx.recv() {
            Ok(Ok(())) => Ok(w),
            Ok(Err(e)) => {
                w.sender = None;
                let _ = w.handle.take().map(JoinHandle::join);
                Err(e)
            }
            Err(_) => Err(w.join_error()),
        }
    }

    fn join_error(&mut self) -> StoreError {
        self.sender = None;
        match self.handle.take().map(JoinHandle::join) {
            Some(Ok(Err(e))) => e,
            Some(Err(_)) => StoreError::Writer { path: self.path.display().to_string(), message: "the writer thread panicked".into() },
            _ => StoreError::Writer { path: self.path.display().to_string(), message: "the writer thread stopped".into() },
        }
    }

    /// Ends the run: commits it (`Complete`) or rolls it back and records its status.
    /// Returns the run id.
    pub fn finish(mut self, end: RunEnd) -> Result<i64, StoreError> {
        let sent = self.sender.take().map(|s| s.send(Msg::End(end)).is_ok()).unwrap_or(false);
        match self.handle.take().map(JoinHandle::join) {
            Some(Ok(r)) => r,
            Some(Err(_)) => Err(StoreError::Writer { path: self.path.display().to_string(), message: "the writer thread panicked".into() }),
            None => Err(StoreError::Writer { path: self.path.display().to_string(), message: format!("already finished (sent: {sent})") }),
        }
    }
}

impl Sink for RunWriter {
    fn write(&mut self, batch: Vec<TrialOutput>) -> Result<(), SinkError> {
        let ok = self.sender.as_ref().is_some_and(|s| s.send(Msg::Batch(batch)).is_ok());
        if ok { Ok(()) } else { Err(SinkError(self.join_error().to_string())) }
    }
}

impl Drop for RunWriter {
    /// Dropped without `finish` (a panic upstream): the channel closes, the writer thread
    /// rolls back and records the run as failed.
    fn drop(&mut self) {
        self.sender = None;
        if let Some(h) = self.handle.take() {
            let _ = h.join();
        }
    }
}

fn writer_thread(path: &Path, meta: RunMeta, rx: Receiver<Msg>, ready: SyncSender<Result<(), StoreError>>) -> Result<i64, StoreError> {
    let name = path.display().to_string();
    let err = |source| StoreError::Duckdb { path: name.clone(), source };
    let conn = match crate::open(path) {
        Ok(c) => c,
        Err(e) => {
            let _ = ready.send(Err(StoreError::Writer { path: name.clone(), message: e.to_string() }));
            return Err(e);
        }
    };
    let started: Result<i64, StoreError> = (|| {
        conn.execute_batch("BEGIN TRANSACTION").map_err(err)?;
        let run_id: i64 = conn.query_row("SELECT coalesce(max(run_id), 0) + 1 FROM runs", [], |r| r.get(0)).map_err(err)?;
        insert_run(&conn, run_id, &meta, "complete", None, false).map_err(err)?;
        Ok(run_id)
    })();
    let run_id = match started {
        Ok(id) => {
            let _ = ready.send(Ok(()));
            id
        }
        Err(e) => {
            let _ = ready.send(Err(StoreError::Writer { path: name.clone(), message: e.to_string() }));
            return Err(e);
        }
    };
    let outcome: Result<RunEnd, StoreError> = (|| {
        let mut trials = conn.appender("trials").map_err(err)?;
        let mut looks = conn.appender("looks").map_err(err)?;
        let mut comparisons = conn.appender("comparisons").map_err(err)?;
        let mut failures = conn.appender("failures").map_err(err)?;
        let mut arms = conn.appender("arms").map_err(err)?;
        let mut patients = conn.appender("patients").map_err(err)?;
        let mut observations = conn.appender("observations").map_err(err)?;
        let end = loop {
            match rx.recv() {
                Ok(Msg::Batch(batch)) => {
                    for t in &batch {
                        let tr = &t.trial;
                        trials
                            .append_row(params![
                                run_id, tr.point, tr.replicate, tr.n_patients, tr.n_dropouts, tr.n_failed, tr.n_ae, tr.success,
                                tr.stopped_look, tr.stop_reason, tr.analysis_day,
                                tr.analysis_events, tr.enrolled_at_analysis
                            ])
                            .map_err(err)?;
                        for l in &t.looks {
                            looks
                                .append_row(params![
                                    run_id, l.point, l.replicate, l.look, l.information, l.patients, l.events, l.cut_day, l.p_value, l.z,
                                    l.efficacy_z, l.level, l.futility_z, l.estimate, l.std_error, l.rci.map(|x| x.0), l.rci.map(|x| x.1),
                                    l.rci_level, l.truth, l.p_stagewise, l.estimate_stagewise, l.ci_stagewise.map(|x| x.0),
                                    l.ci_stagewise.map(|x| x.1), l.outcome, l.failure
                                ])
                                .map_err(err)?;
                        }
                        for c in &t.comparisons {
                            let Some(e) = meta.points.get(c.point as usize).and_then(|p| p.endpoints.get(c.endpoint as usize)) else {
                                return Err(StoreError::Writer {
                                    path: name.clone(),
                                    message: format!("comparison of endpoint {} at point {}: not in the run's layout", c.endpoint, c.point),
                                });
                            };
                            comparisons
                                .append_row(params![
                                    run_id, c.point, c.replicate, e.name, e.primary, c.comparison, c.control, c.treatment, e.method, c.test,
                                    e.estimand, e.hypothesis, e.sided, e.alpha, e.margin, e.multiplicity, e.stratified, c.n_control,
                                    c.n_treatment, c.events, c.estimate, c.std_error, c.ci.map(|x| x.0), c.ci.map(|x| x.1), c.statistic,
                                    c.df, c.p_value, c.p_adjusted, c.decision, c.truth, c.failure
                                ])
                                .map_err(err)?;
                        }
                        for f in &t.failures {
                            failures.append_row(params![run_id, f.point, f.replicate, f.patient, f.arm, f.reason]).map_err(err)?;
                        }
                        for a in &t.arms {
                            arms.append_row(params![
                                run_id, a.point, a.replicate, a.arm, a.n, a.n_completed, a.n_dropouts, a.n_failed, a.n_ae, a.n_events,
                                a.endpoint_n, a.endpoint_mean, a.endpoint_sd, a.exposure_mean
                            ])
                            .map_err(err)?;
                        }
                        for p in &t.patients {
                            patients
                                .append_row(params![
                                    run_id, p.point, p.replicate, p.patient, p.arm, p.entry_day, p.age, p.sex, p.weight, p.egfr, p.bsa, p.crcl,
                                    p.status.name(), p.dropout_day, p.ae_day, p.event_day, p.event_observed, p.dose_mg,
                                    p.maintenance_dose_mg, p.tdm_dose_changes, p.regimen, p.adjust_rule,
                                    p.exposure, p.baseline, p.endpoint, p.failure
                                ])
                                .map_err(err)?;
                        }
                        for o in &t.observations {
                            observations
                                .append_row(params![run_id, o.point, o.replicate, o.patient, o.time_h, o.kind.name(), o.value])
                                .map_err(err)?;
                        }
                    }
                }
                Ok(Msg::End(end)) => break end,
                Err(_) => break RunEnd::Failed("the run stopped without finishing (the engine panicked?)".into()),
            }
        };
        if end == RunEnd::Complete {
            // Errors on drop are discarded: flush explicitly.
            for a in [&mut trials, &mut looks, &mut comparisons, &mut failures, &mut arms, &mut patients, &mut observations] {
                a.flush().map_err(err)?;
            }
        }
        Ok(end)
    })();
    match outcome {
        Ok(RunEnd::Complete) => {
            conn.execute("UPDATE runs SET finished_at = make_timestamp(?) WHERE run_id = ?", params![now_micros(), run_id]).map_err(err)?;
            conn.execute_batch("COMMIT").map_err(err)?;
            Ok(run_id)
        }
        Ok(RunEnd::Interrupted(m)) => record_abort(&conn, run_id, &meta, "interrupted", &m).map_err(err),
        Ok(RunEnd::Failed(m)) => record_abort(&conn, run_id, &meta, "failed", &m).map_err(err),
        Err(e) => {
            let _ = record_abort(&conn, run_id, &meta, "failed", &e.to_string());
            Err(e)
        }
    }
}

fn record_abort(conn: &Connection, run_id: i64, meta: &RunMeta, status: &str, message: &str) -> duckdb::Result<i64> {
    conn.execute_batch("ROLLBACK")?;
    conn.execute_batch("BEGIN TRANSACTION")?;
    insert_run(conn, run_id, meta, status, Some(message), true)?;
    conn.execute_batch("COMMIT")?;
    Ok(run_id)
}

fn insert_run(conn: &Connection, run_id: i64, m: &RunMeta, status: &str, message: Option<&str>, finished: bool) -> duckdb::Result<()> {
    let version: String = conn.query_row("SELECT version()", [], |r| r.get(0))?;
    conn.execute(
        "INSERT INTO runs VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, make_timestamp(?), make_timestamp(?), ?, ?)",
        params![
            run_id,
            m.scenario_name,
            m.scenario_file,
            m.scenario_text,
            m.scenario_sha256,
            m.seed,
            m.replicates,
            m.points.len() as u32,
            m.detail,
            m.threads,
            m.cohort_source,
            m.engine_version,
            version,
            m.started_micros,
            finished.then(now_micros),
            status,
            message
        ],
    )?;
    if status == "complete" {
        let mut points = conn.appender("points")?;
        let mut params_app = conn.appender("point_parameters")?;
        let mut arms = conn.appender("arm_definitions")?;
        for p in &m.points {
            points.append_row(params![run_id, p.point, p.label])?;
            for (name, num, text) in &p.parameters {
                params_app.append_row(params![run_id, p.point, name, num, text])?;
            }
            for (k, (name, regimen)) in p.arms.iter().enumerate() {
                arms.append_row(params![run_id, p.point, k as u32, name, regimen])?;
            }
        }
        points.flush()?;
        params_app.flush()?;
        arms.flush()?;
    }
    Ok(())
}
