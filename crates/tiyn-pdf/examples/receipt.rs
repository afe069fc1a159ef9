//! Renders a sample payment receipt to a file and says how long rendering took:
//! `cargo run --release -p tiyn-pdf --example receipt -- receipt.pdf [ru|kk|en]`.
//! For looking at the layout (`pdftoppm -png receipt.pdf page`) and for a quick timing.

use std::time::Instant;

use tiyn_core::{Currency, Money};
use tiyn_pdf::{
    ConfirmationMethod, Lang, Party, PaymentKind, PaymentReceipt, Presentation, ReceiptConfirmation, ReceiptStatus,
};

/// Renders measured after the first (which parses the fonts once per process).
const RENDERS: u32 = 50;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut arguments = std::env::args().skip(1);
    let path = arguments.next().ok_or("usage: receipt OUT.pdf [ru|kk|en]")?;
    let lang = match arguments.next().as_deref() {
        None | Some("ru") => Lang::Ru,
        Some("kk") => Lang::Kk,
        Some("en") => Lang::En,
        Some(other) => return Err(format!("unknown language {other}").into()),
    };
    let receipt = sample()?;
    let presentation = Presentation::kazakhstan(lang);
    let started = Instant::now();
    let pdf = tiyn_pdf::payment_receipt(&receipt, &presentation)?;
    let first = started.elapsed();
    let started = Instant::now();
    for _ in 0..RENDERS {
        tiyn_pdf::payment_receipt(&receipt, &presentation)?;
    }
    let each = started.elapsed() / RENDERS;
    std::fs::write(&path, &pdf)?;
    println!("{path}: {} bytes; first render {first:?} (parses the fonts), then {each:?} each", pdf.len());
    Ok(())
}

fn sample() -> Result<PaymentReceipt, Box<dyn std::error::Error>> {
    Ok(PaymentReceipt {
        bank_name: "АО «Тийн Банк»".to_owned(),
        bank_bic: "TIYNKZKA".to_owned(),
        number: "12".to_owned(),
        date: "2026-01-12".parse()?,
        kind: PaymentKind::Interbank,
        status: ReceiptStatus::Settled,
        completed_at: "2026-01-12T06:30:00Z".parse()?,
        sent_at: Some("2026-01-12T05:01:00Z".parse()?),
        payer: Party {
            name: "ТОО «Демо Партнёр»".to_owned(),
            taxpayer_id: "123456789012".to_owned(),
            iban: "KZ86722KZT0000000001".to_owned(),
            bank_name: Some("АО «Тийн Банк»".to_owned()),
            bic: "TIYNKZKA".to_owned(),
        },
        payee: Party {
            name: "ТОО «Алматы Құрылыс Өнімдері»".to_owned(),
            taxpayer_id: "987654321098".to_owned(),
            iban: "KZ75125KZT2069100100".to_owned(),
            bank_name: Some("АО «Народный Банк Казахстана»".to_owned()),
            bic: "HSBKKZKX".to_owned(),
        },
        amount: Money::from_minor(150_000_025, Currency::Kzt),
        commission: Some(Money::from_minor(20_000, Currency::Kzt)),
        knp: "710".to_owned(),
        knp_name: Some("Оплата за товары".to_owned()),
        kbe: Some("17".to_owned()),
        kbk: None,
        purpose: "Оплата по договору поставки № 15 от 01.12.2025 за строительные материалы согласно \
                  счёт-фактуре № 301 от 10.01.2026, в том числе НДС 12 % — 160 714,29 тенге"
            .to_owned(),
        value_date: "2026-01-12".parse()?,
        confirmation: Some(ReceiptConfirmation {
            confirmed_by: "Иванова Әсел Маратқызы (пользователь 7)".to_owned(),
            confirmed_at: "2026-01-12T05:00:00Z".parse()?,
            method: ConfirmationMethod::Sms,
            challenge: "ch_6f1d0c2a9b3e4f50".to_owned(),
            content_digest: "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08".to_owned(),
            batch_digest: Some("60303ae22b998861bce3b28f33eec1be758a213c86c93c076dbe9f558c11c752".to_owned()),
        }),
        ledger_entry: None,
        message_id: Some("TIYN20260112000000000012".to_owned()),
    })
}
