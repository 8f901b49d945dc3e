//! Simulates subjects of mrgsolve's benchmark case (100 mg q24h x 28, hourly observations
//! 0–672 h) with a two-compartment oral model, by closed form or by ODE, and prints subjects
//! per second (and, for the ODE, the solver's steps per subject). For profiling, e.g.
//! `valgrind --tool=callgrind target/release/examples/throughput closed 500`; the criterion
//! benchmark in `benches/pk.rs` gives the reference figures.
//!
//! Usage: `throughput [closed|ode|adams] [SUBJECTS] [RTOL] [ATOL]` (`ode`: `Method::Auto`;
//! `adams`: `Method::Adams`)
use vtrial_pk::nonlinear::{LinearOde, OdePk};
use vtrial_pk::ode::{Method, SolveStats, SolverOptions};
use vtrial_pk::{Dose, LinearParams, LinearPk, PkSystem, Record, RecordKind, Simulator, Structure};

fn run<S: PkSystem>(sim: &mut Simulator, systems: &mut [S; 1], records: &[Record]) -> f64 {
    let mut total = 0.0;
    sim.run(systems, records, |_, a| total += a[1]).expect("simulates");
    total
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let adams = args.get(1).is_some_and(|a| a == "adams");
    let ode = adams || args.get(1).is_some_and(|a| a == "ode");
    let n: usize = args.get(2).and_then(|a| a.parse().ok()).unwrap_or(if ode { 1_000 } else { 100_000 });
    let mut options = SolverOptions::default();
    if adams {
        options.method = Method::Adams;
    }
    if let Some(rtol) = args.get(3).and_then(|a| a.parse().ok()) {
        options.rtol = rtol;
    }
    if let Some(atol) = args.get(4).and_then(|a| a.parse().ok()) {
        options.atol = atol;
    }
    let mut records = vec![Record { time: 0.0, kind: RecordKind::Dose(Dose::bolus(0, 100.0).every(24.0, 27)), params: 0 }];
    records.extend((0..=672).map(|h| Record { time: f64::from(h), kind: RecordKind::Observation, params: 0 }));
    let mut sim = Simulator::default();
    let start = std::time::Instant::now();
    let mut total = 0.0;
    let mut stats = SolveStats::default();
    for i in 0..n {
        let f = 1.0 + (i % 97) as f64 / 200.0;
        let p = LinearParams { cl: 1.0 * f, v: 20.0 / f, q: 2.0, v2: 50.0 * f, ka: 1.2 * f, ..Default::default() };
        total += if ode {
            let mut systems = [OdePk::new(LinearOde::new(Structure::TwoCmtOral, p).expect("valid"), options.clone())];
            let total = run(&mut sim, &mut systems, &records);
            stats += systems[0].solve_stats();
            total
        } else {
            run(&mut sim, &mut [LinearPk::new(Structure::TwoCmtOral, p).expect("valid")], &records)
        };
    }
    let secs = start.elapsed().as_secs_f64();
    println!("{} {n} subjects in {secs:.3} s: {:.0} subjects/s (checksum {total:.9e})", if ode { "ode" } else { "closed" }, n as f64 / secs);
    if ode && n > 0 {
        let per = |x: usize| x as f64 / n as f64;
        println!(
            "per subject: {:.1} steps, {:.1} rejected, {:.1} right-hand-side calls (without DOP853's dense output), {:.1} stiff steps",
            per(stats.steps),
            per(stats.rejected),
            per(stats.rhs_evals),
            per(stats.stiff_steps)
        );
    }
}
