//! Simulates subjects of mrgsolve's benchmark case (one-compartment oral, 100 mg q24h x 28,
//! hourly observations 0–672 h) and prints subjects per second. For profiling, e.g.
//! `valgrind --tool=callgrind target/release/examples/throughput 2000`; the criterion
//! benchmark in `benches/pk.rs` is the reference figure.
use vtrial_pk::{Dose, LinearParams, LinearPk, Record, RecordKind, Simulator, Structure};

fn main() {
    let n: usize = std::env::args().nth(1).and_then(|a| a.parse().ok()).unwrap_or(100_000);
    let mut records = vec![Record { time: 0.0, kind: RecordKind::Dose(Dose::bolus(0, 100.0).every(24.0, 27)), params: 0 }];
    records.extend((0..=672).map(|h| Record { time: f64::from(h), kind: RecordKind::Observation, params: 0 }));
    let mut sim = Simulator::default();
    let start = std::time::Instant::now();
    let mut total = 0.0;
    for i in 0..n {
        let f = 1.0 + (i % 97) as f64 / 200.0;
        let p = LinearParams { cl: 1.0 * f, v: 20.0 / f, ka: 1.2 * f, ..Default::default() };
        let mut system = [LinearPk::new(Structure::OneCmtOral, p).expect("valid")];
        sim.run(&mut system, &records, |_, a| total += a[1]).expect("simulates");
    }
    let secs = start.elapsed().as_secs_f64();
    println!("{n} subjects in {secs:.3} s: {:.0} subjects/s (checksum {total:.6e})", n as f64 / secs);
}
