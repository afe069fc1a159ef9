//! The XML underneath the ISO 20022 messages: a small element tree read with quick-xml's
//! namespace-aware event reader, and a writer that escapes every text.
//!
//! The tree keeps what the messages need — local names, the namespace, attributes, text, and
//! where each element starts (line and column, for errors a person can find in the file) — and
//! refuses what they never contain and what could make a reader misbehave: a DOCTYPE (and so any
//! entity but the five predefined ones), an unbound prefix, text outside the root. Size, depth
//! and element count are bounded by the caller's [`Limits`], so a hostile file costs at most
//! that much memory and the tree's recursive drop stays shallow.

use std::fmt;

use quick_xml::escape::resolve_xml_entity;
use quick_xml::events::{BytesDecl, BytesEnd, BytesRef, BytesStart, BytesText, Event};
use quick_xml::name::ResolveResult;
use quick_xml::{NsReader, Writer, XmlVersion};

/// Bounds on what one read may cost.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Limits {
    pub bytes_max: usize,
    /// Nesting of elements, the root being 1.
    pub depth_max: usize,
    pub elements_max: usize,
}

/// One element of a read document.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Element {
    /// The local name, without prefix.
    pub name: String,
    /// The namespace the element's prefix (or the default namespace) is bound to.
    pub namespace: Option<String>,
    /// Local names and values (predefined entities resolved, whitespace normalized); namespace
    /// declarations are not attributes.
    pub attributes: Vec<(String, String)>,
    /// Every piece of character data directly inside the element, in order, references
    /// resolved and line ends normalized. Not trimmed: free text keeps its spaces.
    pub text: String,
    pub children: Vec<Element>,
    /// Where the start tag begins: 1-based line and column (in characters).
    pub at: TextPosition,
}

/// A place in the text of a message: 1-based line and column, the column counted in characters.
/// `0:0` stands for the message as a whole (its size).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Default)]
pub struct TextPosition {
    pub line: usize,
    pub column: usize,
}

impl fmt::Display for TextPosition {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "line {}, column {}", self.line, self.column)
    }
}

impl Element {
    /// The children with this local name, in document order.
    pub fn children_named<'e, 'n>(&'e self, name: &'n str) -> impl Iterator<Item = &'e Element> + use<'e, 'n> {
        self.children.iter().filter(move |child| child.name == name)
    }

    /// The first child with this local name.
    pub fn child(&self, name: &str) -> Option<&Element> {
        self.children.iter().find(|child| child.name == name)
    }

    /// The first element down a path of local names.
    pub fn path(&self, names: &[&str]) -> Option<&Element> {
        names.iter().try_fold(self, |element, name| element.child(name))
    }

    /// The text of the first element down `names`, trimmed; `None` when the element is absent
    /// or its text blank.
    pub fn text_at(&self, names: &[&str]) -> Option<&str> {
        self.path(names).map(|element| element.text.trim()).filter(|text| !text.is_empty())
    }

    pub fn attribute(&self, name: &str) -> Option<&str> {
        self.attributes.iter().find(|(key, _)| key == name).map(|(_, value)| value.as_str())
    }

    /// The first element, this one or a descendant in document order, with this local name in
    /// this namespace: how a message is found at the root or inside a transport envelope.
    pub fn find(&self, name: &str, namespace: &str) -> Option<&Element> {
        if self.name == name && self.namespace.as_deref() == Some(namespace) {
            return Some(self);
        }
        self.children.iter().find_map(|child| child.find(name, namespace))
    }
}

