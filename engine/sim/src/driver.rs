//! The run: every scenario point × replicate, rayon across trials, results streamed to a
//! [`Sink`] block by block of replicates.
//!
//! Patients come from pools, one per distinct cohort (criteria and generator), sampled a
//! block of replicates at a time so that memory does not grow with the number of
//! replicates: a block holds about [`POOL_BLOCK_PATIENTS`] patients per pool
//! (`block · n_max`), and trial `r` of the block takes rows `(r − first)·n_max ..`. Every
//! sweep point sees the same patients in replicate `r` (common random numbers: differences
//! between design points are not blurred by cohort noise), so the jobs run block-major:
//! for each block, every point's replicates of that block. Block 0 is sampled with the
//! pool's seed, later blocks with seeds drawn from it (so a run's first block is the same
//! whatever the number of replicates). The cohort generator — which is not thread-safe —
//! runs on the calling thread only. Trials run in batches: each batch in parallel,
//! collected in order, handed to the sink. The stored result is the same for any number of
//! threads.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use rand::RngCore;
use rayon::prelude::*;
use thiserror::Error;
use vtrial_expr::Value;
use vtrial_pk::population::{purpose, rng_stream};

use crate::cohort::{CohortRequest, CohortSource, CohortSourceError, Column, PatientTable};
use crate::design::{self, Method};
use crate::rows::{Sink, SinkError, TrialOutput};
use crate::scenario::{Allocation, ColumnValues, Randomisation, Scenario, ScenarioFile, check_levels};
use crate::trial::{self, Enrolled};

/// Why a run stopped.
#[derive(Debug, Error)]
pub enum RunError {
    /// The cohort could not be sampled.
    #[error("{file}: cohort (cohort.include / exclude and cohort arms' criteria) at scenario point {point}, criteria {criteria:?}: {source}")]
    Cohort {
        /// Scenario file.
        file: String,
        /// Point.
        point: usize,
        /// Criteria.
        criteria: String,
        /// Cause.
        source: CohortSourceError,
    },
    /// The scenario does not fit the cohort (e.g. a categorical effect names a level the
    /// cohort's column lacks).
    #[error("{file}: {key}: {message}")]
    Scenario {
        /// Scenario file.
        file: String,
        /// Key in the file.
        key: String,
        /// What is wrong and what would be valid.
        message: String,
    },
    /// The sink failed.
    #[error("writing results: {0}")]
    Sink(#[from] SinkError),
    /// Interrupted (Ctrl-C).
    #[error("interrupted after {done} of {total} trials")]
    Interrupted {
        /// Trials done.
        done: u64,
        /// Trials planned.
        total: u64,
    },
    /// The thread pool could not start.
    #[error("thread pool: {0}")]
    Threads(String),
}

/// How to run.
#[derive(Debug, Clone, Copy)]
pub struct RunOptions {
    /// Worker threads (0: all cores).
    pub threads: usize,
    /// Trials per batch handed to the sink.
    pub batch: usize,
    /// Most rows the generator may draw per pool block (see [`POOL_BLOCK_PATIENTS`]) to meet its criteria (0: the
    /// source's default).
    pub max_draws: usize,
    /// Patients per pool sampled at a time (0: [`POOL_BLOCK_PATIENTS`]); bounds the memory
    /// of the pools. Results depend on it (each block has its own seed), so runs keep the
    /// default; tests set it small.
    pub pool_block_patients: usize,
}

impl Default for RunOptions {
    fn default() -> Self {
        RunOptions { threads: 0, batch: 64, max_draws: 0, pool_block_patients: 0 }
    }
}

/// The summary of one point.
#[derive(Debug, Clone, PartialEq)]
pub struct PointSummary {
    /// Point index.
    pub point: usize,
    /// Its label.
    pub label: String,
    /// Trials run.
    pub trials: u64,
    /// Mean patients enrolled in each arm, in arm order (they differ with unequal allocation).
    pub mean_patients_per_arm: Vec<f64>,
    /// Mean dropouts per trial.
    pub mean_dropouts: f64,
    /// Patients whose simulation failed, all trials.
    pub failed_patients: u64,
    /// Trials whose primary endpoint has comparisons.
    pub compared: u64,
    /// Probability of success: the share of those trials in which every primary comparison
    /// rejected its null hypothesis (after the multiplicity adjustment). With one
    /// comparison it is its power (type-I error under the null).
    pub success: f64,
    /// Its Monte-Carlo standard error √(p(1−p)/n).
    pub mcse: f64,
    /// Per arm, per `[[arms.adjust]]` rule: patients it gave its regimen, all trials (a rule
    /// at 0 never fired: an earlier rule takes its patients, or none meets it).
    pub adjusted_patients: Vec<Vec<u64>>,
}

/// Patients per pool and block of replicates the run samples at a time (16 of the
/// generator's chunks: with criteria it draws at least that many rows per call anyway).
pub const POOL_BLOCK_PATIENTS: usize = 131_072;

/// One block of a pool: patients of one cohort for replicates `first ..`.
struct Pool {
    table: PatientTable,
    stride: usize,
    first: usize,
}

/// The pools' keys: (generator, criteria).
type PoolKey = (String, Option<String>);

fn and(a: &Option<String>, b: Option<&str>) -> Option<String> {
    match (a, b) {
        (None, None) => None,
        (Some(a), None) => Some(a.clone()),
        (None, Some(b)) => Some(b.to_string()),
        (Some(a), Some(b)) => Some(format!("{a} and ({b})")),
    }
}

/// The cohorts each point needs: (key, patients per trial), per arm for cohort designs.
fn needs(s: &Scenario) -> Vec<(PoolKey, usize)> {
    match &s.allocation {
        Allocation::Randomised { n_total, .. } => vec![((s.cohort.generator.clone(), s.cohort.criteria.clone()), *n_total as usize)],
        Allocation::Cohorts => s
            .arms
            .iter()
            .map(|a| {
                let (inc, n) = a.cohort.as_ref().expect("cohort arm");
                ((s.cohort.generator.clone(), and(&s.cohort.criteria, Some(inc))), *n as usize)
            })
            .collect(),
    }
}

fn key_seed(seed: u64, key: &PoolKey) -> u64 {
    // FNV-1a of the key text, then a stream of its own.
    let text = format!("{}\u{1f}{}", key.0, key.1.as_deref().unwrap_or(""));
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in text.bytes() {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0000_0100_0000_01b3);
    }
    rng_stream(seed, &[h, purpose::COHORT]).next_u64()
}

