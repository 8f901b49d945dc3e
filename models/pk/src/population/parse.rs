//! The readable form of covariate models in scenario files.
//!
//! ```text
//! effect      = name "(" arguments ")"                      (spaces allowed between tokens)
//! name        = "power" | "exp" | "exponential" | "linear" | "categorical"   (any case)
//! arguments   = number "," "ref" "=" number                 for power, exp, linear
//!             | level "=" number { "," level "=" number }   for categorical
//! level       = label (a letter or _, then letters, digits, _) | integer code
//! number      = a decimal number, optionally signed, with optional exponent (1e-3)
//! ```
//!
//! A power model needs a reference > 0 and a categorical factor must be > 0. Errors give
//! the 1-based column (in characters) of the problem and what was expected there.

use std::str::FromStr;

use thiserror::Error;

use super::covariate::{CategoryKey, CovariateEffect};

/// A covariate model that could not be read.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[error("covariate model {input:?}, column {column}: expected {expected}, found {found}")]
pub struct CovariateParseError {
    /// The text that was read.
    pub input: String,
    /// 1-based column, in characters, where the problem is.
    pub column: usize,
    /// What would have been valid there.
    pub expected: String,
    /// What was there instead.
    pub found: String,
}

impl CovariateEffect {
    /// Reads the scenario form: `power(0.75, ref=70)`, `exp(0.01, ref=40)`,
    /// `linear(-0.005, ref=90)`, `categorical(F=0.8, M=1)`, `categorical(1=0.8)` (see the
    /// module docs for the grammar).
    pub fn parse(text: &str) -> Result<CovariateEffect, CovariateParseError> {
        let mut c = Cursor { input: text, chars: text.chars().collect(), pos: 0 };
        c.skip_ws();
        let name_at = c.pos;
        let name = c.identifier().unwrap_or_default().to_ascii_lowercase();
        let kind = match name.as_str() {
            "power" | "exp" | "exponential" | "linear" | "categorical" => name,
            _ => {
                c.pos = name_at;
                return Err(c.error("a covariate model: power(…), exp(…), linear(…) or categorical(…)"));
            }
        };
        c.expect('(', "'('")?;
        let effect = if kind == "categorical" {
            let mut factors: Vec<(CategoryKey, f64)> = Vec::new();
            loop {
                c.skip_ws();
                let at = c.pos;
                let key = c.level()?;
                if factors.iter().any(|(k, _)| *k == key) {
                    c.pos = at;
                    return Err(c.error("a level not already listed"));
                }
                c.expect('=', "'=' then the level's factor")?;
                let factor = c.number("the level's factor (a number > 0)", |f| f > 0.0)?;
                factors.push((key, factor));
                if !c.eat(',') {
                    break;
                }
            }
            CovariateEffect::Categorical { factors }
        } else {
            let coefficient = c.number(
                match kind.as_str() {
                    "power" => "the exponent (a number)",
                    "linear" => "the slope (a number)",
                    _ => "the coefficient (a number)",
                },
                |_| true,
            )?;
            c.expect(',', "',' then ref=<reference value>")?;
            c.skip_ws();
            let at = c.pos;
            if c.identifier().map(|s| s.to_ascii_lowercase()).as_deref() != Some("ref") {
                c.pos = at;
                return Err(c.error("ref=<reference value>"));
            }
            c.expect('=', "'=' then the reference value")?;
            let reference = if kind == "power" {
                c.number("the reference value (a number > 0)", |r| r > 0.0)?
            } else {
                c.number("the reference value (a number)", |_| true)?
            };
            match kind.as_str() {
                "power" => CovariateEffect::Power { exponent: coefficient, reference },
                "linear" => CovariateEffect::Linear { slope: coefficient, reference },
                _ => CovariateEffect::Exponential { coefficient, reference },
            }
        };
        c.expect(')', "',' or ')'")?;
        c.skip_ws();
        if c.peek().is_some() {
            return Err(c.error("the end of the text"));
        }
        Ok(effect)
    }
}

impl FromStr for CovariateEffect {
    type Err = CovariateParseError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        CovariateEffect::parse(s)
    }
}

/// A position in the text being read.
struct Cursor<'a> {
    input: &'a str,
    chars: Vec<char>,
    pos: usize,
}

