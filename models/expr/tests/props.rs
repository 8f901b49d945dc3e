//! Property tests: no panics on any input, printing round-trips, and the
//! evaluators agree with each other and with a reference written here.

use proptest::prelude::*;
use vtrial_expr::{EvalError, Expr, Value};

/// Parses `src`; if it parses, checks the printed form round-trips, and
/// compiles and evaluates it a few ways. Nothing may panic.
fn exercise(src: &str) {
    let Ok(e) = Expr::parse(src) else { return };
    let printed = e.to_string();
    let again =
        Expr::parse(&printed).unwrap_or_else(|err| panic!("{src:?} printed as {printed:?}: {err}"));
    assert_eq!(again, e, "{src:?} printed as {printed:?}");
    assert_eq!(again.to_string(), printed);
    let names = e.variables();
    let c = e.compile(&names).expect("binding to its own variables");
    for x in [0.0, 1.0, -2.5, f64::NAN] {
        let nums = vec![x; names.len()];
        let values: Vec<Value> = nums.iter().map(|&v| Value::Num(v)).collect();
        let fast = c.eval_f64(&nums);
        let general = c.eval(&values);
        match (&fast, &general) {
            (Ok(a), Ok(v)) => assert_eq!(Some(*a), v.as_f64(), "{src:?}"),
            (Err(a), Err(b)) => assert_eq!(a, b, "{src:?}"),
            // eval may return a string or a missing value that eval_f64 rejects.
            (Err(_), Ok(v)) => assert!(v.as_f64().is_none(), "{src:?}: {fast:?} vs {general:?}"),
            (Ok(_), Err(_)) => panic!("{src:?}: {fast:?} vs {general:?}"),
        }
        let _ = c.eval_bool(&values);
        let strings: Vec<Value> = names.iter().map(|&n| Value::str(n)).collect();
        let _ = c.eval(&strings);
        let _ = c.eval_bool(&strings);
    }
}

const TOKENS: &[&str] = &[
    "x", "y", "AGE", "sex", "1", "0", "2.5", ".5", "1e3", "'F'", "\"a\"", "+", "-", "*", "/", "^",
    "**", "(", ")", ",", "==", "!=", "<", "<=", ">", ">=", "=", "!", "and", "or", "not", "in",
    "between", "&&", "||", "exp(", "log(", "min(", "max(", "if(", "pow(", "missing(", "round(",
    "sqrt(", "`", "``", "`a b`", "`in`", "`x`",
];

proptest! {
    #[test]
    fn never_panics_on_printable_strings(src in "\\PC{0,60}") {
        exercise(&src);
    }

    #[test]
    fn never_panics_on_token_soup(tokens in prop::collection::vec(prop::sample::select(TOKENS), 0..25),
                                  spaced in any::<bool>()) {
        exercise(&tokens.join(if spaced { " " } else { "" }));
    }
}

// ---------------------------------------------------------------------------
// Valid sources from the whole grammar, in every spelling.

/// Wraps `s` in parentheses half the time (when `wrap`); the parser may then
/// reject the text (e.g. a chained comparison), which the tests allow.
fn maybe_paren(s: String, wrap: bool) -> String {
    if wrap { format!("({s})") } else { s }
}

