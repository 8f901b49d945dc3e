//! Helpers shared by the integration tests.

use vtrial_expr::{Expr, ParseError};

/// The parse error of `src`; panics if it parses.
pub fn parse_err(src: &str) -> ParseError {
    match Expr::parse(src) {
        Ok(e) => panic!("{src:?} parsed as {e}"),
        Err(err) => err,
    }
}
