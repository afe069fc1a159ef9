-- Marketplace payouts in planned credits (issue 6, R-3.1.2.5); the same model as the SQLite
-- backend.
--
-- A payout is planned until its credit arrives through the gateway: then it names the incoming
-- credit's message id (its `incoming_credits` row) and the instant it was matched, both or
-- neither. Marking is one conditional UPDATE (only where credited_message_id IS NULL), so a
-- payout is credited at most once, whichever process marks it.
ALTER TABLE marketplace_payouts
    ADD COLUMN credited_message_id TEXT CHECK (length(credited_message_id) BETWEEN 1 AND 35),
    -- Microseconds since the epoch.
    ADD COLUMN credited_at BIGINT,
    ADD CONSTRAINT marketplace_payouts_credited_both
        CHECK ((credited_at IS NULL) = (credited_message_id IS NULL));
-- The partner's plan: its reports' payouts not credited yet.
CREATE INDEX marketplace_payouts_planned ON marketplace_payouts (report, paid_on, id)
    WHERE credited_message_id IS NULL;