/// Why a text is not a readable XML document.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct XmlError {
    /// Where the problem was found; `0:0` for the size of the whole message.
    pub at: TextPosition,
    pub reason: XmlReason,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum XmlReason {
    #[error("the message has {bytes} bytes; at most {bytes_max} are accepted")]
    TooLarge { bytes: usize, bytes_max: usize },
    #[error("elements are nested more than {depth_max} deep")]
    TooDeep { depth_max: usize },
    #[error("the message has more than {elements_max} elements")]
    TooManyElements { elements_max: usize },
    #[error("a DOCTYPE declaration: ISO 20022 messages have none, and its entities are not read")]
    DoctypeRefused,
    /// quick-xml's description of a syntax or well-formedness error.
    #[error("not well-formed XML: {0}")]
    Malformed(String),
    #[error("the entity &{0}; is not one of XML's predefined entities")]
    UnknownEntity(String),
    #[error("the prefix {0:?} is not bound to a namespace")]
    UnboundPrefix(String),
    #[error("text or an element outside the root element")]
    OutsideRoot,
    #[error("the element <{0}> is not closed")]
    Unclosed(String),
    #[error("the message has no root element")]
    NoRoot,
}

impl XmlError {
    /// Stable code.
    pub fn code(&self) -> &'static str {
        self.reason.code()
    }
}

impl XmlReason {
    /// Stable code.
    pub fn code(&self) -> &'static str {
        match self {
            XmlReason::TooLarge { .. } => "xml_too_large",
            XmlReason::TooDeep { .. } | XmlReason::TooManyElements { .. } => "xml_too_complex",
            XmlReason::DoctypeRefused => "xml_doctype_refused",
            XmlReason::Malformed(_)
            | XmlReason::UnknownEntity(_)
            | XmlReason::UnboundPrefix(_)
            | XmlReason::OutsideRoot
            | XmlReason::Unclosed(_)
            | XmlReason::NoRoot => "malformed_xml",
        }
    }
}

impl fmt::Display for XmlError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.at {
            TextPosition { line: 0, .. } => self.reason.fmt(f),
            at => write!(f, "{at}: {}", self.reason),
        }
    }
}

impl std::error::Error for XmlError {}

/// Reads `xml` into its root element, or the first problem with where it is.
pub(crate) fn parse(xml: &str, limits: Limits) -> Result<Element, XmlError> {
    if xml.len() > limits.bytes_max {
        let reason = XmlReason::TooLarge { bytes: xml.len(), bytes_max: limits.bytes_max };
        return Err(XmlError { at: TextPosition::default(), reason });
    }
    // A byte-order mark is an encoding signature, not content; quick-xml would read it as text
    // before the root.
    let xml = xml.strip_prefix('\u{FEFF}').unwrap_or(xml);
    let mut tree = TreeBuilder { limits, stack: Vec::new(), root: None, elements: 0, positions: Positions::new(xml) };
    let mut reader = NsReader::from_str(xml);
    loop {
        let start = offset(reader.buffer_position());
        let (namespace, event) = match reader.read_resolved_event() {
            Ok((resolved, event)) => (owned_namespace(resolved), event),
            Err(error) => {
                let at = tree.positions.at(offset(reader.error_position()));
                return Err(XmlError { at, reason: XmlReason::Malformed(error.to_string()) });
            }
        };
        let at = tree.positions.at(start);
        match event {
            Event::Start(start) => tree.open(&start, namespace, at)?,
            Event::Empty(start) => {
                tree.open(&start, namespace, at)?;
                tree.close(at)?;
            }
            Event::End(_) => tree.close(at)?,
            Event::Text(text) => tree.text(&text.xml10_content(), at)?,
            Event::CData(data) => tree.text(&data.xml10_content(), at)?,
            Event::GeneralRef(reference) => tree.reference(&reference, at)?,
            Event::DocType(_) => return Err(XmlError { at, reason: XmlReason::DoctypeRefused }),
            Event::Decl(_) | Event::PI(_) | Event::Comment(_) => {}
            Event::Eof => break,
        }
    }
    tree.finish()
}

fn offset(position: u64) -> usize {
    usize::try_from(position).unwrap_or(usize::MAX)
}

