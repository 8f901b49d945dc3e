//! The syntax tree and its canonical printing.
//!
//! The tree holds no positions, so two parses of texts that differ only in
//! spacing, redundant parentheses, keyword case or operator spelling
//! (`&&`/`and`, `**`/`^`) are equal.

use std::fmt;

use crate::value::Num;

/// A unary operator.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum UnaryOp {
    /// `-x`
    Neg,
    /// `not x`, `!x`
    Not,
}

/// A binary operator.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum BinaryOp {
    /// `+`
    Add,
    /// `-`
    Sub,
    /// `*`
    Mul,
    /// `/`
    Div,
    /// `^`, `**`
    Pow,
    /// `==`
    Eq,
    /// `!=`
    Ne,
    /// `<`
    Lt,
    /// `<=`
    Le,
    /// `>`
    Gt,
    /// `>=`
    Ge,
    /// `and`, `&&`
    And,
    /// `or`, `||`
    Or,
}

impl BinaryOp {
    /// The canonical spelling.
    pub fn symbol(self) -> &'static str {
        match self {
            BinaryOp::Add => "+",
            BinaryOp::Sub => "-",
            BinaryOp::Mul => "*",
            BinaryOp::Div => "/",
            BinaryOp::Pow => "^",
            BinaryOp::Eq => "==",
            BinaryOp::Ne => "!=",
            BinaryOp::Lt => "<",
            BinaryOp::Le => "<=",
            BinaryOp::Gt => ">",
            BinaryOp::Ge => ">=",
            BinaryOp::And => "and",
            BinaryOp::Or => "or",
        }
    }

    /// Is this `==`, `!=`, `<`, `<=`, `>` or `>=`?
    pub fn is_comparison(self) -> bool {
        matches!(
            self,
            BinaryOp::Eq | BinaryOp::Ne | BinaryOp::Lt | BinaryOp::Le | BinaryOp::Gt | BinaryOp::Ge
        )
    }

    /// Binding strength, higher binds tighter (see [`Node::precedence`]).
    fn precedence(self) -> u8 {
        match self {
            BinaryOp::Or => prec::OR,
            BinaryOp::And => prec::AND,
            BinaryOp::Add | BinaryOp::Sub => prec::SUM,
            BinaryOp::Mul | BinaryOp::Div => prec::PRODUCT,
            BinaryOp::Pow => prec::POWER,
            _ => prec::COMPARISON,
        }
    }
}

/// A built-in function. Names are matched case-insensitively when parsing
/// (`EXP(x)` is `exp(x)`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Func {
    /// `exp(x)`
    Exp,
    /// `log(x)`: natural logarithm; `x` must be > 0.
    Log,
    /// `log10(x)`; `x` must be > 0.
    Log10,
    /// `sqrt(x)`; `x` must be ≥ 0.
    Sqrt,
    /// `abs(x)`
    Abs,
    /// `floor(x)`
    Floor,
    /// `ceil(x)`
    Ceil,
    /// `round(x)`: halves round away from zero (`round(2.5)` = 3, `round(-2.5)` = -3).
    Round,
    /// `pow(x, y)`: the same as `x ^ y`.
    Pow,
    /// `min(x, …)`: one or more arguments.
    Min,
    /// `max(x, …)`: one or more arguments.
    Max,
    /// `if(cond, a, b)`: `a` when `cond` holds, else `b`; only the chosen
    /// branch is evaluated, so `if(x > 0, log(x), 0)` is safe.
    If,
    /// `missing(name)`: whether the variable's value is missing. The argument
    /// must be a variable name.
    Missing,
}

impl Func {
    /// Every function, in the order listed in error messages.
    pub const ALL: [Func; 13] = [
        Func::Exp,
        Func::Log,
        Func::Log10,
        Func::Sqrt,
        Func::Abs,
        Func::Floor,
        Func::Ceil,
        Func::Round,
        Func::Pow,
        Func::Min,
        Func::Max,
        Func::If,
        Func::Missing,
    ];

    /// The canonical (lower-case) name.
    pub fn name(self) -> &'static str {
        match self {
            Func::Exp => "exp",
            Func::Log => "log",
            Func::Log10 => "log10",
            Func::Sqrt => "sqrt",
            Func::Abs => "abs",
            Func::Floor => "floor",
            Func::Ceil => "ceil",
            Func::Round => "round",
            Func::Pow => "pow",
            Func::Min => "min",
            Func::Max => "max",
            Func::If => "if",
            Func::Missing => "missing",
        }
    }

    /// The function called `name`, ignoring ASCII case.
    pub fn from_name(name: &str) -> Option<Func> {
        Func::ALL
            .into_iter()
            .find(|f| f.name().eq_ignore_ascii_case(name))
    }

    /// `(minimum, maximum)` number of arguments; `None` is no maximum.
    pub fn arity(self) -> (usize, Option<usize>) {
        match self {
            Func::Pow => (2, Some(2)),
            Func::If => (3, Some(3)),
            Func::Min | Func::Max => (1, None),
            _ => (1, Some(1)),
        }
    }
}

