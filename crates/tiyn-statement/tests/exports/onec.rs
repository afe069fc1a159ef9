//! 1CClientBankExchange read back: with a small reader of the format here (sections and keys,
//! sums checked), with tiyn-payments' Windows-1251 decoder (an independent table), and with
//! tiyn-payments' strict 1C import reader, which must find the file well-formed and refuse it
//! only for being a statement.

use std::collections::BTreeMap;

use tiyn_core::Money;
use tiyn_payments::import::encoding::Encoding;
use tiyn_payments::import::one_c;
use tiyn_statement::onec::windows_1251_byte;
use tiyn_statement::{Cp1251Fallback, Direction, OneCEncoding, OneCOptions, StatementError, write_onec};

use crate::common::{Statement, kzt_statement, usd_statement};

fn write(statement: &Statement, encoding: OneCEncoding) -> Result<Vec<u8>, StatementError> {
    let mut bytes = Vec::new();
    let options = OneCOptions { encoding, ..OneCOptions::default() };
    let summary = write_onec(&statement.header, &statement.lines, &options, &mut bytes)?;
    assert_eq!(summary.bytes, bytes.len() as u64);
    Ok(bytes)
}

/// A 1C file as sections of keys: the header, the account section, the documents.
#[derive(Debug, Default)]
struct File {
    header: BTreeMap<String, String>,
    account: BTreeMap<String, String>,
    documents: Vec<BTreeMap<String, String>>,
}

/// A strict little reader: CRLF lines, the signature first, `КонецФайла` last, sections closed,
/// no key twice in a section.
fn read(text: &str) -> File {
    let lines: Vec<&str> = text.strip_suffix("\r\n").unwrap().split("\r\n").collect();
    assert_eq!(lines[0], "1CClientBankExchange");
    assert_eq!(*lines.last().unwrap(), "КонецФайла");
    let mut file = File::default();
    let mut section: Option<&str> = None;
    for line in &lines[1..lines.len() - 1] {
        assert!(!line.contains('\n') && !line.contains('\r'), "{line:?}");
        match (*line, section) {
            ("СекцияРасчСчет", None) => section = Some("account"),
            ("КонецРасчСчет", Some("account")) => section = None,
            ("КонецДокумента", Some("document")) => section = None,
            (line, current) => {
                let (key, value) = line.split_once('=').unwrap_or_else(|| panic!("Key=Value: {line:?}"));
                let target = match (key, current) {
                    ("СекцияДокумент", None) => {
                        section = Some("document");
                        file.documents.push(BTreeMap::new());
                        file.documents.last_mut().unwrap()
                    }
                    (_, None) => &mut file.header,
                    (_, Some("account")) => &mut file.account,
                    (_, Some(_)) => file.documents.last_mut().unwrap(),
                };
                assert!(target.insert(key.to_owned(), value.to_owned()).is_none(), "{key} twice");
            }
        }
    }
    assert!(section.is_none(), "every section closed");
    file
}

fn money(text: &str, statement: &Statement) -> Money {
    Money::parse_canonical(text, statement.header.currency).unwrap()
}

fn check_against(file: &File, statement: &Statement) {
    let header = &statement.header;
    assert_eq!(
        file.header["ДатаНачала"],
        "01.10.2024".replace("10.2024", &header.period.from().strftime("%m.%Y").to_string())
    );
    assert_eq!(file.header["РасчСчет"], header.account_iban.as_str());
    assert_eq!(file.header["ДатаСоздания"], "01.11.2024");
    assert_eq!(file.header["ВремяСоздания"], "18:11:22", "13:11:22 UTC at UTC+5");
    assert_eq!(money(&file.account["НачальныйОстаток"], statement), header.opening);
    assert_eq!(money(&file.account["КонечныйОстаток"], statement), header.closing);
    let incoming = money(&file.account["ВсегоПоступило"], statement);
    let outgoing = money(&file.account["ВсегоСписано"], statement);
    assert_eq!(header.opening.checked_add(incoming).unwrap().checked_sub(outgoing).unwrap(), header.closing);

    assert_eq!(file.documents.len(), statement.lines.len());
    let (mut sum_in, mut sum_out) = (Money::zero(header.currency), Money::zero(header.currency));
    for (document, line) in file.documents.iter().zip(&statement.lines) {
        assert_eq!(document["СекцияДокумент"], "Платежное поручение");
        let amount = money(&document["Сумма"], statement);
        assert_eq!(amount, line.amount);
        assert_eq!(document["ДатаОперации"], line.booking_date.strftime("%d.%m.%Y").to_string());
        assert_eq!(document.get("НомерДокумента"), line.document_number.as_ref());
        assert_eq!(document.get("НазначениеПлатежа").map(String::as_str), Some(line.purpose.as_str()));
        assert_eq!(document.get("КодНазначенияПлатежа").map(String::as_str), line.knp.as_ref().map(|knp| knp.as_str()));
        assert_eq!(document["Валюта"], header.currency.code());
        let (ours, theirs) = match line.direction {
            Direction::Debit => {
                assert_eq!(money(&document["СуммаРасход"], statement), amount);
                assert!(!document.contains_key("СуммаПриход"));
                sum_out = sum_out.checked_add(amount).unwrap();
                ("Плательщик", "Получатель")
            }
            Direction::Credit => {
                assert_eq!(money(&document["СуммаПриход"], statement), amount);
                sum_in = sum_in.checked_add(amount).unwrap();
                ("Получатель", "Плательщик")
            }
        };
        assert_eq!(document[&format!("{ours}ИИК")], header.account_iban.as_str());
        assert_eq!(document[&format!("{ours}БИН_ИИН")], header.holder_id.as_str());
        assert_eq!(document[&format!("{theirs}Наименование")], line.counterparty.name);
        assert_eq!(
            document.get(&format!("{theirs}ИИК")).map(String::as_str),
            line.counterparty.account.as_ref().map(|account| account.as_str())
        );
    }
    assert_eq!((sum_in, sum_out), (incoming, outgoing), "the documents sum to the account section's totals");
}

