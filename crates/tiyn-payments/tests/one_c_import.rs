//! R-3.1.1.2 (batch import of drafts from a 1C exchange file) and R-6.1.3 (every problem
//! reported, per line): the 1C client-bank exchange reader and the batch validation.
//!
//! Fixtures in `testdata/one_c/`: real-shaped Kazakhstan files in each encoding the format
//! declares (FACTS.md §8), with invented IBANs and BINs that pass their checksums, and the
//! project's synthetic bank statement (`shared/data/kz/onec_statement_kz_sample.cp1251.txt`).

mod common;

use common::*;
use proptest::prelude::*;
use tiyn_core::{AccountId, Currency};
use tiyn_payments::import::one_c::{self, ERRORS_REPORTED_MAX, FILE_BYTES_MAX, ImportError};
use tiyn_payments::import::{IMPORT_DOCUMENTS_MAX, ImportedDocument, Source, validate_batch};
use tiyn_payments::{DocumentKind, Payee, codes, fields};

const WINDOWS: &[u8] = include_bytes!("testdata/one_c/orders_kz.cp1251.txt");
const WINDOWS_AS_UTF8: &str = include_str!("testdata/one_c/orders_kz.cp1251.expected-utf8.txt");
const DOS: &[u8] = include_bytes!("testdata/one_c/orders_kz.cp866.txt");
const DOS_AS_UTF8: &str = include_str!("testdata/one_c/orders_kz.cp866.expected-utf8.txt");
const KAZAKH: &str = include_str!("testdata/one_c/orders_kz.utf8.txt");
const WITH_ERRORS: &str = include_str!("testdata/one_c/orders_with_errors.utf8.txt");
const STATEMENT: &[u8] = include_bytes!("testdata/one_c/statement_kz_sample.cp1251.txt");

/// The payer account of every fixture, at this bank (722), and its id in the store.
const PAYER_IBAN: &str = "KZ52722S004010602810";
const PAYER_ACCOUNT: AccountId = AccountId::new(1);

fn parse_ok(bytes: &[u8]) -> Vec<ImportedDocument> {
    match one_c::parse(bytes) {
        Ok(documents) => documents,
        Err(error) => panic!("expected the file to be read, got:\n{error}"),
    }
}

/// The caller's step between reading and validating: the store resolves the payer IBAN.
fn resolved(mut documents: Vec<ImportedDocument>) -> Vec<ImportedDocument> {
    for document in &mut documents {
        if document.payer_iban.as_deref() == Some(PAYER_IBAN) {
            document.resolve_payer(PAYER_ACCOUNT);
        }
    }
    documents
}

/// The refusal of `bytes` as (line, key, code) triples, in order.
fn refused(bytes: &[u8]) -> Vec<(usize, Option<String>, &'static str)> {
    match one_c::parse(bytes) {
        Ok(documents) => panic!("expected a refusal, read {} documents", documents.len()),
        Err(error) => error.errors().iter().map(|error| (error.line, error.key.clone(), error.code())).collect(),
    }
}

/// `refused` of the Kazakh UTF-8 fixture after replacing `from` (which must occur) by `to`.
fn refused_after(from: &str, to: &str) -> Vec<(usize, Option<String>, &'static str)> {
    assert!(KAZAKH.contains(from), "{from:?} is in the fixture");
    refused(KAZAKH.replacen(from, to, 1).as_bytes())
}

fn key(text: &str) -> Option<String> {
    Some(text.to_owned())
}

// ---------------------------------------------------------------------------------------------
// Reading the encodings FACTS.md §8 names.

