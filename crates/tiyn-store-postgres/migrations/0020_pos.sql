-- POS terminals and their card operations (issue 6, R-3.1.2.4) and the planned credits of their
-- settlements (R-3.1.2.5); the same model as the SQLite backend.
--
-- A terminal belongs to one partner and settles to one of the partner's accounts. Its operations
-- arrive from the acquirer through the gateway API, keyed by the acquirer's operation id (the
-- idempotency key: a repeat with the same content changes nothing). Only a masked card number is
-- ever kept (first 6 and last 4 digits): the CHECK refuses anything else, so a full card number
-- cannot be stored even by a bug above. Money is integer minor units.
CREATE TABLE pos_terminals (
    id                    BIGSERIAL PRIMARY KEY,
    partner_id            BIGINT NOT NULL REFERENCES partners (id),
    -- The acquirer's terminal id, unique in the bank: "T0012345".
    terminal_id           TEXT   NOT NULL UNIQUE CHECK (length(terminal_id) BETWEEN 1 AND 32),
    address               TEXT   NOT NULL CHECK (length(address) BETWEEN 1 AND 300),
    status                TEXT   NOT NULL CHECK (status IN ('active', 'blocked', 'closed')),
    settlement_account_id BIGINT NOT NULL REFERENCES accounts (id),
    created_at            BIGINT NOT NULL,
    updated_at            BIGINT NOT NULL
);
CREATE INDEX pos_terminals_partner ON pos_terminals (partner_id, terminal_id);

CREATE TABLE pos_operations (
    id              BIGSERIAL PRIMARY KEY,
    terminal_id     BIGINT NOT NULL REFERENCES pos_terminals (id),
    -- The acquirer's id of the operation: the idempotency key of its ingestion.
    operation_id    TEXT   NOT NULL UNIQUE CHECK (length(operation_id) BETWEEN 1 AND 64),
    -- Microseconds since the epoch.
    occurred_at     BIGINT NOT NULL,
    kind            TEXT   NOT NULL CHECK (kind IN ('purchase', 'refund', 'reversal')),
    status          TEXT   NOT NULL CHECK (status IN ('approved', 'declined', 'settled')),
    -- Masked only: 6 digits, 3 to 9 asterisks, 4 digits (13 to 19 characters).
    card_masked     TEXT   NOT NULL CHECK (card_masked ~ '^\d{6}\*{3,9}\d{4}$'),
    amount          BIGINT NOT NULL CHECK (amount > 0),
    currency        TEXT   NOT NULL,
    fee             BIGINT NOT NULL CHECK (fee >= 0),
    -- The business date the acquirer settles it on; unknown until it says.
    settlement_date TEXT   CHECK (settlement_date ~ '^\d{4}-\d{2}-\d{2}$'),
    -- The ledger entry of the settlement credit that paid it, once it arrived.
    credited_entry  BIGINT REFERENCES entries (id),
    created_at      BIGINT NOT NULL
);
-- A terminal's statement: keyset pages by (occurred_at, id).
CREATE INDEX pos_operations_terminal ON pos_operations (terminal_id, occurred_at, id);
-- The planned credits: settled operations not yet credited.
CREATE INDEX pos_operations_planned ON pos_operations (terminal_id, settlement_date)
    WHERE credited_entry IS NULL AND status = 'settled';
