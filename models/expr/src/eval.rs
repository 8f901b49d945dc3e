//! Evaluation of a [`Compiled`] expression.
//!
//! One general evaluator serves all entry points: it is generic over where
//! slot values come from (`&[Value]` or `&[f64]`). [`Compiled::eval_f64`]
//! first tries the plain-`f64` fast path (see `fast.rs`) and falls back to
//! the general evaluator only for strings and errors. Intermediate
//! values ([`V`]) borrow strings from the slots or the compiled constants,
//! and errors are boxed to keep results small; nothing is allocated unless
//! an error is returned.

use std::sync::Arc;

use crate::ast::{BinaryOp, Func};
use crate::compile::{C, Compiled};
use crate::error::EvalError;
use crate::value::{Num, Value};

/// An intermediate value. `Missing` remembers its slot, to name it in errors.
#[derive(Debug, Clone, Copy)]
pub(crate) enum V<'a> {
    Num(f64),
    Bool(bool),
    Str(&'a Arc<str>),
    Missing(usize),
}

type Res<T> = Result<T, Box<EvalError>>;

/// Where slot values come from.
pub(crate) trait Slots<'a>: Copy {
    fn get(self, i: usize) -> V<'a>;
}

/// `f64` slots: NaN is missing.
#[derive(Clone, Copy)]
pub(crate) struct NumSlots<'a>(&'a [f64]);

impl<'a> Slots<'a> for NumSlots<'a> {
    #[inline]
    fn get(self, i: usize) -> V<'a> {
        match self.0.get(i) {
            Some(&x) if !x.is_nan() => V::Num(x),
            _ => V::Missing(i),
        }
    }
}

/// `Value` slots: `Missing` and `Num(NaN)` are missing.
#[derive(Clone, Copy)]
pub(crate) struct ValueSlots<'a>(&'a [Value]);

impl<'a> Slots<'a> for ValueSlots<'a> {
    #[inline]
    fn get(self, i: usize) -> V<'a> {
        match self.0.get(i) {
            Some(Value::Num(x)) if !x.is_nan() => V::Num(*x),
            Some(Value::Bool(b)) => V::Bool(*b),
            Some(Value::Str(s)) => V::Str(s),
            _ => V::Missing(i),
        }
    }
}

/// No slots at all: used for constant folding, where none is referenced.
#[derive(Clone, Copy)]
pub(crate) struct NoSlots;

impl<'a> Slots<'a> for NoSlots {
    fn get(self, i: usize) -> V<'a> {
        V::Missing(i)
    }
}

/// "number 3", "string 'F'", "boolean true", "a missing value".
fn describe(v: V<'_>) -> String {
    match v {
        V::Num(x) => format!("number {}", Num(x)),
        V::Bool(b) => format!("boolean {b}"),
        V::Str(s) => format!("string '{s}'"),
        V::Missing(_) => "a missing value".to_owned(),
    }
}

#[cold]
#[inline(never)]
fn type_error(op: &'static str, detail: String) -> Box<EvalError> {
    Box::new(EvalError::TypeMismatch { op, detail })
}

#[cold]
#[inline(never)]
fn math_error(op: &'static str, args: &[f64], reason: &'static str) -> Box<EvalError> {
    Box::new(EvalError::Math {
        op,
        args: args.to_vec(),
        reason,
    })
}

#[cold]
#[inline(never)]
fn expected(op: &'static str, what: &str, v: V<'_>) -> Box<EvalError> {
    type_error(op, format!("expected {what}, found {}", describe(v)))
}

#[cold]
#[inline(never)]
fn cannot_compare(op: &'static str, a: V<'_>, b: V<'_>) -> Box<EvalError> {
    type_error(
        op,
        format!("cannot compare {} with {}", describe(a), describe(b)),
    )
}

/// `r`, or an error if it is not finite.
#[inline]
fn finite(op: &'static str, args: &[f64], r: f64) -> Res<f64> {
    if r.is_finite() {
        Ok(r)
    } else {
        let reason = if r.is_nan() {
            "result is not a real number"
        } else {
            "result is infinite"
        };
        Err(math_error(op, args, reason))
    }
}

#[inline]
fn arith(op: BinaryOp, x: f64, y: f64) -> Res<f64> {
    let (sym, r) = match op {
        BinaryOp::Add => ("+", x + y),
        BinaryOp::Sub => ("-", x - y),
        BinaryOp::Mul => ("*", x * y),
        BinaryOp::Div => {
            if y == 0.0 {
                return Err(math_error("/", &[x, y], "division by zero"));
            }
            ("/", x / y)
        }
        _ => ("^", x.powf(y)),
    };
    finite(sym, &[x, y], r)
}

