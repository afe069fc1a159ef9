//! The JSON API through the whole HTTP stack: problem documents, tenant isolation, the accounts
//! contract, OpenAPI coverage.

use crate::common;

use axum::body::Body;
use axum::http::{Request, StatusCode};
use common::{body_json, get, get_as, header, send, test_app};
use serde_json::{Value, json};
use tiyn_store::Account;

fn money(value: tiyn_core::Money) -> Value {
    json!({"amount": value.amount_string(), "currency": value.currency().code()})
}

fn expected_json(account: &Account) -> Value {
    json!({
        "id": account.id.get().to_string(),
        "iban": account.iban.as_ref().map(|iban| iban.as_str().to_owned()),
        "currency": account.currency.code(),
        "name": account.name,
        "status": "open",
        "balance": money(account.balance),
        "available": money(account.available()),
        "held": money(account.held),
    })
}

/// R-3.1.2.1, R-4.2: the API lists exactly the store's accounts of the current partner, with
/// balance, available and held as decimal-string Money.
#[tokio::test]
async fn accounts_json_matches_the_store() {
    let test = test_app().await;
    let session = test.sign_in("full", true).await;
    let accounts = test.store.partner_accounts(test.demo.partner).await.expect("accounts");
    assert_eq!(accounts.len(), 4);

    let response = get_as(&test.app, &session, "/api/v1/accounts").await;
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(header(&response, "content-type"), Some("application/json"));
    let body = body_json(response).await;
    let expected: Vec<Value> = accounts.iter().map(expected_json).collect();
    assert_eq!(body, json!({"items": expected, "next_cursor": null}));
    assert_eq!(body["items"][0]["balance"], json!({"amount": "15000000.00", "currency": "KZT"}));

    let one = body_json(get_as(&test.app, &session, &format!("/api/v1/accounts/{}", accounts[2].id)).await).await;
    assert_eq!(one, expected_json(&accounts[2]));
}

#[tokio::test]
async fn accounts_are_paged_by_cursor() {
    let test = test_app().await;
    let session = test.sign_in("full", true).await;
    let first = body_json(get_as(&test.app, &session, "/api/v1/accounts?limit=3").await).await;
    assert_eq!(first["items"].as_array().map(Vec::len), Some(3));
    let cursor = first["next_cursor"].as_str().expect("a next page").to_owned();
    let second =
        body_json(get_as(&test.app, &session, &format!("/api/v1/accounts?limit=3&cursor={cursor}")).await).await;
    assert_eq!(second["items"].as_array().map(Vec::len), Some(1));
    assert_eq!(second["next_cursor"], Value::Null);

    for (query, code) in
        [("limit=0", "invalid_limit"), ("limit=201", "invalid_limit"), ("cursor=abc", "invalid_cursor")]
    {
        let response = get_as(&test.app, &session, &format!("/api/v1/accounts?{query}")).await;
        assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY, "{query}");
        assert_eq!(body_json(response).await["code"], code, "{query}");
    }
}

/// another partner's account id answers exactly like an id that does not exist, and
/// the bank's own accounts are not reachable either.
#[tokio::test]
async fn another_partners_account_is_indistinguishable_from_an_unknown_one() {
    let test = test_app().await;
    let session = test.sign_in("full", true).await;
    let theirs = test.store.partner_accounts(test.demo.other_partner).await.expect("accounts");
    let bank =
        test.store.bank_account(tiyn_store::AccountKind::BankEquity, tiyn_core::Currency::Kzt).await.expect("bank");
    let unknown = get_as(&test.app, &session, "/api/v1/accounts/987654321").await;
    let unknown_status = unknown.status();
    let unknown_body = body_json(unknown).await;
    assert_eq!(unknown_status, StatusCode::NOT_FOUND);
    for id in [theirs[0].id, bank] {
        let response = get_as(&test.app, &session, &format!("/api/v1/accounts/{id}")).await;
        assert_eq!(response.status(), unknown_status, "account {id}");
        assert_eq!(body_json(response).await, unknown_body, "account {id}");
    }
    let listed = body_json(get_as(&test.app, &session, "/api/v1/accounts").await).await;
    let their_iban = theirs[0].iban.as_ref().map(|iban| iban.as_str().to_owned()).unwrap_or_default();
    assert!(!listed.to_string().contains(&their_iban));
    assert_eq!(get_as(&test.app, &session, "/api/v1/accounts/not-a-number").await.status(), StatusCode::NOT_FOUND);
}

/// Without a session partner routes answer 401 `unauthenticated`.
#[tokio::test]
async fn partner_routes_need_a_session() {
    let test = test_app().await;
    for uri in ["/api/v1/accounts", "/api/v1/accounts/1", "/api/v1/me", "/api/v1/users"] {
        let response = get(&test.app, uri).await;
        assert_eq!(response.status(), StatusCode::UNAUTHORIZED, "{uri}");
        assert_eq!(header(&response, "www-authenticate"), Some("Bearer"));
        assert_eq!(body_json(response).await["code"], "unauthenticated");
    }
}

