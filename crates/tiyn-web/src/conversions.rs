//! Conversions in the cabinet (issue 5, R-3.1.1.4): the live quote inside the payment form, and
//! the quotes of a confirmation on its page.
//!
//! The form's quote block (`#conversion-quote`, shown for a conversion only) posts the form's
//! fields to `POST /payments/conversion-quote` whenever the accounts, the amount or the currency
//! change, and again when its quote expires. The answer is the block's content: what would be
//! debited and credited, each leg's pair, the bank's side and the applied rate, and until when the
//! rates hold (Almaty time) with the seconds left. `static/quote.js` counts those seconds down and,
//! at zero, marks the quote expired and fires `quote-expired` at the block, which asks again.
//! Nothing is stored: opening a confirmation quotes again, and its page shows the amounts its code
//! is bound to, with the time to confirm them before.
//!
//! Every quote is `tiyn_banking::Banking`'s; this module reads the form and writes the answer in
//! the page's language.

use askama::Template;
use axum::Form;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use jiff::Timestamp;
use tiyn_api::Lang;
use tiyn_banking::BankingError;
use tiyn_banking::conversion::{ConversionQuote, codes};
use tiyn_core::{AccountId, Amount, Currency, Money};
use tiyn_fx::{Pair, Rate, Side};
use tiyn_payments::{DocumentId, DocumentKind, fields};

use crate::WebState;
use crate::format;
use crate::i18n::{Texts, fill, texts};
use crate::lang::PageLang;
use crate::pages::{Viewer, render};
use crate::payments::{PaymentForm, canonical_amount, field_message, to_login};

/// The name of the code step's hidden field that carries one conversion's quote, as the
/// confirmation page showed it (repeated, one per conversion).
pub const QUOTE_FIELD: &str = "quote";

/// Most legs a conversion has: a direct rate is one, a cross through tenge two. A carried quote
/// with more is not one the page wrote.
const LEGS_MAX: usize = 2;

// ----- What a quote says -----

/// One leg of a quote: the bank's rate of a pair, on its side.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LegFacts {
    pub pair: Pair,
    pub side: Side,
    pub rate: Rate,
}

/// What a page shows of a quote: the amounts, the legs and the end of the rates' hold.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QuoteFacts {
    pub debit: Money,
    pub credit: Money,
    pub legs: Vec<LegFacts>,
    pub expires_at: Timestamp,
}

impl QuoteFacts {
    pub fn of(quote: &ConversionQuote) -> QuoteFacts {
        let conversion = &quote.conversion;
        assert!(!conversion.legs.is_empty(), "a conversion has a leg");
        QuoteFacts {
            debit: conversion.debit,
            credit: conversion.credit,
            legs: conversion
                .legs
                .iter()
                .map(|leg| LegFacts { pair: leg.pair, side: leg.side, rate: leg.applied })
                .collect(),
            expires_at: quote.expires_at,
        }
    }

    /// The quote of `document` as the code step's hidden field carries it:
    /// `12|47960.00|KZT|100.00|USD|2026-01-12T05:02:00Z|USD/KZT bank_sells 479.60`.
    pub fn encode(&self, document: DocumentId) -> String {
        let mut parts = vec![
            document.to_string(),
            self.debit.amount_string(),
            self.debit.currency().code().to_owned(),
            self.credit.amount_string(),
            self.credit.currency().code().to_owned(),
            self.expires_at.to_string(),
        ];
        parts.extend(self.legs.iter().map(|leg| format!("{} {} {}", leg.pair, leg.side.as_str(), leg.rate)));
        parts.join("|")
    }