/// A node of the syntax tree. Number literals are never negative: `-2` is
/// `Unary { op: Neg, operand: Num(2.0) }`.
#[derive(Debug, Clone, PartialEq)]
pub enum Node {
    /// A number literal (finite, ≥ 0).
    Num(f64),
    /// A string literal, without quotes.
    Str(String),
    /// A variable, as written but without backticks: `` `sample yr` `` is
    /// `Var("sample yr")`, the same as the column it names.
    Var(String),
    /// `-x` or `not x`.
    Unary {
        /// The operator.
        op: UnaryOp,
        /// Its operand.
        operand: Box<Node>,
    },
    /// `a op b`.
    Binary {
        /// The operator.
        op: BinaryOp,
        /// Left operand.
        left: Box<Node>,
        /// Right operand.
        right: Box<Node>,
    },
    /// `value in (a, b, …)` or `value not in (…)`.
    In {
        /// The tested value.
        value: Box<Node>,
        /// The list (never empty).
        list: Vec<Node>,
        /// `not in`.
        negated: bool,
    },
    /// `value between low and high` (inclusive) or `value not between …`.
    Between {
        /// The tested value.
        value: Box<Node>,
        /// Lower bound (inclusive).
        low: Box<Node>,
        /// Upper bound (inclusive).
        high: Box<Node>,
        /// `not between`.
        negated: bool,
    },
    /// A function call with a valid number of arguments.
    Call {
        /// The function.
        func: Func,
        /// Its arguments.
        args: Vec<Node>,
    },
}

/// Binding strengths, loosest first. The parser has one rule per level.
pub(crate) mod prec {
    pub const OR: u8 = 1;
    pub const AND: u8 = 2;
    pub const NOT: u8 = 3;
    pub const COMPARISON: u8 = 4;
    pub const SUM: u8 = 5;
    pub const PRODUCT: u8 = 6;
    pub const NEG: u8 = 7;
    pub const POWER: u8 = 8;
    pub const PRIMARY: u8 = 9;
}

impl Node {
    /// Binding strength of the node's outermost operator: `or` 1, `and` 2,
    /// `not` 3, comparisons/`in`/`between` 4, `+ -` 5, `* /` 6, unary `-` 7,
    /// `^` 8, literals/names/calls 9.
    pub fn precedence(&self) -> u8 {
        match self {
            Node::Num(_) | Node::Str(_) | Node::Var(_) | Node::Call { .. } => prec::PRIMARY,
            Node::Unary {
                op: UnaryOp::Neg, ..
            } => prec::NEG,
            Node::Unary {
                op: UnaryOp::Not, ..
            } => prec::NOT,
            Node::Binary { op, .. } => op.precedence(),
            Node::In { .. } | Node::Between { .. } => prec::COMPARISON,
        }
    }
}

/// Writes `node`, in parentheses when its precedence is below `min`.
fn child(f: &mut fmt::Formatter<'_>, node: &Node, min: u8) -> fmt::Result {
    if node.precedence() < min {
        write!(f, "({node})")
    } else {
        write!(f, "{node}")
    }
}

impl fmt::Display for Node {
    /// The canonical form: single spaces around binary operators, lower-case
    /// keywords and function names, `^` for powers, strings in single quotes
    /// (double quotes if the string holds a single quote), and only the
    /// parentheses the precedence needs, plus parentheses around the operand
    /// of `not` unless it is a name, literal or call. Variables are written
    /// as [`quote_name`](crate::quote_name) writes them: in backticks unless
    /// they are plain names.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Node::Num(x) => write!(f, "{}", Num(*x)),
            Node::Str(s) => {
                let q = if s.contains('\'') { '"' } else { '\'' };
                write!(f, "{q}{s}{q}")
            }
            Node::Var(name) => write!(f, "{}", crate::quote_name(name)),
            Node::Unary {
                op: UnaryOp::Neg,
                operand,
            } => {
                // `- -x` rather than `--x`, which reads like a decrement.
                let space = matches!(
                    **operand,
                    Node::Unary {
                        op: UnaryOp::Neg,
                        ..
                    }
                );
                f.write_str(if space { "- " } else { "-" })?;
                child(f, operand, prec::NEG)
            }
            Node::Unary {
                op: UnaryOp::Not,
                operand,
            } => {
                f.write_str("not ")?;
                child(f, operand, prec::PRIMARY)
            }
            Node::Binary { op, left, right } => {
                let p = op.precedence();
                // Left-associative operators need parentheses around a right
                // operand of equal precedence; `^` is right-associative and
                // takes a primary on its left, a unary expression on its right;
                // comparisons do not chain.
                let (lmin, rmin) = match op {
                    BinaryOp::Pow => (prec::PRIMARY, prec::NEG),
                    _ if op.is_comparison() => (prec::SUM, prec::SUM),
                    _ => (p, p + 1),
                };
                child(f, left, lmin)?;
                write!(f, " {} ", op.symbol())?;
                child(f, right, rmin)
            }
            Node::In {
                value,
                list,
                negated,
            } => {
                child(f, value, prec::SUM)?;
                f.write_str(if *negated { " not in (" } else { " in (" })?;
                for (i, item) in list.iter().enumerate() {
                    if i > 0 {
                        f.write_str(", ")?;
                    }
                    write!(f, "{item}")?;
                }
                f.write_str(")")
            }
            Node::Between {
                value,
                low,
                high,
                negated,
            } => {
                child(f, value, prec::SUM)?;
                f.write_str(if *negated {
                    " not between "
                } else {
                    " between "
                })?;
                child(f, low, prec::SUM)?;
                f.write_str(" and ")?;
                child(f, high, prec::SUM)
            }
            Node::Call { func, args } => {
                write!(f, "{}(", func.name())?;
                for (i, arg) in args.iter().enumerate() {
                    if i > 0 {
                        f.write_str(", ")?;
                    }
                    write!(f, "{arg}")?;
                }
                f.write_str(")")
            }
        }
    }
}
