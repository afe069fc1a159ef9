//! MT940 read back with the mt940 crate (a strict, independent parser of the SWIFT X character
//! set), and the UTF-8 variant with a small strict reader here.

use std::str::FromStr;

use mt940::{DebitOrCredit, ExtDebitOrCredit, InformationToAccountOwner, Message, TransactionTypeIdentificationCode};
use rust_decimal::Decimal;
use tiyn_core::{Currency, Money};
use tiyn_statement::{Direction, LineKind, Mt940Charset, Mt940Options, write_mt940};

use crate::common::{Statement, empty_statement, kzt_statement, usd_statement};

fn write(statement: &Statement, options: &Mt940Options) -> String {
    let mut bytes = Vec::new();
    let summary = write_mt940(&statement.header, &statement.lines, options, &mut bytes).unwrap();
    assert_eq!(summary.bytes, bytes.len() as u64);
    String::from_utf8(bytes).unwrap()
}

/// Parses with the mt940 crate. Its grammar has the typographic apostrophe (U+2018) where the X
/// character set has `'`, so the one is swapped for the other first; nothing else is touched.
fn parse(text: &str) -> Vec<Message> {
    mt940::parse_mt940(&text.replace('\'', "\u{2018}")).unwrap()
}

fn decimal(money: Money) -> Decimal {
    Decimal::from_str(&money.amount_string()).unwrap()
}

fn signed(balance: &mt940::Balance) -> Decimal {
    match balance.debit_credit_indicator {
        DebitOrCredit::Credit => balance.amount,
        DebitOrCredit::Debit => -balance.amount,
    }
}

fn plain(line: &mt940::StatementLine) -> String {
    match &line.information_to_account_owner {
        // Lines are joined without separators (see the writer's `:86:` docs).
        Some(InformationToAccountOwner::Plain(text)) => text.replace('\u{2018}', "'").replace('\n', ""),
        other => panic!("a plain :86:, not {other:?}"),
    }
}

/// R-3.1.2.7: the SWIFT variant parses with a strict MT940 parser: one message per day with
/// lines, balances that chain across the days without lines, each message's lines summing to
/// its balance change, RD for the reversal, NCHG for the commission, and the counterparty's
/// requisites in `:86:`.
#[test]
fn r_3_1_2_7_mt940_parses_with_a_strict_reader_and_balances_chain() {
    let statement = kzt_statement();
    let text = write(&statement, &Mt940Options::default());
    assert!(
        text.lines().all(|line| line.chars().all(|c| c.is_ascii_alphanumeric() || "/-?:().,'+ \r".contains(c))),
        "only the X character set:\n{text}"
    );
    let messages = parse(&text);
    assert_eq!(messages.len(), 4, "1, 2, 4 and 7 October have lines");
    let mut previous_closing = decimal(statement.header.opening);
    let mut lines = statement.lines.iter();
    for (index, message) in messages.iter().enumerate() {
        assert_eq!(message.transaction_ref_no, "ST-2024-000042");
        assert_eq!(message.account_id, statement.header.account_iban.as_str());
        assert_eq!(message.statement_no, format!("{:05}", index + 1));
        assert_eq!(message.opening_balance.iso_currency_code, "KZT");
        assert_eq!(signed(&message.opening_balance), previous_closing, "the balances chain");
        let mut balance = signed(&message.opening_balance);
        for parsed in &message.statement_lines {
            let line = lines.next().unwrap();
            assert_eq!(parsed.amount, decimal(line.amount));
            assert_eq!(parsed.value_date.to_string(), line.value_date.to_string());
            assert_eq!(parsed.entry_date.unwrap().to_string(), line.booking_date.to_string());
            assert_eq!(parsed.bank_ref.as_deref(), Some(line.entry.to_string().as_str()));
            assert_eq!(parsed.customer_ref, line.document_number.clone().unwrap_or_else(|| "NONREF".into()));
            // The crate names the indicators by what the entry reverses: RD (a credit reversing a
            // debit) is its ReverseCredit.
            let credit = match parsed.ext_debit_credit_indicator {
                ExtDebitOrCredit::Credit | ExtDebitOrCredit::ReverseCredit => true,
                ExtDebitOrCredit::Debit | ExtDebitOrCredit::ReverseDebit => false,
            };
            assert_eq!(credit, line.direction == Direction::Credit);
            balance += if credit { parsed.amount } else { -parsed.amount };
        }
        assert_eq!(signed(&message.closing_balance), balance, "lines sum to the day's change");
        previous_closing = balance;
    }
    assert!(lines.next().is_none(), "every line was written");
    assert_eq!(previous_closing, decimal(statement.header.closing));

    let commission = &messages[1].statement_lines[1];
    assert_eq!(commission.transaction_type_ident_code, TransactionTypeIdentificationCode::CHG);
    assert_eq!(commission.customer_ref, "NONREF");
    let reversal = &messages[2].statement_lines[0];
    assert_eq!(reversal.ext_debit_credit_indicator, ExtDebitOrCredit::ReverseCredit);
    assert!(text.contains(":61:2410041004RD20000,00NTRF15//1004\r\n"), "{text}");
    assert!(text.contains(":60F:C241004KZT129850,00\r\n"), "the day after a day without lines opens at its close");

    let first = plain(&messages[0].statement_lines[0]);
    assert!(first.starts_with("/NAME/TOO 'Kazak Garysh Servis'/IDN/220340110009/IBAN/KZ806014482455345985"), "{first}");
    assert!(first.contains("/BIC/HSBKKZKX/KNP/710/ASSIGN/Oplata po schetu N7"), "{first}");
    let long = plain(&messages[1].statement_lines[0]);
    let long_lines = match &messages[1].statement_lines[0].information_to_account_owner {
        Some(InformationToAccountOwner::Plain(text)) => text.lines().count(),
        other => panic!("{other:?}"),
    };
    assert!((2..=6).contains(&long_lines), "the long purpose runs on over the lines");
    assert!(long.ends_with("schet-faktura N 455 ot 01.10.2024"), "{long}");
    assert!(long.starts_with("/NAME/IP Aliev Ulan H./IDN/900101310004"), "{long}");
}

