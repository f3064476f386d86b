//! A GeoJSON document checked as it arrives, a feature at a time: a large file is never held
//! whole (only the feature being read is), and its features can be drawn as they come.
//!
//! The bytes are split at the top level only: the members of the top-level object, and the
//! items of its `"features"` array. Each item is judged by the same rules as [`super::parse`]
//! (`check_feature`), its geometry handed to a [`FeatureSink`] as the check reads it (one pass
//! over the text). The verdict at the end is [`Checked`], equal to what [`super::parse`] says of
//! the whole text (a differential test and fuzz target hold the two to that).
//!
//! Documents in an unusual shape (`"features"` before `"type"`, a bare Feature or geometry,
//! anything that is not an object) are kept whole and judged by [`super::parse`] at the end.
//! One shape is refused outright: a top-level `"type"` given again, as something other than
//! `"FeatureCollection"`, after the features were read. `JSON.parse` would keep the later one
//! and so make the whole document one Feature or geometry; no real file does that.

use super::{count_feature, judge_feature, Checked, GeoJsonError, Shape};
pub use super::{FeatureSink, GeometrySink};
use crate::json::{JsonError, Scanner};

/// Where the splitter is in the top level of the document.
#[derive(Debug, Clone, PartialEq)]
enum Top {
    /// Before the top-level value (whitespace, a byte order mark).
    Start,
    /// After `{`: a key or `}`.
    FirstMember,
    /// After `,`: a key.
    Member,
    /// A key was read: `:` next.
    Colon(String),
    /// At the value of the member `key`.
    Value(String),
    /// After a member's value: `,` or `}`.
    AfterValue,
    /// In the features array: an item, or `]` if `first`.
    Item { first: bool },
    /// After an item: `,` or `]`.
    AfterItem,
    /// After the top-level `}`: whitespace only.
    End,
    /// Not streamable: every byte is kept and judged whole at the end.
    Whole,
}

/// How far the search for the end of a value has got (it resumes when more bytes come).
#[derive(Debug, Clone, Default)]
struct ValueScan {
    /// Bytes of the value looked at so far.
    at: usize,
    depth: u32,
    in_string: bool,
    escaped: bool,
}

/// A document checked as its bytes arrive. See the module documentation.
pub struct GeoJsonStream {
    /// Bytes not yet consumed start at `pos`.
    buffer: Vec<u8>,
    pos: usize,
    top: Top,
    scan: ValueScan,
    /// Every byte consumed before the first feature, in case the document turns out to need
    /// reading whole; dropped once features stream.
    head: Option<Vec<u8>>,
    /// The top-level `"type"`, once read.
    type_name: Option<String>,
    /// Features (items of the array) seen so far, valid or not.
    items: usize,
    checked: Checked,
    /// Bytes pushed in all.
    received: u64,
    /// Line and column (1-based) of `buffer[pos]` in the document, for syntax errors.
    line: usize,
    column: usize,
}

impl Default for GeoJsonStream {
    fn default() -> Self {
        Self::new()
    }
}

impl GeoJsonStream {
    pub fn new() -> Self {
        GeoJsonStream {
            buffer: Vec::new(),
            pos: 0,
            top: Top::Start,
            scan: ValueScan::default(),
            head: Some(Vec::new()),
            type_name: None,
            items: 0,
            checked: empty_verdict(),
            received: 0,
            line: 1,
            column: 1,
        }
    }

    /// Bytes received so far.
    pub fn received(&self) -> u64 {
        self.received
    }

    /// Features with a geometry handed to the sink so far.
    pub fn features(&self) -> usize {
        self.checked.features
    }

    /// Takes the next bytes of the document; features complete in them go to `sink`. An error
    /// ends the document: it is not GeoJSON (or not JSON) whatever follows.
    pub fn push(&mut self, bytes: &[u8], sink: &mut impl FeatureSink) -> Result<(), GeoJsonError> {
        self.received += bytes.len() as u64;
        self.buffer.extend_from_slice(bytes);
        let result = self.advance(sink, false);
        self.compact();
        result
    }

