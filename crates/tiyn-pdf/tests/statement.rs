//! The account statement as PDF (R-3.1.2.1, R-3.1.2.6, R-3.1.2.7), read back two independent
//! ways: lopdf and poppler's `pdftotext`, two parsers and two readers of the fonts' ToUnicode
//! maps. Both must find every amount, name, balance, day's turnover and page number: a broken
//! font embedding, Unicode map or page count shows in one of them. `pdftotext -raw` keeps the
//! content-stream order (a wrapped cell reads whole); `pdftotext -layout` keeps the page's
//! geometry, which shows that a row's cells sit on one line.

use std::process::Command;

use jiff::civil::Date;
use tiyn_core::{Bic, Currency, EntryId, Iban, Knp, Money, TaxpayerId};
use tiyn_pdf::{Lang, Presentation, RenderError, STATEMENT_PAGES_MAX};
use tiyn_statement::{
    Counterparty, CounterpartyAccount, Direction, LineKind, Period, StatementError, StatementHeader, StatementLine,
    Turnover,
};

/// Debian's poppler-utils; `.ci/run` installs it. A missing tool fails the tests, never skips them.
const PDFTOTEXT: &str = "/usr/bin/pdftotext";

fn date(text: &str) -> Date {
    text.parse().expect("a date")
}

fn kzt(minor: i64) -> Money {
    Money::from_minor(minor, Currency::Kzt)
}

fn iban(bban: &str) -> Iban {
    Iban::from_bban("KZ", bban).expect("an IBAN")
}

fn party(name: &str, id: &str, bban: &str, bic: &str) -> Counterparty {
    Counterparty {
        name: name.to_owned(),
        taxpayer_id: Some(TaxpayerId::parse(id).expect("a BIN/IIN")),
        account: Some(CounterpartyAccount::Iban(iban(bban))),
        bic: Some(Bic::parse(bic).expect("a BIC")),
    }
}

fn bank() -> Counterparty {
    Counterparty { name: "АО «Тийн Банк»".to_owned(), taxpayer_id: None, account: None, bic: None }
}

struct Spec {
    day: &'static str,
    kind: LineKind,
    direction: Direction,
    minor: i64,
    number: Option<&'static str>,
    counterparty: Counterparty,
    knp: &'static str,
    purpose: &'static str,
}

const LONG_PURPOSE: &str = "Оплата по договору поставки № 15 от 01.12.2025 за строительные материалы согласно \
                            счёт-фактуре № 301 от 10.01.2026 и акту приёма-передачи, в том числе НДС 12 %; \
                            Қазақстан Республикасы, Әлем ұйымы үшін";

/// Five days, 12 to 16 January 2026: three lines on the 12th (a credit, a payment and its bank
/// commission), none on the 13th, a payment and the reversal of the 12th's payment on the 14th,
/// none on the 15th, one payment on the 16th. Every amount is different, so finding one proves
/// its own line is there.
fn specs() -> Vec<Spec> {
    let client = || party("ТОО «Қазақстан Әлем ұйым»", "971240001315", "125KZT2069100100", "HSBKKZKX");
    let supplier = || party("ИП Әлем Ұйым Қазақстан", "900101310004", "722C000000000777", "TIYNKZKA");
    vec![
        Spec {
            day: "2026-01-12",
            kind: LineKind::IncomingCredit,
            direction: Direction::Credit,
            minor: 150_000_025,
            number: Some("301"),
            counterparty: client(),
            knp: "710",
            purpose: "Оплата за товары по счёту № 301",
        },
        Spec {
            day: "2026-01-12",
            kind: LineKind::Payment,
            direction: Direction::Debit,
            minor: 25_000_000,
            number: Some("12"),
            counterparty: supplier(),
            knp: "710",
            purpose: LONG_PURPOSE,
        },
        Spec {
            day: "2026-01-12",
            kind: LineKind::Commission,
            direction: Direction::Debit,
            minor: 20_000,
            number: None,
            counterparty: bank(),
            knp: "840",
            purpose: "За межбанковский перевод по платёжному поручению № 12",
        },
        Spec {
            day: "2026-01-14",
            kind: LineKind::Payment,
            direction: Direction::Debit,
            minor: 7_500_050,
            number: Some("13"),
            counterparty: party("АО «Казахтелеком»", "090444010009", "601A861000200001", "HSBKKZKX"),
            knp: "859",
            purpose: "Оплата услуг связи за декабрь 2025 года",
        },
        Spec {
            day: "2026-01-14",
            kind: LineKind::Reversal,
            direction: Direction::Credit,
            minor: 25_000_000,
            number: Some("12"),
            counterparty: supplier(),
            knp: "710",
            purpose: "Возврат платежа № 12: неверные реквизиты получателя",
        },
        Spec {
            day: "2026-01-16",
            kind: LineKind::Payment,
            direction: Direction::Debit,
            minor: 123_456_789,
            number: Some("14"),
            counterparty: party("ТОО «Northwind Trading Kazakhstan»", "241150010006", "998CTB0000012345", "TSESKZKA"),
            knp: "710",
            purpose: "Предоплата по контракту № NW-7",
        },
    ]
}

