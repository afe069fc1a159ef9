//! Request bodies through the API's extractors and error mapping: the decimal-string rule for
//! money, malformed and oversized bodies — all as problem documents.

use axum::Router;
use axum::body::Body;
use axum::extract::DefaultBodyLimit;
use axum::http::{Request, StatusCode};
use axum::middleware;
use axum::routing::post;
use http_body_util::BodyExt;
use serde::Deserialize;
use serde_json::{Value, json};
use tiyn_api::extract::ApiJson;
use tiyn_api::money::{MoneyDto, MoneyInput};
use tiyn_api::{ApiError, localize_problems};
use tower::ServiceExt;

/// The shape every money-carrying request will have: a field holding Money.
#[derive(Deserialize)]
struct Quote {
    amount: MoneyInput,
}

async fn quote(ApiJson(quote): ApiJson<Quote>) -> Result<axum::Json<MoneyDto>, ApiError> {
    let money = quote.amount.parse("amount").map_err(|error| ApiError::Invalid(vec![error]))?;
    Ok(axum::Json(MoneyDto::from(money)))
}

const BODY_BYTES_MAX: usize = 256;

fn app() -> Router {
    Router::new()
        .route("/quote", post(quote))
        .layer(middleware::from_fn(localize_problems))
        .layer(DefaultBodyLimit::max(BODY_BYTES_MAX))
}

async fn post_json(body: &str, content_type: &str, lang: &str) -> (StatusCode, Option<String>, Value) {
    let request = Request::post("/quote")
        .header("content-type", content_type)
        .header("accept-language", lang)
        .body(Body::from(body.to_owned()))
        .expect("request");
    let response = app().oneshot(request).await.expect("infallible");
    let status = response.status();
    let content_type = response.headers().get("content-type").and_then(|value| value.to_str().ok()).map(str::to_owned);
    let bytes = response.into_body().collect().await.expect("body").to_bytes();
    (status, content_type, serde_json::from_slice(&bytes).unwrap_or(Value::Null))
}

#[tokio::test]
async fn a_json_number_amount_is_refused_with_422_invalid_amount() {
    let (status, content_type, body) =
        post_json(r#"{"amount": {"amount": 1.5, "currency": "KZT"}}"#, "application/json", "en").await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(content_type.as_deref(), Some("application/problem+json"));
    assert_eq!(body["code"], "invalid_amount");
    assert_eq!(body["status"], 422);
    assert_eq!(
        body["errors"],
        json!([{"field": "amount.amount", "code": "invalid_amount", "message": "Invalid amount"}])
    );

    let (_, _, russian) =
        post_json(r#"{"amount": {"amount": 1500, "currency": "KZT"}}"#, "application/json", "ru").await;
    assert_eq!(russian["errors"][0]["message"], "Неверная сумма");
}

#[tokio::test]
async fn amounts_need_exactly_the_currencys_decimals() {
    let cases = [
        (r#"{"amount": {"amount": "1500.00", "currency": "KZT"}}"#, StatusCode::OK, "1500.00"),
        (r#"{"amount": {"amount": "1.001", "currency": "KZT"}}"#, StatusCode::UNPROCESSABLE_ENTITY, "amount_precision"),
        (r#"{"amount": {"amount": "-0.00", "currency": "KZT"}}"#, StatusCode::UNPROCESSABLE_ENTITY, "invalid_amount"),
        (r#"{"amount": {"amount": "1e3", "currency": "KZT"}}"#, StatusCode::UNPROCESSABLE_ENTITY, "invalid_amount"),
        (
            r#"{"amount": {"amount": "92233720368547758.08", "currency": "KZT"}}"#,
            StatusCode::UNPROCESSABLE_ENTITY,
            "amount_overflow",
        ),
        (
            r#"{"amount": {"amount": "1.00", "currency": "XXX"}}"#,
            StatusCode::UNPROCESSABLE_ENTITY,
            "unsupported_currency",
        ),
    ];
    for (body, status, expected) in cases {
        let (got_status, _, got) = post_json(body, "application/json", "en").await;
        assert_eq!(got_status, status, "{body}");
        let value = if status == StatusCode::OK { &got["amount"] } else { &got["code"] };
        assert_eq!(value, expected, "{body}");
    }
}

#[tokio::test]
async fn malformed_bodies_are_problems_too() {
    let (status, content_type, body) = post_json("{not json", "application/json", "en").await;
    assert_eq!((status, body["code"].as_str()), (StatusCode::BAD_REQUEST, Some("malformed_json")));
    assert_eq!(content_type.as_deref(), Some("application/problem+json"));

    let (status, _, body) = post_json(r#"{"amount": "1500.00"}"#, "application/json", "en").await;
    assert_eq!((status, body["code"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("invalid_body")));

    let (status, _, body) = post_json(r#"{"amount": {"amount": "1.00", "currency": "KZT"}}"#, "text/plain", "en").await;
    assert_eq!((status, body["code"].as_str()), (StatusCode::UNSUPPORTED_MEDIA_TYPE, Some("unsupported_media_type")));

    let padding = " ".repeat(BODY_BYTES_MAX);
    let (status, _, body) = post_json(
        &format!(r#"{{"amount": {{"amount": "1.00", "currency": "KZT"}}}}{padding}"#),
        "application/json",
        "kk",
    )
    .await;
    assert_eq!((status, body["code"].as_str()), (StatusCode::PAYLOAD_TOO_LARGE, Some("payload_too_large")));
    assert_eq!(body["title"], "Сұрау тым үлкен");
}
