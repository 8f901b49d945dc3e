//! The language: precedence, the examples from the design brief, values,
//! missing values, constant folding and binding.

use vtrial_expr::{BindError, Compiled, EvalError, Expr, Value};

fn num(src: &str) -> f64 {
    let e = Expr::parse(src).unwrap_or_else(|e| panic!("{src}: {e}"));
    let c = e.compile(&[]).unwrap_or_else(|e| panic!("{src}: {e}"));
    c.eval_f64(&[]).unwrap_or_else(|e| panic!("{src}: {e}"))
}

fn compile(src: &str, names: &[&str]) -> Compiled {
    Expr::parse(src)
        .unwrap_or_else(|e| panic!("{src}: {e}"))
        .compile(names)
        .unwrap_or_else(|e| panic!("{src}: {e}"))
}

fn close(a: f64, b: f64) -> bool {
    (a - b).abs() <= 1e-12 * b.abs().max(1.0)
}

#[test]
fn precedence_table() {
    // (expression, hand-computed value; booleans as 1/0)
    let cases: &[(&str, f64)] = &[
        ("1 + 2 * 3", 7.0),
        ("(1 + 2) * 3", 9.0),
        ("10 - 4 - 3", 3.0),
        ("3 - 2 + 1", 2.0),
        ("100 / 10 / 5", 2.0),
        ("8 / 2 * 4", 16.0),
        ("2 * 3 ^ 2", 18.0),
        ("2 ^ 2 * 3", 12.0),
        ("2 ^ 3 ^ 2", 512.0),
        ("(2 ^ 3) ^ 2", 64.0),
        ("2 ** 3 ** 2", 512.0),
        ("-2 ^ 2", -4.0),
        ("-2 ** 2", -4.0),
        ("(-2) ^ 2", 4.0),
        ("2 ^ -1", 0.5),
        ("-2 ^ -2", -0.25),
        ("2 ^ -1 ^ 2", 0.5), // 2 ^ (-(1 ^ 2))
        ("-3 * 2", -6.0),
        ("- -3", 3.0),
        ("--3", 3.0),
        ("2 - -3", 5.0),
        ("+2 - +3", -1.0),
        ("-(2 + 3) * 2", -10.0),
        ("1.5e1 + .5", 15.5),
        ("1e-3 * 1E3", 1.0),
        ("1 + 2 < 4", 1.0),
        ("1 + (2 < 3)", 2.0),
        ("2 * (1 == 1) + (1 == 2)", 2.0),
        ("not 1 == 2", 1.0),
        ("! 1 == 1", 0.0),
        ("not 0 and 0", 0.0),
        ("not (0 and 0)", 1.0),
        ("1 or 0 and 0", 1.0),
        ("(1 or 0) and 0", 0.0),
        ("0 or 0 or 1", 1.0),
        ("1 and 1 and 0", 0.0),
        ("1 && 0 || 1", 1.0),
        ("1 || 0 && 0", 1.0),
        ("2 * 3 between 5 and 6", 1.0),
        ("7 between 5 and 6 or 1", 1.0),
        ("5 between 1 and 2 + 3", 1.0),
        ("1 + 1 in (2, 3)", 1.0),
        ("1 + 1 not in (2, 3)", 0.0),
        ("not 4 in (2, 3)", 1.0),
        ("4 not between 1 and 3", 1.0),
        ("min(3, 1, 2) + max(1, 5) * 2", 11.0),
        ("min(4)", 4.0),
        ("pow(2, 10)", 1024.0),
        ("pow(-2, 2) - 2 ^ 2", 0.0),
        ("if(1 > 2, 10, 20) + 1", 21.0),
        ("if(0, 1, 2)", 2.0),
        ("round(2.5) + round(-2.5)", 0.0),
        ("round(2.4)", 2.0),
        ("floor(-1.5)", -2.0),
        ("ceil(-1.5)", -1.0),
        ("log10(1000)", 3.0),
        ("log(exp(2))", 2.0),
        ("sqrt(16) + abs(-3)", 7.0),
        ("EXP(0) + Log(1)", 1.0),
        ("1 < 2 AND 2 < 3", 1.0),
        ("'a' == 'a'", 1.0),
        ("\"a\" != 'a'", 0.0),
    ];
    for &(src, want) in cases {
        let got = num(src);
        assert!(close(got, want), "{src}: got {got}, want {want}");
        // The canonical form means the same.
        let printed = Expr::parse(src).unwrap().to_string();
        assert!(close(num(&printed), want), "{src} printed as {printed}");
    }
}