#[inline]
fn math(func: Func, x: f64) -> Res<f64> {
    let name = func.name();
    let r = match func {
        Func::Exp => x.exp(),
        Func::Log | Func::Log10 => {
            if x <= 0.0 {
                return Err(math_error(name, &[x], "argument must be > 0"));
            }
            if func == Func::Log { x.ln() } else { x.log10() }
        }
        Func::Sqrt => {
            if x < 0.0 {
                return Err(math_error(name, &[x], "argument must be >= 0"));
            }
            x.sqrt()
        }
        Func::Abs => x.abs(),
        Func::Floor => x.floor(),
        Func::Ceil => x.ceil(),
        _ => x.round(),
    };
    finite(name, &[x], r)
}

/// The evaluator: slot names (for error messages) and slot values.
pub(crate) struct Ev<'a, S> {
    pub names: &'a [Box<str>],
    pub slots: S,
}

impl<'a, S: Slots<'a>> Ev<'a, S> {
    #[cold]
    #[inline(never)]
    fn missing(&self, slot: usize, op: &'static str) -> Box<EvalError> {
        let name = self
            .names
            .get(slot)
            .map_or_else(|| format!("#{slot}"), |n| n.to_string());
        Box::new(EvalError::Missing { name, op })
    }

    /// The number `v` stands for (booleans are 1/0).
    #[inline]
    pub fn num(&self, v: V<'a>, op: &'static str) -> Res<f64> {
        match v {
            V::Num(x) => Ok(x),
            V::Bool(b) => Ok(if b { 1.0 } else { 0.0 }),
            V::Missing(slot) => Err(self.missing(slot, op)),
            V::Str(_) => Err(expected(op, "a number", v)),
        }
    }

    /// Whether `v` holds as a condition: booleans as they are, numbers when
    /// non-zero, missing values never; strings are an error.
    #[inline]
    pub fn truth(&self, v: V<'a>, op: &'static str) -> Res<bool> {
        match v {
            V::Bool(b) => Ok(b),
            V::Num(x) => Ok(x != 0.0),
            V::Missing(_) => Ok(false),
            V::Str(_) => Err(expected(op, "a condition", v)),
        }
    }

    /// `a == b`, or `None` if either is missing.
    fn equal(&self, a: V<'a>, b: V<'a>, op: &'static str) -> Res<Option<bool>> {
        Ok(match (a, b) {
            (V::Missing(_), _) | (_, V::Missing(_)) => None,
            (V::Str(x), V::Str(y)) => Some(x == y),
            (V::Str(_), _) | (_, V::Str(_)) => {
                return Err(cannot_compare(op, a, b));
            }
            _ => Some(self.num(a, op)? == self.num(b, op)?),
        })
    }

    /// A number for an ordering comparison, or `None` if missing.
    fn ordered(&self, v: V<'a>, op: &'static str) -> Res<Option<f64>> {
        match v {
            V::Missing(_) => Ok(None),
            V::Str(_) => Err(expected(op, "a number", v)),
            _ => self.num(v, op).map(Some),
        }
    }

    fn compare(&self, op: BinaryOp, a: V<'a>, b: V<'a>) -> Res<bool> {
        let sym = op.symbol();
        match op {
            BinaryOp::Eq => Ok(self.equal(a, b, sym)?.unwrap_or(false)),
            BinaryOp::Ne => Ok(self.equal(a, b, sym)?.is_some_and(|e| !e)),
            _ => {
                let (x, y) = match (self.ordered(a, sym)?, self.ordered(b, sym)?) {
                    (Some(x), Some(y)) => (x, y),
                    _ => return Ok(false),
                };
                Ok(match op {
                    BinaryOp::Lt => x < y,
                    BinaryOp::Le => x <= y,
                    BinaryOp::Gt => x > y,
                    _ => x >= y,
                })
            }
        }
    }

    /// Evaluates the condition `c` in SQL's three-valued logic: `None` is
    /// *unknown*. A comparison, `in` or `between` with a missing operand is
    /// unknown (`x in (…)` is unknown when `x` matches no item and an item is
    /// missing, as in SQL); `not` of unknown is unknown; `and`/`or` are
    /// Kleene's. Anything else is evaluated as usual: a missing result is
    /// unknown, other values hold as in [`truth`](Ev::truth).
    pub fn tri(&self, c: &'a C) -> Res<Option<bool>> {
        Ok(match c {
            C::Not(a) => self.tri(a)?.map(|b| !b),
            C::And(a, b) => match self.tri(a)? {
                Some(false) => Some(false),
                x => match (x, self.tri(b)?) {
                    (_, Some(false)) => Some(false),
                    (Some(true), Some(true)) => Some(true),
                    _ => None,
                },
            },
            C::Or(a, b) => match self.tri(a)? {
                Some(true) => Some(true),
                x => match (x, self.tri(b)?) {
                    (_, Some(true)) => Some(true),
                    (Some(false), Some(false)) => Some(false),
                    _ => None,
                },
            },
            C::Cmp(op, a, b) => {
                let (x, y) = (self.eval(a)?, self.eval(b)?);
                if matches!(x, V::Missing(_)) || matches!(y, V::Missing(_)) {
                    // Still a type error where a known pair would be one.
                    self.compare(*op, x, y)?;
                    None
                } else {
                    Some(self.compare(*op, x, y)?)
                }
            }
            C::In {
                value,
                list,
                negated,
            } => {
                let v = self.eval(value)?;
                if let V::Missing(_) = v {
                    return Ok(None);
                }
                let mut unknown = false;
                for item in list.iter() {
                    match self.equal(v, self.eval(item)?, "in")? {
                        Some(true) => return Ok(Some(!*negated)),
                        Some(false) => {}
                        None => unknown = true,
                    }
                }
                if unknown { None } else { Some(*negated) }
            }
            C::Between { parts, negated } => {
                let [v, lo, hi] = &**parts;
                let v = self.ordered(self.eval(v)?, "between")?;
                let lo = self.ordered(self.eval(lo)?, "between")?;
                let hi = self.ordered(self.eval(hi)?, "between")?;
                // lo <= v and v <= hi, each unknown when an operand is missing.
                let ge = v.zip(lo).map(|(v, lo)| lo <= v);
                let le = v.zip(hi).map(|(v, hi)| v <= hi);
                let inside = match (ge, le) {
                    (Some(false), _) | (_, Some(false)) => Some(false),
                    (Some(true), Some(true)) => Some(true),
                    _ => None,
                };
                inside.map(|b| b != *negated)
            }
            _ => match self.eval(c)? {
                V::Missing(_) => None,
                v => Some(self.truth(v, "result")?),
            },
        })
    }

    /// Evaluates `c`.
    pub fn eval(&self, c: &'a C) -> Res<V<'a>> {
        Ok(match c {
            C::Num(x) => V::Num(*x),
            C::Slot(i) => self.slots.get(*i),
            C::Arith(op, a, b) => {
                let x = self.num(self.eval(a)?, op.symbol())?;
                let y = self.num(self.eval(b)?, op.symbol())?;
                V::Num(arith(*op, x, y)?)
            }
            C::Math(func, a) => V::Num(math(*func, self.num(self.eval(a)?, func.name())?)?),
            C::Neg(a) => V::Num(-self.num(self.eval(a)?, "-")?),
            C::Bool(b) => V::Bool(*b),
            C::Str(s) => V::Str(s),
            C::Cmp(op, a, b) => V::Bool(self.compare(*op, self.eval(a)?, self.eval(b)?)?),
            C::Not(a) => V::Bool(!self.truth(self.eval(a)?, "not")?),
            C::And(a, b) => {
                V::Bool(self.truth(self.eval(a)?, "and")? && self.truth(self.eval(b)?, "and")?)
            }
            C::Or(a, b) => {
                V::Bool(self.truth(self.eval(a)?, "or")? || self.truth(self.eval(b)?, "or")?)
            }
            C::In {
                value,
                list,
                negated,
            } => {
                let v = self.eval(value)?;
                if let V::Missing(_) = v {
                    return Ok(V::Bool(false));
                }
                let mut found = false;
                for item in list.iter() {
                    if self.equal(v, self.eval(item)?, "in")? == Some(true) {
                        found = true;
                        break;
                    }
                }
                V::Bool(found != *negated)
            }
            C::Between { parts, negated } => {
                let [v, lo, hi] = &**parts;
                let v = self.ordered(self.eval(v)?, "between")?;
                let lo = self.ordered(self.eval(lo)?, "between")?;
                let hi = self.ordered(self.eval(hi)?, "between")?;
                match (v, lo, hi) {
                    (Some(v), Some(lo), Some(hi)) => V::Bool((lo <= v && v <= hi) != *negated),
                    _ => V::Bool(false),
                }
            }
            C::MinMax { max, args } => {
                let op = if *max { "max" } else { "min" };
                let mut acc: Option<f64> = None;
                for a in args.iter() {
                    let x = self.num(self.eval(a)?, op)?;
                    acc = Some(match acc {
                        None => x,
                        Some(m) if *max => m.max(x),
                        Some(m) => m.min(x),
                    });
                }
                V::Num(acc.unwrap_or(f64::NAN))
            }
            C::If(parts) => {
                let [cond, yes, no] = &**parts;
                if self.truth(self.eval(cond)?, "if")? {
                    self.eval(yes)?
                } else {
                    self.eval(no)?
                }
            }
            C::IsMissing(i) => V::Bool(matches!(self.slots.get(*i), V::Missing(_))),
        })
    }
}

