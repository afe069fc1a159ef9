//! `tiyn bench payments`: confirmed internal payments per second through the HTTP API (issue 4).
//!
//! The real application (`tiyn_server::build_app`, the production settings, a durable store) is
//! served over real TCP on `127.0.0.1:0` in this process, with the production serving code
//! (`tiyn_server::server::run`). Each client is its own signed-in user of the `confirm` level of
//! the demo partner, with its own pair of funded KZT accounts, and drives the server through its
//! own HTTP/1.1 keep-alive connection, batch after batch: it creates `--batch` drafts
//! (`POST /api/v1/payments`), sends them for confirmation with one code (`POST /api/v1/signing`),
//! reads the code from the SMS sink and confirms (`POST /api/v1/signing/{id}/confirm`), which
//! executes the transfers through the ledger. Setup (users, accounts, sign-in) is not measured;
//! everything else, drafts included, is.

use std::collections::{BTreeMap, HashSet};
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use http_body_util::{BodyExt, Full};
use hyper::body::Bytes;
use hyper::client::conn::http1::SendRequest;
use hyper_util::rt::TokioIo;
use jiff::Timestamp;
use jiff::civil::Date;
use rand::{Rng, SeedableRng};
use serde_json::{Value, json};
use tiyn_auth::{MasterKey, PasswordHasher};
use tiyn_core::access::AccessLevel;
use tiyn_core::{
    AccountId, Amount, Bin, Currency, Email, Iban, Login, MobileNumber, Money, PartnerId, WorkingCalendar,
};
use tiyn_identity::{Clock, Identity, IdentityConfig};
use tiyn_ledger::{Action, Command, EntryKind, IdempotencyKey, JournalEntry};
use tiyn_notify::MemorySink;
use tiyn_payments::{DocumentId, Status};
use tiyn_server::app::{AppState, build_app};
use tiyn_server::metrics::Metrics;
use tiyn_server::settings::{FileSettings, ServeArgs, Settings};
use tiyn_store::payments::{PAYMENTS_PAGE_MAX, PaymentQuery};
use tiyn_store::{AccountKind, Consent, NewAccount, NewPartner, NewUser, Store, UserStatus};
use tracing_subscriber::EnvFilter;

use crate::{ScratchFiles, micros, open_bench_store, percentile};

/// What `tiyn bench payments` takes.
#[derive(Debug, Clone, clap::Args)]
pub struct PaymentsBenchArgs {
    /// `sqlite` (a fresh durable file), `postgres` (a fresh durable throwaway cluster), or a
    /// database URL / SQLite path to run against.
    #[arg(long, default_value = "sqlite")]
    pub database: String,
    /// Concurrent clients: each is its own signed-in user with its own two accounts and its own
    /// keep-alive connection, and sends its next request when the previous one is answered.
    #[arg(long, default_value_t = 32)]
    pub clients: usize,
    /// Documents per confirmation: a client creates this many drafts, then confirms them with one
    /// code.
    #[arg(long, default_value_t = 10)]
    pub batch: usize,
    /// Payments to make in total (the last batch may be smaller).
    #[arg(long, default_value_t = 50_000)]
    pub payments: u64,
    /// Spread the clients over this many partners: the demo partner, then bench partners. With 1,
    /// every client is a user of the demo partner.
    #[arg(long, default_value_t = 1)]
    pub partners: usize,
}

/// Each bench account starts with 1 000 000 000.00 KZT: the transfers never run out of money.
const OPENING_BALANCE_MINOR: i64 = 100_000_000_000;
/// A transfer moves between 1.00 and 1 000.00 KZT.
const PAYMENT_MINOR_MIN: i64 = 100;
const PAYMENT_MINOR_MAX: i64 = 100_000;
/// The bench's own master key: its users' passwords derive from it, so a rerun against the same
/// database (`--database URL`) signs in with the same passwords.
const BENCH_MASTER_KEY: [u8; 32] = [0x5b; 32];

/// What a run measured and found, for the caller (the test) to check.
#[derive(Debug, Clone)]
pub struct PaymentsReport {
    /// Documents created and sent to confirmation.
    pub payments: u64,
    pub confirmations: u64,
    pub elapsed: Duration,
    /// Documents the confirmations answered `executed`.
    pub executed: u64,
    /// The stored status of every document this run created, read back from the store.
    pub stored_statuses: BTreeMap<String, u64>,
    pub ledger_sound: bool,
}

