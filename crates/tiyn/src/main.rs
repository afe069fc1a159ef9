//! `tiyn`: the command line. Glue only — every subcommand calls into `tiyn_server` or `tiyn_bench`.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};
use tiyn_api::admin::{CreateOperatorRequest, application_from_json, problem_text};
use tiyn_bench::{ExportBenchArgs, LedgerBenchArgs, PaymentsBenchArgs};
use tiyn_identity::{BankActor, BankIdentity, Context, Identity};
use tiyn_server::settings::{LogFormat, ServeArgs, Settings, markdown_table};

/// Tiyn: business e-banking for Kazakhstan.
#[derive(Debug, Parser)]
#[command(name = "tiyn", version, about)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Run the server (API, cabinet, metrics). `tiyn serve --demo` for a demo with sample data.
    Serve(ServeArgs),
    /// Open the database, apply migrations, and exit.
    Migrate(ServeArgs),
    /// Benchmarks.
    #[command(subcommand)]
    Bench(BenchCommand),
    /// The audit trail: verify its chain, purge records past retention.
    #[command(subcommand)]
    Audit(AuditCommand),
    /// The bank's console: operators, partners from their applications, blocks and lockouts, FX
    /// rates.
    /// Uses the same settings as `serve` (database, secret key file, SMS file); every action is
    /// audited with no actor and `via: cli`.
    #[command(subcommand)]
    Admin(AdminCommand),
    /// Print the settings table (Markdown) for the README.
    SettingsDoc,
    /// Tools for the project's own tests.
    #[command(subcommand, hide = true)]
    Dev(DevCommand),
}

#[derive(Debug, Subcommand)]
enum DevCommand {
    /// Print the URL of a fresh, empty PostgreSQL database on the shared throwaway test cluster
    /// (started if needed; `TIYN_TEST_DATABASE_URL` names another server). Used by the e2e tests.
    /// The database belongs to the calling process: a later test drops it once that has ended.
    TestDatabase,
}

#[derive(Debug, Subcommand)]
enum AuditCommand {
    /// Check that no record was altered, inserted or removed: exit 0 when the chain is
    /// intact, 1 naming the first broken record. Uses the same settings as `serve` (database,
    /// secret key file).
    Verify(ServeArgs),
    /// Delete records older than 5 years (the server also does this daily).
    Purge(ServeArgs),
}

#[derive(Debug, Subcommand)]
enum AdminCommand {
    /// Create a bank operator, pending activation: they activate with an SMS code and choose a
    /// password (`POST /api/v1/auth/activation`), as any user.
    CreateOperator {
        #[arg(long)]
        full_name: String,
        /// The operator's Kazakhstan mobile number: codes go there.
        #[arg(long)]
        mobile: String,
        #[arg(long)]
        email: Option<String>,
        /// `administrator` (connects partners, manages operators), `security` (blocks and
        /// unblocks users, lifts lockouts) or `viewer` (reads partners and the audit trail).
        #[arg(long, default_value = "administrator")]
        role: String,
        #[command(flatten)]
        settings: ServeArgs,
    },
    /// Create a partner from its application: a JSON file shaped like the body of
    /// `POST /api/admin/v1/partners`.
    CreatePartner {
        #[arg(long, value_name = "FILE")]
        application: PathBuf,
        /// The bank's 3-digit code in the new accounts' IBANs.
        #[arg(long, value_name = "CODE", default_value = tiyn_server::demo::DEMO_BANK_CODE)]
        bank_code: String,
        #[command(flatten)]
        settings: ServeArgs,
    },
    /// Block a user at once (the bank's block): their sessions end.
    BlockUser(LoginArgs),
    /// Lift any block of a user (the bank's, the partner's, lost access means).
    UnblockUser(LoginArgs),
    /// Lift a lockout after repeated failed passwords or codes.
    ClearLockout(LoginArgs),
    /// The bank's FX rates: set a dealing rate, import the National Bank's official rates.
    #[command(subcommand)]
    Rates(RatesCommand),
    /// Print the key the interbank gateway presents (`Authorization: Bearer …`) on
    /// `/api/gateway/v1/status` and `/incoming`: derived from the server's master key, so every
    /// process sharing the key file accepts it. Treat it as a secret.
    GatewayKey {
        #[command(flatten)]
        settings: ServeArgs,
    },
    /// The reference directories (KNP, KBK, KBe, banks, foreign banks): load an updated file, show
    /// what is in force. Servers use a loaded file from their next start.
    #[command(subcommand)]
    Directories(DirectoriesCommand),
}