impl Compiled {
    fn check_slots(&self, n: usize) -> Result<(), EvalError> {
        if n < self.names.len() {
            return Err(EvalError::SlotCount {
                expected: self.names.len(),
                found: n,
            });
        }
        Ok(())
    }

    /// Evaluates with any kind of slot values. A missing result (the
    /// expression is a missing variable, or an `if` chose one) is
    /// [`Value::Missing`].
    ///
    /// # Errors
    /// See [`EvalError`].
    pub fn eval(&self, slots: &[Value]) -> Result<Value, EvalError> {
        self.check_slots(slots.len())?;
        let ev = Ev {
            names: &self.names,
            slots: ValueSlots(slots),
        };
        Ok(match ev.eval(&self.root).map_err(|e| *e)? {
            V::Num(x) => Value::Num(x),
            V::Bool(b) => Value::Bool(b),
            V::Str(s) => Value::Str(Arc::clone(s)),
            V::Missing(_) => Value::Missing,
        })
    }

    /// Evaluates with numeric slots (a NaN slot is missing) and returns a
    /// number (a boolean result is 1.0 or 0.0). The fast path for model
    /// parameters: same semantics as [`eval`](Compiled::eval) with every slot
    /// a `Value::Num`.
    ///
    /// # Errors
    /// See [`EvalError`]; in particular a string or missing result is an
    /// error, as is comparing a string literal with a number.
    #[inline]
    pub fn eval_f64(&self, slots: &[f64]) -> Result<f64, EvalError> {
        self.check_slots(slots.len())?;
        if let Some(Ok(x)) = self.fast.as_ref().map(|f| f.eval(slots))
            && !x.is_nan()
        {
            return Ok(x);
        }
        // No fast path, or it failed: the general evaluator gives the error.
        let ev = Ev {
            names: &self.names,
            slots: NumSlots(slots),
        };
        let v = ev.eval(&self.root).map_err(|e| *e)?;
        ev.num(v, "result").map_err(|e| *e)
    }

