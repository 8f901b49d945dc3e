//! Inclusion criteria: a `vtrial-expr` boolean expression over record columns.
//!
//! The criteria must be a condition, checked before sampling with the column of the problem:
//! comparisons, `in`, `between`, `missing(…)`, and `and`/`or`/`not` of them; labels are
//! compared with strings and numbers with numbers; `between` bounds that are constants must
//! not be reversed. They are evaluated in SQL's three-valued logic
//! ([`Compiled::eval_condition`]): a comparison with a missing value is unknown, `not` of
//! unknown is unknown, and a row is accepted only when the criteria are true.

use vtrial_expr::ast::{BinaryOp, Node};
use vtrial_expr::{Compiled, Expr, Value};

use crate::error::CohortError;

/// Compiled criteria, bound to the record's column order.
#[derive(Debug, Clone)]
pub struct Criteria {
    /// The text as given.
    pub source: String,
    compiled: Compiled,
    /// Record columns the criteria read (indices into the record).
    pub used: Vec<usize>,
    /// Per record column: whether it holds labels (empty: types unknown).
    text: Vec<bool>,
}

impl Criteria {
    /// Parses `src` and binds it to `names` (the record's columns). A syntax error gives the
    /// 1-based column of the offending token; an unknown name lists the valid names. The
    /// column types are unknown here: see [`Criteria::parse_typed`].
    pub fn parse(src: &str, names: &[&str]) -> Result<Criteria, CohortError> {
        Criteria::parse_typed(src, names, &[])
    }

    /// As [`Criteria::parse`], knowing which record columns hold labels (`text[i]`; an empty
    /// slice: unknown, compared with numbers and strings alike), so that `sex == 1` or `age == '65'` is an error
    /// with the column of the problem, before anything is sampled.
    pub fn parse_typed(src: &str, names: &[&str], text: &[bool]) -> Result<Criteria, CohortError> {
        let expr = Expr::parse(src).map_err(|e| CohortError::CriteriaParse {
            source_text: src.to_string(),
            column: e.column,
            message: e.message.clone(),
        })?;
        let compiled = expr.compile(names).map_err(|e| CohortError::Criteria {
            message: format!("{e} (in {src:?})"),
        })?;
        vtrial_expr::check_condition(&expr, names, text, "the criteria").map_err(|e| CohortError::CriteriaParse {
            source_text: src.to_string(),
            column: e.column,
            message: e.message,
        })?;
        let used = expr
            .variables()
            .iter()
            .filter_map(|v| names.iter().position(|n| n == v))
            .collect();
        Ok(Criteria { source: src.to_string(), compiled, used, text: text.to_vec() })
    }

    /// Whether a row (one value per record column) satisfies the criteria: only when they
    /// are true in three-valued logic (not when false or unknown because of a missing value).
    pub fn accepts(&self, row: &[Value]) -> Result<bool, CohortError> {
        match self.compiled.eval_condition(row) {
            Ok(v) => Ok(v == Some(true)),
            Err(e) => Err(CohortError::Criteria { message: format!("evaluating {:?}: {e}", self.source) }),
        }
    }

    /// The top-level `and` terms of the criteria, each compiled against `names` on its own,
    /// with the record columns it reads. A row is rejected when any term is false.
    pub fn conjuncts(&self, names: &[&str]) -> Vec<Criteria> {
        fn split<'a>(n: &'a Node, out: &mut Vec<&'a Node>) {
            match n {
                Node::Binary { op: BinaryOp::And, left, right } => {
                    split(left, out);
                    split(right, out);
                }
                _ => out.push(n),
            }
        }
        let Ok(expr) = Expr::parse(&self.source) else { return Vec::new() };
        let mut terms = Vec::new();
        split(expr.root(), &mut terms);
        terms.iter().filter_map(|t| Criteria::parse_typed(&t.to_string(), names, &self.text).ok()).collect()
    }
}