/// The namespace of a start tag, owned so that the reader can move on; an unknown prefix is
/// kept as an error for the element to report.
fn owned_namespace(resolved: ResolveResult<'_>) -> Result<Option<String>, String> {
    match resolved {
        ResolveResult::Unbound => Ok(None),
        ResolveResult::Bound(namespace) => Ok(Some(namespace.as_ref().to_owned())),
        ResolveResult::Unknown(prefix) => Err(prefix),
    }
}

struct TreeBuilder<'x> {
    limits: Limits,
    /// The open elements, the innermost last.
    stack: Vec<Element>,
    root: Option<Element>,
    elements: usize,
    positions: Positions<'x>,
}

impl TreeBuilder<'_> {
    fn open(
        &mut self,
        start: &BytesStart<'_>,
        namespace: Result<Option<String>, String>,
        at: TextPosition,
    ) -> Result<(), XmlError> {
        let error = |reason| Err(XmlError { at, reason });
        if self.stack.is_empty() && self.root.is_some() {
            return error(XmlReason::OutsideRoot);
        }
        if self.stack.len() >= self.limits.depth_max {
            return error(XmlReason::TooDeep { depth_max: self.limits.depth_max });
        }
        if self.elements >= self.limits.elements_max {
            return error(XmlReason::TooManyElements { elements_max: self.limits.elements_max });
        }
        let namespace = match namespace {
            Ok(namespace) => namespace,
            Err(prefix) => return error(XmlReason::UnboundPrefix(prefix)),
        };
        let mut attributes = Vec::new();
        for attribute in start.attributes() {
            let attribute =
                attribute.map_err(|problem| XmlError { at, reason: XmlReason::Malformed(problem.to_string()) })?;
            if attribute.key.as_namespace_binding().is_some() {
                continue;
            }
            let value = attribute
                .normalized_value(XmlVersion::Implicit1_0)
                .map_err(|problem| XmlError { at, reason: XmlReason::Malformed(problem.to_string()) })?;
            attributes.push((attribute.key.local_name().as_ref().to_owned(), value.into_owned()));
        }
        self.elements += 1;
        self.stack.push(Element {
            name: start.local_name().as_ref().to_owned(),
            namespace,
            attributes,
            text: String::new(),
            children: Vec::new(),
            at,
        });
        debug_assert!(self.stack.len() <= self.limits.depth_max);
        Ok(())
    }

    fn close(&mut self, at: TextPosition) -> Result<(), XmlError> {
        // quick-xml checks that end tags match start tags, so an end tag always has its element.
        let Some(element) = self.stack.pop() else {
            return Err(XmlError { at, reason: XmlReason::OutsideRoot });
        };
        match self.stack.last_mut() {
            Some(parent) => parent.children.push(element),
            None => {
                debug_assert!(self.root.is_none(), "a second root is refused when it opens");
                self.root = Some(element);
            }
        }
        Ok(())
    }

    fn text(&mut self, text: &str, at: TextPosition) -> Result<(), XmlError> {
        match self.stack.last_mut() {
            Some(element) => element.text.push_str(text),
            // Line breaks and indentation around the root are not content.
            None if text.trim().is_empty() => {}
            None => return Err(XmlError { at, reason: XmlReason::OutsideRoot }),
        }
        Ok(())
    }

    fn reference(&mut self, reference: &BytesRef<'_>, at: TextPosition) -> Result<(), XmlError> {
        let malformed = |problem: String| XmlError { at, reason: XmlReason::Malformed(problem) };
        let resolved = match reference.resolve_char_ref() {
            Ok(Some(character)) => character.to_string(),
            Ok(None) => match resolve_xml_entity(reference) {
                Some(text) => text.to_owned(),
                None => return Err(XmlError { at, reason: XmlReason::UnknownEntity(echo(reference)) }),
            },
            Err(problem) => return Err(malformed(problem.to_string())),
        };
        match self.stack.last_mut() {
            Some(element) => element.text.push_str(&resolved),
            None => return Err(XmlError { at, reason: XmlReason::OutsideRoot }),
        }
        Ok(())
    }

    fn finish(mut self) -> Result<Element, XmlError> {
        if let Some(open) = self.stack.pop() {
            // The outermost open element is the one a person has to close.
            let open = self.stack.into_iter().next().unwrap_or(open);
            return Err(XmlError { at: open.at, reason: XmlReason::Unclosed(echo(&open.name)) });
        }
        self.root.ok_or(XmlError { at: TextPosition { line: 1, column: 1 }, reason: XmlReason::NoRoot })
    }
}

