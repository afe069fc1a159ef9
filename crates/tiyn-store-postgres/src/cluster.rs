//! Throwaway PostgreSQL clusters: `initdb` + `pg_ctl` on a free loopback port under a temporary
//! directory, run as the `postgres` system user when we are root (the server refuses root).
//!
//! Tests share one cluster per machine user (started by whichever test process needs it first,
//! under a file lock, and reused by the others and by later runs; it is left running) and each
//! test gets a fresh database in it, dropped by a later test once its process has ended; set
//! `TIYN_TEST_DATABASE_URL` to use an existing server instead (its role needs CREATEDB). Benchmarks
//! start a private, durable cluster and stop it when done.

use std::fs::{self, File};
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::atomic::{AtomicU32, Ordering};

/// Environment variable naming an existing server for tests.
pub const TEST_DATABASE_URL_ENV: &str = "TIYN_TEST_DATABASE_URL";
/// Environment variable overriding where the shared test cluster lives.
pub const TEST_CLUSTER_DIR_ENV: &str = "TIYN_TEST_PG_DIR";
/// The superuser the clusters are initialised with (trust authentication on loopback only).
const SUPERUSER: &str = "tiyn";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Durability {
    /// fsync and synchronous commit on: what production runs and benchmarks measure.
    Durable,
    /// fsync off: tests only, where a lost commit on power loss does not matter.
    Fast,
}

/// A cluster this process started; stopped and deleted on drop.
pub struct ThrowawayCluster {
    root: PathBuf,
    port: u16,
}

impl ThrowawayCluster {
    /// Initialises and starts a private cluster under a new temporary directory.
    pub fn start(durability: Durability) -> Result<ThrowawayCluster, String> {
        let root = std::env::temp_dir().join(format!("tiyn-pg-{}-{}", std::process::id(), unique()));
        let port = start_cluster(&root, durability)?;
        Ok(ThrowawayCluster { root, port })
    }

    /// The URL of `database` on this cluster (the `postgres` database always exists).
    pub fn url(&self, database: &str) -> String {
        url(self.port, database)
    }
}

impl Drop for ThrowawayCluster {
    fn drop(&mut self) {
        let _ = pg_ctl(&self.root, &["stop", "-m", "fast", "-w"]);
        let _ = fs::remove_dir_all(&self.root);
    }
}

fn url(port: u16, database: &str) -> String {
    format!("postgres://{SUPERUSER}@127.0.0.1:{port}/{database}")
}

/// The URL of a fresh, empty database for one test: on `TIYN_TEST_DATABASE_URL`'s server when
/// set, otherwise on the shared throwaway cluster (started here if it is not running). The
/// database belongs to this process; see [`fresh_test_database_owned_by`].
pub fn fresh_test_database() -> Result<String, String> {
    fresh_test_database_owned_by(std::process::id())
}

/// A fresh test database that belongs to process `owner` (for `tiyn dev test-database`, whose
/// caller keeps using the database after the command has exited). Its name carries the owner's
/// id; on the shared cluster, each call first drops the test databases whose owners have ended,
/// so a full run leaves a few databases behind, not hundreds of gigabytes' worth.
pub fn fresh_test_database_owned_by(owner: u32) -> Result<String, String> {
    let server = match std::env::var(TEST_DATABASE_URL_ENV) {
        Ok(url) if !url.is_empty() => url,
        _ => {
            let server = url(shared_test_cluster_port()?, "postgres");
            drop_abandoned_test_databases(&server);
            server
        }
    };
    let name = format!("{TEST_DATABASE_PREFIX}{owner}_{}_{}", unique(), time_salt());
    let psql = Command::new(binary("psql")?)
        .args([server.as_str(), "-v", "ON_ERROR_STOP=1", "-qc", &format!("CREATE DATABASE {name}")])
        .output()
        .map_err(|error| format!("psql: {error}"))?;
    check(&psql, "CREATE DATABASE")?;
    Ok(replace_database(&server, &name))
}

const TEST_DATABASE_PREFIX: &str = "tiyn_test_";

