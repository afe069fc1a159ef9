//! Marketplace payouts in planned credits through the HTTP API (issue 6, R-3.1.2.5): a report's
//! payouts not yet credited are planned next to the POS settlements; the marketplace's credit of
//! one through the gateway (`POST /api/gateway/v1/marketplace/payouts`) is matched against the
//! report, booked on the account like an incoming credit and leaves the plan; a repeat replays
//! without a second posting; another amount, another partner's account or an unknown payout is
//! refused with nothing posted; the ledger stays zero-sum. Runs on SQLite, and on PostgreSQL with
//! `TIYN_TEST_BACKEND=postgres`.

use crate::common;

use axum::body::Body;
use axum::http::Request;
use common::*;
use serde_json::{Value, json};
use tiyn_core::{AccountId, Iban};
use tiyn_server::demo::{self, PARTNER_ONE, PARTNER_TWO};

const REPORT: &str = "MP-TEST-2025-12";

fn gateway_key() -> String {
    tiyn_server::payments::gateway_key(&tiyn_auth::MasterKey::from_bytes([9; 32]))
}

async fn gateway(test: &TestApp, path: &str, body: &Value) -> (u16, Value) {
    let request = Request::post(format!("/api/gateway/v1{path}"))
        .header("content-type", "application/json")
        .header("authorization", format!("Bearer {}", gateway_key()))
        .body(Body::from(body.to_string()))
        .expect("request");
    let response = send(&test.app, request).await;
    let status = response.status().as_u16();
    (status, serde_json::from_str(&body_text(response).await).unwrap_or(Value::Null))
}

async fn json_get(test: &TestApp, session: &Session, uri: &str) -> (u16, Value) {
    let response = get_as(&test.app, session, uri).await;
    let status = response.status().as_u16();
    (status, body_json(response).await)
}

fn iban(partner: &demo::DemoPartnerSpec, index: usize) -> String {
    demo::demo_iban(&partner.accounts[index]).expect("iban").as_str().to_owned()
}

fn kzt(amount: &str) -> Value {
    json!({"amount": amount, "currency": "KZT"})
}

/// A report of four orders: P-1 (paid on 15 December) covers 1 and 2, P-2 (29 December) covers
/// 3; order 4 is not paid out.
fn report() -> Value {
    json!({
        "report_id": REPORT,
        "partner_bin": demo::demo_bin(PARTNER_ONE.bin_prefix).expect("bin").as_str(),
        "period": {"from": "2025-12-01", "to": "2025-12-31"},
        "orders": [
            {"order_id": "O-1", "sold_at": "2025-12-02T06:00:00Z", "amount": kzt("10000.00"), "commission": kzt("800.00")},
            {"order_id": "O-2", "sold_at": "2025-12-03T07:30:00Z", "amount": kzt("2500.50"), "commission": kzt("200.04")},
            {"order_id": "O-3", "sold_at": "2025-12-10T09:15:00Z", "amount": kzt("7300.00"), "commission": kzt("511.00")},
            {"order_id": "O-4", "sold_at": "2025-12-28T12:00:00Z", "amount": kzt("1000.00"), "commission": kzt("100.00")},
        ],
        "payouts": [
            {"payout_id": "P-1", "paid_on": "2025-12-15", "amount": kzt("11500.46"),
             "account_iban": iban(&PARTNER_ONE, 0), "order_ids": ["O-1", "O-2"]},
            {"payout_id": "P-2", "paid_on": "2025-12-29", "amount": kzt("6789.00"),
             "account_iban": iban(&PARTNER_ONE, 0), "order_ids": ["O-3"]},
        ],
    })
}

fn credit(payout: &str, account_iban: &str, amount: &str) -> Value {
    json!({"report_id": REPORT, "payout_id": payout, "account_iban": account_iban, "amount": kzt(amount)})
}

struct Fixture {
    test: TestApp,
    session: Session,
    main: AccountId,
}

