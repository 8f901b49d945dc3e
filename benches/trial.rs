//! Trial engine benchmarks (engine only; the DuckDB writes are in `store.rs`).
//!
//! - `trial/dose_ranging/200`: one trial of the shipped dose-ranging scenario (200
//!   patients, full PK/PD, safety, dropout, compliance), including World and schedule
//!   construction;
//! - `trial/patients/N`: one trial with N patients (World cost amortised);
//! - `trial/run/dose_ranging/100x200`: 100 trials through the driver on all cores.
//!
//! Patients come from the test-only cohort source (the generator is measured in
//! `models/cohort/benches`).

// criterion's macros generate undocumented public functions.
#![allow(missing_docs)]

use std::sync::atomic::AtomicBool;

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use vtrial_sim::cohort::{CohortSource, TestOnlySource};
use vtrial_sim::driver::{self, RunOptions};
use vtrial_sim::rows::{Sink, SinkError, TrialOutput};
use vtrial_sim::scenario::{self, Overrides, ScenarioFile};

const SCENARIO: &str = include_str!("../scenarios/phase2-dose-ranging.toml");

struct Drop;

impl Sink for Drop {
    fn write(&mut self, batch: Vec<TrialOutput>) -> Result<(), SinkError> {
        std::hint::black_box(batch);
        Ok(())
    }
}

/// The dose-ranging scenario without its sweep, with `n` patients per arm.
fn file(n_per_arm: usize, replicates: u32) -> ScenarioFile {
    let text = SCENARIO.split("[sweep]").next().unwrap().replace("n_per_arm = 50", &format!("n_per_arm = {n_per_arm}"));
    scenario::parse(&text, "dose-ranging", &TestOnlySource.columns(), Overrides { replicates: Some(replicates), ..Default::default() }).unwrap()
}

fn run(file: &ScenarioFile, threads: usize) {
    driver::run(file, &TestOnlySource, &mut Drop, RunOptions { threads, ..RunOptions::default() }, &mut |_, _| {}, &AtomicBool::new(false)).unwrap();
}

fn bench(c: &mut Criterion) {
    let mut g = c.benchmark_group("trial");
    g.sample_size(20);
    let f = file(50, 1);
    g.throughput(Throughput::Elements(200));
    g.bench_function(BenchmarkId::new("dose_ranging", 200), |b| b.iter(|| run(&f, 1)));
    for n in [1_000usize, 10_000] {
        let f = file(n / 4, 1);
        g.throughput(Throughput::Elements(n as u64));
        g.bench_function(BenchmarkId::new("patients", n), |b| b.iter(|| run(&f, 1)));
    }
    let f = file(50, 100);
    g.throughput(Throughput::Elements(100 * 200));
    g.bench_function(BenchmarkId::new("run/dose_ranging", "100x200"), |b| b.iter(|| run(&f, 0)));
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
