//! Scenario errors: where (file, line, column or key) and what to change.

use thiserror::Error;

/// A scenario that cannot run, with the place to fix.
#[derive(Debug, Clone, PartialEq, Error)]
pub enum ScenarioError {
    /// The TOML did not parse or did not match the format (unknown key, wrong type).
    #[error("{file}:{line}:{column}: {message}")]
    Syntax {
        /// The file.
        file: String,
        /// 1-based line.
        line: usize,
        /// 1-based column.
        column: usize,
        /// What went wrong (from the TOML reader), with the keys it expected.
        message: String,
    },
    /// A value that parses but cannot be simulated.
    #[error("{file}: {key}: {message}")]
    Invalid {
        /// The file.
        file: String,
        /// The dotted key of the value (e.g. `design.visits_days`).
        key: String,
        /// What is wrong and what to change.
        message: String,
    },
    /// A sweep point whose values make the scenario invalid.
    #[error("{file}: sweep point {point} ({label}): {message}")]
    Point {
        /// The file.
        file: String,
        /// Point index (0-based).
        point: usize,
        /// Its parameter values.
        label: String,
        /// What is wrong.
        message: String,
    },
}

/// 1-based line and column of a byte offset.
pub fn line_column(text: &str, offset: usize) -> (usize, usize) {
    let offset = offset.min(text.len());
    let before = &text[..offset];
    let line = before.matches('\n').count() + 1;
    let column = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
    (line, column)
}
