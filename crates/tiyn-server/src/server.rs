//! `tiyn serve`: open the store, check durability, seed the demo, bind, serve until SIGINT or
//! SIGTERM, then drain requests in flight.

use std::io;
use std::net::{SocketAddr, TcpListener};
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum_server::Handle;
use axum_server::tls_rustls::RustlsConfig;
use rustls_pki_types::pem::PemObject;
use rustls_pki_types::{CertificateDer, PrivateKeyDer};
use tiyn_auth::{MasterKey, PasswordHasher};
use tiyn_banking::gateway::Gateway;
use tiyn_identity::{Identity, IdentityConfig, SystemClock};
use tiyn_notify::{FileSink, Notifier, WebhookOptions, WebhookSink};
use tiyn_store::{Durability, Store, StoreError};

use crate::app::{AppState, build_app};
use crate::demo::{self, DemoError};
use crate::gateway_http::HttpGateway;
use crate::metrics::Metrics;
use crate::settings::{Settings, TlsFiles};
use tiyn_backend::{DatabaseLocation, open_store};

#[derive(Debug, thiserror::Error)]
pub enum ServeError {
    #[error("cannot create the data directory {path}: {source}")]
    DataDir { path: String, source: io::Error },
    #[error("cannot open the database: {0}")]
    Store(#[from] StoreError),
    #[error(
        "refusing to start: the database does not make commits durable ({0}). Money could be lost on a \
         power failure. Fix the database setting, or pass --allow-non-durable if you accept that \
         (never in production)."
    )]
    NotDurable(String),
    #[error("cannot seed the demo data: {0}")]
    Demo(#[from] DemoError),
    #[error(transparent)]
    Secret(#[from] crate::secrets::SecretError),
    #[error("the embedded reference data is invalid: {0}")]
    ReferenceData(String),
    #[error(transparent)]
    Directories(#[from] crate::directories::DirectoryError),
    #[error("TLS: {0}")]
    Tls(String),
    #[error("cannot listen on {addr}: {source}")]
    Bind { addr: SocketAddr, source: io::Error },
    #[error("server failed: {0}")]
    Serve(io::Error),
    #[error("cannot read the SMS webhook secret {path}: {source}")]
    WebhookSecret { path: String, source: io::Error },
    #[error("the SMS webhook: {0}")]
    Webhook(String),
    #[error("cannot read the interbank gateway's secret {path}: {source}")]
    GatewaySecret { path: String, source: io::Error },
    #[error("the interbank gateway: {0}")]
    Gateway(String),
}

/// Runs the server with resolved settings until a shutdown signal.
pub async fn serve(settings: Settings) -> Result<(), ServeError> {
    let metrics = Arc::new(Metrics::new());
    let store = open(&settings).await?;
    check_durability(store.as_ref(), &settings).await?;
    // The directories the bank loaded (`tiyn admin directories load`) replace the compiled-in ones.
    let reference = crate::directories::reference_data(store.as_ref()).await?;
    let master = crate::secrets::load_or_create_master_key(&settings.secret_key_file)?;
    let hasher = PasswordHasher::default();
    let identity = identity(&settings, store.clone(), &master, hasher)?;
    let banking = banking(&settings, identity.clone(), reference)?;
    let http_gateway = http_gateway(&settings)?;
    let credentials = match settings.demo {
        true => Some(seed_demo(store.as_ref(), &banking, &master, &hasher, &settings).await?),
        false => None,
    };
    let tls = match &settings.tls {
        Some(files) => Some(rustls_config(files)?),
        None => None,
    };
    let state_store = store.clone();
    let state = AppState {
        store,
        metrics,
        identity,
        banking: banking.clone(),
        gateway_key: Some(crate::payments::gateway_key_digest(&master)),
        bank: settings.bank.clone(),
        trusted_proxies: tiyn_api::authz::TrustedProxies(settings.trusted_proxies.clone()),
        demo: settings.demo,
        tls: tls.is_some(),
        request_body_bytes_max: settings.request_body_bytes_max,
        request_timeout: settings.request_timeout,
    };
    let listener =
        TcpListener::bind(settings.listen).map_err(|source| ServeError::Bind { addr: settings.listen, source })?;
    let addr = listener.local_addr().map_err(ServeError::Serve)?;
    let scheme = if tls.is_some() { "https" } else { "http" };
    // stdout carries exactly this line (scripts and the e2e tests read the URL from it).
    println!("Tiyn is listening on {scheme}://{addr}/");
    if let Some(credentials) = &credentials {
        print_credentials(credentials, &format!("{scheme}://{addr}/"), &settings);
        let gateway = match &http_gateway {
            Some(http) => format!("The interbank gateway {} takes outgoing payments", http.endpoint()),
            None => "The simulated interbank gateway settles outgoing payments (a payee named «ОТКАЗ» or «REJECT» \
                     is rejected)"
                .to_owned(),
        };
        println!(
            "{gateway}; its callbacks under /api/gateway/v1 take the key {}",
            crate::payments::gateway_key(&master)
        );
    }
    crate::audit::spawn_purge_job(state_store.clone());
    let gateway = interbank_gateway(http_gateway, settings.demo, || crate::payments::simulator(&banking));
    crate::payments::spawn_jobs(banking, gateway);
    let handle = Handle::new();
    tokio::spawn(shutdown_on_signal(handle.clone(), settings.shutdown_grace));
    run(listener, build_app(state), tls, handle).await.map_err(ServeError::Serve)
}

/// The identity use cases as the settings configure them: Argon2id with OWASP parameters, the
/// bank's limits, the SMS sink (the webhook when `sms_webhook_url` is set, else the file), the
/// working-day calendar for suspension notices.
pub fn identity(
    settings: &Settings,
    store: Arc<dyn Store>,
    master: &MasterKey,
    hasher: PasswordHasher,
) -> Result<Identity, ServeError> {
    let calendar = tiyn_refdata::ReferenceData::embedded()
        .map_err(|error| ServeError::ReferenceData(error.to_string()))?
        .calendar()
        .clone();
    let mut config = IdentityConfig::standard(hasher, master, calendar);
    config.sessions = settings.security.sessions;
    config.codes = settings.security.codes;
    config.user_lockout = settings.security.lockout;
    config.password_policy = settings.password_policy.clone();
    let notifier = sms_notifier(settings)?;
    Ok(Identity::new(store, notifier, config, Arc::new(SystemClock)))
}

/// The payment use cases: the bank's code in the NBK directory (the payee of an interbank
/// payment must be at another bank), the value-date horizon, tariffs and limits.
pub fn banking(
    settings: &Settings,
    identity: Identity,
    reference: Arc<tiyn_refdata::ReferenceData>,
) -> Result<tiyn_banking::Banking, ServeError> {
    let mut config = tiyn_banking::BankingConfig::standard(settings.bank.bank_code());
    config.conversion_quote_ttl = jiff::SignedDuration::try_from(settings.conversion_quote)
        .map_err(|error| ServeError::ReferenceData(format!("conversion_quote_seconds: {error}")))?;
    config.foreign_contract_threshold = settings.foreign_contract_threshold;
    tiyn_banking::Banking::new(identity, reference, config)
        .map_err(|error| ServeError::ReferenceData(format!("bank_code: {error}")))
}

/// The webhook sink when `sms_webhook_url` is set (its secret read from `sms_webhook_secret_file`:
/// no secret, no start), else the file sink.
fn sms_notifier(settings: &Settings) -> Result<Arc<dyn Notifier>, ServeError> {
    let Some(webhook) = &settings.sms_webhook else {
        return Ok(Arc::new(FileSink::new(settings.sms_file.clone())));
    };
    let secret = read_secret_file(&webhook.secret_file)
        .map_err(|source| ServeError::WebhookSecret { path: webhook.secret_file.display().to_string(), source })?;
    let sink = WebhookSink::new(&webhook.url, secret, WebhookOptions::default())
        .map_err(|error| ServeError::Webhook(error.to_string()))?;
    tracing::info!(endpoint = sink.endpoint(), "SMS go to the webhook sink");
    Ok(Arc::new(sink))
}

/// The HTTP transport to the interbank gateway when `gateway_url` is set (its secret read from
/// `gateway_secret_file`: no secret, no start), else `None`.
pub fn http_gateway(settings: &Settings) -> Result<Option<Arc<HttpGateway>>, ServeError> {
    let Some(gateway) = &settings.gateway else {
        return Ok(None);
    };
    let secret = read_secret_file(&gateway.secret_file)
        .map_err(|source| ServeError::GatewaySecret { path: gateway.secret_file.display().to_string(), source })?;
    let transport = HttpGateway::new(&gateway.url, secret, HttpGateway::standard_options(), Arc::new(SystemClock))
        .map_err(|error| ServeError::Gateway(error.to_string()))?;
    Ok(Some(Arc::new(transport)))
}

/// Where outgoing interbank and budget payments go: a configured gateway (in demo mode too: a
/// real gateway wins over the simulator), else the simulator in demo mode, else nowhere (they
/// wait in the outbox until a gateway is configured).
fn interbank_gateway(
    http: Option<Arc<HttpGateway>>,
    demo: bool,
    simulator: impl FnOnce() -> Arc<dyn Gateway>,
) -> Option<Arc<dyn Gateway>> {
    if let Some(http) = http {
        tracing::info!(endpoint = http.endpoint(), "outgoing payments go to the interbank gateway over HTTP");
        return Some(http);
    }
    if demo {
        tracing::info!("outgoing payments go to the simulated interbank gateway (demo)");
        return Some(simulator());
    }
    None
}

/// A shared secret from its file, without trailing whitespace (an editor's final newline); an
/// empty one is refused, as it would sign nothing.
fn read_secret_file(path: &Path) -> Result<Vec<u8>, io::Error> {
    let mut secret = std::fs::read(path)?;
    while secret.last().is_some_and(|byte| byte.is_ascii_whitespace()) {
        secret.pop();
    }
    if secret.is_empty() {
        return Err(io::Error::new(io::ErrorKind::InvalidData, "the secret file is empty"));
    }
    Ok(secret)
}

fn print_credentials(credentials: &demo::DemoCredentials, url: &str, settings: &Settings) {
    let codes_go_to = match &settings.sms_webhook {
        Some(webhook) => format!("posted to the SMS webhook {}", webhook.url.split('?').next().unwrap_or_default()),
        None => format!("written to {}", settings.sms_file.display()),
    };
    println!("Demo mode: open {url} and sign in with one of these (SMS codes are {codes_go_to}):");
    for user in &credentials.users {
        println!("  {:<8} {:<28} {}  ({})", user.level, user.login, user.password, user.partner);
    }
    for operator in &credentials.operators {
        println!("  {:<8} {:<28} {}  (bank operator)", "operator", operator.login, operator.password);
    }
    println!("The same credentials are in {}.", settings.data_dir.join(demo::CREDENTIALS_FILE).display());
}

/// Serves `app` on `listener` until `handle` is shut down. Tests call this with port 0.
pub async fn run(
    listener: TcpListener,
    app: Router,
    tls: Option<RustlsConfig>,
    handle: Handle<SocketAddr>,
) -> io::Result<()> {
    listener.set_nonblocking(true)?;
    // The peer address reaches handlers (audit records, failures counted per source, R-6.1.4).
    let service = app.into_make_service_with_connect_info::<SocketAddr>();
    match tls {
        Some(config) => axum_server::from_tcp_rustls(listener, config)?.handle(handle).serve(service).await,
        None => axum_server::from_tcp(listener)?.handle(handle).serve(service).await,
    }
}

/// Opens (and migrates) the configured database; creates the data directory for SQLite.
pub async fn open(settings: &Settings) -> Result<Arc<dyn Store>, ServeError> {
    if let DatabaseLocation::Sqlite(path) = &settings.database {
        let directory = path.parent().filter(|parent| !parent.as_os_str().is_empty()).unwrap_or(Path::new("."));
        std::fs::create_dir_all(directory)
            .map_err(|source| ServeError::DataDir { path: directory.display().to_string(), source })?;
    }
    let store = open_store(&settings.database).await?;
    tracing::info!(backend = store.backend_name(), "database open and migrated");
    Ok(store)
}

/// Outside demo mode, a database that may lose acknowledged commits is refused unless forced:
/// a payment confirmed to a client must survive a power failure.
pub async fn check_durability(store: &dyn Store, settings: &Settings) -> Result<(), ServeError> {
    if settings.demo {
        return Ok(());
    }
    match store.durability().await? {
        Durability::Durable => Ok(()),
        Durability::NotDurable(reason) if settings.allow_non_durable => {
            tracing::warn!(reason = %reason, "the database does not make commits durable; starting because allow_non_durable is set");
            Ok(())
        }
        Durability::NotDurable(reason) => Err(ServeError::NotDurable(reason)),
    }
}

/// Loads and cross-checks the embedded Kazakhstan reference data, so a broken build fails at
/// start rather than at the first payment.
pub fn load_reference_data() -> Result<Arc<tiyn_refdata::ReferenceData>, ServeError> {
    let data = tiyn_refdata::ReferenceData::embedded().map_err(|error| ServeError::ReferenceData(error.to_string()))?;
    tracing::info!(
        banks = data.banks().entries().len(),
        knp = data.knp().len(),
        kbk = data.kbk().len(),
        kbe = data.kbe().len(),
        holidays_known_through = ?data.calendar().holidays_known_through(),
        "reference data loaded"
    );
    Ok(Arc::new(data))
}

async fn seed_demo(
    store: &dyn Store,
    banking: &tiyn_banking::Banking,
    master: &MasterKey,
    hasher: &PasswordHasher,
    settings: &Settings,
) -> Result<demo::DemoCredentials, ServeError> {
    let now = jiff::Timestamp::now();
    let seeded = demo::seed(store, now).await?;
    let credentials = demo::seed_users(store, &seeded, master, hasher, now).await?;
    let pos = demo::seed_pos(banking, &seeded, now).await?;
    tracing::info!(operations = pos.operations_created, settlements = pos.settlements, "demo POS operations ready");
    // Notices and marketplace reports (issue 6, R-3.1.2.8).
    let messages = demo::seed_messages(banking, &seeded, now).await?;
    tracing::info!(notices = messages.notices_published, report = messages.report_created, "demo notices ready");
    demo::write_credentials(&settings.data_dir.join(demo::CREDENTIALS_FILE), &credentials)?;
    tracing::info!(
        partner = %seeded.partner,
        other_partner = %seeded.other_partner,
        balances_posted = seeded.balances_posted,
        users = credentials.users.len() + credentials.operators.len(),
        "demo data ready"
    );
    Ok(credentials)
}

/// rustls with the `ring` provider (no C toolchain needed), TLS 1.2 and 1.3, HTTP/1.1 and HTTP/2.
pub fn rustls_config(files: &TlsFiles) -> Result<RustlsConfig, ServeError> {
    let certs = CertificateDer::pem_file_iter(&files.cert)
        .and_then(|iter| iter.collect::<Result<Vec<_>, _>>())
        .map_err(|error| ServeError::Tls(format!("certificate {}: {error}", files.cert.display())))?;
    if certs.is_empty() {
        return Err(ServeError::Tls(format!("no certificate in {}", files.cert.display())));
    }
    let key = PrivateKeyDer::from_pem_file(&files.key)
        .map_err(|error| ServeError::Tls(format!("private key {}: {error}", files.key.display())))?;
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let mut config = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|error| ServeError::Tls(error.to_string()))?
        .with_no_client_auth()
        .with_single_cert(certs, key)
        .map_err(|error| ServeError::Tls(error.to_string()))?;
    config.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
    Ok(RustlsConfig::from_config(Arc::new(config)))
}

/// Waits for SIGINT or SIGTERM, then stops accepting connections and gives requests in flight
/// `grace` to finish.
async fn shutdown_on_signal(handle: Handle<SocketAddr>, grace: Duration) {
    let interrupt = tokio::signal::ctrl_c();
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(error) => {
                tracing::warn!(error = %error, "cannot listen for SIGTERM");
                std::future::pending::<()>().await;
            }
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        _ = interrupt => {}
        () = terminate => {}
    }
    tracing::info!(grace_seconds = grace.as_secs(), "shutting down: draining requests in flight");
    handle.graceful_shutdown(Some(grace));
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::settings::{FileSettings, ServeArgs};

    fn settings_with(url: Option<String>, secret_file: Option<std::path::PathBuf>) -> Settings {
        let args = ServeArgs { sms_webhook_url: url, sms_webhook_secret_file: secret_file, ..ServeArgs::default() };
        Settings::layer(&args, &FileSettings::default()).expect("settings")
    }

    /// With a webhook configured, codes go to it (signed); without one, to the file sink; a webhook
    /// without a readable, non-empty secret stops the start.
    #[tokio::test]
    async fn the_sms_sink_is_the_webhook_when_configured() {
        use axum::routing::post;
        let received = Arc::new(std::sync::Mutex::new(Vec::<(String, String)>::new()));
        let sink = received.clone();
        let app = axum::Router::new().route(
            "/sms",
            post(move |headers: axum::http::HeaderMap, body: String| {
                let sink = sink.clone();
                async move {
                    let signature =
                        headers.get("x-tiyn-signature").and_then(|v| v.to_str().ok()).unwrap_or("").to_owned();
                    sink.lock().unwrap_or_else(|poisoned| poisoned.into_inner()).push((signature, body));
                    "ok"
                }
            }),
        );
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let addr = listener.local_addr().expect("addr");
        tokio::spawn(async move { axum::serve(listener, app).await });

        let dir = tempfile::tempdir().expect("temp dir");
        let secret = dir.path().join("webhook.secret");
        std::fs::write(&secret, "provider-shared-secret\n").expect("write");
        let url = format!("http://{addr}/sms");
        let notifier = sms_notifier(&settings_with(Some(url.clone()), Some(secret.clone()))).expect("webhook sink");
        let message = tiyn_notify::Message::new(tiyn_notify::Channel::Sms, "+77010000001", "Tiyn: код 123456");
        notifier.send(&message, jiff::Timestamp::from_second(1_790_000_000).expect("instant")).await.expect("sent");
        let got = received.lock().unwrap_or_else(|poisoned| poisoned.into_inner()).clone();
        assert_eq!(got.len(), 1);
        assert!(got[0].0.starts_with("sha256="), "signed: {:?}", got[0].0);
        assert!(got[0].1.contains("+77010000001") && got[0].1.contains("123456"));

        let empty = dir.path().join("empty.secret");
        std::fs::write(&empty, "\n").expect("write");
        assert!(matches!(
            sms_notifier(&settings_with(Some(url.clone()), Some(empty))),
            Err(ServeError::WebhookSecret { .. })
        ));
        let missing = dir.path().join("missing.secret");
        assert!(matches!(
            sms_notifier(&settings_with(Some(url), Some(missing))),
            Err(ServeError::WebhookSecret { .. })
        ));
        // Without a webhook: the file sink, which appends to the configured file.
        let file = settings_with(None, None);
        assert!(sms_notifier(&file).is_ok());
    }

    fn gateway_settings(url: &str, secret_file: std::path::PathBuf, demo: bool) -> Settings {
        let args = ServeArgs {
            gateway_url: Some(url.to_owned()),
            gateway_secret_file: Some(secret_file),
            demo: Some(demo),
            ..ServeArgs::default()
        };
        Settings::layer(&args, &FileSettings::default()).expect("settings")
    }

    /// R-3.1.1.1, R-6.4.3: with `gateway_url` the HTTP transport is built (its secret read, the
    /// endpoint shown without the query) and wins over the demo's simulator; a secret that is
    /// missing or empty, or an unusable URL, stops the start; without it, only the demo has a
    /// gateway (the simulator).
    #[test]
    fn a_configured_gateway_is_used_and_wins_over_the_simulator() {
        let dir = tempfile::tempdir().expect("temp dir");
        let secret = dir.path().join("gateway.secret");
        std::fs::write(&secret, "gateway-shared-secret\n").expect("write");

        let settings = gateway_settings("https://gw.bank.kz/pacs008?token=abc", secret.clone(), true);
        let http = http_gateway(&settings).expect("valid").expect("a transport");
        assert_eq!(http.endpoint(), "https://gw.bank.kz/pacs008");
        let chosen = interbank_gateway(Some(http.clone()), true, || panic!("the simulator is not built"));
        let http_dyn: Arc<dyn Gateway> = http;
        assert!(chosen.is_some_and(|chosen| Arc::ptr_eq(&chosen, &http_dyn)), "the configured gateway wins");

        let simulator: Arc<dyn Gateway> = Arc::new(Refusing);
        let demo = interbank_gateway(None, true, || simulator.clone()).expect("the demo's gateway");
        assert!(Arc::ptr_eq(&demo, &simulator));
        assert!(interbank_gateway(None, false, || panic!("no simulator outside the demo")).is_none());
        assert!(http_gateway(&settings_with(None, None)).expect("valid").is_none());

        let empty = dir.path().join("empty.secret");
        std::fs::write(&empty, " \n").expect("write");
        let refused = http_gateway(&gateway_settings("https://gw.bank.kz/in", empty, false));
        assert!(matches!(refused, Err(ServeError::GatewaySecret { .. })), "{refused:?}");
        let missing = dir.path().join("missing.secret");
        let refused = http_gateway(&gateway_settings("https://gw.bank.kz/in", missing, false));
        assert!(matches!(refused, Err(ServeError::GatewaySecret { .. })), "{refused:?}");
        let refused = http_gateway(&gateway_settings("gw.bank.kz/in", secret, false));
        let Err(ServeError::Gateway(message)) = &refused else { panic!("expected a refused URL, got {refused:?}") };
        assert!(!message.contains("gateway-shared-secret"), "{message}");
    }

    struct Refusing;

    #[async_trait::async_trait]
    impl Gateway for Refusing {
        async fn hand_off(&self, _: &tiyn_payments::iso20022::OutgoingTransfer, _: &str) -> Result<(), String> {
            Err("refused".to_owned())
        }
    }
}