/// How much of a name from a message an error repeats.
const ECHO_CHARS_MAX: usize = 40;

pub(crate) fn echo(text: &str) -> String {
    text.chars().take(ECHO_CHARS_MAX).collect()
}

/// Turns byte offsets into lines and columns, moving forward through the text (the reader's
/// offsets only grow, so the whole text is scanned once).
struct Positions<'x> {
    bytes: &'x [u8],
    offset: usize,
    line: usize,
    /// Characters since the start of the line.
    column: usize,
}

impl<'x> Positions<'x> {
    fn new(text: &'x str) -> Positions<'x> {
        Positions { bytes: text.as_bytes(), offset: 0, line: 1, column: 0 }
    }

    fn at(&mut self, offset: usize) -> TextPosition {
        let offset = offset.min(self.bytes.len());
        if offset < self.offset {
            // Error positions may point back to the start of the markup at fault.
            *self = Positions { bytes: self.bytes, offset: 0, line: 1, column: 0 };
        }
        for byte in &self.bytes[self.offset..offset] {
            if *byte == b'\n' {
                self.line += 1;
                self.column = 0;
            } else if !is_utf8_continuation(*byte) {
                self.column += 1;
            }
        }
        self.offset = offset;
        TextPosition { line: self.line, column: self.column + 1 }
    }
}

fn is_utf8_continuation(byte: u8) -> bool {
    byte & 0b1100_0000 == 0b1000_0000
}

/// Writes a document element by element. Every text and attribute value goes through
/// quick-xml's escaping, and characters XML 1.0 cannot carry are replaced (see [`xml_safe`]).
pub(crate) struct XmlWriter {
    writer: Writer<Vec<u8>>,
    /// The open elements, to check that every `end` closes the innermost one.
    open: Vec<&'static str>,
}

/// Indentation of written messages: two spaces, for the person who reads a message in a log or
/// a support ticket; the interbank systems ignore it.
const INDENT_SPACES: usize = 2;

impl XmlWriter {
    /// Starts a document with the XML declaration (UTF-8).
    pub fn new() -> XmlWriter {
        let mut writer =
            XmlWriter { writer: Writer::new_with_indent(Vec::new(), b' ', INDENT_SPACES), open: Vec::new() };
        writer.write(Event::Decl(BytesDecl::new("1.0", Some("UTF-8"), None)));
        writer
    }

    pub fn start(&mut self, name: &'static str) {
        self.start_with(name, &[]);
    }

    pub fn start_with(&mut self, name: &'static str, attributes: &[(&str, &str)]) {
        let mut start = BytesStart::new(name);
        for (key, value) in attributes {
            start.push_attribute((*key, xml_safe(value).as_str()));
        }
        self.write(Event::Start(start));
        self.open.push(name);
    }

    pub fn end(&mut self, name: &'static str) {
        let open = self.open.pop();
        assert_eq!(open, Some(name), "elements close in the order they opened");
        self.write(Event::End(BytesEnd::new(name)));
    }

    /// `<name>text</name>`.
    pub fn text_element(&mut self, name: &'static str, text: &str) {
        self.text_element_with(name, &[], text);
    }

    /// `<name attributes…>text</name>`.
    pub fn text_element_with(&mut self, name: &'static str, attributes: &[(&str, &str)], text: &str) {
        self.start_with(name, attributes);
        self.write(Event::Text(BytesText::new(&xml_safe(text))));
        self.end(name);
    }