    /// The document is complete: the verdict on it, as [`super::parse`] gives it.
    pub fn finish(mut self, sink: &mut impl FeatureSink) -> Result<Checked, GeoJsonError> {
        self.advance(sink, true)?;
        // A document whose features never streamed (a lone Feature, a geometry, no "features"
        // array, something cut short early...) was kept whole.
        if self.head.is_some() {
            return self.judge_whole(sink);
        }
        // Cut short: worded as the scanner words what it expected there.
        let expected = match self.top {
            Top::End => return Ok(self.checked),
            Top::AfterItem => "expected ',' or ']'",
            Top::AfterValue => "expected ',' or '}'",
            Top::FirstMember | Top::Member => "expected a string key",
            Top::Colon(_) => "expected ':' after the key",
            _ => "unexpected end of the text",
        };
        Err(self.syntax(expected))
    }

    /// Consumes what can be consumed.
    fn advance(&mut self, sink: &mut impl FeatureSink, at_end: bool) -> Result<(), GeoJsonError> {
        loop {
            if self.top == Top::Whole {
                return Ok(());
            }
            if !matches!(self.top, Top::Value(_) | Top::Item { .. }) || self.scan.at == 0 {
                self.skip_space();
            }
            let Some(&byte) = self.buffer.get(self.pos) else {
                return Ok(());
            };
            match std::mem::replace(&mut self.top, Top::End) {
                Top::Start => {
                    if self.offset() == 0
                        && self.buffer[self.pos..].starts_with("\u{feff}".as_bytes())
                    {
                        self.consume(3);
                        // Positions are counted in the text after the mark, as the whole-text
                        // check (given the text without it) counts them.
                        self.column = 1;
                        self.top = Top::Start;
                    } else if byte == b'{' {
                        self.consume(1);
                        self.top = Top::FirstMember;
                    } else {
                        self.top = Top::Whole;
                    }
                }
                Top::FirstMember if byte == b'}' => {
                    self.consume(1);
                    self.top = Top::End;
                }
                Top::FirstMember | Top::Member => {
                    if byte != b'"' {
                        return Err(self.syntax("expected a string key"));
                    }
                    let Some(end) = self.value_end(at_end) else {
                        self.top = Top::Member;
                        return Ok(());
                    };
                    let key = {
                        let text = self.text(end)?;
                        let mut scanner = Scanner::new(text);
                        scanner
                            .string()
                            .map(|k| k.into_owned())
                            .map_err(|e| self.relocate(e))?
                    };
                    self.consume(end);
                    self.top = Top::Colon(key);
                }
                Top::Colon(key) => {
                    if byte != b':' {
                        return Err(self.syntax("expected ':' after the key"));
                    }
                    self.consume(1);
                    self.top = Top::Value(key);
                }
                Top::Value(key) => {
                    if key == "features" && byte == b'[' && self.scan.at == 0 {
                        if self.type_name.as_deref() != Some("FeatureCollection") {
                            // The type is not known yet (or is another): judged whole.
                            self.top = Top::Whole;
                            continue;
                        }
                        self.consume(1);
                        self.head = None;
                        if self.items > 0 || self.checked.features > 0 {
                            sink.reset();
                        }
                        self.items = 0;
                        self.checked = empty_verdict();
                        self.top = Top::Item { first: true };
                        continue;
                    }
                    let Some(end) = self.value_end(at_end) else {
                        self.top = Top::Value(key);
                        return Ok(());
                    };
                    if end == 0 {
                        return Err(self.syntax("expected a JSON value"));
                    }
                    let text = self.text(end)?;
                    let mut scanner = Scanner::new(text);
                    let value = if key == "type" && byte == b'"' {
                        scanner.string().map(|s| Some(s.into_owned()))
                    } else {
                        scanner.skip_value(1).map(|()| None)
                    };
                    let value = value.map_err(|e| self.relocate(e))?;
                    // What follows a number or literal in the same run of bytes is the next
                    // token's business: reported (next) as the whole-text check reports it.
                    let clean = scanner.offset() == end;
                    let end = scanner.offset();
                    if !clean {
                        // The syntax error comes first.
                    } else if key == "type" {
                        if self.head.is_none() && value.as_deref() != Some("FeatureCollection") {
                            return Err(GeoJsonError(
                                "the top-level \"type\" changes after the features".into(),
                            ));
                        }
                        self.type_name = value;
                    } else if key == "features" && self.head.is_none() {
                        // Not an array, after an array was read: as parse says of it.
                        return Err(GeoJsonError(
                            "a FeatureCollection needs a \"features\" array".into(),
                        ));
                    }
                    self.consume(end);
                    self.top = Top::AfterValue;
                }
                Top::AfterValue => {
                    self.consume(1);
                    self.top = match byte {
                        b',' => Top::Member,
                        b'}' => Top::End,
                        _ => return Err(self.syntax_before("expected ',' or '}'")),
                    };
                }
                Top::Item { first: true } if byte == b']' => {
                    self.consume(1);
                    self.top = Top::AfterValue;
                }
                Top::Item { .. } => {
                    let Some(end) = self.value_end(at_end) else {
                        self.top = Top::Item { first: false };
                        return Ok(());
                    };
                    if end == 0 {
                        return Err(self.syntax("expected a JSON value"));
                    }
                    let used = self.take_feature(end, sink)?;
                    self.consume(used);
                    self.top = Top::AfterItem;
                }
                Top::AfterItem => {
                    self.consume(1);
                    self.top = match byte {
                        b',' => Top::Item { first: false },
                        b']' => Top::AfterValue,
                        _ => return Err(self.syntax_before("expected ',' or ']'")),
                    };
                }
                Top::End => return Err(self.syntax("trailing characters after the JSON value")),
                Top::Whole => unreachable!("handled above"),
            }
        }
    }