fn source() -> impl Strategy<Value = String> {
    let leaf = prop::sample::select(vec![
        "1",
        "1.5",
        ".5",
        "1e-3",
        "2E+2",
        "0",
        "12345678901234567890",
        "1e300",
        "3.14159",
        "'F'",
        "\"a b\"",
        "\"it's\"",
        "''",
        "x",
        "AGE",
        "sample.yr",
        "_a1",
        "eta_CL",
        "WT",
        "`x`",
        "`sample yr`",
        "`x-y`",
        "`in`",
        "`a``b`",
        "`体重`",
    ])
    .prop_map(str::to_owned);
    leaf.prop_recursive(5, 48, 3, |inner| {
        let binop = prop::sample::select(vec![
            "+", "-", "*", "/", "^", "**", "==", "!=", "<", "<=", ">", ">=", "and", "AND", "&&", "or", "Or", "||",
        ]);
        let prefix = prop::sample::select(vec!["-", "+", "not ", "NOT ", "!", "- "]);
        let func = prop::sample::select(vec![
            ("exp", 1), ("LOG", 1), ("log10", 1), ("sqrt", 1), ("abs", 1), ("floor", 1), ("ceil", 1), ("Round", 1),
            ("pow", 2), ("min", 1), ("MAX", 3), ("if", 3),
        ]);
        let w = any::<bool>;
        prop_oneof![
            4 => (inner.clone(), binop, inner.clone(), w(), w())
                .prop_map(|(a, op, b, wa, wb)| format!("{} {op} {}", maybe_paren(a, wa), maybe_paren(b, wb))),
            1 => (prefix, inner.clone(), w()).prop_map(|(p, a, wa)| format!("{p}{}", maybe_paren(a, wa))),
            1 => inner.clone().prop_map(|a| format!("( {a} )")),
            2 => (func, prop::collection::vec(inner.clone(), 3)).prop_map(|((f, n), args)| {
                format!("{f}({})", args[..n].join(", "))
            }),
            1 => prop::sample::select(vec!["x", "AGE"]).prop_map(|v| format!("missing({v})")),
            1 => (inner.clone(), w(), w(), prop::collection::vec(inner.clone(), 1..4)).prop_map(|(a, wa, neg, list)| {
                format!("{} {}in ({})", maybe_paren(a, wa), if neg { "not " } else { "" }, list.join(","))
            }),
            1 => (inner.clone(), inner.clone(), inner, w(), w(), w()).prop_map(|(a, lo, hi, wa, wl, neg)| {
                format!(
                    "{} {}BETWEEN {} and {}",
                    maybe_paren(a, wa),
                    if neg { "NOT " } else { "" },
                    maybe_paren(lo, wl),
                    maybe_paren(hi, true)
                )
            }),
        ]
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(1024))]

    /// Whatever parses prints canonically and parses back to an equal tree
    /// (checked by `exercise`), and evaluating it never panics.
    #[test]
    fn grammar_round_trips(src in source()) {
        exercise(&src);
    }
}

// ---------------------------------------------------------------------------
// Arithmetic expressions with a reference evaluator.

#[derive(Debug, Clone, Copy)]
enum Op {
    Add,
    Sub,
    Mul,
    Div,
    Pow,
}

#[derive(Debug, Clone, Copy)]
enum Cmp {
    Lt,
    Ge,
    Eq,
}

