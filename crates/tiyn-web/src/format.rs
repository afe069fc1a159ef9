//! How the cabinet writes numbers.
//!
//! Russian and Kazakh: groups of three separated by a narrow no-break space (U+202F), a decimal
//! comma, then a no-break space and the currency sign — `1 500 000,00 ₸`, as accounting documents
//! in Kazakhstan print them. English: `1,500,000.00 ₸`. The sign follows the amount in every
//! language so that the columns of a statement line up. Digits are never rounded: the string has
//! exactly the currency's minor digits.

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

#[cfg(test)]
mod tests {
    use super::*;

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
