//! JSON text to a [`Json`] tree (RFC 8259), and back to text.
//!
//! Written out instead of serde_json: the app reads a few small documents (config, catalog) and
//! checks GeoJSON before the browser's own `JSON.parse` builds what Leaflet draws, so a small
//! parser without serde's generic machinery serves, at a fraction of the wasm size. Objects keep
//! their keys in document order (popups list properties as the data has them). Nesting is capped
//! at [`MAX_DEPTH`], so hostile input cannot overflow the stack.

use std::fmt::{self, Write as _};

/// Deeper documents are refused: real configs and GeoJSON nest fewer than 10 levels.
pub const MAX_DEPTH: usize = 128;

#[derive(Debug, Clone, PartialEq)]
pub enum Json {
    Null,
    Bool(bool),
    Number(f64),
    String(String),
    Array(Vec<Json>),
    /// Members in document order. A repeated key keeps every member; [`Json::get`] returns the
    /// last one, as `JSON.parse` does.
    Object(Vec<(String, Json)>),
}

/// Why a text is not JSON, and where: 1-based line and column, as editors count them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JsonError {
    pub line: usize,
    pub column: usize,
    pub message: &'static str,
}

impl fmt::Display for JsonError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} at line {}, column {}", self.message, self.line, self.column)
    }
}

static NULL: Json = Json::Null;

impl Json {
    /// Parses a whole JSON text (leading and trailing whitespace allowed, nothing else).
    pub fn parse(text: &str) -> Result<Json, JsonError> {
        let mut parser = Parser { text: text.as_bytes(), at: 0 };
        parser.skip_space();
        let value = parser.value(0)?;
        parser.skip_space();
        if parser.at < parser.text.len() {
            return Err(parser.error("trailing characters after the JSON value"));
        }
        Ok(value)
    }

    /// The member `key` of an object (the last one if repeated); `None` for other values.
    pub fn get(&self, key: &str) -> Option<&Json> {
        match self {
            Json::Object(members) => members.iter().rev().find(|(k, _)| k == key).map(|(_, v)| v),
            _ => None,
        }
    }

    /// Like [`Json::get`], with `Null` for a missing member or a non-object.
    pub fn field(&self, key: &str) -> &Json {
        self.get(key).unwrap_or(&NULL)
    }

    /// The item at `index` of an array, `Null` otherwise.
    pub fn item(&self, index: usize) -> &Json {
        match self {
            Json::Array(items) => items.get(index).unwrap_or(&NULL),
            _ => &NULL,
        }
    }

    pub fn as_str(&self) -> Option<&str> {
        match self {
            Json::String(s) => Some(s),
            _ => None,
        }
    }

    pub fn as_f64(&self) -> Option<f64> {
        match self {
            Json::Number(n) => Some(*n),
            _ => None,
        }
    }

    pub fn as_bool(&self) -> Option<bool> {
        match self {
            Json::Bool(b) => Some(*b),
            _ => None,
        }
    }

    pub fn as_array(&self) -> Option<&[Json]> {
        match self {
            Json::Array(items) => Some(items),
            _ => None,
        }
    }

    pub fn as_object(&self) -> Option<&[(String, Json)]> {
        match self {
            Json::Object(members) => Some(members),
            _ => None,
        }
    }

    pub fn is_null(&self) -> bool {
        matches!(self, Json::Null)
    }

    /// What kind of value this is, for messages: "an array", "the string \"x\"", "true".
    pub fn describe(&self) -> String {
        match self {
            Json::Null => "null".into(),
            Json::Bool(b) => b.to_string(),
            Json::Number(n) => format!("the number {}", Number(*n)),
            Json::String(s) => format!("the string {}", Quoted(s)),
            Json::Array(_) => "an array".into(),
            Json::Object(_) => "an object".into(),
        }
    }
}

/// Compact JSON text. Numbers are written as JavaScript writes them (integers without ".0").
impl fmt::Display for Json {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Json::Null => f.write_str("null"),
            Json::Bool(b) => write!(f, "{b}"),
            Json::Number(n) => write!(f, "{}", Number(*n)),
            Json::String(s) => write!(f, "{}", Quoted(s)),
            Json::Array(items) => {
                f.write_char('[')?;
                for (i, item) in items.iter().enumerate() {
                    if i > 0 {
                        f.write_char(',')?;
                    }
                    write!(f, "{item}")?;
                }
                f.write_char(']')
            }
            Json::Object(members) => {
                f.write_char('{')?;
                for (i, (key, value)) in members.iter().enumerate() {
                    if i > 0 {
                        f.write_char(',')?;
                    }
                    write!(f, "{}:{value}", Quoted(key))?;
                }
                f.write_char('}')
            }
        }
    }
}