fn line(index: usize, spec: &Spec) -> StatementLine {
    StatementLine {
        entry: EntryId::new(index as i64 + 1),
        booked_at: format!("{}T05:00:00Z", spec.day).parse().expect("an instant"),
        booking_date: date(spec.day),
        value_date: date(spec.day),
        kind: spec.kind,
        direction: spec.direction,
        amount: kzt(spec.minor),
        document_number: spec.number.map(str::to_owned),
        counterparty: spec.counterparty.clone(),
        knp: Some(Knp::parse(spec.knp).expect("a KNP")),
        purpose: spec.purpose.to_owned(),
    }
}

fn fixture_lines() -> impl Iterator<Item = StatementLine> {
    specs().into_iter().enumerate().map(|(index, spec)| line(index, &spec))
}

/// The header of `lines` over 12–16 January 2026 with an opening balance of 1 000 000,00 KZT;
/// its turnovers and closing balance are summed from the lines.
fn header_for(lines: impl Iterator<Item = StatementLine>) -> StatementHeader {
    let opening = kzt(100_000_000);
    let mut turnover = Turnover::zero(Currency::Kzt);
    for line in lines {
        turnover.add(&line).expect("sums");
    }
    let closing = opening.checked_add(turnover.credit).and_then(|sum| sum.checked_sub(turnover.debit)).expect("sums");
    StatementHeader {
        reference: "ST-2026-0001".to_owned(),
        created_at: "2026-01-17T04:00:00Z".parse().expect("an instant"),
        bank_name: "АО «Тийн Банк»".to_owned(),
        bank_bic: Bic::parse("TIYNKZKA").expect("a BIC"),
        account_iban: iban("722C000000000001"),
        currency: Currency::Kzt,
        holder_name: "ТОО «Демо Партнёр Әлем»".to_owned(),
        holder_id: TaxpayerId::parse("241150010006").expect("a BIN"),
        period: Period::new(date("2026-01-12"), date("2026-01-16")).expect("a period"),
        opening,
        closing,
        turnover,
    }
}

fn render(header: &StatementHeader, lang: Lang, lines: impl Fn() -> Vec<StatementLine>) -> Vec<u8> {
    // The closure gives an iterator over a fresh Vec each call only because tests build their
    // lines in memory; the renderer itself takes any iterator and never collects it.
    tiyn_pdf::account_statement(header, || lines().into_iter(), &Presentation::kazakhstan(lang)).expect("renders")
}

/// Line breaks and no-break spaces read as spaces, runs of spaces as one.
fn normalize(text: &str) -> String {
    text.replace('\u{A0}', " ").split_whitespace().collect::<Vec<_>>().join(" ")
}

/// Each page's text as lopdf extracts it.
fn lopdf_pages(pdf: &[u8]) -> Vec<String> {
    let document = lopdf::Document::load_mem(pdf).expect("the PDF parses");
    document
        .get_pages()
        .keys()
        .map(|number| normalize(&document.extract_text(&[*number]).expect("text extracts")))
        .collect()
}

