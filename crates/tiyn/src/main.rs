//! `tiyn`: the command line. Glue only — every subcommand calls into `tiyn_server` or `tiyn_bench`.

use std::process::ExitCode;

use clap::{Parser, Subcommand};
use tiyn_bench::LedgerBenchArgs;
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
enum BenchCommand {
    /// Concurrent transfers through the ledger: throughput, latency, zero-sum check.
    Ledger(LedgerBenchArgs),
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
        Command::Dev(DevCommand::TestDatabase) => match tiyn_store_postgres::cluster::fresh_test_database() {
            Ok(url) => {
                println!("{url}");
                ExitCode::SUCCESS
            }
            Err(error) => fail(&error),
        },
        Command::Audit(command) => audit(command).await,
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
                println!("{purged} audit records older than {} years deleted", tiyn_server::audit::AUDIT_RETENTION_YEARS);
                ExitCode::SUCCESS
            }
            Err(error) => fail(&error.to_string()),
        },
    }
}

fn fail(message: &str) -> ExitCode {
    eprintln!("tiyn: {message}");
    ExitCode::FAILURE
}