    /// One item of the features array (`end` bytes from `pos`), judged as `parse` judges it.
    /// Returns the bytes the item is (what follows it in a run of scalar bytes is the next
    /// token's business).
    fn take_feature(
        &mut self,
        end: usize,
        sink: &mut impl FeatureSink,
    ) -> Result<usize, GeoJsonError> {
        let index = self.items;
        self.items += 1;
        let text = std::str::from_utf8(&self.buffer[self.pos..self.pos + end])
            .map_err(|e| not_utf8(self.offset() + e.valid_up_to()))?;
        let mut scanner = Scanner::new(text);
        let verdict = judge_feature(&mut scanner, sink).map_err(|e| self.relocate(e))?;
        count_feature(&mut self.checked, index, verdict);
        Ok(scanner.offset())
    }

    /// A document kept whole: [`super::parse`]'s verdict, its features to the sink.
    fn judge_whole(mut self, sink: &mut impl FeatureSink) -> Result<Checked, GeoJsonError> {
        let mut bytes = self.head.take().unwrap_or_default();
        bytes.extend_from_slice(&self.buffer[self.pos..]);
        let text = String::from_utf8(bytes).map_err(|e| not_utf8(e.utf8_error().valid_up_to()))?;
        super::parse_with(text.strip_prefix('\u{feff}').unwrap_or(&text), sink)
    }

    /// Skips JSON whitespace.
    fn skip_space(&mut self) {
        let mut n = 0;
        while let Some(b' ' | b'\t' | b'\n' | b'\r') = self.buffer.get(self.pos + n) {
            n += 1;
        }
        if n > 0 {
            self.consume(n);
        }
    }

    /// Consumes `n` bytes, keeping them if the document may yet be read whole.
    fn consume(&mut self, n: usize) {
        let bytes = &self.buffer[self.pos..self.pos + n];
        for &b in bytes {
            if b == b'\n' {
                self.line += 1;
                self.column = 1;
            } else if b & 0xC0 != 0x80 {
                self.column += 1;
            }
        }
        if let Some(head) = &mut self.head {
            head.extend_from_slice(bytes);
        }
        self.pos += n;
        self.scan = ValueScan::default();
    }