    /// The finished document.
    pub fn finish(self) -> String {
        assert!(self.open.is_empty(), "every element is closed: {:?}", self.open);
        match String::from_utf8(self.writer.into_inner()) {
            Ok(text) => text,
            Err(_) => unreachable!("the writer writes only the UTF-8 strings it was given"),
        }
    }

    fn write(&mut self, event: Event<'_>) {
        if let Err(error) = self.writer.write_event(event) {
            unreachable!("writing to a Vec<u8> cannot fail: {error}");
        }
    }
}

/// The text with every character XML 1.0 cannot carry replaced by U+FFFD.
///
/// The domain types refuse control characters, so only the noncharacters U+FFFE and U+FFFF
/// (which `PayeeName` and `Purpose` let through) can reach here; a message that is not
/// well-formed would be refused whole by the interbank system, and a replaced noncharacter
/// changes nothing a person can read.
pub(crate) fn xml_safe(text: &str) -> String {
    text.chars().map(|character| if is_xml_char(character) { character } else { '\u{FFFD}' }).collect()
}

/// XML 1.0's `Char` production.
fn is_xml_char(character: char) -> bool {
    matches!(character, '\t' | '\n' | '\r' | '\u{20}'..='\u{D7FF}' | '\u{E000}'..='\u{FFFD}' | '\u{10000}'..)
}

/// Splits `text` into pieces of at most `chars_max` characters, in order, so that their
/// concatenation is `text`: how ISO 20022 repeats a bounded text element (`Ustrd` is 140,
/// `AddtlInf` 105 characters per occurrence).
pub(crate) fn split_chars(text: &str, chars_max: usize) -> Vec<&str> {
    assert!(chars_max > 0, "a piece holds at least one character");
    let mut pieces = Vec::new();
    let mut rest = text;
    while !rest.is_empty() {
        let cut = rest.char_indices().nth(chars_max).map_or(rest.len(), |(index, _)| index);
        let (piece, tail) = rest.split_at(cut);
        pieces.push(piece);
        rest = tail;
    }
    debug_assert_eq!(pieces.concat(), text);
    debug_assert!(pieces.iter().all(|piece| piece.chars().count() <= chars_max));
    pieces
}

/// Joins the occurrences of a repeated text element back into one text: a full occurrence
/// (`chars_max` characters) was cut from a longer text and continues without a separator, as
/// [`split_chars`] cuts; a shorter one ended a line of its own, so a space follows it.
pub(crate) fn join_pieces<'p>(pieces: impl IntoIterator<Item = &'p str>, chars_max: usize) -> String {
    let mut joined = String::new();
    let mut previous_full = true;
    for piece in pieces {
        if !joined.is_empty() && !previous_full {
            joined.push(' ');
        }
        joined.push_str(piece);
        previous_full = piece.chars().count() >= chars_max;
    }
    joined
}

#[cfg(test)]
mod tests {
    use super::*;

    const LIMITS: Limits = Limits { bytes_max: 10_000, depth_max: 8, elements_max: 100 };

    fn read(xml: &str) -> Result<Element, XmlError> {
        parse(xml, LIMITS)
    }

    #[test]
    fn a_tree_keeps_names_namespaces_text_attributes_and_positions() {
        let xml = "\u{FEFF}<?xml version=\"1.0\"?>\n<p:Doc xmlns:p=\"urn:x\" a=\"1 &amp; 2\">\n  <p:Nm>ТОО &lt;A&gt; &#1178;<![CDATA[&x]]></p:Nm>\n  <p:E/>\n</p:Doc>\n";
        let root = read(xml).unwrap();
        assert_eq!((root.name.as_str(), root.namespace.as_deref()), ("Doc", Some("urn:x")));
        assert_eq!(root.attribute("a"), Some("1 & 2"));
        assert_eq!(root.attributes.len(), 1, "namespace declarations are not attributes");
        assert_eq!(root.text_at(&["Nm"]), Some("ТОО <A> Қ&x"));
        assert_eq!(root.child("Nm").unwrap().at, TextPosition { line: 3, column: 3 });
        assert_eq!(root.child("E").unwrap().at, TextPosition { line: 4, column: 3 });
        assert_eq!(root.text_at(&["E"]), None);
        assert_eq!(root.find("E", "urn:x").map(|e| e.at.line), Some(4));
        assert_eq!(root.find("E", "urn:y"), None);
    }

