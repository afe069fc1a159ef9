//! The server's settings and where they come from: defaults < TOML file (`--config`) <
//! environment (`TIYN_*`) < command-line flags. [`SETTINGS`] is the one table that documents
//! them; `tiyn settings-doc` prints it as Markdown for the README, and tests check that it
//! matches the flags and the file format.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::Deserialize;

use tiyn_backend::DatabaseLocation;

/// Where the server listens unless told otherwise: loopback only, so a first run exposes nothing.
pub const LISTEN_DEFAULT: &str = "127.0.0.1:8080";
pub const DATA_DIR_DEFAULT: &str = "./tiyn-data";
/// The largest request body read. JSON requests are small; the largest planned upload (a batch
/// of payment orders, `POST /payments/import`) stays well under 1 MiB for hundreds of orders.
pub const REQUEST_BODY_BYTES_MAX_DEFAULT: usize = 1024 * 1024;
/// How long one request may take before it is answered 503. The slowest planned request (a
/// 3-year statement export) takes seconds; 30 s bounds a stuck request without cutting it off.
pub const REQUEST_TIMEOUT_SECONDS_DEFAULT: u64 = 30;
/// How long a shutdown waits for requests in flight before closing connections.
pub const SHUTDOWN_GRACE_SECONDS_DEFAULT: u64 = 10;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "lowercase")]
pub enum LogFormat {
    /// Human-readable lines, for a terminal.
    Pretty,
    /// One JSON object per line, for log collectors.
    Json,
}

/// The settings as flags and environment variables. Every field is optional so that an absent flag
/// falls through to the file and then the default. Booleans take `--demo` or `--demo=false`.
#[derive(Debug, Clone, Default, clap::Args)]
pub struct ServeArgs {
    /// TOML settings file; its keys are the long flag names with `_` for `-`.
    #[arg(long, env = "TIYN_CONFIG", value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// Address and port to listen on (port 0 picks a free port; the bound address is printed).
    #[arg(long, env = "TIYN_LISTEN", value_name = "ADDR")]
    pub listen: Option<SocketAddr>,
    /// Directory for the SQLite database and other local files.
    #[arg(long, env = "TIYN_DATA_DIR", value_name = "DIR")]
    pub data_dir: Option<PathBuf>,
    /// `sqlite` (a file in the data directory), `sqlite:PATH`, or `postgres://USER@HOST/DB`.
    #[arg(long, env = "TIYN_DATABASE", value_name = "URL")]
    pub database: Option<String>,
    /// Demo mode: seed a demo bank, two demo partners and their users; print their credentials.
    #[arg(long, env = "TIYN_DEMO", num_args = 0..=1, require_equals = true, default_missing_value = "true", value_name = "BOOL")]
    pub demo: Option<bool>,
    /// Log format.
    #[arg(long, env = "TIYN_LOG_FORMAT", value_name = "FORMAT")]
    pub log_format: Option<LogFormat>,
    /// PEM certificate chain; with --tls-key, the server speaks HTTPS.
    #[arg(long, env = "TIYN_TLS_CERT", value_name = "FILE")]
    pub tls_cert: Option<PathBuf>,
    /// PEM private key for --tls-cert.
    #[arg(long, env = "TIYN_TLS_KEY", value_name = "FILE")]
    pub tls_key: Option<PathBuf>,
    /// Start even if the database does not fsync commits (never in production).
    #[arg(long, env = "TIYN_ALLOW_NON_DURABLE", num_args = 0..=1, require_equals = true, default_missing_value = "true", value_name = "BOOL")]
    pub allow_non_durable: Option<bool>,
    /// Largest accepted request body, in bytes.
    #[arg(long, env = "TIYN_REQUEST_BODY_BYTES_MAX", value_name = "BYTES")]
    pub request_body_bytes_max: Option<usize>,
    /// Time limit for one request, in seconds.
    #[arg(long, env = "TIYN_REQUEST_TIMEOUT_SECONDS", value_name = "SECONDS")]
    pub request_timeout_seconds: Option<u64>,
    /// Grace period for requests in flight at shutdown, in seconds.
    #[arg(long, env = "TIYN_SHUTDOWN_GRACE_SECONDS", value_name = "SECONDS")]
    pub shutdown_grace_seconds: Option<u64>,
    /// File holding the installation's master key (base64, 32 bytes); created if missing.
    #[arg(long, env = "TIYN_SECRET_KEY_FILE", value_name = "FILE")]
    pub secret_key_file: Option<PathBuf>,
    /// File the SMS sink appends outgoing messages to (one JSON object per line).
    #[arg(long, env = "TIYN_SMS_FILE", value_name = "FILE")]
    pub sms_file: Option<PathBuf>,
    /// The SMS provider's webhook (http:// or https://); when set, SMS are posted there, signed.
    #[arg(long, env = "TIYN_SMS_WEBHOOK_URL", value_name = "URL")]
    pub sms_webhook_url: Option<String>,
    /// File holding the SMS webhook's shared secret; required with --sms-webhook-url.
    #[arg(long, env = "TIYN_SMS_WEBHOOK_SECRET_FILE", value_name = "FILE")]
    pub sms_webhook_secret_file: Option<PathBuf>,
    /// The interbank gateway (http:// or https://); when set, outgoing payments are posted there as
    /// signed pacs.008.
    #[arg(long, env = "TIYN_GATEWAY_URL", value_name = "URL")]
    pub gateway_url: Option<String>,
    /// File holding the interbank gateway's shared secret; required with --gateway-url.
    #[arg(long, env = "TIYN_GATEWAY_SECRET_FILE", value_name = "FILE")]
    pub gateway_secret_file: Option<PathBuf>,
    /// A session ends after this many seconds without user activity.
    #[arg(long, env = "TIYN_SESSION_IDLE_SECONDS", value_name = "SECONDS")]
    pub session_idle_seconds: Option<u32>,
    /// A session ends this many seconds after login, whatever the activity.
    #[arg(long, env = "TIYN_SESSION_ABSOLUTE_SECONDS", value_name = "SECONDS")]
    pub session_absolute_seconds: Option<u32>,
    /// Lifetime of a one-time code, in seconds (shown to the user).
    #[arg(long, env = "TIYN_CODE_LIFETIME_SECONDS", value_name = "SECONDS")]
    pub code_lifetime_seconds: Option<u32>,
    /// How long a conversion's quote holds the bank's rates, in seconds.
    #[arg(long, env = "TIYN_CONVERSION_QUOTE_SECONDS", value_name = "SECONDS")]
    pub conversion_quote_seconds: Option<u32>,
    /// Foreign transfers above this amount (its equivalent) need the contract, e.g. "10000.00 USD".
    #[arg(long, env = "TIYN_FOREIGN_CONTRACT_THRESHOLD", value_name = "AMOUNT CURRENCY")]
    pub foreign_contract_threshold: Option<String>,
    /// Consecutive failed passwords or codes that lock a user.
    #[arg(long, env = "TIYN_LOCKOUT_FAILURES", value_name = "N")]
    pub lockout_failures: Option<u32>,
    /// The bank's 3-digit code in Kazakhstan IBANs (positions 5-7), for the accounts it opens.
    #[arg(long, env = "TIYN_BANK_CODE", value_name = "CODE")]
    pub bank_code: Option<String>,
    /// Fewest characters of a password.
    #[arg(long, env = "TIYN_PASSWORD_LENGTH_MIN", value_name = "CHARS")]
    pub password_length_min: Option<usize>,
    /// Most characters of a password.
    #[arg(long, env = "TIYN_PASSWORD_LENGTH_MAX", value_name = "CHARS")]
    pub password_length_max: Option<usize>,
    /// A file of refused passwords, one per line, used instead of the shipped common list.
    #[arg(long, env = "TIYN_PASSWORD_BLOCKLIST_FILE", value_name = "FILE")]
    pub password_blocklist_file: Option<PathBuf>,
    /// Reverse proxies (comma-separated IP addresses) whose X-Forwarded-For names the client.
    #[arg(long, env = "TIYN_TRUSTED_PROXIES", value_name = "IPS")]
    pub trusted_proxies: Option<String>,
}

