//! sessions through the HTTP stack: timeouts, background polling, logout, `GET /me`,
//! cookies with CSRF, and no session fixation.

use crate::common;

use axum::body::Body;
use axum::http::{Request, StatusCode};
use common::{Session, body_json, get_as, header, post_json, send, test_app};
use jiff::SignedDuration;
use serde_json::json;

fn poll(session: &Session) -> Request<Body> {
    Request::get("/api/v1/accounts")
        .header("authorization", format!("Bearer {}", session.token))
        .header("x-tiyn-background", "1")
        .body(Body::empty())
        .expect("request")
}

/// 5 minutes without activity end the session; background polling keeps nothing alive.
#[tokio::test]
async fn r_2_1_15_idle_sessions_end_and_polling_does_not_keep_them() {
    let test = test_app().await;
    let session = test.sign_in("confirm", true).await;
    test.clock.advance(SignedDuration::from_secs(4 * 60));
    assert_eq!(send(&test.app, poll(&session)).await.status(), StatusCode::OK, "polling is answered");
    test.clock.advance(SignedDuration::from_secs(61));
    let expired = get_as(&test.app, &session, "/api/v1/me").await;
    assert_eq!(expired.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(body_json(expired).await["code"], "session_expired");
    // Activity does keep it: a fresh session used every 4 minutes for 20 minutes.
    let active = test.sign_in("confirm", true).await;
    for _ in 0..5 {
        test.clock.advance(SignedDuration::from_secs(4 * 60));
        assert_eq!(get_as(&test.app, &active, "/api/v1/me").await.status(), StatusCode::OK);
    }
}

/// `GET /me` shows the user, partner, level, permissions and open sessions; logout ends
/// the session at once.
#[tokio::test]
async fn r_2_1_15_me_lists_sessions_and_logout_ends_one() {
    let test = test_app().await;
    let first = test.sign_in("create", true).await;
    let second = test.sign_in("create", true).await;
    let me = body_json(get_as(&test.app, &second, "/api/v1/me").await).await;
    assert_eq!(me["level"], "create");
    assert_eq!(me["partner"]["name"], "ТОО «Демо Трейд»");
    let permissions: Vec<&str> =
        me["permissions"].as_array().expect("list").iter().filter_map(|value| value.as_str()).collect();
    assert!(permissions.contains(&"create_payments") && !permissions.contains(&"confirm_payments"), "{permissions:?}");
    assert_eq!(me["sessions"].as_array().map(Vec::len), Some(2));
    assert_eq!(me["sessions"][0]["current"], true, "newest first, and it is this one");
    assert!(me["session_expires_at"].as_str().is_some());
    assert!(!me.to_string().contains("password"), "no password hash in /me");

    let logout = post_json(&test.app, "/api/v1/auth/logout", Some(&first), json!({})).await;
    assert_eq!(logout.status(), StatusCode::NO_CONTENT);
    assert!(header(&logout, "set-cookie").is_some_and(|cookie| cookie.contains("Max-Age=0")));
    assert_eq!(get_as(&test.app, &first, "/api/v1/me").await.status(), StatusCode::UNAUTHORIZED);
    let me = body_json(get_as(&test.app, &second, "/api/v1/me").await).await;
    assert_eq!(me["sessions"].as_array().map(Vec::len), Some(1));
}

/// the login answer sets an HttpOnly, SameSite=Strict cookie with a fresh token; a token
/// planted in the browser beforehand is not adopted (no session fixation); a cookie request that
/// changes state needs the CSRF token, and a foreign Origin is refused.
#[tokio::test]
async fn r_2_1_15_cookies_are_strict_fresh_and_csrf_protected() {
    let test = test_app().await;
    let (login, password, mobile) = test.login("full", true);
    let planted = "A".repeat(43);
    let request = Request::post("/api/v1/auth/login")
        .header("content-type", "application/json")
        .header("cookie", format!("tiyn_session={planted}"))
        .body(Body::from(json!({"login": login, "password": password}).to_string()))
        .expect("request");
    let challenge = body_json(send(&test.app, request).await).await;
    let code = common::last_code(&test.sms, &mobile);
    let request = Request::post("/api/v1/auth/login/confirm")
        .header("content-type", "application/json")
        .header("cookie", format!("tiyn_session={planted}"))
        .body(Body::from(json!({"challenge_id": challenge["challenge_id"], "code": code}).to_string()))
        .expect("request");
    let confirmed = send(&test.app, request).await;
    let cookie = header(&confirmed, "set-cookie").expect("a cookie").to_owned();
    assert!(cookie.contains("HttpOnly") && cookie.contains("SameSite=Strict") && cookie.contains("Path=/"), "{cookie}");
    assert!(!cookie.contains("Secure"), "no Secure flag over plain HTTP (the TLS test checks it)");
    let body = body_json(confirmed).await;
    let token = body["token"].as_str().expect("token");
    assert_ne!(token, planted);
    assert!(cookie.starts_with(&format!("tiyn_session={token};")));
    let csrf = body["csrf_token"].as_str().expect("csrf");

    let with_cookie = |csrf: Option<&str>, origin: Option<&str>| {
        let mut request = Request::post("/api/v1/me/devices")
            .header("content-type", "application/json")
            .header("host", "bank.example")
            .header("cookie", format!("tiyn_session={token}"));
        if let Some(csrf) = csrf {
            request = request.header("x-csrf-token", csrf);
        }
        if let Some(origin) = origin {
            request = request.header("origin", origin);
        }
        request
            .body(Body::from(json!({"platform": "ios", "os_version": "17", "name": "phone"}).to_string()))
            .expect("request")
    };
    let missing = send(&test.app, with_cookie(None, None)).await;
    assert_eq!(missing.status(), StatusCode::FORBIDDEN);
    assert_eq!(body_json(missing).await["code"], "csrf_failed");
    assert_eq!(send(&test.app, with_cookie(Some("wrong"), None)).await.status(), StatusCode::FORBIDDEN);
    let foreign = send(&test.app, with_cookie(Some(csrf), Some("https://evil.example"))).await;
    assert_eq!(foreign.status(), StatusCode::FORBIDDEN);
    let good = send(&test.app, with_cookie(Some(csrf), Some("https://bank.example"))).await;
    assert_eq!(good.status(), StatusCode::CREATED);
    // The planted token never became a session.
    let planted_session = Session { token: planted, csrf: String::new() };
    assert_eq!(get_as(&test.app, &planted_session, "/api/v1/me").await.status(), StatusCode::UNAUTHORIZED);
}
