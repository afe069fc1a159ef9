//! Markers, devices and API keys through the API.

use crate::common;

use axum::http::StatusCode;
use common::{Session, body_json, get_as, post_json, request_json, test_app};
use jiff::SignedDuration;
use serde_json::{Value, json};
use tiyn_auth::totp;
use tiyn_identity::Clock;

/// The secret inside an `otpauth://` URI, as an authenticator app reads it.
fn secret_of(uri: &str) -> totp::TotpSecret {
    let secret = uri.split("secret=").nth(1).and_then(|rest| rest.split('&').next()).expect("a secret in the URI");
    totp::secret_from_base32(secret).expect("base32 secret")
}

async fn enrol(test: &common::TestApp, session: &Session) -> (String, totp::TotpSecret) {
    let response = post_json(&test.app, "/api/v1/me/markers", Some(session), json!({})).await;
    assert_eq!(response.status(), StatusCode::CREATED);
    let body = body_json(response).await;
    let uri = body["otpauth_uri"].as_str().expect("uri").to_owned();
    assert!(uri.starts_with("otpauth://totp/Tiyn:") && uri.contains("digits=6") && uri.contains("period=30"), "{uri}");
    (body["serial"].as_str().expect("serial").to_owned(), secret_of(&uri))
}

/// a marker is enrolled with a unique serial, shown once, activated by a first code, a
/// code is never accepted twice, and it can be revoked; another user's serial does not exist.
#[tokio::test]
async fn r_2_1_21_markers_are_enrolled_activated_and_revoked() {
    let test = test_app().await;
    let session = test.sign_in("confirm", true).await;
    let (serial, secret) = enrol(&test, &session).await;
    assert!(serial.starts_with("TYN-"), "{serial}");
    let listed = body_json(get_as(&test.app, &session, "/api/v1/me/markers").await).await;
    assert_eq!(listed["items"][0]["status"], "pending");
    assert!(!listed.to_string().contains("secret"), "the secret is shown once only");

    let activate = |code: String| {
        let app = test.app.clone();
        let session = session.clone();
        let serial = serial.clone();
        async move {
            request_json(
                &app,
                "POST",
                &format!("/api/v1/me/markers/{serial}/activate"),
                Some(&session),
                json!({"code": code}),
            )
            .await
        }
    };
    let wrong = activate("000000".to_owned()).await;
    assert_eq!(wrong.status(), StatusCode::UNAUTHORIZED);
    let code = totp::code_at(&secret, test.clock.now()).expect("code");
    assert_eq!(activate(code.clone()).await.status(), StatusCode::NO_CONTENT);
    let listed = body_json(get_as(&test.app, &session, "/api/v1/me/markers").await).await;
    assert_eq!(listed["items"][0]["status"], "active");

    // Another user cannot touch it.
    let other = test.sign_in("full", true).await;
    let foreign =
        request_json(&test.app, "DELETE", &format!("/api/v1/me/markers/{serial}"), Some(&other), json!({})).await;
    assert_eq!(foreign.status(), StatusCode::NOT_FOUND);

    let revoked =
        request_json(&test.app, "DELETE", &format!("/api/v1/me/markers/{serial}"), Some(&session), json!({})).await;
    assert_eq!(revoked.status(), StatusCode::NO_CONTENT);
    let listed = body_json(get_as(&test.app, &session, "/api/v1/me/markers").await).await;
    assert_eq!(listed["items"][0]["status"], "revoked");
}

