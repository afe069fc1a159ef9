//! Directory texts the bank loaded, on PostgreSQL (issue 6, R-3.1.2.2): immutable rows, the
//! newest of each kind read at the server's start.

use sqlx::postgres::PgRow;
// The `AssertSqlSafe` below splices only the constant column list of `tiyn_store::directories`.
use sqlx::{AssertSqlSafe, PgPool, Row};
use tiyn_core::UserId;
use tiyn_store::StoreError;
use tiyn_store::directories::{
    self, DIRECTORY_TEXT_COLUMNS, DirectoryText, DirectoryTextRow, LATEST_DIRECTORY_TEXTS_SQL, NewDirectoryText,
};

fn text_row(row: &PgRow) -> Result<DirectoryTextRow, StoreError> {
    let get = |error: sqlx::Error| StoreError::backend(error);
    Ok(DirectoryTextRow {
        id: row.try_get(0).map_err(get)?,
        kind: row.try_get(1).map_err(get)?,
        text: row.try_get(2).map_err(get)?,
        rows: row.try_get(3).map_err(get)?,
        source: row.try_get(4).map_err(get)?,
        loaded_by: row.try_get(5).map_err(get)?,
        loaded_by_name: row.try_get(6).map_err(get)?,
        loaded_at: row.try_get(7).map_err(get)?,
    })
}

pub async fn add(pool: &PgPool, text: &NewDirectoryText) -> Result<DirectoryText, StoreError> {
    directories::validate_new_text(text)?;
    let rows = i64::try_from(text.rows).map_err(|_| StoreError::Invalid("a directory has fewer rows than that"))?;
    let row = sqlx::query(AssertSqlSafe(format!(
        "INSERT INTO directory_texts (kind, text, row_count, source, loaded_by, loaded_by_name, loaded_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING {DIRECTORY_TEXT_COLUMNS}"
    )))
    .bind(text.kind.as_str())
    .bind(&text.text)
    .bind(rows)
    .bind(&text.source)
    .bind(text.loaded_by.map(UserId::get))
    .bind(&text.loaded_by_name)
    .bind(text.loaded_at.as_microsecond())
    .fetch_one(pool)
    .await
    .map_err(StoreError::backend)?;
    let stored = text_row(&row)?.into_text()?;
    debug_assert_eq!((stored.kind, stored.rows), (text.kind, text.rows));
    Ok(stored)
}

pub async fn latest(pool: &PgPool) -> Result<Vec<DirectoryText>, StoreError> {
    let rows = sqlx::query(LATEST_DIRECTORY_TEXTS_SQL).fetch_all(pool).await.map_err(StoreError::backend)?;
    directories::texts_from_rows(rows.iter().map(text_row).collect::<Result<_, _>>()?)
}
