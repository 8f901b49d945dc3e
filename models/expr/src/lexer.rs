//! Text → tokens.

use crate::error::ParseError;

/// What a token is.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Tok {
    /// A number literal (always finite and ≥ 0).
    Num(f64),
    /// A quoted string, without its quotes.
    Str(String),
    /// A name: a variable or a function.
    Ident,
    /// A name in backticks, without them and with each doubled backtick
    /// undone: always a variable, never a keyword or a function.
    QuotedIdent(String),
    /// `and`, `&&`
    And,
    /// `or`, `||`
    Or,
    /// `not`, `!`
    Not,
    /// `in`
    In,
    /// `between`
    Between,
    Plus,
    Minus,
    Star,
    Slash,
    /// `^` or `**`
    Caret,
    LParen,
    RParen,
    Comma,
    EqEq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
    /// A lone `=`: never valid, lexed so that the parser can suggest `==`.
    Assign,
    End,
}

/// A token with its position and text.
#[derive(Debug, Clone)]
pub(crate) struct Token<'s> {
    pub tok: Tok,
    /// 1-based character column.
    pub col: usize,
    /// The token as written (empty for [`Tok::End`]).
    pub text: &'s str,
}

impl Token<'_> {
    /// How error messages show the token: `'*'`, `'WT'`, `the string 'F'`,
    /// `` `sample yr` `` (a quoted name, as written), `end of input`.
    pub fn describe(&self) -> String {
        match self.tok {
            Tok::End => "end of input".to_owned(),
            Tok::Str(_) => format!("the string {}", self.text),
            Tok::QuotedIdent(_) => self.text.to_owned(),
            _ => format!("'{}'", self.text),
        }
    }
}

/// Is `word` (any case) one of the keywords?
fn keyword(word: &str) -> Option<Tok> {
    const KEYWORDS: [(&str, Tok); 5] = [
        ("and", Tok::And),
        ("or", Tok::Or),
        ("not", Tok::Not),
        ("in", Tok::In),
        ("between", Tok::Between),
    ];
    KEYWORDS
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case(word))
        .map(|(_, t)| t.clone())
}

/// Can `name` be written as is, as a variable? That is, does it lex as one
/// plain name (`( letter | "_" ) { letter | digit | "_" | "." }`, ASCII
/// letters) that is not a keyword? Other names need backticks.
pub(crate) fn is_plain_name(name: &str) -> bool {
    let mut chars = name.chars();
    chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '.')
        && keyword(name).is_none()
}

/// Splits `src` into tokens, ending with one [`Tok::End`].
pub(crate) fn lex(src: &str) -> Result<Vec<Token<'_>>, ParseError> {
    let mut lx = Lexer {
        src,
        pos: 0,
        col: 1,
        out: Vec::new(),
    };
    lx.run()?;
    Ok(lx.out)
}

struct Lexer<'s> {
    src: &'s str,
    /// Byte offset of the next character.
    pos: usize,
    /// 1-based character column of the next character.
    col: usize,
    out: Vec<Token<'s>>,
}

impl<'s> Lexer<'s> {
    fn peek(&self) -> Option<char> {
        self.src[self.pos..].chars().next()
    }

    fn peek2(&self) -> Option<char> {
        self.src[self.pos..].chars().nth(1)
    }

    fn bump(&mut self) -> Option<char> {
        let c = self.peek()?;
        self.pos += c.len_utf8();
        self.col += 1;
        Some(c)
    }

    fn bump_while(&mut self, f: impl Fn(char) -> bool) {
        while self.peek().is_some_and(&f) {
            self.bump();
        }
    }

    fn push(&mut self, tok: Tok, start: usize, col: usize) {
        self.out.push(Token {
            tok,
            col,
            text: &self.src[start..self.pos],
        });
    }

    fn error(col: usize, found: &str, message: String) -> ParseError {
        ParseError {
            column: col,
            found: found.to_owned(),
            message,
        }
    }

