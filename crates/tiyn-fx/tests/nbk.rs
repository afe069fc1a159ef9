//! The National Bank of Kazakhstan's official rates (R-13.2, R-3.1.1.4): both published formats
//! read from the stored samples (the machines here have no internet), rates per unit exact, and
//! every malformed or unusable file refused with its own code.

use jiff::civil::date;
use proptest::prelude::*;
use tiyn_core::Currency;
use tiyn_fx::nbk::{NBK_ITEMS_MAX, NBK_XML_BYTES_MAX, NbkError, NbkRates, parse, parse_bytes};

const BY_DATE: &str = include_str!("data/nbk_get_rates_example.xml");
const NO_DATA: &str = include_str!("data/nbk_get_rates_no_data_example.xml");
const RSS: &str = include_str!("data/nbk_rates_all_rss_example.xml");

/// Code, known currency, per-unit rate as displayed, quantity, name.
type Row<'a> = (&'a str, Option<Currency>, &'a str, u32, &'a str);

fn rows(rates: &NbkRates) -> Vec<Row<'_>> {
    rates
        .items
        .iter()
        .map(|item| {
            (item.code.as_str(), item.currency, leak(item.per_unit.to_string()), item.quant, item.name.as_str())
        })
        .collect()
}

fn leak(text: String) -> &'static str {
    Box::leak(text.into_boxed_str())
}

fn refused(xml: &str) -> (&'static str, NbkError) {
    let error = parse(xml).expect_err("refused");
    (error.code(), error)
}

fn by_date_file(items: &str) -> String {
    format!("<?xml version=\"1.0\" encoding=\"utf-8\"?><rates><date>31.07.2026</date>{items}</rates>")
}

fn item(code: &str, rate: &str, quant: &str) -> String {
    format!(
        "<item><fullname>X</fullname><title>{code}</title><description>{rate}</description><quant>{quant}</quant></item>"
    )
}

/// the by-date file gives its day and every currency per unit: JPY 292.00 per 100 is
/// 2.92 a yen, UZS 3.96 per 100 is 0.0396 a sum; names kept as published.
#[test]
fn r_13_2_the_by_date_sample_reads_per_unit() {
    let rates = parse(BY_DATE).expect("the sample");
    assert_eq!(rates.date, date(2026, 7, 31));
    assert_eq!(
        rows(&rates),
        vec![
            ("USD", Some(Currency::Usd), "474.20", 1, "ДОЛЛАР США"),
            ("EUR", Some(Currency::Eur), "544.50", 1, "ЕВРО"),
            ("JPY", Some(Currency::Jpy), "2.92", 100, "ЯПОНСКАЯ ИЕНА"),
            ("UZS", Some(Currency::Uzs), "0.0396", 100, "УЗБЕКСКИХ СУМОВ"),
        ]
    );
    assert_eq!(rates.get(Currency::Jpy).map(|jpy| jpy.per_unit.micros()), Some(2_920_000));
    assert_eq!(rates.get(Currency::Uzs).map(|uzs| uzs.per_unit.micros()), Some(39_600));
    assert_eq!(parse_bytes(BY_DATE.as_bytes()), Ok(rates));
}

/// the latest-rates RSS carries the date on every item; it has no names.
#[test]
fn r_13_2_the_rss_sample_reads_its_day() {
    let rates = parse(RSS).expect("the sample");
    assert_eq!(rates.date, date(2024, 4, 3));
    assert_eq!(
        rows(&rates),
        vec![("USD", Some(Currency::Usd), "419.16", 1, ""), ("EUR", Some(Currency::Eur), "476.15", 1, "")]
    );
}

