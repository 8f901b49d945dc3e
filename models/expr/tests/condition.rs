//! SQL three-valued logic of `Compiled::eval_condition`, node columns of `Expr::column_of`, and
//! the static checks of `check_condition`.

use vtrial_expr::ast::Node;
use vtrial_expr::{Expr, Value};

fn cond(src: &str, slots: &[Value]) -> Option<bool> {
    let e = Expr::parse(src).unwrap();
    let names: Vec<&str> = ["sbp", "age", "sex"].to_vec();
    e.compile(&names).unwrap().eval_condition(slots).unwrap()
}

#[test]
fn a_missing_operand_makes_comparisons_unknown_and_not_keeps_them_unknown() {
    let m = [Value::Missing, 70.0.into(), "F".into()];
    for src in [
        "sbp > 120",
        "not (sbp > 120)",
        "sbp <= 120",
        "sbp != 120",
        "not not (sbp == 1)",
        "sbp in (1, 2)",
        "sbp not in (1, 2)",
        "sbp between 100 and 140",
        "sbp not between 100 and 140",
        "not (sbp between 100 and 140)",
        "sbp > 120 and age > 60",
        "sbp > 120 or age < 60",
    ] {
        assert_eq!(cond(src, &m), None, "{src}");
    }
    // Kleene: false and unknown = false, true or unknown = true.
    assert_eq!(cond("sbp > 120 and age < 60", &m), Some(false));
    assert_eq!(cond("sbp > 120 or age > 60", &m), Some(true));
    assert_eq!(cond("not (sbp > 120 and age < 60)", &m), Some(true));
    assert_eq!(cond("missing(sbp)", &m), Some(true));
    assert_eq!(cond("not missing(sbp) and sbp > 1", &m), Some(false));
    // An item that is missing leaves `in` unknown unless the value matches another item.
    let known = [130.0.into(), Value::Missing, "F".into()];
    assert_eq!(cond("sbp in (age, 130)", &known), Some(true));
    assert_eq!(cond("sbp in (age, 1)", &known), None);
    assert_eq!(cond("sbp not in (age, 1)", &known), None);
    // between with one bound missing is false when the known bound already fails.
    assert_eq!(cond("sbp between age and 120", &known), Some(false));
    assert_eq!(cond("sbp between age and 140", &known), None);
    // Known operands: as eval_bool.
    assert_eq!(cond("not (sbp > 120)", &known), Some(false));
    assert_eq!(cond("sbp <= 140 and sex == 'F'", &known), Some(true));
}

#[test]
fn eval_condition_agrees_with_eval_bool_when_nothing_is_missing() {
    let exprs = [
        "sbp > 120 and not (age < 60 or sex == 'M')",
        "not (sbp between 100 and 140) or sex in ('F', 'X')",
        "sbp != age and (sbp + 1 > 2 or not sex != 'F')",
    ];
    for src in exprs {
        let c = Expr::parse(src).unwrap().compile(&["sbp", "age", "sex"]).unwrap();
        for sbp in [90.0, 120.0, 150.0] {
            for age in [40.0, 60.0, 80.0] {
                for sex in ["F", "M"] {
                    let s = [sbp.into(), age.into(), sex.into()];
                    assert_eq!(c.eval_condition(&s).unwrap(), Some(c.eval_bool(&s).unwrap()), "{src} {s:?}");
                }
            }
        }
    }
}

#[test]
fn type_errors_stay_errors_with_a_missing_operand() {
    let c = Expr::parse("sbp == 'high'").unwrap().compile(&["sbp"]).unwrap();
    assert!(c.eval_condition(&[1.0.into()]).is_err());
    let c = Expr::parse("'a' < sbp").unwrap().compile(&["sbp"]).unwrap();
    assert!(c.eval_condition(&[Value::Missing]).is_err());
}

fn all_nodes<'a>(n: &'a Node, out: &mut Vec<&'a Node>) {
    out.push(n);
    match n {
        Node::Num(_) | Node::Str(_) | Node::Var(_) => {}
        Node::Unary { operand, .. } => all_nodes(operand, out),
        Node::Binary { left, right, .. } => {
            all_nodes(left, out);
            all_nodes(right, out);
        }
        Node::In { value, list, .. } => {
            all_nodes(value, out);
            list.iter().for_each(|i| all_nodes(i, out));
        }
        Node::Between { value, low, high, .. } => {
            all_nodes(value, out);
            all_nodes(low, out);
            all_nodes(high, out);
        }
        Node::Call { args, .. } => args.iter().for_each(|a| all_nodes(a, out)),
    }
}

#[test]
fn every_node_has_the_column_of_its_first_token() {
    let cases = [
        "age > 60 and weight - 57",
        "not (a between -1 and +b^2) or c in ('x', max(d, 2), -e)",
        "  -x * (y + 1) / if(z, 1, 2) ** 3 != 4",
        "a and b and c or not not d",
        "pow(2, x) not in (1) && missing(y)",
    ];
    for src in cases {
        let e = Expr::parse(src).unwrap();
        let mut nodes = Vec::new();
        all_nodes(e.root(), &mut nodes);
        let chars: Vec<char> = src.chars().collect();
        for &n in &nodes {
            let col = e.column_of(n).unwrap_or_else(|| panic!("{src}: no column for {n}"));
            // The text from that column starts with the node's first token.
            assert!(!chars[col - 1].is_whitespace(), "{src}: {n} at {col}");
            if let Node::Var(v) = n {
                assert!(src[..].chars().skip(col - 1).collect::<String>().starts_with(v.as_str()), "{src}: {n} at {col}");
            }
        }
        assert_eq!(e.column_of(&Node::Num(1.0)), None);
    }
    let e = Expr::parse("age > 60 and weight - 57").unwrap();
    let Node::Binary { left, right, .. } = e.root() else { panic!() };
    assert_eq!(e.column_of(e.root()), Some(1));
    assert_eq!(e.column_of(left), Some(1));
    assert_eq!(e.column_of(right), Some(14));
    let e = Expr::parse("x between 70 and 30").unwrap();
    let Node::Between { low, high, .. } = e.root() else { panic!() };
    assert_eq!((e.column_of(low), e.column_of(high)), (Some(11), Some(18)));
}

#[test]
fn check_condition_types_conditions_with_the_column_of_the_problem() {
    use vtrial_expr::{Expr, check_condition};
    let names = ["sex", "egfr"];
    let check = |src: &str, text: &[bool]| check_condition(&Expr::parse(src).unwrap(), &names, text, "a dose-adjustment condition");
    let e = check("egfr", &[]).unwrap_err();
    assert!(e.column == 1 && e.message.starts_with("a dose-adjustment condition must be a condition") && e.message.contains("not a column's value"), "{e}");
    assert!(check("egfr + 1", &[]).unwrap_err().message.contains("not a number"));
    assert!(check("sex == 'F'", &[]).is_ok(), "types unknown: a column compares with strings");
    // Types known: a label compared with a number; unknown types are numbers.
    let e = check("sex < 30", &[true, false]).unwrap_err();
    assert!(e.message.contains("`<` needs numbers") && e.message.contains("text column sex"), "{e}");
    assert!(check("sex < 30", &[]).is_ok());
    assert!(check("sex == 'F' and egfr < 30", &[true, false]).is_ok());
}