    fn run(&mut self) -> Result<(), ParseError> {
        while let Some(c) = self.peek() {
            let (start, col) = (self.pos, self.col);
            if c.is_whitespace() {
                self.bump();
                continue;
            }
            if c.is_ascii_digit() || (c == '.' && self.peek2().is_some_and(|d| d.is_ascii_digit()))
            {
                self.number(start, col)?;
                continue;
            }
            if c.is_ascii_alphabetic() || c == '_' {
                self.bump_while(|c| c.is_ascii_alphanumeric() || c == '_' || c == '.');
                let word = &self.src[start..self.pos];
                self.push(keyword(word).unwrap_or(Tok::Ident), start, col);
                continue;
            }
            if c == '\'' || c == '"' {
                self.string(c, start, col)?;
                continue;
            }
            if c == '`' {
                self.quoted_name(start, col)?;
                continue;
            }
            self.bump();
            let next = self.peek();
            let two = |lx: &mut Self, t: Tok| {
                lx.bump();
                t
            };
            let tok = match (c, next) {
                ('*', Some('*')) => two(self, Tok::Caret),
                ('=', Some('=')) => two(self, Tok::EqEq),
                ('!', Some('=')) => two(self, Tok::Ne),
                ('<', Some('=')) => two(self, Tok::Le),
                ('>', Some('=')) => two(self, Tok::Ge),
                ('&', Some('&')) => two(self, Tok::And),
                ('|', Some('|')) => two(self, Tok::Or),
                ('<', Some('>')) => {
                    self.bump();
                    return Err(Self::error(
                        col,
                        "<>",
                        "unexpected '<>'; use '!=' for 'not equal'".to_owned(),
                    ));
                }
                ('+', _) => Tok::Plus,
                ('-', _) => Tok::Minus,
                ('*', _) => Tok::Star,
                ('/', _) => Tok::Slash,
                ('^', _) => Tok::Caret,
                ('(', _) => Tok::LParen,
                (')', _) => Tok::RParen,
                (',', _) => Tok::Comma,
                ('<', _) => Tok::Lt,
                ('>', _) => Tok::Gt,
                ('!', _) => Tok::Not,
                ('=', _) => Tok::Assign,
                ('&' | '|', _) => {
                    let word = if c == '&' { "and" } else { "or" };
                    return Err(Self::error(
                        col,
                        &c.to_string(),
                        format!("unexpected character '{c}'; write '{c}{c}' or '{word}'"),
                    ));
                }
                _ => {
                    return Err(Self::error(
                        col,
                        &c.to_string(),
                        format!("unexpected character '{c}'"),
                    ));
                }
            };
            self.push(tok, start, col);
        }
        let end = self.src.len();
        self.out.push(Token {
            tok: Tok::End,
            col: self.col,
            text: &self.src[end..],
        });
        Ok(())
    }

    /// `digits ['.' digits] [('e'|'E') ['+'|'-'] digits]` or `'.' digits …`.
    fn number(&mut self, start: usize, col: usize) -> Result<(), ParseError> {
        self.bump_while(|c| c.is_ascii_digit());
        if self.peek() == Some('.') {
            self.bump();
            self.bump_while(|c| c.is_ascii_digit());
        }
        if matches!(self.peek(), Some('e' | 'E')) {
            // An exponent only if digits follow (optionally signed); otherwise
            // `2e` is a malformed number rather than `2` followed by a name `e`.
            self.bump();
            if matches!(self.peek(), Some('+' | '-')) {
                self.bump();
            }
            if !self.peek().is_some_and(|c| c.is_ascii_digit()) {
                self.bump_while(|c| c.is_ascii_alphanumeric() || c == '_' || c == '.');
                let text = &self.src[start..self.pos];
                return Err(Self::error(
                    col,
                    text,
                    format!("malformed number '{text}': expected digits after the exponent 'e'"),
                ));
            }
            self.bump_while(|c| c.is_ascii_digit());
        }
        let text = &self.src[start..self.pos];
        let value: f64 = text
            .parse()
            .map_err(|_| Self::error(col, text, format!("malformed number '{text}'")))?;
        if !value.is_finite() {
            return Err(Self::error(
                col,
                text,
                format!("number '{text}' is too large"),
            ));
        }
        self.push(Tok::Num(value), start, col);
        Ok(())
    }

    /// A string in `quote`s; there are no escapes, so a string cannot hold its
    /// own quote character (use the other quote).
    fn string(&mut self, quote: char, start: usize, col: usize) -> Result<(), ParseError> {
        self.bump();
        let body_start = self.pos;
        loop {
            match self.peek() {
                Some(c) if c == quote => break,
                Some(_) => {
                    self.bump();
                }
                None => {
                    return Err(Self::error(
                        col,
                        &self.src[start..],
                        format!(
                            "unterminated string: no closing {quote} for the {quote} at column {col}"
                        ),
                    ));
                }
            }
        }
        let body = self.src[body_start..self.pos].to_owned();
        self.bump();
        self.push(Tok::Str(body), start, col);
        Ok(())
    }

    /// A name in backticks: `` `sample yr` ``; a doubled backtick inside
    /// stands for one (`` `a``b` `` is the name ``a`b``).
    fn quoted_name(&mut self, start: usize, col: usize) -> Result<(), ParseError> {
        self.bump();
        let mut name = String::new();
        loop {
            match self.bump() {
                Some('`') if self.peek() == Some('`') => {
                    self.bump();
                    name.push('`');
                }
                Some('`') => break,
                Some(c) => name.push(c),
                None => {
                    return Err(Self::error(
                        col,
                        &self.src[start..],
                        format!("unterminated quoted name: no closing ` for the ` at column {col}"),
                    ));
                }
            }
        }
        if name.is_empty() {
            return Err(Self::error(
                col,
                "``",
                "empty quoted name ``: write at least one character between the backticks"
                    .to_owned(),
            ));
        }
        self.push(Tok::QuotedIdent(name), start, col);
        Ok(())
    }
}
