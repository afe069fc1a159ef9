-- Partners, accounts and the double-entry ledger (same model as the SQLite backend).
-- Instants are BIGINT microseconds since the Unix epoch (UTC); money is BIGINT minor units.

CREATE TABLE partners (
    id            BIGSERIAL PRIMARY KEY,
    name          TEXT   NOT NULL,
    bin           TEXT   NOT NULL UNIQUE,
    legal_address TEXT   NOT NULL,
    created_at    BIGINT NOT NULL
);

CREATE TABLE accounts (
    id         BIGSERIAL PRIMARY KEY,
    partner_id BIGINT REFERENCES partners (id),
    iban       TEXT UNIQUE,
    currency   TEXT   NOT NULL,
    kind       TEXT   NOT NULL,
    name       TEXT   NOT NULL,
    status     TEXT   NOT NULL DEFAULT 'open',
    -- Denormalised sums, written in the same transaction as the postings they sum.
    balance    BIGINT NOT NULL DEFAULT 0,
    held       BIGINT NOT NULL DEFAULT 0 CHECK (held >= 0),
    created_at BIGINT NOT NULL,
    CHECK ((kind = 'partner_current') = (partner_id IS NOT NULL)),
    -- R-6.3.2, enforced by the database as well as by the engine.
    CHECK (kind <> 'partner_current' OR balance - held >= 0)
);
CREATE INDEX accounts_partner ON accounts (partner_id);
CREATE UNIQUE INDEX accounts_bank_kind ON accounts (kind, currency) WHERE partner_id IS NULL;

CREATE TABLE entries (
    id         BIGSERIAL PRIMARY KEY,
    kind       TEXT   NOT NULL,
    memo       TEXT   NOT NULL,
    reverses   BIGINT UNIQUE REFERENCES entries (id),
    created_at BIGINT NOT NULL
);

CREATE TABLE postings (
    id         BIGSERIAL PRIMARY KEY,
    entry_id   BIGINT NOT NULL REFERENCES entries (id),
    account_id BIGINT NOT NULL REFERENCES accounts (id),
    currency   TEXT   NOT NULL,
    amount     BIGINT NOT NULL CHECK (amount <> 0)
);
CREATE INDEX postings_account ON postings (account_id, id);
CREATE INDEX postings_entry ON postings (entry_id);

CREATE TABLE holds (
    id               BIGSERIAL PRIMARY KEY,
    account_id       BIGINT NOT NULL REFERENCES accounts (id),
    currency         TEXT   NOT NULL,
    amount           BIGINT NOT NULL CHECK (amount > 0),
    status           TEXT   NOT NULL,
    memo             TEXT   NOT NULL,
    created_at       BIGINT NOT NULL,
    closed_at        BIGINT,
    capture_entry_id BIGINT REFERENCES entries (id)
);

CREATE TABLE operations (
    key            TEXT   PRIMARY KEY,
    content_digest BYTEA  NOT NULL,
    receipt        TEXT   NOT NULL,
    entry_id       BIGINT REFERENCES entries (id),
    hold_id        BIGINT REFERENCES holds (id),
    created_at     BIGINT NOT NULL
);

-- Postings and entries are never updated or deleted; corrections are reversals.
CREATE FUNCTION tiyn_refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION '% are immutable', TG_TABLE_NAME;
END;
$$;
CREATE TRIGGER postings_immutable BEFORE UPDATE OR DELETE ON postings
    FOR EACH ROW EXECUTE FUNCTION tiyn_refuse_change();
CREATE TRIGGER entries_immutable BEFORE UPDATE OR DELETE ON entries
    FOR EACH ROW EXECUTE FUNCTION tiyn_refuse_change();
CREATE TRIGGER postings_no_truncate BEFORE TRUNCATE ON postings
    FOR EACH STATEMENT EXECUTE FUNCTION tiyn_refuse_change();