#[test]
fn r_3_1_1_2_windows_1251_file_reads_every_payment_order() {
    let documents = parse_ok(WINDOWS);
    let summary: Vec<_> = documents
        .iter()
        .map(|d| (d.line, d.number.as_deref(), d.raw.kind.as_deref(), d.payer_iban.as_deref()))
        .collect();
    assert_eq!(
        summary,
        [
            (12, Some("101"), Some("interbank"), Some(PAYER_IBAN)),
            (33, Some("102"), Some("interbank"), Some(PAYER_IBAN)),
            (55, Some("103"), Some("budget"), Some(PAYER_IBAN)),
            (77, Some("104"), Some("budget"), Some(PAYER_IBAN)),
            (99, Some("105"), Some("interbank"), Some(PAYER_IBAN)),
        ]
    );
    let first = &documents[0].raw;
    assert_eq!(first.payee_name.as_deref(), Some("ТОО «Ромашка»"));
    assert_eq!(
        first.purpose.as_deref(),
        Some("Оплата по счету №15 от 30.05.2025 за товары, в т.ч. НДС 12% — 16 071,43 тенге")
    );
    assert_eq!(first.value_date.as_deref(), Some("2025-06-03"), "dd.MM.yyyy becomes the API's YYYY-MM-DD");
    assert_eq!((first.amount.as_deref(), first.currency.as_deref()), (Some("150000.00"), Some("KZT")));
    assert_eq!(first.payer_account, None, "the caller resolves the payer IBAN");
    assert!(documents.iter().all(|d| d.ignored_keys.is_empty()), "every key of the file is known");
}

#[test]
fn r_3_1_1_2_windows_1251_decodes_to_the_same_text_as_its_utf8_twin() {
    assert_eq!(parse_ok(WINDOWS), parse_ok(WINDOWS_AS_UTF8.as_bytes()));
}

#[test]
fn r_3_1_1_2_dos_866_decodes_to_the_same_text_as_its_utf8_twin() {
    let documents = parse_ok(DOS);
    assert_eq!(documents, parse_ok(DOS_AS_UTF8.as_bytes()));
    assert_eq!(documents[0].raw.payee_name.as_deref(), Some("ТОО \"Ромашка\""));
    assert_eq!(documents[1].raw.purpose.as_deref(), Some("Пеня по ИПН за апрель 2025 г."));
}

#[test]
fn r_3_1_1_2_utf8_file_keeps_kazakh_letters() {
    let documents = parse_ok(KAZAKH.as_bytes());
    assert_eq!(documents.len(), 3);
    assert_eq!(documents[0].raw.payee_name.as_deref(), Some("«Көктем Құрылыс» ЖШС"));
    assert_eq!(documents[2].raw.payee_name.as_deref(), Some("ЖК Сәрсенбаева Ә.Ғ."));
    assert_eq!(documents[2].raw.purpose.as_deref(), Some("Кеңсе жиһазы үшін төлем, шарт №3-Ж, ҚҚС-сыз"));
}

#[test]
fn r_3_1_1_2_line_endings_and_a_utf8_byte_order_mark_do_not_matter() {
    let expected = parse_ok(KAZAKH.as_bytes());
    assert_eq!(parse_ok(KAZAKH.replace('\n', "\r\n").as_bytes()), expected);
    let with_mark = [b"\xEF\xBB\xBF".as_slice(), KAZAKH.as_bytes()].concat();
    assert_eq!(parse_ok(&with_mark), expected);
    let without_final_newline = KAZAKH.trim_end();
    assert_eq!(parse_ok(without_final_newline.as_bytes()), expected);
}

// ---------------------------------------------------------------------------------------------
// The key mapping.

#[test]
fn r_3_1_1_2_purpose_lines_are_joined_and_the_document_date_stands_in_for_the_value_date() {
    let documents = parse_ok(KAZAKH.as_bytes());
    let first = &documents[0];
    assert_eq!(
        first.raw.purpose.as_deref(),
        Some("28.05.2025 ж. №42 шот бойынша құрылыс материалдары үшін төлем, ҚҚС-мен (в т.ч. НДС)")
    );
    assert_eq!(
        first.source(fields::PURPOSE),
        Some(Source { field: fields::PURPOSE, key: "НазначениеПлатежа", line: 25 })
    );
    assert_eq!(first.raw.value_date.as_deref(), Some("2025-06-03"));
    assert_eq!(first.source(fields::VALUE_DATE).map(|s| (s.key, s.line)), Some(("ДатаДокумента", 11)));
    assert_eq!(first.ignored_keys.len(), 1);
    assert_eq!((first.ignored_keys[0].line, first.ignored_keys[0].key.as_str()), (28, "Очередность"));
}

