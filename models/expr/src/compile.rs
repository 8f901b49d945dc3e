//! Syntax tree + slot names → [`Compiled`]: variables are resolved to slot
//! indices and constant sub-expressions are folded.

use std::sync::Arc;

use crate::Expr;
use crate::ast::{BinaryOp, Func, Node, UnaryOp};
use crate::error::BindError;
use crate::eval::{Ev, NoSlots, V};
use crate::fast::{self, F};
use crate::suggest::closest;
use crate::value::Value;

/// A compiled node. Children are boxed once at compile time; evaluation
/// walks the tree by reference and allocates nothing.
#[derive(Debug, Clone)]
pub(crate) enum C {
    Num(f64),
    Bool(bool),
    Str(Arc<str>),
    Slot(usize),
    Neg(Box<C>),
    Not(Box<C>),
    /// `+ - * / ^`
    Arith(BinaryOp, Box<C>, Box<C>),
    /// `== != < <= > >=`
    Cmp(BinaryOp, Box<C>, Box<C>),
    And(Box<C>, Box<C>),
    Or(Box<C>, Box<C>),
    In {
        value: Box<C>,
        list: Box<[C]>,
        negated: bool,
    },
    Between {
        parts: Box<[C; 3]>,
        negated: bool,
    },
    /// A one-argument numeric function (exp, log, …, round).
    Math(Func, Box<C>),
    MinMax {
        max: bool,
        args: Box<[C]>,
    },
    If(Box<[C; 3]>),
    IsMissing(usize),
}

impl C {
    fn is_const(&self) -> bool {
        matches!(self, C::Num(_) | C::Bool(_) | C::Str(_))
    }
}

/// An expression bound to slots, ready to evaluate.
///
/// Built by [`Expr::compile`]. Slot `i` of the `slots` passed to the `eval*`
/// methods holds the value of the `i`-th name given to `compile`; extra
/// slots after those are ignored. `Compiled` is `Send + Sync`: share one
/// across threads.
#[derive(Debug, Clone)]
pub struct Compiled {
    pub(crate) root: C,
    /// The numeric fast path, unless the expression holds a string.
    pub(crate) fast: Option<F>,
    pub(crate) names: Box<[Box<str>]>,
}

impl Compiled {
    /// The names the expression was compiled with, in slot order.
    pub fn slot_names(&self) -> impl ExactSizeIterator<Item = &str> {
        self.names.iter().map(|n| &**n)
    }

    /// The number of slots `eval*` needs (the number of names given to `compile`).
    pub fn slot_count(&self) -> usize {
        self.names.len()
    }

    /// The value, if the whole expression folded to a constant (e.g. `2 * 3`,
    /// or `if(1 > 0, 5, WT)`).
    pub fn constant(&self) -> Option<Value> {
        match &self.root {
            C::Num(x) => Some(Value::Num(*x)),
            C::Bool(b) => Some(Value::Bool(*b)),
            C::Str(s) => Some(Value::Str(s.clone())),
            _ => None,
        }
    }
}

impl Expr {
    /// Binds each variable to the slot of the same name in `names` (exact,
    /// case-sensitive match; the first of duplicate names wins) and compiles
    /// the expression. Names not used by the expression are fine.
    ///
    /// # Errors
    /// [`BindError::UnknownVariable`] for the first variable (in order of
    /// appearance) not in `names`; it suggests the closest name.
    pub fn compile(&self, names: &[&str]) -> Result<Compiled, BindError> {
        self.compile_by(names, |var| {
            names.iter().position(|n| *n == var).ok_or(None)
        })
    }

    /// Like [`compile`](Expr::compile), but a variable with no exact match
    /// binds to the one name equal to it ignoring ASCII case (`wt` → `WT`).
    ///
    /// # Errors
    /// As `compile`, plus [`BindError::Ambiguous`] when several names match
    /// ignoring case and none exactly.
    pub fn compile_ignore_case(&self, names: &[&str]) -> Result<Compiled, BindError> {
        self.compile_by(names, |var| {
            if let Some(i) = names.iter().position(|n| *n == var) {
                return Ok(i);
            }
            let matches: Vec<usize> = (0..names.len())
                .filter(|&i| names[i].eq_ignore_ascii_case(var))
                .collect();
            match matches[..] {
                [] => Err(None),
                [i] => Ok(i),
                _ => Err(Some(matches.iter().map(|&i| names[i].to_owned()).collect())),
            }
        })
    }

    /// `find(var)` is the slot of `var`, or `Err(None)` (unknown) or
    /// `Err(Some(candidates))` (ambiguous).
    fn compile_by(
        &self,
        names: &[&str],
        find: impl Fn(&str) -> Result<usize, Option<Vec<String>>>,
    ) -> Result<Compiled, BindError> {
        let mut table = Vec::with_capacity(self.vars.len());
        for (var, column) in &self.vars {
            match find(var) {
                Ok(slot) => table.push((var.as_str(), slot)),
                Err(None) => {
                    return Err(BindError::UnknownVariable {
                        name: var.clone(),
                        column: *column,
                        suggestion: closest(var, names.iter().copied()).map(str::to_owned),
                        known: names.iter().map(|&n| n.to_owned()).collect(),
                    });
                }
                Err(Some(candidates)) => {
                    return Err(BindError::Ambiguous {
                        name: var.clone(),
                        column: *column,
                        candidates,
                    });
                }
            }
        }
        let slot_of = |var: &str| {
            table
                .iter()
                .find(|(v, _)| *v == var)
                .map_or(usize::MAX, |&(_, s)| s)
        };
        let root = lower(&self.root, &slot_of);
        Ok(Compiled {
            fast: fast::build(&root),
            root,
            names: names.iter().map(|&n| Box::from(n)).collect(),
        })
    }
}

