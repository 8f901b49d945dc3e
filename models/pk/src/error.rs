//! Errors of the PK library. Each variant carries the numbers needed to act on it.

use thiserror::Error;

/// What can go wrong when building or simulating a PK model.
#[derive(Debug, Error, Clone, PartialEq)]
pub enum PkError {
    /// A structural parameter is outside its valid range (e.g. a negative clearance).
    #[error("parameter {name} = {value} is invalid: {expected}")]
    InvalidParameter {
        /// Parameter name as the model knows it (CL, V, KA, …).
        name: String,
        /// The offending value.
        value: f64,
        /// What a valid value looks like.
        expected: &'static str,
    },
    /// A dose or record refers to a compartment the model does not have.
    #[error("record {record}: compartment {cmt} does not exist; this model has compartments 1..={n_cmt}")]
    UnknownCompartment {
        /// Zero-based record index within the subject.
        record: usize,
        /// One-based compartment number as written in the data.
        cmt: usize,
        /// Number of compartments of the model.
        n_cmt: usize,
    },
    /// Records must be sorted by time within a subject.
    #[error("record {record}: time {time} is before the previous record's time {previous}; sort records by time within each subject")]
    TimeNotSorted {
        /// Zero-based record index within the subject.
        record: usize,
        /// Time of this record.
        time: f64,
        /// Time of the record before it.
        previous: f64,
    },
    /// A dose record that cannot be simulated as given.
    #[error("record {record}: {reason}")]
    InvalidDose {
        /// Zero-based record index within the subject.
        record: usize,
        /// Why, and what would be valid.
        reason: String,
    },
    /// The model has no steady state for the requested regimen (e.g. no elimination).
    #[error("record {record}: no steady state exists: {reason}")]
    NoSteadyState {
        /// Zero-based record index within the subject.
        record: usize,
        /// Why.
        reason: String,
    },
    /// The ODE solver failed.
    #[error("ODE solver failed between t = {t_start} and t = {t_end}: {message}")]
    Ode {
        /// Start of the interval being integrated.
        t_start: f64,
        /// End of the interval being integrated.
        t_end: f64,
        /// The solver's own error, rendered.
        message: String,
    },
    /// A variance–covariance matrix that is not symmetric positive definite.
    #[error("matrix {name} is not positive definite ({detail}); check its diagonal and correlations")]
    NotPositiveDefinite {
        /// Which matrix (OMEGA, IOV, SIGMA, …).
        name: String,
        /// What was found.
        detail: String,
    },
}
