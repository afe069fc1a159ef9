-- Statements (issue 6, R-3.1.2.1, R-3.1.2.3, R-6.2): what a statement line shows that the ledger's
-- entries do not keep (same model as the SQLite backend).
--
-- An incoming interbank credit's payer (name, BIN/IIN, IBAN, bank), KNP and purpose, one row per
-- credit's entry, written in the transaction that books the credit. Credits booked before this
-- migration have no row: their statement line shows the entry's memo as the purpose.
CREATE TABLE incoming_credits (
    entry_id          BIGINT PRIMARY KEY REFERENCES entries (id),
    -- The sending system's message id (the credit's idempotency key is derived from it).
    message_id        TEXT   NOT NULL UNIQUE,
    payer_name        TEXT   NOT NULL,
    payer_taxpayer_id TEXT   CHECK (payer_taxpayer_id ~ '^\d{12}$'),
    payer_iban        TEXT,
    payer_bic         TEXT,
    knp               TEXT   CHECK (knp ~ '^\d{3}$'),
    purpose           TEXT   NOT NULL,
    received_at       BIGINT NOT NULL
);
CREATE TRIGGER incoming_credits_immutable BEFORE UPDATE OR DELETE ON incoming_credits
    FOR EACH ROW EXECUTE FUNCTION tiyn_refuse_change();
CREATE TRIGGER incoming_credits_no_truncate BEFORE TRUNCATE ON incoming_credits
    FOR EACH STATEMENT EXECUTE FUNCTION tiyn_refuse_change();

-- A statement line finds the payment document of its entry (the internal transfer, the settled
-- interbank payment): one index lookup per line instead of a scan of the documents.
CREATE INDEX payment_documents_entry ON payment_documents (entry_id);
