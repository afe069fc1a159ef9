//! How the cabinet writes numbers.
//!
//! Russian and Kazakh: groups of three separated by a narrow no-break space (U+202F), a decimal
//! comma, then a no-break space and the currency sign — `1 500 000,00 ₸`, as accounting documents
//! in Kazakhstan print them. English: `1,500,000.00 ₸`. The sign follows the amount in every
//! language so that the columns of a statement line up. Digits are never rounded: the string has
//! exactly the currency's minor digits.

use jiff::Timestamp;
use jiff::civil::Date;
use jiff::tz::{self, TimeZone};
use tiyn_api::Lang;
use tiyn_core::{Currency, Money};

/// Separates groups of thousands in ru and kk.
pub const NARROW_NO_BREAK_SPACE: char = '\u{202F}';
/// Keeps the currency sign on the amount's line.
pub const NO_BREAK_SPACE: char = '\u{00A0}';

pub fn money(amount: Money, lang: Lang) -> String {
    let (group_separator, decimal_separator) = match lang {
        Lang::Ru | Lang::Kk => (NARROW_NO_BREAK_SPACE, ','),
        Lang::En => (',', '.'),
    };
    let plain = amount.amount_string();
    let (sign, unsigned) = match plain.strip_prefix('-') {
        Some(rest) => ("-", rest),
        None => ("", plain.as_str()),
    };
    let (whole, fraction) = match unsigned.split_once('.') {
        Some((whole, fraction)) => (whole, Some(fraction)),
        None => (unsigned, None),
    };
    let mut text = String::with_capacity(plain.len() + 8);
    text.push_str(sign);
    for (index, digit) in whole.chars().enumerate() {
        if index > 0 && (whole.len() - index) % 3 == 0 {
            text.push(group_separator);
        }
        text.push(digit);
    }
    if let Some(fraction) = fraction {
        text.push(decimal_separator);
        text.push_str(fraction);
    }
    text.push(NO_BREAK_SPACE);
    text.push_str(currency_sign(amount.currency()));
    text
}

/// The sign people recognise, or the ISO code where there is no common one.
pub fn currency_sign(currency: Currency) -> &'static str {
    match currency {
        Currency::Kzt => "₸",
        Currency::Usd => "$",
        Currency::Eur => "€",
        Currency::Rub => "₽",
        Currency::Gbp => "£",
        Currency::Cny | Currency::Jpy => "¥",
        Currency::Try => "₺",
        other => other.code(),
    }
}

/// The bank's time zone: Asia/Almaty, UTC+5 all year since 2024 (no DST), as the identity use
/// cases count business dates.
pub fn almaty() -> TimeZone {
    TimeZone::fixed(tz::offset(5))
}

/// `HH:MM` in Almaty: the end of a code's lifetime, of a session.
pub fn time_of_day(at: Timestamp) -> String {
    at.to_zoned(almaty()).strftime("%H:%M").to_string()
}

/// `HH:MM:SS` in Almaty: the end of a conversion quote's hold, which lasts minutes.
pub fn time_of_day_seconds(at: Timestamp) -> String {
    at.to_zoned(almaty()).strftime("%H:%M:%S").to_string()
}

/// A date as people write it: `31.12.2026` in ru and kk, `2026-12-31` in en.
pub fn date(date: Date, lang: Lang) -> String {
    match lang {
        Lang::Ru | Lang::Kk => date.strftime("%d.%m.%Y").to_string(),
        Lang::En => date.strftime("%Y-%m-%d").to_string(),
    }
}

/// An instant in Almaty, to the minute: `31.12.2026 18:05`.
pub fn date_time(at: Timestamp, lang: Lang) -> String {
    let local = at.to_zoned(almaty());
    format!("{} {}", date(local.date(), lang), local.strftime("%H:%M"))
}

/// An instant in Almaty, to the second (the audit trail).
pub fn date_time_seconds(at: Timestamp, lang: Lang) -> String {
    let local = at.to_zoned(almaty());
    format!("{} {}", date(local.date(), lang), local.strftime("%H:%M:%S"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_are_shown_in_almaty() {
        let at: Timestamp = "2026-01-01T19:30:15Z".parse().expect("instant");
        assert_eq!(time_of_day(at), "00:30");
        assert_eq!(time_of_day_seconds(at), "00:30:15");
        assert_eq!(date_time(at, Lang::Ru), "02.01.2026 00:30");
        assert_eq!(date_time(at, Lang::En), "2026-01-02 00:30");
        assert_eq!(date_time_seconds(at, Lang::Kk), "02.01.2026 00:30:15");
    }

    fn check(minor: i64, currency: Currency, lang: Lang, expected: &str) {
        let got = money(Money::from_minor(minor, currency), lang);
        let readable = got.replace(NARROW_NO_BREAK_SPACE, " ").replace(NO_BREAK_SPACE, "_");
        assert_eq!(readable, expected, "{minor} {currency} in {}", lang.code());
    }

    #[test]
    fn amounts_are_grouped_by_thousands() {
        check(150_000_000, Currency::Kzt, Lang::Ru, "1 500 000,00_₸");
        check(150_000_000, Currency::Kzt, Lang::Kk, "1 500 000,00_₸");
        check(150_000_000, Currency::Kzt, Lang::En, "1,500,000.00_₸");
        check(0, Currency::Usd, Lang::Ru, "0,00_$");
        check(99_999, Currency::Eur, Lang::En, "999.99_€");
        check(-123_456_789, Currency::Kzt, Lang::Ru, "-1 234 567,89_₸");
        check(1_000, Currency::Jpy, Lang::En, "1,000_¥");
        check(100_000, Currency::Aed, Lang::En, "1,000.00_AED");
        check(i64::MIN, Currency::Kzt, Lang::En, "-92,233,720,368,547,758.08_₸");
    }
}
