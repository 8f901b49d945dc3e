//! The three error types: [`ParseError`] (text → [`Expr`](crate::Expr)),
//! [`BindError`] (names → slots) and [`EvalError`] (slots → value).

use std::fmt::{self, Write as _};

use crate::value::Num;

/// The text is not a valid expression.
///
/// `column` is 1-based and counts characters (not bytes) from the start of the
/// text given to [`Expr::parse`](crate::Expr::parse). Callers that parse one
/// line of a file prefix their own file name and line number; [`render`]
/// draws the line with a caret under the column.
///
/// [`render`]: ParseError::render
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("column {column}: {message}")]
pub struct ParseError {
    /// 1-based character column of the offending token.
    pub column: usize,
    /// The offending token as written (`")"`, `"@"`, …) or `"end of input"`.
    pub found: String,
    /// What went wrong, e.g. `expected a number, a name or '(' after '*', found ')'`.
    pub message: String,
}

impl ParseError {
    /// The source line holding the error and a caret line under it, e.g.
    ///
    /// ```text
    /// CL * )
    ///      ^ expected a number, a name or '(' after '*', found ')'
    /// ```
    ///
    /// `src` must be the text that was parsed.
    pub fn render(&self, src: &str) -> String {
        let mut out = caret(src, self.column);
        out.push(' ');
        out.push_str(&self.message);
        out
    }
}

/// Renders the line of `src` that holds the 1-based character `column`, a
/// newline, and a caret (`^`) under that column. Tabs before the column are
/// copied into the caret line so that the caret lines up in a terminal.
///
/// A column past the end of the text (an error at "end of input") puts the
/// caret just after the last character.
pub fn caret(src: &str, column: usize) -> String {
    let target = column.max(1) - 1; // 0-based char index into src
    // Find the line holding char index `target`, and the column within it.
    let mut line_start = 0; // byte offset
    let mut col_in_line = 0;
    for (i, (byte, ch)) in src.char_indices().enumerate() {
        if i == target {
            break;
        }
        if ch == '\n' {
            line_start = byte + 1;
            col_in_line = 0;
        } else {
            col_in_line += 1;
        }
    }
    let line = src[line_start..].split('\n').next().unwrap_or("");
    let line = line.strip_suffix('\r').unwrap_or(line);
    let mut out = String::with_capacity(line.len() * 2 + 2);
    out.push_str(line);
    out.push('\n');
    let mut chars = line.chars();
    for _ in 0..col_in_line {
        out.push(if chars.next() == Some('\t') {
            '\t'
        } else {
            ' '
        });
    }
    out.push('^');
    out
}

/// A variable of the expression is not among the names given to
/// [`Expr::compile`](crate::Expr::compile).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BindError {
    /// No name matches the variable. The message writes the suggestion and
    /// the known names that are not plain names in backticks, as an
    /// expression must (`` `sample yr` ``); the fields hold them unquoted.
    #[error("{}", unknown_message(name, *column, suggestion.as_deref(), known))]
    UnknownVariable {
        /// The variable as written in the expression, without backticks.
        name: String,
        /// 1-based column of its first appearance in the parsed text.
        column: usize,
        /// The closest known name (by case-insensitive edit distance), if any is close.
        suggestion: Option<String>,
        /// Every name that was offered, in the order given.
        known: Vec<String>,
    },
    /// [`Expr::compile_ignore_case`](crate::Expr::compile_ignore_case) found no
    /// exact match and several names that differ only in case.
    #[error(
        "variable '{name}' at column {column} is ambiguous: it matches {} when case is ignored",
        quoted_list(candidates)
    )]
    Ambiguous {
        /// The variable as written in the expression, without backticks.
        name: String,
        /// 1-based column of its first appearance in the parsed text.
        column: usize,
        /// The names it matches when case is ignored.
        candidates: Vec<String>,
    },
}

fn quoted_list(names: &[String]) -> String {
    let mut s = String::new();
    for (i, n) in names.iter().enumerate() {
        if i > 0 {
            s.push_str(", ");
        }
        let _ = write!(s, "'{n}'");
    }
    s
}

