//! Reading a CSV text into rows of named columns, and matching search queries. Columns are
//! looked up by header name, so an updated file may reorder or add columns without breaking us.

use crate::error::{RefDataError, RowProblem};

/// One data row: its line in the file (for error messages) and the requested columns, in the
/// order they were requested, trimmed.
pub(crate) struct Row<const N: usize> {
    pub line: u64,
    pub values: [String; N],
}

impl<const N: usize> Row<N> {
    /// An error about this row.
    pub fn problem(&self, file: &'static str, problem: RowProblem) -> RefDataError {
        RefDataError::Row { file, line: self.line, problem }
    }
}

/// Reads `text` (a CSV file with a header line) and returns the `columns` of every row.
pub(crate) fn read_table<const N: usize>(
    file: &'static str,
    text: &str,
    columns: [&'static str; N],
) -> Result<Vec<Row<N>>, RefDataError> {
    let csv_error = |error: csv::Error| RefDataError::Csv {
        file,
        line: error.position().map(csv::Position::line),
        message: error.to_string(),
    };
    let mut reader = csv::ReaderBuilder::new().has_headers(true).trim(csv::Trim::All).from_reader(text.as_bytes());
    let header = reader.headers().map_err(csv_error)?.clone();

    let mut indexes = [0usize; N];
    for (slot, column) in indexes.iter_mut().zip(columns) {
        let Some(index) = header.iter().position(|name| name == column) else {
            return Err(RefDataError::MissingColumn { file, column });
        };
        *slot = index;
    }

    let mut rows = Vec::new();
    for record in reader.records() {
        let record = record.map_err(csv_error)?;
        // Records always have a position when read from a reader; 0 would mean "unknown".
        let line = record.position().map_or(0, csv::Position::line);
        let values: [String; N] = std::array::from_fn(|i| record.get(indexes[i]).unwrap_or_default().to_owned());
        rows.push(Row { line, values });
    }
    if rows.is_empty() {
        return Err(RefDataError::NoRows { file });
    }
    Ok(rows)
}

/// The words of a search query, lower-cased, with surrounding punctuation (quotes such as «»)
/// removed. An empty result means the query matches nothing.
pub(crate) fn query_words(query: &str) -> Vec<String> {
    query
        .split_whitespace()
        .map(|word| word.trim_matches(|c: char| !c.is_alphanumeric()).to_lowercase())
        .filter(|word| !word.is_empty())
        .collect()
}

/// Whether every query word is a prefix of one of the `codes` (already lower-case) or occurs
/// in `text` (already lower-case). Prefixes for codes, so that typing "72" offers 722 and "casp"
/// offers CASPKZKA; substrings for names, so that "народный" finds «Народный Банк Казахстана».
/// A word of digits only is a code and matches codes only: names mention other codes ("KBK
/// 101201"), and "12" should offer KNP 121–124, not 911. There is no transliteration: "halyk"
/// does not find «Қазақстан Халық Банкі».
pub(crate) fn matches_all(words: &[String], codes: &[&str], text: &str) -> bool {
    !words.is_empty()
        && words.iter().all(|word| {
            let is_code = word.bytes().all(|b| b.is_ascii_digit());
            codes.iter().any(|code| code.starts_with(word.as_str())) || (!is_code && text.contains(word.as_str()))
        })
}