#[test]
fn r_3_1_1_2_budget_kind_from_either_kbk_key_or_the_treasury_account() {
    let documents = parse_ok(KAZAKH.as_bytes());
    let budget = &documents[1];
    assert_eq!(budget.raw.kind.as_deref(), Some("budget"));
    assert_eq!(budget.raw.kbk.as_deref(), Some("105101"));
    assert_eq!(budget.source(fields::KBK).map(|s| (s.key, s.line)), Some(("КодБюджетнойКлассификации", 46)));
    assert_eq!(budget.raw.currency.as_deref(), Some("KZT"), "no Валюта: a payment order is in tenge");
    assert_eq!(budget.source(fields::CURRENCY).map(|s| (s.key, s.line)), Some(("Валюта", 30)));
    assert_eq!(budget.raw.payee_bic, None, "an empty value is absent");

    // The treasury account alone makes a budget payment, so a forgotten KBK is reported as one.
    let no_kbk = KAZAKH.replace("КодБюджетнойКлассификации=105101\n", "");
    let documents = resolved(parse_ok(no_kbk.as_bytes()));
    assert_eq!(documents[1].raw.kind.as_deref(), Some("budget"));
    let validation = validate_batch(&documents, &directories(), TODAY, HORIZON_WORKING_DAYS);
    let errors: Vec<(usize, Option<&str>, &str, &str)> =
        validation.errors().map(|e| (e.line, e.key, e.error.field, e.error.code)).collect();
    assert_eq!(errors, [(30, Some("КБК"), fields::KBK, codes::REQUIRED)], "reported at the section's line");
}

#[test]
fn r_3_1_1_2_every_field_has_a_source_but_payee_account() {
    let documents = parse_ok(WINDOWS);
    let keys: Vec<(&str, &str)> = documents[0].sources().iter().map(|s| (s.field, s.key)).collect();
    assert_eq!(
        keys,
        [
            (fields::KIND, "ПолучательИИК"),
            (fields::PAYER_ACCOUNT, "ПлательщикИИК"),
            (fields::AMOUNT, "Сумма"),
            (fields::CURRENCY, "Валюта"),
            (fields::KNP, "КодНазначенияПлатежа"),
            (fields::PURPOSE, "НазначениеПлатежа"),
            (fields::VALUE_DATE, "ДатаВалютирования"),
            (fields::PAYEE_NAME, "ПолучательНаименование"),
            (fields::PAYEE_BIN, "ПолучательБИН_ИИН"),
            (fields::PAYEE_IBAN, "ПолучательИИК"),
            (fields::PAYEE_BIC, "ПолучательБанкБИК"),
            (fields::KBE, "ПолучательКБЕ"),
            (fields::KBK, "КБК"),
        ]
    );
    assert_eq!(documents[0].source(fields::PAYEE_ACCOUNT), None);
    assert_eq!(documents[2].source(fields::KIND).map(|s| (s.key, s.line)), Some(("КБК", 75)));
}

// ---------------------------------------------------------------------------------------------
// Validation of the batch.

#[test]
fn r_3_1_1_2_valid_files_import_whole() {
    for (name, bytes, count) in [("Windows", WINDOWS, 5), ("DOS", DOS, 2), ("Kazakh UTF-8", KAZAKH.as_bytes(), 3)] {
        let documents = resolved(parse_ok(bytes));
        let validation = validate_batch(&documents, &directories(), TODAY, HORIZON_WORKING_DAYS);
        assert!(validation.is_valid(), "{name}: {:#?}", validation.errors().collect::<Vec<_>>());
        let valid = validation.into_all().expect("a valid batch");
        assert_eq!(valid.len(), count, "{name}");
        assert!(valid.iter().all(|d| d.requisites.payer_account() == PAYER_ACCOUNT));
    }
    let valid = validate_batch(&resolved(parse_ok(WINDOWS)), &directories(), TODAY, HORIZON_WORKING_DAYS)
        .into_all()
        .expect("valid");
    let kinds: Vec<DocumentKind> = valid.iter().map(|d| d.requisites.kind()).collect();
    use DocumentKind::{Budget, Interbank};
    assert_eq!(kinds, [Interbank, Interbank, Budget, Budget, Interbank]);
    assert_eq!(valid[2].requisites.kbk().map(|kbk| kbk.to_string()).as_deref(), Some("101201"));
    assert_eq!(valid[1].requisites.amount().currency(), Currency::Kzt);
    match valid[4].requisites.payee() {
        Payee::Interbank(payee) => assert_eq!(payee.bic().to_string(), "GCVPKZ2A", "pension contributions"),
        other => panic!("expected an interbank payee, got {other:?}"),
    }
    assert_eq!((valid[0].line, valid[0].number.as_deref()), (12, Some("101")));
}

