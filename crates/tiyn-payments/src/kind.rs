//! The kinds of payment document (R-3.1.1.2).

use std::fmt;

/// What a payment document does, and so which requisites it has.
///
/// Deliberately not `#[non_exhaustive]`: a new kind makes the compiler list every `match` that
/// must learn about it, which a wildcard would hide.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum DocumentKind {
    /// Between two accounts of the same partner at this bank, in the accounts' currency.
    Internal,
    /// Tenge to an account at another Kazakhstan bank.
    Interbank,
    /// Tenge to the state budget: a tax or another obligatory payment through the treasury
    /// account, with a KBK (FACTS.md §6).
    Budget,
    /// Between two accounts of the same partner in different currencies, at the bank's rates
    /// (R-3.1.1.4): the amount is what is sold (in the payer account's currency) or bought (in
    /// the payee account's).
    Conversion,
    /// Foreign currency to an account abroad or at another bank, through a correspondent bank,
    /// addressed by SWIFT BIC (R-3.1.1.3).
    Foreign,
}

impl DocumentKind {
    /// Every kind, in a stable order.
    pub const ALL: [DocumentKind; 5] = [
        DocumentKind::Internal,
        DocumentKind::Interbank,
        DocumentKind::Budget,
        DocumentKind::Conversion,
        DocumentKind::Foreign,
    ];

    /// The API spelling, e.g. `"interbank"`.
    pub const fn as_str(self) -> &'static str {
        match self {
            DocumentKind::Internal => "internal",
            DocumentKind::Interbank => "interbank",
            DocumentKind::Budget => "budget",
            DocumentKind::Conversion => "conversion",
            DocumentKind::Foreign => "foreign",
        }
    }

    /// Parses the API spelling. Exact match: `"Internal"` is not a kind, because a code is
    /// spelled one way everywhere (as currency codes are).
    pub fn parse(text: &str) -> Result<DocumentKind, KindError> {
        if let Some(kind) = DocumentKind::ALL.into_iter().find(|kind| kind.as_str() == text) {
            return Ok(kind);
        }
        Err(KindError::Unknown(text.chars().take(KIND_ECHO_CHARS_MAX).collect()))
    }
}

/// How much of an unknown kind an error message repeats: enough to recognise a typo, not a
/// whole pasted paragraph.
const KIND_ECHO_CHARS_MAX: usize = 20;

impl fmt::Display for DocumentKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Why a document kind was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum KindError {
    #[error("{0:?} is not a kind of payment document (internal, interbank, budget, conversion, foreign)")]
    Unknown(String),
}

impl KindError {
    /// Stable API code.
    pub fn code(&self) -> &'static str {
        match self {
            KindError::Unknown(_) => crate::codes::INVALID_KIND,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kinds_round_trip_and_unknown_ones_are_refused_with_an_echo() {
        for kind in DocumentKind::ALL {
            assert_eq!(DocumentKind::parse(kind.as_str()), Ok(kind));
        }
        assert_eq!(DocumentKind::parse("foreign"), Ok(DocumentKind::Foreign));
        assert_eq!(DocumentKind::parse("conversion"), Ok(DocumentKind::Conversion));
        assert_eq!(DocumentKind::parse("Internal").map_err(|e| e.code()), Err("invalid_kind"));
        assert_eq!(DocumentKind::parse(&"x".repeat(1000)), Err(KindError::Unknown("x".repeat(20))));
    }
}
