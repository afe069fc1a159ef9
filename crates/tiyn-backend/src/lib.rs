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