/// The names `--kind` takes (`tiyn_refdata::DirectoryKind::as_str`).
const DIRECTORY_KINDS: [&str; 5] = ["knp", "kbk", "kbe", "banks", "foreign-banks"];

#[derive(Debug, Subcommand)]
enum DirectoriesCommand {
    /// Replace one directory with a CSV file in the columns of the compiled-in one
    /// (data/kz/*.csv, data/swift/foreign_banks.csv). The file is checked together with the other
    /// directories in force: any problem refuses it whole, naming the file and the line, and
    /// nothing changes. Audited; running servers use it from their next start.
    Load {
        #[arg(long, value_parser = DIRECTORY_KINDS)]
        kind: String,
        /// The CSV file (UTF-8, with a header line).
        #[arg(long, value_name = "PATH")]
        file: PathBuf,
        #[command(flatten)]
        settings: ServeArgs,
    },
    /// Print what is in force at the next start of a server: the compiled-in file, or the file
    /// loaded when and by whom; with its number of entries. Every directory when `--kind` is absent.
    Show {
        #[arg(long, value_parser = DIRECTORY_KINDS)]
        kind: Option<String>,
        #[command(flatten)]
        settings: ServeArgs,
    },
}

#[derive(Debug, Subcommand)]
enum RatesCommand {
    /// Import one day of the National Bank of Kazakhstan's official rates from its XML
    /// (`get_rates.cfm?fdate=DD.MM.YYYY` or `rates_all.xml`): a file, or an http(s) URL fetched
    /// once. Importing the same day again changes nothing; a corrected rate replaces the stored
    /// one and is reported.
    ImportNbk {
        /// A file path, or `https://nationalbank.kz/rss/get_rates.cfm?fdate=31.07.2026`.
        #[arg(value_name = "FILE|URL")]
        source: String,
        #[command(flatten)]
        settings: ServeArgs,
    },
    /// Set the bank's buy and sell rate of a pair (units of QUOTE per one BASE), from now or
    /// from `--valid-from` on: `tiyn admin rates set USD KZT --buy 470.00 --sell 480.00`.
    Set {
        /// The currency bought and sold (`USD`).
        base: String,
        /// The currency it is priced in (`KZT`, or another currency for a cross rate).
        quote: String,
        /// The rate at which the bank buys BASE (at most 6 decimals).
        #[arg(long)]
        buy: String,
        /// The rate at which the bank sells BASE (at least the buy rate).
        #[arg(long)]
        sell: String,
        /// RFC 3339 instant, now or later (`2026-11-25T09:00:00+05:00`); now when absent.
        #[arg(long)]
        valid_from: Option<String>,
        #[command(flatten)]
        settings: ServeArgs,
    },
}

#[derive(Debug, clap::Args)]
struct LoginArgs {
    /// The user's mobile number or email address.
    #[arg(long)]
    login: String,
    #[command(flatten)]
    settings: ServeArgs,
}