/// The demo with the report ingested and a full-access user of its partner signed in.
async fn fixture() -> Fixture {
    let test = test_app().await;
    let (status, body) = gateway(&test, "/marketplace/reports", &report()).await;
    assert_eq!(status, 201, "{body}");
    let session = test.sign_in("full", true).await;
    let main = Iban::parse(&iban(&PARTNER_ONE, 0)).expect("iban");
    let main = test.store.account_by_iban(&main).await.expect("read").expect("account").id;
    Fixture { test, session, main }
}

impl Fixture {
    async fn balance(&self) -> i64 {
        self.test.store.account(self.main).await.expect("read").expect("account").balance.minor()
    }

    async fn planned(&self) -> Vec<Value> {
        let (status, planned) = json_get(&self.test, &self.session, "/api/v1/planned-credits").await;
        assert_eq!(status, 200, "{planned}");
        planned["items"].as_array().expect("items").clone()
    }

    async fn payout_audits(&self) -> usize {
        let query = tiyn_store::AuditQuery { limit: 10_000, ..tiyn_store::AuditQuery::default() };
        let records = self.test.store.audit_records(query).await.expect("audit");
        records.iter().filter(|record| record.record.action == "gateway.marketplace_payout").count()
    }

    async fn assert_ledger_sound(&self) {
        assert!(self.test.store.check_ledger().await.expect("check").is_sound(), "zero-sum and balances");
    }
}

/// R-3.1.2.5: a report's payouts not yet credited are planned credits with their date, amount,
/// account and source; the marketplace's credit of one is booked on the account (the balance
/// rises by exactly its amount, the statement shows the credit from the marketplace), the payout
/// leaves the plan and the report marks it credited; a repeat replays and posts nothing.
#[tokio::test]
async fn r_3_1_2_5_a_marketplace_payout_is_planned_until_its_credit_arrives() {
    let fx = fixture().await;
    let main = fx.main.to_string();
    assert_eq!(
        fx.planned().await,
        [
            json!({"account": main, "iban": iban(&PARTNER_ONE, 0), "expected_date": "2025-12-15",
                "amount": kzt("11500.46"), "source": "marketplace", "report_id": REPORT, "payout_id": "P-1",
                "orders": 2}),
            json!({"account": main, "iban": iban(&PARTNER_ONE, 0), "expected_date": "2025-12-29",
                "amount": kzt("6789.00"), "source": "marketplace", "report_id": REPORT, "payout_id": "P-2",
                "orders": 1}),
        ]
    );

    let before = fx.balance().await;
    let (status, credited) =
        gateway(&fx.test, "/marketplace/payouts", &credit("P-1", &iban(&PARTNER_ONE, 0), "11500.46")).await;
    assert_eq!(status, 201, "{credited}");
    assert_eq!(credited, json!({"account": main, "amount": kzt("11500.46"), "orders": 2, "replayed": false}));
    let after = fx.balance().await;
    assert_eq!(after - before, 1_150_046, "booked on the account, exactly the payout");
    let planned = fx.planned().await;
    let left: Vec<&str> = planned.iter().filter_map(|item| item["payout_id"].as_str()).collect();
    assert_eq!(left, ["P-2"], "the credited payout left the plan");

    // The statement of the day shows the credit from the marketplace.
    let uri = format!("/api/v1/accounts/{main}/statement?from=2026-01-01&to=2026-01-01&format=json");
    let (status, statement) = json_get(&fx.test, &fx.session, &uri).await;
    assert_eq!(status, 200, "{statement}");
    let lines = statement["lines"].as_array().expect("lines");
    let line = lines
        .iter()
        .find(|line| line["kind"] == "incoming_credit" && line["counterparty"]["name"] == "Маркетплейс")
        .unwrap_or_else(|| panic!("the marketplace's credit in {statement}"));
    assert_eq!(line["credit"], kzt("11500.46"));
    let purpose = line["purpose"].as_str().expect("purpose");
    assert!(purpose.contains(REPORT) && purpose.contains("P-1"), "{purpose}");

    // The report says which payout was credited and which is expected.
    let (_, detail) = json_get(&fx.test, &fx.session, &format!("/api/v1/marketplace/reports/{REPORT}")).await;
    let credited_at: Vec<bool> =
        detail["payouts"].as_array().expect("payouts").iter().map(|payout| payout["credited_at"].is_string()).collect();
    assert_eq!(credited_at, [true, false], "{detail}");

    let (status, again) =
        gateway(&fx.test, "/marketplace/payouts", &credit("P-1", &iban(&PARTNER_ONE, 0), "11500.46")).await;
    assert_eq!((status, again["replayed"].as_bool()), (200, Some(true)), "{again}");
    assert_eq!(fx.balance().await, after, "a repeat posts nothing");
    assert_eq!(fx.payout_audits().await, 1, "recorded once");
    fx.assert_ledger_sound().await;
}

