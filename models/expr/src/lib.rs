//! A small expression language for covariate models and inclusion criteria.
//!
//! The same language writes individual PK parameters as functions of
//! covariates and random effects, and the criteria that select patients:
//!
//! ```text
//! CL = 1.1 * (WT/70)^0.75 * exp(ETA_CL)
//! F2 = if(MODE == 1, BIOAV, 1)
//! V  = theta_v * (1 + 0.3*(SEX == 1))
//! age >= 65 and egfr < 60 and sex == 'F'
//! race in ('black', 'asian') and weight between 50 and 120
//! `sample yr` > 1995 and `BMI (kg/m2)` < 30
//! ```
//!
//! (Only the right-hand sides are expressions; splitting `NAME = …` is the
//! caller's job.)
//!
//! Use: [`Expr::parse`] the text once, [`Expr::compile`] it against the
//! names of the slots it will read, then evaluate it as often as needed with
//! [`Compiled::eval`] (any values), [`Compiled::eval_f64`] (numbers only, the
//! fast path) or [`Compiled::eval_bool`] (criteria). Compiling folds
//! constant sub-expressions; evaluating allocates nothing unless it returns
//! an error. `eval_f64` runs a plain-`f64` tree for expressions without
//! strings, at tens of millions of evaluations per second for typical
//! covariate models (`cargo run --release -p vtrial-expr --example eval_speed`).
//!
//! ```
//! use vtrial_expr::{Expr, Value};
//!
//! let cl = Expr::parse("1.1 * (WT/70)^0.75 * exp(ETA_CL)")?;
//! assert_eq!(cl.variables(), ["WT", "ETA_CL"]);
//! let cl = cl.compile(&["ETA_CL", "WT"])?; // slot order is the caller's
//! assert!((cl.eval_f64(&[0.0, 70.0])? - 1.1).abs() < 1e-12);
//!
//! let old_ckd = Expr::parse("age >= 65 and egfr < 60 and sex == 'F'")?
//!     .compile(&["age", "egfr", "sex"])?;
//! assert!(old_ckd.eval_bool(&[70.0.into(), 45.0.into(), "F".into()])?);
//! // A patient whose eGFR is missing does not satisfy `egfr < 60`.
//! assert!(!old_ckd.eval_bool(&[70.0.into(), Value::Missing, "F".into()])?);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! # Grammar
//!
//! ```text
//! expr       = or ;
//! or         = and { ("or" | "||") and } ;
//! and        = not { ("and" | "&&") not } ;
//! not        = ("not" | "!") not | comparison ;
//! comparison = sum [ ("==" | "!=" | "<" | "<=" | ">" | ">=") sum
//!                  | ["not"] "in" "(" expr { "," expr } ")"
//!                  | ["not"] "between" sum "and" sum ] ;
//! sum        = product { ("+" | "-") product } ;
//! product    = unary { ("*" | "/") unary } ;
//! unary      = ("-" | "+") unary | power ;
//! power      = primary [ ("^" | "**") unary ] ;      (* right-associative *)
//! primary    = number | string | name | quoted | name "(" [ expr { "," expr } ] ")"
//!            | "(" expr ")" ;
//! number     = digits [ "." [digits] ] [ exponent ] | "." digits [ exponent ] ;
//! exponent   = ("e" | "E") [ "+" | "-" ] digits ;
//! string     = "'" { any char but "'" } "'" | '"' { any char but '"' } '"' ;
//! name       = ( letter | "_" ) { letter | digit | "_" | "." } ;
//! quoted     = "`" ( any char but "`" | "``" ) { any char but "`" | "``" } "`" ;
//! ```
//!
//! So precedence, loosest first: `or` < `and` < `not` < comparisons, `in`,
//! `between` < `+ -` < `* /` < unary `-` < `^`. Hence `-2^2` is −4 (as in R
//! and Fortran), `2^-1` is 0.5, `2^3^2` is 2⁹, and `not a == b` is
//! `not (a == b)`. Comparisons do not chain: `a < b < c` is a parse error.
//! The operands of `between` are sums, so `x between 1 and 2 and y > 0`
//! means `(x between 1 and 2) and (y > 0)`; `between` is inclusive.
//!
//! Keywords (`and or not in between`) and function names are matched
//! ignoring case (`AND`, `EXP(x)`); a plain name cannot be a keyword.
//! Variable names are case-sensitive; [`Expr::variables`] lists them as
//! written, and [`Expr::compile_ignore_case`] binds them ignoring case.
//! There are no escapes in strings: a string holding `'` is written in `"`.
//!
//! **Quoted names.** A variable whose name is not a plain name — a column
//! called `sample yr`, `x-y`, `BMI (kg/m2)`, `1st dose` or `in` — is written
//! in backticks, as in DuckDB, MySQL and Spark SQL: `` `sample yr` > 1995 ``,
//! `` `x-y` > 0 ``, `` `in` == 1 ``. A doubled backtick inside stands for one
//! (`` `a``b` `` names ``a`b``); any other character, spaces and non-ASCII
//! letters included, stands for itself. A quoted name is always a variable,
//! never a keyword or a function (`` `exp`(x) `` is an error), and `` `WT` ``
//! is the same variable as `WT`. The backticks are not part of the name:
//! [`Expr::variables`], [`ast::Node::Var`], [`Expr::compile`] and the names
//! in errors are the column names themselves. An empty `` `` `` or a
//! backtick with no closing one is a parse error at that backtick.
//! [`quote_name`] writes a name as an expression must spell it.
//!
//! Limits: at most 64 levels of nested parentheses, calls and prefix
//! operators, and a syntax tree at most 256 operators deep (a sum of 256
//! terms); deeper input is a parse error rather than a stack overflow.
//!
//! Functions: `exp log log10 sqrt abs floor ceil round` (one argument; `log`
//! is natural; `round` rounds halves away from zero), `pow(x, y)`,
//! `min(x, …)`, `max(x, …)`, `if(cond, a, b)` (evaluates only the chosen
//! branch), and `missing(name)` (whether a variable's value is missing).
//! Unknown functions and wrong argument counts are parse errors.
//!
//! # Values
//!
//! See [`Value`]: numbers, strings, booleans and missing values. Booleans
//! count as 1/0 wherever numbers are needed, so `(SEX == 1)` can multiply.
//! Where a condition is needed (`and or not if`, [`Compiled::eval_bool`]), a
//! number holds when non-zero and a missing value never holds.
//!
//! **Missing values.** Every comparison involving a missing value is false —
//! including `!=`, `in`, `not in`, `between` and `not between` — so a patient
//! with a missing eGFR satisfies neither `egfr < 60` nor `egfr >= 60`. Beware
//! that `not (egfr < 60)` *is* true for that patient; write `egfr >= 60`, or
//! test `missing(egfr)` explicitly, or evaluate with
//! [`Compiled::eval_condition`], SQL's three-valued logic, where a comparison
//! with a missing value is *unknown* and `not (egfr < 60)` stays unknown
//! (inclusion criteria use it). Arithmetic with a missing value is an
//! [`EvalError::Missing`] naming the variable.
//!
//! **Errors, not NaN.** Division by zero, `log`/`log10` of a number ≤ 0,
//! `sqrt` of a negative number, a power with no real value, and any overflow
//! to ±∞ are [`EvalError::Math`] errors naming the operation and its
//! arguments. Mixing strings with numbers is an [`EvalError::TypeMismatch`].
//!
//! # Printing
//!
//! [`Expr`] prints in a canonical form that parses back to an equal tree:
//! `1.1*(WT/70)**0.75*EXP(ETA_CL)` prints as
//! `1.1 * (WT / 70) ^ 0.75 * exp(ETA_CL)`. Variables are in backticks
//! exactly when they need them: `` `WT` `` prints as `WT`, `` `x-y` `` as
//! `` `x-y` ``.