    #[test]
    fn what_is_not_a_plain_well_formed_document_is_refused_with_its_place() {
        let cases: [(&str, &str, TextPosition); 9] = [
            ("<a><b></a>", "malformed_xml", TextPosition { line: 1, column: 7 }),
            ("<a>\n  <b>x</b>\n  <c", "malformed_xml", TextPosition { line: 3, column: 3 }),
            ("<a>\n<b>", "malformed_xml", TextPosition { line: 1, column: 1 }),
            ("<!DOCTYPE a [<!ENTITY x \"y\">]><a>&x;</a>", "xml_doctype_refused", TextPosition { line: 1, column: 1 }),
            ("<a>&x;</a>", "malformed_xml", TextPosition { line: 1, column: 4 }),
            ("<p:a/>", "malformed_xml", TextPosition { line: 1, column: 1 }),
            ("<a/><b/>", "malformed_xml", TextPosition { line: 1, column: 5 }),
            ("text", "malformed_xml", TextPosition { line: 1, column: 1 }),
            ("  ", "malformed_xml", TextPosition { line: 1, column: 1 }),
        ];
        for (xml, code, at) in cases {
            let error = read(xml).unwrap_err();
            assert_eq!((error.code(), error.at), (code, at), "{xml:?}: {error}");
        }
    }

    #[test]
    fn limits_are_enforced() {
        let deep = format!("{}{}", "<a>".repeat(9), "</a>".repeat(9));
        assert_eq!(read(&deep).unwrap_err().code(), "xml_too_complex");
        let wide = format!("<a>{}</a>", "<b/>".repeat(100));
        assert_eq!(read(&wide).unwrap_err().code(), "xml_too_complex");
        let large = format!("<a>{}</a>", "x".repeat(10_000));
        let error = read(&large).unwrap_err();
        assert_eq!((error.code(), error.at), ("xml_too_large", TextPosition::default()));
    }

    #[test]
    fn the_writer_escapes_and_replaces_what_xml_cannot_carry() {
        let mut writer = XmlWriter::new();
        writer.start_with("Doc", &[("xmlns", "urn:x")]);
        writer.text_element_with("Amt", &[("Ccy", "K\"Z")], "a < b & c \u{FFFF}");
        writer.end("Doc");
        let xml = writer.finish();
        assert!(xml.starts_with("<?xml version=\"1.0\" encoding=\"UTF-8\"?>"), "{xml}");
        assert!(xml.contains("<Amt Ccy=\"K&quot;Z\">a &lt; b &amp; c \u{FFFD}</Amt>"), "{xml}");
        let root = read(&xml).unwrap();
        assert_eq!(root.text_at(&["Amt"]), Some("a < b & c \u{FFFD}"));
    }

    #[test]
    fn repeated_texts_split_and_join_back() {
        let text = "я".repeat(300);
        let pieces = split_chars(&text, 140);
        assert_eq!(pieces.iter().map(|p| p.chars().count()).collect::<Vec<_>>(), [140, 140, 20]);
        assert_eq!(join_pieces(pieces.iter().copied(), 140), text);
        assert_eq!(split_chars("", 140), Vec::<&str>::new());
        assert_eq!(join_pieces(["Оплата по счёту 15", "за май"], 140), "Оплата по счёту 15 за май");
    }
}