impl PaymentsReport {
    /// Every document of the run was executed, as answered and as stored, and the ledger is sound.
    pub fn is_sound(&self) -> bool {
        self.executed == self.payments
            && self.stored_statuses.len() == 1
            && self.stored_statuses.get(Status::Executed.as_str()) == Some(&self.payments)
            && self.ledger_sound
    }
}

/// Runs the benchmark, prints its figures, and fails unless every document was executed and the
/// ledger is sound. The server's log goes to stderr at `warn` (errors behind a 500 are visible,
/// one line per request is not), or as `RUST_LOG` says.
pub async fn run_payments(args: PaymentsBenchArgs) -> Result<(), String> {
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("warn"));
    // Already installed (a caller's own): keep it.
    let _ = tracing_subscriber::fmt().with_env_filter(filter).with_writer(std::io::stderr).compact().try_init();
    let report = measure_payments(args).await?;
    if !report.is_sound() {
        return Err(format!(
            "not every document was executed or the ledger is not sound: {} executed of {}, stored {:?}, ledger sound: {}",
            report.executed, report.payments, report.stored_statuses, report.ledger_sound
        ));
    }
    Ok(())
}

/// The benchmark itself: setup, the measured phase, and the checks; prints as it goes.
pub async fn measure_payments(args: PaymentsBenchArgs) -> Result<PaymentsReport, String> {
    if args.clients == 0 || args.batch == 0 || args.payments == 0 || args.partners == 0 {
        return Err("need at least 1 client, 1 document per batch, 1 payment and 1 partner".into());
    }
    let (store, _cluster, description, scratch) = open_bench_store(&args.database, "payments").await?;
    let _scratch = ScratchFiles(scratch);
    let settings =
        Settings::layer(&ServeArgs::default(), &FileSettings::default()).map_err(|error| error.to_string())?;
    let calendar = tiyn_refdata::kz_calendar();
    let clock = Arc::new(BenchClock::on_a_working_day(&calendar)?);
    let today = tiyn_identity::business_date(clock.now());
    let batches = args.payments.div_ceil(args.batch as u64);
    println!("backend: {description}");
    println!(
        "setup: {} payments (internal KZT transfers) in {} confirmations of up to {} documents, {} clients, each its own \
         user with its own two accounts and its own HTTP/1.1 keep-alive connection",
        args.payments, batches, args.batch, args.clients
    );
    println!(
        "partners: {}",
        match args.partners {
            1 => "every client is a user of the demo partner".to_owned(),
            n => format!("the clients are users of {n} partners (the demo partner and {} more), in turn", n - 1),
        }
    );
    println!(
        "server: the production app and settings over TCP on 127.0.0.1 in this process ({} cores shared by server and \
         clients); SMS to memory; the server's clock runs from 10:00 Almaty of {today}, a working day, so value dates are today",
        std::thread::available_parallelism().map(usize::from).unwrap_or(1)
    );

    let setup_started = Instant::now();
    let demo = tiyn_server::demo::seed(store.as_ref(), clock.now()).await.map_err(|error| error.to_string())?;
    let master = MasterKey::from_bytes(BENCH_MASTER_KEY);
    let sms = Arc::new(MemorySink::new());
    let identity = identity(&settings, Arc::clone(&store), &master, Arc::clone(&sms), clock.clone(), calendar);
    let state = app_state(&settings, Arc::clone(&store), identity, &master)?;
    let partners = partners(&store, demo.partner, args.partners, clock.now()).await?;
    let users = create_users(&store, &partners, args.clients, &master, clock.now()).await?;

    let listener = std::net::TcpListener::bind("127.0.0.1:0").map_err(|error| error.to_string())?;
    let addr = listener.local_addr().map_err(|error| error.to_string())?;
    let handle = axum_server::Handle::new();
    let server = tokio::spawn(tiyn_server::server::run(listener, build_app(state), None, handle.clone()));

    let mut signing_in = Vec::with_capacity(users.len());
    for user in users {
        let sms = Arc::clone(&sms);
        signing_in.push(tokio::spawn(async move { sign_in(addr, user, &sms).await }));
    }
    let mut clients = Vec::with_capacity(signing_in.len());
    for task in signing_in {
        clients.push(task.await.map_err(|error| error.to_string())??);
    }
    println!("setup took {:.1?} (not measured)", setup_started.elapsed());

    let work =
        Arc::new(Work { next: AtomicU64::new(0), batches, batch: args.batch as u64, payments: args.payments, today });
    let cpu_before = cpu_by_thread();
    let started = Instant::now();
    let mut running = Vec::with_capacity(clients.len());
    for client in clients {
        let (work, sms) = (Arc::clone(&work), Arc::clone(&sms));
        running.push(tokio::spawn(async move { client.run(&work, &sms, started).await }));
    }
    let mut samples = Samples::default();
    for task in running {
        samples.merge(task.await.map_err(|error| error.to_string())??);
    }
    let elapsed = started.elapsed();
    let cpu_after = cpu_by_thread();
    handle.graceful_shutdown(Some(Duration::from_secs(1)));
    let _ = server.await;

    let payments = samples.documents.len() as u64;
    let confirmations = samples.batch_us.len() as u64;
    let seconds = elapsed.as_secs_f64();
    println!(
        "{:.0} confirmed payments/s  (every document executed; drafts creation, signing and confirmation all counted)",
        samples.executed as f64 / seconds
    );
    println!(
        "{:.0} confirmations/s, {:.0} HTTP requests/s  ({} payments in {} confirmations in {:.2?})",
        confirmations as f64 / seconds,
        samples.requests as f64 / seconds,
        payments,
        confirmations,
        elapsed
    );
    samples.print_latencies(args.batch);
    samples.print_rate_over_the_run();
    print_cpu(&cpu_before, &cpu_after, elapsed);

    let stored_statuses = stored_statuses(&store, &partners, &samples.documents).await?;
    println!(
        "documents as stored: {}",
        stored_statuses.iter().map(|(status, count)| format!("{count} {status}")).collect::<Vec<_>>().join(", ")
    );
    let check_started = Instant::now();
    let check = store.check_ledger().await.map_err(|error| error.to_string())?;
    println!(
        "full ledger check (zero-sum, every balance against its postings, no partner below zero) took {:.1?}: {}",
        check_started.elapsed(),
        if check.is_sound() { "sound" } else { "NOT SOUND" }
    );
    if !check.is_sound() {
        eprintln!("ledger check: {check:?}");
    }
    Ok(PaymentsReport {
        payments,
        confirmations,
        elapsed,
        executed: samples.executed,
        stored_statuses,
        ledger_sound: check.is_sound(),
    })
}

