//! Run store benchmarks: appending a run's rows to a DuckDB file through the writer thread,
//! at trial and at patient detail (rows made once, outside the timing).
//!
//! - `store/write/trial/1000x200`: 1,000 trials (trials, 4 arms and 5 comparisons each);
//! - `store/write/patient/1000x200`: the same with 200 patient rows per trial.

// criterion's macros generate undocumented public functions.
#![allow(missing_docs)]

use std::sync::atomic::AtomicBool;

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use vtrial_sim::cohort::{CohortSource, TestOnlySource};
use vtrial_sim::driver::{self, RunOptions};
use vtrial_sim::rows::{Sink, TrialOutput};
use vtrial_sim::scenario::{self, Detail, Overrides, ScenarioFile};
use vtrial_store::writer::{PointMeta, RunEnd, RunMeta, RunWriter};

const SCENARIO: &str = include_str!("../scenarios/phase2-dose-ranging.toml");

fn file(replicates: u32) -> ScenarioFile {
    let text = SCENARIO.split("[sweep]").next().unwrap();
    scenario::parse(text, "dose-ranging", &TestOnlySource.columns(), Overrides { replicates: Some(replicates), detail: Some(Detail::Patient), ..Default::default() }).unwrap()
}

fn rows(replicates: u32) -> Vec<TrialOutput> {
    let mut out: Vec<TrialOutput> = Vec::new();
    driver::run(&file(replicates), &TestOnlySource, &mut out, RunOptions::default(), &mut |_, _| {}, &AtomicBool::new(false)).unwrap();
    out
}

fn meta() -> RunMeta {
    RunMeta {
        scenario_name: "bench".into(),
        scenario_file: "bench.toml".into(),
        scenario_text: String::new(),
        scenario_sha256: String::new(),
        seed: 1,
        replicates: 1000,
        detail: "patient".into(),
        threads: 1,
        cohort_source: "test".into(),
        engine_version: "bench".into(),
        started_micros: 0,
        points: file(1).points.iter().map(PointMeta::from_point).collect(),
    }
}

fn bench(c: &mut Criterion) {
    let all = rows(1000);
    let trial_only: Vec<TrialOutput> = all.iter().map(|t| TrialOutput { patients: vec![], observations: vec![], ..t.clone() }).collect();
    let dir = std::env::temp_dir().join(format!("vtrial-bench-store-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let mut g = c.benchmark_group("store/write");
    g.sample_size(10);
    for (name, data) in [("trial", &trial_only), ("patient", &all)] {
        g.throughput(Throughput::Elements(200 * data.len() as u64));
        g.bench_function(BenchmarkId::new(name, "1000x200"), |b| {
            b.iter(|| {
                let db = dir.join(format!("{name}.duckdb"));
                let _ = std::fs::remove_file(&db);
                let mut w = RunWriter::start(&db, meta(), 8).unwrap();
                for chunk in data.chunks(64) {
                    w.write(chunk.to_vec()).unwrap();
                }
                w.finish(RunEnd::Complete).unwrap();
            })
        });
    }
    g.finish();
    let _ = std::fs::remove_dir_all(&dir);
}

criterion_group!(benches, bench);
criterion_main!(benches);
