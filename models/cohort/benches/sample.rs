#![allow(missing_docs)] // criterion_group! generates an undocumented function
//! Sampling throughput of the shipped model (run: `cargo bench -p vtrial-cohort --bench sample`).
//!
//! Ids: `cohort/sample/{neural,copula}/100000` (whole cohorts without criteria, all rayon
//! threads, libtorch capped at one thread per chunk), `cohort/tokens/neural/8192` (the
//! batched NADE forward pass alone, one chunk) and `cohort/sample/neural_where/10000`
//! (with `age >= 65 and egfr < 60`).

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use rand::Rng;
use vtrial_cohort::rng::{Purpose, stream};
use vtrial_cohort::{CohortModel, Generator, SampleOptions, sample};

fn bench(c: &mut Criterion) {
    let model = CohortModel::default_model().expect("shipped model");
    let mut g = c.benchmark_group("cohort");
    g.sample_size(10);
    for (name, generator) in [("neural", Generator::Neural), ("copula", Generator::Copula)] {
        let n = 100_000;
        g.throughput(Throughput::Elements(n as u64));
        g.bench_function(format!("sample/{name}/{n}"), |b| {
            let mut o = SampleOptions::new(n, 1);
            o.generator = generator;
            b.iter(|| sample(&model, &o).expect("sample"))
        });
    }
    let n = 8192;
    let d = model.meta.columns.len();
    let mut rng = stream(1, Purpose::Tokens, 0);
    let u: Vec<f32> = (0..n * d).map(|_| rng.random::<f32>()).collect();
    tch::set_num_threads(1);
    g.throughput(Throughput::Elements(n as u64));
    g.bench_function(format!("tokens/neural/{n}"), |b| b.iter(|| model.nade.sample_tokens(&u, n)));
    let n = 10_000;
    g.throughput(Throughput::Elements(n as u64));
    g.bench_function(format!("sample/neural_where/{n}"), |b| {
        let mut o = SampleOptions::new(n, 1);
        o.criteria = Some("age >= 65 and egfr < 60".into());
        b.iter(|| sample(&model, &o).expect("sample"))
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