/// The server's clock: 10:00 in Almaty (UTC+5) of today, or of the next working day when today is
/// a day off, plus the real time elapsed since the bench started. A value date must be a working
/// day and a document is executed on its value date, so the bench runs the same on any day.
#[derive(Debug)]
struct BenchClock {
    start: Timestamp,
    started: Instant,
}

impl BenchClock {
    fn on_a_working_day(calendar: &WorkingCalendar) -> Result<BenchClock, String> {
        let today = tiyn_identity::business_date(Timestamp::now());
        let day = match calendar.is_working_day(today) {
            true => today,
            false => calendar.next_working_day(today).map_err(|error| error.to_string())?,
        };
        let start = day
            .at(10, 0, 0, 0)
            .to_zoned(jiff::tz::TimeZone::fixed(jiff::tz::offset(5)))
            .map_err(|error| error.to_string())?
            .timestamp();
        Ok(BenchClock { start, started: Instant::now() })
    }
}

impl Clock for BenchClock {
    fn now(&self) -> Timestamp {
        let elapsed = jiff::SignedDuration::try_from(self.started.elapsed()).unwrap_or(jiff::SignedDuration::MAX);
        self.start.checked_add(elapsed).unwrap_or(self.start)
    }
}

/// The identity use cases as `tiyn serve` configures them from its default settings, with the SMS
/// going to memory.
fn identity(
    settings: &Settings,
    store: Arc<dyn Store>,
    master: &MasterKey,
    sms: Arc<MemorySink>,
    clock: Arc<BenchClock>,
    calendar: WorkingCalendar,
) -> Identity {
    let mut config = IdentityConfig::standard(PasswordHasher::default(), master, calendar);
    config.sessions = settings.security.sessions;
    config.codes = settings.security.codes;
    config.user_lockout = settings.security.lockout;
    config.password_policy = settings.password_policy.clone();
    Identity::new(store, sms, config, clock)
}

