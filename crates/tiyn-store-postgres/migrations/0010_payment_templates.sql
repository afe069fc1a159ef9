-- Templates of frequent payments (issue 4, R-3.1.1.2): a named, partner-wide set of a payment
-- document's fields that a user turns into a new draft. The fields are the client's, checked
-- before they are stored like a draft's, except that there is no value date and the amount may be
-- absent (kept as minor units with its currency when present).
CREATE TABLE payment_templates (
    id               BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    partner_id       BIGINT NOT NULL REFERENCES partners (id),
    name             TEXT   NOT NULL CHECK (char_length(name) BETWEEN 1 AND 100),
    kind             TEXT,
    payer_account_id BIGINT REFERENCES accounts (id),
    currency         TEXT   CHECK (currency ~ '^[A-Z]{3}$'),
    amount           BIGINT CHECK (amount > 0),
    knp              TEXT,
    purpose          TEXT,
    payee_account_id BIGINT REFERENCES accounts (id),
    payee_name       TEXT,
    payee_bin        TEXT,
    payee_iban       TEXT,
    payee_bic        TEXT,
    kbe              TEXT,
    kbk              TEXT,
    created_by       BIGINT NOT NULL REFERENCES users (id),
    created_at       BIGINT NOT NULL,
    CONSTRAINT payment_templates_name UNIQUE (partner_id, name),
    CONSTRAINT payment_templates_amount CHECK (amount IS NULL OR currency IS NOT NULL)
);