#[derive(Debug, Clone)]
enum T {
    Lit(f64),
    Var(usize),
    Neg(Box<T>),
    Bin(Op, Box<T>, Box<T>),
    Fun(&'static str, Box<T>),
    MinMax(bool, Vec<T>),
    If(Cmp, Box<[T; 4]>),
}

const VARS: usize = 3;

fn tree() -> impl Strategy<Value = T> {
    let leaf = prop_oneof![
        prop::sample::select(vec![
            0.0, 0.5, 1.0, 2.0, 3.0, 10.0, 0.001, 1.5, 100.0, 1e-7, 1e300
        ])
        .prop_map(T::Lit),
        (0..VARS).prop_map(T::Var),
    ];
    leaf.prop_recursive(5, 40, 4, |inner| {
        let op = prop::sample::select(vec![Op::Add, Op::Sub, Op::Mul, Op::Div, Op::Pow]);
        let fun = prop::sample::select(vec!["exp", "log", "log10", "sqrt", "abs", "floor", "ceil", "round"]);
        let cmp = prop::sample::select(vec![Cmp::Lt, Cmp::Ge, Cmp::Eq]);
        prop_oneof![
            1 => inner.clone().prop_map(|a| T::Neg(Box::new(a))),
            4 => (op, inner.clone(), inner.clone()).prop_map(|(o, a, b)| T::Bin(o, Box::new(a), Box::new(b))),
            1 => (fun, inner.clone()).prop_map(|(f, a)| T::Fun(f, Box::new(a))),
            1 => (any::<bool>(), prop::collection::vec(inner.clone(), 1..4)).prop_map(|(m, v)| T::MinMax(m, v)),
            1 => (cmp, [inner.clone(), inner.clone(), inner.clone(), inner])
                .prop_map(|(c, parts)| T::If(c, Box::new(parts))),
        ]
    })
}

fn var_values() -> impl Strategy<Value = Vec<f64>> {
    let v = prop_oneof![
        4 => prop::sample::select(vec![-3.0, -1.0, -0.5, 0.0, 0.5, 1.0, 2.0, 3.0, 7.5]),
        4 => -10.0..10.0f64,
        1 => Just(f64::NAN),
    ];
    prop::collection::vec(v, VARS)
}

fn finite(r: f64) -> Option<f64> {
    r.is_finite().then_some(r)
}

/// A number for arithmetic: a missing value (NaN) is an error.
fn present(x: Option<f64>) -> Option<f64> {
    x.filter(|x| !x.is_nan())
}

/// The documented semantics, written directly; `None` is an error and
/// `Some(NaN)` a missing value (which only variables and `if` pass along).
fn reference(t: &T, vars: &[f64]) -> Option<f64> {
    let num = |t: &T| present(reference(t, vars));
    match t {
        T::Lit(x) => Some(*x),
        T::Var(i) => Some(vars[*i]),
        T::Neg(a) => Some(-num(a)?),
        T::Bin(op, a, b) => {
            let (x, y) = (num(a)?, num(b)?);
            finite(match op {
                Op::Add => x + y,
                Op::Sub => x - y,
                Op::Mul => x * y,
                Op::Div if y == 0.0 => return None,
                Op::Div => x / y,
                Op::Pow => x.powf(y),
            })
        }
        T::Fun(f, a) => {
            let x = num(a)?;
            finite(match *f {
                "exp" => x.exp(),
                "log" | "log10" if x <= 0.0 => return None,
                "log" => x.ln(),
                "log10" => x.log10(),
                "sqrt" if x < 0.0 => return None,
                "sqrt" => x.sqrt(),
                "abs" => x.abs(),
                "floor" => x.floor(),
                "ceil" => x.ceil(),
                _ => x.round(),
            })
        }
        T::MinMax(max, args) => {
            let mut acc: Option<f64> = None;
            for a in args {
                let x = num(a)?;
                acc = Some(match acc {
                    None => x,
                    Some(m) if *max => m.max(x),
                    Some(m) => m.min(x),
                });
            }
            acc
        }
        T::If(cmp, parts) => {
            let [l, r, yes, no] = &**parts;
            // A comparison with a missing value is false.
            let (l, r) = (reference(l, vars)?, reference(r, vars)?);
            let holds = match cmp {
                Cmp::Lt => l < r,
                Cmp::Ge => l >= r,
                Cmp::Eq => l == r,
            };
            reference(if holds { yes } else { no }, vars)
        }
    }
}

/// Fully parenthesised source. With `lits` set, literals are written as
/// variables `k0, k1, …` whose values are pushed onto `lits`.
fn render(t: &T, lits: &mut Option<Vec<f64>>) -> String {
    match t {
        T::Lit(x) => match lits {
            Some(values) => {
                values.push(*x);
                format!("k{}", values.len() - 1)
            }
            None => format!("{x:e}"),
        },
        T::Var(i) => format!("x{i}"),
        T::Neg(a) => format!("(-{})", render(a, lits)),
        T::Bin(op, a, b) => {
            let sym = match op {
                Op::Add => "+",
                Op::Sub => "-",
                Op::Mul => "*",
                Op::Div => "/",
                Op::Pow => "**",
            };
            let a = render(a, lits);
            format!("({a} {sym} {})", render(b, lits))
        }
        T::Fun(f, a) => format!("{f}({})", render(a, lits)),
        T::MinMax(max, args) => {
            let args: Vec<String> = args.iter().map(|a| render(a, lits)).collect();
            format!("{}({})", if *max { "max" } else { "min" }, args.join(", "))
        }
        T::If(cmp, parts) => {
            let sym = match cmp {
                Cmp::Lt => "<",
                Cmp::Ge => ">=",
                Cmp::Eq => "==",
            };
            let [l, r, yes, no] = &**parts;
            let (l, r) = (render(l, lits), render(r, lits));
            let (yes, no) = (render(yes, lits), render(no, lits));
            format!("if({l} {sym} {r}, {yes}, {no})")
        }
    }
}

const NAMES: [&str; VARS] = ["x0", "x1", "x2"];

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    /// Parsing and both evaluators match the reference; the canonical form
    /// (which drops most parentheses) parses back to the same tree.
    #[test]
    fn arithmetic_matches_reference(t in tree(), vars in var_values()) {
        let src = render(&t, &mut None);
        let e = Expr::parse(&src).unwrap();
        let printed = e.to_string();
        prop_assert_eq!(&Expr::parse(&printed).unwrap(), &e, "{} printed as {}", src, printed);

        let c = e.compile(&NAMES).unwrap();
        let fast = c.eval_f64(&vars);
        let values: Vec<Value> = vars.iter().map(|&x| x.into()).collect();
        let general = c.eval(&values);
        match reference(&t, &vars) {
            Some(want) if want.is_nan() => {
                prop_assert!(
                    matches!(fast, Err(EvalError::Missing { op: "result", .. })),
                    "{} gave {:?}", src, fast
                );
                prop_assert_eq!(general, Ok(Value::Missing), "{}", src);
            }
            Some(want) => {
                prop_assert_eq!(fast.as_ref().ok(), Some(&want), "{}", src);
                prop_assert_eq!(general.as_ref().ok(), Some(&Value::Num(want)), "{}", src);
            }
            None => {
                prop_assert!(fast.is_err(), "{} gave {:?}", src, fast);
                prop_assert_eq!(fast.unwrap_err(), general.unwrap_err(), "{}", src);
            }
        }
    }