/// The application state `tiyn serve` builds from its default settings (outside demo mode). The
/// background jobs (`tiyn_server::payments::spawn_jobs`: documents due on a later value date, the
/// interbank outbox) are not started: the bench's documents are executed at confirmation.
fn app_state(
    settings: &Settings,
    store: Arc<dyn Store>,
    identity: Identity,
    master: &MasterKey,
) -> Result<AppState, String> {
    let reference = Arc::new(tiyn_refdata::ReferenceData::embedded().map_err(|error| error.to_string())?);
    let banking =
        tiyn_server::server::banking(settings, identity.clone(), reference).map_err(|error| error.to_string())?;
    Ok(AppState {
        store,
        metrics: Arc::new(Metrics::new()),
        identity,
        banking,
        gateway_key: Some(tiyn_server::payments::gateway_key_digest(master)),
        bank: settings.bank.clone(),
        trusted_proxies: tiyn_api::authz::TrustedProxies(settings.trusted_proxies.clone()),
        demo: false,
        tls: false,
        request_body_bytes_max: settings.request_body_bytes_max,
        request_timeout: settings.request_timeout,
    })
}

/// A bench user before signing in.
struct BenchUser {
    login: String,
    password: String,
    mobile: String,
    accounts: [AccountId; 2],
}

/// The demo partner, then `count - 1` bench partners (found again by BIN when they exist).
async fn partners(
    store: &Arc<dyn Store>,
    demo: PartnerId,
    count: usize,
    now: Timestamp,
) -> Result<Vec<PartnerId>, String> {
    let existing = store.partners().await.map_err(|error| error.to_string())?;
    let mut partners = vec![demo];
    for serial in 1..count {
        // Registered January 2020, resident legal entity (4), head office (0); the first serial
        // digit for which the Kazakhstan algorithm yields a check digit.
        let bin = (0..10)
            .find_map(|digit| Bin::with_check_digit(&format!("2001400{serial:03}{digit}")).ok())
            .ok_or_else(|| format!("no BIN for bench partner {serial}"))?;
        let id = match existing.iter().find(|partner| partner.bin == bin) {
            Some(partner) => partner.id,
            None => store
                .create_partner(NewPartner {
                    name: format!("Bench Partner {serial} LLP"),
                    bin,
                    legal_address: "Almaty".into(),
                    created_at: now,
                })
                .await
                .map_err(|error| error.to_string())?,
        };
        partners.push(id);
    }
    Ok(partners)
}

