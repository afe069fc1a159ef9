//! The payment services' background work: the executor that carries out confirmed documents on
//! their value date, and the outbox dispatcher that hands outgoing payments to the interbank
//! gateway (a real one over HTTP, [`crate::gateway_http`], when `gateway_url` is set; else the
//! demo's simulator, which answers through the same pacs.002 path a real gateway uses). Both are safe with several server processes: the store refuses to carry out a document
//! twice, and the gateway deduplicates messages by id.

use std::sync::Arc;
use std::time::Duration;

use data_encoding::BASE64URL_NOPAD;
use sha2::{Digest, Sha256};
use tiyn_auth::MasterKey;
use tiyn_banking::Banking;
use tiyn_banking::gateway::{Gateway, SimulatedGateway};

/// How often the outbox is looked at.
const DISPATCH_EVERY: Duration = Duration::from_millis(500);
/// How often confirmed documents are checked for a value date that has come.
const EXECUTE_EVERY: Duration = Duration::from_secs(30);
/// How long the demo's interbank system takes to answer.
pub const SIMULATOR_DELAY: Duration = Duration::from_millis(1500);

/// The key the interbank gateway presents (`Authorization: Bearer …`) on `/api/gateway/v1`:
/// derived from the master key, so it needs no file of its own and changes with it. `tiyn admin
/// gateway-key` prints it for the gateway's operator.
pub fn gateway_key(master: &MasterKey) -> String {
    BASE64URL_NOPAD.encode(&master.derive_secret("tiyn/gateway-key/v1"))
}

/// What the authorization middleware compares a presented gateway key with.
pub fn gateway_key_digest(master: &MasterKey) -> [u8; 32] {
    Sha256::digest(gateway_key(master).as_bytes()).into()
}

/// Starts the executor and, with a gateway, the outbox dispatcher.
pub fn spawn_jobs(banking: Banking, gateway: Option<Arc<dyn Gateway>>) {
    let executor = banking.clone();
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(EXECUTE_EVERY);
        loop {
            tick.tick().await;
            match executor.execute_due().await {
                Ok(0) => {}
                Ok(done) => tracing::info!(done, "confirmed payments carried out on their value date"),
                Err(error) => tracing::warn!(%error, "carrying out due payments failed; retrying"),
            }
            // Money that arrived by other ways than the gateway (internal payments, released
            // holds) goes to the accounts' collection orders here.
            match executor.collect_due().await {
                Ok(0) => {}
                Ok(made) => tracing::info!(made, "collection orders collected"),
                Err(error) => tracing::warn!(%error, "collecting collection orders failed; retrying"),
            }
        }
    });
    let Some(gateway) = gateway else {
        tracing::warn!(
            "no interbank gateway is configured (gateway_url): interbank and budget payments wait in the outbox"
        );
        return;
    };
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(DISPATCH_EVERY);
        loop {
            tick.tick().await;
            if let Err(error) = banking.dispatch_outbox(gateway.as_ref()).await {
                tracing::warn!(%error, "handing payments to the gateway failed; retrying");
            }
        }
    });
}

/// The demo's interbank system.
pub fn simulator(banking: &Banking) -> Arc<dyn Gateway> {
    SimulatedGateway::new(banking.clone(), SIMULATOR_DELAY)
}