/// Checks that every cohort of every point can be sampled (a pilot of up to 50 patients
/// with at most `max_draws` generated rows, 0: 200,000): criteria no generated patient
/// meets fail here, before any simulation.
pub fn check_cohorts(file: &ScenarioFile, source: &dyn CohortSource, max_draws: usize) -> Result<(), RunError> {
    let mut seen = BTreeMap::new();
    for p in &file.points {
        for (key, n) in needs(&p.scenario) {
            if seen.insert(key.clone(), ()).is_some() {
                continue;
            }
            let req = CohortRequest {
                n: n.min(50),
                seed: key_seed(p.scenario.seed, &key),
                criteria: key.1.as_deref(),
                generator: &key.0,
                columns: &p.scenario.covariates,
                max_draws: if max_draws > 0 { max_draws } else { 200_000 },
            };
            let table = source.sample(&req).map_err(|e| RunError::Cohort { file: file.file.clone(), point: p.index, criteria: key.1.clone().unwrap_or_default(), source: e })?;
            // Every pool has the same columns: one check of the effects' levels.
            if seen.len() == 1 {
                let levels = |name: &str| {
                    let c = table.names.iter().position(|n| n == name)?;
                    Some(match &table.columns[c] {
                        Column::Text { levels, .. } => ColumnValues::Text(levels.clone()),
                        Column::Num(_) => ColumnValues::Codes(source.codes(name)),
                    })
                };
                check_levels(&file.categorical, levels)
                    .map_err(|(key, message)| RunError::Scenario { file: file.file.clone(), key, message })?;
                check_condition_types(file, &table)?;
            }
        }
    }
    Ok(())
}

/// Checks the dose-adjustment conditions with the cohort's column types (`sex < 30` compares
/// a label with a number: it would fail every patient it meets).
fn check_condition_types(file: &ScenarioFile, table: &PatientTable) -> Result<(), RunError> {
    for p in &file.points {
        let names: Vec<&str> = p.scenario.covariates.iter().map(String::as_str).collect();
        let text: Vec<bool> = names
            .iter()
            .map(|n| table.names.iter().position(|t| t == n).is_some_and(|c| matches!(table.columns[c], Column::Text { .. })))
            .collect();
        for (i, arm) in p.scenario.arms.iter().enumerate() {
            for (j, adj) in arm.adjust.iter().enumerate() {
                crate::scenario::check_adjust_condition(&adj.when, &names, &text).map_err(|message| RunError::Scenario {
                    file: file.file.clone(),
                    key: format!("arms[{i}].adjust[{j}].when"),
                    message,
                })?;
            }
        }
    }
    Ok(())
}

