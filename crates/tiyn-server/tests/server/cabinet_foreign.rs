//! Foreign-currency transfers in the cabinet through the whole stack, as a browser makes them
//! (issue 5, R-3.1.1.3, R-13.1): the payment form offers «Перевод в иностранной валюте» with the
//! payee's name, address, country, account or IBAN, the bank's and an intermediary's SWIFT BIC
//! (each looked up as it is typed: `GET /payments/swift-bic`), the charges option and the
//! currency-control contract; every refusal shows at its field; a draft edits with every field
//! kept; the confirmation and the document show the requisites abroad and, from an account in
//! another currency, that the correspondent bank's rate decides the debit, which the statement
//! shows once the correspondent reported it. Runs on SQLite, and on PostgreSQL with
//! `TIYN_TEST_BACKEND=postgres`.

use crate::common;

use std::sync::Arc;

use axum::http::StatusCode;
use common::*;
use tiyn_banking::gateway::{Gateway, SimulatedGateway};
use tiyn_core::AccountId;
use tiyn_payments::DocumentId;

/// The demo on its payment day (Monday 2026-01-12, 10:00 in Almaty), its confirming user signed
/// in through the pages.
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

/// The form's fields for a transfer of `amount` `currency` from `from` to a US payee at JPMorgan
/// Chase (an account number, not an IBAN), charges shared, no contract. The inputs of other
/// kinds are posted empty, as the browser posts hidden inputs.
fn to_us(from: AccountId, amount: &str, currency: &str) -> Vec<(&'static str, String)> {
    let fields = [
        ("kind", "foreign"),
        ("payer_account", ""),
        ("payee_account", ""),
        ("payee_name", "ACME Trading Inc."),
        ("payee_bin", ""),
        ("payee_iban", "400123456789"),
        ("payee_bic", ""),
        ("kbe", "27"),
        ("kbk", ""),
        ("payee_address", "350 Fifth Avenue, New York, NY 10118"),
        ("payee_country", "US"),
        ("payee_swift_bic", "CHASUS33"),
        ("intermediary_swift_bic", ""),
        ("charges", "SHA"),
        ("contract_number", ""),
        ("contract_date", ""),
        ("amount", amount),
        ("currency", currency),
        ("knp", "710"),
        ("purpose", "Payment for goods, invoice 15"),
        ("value_date", "2026-01-12"),
    ];
    let mut fields: Vec<(&'static str, String)> =
        fields.into_iter().map(|(name, value)| (name, value.to_owned())).collect();
    set(&mut fields, "payer_account", &from.to_string());
    fields
}

/// A euro transfer to a German IBAN at Commerzbank through Deutsche Bank, with its contract:
/// every field of the form filled in.
fn to_germany(from: AccountId, amount: &str) -> Vec<(&'static str, String)> {
    let mut fields = to_us(from, amount, "EUR");
    for (name, value) in [
        ("payee_name", "Muster Maschinenbau GmbH"),
        ("payee_iban", "DE89370400440532013000"),
        ("payee_address", "Hauptstrasse 1, 60311 Frankfurt am Main"),
        ("payee_country", "DE"),
        ("payee_swift_bic", "COBADEFF"),
        ("intermediary_swift_bic", "DEUTDEFF"),
        ("charges", "OUR"),
        ("contract_number", "C-2025/17"),
        ("contract_date", "2025-12-01"),
    ] {
        set(&mut fields, name, value);
    }
    fields
}

fn set(fields: &mut [(&'static str, String)], name: &str, value: &str) {
    let slot = fields.iter_mut().find(|(known, _)| *known == name).unwrap_or_else(|| panic!("no field {name}"));
    slot.1 = value.to_owned();
}

fn pairs<'a>(fields: &'a [(&'static str, String)]) -> Vec<(&'static str, &'a str)> {
    fields.iter().map(|(name, value)| (*name, value.as_str())).collect()
}

/// HTML text as typed: askama escapes `/` and `'`.
fn unescape(html: &str) -> String {
    html.replace("&#x2f;", "/").replace("&#47;", "/").replace("&#x27;", "'").replace("&#39;", "'").replace("&amp;", "&")
}

/// Every `value` of the inputs named `name` (whatever attributes stand between), unescaped.
fn input_values(html: &str, name: &str) -> Vec<String> {
    let marker = format!(" name=\"{name}\"");
    html.split("<input")
        .skip(1)
        .map(|rest| &rest[..rest.find('>').unwrap_or(rest.len())])
        .filter(|tag| tag.contains(&marker))
        .filter_map(|tag| tag.split(" value=\"").nth(1))
        .map(|rest| unescape(rest.split('"').next().unwrap_or_default()))
        .collect()
}

/// The text of the element carrying `attribute` (no nested tags but a `<code>`), unescaped.
fn text_at(html: &str, attribute: &str) -> String {
    let start = html.find(attribute).unwrap_or_else(|| panic!("no {attribute} in {html}"));
    let rest = &html[start..];
    let rest = &rest[rest.find('>').expect("a tag") + 1..];
    let rest = rest.strip_prefix("<code class=\"digest\">").unwrap_or(rest);
    unescape(rest.split('<').next().unwrap_or_default())
}

impl Fixture {
    async fn page(&self, uri: &str) -> (StatusCode, String) {
        self.browser.page(&self.test.app, uri).await
    }

    async fn post(&self, uri: &str, fields: &[(&'static str, String)]) -> (StatusCode, String) {
        let response = self.browser.post(&self.test.app, uri, &pairs(fields)).await;
        (response.status(), body_text(response).await)
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

    /// Types the SMS code on the confirmation page `signing`.
    async fn confirm(&self, signing: &str) -> (StatusCode, String) {
        let code = last_code(&self.test.sms, &self.mobile);
        let mut fields: Vec<(&str, String)> = ["challenge_id", "sent_to", "expires_at"]
            .into_iter()
            .map(|name| (name, input_value(signing, name)))
            .collect();
        fields.push(("code", code));
        let fields: Vec<(&str, &str)> = fields.iter().map(|(name, value)| (*name, value.as_str())).collect();
        let response = self.browser.post(&self.test.app, "/payments/signing/confirm", &fields).await;
        (response.status(), body_text(response).await)
    }

    async fn balance(&self, account: AccountId) -> i64 {
        self.test.store.account(account).await.expect("read").expect("account").balance.minor()
    }

    async fn status(&self, id: &str) -> tiyn_payments::Status {
        let id = DocumentId::new(id.parse().expect("an id"));
        self.test.store.payment(self.test.demo.partner, id).await.expect("read").expect("the document").status
    }
}

/// R-3.1.1.3: `/payments/new?kind=foreign` opens the form on a foreign transfer from the dollar
/// account in dollars, charges shared; the form carries the foreign fields (hidden for other
/// kinds by CSS, no script needed), the SWIFT BIC inputs look the bank up as they are typed and
/// are type-aheads of the banks abroad, and other currencies than the accounts' are offered.
#[tokio::test]
async fn r_3_1_1_3_the_form_offers_a_foreign_transfer_with_its_fields() {
    let f = fixture().await;
    let (status, form) = f.page("/payments/new?kind=foreign").await;
    assert_eq!(status, StatusCode::OK);
    assert_no_inline_code(&form);
    assert!(form.contains("<option value=\"foreign\" selected>Перевод в иностранной валюте</option>"), "{form}");
    assert!(form.contains(&format!("<option value=\"{}\" selected>Валютный счёт USD", f.usd.id)), "{form}");
    assert!(form.contains("<option value=\"USD\" selected>USD</option>"), "{form}");
    assert!(form.contains("<optgroup class=\"payee--foreign\" label=\"Другие валюты\"><option value=\"RUB\">"));
    assert!(!form.contains("<option value=\"KZT\" selected>"));
    for name in [
        "payee_name",
        "payee_address",
        "payee_country",
        "payee_iban",
        "payee_swift_bic",
        "intermediary_swift_bic",
        "contract_number",
        "contract_date",
        "kbe",
    ] {
        assert!(form.contains(&format!("id=\"{name}\" name=\"{name}\"")), "no input {name}");
        assert!(form.contains(&format!("id=\"{name}-error\"")), "no message place for {name}");
    }
    for bic in ["payee_swift_bic", "intermediary_swift_bic"] {
        let input = &form[form.find(&format!("id=\"{bic}\" name=\"{bic}\"")).expect("the input")..];
        let input = &input[..input.find('>').expect("the tag's end")];
        assert!(input.contains("data-lookup=\"foreign-banks\""), "{input}");
        assert!(input.contains("hx-get=\"/payments/swift-bic\""), "{input}");
        assert!(input.contains(&format!("hx-target=\"#{bic}-bank\"")), "{input}");
    }
    assert!(form.contains("value=\"SHA\" id=\"charges-SHA\" checked> SHA — вы платите нашему банку"), "{form}");
    assert!(form.contains("value=\"OUR\" id=\"charges-OUR\"> OUR — все комиссии платите вы"));
    assert!(form.contains("value=\"BEN\" id=\"charges-BEN\"> BEN — все комиссии платит получатель"));
    assert!(form.contains("Получатель за рубежом") && form.contains("Счёт или IBAN получателя"));
    let css = body_text(f.browser.get(&f.test.app, "/static/style.css").await).await;
    assert!(css.contains(".payment-form:not(:has(#kind option[value=\"foreign\"]:checked)) .payee--foreign"));

    // The plain form opens on an internal transfer, and its foreign fields are there, hidden.
    let (_, plain) = f.page("/payments/new").await;
    assert!(plain.contains("<option value=\"internal\" selected>"), "{plain}");
    assert!(plain.contains("id=\"foreign-fields\""));
}

/// R-3.1.1.3: a transfer with every field saved through the form is a foreign transfer with every
/// requisite: the document shows the payee, address, country, account, the banks by BIC and
/// name, the charges in words, the contract and the KBe, and — from the dollar account in euros
/// — that the correspondent bank's rate decides the debit. The BIN, Kazakhstan BIC and KBK typed
/// while another kind was shown are not part of it.
#[tokio::test]
async fn r_3_1_1_3_the_form_creates_a_foreign_draft_with_every_field() {
    let f = fixture().await;
    let mut fields = to_germany(f.usd.id, "1 000,5");
    set(&mut fields, "payee_bin", "180140010005");
    set(&mut fields, "kbk", "105102");
    let id = f.create(&fields).await;
    let (status, shown) = f.page(&format!("/payments/{id}")).await;
    assert_eq!(status, StatusCode::OK);
    assert_no_inline_code(&shown);
    assert_eq!(text_of(&shown, "payment-kind"), "Перевод в иностранной валюте");
    assert_eq!(text_of(&shown, "payment-payee"), "Muster Maschinenbau GmbH");
    assert_eq!(text_at(&shown, "id=\"payment-payee-address\""), "Hauptstrasse 1, 60311 Frankfurt am Main");
    assert_eq!(text_of(&shown, "payment-payee-country"), "DE");
    assert_eq!(text_at(&shown, "id=\"payment-payee-account\""), "DE89370400440532013000");
    assert_eq!(text_of(&shown, "payment-payee-bank"), "COBADEFF — Commerzbank AG, Frankfurt am Main, DE");
    assert_eq!(text_of(&shown, "payment-intermediary"), "DEUTDEFF — Deutsche Bank AG, Frankfurt am Main, DE");
    assert_eq!(text_of(&shown, "payment-charges"), "OUR — все комиссии платите вы, получатель получит всю сумму");
    assert_eq!(text_at(&shown, "id=\"payment-contract\""), "№ C-2025/17 от 01.12.2025");
    assert_eq!(text_at(&shown, "id=\"payment-kbe\""), "27");
    assert_eq!(text_of(&shown, "payment-amount"), "1\u{202F}000,50\u{A0}€");
    let note = text_of(&shown, "payment-rate-note");
    assert!(note.starts_with("Перевод в EUR со счёта в USD: счёт списывается по курсу банка-корреспондента"), "{note}");
    assert!(!shown.contains("180140010005") && !shown.contains("105102"), "hidden fields were not sent");

    let record = f
        .test
        .store
        .payment(f.test.demo.partner, DocumentId::new(id.parse().expect("id")))
        .await
        .expect("read")
        .expect("the draft");
    let raw = &record.fields;
    assert_eq!(raw.kind.as_deref(), Some("foreign"));
    assert_eq!((raw.payee_bin.as_deref(), raw.payee_bic.as_deref(), raw.kbk.as_deref()), (None, None, None));
    assert_eq!(raw.payee_swift_bic.as_deref(), Some("COBADEFF"));
    assert_eq!(raw.intermediary_swift_bic.as_deref(), Some("DEUTDEFF"));
    assert_eq!(raw.charges.as_deref(), Some("OUR"));
    assert_eq!((raw.contract_number.as_deref(), raw.contract_date.as_deref()), (Some("C-2025/17"), Some("2025-12-01")));

    // The list names the payee with its requisites abroad.
    let (_, list) = f.page("/payments").await;
    assert!(list.contains("Muster Maschinenbau GmbH <span class=\"status-note status-note--block payee-abroad\">DE89370400440532013000 · COBADEFF · DE · OUR</span>"), "{list}");

    // A transfer from an account in its own currency has no such note.
    let same = f.create(&to_us(f.usd.id, "100", "USD")).await;
    let (_, shown) = f.page(&format!("/payments/{same}")).await;
    assert!(!shown.contains("id=\"payment-rate-note\""), "{shown}");
    assert_eq!(text_of(&shown, "payment-payee-bank"), "CHASUS33 — JPMorgan Chase Bank, N.A., New York, US");
    assert!(!shown.contains("id=\"payment-contract\"") && !shown.contains("id=\"payment-intermediary\""));
}

/// R-3.1.1.3: each refusal shows at its field, in the person's language, with what was typed
/// kept: a Cyrillic payee name for dollars, a BIC no directory lists, a resident KBe, tenge; and
/// above the bank's threshold, the contract; BEN from an account in another currency.
#[tokio::test]
async fn r_3_1_1_3_refusals_show_at_their_fields() {
    let f = fixture().await;
    let mut fields = to_us(f.usd.id, "100", "USD");
    set(&mut fields, "payee_name", "ТОО Ромашка");
    set(&mut fields, "payee_swift_bic", "ZZZZUS33");
    set(&mut fields, "kbe", "17");
    let (status, form) = f.post("/payments", &fields).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(text_at(&form, "id=\"payee_name-error\""), "Только латинские буквы, цифры и знаки / - ? : ( ) . , ' +");
    assert_eq!(text_of(&form, "payee_swift_bic-error"), "Банк с таким SWIFT BIC не найден в справочниках");
    assert_eq!(text_of(&form, "kbe-error"), "Получатель за рубежом — нерезидент: КБе начинается с 2");
    assert_eq!(input_values(&form, "payee_address"), vec!["350 Fifth Avenue, New York, NY 10118".to_owned()]);
    assert_eq!(input_values(&form, "payee_swift_bic"), vec!["ZZZZUS33".to_owned()]);
    assert!(form.contains("<span class=\"swift-bank\" data-state=\"unknown\">"), "the lookup's answer, without script");
    assert!(form.contains("<option value=\"foreign\" selected>"));

    let mut english = to_us(f.usd.id, "100", "KZT");
    set(&mut english, "payee_country", "U1");
    let (_, form) = f.post("/payments?lang=en", &english).await;
    assert_eq!(text_of(&form, "currency-error"), "A foreign currency transfer cannot be in tenge");
    assert_eq!(text_of(&form, "payee_country-error"), "Enter the two-letter country code");

    // Above 10,000 USD the currency-control contract is required; with it, the draft is saved.
    let large = to_us(f.usd.id, "20000", "USD");
    let (status, form) = f.post("/payments", &large).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        text_of(&form, "contract_number-error"),
        "Для этой суммы нужны номер и дата контракта (валютный контроль)"
    );
    let (_, kazakh) = f.post("/payments?lang=kk", &large).await;
    assert_eq!(
        text_of(&kazakh, "contract_number-error"),
        "Бұл сома үшін келісімшарттың нөмірі мен күні қажет (валюталық бақылау)"
    );
    let mut future = large.clone();
    set(&mut future, "contract_number", "C-7");
    set(&mut future, "contract_date", "2026-02-01");
    let (_, form) = f.post("/payments", &future).await;
    assert_eq!(text_of(&form, "contract_date-error"), "Дата контракта ещё не наступила");
    set(&mut future, "contract_date", "2025-12-01");
    f.create(&future).await;

    let mut ben = to_germany(f.usd.id, "100");
    set(&mut ben, "charges", "BEN");
    let (_, form) = f.post("/payments", &ben).await;
    assert_eq!(text_of(&form, "charges-error"), "BEN возможен только со счёта в валюте перевода");

    // The live check as the person leaves a field says the same, at the same places.
    let (status, checks) = f.post("/payments/validate", &fields).await;
    assert_eq!(status, StatusCode::OK);
    assert!(checks.contains("Банк с таким SWIFT BIC не найден в справочниках"), "{checks}");
    assert!(checks.contains("id=\"payee_swift_bic-error\""), "{checks}");
}

/// R-3.1.1.3: the SWIFT BIC lookup answers a fragment naming the bank, its city and country from
/// the directory of banks abroad (or of Kazakhstan banks), by the input's own name as htmx sends
/// it, and says when no bank has the BIC or it is no BIC at all.
#[tokio::test]
async fn r_3_1_1_3_the_bic_lookup_names_the_bank() {
    let f = fixture().await;
    let (status, found) = f.page("/payments/swift-bic?bic=DEUTDEFF").await;
    assert_eq!(status, StatusCode::OK);
    assert!(!found.contains("<html"), "a fragment, not a page: {found}");
    assert_eq!(
        found.trim(),
        "<span class=\"swift-bank\" data-state=\"found\">Deutsche Bank AG, Frankfurt am Main, DE</span>"
    );
    let (_, branch) = f.page("/payments/swift-bic?payee_swift_bic=deutdeff500").await;
    assert!(branch.contains("Deutsche Bank AG"), "a branch names its bank: {branch}");
    let (_, unknown) = f.page("/payments/swift-bic?intermediary_swift_bic=ZZZZDEFF").await;
    assert!(unknown.contains("data-state=\"unknown\">Банк с таким BIC не найден в справочниках"), "{unknown}");
    let (_, english) = f.page("/payments/swift-bic?bic=ZZZZDEFF&lang=en").await;
    assert!(english.contains("No bank with this BIC is in the directories"), "{english}");
    let (_, invalid) = f.page("/payments/swift-bic?bic=DEU1").await;
    assert!(invalid.contains("data-state=\"invalid\""), "{invalid}");
    let (_, kazakhstan) = f.page("/payments/swift-bic?bic=CASPKZKA").await;
    assert!(kazakhstan.contains("data-state=\"found\"") && kazakhstan.contains(", KZ</span>"), "{kazakhstan}");
    let (_, empty) = f.page("/payments/swift-bic?bic=").await;
    assert!(empty.contains("data-state=\"empty\"></span>"), "{empty}");

    // Signed out, the lookup is not answered.
    let response = Browser::default().get(&f.test.app, "/payments/swift-bic?bic=DEUTDEFF").await;
    assert_ne!(response.status(), StatusCode::OK);
}

/// R-3.1.1.3: editing a foreign draft shows every field as saved (the banks named under their
/// BICs), and saving it again changes only what was changed.
#[tokio::test]
async fn r_3_1_1_3_editing_a_foreign_draft_keeps_its_fields() {
    let f = fixture().await;
    let id = f.create(&to_germany(f.usd.id, "250")).await;
    let (status, edit) = f.page(&format!("/payments/{id}/edit")).await;
    assert_eq!(status, StatusCode::OK);
    assert!(edit.contains("<option value=\"foreign\" selected>"), "{edit}");
    for (name, expected) in [
        ("payee_name", "Muster Maschinenbau GmbH"),
        ("payee_iban", "DE89370400440532013000"),
        ("kbe", "27"),
        ("payee_address", "Hauptstrasse 1, 60311 Frankfurt am Main"),
        ("payee_country", "DE"),
        ("payee_swift_bic", "COBADEFF"),
        ("intermediary_swift_bic", "DEUTDEFF"),
        ("contract_number", "C-2025/17"),
        ("contract_date", "2025-12-01"),
        ("amount", "250.00"),
    ] {
        assert_eq!(input_values(&edit, name), vec![expected.to_owned()], "{name}");
    }
    assert!(edit.contains("value=\"OUR\" id=\"charges-OUR\" checked>"), "{edit}");
    assert!(edit.contains("<option value=\"EUR\" selected>EUR</option>"));
    assert!(edit.contains("data-state=\"found\">Commerzbank AG, Frankfurt am Main, DE</span>"), "{edit}");
    assert!(edit.contains("data-state=\"found\">Deutsche Bank AG, Frankfurt am Main, DE</span>"));

    // The form posted back as shown, with another amount.
    let mut fields = to_germany(f.usd.id, "300");
    for name in ["payee_swift_bic", "intermediary_swift_bic"] {
        let value = input_values(&edit, name).remove(0);
        set(&mut fields, name, &value);
    }
    f.test.clock.advance(jiff::SignedDuration::from_secs(60));
    let response = f.browser.post(&f.test.app, &format!("/payments/{id}"), &pairs(&fields)).await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER, "{}", body_text(response).await);
    let (_, shown) = f.page(&format!("/payments/{id}")).await;
    assert_eq!(text_of(&shown, "payment-amount"), "300,00\u{A0}€");
    assert_eq!(text_of(&shown, "payment-intermediary"), "DEUTDEFF — Deutsche Bank AG, Frankfurt am Main, DE");
    assert_eq!(text_at(&shown, "id=\"payment-contract\""), "№ C-2025/17 от 01.12.2025");
    assert!(text_of(&shown, "payment-edited").contains(','), "{shown}");
}

/// R-3.1.1.3, R-13.1, R-4.11: the confirmation of two foreign transfers shows each one's
/// requisites abroad and, for the euros from the dollar account, the correspondent's rate note;
/// the code sends both; the correspondent (the demo's simulator) settles them, and the dollar
/// account is debited the dollars and, for the euros, exactly the equivalent the correspondent
/// reports, which the statement shows.
#[tokio::test]
async fn r_3_1_1_3_the_signing_and_detail_pages_show_the_foreign_requisites() {
    let f = fixture().await;
    let dollars = f.create(&to_us(f.usd.id, "100", "USD")).await;
    let euros = f.create(&to_germany(f.usd.id, "500")).await;
    let (status, signing) = f.open_signing(&[&dollars, &euros]).await;
    assert_eq!(status, StatusCode::OK, "{signing}");
    assert_no_inline_code(&signing);
    assert!(signing.contains("id=\"signing-foreign\""), "{signing}");
    let transfer = |id: &str| {
        let start = signing.find(&format!("class=\"foreign-transfer\" data-document=\"{id}\"")).expect("the transfer");
        let rest = &signing[start..];
        rest[..rest.find("</div>").expect("its end")].to_owned()
    };
    let (us, germany) = (transfer(&dollars), transfer(&euros));
    assert_eq!(text_at(&us, "data-fact=\"payment-payee\""), "ACME Trading Inc.");
    assert_eq!(text_at(&us, "data-fact=\"payment-payee-address\""), "350 Fifth Avenue, New York, NY 10118");
    assert_eq!(text_at(&us, "data-fact=\"payment-payee-account\""), "400123456789");
    assert_eq!(text_at(&us, "data-fact=\"payment-payee-bank\""), "CHASUS33 — JPMorgan Chase Bank, N.A., New York, US");
    assert_eq!(
        text_at(&us, "data-fact=\"payment-charges\""),
        "SHA — вы платите нашему банку, получатель — банкам-корреспондентам"
    );
    assert!(!us.contains("data-note=\"correspondent-rate\""), "dollars from dollars: {us}");
    assert_eq!(text_at(&germany, "data-fact=\"payment-payee-country\""), "DE");
    assert_eq!(
        text_at(&germany, "data-fact=\"payment-intermediary\""),
        "DEUTDEFF — Deutsche Bank AG, Frankfurt am Main, DE"
    );
    assert_eq!(text_at(&germany, "data-fact=\"payment-contract\""), "№ C-2025/17 от 01.12.2025");
    assert!(
        text_at(&germany, "data-note=\"correspondent-rate\"").contains("по курсу банка-корреспондента"),
        "{germany}"
    );
    assert!(signing.contains("payee-abroad\">DE89370400440532013000 · COBADEFF · DE · OUR</span>"), "{signing}");

    let before = f.balance(f.usd.id).await;
    let (status, results) = f.confirm(&signing).await;
    assert_eq!(status, StatusCode::OK, "{results}");
    for id in [&dollars, &euros] {
        assert!(results.contains(&format!("data-payment-id=\"{id}\" data-status=\"sent\"")), "{results}");
    }
    assert_eq!(f.balance(f.usd.id).await, before, "held, not yet debited");

    let simulator: Arc<dyn Gateway> = SimulatedGateway::new(f.test.app_banking(), std::time::Duration::from_millis(1));
    assert_eq!(f.test.app_banking().dispatch_outbox(simulator.as_ref()).await.expect("dispatch"), 2);
    for _ in 0..300 {
        if f.status(&dollars).await == tiyn_payments::Status::Settled
            && f.status(&euros).await == tiyn_payments::Status::Settled
        {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
    }
    assert_eq!(f.status(&dollars).await, tiyn_payments::Status::Settled);
    assert_eq!(f.status(&euros).await, tiyn_payments::Status::Settled);
    let (_, shown) = f.page(&format!("/payments/{euros}")).await;
    assert!(shown.contains("data-status=\"settled\""), "{shown}");
    assert_eq!(text_of(&shown, "payment-payee-bank"), "COBADEFF — Commerzbank AG, Frankfurt am Main, DE");

    // 500 EUR: the bank sells euros at 554.80 and buys dollars at 473.60 (the simulator's
    // stand-in for the correspondent's rate): 277 400 ₸ = 585.73 $, rounded for the bank.
    let debited = before - f.balance(f.usd.id).await;
    let commission: i64 = {
        let mut total = 0;
        for id in [&dollars, &euros] {
            let id = DocumentId::new(id.parse().expect("id"));
            let record = f.test.store.payment(f.test.demo.partner, id).await.expect("read").expect("document");
            total += record.commission.map_or(0, |fee| fee.minor());
        }
        total
    };
    let equivalent = debited - commission - 10_000;
    assert!((58_570..=58_580).contains(&equivalent), "the correspondent's debit: {equivalent} cents");
    let (_, statement) = f.page(&format!("/accounts/{}/statement?from=2026-01-12&to=2026-01-12", f.usd.id)).await;
    let cents = format!("{},{:02}", equivalent / 100, equivalent % 100);
    assert!(statement.contains(&cents), "the statement shows the debit {cents}: {statement}");
    assert!(f.test.store.check_ledger().await.expect("check").is_sound());
}
