//! The cabinet's means of access through the whole stack, as a browser uses them: markers with a
//! QR code and the sign-in with a marker, devices,
//! and the partner's API keys. Each test names the requirements it checks.

use crate::common;

use axum::body::Body;
use axum::http::{Request, StatusCode};
use common::*;
use jiff::SignedDuration;
use tiyn_auth::totp;
use tiyn_identity::Clock;

/// Signs in through the cabinet's forms: password, then the code from the SMS.
async fn sign_in(test: &TestApp, level: &str) -> Browser {
    let (login, password, mobile) = test.login(level, true);
    let (browser, home) = sign_in_through_pages(test, &login, &password, &mobile).await;
    assert_eq!(home, "/accounts", "code step of {login}");
    browser
}

/// Enrols a marker through the page; answers its serial and its secret as the page shows it.
async fn enrol(test: &TestApp, browser: &Browser) -> (String, String) {
    let page = browser.post(&test.app, "/profile/markers", &[]).await;
    assert_eq!(page.status(), StatusCode::OK);
    assert_eq!(header(&page, "cache-control"), Some("no-store"), "the secret is never cached");
    let html = body_text(page).await;
    let serial = text_of(&html, "marker-serial");
    let secret = text_of(&html, "marker-secret");
    (serial, secret)
}

/// What an authenticator app computes from the secret typed from the page (spaces ignored).
fn code_of(test: &TestApp, secret: &str) -> String {
    let secret = totp::secret_from_base32(&secret.replace(' ', "")).expect("a base32 secret");
    totp::code_at(&secret, test.clock.now()).expect("a code")
}

/// enrolment shows the QR code (inline SVG, drawn on the server) and the secret
/// once, with a warning; the list never shows the secret; a wrong first code is refused next to
/// the marker; the right one activates it; a marker is revoked at once.
#[tokio::test]
async fn r_2_1_21_marker_enrolment_shows_the_qr_code_and_the_secret_once() {
    let test = test_app().await;
    let browser = sign_in(&test, "confirm").await;
    let profile = body_text(browser.get(&test.app, "/profile").await).await;
    assert!(profile.contains("href=\"/profile/markers\"") && profile.contains("href=\"/profile/devices\""));
    let empty = body_text(browser.get(&test.app, "/profile/markers").await).await;
    assert!(empty.contains("Маркеров пока нет.") && empty.contains("action=\"/profile/markers\""), "{empty}");

    let page = browser.post(&test.app, "/profile/markers", &[]).await;
    assert_eq!(page.status(), StatusCode::OK);
    assert_eq!(header(&page, "cache-control"), Some("no-store"));
    let html = body_text(page).await;
    assert!(html.contains("<svg class=\"qr__code\" role=\"img\" aria-label=\"QR-код маркера TYN-"), "{html}");
    assert!(html.contains("<path fill=\"#000\" d=\"M"), "the QR code's modules");
    assert!(html.contains("показывается только сейчас, один раз"), "the warning");
    assert!(!html.contains("<?xml"), "an SVG inside HTML has no XML prologue");
    assert_no_inline_code(&html);
    let serial = text_of(&html, "marker-serial");
    let secret = text_of(&html, "marker-secret");
    assert!(serial.starts_with("TYN-"), "{serial}");
    assert_eq!(secret.replace(' ', "").len(), 32, "160 bits in base32: {secret}");
    assert!(html.contains(&format!("action=\"/profile/markers/{serial}/activate\"")));

    // The list shows the marker pending, never the secret.
    let list = body_text(browser.get(&test.app, "/profile/markers").await).await;
    assert!(list.contains(&format!("data-serial=\"{serial}\"")) && list.contains("Ждёт первого кода"), "{list}");
    assert!(!list.contains(&secret) && !list.contains(&secret.replace(' ', "")), "the secret is shown once only");

    let wrong = browser.post(&test.app, &format!("/profile/markers/{serial}/activate"), &[("code", "000000")]).await;
    assert_eq!(wrong.status(), StatusCode::UNAUTHORIZED);
    let html = body_text(wrong).await;
    assert!(html.contains(&format!("id=\"code-{serial}-error\">Неверный код маркера")), "{html}");

    let code = code_of(&test, &secret);
    let activated = browser.post(&test.app, &format!("/profile/markers/{serial}/activate"), &[("code", &code)]).await;
    assert_eq!(location(&activated).as_deref(), Some("/profile/markers?done=activated"));
    let list = body_text(browser.get(&test.app, "/profile/markers?done=activated").await).await;
    assert!(list.contains("Маркер активирован") && list.contains("status--active"), "{list}");

    // Another user's serial does not exist for this user.
    let other = sign_in(&test, "full").await;
    let foreign = other.post(&test.app, &format!("/profile/markers/{serial}/revoke"), &[]).await;
    assert_eq!(foreign.status(), StatusCode::NOT_FOUND);

    let revoked = browser.post(&test.app, &format!("/profile/markers/{serial}/revoke"), &[]).await;
    assert_eq!(location(&revoked).as_deref(), Some("/profile/markers?done=revoked"));
    let list = body_text(browser.get(&test.app, "/profile/markers?lang=en&done=revoked").await).await;
    assert!(list.contains("Marker revoked") && list.contains("status--revoked"), "{list}");
    let kk = body_text(browser.get(&test.app, "/profile/markers?lang=kk").await).await;
    assert!(kk.contains("<h1>Маркерлер</h1>"), "{kk}");
}