/// R-3.1.2.5: a credit of another amount is refused naming both amounts; one to another
/// partner's account, to an account the payout does not name, or of an unknown payout or report
/// is refused; none posts anything and the payout stays planned.
#[tokio::test]
async fn r_3_1_2_5_a_payout_credit_that_does_not_match_is_refused_and_posts_nothing() {
    let fx = fixture().await;
    let before = fx.balance().await;
    let main_iban = iban(&PARTNER_ONE, 0);

    let (status, refused) = gateway(&fx.test, "/marketplace/payouts", &credit("P-1", &main_iban, "11500.00")).await;
    assert_eq!((status, refused["code"].as_str()), (422, Some("payout_amount_mismatch")), "{refused}");
    let detail = refused["detail"].as_str().expect("detail");
    assert!(detail.contains("11500.00") && detail.contains("11500.46"), "both amounts: {detail}");

    let (status, refused) =
        gateway(&fx.test, "/marketplace/payouts", &credit("P-1", &iban(&PARTNER_TWO, 0), "11500.46")).await;
    assert_eq!(status, 404, "another partner's account: {refused}");

    let (status, refused) =
        gateway(&fx.test, "/marketplace/payouts", &credit("P-1", &iban(&PARTNER_ONE, 1), "11500.46")).await;
    assert_eq!((status, refused["code"].as_str()), (422, Some("payout_account_mismatch")), "{refused}");

    let (status, refused) = gateway(&fx.test, "/marketplace/payouts", &credit("P-9", &main_iban, "11500.46")).await;
    assert_eq!(status, 404, "an unknown payout: {refused}");
    let unknown_report = json!({"report_id": "NO-SUCH", "payout_id": "P-1", "account_iban": main_iban,
        "amount": kzt("11500.46")});
    let (status, _) = gateway(&fx.test, "/marketplace/payouts", &unknown_report).await;
    assert_eq!(status, 404, "an unknown report");
    let number = json!({"report_id": REPORT, "payout_id": "P-1", "account_iban": main_iban,
        "amount": {"amount": 11500.46, "currency": "KZT"}});
    let (status, _) = gateway(&fx.test, "/marketplace/payouts", &number).await;
    assert_eq!(status, 422, "an amount as a JSON number");

    assert_eq!(fx.balance().await, before, "nothing posted");
    assert_eq!(fx.planned().await.len(), 2, "both payouts still planned");
    assert_eq!(fx.payout_audits().await, 0);
    fx.assert_ledger_sound().await;
}

/// R-3.1.2.5: the gateway's route needs the gateway's key; a partner's session is refused.
#[tokio::test]
async fn r_3_1_2_5_only_the_gateway_credits_payouts() {
    let fx = fixture().await;
    let body = credit("P-1", &iban(&PARTNER_ONE, 0), "11500.46");
    let response = post_json(&fx.test.app, "/api/gateway/v1/marketplace/payouts", Some(&fx.session), body).await;
    assert!(matches!(response.status().as_u16(), 401 | 403), "{}", response.status());
    assert_eq!(fx.planned().await.len(), 2);
}