#[test]
fn booleans_are_values() {
    let c = compile("WT > 70", &["WT"]);
    assert_eq!(c.eval(&[80.0.into()]).unwrap(), Value::Bool(true));
    assert_eq!(c.eval_f64(&[60.0]).unwrap(), 0.0);
    assert!(!c.eval_bool(&[60.0.into()]).unwrap());
    // Booleans in slots count as 1/0 too.
    let c = compile("2 * flag", &["flag"]);
    assert_eq!(c.eval(&[true.into()]).unwrap(), Value::Num(2.0));
}

#[test]
fn canonical_printing() {
    let cases = [
        (
            "1.1*(WT/70)**0.75*EXP(ETA_CL)",
            "1.1 * (WT / 70) ^ 0.75 * exp(ETA_CL)",
        ),
        ("a-(b-c)", "a - (b - c)"),
        ("(a-b)-c", "a - b - c"),
        ("a/(b*c)", "a / (b * c)"),
        ("(a^b)^c", "(a ^ b) ^ c"),
        ("a^(b^c)", "a ^ b ^ c"),
        ("(-a)^2", "(-a) ^ 2"),
        ("-(a^2)", "-a ^ 2"),
        ("a^(-b)", "a ^ -b"),
        ("-(-a)", "- -a"),
        ("NOT (x==1) || y", "not (x == 1) or y"),
        ("!x", "not x"),
        ("(a<b)==c", "(a < b) == c"),
        ("a and (b or c)", "a and (b or c)"),
        ("(a and b) or c", "a and b or c"),
        ("race IN ('black',\"asian\")", "race in ('black', 'asian')"),
        ("x NOT BETWEEN 1 AND 2+3", "x not between 1 and 2 + 3"),
        ("x between (a<b) and 2", "x between (a < b) and 2"),
        ("\"it's\"", "\"it's\""),
        (
            "0.001 + 1e-7 + 1e300 + 12345",
            "0.001 + 1e-7 + 1e300 + 12345",
        ),
        ("MAX(a,b,c)", "max(a, b, c)"),
        ("+x", "x"),
    ];
    for (src, want) in cases {
        let e = Expr::parse(src).unwrap();
        assert_eq!(e.to_string(), want, "{src}");
        assert_eq!(Expr::parse(want).unwrap(), e, "{src}");
    }
}

#[test]
fn pk_examples() {
    let cl = Expr::parse("CL_POP * (WT/70)^0.75 * exp(ETA_CL)").unwrap();
    assert_eq!(cl.variables(), ["CL_POP", "WT", "ETA_CL"]);
    let cl = Expr::parse("1.1 * (WT/70)^0.75 * exp(ETA_CL)").unwrap();
    assert_eq!(cl.variables(), ["WT", "ETA_CL"]);
    let c = cl.compile(&["WT", "ETA_CL"]).unwrap();
    assert!(close(c.eval_f64(&[70.0, 0.0]).unwrap(), 1.1));
    let want = 1.1 * 0.5f64.powf(0.75) * 0.1f64.exp();
    assert!(close(c.eval_f64(&[35.0, 0.1]).unwrap(), want));
    assert_eq!(
        c.eval(&[35.0.into(), 0.1.into()]).unwrap(),
        Value::Num(c.eval_f64(&[35.0, 0.1]).unwrap())
    );

    let f2 = compile("if(MODE == 1, BIOAV, 1)", &["MODE", "BIOAV"]);
    assert_eq!(f2.eval_f64(&[1.0, 0.6]).unwrap(), 0.6);
    assert_eq!(f2.eval_f64(&[2.0, 0.6]).unwrap(), 1.0);
    // The branch not taken may be missing.
    assert_eq!(f2.eval_f64(&[2.0, f64::NAN]).unwrap(), 1.0);

    let v = compile("theta_v * (1 + 0.3*(SEX == 1))", &["theta_v", "SEX"]);
    assert!(close(v.eval_f64(&[10.0, 1.0]).unwrap(), 13.0));
    assert!(close(v.eval_f64(&[10.0, 2.0]).unwrap(), 10.0));

    let ka = compile(
        "KA = 1.5 * exp(-0.2 * (AGE - 40) / 10)"
            .split_once('=')
            .unwrap()
            .1,
        &["AGE"],
    );
    assert!(close(ka.eval_f64(&[40.0]).unwrap(), 1.5));
    assert!(close(ka.eval_f64(&[50.0]).unwrap(), 1.5 * (-0.2f64).exp()));

    // Dotted names.
    let c = compile("sample.yr - 2000", &["sample.yr"]);
    assert_eq!(c.eval_f64(&[2024.0]).unwrap(), 24.0);
}