#[derive(Debug, Subcommand)]
enum BenchCommand {
    /// Concurrent transfers through the ledger: throughput, latency, zero-sum check.
    Ledger(LedgerBenchArgs),
    /// Confirmed internal payments per second through the HTTP API (drafts, signing, confirmation
    /// with the SMS code), each client its own signed-in user; latency, and the ledger check.
    /// The server logs warnings and errors only, unless `RUST_LOG` is set.
    Payments(PaymentsBenchArgs),
    /// Statement exports (CSV, XLSX, MT940, camt.053, 1C) of a synthetic statement, or with
    /// `--database` of one seeded into a store and read back page by page, streamed to a file:
    /// rows per second, output size and peak memory, each format in its own process.
    Export(ExportBenchArgs),
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let runtime = match tokio::runtime::Builder::new_multi_thread().enable_all().build() {
        Ok(runtime) => runtime,
        Err(error) => return fail(&format!("cannot start the async runtime: {error}")),
    };
    runtime.block_on(run(cli.command))
}

async fn run(command: Command) -> ExitCode {
    match command {
        Command::Serve(args) => {
            let settings = match Settings::resolve(&args) {
                Ok(settings) => settings,
                Err(error) => return fail(&error.to_string()),
            };
            tiyn_server::telemetry::init(settings.log_format);
            match tiyn_server::serve(settings).await {
                Ok(()) => ExitCode::SUCCESS,
                Err(error) => fail(&error.to_string()),
            }
        }
        Command::Migrate(args) => {
            let settings = match Settings::resolve(&args) {
                Ok(settings) => settings,
                Err(error) => return fail(&error.to_string()),
            };
            tiyn_server::telemetry::init(settings.log_format);
            match tiyn_server::server::open(&settings).await {
                Ok(store) => {
                    println!("database ({}) is migrated", store.backend_name());
                    ExitCode::SUCCESS
                }
                Err(error) => fail(&error.to_string()),
            }
        }
        Command::Bench(BenchCommand::Ledger(args)) => {
            tiyn_server::telemetry::init(LogFormat::Pretty);
            match tiyn_bench::run_ledger(args).await {
                Ok(()) => ExitCode::SUCCESS,
                Err(error) => fail(&error.to_string()),
            }
        }
        // Logs: warnings and errors unless RUST_LOG says otherwise (`tiyn_bench::run_payments`).
        Command::Bench(BenchCommand::Payments(args)) => match tiyn_bench::run_payments(args).await {
            Ok(()) => ExitCode::SUCCESS,
            Err(error) => fail(&error),
        },
        Command::Bench(BenchCommand::Export(args)) => match tiyn_bench::run_export(args).await {
            Ok(()) => ExitCode::SUCCESS,
            Err(error) => fail(&error),
        },
        Command::Dev(DevCommand::TestDatabase) => {
            match tiyn_store_postgres::cluster::fresh_test_database_owned_by(std::os::unix::process::parent_id()) {
                Ok(url) => {
                    println!("{url}");
                    ExitCode::SUCCESS
                }
                Err(error) => fail(&error),
            }
        }
        Command::Audit(command) => audit(command).await,
        Command::Admin(command) => admin(command).await,
        Command::SettingsDoc => {
            print!("{}", markdown_table());
            ExitCode::SUCCESS
        }
    }
}

async fn audit(command: AuditCommand) -> ExitCode {
    let (AuditCommand::Verify(args) | AuditCommand::Purge(args)) = &command;
    let settings = match Settings::resolve(args) {
        Ok(settings) => settings,
        Err(error) => return fail(&error.to_string()),
    };
    tiyn_server::telemetry::init(settings.log_format);
    let store = match tiyn_server::server::open(&settings).await {
        Ok(store) => store,
        Err(error) => return fail(&error.to_string()),
    };
    match command {
        AuditCommand::Verify(_) => {
            let key = match tiyn_server::secrets::load_master_key(&settings.secret_key_file) {
                Ok(master) => master.audit_key(),
                Err(error) => return fail(&error.to_string()),
            };
            match tiyn_server::audit::verify(store.as_ref(), &key).await {
                Ok(Ok(verified)) => {
                    println!(
                        "audit trail intact: {} records checked, chain ends at record {}",
                        verified.records, verified.last_id
                    );
                    ExitCode::SUCCESS
                }
                Ok(Err(broken)) => {
                    println!("audit trail BROKEN: {broken}");
                    ExitCode::FAILURE
                }
                Err(error) => fail(&error.to_string()),
            }
        }
        AuditCommand::Purge(_) => match tiyn_server::audit::purge(store.as_ref(), jiff::Timestamp::now()).await {
            Ok(purged) => {
                println!(
                    "{purged} audit records older than {} years deleted",
                    tiyn_server::audit::AUDIT_RETENTION_YEARS
                );
                ExitCode::SUCCESS
            }
            Err(error) => fail(&error.to_string()),
        },
    }
}

