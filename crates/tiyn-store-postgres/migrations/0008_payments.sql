-- Payment documents (issue 4, R-3.1.1.2): drafts, their confirmation with one code for a batch
-- (R-4.11, R-5.9) and their execution. Same model as the SQLite backend; instants are BIGINT
-- microseconds, money BIGINT minor units, dates YYYY-MM-DD text (compared as text).

-- The requisites are the client's fields, checked before they are stored; amount and currency
-- are kept as minor units for sums. The state's data is in flat columns, present exactly in the
-- statuses that have it (the store writes them together; the CHECKs refuse a half-written one).
CREATE TABLE payment_documents (
    id               BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    partner_id       BIGINT  NOT NULL REFERENCES partners (id),
    -- Sequential per partner, printed on the order; allocated with the partner's row locked.
    number           BIGINT  NOT NULL CHECK (number > 0),
    status           TEXT    NOT NULL CHECK (status IN ('draft', 'awaiting_confirmation', 'confirmed', 'executed',
                                                        'sent', 'settled', 'refused')),
    -- +1 on every edit; a confirmation is bound to it.
    version          INTEGER NOT NULL CHECK (version > 0),
    kind             TEXT    NOT NULL CHECK (kind IN ('internal', 'interbank', 'budget')),
    payer_account_id BIGINT  NOT NULL REFERENCES accounts (id),
    currency         TEXT    NOT NULL CHECK (currency ~ '^[A-Z]{3}$'),
    amount           BIGINT  NOT NULL CHECK (amount > 0),
    knp              TEXT,
    purpose          TEXT,
    value_date       TEXT    NOT NULL CHECK (value_date ~ '^\d{4}-\d{2}-\d{2}$'),
    payee_account_id BIGINT  REFERENCES accounts (id),
    payee_name       TEXT,
    payee_bin        TEXT,
    payee_iban       TEXT,
    payee_bic        TEXT,
    kbe              TEXT,
    kbk              TEXT,
    created_by       BIGINT  NOT NULL REFERENCES users (id),
    created_at       BIGINT  NOT NULL,
    edited_by        BIGINT  NOT NULL REFERENCES users (id),
    edited_at        BIGINT  NOT NULL,
    -- The client's Idempotency-Key of the creating request and the digest of that request.
    request_key      TEXT,
    request_digest   BYTEA   CHECK (length(request_digest) = 32),
    -- Sent for confirmation.
    submitted_by     BIGINT  REFERENCES users (id),
    submitted_at     BIGINT,
    content_digest   BYTEA   CHECK (length(content_digest) = 32),
    -- Confirmed: the evidence (R-5.9).
    challenge_id     TEXT,
    confirmed_by     BIGINT  REFERENCES users (id),
    confirmed_at     BIGINT,
    session_id       BIGINT,
    channel          TEXT    CHECK (channel IN ('sms', 'marker')),
    batch_digest     BYTEA   CHECK (length(batch_digest) = 32),
    business_date    TEXT    CHECK (business_date ~ '^\d{4}-\d{2}-\d{2}$'),
    commission       BIGINT  CHECK (commission >= 0),
    -- Carried out.
    entry_id         BIGINT  REFERENCES entries (id),
    hold_id          BIGINT  REFERENCES holds (id),
    message_id       TEXT    UNIQUE,
    executed_at      BIGINT,
    sent_at          BIGINT,
    settled_at       BIGINT,
    refusal_code     TEXT,
    refusal_reason   TEXT,
    refused_at       BIGINT,
    UNIQUE (partner_id, number),
    UNIQUE (partner_id, request_key),
    CONSTRAINT payment_documents_request CHECK ((request_key IS NULL) = (request_digest IS NULL)),
    CONSTRAINT payment_documents_submitted CHECK (
        status <> 'awaiting_confirmation'
        OR (submitted_by IS NOT NULL AND submitted_at IS NOT NULL AND content_digest IS NOT NULL)),
    CONSTRAINT payment_documents_evidence CHECK (
        (status IN ('confirmed', 'executed', 'sent', 'settled', 'refused'))
        = (challenge_id IS NOT NULL AND confirmed_by IS NOT NULL AND confirmed_at IS NOT NULL
           AND channel IS NOT NULL AND batch_digest IS NOT NULL AND content_digest IS NOT NULL
           AND business_date IS NOT NULL)),
    CONSTRAINT payment_documents_executed CHECK ((status = 'executed') = (executed_at IS NOT NULL)),
    -- An internal transfer's entry when executed; an outgoing payment's settlement entry.
    CONSTRAINT payment_documents_entry CHECK ((status IN ('executed', 'settled')) = (entry_id IS NOT NULL)),
    CONSTRAINT payment_documents_settled CHECK ((status = 'settled') = (settled_at IS NOT NULL)),
    CONSTRAINT payment_documents_sent CHECK (
        status NOT IN ('sent', 'settled') OR (hold_id IS NOT NULL AND message_id IS NOT NULL AND sent_at IS NOT NULL)),
    CONSTRAINT payment_documents_refused CHECK (
        (status = 'refused') = (refusal_code IS NOT NULL AND refused_at IS NOT NULL))
);
CREATE INDEX payment_documents_partner ON payment_documents (partner_id, id);
-- The day's usage for limits: documents confirmed on a business date.
CREATE INDEX payment_documents_day ON payment_documents (partner_id, business_date) WHERE business_date IS NOT NULL;
-- Confirmed documents waiting for their value date.
CREATE INDEX payment_documents_due ON payment_documents (value_date) WHERE status = 'confirmed';