/// R-3.1.2.7: the UTF-8 file reads back to the statement, Kazakh letters intact, and the import
/// reader of tiyn-payments finds it well-formed (its only objection: it is a statement).
#[test]
fn r_3_1_2_7_onec_utf8_reads_back_and_sums() {
    for statement in [kzt_statement(), usd_statement()] {
        let bytes = write(&statement, OneCEncoding::Utf8).unwrap();
        let text = String::from_utf8(bytes.clone()).unwrap();
        let file = read(&text);
        assert_eq!(file.header["Кодировка"], "UTF-8");
        assert_eq!(file.header["ВерсияФормата"], "1.01");
        check_against(&file, &statement);
        assert_import_reader_sees_only_a_statement(&bytes);
    }
    let kzt = read(&String::from_utf8(write(&kzt_statement(), OneCEncoding::Utf8).unwrap()).unwrap());
    assert_eq!(kzt.documents[0]["ПлательщикНаименование"], "ТОО «Қазақ Ғарыш Сервис»");
}

/// tiyn-payments' strict reader refuses anything malformed (encoding, sections, dates, Russian
/// keys); on our file it objects only to the statement keys, which a payment import must refuse.
fn assert_import_reader_sees_only_a_statement(bytes: &[u8]) {
    let error = one_c::parse(bytes).unwrap_err();
    let codes: Vec<&str> = error.errors().iter().map(|error| error.reason.code()).collect();
    assert!(!codes.is_empty() && codes.iter().all(|code| *code == "statement_key"), "{codes:?}");
}

/// R-3.1.2.7: Windows-1251 has no Ә Ғ Қ Ң Ө Ұ Ү Һ: refused by default, naming the character and
/// the entry; substituted by Russian look-alikes on request, decoding back with tiyn-payments'
/// table.
#[test]
fn r_3_1_2_7_onec_windows_1251_refuses_or_substitutes_kazakh_letters() {
    let statement = kzt_statement();
    let error = write(&statement, OneCEncoding::Windows1251(Cp1251Fallback::Refuse)).unwrap_err();
    assert_eq!(error.code(), "export_unencodable_character");
    let StatementError::Unencodable { character, entry, .. } = error else { unreachable!() };
    assert_eq!((character, entry.map(|entry| entry.get())), ('Қ', Some(1001)));

    let bytes = write(&statement, OneCEncoding::Windows1251(Cp1251Fallback::Substitute)).unwrap();
    let text: String =
        bytes.split_inclusive(|byte| *byte == b'\n').map(|line| Encoding::Windows1251.decode(line).unwrap()).collect();
    let file = read(&text);
    assert_eq!(file.header["Кодировка"], "Windows");
    assert_eq!(file.documents[0]["ПлательщикНаименование"], "ТОО «Казак Гарыш Сервис»");
    assert_eq!(file.documents[1]["ПолучательНаименование"], "ИП Алиев Улан Х.");
    assert!(file.documents[0]["НазначениеПлатежа"].starts_with("Оплата по счёту №7"), "ё and № are in Windows-1251");
    assert_import_reader_sees_only_a_statement(&bytes);

    // Without Kazakh letters, the default refuses nothing.
    let usd = usd_statement();
    let bytes = write(&usd, OneCEncoding::Windows1251(Cp1251Fallback::Refuse)).unwrap();
    let text: String =
        bytes.split_inclusive(|byte| *byte == b'\n').map(|line| Encoding::Windows1251.decode(line).unwrap()).collect();
    check_against(&read(&text), &usd);
}

/// The encoder's table agrees with tiyn-payments' decoder on every byte of Windows-1251.
#[test]
fn r_3_1_2_7_onec_windows_1251_table_agrees_with_the_import_decoder() {
    for byte in 0_u8..=255 {
        match Encoding::Windows1251.decode(&[byte]) {
            Ok(text) => {
                let character = text.chars().next().unwrap();
                assert_eq!(windows_1251_byte(character), Some(byte), "{character:?}");
            }
            Err(_) => assert_eq!(byte, 0x98, "the one undefined byte"),
        }
    }
    assert_eq!(windows_1251_byte('Қ'), None);
}