/// Opens the store and the identity use cases as `serve` does, and runs one console action.
async fn admin(command: AdminCommand) -> ExitCode {
    let args = match &command {
        AdminCommand::CreateOperator { settings, .. } | AdminCommand::CreatePartner { settings, .. } => settings,
        AdminCommand::BlockUser(args) | AdminCommand::UnblockUser(args) | AdminCommand::ClearLockout(args) => {
            &args.settings
        }
        AdminCommand::Rates(RatesCommand::ImportNbk { settings, .. } | RatesCommand::Set { settings, .. }) => settings,
        AdminCommand::GatewayKey { settings } => settings,
        AdminCommand::Directories(
            DirectoriesCommand::Load { settings, .. } | DirectoriesCommand::Show { settings, .. },
        ) => settings,
    };
    let settings = match Settings::resolve(args) {
        Ok(settings) => settings,
        Err(error) => return fail(&error.to_string()),
    };
    if let AdminCommand::GatewayKey { .. } = command {
        // Never creates a key: a new one would not be the running servers'.
        return match tiyn_server::secrets::load_master_key(&settings.secret_key_file) {
            Ok(master) => {
                println!("{}", tiyn_server::payments::gateway_key(&master));
                ExitCode::SUCCESS
            }
            Err(error) => fail(&error.to_string()),
        };
    }
    tiyn_server::telemetry::init(settings.log_format);
    let store = match tiyn_server::server::open(&settings).await {
        Ok(store) => store,
        Err(error) => return fail(&error.to_string()),
    };
    let master = match tiyn_server::secrets::load_or_create_master_key(&settings.secret_key_file) {
        Ok(master) => master,
        Err(error) => return fail(&error.to_string()),
    };
    let identity = match tiyn_server::server::identity(&settings, store, &master, Default::default()) {
        Ok(identity) => identity,
        Err(error) => return fail(&error.to_string()),
    };
    if let AdminCommand::Directories(command) = command {
        return match directories_action(&identity, command).await {
            Ok(report) => {
                println!("{report}");
                ExitCode::SUCCESS
            }
            Err(message) => fail(&message),
        };
    }
    if let AdminCommand::Rates(command) = command {
        let banking = match tiyn_server::server::load_reference_data()
            .and_then(|reference| tiyn_server::server::banking(&settings, identity, reference))
        {
            Ok(banking) => banking,
            Err(error) => return fail(&error.to_string()),
        };
        return match rates_action(&banking, command).await {
            Ok(report) => {
                println!("{report}");
                ExitCode::SUCCESS
            }
            Err(message) => fail(&message),
        };
    }
    match admin_action(&identity, command).await {
        Ok(report) => {
            println!("{report}");
            ExitCode::SUCCESS
        }
        Err(message) => fail(&message),
    }
}

