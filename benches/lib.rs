//! Fixtures shared by the benchmarks: regimens and populations built the same way each run.

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rand_distr::StandardNormal;
use vtrial_pk::{Dose, LinearParams, Record, RecordKind};

/// mrgsolve's published benchmark regimen: 100 mg every 24 h for 28 days (one record with
/// ADDL = 27) into compartment `cmt`, observed every hour from 0 to 672 h (673 observations).
pub fn daily_dosing_hourly_sampling(cmt: usize) -> Vec<Record> {
    let mut records = vec![Record { time: 0.0, kind: RecordKind::Dose(Dose::bolus(cmt, 100.0).every(24.0, 27)), params: 0 }];
    records.extend((0..=672).map(|h| Record { time: f64::from(h), kind: RecordKind::Observation, params: 0 }));
    records
}

/// `n` individual parameter sets: typical values with 30 % log-normal variability on each,
/// from a fixed seed.
pub fn population(n: usize, typical: LinearParams) -> Vec<LinearParams> {
    let mut rng = ChaCha8Rng::seed_from_u64(20261127);
    let mut eta = move || (0.3 * rng.sample::<f64, _>(StandardNormal)).exp();
    (0..n)
        .map(|_| LinearParams {
            cl: typical.cl * eta(),
            v: typical.v * eta(),
            q: typical.q * eta(),
            v2: typical.v2 * eta(),
            q3: typical.q3,
            v3: typical.v3,
            ka: typical.ka * eta(),
        })
        .collect()
}