    /// Reads [`QuoteFacts::encode`] back; `None` for anything the page did not write.
    pub fn decode(text: &str) -> Option<(DocumentId, QuoteFacts)> {
        let parts: Vec<&str> = text.split('|').collect();
        let [document, debit, debit_currency, credit, credit_currency, expires_at, legs @ ..] = parts.as_slice() else {
            return None;
        };
        if legs.is_empty() || legs.len() > LEGS_MAX {
            return None;
        }
        let document = document.parse::<i64>().ok().filter(|id| *id > 0).map(DocumentId::new)?;
        let money = |amount: &str, currency: &str| {
            Currency::parse(currency).ok().and_then(|currency| Money::parse_canonical(amount, currency).ok())
        };
        let facts = QuoteFacts {
            debit: money(debit, debit_currency)?,
            credit: money(credit, credit_currency)?,
            legs: legs.iter().map(|leg| decode_leg(leg)).collect::<Option<Vec<_>>>()?,
            expires_at: expires_at.parse().ok()?,
        };
        Some((document, facts))
    }
}

fn decode_leg(text: &str) -> Option<LegFacts> {
    let mut words = text.split(' ');
    let (pair, side, rate) = (words.next()?, words.next()?, words.next()?);
    if words.next().is_some() {
        return None;
    }
    let (base, quote) = pair.split_once('/')?;
    let pair = Pair::new(Currency::parse(base).ok()?, Currency::parse(quote).ok()?).ok()?;
    let side = [Side::BankBuys, Side::BankSells].into_iter().find(|known| known.as_str() == side)?;
    Some(LegFacts { pair, side, rate: Rate::parse(rate).ok()? })
}

// ----- How a page shows it -----

/// One leg as a page writes it.
pub struct LegView {
    pub pair: String,
    pub side: &'static str,
    /// `bank_buys` or `bank_sells`, for tests and styling.
    pub side_code: &'static str,
    pub rate: String,
}

/// A quote as a page writes it (`templates/_quote_facts.html`).
pub struct QuoteView {
    /// The prefix of the ids of its values: `quote` in the form, `quote-{document}` on the
    /// confirmation page (which may show several).
    pub key: String,
    /// On the confirmation page: "Document No. 12" and its id; empty in the form.
    pub heading: String,
    pub document: String,
    pub debit: String,
    pub credit: String,
    pub legs: Vec<LegView>,
    /// RFC 3339, for the countdown.
    pub expires_at: String,
    /// Whole seconds from the page's rendering to the end of the hold, by the server's clock: the
    /// countdown starts from them, so a browser's clock that is off does not shorten the hold.
    pub seconds_left: i64,
    /// "The rate holds until 10:02:00 (Almaty time)".
    pub deadline: String,
    /// "… s left" around the seconds.
    pub left_before: String,
    pub left_after: String,
    /// Shown once the countdown reaches zero.
    pub expired: &'static str,
}

/// Which page shows a quote, and so how its end reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum QuotePlace {
    /// The form's live quote: the rates hold until …; at the end a new quote is asked.
    Form,
    /// The confirmation page: confirm before …; at the end a new confirmation is needed.
    Signing,
}

impl QuoteView {
    pub fn new(facts: &QuoteFacts, key: String, place: QuotePlace, now: Timestamp, lang: Lang) -> QuoteView {
        let t = texts(lang);
        let until = format::time_of_day_seconds(facts.expires_at);
        let (deadline, expired) = match place {
            QuotePlace::Form => (t.quote_holds_until, t.quote_expired_form),
            QuotePlace::Signing => (t.signing_confirm_before, t.signing_quote_expired),
        };
        let (left_before, left_after) =
            t.quote_seconds_left.split_once("{seconds}").unwrap_or((t.quote_seconds_left, ""));
        QuoteView {
            key,
            heading: String::new(),
            document: String::new(),
            debit: format::money(facts.debit, lang),
            credit: format::money(facts.credit, lang),
            legs: facts
                .legs
                .iter()
                .map(|leg| LegView {
                    pair: leg.pair.to_string(),
                    side: side_name(leg.side, t),
                    side_code: leg.side.as_str(),
                    rate: crate::rates::rate_text(leg.rate, lang),
                })
                .collect(),
            expires_at: facts.expires_at.to_string(),
            seconds_left: seconds_left(facts.expires_at, now),
            deadline: fill(deadline, &[("until", &until)]),
            left_before: left_before.to_owned(),
            left_after: left_after.to_owned(),
            expired,
        }
    }
}