/// with "my marker instead of SMS" ticked, the code step names the marker and no
/// SMS is sent; a wrong marker code keeps the step; the right one signs in. Unticked, the SMS.
#[tokio::test]
async fn r_4_17_sign_in_with_the_marker_through_the_pages() {
    let test = test_app().await;
    let browser = sign_in(&test, "confirm").await;
    let (serial, secret) = enrol(&test, &browser).await;
    let code = code_of(&test, &secret);
    let activated = browser.post(&test.app, &format!("/profile/markers/{serial}/activate"), &[("code", &code)]).await;
    assert_eq!(activated.status(), StatusCode::SEE_OTHER);
    // The activation's code is spent: the next one comes with a later step.
    test.clock.advance(SignedDuration::from_secs(60));

    let (login, password, _) = test.login("confirm", true);
    let anonymous = Browser::default();
    let form = body_text(anonymous.get(&test.app, "/login").await).await;
    assert!(form.contains("name=\"channel\" type=\"checkbox\" value=\"marker\"") && form.contains("Войти по маркеру"));
    let sms_before = test.sms.messages().len();
    let step = anonymous
        .post_plain(&test.app, "/login", &[("login", &login), ("password", &password), ("channel", "marker")])
        .await;
    assert_eq!(step.status(), StatusCode::OK);
    let html = body_text(step).await;
    assert_eq!(test.sms.messages().len(), sms_before, "no SMS for a marker sign-in");
    assert!(html.contains("<h2>Код маркера</h2>") && html.contains(&format!("Введите код маркера {serial}")), "{html}");
    assert_eq!(input_value(&html, "channel"), "marker");
    let challenge = input_value(&html, "challenge_id");
    let step_fields = |code: &str| -> Vec<(String, String)> {
        ["challenge_id", "sent_to", "expires_at", "channel"]
            .iter()
            .map(|name| ((*name).to_owned(), input_value(&html, name)))
            .chain([("code".to_owned(), code.to_owned())])
            .collect()
    };
    let post = |fields: Vec<(String, String)>| {
        let app = test.app.clone();
        async move {
            let fields: Vec<(&str, &str)> =
                fields.iter().map(|(name, value)| (name.as_str(), value.as_str())).collect();
            Browser::default().post_plain(&app, "/login/confirm", &fields).await
        }
    };
    let wrong = post(step_fields("000000")).await;
    assert_eq!(wrong.status(), StatusCode::UNAUTHORIZED);
    let again = body_text(wrong).await;
    assert!(again.contains("id=\"code-error\">Неверный код маркера"), "{again}");
    assert!(again.contains("<h2>Код маркера</h2>") && again.contains(&serial), "the step stays the marker's");
    assert_eq!(input_value(&again, "challenge_id"), challenge);

    let signed_in = post(step_fields(&code_of(&test, &secret))).await;
    assert_eq!(location(&signed_in).as_deref(), Some("/accounts"));
    let marker_session = Browser { token: session_from(&signed_in) };
    assert_eq!(marker_session.get(&test.app, "/accounts").await.status(), StatusCode::OK);

    // Without the box ticked, the SMS as usual.
    let sms = anonymous.post_plain(&test.app, "/login", &[("login", &login), ("password", &password)]).await;
    let html = body_text(sms).await;
    assert!(html.contains("<h2>Код из SMS</h2>") && html.contains("Код отправлен на"), "{html}");
    assert_eq!(test.sms.messages().len(), sms_before + 1);
}

