//! Simulates subjects of mrgsolve's benchmark case (100 mg q24h x 28, hourly observations
//! 0–672 h) with a two-compartment oral model, by closed form or by ODE, and prints subjects
//! per second (and, for the ODE, the solver's steps per subject). For profiling, e.g.
//! `valgrind --tool=callgrind target/release/examples/throughput closed 500`; the criterion
//! benchmark in `benches/pk.rs` gives the reference figures.
//!
//! Usage: `throughput [closed|ode|rk|adams|mm] [SUBJECTS] [RTOL] [ATOL]` (`ode`:
//! `Method::Auto`, the Taylor series; `rk`: `Method::RungeKutta`, DOP853 at rtol ≤ 1e-5;
//! `adams`: `Method::Adams`; `mm`: the same regimen with Michaelis–Menten elimination,
//! VMAX 10 mg/h, KM 2 mg/L, by `Method::Auto`, which is `Method::RungeKutta` for it)
use vtrial_pk::nonlinear::{LinearOde, MichaelisMenten, OdePk};
use vtrial_pk::ode::{Method, SolveStats, SolverOptions};
use vtrial_pk::{Dose, LinearParams, LinearPk, PkSystem, Record, RecordKind, Simulator, Structure};

fn run<S: PkSystem>(sim: &mut Simulator, systems: &mut [S; 1], records: &[Record]) -> f64 {
    let mut total = 0.0;
    sim.run(systems, records, |_, a| total += a[1]).expect("simulates");
    total
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let mode = args.get(1).map_or("closed", String::as_str);
    let mm = mode.starts_with("mm");
    let ode = mode != "closed";
    let n: usize = args.get(2).and_then(|a| a.parse().ok()).unwrap_or(if ode { 1_000 } else { 100_000 });
    let method = match mode {
        "adams" => Method::Adams,
        "rk" => Method::RungeKutta,
        _ => Method::Auto,
    };
    let mut options = SolverOptions { method, ..SolverOptions::default() };
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
        total += if mm {
            let model = MichaelisMenten { vmax: 10.0, km: 2.0, v: p.v, cl: 0.0, ka: Some(p.ka), peripheral: Some((p.q, p.v2)) };
            let mut systems = [OdePk::new(model, options.clone())];
            let total = run(&mut sim, &mut systems, &records);
            stats += systems[0].solve_stats();
            total
        } else if ode {
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