/// Runs every trial of the file, handing batches to `sink`; `progress(done, total)` after
/// each batch; `cancel` is checked between batches and before each pool block is sampled.
pub fn run(
    file: &ScenarioFile,
    source: &dyn CohortSource,
    sink: &mut dyn Sink,
    options: RunOptions,
    progress: &mut dyn FnMut(u64, u64),
    cancel: &AtomicBool,
) -> Result<Vec<PointSummary>, RunError> {
    let replicates = file.points[0].scenario.replicates as usize;
    // Sample the pools.
    let mut sizes: BTreeMap<PoolKey, (usize, usize)> = BTreeMap::new();
    for p in &file.points {
        // Arms that share a cohort (same criteria) take consecutive rows of its pool.
        let mut per_key: BTreeMap<PoolKey, usize> = BTreeMap::new();
        for (key, n) in needs(&p.scenario) {
            *per_key.entry(key).or_default() += n;
        }
        for (key, n) in per_key {
            let e = sizes.entry(key).or_insert((n, p.index));
            e.0 = e.0.max(n);
        }
    }
    let covariates = file.points[0].scenario.covariates.clone();
    let widest = sizes.values().map(|(stride, _)| *stride).max().unwrap_or(1).max(1);
    let per_block = if options.pool_block_patients > 0 { options.pool_block_patients } else { POOL_BLOCK_PATIENTS };
    let block = (per_block / widest).clamp(1, replicates.max(1));
    let scenarios: Vec<Arc<Scenario>> = file.points.iter().map(|p| Arc::new(p.scenario.clone())).collect();
    let total = (file.points.len() * replicates) as u64;
    let threads = if options.threads == 0 { rayon::current_num_threads() } else { options.threads };
    let pool = rayon::ThreadPoolBuilder::new().num_threads(threads).build().map_err(|e| RunError::Threads(e.to_string()))?;
    let mut summaries: Vec<Acc> = file.points.iter().map(|_| Acc::default()).collect();
    let mut done = 0u64;
    for (b, first) in (0..replicates).step_by(block).enumerate() {
        let reps = block.min(replicates - first);
        let mut pools: BTreeMap<PoolKey, Pool> = BTreeMap::new();
        for (key, &(stride, point)) in &sizes {
            if cancel.load(Ordering::Relaxed) {
                return Err(RunError::Interrupted { done, total });
            }
            let seed = block_seed(key_seed(file.points[0].scenario.seed, key), b);
            let req = CohortRequest { n: stride * reps, seed, criteria: key.1.as_deref(), generator: &key.0, columns: &covariates, max_draws: options.max_draws };
            let table = source.sample(&req).map_err(|e| RunError::Cohort { file: file.file.clone(), point, criteria: key.1.clone().unwrap_or_default(), source: e })?;
            pools.insert(key.clone(), Pool { table, stride, first });
        }
        let jobs: Vec<(usize, usize)> = (0..file.points.len()).flat_map(|p| (first..first + reps).map(move |r| (p, r))).collect();
        for chunk in jobs.chunks(options.batch.max(1)) {
            if cancel.load(Ordering::Relaxed) {
                return Err(RunError::Interrupted { done, total });
            }
            let outputs: Vec<TrialOutput> = pool.install(|| {
                chunk.par_iter().map(|&(p, r)| trial_job(&scenarios[p], p as u32, r as u32, &pools)).collect()
            });
            for o in &outputs {
                summaries[o.trial.point as usize].add(o, scenarios[o.trial.point as usize].arms.len());
            }
            sink.write(outputs)?;
            done += chunk.len() as u64;
            progress(done, total);
        }
    }
    Ok(file.points.iter().zip(summaries).map(|(p, a)| a.finish(p.index, p.label.clone())).collect())
}

/// The seed of block `b` of a pool: the pool's own for block 0, then one drawn from it.
fn block_seed(pool_seed: u64, b: usize) -> u64 {
    if b == 0 { pool_seed } else { rng_stream(pool_seed, &[b as u64, purpose::COHORT]).next_u64() }
}

