//! Parse errors: exact columns, tokens and messages, and the caret rendering.

mod common;

use common::parse_err as err;
use vtrial_expr::{Expr, caret};

#[test]
fn messages_with_exact_columns() {
    let cases: &[(&str, usize, &str, &str)] = &[
        // (source, column, found, full message)
        (
            "(WT / 70 * )",
            12,
            ")",
            "column 12: expected a number, a name or '(' after '*', found ')'",
        ),
        (
            "CL * )",
            6,
            ")",
            "column 6: expected a number, a name or '(' after '*', found ')'",
        ),
        (
            "",
            1,
            "end of input",
            "column 1: expected an expression, found end of input",
        ),
        (
            "   ",
            4,
            "end of input",
            "column 4: expected an expression, found end of input",
        ),
        (
            "1 +",
            4,
            "end of input",
            "column 4: expected a number, a name or '(' after '+', found end of input",
        ),
        (
            "2 ^ ^ 3",
            5,
            "^",
            "column 5: expected a number, a name or '(' after '^', found '^'",
        ),
        (
            "a == )",
            6,
            ")",
            "column 6: expected a number, a string, a name or '(' after '==', found ')'",
        ),
        (
            "a and",
            6,
            "end of input",
            "column 6: expected a number, a string, a name or '(' after 'and', found end of input",
        ),
        (
            "(1 + 2",
            7,
            "end of input",
            "column 7: expected ')' to close the '(' at column 1, found end of input",
        ),
        (
            "(1 + 2))",
            8,
            ")",
            "column 8: expected an operator or end of input after ')', found ')'",
        ),
        (
            "2 x",
            3,
            "x",
            "column 3: expected an operator or end of input after '2', found 'x'",
        ),
        (
            "x = 1",
            3,
            "=",
            "column 3: expected an operator or end of input after 'x', found '=' (use '==' to compare)",
        ),
        (
            "a < b < c",
            7,
            "<",
            "column 7: comparisons cannot be chained: found '<' after a comparison; combine comparisons with 'and'",
        ),
        (
            "a == b in (1)",
            8,
            "in",
            "column 8: comparisons cannot be chained: found 'in' after a comparison; combine comparisons with 'and'",
        ),
        (
            "lg(2)",
            1,
            "lg",
            "column 1: unknown function 'lg'; did you mean 'log'? (functions: exp, log, log10, sqrt, abs, floor, ceil, round, pow, min, max, if, missing)",
        ),
        (
            "1 + pow(1)",
            5,
            "pow",
            "column 5: 'pow' takes 2 arguments, found 1",
        ),
        (
            "IF(a, b)",
            1,
            "IF",
            "column 1: 'if' takes 3 arguments, found 2",
        ),
        (
            "exp(1, 2)",
            1,
            "exp",
            "column 1: 'exp' takes 1 argument, found 2",
        ),
        (
            "min()",
            1,
            "min",
            "column 1: 'min' takes at least 1 argument, found 0",
        ),
        (
            "max(1 2)",
            7,
            "2",
            "column 7: expected ',' or ')' after '1' in the arguments of 'max', found '2'",
        ),
        (
            "missing(1 + x)",
            9,
            "1",
            "column 9: the argument of 'missing' must be a variable name",
        ),
        (
            "race in 'a'",
            9,
            "'a'",
            "column 9: expected '(' starting the list of values after 'in', found the string 'a'",
        ),
        (
            "race in ('a' 'b')",
            14,
            "'b'",
            "column 14: expected ',' or ')' after the string 'a' in the 'in' list, found the string 'b'",
        ),
        (
            "race in ()",
            10,
            ")",
            "column 10: expected a number, a string, a name or '(' after '(', found ')'",
        ),
        (
            "x between 1 or 2",
            13,
            "or",
            "column 13: expected 'and' of 'between … and …' after '1', found 'or'",
        ),
        (
            "sex == 'F",
            8,
            "'F",
            "column 8: unterminated string: no closing ' for the ' at column 8",
        ),
        ("age @ 3", 5, "@", "column 5: unexpected character '@'"),
        (
            "a & b",
            3,
            "&",
            "column 3: unexpected character '&'; write '&&' or 'and'",
        ),
        (
            "a <> b",
            3,
            "<>",
            "column 3: unexpected '<>'; use '!=' for 'not equal'",
        ),
        (
            "1e + 2",
            1,
            "1e",
            "column 1: malformed number '1e': expected digits after the exponent 'e'",
        ),
        (
            "2 * 1e999",
            5,
            "1e999",
            "column 5: number '1e999' is too large",
        ),
        (
            "IN + 1",
            1,
            "IN",
            "column 1: expected an expression, found 'IN' (a keyword; a variable of that name is written in backticks: `IN`)",
        ),
        // Columns count characters, not bytes.
        (
            "'é' == x )",
            10,
            ")",
            "column 10: expected an operator or end of input after 'x', found ')'",
        ),
        ("x ≥ 3", 3, "≥", "column 3: unexpected character '≥'"),
    ];
    for &(src, column, found, message) in cases {
        let e = err(src);
        assert_eq!(e.to_string(), message, "{src:?}");
        assert_eq!(e.column, column, "{src:?}");
        assert_eq!(e.found, found, "{src:?}");
    }
}

#[test]
fn nesting_limits() {
    let deep = |n: usize| format!("{}x{}", "(".repeat(n), ")".repeat(n));
    assert!(Expr::parse(&deep(50)).is_ok());
    let e = err(&deep(100));
    assert!(e.message.contains("nested too deeply"), "{e}");
    assert_eq!(e.column, 65);
    assert!(
        err(&"-".repeat(10_000))
            .message
            .contains("nested too deeply")
    );
    assert!(
        err(&"not ".repeat(10_000))
            .message
            .contains("nested too deeply")
    );
    assert!(
        err(&"2^".repeat(10_000))
            .message
            .contains("nested too deeply")
    );
    assert!(
        err(&format!("{}1", "exp(".repeat(1000)))
            .message
            .contains("nested too deeply")
    );

    let sum = |n: usize| vec!["x"; n].join(" + ");
    assert!(Expr::parse(&sum(200)).is_ok());
    let e = err(&sum(100_000));
    assert!(e.message.contains("too large"), "{e}");
    assert!(
        err(&vec!["x > 1"; 1000].join(" and "))
            .message
            .contains("too large")
    );
}

#[test]
fn caret_rendering() {
    let src = "(WT / 70 * )";
    let e = err(src);
    assert_eq!(
        e.render(src),
        "(WT / 70 * )\n           ^ expected a number, a name or '(' after '*', found ')'"
    );
    // Tabs are kept so that the caret lines up.
    assert_eq!(caret("\tx = 1", 4), "\tx = 1\n\t  ^");
    // At end of input, the caret goes just past the text.
    assert_eq!(caret("1 +", 4), "1 +\n   ^");
    // Multi-line text: the caret is drawn under the right line.
    assert_eq!(caret("a +\nb c", 7), "b c\n  ^");
    assert_eq!(caret("", 1), "\n^");
}
