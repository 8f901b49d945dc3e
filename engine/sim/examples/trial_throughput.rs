//! Simulated patients per second on a scenario, with the test-only cohort source and a sink
//! that drops the rows (engine only, no storage):
//! `cargo run --release -p vtrial-sim --example trial_throughput -- scenarios/phase2-dose-ranging.toml 1000 [threads]`

use std::sync::atomic::AtomicBool;
use std::time::Instant;

use vtrial_sim::cohort::{CohortSource, TestOnlySource};
use vtrial_sim::driver::{self, RunOptions};
use vtrial_sim::rows::{Sink, SinkError, TrialOutput};
use vtrial_sim::scenario::{self, Overrides};

struct Count(u64);

impl Sink for Count {
    fn write(&mut self, batch: Vec<TrialOutput>) -> Result<(), SinkError> {
        self.0 += batch.iter().map(|t| u64::from(t.trial.n_patients)).sum::<u64>();
        Ok(())
    }
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let path = args.get(1).map_or("scenarios/phase2-dose-ranging.toml", String::as_str);
    let replicates = args.get(2).and_then(|s| s.parse().ok());
    let threads = args.get(3).and_then(|s| s.parse().ok()).unwrap_or(0);
    let file = scenario::load(path.as_ref(), &TestOnlySource.columns(), Overrides { replicates, ..Default::default() }).unwrap_or_else(|e| panic!("{e}"));
    let start = Instant::now();
    let mut sink = Count(0);
    let summary = driver::run(&file, &TestOnlySource, &mut sink, RunOptions { threads, ..RunOptions::default() }, &mut |_, _| {}, &AtomicBool::new(false)).unwrap();
    let secs = start.elapsed().as_secs_f64();
    for p in summary {
        println!("{:>3} {:<50} trials {:>5} success {:.3} ± {:.3}", p.point, p.label, p.trials, p.success, p.mcse);
    }
    println!("{} patients in {secs:.2} s: {:.0} patients/s", sink.0, sink.0 as f64 / secs);
}
