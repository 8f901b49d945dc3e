//! Backtick-quoted variable names: `` `sample yr` > 1995 ``, `` `x-y` > 0 ``,
//! `` `in` == 1 ``, `` `a``b` `` (a doubled backtick is one backtick).

mod common;

use common::parse_err;
use vtrial_expr::{BindError, Expr, Value, quote_name};

/// Parses `src`, compiles it against `names` and evaluates it on `slots`.
fn eval(src: &str, names: &[&str], slots: &[Value]) -> Value {
    let e = Expr::parse(src).unwrap_or_else(|err| panic!("{src:?}: {err}"));
    e.compile(names)
        .unwrap_or_else(|err| panic!("{src:?}: {err}"))
        .eval(slots)
        .unwrap_or_else(|err| panic!("{src:?}: {err}"))
}


#[test]
fn quoted_names_are_variables_named_without_their_backticks() {
    for (src, name) in [
        ("`sample yr` > 0", "sample yr"),
        ("`x-y` > 0", "x-y"),
        ("`BMI (kg/m2)` > 0", "BMI (kg/m2)"),
        ("`in` > 0", "in"),
        ("`AND` > 0", "AND"),
        ("`exp` > 0", "exp"),
        ("`a``b` > 0", "a`b"),
        ("```` > 0", "`"),
        ("`1st dose` > 0", "1st dose"),
        ("`poids (kg)` > 0", "poids (kg)"),
        ("`体重` > 0", "体重"),
        ("`Größe` > 0", "Größe"),
        ("`it's \"x\"` > 0", "it's \"x\""),
        ("` padded ` > 0", " padded "),
    ] {
        let e = Expr::parse(src).unwrap_or_else(|err| panic!("{src:?}: {err}"));
        assert_eq!(e.variables(), [name], "{src}");
        assert_eq!(e.variable_column(name), Some(1), "{src}");
        assert_eq!(
            eval(src, &[name], &[1.0.into()]),
            Value::Bool(true),
            "{src}"
        );
        assert_eq!(
            eval(src, &[name], &[(-1.0).into()]),
            Value::Bool(false),
            "{src}"
        );
    }
}

#[test]
fn criteria_with_quoted_names_evaluate() {
    let names = ["sample yr", "x-y", "in", "a`b", "体重", "sex"];
    let row = |yr: f64, xy: f64, inn: f64, ab: f64, w: f64, sex: &str| -> Vec<Value> {
        vec![
            yr.into(),
            xy.into(),
            inn.into(),
            ab.into(),
            w.into(),
            sex.into(),
        ]
    };
    let src = "`sample yr` > 1995 and `x-y` > 0 and `in` == 1 and `a``b` in (1, 2) \
               and `体重` between 50 and 120 and sex == 'F'";
    let e = Expr::parse(src).unwrap();
    assert_eq!(
        e.variables(),
        ["sample yr", "x-y", "in", "a`b", "体重", "sex"]
    );
    let c = e.compile(&names).unwrap();
    assert!(c.eval_bool(&row(2001.0, 0.5, 1.0, 2.0, 70.0, "F")).unwrap());
    assert!(!c.eval_bool(&row(1990.0, 0.5, 1.0, 2.0, 70.0, "F")).unwrap());
    assert!(
        !c.eval_bool(&row(2001.0, -0.5, 1.0, 2.0, 70.0, "F"))
            .unwrap()
    );
    assert!(!c.eval_bool(&row(2001.0, 0.5, 0.0, 2.0, 70.0, "F")).unwrap());
    assert!(!c.eval_bool(&row(2001.0, 0.5, 1.0, 3.0, 70.0, "F")).unwrap());
    assert!(
        !c.eval_bool(&row(2001.0, 0.5, 1.0, 2.0, 130.0, "F"))
            .unwrap()
    );
    // Arithmetic, functions and `missing` take quoted names like any other.
    assert_eq!(
        eval(
            "`x-y` * 2 + max(`sample yr`, 1) - `in`",
            &names[..3],
            &[2000.0.into(), 3.0.into(), 1.0.into()]
        ),
        Value::Num(2005.0)
    );
    assert_eq!(
        eval("missing(`sample yr`)", &["sample yr"], &[Value::Missing]),
        Value::Bool(true)
    );
    // `x-y` quoted is one name; unquoted it is still a subtraction.
    assert_eq!(
        eval("x-y", &["x", "y"], &[5.0.into(), 2.0.into()]),
        Value::Num(3.0)
    );
    assert_eq!(eval("`x-y`", &["x-y"], &[5.0.into()]), Value::Num(5.0));
}