/// The settings file. Unknown keys are refused: a typo must not silently fall back to a default.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FileSettings {
    pub listen: Option<SocketAddr>,
    pub data_dir: Option<PathBuf>,
    pub database: Option<String>,
    pub demo: Option<bool>,
    pub log_format: Option<LogFormat>,
    pub tls_cert: Option<PathBuf>,
    pub tls_key: Option<PathBuf>,
    pub allow_non_durable: Option<bool>,
    pub request_body_bytes_max: Option<usize>,
    pub request_timeout_seconds: Option<u64>,
    pub shutdown_grace_seconds: Option<u64>,
    pub secret_key_file: Option<PathBuf>,
    pub sms_file: Option<PathBuf>,
    pub sms_webhook_url: Option<String>,
    pub sms_webhook_secret_file: Option<PathBuf>,
    pub gateway_url: Option<String>,
    pub gateway_secret_file: Option<PathBuf>,
    pub session_idle_seconds: Option<u32>,
    pub session_absolute_seconds: Option<u32>,
    pub code_lifetime_seconds: Option<u32>,
    pub conversion_quote_seconds: Option<u32>,
    pub foreign_contract_threshold: Option<String>,
    pub lockout_failures: Option<u32>,
    pub bank_code: Option<String>,
    pub password_length_min: Option<usize>,
    pub password_length_max: Option<usize>,
    pub password_blocklist_file: Option<PathBuf>,
    pub trusted_proxies: Option<String>,
}

/// Certificate and key for HTTPS.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TlsFiles {
    pub cert: PathBuf,
    pub key: PathBuf,
}

/// The SMS provider's webhook and the file holding its shared secret (read at start).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SmsWebhook {
    pub url: String,
    pub secret_file: PathBuf,
}

/// The interbank gateway outgoing payments are posted to, and the file holding its shared secret
/// (read at start).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InterbankGateway {
    pub url: String,
    pub secret_file: PathBuf,
}