/// One user of the `confirm` level per client (client `i` in partner `i mod partners`), active,
/// each with two KZT accounts funded from the bank's equity; found again (by login, by IBAN, by
/// the opening balance's key) when they exist, as the demo seed does.
async fn create_users(
    store: &Arc<dyn Store>,
    partners: &[PartnerId],
    count: usize,
    master: &MasterKey,
    now: Timestamp,
) -> Result<Vec<BenchUser>, String> {
    let fail = |error: &dyn std::fmt::Display| error.to_string();
    // The bench's users sign in once, at setup: the cheap parameters keep setup short.
    let hasher = PasswordHasher::for_tests();
    let equity = store.bank_account(AccountKind::BankEquity, Currency::Kzt).await.map_err(|error| fail(&error))?;
    let mut users = Vec::with_capacity(count);
    let mut funding = Vec::new();
    for client in 0..count {
        let partner = partners[client % partners.len()];
        let opened = store.partner_accounts(partner).await.map_err(|error| fail(&error))?;
        let login = format!("payments-{client}@bench.tiyn.kz");
        let email = Email::parse(&login).map_err(|error| fail(&error))?;
        let mobile = MobileNumber::parse(&format!("+77020{client:06}")).map_err(|error| fail(&error))?;
        let password = tiyn_server::demo::demo_password(master, &login);
        let user = match store.user_by_login(&Login::Email(email.clone())).await.map_err(|error| fail(&error))? {
            Some(user) => user,
            None => {
                let id = store
                    .create_user(NewUser {
                        partner: Some(partner),
                        full_name: format!("Bench Client {client}"),
                        mobile: Some(mobile.clone()),
                        email: Some(email),
                        level: Some(AccessLevel::Confirm),
                        operator_role: None,
                        consent: Some(Consent { recorded_by: "tiyn bench payments".into(), recorded_at: now }),
                        created_at: now,
                    })
                    .await
                    .map_err(|error| fail(&error))?;
                store.user(id).await.map_err(|error| fail(&error))?.ok_or("a bench user vanished")?
            }
        };
        if user.status == UserStatus::PendingActivation {
            let hash = hasher.hash(&password, &mut rand::rng()).map_err(|error| fail(&error))?;
            store.activate_user(user.id, hash.as_phc_str(), now).await.map_err(|error| fail(&error))?;
        }
        let mut accounts = [AccountId::new(0); 2];
        for (side, account) in accounts.iter_mut().enumerate() {
            let serial = client * 2 + side;
            let iban = Iban::from_bban("KZ", &format!("{}P{serial:012}", tiyn_server::demo::DEMO_BANK_CODE))
                .map_err(|error| fail(&error))?;
            *account = match opened.iter().find(|account| account.iban.as_ref() == Some(&iban)) {
                Some(existing) => existing.id,
                None => {
                    let new = NewAccount {
                        partner: Some(partner),
                        iban: Some(iban.clone()),
                        currency: Currency::Kzt,
                        kind: AccountKind::PartnerCurrent,
                        name: format!("Bench {client}/{side}"),
                        created_at: now,
                    };
                    store.open_account(new).await.map_err(|error| fail(&error))?
                }
            };
            // Funded concurrently (group commit), once: the key names the account's IBAN.
            let (store, id) = (Arc::clone(store), *account);
            funding.push(tokio::spawn(async move {
                let amount = Amount::new(Money::from_minor(OPENING_BALANCE_MINOR, Currency::Kzt))
                    .map_err(|error| fail(&error))?;
                let entry = JournalEntry::transfer(equity, id, amount).map_err(|error| fail(&error))?;
                let action =
                    Action::Post { entry, kind: EntryKind::OpeningBalance, memo: "bench opening balance".into() };
                let key = IdempotencyKey::parse(&format!("bench-payments-opening-{}", iban.as_str()))
                    .map_err(|error| fail(&error))?;
                let command = Command::new(key, now, action).map_err(|error| fail(&error))?;
                store.execute(command).await.map_err(|error| fail(&error))
            }));
        }
        users.push(BenchUser { login, password, mobile: mobile.as_str().to_owned(), accounts });
    }
    for task in funding {
        task.await.map_err(|error| fail(&error))??;
    }
    Ok(users)
}

/// An HTTP/1.1 connection kept alive for one client's requests, one at a time.
struct Connection {
    sender: SendRequest<Full<Bytes>>,
    host: String,
}

impl Connection {
    async fn open(addr: SocketAddr) -> Result<Connection, String> {
        let stream = tokio::net::TcpStream::connect(addr).await.map_err(|error| error.to_string())?;
        stream.set_nodelay(true).map_err(|error| error.to_string())?;
        let (sender, connection) =
            hyper::client::conn::http1::handshake(TokioIo::new(stream)).await.map_err(|error| error.to_string())?;
        tokio::spawn(async move {
            // Ends when the client drops its sender or the server closes the connection.
            let _ = connection.await;
        });
        Ok(Connection { sender, host: addr.to_string() })
    }

    /// POSTs a JSON body; answers the status and the JSON body.
    async fn post(&mut self, path: &str, token: Option<&str>, body: &Value) -> Result<(u16, Value), String> {
        let mut request = hyper::Request::post(path)
            .header(hyper::header::HOST, &self.host)
            .header(hyper::header::CONTENT_TYPE, "application/json");
        if let Some(token) = token {
            request = request.header(hyper::header::AUTHORIZATION, format!("Bearer {token}"));
        }
        let request = request.body(Full::new(Bytes::from(body.to_string()))).map_err(|error| error.to_string())?;
        self.sender.ready().await.map_err(|error| format!("POST {path}: {error}"))?;
        let response = self.sender.send_request(request).await.map_err(|error| format!("POST {path}: {error}"))?;
        let status = response.status().as_u16();
        let bytes = response.into_body().collect().await.map_err(|error| format!("POST {path}: {error}"))?.to_bytes();
        let json =
            serde_json::from_slice(&bytes).unwrap_or_else(|_| Value::String(String::from_utf8_lossy(&bytes).into()));
        Ok((status, json))
    }
}

