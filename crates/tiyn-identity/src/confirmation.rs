//! Codes that confirm documents: one code for a batch, bound to the digest of
//! exactly the documents it covers. The payments use cases decide what the digest is; this
//! module issues the code to the principal and checks it.

use tiyn_auth::{ChallengeId, CodePurpose, code};

use crate::audit::Entry;
use crate::login::{Challenge, ChallengeChannel};
use crate::{Context, Identity, IdentityError, Principal};

/// The audit action of a confirmation code's check.
pub const CONFIRMATION_CODE: &str = "payments.confirmation_code";

impl Identity {
    /// Sends the principal a code bound to `digest` by SMS; `about` names what it confirms (the
    /// count and total of the batch) in the message.
    pub async fn issue_confirmation_code(
        &self,
        principal: &Principal,
        digest: [u8; 32],
        about: &str,
    ) -> Result<Challenge, IdentityError> {
        let now = self.clock.now();
        self.send_code_about(principal.user(), CodePurpose::Confirmation { digest }, Some(about), now).await
    }

    /// Checks a confirmation code: it must be the principal's, for exactly this digest, within its
    /// lifetime and attempts. A wrong code counts as a failure of the user and of the source
    /// . Another user's challenge answers like an unknown one.
    pub async fn verify_confirmation_code(
        &self,
        context: &Context,
        principal: &Principal,
        challenge: &str,
        code: &str,
        digest: [u8; 32],
    ) -> Result<(), IdentityError> {
        let user = self
            .verify_challenge(context, challenge, code, CodePurpose::Confirmation { digest }, CONFIRMATION_CODE)
            .await?;
        if user.id != principal.user_id() {
            self.record(context, Entry::new(CONFIRMATION_CODE).by(principal).failed("code_invalid")).await?;
            return Err(IdentityError::UnknownChallenge);
        }
        Ok(())
    }

    /// Asks for the principal's marker instead of an SMS: a challenge bound to
    /// `digest` is kept, nothing is sent. `Invalid(channel, no_active_marker)` without an active
    /// marker.
    pub async fn issue_marker_confirmation(
        &self,
        principal: &Principal,
        digest: [u8; 32],
    ) -> Result<Challenge, IdentityError> {
        let user = principal.user();
        if !self.has_active_marker(user).await? {
            return Err(IdentityError::invalid("channel", "no_active_marker", "the user has no active marker"));
        }
        let now = self.clock.now();
        let challenge_id = ChallengeId::generate(&mut rand::rng());
        let record = code::marker_challenge_for(
            &self.config.codes,
            &challenge_id,
            CodePurpose::Confirmation { digest },
            now,
            &self.config.keys.code,
        );
        let expires_at = record.expires_at();
        self.store.save_code(&challenge_id, user.id, record, now).await?;
        let markers = self.store.user_markers(user.id).await?;
        let serials: Vec<&str> = markers
            .iter()
            .filter(|marker| marker.status == tiyn_store::MarkerStatus::Active)
            .map(|marker| marker.serial.as_str())
            .collect();
        Ok(Challenge { challenge_id, channel: ChallengeChannel::Marker, sent_to: serials.join(", "), expires_at })
    }

    /// Checks a marker's code for a confirmation: the code must be the principal's marker's
    /// (never accepted twice), then the challenge bound to `digest` is consumed, once.
    pub async fn verify_marker_confirmation(
        &self,
        context: &Context,
        principal: &Principal,
        challenge: &str,
        code: &str,
        digest: [u8; 32],
    ) -> Result<(), IdentityError> {
        let now = self.clock.now();
        let user = principal.user();
        if let Err(refusal) = self.check_marker_code(user, code, now).await {
            self.count_source_failure(context, now).await?;
            self.charge_failure(context, user, now).await?;
            self.record(context, Entry::new(CONFIRMATION_CODE).by(principal).failed(refusal.code())).await?;
            return Err(refusal);
        }
        let challenge_id = ChallengeId::parse(challenge).map_err(|_| IdentityError::UnknownChallenge)?;
        let key = &self.config.keys.code;
        let ticket = code::marker_ticket(key, &challenge_id, self.config.codes.digits());
        let consumed = self
            .store
            .verify_code(&challenge_id, ticket.expose(), CodePurpose::Confirmation { digest }, now, key)
            .await;
        match consumed {
            Ok((owner, Ok(()))) if owner == user.id => Ok(()),
            Ok((_, Err(refusal))) => {
                self.record(context, Entry::new(CONFIRMATION_CODE).by(principal).failed(refusal.code())).await?;
                Err(IdentityError::Code(refusal))
            }
            Ok(_) | Err(tiyn_store::StoreError::NotFound { .. }) => {
                self.record(context, Entry::new(CONFIRMATION_CODE).by(principal).failed("code_invalid")).await?;
                Err(IdentityError::UnknownChallenge)
            }
            Err(other) => Err(other.into()),
        }
    }
}
