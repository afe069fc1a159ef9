//! Fixtures shared by the integration tests: the embedded reference data, this bank (Kaspi's
//! code 722, the demo bank), a fixed business date, and one valid draft of each kind.

#![allow(dead_code)]

use std::num::NonZeroU64;
use std::sync::OnceLock;

use jiff::Timestamp;
use jiff::civil::{Date, date};
use tiyn_core::UserId;
use tiyn_payments::{Directories, Document, DocumentId, DocumentNumber, Draft, FieldError, RawDocument, Requisites};
use tiyn_refdata::ReferenceData;

/// The demo bank's code (Kaspi), as in `tiyn-server`'s demo and `--bank-code`'s default.
pub const OWN_BANK_CODE: &str = "722";

/// A Monday with no holiday; Kurban Ait falls on Friday 2025-06-06.
pub const TODAY: Date = date(2025, 6, 2);

/// Ten working days: 2025-06-17 is the last accepted value date (06-06 is a holiday).
pub const HORIZON_WORKING_DAYS: u32 = 10;

pub fn reference() -> &'static ReferenceData {
    static REFERENCE: OnceLock<ReferenceData> = OnceLock::new();
    REFERENCE.get_or_init(|| ReferenceData::embedded().expect("the embedded reference data loads"))
}

pub fn directories() -> Directories<'static> {
    Directories::new(reference(), OWN_BANK_CODE).expect("722 is an active bank")
}

pub fn parse(raw: &RawDocument) -> Result<Requisites, Vec<FieldError>> {
    tiyn_payments::parse_draft(raw, &directories(), TODAY, HORIZON_WORKING_DAYS)
}

pub fn parse_ok(raw: &RawDocument) -> Requisites {
    match parse(raw) {
        Ok(requisites) => requisites,
        Err(errors) => panic!("expected a valid draft, got {errors:#?}"),
    }
}

pub fn text(value: &str) -> Option<String> {
    Some(value.to_owned())
}

/// A transfer of 1,500.50 USD between two accounts of the same partner.
pub fn internal() -> RawDocument {
    RawDocument {
        kind: text("internal"),
        payer_account: text("1"),
        amount: text("1500.50"),
        currency: text("USD"),
        knp: text("343"),
        purpose: text("Перевод между своими счетами"),
        value_date: text("2025-06-02"),
        payee_account: text("2"),
        ..RawDocument::default()
    }
}

/// 150,000.00 KZT for goods to a company at Halyk Bank (bank code 601, BIC HSBKKZKX).
pub fn interbank() -> RawDocument {
    RawDocument {
        kind: text("interbank"),
        payer_account: text("1"),
        amount: text("150000.00"),
        currency: text("KZT"),
        knp: text("710"),
        purpose: text("Оплата по счёту № 15 от 01.06.2025 за товары, без НДС"),
        value_date: text("2025-06-03"),
        payee_name: text("ТОО «Ромашка»"),
        payee_bin: text("180140010005"),
        payee_iban: text("KZ806014482455345985"),
        payee_bic: text("HSBKKZKX"),
        kbe: text("17"),
        ..RawDocument::default()
    }
}

/// Individual income tax withheld at source (KBK 101201, KNP 911) to the Almaty state revenue
/// department (a public BIN) through the treasury account.
pub fn budget() -> RawDocument {
    RawDocument {
        kind: text("budget"),
        payer_account: text("1"),
        amount: text("84350.00"),
        currency: text("KZT"),
        knp: text("911"),
        purpose: text("ИПН за май 2025 г."),
        value_date: text("2025-06-04"),
        payee_name: text("РГУ «Департамент государственных доходов по г. Алматы»"),
        payee_bin: text("141140001547"),
        payee_iban: text("KZ24070105KSN0000000"),
        kbe: text("11"),
        kbk: text("101201"),
        ..RawDocument::default()
    }
}

/// 12,000.00 EUR for goods to a company in Germany at Commerzbank, SHA, under a contract.
pub fn foreign() -> RawDocument {
    RawDocument {
        kind: text("foreign"),
        payer_account: text("1"),
        amount: text("12000.00"),
        currency: text("EUR"),
        knp: text("710"),
        purpose: text("Payment for goods, invoice 15 of 01.06.2025"),
        value_date: text("2025-06-03"),
        payee_name: text("Muster Maschinenbau GmbH"),
        payee_iban: text("DE89 3704 0044 0532 0130 00"),
        kbe: text("27"),
        payee_address: text("Hauptstrasse 1, 50667 Koeln"),
        payee_country: text("DE"),
        payee_swift_bic: text("COBADEFFXXX"),
        intermediary_swift_bic: text("DEUTDEFF"),
        charges: text("SHA"),
        contract_number: text("KZ-DE/2025-07"),
        contract_date: text("2025-03-14"),
        ..RawDocument::default()
    }
}

pub fn at(seconds: i64) -> Timestamp {
    Timestamp::from_second(1_748_822_400 + seconds).expect("a 2025 instant")
}

pub const ALICE: UserId = UserId::new(10);
pub const BOB: UserId = UserId::new(11);

pub fn number(value: u64) -> DocumentNumber {
    DocumentNumber::new(NonZeroU64::new(value).expect("document numbers are positive"))
}

pub fn draft(id: i64, raw: &RawDocument) -> Document<Draft> {
    Document::create(DocumentId::new(id), number(id as u64), parse_ok(raw), ALICE, at(0))
}