#[test]
fn r_6_1_3_every_field_error_is_reported_at_its_key_and_line() {
    let documents = resolved(parse_ok(WITH_ERRORS.as_bytes()));
    let validation = validate_batch(&documents, &directories(), TODAY, HORIZON_WORKING_DAYS);
    assert!(!validation.is_valid());
    let errors: Vec<(usize, usize, Option<&str>, &str, &str)> =
        validation.errors().map(|e| (e.document_line, e.line, e.key, e.error.field, e.error.code)).collect();
    assert_eq!(
        errors,
        [
            (21, 24, Some("ДатаВалютирования"), fields::VALUE_DATE, codes::VALUE_DATE_IN_PAST),
            (21, 24, Some("ДатаВалютирования"), fields::VALUE_DATE, codes::VALUE_DATE_NOT_WORKING_DAY),
            (21, 25, Some("Сумма"), fields::AMOUNT, codes::AMOUNT_PRECISION),
            (21, 31, Some("ПолучательИИК"), fields::PAYEE_IBAN, codes::INVALID_IBAN),
            (21, 34, Some("КодНазначенияПлатежа"), fields::KNP, codes::UNKNOWN_KNP),
            (36, 45, Some("ПолучательКБЕ"), fields::KBE, codes::KBE_INCONSISTENT_WITH_PAYEE),
            (36, 46, Some("ПолучательИИК"), fields::PAYEE_IBAN, codes::NOT_A_BUDGET_PAYEE),
        ]
    );
    let shown = validation.errors().nth(3).expect("four errors").to_string();
    assert!(shown.starts_with("line 31: ПолучательИИК (payee_iban): "), "{shown}");
    assert!(shown.ends_with("(invalid_iban)"), "{shown}");
}

#[test]
fn r_3_1_1_2_all_or_nothing_by_default_and_the_valid_part_when_asked() {
    let documents = resolved(parse_ok(WITH_ERRORS.as_bytes()));
    let validation = validate_batch(&documents, &directories(), TODAY, HORIZON_WORKING_DAYS);
    let validation = validation.into_all().expect_err("two of three documents have errors");
    assert_eq!(validation.documents().len(), 3, "the verdict comes back whole");
    let (valid, refused) = validation.partition();
    assert_eq!(valid.iter().map(|d| (d.line, d.number.as_deref())).collect::<Vec<_>>(), [(6, Some("201"))]);
    assert_eq!(refused.iter().map(|d| d.line).collect::<Vec<_>>(), [21, 36]);
}

#[test]
fn r_3_1_1_2_an_unresolved_payer_iban_is_reported_on_its_line() {
    let documents = parse_ok(DOS);
    let validation = validate_batch(&documents[..1], &directories(), TODAY, HORIZON_WORKING_DAYS);
    let errors: Vec<_> = validation.errors().collect();
    assert_eq!(errors.len(), 1, "{errors:#?}");
    assert_eq!(
        (errors[0].line, errors[0].key, errors[0].error.field),
        (15, Some("ПлательщикИИК"), fields::PAYER_ACCOUNT)
    );
    assert!(errors[0].error.detail.contains(PAYER_IBAN), "{}", errors[0].error.detail);
}

#[test]
fn r_3_1_1_2_an_order_to_an_account_at_this_bank_is_not_an_internal_transfer() {
    // 1C names every payee by IIK: an order to the partner's own account at this bank reads as
    // interbank, and validation says the payee is at this bank.
    let own = KAZAKH.replace("KZ619980520325134628", "KZ52722S004010602810");
    let documents = resolved(parse_ok(own.as_bytes()));
    let validation = validate_batch(&documents, &directories(), TODAY, HORIZON_WORKING_DAYS);
    let errors: Vec<(usize, Option<&str>, &str)> = validation.errors().map(|e| (e.line, e.key, e.error.code)).collect();
    assert_eq!(errors, [(61, Some("ПолучательИИК"), codes::PAYEE_AT_OWN_BANK)]);
}

// ---------------------------------------------------------------------------------------------
// Files that are refused whole.

