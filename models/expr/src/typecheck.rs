//! Static type checks of conditions (inclusion criteria, dose-adjustment conditions), with
//! the column of each problem, before anything is evaluated: the expression must be a
//! condition (comparisons, `in`, `between`, `missing(…)`, and `and`/`or`/`not` of them);
//! labels are compared with strings and numbers with numbers; `between` bounds that are
//! constants must not be reversed.

use std::fmt;

use crate::Expr;
use crate::ast::{BinaryOp, Func, Node, UnaryOp};

/// A condition that cannot be right whatever the data: the 1-based column and the reason.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConditionError {
    /// 1-based character column of the offending part.
    pub column: usize,
    /// What is wrong and what would be valid.
    pub message: String,
}

impl fmt::Display for ConditionError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "column {}: {}", self.column, self.message)
    }
}

impl std::error::Error for ConditionError {}

const NOT_A_CONDITION: &str = "must be a condition (a comparison, `in`, `between`, `and`/`or`/`not` of them)";

/// Checks that `expr` is a condition over `names`, whose columns hold labels where `text[i]`
/// (an empty slice: types unknown — a column compares with numbers and strings alike, but
/// is still not a condition on its own). `what` names the expression in
/// messages ("the criteria", "a dose-adjustment condition").
pub fn check_condition(expr: &Expr, names: &[&str], text: &[bool], what: &str) -> Result<(), ConditionError> {
    Checker { expr, names, text, what }.need_condition(expr.root())
}

/// What a sub-expression produces.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Number,
    Text,
    Condition,
    /// An `if` whose branches differ.
    Any,
    /// A column whose type is not known (number or label, never a condition).
    Value,
}

/// Static checks of an expression, with the column of each problem.
struct Checker<'a> {
    expr: &'a Expr,
    names: &'a [&'a str],
    text: &'a [bool],
    /// What the expression is, for messages ("the criteria").
    what: &'a str,
}

fn constant(n: &Node) -> Option<f64> {
    match n {
        Node::Num(x) => Some(*x),
        Node::Unary { op: UnaryOp::Neg, operand } => constant(operand).map(|x| -x),
        _ => None,
    }
}

impl Checker<'_> {
    fn error(&self, at: &Node, message: String) -> ConditionError {
        ConditionError { column: self.expr.column_of(at).unwrap_or(1), message }
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

    fn need_condition(&self, n: &Node) -> Result<(), ConditionError> {
        match self.kind(n)? {
            Kind::Condition | Kind::Any => Ok(()),
            Kind::Number => Err(self.error(n, format!("{} {NOT_A_CONDITION}, not a number: `{n}`", self.what))),
            Kind::Value => Err(self.error(n, format!("{} {NOT_A_CONDITION}, not a column's value: `{n}`", self.what))),
            Kind::Text => Err(self.error(n, format!("{} {NOT_A_CONDITION}, not a string: `{n}`", self.what))),
        }
    }

    fn need_number(&self, n: &Node, op: &str) -> Result<(), ConditionError> {
        match self.kind(n)? {
            Kind::Text => Err(self.error(
                n,
                format!("`{op}` needs numbers, but {} is text", self.describe(n, Kind::Text)),
            )),
            _ => Ok(()),
        }
    }

    /// `==`, `!=`, `in`: labels with strings, numbers with numbers.
    fn comparable(&self, a: &Node, ka: Kind, b: &Node, kb: Kind) -> Result<(), ConditionError> {
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

    fn kind(&self, n: &Node) -> Result<Kind, ConditionError> {
        Ok(match n {
            Node::Num(_) => Kind::Number,
            Node::Str(_) => Kind::Text,
            Node::Var(v) => {
                let i = self.names.iter().position(|x| x == v);
                match i.and_then(|i| self.text.get(i)) {
                    Some(true) => Kind::Text,
                    Some(false) => Kind::Number,
                    // Types not given: compared with anything, but not a condition.
                    None if self.text.is_empty() => Kind::Value,
                    None => Kind::Number,
                }
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