/// The digits of the code in the latest SMS to `mobile` (the first group of six or more digits:
/// the code comes before the count and total in the text).
fn last_code(sms: &MemorySink, mobile: &str) -> Result<String, String> {
    let text = sms.last_text_to(mobile).ok_or_else(|| format!("no SMS to {mobile}"))?;
    text.split(|c: char| !c.is_ascii_digit())
        .find(|word| word.len() >= 6)
        .map(str::to_owned)
        .ok_or_else(|| "no code in the SMS".to_owned())
}

/// Signs the user in through the API (password, then the SMS code) on its own connection.
async fn sign_in(addr: SocketAddr, user: BenchUser, sms: &MemorySink) -> Result<Client, String> {
    let mut connection = Connection::open(addr).await?;
    let (status, challenge) =
        connection.post("/api/v1/auth/login", None, &json!({"login": user.login, "password": user.password})).await?;
    if status != 200 {
        return Err(format!("login of {}: {status} {challenge}", user.login));
    }
    let code = last_code(sms, &user.mobile)?;
    let body = json!({"challenge_id": challenge["challenge_id"], "code": code});
    let (status, session) = connection.post("/api/v1/auth/login/confirm", None, &body).await?;
    let token = session["token"].as_str().filter(|_| status == 200);
    let token = token.ok_or_else(|| format!("login confirmation of {}: {status} {session}", user.login))?.to_owned();
    Ok(Client { connection, token, mobile: user.mobile, accounts: user.accounts })
}

/// The batches to make, shared by the clients: each takes the next until none is left.
struct Work {
    next: AtomicU64,
    batches: u64,
    batch: u64,
    payments: u64,
    today: Date,
}

impl Work {
    /// The size of the next batch to make, or `None` when all are taken.
    fn take(&self) -> Option<u64> {
        let index = self.next.fetch_add(1, Ordering::Relaxed);
        (index < self.batches).then(|| self.batch.min(self.payments - index * self.batch))
    }
}

/// A signed-in client.
struct Client {
    connection: Connection,
    token: String,
    mobile: String,
    accounts: [AccountId; 2],
}

/// What the clients measured.
#[derive(Debug, Default)]
struct Samples {
    /// One per batch: drafts + signing + confirmation.
    batch_us: Vec<u32>,
    /// One per batch: creating its drafts, one request after the other.
    drafts_us: Vec<u32>,
    /// One per draft.
    draft_us: Vec<u32>,
    signing_us: Vec<u32>,
    confirm_us: Vec<u32>,
    /// One per batch: when it was confirmed (since the measured phase began) and its size.
    done: Vec<(Duration, u64)>,
    /// Every document created.
    documents: Vec<DocumentId>,
    executed: u64,
    requests: u64,
}

impl Samples {
    fn merge(&mut self, other: Samples) {
        self.batch_us.extend(other.batch_us);
        self.drafts_us.extend(other.drafts_us);
        self.draft_us.extend(other.draft_us);
        self.signing_us.extend(other.signing_us);
        self.confirm_us.extend(other.confirm_us);
        self.done.extend(other.done);
        self.documents.extend(other.documents);
        self.executed += other.executed;
        self.requests += other.requests;
    }

    fn print_latencies(&mut self, batch: usize) {
        let total: u64 = self.batch_us.iter().map(|&us| u64::from(us)).sum::<u64>().max(1);
        let rows = [
            (format!("whole batch ({batch} drafts + signing + confirm)"), &mut self.batch_us),
            (format!("{batch} drafts, one after the other"), &mut self.drafts_us),
            ("one draft (POST /payments)".to_owned(), &mut self.draft_us),
            ("signing (POST /signing, code by SMS)".to_owned(), &mut self.signing_us),
            ("confirm (POST /signing/{id}/confirm)".to_owned(), &mut self.confirm_us),
        ];
        println!(
            "latency                                              p50        p99        max   share of batch time"
        );
        for (index, (name, values)) in rows.into_iter().enumerate() {
            values.sort_unstable();
            let sum: u64 = values.iter().map(|&us| u64::from(us)).sum();
            // The single draft is already inside the drafts row.
            let share = match index {
                0 => "100%".to_owned(),
                2 => String::new(),
                _ => format!("{:.0}%", sum as f64 * 100.0 / total as f64),
            };
            println!(
                "  {name:<48} {:>9} {:>10} {:>10}   {share}",
                micros(percentile(values, 50.0)),
                micros(percentile(values, 99.0)),
                micros(values.last().copied().unwrap_or(0)),
            );
        }
    }
}

