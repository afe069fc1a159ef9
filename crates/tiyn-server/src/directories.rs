//! The reference directories the bank updates (R-3.1.2.2): `tiyn admin directories load` checks a
//! new file of one directory together with the ones in force (all-or-nothing, errors naming the
//! file and the line), keeps its text in the store with who loaded it and when, and audits it;
//! the server, when it starts, uses the newest stored text of each directory instead of the one
//! compiled in. A running server is not changed under its requests: it picks a new text up at its
//! next start.

use std::sync::Arc;

use tiyn_identity::{BankActor, Context, Identity, IdentityError};
use tiyn_refdata::{CsvTexts, RefDataError, ReferenceData};

pub use tiyn_refdata::DirectoryKind;
use tiyn_store::directories::{DIRECTORY_TEXT_BYTES_MAX, DirectoryText, NewDirectoryText};
use tiyn_store::{Store, StoreError};

/// The audit action of loading a directory.
pub const AUDIT_DIRECTORY_LOAD: &str = "directories.load";

/// Why reference data could not be loaded or a directory not replaced.
#[derive(Debug, thiserror::Error)]
pub enum DirectoryError {
    /// The new file is refused: the message names the file, the line and the problem.
    #[error("{source_name} is refused, nothing changed: {error}")]
    Invalid { source_name: String, error: RefDataError },
    #[error(
        "{source_name} is refused, nothing changed: it has {bytes} bytes, more than the {max} a directory may have"
    )]
    TooLarge { source_name: String, bytes: usize, max: usize },
    /// The texts stored earlier no longer load together (a newer build checks more): load a
    /// corrected file of the directory named.
    #[error("the reference data in force does not load: {0}. Load a corrected file with `tiyn admin directories load`")]
    InForce(RefDataError),
    #[error("cannot read or keep directories: {0}")]
    Store(#[from] StoreError),
    #[error("cannot record the audit event: {0}")]
    Audit(#[from] IdentityError),
}

/// Where one directory in force comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Origin {
    /// The file compiled into this build.
    Embedded,
    /// A text the bank loaded.
    Loaded(DirectoryText),
}

/// One directory as it is in force (for the server at its next start).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InForce {
    pub kind: DirectoryKind,
    pub origin: Origin,
    /// The entries it has.
    pub rows: usize,
}

/// The reference data in force: the compiled-in files, each replaced by the newest text the bank
/// loaded of its kind; with what each directory comes from.
pub async fn in_force(store: &dyn Store) -> Result<(ReferenceData, Vec<InForce>), DirectoryError> {
    let loaded = store.latest_directory_texts().await?;
    let mut texts = CsvTexts::EMBEDDED;
    for text in &loaded {
        texts = texts.with_text(text.kind, &text.text);
    }
    let data = ReferenceData::from_csv_texts(&texts).map_err(DirectoryError::InForce)?;
    let origins = DirectoryKind::ALL
        .into_iter()
        .map(|kind| InForce {
            kind,
            origin: match loaded.iter().find(|text| text.kind == kind) {
                Some(text) => Origin::Loaded(text.clone()),
                None => Origin::Embedded,
            },
            rows: data.rows(kind),
        })
        .collect();
    Ok((data, origins))
}

/// The reference data the server starts with (see [`in_force`]), logged.
pub async fn reference_data(store: &dyn Store) -> Result<Arc<ReferenceData>, DirectoryError> {
    let (data, origins) = in_force(store).await?;
    for directory in &origins {
        if let Origin::Loaded(text) = &directory.origin {
            tracing::info!(
                kind = directory.kind.as_str(),
                rows = directory.rows,
                loaded_at = %text.loaded_at,
                loaded_by = text.loaded_by_name,
                "directory loaded by the bank in force"
            );
        }
    }
    tracing::info!(
        banks = data.banks().entries().len(),
        foreign_banks = data.foreign_banks().entries().len(),
        knp = data.knp().len(),
        kbk = data.kbk().len(),
        kbe = data.kbe().len(),
        holidays_known_through = ?data.calendar().holidays_known_through(),
        "reference data loaded"
    );
    Ok(Arc::new(data))
}

/// Replaces one directory from the server's next start: `text` is checked together with the
/// other directories in force (all-or-nothing), kept with who loaded it and when, and audited.
/// `source_name` is the file as the administrator named it; errors name it.
pub async fn load(
    identity: &Identity,
    context: &Context,
    actor: &BankActor,
    kind: DirectoryKind,
    source_name: &str,
    text: String,
) -> Result<DirectoryText, DirectoryError> {
    if text.len() > DIRECTORY_TEXT_BYTES_MAX {
        let (source_name, bytes) = (source_name.to_owned(), text.len());
        return Err(DirectoryError::TooLarge { source_name, bytes, max: DIRECTORY_TEXT_BYTES_MAX });
    }
    let store = identity.store();
    let loaded = store.latest_directory_texts().await?;
    let mut texts = CsvTexts::EMBEDDED;
    for current in loaded.iter().filter(|current| current.kind != kind) {
        texts = texts.with_text(current.kind, &current.text);
    }
    let checked = ReferenceData::from_csv_texts(&texts.with_text(kind, &text))
        .map_err(|error| DirectoryError::Invalid { source_name: source_name.to_owned(), error })?;
    let rows = checked.rows(kind);
    assert!(rows > 0, "a directory that loads has entries");
    let stored = store
        .add_directory_text(NewDirectoryText {
            kind,
            text,
            rows: u64::try_from(rows).unwrap_or(u64::MAX),
            source: source_name.to_owned(),
            loaded_by: actor.user(),
            loaded_by_name: actor.name().to_owned(),
            loaded_at: identity.now(),
        })
        .await?;
    identity
        .record_bank_action(
            context,
            actor,
            AUDIT_DIRECTORY_LOAD,
            None,
            format!("directory:{kind}"),
            Some(format!(
                "{kind}: {rows} entries from {source_name}, text {}; in force from the next start",
                stored.id
            )),
        )
        .await?;
    tracing::info!(kind = kind.as_str(), rows, text = stored.id, "directory loaded; in force from the next start");
    Ok(stored)
}