fn patient(age: f64, egfr: Option<f64>, sex: &str) -> Vec<Value> {
    vec![age.into(), egfr.into(), sex.into()]
}

#[test]
fn criteria_examples() {
    let c = compile(
        "age >= 65 and egfr < 60 and sex == 'F'",
        &["age", "egfr", "sex"],
    );
    assert!(c.eval_bool(&patient(70.0, Some(45.0), "F")).unwrap());
    assert!(c.eval_bool(&patient(65.0, Some(59.9), "F")).unwrap());
    assert!(!c.eval_bool(&patient(64.0, Some(45.0), "F")).unwrap());
    assert!(!c.eval_bool(&patient(70.0, Some(60.0), "F")).unwrap());
    assert!(!c.eval_bool(&patient(70.0, Some(45.0), "M")).unwrap());
    assert!(!c.eval_bool(&patient(70.0, None, "F")).unwrap());

    let c = compile("not (diabetes == 1) or bmi > 30", &["diabetes", "bmi"]);
    assert!(c.eval_bool(&[0.0.into(), 25.0.into()]).unwrap());
    assert!(!c.eval_bool(&[1.0.into(), 25.0.into()]).unwrap());
    assert!(c.eval_bool(&[1.0.into(), 31.0.into()]).unwrap());

    let c = compile("race in ('black', 'asian')", &["race"]);
    assert!(c.eval_bool(&["asian".into()]).unwrap());
    assert!(c.eval_bool(&["black".into()]).unwrap());
    assert!(!c.eval_bool(&["white".into()]).unwrap());
    assert!(
        !c.eval_bool(&["Asian".into()]).unwrap(),
        "strings compare case-sensitively"
    );
    assert!(!c.eval_bool(&[Value::Missing]).unwrap());

    let c = compile("weight between 50 and 120", &["weight"]);
    for (w, inside) in [
        (49.9, false),
        (50.0, true),
        (80.0, true),
        (120.0, true),
        (120.1, false),
    ] {
        assert_eq!(c.eval_bool(&[w.into()]).unwrap(), inside, "{w}");
    }
    let c = compile("weight not between 50 and 120", &["weight"]);
    assert!(c.eval_bool(&[40.0.into()]).unwrap());
    assert!(!c.eval_bool(&[Value::Missing]).unwrap());
}

#[test]
fn missing_values() {
    let names = ["egfr", "age"];
    let missing = [Value::Missing, 50.0.into()];
    let nan = [Value::Num(f64::NAN), 50.0.into()];
    for src in [
        "egfr < 60",
        "egfr >= 60",
        "egfr == 60",
        "egfr != 60",
        "egfr in (60, 70)",
        "egfr not in (60, 70)",
        "egfr between 0 and 200",
        "egfr not between 0 and 10",
        "egfr",
        "egfr and age > 1",
    ] {
        let c = compile(src, &names);
        assert!(!c.eval_bool(&missing).unwrap(), "{src}");
        assert!(!c.eval_bool(&nan).unwrap(), "{src} with NaN");
    }
    // The documented pitfall, and the explicit test.
    assert!(
        compile("not (egfr < 60)", &names)
            .eval_bool(&missing)
            .unwrap()
    );
    assert!(
        compile("missing(egfr) or egfr < 60", &names)
            .eval_bool(&missing)
            .unwrap()
    );
    assert!(!compile("missing(age)", &names).eval_bool(&missing).unwrap());
    // A missing list item just never matches.
    let c = compile("age in (egfr, 50)", &names);
    assert!(c.eval_bool(&missing).unwrap());

    // Arithmetic with a missing value is an error naming the variable.
    let c = compile("egfr * 2 < 60", &names);
    let err = c.eval_bool(&missing).unwrap_err();
    assert_eq!(
        err,
        EvalError::Missing {
            name: "egfr".into(),
            op: "*"
        }
    );
    assert_eq!(
        err.to_string(),
        "variable 'egfr' is missing and cannot be used in '*'"
    );
    let c = compile("exp(egfr)", &names);
    assert_eq!(
        c.eval_f64(&[f64::NAN, 1.0]).unwrap_err().to_string(),
        "variable 'egfr' is missing and cannot be used in 'exp'"
    );
    // A missing result.
    let c = compile("if(age > 40, egfr, 1)", &names);
    assert_eq!(c.eval(&missing).unwrap(), Value::Missing);
    assert_eq!(
        c.eval_f64(&[f64::NAN, 50.0]).unwrap_err(),
        EvalError::Missing {
            name: "egfr".into(),
            op: "result"
        }
    );
}

