//! The free-text fields of a payment order: the payee's name and the purpose of payment.
//!
//! Both are trimmed, must not be blank, and are counted in characters (Unicode scalar values),
//! not bytes: a Cyrillic or Kazakh name is as long as it looks. Control characters (line breaks,
//! tabs) and invisible formatting characters (bidirectional overrides, zero-width spaces) are
//! refused: the first break fixed-layout payment messages and 1C files, the second let a name
//! display differently from what is stored, which a confirmation screen must never allow.

use std::fmt;

/// The longest payee name, in characters.
///
/// FACTS.md gives no limit for names. Since 13.01.2025 tenge payments travel between banks only
/// as ISO 20022 messages (FACTS.md §7), where the creditor's name `Cdtr/Nm` is `Max140Text`; a
/// longer name could not be sent without cutting it, so 140 is the limit.
pub const PAYEE_NAME_LENGTH_MAX: usize = 140;

/// The longest purpose of payment, in characters.
///
/// No statutory limit was found (FACTS.md §6, "Purpose text limits"). Observed: a 1C exporter
/// enforces 210, a bank's MT generator fits about 412 in `/ASSIGN/`, ISO 20022 `Ustrd` is 140
/// per occurrence. 210 is the strictest of the formats a document must survive (the 1C
/// exchange file clients import from and export to) and FACTS.md's recommendation for the
/// form; it fits two `Ustrd` occurrences and the ledger's 500-character memo.
pub const PURPOSE_LENGTH_MAX: usize = 210;

/// Why a text field was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum TextError {
    #[error("the text is blank")]
    Blank,
    #[error("the text has {found} characters; at most {length_max} are allowed")]
    TooLong { length_max: usize, found: usize },
    #[error("the text contains a control or invisible character (U+{code_point:04X}) at position {position}")]
    ControlCharacter { position: usize, code_point: u32 },
    #[error("the text starts with ':', which payment message formats read as a field tag")]
    LeadingColon,
    #[error(
        "{character:?} at position {position} is not a SWIFT character (Latin letters, digits, space and / - ? : ( ) . , ' +)"
    )]
    NotSwiftCharacter { position: usize, character: char },
}

impl TextError {
    /// Stable API code.
    pub fn code(&self) -> &'static str {
        match self {
            TextError::Blank => crate::codes::REQUIRED,
            TextError::TooLong { .. } => crate::codes::TOO_LONG,
            TextError::ControlCharacter { .. } => crate::codes::CONTROL_CHARACTER,
            TextError::LeadingColon => crate::codes::LEADING_COLON,
            TextError::NotSwiftCharacter { .. } => crate::codes::NOT_SWIFT_CHARACTER,
        }
    }
}

/// The payee's name: 1 to [`PAYEE_NAME_LENGTH_MAX`] characters, trimmed, printable.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct PayeeName(String);

impl PayeeName {
    pub fn parse(input: &str) -> Result<PayeeName, TextError> {
        parse_text(input, PAYEE_NAME_LENGTH_MAX).map(PayeeName)
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for PayeeName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// The purpose of payment (*назначение платежа*): 1 to [`PURPOSE_LENGTH_MAX`] characters,
/// trimmed, printable, not starting with `:`.
///
/// The leading colon is refused as FACTS.md §6 recommends (from a KZ e-invoice schema pattern
/// for purpose fields): in MT-style messages a line that starts with `:` opens a new field.
/// Line breaks are control characters and refused anyway, so the start of the text is the only
/// line start the client controls.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Purpose(String);

impl Purpose {
    pub fn parse(input: &str) -> Result<Purpose, TextError> {
        let text = parse_text(input, PURPOSE_LENGTH_MAX)?;
        if text.starts_with(':') {
            return Err(TextError::LeadingColon);
        }
        Ok(Purpose(text))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Purpose {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// Trims, then checks characters before the length, so that a pasted text with a line break is
/// told about the line break (which the user can see and fix) even when it is also too long.
fn parse_text(input: &str, length_max: usize) -> Result<String, TextError> {
    assert!(length_max > 0, "a text field admits at least one character");
    let trimmed = input.trim();
    if trimmed.is_empty() {
        return Err(TextError::Blank);
    }
    let mut length = 0usize;
    for (index, character) in trimmed.chars().enumerate() {
        if is_forbidden(character) {
            return Err(TextError::ControlCharacter { position: index + 1, code_point: u32::from(character) });
        }
        length += 1;
    }
    if length > length_max {
        return Err(TextError::TooLong { length_max, found: length });
    }
    debug_assert!((1..=length_max).contains(&trimmed.chars().count()));
    Ok(trimmed.to_owned())
}

/// Control characters (Unicode category Cc) and the invisible format characters that change how
/// text is displayed or compared: zero-width spaces and joiners, directional marks, embeddings,
/// overrides and isolates, the byte-order mark, the soft hyphen.
fn is_forbidden(character: char) -> bool {
    character.is_control()
        || matches!(
            character,
            '\u{00AD}' | '\u{200B}'..='\u{200F}' | '\u{202A}'..='\u{202E}' | '\u{2060}'..='\u{2064}'
                | '\u{2066}'..='\u{2069}' | '\u{FEFF}'
        )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn texts_are_trimmed_and_counted_in_characters() {
        assert_eq!(PayeeName::parse("  ТОО «Ромашка»  ").unwrap().as_str(), "ТОО «Ромашка»");
        let longest = "ә".repeat(PAYEE_NAME_LENGTH_MAX);
        assert_eq!(PayeeName::parse(&longest).unwrap().as_str(), longest);
        assert_eq!(
            PayeeName::parse(&format!("{longest}ә")),
            Err(TextError::TooLong { length_max: PAYEE_NAME_LENGTH_MAX, found: PAYEE_NAME_LENGTH_MAX + 1 })
        );
        assert_eq!(Purpose::parse(&"я".repeat(PURPOSE_LENGTH_MAX)).map(|p| p.as_str().chars().count()), Ok(210));
    }

    #[test]
    fn blank_control_invisible_and_colon_are_refused() {
        assert_eq!(Purpose::parse(" \t "), Err(TextError::Blank));
        assert_eq!(Purpose::parse("line\nbreak"), Err(TextError::ControlCharacter { position: 5, code_point: 10 }));
        assert_eq!(
            PayeeName::parse("ТОО \u{202E}акшамоР"),
            Err(TextError::ControlCharacter { position: 5, code_point: 0x202E })
        );
        assert_eq!(PayeeName::parse("a\u{200B}b").map_err(|e| e.code()), Err("control_character"));
        assert_eq!(Purpose::parse(":70:/KNP/911"), Err(TextError::LeadingColon));
        assert!(Purpose::parse("Оплата: счёт 12").is_ok(), "a colon inside is fine");
        assert!(PayeeName::parse(":colon is fine in a name").is_ok());
    }
}
