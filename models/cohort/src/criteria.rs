//! Inclusion criteria: a `vtrial-expr` boolean expression over record columns.
//!
//! The criteria must be a condition, checked before sampling with the column of the problem:
//! comparisons, `in`, `between`, `missing(…)`, and `and`/`or`/`not` of them; labels are
//! compared with strings and numbers with numbers; `between` bounds that are constants must
//! not be reversed. They are evaluated in SQL's three-valued logic
//! ([`Compiled::eval_condition`]): a comparison with a missing value is unknown, `not` of
//! unknown is unknown, and a row is accepted only when the criteria are true.

use vtrial_expr::ast::{BinaryOp, Func, Node, UnaryOp};
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
    /// slice: unknown, treated as numbers), so that `sex == 1` or `age == '65'` is an error
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
        let check = Checker { expr: &expr, src, names, text };
        check.need_condition(expr.root())?;
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

/// What a sub-expression of the criteria produces.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Number,
    Text,
    Condition,
    /// An `if` whose branches differ.
    Any,
}

/// Static checks of the criteria, with the column of each problem.
struct Checker<'a> {
    expr: &'a Expr,
    src: &'a str,
    names: &'a [&'a str],
    text: &'a [bool],
}

const NOT_A_CONDITION: &str = "the criteria must be a condition (a comparison, `in`, `between`, `and`/`or`/`not` of them)";

fn constant(n: &Node) -> Option<f64> {
    match n {
        Node::Num(x) => Some(*x),
        Node::Unary { op: UnaryOp::Neg, operand } => constant(operand).map(|x| -x),
        _ => None,
    }
}

impl Checker<'_> {
    fn error(&self, at: &Node, message: String) -> CohortError {
        CohortError::CriteriaParse {
            source_text: self.src.to_string(),
            column: self.expr.column_of(at).unwrap_or(1),
            message,
        }
    }

    fn describe(&self, n: &Node, k: Kind) -> String {
        match (n, k) {
            (Node::Var(v), Kind::Text) => format!("the text column {v}"),
            (Node::Var(v), _) => format!("the numeric column {v}"),
            (Node::Str(s), _) => format!("the string '{s}'"),
            (_, Kind::Text) => format!("the text `{n}`"),
            (_, Kind::Condition) => format!("the condition `{n}`"),
            _ => format!("the number `{n}`"),
        }
    }

    fn need_condition(&self, n: &Node) -> Result<(), CohortError> {
        match self.kind(n)? {
            Kind::Condition | Kind::Any => Ok(()),
            Kind::Number => Err(self.error(n, format!("{NOT_A_CONDITION}, not a number: `{n}`"))),
            Kind::Text => Err(self.error(n, format!("{NOT_A_CONDITION}, not a string: `{n}`"))),
        }
    }

    fn need_number(&self, n: &Node, op: &str) -> Result<(), CohortError> {
        match self.kind(n)? {
            Kind::Text => Err(self.error(
                n,
                format!("`{op}` needs numbers, but {} is text", self.describe(n, Kind::Text)),
            )),
            _ => Ok(()),
        }
    }

    /// `==`, `!=`, `in`: labels with strings, numbers with numbers.
    fn comparable(&self, a: &Node, ka: Kind, b: &Node, kb: Kind) -> Result<(), CohortError> {
        let text = |k| k == Kind::Text;
        let number = |k| matches!(k, Kind::Number | Kind::Condition);
        if (text(ka) && number(kb)) || (number(ka) && text(kb)) {
            let hint = match (a, b) {
                (Node::Var(_), Node::Num(_)) if text(ka) => "; labels are written in quotes, e.g. sex == 'F'",
                (Node::Var(_), Node::Str(_)) => "; numbers are written without quotes",
                _ => "",
            };
            return Err(self.error(
                b,
                format!("cannot compare {} with {}{hint}", self.describe(a, ka), self.describe(b, kb)),
            ));
        }
        Ok(())
    }

    fn kind(&self, n: &Node) -> Result<Kind, CohortError> {
        Ok(match n {
            Node::Num(_) => Kind::Number,
            Node::Str(_) => Kind::Text,
            Node::Var(v) => {
                let i = self.names.iter().position(|x| x == v);
                if i.and_then(|i| self.text.get(i)).copied().unwrap_or(false) { Kind::Text } else { Kind::Number }
            }
            Node::Unary { op: UnaryOp::Neg, operand } => {
                self.need_number(operand, "-")?;
                Kind::Number
            }
            Node::Unary { op: UnaryOp::Not, operand } => {
                self.need_condition(operand)?;
                Kind::Condition
            }
            Node::Binary { op: BinaryOp::And | BinaryOp::Or, left, right } => {
                self.need_condition(left)?;
                self.need_condition(right)?;
                Kind::Condition
            }
            Node::Binary { op: BinaryOp::Eq | BinaryOp::Ne, left, right } => {
                let (kl, kr) = (self.kind(left)?, self.kind(right)?);
                self.comparable(left, kl, right, kr)?;
                Kind::Condition
            }
            Node::Binary { op, left, right } => {
                self.need_number(left, op.symbol())?;
                self.need_number(right, op.symbol())?;
                if op.is_comparison() { Kind::Condition } else { Kind::Number }
            }
            Node::In { value, list, .. } => {
                let kv = self.kind(value)?;
                for item in list {
                    let ki = self.kind(item)?;
                    self.comparable(value, kv, item, ki)?;
                }
                Kind::Condition
            }
            Node::Between { value, low, high, .. } => {
                for x in [value, low, high] {
                    self.need_number(x, "between")?;
                }
                if let (Some(lo), Some(hi)) = (constant(low), constant(high))
                    && lo > hi
                {
                    return Err(self.error(
                        low,
                        format!(
                            "the bounds of `between` are reversed ({lo} > {hi}), so nothing can match: \
                             write `{value} between {hi} and {lo}`"
                        ),
                    ));
                }
                Kind::Condition
            }
            Node::Call { func: Func::Missing, .. } => Kind::Condition,
            Node::Call { func: Func::If, args } => {
                self.need_condition(&args[0])?;
                let (ky, kn) = (self.kind(&args[1])?, self.kind(&args[2])?);
                if ky == kn { ky } else { Kind::Any }
            }
            Node::Call { func, args } => {
                for a in args {
                    self.need_number(a, func.name())?;
                }
                Kind::Number
            }
        })
    }
}