/// The resolved settings: every value decided.
#[derive(Debug, Clone)]
pub struct Settings {
    pub listen: SocketAddr,
    pub data_dir: PathBuf,
    pub database: DatabaseLocation,
    pub demo: bool,
    pub log_format: LogFormat,
    pub tls: Option<TlsFiles>,
    pub allow_non_durable: bool,
    pub request_body_bytes_max: usize,
    pub request_timeout: Duration,
    pub shutdown_grace: Duration,
    pub secret_key_file: PathBuf,
    pub sms_file: PathBuf,
    /// When set, SMS go to this webhook instead of `sms_file`.
    pub sms_webhook: Option<SmsWebhook>,
    /// When set, outgoing interbank and budget payments are posted to this gateway (also in demo
    /// mode, instead of the simulator).
    pub gateway: Option<InterbankGateway>,
    pub security: SecuritySettings,
    pub bank: tiyn_identity::BankIdentity,
    /// The password policy; the blocklist file is read at start.
    pub password_policy: tiyn_auth::PasswordPolicy,
    /// Proxies whose `X-Forwarded-For` is believed for the client's address.
    pub trusted_proxies: Vec<std::net::IpAddr>,
    /// How long a conversion's quote holds the bank's rates (R-3.1.1.4).
    pub conversion_quote: Duration,
    /// Foreign transfers above this (its equivalent at the bank's rates) need the contract.
    pub foreign_contract_threshold: tiyn_core::Money,
}

/// The bank's settings of the security procedure, checked against the limits of `tiyn-auth`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SecuritySettings {
    pub sessions: tiyn_auth::SessionPolicy,
    pub codes: tiyn_auth::CodePolicy,
    pub lockout: tiyn_auth::LockoutPolicy,
}

/// 5 minutes without activity end a session, as payment-account access rules require.
pub const SESSION_IDLE_SECONDS_DEFAULT: u32 = 300;
/// 12 hours: a working day.
pub const SESSION_ABSOLUTE_SECONDS_DEFAULT: u32 = 12 * 3_600;
pub const CODE_LIFETIME_SECONDS_DEFAULT: u32 = 300;
pub const LOCKOUT_FAILURES_DEFAULT: u32 = 5;

