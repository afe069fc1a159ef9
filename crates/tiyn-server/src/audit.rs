//! The audit trail's operations: verifying the chain (`tiyn audit verify`) and purging
//! records past their 5-year retention (a daily job in `tiyn serve`, and `tiyn audit purge`).

use std::sync::Arc;
use std::time::Duration;

use jiff::{Timestamp, ToSpan};
use tiyn_auth::AuditKey;
use tiyn_store::{ChainBreak, ChainVerifier, Store, StoreError};

/// Records are kept 5 years.
pub const AUDIT_RETENTION_YEARS: i16 = 5;
/// Records read per page while verifying.
const VERIFY_PAGE: usize = 1_000;
/// How often the server purges expired records.
const PURGE_EVERY: Duration = Duration::from_secs(24 * 3_600);

/// What a verification found intact.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Verified {
    pub records: u64,
    /// The last record of the chain (0 for an empty trail).
    pub last_id: i64,
}

/// Checks the whole chain, page by page, against the head read at the start (records appended
/// while it runs are left for the next run). The outer error is a storage failure; the inner one
/// names the first broken record.
pub async fn verify(store: &dyn Store, key: &AuditKey) -> Result<Result<Verified, ChainBreak>, StoreError> {
    let head = store.audit_head().await?;
    let mut verifier = ChainVerifier::new(&head);
    let mut after = head.anchor_id;
    'pages: loop {
        let page = store.audit_chain(after, VERIFY_PAGE).await?;
        let Some(last) = page.last() else { break };
        after = last.id;
        for record in &page {
            if record.id > head.last_id {
                break 'pages;
            }
            if let Err(broken) = verifier.feed(key, record) {
                return Ok(Err(broken));
            }
        }
        if page.len() < VERIFY_PAGE {
            break;
        }
    }
    Ok(verifier.finish(&head).map(|records| Verified { records, last_id: head.last_id }))
}

/// The instant before which records have outlived their retention: 5 calendar years back in
/// Asia/Almaty.
pub fn retention_cutoff(now: Timestamp) -> Timestamp {
    let zone = jiff::tz::TimeZone::fixed(jiff::tz::offset(5));
    now.to_zoned(zone)
        .checked_sub(AUDIT_RETENTION_YEARS.years())
        .map(|zoned| zoned.timestamp())
        .unwrap_or(Timestamp::MIN)
}

/// Deletes the records past retention; answers how many.
pub async fn purge(store: &dyn Store, now: Timestamp) -> Result<u64, StoreError> {
    store.purge_audit(retention_cutoff(now)).await
}

/// Purges once a day while the server runs. Several processes may all run it: the store moves the
/// chain's anchor in the same transaction, so concurrent purges are harmless.
pub fn spawn_purge_job(store: Arc<dyn Store>) {
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(PURGE_EVERY);
        loop {
            tick.tick().await;
            match purge(store.as_ref(), Timestamp::now()).await {
                Ok(0) => {}
                Ok(purged) => tracing::info!(purged, "audit records past retention purged"),
                Err(error) => tracing::warn!(error = %error, "audit purge failed; retried tomorrow"),
            }
        }
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn r_3_4_retention_is_five_calendar_years() {
        let now: Timestamp = "2031-03-01T10:00:00Z".parse().expect("instant");
        assert_eq!(retention_cutoff(now), "2026-03-01T10:00:00Z".parse::<Timestamp>().expect("instant"));
    }
}