async fn admin_action(identity: &Identity, command: AdminCommand) -> Result<String, String> {
    let context = Context { source_ip: None, user_agent: Some("tiyn admin".to_owned()) };
    let actor = BankActor::console(None);
    match command {
        AdminCommand::CreateOperator { full_name, mobile, email, role, .. } => {
            let input = CreateOperatorRequest { full_name, mobile, email, role }
                .into_operator()
                .map_err(|e| problem_text(&e))?;
            let user = identity.create_operator(&context, &actor, input).await.map_err(|e| e.to_string())?;
            Ok(format!(
                "operator {} ({}) created, {}: they activate with an SMS code (POST /api/v1/auth/activation)",
                user.id,
                user.full_name,
                user.status.as_str()
            ))
        }
        AdminCommand::CreatePartner { application, bank_code, .. } => {
            let text = std::fs::read_to_string(&application)
                .map_err(|error| format!("cannot read {}: {error}", application.display()))?;
            let application = application_from_json(&text).map_err(|e| problem_text(&e))?;
            let bank = BankIdentity::new(&bank_code).map_err(|error| format!("bank code {bank_code:?}: {error}"))?;
            let created = identity
                .create_partner_from_application(&context, &actor, &bank, application)
                .await
                .map_err(|e| e.to_string())?;
            let mut report = format!(
                "partner {} {} (BIN {}) created",
                created.partner.id,
                created.partner.name,
                created.partner.bin.as_str()
            );
            for account in &created.accounts {
                let iban = account.iban.as_ref().map_or("-", |iban| iban.as_str());
                report.push_str(&format!("\n  account {} {iban} {} {}", account.id, account.currency, account.name));
            }
            for user in &created.users {
                let level = user.level.map_or("-", |level| level.as_str());
                report.push_str(&format!(
                    "\n  user {} {} ({level}), {}",
                    user.id,
                    user.full_name,
                    user.status.as_str()
                ));
            }
            Ok(report)
        }
        AdminCommand::BlockUser(args) => {
            let user = identity.user_by_login_for_bank(&args.login).await.map_err(|e| e.to_string())?;
            identity.bank_block_user(&context, &actor, user.id).await.map_err(|e| e.to_string())?;
            Ok(format!("user {} blocked by the bank; their sessions ended", user.id))
        }
        AdminCommand::UnblockUser(args) => {
            let user = identity.user_by_login_for_bank(&args.login).await.map_err(|e| e.to_string())?;
            identity.bank_unblock_user(&context, &actor, user.id).await.map_err(|e| e.to_string())?;
            Ok(format!("user {} unblocked", user.id))
        }
        AdminCommand::ClearLockout(args) => {
            let user = identity.user_by_login_for_bank(&args.login).await.map_err(|e| e.to_string())?;
            identity.clear_lockout(&context, &actor, user.id).await.map_err(|e| e.to_string())?;
            Ok(format!("lockout of user {} cleared", user.id))
        }
        AdminCommand::Rates(_) => Err("rates commands run through the payment services".to_owned()),
        AdminCommand::GatewayKey { .. } => Err("the gateway key is printed before the store is opened".to_owned()),
        AdminCommand::Directories(_) => Err("directories commands run on their own".to_owned()),
    }
}

/// How long fetching the NBK's file may take: its server answers in well under a second.
const NBK_FETCH_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(20);

