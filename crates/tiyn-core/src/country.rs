//! Countries as ISO 3166-1 alpha-2 codes: the payee's country of a foreign transfer and the
//! "country of residence" field of ISO 20022 messages (FACTS.md §7).

use std::fmt;

/// Every officially assigned ISO 3166-1 alpha-2 code (249), sorted. Source: the ISO 3166
/// Maintenance Agency's list of officially assigned codes (as published on iso.org/obp and
/// mirrored by the Debian `iso-codes` package). User-assigned and reserved codes (`XK`, `EU`,
/// `UK`) are not countries of a payment.
const ALPHA2: [&str; 249] = [
    "AD", "AE", "AF", "AG", "AI", "AL", "AM", "AO", "AQ", "AR", "AS", "AT", "AU", "AW", "AX", "AZ", "BA", "BB", "BD",
    "BE", "BF", "BG", "BH", "BI", "BJ", "BL", "BM", "BN", "BO", "BQ", "BR", "BS", "BT", "BV", "BW", "BY", "BZ", "CA",
    "CC", "CD", "CF", "CG", "CH", "CI", "CK", "CL", "CM", "CN", "CO", "CR", "CU", "CV", "CW", "CX", "CY", "CZ", "DE",
    "DJ", "DK", "DM", "DO", "DZ", "EC", "EE", "EG", "EH", "ER", "ES", "ET", "FI", "FJ", "FK", "FM", "FO", "FR", "GA",
    "GB", "GD", "GE", "GF", "GG", "GH", "GI", "GL", "GM", "GN", "GP", "GQ", "GR", "GS", "GT", "GU", "GW", "GY", "HK",
    "HM", "HN", "HR", "HT", "HU", "ID", "IE", "IL", "IM", "IN", "IO", "IQ", "IR", "IS", "IT", "JE", "JM", "JO", "JP",
    "KE", "KG", "KH", "KI", "KM", "KN", "KP", "KR", "KW", "KY", "KZ", "LA", "LB", "LC", "LI", "LK", "LR", "LS", "LT",
    "LU", "LV", "LY", "MA", "MC", "MD", "ME", "MF", "MG", "MH", "MK", "ML", "MM", "MN", "MO", "MP", "MQ", "MR", "MS",
    "MT", "MU", "MV", "MW", "MX", "MY", "MZ", "NA", "NC", "NE", "NF", "NG", "NI", "NL", "NO", "NP", "NR", "NU", "NZ",
    "OM", "PA", "PE", "PF", "PG", "PH", "PK", "PL", "PM", "PN", "PR", "PS", "PT", "PW", "PY", "QA", "RE", "RO", "RS",
    "RU", "RW", "SA", "SB", "SC", "SD", "SE", "SG", "SH", "SI", "SJ", "SK", "SL", "SM", "SN", "SO", "SR", "SS", "ST",
    "SV", "SX", "SY", "SZ", "TC", "TD", "TF", "TG", "TH", "TJ", "TK", "TL", "TM", "TN", "TO", "TR", "TT", "TV", "TW",
    "TZ", "UA", "UG", "UM", "US", "UY", "UZ", "VA", "VC", "VE", "VG", "VI", "VN", "VU", "WF", "WS", "YE", "YT", "ZA",
    "ZM", "ZW",
];

/// A country by its ISO 3166-1 alpha-2 code, always one of [`ALPHA2`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Country(&'static str);

/// Why a country code was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CountryError {
    #[error("a country is its two-letter ISO 3166 code, such as DE or CN")]
    Malformed,
    #[error("{0} is not an ISO 3166 country code")]
    Unknown(String),
}

impl CountryError {
    /// Stable API code.
    pub fn code(&self) -> &'static str {
        match self {
            CountryError::Malformed => "invalid_country",
            CountryError::Unknown(_) => "unknown_country",
        }
    }
}

impl Country {
    /// Kazakhstan.
    pub const KZ: Country = Country("KZ");

    /// Parses a two-letter code, ignoring surrounding whitespace and case (`de` is Germany).
    pub fn parse(text: &str) -> Result<Country, CountryError> {
        let text = text.trim();
        if text.len() != 2 || !text.bytes().all(|byte| byte.is_ascii_alphabetic()) {
            return Err(CountryError::Malformed);
        }
        let upper = text.to_ascii_uppercase();
        ALPHA2
            .binary_search(&upper.as_str())
            .map(|index| Country(ALPHA2[index]))
            .map_err(|_| CountryError::Unknown(upper))
    }

    pub fn as_str(self) -> &'static str {
        self.0
    }
}

impl fmt::Display for Country {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_list_is_sorted_and_unique_so_lookups_find_every_code() {
        assert!(ALPHA2.windows(2).all(|pair| pair[0] < pair[1]));
        for code in ALPHA2 {
            assert_eq!(Country::parse(code).map(Country::as_str), Ok(code));
        }
    }

    #[test]
    fn parses_countries_and_refuses_what_is_not_one() {
        assert_eq!(Country::parse(" de "), Ok(Country("DE")));
        assert_eq!(Country::parse("KZ"), Ok(Country::KZ));
        assert_eq!(Country::parse("XK"), Err(CountryError::Unknown("XK".into())));
        assert_eq!(Country::parse("D"), Err(CountryError::Malformed));
        assert_eq!(Country::parse("DEU"), Err(CountryError::Malformed));
        assert_eq!(Country::parse("Д1"), Err(CountryError::Malformed));
    }
}
