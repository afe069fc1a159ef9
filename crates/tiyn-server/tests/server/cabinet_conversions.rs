//! Conversions in the cabinet through the whole stack, as a browser uses them (issue 5,
//! R-3.1.1.4): the payment form offers a conversion between the partner's own accounts with a
//! live quote (`POST /payments/conversion-quote`: the amounts, each leg's rate and side, and until
//! when the rates hold, for `static/quote.js` to count down), says why there is no quote (no rate,
//! one currency, an amount in a third currency), and the confirmation page shows the amounts and
//! rates the code is bound to and the time to confirm them before; a code entered after that
//! confirms nothing, says until when the rates held, and offers a new confirmation. Runs on
//! SQLite, and on PostgreSQL with `TIYN_TEST_BACKEND=postgres`.

use crate::common;

use axum::http::StatusCode;
use common::*;
use tiyn_core::AccountId;

/// The demo on its payment day (Monday 2026-01-12, 10:00 in Almaty: the demo's USD sell rate is
/// 479.60 then), its confirming user signed in through the pages.
struct Fixture(CabinetDay);

impl std::ops::Deref for Fixture {
    type Target = CabinetDay;

    fn deref(&self) -> &CabinetDay {
        &self.0
    }
}

async fn fixture() -> Fixture {
    let f = cabinet_on_payment_day("confirm").await;
    assert_eq!(f.home, "/accounts");
    Fixture(f)
}

/// The form's fields for a conversion of `amount` `currency` from `from` to `to` (the bank payee's
/// inputs posted empty, as the browser posts hidden inputs).
fn conversion(from: AccountId, to: AccountId, amount: &str, currency: &str) -> Vec<(&'static str, String)> {
    vec![
        ("kind", "conversion".to_owned()),
        ("payer_account", from.to_string()),
        ("payee_account", to.to_string()),
        ("payee_name", String::new()),
        ("payee_bin", String::new()),
        ("payee_iban", String::new()),
        ("payee_bic", String::new()),
        ("kbe", String::new()),
        ("kbk", String::new()),
        ("amount", amount.to_owned()),
        ("currency", currency.to_owned()),
        ("knp", "343".to_owned()),
        ("purpose", "Покупка валюты по контракту".to_owned()),
        ("value_date", "2026-01-12".to_owned()),
    ]
}

