-- The bank's rules for payments (issue 4): a partner's tariff plan (R-4.15), limits (R-6.1.7,
-- R-4.13) and the kinds switched off (R-3.2), as text in the formats of `tiyn_store::rules`;
-- restrictions on accounts (R-6.1.2, R-10.2.4); the list of persons linked to terrorism or
-- extremism financing (R-6.1.5).
ALTER TABLE partners ADD COLUMN payment_tariff TEXT;
ALTER TABLE partners ADD COLUMN payment_limits TEXT NOT NULL DEFAULT '';
ALTER TABLE partners ADD COLUMN disabled_kinds TEXT NOT NULL DEFAULT '';

CREATE TABLE restrictions (
    id         INTEGER PRIMARY KEY,
    account_id INTEGER NOT NULL REFERENCES accounts (id),
    -- arrest_amount | arrest_all | debit_suspension | closing
    kind       TEXT    NOT NULL CHECK (kind IN ('arrest_amount', 'arrest_all', 'debit_suspension', 'closing')),
    amount     INTEGER CHECK (amount > 0),
    currency   TEXT,
    allowed_kinds TEXT,
    reference  TEXT    NOT NULL,
    created_by INTEGER REFERENCES users (id),
    created_at INTEGER NOT NULL,
    lifted_at  INTEGER,
    CHECK ((kind = 'arrest_amount') = (amount IS NOT NULL AND currency IS NOT NULL))
);
CREATE INDEX restrictions_account ON restrictions (account_id, id);

CREATE TABLE aml_list (
    id          INTEGER PRIMARY KEY,
    name        TEXT NOT NULL,
    name_key    TEXT NOT NULL,
    taxpayer_id TEXT,
    loaded_at   INTEGER NOT NULL
);
CREATE INDEX aml_list_name ON aml_list (name_key);
CREATE INDEX aml_list_taxpayer ON aml_list (taxpayer_id);