#[test]
fn three_valued_conditions_with_quoted_names() {
    let e = Expr::parse("`sample yr` > 1995 and not (`x-y` < 0)").unwrap();
    let c = e.compile(&["x-y", "sample yr"]).unwrap();
    let cond = |xy: Value, yr: Value| c.eval_condition(&[xy, yr]).unwrap();
    assert_eq!(cond(1.0.into(), 2000.0.into()), Some(true));
    assert_eq!(cond((-1.0).into(), 2000.0.into()), Some(false));
    assert_eq!(cond(Value::Missing, 2000.0.into()), None);
    assert_eq!(cond(Value::Missing, 1990.0.into()), Some(false));
    assert_eq!(cond(1.0.into(), Value::Missing), None);
    let either = Expr::parse("`in` == 1 or missing(`in`)")
        .unwrap()
        .compile(&["in"])
        .unwrap();
    assert_eq!(
        either.eval_condition(&[Value::Missing]).unwrap(),
        Some(true)
    );
    assert_eq!(either.eval_condition(&[0.0.into()]).unwrap(), Some(false));
}

#[test]
fn a_plain_name_and_its_quoted_form_are_the_same_variable() {
    for (plain, quoted) in [
        ("age >= 65 and sex == 'F'", "`age` >= 65 and `sex` == 'F'"),
        (
            "1.1 * (WT/70)^0.75 * exp(ETA_CL)",
            "1.1 * (`WT`/70)^0.75 * exp(`ETA_CL`)",
        ),
        ("sample.yr + _a1", "`sample.yr` + `_a1`"),
    ] {
        let (p, q) = (Expr::parse(plain).unwrap(), Expr::parse(quoted).unwrap());
        assert_eq!(p, q, "{quoted}");
        assert_eq!(p.variables(), q.variables(), "{quoted}");
        assert_eq!(p.to_string(), q.to_string(), "{quoted}");
        let names = p.variables();
        let slots: Vec<Value> = names.iter().map(|_| Value::Num(70.0)).collect();
        let (pc, qc) = (p.compile(&names).unwrap(), q.compile(&names).unwrap());
        assert_eq!(pc.eval(&slots), qc.eval(&slots), "{quoted}");
        let nums = vec![70.0; names.len()];
        assert_eq!(pc.eval_f64(&nums), qc.eval_f64(&nums), "{quoted}");
    }
    // A name used both ways is listed once, at its first appearance.
    let e = Expr::parse("WT + `WT` * x").unwrap();
    assert_eq!(e.variables(), ["WT", "x"]);
    assert_eq!(e.variable_column("WT"), Some(1));
    // `compile_ignore_case` binds quoted names like plain ones.
    let c = Expr::parse("`Sample Yr` > 1995")
        .unwrap()
        .compile_ignore_case(&["sample yr"])
        .unwrap();
    assert!(c.eval_bool(&[2000.0.into()]).unwrap());
}

#[test]
fn printing_quotes_exactly_the_names_that_need_it_and_round_trips() {
    for (src, printed) in [
        ("`sample yr`>1995", "`sample yr` > 1995"),
        ("`x-y`-y", "`x-y` - y"),
        ("`in` in (1,2)", "`in` in (1, 2)"),
        ("`Between` == 1", "`Between` == 1"),
        ("`a``b` + 1", "`a``b` + 1"),
        ("`WT`*2", "WT * 2"),
        ("`exp` + exp(1)", "exp + exp(1)"),
        ("`1x` + `x.1` + `_`", "`1x` + x.1 + _"),
        ("`体重` > 50", "`体重` > 50"),
        ("not `x y`", "not `x y`"),
        ("missing(`x y`)", "missing(`x y`)"),
    ] {
        let e = Expr::parse(src).unwrap_or_else(|err| panic!("{src:?}: {err}"));
        assert_eq!(e.to_string(), printed, "{src}");
        assert_eq!(Expr::parse(printed).unwrap(), e, "{src}");
    }
    assert_eq!(quote_name("WT"), "WT");
    assert_eq!(quote_name("sample yr"), "`sample yr`");
    assert_eq!(quote_name("or"), "`or`");
    assert_eq!(quote_name("a`b"), "`a``b`");
    assert_eq!(quote_name(""), "``");
}

#[test]
fn unterminated_and_empty_quotes_are_errors_at_their_backtick() {
    for (src, column, found, message) in [
        (
            "`sample yr > 1995",
            1,
            "`sample yr > 1995",
            "column 1: unterminated quoted name: no closing ` for the ` at column 1",
        ),
        (
            "age > 1 and `x-y > 0",
            13,
            "`x-y > 0",
            "column 13: unterminated quoted name: no closing ` for the ` at column 13",
        ),
        // A doubled backtick is one backtick, so this name never closes.
        (
            "`a`` > 1",
            1,
            "`a`` > 1",
            "column 1: unterminated quoted name: no closing ` for the ` at column 1",
        ),
        // Columns count characters, not bytes.
        (
            "'é' == `x",
            8,
            "`x",
            "column 8: unterminated quoted name: no closing ` for the ` at column 8",
        ),
        (
            "`` > 1",
            1,
            "``",
            "column 1: empty quoted name ``: write at least one character between the backticks",
        ),
        (
            "x + `` * 2",
            5,
            "``",
            "column 5: empty quoted name ``: write at least one character between the backticks",
        ),
    ] {
        let err = parse_err(src);
        assert_eq!(err.column, column, "{src}");
        assert_eq!(err.found, found, "{src}");
        assert_eq!(err.to_string(), message, "{src}");
    }
    assert_eq!(
        parse_err("x + `` * 2").render("x + `` * 2"),
        "x + `` * 2\n    ^ empty quoted name ``: write at least one character between the backticks"
    );
}