#[test]
fn r_3_1_1_2_refuses_what_is_not_a_1c_exchange_file() {
    let not_one_c = vec![(1, None, "not_one_c_exchange")];
    assert_eq!(refused(b""), not_one_c);
    assert_eq!(refused(b"<?xml version=\"1.0\"?><Document/>"), not_one_c, "pain.001 goes to its own reader");
    assert_eq!(refused(&KAZAKH.as_bytes()[1..]), not_one_c);
}

#[test]
fn r_3_1_1_2_refuses_a_cut_off_file() {
    let cut = &KAZAKH[..KAZAKH.find("КонецФайла").expect("the end")];
    assert_eq!(refused(cut.as_bytes()), [(66, None, "missing_end_of_file")]);
    let mid_section = &KAZAKH[..KAZAKH.find("КодНазначенияПлатежа=710\nКонецДокумента\nКонецФайла").expect("last")];
    assert_eq!(refused(mid_section.as_bytes()), [(48, key("СекцияДокумент"), "unterminated_section")]);
}

#[test]
fn r_3_1_1_2_refuses_an_unterminated_section() {
    let errors = refused_after("Очередность=5\nКонецДокумента\n", "Очередность=5\n");
    assert_eq!(errors, [(9, key("СекцияДокумент"), "unterminated_section")]);
    let errors = refused_after("РасчСчет=KZ52722S004010602810\n", "РасчСчет=KZ52722S004010602810\nСекцияРасчСчет\n");
    assert_eq!(errors, [(9, key("СекцияРасчСчет"), "unterminated_section")]);
}

#[test]
fn r_3_1_1_2_refuses_a_missing_unknown_or_untrue_encoding() {
    assert_eq!(refused_after("Кодировка=UTF-8\n", ""), [(1, None, "encoding_missing")]);
    assert_eq!(refused_after("Кодировка=UTF-8", "Кодировка=KOI8-R"), [(3, key("Кодировка"), "encoding_unsupported")]);
    // A UTF-8 file that says Windows, and a Windows file that says UTF-8: read as declared, each
    // would be mojibake.
    assert_eq!(refused_after("Кодировка=UTF-8", "Кодировка=Windows"), [(3, key("Кодировка"), "encoding_mismatch")]);
    let windows_says_utf8 = String::from_utf8_lossy(WINDOWS).replace("=Windows", "=UTF-8");
    assert!(windows_says_utf8.contains("=UTF-8"));
    let mut bytes = WINDOWS.to_vec();
    let at = bytes.windows(7).position(|w| w == b"Windows").expect("the declaration");
    bytes.splice(at..at + 7, *b"UTF-8");
    assert_eq!(refused(&bytes), [(3, key("Кодировка"), "encoding_mismatch")]);
    // A byte-order mark says UTF-8 too.
    let with_mark = [b"\xEF\xBB\xBF".as_slice(), WINDOWS].concat();
    assert_eq!(refused(&with_mark), [(3, key("Кодировка"), "encoding_mismatch")]);
}

#[test]
fn r_3_1_1_2_refuses_bytes_that_are_not_characters_of_the_encoding() {
    let mut bytes = WINDOWS.to_vec();
    let at = bytes.windows(4).position(|w| w == b"KZT\r").expect("a currency");
    bytes[at] = 0x98;
    assert_eq!(refused(&bytes), [(17, None, "invalid_character")]);
    let error = one_c::parse(&bytes).expect_err("refused").to_string();
    assert!(error.contains("0x98") && error.contains("Windows-1251"), "{error}");

    let mut bytes = KAZAKH.as_bytes().to_vec();
    let at = bytes.windows(3).position(|w| w == b"710").expect("a KNP");
    bytes[at] = 0xFF;
    assert_eq!(refused(&bytes), [(27, None, "invalid_character")]);
}