pub mod ast;
mod compile;
mod error;
mod eval;
mod fast;
mod lexer;
mod parser;
mod suggest;
mod typecheck;
mod value;

use std::borrow::Cow;
use std::fmt;
use std::str::FromStr;

pub use crate::compile::Compiled;
pub use crate::error::{BindError, EvalError, ParseError, caret};
pub use crate::typecheck::{ConditionError, check_condition};
pub use crate::value::Value;

/// A parsed expression.
///
/// Equality compares the syntax trees only (not spacing or positions), so
/// `Expr::parse(&e.to_string())? == e`.
#[derive(Clone, Debug)]
pub struct Expr {
    root: ast::Node,
    /// Each distinct variable and the column of its first appearance.
    vars: Vec<(String, usize)>,
    /// The 1-based start column of every node, in post-order.
    spans: Vec<usize>,
}

impl Expr {
    /// Parses an expression.
    ///
    /// # Errors
    /// A [`ParseError`] with the 1-based column of the offending token, e.g.
    /// `column 6: expected a number, a name or '(' after '*', found ')'`.
    pub fn parse(src: &str) -> Result<Expr, ParseError> {
        let (root, vars, spans) = parser::parse(src)?;
        Ok(Expr { root, vars, spans })
    }

    /// The distinct variable names, as written but without backticks
    /// (`` `sample yr` `` is `sample yr`), in order of first appearance.
    pub fn variables(&self) -> Vec<&str> {
        self.vars.iter().map(|(v, _)| v.as_str()).collect()
    }

