-- Templates of frequent payments (issue 4, R-3.1.1.2): a named, partner-wide set of a payment
-- document's fields that a user turns into a new draft. The fields are the client's, checked
-- before they are stored like a draft's, except that there is no value date and the amount may be
-- absent (kept as minor units with its currency when present).
CREATE TABLE payment_templates (
    id               INTEGER PRIMARY KEY,
    partner_id       INTEGER NOT NULL REFERENCES partners (id),
    name             TEXT    NOT NULL CHECK (length(name) BETWEEN 1 AND 100),
    kind             TEXT,
    payer_account_id INTEGER REFERENCES accounts (id),
    currency         TEXT,
    amount           INTEGER CHECK (amount > 0),
    knp              TEXT,
    purpose          TEXT,
    payee_account_id INTEGER REFERENCES accounts (id),
    payee_name       TEXT,
    payee_bin        TEXT,
    payee_iban       TEXT,
    payee_bic        TEXT,
    kbe              TEXT,
    kbk              TEXT,
    created_by       INTEGER NOT NULL REFERENCES users (id),
    created_at       INTEGER NOT NULL,
    UNIQUE (partner_id, name),
    CHECK (amount IS NULL OR currency IS NOT NULL)
);
