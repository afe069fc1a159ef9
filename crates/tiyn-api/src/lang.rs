//! The three languages Tiyn speaks and how a request picks one.

/// A language of the interface and of error messages. Russian is the default because it is the
/// language every partner's staff reads; Kazakh is the state language; English is for foreign
/// founders and developers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Lang {
    Ru,
    Kk,
    En,
}

/// The longest `Accept-Language` header we read. Browsers send a few dozen bytes; a longer header
/// is cut rather than parsed without bound.
const ACCEPT_LANGUAGE_BYTES_MAX: usize = 512;

impl Lang {
    pub const DEFAULT: Lang = Lang::Ru;
    pub const ALL: [Lang; 3] = [Lang::Ru, Lang::Kk, Lang::En];

    /// The BCP 47 primary tag, as used in `lang=` and `<html lang>`.
    pub const fn code(self) -> &'static str {
        match self {
            Lang::Ru => "ru",
            Lang::Kk => "kk",
            Lang::En => "en",
        }
    }

    /// Reads a language tag (`"kk"`, `"kk-KZ"`, `"EN-us"`). `"kz"` is accepted as Kazakh because
    /// people type the country code for the language.
    pub fn parse(tag: &str) -> Option<Lang> {
        let primary = tag.trim().split(['-', '_']).next().unwrap_or_default().to_ascii_lowercase();
        match primary.as_str() {
            "ru" => Some(Lang::Ru),
            "kk" | "kz" => Some(Lang::Kk),
            "en" => Some(Lang::En),
            _ => None,
        }
    }

    /// Picks the supported language the client prefers most (RFC 9110 §12.5.4 weights), or
    /// `None` when it names none of ours.
    pub fn from_accept_language(header: &str) -> Option<Lang> {
        let header = truncate_at_char_boundary(header, ACCEPT_LANGUAGE_BYTES_MAX);
        let mut best: Option<(u16, Lang)> = None;
        for item in header.split(',') {
            let mut parts = item.split(';');
            let Some(lang) = parts.next().and_then(Lang::parse) else { continue };
            let weight = parts.find_map(|param| param.trim().strip_prefix("q=")).map_or(Some(1000), parse_weight);
            let Some(weight) = weight else { continue };
            // Strictly greater: among equal weights the first listed wins, as the client ordered them.
            if weight > 0 && best.is_none_or(|(best_weight, _)| weight > best_weight) {
                best = Some((weight, lang));
            }
        }
        best.map(|(_, lang)| lang)
    }
}

/// A `q` value (`"0.8"`, `"1"`, `"0.125"`) in thousandths, without floats.
fn parse_weight(text: &str) -> Option<u16> {
    let (whole, fraction) = text.trim().split_once('.').unwrap_or((text.trim(), ""));
    if fraction.len() > 3 || !fraction.bytes().all(|byte| byte.is_ascii_digit()) {
        return None;
    }
    let thousandths: u16 = format!("{fraction:0<3}").parse().ok()?;
    match whole {
        "0" => Some(thousandths),
        "1" if thousandths == 0 => Some(1000),
        _ => None,
    }
}

fn truncate_at_char_boundary(text: &str, bytes_max: usize) -> &str {
    if text.len() <= bytes_max {
        return text;
    }
    let mut end = bytes_max;
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    &text[..end]
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(header: &str, expected: Option<Lang>) {
        assert_eq!(Lang::from_accept_language(header), expected, "Accept-Language: {header:?}");
    }

    #[test]
    fn accept_language_honours_weights_and_order() {
        check("kk-KZ,kk;q=0.9,ru;q=0.8", Some(Lang::Kk));
        check("en-US,en;q=0.9", Some(Lang::En));
        check("de-DE, ru;q=0.5, en;q=0.7", Some(Lang::En));
        check("ru, en", Some(Lang::Ru));
        check("en;q=0, kk;q=0.1", Some(Lang::Kk));
        check("de, fr", None);
        check("", None);
        check("en;q=2", None);
        check("en;q=banana, ru;q=0.3", Some(Lang::Ru));
    }

    #[test]
    fn tags_are_read_by_primary_subtag() {
        assert_eq!(Lang::parse("KK"), Some(Lang::Kk));
        assert_eq!(Lang::parse("kz"), Some(Lang::Kk));
        assert_eq!(Lang::parse("ru_RU"), Some(Lang::Ru));
        assert_eq!(Lang::parse("english"), None);
    }
}