/// Drops, on the shared cluster of this machine, the test databases whose owning process has
/// ended. Best effort: a plain `DROP DATABASE` (never `FORCE`) fails while anyone is still
/// connected, and the next call tries again. Only where `/proc` tells which processes live.
fn drop_abandoned_test_databases(server: &str) {
    if !Path::new("/proc/self").exists() {
        return;
    }
    let Ok(psql) = binary("psql") else { return };
    let listed = Command::new(&psql)
        .args([
            server,
            "-XAtc",
            &format!("SELECT datname FROM pg_database WHERE datname LIKE '{TEST_DATABASE_PREFIX}%'"),
        ])
        .output();
    let Ok(listed) = listed else { return };
    if !listed.status.success() {
        return;
    }
    let abandoned: Vec<String> = String::from_utf8_lossy(&listed.stdout)
        .lines()
        .filter(|name| test_database_owner(name).is_some_and(|owner| !Path::new(&format!("/proc/{owner}")).exists()))
        .map(|name| format!("DROP DATABASE IF EXISTS {name}"))
        .collect();
    if abandoned.is_empty() {
        return;
    }
    let mut drop = Command::new(&psql);
    drop.args([server, "-Xq"]);
    for statement in &abandoned {
        drop.args(["-c", statement]); // each -c its own statement: DROP DATABASE refuses a transaction
    }
    let _ = drop.output();
}

/// The owning process of a test database, from its name (`tiyn_test_<pid>_<n>_<salt>`).
fn test_database_owner(name: &str) -> Option<u32> {
    let rest = name.strip_prefix(TEST_DATABASE_PREFIX)?;
    let (owner, rest) = rest.split_once('_')?;
    rest.bytes().all(|byte| byte.is_ascii_digit() || byte == b'_').then_some(())?;
    owner.parse().ok()
}

fn shared_root() -> PathBuf {
    match std::env::var(TEST_CLUSTER_DIR_ENV) {
        Ok(dir) if !dir.is_empty() => PathBuf::from(dir),
        _ => std::env::temp_dir().join(format!("tiyn-test-pg-{}", whoami_uid())),
    }
}

fn shared_test_cluster_port() -> Result<u16, String> {
    let root = shared_root();
    fs::create_dir_all(&root).map_err(|error| format!("{}: {error}", root.display()))?;
    make_accessible(&root)?;
    let lock = File::create(root.join("start.lock")).map_err(|error| format!("lock file: {error}"))?;
    lock.lock().map_err(|error| format!("lock: {error}"))?; // released when `lock` drops
    let port_file = root.join("port");
    let recorded = fs::read_to_string(&port_file).ok().and_then(|text| text.trim().parse::<u16>().ok());
    if let Some(port) = recorded.filter(|port| is_ready(*port)) {
        return Ok(port);
    }
    // Not running (first use, or a stale directory from an earlier run): start afresh.
    let _ = pg_ctl(&root, &["stop", "-m", "immediate", "-w"]);
    let _ = fs::remove_dir_all(root.join("data"));
    let port = start_cluster(&root, Durability::Fast)?;
    fs::write(&port_file, port.to_string()).map_err(|error| format!("port file: {error}"))?;
    Ok(port)
}

fn start_cluster(root: &Path, durability: Durability) -> Result<u16, String> {
    fs::create_dir_all(root).map_err(|error| format!("{}: {error}", root.display()))?;
    make_accessible(root)?;
    let data = root.join("data");
    let initdb = as_server_user(&binary("initdb")?)
        .args(["-D", &data.to_string_lossy(), "-U", SUPERUSER, "--auth=trust", "-E", "UTF8", "--locale=C", "--no-sync"])
        .output()
        .map_err(|error| format!("initdb: {error}"))?;
    check(&initdb, "initdb")?;
    let port = free_port()?;
    let socket_dir = root.to_string_lossy().into_owned();
    let mut options = format!(
        "-p {port} -c listen_addresses=127.0.0.1 -k {socket_dir} -c max_connections=300 -c shared_buffers=128MB"
    );
    match durability {
        Durability::Fast => options.push_str(" -c fsync=off -c synchronous_commit=off -c full_page_writes=off"),
        // Durable as production is; with the WAL settings a ledger server should have: compressed
        // full-page images and checkpoints spaced out, so a commit writes little more than its rows.
        Durability::Durable => {
            options.push_str(" -c wal_compression=on -c max_wal_size=8GB -c checkpoint_timeout=30min")
        }
    }
    let log = root.join("server.log").to_string_lossy().into_owned();
    check(&pg_ctl(root, &["start", "-w", "-t", "60", "-l", &log, "-o", &options])?, "pg_ctl start")?;
    Ok(port)
}

fn pg_ctl(root: &Path, args: &[&str]) -> Result<Output, String> {
    as_server_user(&binary("pg_ctl")?)
        .arg("-D")
        .arg(root.join("data"))
        .args(args)
        .output()
        .map_err(|error| format!("pg_ctl: {error}"))
}