    /// Drops consumed bytes once they are most of the buffer (amortised: each byte moves once).
    fn compact(&mut self) {
        if self.top == Top::Whole {
            // Everything is kept: move what is pending into the head.
            if let Some(head) = &mut self.head {
                head.extend_from_slice(&self.buffer[self.pos..]);
                self.pos = self.buffer.len();
            }
        }
        if self.pos > 0 && self.pos * 2 >= self.buffer.len() {
            self.buffer.drain(..self.pos);
            self.pos = 0;
        }
    }

    /// Where the value at `pos` ends (bytes from `pos`), once it has all arrived. A number or
    /// literal ends at the first byte that cannot be part of one; at the end of the document, at
    /// the end.
    fn value_end(&mut self, at_end: bool) -> Option<usize> {
        let bytes = &self.buffer[self.pos..];
        let scan = &mut self.scan;
        let first = *bytes.first()?;
        let scalar = !matches!(first, b'{' | b'[' | b'"');
        while let Some(&b) = bytes.get(scan.at) {
            if scalar {
                // A number or literal is made of these only; what follows is the next token
                // (or garbage the state machine reports as the whole-text check does).
                if !(b.is_ascii_alphanumeric() || matches!(b, b'+' | b'-' | b'.')) {
                    return Some(scan.at);
                }
            } else if scan.in_string {
                if scan.escaped {
                    scan.escaped = false;
                } else if b == b'\\' {
                    scan.escaped = true;
                } else if b == b'"' {
                    scan.in_string = false;
                    if scan.depth == 0 {
                        return Some(scan.at + 1);
                    }
                }
            } else {
                match b {
                    b'"' => scan.in_string = true,
                    b'{' | b'[' => scan.depth += 1,
                    b'}' | b']' => {
                        scan.depth = scan.depth.saturating_sub(1);
                        if scan.depth == 0 {
                            return Some(scan.at + 1);
                        }
                    }
                    _ => {}
                }
            }
            scan.at += 1;
        }
        // Incomplete: a scalar at the very end of the document ends there; anything else is
        // cut short (the check of its text says so).
        at_end.then_some(scan.at)
    }

    /// The `end` bytes at `pos` as text.
    fn text(&self, end: usize) -> Result<&str, GeoJsonError> {
        let bytes = &self.buffer[self.pos..self.pos + end];
        std::str::from_utf8(bytes).map_err(|e| not_utf8(self.offset() + e.valid_up_to()))
    }

    /// The offset of `buffer[pos]` in the document.
    fn offset(&self) -> usize {
        self.received as usize - (self.buffer.len() - self.pos)
    }

    /// A syntax error at `pos`, worded as [`Scanner`] words it.
    fn syntax(&self, message: &'static str) -> GeoJsonError {
        not_json(JsonError {
            line: self.line,
            column: self.column,
            message,
        })
    }

    /// A syntax error at the byte just consumed.
    fn syntax_before(&self, message: &'static str) -> GeoJsonError {
        not_json(JsonError {
            line: self.line,
            column: self.column.saturating_sub(1).max(1),
            message,
        })
    }

    /// An error found in text that starts at `pos`, placed in the whole document.
    fn relocate(&self, mut error: JsonError) -> GeoJsonError {
        if error.line == 1 {
            error.column += self.column - 1;
        }
        error.line += self.line - 1;
        not_json(error)
    }
}

fn empty_verdict() -> Checked {
    Checked {
        shape: Shape::FeatureCollection,
        features: 0,
        without_geometry: 0,
        dropped: Vec::new(),
        issues: Vec::new(),
    }
}

fn not_json(error: JsonError) -> GeoJsonError {
    GeoJsonError(format!("the response is not JSON ({error})"))
}

fn not_utf8(byte: usize) -> GeoJsonError {
    GeoJsonError(format!("not UTF-8 text (byte {byte})"))
}

#[cfg(test)]
mod tests;