/// RFC 9457: every error is `application/problem+json` with type, title, status, detail, code
/// and errors; the title follows Accept-Language (ru by default).
#[tokio::test]
async fn errors_are_localised_problem_documents() {
    let test = test_app().await;
    let session = test.sign_in("full", true).await;
    for (accept, title) in [
        (None, "Не найдено"),
        (Some("kk-KZ,kk;q=0.9"), "Табылмады"),
        (Some("en-US,en;q=0.8"), "Not found"),
        (Some("de"), "Не найдено"),
    ] {
        let mut request =
            Request::get("/api/v1/accounts/987654321").header("authorization", format!("Bearer {}", session.token));
        if let Some(accept) = accept {
            request = request.header("accept-language", accept);
        }
        let response = send(&test.app, request.body(Body::empty()).expect("request")).await;
        assert_eq!(response.status(), StatusCode::NOT_FOUND);
        assert_eq!(header(&response, "content-type"), Some("application/problem+json"));
        let body = body_json(response).await;
        assert_eq!(
            body,
            json!({
                "type": "urn:tiyn:problem:not_found",
                "title": title,
                "status": 404,
                "detail": "no such account",
                "code": "not_found",
                "errors": [],
            }),
            "{accept:?}"
        );
    }

    let response = get_as(&test.app, &session, "/api/v1/no-such-thing").await;
    assert_eq!(response.status(), StatusCode::NOT_FOUND);
    assert_eq!(body_json(response).await["code"], "route_not_found");

    let request = Request::post("/api/v1/accounts")
        .header("authorization", format!("Bearer {}", session.token))
        .body(Body::empty());
    let response = send(&test.app, request.expect("request")).await;
    assert_eq!(response.status(), StatusCode::METHOD_NOT_ALLOWED);
    assert_eq!(header(&response, "content-type"), Some("application/problem+json"));
    assert_eq!(body_json(response).await["code"], "method_not_allowed");
}

/// The served OpenAPI document describes every route of the application except the cabinet's
/// HTML pages and static files, and only routes that exist.
#[tokio::test]
async fn openapi_document_covers_every_route() {
    let test = test_app().await;
    let session = test.sign_in("full", true).await;
    let response = get_as(&test.app, &session, "/api/openapi.json").await;
    assert_eq!(response.status(), StatusCode::OK);
    let document = body_json(response).await;
    assert!(document["openapi"].as_str().is_some_and(|version| version.starts_with("3.")));
    let documented: Vec<String> = document["paths"].as_object().expect("paths").keys().cloned().collect();

    let routed = route_paths(&test.app);
    let cabinet: Vec<&str> = tiyn_web::WEB_RULES.iter().map(|rule| rule.path).chain(["/api/openapi.json"]).collect();
    let public: Vec<&String> = routed.iter().filter(|path| !cabinet.contains(&path.as_str())).collect();
    assert!(public.len() >= 5, "{routed:?}");
    for path in &public {
        assert!(documented.contains(path), "{path} is routed but not in the OpenAPI document");
    }
    for path in &documented {
        assert!(routed.contains(path), "{path} is documented but not routed");
        let sample = path.replace("{id}", "1");
        for method in document["paths"][path].as_object().expect("operations").keys() {
            let request = Request::builder()
                .method(method.to_uppercase().as_str())
                .uri(&sample)
                .header("authorization", format!("Bearer {}", session.token))
                .body(Body::empty())
                .expect("request");
            let response = send(&test.app, request).await;
            assert_ne!(response.status(), StatusCode::METHOD_NOT_ALLOWED, "{method} {path}");
            if response.status() == StatusCode::NOT_FOUND {
                assert_ne!(body_json(response).await["code"], "route_not_found", "{method} {path} is not served");
            }
        }
    }
    let account = &document["components"]["schemas"]["AccountDto"]["properties"];
    for field in ["id", "iban", "currency", "name", "status", "balance", "available", "held"] {
        assert!(account.get(field).is_some(), "AccountDto.{field} missing from the schema");
    }
}

/// The path templates the router serves, read from its `Debug` output (axum has no public route
/// listing). The format is axum's, so the count is checked: a format change fails the test
/// instead of letting it pass on an empty list.
fn route_paths(app: &axum::Router) -> Vec<String> {
    let debug = format!("{app:?}");
    let mut paths = Vec::new();
    let mut rest = debug.as_str();
    while let Some(start) = rest.find("Node { paths: {") {
        let after = &rest[start + "Node { paths: {".len()..];
        let end = after.find('}').map_or(after.len(), |end| {
            // Path templates contain braces ("{id}"): the map ends at "} }".
            after.find("} }").unwrap_or(end)
        });
        for piece in after[..end].split(", RouteId(") {
            let path = piece.split(": \"").nth(1).and_then(|quoted| quoted.split('"').next());
            if let Some(path) = path
                && !path.contains("__private__axum")
                && !paths.iter().any(|known| known == path)
            {
                paths.push(path.to_owned());
            }
        }
        rest = &after[end..];
    }
    paths
}