/// R-3.1.2.7: a USD account, and a period without lines (one message stating the balance).
#[test]
fn r_3_1_2_7_mt940_usd_and_empty_statements() {
    let usd = usd_statement();
    let messages = parse(&write(&usd, &Mt940Options { first_statement_number: 99_999, ..Mt940Options::default() }));
    assert_eq!(messages.len(), 1);
    let message = &messages[0];
    assert_eq!(message.statement_no, "99999");
    assert_eq!(message.closing_balance.iso_currency_code, "USD");
    assert_eq!(message.statement_lines[0].amount, Decimal::from_str("1500.50").unwrap());
    assert_eq!(message.statement_lines[0].customer_ref, "INV-2024/77");
    assert_eq!(signed(&message.closing_balance), decimal(usd.header.closing));
    assert_eq!(usd.header.closing, Money::from_minor(25_000 + 150_050 - 1_500, Currency::Usd));

    let empty = empty_statement();
    let messages = parse(&write(&empty, &Mt940Options::default()));
    assert_eq!(messages.len(), 1);
    assert!(messages[0].statement_lines.is_empty());
    assert_eq!(signed(&messages[0].opening_balance), signed(&messages[0].closing_balance));
    assert_eq!(messages[0].closing_balance.date.to_string(), "2024-12-03");
}

/// R-3.1.2.7: the UTF-8 variant keeps the Cyrillic and Kazakh text, within the same limits;
/// read by a small strict reader: tags in order, six `:86:` lines of 65 characters at most, sums.
#[test]
fn r_3_1_2_7_mt940_utf8_keeps_cyrillic_within_the_limits() {
    let statement = kzt_statement();
    let text = write(&statement, &Mt940Options { charset: Mt940Charset::Utf8, ..Mt940Options::default() });
    let narratives: Vec<String> = text
        .split("\r\n:")
        .filter_map(|field| field.strip_prefix("86:"))
        .map(|field| field.split("\r\n").collect::<String>())
        .collect();
    assert_eq!(narratives.len(), statement.lines.len());
    assert!(narratives[0].starts_with("/NAME/ТОО «Қазақ Ғарыш Сервис»/IDN/220340110009"), "{text}");
    assert!(
        narratives[0]
            .ends_with("/ASSIGN/Оплата по счёту №7 от 30.09.2024 за услуги, в т.ч. НДС 12%; Қызмет үшін төлем")
    );
    assert_eq!(
        narratives[2],
        "/NAME/АО «Kaspi Bank»/ACC/Комиссионные доходы/BIC/CASPKZKA/ASSIGN/Комиссия за платёж №15 (межбанковский)"
    );
    let mut tags = Vec::new();
    let mut narrative_lines = 0;
    let mut net = Money::zero(Currency::Kzt);
    for line in text.split("\r\n").filter(|line| !line.is_empty()) {
        if let Some(rest) = line.strip_prefix(':') {
            let (tag, value) = rest.split_once(':').unwrap();
            tags.push(tag.to_owned());
            narrative_lines = usize::from(tag == "86");
            if tag == "61" {
                let mark_at = value.find(['C', 'D', 'R']).unwrap();
                let (mark, rest) = value[mark_at..].split_at(if value[mark_at..].starts_with('R') { 2 } else { 1 });
                let amount_text: String = rest.chars().take_while(|c| c.is_ascii_digit() || *c == ',').collect();
                let amount = Money::parse(&amount_text.replace(',', "."), Currency::Kzt).unwrap();
                net = match mark {
                    "C" | "RD" => net.checked_add(amount).unwrap(),
                    _ => net.checked_sub(amount).unwrap(),
                };
            }
            assert!(value.chars().count() <= 65 || tag != "86");
        } else {
            assert_eq!(tags.last().map(String::as_str), Some("86"), "only :86: runs on: {line:?}");
            narrative_lines += 1;
            assert!(narrative_lines <= 6 && line.chars().count() <= 65, "{line:?}");
        }
    }
    assert_eq!(tags.iter().filter(|tag| *tag == "20").count(), 4);
    assert_eq!(tags.iter().filter(|tag| *tag == "61").count(), statement.lines.len());
    assert_eq!(net, statement.header.closing.checked_sub(statement.header.opening).unwrap());
    assert_eq!(statement.lines.iter().filter(|line| line.kind == LineKind::Reversal).count(), 1);
}
