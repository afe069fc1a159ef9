//! Reference directories the bank loaded (issue 6, R-3.1.2.2): the CSV text of a directory as an
//! administrator loaded it with `tiyn admin directories load`, with who loaded it and when. The
//! server uses the newest text of each kind at its start instead of the one compiled in.
//!
//! Rows are never changed or deleted (database triggers): a new file is a new row, so what was in
//! force, and who put it there, stays answerable. The row shapes and their reading live here, once,
//! for both backends.

use jiff::Timestamp;
use tiyn_core::UserId;
use tiyn_refdata::DirectoryKind;

use crate::StoreError;

/// A directory's file is compiled into the binary at a few kilobytes to a few hundred; a loaded
/// one (a licensed SWIFT BIC directory) may be larger, but not without bound: the server reads
/// every kind's newest text at each start.
pub const DIRECTORY_TEXT_BYTES_MAX: usize = 16 * 1024 * 1024;

/// A directory text to keep, already checked by the caller against the other directories.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewDirectoryText {
    pub kind: DirectoryKind,
    pub text: String,
    /// The entries the text has (what `tiyn admin directories show` reports).
    pub rows: u64,
    /// Where it came from: the file name the administrator gave.
    pub source: String,
    /// The operator who loaded it; `None` for the console.
    pub loaded_by: Option<UserId>,
    /// Who loaded it, as a name (the operator's, or the console's).
    pub loaded_by_name: String,
    pub loaded_at: Timestamp,
}

/// A stored directory text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DirectoryText {
    pub id: i64,
    pub kind: DirectoryKind,
    pub text: String,
    pub rows: u64,
    pub source: String,
    pub loaded_by: Option<UserId>,
    pub loaded_by_name: String,
    pub loaded_at: Timestamp,
}

/// Checks a text before any backend writes it.
pub fn validate_new_text(text: &NewDirectoryText) -> Result<(), StoreError> {
    if text.text.trim().is_empty() || text.rows == 0 {
        return Err(StoreError::Invalid("a directory text has rows"));
    }
    if text.text.len() > DIRECTORY_TEXT_BYTES_MAX {
        return Err(StoreError::Invalid("a directory text is at most 16 MiB"));
    }
    Ok(())
}

/// The columns of a directory text, in [`DirectoryTextRow`] order.
pub const DIRECTORY_TEXT_COLUMNS: &str = "id, kind, text, row_count, source, loaded_by, loaded_by_name, loaded_at";

/// A `directory_texts` row as every backend reads it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DirectoryTextRow {
    pub id: i64,
    pub kind: String,
    pub text: String,
    pub rows: i64,
    pub source: String,
    pub loaded_by: Option<i64>,
    pub loaded_by_name: String,
    /// Microseconds since the Unix epoch.
    pub loaded_at: i64,
}

impl DirectoryTextRow {
    pub fn into_text(self) -> Result<DirectoryText, StoreError> {
        let corrupt =
            |what: &str| StoreError::Backend(format!("stored directory text {}: {what} does not read back", self.id));
        let kind = DirectoryKind::parse(&self.kind).ok_or_else(|| corrupt("kind"))?;
        let rows = u64::try_from(self.rows).map_err(|_| corrupt("rows"))?;
        let loaded_at = Timestamp::from_microsecond(self.loaded_at).map_err(|_| corrupt("loaded_at"))?;
        Ok(DirectoryText {
            id: self.id,
            kind,
            text: self.text,
            rows,
            source: self.source,
            loaded_by: self.loaded_by.map(UserId::new),
            loaded_by_name: self.loaded_by_name,
            loaded_at,
        })
    }
}

/// Reads rows, failing on the first that does not read back; asserts one row per kind.
pub fn texts_from_rows(rows: Vec<DirectoryTextRow>) -> Result<Vec<DirectoryText>, StoreError> {
    let mut texts: Vec<DirectoryText> = rows.into_iter().map(DirectoryTextRow::into_text).collect::<Result<_, _>>()?;
    texts.sort_by_key(|text| text.kind);
    assert!(texts.windows(2).all(|pair| pair[0].kind < pair[1].kind), "the newest text of each kind, once");
    Ok(texts)
}

/// The SQL that selects the newest text of each kind (the highest id), shared by both backends.
pub const LATEST_DIRECTORY_TEXTS_SQL: &str = "SELECT id, kind, text, row_count, source, loaded_by, loaded_by_name, loaded_at \
     FROM directory_texts WHERE id IN (SELECT max(id) FROM directory_texts GROUP BY kind)";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rows_read_back_or_say_what_is_corrupt() {
        let row = DirectoryTextRow {
            id: 7,
            kind: "foreign-banks".to_owned(),
            text: "bic,name,city,country\n".to_owned(),
            rows: 1,
            source: "swift.csv".to_owned(),
            loaded_by: None,
            loaded_by_name: "console".to_owned(),
            loaded_at: 1_767_225_600_000_000,
        };
        let text = row.clone().into_text().expect("a valid row");
        assert_eq!((text.kind, text.rows, text.loaded_by), (DirectoryKind::ForeignBanks, 1, None));
        let error = DirectoryTextRow { kind: "swift".to_owned(), ..row }.into_text().unwrap_err();
        assert!(error.to_string().contains("kind"), "{error}");
    }
}
