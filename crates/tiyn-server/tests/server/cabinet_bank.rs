//! The bank operators' console through the whole stack, as a browser uses it (R-8.2, R-6.1.4,
//! operators land on it, connect a partner from its application,
//! block, unblock and lift lockouts, read the whole audit trail, add operators; partners' users
//! get the refusal page. Each test names the requirements it checks.

use crate::common;

use axum::http::StatusCode;
use common::*;

/// Signs in through the cabinet's forms; answers the browser and where the code step sent it.
async fn sign_in_with(test: &TestApp, login: &str, password: &str, mobile: &str) -> (Browser, String) {
    sign_in_through_pages(test, login, password, mobile).await
}

/// The demo operator (an administrator), signed in through the pages: they land on the console.
async fn operator(test: &TestApp) -> Browser {
    let operator = &test.credentials.operators[0];
    let (browser, home) = sign_in_with(test, &operator.login, &operator.password, &operator.mobile).await;
    assert_eq!(home, "/bank", "an operator lands on the console");
    browser
}

async fn partner_user(test: &TestApp, level: &str, first: bool) -> Browser {
    let (login, password, mobile) = test.login(level, first);
    let (browser, home) = sign_in_with(test, &login, &password, &mobile).await;
    assert_eq!(home, "/accounts");
    browser
}

/// A valid BIN that no demo partner has: registered May 2021, a legal entity's head office.
fn fresh_bin() -> String {
    (0..100)
        .find_map(|serial| tiyn_core::Bin::with_check_digit(&format!("210540{serial:05}")).ok())
        .expect("a BIN with a check digit")
        .as_str()
        .to_owned()
}

/// First access through the pages: the code from the SMS and a password.
async fn activate(test: &TestApp, mobile: &str, password: &str) {
    let anonymous = Browser::default();
    let step = anonymous.post_plain(&test.app, "/activation", &[("login", mobile)]).await;
    assert_eq!(step.status(), StatusCode::OK);
    let challenge = input_value(&body_text(step).await, "challenge_id");
    let code = last_code(&test.sms, mobile);
    let done = anonymous
        .post_plain(
            &test.app,
            "/activation/confirm",
            &[("challenge_id", &challenge), ("code", &code), ("password", password)],
        )
        .await;
    assert_eq!(done.status(), StatusCode::OK);
    assert!(body_text(done).await.contains("Доступ активирован"));
}

async fn user_id(test: &TestApp, login: &str) -> i64 {
    let login = tiyn_core::Login::parse(login).expect("login");
    test.store.user_by_login(&login).await.expect("read").expect("exists").id.get()
}