/// "no information for the chosen date", or a day with no items, is its own answer, not
/// a broken file: the importer can say the NBK has not published yet.
#[test]
fn r_13_2_a_day_without_rates_is_no_data() {
    assert_eq!(refused(NO_DATA), ("nbk_no_data", NbkError::NoData));
    assert_eq!(refused("<rates><date>10.01.2018</date></rates>").0, "nbk_no_data");
    assert_eq!(refused("<rates/>").0, "nbk_no_data");
    assert_eq!(refused("<rss version=\"2.0\"><channel><title>x</title></channel></rss>").0, "nbk_no_data");
}

/// a currency Tiyn does not know (the NBK lists SDR, AMD, …) is kept as reference with
/// its code; AMD 12.30 per 10 reads as 1.23 a dram.
#[test]
fn r_13_2_unknown_currencies_are_kept_not_refused() {
    let rates = parse(&by_date_file(&(item("XDR", "640.12", "1") + &item("AMD", "12.30", "10")))).expect("read");
    assert_eq!(
        rows(&rates),
        vec![("XDR", None, "640.12", 1, "X"), ("AMD", None, "1.23", 10, "X")],
        "unknown codes keep their rate, without a currency"
    );
}

/// every way a file can be wrong is refused with its own stable code, naming the item.
#[test]
fn r_13_2_bad_files_are_refused_with_their_code() {
    let cases: Vec<(String, &str)> = vec![
        ("<rates><date>31.07.2026</date><item><title>USD</title>".to_owned(), "nbk_malformed_xml"),
        ("<rates><date>31.07.2026</date></item></rates>".to_owned(), "nbk_malformed_xml"),
        ("not xml at all".to_owned(), "nbk_malformed_xml"),
        ("".to_owned(), "nbk_malformed_xml"),
        ("<!DOCTYPE rates [<!ENTITY x \"y\">]><rates/>".to_owned(), "nbk_malformed_xml"),
        ("<rates><date>31.07.2026</date><item><title>&bogus;</title></item></rates>".to_owned(), "nbk_malformed_xml"),
        ("<html><body>Service unavailable</body></html>".to_owned(), "nbk_unknown_format"),
        (by_date_file(&item("USD", "abc", "1")), "nbk_invalid_rate"),
        (by_date_file(&item("USD", "-474.2", "1")), "nbk_invalid_rate"),
        (by_date_file(&item("USD", "0", "1")), "nbk_invalid_rate"),
        (by_date_file(&item("USD", "4,742", "1")), "nbk_invalid_rate"),
        (by_date_file(&item("USD", "474.2", "0")), "nbk_quant_zero"),
        (by_date_file(&item("USD", "474.2", "one")), "nbk_invalid_quant"),
        (by_date_file(&item("USD", "474.2", "-1")), "nbk_invalid_quant"),
        (by_date_file(&item("USD", "474.2", "+1")), "nbk_invalid_quant"),
        (by_date_file(&item("JPY", "1.00", "3")), "nbk_rate_too_precise"),
        (by_date_file(&item("JPY", "0.0001", "1000")), "nbk_rate_too_precise"),
        (by_date_file(&item("usd", "474.2", "1")), "nbk_invalid_code"),
        (by_date_file(&item("DOLLAR", "474.2", "1")), "nbk_invalid_code"),
        (by_date_file(&(item("USD", "474.2", "1") + &item("USD", "474.3", "1"))), "nbk_duplicate_code"),
        (by_date_file("<item><title>USD</title><quant>1</quant></item>"), "nbk_missing_field"),
        (by_date_file("<item><description>1</description><quant>1</quant></item>"), "nbk_missing_field"),
        (format!("<rates>{}</rates>", item("USD", "474.2", "1")), "nbk_invalid_date"),
        (format!("<rates><date>2026-07-31</date>{}</rates>", item("USD", "474.2", "1")), "nbk_invalid_date"),
        (format!("<rates><date>31.02.2026</date>{}</rates>", item("USD", "474.2", "1")), "nbk_invalid_date"),
        (
            "<rss><channel><item><title>USD</title><pubDate>03.04.2024</pubDate><description>419.16</description>\
             <quant>1</quant></item><item><title>EUR</title><pubDate>04.04.2024</pubDate>\
             <description>476.15</description><quant>1</quant></item></channel></rss>"
                .to_owned(),
            "nbk_mixed_dates",
        ),
        (
            "<rss><channel><item><title>USD</title><description>419.16</description><quant>1</quant></item>\
             </channel></rss>"
                .to_owned(),
            "nbk_missing_field",
        ),
    ];
    for (xml, code) in cases {
        let error = parse(&xml).expect_err(&xml);
        assert_eq!(error.code(), code, "{xml}: {error}");
        assert!(!error.to_string().is_empty());
    }
}