fn is_ready(port: u16) -> bool {
    binary("pg_isready")
        .ok()
        .and_then(|path| Command::new(path).args(["-h", "127.0.0.1", "-p", &port.to_string()]).output().ok())
        .is_some_and(|output| output.status.success())
}

/// PostgreSQL refuses to run as root; as root we run its tools as the `postgres` system user.
fn as_server_user(program: &Path) -> Command {
    if whoami_uid() == 0 {
        let mut command = Command::new("runuser");
        command.args(["-u", "postgres", "--"]).arg(program);
        command
    } else {
        Command::new(program)
    }
}

fn make_accessible(dir: &Path) -> Result<(), String> {
    if whoami_uid() == 0 {
        let chown = Command::new("chown")
            .args(["postgres:postgres"])
            .arg(dir)
            .output()
            .map_err(|error| format!("chown: {error}"))?;
        check(&chown, "chown")?;
    }
    Ok(())
}

/// The newest installed server's tool, or the one on PATH.
fn binary(name: &str) -> Result<PathBuf, String> {
    let mut versions: Vec<PathBuf> = fs::read_dir("/usr/lib/postgresql")
        .map(|entries| entries.filter_map(Result::ok).map(|entry| entry.path().join("bin").join(name)).collect())
        .unwrap_or_default();
    versions.retain(|path| path.exists());
    versions.sort_by_key(|path| {
        path.components().nth(4).and_then(|c| c.as_os_str().to_str().and_then(|v| v.parse::<u32>().ok())).unwrap_or(0)
    });
    if let Some(newest) = versions.pop() {
        return Ok(newest);
    }
    std::env::var_os("PATH")
        .into_iter()
        .flat_map(|path| std::env::split_paths(&path).collect::<Vec<_>>())
        .map(|dir| dir.join(name))
        .find(|candidate| candidate.exists())
        .ok_or_else(|| format!("PostgreSQL's {name} was not found: install the postgresql package"))
}

fn check(output: &Output, what: &str) -> Result<(), String> {
    if output.status.success() {
        Ok(())
    } else {
        Err(format!(
            "{what} failed ({}): {}{}",
            output.status,
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        ))
    }
}

fn free_port() -> Result<u16, String> {
    let listener = TcpListener::bind("127.0.0.1:0").map_err(|error| format!("free port: {error}"))?;
    listener.local_addr().map(|address| address.port()).map_err(|error| format!("free port: {error}"))
}

fn whoami_uid() -> u32 {
    Command::new("id")
        .arg("-u")
        .output()
        .ok()
        .and_then(|output| String::from_utf8(output.stdout).ok())
        .and_then(|text| text.trim().parse().ok())
        .unwrap_or(u32::MAX)
}

fn unique() -> u32 {
    static NEXT: AtomicU32 = AtomicU32::new(0);
    NEXT.fetch_add(1, Ordering::Relaxed)
}

fn time_salt() -> u128 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos() % 1_000_000_007)
        .unwrap_or(0)
}

fn replace_database(server_url: &str, database: &str) -> String {
    // postgres://user@host:port/db?params → same with `database`.
    let (base, query) = server_url.split_once('?').map_or((server_url, None), |(base, query)| (base, Some(query)));
    let authority_end = base.find("://").map(|scheme| scheme + 3).unwrap_or(0);
    let path_start = base[authority_end..].find('/').map(|slash| authority_end + slash).unwrap_or(base.len());
    let mut url = format!("{}/{database}", &base[..path_start]);
    if let Some(query) = query {
        url.push('?');
        url.push_str(query);
    }
    url
}

#[cfg(test)]
mod tests {
    use super::{replace_database, test_database_owner};

    #[test]
    fn a_test_database_names_its_owner() {
        assert_eq!(test_database_owner("tiyn_test_4242_0_123456"), Some(4242));
        assert_eq!(test_database_owner("tiyn_test_x_0_1"), None);
        assert_eq!(test_database_owner("tiyn_test_12_0_1; DROP"), None);
        assert_eq!(test_database_owner("postgres"), None);
    }

    #[test]
    fn replaces_the_database_of_a_url() {
        assert_eq!(replace_database("postgres://u@h:5/p", "t1"), "postgres://u@h:5/t1");
        assert_eq!(
            replace_database("postgres://u:pw@h/p?sslmode=disable", "t1"),
            "postgres://u:pw@h/t1?sslmode=disable"
        );
        assert_eq!(replace_database("postgres://h:5", "t1"), "postgres://h:5/t1");
    }
}
