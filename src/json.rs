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
        write!(
            f,
            "{} at line {}, column {}",
            self.message, self.line, self.column
        )
    }
}

static NULL: Json = Json::Null;

impl Json {
    /// Parses a whole JSON text (leading and trailing whitespace allowed, nothing else).
    pub fn parse(text: &str) -> Result<Json, JsonError> {
        let mut parser = Parser {
            scanner: Scanner::new(text),
        };
        let value = parser.value(0)?;
        parser.scanner.end()?;
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
            write!(f, "{}", crate::math::Decimal(n))
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

/// Reads JSON text token by token without building anything: what both [`Json::parse`] and the
/// streaming GeoJSON check ([`crate::geojson`]) are made of. Positions are byte offsets.
pub struct Scanner<'a> {
    text: &'a str,
    at: usize,
}

impl<'a> Scanner<'a> {
    pub fn new(text: &'a str) -> Self {
        Scanner { text, at: 0 }
    }

    /// A scanner positioned at `offset` (a value's start recorded earlier).
    pub fn at(text: &'a str, offset: usize) -> Self {
        Scanner { text, at: offset }
    }

    pub fn offset(&self) -> usize {
        self.at
    }

    /// The whole text being scanned.
    pub fn text(&self) -> &'a str {
        self.text
    }

    pub fn error(&self, message: &'static str) -> JsonError {
        let upto = &self.text.as_bytes()[..self.at.min(self.text.len())];
        let line = upto.iter().filter(|&&b| b == b'\n').count() + 1;
        let line_start = upto.iter().rposition(|&b| b == b'\n').map_or(0, |i| i + 1);
        // Columns count characters, not bytes.
        let column = upto[line_start..]
            .iter()
            .filter(|&&b| (b & 0xC0) != 0x80)
            .count()
            + 1;
        JsonError {
            line,
            column,
            message,
        }
    }

    #[inline]
    pub fn peek(&self) -> Option<u8> {
        self.text.as_bytes().get(self.at).copied()
    }

    #[inline]
    pub fn skip_space(&mut self) {
        let bytes = self.text.as_bytes();
        while let Some(b' ' | b'\t' | b'\n' | b'\r') = bytes.get(self.at) {
            self.at += 1;
        }
    }

    /// Consumes `byte` (after whitespace) or fails with `message`.
    pub fn expect(&mut self, byte: u8, message: &'static str) -> Result<(), JsonError> {
        self.skip_space();
        if self.peek() == Some(byte) {
            self.at += 1;
            Ok(())
        } else {
            Err(self.error(message))
        }
    }

    /// After an item of an array or object: true if another follows (a ',' was consumed), false
    /// at the closing `close` (consumed).
    pub fn more(&mut self, close: u8, message: &'static str) -> Result<bool, JsonError> {
        self.skip_space();
        match self.peek() {
            Some(b',') => {
                self.at += 1;
                Ok(true)
            }
            Some(b) if b == close => {
                self.at += 1;
                Ok(false)
            }
            _ => Err(self.error(message)),
        }
    }

    /// Opens an array or object (`open` is '[' or '{'); false if it is empty (and closed).
    pub fn open(&mut self, open: u8, close: u8) -> bool {
        debug_assert_eq!(self.peek(), Some(open));
        self.at += 1;
        self.skip_space();
        if self.peek() == Some(close) {
            self.at += 1;
            false
        } else {
            true
        }
    }