impl Samples {
    /// Confirmed payments per second in each tenth of the run (by payments): shows whether the
    /// rate holds as the tables grow.
    fn print_rate_over_the_run(&mut self) {
        self.done.sort_unstable();
        let total: u64 = self.done.iter().map(|(_, size)| size).sum();
        if total < 10 {
            return;
        }
        let mut rates = Vec::with_capacity(10);
        let (mut counted, mut tenth, mut since, mut in_tenth) = (0_u64, 1_u64, Duration::ZERO, 0_u64);
        for (at, size) in &self.done {
            counted += size;
            in_tenth += size;
            if counted * 10 >= total * tenth {
                let seconds = at.saturating_sub(since).as_secs_f64().max(1e-6);
                rates.push(format!("{:.0}", in_tenth as f64 / seconds));
                (since, in_tenth, tenth) = (*at, 0, tenth + 1);
            }
        }
        println!("confirmed payments/s in each tenth of the run: {}", rates.join(" "));
    }
}

fn elapsed_us(since: Instant) -> u32 {
    u32::try_from(since.elapsed().as_micros()).unwrap_or(u32::MAX)
}

impl Client {
    /// Makes batches until none is left: drafts, signing, the code from the SMS, confirmation.
    async fn run(mut self, work: &Work, sms: &MemorySink, started: Instant) -> Result<Samples, String> {
        let mut samples = Samples::default();
        let mut rng = rand::rngs::StdRng::seed_from_u64(self.accounts[0].get() as u64);
        let value_date = work.today.to_string();
        let mut turn = 0_usize;
        while let Some(size) = work.take() {
            // Alternate the direction so that both accounts keep their money.
            let (from, to) = (self.accounts[turn % 2], self.accounts[(turn + 1) % 2]);
            turn += 1;
            let batch_started = Instant::now();
            let mut ids = Vec::with_capacity(size as usize);
            for _ in 0..size {
                let minor = rng.random_range(PAYMENT_MINOR_MIN..=PAYMENT_MINOR_MAX);
                let body = json!({
                    "kind": "internal",
                    "payer_account": from.to_string(),
                    "payee_account": to.to_string(),
                    "amount": {"amount": format!("{}.{:02}", minor / 100, minor % 100), "currency": "KZT"},
                    "knp": "343",
                    "purpose": "Перевод между своими счетами",
                    "value_date": value_date,
                });
                let sent = Instant::now();
                let (status, draft) = self.connection.post("/api/v1/payments", Some(&self.token), &body).await?;
                samples.draft_us.push(elapsed_us(sent));
                if status != 201 {
                    return Err(format!("draft: {status} {draft}"));
                }
                let id = draft["id"].as_str().ok_or_else(|| format!("draft without id: {draft}"))?;
                samples.documents.push(DocumentId::new(id.parse().map_err(|_| format!("draft id {id}"))?));
                ids.push(id.to_owned());
            }
            samples.drafts_us.push(elapsed_us(batch_started));

            let sent = Instant::now();
            let (status, signing) =
                self.connection.post("/api/v1/signing", Some(&self.token), &json!({"payment_ids": ids})).await?;
            samples.signing_us.push(elapsed_us(sent));
            if status != 201 {
                return Err(format!("signing: {status} {signing}"));
            }
            let challenge =
                signing["challenge_id"].as_str().ok_or_else(|| format!("signing without challenge: {signing}"))?;
            let code = last_code(sms, &self.mobile)?;

            let sent = Instant::now();
            let uri = format!("/api/v1/signing/{challenge}/confirm");
            let (status, results) = self.connection.post(&uri, Some(&self.token), &json!({"code": code})).await?;
            samples.confirm_us.push(elapsed_us(sent));
            samples.batch_us.push(elapsed_us(batch_started));
            samples.done.push((started.elapsed(), size));
            if status != 200 {
                return Err(format!("confirm: {status} {results}"));
            }
            let results = results["results"].as_array().ok_or_else(|| format!("confirm without results: {results}"))?;
            if results.len() as u64 != size {
                return Err(format!("confirm answered {} results for {size} documents", results.len()));
            }
            samples.executed += results.iter().filter(|result| result["status"] == "executed").count() as u64;
            samples.requests += size + 2;
        }
        Ok(samples)
    }
}