/// devices are registered with platform and OS version, an OS below the minimum
/// is refused with a clear message, and devices are listed and revoked by their owner only.
#[tokio::test]
async fn r_2_1_17_devices_are_registered_with_a_minimum_os() {
    let test = test_app().await;
    let session = test.sign_in("create", true).await;
    let old = post_json(
        &test.app,
        "/api/v1/me/devices",
        Some(&session),
        json!({"platform": "android", "os_version": "9", "name": "Old phone"}),
    )
    .await;
    assert_eq!(old.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let body = body_json(old).await;
    assert_eq!(body["code"], "os_version_unsupported");
    assert!(body["detail"].as_str().is_some_and(|detail| detail.contains("10")), "names the minimum: {body}");
    let unknown = post_json(
        &test.app,
        "/api/v1/me/devices",
        Some(&session),
        json!({"platform": "symbian", "os_version": "9", "name": "x"}),
    )
    .await;
    assert_eq!(body_json(unknown).await["code"], "platform_unsupported");

    let phone = post_json(
        &test.app,
        "/api/v1/me/devices",
        Some(&session),
        json!({"platform": "iOS", "os_version": "17.4.1", "name": "Рабочий iPhone"}),
    )
    .await;
    assert_eq!(phone.status(), StatusCode::CREATED);
    let id = body_json(phone).await["id"].as_str().expect("id").to_owned();
    let listed = body_json(get_as(&test.app, &session, "/api/v1/me/devices").await).await;
    assert_eq!(listed["items"][0]["platform"], "ios");
    let other = test.sign_in("confirm", true).await;
    let foreign = request_json(&test.app, "DELETE", &format!("/api/v1/me/devices/{id}"), Some(&other), json!({})).await;
    assert_eq!(foreign.status(), StatusCode::NOT_FOUND);
    let revoked =
        request_json(&test.app, "DELETE", &format!("/api/v1/me/devices/{id}"), Some(&session), json!({})).await;
    assert_eq!(revoked.status(), StatusCode::NO_CONTENT);
    let listed = body_json(get_as(&test.app, &session, "/api/v1/me/devices").await).await;
    assert_eq!(listed["items"], json!([]));
}

fn key_session(secret: &str) -> Session {
    Session { token: secret.to_owned(), csrf: String::new() }
}

/// API keys: issued by a full-access user, shown once, limited to a level (never full) and to
/// chosen accounts, listed with last use, revocable at once; a blocked issuer's keys stop.
#[tokio::test]
async fn api_keys_are_limited_listed_and_revoked() {
    let test = test_app().await;
    let admin = test.sign_in("full", true).await;
    let accounts = body_json(get_as(&test.app, &admin, "/api/v1/accounts").await).await;
    let first = accounts["items"][0]["id"].as_str().expect("id").to_owned();

    let full = post_json(&test.app, "/api/v1/api-keys", Some(&admin), json!({"name": "1C", "level": "full"})).await;
    assert_eq!(body_json(full).await["code"], "api_key_level");
    let issued = post_json(
        &test.app,
        "/api/v1/api-keys",
        Some(&admin),
        json!({"name": "1C:Бухгалтерия", "level": "create", "accounts": [first]}),
    )
    .await;
    assert_eq!(issued.status(), StatusCode::CREATED);
    let issued: Value = body_json(issued).await;
    let secret = issued["secret"].as_str().expect("secret").to_owned();
    assert!(secret.starts_with("tiyn_key_"));
    let key = key_session(&secret);

    // The key sees only its account, and only what its level allows.
    let seen = body_json(get_as(&test.app, &key, "/api/v1/accounts").await).await;
    assert_eq!(seen["items"].as_array().map(Vec::len), Some(1));
    assert_eq!(seen["items"][0]["id"], first.as_str());
    let second = accounts["items"][1]["id"].as_str().expect("id");
    assert_eq!(get_as(&test.app, &key, &format!("/api/v1/accounts/{second}")).await.status(), StatusCode::NOT_FOUND);
    assert_eq!(get_as(&test.app, &key, "/api/v1/users").await.status(), StatusCode::FORBIDDEN);

    test.clock.advance(SignedDuration::from_secs(60));
    get_as(&test.app, &key, "/api/v1/accounts").await;
    let listed = body_json(get_as(&test.app, &admin, "/api/v1/api-keys").await).await;
    let item = &listed["items"][0];
    assert_eq!(item["level"], "create");
    assert!(item["last_used_at"].as_str().is_some(), "{item}");
    assert!(!listed.to_string().contains(&secret), "the secret is never listed");

    let id = item["id"].as_str().expect("id");
    let revoked = request_json(&test.app, "DELETE", &format!("/api/v1/api-keys/{id}"), Some(&admin), json!({})).await;
    assert_eq!(revoked.status(), StatusCode::NO_CONTENT);
    assert_eq!(get_as(&test.app, &key, "/api/v1/accounts").await.status(), StatusCode::UNAUTHORIZED);

    // A key of a user who is then blocked stops at once.
    let second_key =
        post_json(&test.app, "/api/v1/api-keys", Some(&admin), json!({"name": "ERP", "level": "confirm"})).await;
    let second_secret = body_json(second_key).await["secret"].as_str().expect("secret").to_owned();
    assert_eq!(get_as(&test.app, &key_session(&second_secret), "/api/v1/accounts").await.status(), StatusCode::OK);
    let lost = post_json(&test.app, "/api/v1/me/lost-access", Some(&admin), json!({})).await;
    assert_eq!(lost.status(), StatusCode::NO_CONTENT);
    assert_eq!(
        get_as(&test.app, &key_session(&second_secret), "/api/v1/accounts").await.status(),
        StatusCode::UNAUTHORIZED
    );
}

/// a user with an active marker signs in with its code instead of an SMS;
/// the same code never works twice, and a code of another user's marker is refused.
#[tokio::test]
async fn r_4_17_login_with_a_marker_code() {
    let test = test_app().await;
    let session = test.sign_in("confirm", true).await;
    let (serial, secret) = enrol(&test, &session).await;
    let code = totp::code_at(&secret, test.clock.now()).expect("code");
    let activated = request_json(
        &test.app,
        "POST",
        &format!("/api/v1/me/markers/{serial}/activate"),
        Some(&session),
        json!({"code": code}),
    )
    .await;
    assert_eq!(activated.status(), StatusCode::NO_CONTENT);
    // The full-access user has a marker too.
    let admin = test.sign_in("full", true).await;
    let (admin_serial, admin_secret) = enrol(&test, &admin).await;
    let admin_code = totp::code_at(&admin_secret, test.clock.now()).expect("code");
    let path = format!("/api/v1/me/markers/{admin_serial}/activate");
    assert_eq!(request_json(&test.app, "POST", &path, Some(&admin), json!({"code": admin_code})).await.status(), 204);

    test.clock.advance(SignedDuration::from_secs(60));
    let (login, password, mobile) = test.login("confirm", true);
    let sms_before = test.sms.messages().len();
    let begin = |channel: &'static str| {
        let app = test.app.clone();
        let (login, password) = (login.clone(), password.clone());
        async move {
            body_json(
                post_json(
                    &app,
                    "/api/v1/auth/login",
                    None,
                    json!({"login": login, "password": password, "channel": channel}),
                )
                .await,
            )
            .await
        }
    };
    let challenge = begin("marker").await;
    assert_eq!(challenge["channel"], "marker");
    assert_eq!(challenge["sent_to"], serial.as_str());
    assert_eq!(test.sms.messages().len(), sms_before, "no SMS for a marker login");
    let confirm = |challenge: Value, code: String| {
        let app = test.app.clone();
        async move {
            post_json(
                &app,
                "/api/v1/auth/login/confirm",
                None,
                json!({"challenge_id": challenge["challenge_id"], "code": code}),
            )
            .await
        }
    };
    // Another user's marker code does not open this user's login.
    let foreign = totp::code_at(&admin_secret, test.clock.now()).expect("code");
    let refused = confirm(challenge.clone(), foreign).await;
    assert_eq!(refused.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(body_json(refused).await["code"], "totp_mismatch");
    let code = totp::code_at(&secret, test.clock.now()).expect("code");
    let signed_in = confirm(challenge.clone(), code.clone()).await;
    assert_eq!(signed_in.status(), StatusCode::OK);
    let token = body_json(signed_in).await["token"].as_str().expect("token").to_owned();
    let me = body_json(get_as(&test.app, &key_session(&token), "/api/v1/me").await).await;
    assert_eq!(me["user"]["mobile"], mobile.as_str());

    // The same code in a new login is refused: a marker code is accepted once.
    let again = begin("marker").await;
    let replayed = confirm(again, code).await;
    assert_eq!(replayed.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(body_json(replayed).await["code"], "totp_replayed");
    // Without a marker preference, the SMS is the default.
    let sms = begin("sms").await;
    assert_eq!(sms["channel"], "sms");
}
