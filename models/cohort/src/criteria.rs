//! Inclusion criteria: a `vtrial-expr` boolean expression over record columns.

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
}

impl Criteria {
    /// Parses `src` and binds it to `names` (the record's columns). A syntax error gives the
    /// 1-based column of the offending token; an unknown name lists the valid names.
    pub fn parse(src: &str, names: &[&str]) -> Result<Criteria, CohortError> {
        let expr = Expr::parse(src).map_err(|e| CohortError::CriteriaParse {
            source_text: src.to_string(),
            column: e.column,
            message: e.message.clone(),
        })?;
        let compiled = expr.compile(names).map_err(|e| CohortError::Criteria {
            message: format!("{e} (in {src:?})"),
        })?;
        let used = expr
            .variables()
            .iter()
            .filter_map(|v| names.iter().position(|n| n == v))
            .collect();
        Ok(Criteria { source: src.to_string(), compiled, used })
    }

    /// Whether a row (one value per record column) satisfies the criteria.
    pub fn accepts(&self, row: &[Value]) -> Result<bool, CohortError> {
        self.compiled.eval_bool(row).map_err(|e| CohortError::Criteria {
            message: format!("evaluating {:?}: {e}", self.source),
        })
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
        terms.iter().filter_map(|t| Criteria::parse(&t.to_string(), names).ok()).collect()
    }
}