    /// Evaluates a condition in SQL's three-valued logic: `Some(true)`,
    /// `Some(false)`, or `None` for *unknown*. A comparison (`== != < <= > >=`),
    /// `in` or `between` with a missing operand is unknown; `not` unknown is
    /// unknown; `and` is false when either side is false, true when both are
    /// true, else unknown; `or` is true when either side is true, false when
    /// both are false, else unknown. So for a patient whose `sbp` is missing,
    /// `sbp > 120`, `not (sbp > 120)` and `sbp <= 120` are all unknown, and a
    /// filter that keeps only the rows where the condition is `Some(true)`
    /// keeps this patient for none of them (unlike [`eval_bool`], where
    /// `not (sbp > 120)` is true). Below the logical operators (inside
    /// arithmetic or `if`) values are as in [`eval`](Compiled::eval).
    ///
    /// ```
    /// use vtrial_expr::{Expr, Value};
    /// let c = Expr::parse("not (sbp > 120)")?.compile(&["sbp"])?;
    /// assert_eq!(c.eval_condition(&[Value::Missing])?, None);
    /// assert_eq!(c.eval_condition(&[110.0.into()])?, Some(true));
    /// let c = Expr::parse("sbp > 120 or age > 60")?.compile(&["sbp", "age"])?;
    /// assert_eq!(c.eval_condition(&[Value::Missing, 70.0.into()])?, Some(true));
    /// assert_eq!(c.eval_condition(&[Value::Missing, 50.0.into()])?, None);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    ///
    /// # Errors
    /// See [`EvalError`]; a string result is an error.
    ///
    /// [`eval_bool`]: Compiled::eval_bool
    pub fn eval_condition(&self, slots: &[Value]) -> Result<Option<bool>, EvalError> {
        self.check_slots(slots.len())?;
        let ev = Ev {
            names: &self.names,
            slots: ValueSlots(slots),
        };
        ev.tri(&self.root).map_err(|e| *e)
    }

    /// Evaluates a condition (an inclusion criterion, a subgroup): a boolean
    /// result as it is, a number when non-zero, a missing result as `false`.
    ///
    /// # Errors
    /// See [`EvalError`]; a string result is an error.
    pub fn eval_bool(&self, slots: &[Value]) -> Result<bool, EvalError> {
        self.check_slots(slots.len())?;
        let ev = Ev {
            names: &self.names,
            slots: ValueSlots(slots),
        };
        let v = ev.eval(&self.root).map_err(|e| *e)?;
        ev.truth(v, "result").map_err(|e| *e)
    }
}