fn pairs<'a>(fields: &'a [(&'static str, String)]) -> Vec<(&'static str, &'a str)> {
    fields.iter().map(|(name, value)| (*name, value.as_str())).collect()
}

/// Every `value` of the inputs named `name`, unescaped.
fn input_values(html: &str, name: &str) -> Vec<String> {
    let marker = format!("name=\"{name}\" value=\"");
    html.split(&marker)
        .skip(1)
        .map(|rest| rest.split('"').next().unwrap_or_default().replace("&#x2f;", "/").replace("&#47;", "/"))
        .collect()
}

impl Fixture {
    /// The form's quote block for `fields`, in `lang`: the status and the fragment.
    async fn quote(&self, fields: &[(&'static str, String)], lang: &str) -> (StatusCode, String) {
        let uri = format!("/payments/conversion-quote?lang={lang}");
        let response = self.browser.post(&self.test.app, &uri, &pairs(fields)).await;
        (response.status(), body_text(response).await)
    }

    async fn page(&self, uri: &str) -> (StatusCode, String) {
        self.browser.page(&self.test.app, uri).await
    }

    /// Saves a draft through the form; answers its id.
    async fn create(&self, fields: &[(&'static str, String)]) -> String {
        let response = self.browser.post(&self.test.app, "/payments", &pairs(fields)).await;
        let status = response.status();
        let target = location(&response);
        assert_eq!(status, StatusCode::SEE_OTHER, "{}", body_text(response).await);
        let target = target.expect("a redirect to the draft");
        target.strip_prefix("/payments/").and_then(|rest| rest.strip_suffix("?done=created")).expect("id").to_owned()
    }

    /// Ticks `ids` and asks for the code: the confirmation page.
    async fn open_signing(&self, ids: &[&str]) -> (StatusCode, String) {
        let fields: Vec<(&str, &str)> = ids.iter().map(|id| ("ids", *id)).collect();
        let response = self.browser.post(&self.test.app, "/payments/signing", &fields).await;
        (response.status(), body_text(response).await)
    }

    /// Types `code` on the confirmation page `signing`, posting every field it carries.
    async fn confirm(&self, signing: &str, code: &str) -> (StatusCode, String) {
        let mut fields: Vec<(&str, String)> = ["challenge_id", "sent_to", "expires_at"]
            .into_iter()
            .map(|name| (name, input_value(signing, name)))
            .collect();
        fields.extend(input_values(signing, "quote").into_iter().map(|value| ("quote", value)));
        fields.push(("code", code.to_owned()));
        let fields: Vec<(&str, &str)> = fields.iter().map(|(name, value)| (*name, value.as_str())).collect();
        let response = self.browser.post(&self.test.app, "/payments/signing/confirm", &fields).await;
        (response.status(), body_text(response).await)
    }

    async fn balance(&self, account: AccountId) -> i64 {
        self.test.store.account(account).await.expect("read").expect("account").balance.minor()
    }
}

/// R-3.1.1.4: the form offers a conversion, hides the bank payee's fields for it (CSS) and holds a
/// quote block that asks again as the accounts, the amount or the currency change and when the
/// quote expires. Buying 100.00 USD from the tenge account is quoted at the bank's sell rate:
/// 47 960,00 ₸ debited, 100,00 $ credited, the rates held for two minutes, in the page's language,
/// with no inline script or style.
#[tokio::test]
async fn r_3_1_1_4_the_form_quotes_a_conversion_live() {
    let f = fixture().await;
    let (status, form) = f.page("/payments/new").await;
    assert_eq!(status, StatusCode::OK);
    assert_no_inline_code(&form);
    assert!(form.contains("<option value=\"conversion\">Конвертация</option>"), "{form}");
    assert!(form.contains("hx-post=\"/payments/conversion-quote\""), "{form}");
    assert!(form.contains("quote-expired\" hx-swap=\"innerHTML\""), "the block asks again at the end: {form}");
    assert!(form.contains("<script src=\"/static/quote.js\" defer></script>"), "the countdown, from our origin");
    let script = f.browser.get(&f.test.app, "/static/quote.js").await;
    assert_eq!(script.status(), StatusCode::OK);
    assert_eq!(header(&script, "content-type"), Some("text/javascript; charset=utf-8"));
    assert!(body_text(script).await.contains("quote-expired"));

    let fields = conversion(f.main.id, f.usd.id, "100,00", "USD");
    let (status, block) = f.quote(&fields, "ru").await;
    assert_eq!(status, StatusCode::OK);
    assert_no_inline_code(&block);
    assert!(!block.contains("<html"), "a fragment, not a page: {block}");
    assert_eq!(text_of(&block, "quote-debit"), "47\u{202F}960,00\u{A0}₸");
    assert_eq!(text_of(&block, "quote-credit"), "100,00\u{A0}$");
    assert!(block.contains("<tr data-pair=\"USD/KZT\" data-side=\"bank_sells\"><td>USD/KZT</td><td>Банк продаёт</td>"));
    assert!(block.contains(">479,60<"), "the applied rate: {block}");
    assert!(block.contains("data-expires-at=\"2026-01-12T05:02:00Z\" data-seconds-left=\"120\""), "{block}");
    assert!(block.contains("Курс действует до 10:02:00 (время Алматы)"), "{block}");
    assert_eq!(text_of(&block, "quote-seconds"), "120");

    let (_, english) = f.quote(&fields, "en").await;
    assert_eq!(text_of(&english, "quote-debit"), "47,960.00\u{A0}₸");
    assert!(english.contains("The bank sells") && english.contains("120</span> s left"), "{english}");
    let (_, kazakh) = f.quote(&fields, "kk").await;
    assert!(kazakh.contains("Есептен шығарылады") && kazakh.contains("Банк сатады"), "{kazakh}");
    assert!(kazakh.contains("Бағам 10:02:00 дейін жарамды"), "{kazakh}");

    // The same block without CSRF is refused, like every state-changing post of the cabinet.
    let response = f.browser.post_plain(&f.test.app, "/payments/conversion-quote", &pairs(&fields)).await;
    assert_eq!(response.status(), StatusCode::FORBIDDEN);
}

/// R-3.1.1.4: without a quote the block says why: a hint while the accounts or the amount are
/// missing, nothing for another kind, a message for one currency on both sides or an amount in a
/// third currency, and — before the bank set any rate — that it has no rate now.
#[tokio::test]
async fn r_3_1_1_4_the_quote_block_says_why_there_is_no_quote() {
    let f = fixture().await;
    let (status, hint) = f.quote(&conversion(f.main.id, f.usd.id, "", "USD"), "ru").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(text_of(&hint, "quote-message"), "Выберите счета и сумму, чтобы увидеть курс.");
    let mut internal = conversion(f.main.id, f.salary.id, "100", "KZT");
    internal[0].1 = "internal".to_owned();
    let (_, nothing) = f.quote(&internal, "ru").await;
    assert_eq!(nothing.trim(), "", "no quote for a transfer");

    let (_, same) = f.quote(&conversion(f.main.id, f.salary.id, "100", "KZT"), "ru").await;
    assert_eq!(text_of(&same, "quote-message"), "Для конвертации выберите счёт получателя в другой валюте");
    let (_, third) = f.quote(&conversion(f.main.id, f.usd.id, "100", "EUR"), "ru").await;
    assert_eq!(text_of(&third, "quote-message"), "Сумма конвертации указывается в валюте одного из двух счетов");
    let (_, typo) = f.quote(&conversion(f.main.id, f.usd.id, "1,001", "USD"), "ru").await;
    assert_eq!(text_of(&typo, "quote-message"), "Слишком много знаков после запятой");

    f.test.clock.set("2025-11-01T05:00:00Z".parse().expect("instant"));
    let (status, no_rate) = f.quote(&conversion(f.main.id, f.usd.id, "100", "USD"), "ru").await;
    assert_eq!(status, StatusCode::OK);
    assert!(no_rate.contains("data-code=\"no_rate\""), "{no_rate}");
    assert_eq!(text_of(&no_rate, "quote-message"), "У банка сейчас нет курса для этих валют");
    assert!(!no_rate.contains("data-expires-at"));
}

/// R-3.1.1.4, R-4.11: a conversion saved through the form is a conversion between the two
/// accounts (no bank payee); the confirmation page shows its debit, credit, rate and the time to
/// confirm before, and shows them again after a wrong code; the code confirms it at those amounts.
#[tokio::test]
async fn r_3_1_1_4_a_conversion_made_through_the_form_is_confirmed_at_the_quoted_amounts() {
    let f = fixture().await;
    let mut fields = conversion(f.main.id, f.usd.id, "100", "USD");
    // Typed while the form showed an interbank payment, then hidden: not part of the document.
    fields[3].1 = "ТОО Ромашка".to_owned();
    let id = f.create(&fields).await;
    let (_, shown) = f.page(&format!("/payments/{id}")).await;
    assert_eq!(text_of(&shown, "payment-kind"), "Конвертация");
    assert!(text_of(&shown, "payment-payee").starts_with("Валютный счёт USD"), "{shown}");
    assert!(!shown.contains("Ромашка"), "the hidden payee name was not sent");
    let (status, edit) = f.page(&format!("/payments/{id}/edit")).await;
    assert_eq!(status, StatusCode::OK);
    assert!(edit.contains("hx-trigger=\"load, change from:#kind"), "a conversion's draft quotes at once: {edit}");

    let (kzt_before, usd_before) = (f.balance(f.main.id).await, f.balance(f.usd.id).await);
    let (status, signing) = f.open_signing(&[&id]).await;
    assert_eq!(status, StatusCode::OK, "{signing}");
    assert_no_inline_code(&signing);
    assert!(signing.contains("id=\"signing-conversions\""), "{signing}");
    assert_eq!(text_of(&signing, &format!("quote-{id}-debit")), "47\u{202F}960,00\u{A0}₸");
    assert_eq!(text_of(&signing, &format!("quote-{id}-credit")), "100,00\u{A0}$");
    assert!(signing.contains("Подтвердите до 10:02:00 (время Алматы)"), "{signing}");
    assert!(signing.contains("<script src=\"/static/quote.js\" defer></script>"));
    assert_eq!(input_values(&signing, "quote").len(), 1, "the code step carries the quote back");

    let (status, again) = f.confirm(&signing, "000000").await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(text_of(&again, "code-error"), "Неверный код");
    assert_eq!(text_of(&again, &format!("quote-{id}-debit")), "47\u{202F}960,00\u{A0}₸", "shown again");
    assert_eq!(f.balance(f.main.id).await, kzt_before, "nothing moved");

    let code = last_code(&f.test.sms, &f.mobile);
    let (status, results) = f.confirm(&again, &code).await;
    assert_eq!(status, StatusCode::OK, "{results}");
    assert!(results.contains(&format!("data-payment-id=\"{id}\" data-status=\"executed\"")), "{results}");
    assert_eq!(f.balance(f.main.id).await, kzt_before - 4_796_000);
    assert_eq!(f.balance(f.usd.id).await, usd_before + 10_000);
}

/// R-3.1.1.4: a code entered after the rates stopped holding confirms nothing; the page says until
/// when they held and offers a new confirmation of the same documents, which quotes again.
#[tokio::test]
async fn r_3_1_1_4_an_expired_quote_says_until_when_and_opens_a_new_confirmation() {
    let f = fixture().await;
    let id = f.create(&conversion(f.main.id, f.usd.id, "50", "USD")).await;
    let (_, signing) = f.open_signing(&[&id]).await;
    let code = last_code(&f.test.sms, &f.mobile);
    let kzt_before = f.balance(f.main.id).await;
    f.test.clock.advance(jiff::SignedDuration::from_secs(121));

    let (status, refused) = f.confirm(&signing, &code).await;
    assert_eq!(status, StatusCode::CONFLICT);
    assert_no_inline_code(&refused);
    assert!(refused.contains("data-code=\"quote_expired\""), "{refused}");
    assert!(refused.contains("Курс действовал до 10:02:00, поэтому ни один документ не подтверждён"), "{refused}");
    assert_eq!(input_values(&refused, "ids"), vec![id.clone()], "the same documents");
    assert!(refused.contains("id=\"reopen-signing\""));
    assert_eq!(f.balance(f.main.id).await, kzt_before, "nothing converted");

    let (status, reopened) = f.open_signing(&[&id]).await;
    assert_eq!(status, StatusCode::OK);
    assert!(reopened.contains("Подтвердите до 10:04:01 (время Алматы)"), "the new hold: {reopened}");
    let (status, results) = f.confirm(&reopened, &last_code(&f.test.sms, &f.mobile)).await;
    assert_eq!(status, StatusCode::OK, "{results}");
    assert!(results.contains(&format!("data-payment-id=\"{id}\" data-status=\"executed\"")), "{results}");
    assert_eq!(f.balance(f.main.id).await, kzt_before - 2_398_000);
}
