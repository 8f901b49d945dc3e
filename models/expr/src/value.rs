//! Run-time values.

use std::fmt;
use std::sync::Arc;

/// A value in a slot or the result of an evaluation.
///
/// * Numbers are `f64`. A `Num(NaN)` in a slot is treated exactly like
///   [`Missing`](Value::Missing).
/// * Strings are categorical values (`'F'`, `'asian'`), compared exactly
///   (case-sensitive). They are reference-counted so that a string result can
///   be returned without allocating.
/// * Booleans are the results of comparisons and logic. Wherever a number is
///   needed a boolean counts as `1` (true) or `0` (false), so
///   `theta * (1 + 0.3 * (SEX == 1))` works; [`Compiled::eval_f64`] returns
///   them as `1.0`/`0.0`.
/// * `Missing` is an unknown value (e.g. an unmeasured covariate): every
///   comparison with it is `false`, arithmetic with it is an error.
///
/// [`Compiled::eval_f64`]: crate::Compiled::eval_f64
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    /// A number.
    Num(f64),
    /// A categorical value.
    Str(Arc<str>),
    /// The result of a comparison or of logic.
    Bool(bool),
    /// An unknown value.
    Missing,
}

impl Value {
    /// A string value.
    pub fn str(s: &str) -> Value {
        Value::Str(Arc::from(s))
    }

    /// The number, with booleans as 1/0; `None` for strings and missing values
    /// (including `Num(NaN)`).
    pub fn as_f64(&self) -> Option<f64> {
        match *self {
            Value::Num(x) if !x.is_nan() => Some(x),
            Value::Bool(b) => Some(if b { 1.0 } else { 0.0 }),
            _ => None,
        }
    }

    /// The string, if this is one.
    pub fn as_str(&self) -> Option<&str> {
        match self {
            Value::Str(s) => Some(s),
            _ => None,
        }
    }

    /// `true` for [`Missing`](Value::Missing) and for `Num(NaN)`.
    pub fn is_missing(&self) -> bool {
        match *self {
            Value::Missing => true,
            Value::Num(x) => x.is_nan(),
            _ => false,
        }
    }
}

impl fmt::Display for Value {
    /// Numbers as [`Expr`](crate::Expr) prints them (`0.5`, `12`, `1e-7`), strings in single quotes, `true`/`false`,
    /// and `missing`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Value::Num(x) => write!(f, "{}", Num(*x)),
            Value::Str(s) => write!(f, "'{s}'"),
            Value::Bool(b) => write!(f, "{b}"),
            Value::Missing => f.write_str("missing"),
        }
    }
}

impl From<f64> for Value {
    fn from(x: f64) -> Value {
        Value::Num(x)
    }
}

impl From<bool> for Value {
    fn from(b: bool) -> Value {
        Value::Bool(b)
    }
}

impl From<&str> for Value {
    fn from(s: &str) -> Value {
        Value::str(s)
    }
}

impl From<String> for Value {
    fn from(s: String) -> Value {
        Value::Str(Arc::from(s))
    }
}

impl From<Arc<str>> for Value {
    fn from(s: Arc<str>) -> Value {
        Value::Str(s)
    }
}

impl<T: Into<Value>> From<Option<T>> for Value {
    /// `None` is [`Missing`](Value::Missing).
    fn from(v: Option<T>) -> Value {
        v.map_or(Value::Missing, Into::into)
    }
}

/// Displays a number so that it parses back to the same `f64`: in plain
/// decimal (`0.001`, `12345`) when 1e-4 ≤ |x| < 1e15 or x = 0, otherwise in
/// exponent form (`1e-7`, `2.5e300`).
pub(crate) struct Num(pub f64);

impl fmt::Display for Num {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let a = self.0.abs();
        if a == 0.0 || (1e-4..1e15).contains(&a) || !a.is_finite() {
            write!(f, "{}", self.0)
        } else {
            write!(f, "{:e}", self.0)
        }
    }
}