    /// Constant folding changes nothing: literals and variables holding the
    /// same values give the same result or the same error.
    #[test]
    fn folding_is_invisible(t in tree(), vars in var_values()) {
        let with_literals = render(&t, &mut None);
        let mut lits = Some(Vec::new());
        let with_slots = render(&t, &mut lits);
        let lits = lits.unwrap();

        let folded = Expr::parse(&with_literals).unwrap().compile(&NAMES).unwrap();
        let knames: Vec<String> = (0..lits.len()).map(|i| format!("k{i}")).collect();
        let mut names: Vec<&str> = NAMES.to_vec();
        names.extend(knames.iter().map(String::as_str));
        let unfolded = Expr::parse(&with_slots).unwrap().compile(&names).unwrap();
        let mut slots = vars.clone();
        slots.extend(&lits);
        prop_assert_eq!(folded.eval_f64(&vars), unfolded.eval_f64(&slots), "{}", with_literals);
        let values: Vec<Value> = slots.iter().map(|&x| x.into()).collect();
        prop_assert_eq!(folded.eval(&values[..NAMES.len()]), unfolded.eval(&values), "{}", with_literals);
    }
}

// ---------------------------------------------------------------------------
// Criteria with missing values and strings.

#[derive(Debug, Clone)]
enum B {
    /// `n{var} {op} {c}`
    NumCmp(usize, &'static str, f64),
    /// `n{var} between lo and hi`
    Between(usize, f64, f64, bool),
    /// `s == 'a'` etc.
    StrEq(&'static str, bool),
    /// `s in (...)`
    StrIn(Vec<&'static str>, bool),
    Not(Box<B>),
    And(Box<B>, Box<B>),
    Or(Box<B>, Box<B>),
}

fn criterion() -> impl Strategy<Value = B> {
    let cat = || prop::sample::select(vec!["a", "b", "c"]);
    let leaf = prop_oneof![
        (
            0..2usize,
            prop::sample::select(vec!["==", "!=", "<", "<=", ">", ">="]),
            prop::sample::select(vec![0.0, 1.0, 2.0])
        )
            .prop_map(|(v, op, c)| B::NumCmp(v, op, c)),
        (
            0..2usize,
            prop::sample::select(vec![0.0, 1.0]),
            prop::sample::select(vec![1.0, 2.0]),
            any::<bool>()
        )
            .prop_map(|(v, lo, hi, neg)| B::Between(v, lo, hi, neg)),
        (cat(), any::<bool>()).prop_map(|(s, eq)| B::StrEq(s, eq)),
        (prop::collection::vec(cat(), 1..3), any::<bool>()).prop_map(|(l, neg)| B::StrIn(l, neg)),
    ];
    leaf.prop_recursive(4, 24, 2, |inner| {
        prop_oneof![
            inner.clone().prop_map(|a| B::Not(Box::new(a))),
            (inner.clone(), inner.clone()).prop_map(|(a, b)| B::And(Box::new(a), Box::new(b))),
            (inner.clone(), inner).prop_map(|(a, b)| B::Or(Box::new(a), Box::new(b))),
        ]
    })
}

fn render_b(b: &B) -> String {
    match b {
        B::NumCmp(v, op, c) => format!("n{v} {op} {c}"),
        B::Between(v, lo, hi, neg) => format!(
            "n{v} {}between {lo} and {hi}",
            if *neg { "not " } else { "" }
        ),
        B::StrEq(s, eq) => format!("s {} '{s}'", if *eq { "==" } else { "!=" }),
        B::StrIn(list, neg) => {
            let list: Vec<String> = list.iter().map(|s| format!("'{s}'")).collect();
            format!(
                "s {}in ({})",
                if *neg { "not " } else { "" },
                list.join(", ")
            )
        }
        B::Not(a) => format!("not ({})", render_b(a)),
        B::And(a, b) => format!("({}) && ({})", render_b(a), render_b(b)),
        B::Or(a, b) => format!("({}) or ({})", render_b(a), render_b(b)),
    }
}

/// Every comparison with a missing value is false.
fn reference_b(b: &B, n: &[Option<f64>; 2], s: Option<&str>) -> bool {
    match b {
        B::NumCmp(v, op, c) => n[*v].is_some_and(|x| match *op {
            "==" => x == *c,
            "!=" => x != *c,
            "<" => x < *c,
            "<=" => x <= *c,
            ">" => x > *c,
            _ => x >= *c,
        }),
        B::Between(v, lo, hi, neg) => n[*v].is_some_and(|x| (*lo <= x && x <= *hi) != *neg),
        B::StrEq(t, eq) => s.is_some_and(|s| (s == *t) == *eq),
        B::StrIn(list, neg) => s.is_some_and(|s| list.contains(&s) != *neg),
        B::Not(a) => !reference_b(a, n, s),
        B::And(a, b) => reference_b(a, n, s) && reference_b(b, n, s),
        B::Or(a, b) => reference_b(a, n, s) || reference_b(b, n, s),
    }
}

proptest! {
    #[test]
    fn criteria_match_reference(
        b in criterion(),
        n in [prop::option::of(prop::sample::select(vec![0.0, 1.0, 2.0, 3.0])),
              prop::option::of(prop::sample::select(vec![0.0, 1.0, 2.0, 3.0]))],
        s in prop::option::of(prop::sample::select(vec!["a", "b", "d"])),
    ) {
        let src = render_b(&b);
        let e = Expr::parse(&src).unwrap();
        prop_assert_eq!(&Expr::parse(&e.to_string()).unwrap(), &e);
        let c = e.compile_ignore_case(&["N0", "n1", "s"]).unwrap();
        let slots = [n[0].into(), n[1].into(), s.into()];
        let want = reference_b(&b, &n, s);
        prop_assert_eq!(c.eval_bool(&slots).unwrap(), want, "{}", src);
        prop_assert_eq!(c.eval(&slots).unwrap(), Value::Bool(want), "{}", src);
    }
}