    /// An object member's key and the ':' after it; at the value's start on return.
    pub fn key(&mut self) -> Result<std::borrow::Cow<'a, str>, JsonError> {
        self.skip_space();
        if self.peek() != Some(b'"') {
            return Err(self.error("expected a string key"));
        }
        let key = self.string()?;
        self.expect(b':', "expected ':' after the key")?;
        self.skip_space();
        Ok(key)
    }

    fn word(&mut self, word: &str) -> Result<(), JsonError> {
        if self.text[self.at..].starts_with(word) {
            self.at += word.len();
            Ok(())
        } else {
            Err(self.error("expected a JSON value"))
        }
    }

    pub fn literal(&mut self) -> Result<Json, JsonError> {
        match self.peek() {
            Some(b't') => self.word("true").map(|()| Json::Bool(true)),
            Some(b'f') => self.word("false").map(|()| Json::Bool(false)),
            _ => self.word("null").map(|()| Json::Null),
        }
    }

    /// Skips a whole value, checking its syntax: nothing is built, numbers are not converted.
    pub fn skip_value(&mut self, depth: usize) -> Result<(), JsonError> {
        self.skip_space();
        if depth > MAX_DEPTH {
            return Err(self.error("nested too deeply"));
        }
        match self.peek() {
            None => Err(self.error("unexpected end of the text")),
            Some(b'{') => {
                if self.open(b'{', b'}') {
                    loop {
                        self.key()?;
                        self.skip_value(depth + 1)?;
                        if !self.more(b'}', "expected ',' or '}'")? {
                            break;
                        }
                    }
                }
                Ok(())
            }
            Some(b'[') => {
                if self.open(b'[', b']') {
                    loop {
                        self.skip_value(depth + 1)?;
                        if !self.more(b']', "expected ',' or ']'")? {
                            break;
                        }
                    }
                }
                Ok(())
            }
            Some(b'"') => self.string().map(drop),
            Some(b'-' | b'0'..=b'9') => self.number_text().map(drop),
            Some(b't' | b'f' | b'n') => self.literal().map(drop),
            Some(_) => Err(self.error("expected a JSON value")),
        }
    }

    /// The text of a number (RFC 8259 grammar), consumed.
    fn number_text(&mut self) -> Result<&'a str, JsonError> {
        let bytes = self.text.as_bytes();
        let start = self.at;
        let digits = |at: &mut usize| {
            let from = *at;
            while let Some(b'0'..=b'9') = bytes.get(*at) {
                *at += 1;
            }
            *at > from
        };
        let mut at = self.at;
        if bytes.get(at) == Some(&b'-') {
            at += 1;
        }
        if bytes.get(at) == Some(&b'0') {
            at += 1;
        } else if !digits(&mut at) {
            self.at = at;
            return Err(self.error("invalid number"));
        }
        if bytes.get(at) == Some(&b'.') {
            at += 1;
            if !digits(&mut at) {
                self.at = at;
                return Err(self.error("invalid number"));
            }
        }
        if let Some(b'e' | b'E') = bytes.get(at) {
            at += 1;
            if let Some(b'+' | b'-') = bytes.get(at) {
                at += 1;
            }
            if !digits(&mut at) {
                self.at = at;
                return Err(self.error("invalid number"));
            }
        }
        self.at = at;
        Ok(&self.text[start..at])
    }

    /// A number, as the nearest f64.
    pub fn number(&mut self) -> Result<f64, JsonError> {
        let text = self.number_text()?;
        fast_decimal(text).map_or_else(
            || text.parse().map_err(|_| self.error("invalid number")),
            Ok,
        )
    }

    /// A string (at its opening quote), unescaped; borrowed when it has no escapes.
    pub fn string(&mut self) -> Result<std::borrow::Cow<'a, str>, JsonError> {
        let bytes = self.text.as_bytes();
        self.at += 1;
        let start = self.at;
        while let Some(&b) = bytes.get(self.at) {
            if b == b'"' {
                self.at += 1;
                return Ok(std::borrow::Cow::Borrowed(&self.text[start..self.at - 1]));
            }
            if b == b'\\' || b < 0x20 {
                break;
            }
            self.at += 1;
        }
        let mut out = String::from(&self.text[start..self.at]);
        loop {
            let run = self.at;
            while let Some(&b) = bytes.get(self.at) {
                if b == b'"' || b == b'\\' || b < 0x20 {
                    break;
                }
                self.at += 1;
            }
            // Stopped at an ASCII byte (or the end), so this is a char boundary.
            out.push_str(&self.text[run..self.at]);
            match self.peek() {
                None => return Err(self.error("unterminated string")),
                Some(b'"') => {
                    self.at += 1;
                    return Ok(std::borrow::Cow::Owned(out));
                }
                Some(b'\\') => {
                    self.at += 1;
                    let escape = self
                        .peek()
                        .ok_or_else(|| self.error("unterminated string"))?;
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
                        b'u' => self.unicode_escape()?,
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

    fn hex4(&mut self) -> Result<u32, JsonError> {
        let digits = self
            .text
            .as_bytes()
            .get(self.at..self.at + 4)
            .ok_or_else(|| self.error("bad \\u escape"))?;
        let mut value = 0;
        for &b in digits {
            let digit = (b as char)
                .to_digit(16)
                .ok_or_else(|| self.error("bad \\u escape"))?;
            value = value * 16 + digit;
        }
        self.at += 4;
        Ok(value)
    }

    fn unicode_escape(&mut self) -> Result<char, JsonError> {
        let first = self.hex4()?;
        let code = if (0xD800..0xDC00).contains(&first) && self.text[self.at..].starts_with("\\u") {
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
        Ok(char::from_u32(code).unwrap_or('\u{FFFD}'))
    }

    /// Only whitespace is left.
    pub fn end(&mut self) -> Result<(), JsonError> {
        self.skip_space();
        if self.at < self.text.len() {
            return Err(self.error("trailing characters after the JSON value"));
        }
        Ok(())
    }
}

/// Powers of ten exactly representable as f64.
const POWERS_OF_TEN: [f64; 23] = [
    1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15, 1e16,
    1e17, 1e18, 1e19, 1e20, 1e21, 1e22,
];

/// The common case of coordinates and properties (`-12.4534`: at most 15 significant digits, no
/// exponent) converted exactly without the general algorithm: a whole number below 2^53 divided
/// by an exact power of ten is correctly rounded (Clinger's fast path). `None` for anything else.
fn fast_decimal(text: &str) -> Option<f64> {
    let (negative, digits) = match text.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, text),
    };
    let mut mantissa: u64 = 0;
    let mut significant = 0;
    let mut fraction_digits: Option<usize> = None;
    for b in digits.bytes() {
        match b {
            b'0'..=b'9' => {
                mantissa = mantissa * 10 + u64::from(b - b'0');
                if mantissa > 0 {
                    significant += 1;
                }
                if let Some(n) = &mut fraction_digits {
                    *n += 1;
                }
                if significant > 15 {
                    return None;
                }
            }
            b'.' => fraction_digits = Some(0),
            _ => return None,
        }
    }
    let value = mantissa as f64 / *POWERS_OF_TEN.get(fraction_digits.unwrap_or(0))?;
    Some(if negative { -value } else { value })
}

struct Parser<'a> {
    scanner: Scanner<'a>,
}