#[test]
fn r_3_1_1_2_refuses_duplicate_keys_in_a_section() {
    let errors = refused_after("ПолучательКБЕ=17\n", "ПолучательКБЕ=17\nПолучательИИК=KZ806014482455345985\n");
    assert_eq!(errors, [(23, key("ПолучательИИК"), "duplicate_key")], "the second one is the duplicate");
    let error =
        one_c::parse(KAZAKH.replacen("ПолучательКБЕ=17\n", "ПолучательКБЕ=17\nполучательиик=x\n", 1).as_bytes())
            .expect_err("refused");
    assert_eq!(
        error.to_string(),
        "line 23: ПолучательИИК: the section already has this field (получательиик, line 22)",
        "keys compare without case"
    );
    // The two KBK keys are one field.
    let errors = refused_after("КодБюджетнойКлассификации=105101\n", "КодБюджетнойКлассификации=105101\nКБК=105101\n");
    assert_eq!(errors, [(47, key("КБК"), "duplicate_key")]);
    // In the header too, except the keys that list accounts and document kinds.
    let errors = refused_after("Кодировка=UTF-8\n", "Кодировка=UTF-8\nКодировка=UTF-8\nДокумент=Платежное поручение\n");
    assert_eq!(errors, [(4, key("Кодировка"), "duplicate_key")]);
    let accounts = KAZAKH.replacen(
        "РасчСчет=KZ52722S004010602810\n",
        "РасчСчет=KZ52722S004010602810\nРасчСчет=KZ806014482455345985\n",
        1,
    );
    assert_eq!(parse_ok(accounts.as_bytes()).len(), 3);
}

#[test]
fn r_3_1_1_2_refuses_documents_other_than_payment_orders() {
    let errors = refused_after(
        "СекцияДокумент=Платежное поручение\nНомерДокумента=19",
        "СекцияДокумент=Платежное требование\nНомерДокумента=19",
    );
    assert_eq!(errors, [(48, key("СекцияДокумент"), "document_kind_refused")]);
    let errors = refused_after("СЕКЦИЯДОКУМЕНТ=Платежное поручение", "СЕКЦИЯДОКУМЕНТ=Инкассовое поручение");
    assert_eq!(errors, [(9, key("СекцияДокумент"), "document_kind_refused")]);
    let errors = refused_after("НомерДокумента=19\n", "НомерДокумента=19\nВидДокумента=Платежное требование\n");
    assert_eq!(errors, [(50, key("ВидДокумента"), "document_kind_refused")]);
    let errors = refused_after("СЕКЦИЯДОКУМЕНТ=Платежное поручение", "СекцияДокумент=\"Выписка\"");
    assert_eq!(errors, [(9, key("СекцияДокумент"), "statement_document")]);
}

#[test]
fn r_3_1_1_2_refuses_a_bank_statement() {
    // The project's synthetic statement: its balances section is skipped, its records carry the
    // keys of money that has already moved.
    let errors = refused(STATEMENT);
    assert_eq!(
        errors,
        [
            (24, key("ДатаОперации"), "statement_key"),
            (38, key("СуммаРасход"), "statement_key"),
            (48, key("ДатаОперации"), "statement_key"),
            (62, key("СуммаПриход"), "statement_key"),
        ]
    );
}

#[test]
fn r_3_1_1_2_skips_balances_sections() {
    let with_balances = KAZAKH.replacen(
        "СЕКЦИЯДОКУМЕНТ=",
        "СекцияРасчСчет\nДатаНачала=01.06.2025\nКонечныйОстаток=100.00\nКонецРасчСчет\nСЕКЦИЯДОКУМЕНТ=",
        1,
    );
    let documents = parse_ok(with_balances.as_bytes());
    assert_eq!(documents.iter().map(|d| d.line).collect::<Vec<_>>(), [13, 34, 52]);
    let expected = parse_ok(KAZAKH.as_bytes());
    assert_eq!(
        documents.iter().map(|d| &d.raw).collect::<Vec<_>>(),
        expected.iter().map(|d| &d.raw).collect::<Vec<_>>()
    );
}

#[test]
fn r_3_1_1_2_refuses_russian_format_keys_naming_the_kazakhstan_key() {
    let error = one_c::parse(KAZAKH.replacen("ПолучательИИК=KZ6199", "ПолучательСчет=KZ6199", 1).as_bytes())
        .expect_err("refused");
    assert_eq!(error.errors().len(), 1);
    assert_eq!(error.errors()[0].code(), "russian_format_key");
    assert_eq!(
        error.to_string(),
        "line 61: ПолучательСчет: a key of the Russian exchange format; the Kazakhstan format uses ПолучательИИК"
    );
    assert_eq!(
        refused_after("КодНазначенияПлатежа=911", "КодНазПлатежа=911"),
        [(45, key("КодНазПлатежа"), "russian_format_key")]
    );
}