-- A document is created as a draft (or awaiting confirmation); once confirmed, its requisites and
-- evidence never change, it never returns to draft, and it is never deleted (R-5.9).
CREATE FUNCTION tiyn_payment_document_guard() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        IF NEW.status NOT IN ('draft', 'awaiting_confirmation') THEN
            RAISE EXCEPTION 'a payment document is created as a draft';
        END IF;
        RETURN NEW;
    END IF;
    IF OLD.status IN ('draft', 'awaiting_confirmation') THEN
        IF TG_OP = 'DELETE' THEN
            RETURN OLD;
        END IF;
        RETURN NEW;
    END IF;
    IF TG_OP = 'DELETE' THEN
        RAISE EXCEPTION 'a confirmed payment document cannot be deleted';
    END IF;
    IF OLD.status IN ('executed', 'settled', 'refused') THEN
        RAISE EXCEPTION 'a final payment document cannot be changed';
    END IF;
    IF NEW.status IN ('draft', 'awaiting_confirmation')
       OR ROW(NEW.id, NEW.partner_id, NEW.number, NEW.version, NEW.kind, NEW.payer_account_id, NEW.currency,
              NEW.amount, NEW.knp, NEW.purpose, NEW.value_date, NEW.payee_account_id, NEW.payee_name,
              NEW.payee_bin, NEW.payee_iban, NEW.payee_bic, NEW.kbe, NEW.kbk, NEW.created_by, NEW.created_at,
              NEW.edited_by, NEW.edited_at, NEW.request_key, NEW.request_digest, NEW.submitted_by,
              NEW.submitted_at, NEW.content_digest, NEW.challenge_id, NEW.confirmed_by, NEW.confirmed_at,
              NEW.session_id, NEW.channel, NEW.batch_digest, NEW.business_date)
          IS DISTINCT FROM
          ROW(OLD.id, OLD.partner_id, OLD.number, OLD.version, OLD.kind, OLD.payer_account_id, OLD.currency,
              OLD.amount, OLD.knp, OLD.purpose, OLD.value_date, OLD.payee_account_id, OLD.payee_name,
              OLD.payee_bin, OLD.payee_iban, OLD.payee_bic, OLD.kbe, OLD.kbk, OLD.created_by, OLD.created_at,
              OLD.edited_by, OLD.edited_at, OLD.request_key, OLD.request_digest, OLD.submitted_by,
              OLD.submitted_at, OLD.content_digest, OLD.challenge_id, OLD.confirmed_by, OLD.confirmed_at,
              OLD.session_id, OLD.channel, OLD.batch_digest, OLD.business_date)
    THEN
        RAISE EXCEPTION 'a confirmed payment document cannot be changed';
    END IF;
    RETURN NEW;
END;
$$;
CREATE TRIGGER payment_documents_guard BEFORE INSERT OR UPDATE OR DELETE ON payment_documents
    FOR EACH ROW EXECUTE FUNCTION tiyn_payment_document_guard();
CREATE TRIGGER payment_documents_no_truncate BEFORE TRUNCATE ON payment_documents
    FOR EACH STATEMENT EXECUTE FUNCTION tiyn_refuse_change();

-- A batch sent for confirmation with one code (R-4.11): the documents at the version and content
-- the code covers. A challenge is used once (`used_at`, set with its confirmation).
CREATE TABLE signings (
    challenge_id TEXT   PRIMARY KEY,
    partner_id   BIGINT NOT NULL REFERENCES partners (id),
    user_id      BIGINT NOT NULL REFERENCES users (id),
    batch_digest BYTEA  NOT NULL CHECK (length(batch_digest) = 32),
    created_at   BIGINT NOT NULL,
    expires_at   BIGINT NOT NULL,
    used_at      BIGINT,
    channel      TEXT   NOT NULL DEFAULT 'sms' CHECK (channel IN ('sms', 'marker'))
);
-- No reference to the document: a member's draft may be deleted; the member is still what the
-- code covered.
CREATE TABLE signing_members (
    challenge_id   TEXT    NOT NULL REFERENCES signings (challenge_id),
    position       INTEGER NOT NULL CHECK (position >= 0),
    document_id    BIGINT  NOT NULL,
    version        INTEGER NOT NULL CHECK (version > 0),
    content_digest BYTEA   NOT NULL CHECK (length(content_digest) = 32),
    PRIMARY KEY (challenge_id, position)
);
CREATE TRIGGER signing_members_immutable BEFORE UPDATE OR DELETE ON signing_members
    FOR EACH ROW EXECUTE FUNCTION tiyn_refuse_change();

-- Outgoing interbank messages waiting to be handed to the gateway (at least once; the gateway
-- deduplicates by message id). Written in the confirmation's transaction, so a sent payment always
-- has its message.
CREATE TABLE gateway_outbox (
    message_id      TEXT   PRIMARY KEY,
    document_id     BIGINT NOT NULL REFERENCES payment_documents (id),
    partner_id      BIGINT NOT NULL REFERENCES partners (id),
    created_at      BIGINT NOT NULL,
    next_attempt_at BIGINT NOT NULL,
    attempts        INTEGER NOT NULL DEFAULT 0 CHECK (attempts >= 0),
    last_error      TEXT,
    delivered_at    BIGINT
);
CREATE INDEX gateway_outbox_pending ON gateway_outbox (next_attempt_at) WHERE delivered_at IS NULL;