/// The console's rates commands, audited as the console's actions.
async fn rates_action(banking: &tiyn_banking::Banking, command: RatesCommand) -> Result<String, String> {
    let context = Context { source_ip: None, user_agent: Some("tiyn admin".to_owned()) };
    let actor = BankActor::console(None);
    match command {
        RatesCommand::ImportNbk { source, .. } => {
            let bytes = if source.starts_with("http://") || source.starts_with("https://") {
                let options = tiyn_notify::http::SignedClientOptions {
                    connect_timeout: NBK_FETCH_TIMEOUT,
                    request_timeout: NBK_FETCH_TIMEOUT,
                    ca_pem: None,
                };
                tiyn_notify::http::get(&source, &options, tiyn_fx::nbk::NBK_XML_BYTES_MAX)
                    .await
                    .map_err(|error| format!("cannot fetch {source}: {error}"))?
            } else {
                std::fs::read(&source).map_err(|error| format!("cannot read {source}: {error}"))?
            };
            let rates =
                tiyn_fx::nbk::parse_bytes(&bytes).map_err(|error| format!("{source}: {error} ({})", error.code()))?;
            let import = banking.import_nbk_rates(&context, &actor, &rates).await.map_err(|e| e.to_string())?;
            let list =
                |codes: &[String]| if codes.is_empty() { String::new() } else { format!(" ({})", codes.join(", ")) };
            let replaced: Vec<String> =
                import.replaced.iter().map(|r| format!("{} {} → {}", r.code, r.before, r.after)).collect();
            let unsupported: Vec<String> =
                rates.items.iter().filter(|item| item.currency.is_none()).map(|item| item.code.clone()).collect();
            let mut report = format!(
                "NBK official rates of {}: {} added{}, {} replaced{}, {} unchanged",
                rates.date,
                import.added.len(),
                list(&import.added),
                import.replaced.len(),
                list(&replaced),
                import.unchanged.len(),
            );
            if !unsupported.is_empty() {
                report
                    .push_str(&format!("; kept as reference, not supported as currencies: {}", unsupported.join(", ")));
            }
            Ok(report)
        }
        RatesCommand::Set { base, quote, buy, sell, valid_from, .. } => {
            let raw = tiyn_banking::rates::RawRate { base, quote, buy, sell, valid_from };
            let rate = banking.parse_rate(&raw).map_err(|errors| {
                let mut text = "the rate is refused".to_owned();
                for error in errors {
                    text.push_str(&format!("\n  {}: {} ({})", error.field, error.detail, error.code));
                }
                text
            })?;
            let stored = banking.set_rate(&context, &actor, rate).await.map_err(|e| e.to_string())?;
            Ok(format!(
                "rate {} set: {} buy {} sell {} from {}",
                stored.id(),
                stored.pair(),
                stored.buy(),
                stored.sell(),
                stored.valid_from()
            ))
        }
    }
}

/// The console's directories commands (R-3.1.2.2): a load is audited as the console's action.
async fn directories_action(identity: &Identity, command: DirectoriesCommand) -> Result<String, String> {
    use tiyn_server::directories::{self, DirectoryKind, Origin};
    let kind_of = |text: &str| DirectoryKind::parse(text).ok_or_else(|| format!("no directory {text:?}"));
    match command {
        DirectoriesCommand::Load { kind, file, .. } => {
            let kind = kind_of(&kind)?;
            let name = file.display().to_string();
            let bytes = std::fs::read(&file).map_err(|error| format!("cannot read {name}: {error}"))?;
            let text = String::from_utf8(bytes).map_err(|error| {
                format!(
                    "{name} is refused, nothing changed: not UTF-8 text (byte {})",
                    error.utf8_error().valid_up_to()
                )
            })?;
            let context = Context { source_ip: None, user_agent: Some("tiyn admin".to_owned()) };
            let actor = BankActor::console(None);
            let stored = directories::load(identity, &context, &actor, kind, &name, text)
                .await
                .map_err(|error| error.to_string())?;
            Ok(format!(
                "{kind}: {} entries from {name} loaded (text {}); servers use them from their next start",
                stored.rows, stored.id
            ))
        }
        DirectoriesCommand::Show { kind, .. } => {
            let only = kind.as_deref().map(kind_of).transpose()?;
            let (_, in_force) = directories::in_force(identity.store().as_ref()).await.map_err(|e| e.to_string())?;
            let lines: Vec<String> = in_force
                .iter()
                .filter(|directory| only.is_none_or(|kind| kind == directory.kind))
                .map(|directory| match &directory.origin {
                    Origin::Embedded => {
                        format!(
                            "{:<14} {:>6} entries  embedded (compiled into this build)",
                            directory.kind, directory.rows
                        )
                    }
                    Origin::Loaded(text) => format!(
                        "{:<14} {:>6} entries  loaded {} by {} from {} (text {})",
                        directory.kind, directory.rows, text.loaded_at, text.loaded_by_name, text.source, text.id
                    ),
                })
                .collect();
            Ok(lines.join("\n"))
        }
    }
}

fn fail(message: &str) -> ExitCode {
    eprintln!("tiyn: {message}");
    ExitCode::FAILURE
}