#[test]
fn r_3_1_1_2_refuses_dates_not_written_day_month_year() {
    assert_eq!(
        refused_after("ДатаВалютирования=05.06.2025", "ДатаВалютирования=2025-06-05"),
        [(51, key("ДатаВалютирования"), "invalid_date")]
    );
    assert_eq!(
        refused_after("ДатаДокумента=03.06.2025", "ДатаДокумента=31.06.2025"),
        [(11, key("ДатаДокумента"), "invalid_date")]
    );
    // A document date is checked even when the value date is given.
    assert_eq!(
        refused_after("ДатаДокумента=02.06.2025\nДатаВалютирования=05", "ДатаДокумента=2.6.2025\nДатаВалютирования=05"),
        [(50, key("ДатаДокумента"), "invalid_date")]
    );
}

#[test]
fn r_3_1_1_2_refuses_lines_out_of_place() {
    assert_eq!(refused_after("Очередность=5\n", "Очередность 5\n"), [(28, None, "malformed_line")]);
    assert_eq!(
        refused_after("КонецДокумента\nСекцияДокумент", "КонецДокумента\nОтправитель=1С\nСекцияДокумент"),
        [(30, key("Отправитель"), "line_out_of_place")]
    );
    assert_eq!(refused_after("КонецФайла\n", "КонецФайла\nЕщё строка\n"), [(67, None, "line_out_of_place")]);
    assert_eq!(
        refused_after("РасчСчет=KZ52722S004010602810\n", "РасчСчет=KZ52722S004010602810\nКонецДокумента\n"),
        [(9, key("КонецДокумента"), "line_out_of_place")]
    );
    assert_eq!(refused_after("КонецФайла", "КонецФайла=сейчас"), [(66, key("КонецФайла"), "malformed_line")]);
}

#[test]
fn r_3_1_1_2_refuses_a_file_without_orders_or_with_too_many() {
    let empty = "1CClientBankExchange\nКодировка=UTF-8\nКонецФайла\n";
    assert_eq!(refused(empty.as_bytes()), [(0, None, "no_documents")]);

    let start = KAZAKH.find("СекцияДокумент=Платежное поручение\nНомерДокумента=19").expect("the third order");
    let end = KAZAKH.find("КонецФайла").expect("the end");
    let order = &KAZAKH[start..end];
    let header = &KAZAKH[..KAZAKH.find("СЕКЦИЯДОКУМЕНТ").expect("the first order")];
    let mut file = header.to_owned();
    for _ in 0..IMPORT_DOCUMENTS_MAX {
        file.push_str(order);
    }
    assert_eq!(parse_ok(format!("{file}КонецФайла\n").as_bytes()).len(), IMPORT_DOCUMENTS_MAX);
    file.push_str(order);
    file.push_str("КонецФайла\n");
    let errors = refused(file.as_bytes());
    assert_eq!(errors.len(), 1);
    assert_eq!((errors[0].1.as_deref(), errors[0].2), (Some("СекцияДокумент"), "too_many_documents"));
}

#[test]
fn r_3_1_1_2_refuses_a_file_over_the_size_limit_before_reading_it() {
    let mut bytes = KAZAKH.as_bytes().to_vec();
    bytes.resize(FILE_BYTES_MAX + 1, b'\n');
    assert_eq!(refused(&bytes), [(0, None, "file_too_large")]);
}

#[test]
fn r_3_1_1_2_a_refusal_lists_every_problem_up_to_its_limit() {
    let two = KAZAKH.replacen("ПолучательИИК=KZ6199", "ПолучательСчет=KZ6199", 1).replacen(
        "ДатаДокумента=03.06.2025",
        "ДатаДокумента=3 июня",
        1,
    );
    assert_eq!(
        refused(two.as_bytes()),
        [(11, key("ДатаДокумента"), "invalid_date"), (61, key("ПолучательСчет"), "russian_format_key")]
    );

    let noise = "не ключ\n".repeat(ERRORS_REPORTED_MAX + 5);
    let error: ImportError =
        one_c::parse(KAZAKH.replacen("Очередность=5\n", &noise, 1).as_bytes()).expect_err("refused");
    assert_eq!(error.errors().len(), ERRORS_REPORTED_MAX);
    assert!(error.truncated());
    assert!(error.to_string().ends_with("(only the first 100 problems are listed)"));
    assert_eq!(error.code(), "import_file_refused");
}