/// How many of `documents` the store holds in each status.
async fn stored_statuses(
    store: &Arc<dyn Store>,
    partners: &[PartnerId],
    documents: &[DocumentId],
) -> Result<BTreeMap<String, u64>, String> {
    let mut wanted: HashSet<DocumentId> = documents.iter().copied().collect();
    let mut statuses = BTreeMap::new();
    for &partner in partners {
        let mut before = None;
        while !wanted.is_empty() {
            let query = PaymentQuery { status: None, from: None, to: None, before, limit: PAYMENTS_PAGE_MAX };
            let page = store.payments(partner, query).await.map_err(|error| error.to_string())?;
            let Some(last) = page.last() else { break };
            before = Some(last.id);
            for record in &page {
                if wanted.remove(&record.id) {
                    *statuses.entry(record.status.as_str().to_owned()).or_insert(0) += 1;
                }
            }
        }
    }
    if !wanted.is_empty() {
        statuses.insert("missing".to_owned(), wanted.len() as u64);
    }
    Ok(statuses)
}

/// CPU time (on-CPU nanoseconds from `/proc/self/task/*/schedstat`) by thread name; empty where
/// that is not available (not Linux).
fn cpu_by_thread() -> BTreeMap<(u64, String), u64> {
    let mut threads = BTreeMap::new();
    let Ok(tasks) = std::fs::read_dir("/proc/self/task") else { return threads };
    for task in tasks.flatten() {
        let Ok(tid) = task.file_name().to_string_lossy().parse::<u64>() else { continue };
        let name = std::fs::read_to_string(task.path().join("comm")).unwrap_or_default().trim().to_owned();
        let schedstat = std::fs::read_to_string(task.path().join("schedstat")).unwrap_or_default();
        if let Some(on_cpu) = schedstat.split_whitespace().next().and_then(|ns| ns.parse::<u64>().ok()) {
            threads.insert((tid, name), on_cpu);
        }
    }
    threads
}

/// The process's CPU time during the measured phase, in total and by thread name.
fn print_cpu(before: &BTreeMap<(u64, String), u64>, after: &BTreeMap<(u64, String), u64>, wall: Duration) {
    if after.is_empty() {
        return;
    }
    let mut by_name: BTreeMap<&str, u64> = BTreeMap::new();
    for ((tid, name), on_cpu) in after {
        let spent = on_cpu.saturating_sub(before.get(&(*tid, name.clone())).copied().unwrap_or(0));
        *by_name.entry(name.as_str()).or_insert(0) += spent;
    }
    let total: u64 = by_name.values().sum();
    let cores = std::thread::available_parallelism().map(usize::from).unwrap_or(1);
    let wall_ns = wall.as_nanos().max(1) as f64;
    println!(
        "CPU of this process (server and clients) during the measured phase: {:.2} s in {:.2} s = {:.0}% of {cores} cores",
        total as f64 / 1e9,
        wall.as_secs_f64(),
        total as f64 * 100.0 / (wall_ns * cores as f64)
    );
    let mut names: Vec<(&str, u64)> = by_name.into_iter().filter(|(_, spent)| *spent > 0).collect();
    names.sort_by_key(|(_, spent)| std::cmp::Reverse(*spent));
    let listed: Vec<String> = names
        .iter()
        .map(|(name, spent)| {
            format!("{name} {:.2} s ({:.0}% busy)", *spent as f64 / 1e9, *spent as f64 * 100.0 / wall_ns)
        })
        .collect();
    println!("  by thread: {}", listed.join(", "));
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Issue 4: the payments benchmark runs end to end.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn the_payments_benchmark_runs_end_to_end() {
        let args = PaymentsBenchArgs { database: "sqlite".into(), clients: 2, batch: 3, payments: 12, partners: 1 };
        let report = measure_payments(args).await.expect("the benchmark runs");
        assert_eq!(report.payments, 12);
        assert_eq!(report.confirmations, 4, "2 clients × 2 batches of 3");
        assert_eq!(report.executed, 12, "{report:?}");
        assert!(report.is_sound(), "every document executed and the ledger sound: {report:?}");
    }
}