pub fn side_name(side: Side, t: &'static Texts) -> &'static str {
    match side {
        Side::BankBuys => t.side_bank_buys,
        Side::BankSells => t.side_bank_sells,
    }
}

/// Whole seconds from `now` to `end`, rounded up (a quote with 0.4 s left still holds), never
/// negative.
pub fn seconds_left(end: Timestamp, now: Timestamp) -> i64 {
    let millis = end.duration_since(now).as_millis();
    let seconds = i64::try_from((millis.max(0) + 999) / 1000).unwrap_or(i64::MAX);
    debug_assert!(seconds >= 0);
    seconds
}

// ----- The form's live quote -----

/// What the form asks to be quoted.
enum Asked {
    /// Not a conversion: the block stays empty (and hidden).
    Nothing,
    /// A conversion without both accounts or an amount yet.
    Incomplete,
    /// An amount or currency that cannot be read, with its code.
    Mistake(&'static str),
    Quote {
        payer: AccountId,
        payee: AccountId,
        amount: Amount,
    },
}

fn asked(form: &PaymentForm) -> Asked {
    if DocumentKind::parse(form.kind.trim()) != Ok(DocumentKind::Conversion) {
        return Asked::Nothing;
    }
    let account = |text: &str| text.trim().parse::<i64>().ok().filter(|id| *id > 0).map(AccountId::new);
    let (Some(payer), Some(payee)) = (account(&form.payer_account), account(&form.payee_account)) else {
        return Asked::Incomplete;
    };
    if form.amount.trim().is_empty() {
        return Asked::Incomplete;
    }
    let currency = match Currency::parse(form.currency.trim()) {
        Ok(currency) => currency,
        Err(error) => return Asked::Mistake(error.code()),
    };
    match Amount::parse(&canonical_amount(&form.amount, &form.currency), currency) {
        Ok(amount) => Asked::Quote { payer, payee, amount },
        Err(error) => Asked::Mistake(error.code()),
    }
}

/// The code of the hint shown before the form has what a quote needs.
const INCOMPLETE: &str = "incomplete";

/// The content of the form's quote block.
#[derive(Template)]
#[template(path = "_conversion_quote.html")]
struct QuoteBlock {
    t: &'static Texts,
    quote: Option<QuoteView>,
    /// The hint or the refusal shown instead of a quote; empty for neither.
    message: String,
    /// [`INCOMPLETE`] for the hint, the refusal's code otherwise.
    code: &'static str,
}

impl QuoteBlock {
    fn message(t: &'static Texts, code: &'static str, message: impl Into<String>) -> QuoteBlock {
        QuoteBlock { t, quote: None, message: message.into(), code }
    }
}

/// `POST /payments/conversion-quote`: the form's quote block for the fields as typed (R-3.1.1.4).
/// Quotes nothing for another kind of document, hints while the accounts or the amount are
/// missing, and says why there is no quote (no rate now, an account of the same currency, an
/// amount in neither account's currency). Creates nothing.
pub async fn quote(
    State(state): State<WebState>,
    lang: PageLang,
    viewer: Viewer,
    Form(form): Form<PaymentForm>,
) -> Response {
    let Some(principal) = viewer.principal.as_ref() else { return to_login() };
    let t = texts(lang.lang);
    let block = match asked(&form) {
        Asked::Nothing => QuoteBlock::message(t, "", ""),
        Asked::Incomplete => QuoteBlock::message(t, INCOMPLETE, t.quote_hint),
        Asked::Mistake(code) => QuoteBlock::message(t, code, field_message(code, t).unwrap_or(t.quote_hint)),
        Asked::Quote { payer, payee, amount } => {
            match state.banking.quote_conversion(principal, payer, payee, amount).await {
                Ok(quote) => {
                    let view = QuoteView::new(
                        &QuoteFacts::of(&quote),
                        "quote".to_owned(),
                        QuotePlace::Form,
                        state.banking.now(),
                        lang.lang,
                    );
                    QuoteBlock { t, quote: Some(view), message: String::new(), code: "" }
                }
                Err(error) => match refusal(error, t) {
                    Some((code, message)) => QuoteBlock::message(t, code, message),
                    None => QuoteBlock::message(t, "", ""),
                },
            }
        }
    };
    render(&block, StatusCode::OK, lang)
}

/// Why there is no quote, in words; `None` (logged) for a failure the person cannot correct: the
/// quote is a convenience, the confirmation decides.
fn refusal(error: BankingError, t: &'static Texts) -> Option<(&'static str, String)> {
    match error {
        BankingError::Conflict(code) if code == codes::NO_RATE => Some((code, t.quote_no_rate.to_owned())),
        BankingError::Invalid(refusals) if !refusals.is_empty() => {
            let mut messages: Vec<String> = Vec::with_capacity(refusals.len());
            for refusal in &refusals {
                let message = match (refusal.field, refusal.code) {
                    (fields::PAYEE_ACCOUNT, tiyn_banking::codes::ACCOUNT_CURRENCY_MISMATCH) => {
                        t.quote_same_currency.to_owned()
                    }
                    (fields::CURRENCY, tiyn_banking::codes::ACCOUNT_CURRENCY_MISMATCH) => {
                        t.quote_amount_currency.to_owned()
                    }
                    (_, code) => field_message(code, t).map_or_else(|| refusal.detail.clone(), str::to_owned),
                };
                if !messages.contains(&message) {
                    messages.push(message);
                }
            }
            Some((refusals[0].code, messages.join("; ")))
        }
        other => {
            tracing::warn!(error = ?other, "the conversion quote of the payment form failed");
            None
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::i18n::{EN, KK, RU};

    fn facts() -> QuoteFacts {
        QuoteFacts {
            debit: Money::from_minor(4_796_000, Currency::Kzt),
            credit: Money::from_minor(10_000, Currency::Usd),
            legs: vec![LegFacts {
                pair: Pair::new(Currency::Usd, Currency::Kzt).expect("pair"),
                side: Side::BankSells,
                rate: Rate::parse("479.60").expect("rate"),
            }],
            expires_at: "2026-01-12T05:02:00Z".parse().expect("instant"),
        }
    }

    /// The code step carries a quote back exactly; anything the page did not write is ignored.
    #[test]
    fn a_carried_quote_reads_back() {
        let facts = facts();
        let text = facts.encode(DocumentId::new(12));
        assert_eq!(text, "12|47960.00|KZT|100.00|USD|2026-01-12T05:02:00Z|USD/KZT bank_sells 479.60");
        assert_eq!(QuoteFacts::decode(&text), Some((DocumentId::new(12), facts.clone())));
        let cross = QuoteFacts {
            legs: vec![
                LegFacts { side: Side::BankBuys, ..facts.legs[0] },
                LegFacts { pair: Pair::new(Currency::Eur, Currency::Kzt).expect("pair"), ..facts.legs[0] },
            ],
            ..facts
        };
        assert_eq!(QuoteFacts::decode(&cross.encode(DocumentId::new(3))), Some((DocumentId::new(3), cross)));
        for wrong in [
            "",
            "12|47960.00|KZT|100.00|USD|2026-01-12T05:02:00Z",
            "0|47960.00|KZT|100.00|USD|2026-01-12T05:02:00Z|USD/KZT bank_sells 479.60",
            "12|47960|KZT|100.00|USD|2026-01-12T05:02:00Z|USD/KZT bank_sells 479.60",
            "12|47960.00|KZT|100.00|USD|noon|USD/KZT bank_sells 479.60",
            "12|47960.00|KZT|100.00|USD|2026-01-12T05:02:00Z|USD/KZT sideways 479.60",
            "12|47960.00|KZT|100.00|USD|2026-01-12T05:02:00Z|USD/USD bank_sells 479.60",
            "12|47960.00|KZT|100.00|USD|2026-01-12T05:02:00Z|USD/KZT bank_sells -1",
            "12|47960.00|KZT|100.00|USD|2026-01-12T05:02:00Z|a b c|a b c|a b c",
        ] {
            assert_eq!(QuoteFacts::decode(wrong), None, "{wrong:?}");
        }
    }

    #[test]
    fn a_quote_is_written_in_the_pages_language() {
        let now: Timestamp = "2026-01-12T05:00:00.300Z".parse().expect("instant");
        let view = QuoteView::new(&facts(), "quote".into(), QuotePlace::Form, now, Lang::Ru);
        assert_eq!(view.debit, "47\u{202F}960,00\u{A0}₸");
        assert_eq!(view.credit, "100,00\u{A0}$");
        assert_eq!(
            (view.legs[0].pair.as_str(), view.legs[0].side, view.legs[0].rate.as_str()),
            ("USD/KZT", "Банк продаёт", "479,60")
        );
        assert_eq!(view.deadline, "Курс действует до 10:02:00 (время Алматы)");
        assert_eq!(view.seconds_left, 120, "119.7 s is shown as 120");
        assert_eq!((view.left_before.as_str(), view.left_after.as_str()), ("осталось ", " с"));
        let view = QuoteView::new(&facts(), "quote-12".into(), QuotePlace::Signing, now, Lang::Kk);
        assert_eq!(view.deadline, "10:02:00 дейін растаңыз (Алматы уақыты)");
        assert_eq!(view.legs[0].side, "Банк сатады");
        assert_eq!((view.left_before.as_str(), view.left_after.as_str()), ("", " с қалды"));
        let later: Timestamp = "2026-01-12T06:00:00Z".parse().expect("instant");
        assert_eq!(QuoteView::new(&facts(), "q".into(), QuotePlace::Form, later, Lang::En).seconds_left, 0);
    }

    /// Every language says how many seconds are left around the one placeholder.
    #[test]
    fn the_seconds_left_have_their_placeholder() {
        for t in [&RU, &KK, &EN] {
            assert_eq!(t.quote_seconds_left.matches("{seconds}").count(), 1, "{}", t.language_name);
        }
    }

    #[test]
    fn the_form_asks_a_quote_only_for_a_conversion_with_accounts_and_amount() {
        let form = PaymentForm {
            kind: "conversion".into(),
            payer_account: "1".into(),
            payee_account: "3".into(),
            amount: "100".into(),
            currency: "USD".into(),
            ..PaymentForm::default()
        };
        let Asked::Quote { payer, payee, amount } = asked(&form) else { panic!("a quote") };
        assert_eq!((payer, payee, amount.minor()), (AccountId::new(1), AccountId::new(3), 10_000));
        assert!(matches!(asked(&PaymentForm { kind: "internal".into(), ..form.clone() }), Asked::Nothing));
        assert!(matches!(asked(&PaymentForm { payee_account: String::new(), ..form.clone() }), Asked::Incomplete));
        assert!(matches!(asked(&PaymentForm { amount: " ".into(), ..form.clone() }), Asked::Incomplete));
        assert!(matches!(
            asked(&PaymentForm { amount: "1,001".into(), ..form.clone() }),
            Asked::Mistake("amount_precision")
        ));
        assert!(matches!(asked(&PaymentForm { currency: "XXX".into(), ..form }), Asked::Mistake(_)));
    }

    #[test]
    fn no_quote_says_why() {
        let no_rate = refusal(BankingError::Conflict(codes::NO_RATE), &EN);
        assert_eq!(no_rate, Some(("no_rate", "The bank has no rate for these currencies now".to_owned())));
        let same = tiyn_payments::FieldError {
            field: fields::PAYEE_ACCOUNT,
            code: tiyn_banking::codes::ACCOUNT_CURRENCY_MISMATCH,
            detail: "x".into(),
        };
        let (_, message) = refusal(BankingError::Invalid(vec![same]), &RU).expect("a message");
        assert_eq!(message, "Для конвертации выберите счёт получателя в другой валюте");
        assert_eq!(refusal(BankingError::Internal("boom".into()), &RU), None);
    }
}
