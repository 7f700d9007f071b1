//! The tokenizer: any whitespace and comments, `[bracketed]`, `"quoted"` or
//! bare identifiers, `@variables`, numbers, `'strings'` and `N'strings'`,
//! symbols.

use crate::value::SqlError;

#[derive(Debug, Clone, PartialEq)]
pub(super) enum Tok {
    /// An identifier; `quoted` when it was `[..]` or `".."` (never a keyword).
    Ident {
        name: String,
        quoted: bool,
    },
    /// `@name` or `@@name`.
    Var(String),
    Number(String),
    Str {
        text: String,
        national: bool,
    },
    Sym(&'static str),
    Eof,
}

#[derive(Debug, Clone)]
pub(super) struct Token {
    pub(super) tok: Tok,
    /// The token as written, for error messages.
    pub(super) text: String,
}

impl Token {
    /// A token that holds its own text (a variable, number or bare name).
    fn as_written(tok: impl FnOnce(String) -> Tok, text: String) -> Token {
        Token {
            tok: tok(text.clone()),
            text,
        }
    }
}

/// Whether `c` may continue a bare name or a variable.
fn is_name_char(c: char) -> bool {
    c.is_alphanumeric() || "_@#$".contains(c)
}

/// Where the run of characters from `i` that `part` accepts ends.
fn run_end(chars: &[char], mut i: usize, part: impl Fn(char) -> bool) -> usize {
    while i < chars.len() && part(chars[i]) {
        i += 1;
    }
    i
}

/// Reads a quoted run from `i` (just after the opening quote) to the
/// closing `quote`, a doubled `quote` standing for one: the text and the
/// index after the closing quote, or, never closed, the text to the end.
fn quoted(chars: &[char], mut i: usize, quote: char) -> Result<(String, usize), String> {
    let mut s = String::new();
    loop {
        match chars.get(i) {
            None => return Err(s),
            Some(&q) if q == quote && chars.get(i + 1) == Some(&quote) => {
                s.push(quote);
                i += 2;
            }
            Some(&q) if q == quote => return Ok((s, i + 1)),
            Some(&ch) => {
                s.push(ch);
                i += 1;
            }
        }
    }
}

/// A quote or bracket never closed, `after` being what followed it.
fn unclosed(after: &str) -> SqlError {
    SqlError::new(
        105,
        15,
        format!("Unclosed quotation mark after the character string '{after}'."),
    )
}

const SYMBOLS: [&str; 16] = [
    "<=", ">=", "<>", "!=", "!<", "!>", "(", ")", ",", ".", "*", "=", "<", ">", ";", "+",
];

pub(super) fn lex(sql: &str) -> Result<Vec<Token>, SqlError> {
    let chars: Vec<char> = sql.chars().collect();
    let mut out = Vec::new();
    let mut i = 0;
    let text = |a: usize, b: usize| chars[a..b].iter().collect::<String>();
    while i < chars.len() {
        let c = chars[i];
        if c.is_whitespace() {
            i += 1;
            continue;
        }
        if c == '-' && chars.get(i + 1) == Some(&'-') {
            while i < chars.len() && chars[i] != '\n' {
                i += 1;
            }
            continue;
        }
        if c == '/' && chars.get(i + 1) == Some(&'*') {
            let start = i;
            i += 2;
            let mut depth = 1;
            while i < chars.len() && depth > 0 {
                if chars[i] == '/' && chars.get(i + 1) == Some(&'*') {
                    depth += 1;
                    i += 2;
                } else if chars[i] == '*' && chars.get(i + 1) == Some(&'/') {
                    depth -= 1;
                    i += 2;
                } else {
                    i += 1;
                }
            }
            if depth > 0 {
                return Err(SqlError::new(
                    113,
                    15,
                    format!(
                        "Missing end comment mark '*/'. near '{}'",
                        text(start, start + 2)
                    ),
                ));
            }
            continue;
        }
        let start = i;
        if c == '[' {
            let name;
            (name, i) =
                quoted(&chars, i + 1, ']').map_err(|_| unclosed(&text(start + 1, chars.len())))?;
            out.push(Token {
                tok: Tok::Ident { name, quoted: true },
                text: text(start, i),
            });
            continue;
        }
        if c == '"' || c == '\'' || ((c == 'N' || c == 'n') && chars.get(i + 1) == Some(&'\'')) {
            let national = c == 'N' || c == 'n';
            let quote = if national { '\'' } else { c };
            let s;
            (s, i) = quoted(&chars, i + if national { 2 } else { 1 }, quote)
                .map_err(|s| unclosed(&s))?;
            let tok = if quote == '"' {
                Tok::Ident {
                    name: s,
                    quoted: true,
                }
            } else {
                Tok::Str { text: s, national }
            };
            out.push(Token {
                tok,
                text: text(start, i),
            });
            continue;
        }
        if c == '@' {
            i += 1;
            if chars.get(i) == Some(&'@') {
                i += 1;
            }
            i = run_end(&chars, i, is_name_char);
            out.push(Token::as_written(Tok::Var, text(start, i)));
            continue;
        }
        if c.is_ascii_digit() || (c == '.' && chars.get(i + 1).is_some_and(|d| d.is_ascii_digit()))
        {
            i = run_end(&chars, i, |d| d.is_ascii_digit() || d == '.');
            out.push(Token::as_written(Tok::Number, text(start, i)));
            continue;
        }
        if c.is_alphabetic() || c == '_' || c == '#' {
            i = run_end(&chars, i, is_name_char);
            let ident = |name| Tok::Ident {
                name,
                quoted: false,
            };
            out.push(Token::as_written(ident, text(start, i)));
            continue;
        }
        if let Some(sym) = SYMBOLS.iter().find(|s| {
            let s: Vec<char> = s.chars().collect();
            chars[i..].starts_with(&s)
        }) {
            i += sym.chars().count();
            out.push(Token {
                tok: Tok::Sym(sym),
                text: (*sym).to_owned(),
            });
            continue;
        }
        if c == '-' {
            i += 1;
            out.push(Token {
                tok: Tok::Sym("-"),
                text: "-".into(),
            });
            continue;
        }
        return Err(SqlError::syntax(&c.to_string()));
    }
    out.push(Token {
        tok: Tok::Eof,
        text: String::new(),
    });
    Ok(out)
}
