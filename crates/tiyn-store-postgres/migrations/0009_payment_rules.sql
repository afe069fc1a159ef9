-- The bank's rules for payments (issue 4): a partner's tariff plan (R-4.15), limits (R-6.1.7,
-- R-4.13) and the kinds switched off (R-3.2), as text in the formats of `tiyn_store::rules`;
-- restrictions on accounts (R-6.1.2, R-10.2.4); the list of persons linked to terrorism or
-- extremism financing (R-6.1.5).
ALTER TABLE partners
    ADD COLUMN payment_tariff TEXT,
    ADD COLUMN payment_limits TEXT NOT NULL DEFAULT '',
    ADD COLUMN disabled_kinds TEXT NOT NULL DEFAULT '';

CREATE TABLE restrictions (
    id            BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    account_id    BIGINT NOT NULL REFERENCES accounts (id),
    kind          TEXT   NOT NULL CHECK (kind IN ('arrest_amount', 'arrest_all', 'debit_suspension', 'closing')),
    amount        BIGINT CHECK (amount > 0),
    currency      TEXT   CHECK (currency ~ '^[A-Z]{3}$'),
    allowed_kinds TEXT,
    reference     TEXT   NOT NULL,
    created_by    BIGINT REFERENCES users (id),
    created_at    BIGINT NOT NULL,
    lifted_at     BIGINT,
    CHECK ((kind = 'arrest_amount') = (amount IS NOT NULL AND currency IS NOT NULL))
);
CREATE INDEX restrictions_account ON restrictions (account_id, id);

CREATE TABLE aml_list (
    id          BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    name        TEXT   NOT NULL,
    name_key    TEXT   NOT NULL,
    taxpayer_id TEXT,
    loaded_at   BIGINT NOT NULL
);
CREATE INDEX aml_list_name ON aml_list (name_key);
CREATE INDEX aml_list_taxpayer ON aml_list (taxpayer_id);