#[derive(Debug, thiserror::Error)]
pub enum SettingsError {
    #[error("cannot read the settings file {path}: {source}")]
    ReadFile { path: PathBuf, source: std::io::Error },
    #[error("the settings file {path} is invalid: {message}")]
    ParseFile { path: PathBuf, message: String },
    #[error("tls_cert and tls_key go together: set both or neither")]
    HalfTls,
    #[error("{0} must be greater than zero")]
    Zero(&'static str),
    #[error("{setting}: {message}")]
    Security { setting: &'static str, message: String },
}

impl Settings {
    /// Layers the sources: flags and environment (already merged by clap, flags first), then the
    /// file named by `--config`, then the defaults.
    pub fn resolve(args: &ServeArgs) -> Result<Settings, SettingsError> {
        let file = match &args.config {
            Some(path) => read_file(path)?,
            None => FileSettings::default(),
        };
        Settings::layer(args, &file)
    }

    /// [`Settings::resolve`] with the file already read.
    pub fn layer(args: &ServeArgs, file: &FileSettings) -> Result<Settings, SettingsError> {
        let listen = args.listen.or(file.listen).unwrap_or_else(default_listen);
        let data_dir =
            args.data_dir.clone().or_else(|| file.data_dir.clone()).unwrap_or_else(|| PathBuf::from(DATA_DIR_DEFAULT));
        let database_setting = args.database.clone().or_else(|| file.database.clone()).unwrap_or_default();
        let database = DatabaseLocation::parse(&database_setting, &data_dir);
        let tls_cert = args.tls_cert.clone().or_else(|| file.tls_cert.clone());
        let tls_key = args.tls_key.clone().or_else(|| file.tls_key.clone());
        let tls = match (tls_cert, tls_key) {
            (Some(cert), Some(key)) => Some(TlsFiles { cert, key }),
            (None, None) => None,
            _ => return Err(SettingsError::HalfTls),
        };
        let request_body_bytes_max =
            args.request_body_bytes_max.or(file.request_body_bytes_max).unwrap_or(REQUEST_BODY_BYTES_MAX_DEFAULT);
        let request_timeout_seconds =
            args.request_timeout_seconds.or(file.request_timeout_seconds).unwrap_or(REQUEST_TIMEOUT_SECONDS_DEFAULT);
        let shutdown_grace_seconds =
            args.shutdown_grace_seconds.or(file.shutdown_grace_seconds).unwrap_or(SHUTDOWN_GRACE_SECONDS_DEFAULT);
        if request_body_bytes_max == 0 {
            return Err(SettingsError::Zero("request_body_bytes_max"));
        }
        if request_timeout_seconds == 0 {
            return Err(SettingsError::Zero("request_timeout_seconds"));
        }
        let security = security_settings(args, file)?;
        let secret_key_file = args
            .secret_key_file
            .clone()
            .or_else(|| file.secret_key_file.clone())
            .unwrap_or_else(|| data_dir.join("secret.key"));
        let sms_file =
            args.sms_file.clone().or_else(|| file.sms_file.clone()).unwrap_or_else(|| data_dir.join("sms.jsonl"));
        let sms_webhook = url_with_secret(
            args.sms_webhook_url.clone().or_else(|| file.sms_webhook_url.clone()),
            args.sms_webhook_secret_file.clone().or_else(|| file.sms_webhook_secret_file.clone()),
            ("sms_webhook_url", "sms_webhook_secret_file"),
            "the provider's shared secret signs every post",
        )?
        .map(|(url, secret_file)| SmsWebhook { url, secret_file });
        let gateway = url_with_secret(
            args.gateway_url.clone().or_else(|| file.gateway_url.clone()),
            args.gateway_secret_file.clone().or_else(|| file.gateway_secret_file.clone()),
            ("gateway_url", "gateway_secret_file"),
            "the gateway's shared secret signs every payment message",
        )?
        .map(|(url, secret_file)| InterbankGateway { url, secret_file });
        let bank_code = args.bank_code.clone().or_else(|| file.bank_code.clone());
        let bank = match bank_code {
            None => tiyn_identity::BankIdentity::default(),
            Some(code) => tiyn_identity::BankIdentity::new(&code)
                .map_err(|error| SettingsError::Security { setting: "bank_code", message: error.to_string() })?,
        };
        let password_policy = password_policy(args, file)?;
        let trusted_proxies = match args.trusted_proxies.as_ref().or(file.trusted_proxies.as_ref()) {
            None => Vec::new(),
            Some(list) => list
                .split(',')
                .map(str::trim)
                .filter(|part| !part.is_empty())
                .map(|part| {
                    part.parse::<std::net::IpAddr>().map_err(|_| SettingsError::Security {
                        setting: "trusted_proxies",
                        message: format!("{part:?} is not an IP address"),
                    })
                })
                .collect::<Result<Vec<_>, _>>()?,
        };
        let conversion_quote_seconds =
            args.conversion_quote_seconds.or(file.conversion_quote_seconds).unwrap_or(CONVERSION_QUOTE_SECONDS_DEFAULT);
        if !CONVERSION_QUOTE_SECONDS_RANGE.contains(&conversion_quote_seconds) {
            return Err(SettingsError::Security {
                setting: "conversion_quote_seconds",
                message: format!(
                    "{conversion_quote_seconds} is outside {}..={} seconds",
                    CONVERSION_QUOTE_SECONDS_RANGE.start(),
                    CONVERSION_QUOTE_SECONDS_RANGE.end()
                ),
            });
        }
        let foreign_contract_threshold =
            match args.foreign_contract_threshold.as_deref().or(file.foreign_contract_threshold.as_deref()) {
                None => tiyn_banking::FOREIGN_CONTRACT_THRESHOLD_DEFAULT,
                Some(text) => parse_threshold(text)
                    .map_err(|message| SettingsError::Security { setting: "foreign_contract_threshold", message })?,
            };
        Ok(Settings {
            foreign_contract_threshold,
            conversion_quote: Duration::from_secs(u64::from(conversion_quote_seconds)),
            trusted_proxies,
            password_policy,
            bank,
            secret_key_file,
            sms_file,
            sms_webhook,
            gateway,
            security,
            listen,
            data_dir,
            database,
            demo: args.demo.or(file.demo).unwrap_or(false),
            log_format: args.log_format.or(file.log_format).unwrap_or(LogFormat::Pretty),
            tls,
            allow_non_durable: args.allow_non_durable.or(file.allow_non_durable).unwrap_or(false),
            request_body_bytes_max,
            request_timeout: Duration::from_secs(request_timeout_seconds),
            shutdown_grace: Duration::from_secs(shutdown_grace_seconds),
        })
    }
}

/// A receiver's URL and the file of the secret that signs what is posted to it: both or neither.
/// `keys` names the two settings in errors; `why` says what the secret is for.
fn url_with_secret(
    url: Option<String>,
    secret_file: Option<PathBuf>,
    keys: (&'static str, &'static str),
    why: &str,
) -> Result<Option<(String, PathBuf)>, SettingsError> {
    let (url_key, secret_key) = keys;
    match (url, secret_file) {
        (Some(url), Some(secret_file)) => Ok(Some((url, secret_file))),
        (None, None) => Ok(None),
        (Some(_), None) => {
            Err(SettingsError::Security { setting: secret_key, message: format!("required with {url_key}: {why}") })
        }
        (None, Some(_)) => {
            Err(SettingsError::Security { setting: url_key, message: format!("{secret_key} is set without {url_key}") })
        }
    }
}

fn password_policy(args: &ServeArgs, file: &FileSettings) -> Result<tiyn_auth::PasswordPolicy, SettingsError> {
    let defaults = tiyn_auth::PasswordPolicy::default();
    let min = args.password_length_min.or(file.password_length_min).unwrap_or(defaults.length_min_chars());
    let max = args.password_length_max.or(file.password_length_max).unwrap_or(defaults.length_max_chars());
    let blocklist = match args.password_blocklist_file.as_ref().or(file.password_blocklist_file.as_ref()) {
        None => tiyn_auth::Blocklist::common(),
        Some(path) => {
            let text = std::fs::read_to_string(path)
                .map_err(|source| SettingsError::ReadFile { path: path.clone(), source })?;
            tiyn_auth::Blocklist::from_lines(&text)
        }
    };
    tiyn_auth::PasswordPolicy::new(min, max, blocklist).map_err(|error| SettingsError::Security {
        setting: "password_length_min/password_length_max",
        message: error.to_string(),
    })
}

fn security_settings(args: &ServeArgs, file: &FileSettings) -> Result<SecuritySettings, SettingsError> {
    let idle = args.session_idle_seconds.or(file.session_idle_seconds).unwrap_or(SESSION_IDLE_SECONDS_DEFAULT);
    let absolute =
        args.session_absolute_seconds.or(file.session_absolute_seconds).unwrap_or(SESSION_ABSOLUTE_SECONDS_DEFAULT);
    let sessions = tiyn_auth::SessionPolicy::new(idle, absolute).map_err(|error| SettingsError::Security {
        setting: "session_idle_seconds/session_absolute_seconds",
        message: error.to_string(),
    })?;
    let lifetime = args.code_lifetime_seconds.or(file.code_lifetime_seconds).unwrap_or(CODE_LIFETIME_SECONDS_DEFAULT);
    let defaults = tiyn_auth::CodePolicy::default();
    let codes = tiyn_auth::CodePolicy::new(defaults.digits(), lifetime, defaults.attempts_max())
        .map_err(|error| SettingsError::Security { setting: "code_lifetime_seconds", message: error.to_string() })?;
    let failures = args.lockout_failures.or(file.lockout_failures).unwrap_or(LOCKOUT_FAILURES_DEFAULT);
    let lockout_defaults = tiyn_auth::LockoutPolicy::default();
    let lockout = tiyn_auth::LockoutPolicy::new(
        failures,
        lockout_defaults.lock_seconds(),
        lockout_defaults.lockouts_before_block(),
    )
    .map_err(|error| SettingsError::Security { setting: "lockout_failures", message: error.to_string() })?;
    Ok(SecuritySettings { sessions, codes, lockout })
}

fn default_listen() -> SocketAddr {
    SocketAddr::from(([127, 0, 0, 1], 8080))
}

fn read_file(path: &Path) -> Result<FileSettings, SettingsError> {
    let text =
        std::fs::read_to_string(path).map_err(|source| SettingsError::ReadFile { path: path.to_owned(), source })?;
    toml::from_str(&text)
        .map_err(|error| SettingsError::ParseFile { path: path.to_owned(), message: error.to_string() })
}

/// One row of the settings table.
#[derive(Debug, Clone, Copy)]
pub struct SettingDoc {
    /// The key in the TOML file; the flag is `--` + key with `-`, the variable `TIYN_` + upper case.
    pub key: &'static str,
    pub default: &'static str,
    pub meaning: &'static str,
}

impl SettingDoc {
    pub fn flag(&self) -> String {
        format!("--{}", self.key.replace('_', "-"))
    }

    pub fn env(&self) -> String {
        format!("TIYN_{}", self.key.to_ascii_uppercase())
    }
}

/// Every setting, documented once.
/// `"10000.00 USD"`: a positive amount in the currency's exact decimals, then its code.
fn parse_threshold(text: &str) -> Result<tiyn_core::Money, String> {
    let (amount, currency) = text
        .trim()
        .split_once(' ')
        .ok_or_else(|| format!("{text:?} is not an amount and a currency, such as \"10000.00 USD\""))?;
    let currency = tiyn_core::Currency::parse(currency.trim()).map_err(|error| error.to_string())?;
    let amount = tiyn_core::Amount::parse(amount.trim(), currency).map_err(|error| error.to_string())?;
    Ok(amount.money())
}

/// A quote holds for two minutes unless the bank says otherwise.
pub const CONVERSION_QUOTE_SECONDS_DEFAULT: u32 = 120;
/// Long enough to type a code, short enough that a rate change reaches the next quote.
pub const CONVERSION_QUOTE_SECONDS_RANGE: std::ops::RangeInclusive<u32> = 10..=3600;

pub const SETTINGS: &[SettingDoc] = &[
    SettingDoc {
        key: "config",
        default: "none",
        meaning: "TOML settings file with any of the keys below (flag and environment only).",
    },
    SettingDoc {
        key: "listen",
        default: LISTEN_DEFAULT,
        meaning: "Address and port to listen on; port 0 picks a free port, and the bound URL is printed.",
    },
    SettingDoc {
        key: "data_dir",
        default: DATA_DIR_DEFAULT,
        meaning: "Directory for the SQLite database; created if missing.",
    },
    SettingDoc {
        key: "database",
        default: "`sqlite` (`<data_dir>/tiyn.db`)",
        meaning: "`sqlite`, `sqlite:PATH`, or a `postgres://…` URL.",
    },
    SettingDoc {
        key: "demo",
        default: "false",
        meaning: "Seed the demo bank, partners and users (idempotent); print their credentials and write them to \
                  `<data_dir>/demo-credentials.json`.",
    },
    SettingDoc {
        key: "log_format",
        default: "pretty",
        meaning: "`pretty` or `json` (one object per line). Level: `RUST_LOG` (default `info`).",
    },
    SettingDoc {
        key: "tls_cert",
        default: "none",
        meaning: "PEM certificate chain. With `tls_key`, serve HTTPS (rustls) and send HSTS.",
    },
    SettingDoc { key: "tls_key", default: "none", meaning: "PEM private key (PKCS#8, PKCS#1 or SEC1) for `tls_cert`." },
    SettingDoc {
        key: "allow_non_durable",
        default: "false",
        meaning: "Start although the database does not fsync commits. Demo mode never checks.",
    },
    SettingDoc {
        key: "request_body_bytes_max",
        default: "1048576",
        meaning: "Largest accepted request body (413 above it).",
    },
    SettingDoc { key: "request_timeout_seconds", default: "30", meaning: "Time limit for one request (503 after it)." },
    SettingDoc {
        key: "shutdown_grace_seconds",
        default: "10",
        meaning: "On SIGINT/SIGTERM, how long requests in flight may finish.",
    },
    SettingDoc {
        key: "secret_key_file",
        default: "`<data_dir>/secret.key`",
        meaning: "The master key (base64, 32 bytes) from which the code, audit-chain and sealing keys derive; created \
                  with mode 0600 if missing. Every process sharing a database must use the same key. Never in the database.",
    },
    SettingDoc {
        key: "sms_file",
        default: "`<data_dir>/sms.jsonl`",
        meaning: "The SMS `file` sink: each outgoing SMS as one JSON line `{channel, to, text, created_at}`.",
    },
    SettingDoc {
        key: "sms_webhook_url",
        default: "none (the file sink)",
        meaning: "The SMS `webhook` sink: each SMS is posted to this provider URL as JSON `{channel, to, text, created_at}` with `X-Tiyn-Timestamp` and `X-Tiyn-Signature: sha256=<HMAC-SHA256 of \"<timestamp>.<body>\">`; 5 s timeouts, 3 attempts on network errors and 5xx. Replaces `sms_file`.",
    },
    SettingDoc {
        key: "sms_webhook_secret_file",
        default: "none",
        meaning: "File holding the webhook's shared secret (trailing newline ignored); required with `sms_webhook_url`, read at start.",
    },
    SettingDoc {
        key: "gateway_url",
        default: "none (the simulator with `demo`, else payments wait in the outbox)",
        meaning: "The interbank gateway: each outgoing interbank or budget payment is posted to this URL as its pacs.008 (`Content-Type: application/xml; charset=utf-8`, `X-Tiyn-Message-Id`, `X-Tiyn-Timestamp`, `X-Tiyn-Signature: sha256=<HMAC-SHA256 of \"<timestamp>.<body>\">`); only a 2xx answer is a hand-off, anything else is retried from the outbox with a growing pause; 5 s connect and 10 s request timeouts. Used also in demo mode, instead of the simulator. Its answers come back as pacs.002 on `/api/gateway/v1/status`.",
    },
    SettingDoc {
        key: "gateway_secret_file",
        default: "none",
        meaning: "File holding the gateway's shared secret (trailing newline ignored); required with `gateway_url`, read at start.",
    },
    SettingDoc {
        key: "session_idle_seconds",
        default: "300",
        meaning: "A session ends after this long without user activity (background polling does not count). 60 or more.",
    },
    SettingDoc {
        key: "session_absolute_seconds",
        default: "43200",
        meaning: "A session ends this long after login, whatever the activity. At most 7 days.",
    },
    SettingDoc {
        key: "conversion_quote_seconds",
        default: "120",
        meaning: "How long a conversion's quote holds the bank's rates; a confirmation entered later is refused (`quote_expired`) and the user confirms the amounts at the new rates. 10 to 3600.",
    },
    SettingDoc {
        key: "foreign_contract_threshold",
        default: "10000.00 USD",
        meaning: "Foreign transfers above this amount (their equivalent at the bank's rates) need the currency-control contract's number and date (`contract_required`). An amount and an ISO 4217 code.",
    },
    SettingDoc {
        key: "code_lifetime_seconds",
        default: "300",
        meaning: "Lifetime of a one-time code (SMS), shown to the user; 30 to 3600.",
    },
    SettingDoc {
        key: "bank_code",
        default: "722 (the demo bank)",
        meaning: "The bank's 3-digit code in Kazakhstan IBANs: the accounts it opens for partners get `KZ..` + this code. Set your bank's.",
    },
    SettingDoc {
        key: "password_length_min",
        default: "12",
        meaning: "Fewest characters of a password (R-8.4; no composition rules).",
    },
    SettingDoc { key: "password_length_max", default: "128", meaning: "Most characters of a password (at most 128)." },
    SettingDoc {
        key: "password_blocklist_file",
        default: "the shipped list",
        meaning: "Refused passwords, one per line (e.g. a breached-password list), instead of the 10,000 common ones shipped.",
    },
    SettingDoc {
        key: "trusted_proxies",
        default: "none",
        meaning: "Comma-separated IP addresses of reverse proxies in front of the server: for their requests the client is the right-most untrusted address of `X-Forwarded-For` (audit trail, failures per source). Without it the TCP peer is the client.",
    },
    SettingDoc {
        key: "lockout_failures",
        default: "5",
        meaning: "Consecutive failed passwords or codes that lock a user for 15 minutes; 3 locks block pending the bank.",
    },
];

/// The settings table in Markdown, for the README and `tiyn settings-doc`.
pub fn markdown_table() -> String {
    let mut table = String::from(
        "Sources, lowest to highest priority: defaults, the TOML file (`--config`), environment, flags.\n\n\
         | file key | flag | environment | default | meaning |\n|---|---|---|---|---|\n",
    );
    for setting in SETTINGS {
        let key = if setting.key == "config" { "—".to_owned() } else { format!("`{}`", setting.key) };
        table.push_str(&format!(
            "| {key} | `{}` | `{}` | {} | {} |\n",
            setting.flag(),
            setting.env(),
            setting.default,
            setting.meaning
        ));
    }
    table
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::{CommandFactory, Parser};

    #[derive(Parser)]
    struct Cli {
        #[command(flatten)]
        serve: ServeArgs,
    }

    /// The table, the flags, the environment variables and the file keys are the same set.
    #[test]
    fn the_settings_table_documents_every_flag_and_file_key() {
        let command = Cli::command();
        let arguments: Vec<_> = command.get_arguments().filter(|argument| argument.get_long().is_some()).collect();
        assert_eq!(arguments.len(), SETTINGS.len());
        for argument in arguments {
            let long = argument.get_long().unwrap_or_default();
            let doc = SETTINGS.iter().find(|setting| setting.flag() == format!("--{long}"));
            let doc = doc.unwrap_or_else(|| panic!("--{long} is not in SETTINGS"));
            assert_eq!(argument.get_env().and_then(|env| env.to_str()), Some(doc.env().as_str()));
        }
        let every_key: String = SETTINGS
            .iter()
            .filter(|setting| setting.key != "config")
            .map(|setting| format!("# {}\n", setting.key))
            .collect();
        // Each documented key must be accepted by the file format (which refuses unknown keys).
        for setting in SETTINGS.iter().filter(|setting| setting.key != "config") {
            let sample = match setting.key {
                "listen" => "\"127.0.0.1:1\"",
                "demo" | "allow_non_durable" => "true",
                "foreign_contract_threshold" => "\"50000.00 USD\"",
                "log_format" => "\"json\"",
                "request_body_bytes_max" | "request_timeout_seconds" | "shutdown_grace_seconds" => "5",
                "session_idle_seconds"
                | "session_absolute_seconds"
                | "code_lifetime_seconds"
                | "conversion_quote_seconds"
                | "lockout_failures"
                | "password_length_min"
                | "password_length_max" => "300",
                _ => "\"x\"",
            };
            let text = format!("{}{} = {sample}\n", every_key, setting.key);
            assert!(toml::from_str::<FileSettings>(&text).is_ok(), "file key {} refused", setting.key);
        }
        assert!(toml::from_str::<FileSettings>("lisen = \"127.0.0.1:1\"").is_err(), "a typo must be refused");
    }

    /// R-3.1.1.3: the currency-control threshold is an exact amount with its currency.
    #[test]
    fn r_3_1_1_3_the_contract_threshold_reads_an_amount_and_a_currency() {
        assert_eq!(
            parse_threshold(" 50000.00 USD "),
            Ok(tiyn_core::Money::from_minor(5_000_000, tiyn_core::Currency::Usd))
        );
        assert_eq!(parse_threshold("9000000 KZT").map(|money| money.minor()), Ok(900_000_000));
        for bad in ["10000", "10000.00 XXX", "-5.00 USD", "0.00 USD", "1.005 USD", "USD 10000.00"] {
            assert!(parse_threshold(bad).is_err(), "{bad} is refused");
        }
    }

    /// The README's configuration section is this table, verbatim: regenerate it with
    /// `tiyn settings-doc` when a setting changes.
    #[test]
    fn the_readme_shows_the_current_settings_table() {
        let readme = include_str!("../../../README.md");
        assert!(readme.contains(&markdown_table()), "README.md's settings table is stale: paste `tiyn settings-doc`");
    }

    #[test]
    fn flags_beat_the_file_which_beats_defaults() {
        let file: FileSettings = toml::from_str(
            "listen = \"0.0.0.0:9000\"\ndata_dir = \"/srv/tiyn\"\ndemo = true\nlog_format = \"json\"\nrequest_timeout_seconds = 7",
        )
        .expect("valid file");
        let args = ServeArgs {
            listen: Some(SocketAddr::from(([127, 0, 0, 1], 1))),
            demo: Some(false),
            ..ServeArgs::default()
        };
        let settings = Settings::layer(&args, &file).expect("valid");
        assert_eq!(settings.listen, SocketAddr::from(([127, 0, 0, 1], 1)));
        assert_eq!(settings.data_dir, PathBuf::from("/srv/tiyn"));
        assert_eq!(settings.database, DatabaseLocation::Sqlite(PathBuf::from("/srv/tiyn/tiyn.db")));
        assert!(!settings.demo);
        assert_eq!(settings.log_format, LogFormat::Json);
        assert_eq!(settings.request_timeout, Duration::from_secs(7));

        let defaults = Settings::layer(&ServeArgs::default(), &FileSettings::default()).expect("valid");
        assert_eq!(defaults.listen.to_string(), LISTEN_DEFAULT);
        assert_eq!(defaults.database, DatabaseLocation::Sqlite(PathBuf::from(DATA_DIR_DEFAULT).join("tiyn.db")));
        assert_eq!(defaults.request_body_bytes_max, REQUEST_BODY_BYTES_MAX_DEFAULT);
        assert!(!defaults.allow_non_durable && !defaults.demo && defaults.tls.is_none());
    }

    #[test]
    fn boolean_flags_take_an_optional_value() {
        let parsed = Cli::try_parse_from(["tiyn", "--demo", "--listen", "127.0.0.1:0", "--allow-non-durable=false"])
            .expect("valid flags")
            .serve;
        assert_eq!(parsed.demo, Some(true));
        assert_eq!(parsed.allow_non_durable, Some(false));
        assert_eq!(parsed.listen, Some(SocketAddr::from(([127, 0, 0, 1], 0))));
    }

    /// the password policy is the bank's: lengths and the list of refused passwords.
    #[test]
    fn r_8_4_the_password_policy_is_configurable() {
        let dir = tempfile::tempdir().expect("temp dir");
        let list = dir.path().join("breached.txt");
        std::fs::write(&list, "our bank's leaked passphrase\n").expect("write");
        let args =
            ServeArgs { password_length_min: Some(16), password_blocklist_file: Some(list), ..ServeArgs::default() };
        let policy = Settings::layer(&args, &FileSettings::default()).expect("valid").password_policy;
        assert_eq!(policy.length_min_chars(), 16);
        assert_eq!(policy.check("fifteen chars!!", &[]).map_err(|error| error.code()), Err("password_too_short"));
        assert_eq!(
            policy.check("our bank's leaked passphrase", &[]).map_err(|error| error.code()),
            Err("password_common")
        );
        assert_eq!(policy.check("a perfectly fine passphrase", &[]), Ok(()));
        let inverted =
            ServeArgs { password_length_min: Some(40), password_length_max: Some(20), ..ServeArgs::default() };
        assert!(matches!(Settings::layer(&inverted, &FileSettings::default()), Err(SettingsError::Security { .. })));
        let missing = ServeArgs { password_blocklist_file: Some(dir.path().join("nope.txt")), ..ServeArgs::default() };
        assert!(matches!(Settings::layer(&missing, &FileSettings::default()), Err(SettingsError::ReadFile { .. })));
    }

    #[test]
    fn the_sms_webhook_needs_its_secret_file() {
        let url = Some("https://sms.example.kz/send".to_owned());
        let secret = Some(PathBuf::from("/etc/tiyn/sms.secret"));
        let both =
            ServeArgs { sms_webhook_url: url.clone(), sms_webhook_secret_file: secret.clone(), ..ServeArgs::default() };
        assert_eq!(
            Settings::layer(&both, &FileSettings::default()).expect("valid").sms_webhook,
            Some(SmsWebhook {
                url: "https://sms.example.kz/send".to_owned(),
                secret_file: PathBuf::from("/etc/tiyn/sms.secret")
            })
        );
        let file: FileSettings =
            toml::from_str("sms_webhook_url = \"http://127.0.0.1:9/hook\"\nsms_webhook_secret_file = \"s\"")
                .expect("valid file");
        assert!(Settings::layer(&ServeArgs::default(), &file).expect("valid").sms_webhook.is_some());
        assert_eq!(Settings::layer(&ServeArgs::default(), &FileSettings::default()).expect("valid").sms_webhook, None);
        let url_only = ServeArgs { sms_webhook_url: url, ..ServeArgs::default() };
        assert!(matches!(
            Settings::layer(&url_only, &FileSettings::default()),
            Err(SettingsError::Security { setting: "sms_webhook_secret_file", .. })
        ));
        let secret_only = ServeArgs { sms_webhook_secret_file: secret, ..ServeArgs::default() };
        assert!(matches!(
            Settings::layer(&secret_only, &FileSettings::default()),
            Err(SettingsError::Security { setting: "sms_webhook_url", .. })
        ));
    }

    /// R-3.1.1.1, R-6.4.3: a real interbank gateway is configured by its URL and the file of its
    /// shared secret, from flags or the file; both or neither, and the error names the missing one.
    #[test]
    fn the_gateway_url_and_its_secret_file_go_together() {
        let url = Some("https://gateway.bank.kz/pacs008".to_owned());
        let secret = Some(PathBuf::from("/etc/tiyn/gateway.secret"));
        let both = ServeArgs { gateway_url: url.clone(), gateway_secret_file: secret.clone(), ..ServeArgs::default() };
        let settings = Settings::layer(&both, &FileSettings::default()).expect("valid");
        assert_eq!(
            settings.gateway,
            Some(InterbankGateway {
                url: "https://gateway.bank.kz/pacs008".to_owned(),
                secret_file: PathBuf::from("/etc/tiyn/gateway.secret"),
            })
        );
        assert_eq!(settings.sms_webhook, None, "the gateway is not the SMS webhook");

        let file: FileSettings =
            toml::from_str("gateway_url = \"http://127.0.0.1:9/in\"\ngateway_secret_file = \"gw.secret\"")
                .expect("valid file");
        let from_file = Settings::layer(&ServeArgs::default(), &file).expect("valid").gateway.expect("a gateway");
        assert_eq!(from_file.url, "http://127.0.0.1:9/in");
        // A flag beats the file, for each of the two keys.
        let flag = ServeArgs { gateway_url: url.clone(), ..ServeArgs::default() };
        let layered = Settings::layer(&flag, &file).expect("valid").gateway.expect("a gateway");
        assert_eq!(
            layered,
            InterbankGateway {
                url: "https://gateway.bank.kz/pacs008".to_owned(),
                secret_file: PathBuf::from("gw.secret")
            }
        );
        assert_eq!(Settings::layer(&ServeArgs::default(), &FileSettings::default()).expect("valid").gateway, None);

        let url_only = ServeArgs { gateway_url: url, ..ServeArgs::default() };
        let refused = Settings::layer(&url_only, &FileSettings::default());
        assert!(matches!(&refused, Err(SettingsError::Security { setting: "gateway_secret_file", .. })), "{refused:?}");
        let message = refused.map(|_| ()).map_err(|error| error.to_string()).unwrap_err();
        assert!(message.contains("required with gateway_url"), "{message}");
        let secret_only = ServeArgs { gateway_secret_file: secret, ..ServeArgs::default() };
        assert!(matches!(
            Settings::layer(&secret_only, &FileSettings::default()),
            Err(SettingsError::Security { setting: "gateway_url", .. })
        ));
    }

    #[test]
    fn half_a_tls_configuration_is_refused() {
        let args = ServeArgs { tls_cert: Some(PathBuf::from("cert.pem")), ..ServeArgs::default() };
        assert!(matches!(Settings::layer(&args, &FileSettings::default()), Err(SettingsError::HalfTls)));
    }
}