/// A number as JSON text: whole numbers without a fraction, non-finite ones (never parsed, but
/// possible in values built in code) as `null`.
pub struct Number(pub f64);

impl fmt::Display for Number {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let n = self.0;
        if !n.is_finite() {
            f.write_str("null")
        } else if n == n.trunc() && n.abs() < 1e15 {
            write!(f, "{}", n as i64)
        } else {
            write!(f, "{n}")
        }
    }
}

/// A string as a JSON string literal.
pub struct Quoted<'a>(pub &'a str);

impl fmt::Display for Quoted<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_char('"')?;
        for c in self.0.chars() {
            match c {
                '"' => f.write_str("\\\"")?,
                '\\' => f.write_str("\\\\")?,
                '\n' => f.write_str("\\n")?,
                '\r' => f.write_str("\\r")?,
                '\t' => f.write_str("\\t")?,
                c if (c as u32) < 0x20 => write!(f, "\\u{:04x}", c as u32)?,
                c => f.write_char(c)?,
            }
        }
        f.write_char('"')
    }
}

struct Parser<'a> {
    text: &'a [u8],
    at: usize,
}

impl Parser<'_> {
    fn error(&self, message: &'static str) -> JsonError {
        let upto = &self.text[..self.at.min(self.text.len())];
        let line = upto.iter().filter(|&&b| b == b'\n').count() + 1;
        let line_start = upto.iter().rposition(|&b| b == b'\n').map_or(0, |i| i + 1);
        // Columns count characters, not bytes.
        let column = upto[line_start..].iter().filter(|&&b| (b & 0xC0) != 0x80).count() + 1;
        JsonError { line, column, message }
    }

    fn peek(&self) -> Option<u8> {
        self.text.get(self.at).copied()
    }

    fn skip_space(&mut self) {
        while let Some(b' ' | b'\t' | b'\n' | b'\r') = self.peek() {
            self.at += 1;
        }
    }

    fn expect_word(&mut self, word: &[u8], value: Json) -> Result<Json, JsonError> {
        if self.text[self.at..].starts_with(word) {
            self.at += word.len();
            Ok(value)
        } else {
            Err(self.error("expected a JSON value"))
        }
    }

    fn value(&mut self, depth: usize) -> Result<Json, JsonError> {
        if depth > MAX_DEPTH {
            return Err(self.error("nested too deeply"));
        }
        match self.peek() {
            None => Err(self.error("unexpected end of the text")),
            Some(b'{') => self.object(depth),
            Some(b'[') => self.array(depth),
            Some(b'"') => self.string().map(Json::String),
            Some(b't') => self.expect_word(b"true", Json::Bool(true)),
            Some(b'f') => self.expect_word(b"false", Json::Bool(false)),
            Some(b'n') => self.expect_word(b"null", Json::Null),
            Some(b'-' | b'0'..=b'9') => self.number().map(Json::Number),
            Some(_) => Err(self.error("expected a JSON value")),
        }
    }

    fn object(&mut self, depth: usize) -> Result<Json, JsonError> {
        self.at += 1;
        let mut members = Vec::new();
        self.skip_space();
        if self.peek() == Some(b'}') {
            self.at += 1;
            return Ok(Json::Object(members));
        }
        loop {
            self.skip_space();
            if self.peek() != Some(b'"') {
                return Err(self.error("expected a string key"));
            }
            let key = self.string()?;
            self.skip_space();
            if self.peek() != Some(b':') {
                return Err(self.error("expected ':' after the key"));
            }
            self.at += 1;
            self.skip_space();
            let value = self.value(depth + 1)?;
            members.push((key, value));
            self.skip_space();
            match self.peek() {
                Some(b',') => self.at += 1,
                Some(b'}') => {
                    self.at += 1;
                    return Ok(Json::Object(members));
                }
                _ => return Err(self.error("expected ',' or '}'")),
            }
        }
    }

    fn array(&mut self, depth: usize) -> Result<Json, JsonError> {
        self.at += 1;
        let mut items = Vec::new();
        self.skip_space();
        if self.peek() == Some(b']') {
            self.at += 1;
            return Ok(Json::Array(items));
        }
        loop {
            self.skip_space();
            items.push(self.value(depth + 1)?);
            self.skip_space();
            match self.peek() {
                Some(b',') => self.at += 1,
                Some(b']') => {
                    self.at += 1;
                    return Ok(Json::Array(items));
                }
                _ => return Err(self.error("expected ',' or ']'")),
            }
        }
    }

    fn number(&mut self) -> Result<f64, JsonError> {
        let start = self.at;
        let digits = |p: &mut Self| {
            let from = p.at;
            while let Some(b'0'..=b'9') = p.peek() {
                p.at += 1;
            }
            p.at > from
        };
        if self.peek() == Some(b'-') {
            self.at += 1;
        }
        if self.peek() == Some(b'0') {
            self.at += 1;
        } else if !digits(self) {
            return Err(self.error("invalid number"));
        }
        if self.peek() == Some(b'.') {
            self.at += 1;
            if !digits(self) {
                return Err(self.error("invalid number"));
            }
        }
        if let Some(b'e' | b'E') = self.peek() {
            self.at += 1;
            if let Some(b'+' | b'-') = self.peek() {
                self.at += 1;
            }
            if !digits(self) {
                return Err(self.error("invalid number"));
            }
        }
        // The grammar above admits only ASCII, so the slice is valid UTF-8 and a valid float.
        let text = std::str::from_utf8(&self.text[start..self.at]).map_err(|_| self.error("invalid number"))?;
        text.parse().map_err(|_| self.error("invalid number"))
    }

    fn hex4(&mut self) -> Result<u32, JsonError> {
        let digits = self.text.get(self.at..self.at + 4).ok_or_else(|| self.error("bad \\u escape"))?;
        let mut value = 0;
        for &b in digits {
            let digit = (b as char).to_digit(16).ok_or_else(|| self.error("bad \\u escape"))?;
            value = value * 16 + digit;
        }
        self.at += 4;
        Ok(value)
    }

    fn string(&mut self) -> Result<String, JsonError> {
        self.at += 1;
        let mut out = String::new();
        loop {
            let start = self.at;
            while let Some(b) = self.peek() {
                if b == b'"' || b == b'\\' || b < 0x20 {
                    break;
                }
                self.at += 1;
            }
            // The input is a &str and we stopped at ASCII bytes, so this is a char boundary.
            out.push_str(std::str::from_utf8(&self.text[start..self.at]).map_err(|_| self.error("invalid UTF-8"))?);
            match self.peek() {
                None => return Err(self.error("unterminated string")),
                Some(b'"') => {
                    self.at += 1;
                    return Ok(out);
                }
                Some(b'\\') => {
                    self.at += 1;
                    let escape = self.peek().ok_or_else(|| self.error("unterminated string"))?;
                    self.at += 1;
                    let c = match escape {
                        b'"' => '"',
                        b'\\' => '\\',
                        b'/' => '/',
                        b'b' => '\u{8}',
                        b'f' => '\u{c}',
                        b'n' => '\n',
                        b'r' => '\r',
                        b't' => '\t',
                        b'u' => {
                            let first = self.hex4()?;
                            let code = if (0xD800..0xDC00).contains(&first) && self.text[self.at..].starts_with(b"\\u") {
                                let save = self.at;
                                self.at += 2;
                                let second = self.hex4()?;
                                if (0xDC00..0xE000).contains(&second) {
                                    0x10000 + ((first - 0xD800) << 10) + (second - 0xDC00)
                                } else {
                                    self.at = save;
                                    first
                                }
                            } else {
                                first
                            };
                            // A lone surrogate becomes U+FFFD, as browsers show it.
                            char::from_u32(code).unwrap_or('\u{FFFD}')
                        }
                        _ => {
                            self.at -= 1;
                            return Err(self.error("invalid escape in a string"));
                        }
                    };
                    out.push(c);
                }
                Some(_) => return Err(self.error("control character in a string")),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_every_kind_of_value() {
        let value = Json::parse(r#" {"a": [1, -2.5e3, 0.125, true, false, null], "b": {"c": "d\"\\\/\b\f\n\r\t\u00e9\ud83d\ude00"}, "": []} "#).unwrap();
        assert_eq!(value.get("a").unwrap().as_array().unwrap().len(), 6);
        assert_eq!(value.field("a").item(1).as_f64(), Some(-2500.0));
        assert_eq!(value.field("b").field("c").as_str(), Some("d\"\\/\u{8}\u{c}\n\r\té😀"));
        assert_eq!(value.field("missing"), &Json::Null);
        assert_eq!(value.get("").and_then(Json::as_array).map(<[Json]>::len), Some(0));
    }

    #[test]
    fn keys_keep_document_order_and_the_last_duplicate_wins() {
        let value = Json::parse(r#"{"z": 1, "a": 2, "m": 3, "a": 4}"#).unwrap();
        let keys: Vec<&str> = value.as_object().unwrap().iter().map(|(k, _)| k.as_str()).collect();
        assert_eq!(keys, ["z", "a", "m", "a"]);
        assert_eq!(value.field("a").as_f64(), Some(4.0));
    }

    #[test]
    fn round_trips_through_text() {
        let text = r#"{"name":"Lisboa \"x\"","pop":504718,"area":100.05,"tags":["a",null,true],"nested":{"k":[]},"ctl":"\u0001"}"#;
        assert_eq!(Json::parse(text).unwrap().to_string(), text);
        assert_eq!(Json::Number(1e21).to_string(), "1000000000000000000000");
        assert_eq!(Json::Number(f64::NAN).to_string(), "null");
    }

    #[test]
    fn errors_say_what_and_where() {
        for (text, message, line, column) in [
            ("", "unexpected end of the text", 1, 1),
            ("<html>", "expected a JSON value", 1, 1),
            ("{\n  \"view\": ,\n}", "expected a JSON value", 2, 11),
            ("[1, 2", "expected ',' or ']'", 1, 6),
            ("{\"a\" 1}", "expected ':' after the key", 1, 6),
            ("{a: 1}", "expected a string key", 1, 2),
            ("[01]", "expected ',' or ']'", 1, 3),
            ("[1.]", "invalid number", 1, 4),
            ("[-]", "invalid number", 1, 3),
            ("\"abc", "unterminated string", 1, 5),
            ("\"a\\x\"", "invalid escape in a string", 1, 4),
            ("\"\\u12\"", "bad \\u escape", 1, 4),
            ("\"a\nb\"", "control character in a string", 1, 3),
            ("{} x", "trailing characters after the JSON value", 1, 4),
            ("[tru]", "expected a JSON value", 1, 2),
            ("\"é\" x", "trailing characters after the JSON value", 1, 5),
        ] {
            let error = Json::parse(text).unwrap_err();
            assert_eq!((error.message, error.line, error.column), (message, line, column), "{text:?}");
        }
    }

    #[test]
    fn deep_nesting_is_refused_not_a_stack_overflow() {
        let deep = "[".repeat(100_000);
        assert_eq!(Json::parse(&deep).unwrap_err().message, "nested too deeply");
        let fine = format!("{}{}", "[".repeat(MAX_DEPTH), "]".repeat(MAX_DEPTH));
        assert!(Json::parse(&fine).is_ok());
    }

    #[test]
    fn lone_surrogates_become_replacement_characters() {
        assert_eq!(Json::parse(r#""\ud800x""#).unwrap().as_str(), Some("\u{FFFD}x"));
        assert_eq!(Json::parse(r#""\udc00""#).unwrap().as_str(), Some("\u{FFFD}"));
    }

    fn numbers_as_f64(value: serde_json::Value) -> serde_json::Value {
        use serde_json::Value;
        match value {
            Value::Number(n) => Value::from(n.as_f64().unwrap()),
            Value::Array(items) => Value::Array(items.into_iter().map(numbers_as_f64).collect()),
            Value::Object(members) => Value::Object(members.into_iter().map(|(k, v)| (k, numbers_as_f64(v))).collect()),
            other => other,
        }
    }

    #[test]
    fn agrees_with_serde_json_on_valid_documents() {
        for text in [
            include_str!("../assets/config.json"),
            include_str!("../assets/data/places.geojson"),
            r#"[1e308, 0.1, 2.5, 5e-324, -7]"#,
        ] {
            let ours = Json::parse(text).unwrap().to_string();
            let theirs: serde_json::Value = serde_json::from_str(text).unwrap();
            let back: serde_json::Value = serde_json::from_str(&ours).unwrap();
            // The same keys in the same order and the same numbers (as JavaScript sees them: 31.0
            // and 31 are one number).
            assert_eq!(numbers_as_f64(back).to_string(), numbers_as_f64(theirs).to_string());
        }
    }
}