/// How `pdftotext` orders the text.
#[derive(Debug, Clone, Copy)]
enum Mode {
    /// As the content stream draws it.
    Raw,
    /// As the page shows it: one text line per line of the page, columns padded with spaces.
    Layout,
}

/// Each page's text as poppler's `pdftotext` extracts it (pages end with a form feed); in
/// [`Mode::Layout`], each page's lines, normalized one by one.
fn pdftotext(pdf: &[u8], name: &str, mode: Mode) -> Vec<String> {
    let path = std::env::temp_dir().join(format!("tiyn-pdf-statement-{}-{name}-{mode:?}.pdf", std::process::id()));
    std::fs::write(&path, pdf).expect("the PDF is written");
    let flag = match mode {
        Mode::Raw => "-raw",
        Mode::Layout => "-layout",
    };
    let output = Command::new(PDFTOTEXT).arg(flag).arg("-enc").arg("UTF-8").arg(&path).arg("-").output();
    std::fs::remove_file(&path).expect("the PDF is removed");
    let output = output
        .unwrap_or_else(|error| panic!("{PDFTOTEXT} runs ({error}): install Debian's poppler-utils, as .ci/run does"));
    assert!(output.status.success(), "pdftotext: {}", String::from_utf8_lossy(&output.stderr));
    let text = String::from_utf8(output.stdout).expect("pdftotext writes UTF-8");
    let mut pages: Vec<String> = text
        .split('\u{C}')
        .map(|page| match mode {
            Mode::Raw => normalize(page),
            Mode::Layout => page.lines().map(normalize).collect::<Vec<_>>().join("\n"),
        })
        .collect();
    if pages.last().is_some_and(String::is_empty) {
        pages.pop();
    }
    pages
}

/// The lines of the pages as `pdftotext -layout` sees them.
fn layout_lines(pdf: &[u8], name: &str) -> Vec<String> {
    pdftotext(pdf, name, Mode::Layout)
        .iter()
        .flat_map(|page| page.lines().map(str::to_owned).collect::<Vec<_>>())
        .collect()
}

