//! the server terminates TLS itself (rustls) when given a certificate and key, and then
//! sends HSTS.

use crate::common;

use std::sync::Arc;

use axum_server::Handle;
use http_body_util::{BodyExt, Empty};
use hyper::body::Bytes;
use hyper_util::rt::TokioIo;
use rustls_pki_types::{CertificateDer, ServerName};
use tiyn_server::app::{STRICT_TRANSPORT_SECURITY, build_app};
use tiyn_server::metrics::Metrics;
use tiyn_server::server::{run, rustls_config};
use tiyn_server::settings::TlsFiles;

#[tokio::test]
async fn r_7_2_https_with_a_given_certificate_sends_hsts() {
    let test = common::test_app().await;
    let session = test.sign_in("full", true).await;
    let certified = rcgen::generate_simple_self_signed(vec!["localhost".to_owned()]).expect("certificate");
    let dir = tempfile::tempdir().expect("temp dir");
    let files = TlsFiles { cert: dir.path().join("cert.pem"), key: dir.path().join("key.pem") };
    std::fs::write(&files.cert, certified.cert.pem()).expect("write cert");
    std::fs::write(&files.key, certified.signing_key.serialize_pem()).expect("write key");

    let app = build_app(common::state(test.store.clone(), Arc::new(Metrics::new()), test.identity.clone(), true));
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let addr = listener.local_addr().expect("addr");
    let handle = Handle::new();
    let server = tokio::spawn(run(listener, app, Some(rustls_config(&files).expect("tls config")), handle.clone()));

    // A client that trusts exactly this certificate.
    let mut roots = rustls::RootCertStore::empty();
    roots.add(CertificateDer::from(certified.cert.der().to_vec())).expect("root");
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let mut client_config = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .expect("versions")
        .with_root_certificates(roots)
        .with_no_client_auth();
    client_config.alpn_protocols = vec![b"http/1.1".to_vec()];
    let connector = tokio_rustls::TlsConnector::from(Arc::new(client_config));
    let tcp = tokio::net::TcpStream::connect(addr).await.expect("connect");
    let tls = connector.connect(ServerName::try_from("localhost").expect("name"), tcp).await.expect("TLS handshake");
    let (mut sender, connection) =
        hyper::client::conn::http1::handshake(TokioIo::new(tls)).await.expect("http handshake");
    tokio::spawn(connection);

    let request = hyper::Request::get("/api/v1/accounts")
        .header("host", "localhost")
        .header("authorization", format!("Bearer {}", session.token))
        .body(Empty::<Bytes>::new())
        .expect("request");
    let response = sender.send_request(request).await.expect("response");
    assert_eq!(response.status(), 200);
    let hsts = response.headers().get("strict-transport-security").and_then(|value| value.to_str().ok());
    assert_eq!(hsts, Some(STRICT_TRANSPORT_SECURITY));
    let body = response.into_body().collect().await.expect("body").to_bytes();
    assert!(String::from_utf8_lossy(&body).contains("KZ72722S000000000001"));

    handle.graceful_shutdown(Some(std::time::Duration::from_secs(1)));
    server.await.expect("join").expect("server stopped cleanly");
}

#[test]
fn a_missing_or_invalid_certificate_is_a_clear_error() {
    let dir = tempfile::tempdir().expect("temp dir");
    let files = TlsFiles { cert: dir.path().join("missing.pem"), key: dir.path().join("missing-key.pem") };
    let message = rustls_config(&files).err().map(|error| error.to_string()).unwrap_or_default();
    assert!(message.contains("missing.pem"), "{message}");
}
