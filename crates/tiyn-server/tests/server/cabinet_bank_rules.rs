//! The bank's payment rules in the console, through the whole stack as a browser uses it (issue
//! 4): the tariff plan, limits and kinds switched off on the partner's
//! page; restrictions on accounts registered and lifted, collection orders
//! collected at once, and the partner's view of them; the AML list; the roles
//! that may change each. Runs on SQLite, and on PostgreSQL with `TIYN_TEST_BACKEND=postgres`.

use crate::common;

use axum::http::StatusCode;
use common::*;
use tiyn_core::{Currency, Money, OperatorRole, PartnerId};
use tiyn_payments::DocumentKind;
use tiyn_store::rules::{RestrictionKind, limits_to_text, tariff_to_text};
use tiyn_web::format;

const OPERATOR_PASSWORD: &str = "operator test passphrase";

/// The demo operator (an administrator), signed in through the pages.
async fn administrator(test: &TestApp) -> Browser {
    let operator = &test.credentials.operators[0];
    let (browser, home) = sign_in_through_pages(test, &operator.login, &operator.password, &operator.mobile).await;
    assert_eq!(home, "/bank");
    browser
}

/// A new active operator of `role`, signed in through the pages.
async fn operator_of(test: &TestApp, role: OperatorRole, mobile: &str) -> Browser {
    let id = test
        .store
        .create_user(tiyn_store::NewUser {
            partner: None,
            full_name: format!("Оператор {role}"),
            mobile: Some(tiyn_core::MobileNumber::parse(mobile).expect("mobile")),
            email: None,
            level: None,
            operator_role: Some(role),
            consent: None,
            created_at: now(),
        })
        .await
        .expect("operator");
    let hash = tiyn_auth::PasswordHasher::for_tests().hash(OPERATOR_PASSWORD, &mut rand::rng()).expect("hash");
    test.store.activate_user(id, hash.as_phc_str(), now()).await.expect("active");
    let (browser, home) = sign_in_through_pages(test, mobile, OPERATOR_PASSWORD, mobile).await;
    assert_eq!(home, "/bank");
    browser
}

async fn partner_user(test: &TestApp, level: &str) -> Browser {
    let (login, password, mobile) = test.login(level, true);
    sign_in_through_pages(test, &login, &password, &mobile).await.0
}

async fn rules(test: &TestApp, partner: PartnerId) -> tiyn_store::rules::PaymentRules {
    test.app_banking().payment_rules(partner).await.expect("rules")
}