/// the operator lands on the console, fills the application form (empty rows
/// ignored, refusals next to the row they concern), the partner is created with the bank's IBANs
/// and its users pending activation; a user activates and signs in to the new cabinet.
#[tokio::test]
async fn r_8_2_a_partner_is_created_from_the_application_form_and_its_user_activates() {
    let test = test_app().await;
    let console = operator(&test).await;
    let home = console.get(&test.app, "/bank").await;
    assert_eq!(home.status(), StatusCode::OK);
    let html = body_text(home).await;
    assert!(html.contains("<h1>Партнёры банка</h1>") && html.contains("ТОО «Демо Трейд»"), "{html}");
    assert!(html.contains("ТОО «Степной Логистик»") && html.contains("Оператор Демо Банка"));
    for link in ["/bank/partners/new", "/bank/audit", "/bank/operators/new"] {
        assert!(html.contains(&format!("href=\"{link}\"")), "the console's nav has {link}");
    }
    assert!(!html.contains("href=\"/accounts\"") && !html.contains("href=\"/users\""), "no partner links");
    assert_no_inline_code(&html);
    // The cabinet's entry points send the operator to the console.
    assert_eq!(location(&console.get(&test.app, "/").await).as_deref(), Some("/bank"));
    assert_eq!(location(&console.get(&test.app, "/login").await).as_deref(), Some("/bank"));

    let form = body_text(console.get(&test.app, "/bank/partners/new").await).await;
    assert!(form.contains("name=\"users[2].consent\"") && form.contains("name=\"accounts[2].currency\""), "{form}");
    assert_no_inline_code(&form);

    let empty = console.post(&test.app, "/bank/partners", &[]).await;
    assert_eq!(empty.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(body_text(empty).await.contains("id=\"bin-error\">Неверный БИН"));

    let bin = fresh_bin();
    let mut application = vec![
        ("name", "ТОО «Новый Партнёр»"),
        ("bin", bin.as_str()),
        ("legal_address", "050000, г. Алматы, ул. Абая, д. 1"),
        ("accounts[0].currency", "KZT"),
        ("accounts[0].name", ""),
        ("accounts[1].currency", "USD"),
        ("accounts[1].name", "Валютный счёт"),
        ("users[0].full_name", ""),
        ("users[0].level", "full"),
        ("users[1].full_name", "Алия Серикова"),
        ("users[1].mobile", "+7 702 000 05 55"),
        ("users[1].email", "aliya@new-partner.kz"),
        ("users[1].level", "full"),
    ];
    let no_consent = console.post(&test.app, "/bank/partners", &application).await;
    assert_eq!(no_consent.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = body_text(no_consent).await;
    let row = html.split("data-row=\"user-1\"").nth(1).and_then(|rest| rest.split("data-row=\"user-2\"").next());
    assert!(row.expect("row 1").contains("Нужно согласие на обработку данных"), "the refusal is on row 1: {html}");
    assert_eq!(input_value(&html, "users[1].full_name"), "Алия Серикова", "the values stay");

    application.push(("users[1].consent", "yes"));
    let created = console.post(&test.app, "/bank/partners", &application).await;
    assert_eq!(created.status(), StatusCode::SEE_OTHER);
    let partner_uri = location(&created).expect("redirect");
    assert!(partner_uri.starts_with("/bank/partners/") && partner_uri.ends_with("?done=created"), "{partner_uri}");
    let html = body_text(console.get(&test.app, &partner_uri).await).await;
    assert!(html.contains("Партнёр подключён") && html.contains("ТОО «Новый Партнёр»"), "{html}");
    assert!(html.contains("Валютный счёт") && html.contains("KZ") && html.contains("722S"), "an IBAN of the bank");
    assert!(html.contains("Алия Серикова") && html.contains("Ожидает активации"));
    assert_eq!(html.matches("data-account-id=").count(), 1, "the empty account row was ignored");

    let again = console.post(&test.app, "/bank/partners", &application).await;
    assert_eq!(again.status(), StatusCode::CONFLICT);
    assert!(body_text(again).await.contains("Партнёр с таким БИН уже есть"));

    // The new user activates by SMS code and signs in to the new cabinet.
    let password = "алатау-жайлау-2026-тұлпар";
    activate(&test, "+77020000555", password).await;
    let (user, home) = sign_in_with(&test, "+77020000555", password, "+77020000555").await;
    assert_eq!(home, "/accounts");
    let accounts = body_text(user.get(&test.app, "/accounts").await).await;
    assert!(accounts.contains("ТОО «Новый Партнёр»") && accounts.contains("Валютный счёт"), "{accounts}");
}

/// the operator blocks a partner's user (their open session
/// ends), unblocks them, and lifts a lockout after failed passwords; refusals of the current state
/// are shown on the page.
#[tokio::test]
async fn r_6_1_8_r_6_1_4_the_operator_blocks_unblocks_and_lifts_a_lockout() {
    let test = test_app().await;
    let console = operator(&test).await;
    let clerk = partner_user(&test, "create", true).await;
    let (login, password, mobile) = test.login("create", true);
    let id = user_id(&test, &login).await;
    let partner_uri = format!("/bank/partners/{}", test.demo.partner.get());

    let page = body_text(console.get(&test.app, &partner_uri).await).await;
    assert!(page.contains(&format!("data-user-id=\"{id}\"")) && page.contains("Дана Ким"), "{page}");
    assert!(page.contains(&format!("action=\"/bank/users/{id}/block\"")));
    assert!(page.contains("KZ") && page.contains("data-account-id="), "the partner's accounts");

    let blocked = console.post(&test.app, &format!("/bank/users/{id}/block"), &[]).await;
    assert_eq!(location(&blocked), Some(format!("{partner_uri}?done=blocked#users")));
    let page = body_text(console.get(&test.app, &format!("{partner_uri}?done=blocked")).await).await;
    assert!(page.contains("Пользователь заблокирован") && page.contains("банком"), "{page}");
    assert!(page.contains(&format!("action=\"/bank/users/{id}/unblock\"")));
    let ended = clerk.get(&test.app, "/accounts").await;
    assert!(ended.status().is_redirection() && location(&ended).as_deref() == Some("/login"), "the session ended");

    let twice = console.post(&test.app, &format!("/bank/users/{id}/block"), &[]).await;
    assert_eq!(twice.status(), StatusCode::CONFLICT);
    assert!(body_text(twice).await.contains("Пользователь уже заблокирован"));

    let unblocked = console.post(&test.app, &format!("/bank/users/{id}/unblock"), &[]).await;
    assert_eq!(location(&unblocked), Some(format!("{partner_uri}?done=unblocked#users")));
    partner_user(&test, "create", true).await;

    // Five wrong passwords lock the user.
    for _ in 0..5 {
        let refused = Browser::default()
            .post_plain(&test.app, "/login", &[("login", &login), ("password", "wrong-password")])
            .await;
        assert_eq!(refused.status(), StatusCode::UNAUTHORIZED);
    }
    let locked =
        Browser::default().post_plain(&test.app, "/login", &[("login", &login), ("password", &password)]).await;
    assert_eq!(locked.status(), StatusCode::UNAUTHORIZED, "locked out even with the right password");
    let page = body_text(console.get(&test.app, &partner_uri).await).await;
    assert!(
        page.contains("закрыт до") && page.contains(&format!("action=\"/bank/users/{id}/clear-lockout\"")),
        "{page}"
    );

    let cleared = console.post(&test.app, &format!("/bank/users/{id}/clear-lockout"), &[]).await;
    assert_eq!(location(&cleared), Some(format!("{partner_uri}?done=lockout_cleared#users")));
    assert!(
        body_text(console.get(&test.app, &format!("{partner_uri}?done=lockout_cleared")).await)
            .await
            .contains("Блокировка входа снята.")
    );
    sign_in_with(&test, &login, &password, &mobile).await;

    let nothing = console.post(&test.app, &format!("/bank/users/{id}/clear-lockout"), &[]).await;
    assert_eq!(nothing.status(), StatusCode::CONFLICT);
    assert!(body_text(nothing).await.contains("Вход пользователя не заблокирован"));
    let unknown = console.post(&test.app, "/bank/users/987654321/block", &[]).await;
    assert_eq!(unknown.status(), StatusCode::NOT_FOUND);
    let unknown = console.get(&test.app, "/bank/partners/987654321").await;
    assert_eq!(unknown.status(), StatusCode::NOT_FOUND);
}

/// the console is the bank's: partners' users of every level get the refusal page
/// (and change nothing), nobody is sent to the login; an operator gets the refusal page on the
/// partner's pages.
#[tokio::test]
async fn r_8_2_partner_users_get_the_refusal_page_on_the_console() {
    let test = test_app().await;
    let admin = partner_user(&test, "full", true).await;
    let (other_login, _, _) = test.login("full", false);
    let victim = user_id(&test, &other_login).await;
    for uri in [
        "/bank",
        "/bank/partners/new",
        "/bank/audit",
        "/bank/operators/new",
        &format!("/bank/partners/{}", test.demo.partner.get()),
    ] {
        let refused = admin.get(&test.app, uri).await;
        assert_eq!(refused.status(), StatusCode::FORBIDDEN, "{uri}");
        let html = body_text(refused).await;
        assert!(html.contains("Недостаточно прав доступа"), "{uri}: {html}");
    }
    let refused = admin.post(&test.app, &format!("/bank/users/{victim}/block"), &[]).await;
    assert_eq!(refused.status(), StatusCode::FORBIDDEN);
    let user = test.store.user(tiyn_core::UserId::new(victim)).await.expect("read").expect("exists");
    assert_eq!(user.status, tiyn_store::UserStatus::Active, "nothing changed");
    let accounts = body_text(admin.get(&test.app, "/accounts").await).await;
    assert!(!accounts.contains("href=\"/bank"), "no console link for a partner's user");

    let anonymous = Browser::default().get(&test.app, "/bank").await;
    assert_eq!(location(&anonymous).as_deref(), Some("/login"));

    let console = operator(&test).await;
    let refused = console.get(&test.app, "/accounts").await;
    assert_eq!(refused.status(), StatusCode::FORBIDDEN);
    assert!(body_text(refused).await.contains("href=\"/\">На главную"), "the refusal leads home");
    assert_eq!(location(&console.get(&test.app, "/").await).as_deref(), Some("/bank"), "which is the console");
}

/// the bank's trail shows every partner's records and the bank's own, filters by partner
/// and dates, and pages back.
#[tokio::test]
async fn r_3_4_the_bank_audit_trail_filters_by_partner_and_pages() {
    let test = test_app().await;
    partner_user(&test, "full", true).await;
    partner_user(&test, "full", false).await;
    let console = operator(&test).await;
    let page = console.get(&test.app, "/bank/audit").await;
    assert_eq!(page.status(), StatusCode::OK);
    let html = body_text(page).await;
    assert!(html.contains("<td>ТОО «Демо Трейд»</td>") && html.contains("<td>ТОО «Степной Логистик»</td>"), "{html}");
    assert!(html.contains("<td>Айгерим Сапарова</td>") && html.contains("<code>auth.login_confirm</code>"), "{html}");
    assert_no_inline_code(&html);

    let other = test.demo.other_partner.get();
    let filtered = body_text(console.get(&test.app, &format!("/bank/audit?partner={other}")).await).await;
    assert!(filtered.contains("<td>ТОО «Степной Логистик»</td>") && !filtered.contains("<td>ТОО «Демо Трейд»</td>"));
    assert!(filtered.contains(&format!("<option value=\"{other}\" selected>")));

    let wrong = console.get(&test.app, "/bank/audit?from=31.12.2026").await;
    assert_eq!(wrong.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(body_text(wrong).await.contains("id=\"from-error\">Дата — в формате ГГГГ-ММ-ДД."));
    let today = body_text(console.get(&test.app, "/bank/audit?from=2026-01-01&to=2026-01-01").await).await;
    assert!(today.contains("<td>ТОО «Демо Трейд»</td>"), "the test clock's day, in Almaty");
    let later = body_text(console.get(&test.app, "/bank/audit?from=2026-02-01").await).await;
    assert!(later.contains("Записей нет."), "{later}");

    // Every read of the trail is recorded: enough of them make a second page.
    for _ in 0..50 {
        assert_eq!(console.get(&test.app, "/bank/audit").await.status(), StatusCode::OK);
    }
    let first = body_text(console.get(&test.app, "/bank/audit").await).await;
    let next = first.split("rel=\"next\" href=\"").nth(1).and_then(|rest| rest.split('"').next()).expect("a next page");
    assert!(next.starts_with("/bank/audit?before="), "{next}");
    let second = body_text(console.get(&test.app, next).await).await;
    assert!(second.contains("href=\"/bank/audit\"") && second.contains("data-audit-id="), "{second}");
    let en = body_text(console.get(&test.app, "/bank/audit?lang=en").await).await;
    assert!(en.contains("All partners and the bank"), "{en}");
}

/// the administrator adds an operator (refusals next to the fields); the operator
/// activates by SMS code and lands on the console with the links their role opens.
#[tokio::test]
async fn r_8_2_an_operator_is_created_and_activates() {
    let test = test_app().await;
    let console = operator(&test).await;
    let form = body_text(console.get(&test.app, "/bank/operators/new").await).await;
    assert!(form.contains("<option value=\"viewer\" selected>Просмотр</option>"), "{form}");
    let wrong = console
        .post(&test.app, "/bank/operators", &[("full_name", "Ким Ли"), ("mobile", "12"), ("role", "viewer")])
        .await;
    assert_eq!(wrong.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = body_text(wrong).await;
    assert!(html.contains("id=\"mobile-error\">Неверный номер мобильного"), "{html}");
    assert_eq!(input_value(&html, "full_name"), "Ким Ли");

    let created = console
        .post(&test.app, "/bank/operators", &[("full_name", "Ким Ли"), ("mobile", "+77010000777"), ("role", "viewer")])
        .await;
    assert_eq!(location(&created).as_deref(), Some("/bank/operators/new?done=created"));
    assert!(
        body_text(console.get(&test.app, "/bank/operators/new?done=created").await).await.contains("Оператор создан")
    );

    let password = "степь-беркут-2026-сапсан";
    activate(&test, "+77010000777", password).await;
    let (viewer, home) = sign_in_with(&test, "+77010000777", password, "+77010000777").await;
    assert_eq!(home, "/bank");
    let html = body_text(viewer.get(&test.app, "/bank").await).await;
    assert!(html.contains("Ким Ли") && html.contains("href=\"/bank/audit\""), "{html}");
    assert!(!html.contains("href=\"/bank/partners/new\"") && !html.contains("href=\"/bank/operators/new\""));
    assert_eq!(viewer.get(&test.app, "/bank/partners/new").await.status(), StatusCode::FORBIDDEN, "the role decides");
}

/// on the partner's page the bank ticks the information services its create-level users
/// do not get; such a user loses the page at once, the other levels keep it, and unticking gives
/// it back.
#[tokio::test]
async fn r_8_1_3_the_console_withholds_information_services() {
    let test = test_app().await;
    let console = operator(&test).await;
    let creator = partner_user(&test, "create", true).await;
    let confirmer = partner_user(&test, "confirm", true).await;
    let page = format!("/bank/partners/{}", test.demo.partner);
    let html = body_text(console.get(&test.app, &page).await).await;
    assert!(html.contains("value=\"view_accounts\"") && !html.contains("view_accounts\" checked"), "{html}");
    assert_no_inline_code(&html);

    let saved = console
        .post(&test.app, &format!("{page}/services"), &[("withheld", "view_accounts"), ("withheld", "view_pos")])
        .await;
    assert_eq!(saved.status(), StatusCode::SEE_OTHER);
    let html = body_text(console.get(&test.app, &format!("{page}?done=services")).await).await;
    assert!(html.contains("value=\"view_accounts\" checked") && html.contains("value=\"view_pos\" checked"), "{html}");
    assert_eq!(creator.get(&test.app, "/accounts").await.status(), StatusCode::FORBIDDEN);
    assert_eq!(confirmer.get(&test.app, "/accounts").await.status(), StatusCode::OK);

    let refused = console.post(&test.app, &format!("{page}/services"), &[("withheld", "manage_users")]).await;
    assert_eq!(refused.status(), StatusCode::UNPROCESSABLE_ENTITY, "only information services");
    console.post(&test.app, &format!("{page}/services"), &[]).await;
    assert_eq!(creator.get(&test.app, "/accounts").await.status(), StatusCode::OK);
}