/// Enrols, randomises and simulates one trial.
fn trial_job(s: &Arc<Scenario>, point: u32, replicate: u32, pools: &BTreeMap<PoolKey, Pool>) -> TrialOutput {
    let mut patients = Vec::new();
    let take = |pool: &Pool, offset: usize, n: usize, arm: usize, out: &mut Vec<Enrolled>| {
        let start = (replicate as usize - pool.first) * pool.stride + offset;
        for row in start..start + n {
            let t = &pool.table;
            let values: Vec<Value> = (0..t.names.len()).map(|c| t.value(c, row)).collect();
            let nums: Vec<f64> = (0..t.names.len()).map(|c| t.num(c, row)).collect();
            out.push(Enrolled { values, nums, arm, stratum: 0, failure: None });
        }
    };
    let mut offsets: BTreeMap<PoolKey, usize> = BTreeMap::new();
    for (a, (key, n)) in needs(s).into_iter().enumerate() {
        let offset = offsets.entry(key.clone()).or_default();
        take(&pools[&key], *offset, n, a, &mut patients);
        *offset += n;
    }
    if let Allocation::Randomised { method, .. } = &s.allocation {
        let ratios: Vec<u32> = s.arms.iter().map(|a| a.ratio).collect();
        let strata: Vec<String> = match method {
            Randomisation::Stratified { strata, .. } => patients
                .iter_mut()
                .map(|p| {
                    let mut label = Vec::with_capacity(strata.len());
                    for (text, c) in strata {
                        match c.eval(&p.values) {
                            Ok(v) => label.push(v.to_string()),
                            // Undefined for this patient (log of a negative): randomised
                            // with the others in a stratum of their own, then failed.
                            Err(e) => {
                                label.push("?".to_string());
                                p.failure.get_or_insert_with(|| format!("randomisation stratum {text:?}: {e}"));
                            }
                        }
                    }
                    label.join("|")
                })
                .collect(),
            _ => vec![String::new(); patients.len()],
        };
        let m = match method {
            Randomisation::Simple => Method::Simple,
            Randomisation::Block { size } | Randomisation::Stratified { size, .. } => Method::Blocks(*size),
        };
        let mut rng = rng_stream(s.seed, &[u64::from(point), u64::from(replicate), purpose::RANDOMISATION]);
        let arms = design::randomise(&ratios, m, &strata, &mut rng);
        // Stratum codes for the analyses: labels in sorted order.
        let labels: std::collections::BTreeSet<&String> = strata.iter().collect();
        let code = |label: &String| labels.iter().position(|l| *l == label).unwrap_or(0) as u32;
        for ((p, a), label) in patients.iter_mut().zip(arms).zip(&strata) {
            p.arm = a;
            p.stratum = code(label);
        }
    }
    trial::simulate(s, point, replicate, patients)
}

/// Running totals of a point.
#[derive(Debug, Default)]
struct Acc {
    trials: u64,
    /// Patients enrolled per arm, summed over trials.
    arm_patients: Vec<u64>,
    dropouts: u64,
    failed: u64,
    compared: u64,
    successes: u64,
    /// Per arm, per adjustment rule: patients it chose.
    adjusted: Vec<Vec<u64>>,
}

impl Acc {
    fn add(&mut self, o: &TrialOutput, n_arms: usize) {
        self.trials += 1;
        self.arm_patients.resize(n_arms, 0);
        for a in &o.arms {
            self.arm_patients[a.arm as usize] += u64::from(a.n);
        }
        self.adjusted.resize(o.adjusted.len(), Vec::new());
        for (acc, rules) in self.adjusted.iter_mut().zip(&o.adjusted) {
            acc.resize(rules.len(), 0);
            for (a, &n) in acc.iter_mut().zip(rules) {
                *a += u64::from(n);
            }
        }
        self.dropouts += u64::from(o.trial.n_dropouts);
        self.failed += u64::from(o.trial.n_failed);
        if let Some(success) = o.trial.success {
            self.compared += 1;
            self.successes += u64::from(success);
        }
    }

    fn finish(self, point: usize, label: String) -> PointSummary {
        let success = if self.compared > 0 { self.successes as f64 / self.compared as f64 } else { f64::NAN };
        PointSummary {
            point,
            label,
            trials: self.trials,
            mean_patients_per_arm: self.arm_patients.iter().map(|&n| n as f64 / self.trials.max(1) as f64).collect(),
            mean_dropouts: self.dropouts as f64 / self.trials.max(1) as f64,
            failed_patients: self.failed,
            compared: self.compared,
            success,
            mcse: (success * (1.0 - success) / self.compared as f64).sqrt(),
            adjusted_patients: self.adjusted,
        }
    }
}