/// the administrator sets the partner's own tariff plan, adds limits of
/// the partner and of one of its users, removes one, switches a kind off and goes back to the
/// standard plan, all through the forms on the partner's page; refusals stand next to their
/// fields in the page's language and change nothing; what was saved is what the use cases read.
#[tokio::test]
async fn r_4_15_r_6_1_7_r_3_2_the_tariff_limits_and_kinds_are_set_through_the_forms() {
    let test = test_app().await;
    let console = administrator(&test).await;
    let partner = test.demo.partner;
    let page = format!("/bank/partners/{partner}");
    let html = body_text(console.get(&test.app, &page).await).await;
    assert!(html.contains("Правила платежей") && html.contains("Действует стандартный тариф банка"), "{html}");
    assert!(html.contains(&format!("action=\"{page}/tariff\"")) && html.contains(&format!("action=\"{page}/limits\"")));
    assert_no_inline_code(&html);

    let mut tariff = vec![
        ("plan", "own"),
        ("internal_commission", "free"),
        ("internal_withholding", "separate"),
        ("interbank_commission", "fixed"),
        ("interbank_fee", "200"),
        ("interbank_currency", "KZT"),
        ("interbank_withholding", "from_amount"),
        ("budget_commission", "percent"),
        ("budget_rate", "0,15"),
        ("budget_min", "50"),
        ("budget_max", "5 000"),
        ("budget_currency", "KZT"),
        ("budget_withholding", "separate"),
    ];
    let refused = console.post(&test.app, &format!("{page}/tariff"), &tariff).await;
    assert_eq!(refused.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = body_text(refused).await;
    assert!(
        html.contains("id=\"interbank_withholding-error\">Комиссию за исходящий платёж удерживают отдельной проводкой"),
        "{html}"
    );
    assert_eq!(input_value(&html, "budget_max"), "5 000", "the typed values stay");
    assert_eq!(rules(&test, partner).await.tariff, None, "nothing changed");

    tariff[6] = ("interbank_withholding", "separate");
    let saved = console.post(&test.app, &format!("{page}/tariff"), &tariff).await;
    assert_eq!(saved.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(&saved).expect("redirect"), format!("{page}?done=tariff#rules"));
    let plan = rules(&test, partner).await.tariff.expect("own plan");
    assert_eq!(
        tariff_to_text(&plan),
        "internal free separate\ninterbank fixed 200.00 KZT separate\n\
         budget percent 0.15 min 50.00 KZT max 5000.00 KZT separate\nconversion free separate\n\
         foreign free separate",
        "a conversion or foreign line left blank is free"
    );
    let html = body_text(console.get(&test.app, &format!("{page}?done=tariff")).await).await;
    assert!(html.contains("Тариф сохранён") && html.contains("Действует индивидуальный тариф партнёра"), "{html}");

    // the fee a foreign transfer under OUR costs on top, kept with the plan and shown.
    tariff.extend([("foreign_our_fee", "25"), ("foreign_our_currency", "USD")]);
    let saved = console.post(&test.app, &format!("{page}/tariff"), &tariff).await;
    assert_eq!(saved.status(), StatusCode::SEE_OTHER);
    let plan = rules(&test, partner).await.tariff.expect("own plan");
    assert_eq!(plan.our_fee().map(|fee| fee.money().amount_string()), Some("25.00".to_owned()));
    let html = body_text(console.get(&test.app, &page).await).await;
    assert_eq!(input_value(&html, "foreign_our_fee"), "25.00");
    assert!(html.contains("data-tariff=\"foreign_our\"") && html.contains("сверх тарифа за перевод с OUR"), "{html}");

    // Limits: one of the partner, one of its user; refusals next to the field.
    let limits = format!("{page}/limits");
    let wrong = console
        .post(
            &test.app,
            &limits,
            &[("scope", "partner"), ("rule", "operation_amount"), ("value", "много"), ("currency", "KZT")],
        )
        .await;
    assert_eq!(wrong.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = body_text(wrong).await;
    assert!(html.contains("id=\"value-error\">Сумма записывается цифрами"), "{html}");
    let english = console
        .post(
            &test.app,
            &format!("{limits}?lang=en"),
            &[("scope", "partner"), ("rule", "daily_count"), ("value", "0"), ("currency", "")],
        )
        .await;
    assert!(body_text(english).await.contains("id=\"value-error\">A whole number above zero"));

    let operation = [
        ("scope", "partner"),
        ("kind", "interbank"),
        ("rule", "operation_amount"),
        ("value", "1 000 000,00"),
        ("currency", "KZT"),
    ];
    let added = console.post(&test.app, &limits, &operation).await;
    assert_eq!(location(&added).expect("redirect"), format!("{page}?done=limit_added#rules"));
    let duplicate = console.post(&test.app, &limits, &operation).await;
    assert_eq!(duplicate.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(body_text(duplicate).await.contains("id=\"rule-error\">Такой лимит уже есть"));
    let (login, _, _) = test.login("confirm", true);
    let confirmer = test.store.user_by_login(&tiyn_core::Login::parse(&login).expect("login")).await.expect("read");
    let confirmer = confirmer.expect("exists").id;
    let scope = format!("user:{confirmer}");
    let added = console
        .post(
            &test.app,
            &limits,
            &[("scope", &scope), ("rule", "confirmation_count"), ("value", "5"), ("currency", "")],
        )
        .await;
    assert_eq!(added.status(), StatusCode::SEE_OTHER);
    let stored = rules(&test, partner).await.limits;
    assert_eq!(
        limits_to_text(&stored),
        format!("partner {partner} interbank operation_amount 1000000.00 KZT\nuser {confirmer} * confirmation_count 5")
    );
    let html = body_text(console.get(&test.app, &page).await).await;
    assert!(html.contains("Сумма одной операции") && html.contains("Документов на одно подтверждение"), "{html}");

    let removed = console
        .post(&test.app, &format!("{limits}/remove"), &[("limit", &format!("user {confirmer} * confirmation_count 5"))])
        .await;
    assert_eq!(location(&removed).expect("redirect"), format!("{page}?done=limit_removed#rules"));
    assert_eq!(rules(&test, partner).await.limits.limits().len(), 1);
    let unknown =
        console.post(&test.app, &format!("{limits}/remove"), &[("limit", "partner 1 * daily_count 9 *")]).await;
    assert_eq!(unknown.status(), StatusCode::NOT_FOUND);

    // Kinds switched off, then the standard plan again: the limits stay.
    let kinds = console.post(&test.app, &format!("{page}/kinds"), &[("disabled", "budget")]).await;
    assert_eq!(location(&kinds).expect("redirect"), format!("{page}?done=kinds#rules"));
    assert_eq!(rules(&test, partner).await.disabled_kinds, vec![DocumentKind::Budget]);
    let html = body_text(console.get(&test.app, &page).await).await;
    assert!(html.contains("value=\"budget\" checked") && html.contains("Отключены: Платёж в бюджет"), "{html}");
    let standard = console.post(&test.app, &format!("{page}/tariff"), &[("plan", "standard")]).await;
    assert_eq!(standard.status(), StatusCode::SEE_OTHER);
    let after = rules(&test, partner).await;
    assert_eq!((after.tariff, after.limits.limits().len()), (None, 1));

    // The partner's next payment meets the rules: a budget payment is switched off.
    assert!(test.app_banking().payment_rules(test.demo.other_partner).await.expect("rules").disabled_kinds.is_empty());
}

/// the administrator registers an arrest of an amount on the partner's
/// account (a refusal stays next to the field), the partner's users see it on their accounts
/// page, the bank lifts it and the partner's page no longer shows it.
#[tokio::test]
async fn r_6_1_2_r_10_2_4_an_arrest_is_registered_seen_by_the_partner_and_lifted() {
    let test = test_app().await;
    let console = administrator(&test).await;
    let partner = test.demo.partner;
    let account = test.store.partner_accounts(partner).await.expect("accounts")[0].clone();
    let form = format!("/bank/accounts/{}/restrictions", account.id);
    let html = body_text(console.get(&test.app, &format!("/bank/partners/{partner}")).await).await;
    assert!(html.contains(&format!("action=\"{form}\"")) && html.contains("Ограничений нет"), "{html}");

    let reference = "СГД по г. Алматы, распоряжение № 123 от 01.02.2026";
    let missing =
        console.post(&test.app, &form, &[("kind", "arrest_amount"), ("amount", "5000"), ("reference", " ")]).await;
    assert_eq!(missing.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = body_text(missing).await;
    assert!(html.contains(&format!("id=\"restriction-reference-{}-error\">Обязательное поле", account.id)), "{html}");
    assert!(test.app_banking().restrictions(account.id).await.expect("read").is_empty());

    let added = console
        .post(&test.app, &form, &[("kind", "arrest_amount"), ("amount", "5 000,00"), ("reference", reference)])
        .await;
    assert_eq!(
        location(&added).expect("redirect"),
        format!("/bank/partners/{partner}?done=restriction_added#account-{}", account.id)
    );
    let stored = test.app_banking().restrictions(account.id).await.expect("read");
    assert_eq!(stored.len(), 1);
    assert_eq!(stored[0].kind, RestrictionKind::ArrestAmount(Money::from_minor(500_000, Currency::Kzt)));
    assert_eq!((stored[0].reference.as_str(), stored[0].lifted_at), (reference, None));
    let html =
        body_text(console.get(&test.app, &format!("/bank/partners/{partner}?done=restriction_added")).await).await;
    assert!(html.contains("Ограничение зарегистрировано") && html.contains("Арест суммы") && html.contains(reference));
    assert!(html.contains(&format!("action=\"{form}/lift\"")), "{html}");

    // The partner's users see what is in force on their accounts page.
    let user = partner_user(&test, "full").await;
    let accounts = body_text(user.get(&test.app, "/accounts").await).await;
    let section = accounts.split("id=\"restrictions\"").nth(1).expect("the restrictions section");
    assert!(section.contains("Арест суммы") && section.contains(reference), "{accounts}");
    assert_no_inline_code(&accounts);
    let other = sign_in_through_pages(
        &test,
        &test.login("full", false).0,
        &test.login("full", false).1,
        &test.login("full", false).2,
    )
    .await
    .0;
    assert!(!body_text(other.get(&test.app, "/accounts").await).await.contains(reference), "another partner's");

    let lifted = console.post(&test.app, &format!("{form}/lift"), &[("restriction", &stored[0].id.to_string())]).await;
    assert_eq!(
        location(&lifted).expect("redirect"),
        format!("/bank/partners/{partner}?done=restriction_lifted#account-{}", account.id)
    );
    assert!(test.app_banking().restrictions(account.id).await.expect("read")[0].lifted_at.is_some());
    let accounts = body_text(user.get(&test.app, "/accounts").await).await;
    assert!(accounts.contains("Действующих ограничений нет") && !accounts.contains(reference), "{accounts}");
    let unknown = console.post(&test.app, &format!("{form}/lift"), &[("restriction", "987654")]).await;
    assert_eq!(unknown.status(), StatusCode::NOT_FOUND);
}

/// A money amount as the Russian pages print it (narrow no-break spaces, decimal comma, sign).
fn ru(money: Money) -> String {
    format::money(money, tiyn_api::Lang::Ru)
}

/// the administrator registers through the form a collection order larger than what the
/// partner's account has: a form with a bad IBAN, a bad BIN and priority 0 is refused first, each
/// error next to its field and nothing stored; the order then takes exactly the available balance
/// at once, the console shows what it collected and what is still owed with its priority and
/// creditor, and the partner's users see it on their accounts page. A withdrawn order and one
/// paid off at once say so in the console and leave the partner's page.
#[tokio::test]
async fn r_6_1_2_a_collection_order_is_registered_collected_at_once_and_seen_by_the_partner() {
    let test = test_app().await;
    let console = administrator(&test).await;
    let partner = test.demo.partner;
    let accounts = test.store.partner_accounts(partner).await.expect("accounts");
    let account = test.store.account(accounts[0].id).await.expect("read").expect("exists");
    let available = account.available();
    assert!(available.is_positive(), "the demo account has money: {available:?}");
    // 1 000 000,00 more than the account has.
    let still_owed = Money::from_minor(100_000_000, account.currency);
    let owed = Money::from_minor(available.minor() + still_owed.minor(), account.currency);
    let form = format!("/bank/accounts/{}/restrictions", account.id);
    let reference = "СГД по г. Алматы, инкассовое распоряжение № 45 от 03.03.2026";
    let typed_amount = owed.amount_string().replace('.', ",");
    let order = |priority: &'static str, taxpayer_id: &'static str, iban: &'static str, kbe: &'static str| {
        vec![
            ("kind", "collection_order"),
            ("amount", typed_amount.as_str()),
            ("priority", priority),
            ("creditor_name", "РГУ «ДГД по г. Алматы»"),
            ("creditor_taxpayer_id", taxpayer_id),
            ("creditor_iban", iban),
            ("creditor_kbe", kbe),
            ("creditor_knp", "911"),
            ("creditor_kbk", "105101"),
            ("reference", reference),
        ]
    };

    let refused = console.post(&test.app, &form, &order("0", "180140010006", "KZ00 125K ZT50 0410 0100", "1")).await;
    assert_eq!(refused.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = body_text(refused).await;
    let id = account.id;
    assert!(html.contains(&format!("id=\"restriction-priority-{id}-error\">Очерёдность — число от 1 до 9")), "{html}");
    assert!(
        html.contains(&format!("id=\"restriction-creditor-taxpayer-id-{id}-error\">Неверный ИИН или БИН")),
        "{html}"
    );
    assert!(html.contains(&format!("id=\"restriction-creditor-iban-{id}-error\">Неверный IBAN")), "{html}");
    assert!(html.contains(&format!("id=\"restriction-creditor-kbe-{id}-error\">КБе — две цифры")), "{html}");
    for fine in ["amount", "creditor-name", "creditor-knp", "creditor-kbk", "reference"] {
        assert!(!html.contains(&format!("id=\"restriction-{fine}-{id}-error\"")), "{fine}: {html}");
    }
    assert!(html.contains("name=\"creditor_iban\" value=\"KZ00 125K ZT50 0410 0100\""), "the typed values stay");
    assert!(html.contains("<option value=\"collection_order\" selected>Инкассовое распоряжение</option>"), "{html}");
    assert!(test.app_banking().restrictions(account.id).await.expect("read").is_empty(), "nothing stored");
    assert_eq!(test.store.account(account.id).await.expect("read").expect("exists").balance, account.balance);

    let added = console.post(&test.app, &form, &order("3", "180140010005", "KZ86 125K ZT50 0410 0100", "11")).await;
    assert_eq!(
        location(&added).expect("redirect"),
        format!("/bank/partners/{partner}?done=restriction_added#account-{id}")
    );
    let after = test.store.account(account.id).await.expect("read").expect("exists");
    assert_eq!(after.balance.minor(), account.balance.minor() - available.minor(), "exactly what was available");
    assert_eq!(after.available().minor(), 0);
    let stored = test.app_banking().restrictions(account.id).await.expect("read");
    assert_eq!(stored.len(), 1);
    let RestrictionKind::CollectionOrder(collection) = &stored[0].kind else { panic!("{:?}", stored[0].kind) };
    assert_eq!((collection.amount(), collection.collected(), collection.outstanding()), (owed, available, still_owed));
    assert_eq!(
        (collection.priority().get(), collection.creditor().iban.to_string().as_str()),
        (3, "KZ86125KZT5004100100")
    );
    assert_eq!((stored[0].reference.as_str(), stored[0].lifted_at), (reference, None), "outstanding: in force");

    let page = format!("/bank/partners/{partner}");
    let html = body_text(console.get(&test.app, &format!("{page}?done=restriction_added")).await).await;
    assert_no_inline_code(&html);
    let row = html.split(&format!("data-restriction-id=\"{}\"", stored[0].id)).nth(1).expect("the order's row");
    let row = row.split("</tr>").next().expect("the row");
    for shown in [
        "Инкассовое распоряжение".to_owned(),
        format!("<td class=\"num\">{}", ru(owed)),
        format!("data-collected>{}<", ru(available)),
        format!("data-outstanding>{}<", ru(still_owed)),
        "data-priority>3<".to_owned(),
        "РГУ «ДГД по г. Алматы»".to_owned(),
        "180140010005".to_owned(),
        "KZ86 125K ZT50 0410 0100".to_owned(),
        "data-kbe>11<".to_owned(),
        "data-knp>911<".to_owned(),
        "data-kbk>105101<".to_owned(),
        reference.to_owned(),
    ] {
        assert!(row.contains(&shown), "{shown} in {row}");
    }
    assert!(row.contains("Взыскано <span") && row.contains("Остаток долга <span"), "{row}");
    let english = body_text(console.get(&test.app, &format!("{page}?lang=en")).await).await;
    assert!(english.contains("Collection order") && english.contains("Outstanding <span"), "{english}");
    assert!(english.contains("Creditor&#39;s IBAN") || english.contains("Creditor's IBAN"), "{english}");

    // The partner's users see the order in force, with what is collected and still owed.
    let user = partner_user(&test, "full").await;
    let accounts_page = body_text(user.get(&test.app, "/accounts").await).await;
    assert_no_inline_code(&accounts_page);
    let section = accounts_page.split("id=\"restrictions\"").nth(1).expect("the restrictions section");
    for shown in [
        "Инкассовое распоряжение".to_owned(),
        format!("data-collected>{}<", ru(available)),
        format!("data-outstanding>{}<", ru(still_owed)),
        "РГУ «ДГД по г. Алматы»".to_owned(),
        "KZ86 125K ZT50 0410 0100".to_owned(),
    ] {
        assert!(section.contains(&shown), "{shown} in {section}");
    }

    // An order within what another account has is paid off at once and lifted; the bank withdraws
    // the first one. The console says which; the partner's page shows neither any more.
    let other = format!("/bank/accounts/{}/restrictions", accounts[1].id);
    let small = [
        ("kind", "collection_order"),
        ("amount", "100"),
        ("priority", "1"),
        ("creditor_name", "ТОО «Ромашка»"),
        ("creditor_taxpayer_id", "180140010005"),
        ("creditor_iban", "KZ86125KZT5004100100"),
        ("creditor_kbe", "17"),
        ("creditor_knp", "710"),
        ("reference", "Решение суда № 8"),
    ];
    assert_eq!(console.post(&test.app, &other, &small).await.status(), StatusCode::SEE_OTHER);
    let paid = test.app_banking().restrictions(accounts[1].id).await.expect("read");
    assert!(paid[0].lifted_at.is_some(), "paid off at once");
    let lifted = console.post(&test.app, &format!("{form}/lift"), &[("restriction", &stored[0].id.to_string())]).await;
    assert_eq!(lifted.status(), StatusCode::SEE_OTHER);
    let html = body_text(console.get(&test.app, &page).await).await;
    let outcome = |restriction: i64| {
        let row = html.split(&format!("data-restriction-id=\"{restriction}\"")).nth(1).expect("the row");
        row.split("</tr>").next().expect("the row").split("data-outcome>").nth(1).map(|rest| rest.split('<').next())
    };
    assert_eq!(outcome(stored[0].id), Some(Some("Отозвано")));
    assert_eq!(outcome(paid[0].id), Some(Some("Погашено")));
    let accounts_page = body_text(user.get(&test.app, "/accounts").await).await;
    assert!(!accounts_page.contains("data-kind=\"collection_order\"") && !accounts_page.contains("data-collected"));
    assert!(accounts_page.contains("Действующих ограничений нет"), "{accounts_page}");
}

/// the administrator loads an AML list as text; a partner's user whose name is on it is
/// blocked at once, and the page says how many entries were loaded and how many users blocked;
/// a refused line is named and nothing is replaced.
#[tokio::test]
async fn r_6_1_5_an_aml_list_is_loaded_and_blocks_a_listed_user() {
    let test = test_app().await;
    let console = administrator(&test).await;
    let home = body_text(console.get(&test.app, "/bank").await).await;
    assert!(home.contains("href=\"/bank/aml\""), "{home}");
    let html = body_text(console.get(&test.app, "/bank/aml").await).await;
    assert!(html.contains("Список пуст") && html.contains("name=\"entries\""), "{html}");
    assert_no_inline_code(&html);

    let (login, _, _) = test.login("create", true);
    let listed = test.store.user_by_login(&tiyn_core::Login::parse(&login).expect("login")).await.expect("read");
    let listed = listed.expect("exists");
    let wrong = console.post(&test.app, "/bank/aml", &[("entries", "ТОО «Ромашка»;180140010005\nИванов;12345")]).await;
    assert_eq!(wrong.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = body_text(wrong).await;
    assert!(html.contains("id=\"entries-error\">строка 2: неверный ИИН или БИН"), "{html}");
    assert!(test.app_banking().aml_list().await.expect("list").is_empty());

    let text = format!("name;iin_or_bin\nТОО «Ромашка»;180140010005\n{};\n", listed.full_name);
    let loaded = console.post(&test.app, "/bank/aml", &[("entries", &text)]).await;
    assert_eq!(location(&loaded).as_deref(), Some("/bank/aml?loaded=2&blocked=1"));
    let html = body_text(console.get(&test.app, "/bank/aml?loaded=2&blocked=1").await).await;
    assert!(html.contains("Загружено записей: 2. Заблокировано пользователей: 1."), "{html}");
    assert!(html.contains("ТОО «Ромашка»") && html.contains("180140010005"));
    let user = test.store.user(listed.id).await.expect("read").expect("exists");
    assert!(user.block.is_some(), "the listed user is blocked");
}

/// a viewer operator sees the rules and restrictions without any form and is refused when
/// posting; a security operator manages restrictions and the AML list but not the tariff.
#[tokio::test]
async fn r_8_2_only_the_roles_that_may_change_the_rules_get_the_forms() {
    let test = test_app().await;
    let partner = test.demo.partner;
    let page = format!("/bank/partners/{partner}");
    let account = test.store.partner_accounts(partner).await.expect("accounts")[0].id;
    let viewer = operator_of(&test, OperatorRole::Viewer, "+77010000982").await;
    let html = body_text(viewer.get(&test.app, &page).await).await;
    assert!(html.contains("Правила платежей") && html.contains("Ограничения по счетам"), "{html}");
    for action in ["/tariff\"", "/limits\"", "/kinds\"", "/restrictions\"", "/lift\""] {
        assert!(!html.contains(action), "a viewer gets no form {action}");
    }
    assert!(!html.contains("href=\"/bank/aml\""));
    let refused = viewer.post(&test.app, &format!("{page}/tariff"), &[("plan", "standard")]).await;
    assert_eq!(refused.status(), StatusCode::FORBIDDEN);
    let refused = viewer
        .post(
            &test.app,
            &format!("/bank/accounts/{account}/restrictions"),
            &[("kind", "arrest_all"), ("reference", "x")],
        )
        .await;
    assert_eq!(refused.status(), StatusCode::FORBIDDEN);
    assert_eq!(viewer.get(&test.app, "/bank/aml").await.status(), StatusCode::FORBIDDEN);
    assert!(test.app_banking().restrictions(account).await.expect("read").is_empty(), "nothing changed");

    let security = operator_of(&test, OperatorRole::Security, "+77010000981").await;
    let html = body_text(security.get(&test.app, &page).await).await;
    assert!(
        !html.contains("/tariff\"") && html.contains(&format!("/bank/accounts/{account}/restrictions\"")),
        "{html}"
    );
    assert!(html.contains("href=\"/bank/aml\""));
    let refused = security.post(&test.app, &format!("{page}/limits"), &[]).await;
    assert_eq!(refused.status(), StatusCode::FORBIDDEN);
    let added = security
        .post(
            &test.app,
            &format!("/bank/accounts/{account}/restrictions"),
            &[("kind", "debit_suspension"), ("allowed", "budget"), ("reference", "Решение суда № 7")],
        )
        .await;
    assert_eq!(added.status(), StatusCode::SEE_OTHER);
    let stored = test.app_banking().restrictions(account).await.expect("read");
    assert_eq!(stored[0].kind, RestrictionKind::DebitSuspension { allowed: vec![DocumentKind::Budget] });
}