impl Parser<'_> {
    fn value(&mut self, depth: usize) -> Result<Json, JsonError> {
        let scanner = &mut self.scanner;
        scanner.skip_space();
        if depth > MAX_DEPTH {
            return Err(scanner.error("nested too deeply"));
        }
        match scanner.peek() {
            None => Err(scanner.error("unexpected end of the text")),
            Some(b'{') => {
                let mut members = Vec::new();
                if self.scanner.open(b'{', b'}') {
                    loop {
                        let key = self.scanner.key()?.into_owned();
                        let value = self.value(depth + 1)?;
                        members.push((key, value));
                        if !self.scanner.more(b'}', "expected ',' or '}'")? {
                            break;
                        }
                    }
                }
                Ok(Json::Object(members))
            }
            Some(b'[') => {
                let mut items = Vec::new();
                if self.scanner.open(b'[', b']') {
                    loop {
                        items.push(self.value(depth + 1)?);
                        if !self.scanner.more(b']', "expected ',' or ']'")? {
                            break;
                        }
                    }
                }
                Ok(Json::Array(items))
            }
            Some(b'"') => scanner.string().map(|s| Json::String(s.into_owned())),
            Some(b'-' | b'0'..=b'9') => scanner.number().map(Json::Number),
            Some(b't' | b'f' | b'n') => scanner.literal(),
            Some(_) => Err(scanner.error("expected a JSON value")),
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
        assert_eq!(
            value.field("b").field("c").as_str(),
            Some("d\"\\/\u{8}\u{c}\n\r\té😀")
        );
        assert_eq!(value.field("missing"), &Json::Null);
        assert_eq!(
            value.get("").and_then(Json::as_array).map(<[Json]>::len),
            Some(0)
        );
    }

    #[test]
    fn keys_keep_document_order_and_the_last_duplicate_wins() {
        let value = Json::parse(r#"{"z": 1, "a": 2, "m": 3, "a": 4}"#).unwrap();
        let keys: Vec<&str> = value
            .as_object()
            .unwrap()
            .iter()
            .map(|(k, _)| k.as_str())
            .collect();
        assert_eq!(keys, ["z", "a", "m", "a"]);
        assert_eq!(value.field("a").as_f64(), Some(4.0));
    }

    #[test]
    fn round_trips_through_text() {
        let text = r#"{"name":"Lisboa \"x\"","pop":504718,"area":100.05,"tags":["a",null,true],"nested":{"k":[]},"ctl":"\u0001"}"#;
        assert_eq!(Json::parse(text).unwrap().to_string(), text);
        // As the browser writes it (and JSON reads it back): `math::number_text_as_javascript`.
        assert_eq!(Json::Number(1e21).to_string(), "1e+21");
        assert_eq!(Json::parse("1e+21").unwrap().as_f64(), Some(1e21));
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
            assert_eq!(
                (error.message, error.line, error.column),
                (message, line, column),
                "{text:?}"
            );
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
    fn the_fast_number_path_agrees_with_the_general_one() {
        for text in [
            "0",
            "-0",
            "12.4534",
            "-179.9999",
            "90",
            "0.1",
            "123456789012345",
            "1.00000000000001",
            "0.30000000000000004",
            "41.90330000000001",
        ] {
            let general: f64 = text.parse().unwrap();
            assert_eq!(
                Scanner::new(text).number().unwrap().to_bits(),
                general.to_bits(),
                "{text}"
            );
        }
        assert_eq!(fast_decimal("1e5"), None);
        assert_eq!(fast_decimal("1234567890123456"), None);
        assert_eq!(fast_decimal("0.00000000000000000000001"), None);
    }

    #[test]
    fn lone_surrogates_become_replacement_characters() {
        assert_eq!(
            Json::parse(r#""\ud800x""#).unwrap().as_str(),
            Some("\u{FFFD}x")
        );
        assert_eq!(
            Json::parse(r#""\udc00""#).unwrap().as_str(),
            Some("\u{FFFD}")
        );
    }

    fn numbers_as_f64(value: serde_json::Value) -> serde_json::Value {
        use serde_json::Value;
        match value {
            Value::Number(n) => Value::from(n.as_f64().unwrap()),
            Value::Array(items) => Value::Array(items.into_iter().map(numbers_as_f64).collect()),
            Value::Object(members) => Value::Object(
                members
                    .into_iter()
                    .map(|(k, v)| (k, numbers_as_f64(v)))
                    .collect(),
            ),
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
            assert_eq!(
                numbers_as_f64(back).to_string(),
                numbers_as_f64(theirs).to_string()
            );
        }
    }
}
