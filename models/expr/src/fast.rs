//! The numeric fast path behind [`Compiled::eval_f64`](crate::Compiled::eval_f64).
//!
//! An expression without strings (after constant folding) is also compiled
//! to an [`F`] tree that computes in plain `f64`: booleans are 1.0/0.0 and a
//! NaN is a missing value, which only slot reads and `if` branches can pass
//! along. The tree does not build errors: on anything that would be an
//! error it returns `Err(Fail)`, and `eval_f64` then runs the general
//! evaluator, which produces the same outcome with a precise message. So the
//! fast path must agree with the general one on every successful result;
//! the property tests compare them.

use crate::ast::{BinaryOp, Func};
use crate::compile::C;

/// "The general evaluator would report an error here."
#[derive(Debug)]
pub(crate) struct Fail;

type R = Result<f64, Fail>;

#[derive(Debug, Clone)]
pub(crate) enum F {
    Const(f64),
    Slot(usize),
    Neg(Box<F>),
    Add(Box<F>, Box<F>),
    Sub(Box<F>, Box<F>),
    Mul(Box<F>, Box<F>),
    Div(Box<F>, Box<F>),
    Pow(Box<F>, Box<F>),
    /// `slot op constant`, the commonest shape (`WT / 70`, `AGE - 40`).
    SlotConst(BinaryOp, usize, f64),
    Cmp(BinaryOp, Box<F>, Box<F>),
    Not(Box<F>),
    And(Box<F>, Box<F>),
    Or(Box<F>, Box<F>),
    In {
        value: Box<F>,
        list: Box<[F]>,
        negated: bool,
    },
    Between {
        parts: Box<[F; 3]>,
        negated: bool,
    },
    Math(Func, Box<F>),
    MinMax {
        max: bool,
        args: Box<[F]>,
    },
    If(Box<[F; 3]>),
    IsMissing(usize),
}

/// The fast tree for `c`, or `None` if it holds a string.
pub(crate) fn build(c: &C) -> Option<F> {
    let b = |c: &C| build(c).map(Box::new);
    let all = |cs: &[C]| cs.iter().map(build).collect::<Option<Box<[F]>>>();
    Some(match c {
        C::Num(x) => F::Const(*x),
        C::Bool(b) => F::Const(if *b { 1.0 } else { 0.0 }),
        C::Str(_) => return None,
        C::Slot(i) => F::Slot(*i),
        C::Neg(a) => F::Neg(b(a)?),
        C::Not(a) => F::Not(b(a)?),
        C::Arith(op, l, r) => match (op, &**l, &**r) {
            (_, C::Slot(i), C::Num(k)) => F::SlotConst(*op, *i, *k),
            (BinaryOp::Add, ..) => F::Add(b(l)?, b(r)?),
            (BinaryOp::Sub, ..) => F::Sub(b(l)?, b(r)?),
            (BinaryOp::Mul, ..) => F::Mul(b(l)?, b(r)?),
            (BinaryOp::Div, ..) => F::Div(b(l)?, b(r)?),
            _ => F::Pow(b(l)?, b(r)?),
        },
        C::Cmp(op, l, r) => F::Cmp(*op, b(l)?, b(r)?),
        C::And(l, r) => F::And(b(l)?, b(r)?),
        C::Or(l, r) => F::Or(b(l)?, b(r)?),
        C::In {
            value,
            list,
            negated,
        } => F::In {
            value: b(value)?,
            list: all(list)?,
            negated: *negated,
        },
        C::Between { parts, negated } => {
            let [v, lo, hi] = &**parts;
            F::Between {
                parts: Box::new([build(v)?, build(lo)?, build(hi)?]),
                negated: *negated,
            }
        }
        C::Math(func, a) => F::Math(*func, b(a)?),
        C::MinMax { max, args } => F::MinMax {
            max: *max,
            args: all(args)?,
        },
        C::If(parts) => {
            let [c, y, n] = &**parts;
            F::If(Box::new([build(c)?, build(y)?, build(n)?]))
        }
        C::IsMissing(i) => F::IsMissing(*i),
    })
}

/// A number for arithmetic: missing (NaN) fails.
#[inline(always)]
fn num(x: f64) -> R {
    if x.is_nan() { Err(Fail) } else { Ok(x) }
}

/// A finite result, or failure.
#[inline(always)]
fn fin(x: f64) -> R {
    if x.is_finite() { Ok(x) } else { Err(Fail) }
}

#[inline(always)]
fn truth(x: f64) -> bool {
    // A missing value (NaN) never holds: NaN != 0 is true, so test explicitly.
    x != 0.0 && !x.is_nan()
}

#[inline(always)]
fn bool_num(b: bool) -> f64 {
    if b { 1.0 } else { 0.0 }
}

#[inline(always)]
fn arith(op: BinaryOp, x: f64, y: f64) -> R {
    match op {
        BinaryOp::Add => fin(x + y),
        BinaryOp::Sub => fin(x - y),
        BinaryOp::Mul => fin(x * y),
        BinaryOp::Div if y == 0.0 => Err(Fail),
        BinaryOp::Div => fin(x / y),
        _ => fin(x.powf(y)),
    }
}