#[test]
fn strings() {
    let c = compile("if(sex == 'F', 'woman', 'man')", &["sex"]);
    assert_eq!(c.eval(&["F".into()]).unwrap(), Value::str("woman"));
    assert_eq!(c.eval(&["M".into()]).unwrap(), Value::str("man"));
    assert!(matches!(
        c.eval_f64(&[1.0]),
        Err(EvalError::TypeMismatch { .. })
    ));
    let c = compile("if(x > 1, 'a', 'b') == 'a'", &["x"]);
    assert_eq!(
        c.eval_f64(&[2.0]).unwrap(),
        1.0,
        "string comparisons work in eval_f64"
    );
}

#[test]
fn type_errors() {
    let e = compile("'F' > 3", &[]).eval(&[]).unwrap_err();
    assert_eq!(
        e.to_string(),
        "type mismatch in '>': expected a number, found string 'F'"
    );
    let c = compile("sex == 1", &["sex"]);
    assert_eq!(
        c.eval_bool(&["F".into()]).unwrap_err().to_string(),
        "type mismatch in '==': cannot compare string 'F' with number 1"
    );
    let c = compile("SEX == 'F'", &["SEX"]);
    assert!(matches!(
        c.eval_f64(&[1.0]),
        Err(EvalError::TypeMismatch { op: "==", .. })
    ));
    let c = compile("sex and 1", &["sex"]);
    assert_eq!(
        c.eval_bool(&["F".into()]).unwrap_err().to_string(),
        "type mismatch in 'and': expected a condition, found string 'F'"
    );
    let c = compile("sex", &["sex"]);
    assert!(matches!(
        c.eval_bool(&["F".into()]),
        Err(EvalError::TypeMismatch { op: "result", .. })
    ));
    assert!(matches!(
        compile("'a' + 1", &[]).eval(&[]),
        Err(EvalError::TypeMismatch { op: "+", .. })
    ));
    assert!(matches!(
        compile("'a' between 1 and 2", &[]).eval(&[]),
        Err(EvalError::TypeMismatch { .. })
    ));
}

#[test]
fn math_errors() {
    let cases = [
        ("log(x)", -1.0, "log(-1): argument must be > 0"),
        ("log(x)", 0.0, "log(0): argument must be > 0"),
        ("log10(x)", -2.0, "log10(-2): argument must be > 0"),
        ("sqrt(x)", -4.0, "sqrt(-4): argument must be >= 0"),
        ("1 / x", 0.0, "1 / 0: division by zero"),
        ("x ^ 0.5", -8.0, "(-8) ^ 0.5: result is not a real number"),
        (
            "pow(x, 0.5)",
            -8.0,
            "(-8) ^ 0.5: result is not a real number",
        ),
        ("x ^ -1", 0.0, "0 ^ (-1): result is infinite"),
        ("exp(x)", 1000.0, "exp(1000): result is infinite"),
        ("x * 1e300", 1e300, "1e300 * 1e300: result is infinite"),
    ];
    for (src, x, want) in cases {
        let c = compile(src, &["x"]);
        let err = c.eval_f64(&[x]).unwrap_err();
        assert_eq!(err.to_string(), want, "{src}");
        assert_eq!(c.eval(&[x.into()]).unwrap_err(), err);
    }
    // Constant errors are kept for run time, and only raised if reached.
    let c = compile("if(x > 0, log(-1), 0)", &["x"]);
    assert_eq!(c.eval_f64(&[-1.0]).unwrap(), 0.0);
    assert!(matches!(
        c.eval_f64(&[1.0]),
        Err(EvalError::Math { op: "log", .. })
    ));
    // `and`/`or` short-circuit.
    let c = compile("x > 0 and log(x) > 1", &["x"]);
    assert!(!c.eval_bool(&[(-1.0).into()]).unwrap());
}

