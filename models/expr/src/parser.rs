//! Tokens → syntax tree, by recursive descent with one function per
//! precedence level (see the grammar in the crate documentation).

use crate::ast::{BinaryOp, Func, Node, UnaryOp};
use crate::error::ParseError;
use crate::lexer::{Tok, Token, lex};
use crate::suggest::closest;

/// Deepest nesting of parentheses, calls and prefix operators accepted.
pub(crate) const MAX_NESTING: usize = 64;
/// Tallest syntax tree accepted (a chain `a + b + …` of 256 terms is 256 tall).
/// Compiling, evaluating, printing and dropping the tree recurse over it, so
/// this bound keeps them all far from a stack overflow.
pub(crate) const MAX_HEIGHT: usize = 256;

/// A parsed sub-expression and the height of its tree.
type Parsed = (Node, usize);
type PResult = Result<Parsed, ParseError>;

/// What [`parse`] returns: the tree, each variable's first column (in order of
/// first appearance), and the 1-based start column of every node of the tree
/// in post-order (children left to right, then the node).
pub(crate) type ParseOutput = (Node, Vec<(String, usize)>, Vec<usize>);

/// Parses `src`; also returns each variable's first column, in order of
/// first appearance, and every node's start column (post-order).
pub(crate) fn parse(src: &str) -> Result<ParseOutput, ParseError> {
    let tokens = lex(src)?;
    let mut p = Parser {
        tokens,
        pos: 0,
        nesting: 0,
        vars: Vec::new(),
        spans: Vec::new(),
    };
    if p.peek().tok == Tok::End {
        return Err(p.error_at(0, "expected an expression, found end of input".to_owned()));
    }
    let (node, _) = p.expr()?;
    if p.peek().tok != Tok::End {
        let msg = p.unexpected("an operator or end of input");
        return Err(p.error_here(msg));
    }
    Ok((node, p.vars, p.spans))
}

struct Parser<'s> {
    tokens: Vec<Token<'s>>,
    pos: usize,
    nesting: usize,
    vars: Vec<(String, usize)>,
    /// Start column of each node, in the order the nodes are built: the
    /// parser builds every node after its children, so this is post-order.
    spans: Vec<usize>,
}

fn binary(op: BinaryOp, (l, lh): Parsed, (r, rh): Parsed) -> Parsed {
    (
        Node::Binary {
            op,
            left: Box::new(l),
            right: Box::new(r),
        },
        1 + lh.max(rh),
    )
}

fn is_arithmetic(tok: &Tok) -> bool {
    matches!(
        tok,
        Tok::Plus | Tok::Minus | Tok::Star | Tok::Slash | Tok::Caret
    )
}

fn comparison(tok: &Tok) -> Option<BinaryOp> {
    Some(match tok {
        Tok::EqEq => BinaryOp::Eq,
        Tok::Ne => BinaryOp::Ne,
        Tok::Lt => BinaryOp::Lt,
        Tok::Le => BinaryOp::Le,
        Tok::Gt => BinaryOp::Gt,
        Tok::Ge => BinaryOp::Ge,
        _ => return None,
    })
}

