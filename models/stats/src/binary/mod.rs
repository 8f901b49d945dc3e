//! Binary endpoints. Counts are `(events, subjects)` per arm, treated arm first; the
//! estimate is on the difference-of-proportions scale `p₁ − p₀` except for logistic
//! regression (log odds ratio).

mod chisq;
mod fisher;
mod logistic;
mod proportions;

pub use chisq::chi_square;
pub use fisher::fisher_exact;
pub use logistic::{LogisticFit, logistic};
pub use proportions::{PropCi, diff_proportions, wilson};

use crate::StatsError;

/// Validates counts and returns `(p₁, p₀, Wald SE of p₁ − p₀)`.
pub(crate) fn props(x1: u64, n1: u64, x0: u64, n0: u64) -> Result<(f64, f64, f64), StatsError> {
    if n1 == 0 || n0 == 0 {
        return Err(StatsError::TooFewObservations {
            what: "an arm",
            got: 0,
            need: 1,
        });
    }
    if x1 > n1 || x0 > n0 {
        return Err(StatsError::InvalidArgument(format!(
            "events exceed subjects: {x1}/{n1}, {x0}/{n0}"
        )));
    }
    let (p1, p0) = (x1 as f64 / n1 as f64, x0 as f64 / n0 as f64);
    let se = (p1 * (1.0 - p1) / n1 as f64 + p0 * (1.0 - p0) / n0 as f64).sqrt();
    Ok((p1, p0, se))
}
