#![allow(missing_docs)] // criterion_group! generates undocumented functions
//! PK benchmarks: subjects simulated per second on one thread.
//!
//! `cargo bench -p vtrial-benches --bench pk` (see README for figures). Each iteration
//! simulates a population of subjects with different parameters, so the per-subject set-up
//! (eigenvalues, projectors) is included, as it is in a real run.

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use vtrial_benches::{daily_dosing_hourly_sampling, population};
use vtrial_pk::nonlinear::{LinearOde, OdePk};
use vtrial_pk::ode::{Method, SolverOptions};
use vtrial_pk::{LinearParams, LinearPk, Simulator, Structure};

const SUBJECTS: usize = 1_000;

fn closed_form(c: &mut Criterion, name: &str, structure: Structure, typical: LinearParams) {
    let records = daily_dosing_hourly_sampling(0);
    let params = population(SUBJECTS, typical);
    let central = structure.central();
    let mut group = c.benchmark_group(format!("pk/{name}"));
    group.throughput(Throughput::Elements(SUBJECTS as u64));
    group.bench_function(BenchmarkId::new("closed_form", "28_doses_673_obs"), |b| {
        let mut sim = Simulator::default();
        b.iter(|| {
            let mut total = 0.0;
            for p in &params {
                let mut system = [LinearPk::new(structure, *p).expect("valid parameters")];
                sim.run(&mut system, &records, |_, a| total += a[central]).expect("simulates");
            }
            total
        });
    });
    group.finish();
}

/// The same regimen and population solved by ODE: `Method::Auto` (for these models the
/// Taylor-series method) and, for comparison, `Method::RungeKutta` (DOP853 with stiffness
/// detection at both tolerances), at the solver's default tolerances (rtol 1e-8, atol 1e-10 mg)
/// and at rtol 1e-6, atol 1e-6 mg. The solver runs once per dosing interval (it restarts only
/// at doses, infusion starts and ends and lag times) and reads the hourly observations from
/// its dense output; `models/pk/examples/throughput.rs` prints the steps per subject.
fn ode(c: &mut Criterion, name: &str, structure: Structure, typical: LinearParams) {
    let records = daily_dosing_hourly_sampling(0);
    let params = population(SUBJECTS / 10, typical);
    let central = structure.central();
    let mut group = c.benchmark_group(format!("pk/{name}"));
    group.throughput(Throughput::Elements(params.len() as u64));
    let loose = SolverOptions { rtol: 1e-6, atol: 1e-6, ..SolverOptions::default() };
    let rk = |o: &SolverOptions| SolverOptions { method: Method::RungeKutta, ..o.clone() };
    for (label, options) in [
        ("ode_rtol1e-8_atol1e-10", SolverOptions::default()),
        ("ode_rtol1e-6_atol1e-6", loose.clone()),
        ("ode_rungekutta_rtol1e-8_atol1e-10", rk(&SolverOptions::default())),
        ("ode_rungekutta_rtol1e-6_atol1e-6", rk(&loose)),
    ] {
        group.bench_function(BenchmarkId::new(label, "28_doses_673_obs"), |b| {
            let mut sim = Simulator::default();
            b.iter(|| {
                let mut total = 0.0;
                for p in &params {
                    let model = LinearOde::new(structure, *p).expect("valid parameters");
                    let mut system = [OdePk::new(model, options.clone())];
                    sim.run(&mut system, &records, |_, a| total += a[central]).expect("simulates");
                }
                total
            });
        });
    }
    group.finish();
}

fn benches(c: &mut Criterion) {
    let one = LinearParams { cl: 1.0, v: 20.0, ka: 1.2, ..Default::default() };
    closed_form(c, "one_cmt_oral", Structure::OneCmtOral, one);
    let two = LinearParams { cl: 1.0, v: 20.0, q: 2.0, v2: 50.0, ka: 1.2, ..Default::default() };
    closed_form(c, "two_cmt_oral", Structure::TwoCmtOral, two);
    ode(c, "two_cmt_oral", Structure::TwoCmtOral, two);
}

criterion_group!(pk, benches);
criterion_main!(pk);