impl<'s> Parser<'s> {
    fn peek(&self) -> &Token<'s> {
        &self.tokens[self.pos]
    }

    fn peek_at(&self, ahead: usize) -> &Token<'s> {
        let last = self.tokens.len() - 1;
        &self.tokens[(self.pos + ahead).min(last)]
    }

    fn advance(&mut self) -> Token<'s> {
        let t = self.tokens[self.pos].clone();
        if t.tok != Tok::End {
            self.pos += 1;
        }
        t
    }

    fn eat(&mut self, tok: &Tok) -> bool {
        if &self.peek().tok == tok {
            self.advance();
            true
        } else {
            false
        }
    }

    fn error_at(&self, index: usize, message: String) -> ParseError {
        let t = &self.tokens[index];
        let found = if t.tok == Tok::End {
            "end of input".to_owned()
        } else {
            t.text.to_owned()
        };
        ParseError {
            column: t.col,
            found,
            message,
        }
    }

    fn error_here(&self, message: String) -> ParseError {
        self.error_at(self.pos, message)
    }

    /// `expected {what} after '{previous}', found {next}` (+ a hint for `=`).
    fn unexpected(&self, what: &str) -> String {
        let mut msg = format!("expected {what}");
        if self.pos > 0 {
            msg.push_str(&format!(" after {}", self.tokens[self.pos - 1].describe()));
        }
        msg.push_str(&self.found());
        msg
    }

    /// `, found {next}` (+ a hint for `=`).
    fn found(&self) -> String {
        let mut msg = format!(", found {}", self.peek().describe());
        if self.peek().tok == Tok::Assign {
            msg.push_str(" (use '==' to compare)");
        }
        // `sample yr > 1995`: two names in a row are likely one name with a space.
        if self.peek().tok == Tok::Ident && self.pos > 0 {
            let prev = &self.tokens[self.pos - 1];
            if prev.tok == Tok::Ident {
                msg.push_str(&format!(
                    " (a name with spaces is written in backticks: `{} {}`)",
                    prev.text,
                    self.peek().text
                ));
            }
        }
        msg
    }

    /// Enters one level of nesting (parentheses, call, prefix operator).
    fn enter(&mut self) -> Result<(), ParseError> {
        self.nesting += 1;
        if self.nesting > MAX_NESTING {
            return Err(self.error_here(format!(
                "expression is nested too deeply (more than {MAX_NESTING} levels of parentheses, calls or prefix operators)"
            )));
        }
        Ok(())
    }

    fn leave(&mut self) {
        self.nesting -= 1;
    }

    /// Rejects a tree taller than [`MAX_HEIGHT`], blaming the current token.
    fn check_height(&self, parsed: Parsed) -> PResult {
        if parsed.1 > MAX_HEIGHT {
            return Err(self.error_here(format!(
                "expression is too large (its tree is more than {MAX_HEIGHT} operators deep); split it up"
            )));
        }
        Ok(parsed)
    }

    /// `expr := or`
    fn expr(&mut self) -> PResult {
        self.enter()?;
        let r = self.or();
        self.leave();
        r
    }

    /// `or := and (('or' | '||') and)*`
    fn or(&mut self) -> PResult {
        let start = self.peek().col;
        let mut left = self.and()?;
        while self.eat(&Tok::Or) {
            let right = self.and()?;
            self.spans.push(start);
            left = self.check_height(binary(BinaryOp::Or, left, right))?;
        }
        Ok(left)
    }

    /// `and := not (('and' | '&&') not)*`
    fn and(&mut self) -> PResult {
        let start = self.peek().col;
        let mut left = self.not()?;
        while self.eat(&Tok::And) {
            let right = self.not()?;
            self.spans.push(start);
            left = self.check_height(binary(BinaryOp::And, left, right))?;
        }
        Ok(left)
    }

    /// `not := ('not' | '!') not | comparison`
    fn not(&mut self) -> PResult {
        if self.peek().tok == Tok::Not {
            let start = self.peek().col;
            self.advance();
            self.enter()?;
            let operand = self.not();
            self.leave();
            let (operand, h) = operand?;
            self.spans.push(start);
            let node = Node::Unary {
                op: UnaryOp::Not,
                operand: Box::new(operand),
            };
            return self.check_height((node, h + 1));
        }
        self.comparison()
    }

    /// ```text
    /// comparison := sum [ cmp_op sum
    ///                   | ['not'] 'in' '(' expr (',' expr)* ')'
    ///                   | ['not'] 'between' sum 'and' sum ]
    /// ```
    fn comparison(&mut self) -> PResult {
        let start = self.peek().col;
        let left = self.sum()?;
        let result = if let Some(op) = comparison(&self.peek().tok) {
            self.advance();
            let right = self.sum()?;
            self.spans.push(start);
            binary(op, left, right)
        } else {
            let negated = self.peek().tok == Tok::Not
                && matches!(self.peek_at(1).tok, Tok::In | Tok::Between);
            if negated {
                self.advance();
            }
            match self.peek().tok {
                Tok::In => {
                    self.advance();
                    self.in_list(left, negated, start)?
                }
                Tok::Between => {
                    self.advance();
                    let low = self.sum()?;
                    if !self.eat(&Tok::And) {
                        let msg = self.unexpected("'and' of 'between … and …'");
                        return Err(self.error_here(msg));
                    }
                    let high = self.sum()?;
                    self.spans.push(start);
                    let height = 1 + left.1.max(low.1).max(high.1);
                    let node = Node::Between {
                        value: Box::new(left.0),
                        low: Box::new(low.0),
                        high: Box::new(high.0),
                        negated,
                    };
                    (node, height)
                }
                _ => return Ok(left),
            }
        };
        if comparison(&self.peek().tok).is_some()
            || matches!(self.peek().tok, Tok::In | Tok::Between)
        {
            let msg = format!(
                "comparisons cannot be chained: found {} after a comparison; combine comparisons with 'and'",
                self.peek().describe()
            );
            return Err(self.error_here(msg));
        }
        self.check_height(result)
    }

    /// The `( … )` after `in`.
    fn in_list(&mut self, value: Parsed, negated: bool, start: usize) -> PResult {
        if !self.eat(&Tok::LParen) {
            let msg = self.unexpected("'(' starting the list of values");
            return Err(self.error_here(msg));
        }
        let (list, h) = self.comma_list("in the 'in' list")?;
        self.spans.push(start);
        let node = Node::In {
            value: Box::new(value.0),
            list,
            negated,
        };
        Ok((node, 1 + value.1.max(h)))
    }

    /// `expr (',' expr)* ')'`, after the opening parenthesis (which must not
    /// be followed by `)`). Returns the items and their greatest height.
    fn comma_list(&mut self, context: &str) -> Result<(Vec<Node>, usize), ParseError> {
        let mut items = Vec::new();
        let mut height = 0;
        loop {
            let (item, h) = self.expr()?;
            items.push(item);
            height = height.max(h);
            match self.peek().tok {
                Tok::Comma => {
                    self.advance();
                }
                Tok::RParen => {
                    self.advance();
                    return Ok((items, height));
                }
                _ => {
                    let prev = self.tokens[self.pos - 1].describe();
                    let msg = format!("expected ',' or ')' after {prev} {context}{}", self.found());
                    return Err(self.error_here(msg));
                }
            }
        }
    }

    /// `sum := product (('+' | '-') product)*`
    fn sum(&mut self) -> PResult {
        let start = self.peek().col;
        let mut left = self.product()?;
        loop {
            let op = match self.peek().tok {
                Tok::Plus => BinaryOp::Add,
                Tok::Minus => BinaryOp::Sub,
                _ => return Ok(left),
            };
            self.advance();
            let right = self.product()?;
            self.spans.push(start);
            left = self.check_height(binary(op, left, right))?;
        }
    }

    /// `product := unary (('*' | '/') unary)*`
    fn product(&mut self) -> PResult {
        let start = self.peek().col;
        let mut left = self.unary()?;
        loop {
            let op = match self.peek().tok {
                Tok::Star => BinaryOp::Mul,
                Tok::Slash => BinaryOp::Div,
                _ => return Ok(left),
            };
            self.advance();
            let right = self.unary()?;
            self.spans.push(start);
            left = self.check_height(binary(op, left, right))?;
        }
    }

    /// `unary := ('-' | '+') unary | power` — a unary `+` is dropped.
    fn unary(&mut self) -> PResult {
        let tok = self.peek().tok.clone();
        let start = self.peek().col;
        if matches!(tok, Tok::Minus | Tok::Plus) {
            self.advance();
            self.enter()?;
            let operand = self.unary();
            self.leave();
            let (operand, h) = operand?;
            if tok == Tok::Plus {
                return Ok((operand, h));
            }
            self.spans.push(start);
            let node = Node::Unary {
                op: UnaryOp::Neg,
                operand: Box::new(operand),
            };
            return self.check_height((node, h + 1));
        }
        self.power()
    }

    /// `power := primary [('^' | '**') unary]` — right-associative, and the
    /// exponent may carry a sign: `2^-1`, `a^b^c` = `a^(b^c)`.
    fn power(&mut self) -> PResult {
        let start = self.peek().col;
        let base = self.primary()?;
        if self.eat(&Tok::Caret) {
            self.enter()?;
            let exponent = self.unary();
            self.leave();
            self.spans.push(start);
            return self.check_height(binary(BinaryOp::Pow, base, exponent?));
        }
        Ok(base)
    }

    /// `primary := number | string | name | quoted | name '(' args ')' | '(' expr ')'`
    fn primary(&mut self) -> PResult {
        let t = self.peek().clone();
        match t.tok {
            Tok::Num(x) => {
                self.advance();
                self.spans.push(t.col);
                Ok((Node::Num(x), 1))
            }
            Tok::Str(s) => {
                self.advance();
                self.spans.push(t.col);
                Ok((Node::Str(s), 1))
            }
            Tok::Ident if self.peek_at(1).tok == Tok::LParen => self.call(),
            Tok::Ident => {
                self.advance();
                Ok(self.variable(t.text, t.col))
            }
            Tok::QuotedIdent(ref name) => {
                self.advance();
                if self.peek().tok == Tok::LParen {
                    let mut msg = format!(
                        "quoted names are variables, not functions: found '(' after {}",
                        t.text
                    );
                    if let Some(func) = Func::from_name(name) {
                        msg.push_str(&format!(
                            "; to call '{}', write its name without backticks",
                            func.name()
                        ));
                    }
                    return Err(self.error_here(msg));
                }
                Ok(self.variable(name, t.col))
            }
            Tok::LParen => {
                let open = self.pos;
                self.advance();
                let inner = self.expr()?;
                if !self.eat(&Tok::RParen) {
                    let msg = format!(
                        "expected ')' to close the '(' at column {}{}",
                        self.tokens[open].col,
                        self.found()
                    );
                    return Err(self.error_here(msg));
                }
                Ok(inner)
            }
            _ => {
                let what = match self.pos.checked_sub(1).map(|i| &self.tokens[i].tok) {
                    None => "an expression",
                    Some(prev) if is_arithmetic(prev) => "a number, a name or '('",
                    Some(_) => "a number, a string, a name or '('",
                };
                let mut msg = self.unexpected(what);
                if matches!(
                    t.tok,
                    Tok::And | Tok::Or | Tok::Not | Tok::In | Tok::Between
                ) {
                    msg.push_str(&format!(
                        " (a keyword; a variable of that name is written in backticks: `{}`)",
                        t.text
                    ));
                }
                Err(self.error_here(msg))
            }
        }
    }

    /// The variable `name` (unquoted), first seen at `col` unless seen before.
    fn variable(&mut self, name: &str, col: usize) -> Parsed {
        if !self.vars.iter().any(|(v, _)| v == name) {
            self.vars.push((name.to_owned(), col));
        }
        self.spans.push(col);
        (Node::Var(name.to_owned()), 1)
    }

    /// `name '(' [expr (',' expr)*] ')'`, with the name known to be followed
    /// by `(`. Checks the function exists and the number of arguments.
    fn call(&mut self) -> PResult {
        let name_index = self.pos;
        let name = self.advance();
        let Some(func) = Func::from_name(name.text) else {
            let names: Vec<&str> = Func::ALL.iter().map(|f| f.name()).collect();
            let mut msg = format!("unknown function '{}'", name.text);
            if let Some(s) = closest(name.text, names.iter().copied()) {
                msg.push_str(&format!("; did you mean '{s}'?"));
            }
            msg.push_str(&format!(" (functions: {})", names.join(", ")));
            return Err(self.error_at(name_index, msg));
        };
        self.advance(); // '('
        let (args, h) = if self.eat(&Tok::RParen) {
            (Vec::new(), 0)
        } else {
            self.comma_list(&format!("in the arguments of '{}'", name.text))?
        };
        let (min, max) = func.arity();
        if args.len() < min || max.is_some_and(|m| args.len() > m) {
            let plural = |n: usize| if n == 1 { "argument" } else { "arguments" };
            let wanted = match max {
                Some(m) if m == min => format!("{min} {}", plural(min)),
                Some(m) => format!("{min} to {m} arguments"),
                None => format!("at least {min} {}", plural(min)),
            };
            let msg = format!("'{}' takes {wanted}, found {}", func.name(), args.len());
            return Err(self.error_at(name_index, msg));
        }
        if func == Func::Missing && !matches!(args[0], Node::Var(_)) {
            let msg = format!("the argument of '{}' must be a variable name", name.text);
            return Err(self.error_at(name_index + 2, msg));
        }
        self.spans.push(name.col);
        self.check_height((Node::Call { func, args }, h + 1))
    }
}