impl F {
    /// Evaluates the tree; `slots` must hold every slot it reads.
    pub(crate) fn eval(&self, s: &[f64]) -> R {
        let slot = |i: usize| s.get(i).copied().unwrap_or(f64::NAN);
        match self {
            F::Const(x) => Ok(*x),
            F::Slot(i) => Ok(slot(*i)),
            F::Mul(a, b) => fin(num(a.eval(s)?)? * num(b.eval(s)?)?),
            F::SlotConst(op, i, k) => arith(*op, num(slot(*i))?, *k),
            F::Add(a, b) => fin(num(a.eval(s)?)? + num(b.eval(s)?)?),
            F::Sub(a, b) => fin(num(a.eval(s)?)? - num(b.eval(s)?)?),
            F::Div(a, b) => arith(BinaryOp::Div, num(a.eval(s)?)?, num(b.eval(s)?)?),
            F::Pow(a, b) => fin(num(a.eval(s)?)?.powf(num(b.eval(s)?)?)),
            F::Neg(a) => Ok(-num(a.eval(s)?)?),
            F::Math(func, a) => {
                let x = num(a.eval(s)?)?;
                match func {
                    Func::Exp => fin(x.exp()),
                    Func::Log if x > 0.0 => fin(x.ln()),
                    Func::Log10 if x > 0.0 => fin(x.log10()),
                    Func::Sqrt if x >= 0.0 => fin(x.sqrt()),
                    Func::Abs => fin(x.abs()),
                    Func::Floor => fin(x.floor()),
                    Func::Ceil => fin(x.ceil()),
                    Func::Round => fin(x.round()),
                    _ => Err(Fail),
                }
            }
            F::Cmp(op, a, b) => {
                let (x, y) = (a.eval(s)?, b.eval(s)?);
                // Every comparison with a missing value is false, `!=` included.
                if x.is_nan() || y.is_nan() {
                    return Ok(0.0);
                }
                Ok(bool_num(match op {
                    BinaryOp::Eq => x == y,
                    BinaryOp::Ne => x != y,
                    BinaryOp::Lt => x < y,
                    BinaryOp::Le => x <= y,
                    BinaryOp::Gt => x > y,
                    _ => x >= y,
                }))
            }
            F::Not(a) => Ok(bool_num(!truth(a.eval(s)?))),
            F::And(a, b) => Ok(bool_num(truth(a.eval(s)?) && truth(b.eval(s)?))),
            F::Or(a, b) => Ok(bool_num(truth(a.eval(s)?) || truth(b.eval(s)?))),
            F::In {
                value,
                list,
                negated,
            } => {
                let v = value.eval(s)?;
                if v.is_nan() {
                    return Ok(0.0);
                }
                let mut found = false;
                for item in list.iter() {
                    if item.eval(s)? == v {
                        found = true;
                        break;
                    }
                }
                Ok(bool_num(found != *negated))
            }
            F::Between { parts, negated } => {
                let [v, lo, hi] = &**parts;
                let (v, lo, hi) = (v.eval(s)?, lo.eval(s)?, hi.eval(s)?);
                if v.is_nan() || lo.is_nan() || hi.is_nan() {
                    return Ok(0.0);
                }
                Ok(bool_num((lo <= v && v <= hi) != *negated))
            }
            F::MinMax { max, args } => {
                let mut acc: Option<f64> = None;
                for a in args.iter() {
                    let x = num(a.eval(s)?)?;
                    acc = Some(match acc {
                        None => x,
                        Some(m) if *max => m.max(x),
                        Some(m) => m.min(x),
                    });
                }
                acc.ok_or(Fail)
            }
            F::If(parts) => {
                let [c, y, n] = &**parts;
                if truth(c.eval(s)?) {
                    y.eval(s)
                } else {
                    n.eval(s)
                }
            }
            F::IsMissing(i) => Ok(bool_num(slot(*i).is_nan())),
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::Expr;

    /// The fast path succeeds exactly when the general evaluator does (so the
    /// fallback is only taken for errors), with the same value.
    #[test]
    fn fast_path_agrees_with_general_evaluator() {
        let exprs = [
            "x",
            "x + y",
            "x - y",
            "x * y",
            "x / y",
            "x ^ y",
            "-x",
            "x / 70",
            "x - 40",
            "x * 2",
            "x ^ 0.75",
            "2 ^ x",
            "exp(x)",
            "log(x)",
            "log10(x)",
            "sqrt(x)",
            "abs(x)",
            "floor(x)",
            "ceil(x)",
            "round(x)",
            "x == y",
            "x != y",
            "x < y",
            "x <= y",
            "x > y",
            "x >= y",
            "not x",
            "x and y",
            "x or y",
            "x in (y, 1, 2)",
            "x not in (y, 1)",
            "x between y and 2",
            "x not between -1 and y",
            "min(x, y, 1)",
            "max(x, y)",
            "if(x > 0, y, 1)",
            "if(x, y, x)",
            "missing(x) + missing(y)",
            "(x == 1) * 3 + y",
            "if(x > 0, log(-1), 0)",
            "x * 1e300",
        ];
        let values = [f64::NAN, -1.0, 0.0, 0.5, 2.0, 1e300, f64::INFINITY];
        for src in exprs {
            let c = Expr::parse(src).unwrap().compile(&["x", "y"]).unwrap();
            let fast = c
                .fast
                .as_ref()
                .expect("numeric expressions have a fast path");
            for x in values {
                for y in values {
                    let quick = fast.eval(&[x, y]).ok().filter(|r| !r.is_nan());
                    let general = c.eval(&[x.into(), y.into()]).ok().and_then(|v| v.as_f64());
                    assert_eq!(quick, general, "{src} with x = {x}, y = {y}");
                }
            }
        }
        let c = Expr::parse("if(x > 0, 'a', 'b') == 'a'")
            .unwrap()
            .compile(&["x"])
            .unwrap();
        assert!(c.fast.is_none());
    }
}