/// The errors say where: the item, the code and the text, so a person can find it in the file.
#[test]
fn errors_name_the_item_and_its_text() {
    let xml = by_date_file(&(item("USD", "474.2", "1") + &item("JPY", "1.00", "3")));
    assert_eq!(
        parse(&xml).expect_err("refused").to_string(),
        "item 2 (JPY): 1.00 per 3 needs more than 6 decimals per unit"
    );
    let xml = by_date_file(&item("USD", "474.2", "0"));
    assert_eq!(parse(&xml).expect_err("refused"), NbkError::QuantZero { item: 1, code: "USD".into() });
}

/// Bounded input: an oversized file, too many items, nesting too deep, and bytes that are not
/// UTF-8 are refused before anything is kept.
#[test]
fn input_is_bounded() {
    let large = " ".repeat(NBK_XML_BYTES_MAX + 1);
    assert_eq!(parse(&large).expect_err("large").code(), "nbk_too_large");
    assert_eq!(parse_bytes(large.as_bytes()).expect_err("large").code(), "nbk_too_large");
    let many: String = (0..=NBK_ITEMS_MAX).map(|_| "<item/>").collect();
    assert_eq!(refused(&by_date_file(&many)).0, "nbk_too_many_items");
    let deep = format!("<rates>{}{}</rates>", "<a>".repeat(20), "</a>".repeat(20));
    assert_eq!(refused(&deep).0, "nbk_malformed_xml");
    assert_eq!(parse_bytes(b"<rates>\xff</rates>").expect_err("bytes").code(), "nbk_malformed_xml");
}

/// Layout does not matter: a byte-order mark, CDATA, entities, attributes and unknown
/// elements read the same.
#[test]
fn equivalent_spellings_read_the_same() {
    let plain = by_date_file(&item("USD", "474.2", "1"));
    let spelled = "\u{FEFF}<?xml version=\"1.0\"?>\n<!-- a comment --><rates version=\"1\"><generator>g</generator>\
                   <date> 31.07.2026 </date><item><fullname>X</fullname><index>UP</index><title><![CDATA[USD]]></title>\
                   <description>&#52;74.2</description><quant>\n 1 \n</quant><change>+0.51</change></item></rates>";
    assert_eq!(parse(spelled), parse(&plain));
}

proptest! {
    /// Any published rate with up to 2 decimals divided by 1, 10, 100 or 1000 reads back exactly:
    /// per unit × quantity is the published rate.
    #[test]
    fn per_unit_times_quant_is_the_published_rate(cents in 1_u64..100_000_000, quant in prop::sample::select(vec![1_u32, 10, 100, 1000])) {
        let published = format!("{}.{:02}", cents / 100, cents % 100);
        let rates = parse(&by_date_file(&item("USD", &published, &quant.to_string()))).expect("read");
        let read = rates.items[0].per_unit.value() * rust_decimal::Decimal::from(quant);
        prop_assert_eq!(read.normalize(), published.parse::<rust_decimal::Decimal>().expect("decimal").normalize());
    }

    /// No input makes the reader panic: it reads or refuses.
    #[test]
    fn arbitrary_text_never_panics(text in "\\PC{0,200}") {
        let _ = parse(&text);
        let _ = parse(&by_date_file(&text));
    }
}
