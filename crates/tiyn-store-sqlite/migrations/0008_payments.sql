-- Payment documents (issue 4, R-3.1.1.2): drafts, their confirmation with one code for a batch
-- (R-4.11, R-5.9) and their execution.

-- The requisites are the client's fields, checked before they are stored; amount and currency
-- are kept as minor units for sums. The state's data is in flat columns, present exactly in the
-- statuses that have it (the store writes them together; the triggers refuse a half-written one).
CREATE TABLE payment_documents (
    id                 INTEGER PRIMARY KEY,
    partner_id         INTEGER NOT NULL REFERENCES partners (id),
    -- Sequential per partner, printed on the order.
    number             INTEGER NOT NULL CHECK (number > 0),
    -- draft | awaiting_confirmation | confirmed | executed | sent | settled | refused
    status             TEXT    NOT NULL,
    -- +1 on every edit; a confirmation is bound to it.
    version            INTEGER NOT NULL CHECK (version > 0),
    kind               TEXT    NOT NULL,
    payer_account_id   INTEGER NOT NULL REFERENCES accounts (id),
    currency           TEXT    NOT NULL,
    amount             INTEGER NOT NULL CHECK (amount > 0),
    knp                TEXT,
    purpose            TEXT,
    value_date         TEXT    NOT NULL,
    payee_account_id   INTEGER REFERENCES accounts (id),
    payee_name         TEXT,
    payee_bin          TEXT,
    payee_iban         TEXT,
    payee_bic          TEXT,
    kbe                TEXT,
    kbk                TEXT,
    created_by         INTEGER NOT NULL REFERENCES users (id),
    created_at         INTEGER NOT NULL,
    edited_by          INTEGER NOT NULL REFERENCES users (id),
    edited_at          INTEGER NOT NULL,
    -- The client's Idempotency-Key of the creating request and the digest of that request.
    request_key        TEXT,
    request_digest     BLOB,
    -- Sent for confirmation.
    submitted_by       INTEGER REFERENCES users (id),
    submitted_at       INTEGER,
    content_digest     BLOB,
    -- Confirmed: the evidence (R-5.9).
    challenge_id       TEXT,
    confirmed_by       INTEGER REFERENCES users (id),
    confirmed_at       INTEGER,
    session_id         INTEGER,
    channel            TEXT,
    batch_digest       BLOB,
    business_date      TEXT,
    commission         INTEGER,
    -- Carried out.
    entry_id           INTEGER REFERENCES entries (id),
    hold_id            INTEGER REFERENCES holds (id),
    message_id         TEXT UNIQUE,
    executed_at        INTEGER,
    sent_at            INTEGER,
    settled_at         INTEGER,
    refusal_code       TEXT,
    refusal_reason     TEXT,
    refused_at         INTEGER,
    UNIQUE (partner_id, number),
    UNIQUE (partner_id, request_key)
);
CREATE INDEX payment_documents_partner ON payment_documents (partner_id, id);
-- The day's usage for limits: documents confirmed on a business date.
CREATE INDEX payment_documents_day ON payment_documents (partner_id, business_date) WHERE business_date IS NOT NULL;
-- Confirmed documents waiting for their value date.
CREATE INDEX payment_documents_due ON payment_documents (value_date) WHERE status = 'confirmed';

CREATE TRIGGER payment_documents_evidence_insert BEFORE INSERT ON payment_documents
WHEN NEW.status NOT IN ('draft', 'awaiting_confirmation')
BEGIN SELECT RAISE(ABORT, 'a payment document is created as a draft'); END;
CREATE TRIGGER payment_documents_evidence_update BEFORE UPDATE ON payment_documents
WHEN (NEW.status IN ('confirmed', 'executed', 'sent', 'settled', 'refused')) <> (NEW.challenge_id IS NOT NULL AND NEW.confirmed_by IS NOT NULL AND NEW.confirmed_at IS NOT NULL AND NEW.batch_digest IS NOT NULL AND NEW.content_digest IS NOT NULL)
  OR (NEW.status = 'executed') <> (NEW.executed_at IS NOT NULL)
  OR (NEW.status IN ('executed', 'settled')) <> (NEW.entry_id IS NOT NULL)
  OR (NEW.status = 'settled') <> (NEW.settled_at IS NOT NULL)
  OR (NEW.status IN ('sent', 'settled')) AND (NEW.hold_id IS NULL OR NEW.message_id IS NULL OR NEW.sent_at IS NULL)
  OR (NEW.status = 'refused') <> (NEW.refusal_code IS NOT NULL AND NEW.refused_at IS NOT NULL)