impl Cursor<'_> {
    fn peek(&self) -> Option<char> {
        self.chars.get(self.pos).copied()
    }

    fn skip_ws(&mut self) {
        while self.peek().is_some_and(char::is_whitespace) {
            self.pos += 1;
        }
    }

    fn error(&self, expected: &str) -> CovariateParseError {
        let found = match self.peek() {
            None => "the end of the text".to_string(),
            Some(_) => {
                let rest: String = self.chars[self.pos..].iter().take(12).collect();
                let more = if self.chars.len() - self.pos > 12 { "…" } else { "" };
                format!("{rest:?}{more}")
            }
        };
        CovariateParseError { input: self.input.to_string(), column: self.pos + 1, expected: expected.into(), found }
    }

    /// Skips spaces, then consumes `ch` if it is next.
    fn eat(&mut self, ch: char) -> bool {
        self.skip_ws();
        if self.peek() == Some(ch) {
            self.pos += 1;
            true
        } else {
            false
        }
    }

    fn expect(&mut self, ch: char, expected: &str) -> Result<(), CovariateParseError> {
        if self.eat(ch) { Ok(()) } else { Err(self.error(expected)) }
    }

    /// A letter or `_`, then letters, digits and `_`.
    fn identifier(&mut self) -> Option<String> {
        let start = self.pos;
        if !self.peek().is_some_and(|c| c.is_alphabetic() || c == '_') {
            return None;
        }
        while self.peek().is_some_and(|c| c.is_alphanumeric() || c == '_') {
            self.pos += 1;
        }
        Some(self.chars[start..self.pos].iter().collect())
    }

    /// The longest run of characters that can make up a number, unchecked.
    fn number_text(&mut self) -> String {
        let start = self.pos;
        let mut prev = None;
        while let Some(c) = self.peek() {
            let ok = c.is_ascii_digit()
                || c == '.'
                || c == 'e'
                || c == 'E'
                || ((c == '+' || c == '-') && (self.pos == start || matches!(prev, Some('e' | 'E'))));
            if !ok {
                break;
            }
            prev = Some(c);
            self.pos += 1;
        }
        self.chars[start..self.pos].iter().collect()
    }

    /// A finite number for which `valid` holds.
    fn number(&mut self, expected: &str, valid: impl Fn(f64) -> bool) -> Result<f64, CovariateParseError> {
        self.skip_ws();
        let start = self.pos;
        let text = self.number_text();
        match text.parse::<f64>() {
            Ok(v) if v.is_finite() && valid(v) && text.bytes().any(|b| b.is_ascii_digit()) => Ok(v),
            _ => {
                self.pos = start;
                Err(self.error(expected))
            }
        }
    }

    /// A category level: a label or an integer code.
    fn level(&mut self) -> Result<CategoryKey, CovariateParseError> {
        const EXPECTED: &str = "a category level (a label such as F, or an integer code)";
        self.skip_ws();
        let start = self.pos;
        if let Some(label) = self.identifier() {
            return Ok(CategoryKey::Label(label));
        }
        if self.peek() == Some('-') || self.peek() == Some('+') {
            self.pos += 1;
        }
        while self.peek().is_some_and(|c| c.is_ascii_digit()) {
            self.pos += 1;
        }
        let text: String = self.chars[start..self.pos].iter().collect();
        let ends_cleanly = !self.peek().is_some_and(|c| c.is_alphanumeric() || c == '.' || c == '_');
        match text.parse::<i64>() {
            Ok(code) if ends_cleanly => Ok(CategoryKey::Code(code)),
            _ => {
                self.pos = start;
                Err(self.error(EXPECTED))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_every_form() {
        assert_eq!(
            CovariateEffect::parse("power(0.75, ref=70)").unwrap(),
            CovariateEffect::Power { exponent: 0.75, reference: 70.0 }
        );
        assert_eq!(
            CovariateEffect::parse("  EXP( 1e-2 ,ref = 40 ) ").unwrap(),
            CovariateEffect::Exponential { coefficient: 0.01, reference: 40.0 }
        );
        assert_eq!(
            CovariateEffect::parse("categorical(1=0.8, -2=1.5)").unwrap(),
            CovariateEffect::Categorical { factors: vec![(CategoryKey::Code(1), 0.8), (CategoryKey::Code(-2), 1.5)] }
        );
    }
}