#[test]
fn a_quoted_name_cannot_be_called() {
    let err = parse_err("`exp`(1)");
    assert_eq!(err.column, 6);
    assert_eq!(err.found, "(");
    assert_eq!(
        err.to_string(),
        "column 6: quoted names are variables, not functions: found '(' after `exp`; \
         to call 'exp', write its name without backticks"
    );
    let err = parse_err("1 + `bmi x` (2)");
    assert_eq!(err.column, 13);
    assert_eq!(
        err.to_string(),
        "column 13: quoted names are variables, not functions: found '(' after `bmi x`"
    );
    // Other syntax errors show the quoted name as written.
    assert_eq!(
        parse_err("`a b` `c`").to_string(),
        "column 7: expected an operator or end of input after `a b`, found `c`"
    );
}

#[test]
fn hints_point_to_backticks() {
    assert_eq!(
        parse_err("in == 1").to_string(),
        "column 1: expected an expression, found 'in' (a keyword; a variable of that name is written in backticks: `in`)"
    );
    assert_eq!(
        parse_err("sample yr > 1995").to_string(),
        "column 8: expected an operator or end of input after 'sample', found 'yr' \
         (a name with spaces is written in backticks: `sample yr`)"
    );
    // Outside backticks a backtick-free odd character is still an error.
    assert_eq!(
        parse_err("x @ 1").to_string(),
        "column 3: unexpected character '@'"
    );
}

#[test]
fn unknown_variables_suggest_the_quoted_spelling_and_keep_names_unquoted() {
    let known = ["age", "sample yr", "x-y", "in"];
    let err = Expr::parse("sample_yr > 1995")
        .unwrap()
        .compile(&known)
        .unwrap_err();
    assert_eq!(
        err,
        BindError::UnknownVariable {
            name: "sample_yr".into(),
            column: 1,
            suggestion: Some("sample yr".into()),
            known: known.iter().map(|&n| n.to_owned()).collect(),
        }
    );
    assert_eq!(
        err.to_string(),
        "unknown variable 'sample_yr' at column 1; did you mean 'sample yr' (write it as `sample yr`)? \
         (known: age, `sample yr`, `x-y`, `in`)"
    );
    // A quoted unknown name is reported without its backticks.
    let err = Expr::parse("1 + `agee`")
        .unwrap()
        .compile(&known)
        .unwrap_err();
    assert_eq!(
        err.to_string(),
        "unknown variable 'agee' at column 5; did you mean 'age'? (known: age, `sample yr`, `x-y`, `in`)"
    );
    // A missing value in arithmetic names the variable unquoted.
    let err = Expr::parse("`x-y` * 2")
        .unwrap()
        .compile(&["x-y"])
        .unwrap()
        .eval(&[Value::Missing])
        .unwrap_err();
    assert_eq!(
        err.to_string(),
        "variable 'x-y' is missing and cannot be used in '*'"
    );
    // Ambiguity under compile_ignore_case, also unquoted.
    let err = Expr::parse("`X y`")
        .unwrap()
        .compile_ignore_case(&["x y", "X Y"])
        .unwrap_err();
    assert!(
        matches!(&err, BindError::Ambiguous { name, .. } if name == "X y"),
        "{err}"
    );
}

#[test]
fn existing_syntax_is_unaffected() {
    // Strings keep their quotes' meaning; backticks inside strings are text.
    assert_eq!(
        eval("s == 'a`b'", &["s"], &["a`b".into()]),
        Value::Bool(true)
    );
    assert_eq!(
        eval("s == \"sample yr\"", &["s"], &["sample yr".into()]),
        Value::Bool(true)
    );
    let e = Expr::parse("\"sample yr\" > 1995");
    assert!(e.is_ok_and(|e| e.variables().is_empty()));
    for src in [
        "age >= 65 and sex == 'F'",
        "race in ('black', 'asian') and weight between 50 and 120",
        "1.1 * (WT/70)^0.75 * exp(ETA_CL)",
        "if(MODE == 1, BIOAV, 1)",
        "not missing(egfr) and egfr < 60",
    ] {
        let e = Expr::parse(src).unwrap();
        assert!(!e.to_string().contains('`'), "{src} printed as {e}");
    }
}

#[test]
fn a_symbol_name_written_without_backticks_gets_the_quoted_suggestion() {
    let err = Expr::parse("x-y > 0").unwrap().compile(&["x-y"]).unwrap_err().to_string();
    assert!(err.contains("unknown variable 'x'") && err.contains("did you mean 'x-y' (write it as `x-y`)"), "{err}");
}
