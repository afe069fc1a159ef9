//! Directory texts the bank loaded, on SQLite (issue 6, R-3.1.2.2): immutable rows, the newest of
//! each kind read at the server's start.

use rusqlite::{Connection, Row, params};
use tiyn_core::UserId;
use tiyn_store::StoreError;
use tiyn_store::directories::{
    self, DIRECTORY_TEXT_COLUMNS, DirectoryText, DirectoryTextRow, LATEST_DIRECTORY_TEXTS_SQL, NewDirectoryText,
};

fn text_row(row: &Row<'_>) -> rusqlite::Result<DirectoryTextRow> {
    Ok(DirectoryTextRow {
        id: row.get(0)?,
        kind: row.get(1)?,
        text: row.get(2)?,
        rows: row.get(3)?,
        source: row.get(4)?,
        loaded_by: row.get(5)?,
        loaded_by_name: row.get(6)?,
        loaded_at: row.get(7)?,
    })
}

pub fn add(connection: &mut Connection, text: &NewDirectoryText) -> Result<DirectoryText, StoreError> {
    directories::validate_new_text(text)?;
    let rows = i64::try_from(text.rows).map_err(|_| StoreError::Invalid("a directory has fewer rows than that"))?;
    let row = connection
        .query_row(
            &format!(
                "INSERT INTO directory_texts (kind, text, row_count, source, loaded_by, loaded_by_name, loaded_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7) RETURNING {DIRECTORY_TEXT_COLUMNS}"
            ),
            params![
                text.kind.as_str(),
                text.text,
                rows,
                text.source,
                text.loaded_by.map(UserId::get),
                text.loaded_by_name,
                text.loaded_at.as_microsecond(),
            ],
            text_row,
        )
        .map_err(StoreError::backend)?;
    let stored = row.into_text()?;
    debug_assert_eq!((stored.kind, stored.rows), (text.kind, text.rows));
    Ok(stored)
}

pub fn latest(connection: &Connection) -> Result<Vec<DirectoryText>, StoreError> {
    let mut statement = connection.prepare(LATEST_DIRECTORY_TEXTS_SQL).map_err(StoreError::backend)?;
    let rows = statement
        .query_map([], text_row)
        .map_err(StoreError::backend)?
        .collect::<rusqlite::Result<Vec<_>>>()
        .map_err(StoreError::backend)?;
    directories::texts_from_rows(rows)
}