fn unknown_message(
    name: &str,
    column: usize,
    suggestion: Option<&str>,
    known: &[String],
) -> String {
    const SHOWN: usize = 30;
    let mut s = format!("unknown variable '{name}' at column {column}");
    if let Some(sug) = suggestion {
        let quoted = crate::quote_name(sug);
        if quoted == sug {
            let _ = write!(s, "; did you mean '{sug}'?");
        } else {
            let _ = write!(s, "; did you mean '{sug}' (write it as {quoted})?");
        }
    }
    if known.is_empty() {
        s.push_str(" (no variables are available here)");
    } else {
        s.push_str(" (known: ");
        s.push_str(
            &known
                .iter()
                .take(SHOWN)
                .map(|n| crate::quote_name(n))
                .collect::<Vec<_>>()
                .join(", "),
        );
        if known.len() > SHOWN {
            let _ = write!(s, ", … and {} more", known.len() - SHOWN);
        }
        s.push(')');
    }
    s
}

/// Evaluation failed. Which inputs are errors (rather than NaN or `false`):
///
/// * arithmetic (`+ - * / ^`, unary `-`, every function but `if` and
///   `missing`) on a string → [`TypeMismatch`](EvalError::TypeMismatch);
///   so is `==`/`!=`/`in` between a string and a number, and `< <= > >=`/
///   `between` on a string; a string where a condition is needed; a string
///   result from [`eval_f64`](crate::Compiled::eval_f64);
/// * arithmetic on a missing value → [`Missing`](EvalError::Missing)
///   (comparisons with a missing value are `false` instead);
/// * `x / 0`, `log`/`log10` of a number ≤ 0, `sqrt` of a negative number, a
///   power that is not a real number (`(-8) ^ 0.5`) and any operation whose
///   result overflows to ±∞ or is NaN → [`Math`](EvalError::Math);
/// * fewer slots than names → [`SlotCount`](EvalError::SlotCount).
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum EvalError {
    /// A value of the wrong kind, e.g. `'F' > 3`.
    #[error("type mismatch in '{op}': {detail}")]
    TypeMismatch {
        /// The operator or function, e.g. `">"`, `"log"`, `"and"`.
        op: &'static str,
        /// What was expected and what was found.
        detail: String,
    },
    /// A missing value was used in arithmetic (or returned by `eval_f64`).
    #[error("variable '{name}' is missing and cannot be used in '{op}'")]
    Missing {
        /// The variable holding the missing value.
        name: String,
        /// The operator or function, e.g. `"*"`, `"exp"`, `"result"`.
        op: &'static str,
    },
    /// A mathematical operation has no finite real result.
    #[error("{}: {reason}", Call(op, args))]
    Math {
        /// The operator or function: `"/"`, `"^"`, `"log"`, `"exp"`, …
        op: &'static str,
        /// Its arguments.
        args: Vec<f64>,
        /// Why there is no finite result, e.g. `"division by zero"`.
        reason: &'static str,
    },
    /// Fewer slots than the names the expression was compiled with.
    #[error("expected {expected} slot values (one per name given to compile), got {found}")]
    SlotCount {
        /// Number of names given to `compile`.
        expected: usize,
        /// Number of slot values passed.
        found: usize,
    },
}

/// Formats `op` applied to `args`: `log(-1)`, `1 / 0`, `(-8) ^ 0.5`.
struct Call<'a>(&'a str, &'a [f64]);

impl fmt::Display for Call<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let infix = !self.0.chars().next().is_some_and(char::is_alphabetic);
        match (infix, self.1) {
            (true, [a, b]) => {
                write_operand(f, *a)?;
                write!(f, " {} ", self.0)?;
                write_operand(f, *b)
            }
            (true, [a]) => {
                write!(f, "{}", self.0)?;
                write_operand(f, *a)
            }
            _ => {
                write!(f, "{}(", self.0)?;
                for (i, a) in self.1.iter().enumerate() {
                    if i > 0 {
                        f.write_str(", ")?;
                    }
                    write!(f, "{}", Num(*a))?;
                }
                f.write_str(")")
            }
        }
    }
}

fn write_operand(f: &mut fmt::Formatter<'_>, x: f64) -> fmt::Result {
    if x.is_sign_negative() {
        write!(f, "({})", Num(x))
    } else {
        write!(f, "{}", Num(x))
    }
}
