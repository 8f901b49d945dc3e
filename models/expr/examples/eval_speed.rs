//! Rough throughput of `eval_f64` and `eval_bool` on typical expressions:
//! `cargo run --release -p vtrial-expr --example eval_speed`.

use std::hint::black_box;
use std::time::Instant;

use vtrial_expr::{Expr, Value};

fn main() {
    let n = 5_000_000;
    let cases = [
        ("1.1 * (WT/70)^0.75 * exp(ETA_CL)", vec!["WT", "ETA_CL"]),
        ("theta_v * (1 + 0.3*(SEX == 1))", vec!["theta_v", "SEX"]),
        ("1.5 * exp(-0.2 * (AGE - 40) / 10)", vec!["AGE"]),
        ("if(MODE == 1, BIOAV, 1)", vec!["MODE", "BIOAV"]),
    ];
    for (src, names) in &cases {
        let c = Expr::parse(src).unwrap().compile(names).unwrap();
        let mut slots = vec![1.0; names.len()];
        let start = Instant::now();
        let mut acc = 0.0;
        for i in 0..n {
            slots[0] = 50.0 + (i % 50) as f64;
            acc += c.eval_f64(black_box(&slots)).unwrap();
        }
        let dt = start.elapsed();
        println!(
            "eval_f64  {src:40} {:6.1} ns/eval  ({:.1} M/s)  [{acc:.3e}]",
            dt.as_nanos() as f64 / n as f64,
            n as f64 / dt.as_secs_f64() / 1e6
        );
    }
    let start = Instant::now();
    let mut acc = 0.0;
    for i in 0..n {
        let wt = black_box(50.0 + (i % 50) as f64);
        acc += 1.1 * (wt / 70.0f64).powf(0.75) * black_box(1.0f64).exp();
    }
    let dt = start.elapsed();
    println!(
        "native Rust for the first: {:6.1} ns/eval [{acc:.3e}]",
        dt.as_nanos() as f64 / n as f64
    );
    let c = Expr::parse("age >= 65 and egfr < 60 and sex == 'F'")
        .unwrap()
        .compile(&["age", "egfr", "sex"])
        .unwrap();
    let mut slots = vec![Value::Num(70.0), Value::Num(50.0), Value::str("F")];
    let start = Instant::now();
    let mut count = 0usize;
    for i in 0..n {
        slots[1] = Value::Num((i % 120) as f64);
        count += usize::from(c.eval_bool(black_box(&slots)).unwrap());
    }
    let dt = start.elapsed();
    println!(
        "eval_bool criteria {:6.1} ns/eval [{count}]",
        dt.as_nanos() as f64 / n as f64
    );
}