BEGIN SELECT RAISE(ABORT, 'a payment document''s state is recorded with its evidence'); END;
-- Once confirmed, the requisites and the evidence never change (R-5.9).
CREATE TRIGGER payment_documents_confirmed_frozen BEFORE UPDATE ON payment_documents
WHEN OLD.status NOT IN ('draft', 'awaiting_confirmation') AND (
    NEW.version <> OLD.version OR NEW.amount <> OLD.amount OR NEW.payer_account_id <> OLD.payer_account_id
    OR NEW.content_digest IS NOT OLD.content_digest OR NEW.challenge_id IS NOT OLD.challenge_id
    OR NEW.confirmed_by IS NOT OLD.confirmed_by OR NEW.confirmed_at IS NOT OLD.confirmed_at)
BEGIN SELECT RAISE(ABORT, 'a confirmed payment document cannot be changed'); END;
CREATE TRIGGER payment_documents_final BEFORE UPDATE ON payment_documents
WHEN OLD.status IN ('executed', 'settled', 'refused')
BEGIN SELECT RAISE(ABORT, 'a final payment document cannot be changed'); END;
CREATE TRIGGER payment_documents_confirmed_kept BEFORE DELETE ON payment_documents
WHEN OLD.status NOT IN ('draft', 'awaiting_confirmation')
BEGIN SELECT RAISE(ABORT, 'a confirmed payment document cannot be deleted'); END;

-- A batch sent for confirmation with one code (R-4.11): the documents at the version and content
-- the code covers.
CREATE TABLE signings (
    challenge_id TEXT    PRIMARY KEY,
    partner_id   INTEGER NOT NULL REFERENCES partners (id),
    user_id      INTEGER NOT NULL REFERENCES users (id),
    batch_digest BLOB    NOT NULL,
    created_at   INTEGER NOT NULL,
    expires_at   INTEGER NOT NULL,
    used_at      INTEGER,
    -- sms | marker: how the code reaches the user
    channel      TEXT    NOT NULL DEFAULT 'sms' CHECK (channel IN ('sms', 'marker'))
) WITHOUT ROWID;
CREATE TABLE signing_members (
    challenge_id   TEXT    NOT NULL REFERENCES signings (challenge_id),
    position       INTEGER NOT NULL,
    document_id    INTEGER NOT NULL,
    version        INTEGER NOT NULL,
    content_digest BLOB    NOT NULL,
    PRIMARY KEY (challenge_id, position)
) WITHOUT ROWID;

-- Outgoing interbank messages waiting to be handed to the gateway (at least once; the gateway
-- deduplicates by message id). Written in the confirmation's transaction, so a sent payment always
-- has its message.
CREATE TABLE gateway_outbox (
    message_id      TEXT    PRIMARY KEY,
    document_id     INTEGER NOT NULL REFERENCES payment_documents (id),
    partner_id      INTEGER NOT NULL REFERENCES partners (id),
    created_at      INTEGER NOT NULL,
    next_attempt_at INTEGER NOT NULL,
    attempts        INTEGER NOT NULL DEFAULT 0,
    last_error      TEXT,
    delivered_at    INTEGER
) WITHOUT ROWID;
CREATE INDEX gateway_outbox_pending ON gateway_outbox (next_attempt_at) WHERE delivered_at IS NULL;