/// R-3.1.2.5: the demo's report has payouts already credited and one expected in the coming days,
/// which the demo partner's planned credits show; seeding again replays without new postings.
#[tokio::test]
async fn r_3_1_2_5_the_demo_plans_its_expected_marketplace_payout() {
    let test = test_app().await;
    let banking = test.app_banking();
    demo::seed_messages(&banking, &test.demo, now()).await.expect("seed");
    let salary = Iban::parse(&iban(&PARTNER_ONE, 1)).expect("iban");
    let salary = test.store.account_by_iban(&salary).await.expect("read").expect("account").id;
    let balance = test.store.account(salary).await.expect("read").expect("account").balance;
    demo::seed_messages(&banking, &test.demo, now()).await.expect("seed again");
    assert_eq!(test.store.account(salary).await.expect("read").expect("account").balance, balance, "replayed");

    let session = test.sign_in("full", true).await;
    let (_, planned) = json_get(&test, &session, "/api/v1/planned-credits").await;
    let report_id = demo::demo_report_id(now());
    let marketplace: Vec<&Value> =
        planned["items"].as_array().expect("items").iter().filter(|item| item["source"] == "marketplace").collect();
    assert_eq!(marketplace.len(), 1, "{planned}");
    assert_eq!(marketplace[0]["iban"], iban(&PARTNER_ONE, 1), "to the salary account");
    assert_eq!(marketplace[0]["report_id"], report_id.as_str());
    assert_eq!(marketplace[0]["payout_id"], format!("{report_id}-P{}", demo::DEMO_MARKETPLACE_PAID.len()));
    assert!(marketplace[0]["expected_date"].as_str().is_some_and(|date| date >= "2026-01-01"), "{planned}");
    let (_, detail) = json_get(&test, &session, &format!("/api/v1/marketplace/reports/{report_id}")).await;
    let credited = detail["payouts"]
        .as_array()
        .expect("payouts")
        .iter()
        .filter(|payout| payout["credited_at"].is_string())
        .count();
    assert_eq!(credited, demo::DEMO_MARKETPLACE_CREDITED, "{detail}");
    assert!(test.store.check_ledger().await.expect("check").is_sound());
}

/// R-3.1.2.5: a data directory made by an earlier version holds this month's demo report with
/// other content; the demo still starts (the stored report is kept, nothing is credited for it).
#[tokio::test]
async fn r_3_1_2_5_the_demo_starts_over_a_report_of_an_earlier_version() {
    use tiyn_banking::messages::{RawMarketplaceReport, RawMoneyText, RawOrder};
    let test = test_app().await;
    let banking = test.app_banking();
    let month_end = tiyn_identity::business_date(now()).first_of_month().yesterday().expect("a date");
    let kzt = |amount: &str| RawMoneyText { amount: amount.to_owned(), currency: "KZT".to_owned() };
    let earlier = RawMarketplaceReport {
        report_id: demo::demo_report_id(now()),
        partner_bin: demo::demo_bin(PARTNER_ONE.bin_prefix).expect("bin").as_str().to_owned(),
        period_from: month_end.first_of_month().to_string(),
        period_to: month_end.to_string(),
        orders: vec![RawOrder {
            order_id: "EARLIER-1".to_owned(),
            sold_at: format!("{month_end}T10:00:00+05:00"),
            amount: kzt("1000.00"),
            commission: kzt("50.00"),
        }],
        payouts: Vec::new(),
    };
    banking.ingest_marketplace_report(&earlier).await.expect("the earlier version's report");
    let seeded = demo::seed_messages(&banking, &test.demo, now()).await.expect("the demo starts");
    assert!(!seeded.report_created);
    let session = test.sign_in("full", true).await;
    let (_, planned) = json_get(&test, &session, "/api/v1/planned-credits").await;
    let marketplace = planned["items"].as_array().expect("items").iter().filter(|item| item["source"] == "marketplace");
    assert_eq!(marketplace.count(), 0, "the earlier report has no payouts: {planned}");
}
