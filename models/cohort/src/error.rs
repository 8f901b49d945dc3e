//! The crate's error type: every variant carries what is needed to find and fix the cause.

/// Errors from loading data, training, sampling and evaluating.
#[derive(Debug, thiserror::Error)]
pub enum CohortError {
    /// A file could not be read or written.
    #[error("{path}: {source}")]
    Io {
        /// The file.
        path: String,
        /// The cause.
        #[source]
        source: std::io::Error,
    },
    /// The CSV itself is malformed (ragged row, bad quoting, no header, duplicate names).
    #[error("{source_name}, line {line}: {message}")]
    Csv {
        /// The file.
        source_name: String,
        /// 1-based line (the header is line 1).
        line: u64,
        /// What is wrong.
        message: String,
    },
    /// A cell does not have the type its column needs.
    #[error(
        "{source_name}, line {line}, column {column_number} ({column}): {value:?} is not {expected}"
    )]
    BadCell {
        /// The file.
        source_name: String,
        /// 1-based line (the header is line 1).
        line: u64,
        /// Column name.
        column: String,
        /// 1-based column number.
        column_number: usize,
        /// The offending cell text.
        value: String,
        /// What was expected there.
        expected: String,
    },
    /// A column cannot be modelled (all missing, mixed types, too many text levels, …).
    #[error("{source_name}, column {column_number} ({column}): unusable column: {reason}")]
    UnusableColumn {
        /// The file.
        source_name: String,
        /// Column name.
        column: String,
        /// 1-based column number.
        column_number: usize,
        /// Why.
        reason: String,
    },
    /// A column the operation needs is absent.
    #[error("{source_name}: no column {column:?} (columns: {available})")]
    MissingColumn {
        /// The file or model.
        source_name: String,
        /// The column that was needed.
        column: String,
        /// What exists.
        available: String,
    },
    /// An inclusion/exclusion criterion does not parse.
    #[error("criteria, column {column}: {message}\n  {source_text}\n  {caret:>width$}", caret = "^", width = column)]
    CriteriaParse {
        /// The criteria text.
        source_text: String,
        /// 1-based character column of the problem.
        column: usize,
        /// What is wrong.
        message: String,
    },
    /// A criterion names a column the cohort does not have, or cannot be evaluated.
    #[error("criteria: {message}")]
    Criteria {
        /// What is wrong (names the column and lists valid ones).
        message: String,
    },
    /// The criteria accept too few generated patients for rejection sampling to finish.
    #[error(
        "criteria accept {accepted} of {drawn} generated patients ({rate:.4} %): producing {wanted} \
         would need {}, over the budget of {budget} (--max-draws). {hint}",
        if needed.is_finite() { format!("about {needed:.0} draws") } else { "more draws than any budget".to_string() }
    )]
    CriteriaTooRare {
        /// Patients accepted in the pilot.
        accepted: usize,
        /// Patients drawn in the pilot.
        drawn: usize,
        /// Acceptance in percent.
        rate: f64,
        /// Patients requested.
        wanted: usize,
        /// Estimated draws needed.
        needed: f64,
        /// Draw budget.
        budget: usize,
        /// Which parts of the criteria are rarest.
        hint: String,
    },
    /// The model file is malformed or does not match its metadata.
    #[error("model {path}: {message}")]
    Model {
        /// The model file.
        path: String,
        /// What is wrong.
        message: String,
    },
    /// libtorch reported an error.
    #[error("libtorch: {0}")]
    Torch(#[from] tch::TchError),
    /// Anything else that is invalid input (bad argument values).
    #[error("{0}")]
    Invalid(String),
}
