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
        Command::SettingsDoc => {
            print!("{}", markdown_table());
            ExitCode::SUCCESS
        }
    }
}

fn fail(message: &str) -> ExitCode {
    eprintln!("tiyn: {message}");
    ExitCode::FAILURE
}
