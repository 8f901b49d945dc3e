//! What was wrong with an analysis's input or fit.

use thiserror::Error;

/// Why an analysis could not produce a result.
#[derive(Debug, Clone, PartialEq, Error)]
pub enum StatsError {
    /// A group or the whole data set is too small for the method.
    #[error("too few observations in {what}: {got}, at least {need} needed")]
    TooFewObservations {
        /// Which group or data set.
        what: &'static str,
        /// How many there were.
        got: usize,
        /// How many the method needs.
        need: usize,
    },
    /// Every observation is in one group (or one outcome), so nothing can be compared.
    #[error("all observations are in one group: {0}")]
    OneGroup(&'static str),
    /// Inputs that must be parallel have different lengths.
    #[error("inputs of unequal lengths: {0}")]
    LengthMismatch(&'static str),
    /// The data carry no information on the effect (zero variance, no events).
    #[error("no information on the effect: {0}")]
    Degenerate(&'static str),
    /// Logistic regression (or Cox) estimates diverge: the outcome is perfectly predicted.
    #[error("separation: {0}")]
    Separation(&'static str),
    /// The design matrix is not of full column rank.
    #[error("singular design matrix: {0}")]
    Singular(&'static str),
    /// An iterative fit did not converge.
    #[error("no convergence: {0}")]
    NoConvergence(&'static str),
    /// The method tests only a zero difference; a non-inferiority margin was given.
    #[error("{0} tests no non-inferiority margin (margin must be 0)")]
    MarginUnsupported(&'static str),
    /// An argument outside its domain (alpha, a probability, a count).
    #[error("invalid argument: {0}")]
    InvalidArgument(String),
}