/// Lowers `node`, folding every sub-tree whose operands are all constants
/// (unless evaluating it fails: then the error is left for run time, where it
/// happens only if that sub-tree is actually reached, e.g. in an `if` branch).
fn lower(node: &Node, slot_of: &impl Fn(&str) -> usize) -> C {
    let boxed = |n: &Node| Box::new(lower(n, slot_of));
    let c = match node {
        Node::Num(x) => return C::Num(*x),
        Node::Str(s) => return C::Str(Arc::from(s.as_str())),
        Node::Var(name) => return C::Slot(slot_of(name)),
        Node::Unary {
            op: UnaryOp::Neg,
            operand,
        } => C::Neg(boxed(operand)),
        Node::Unary {
            op: UnaryOp::Not,
            operand,
        } => C::Not(boxed(operand)),
        Node::Binary {
            op: BinaryOp::And,
            left,
            right,
        } => {
            let (l, r) = (boxed(left), boxed(right));
            if matches!(*l, C::Bool(false)) {
                return C::Bool(false);
            }
            C::And(l, r)
        }
        Node::Binary {
            op: BinaryOp::Or,
            left,
            right,
        } => {
            let (l, r) = (boxed(left), boxed(right));
            if matches!(*l, C::Bool(true)) {
                return C::Bool(true);
            }
            C::Or(l, r)
        }
        Node::Binary { op, left, right } if op.is_comparison() => {
            C::Cmp(*op, boxed(left), boxed(right))
        }
        Node::Binary { op, left, right } => C::Arith(*op, boxed(left), boxed(right)),
        Node::In {
            value,
            list,
            negated,
        } => C::In {
            value: boxed(value),
            list: list.iter().map(|n| lower(n, slot_of)).collect(),
            negated: *negated,
        },
        Node::Between {
            value,
            low,
            high,
            negated,
        } => C::Between {
            parts: Box::new([
                lower(value, slot_of),
                lower(low, slot_of),
                lower(high, slot_of),
            ]),
            negated: *negated,
        },
        Node::Call { func, args } => {
            let mut args: Vec<C> = args.iter().map(|n| lower(n, slot_of)).collect();
            match func {
                Func::If => {
                    let [cond, yes, no]: [C; 3] = match args.try_into() {
                        Ok(a) => a,
                        Err(_) => unreachable!("the parser checks arity"),
                    };
                    C::If(Box::new([cond, yes, no]))
                }
                Func::Min | Func::Max => C::MinMax {
                    max: *func == Func::Max,
                    args: args.into(),
                },
                Func::Pow => {
                    let y = args.pop().map(Box::new);
                    let x = args.pop().map(Box::new);
                    match (x, y) {
                        (Some(x), Some(y)) => C::Arith(BinaryOp::Pow, x, y),
                        _ => unreachable!("the parser checks arity"),
                    }
                }
                Func::Missing => match args.pop() {
                    Some(C::Slot(i)) => C::IsMissing(i),
                    _ => unreachable!("the parser checks that missing() takes a variable"),
                },
                _ => match args.pop() {
                    Some(x) => C::Math(*func, Box::new(x)),
                    None => unreachable!("the parser checks arity"),
                },
            }
        }
    };
    fold(c)
}

/// Replaces `c` by its value if it can be computed now.
fn fold(c: C) -> C {
    let foldable = match &c {
        C::Neg(a) | C::Not(a) | C::Math(_, a) => a.is_const(),
        C::Arith(_, a, b) | C::Cmp(_, a, b) | C::And(a, b) | C::Or(a, b) => {
            a.is_const() && b.is_const()
        }
        C::In { value, list, .. } => value.is_const() && list.iter().all(C::is_const),
        C::Between { parts, .. } => parts.iter().all(C::is_const),
        C::MinMax { args, .. } => args.iter().all(C::is_const),
        // Only the condition decides: the chosen branch is returned as is.
        C::If(parts) => parts[0].is_const(),
        _ => false,
    };
    if !foldable {
        return c;
    }
    if let C::If(parts) = c {
        // The condition is constant: keep the chosen branch, folded or not.
        let ev = Ev {
            names: &[],
            slots: NoSlots,
        };
        return match ev.eval(&parts[0]).and_then(|v| ev.truth(v, "if")) {
            Ok(take_yes) => {
                let [_, yes, no] = *parts;
                if take_yes { yes } else { no }
            }
            Err(_) => C::If(parts),
        };
    }
    let ev = Ev {
        names: &[],
        slots: NoSlots,
    };
    match ev.eval(&c) {
        Ok(V::Num(x)) => C::Num(x),
        Ok(V::Bool(b)) => C::Bool(b),
        Ok(V::Str(s)) => C::Str(s.clone()),
        Ok(V::Missing(_)) | Err(_) => c,
    }
}
