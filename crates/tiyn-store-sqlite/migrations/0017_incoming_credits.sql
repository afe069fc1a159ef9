-- Statements (issue 6, R-3.1.2.1, R-3.1.2.3, R-6.2): what a statement line shows that the ledger's
-- entries do not keep.
--
-- An incoming interbank credit's payer (name, BIN/IIN, IBAN, bank), KNP and purpose, one row per
-- credit's entry, written in the transaction that books the credit. Credits booked before this
-- migration have no row: their statement line shows the entry's memo as the purpose.
CREATE TABLE incoming_credits (
    entry_id          INTEGER PRIMARY KEY REFERENCES entries (id),
    -- The sending system's message id (the credit's idempotency key is derived from it).
    message_id        TEXT    NOT NULL UNIQUE,
    payer_name        TEXT    NOT NULL,
    payer_taxpayer_id TEXT    CHECK (payer_taxpayer_id GLOB '[0-9][0-9][0-9][0-9][0-9][0-9][0-9][0-9][0-9][0-9][0-9][0-9]'),
    payer_iban        TEXT,
    payer_bic         TEXT,
    knp               TEXT    CHECK (knp GLOB '[0-9][0-9][0-9]'),
    purpose           TEXT    NOT NULL,
    received_at       INTEGER NOT NULL
);
CREATE TRIGGER incoming_credits_immutable_update BEFORE UPDATE ON incoming_credits
BEGIN SELECT RAISE(ABORT, 'incoming credits are immutable'); END;
CREATE TRIGGER incoming_credits_immutable_delete BEFORE DELETE ON incoming_credits
BEGIN SELECT RAISE(ABORT, 'incoming credits are immutable'); END;

-- A statement line finds the payment document of its entry (the internal transfer, the settled
-- interbank payment): one index lookup per line instead of a scan of the documents.
CREATE INDEX payment_documents_entry ON payment_documents (entry_id);