    /// The 1-based column where `name` first appears in the parsed text.
    pub fn variable_column(&self, name: &str) -> Option<usize> {
        self.vars.iter().find(|(v, _)| v == name).map(|&(_, c)| c)
    }

    /// The syntax tree.
    pub fn root(&self) -> &ast::Node {
        &self.root
    }

    /// The 1-based column where the sub-expression `node` starts in the parsed
    /// text (its first token; for a parenthesised sub-expression, the first
    /// token inside the parentheses). `node` must be a node of this
    /// expression's own tree ([`root`](Expr::root) or one reached from it);
    /// any other node gives `None`.
    ///
    /// ```
    /// let e = vtrial_expr::Expr::parse("age > 60 and weight - 57")?;
    /// let vtrial_expr::ast::Node::Binary { right, .. } = e.root() else { unreachable!() };
    /// assert_eq!(e.column_of(right), Some(14));
    /// # Ok::<(), vtrial_expr::ParseError>(())
    /// ```
    pub fn column_of(&self, node: &ast::Node) -> Option<usize> {
        fn walk(n: &ast::Node, target: &ast::Node, k: &mut usize, hit: &mut Option<usize>) {
            use ast::Node as N;
            match n {
                N::Num(_) | N::Str(_) | N::Var(_) => {}
                N::Unary { operand, .. } => walk(operand, target, k, hit),
                N::Binary { left, right, .. } => {
                    walk(left, target, k, hit);
                    walk(right, target, k, hit);
                }
                N::In { value, list, .. } => {
                    walk(value, target, k, hit);
                    list.iter().for_each(|i| walk(i, target, k, hit));
                }
                N::Between {
                    value, low, high, ..
                } => {
                    walk(value, target, k, hit);
                    walk(low, target, k, hit);
                    walk(high, target, k, hit);
                }
                N::Call { args, .. } => args.iter().for_each(|a| walk(a, target, k, hit)),
            }
            if std::ptr::eq(n, target) {
                *hit = Some(*k);
            }
            *k += 1;
        }
        let (mut k, mut hit) = (0, None);
        walk(&self.root, node, &mut k, &mut hit);
        let index = hit?;
        // The parser records one column per node it builds; a mismatch would
        // be a parser bug, and then no column is better than a wrong one.
        (k == self.spans.len()).then(|| self.spans[index])
    }
}

/// Writes the variable `name` as an expression must spell it: as is when it
/// is a plain name (`WT`, `eta_CL`, `sample.yr`), otherwise in backticks with
/// any backtick doubled (`` `sample yr` ``, `` `x-y` ``, `` `in` ``,
/// `` `a``b` ``). [`Expr`]'s `Display` and the suggestions of
/// [`BindError`] use it; callers that write expressions from column names
/// can too.
///
/// ```
/// use vtrial_expr::{quote_name, Expr};
///
/// assert_eq!(quote_name("WT"), "WT");
/// assert_eq!(quote_name("BMI (kg/m2)"), "`BMI (kg/m2)`");
/// let e = Expr::parse(&format!("{} > 25", quote_name("BMI (kg/m2)")))?;
/// assert_eq!(e.variables(), ["BMI (kg/m2)"]);
/// # Ok::<(), vtrial_expr::ParseError>(())
/// ```
pub fn quote_name(name: &str) -> Cow<'_, str> {
    if lexer::is_plain_name(name) {
        Cow::Borrowed(name)
    } else {
        Cow::Owned(format!("`{}`", name.replace('`', "``")))
    }
}

impl PartialEq for Expr {
    fn eq(&self, other: &Expr) -> bool {
        self.root == other.root
    }
}

impl fmt::Display for Expr {
    /// The canonical form (see [`ast::Node`]'s `Display`).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.root.fmt(f)
    }
}

impl FromStr for Expr {
    type Err = ParseError;

    fn from_str(src: &str) -> Result<Expr, ParseError> {
        Expr::parse(src)
    }
}
