//! Closed-form power.
//!
//! - Two-sample t-test with common SD σ, true difference Δ: `T` is noncentral t on
//!   `ν = n₁ + n₀ − 2` df with noncentrality `δ = Δ/(σ√(1/n₁ + 1/n₀))`; power is
//!   `P(T > t_{1−α}) ` (one-sided upper), `P(T < −t_{1−α})` (lower), or
//!   `P(T > t_{1−α/2}) + P(T < −t_{1−α/2})` (two-sided).
//! - Log-rank (Schoenfeld 1983, *Biometrika* 70:315–318): with a fraction `π` allocated to
//!   treatment, `D = (z_{1−α*} + z_{1−β})² / (π(1−π) ln²HR)` events, `α* = α/2` two-sided;
//!   power for `D` events `Φ(√(Dπ(1−π))·|ln HR| − z_{1−α*})`.

use crate::Sided;
use crate::dist::{nct, normal, t};

/// Power of the pooled two-sample t-test (equal variances).
pub fn t_test_power(delta: f64, sd: f64, n1: usize, n0: usize, alpha: f64, sided: Sided) -> f64 {
    let df = (n1 + n0) as f64 - 2.0;
    let ncp = delta / (sd * (1.0 / n1 as f64 + 1.0 / n0 as f64).sqrt());
    match sided {
        Sided::Two => {
            let c = t::quantile(1.0 - alpha / 2.0, df);
            nct::sf(c, df, ncp) + nct::cdf(-c, df, ncp)
        }
        Sided::OneUpper => nct::sf(t::quantile(1.0 - alpha, df), df, ncp),
        Sided::OneLower => nct::cdf(-t::quantile(1.0 - alpha, df), df, ncp),
    }
}

fn z_alpha(alpha: f64, sided: Sided) -> f64 {
    normal::quantile(
        1.0 - if sided == Sided::Two {
            alpha / 2.0
        } else {
            alpha
        },
    )
}

/// Schoenfeld's number of events for hazard ratio `hr`, allocation fraction `pi`.
pub fn schoenfeld_events(hr: f64, alpha: f64, power: f64, pi: f64, sided: Sided) -> f64 {
    (z_alpha(alpha, sided) + normal::quantile(power)).powi(2) / (pi * (1.0 - pi) * hr.ln().powi(2))
}

/// Schoenfeld's power of the log-rank test with `events` events.
pub fn schoenfeld_power(hr: f64, events: f64, alpha: f64, pi: f64, sided: Sided) -> f64 {
    normal::cdf((events * pi * (1.0 - pi)).sqrt() * hr.ln().abs() - z_alpha(alpha, sided))
}
