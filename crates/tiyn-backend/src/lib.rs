//! Picks the storage backend once, at the edge, from the `--database` setting: the only place
//! that knows both backends. The server, the CLI and the benchmark all open stores through it.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use tiyn_store::{Store, StoreError};

/// Where the data lives: an SQLite file (the embedded default) or a PostgreSQL URL.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DatabaseLocation {
    Sqlite(PathBuf),
    Postgres(String),
}

impl DatabaseLocation {
    /// `postgres://…` / `postgresql://…` → PostgreSQL; `sqlite:PATH` or a path → that SQLite file;
    /// `sqlite` or empty → `tiyn.db` in the data directory.
    pub fn parse(setting: &str, data_dir: &Path) -> DatabaseLocation {
        if setting.starts_with("postgres://") || setting.starts_with("postgresql://") {
            return DatabaseLocation::Postgres(setting.to_owned());
        }
        match setting.strip_prefix("sqlite:").unwrap_or(setting) {
            "" | "sqlite" => DatabaseLocation::Sqlite(data_dir.join("tiyn.db")),
            path => DatabaseLocation::Sqlite(PathBuf::from(path)),
        }
    }
}

/// Opens (creating if needed) and migrates the database.
pub async fn open_store(location: &DatabaseLocation) -> Result<Arc<dyn Store>, StoreError> {
    match location {
        DatabaseLocation::Sqlite(path) => Ok(Arc::new(tiyn_store_sqlite::SqliteStore::open(path).await?)),
        DatabaseLocation::Postgres(url) => Ok(Arc::new(tiyn_store_postgres::PostgresStore::connect(url).await?)),
    }
}

/// Environment variable choosing the backend of the tests that use [`test_location`]: `sqlite`
/// (default) or `postgres`. `scripts/test` runs those tests once on each backend.
pub const TEST_BACKEND_ENV: &str = "TIYN_TEST_BACKEND";

/// Where a test's database lives: a file in `dir`, or a fresh PostgreSQL database (the shared
/// throwaway cluster unless `TIYN_TEST_DATABASE_URL` names a server). For tests only.
///
/// # Panics
/// When the backend variable has an unknown value or no PostgreSQL database can be had: a test
/// asked for PostgreSQL must never silently run on something else.
pub async fn test_location(dir: &Path) -> DatabaseLocation {
    match std::env::var(TEST_BACKEND_ENV).as_deref() {
        Err(_) | Ok("") | Ok("sqlite") => DatabaseLocation::Sqlite(dir.join("tiyn.db")),
        Ok("postgres") => {
            let url = tokio::task::spawn_blocking(tiyn_store_postgres::cluster::fresh_test_database)
                .await
                .expect("joined")
                .expect("a PostgreSQL test database");
            DatabaseLocation::Postgres(url)
        }
        Ok(other) => panic!("{TEST_BACKEND_ENV}={other:?}: expected sqlite or postgres"),
    }
}
