//! How values read on a page: amounts with grouped digits, dates, instants in the reader's zone.
//! Exact: amounts are formatted from their decimal strings, never through floats.

use jiff::Timestamp;
use jiff::civil::Date;
use tiyn_core::Money;

use crate::{Lang, Presentation};

/// A no-break space: groups digits and ties an amount to its currency, so neither is wrapped.
const NO_BREAK_SPACE: char = '\u{A0}';

/// `1 500 000,00 KZT` in Russian and Kazakh (no-break spaces), `1,500,000.00 KZT` in English.
pub(crate) fn money(money: Money, lang: Lang) -> String {
    let mut text = amount(money, lang);
    text.push(NO_BREAK_SPACE);
    text.push_str(&money.currency().to_string());
    text
}

/// The amount alone, for a column whose currency is said once above it: `1 500 000,00` in
/// Russian and Kazakh, `1,500,000.00` in English.
pub(crate) fn amount(money: Money, lang: Lang) -> String {
    let (group, decimal) = match lang {
        Lang::Ru | Lang::Kk => (NO_BREAK_SPACE, ','),
        Lang::En => (',', '.'),
    };
    let plain = money.amount_string();
    let (sign, unsigned) = match plain.strip_prefix('-') {
        Some(rest) => ("-", rest),
        None => ("", plain.as_str()),
    };
    let (whole, fraction) = match unsigned.split_once('.') {
        Some((whole, fraction)) => (whole, Some(fraction)),
        None => (unsigned, None),
    };
    let mut text = String::with_capacity(plain.len() + whole.len() / 3 + 8);
    text.push_str(sign);
    for (index, digit) in whole.chars().enumerate() {
        if index > 0 && (whole.len() - index) % 3 == 0 {
            text.push(group);
        }
        text.push(digit);
    }
    if let Some(fraction) = fraction {
        text.push(decimal);
        text.push_str(fraction);
    }
    text
}

/// `12.01.2026` in Russian and Kazakh, `2026-01-12` in English.
pub(crate) fn date(date: Date, lang: Lang) -> String {
    match lang {
        Lang::Ru | Lang::Kk => date.strftime("%d.%m.%Y").to_string(),
        Lang::En => date.to_string(),
    }
}

/// `12.01.2026 10:00:00 (UTC+05:00)`: the instant in the presentation's zone, which is named so
/// a reader elsewhere is not misled.
pub(crate) fn instant(instant: Timestamp, presentation: &Presentation) -> String {
    let zoned = instant.to_zoned(jiff::tz::TimeZone::fixed(presentation.utc_offset));
    let offset_seconds = presentation.utc_offset.seconds();
    let sign = if offset_seconds < 0 { '-' } else { '+' };
    let offset_minutes = offset_seconds.unsigned_abs() / 60;
    format!(
        "{} {} (UTC{sign}{:02}:{:02})",
        date(zoned.date(), presentation.lang),
        zoned.time().strftime("%H:%M:%S"),
        offset_minutes / 60,
        offset_minutes % 60,
    )
}

#[cfg(test)]
mod tests {
    use tiyn_core::Currency;

    use super::*;

    fn kzt(minor: i64) -> Money {
        Money::from_minor(minor, Currency::Kzt)
    }

    #[test]
    fn amounts_group_their_digits_by_language() {
        let cases = [
            (kzt(0), Lang::Ru, "0,00\u{A0}KZT"),
            (kzt(5), Lang::Ru, "0,05\u{A0}KZT"),
            (kzt(25_050), Lang::Ru, "250,50\u{A0}KZT"),
            (kzt(150_000), Lang::Kk, "1\u{A0}500,00\u{A0}KZT"),
            (kzt(12_345_678_901), Lang::Ru, "123\u{A0}456\u{A0}789,01\u{A0}KZT"),
            (kzt(-100_000_000), Lang::Ru, "-1\u{A0}000\u{A0}000,00\u{A0}KZT"),
            (kzt(150_000), Lang::En, "1,500.00\u{A0}KZT"),
            (kzt(i64::MIN), Lang::En, "-92,233,720,368,547,758.08\u{A0}KZT"),
        ];
        for (amount, lang, expected) in cases {
            assert_eq!(money(amount, lang), expected, "{amount} in {lang:?}");
            let bare = expected.strip_suffix("\u{A0}KZT").expect("a KZT amount");
            assert_eq!(super::amount(amount, lang), bare, "{amount} in {lang:?}");
        }
    }

    #[test]
    fn instants_show_their_zone() {
        let at: Timestamp = "2026-01-12T05:00:07Z".parse().expect("instant");
        let almaty = Presentation::kazakhstan(Lang::Ru);
        assert_eq!(instant(at, &almaty), "12.01.2026 10:00:07 (UTC+05:00)");
        let english = Presentation::kazakhstan(Lang::En);
        assert_eq!(instant(at, &english), "2026-01-12 10:00:07 (UTC+05:00)");
        // Just before midnight UTC is the next day in Almaty.
        let late: Timestamp = "2026-01-12T20:30:00Z".parse().expect("instant");
        assert_eq!(instant(late, &almaty), "13.01.2026 01:30:00 (UTC+05:00)");
    }
}