#[test]
fn constant_folding() {
    assert_eq!(compile("2 * 3 + 1", &[]).constant(), Some(Value::Num(7.0)));
    assert_eq!(
        compile("if(1 > 0, 5, WT)", &["WT"]).constant(),
        Some(Value::Num(5.0))
    );
    assert_eq!(
        compile("0 > 1 and WT > 3", &["WT"]).constant(),
        Some(Value::Bool(false))
    );
    assert_eq!(
        compile("'a' in ('b', 'a')", &[]).constant(),
        Some(Value::Bool(true))
    );
    assert_eq!(compile("WT * (2 * 3)", &["WT"]).constant(), None);
    assert_eq!(
        compile("log(-1)", &[]).constant(),
        None,
        "errors are not folded away"
    );
    assert_eq!(
        compile("WT * (2 * 3)", &["WT"]).eval_f64(&[2.0]).unwrap(),
        12.0
    );
}

#[test]
fn variables_and_binding() {
    let e = Expr::parse("b + a * b + exp(c) + a").unwrap();
    assert_eq!(e.variables(), ["b", "a", "c"]);
    assert_eq!(e.variable_column("a"), Some(5));
    assert_eq!(e.variable_column("zz"), None);
    // Slots follow the order of the names, not of the expression; extra names
    // and extra slots are fine.
    let c = e.compile(&["c", "unused", "a", "b"]).unwrap();
    assert_eq!(c.slot_count(), 4);
    assert_eq!(
        c.slot_names().collect::<Vec<_>>(),
        ["c", "unused", "a", "b"]
    );
    let want = 3.0 + 2.0 * 3.0 + 0.0f64.exp() + 2.0;
    assert_eq!(c.eval_f64(&[0.0, 99.0, 2.0, 3.0, 123.0]).unwrap(), want);
    assert_eq!(
        c.eval_f64(&[0.0, 99.0]).unwrap_err(),
        EvalError::SlotCount {
            expected: 4,
            found: 2
        }
    );

    let e = Expr::parse("CL * WGT").unwrap();
    let err = e.compile(&["CL", "WT", "AGE"]).unwrap_err();
    assert_eq!(
        err,
        BindError::UnknownVariable {
            name: "WGT".into(),
            column: 6,
            suggestion: Some("WT".into()),
            known: vec!["CL".into(), "WT".into(), "AGE".into()],
        }
    );
    assert_eq!(
        err.to_string(),
        "unknown variable 'WGT' at column 6; did you mean 'WT'? (known: CL, WT, AGE)"
    );
    let err = Expr::parse("zzz").unwrap().compile(&[]).unwrap_err();
    assert_eq!(
        err.to_string(),
        "unknown variable 'zzz' at column 1 (no variables are available here)"
    );
    // Case: exact in compile, forgiving in compile_ignore_case.
    let e = Expr::parse("wt / 70").unwrap();
    let err = e.compile(&["WT"]).unwrap_err();
    assert!(err.to_string().contains("did you mean 'WT'?"), "{err}");
    assert_eq!(
        e.compile_ignore_case(&["AGE", "WT"])
            .unwrap()
            .eval_f64(&[1.0, 140.0])
            .unwrap(),
        2.0
    );
    assert!(
        e.compile_ignore_case(&["Wt", "wt"]).is_ok(),
        "an exact match wins"
    );
    let err = e.compile_ignore_case(&["Wt", "WT"]).unwrap_err();
    assert_eq!(
        err.to_string(),
        "variable 'wt' at column 1 is ambiguous: it matches 'Wt', 'WT' when case is ignored"
    );
}

#[test]
fn compiled_is_send_sync_and_cheap_to_share() {
    fn assert_send_sync<T: Send + Sync + Clone>() {}
    assert_send_sync::<Compiled>();
    assert_send_sync::<Expr>();
    let c = compile("x * 2", &["x"]);
    let total: f64 = std::thread::scope(|s| {
        let handles: Vec<_> = (0..4)
            .map(|i| {
                let c = &c;
                s.spawn(move || c.eval_f64(&[f64::from(i)]).unwrap())
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).sum()
    });
    assert_eq!(total, 12.0);
}

#[test]
fn keywords_and_functions_ignore_case_variables_do_not() {
    let c = compile("AGE >= 65 AND Exp(0) == 1 Or NOT age", &["AGE", "age"]);
    assert!(c.eval_bool(&[70.0.into(), 0.0.into()]).unwrap());
    assert_eq!(Expr::parse("X and x").unwrap().variables(), ["X", "x"]);
    // A function name without '(' is an ordinary variable.
    assert_eq!(
        Expr::parse("exp * log").unwrap().variables(),
        ["exp", "log"]
    );
}