// ---------------------------------------------------------------------------------------------
// The reader never panics, whatever it is given.

/// Lines a 1C file is made of, right and wrong, for the generator.
const FRAGMENTS: &[&str] = &[
    "1CClientBankExchange",
    "Кодировка=UTF-8",
    "Кодировка=Windows",
    "СекцияДокумент=Платежное поручение",
    "СекцияДокумент=Выписка",
    "СекцияДокумент",
    "КонецДокумента",
    "СекцияРасчСчет",
    "КонецРасчСчет",
    "КонецФайла",
    "РасчСчет=KZ52722S004010602810",
    "ПлательщикИИК=KZ52722S004010602810",
    "ПолучательИИК=KZ24070105KSN0000000",
    "ПолучательИИК=KZ806014482455345985",
    "ПолучательБанкБИК=HSBKKZKX",
    "ПолучательБИН_ИИН=141140001547",
    "ПолучательКБЕ=11",
    "ПолучательНаименование=ТОО «Ромашка»",
    "Сумма=100.00",
    "Сумма=-1",
    "Валюта=USD",
    "КБК=101201",
    "КодБюджетнойКлассификации=1",
    "КодНазначенияПлатежа=911",
    "НазначениеПлатежа=Оплата",
    "НазначениеПлатежа1=часть",
    "НазначениеПлатежа99=часть",
    "ДатаВалютирования=03.06.2025",
    "ДатаВалютирования=31.02.2025",
    "ДатаДокумента=00.00.0000",
    "ВидДокумента=Платежное поручение",
    "СуммаПриход=1.00",
    "Номер=1",
    "=",
    "==",
    "ключ",
    "",
];

fn fragment_file() -> impl Strategy<Value = Vec<u8>> {
    (prop::collection::vec((0..FRAGMENTS.len(), any::<bool>()), 0..60), any::<bool>()).prop_map(|(picks, crlf)| {
        let end = if crlf { "\r\n" } else { "\n" };
        let mut text = format!("1CClientBankExchange{end}Кодировка=UTF-8{end}");
        for (index, upper) in picks {
            let line = if upper { FRAGMENTS[index].to_uppercase() } else { FRAGMENTS[index].to_owned() };
            text.push_str(&line);
            text.push_str(end);
        }
        text.into_bytes()
    })
}

proptest! {
    #[test]
    fn r_3_1_1_2_arbitrary_bytes_never_panic(bytes in prop::collection::vec(any::<u8>(), 0..2048)) {
        let _ = one_c::parse(&bytes);
        let mut signed = b"1CClientBankExchange\r\n".to_vec();
        signed.extend_from_slice(&bytes);
        let _ = one_c::parse(&signed);
    }

    #[test]
    fn r_3_1_1_2_any_arrangement_of_lines_reads_or_refuses_and_validates(bytes in fragment_file()) {
        match one_c::parse(&bytes) {
            Ok(documents) => {
                let lines = bytes.split(|b| *b == b'\n').count();
                prop_assert!(!documents.is_empty());
                for document in &documents {
                    prop_assert!(document.line >= 1 && document.line <= lines);
                    prop_assert!(document.sources().iter().all(|s| s.line >= document.line && s.line <= lines));
                }
                let documents = resolved(documents);
                let validation = validate_batch(&documents, &directories(), TODAY, HORIZON_WORKING_DAYS);
                prop_assert_eq!(validation.documents().len(), documents.len());
                for error in validation.errors() {
                    prop_assert!(error.line >= error.document_line);
                }
            }
            Err(error) => {
                prop_assert!(!error.errors().is_empty() && error.errors().len() <= ERRORS_REPORTED_MAX);
                prop_assert!(!error.to_string().is_empty());
            }
        }
    }

    #[test]
    fn r_3_1_1_2_damaged_fixtures_never_panic(
        which in 0..3usize,
        damage in prop::collection::vec((any::<prop::sample::Index>(), any::<u8>()), 1..8),
    ) {
        let mut bytes = [WINDOWS, DOS, KAZAKH.as_bytes()][which].to_vec();
        for (index, byte) in damage {
            let at = index.index(bytes.len());
            bytes[at] = byte;
        }
        let _ = one_c::parse(&bytes);
    }
}
