//! `tiyn audit verify` finds a record altered directly in the database, on the backend the
//! tests run on (SQLite by default, PostgreSQL with `TIYN_TEST_BACKEND=postgres`).

use crate::common;

use std::sync::Arc;

use tiyn_auth::MasterKey;
use tiyn_backend::{DatabaseLocation, open_store, test_location};
use tiyn_server::audit::{Verified, verify};
use tiyn_store::{AuditOutcome, ChainBreak, NewAuditRecord, Store};

fn record(action: &str, second: i64) -> NewAuditRecord {
    NewAuditRecord {
        at: jiff::Timestamp::from_second(1_790_000_000 + second).expect("instant"),
        actor: None,
        partner: None,
        action: action.to_owned(),
        object: Some(format!("user:{second}")),
        source_ip: Some("192.0.2.1".to_owned()),
        user_agent: None,
        outcome: AuditOutcome::Success,
        details: None,
    }
}

/// Changes one record's action behind the store's back, as someone with database access would:
/// the guard trigger is removed first.
async fn tamper(location: &DatabaseLocation, id: i64) {
    match location {
        DatabaseLocation::Sqlite(path) => {
            let connection = rusqlite::Connection::open(path).expect("open the file directly");
            connection.execute_batch("DROP TRIGGER IF EXISTS audit_immutable_update;").expect("drop the guard");
            let changed = connection
                .execute("UPDATE audit SET action = 'auth.logout' WHERE id = ?1", [id])
                .expect("alter the record");
            assert_eq!(changed, 1);
        }
        DatabaseLocation::Postgres(url) => {
            use sqlx::Connection;
            let mut connection = sqlx::PgConnection::connect(url).await.expect("connect directly");
            sqlx::query("ALTER TABLE audit DISABLE TRIGGER USER").execute(&mut connection).await.expect("disable");
            let changed = sqlx::query("UPDATE audit SET action = 'auth.logout' WHERE id = $1")
                .bind(id)
                .execute(&mut connection)
                .await
                .expect("alter the record");
            assert_eq!(changed.rows_affected(), 1);
        }
    }
}

#[tokio::test]
async fn r_3_4_audit_verify_finds_a_record_altered_in_the_database() {
    let dir = tempfile::tempdir().expect("temp dir");
    let location = test_location(dir.path()).await;
    let store: Arc<dyn Store> = open_store(&location).await.expect("store");
    let key = MasterKey::from_bytes([2; 32]).audit_key();
    let mut ids = Vec::new();
    for second in 0..12 {
        ids.push(store.append_audit(record("auth.login", second), &key).await.expect("append").id);
    }
    assert_eq!(
        verify(store.as_ref(), &key).await.expect("read"),
        Ok(Verified { records: 12, last_id: *ids.last().expect("ids") })
    );
    // Under another key the chain does not verify: the MACs are keyed.
    let other = MasterKey::from_bytes([3; 32]).audit_key();
    assert_eq!(verify(store.as_ref(), &other).await.expect("read"), Err(ChainBreak::Mismatch { id: ids[0] }));

    tamper(&location, ids[7]).await;
    assert_eq!(verify(store.as_ref(), &key).await.expect("read"), Err(ChainBreak::Mismatch { id: ids[7] }));
}

/// The trail the server writes through real use verifies; the demo's seeding and a login leave
/// records.
#[tokio::test]
async fn r_3_4_the_trail_of_a_real_session_verifies() {
    let test = common::test_app().await;
    test.sign_in("full", true).await;
    test.sign_in("create", false).await;
    let verified = verify(test.store.as_ref(), &test.master.audit_key()).await.expect("read").expect("intact");
    assert_eq!(verified.records, 4, "two logins of two steps each");
}

/// over a real socket, the audit record carries the client's address (and failures
/// are counted per source from it).
#[tokio::test]
async fn r_3_4_records_carry_the_source_address() {
    use http_body_util::{BodyExt, Full};
    use hyper::body::Bytes;
    use hyper_util::rt::TokioIo;

    let test = common::test_app().await;
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let addr = listener.local_addr().expect("addr");
    let handle = axum_server::Handle::new();
    let server = tokio::spawn(tiyn_server::server::run(listener, test.app.clone(), None, handle.clone()));
    let tcp = tokio::net::TcpStream::connect(addr).await.expect("connect");
    let (mut sender, connection) = hyper::client::conn::http1::handshake(TokioIo::new(tcp)).await.expect("handshake");
    tokio::spawn(connection);
    let body = serde_json::json!({"login": "full@demo-trade.kz", "password": "not the password at all"}).to_string();
    let request = hyper::Request::post("/api/v1/auth/login")
        .header("host", "localhost")
        .header("content-type", "application/json")
        .header("user-agent", "audit-test/1.0")
        .body(Full::new(Bytes::from(body)))
        .expect("request");
    let response = sender.send_request(request).await.expect("response");
    assert_eq!(response.status(), 401);
    let _ = response.into_body().collect().await;
    let records =
        test.store.audit_records(tiyn_store::AuditQuery { limit: 10, ..Default::default() }).await.expect("records");
    let login = records.iter().find(|record| record.record.action == "auth.login").expect("the attempt is recorded");
    assert_eq!(login.record.source_ip.as_deref(), Some("127.0.0.1"));
    assert_eq!(login.record.user_agent.as_deref(), Some("audit-test/1.0"));
    assert_eq!(login.record.outcome, AuditOutcome::Failure("invalid_credentials".to_owned()));
    assert_eq!(test.store.source_lockout("127.0.0.1").await.expect("state").consecutive_failures, 1);
    handle.graceful_shutdown(Some(std::time::Duration::from_secs(1)));
    server.await.expect("join").expect("stopped");
}
