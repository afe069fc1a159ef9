-- Partners, accounts and the double-entry ledger.
-- Instants are INTEGER microseconds since the Unix epoch (UTC); money is INTEGER minor units.

CREATE TABLE partners (
    id            INTEGER PRIMARY KEY,
    name          TEXT    NOT NULL,
    bin           TEXT    NOT NULL UNIQUE,
    legal_address TEXT    NOT NULL,
    created_at    INTEGER NOT NULL
);

CREATE TABLE accounts (
    id         INTEGER PRIMARY KEY,
    partner_id INTEGER REFERENCES partners (id),
    iban       TEXT UNIQUE,
    currency   TEXT    NOT NULL,
    kind       TEXT    NOT NULL,
    name       TEXT    NOT NULL,
    status     TEXT    NOT NULL DEFAULT 'open',
    -- Denormalised sums, written in the same transaction as the postings they sum.
    balance    INTEGER NOT NULL DEFAULT 0,
    held       INTEGER NOT NULL DEFAULT 0 CHECK (held >= 0),
    created_at INTEGER NOT NULL,
    CHECK ((kind = 'partner_current') = (partner_id IS NOT NULL)),
    -- R-6.3.2, enforced by the database as well as by the engine.
    CHECK (kind <> 'partner_current' OR balance - held >= 0)
);
CREATE INDEX accounts_partner ON accounts (partner_id);
-- One internal account per kind and currency.
CREATE UNIQUE INDEX accounts_bank_kind ON accounts (kind, currency) WHERE partner_id IS NULL;

CREATE TABLE entries (
    id         INTEGER PRIMARY KEY,
    kind       TEXT    NOT NULL,
    memo       TEXT    NOT NULL,
    -- An entry is reversed at most once.
    reverses   INTEGER UNIQUE REFERENCES entries (id),
    created_at INTEGER NOT NULL
);

CREATE TABLE postings (
    id         INTEGER PRIMARY KEY,
    entry_id   INTEGER NOT NULL REFERENCES entries (id),
    account_id INTEGER NOT NULL REFERENCES accounts (id),
    currency   TEXT    NOT NULL,
    amount     INTEGER NOT NULL CHECK (amount <> 0)
);
CREATE INDEX postings_account ON postings (account_id, id);
CREATE INDEX postings_entry ON postings (entry_id);

CREATE TABLE holds (
    id               INTEGER PRIMARY KEY,
    account_id       INTEGER NOT NULL REFERENCES accounts (id),
    currency         TEXT    NOT NULL,
    amount           INTEGER NOT NULL CHECK (amount > 0),
    status           TEXT    NOT NULL,
    memo             TEXT    NOT NULL,
    created_at       INTEGER NOT NULL,
    closed_at        INTEGER,
    capture_entry_id INTEGER REFERENCES entries (id)
);

-- Idempotency: the first result of every key, and a digest of what it asked for.
CREATE TABLE operations (
    key            TEXT    PRIMARY KEY,
    content_digest BLOB    NOT NULL,
    receipt        TEXT    NOT NULL,
    entry_id       INTEGER REFERENCES entries (id),
    hold_id        INTEGER REFERENCES holds (id),
    created_at     INTEGER NOT NULL
) WITHOUT ROWID;

-- Postings and entries are never updated or deleted; corrections are reversals.
CREATE TRIGGER postings_immutable_update BEFORE UPDATE ON postings
BEGIN SELECT RAISE(ABORT, 'postings are immutable'); END;
CREATE TRIGGER postings_immutable_delete BEFORE DELETE ON postings
BEGIN SELECT RAISE(ABORT, 'postings are immutable'); END;
CREATE TRIGGER entries_immutable_update BEFORE UPDATE ON entries
BEGIN SELECT RAISE(ABORT, 'entries are immutable'); END;
CREATE TRIGGER entries_immutable_delete BEFORE DELETE ON entries
BEGIN SELECT RAISE(ABORT, 'entries are immutable'); END;