/// The pages read both ways, with the name of the reader.
fn both_ways(pdf: &[u8], name: &str) -> [(&'static str, Vec<String>); 2] {
    [("lopdf", lopdf_pages(pdf)), ("pdftotext", pdftotext(pdf, name, Mode::Raw))]
}

fn assert_contains(reader: &str, text: &str, expected: &str) {
    assert!(text.contains(expected), "{reader}: {expected:?} is not in the text: {text}");
}

/// R-3.1.2.6, R-3.1.2.1: the statement shows its title block, every line's amount and
/// counterparty (Russian and Kazakh names), the commission as its own line, the reversal
/// marked, each day's turnovers and closing balance, no row for the days without operations,
/// the period's turnovers, the opening and closing balances, and the stamp's notice.
#[test]
fn a_statement_shows_every_line_turnover_and_balance_read_back_two_ways() {
    let header = header_for(fixture_lines());
    let pdf = render(&header, Lang::Ru, || fixture_lines().collect());
    assert!(pdf.starts_with(b"%PDF-"));
    let document = lopdf::Document::load_mem(&pdf).expect("parses");
    let images = document
        .objects
        .values()
        .filter_map(|object| object.as_stream().ok())
        .filter(|stream| {
            stream.dict.get(b"Subtype").and_then(lopdf::Object::as_name).is_ok_and(|name| name == b"Image")
        })
        .count();
    assert_eq!(images, 0, "the stamp is drawn, not a picture");
    for (reader, pages) in both_ways(&pdf, "fixture") {
        let text = pages.join(" ");
        for expected in [
            "АО «Тийн Банк»",
            "БИК TIYNKZKA",
            "Выписка по счёту",
            "за период с 12.01.2026 по 16.01.2026",
            "ТОО «Демо Партнёр Әлем»",
            "241150010006",
            "17.01.2026 09:00:00 (UTC+05:00)",
            "Входящий остаток на 12.01.2026 1 000 000,00 KZT",
            "Исходящий остаток на 16.01.2026 1 190 231,86 KZT",
            "Итого обороты за период 1 559 768,39 1 750 000,25",
            "Изображение электронной печати банка, нанесённое на выписку, не является оригиналом печати банка \
             и не имеет юридической силы.",
            "Дни без операций в выписке не показаны",
            "ДЛЯ ВЫПИСОК",
        ] {
            assert_contains(reader, &text, expected);
        }
        assert_contains(reader, &text, header.account_iban.as_str());
        // Every line: its amount, counterparty, requisites and KNP.
        for (spec, line) in specs().iter().zip(fixture_lines()) {
            let amount = normalize(&format_amount(spec.minor));
            assert_contains(reader, &text, &amount);
            assert_contains(reader, &text, &spec.counterparty.name);
            if let Some(account) = &line.counterparty.account {
                assert_contains(reader, &text, account.as_str());
            }
            if let (Some(id), Some(bic)) = (&line.counterparty.taxpayer_id, &line.counterparty.bic) {
                assert_contains(reader, &text, &format!("{} {}", id.as_str(), bic.as_str()));
            }
            assert_contains(reader, &text, &format!("{} {}", date_ru(spec.day), date_ru(spec.day)));
        }
        assert_contains(reader, &text, "Комиссия банка: За межбанковский перевод по платёжному поручению № 12");
        assert_contains(reader, &text, "СТОРНО: Возврат платежа № 12: неверные реквизиты получателя");
        // The long purpose wraps, and no word of it is lost.
        let squeezed: String = text.chars().filter(|character| !character.is_whitespace()).collect();
        let purpose: String = LONG_PURPOSE.chars().filter(|character| !character.is_whitespace()).collect();
        assert!(squeezed.contains(&purpose), "{reader}: the whole purpose is there: {text}");
        // Each day with operations: debit and credit turnovers, then the day's closing balance.
        for (day, closing, debit, credit) in [
            ("12.01.2026", "2 249 800,25", "250 200,00", "1 500 000,25"),
            ("14.01.2026", "2 424 799,75", "75 000,50", "250 000,00"),
            ("16.01.2026", "1 190 231,86", "1 234 567,89", "0,00"),
        ] {
            let row = format!("Обороты за {day} · остаток на конец дня {closing} KZT {debit} {credit}");
            assert_contains(reader, &text, &row);
        }
        for quiet in ["13.01.2026", "15.01.2026"] {
            assert!(!text.contains(&format!("Обороты за {quiet}")), "{reader}: no row for a day without operations");
        }
        let count = pages.len();
        for (index, page) in pages.iter().enumerate() {
            assert_contains(reader, page, &format!("Страница {} из {count}", index + 1));
        }
    }
    // As the page shows them: a day's label and its two turnovers on one line, each balance
    // beside its label, each amount on the line of its date and counterparty.
    let lines = layout_lines(&pdf, "fixture");
    for expected in [
        "Входящий остаток на 12.01.2026 1 000 000,00 KZT",
        "Обороты за 12.01.2026 · остаток на конец дня 2 249 800,25 KZT 250 200,00 1 500 000,25",
        "Обороты за 14.01.2026 · остаток на конец дня 2 424 799,75 KZT 75 000,50 250 000,00",
        "Обороты за 16.01.2026 · остаток на конец дня 1 190 231,86 KZT 1 234 567,89 0,00",
        "Итого обороты за период 1 559 768,39 1 750 000,25",
        "Исходящий остаток на 16.01.2026 1 190 231,86 KZT",
    ] {
        assert!(lines.iter().any(|line| line == expected), "{expected:?} is not a line of the page: {lines:#?}");
    }
    for spec in specs() {
        let amount = format_amount(spec.minor);
        assert!(
            lines.iter().any(|line| line.starts_with(&date_ru(spec.day)) && line.ends_with(&amount)),
            "{amount} ends the first line of its row, which starts with its date: {lines:#?}"
        );
    }
}

/// `1500000,25` as the statement writes it (`1 500 000,25`, no-break spaces).
fn format_amount(minor: i64) -> String {
    let whole = (minor / 100).to_string();
    let mut grouped = String::new();
    for (index, digit) in whole.chars().enumerate() {
        if index > 0 && (whole.len() - index).is_multiple_of(3) {
            grouped.push(' ');
        }
        grouped.push(digit);
    }
    format!("{grouped},{:02}", minor % 100)
}

fn date_ru(iso: &str) -> String {
    date(iso).strftime("%d.%m.%Y").to_string()
}

/// 300 lines over the five days: one of the statement's pages holds about twenty.
fn long_lines() -> impl Iterator<Item = StatementLine> {
    let days = ["2026-01-12", "2026-01-14", "2026-01-15", "2026-01-16"];
    let specs = specs();
    (0..300).map(move |index| {
        let template = &specs[index % specs.len()];
        let spec = Spec {
            day: days[index * days.len() / 300],
            kind: if template.kind == LineKind::Reversal { LineKind::Payment } else { template.kind },
            direction: template.direction,
            minor: template.minor + index as i64,
            number: template.number,
            counterparty: template.counterparty.clone(),
            knp: template.knp,
            purpose: template.purpose,
        };
        line(index, &spec)
    })
}

/// R-3.1.2.6: a long statement runs over many A4 pages, each numbered "page N of M" with the
/// right M, each repeating the table's column titles, every line's amount on one of them.
#[test]
fn a_long_statement_has_numbered_pages_with_the_table_head_on_each() {
    let header = header_for(long_lines());
    let pdf = render(&header, Lang::Ru, || long_lines().collect());
    let document = lopdf::Document::load_mem(&pdf).expect("parses");
    let count = document.get_pages().len();
    assert!(count > 5, "300 lines take more than five pages: {count}");
    for (_, page) in document.get_pages() {
        let media_box = document.get_object(page).and_then(lopdf::Object::as_dict).expect("page").get(b"MediaBox");
        let media_box = format!("{media_box:?}");
        assert!(media_box.contains("841.89") && media_box.contains("595.28"), "A4 landscape: {media_box}");
    }
    for (reader, pages) in both_ways(&pdf, "long") {
        assert_eq!(pages.len(), count, "{reader}");
        for (index, page) in pages.iter().enumerate() {
            assert_contains(reader, page, &format!("Страница {} из {count}", index + 1));
            assert_contains(reader, page, "Назначение платежа");
        }
        let text = pages.join(" ");
        for line in long_lines() {
            assert_contains(reader, &text, &format_amount(line.amount.minor()));
        }
    }
}

/// R-3.1.2.6: the labels, the page numbers and the stamp's notice in Kazakh and in English; the
/// data (names, purposes) stays as it was entered.
#[test]
fn kazakh_and_english_statements_translate_the_labels() {
    let header = header_for(fixture_lines());
    for (lang, expected) in [
        (
            Lang::Kk,
            [
                "Шот бойынша үзінді көшірме",
                "12.01.2026 – 16.01.2026 кезеңі",
                "банк мөрінің түпнұсқасы болып табылмайды және заңды күші жоқ",
                "1 беттің 1-беті",
                "ТОО «Қазақстан Әлем ұйым»",
            ],
        ),
        (
            Lang::En,
            [
                "Account statement",
                "for the period 2026-01-12 to 2026-01-16",
                "is not the original of the bank's stamp and has no legal force",
                "Page 1 of 1",
                "1,500,000.25",
            ],
        ),
    ] {
        let pdf = render(&header, lang, || fixture_lines().collect());
        for (reader, pages) in both_ways(&pdf, &format!("{lang:?}")) {
            let text = pages.join(" ");
            for expected in expected {
                assert_contains(&format!("{reader} {lang:?}"), &text, expected);
            }
        }
    }
}

/// R-3.1.2.6: rendering is pure: the same statement gives the same bytes (the PDF's dates come
/// from the header, not the clock).
#[test]
fn the_same_statement_gives_the_same_bytes() {
    let header = header_for(fixture_lines());
    let first = render(&header, Lang::Ru, || fixture_lines().collect());
    let second = render(&header, Lang::Ru, || fixture_lines().collect());
    assert!(first == second);
}

/// R-3.1.2.6: a period without operations still gives a statement: the balances, a sentence
/// saying there were none, and the stamp.
#[test]
fn a_statement_without_lines_says_so() {
    let header = header_for(std::iter::empty());
    let pdf = render(&header, Lang::Ru, Vec::new);
    for (reader, pages) in both_ways(&pdf, "empty") {
        assert_eq!(pages.len(), 1, "{reader}");
        let text = pages.join(" ");
        assert_contains(reader, &text, "За период операций по счёту не было.");
        assert_contains(reader, &text, "Исходящий остаток на 16.01.2026 1 000 000,00 KZT");
        assert_contains(reader, &text, "Страница 1 из 1");
    }
}

/// R-3.1.2.1 (nothing left out): a header whose turnovers differ from its lines' is refused
/// with tiyn-statement's typed error, not drawn as a wrong statement.
#[test]
fn a_header_that_disagrees_with_its_lines_is_refused() {
    let mut header = header_for(fixture_lines());
    header.turnover.debit = header.turnover.debit.checked_add(kzt(1)).expect("adds");
    let error =
        tiyn_pdf::account_statement(&header, fixture_lines, &Presentation::kazakhstan(Lang::Ru)).expect_err("refused");
    assert!(matches!(error, RenderError::Statement(StatementError::TurnoverMismatch { .. })), "{error:?}");
    assert_eq!(error.code(), "statement_turnover_mismatch");

    // Lines out of booking order are refused the same way.
    let header = header_for(fixture_lines());
    let reversed = || fixture_lines().collect::<Vec<_>>().into_iter().rev();
    let error =
        tiyn_pdf::account_statement(&header, reversed, &Presentation::kazakhstan(Lang::Ru)).expect_err("refused");
    assert!(matches!(error, RenderError::Statement(StatementError::OutOfOrder { .. })), "{error:?}");
}

/// R-3.1.2.6: the two passes over the lines must see the same lines; a source that changes in
/// between (not a snapshot) is refused rather than drawn with wrong page numbers.
#[test]
fn lines_that_change_between_the_passes_are_refused() {
    let header = header_for(long_lines());
    let mut calls = 0;
    let error = tiyn_pdf::account_statement(
        &header,
        || {
            calls += 1;
            let longer = calls > 1;
            long_lines().map(move |mut line| {
                if longer {
                    line.purpose = format!("{} {}", line.purpose, LONG_PURPOSE);
                }
                line
            })
        },
        &Presentation::kazakhstan(Lang::Ru),
    )
    .expect_err("refused");
    assert!(matches!(error, RenderError::LinesChanged { .. }), "{error:?}");
    assert_eq!(calls, 2);
}

/// R-3.1.2.6: a statement too long for one PDF is refused with an error that tells the user to
/// choose a shorter period or export CSV/XLSX; it is never cut short.
#[test]
fn a_statement_over_the_page_bound_is_refused() {
    // Rows of a very long purpose: about four to a page, so the bound is passed after a few
    // thousand lines.
    let purpose = LONG_PURPOSE.repeat(8);
    let lines = || {
        let purpose = purpose.clone();
        (0..(STATEMENT_PAGES_MAX * 5)).map(move |index| {
            let mut line = line(index, &specs()[3]);
            line.purpose = purpose.clone();
            line
        })
    };
    let header = header_for(lines());
    let error = tiyn_pdf::account_statement(&header, lines, &Presentation::kazakhstan(Lang::Ru)).expect_err("refused");
    assert!(matches!(error, RenderError::StatementTooLong { pages_max: STATEMENT_PAGES_MAX }), "{error:?}");
    let message = error.to_string();
    assert!(message.contains("shorter period") && message.contains("CSV or XLSX"), "{message}");
    assert_eq!(error.code(), "statement_too_long_for_pdf");
}