/// an OS below the bank's minimum is refused next to the field with the minimum
/// named and the values kept; a supported one is registered, listed and revoked.
#[tokio::test]
async fn r_2_1_17_r_4_10_devices_are_refused_below_the_minimum_and_registered() {
    let test = test_app().await;
    let browser = sign_in(&test, "create").await;
    let page = body_text(browser.get(&test.app, "/profile/devices").await).await;
    assert!(
        page.contains("Устройств пока нет.")
            && page.contains("Минимальные версии: Android 10 и новее, iOS 15 и новее.")
    );
    assert_no_inline_code(&page);

    let old = browser
        .post(
            &test.app,
            "/profile/devices",
            &[("platform", "android"), ("os_version", "9"), ("name", "Старый телефон")],
        )
        .await;
    assert_eq!(old.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = body_text(old).await;
    assert!(
        html.contains(
            "id=\"os_version-error\">Android 9 больше не поддерживается: обновите устройство до версии 10 или новее."
        ),
        "{html}"
    );
    assert_eq!(input_value(&html, "name"), "Старый телефон", "the values stay");
    let en = browser
        .post(&test.app, "/profile/devices?lang=en", &[("platform", "ios"), ("os_version", "14.8"), ("name", "iPad")])
        .await;
    assert!(body_text(en).await.contains("iOS 14.8 is no longer supported: update the device to 15 or later."));
    let unknown = browser
        .post(&test.app, "/profile/devices", &[("platform", "ios"), ("os_version", "x"), ("name", "iPad")])
        .await;
    assert!(body_text(unknown).await.contains("id=\"os_version-error\">Неверная версия ОС"));

    let phone = browser
        .post(
            &test.app,
            "/profile/devices",
            &[("platform", "ios"), ("os_version", "17.4.1"), ("name", "Рабочий iPhone")],
        )
        .await;
    assert_eq!(location(&phone).as_deref(), Some("/profile/devices?done=registered"));
    let list = body_text(browser.get(&test.app, "/profile/devices?done=registered").await).await;
    assert!(list.contains("Устройство зарегистрировано.") && list.contains("Рабочий iPhone") && list.contains("iOS"));
    let id = list.split("data-device-id=\"").nth(1).and_then(|rest| rest.split('"').next()).expect("a row").to_owned();

    let other = sign_in(&test, "confirm").await;
    let foreign = other.post(&test.app, &format!("/profile/devices/{id}/revoke"), &[]).await;
    assert_eq!(foreign.status(), StatusCode::NOT_FOUND, "another user's device does not exist for them");
    let revoked = browser.post(&test.app, &format!("/profile/devices/{id}/revoke"), &[]).await;
    assert_eq!(location(&revoked).as_deref(), Some("/profile/devices?done=revoked"));
    let list = body_text(browser.get(&test.app, "/profile/devices").await).await;
    assert!(!list.contains("Рабочий iPhone"), "{list}");
}

/// the full-access user issues a key limited to one account; its secret is shown
/// once; the key works as `Authorization: Bearer` on `/api/v1/accounts` and sees only that account;
/// refusals are shown next to the fields; revoked, it stops at once. Other levels get the refusal
/// page.
#[tokio::test]
async fn api_keys_are_issued_shown_once_used_and_revoked() {
    let test = test_app().await;
    let clerk = sign_in(&test, "create").await;
    let refused = clerk.get(&test.app, "/api-keys").await;
    assert_eq!(refused.status(), StatusCode::FORBIDDEN);
    assert!(body_text(refused).await.contains("Недостаточно прав доступа"));
    let accounts_page = body_text(clerk.get(&test.app, "/accounts").await).await;
    assert!(!accounts_page.contains("href=\"/api-keys\""), "no API keys link below full access");

    let admin = sign_in(&test, "full").await;
    let page = admin.get(&test.app, "/api-keys").await;
    assert_eq!(page.status(), StatusCode::OK);
    let html = body_text(page).await;
    assert!(html.contains("Ключей пока нет.") && html.contains("href=\"/api-keys\""), "{html}");
    assert_no_inline_code(&html);
    let account = test.store.partner_accounts(test.demo.partner).await.expect("accounts")[1].id.get().to_string();
    assert!(html.contains(&format!("name=\"accounts\" type=\"checkbox\" value=\"{account}\"")));

    // Refusals next to their fields, the values kept.
    let past =
        admin.post(&test.app, "/api-keys", &[("name", "1С"), ("level", "create"), ("expires", "2025-12-31")]).await;
    assert_eq!(past.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = body_text(past).await;
    assert!(html.contains("id=\"expires-error\">Срок действия уже прошёл"), "{html}");
    assert_eq!(input_value(&html, "name"), "1С");
    let full = admin.post(&test.app, "/api-keys", &[("name", "1С"), ("level", "full")]).await;
    assert!(body_text(full).await.contains("id=\"level-error\">Ключ — только «создание» или «подтверждение»"));
    let nameless = admin.post(&test.app, "/api-keys", &[("name", " "), ("level", "create")]).await;
    assert!(body_text(nameless).await.contains("id=\"name-error\">Неверное название"));

    let issued = admin
        .post(
            &test.app,
            "/api-keys",
            &[("name", "1С: Бухгалтерия"), ("level", "create"), ("accounts", &account), ("expires", "2026-12-31")],
        )
        .await;
    assert_eq!(issued.status(), StatusCode::OK);
    assert_eq!(header(&issued, "cache-control"), Some("no-store"));
    let html = body_text(issued).await;
    let secret = text_of(&html, "api-key-secret");
    assert!(secret.starts_with("tiyn_key_"), "{secret}");
    assert!(html.contains("показывается один раз"), "the warning");
    let list = body_text(admin.get(&test.app, "/api-keys").await).await;
    assert!(!list.contains(&secret), "the secret is shown once only");
    assert!(list.contains("1С: Бухгалтерия") && list.contains(&format!("{}…", &secret[..13])), "{list}");
    assert!(list.contains("не использовался") && list.contains("01.01.2027 00:00"), "valid through 31.12.2026: {list}");

    // The key works as a bearer, limited to its account.
    let bearer = |secret: String| {
        let app = test.app.clone();
        async move {
            let request = Request::get("/api/v1/accounts")
                .header("authorization", format!("Bearer {secret}"))
                .body(Body::empty())
                .expect("request");
            send(&app, request).await
        }
    };
    let response = bearer(secret.clone()).await;
    assert_eq!(response.status(), StatusCode::OK);
    let body = body_json(response).await;
    let items = body["items"].as_array().expect("items");
    assert_eq!(items.len(), 1, "{body}");
    assert_eq!(items[0]["id"], account.as_str());
    let list = body_text(admin.get(&test.app, "/api-keys").await).await;
    assert!(!list.contains("не использовался"), "the last use is shown");

    let id = list.split("data-key-id=\"").nth(1).and_then(|rest| rest.split('"').next()).expect("a row").to_owned();
    let other_partner = {
        let (login, password, mobile) = test.login("full", false);
        let anonymous = Browser::default();
        let step = anonymous.post_plain(&test.app, "/login", &[("login", &login), ("password", &password)]).await;
        let challenge = input_value(&body_text(step).await, "challenge_id");
        let code = last_code(&test.sms, &mobile);
        let confirmed =
            anonymous.post_plain(&test.app, "/login/confirm", &[("challenge_id", &challenge), ("code", &code)]).await;
        Browser { token: session_from(&confirmed) }
    };
    let foreign = other_partner.post(&test.app, &format!("/api-keys/{id}/revoke"), &[]).await;
    assert_eq!(foreign.status(), StatusCode::NOT_FOUND, "another partner's key does not exist for them");
    assert_eq!(bearer(secret.clone()).await.status(), StatusCode::OK);

    let revoked = admin.post(&test.app, &format!("/api-keys/{id}/revoke"), &[]).await;
    assert_eq!(location(&revoked).as_deref(), Some("/api-keys?done=revoked"));
    let list = body_text(admin.get(&test.app, "/api-keys?done=revoked").await).await;
    assert!(list.contains("Ключ отозван") && list.contains("status--revoked"), "{list}");
    assert!(!list.contains(&format!("action=\"/api-keys/{id}/revoke\"")), "a revoked key has no revoke button");
    assert_eq!(bearer(secret).await.status(), StatusCode::UNAUTHORIZED, "a revoked key stops at once");
}
