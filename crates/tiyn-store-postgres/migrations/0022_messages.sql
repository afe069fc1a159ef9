-- The bank's notices to partners and the marketplace's reconciliation reports (issue 6,
-- R-3.1.2.8); the same model as the SQLite backend.
--
-- A notice goes to one partner, or to every partner when partner_id is NULL. An optional
-- idempotency key makes publishing safe to repeat (the demo seeds with one at every start).
CREATE TABLE notices (
    id              BIGSERIAL PRIMARY KEY,
    partner_id      BIGINT REFERENCES partners (id),
    kind            TEXT    NOT NULL CHECK (kind IN ('promotion', 'tariff_change', 'legal_address_change',
                                                     'terms_change', 'maintenance', 'other')),
    title           TEXT    NOT NULL CHECK (length(title) BETWEEN 1 AND 200),
    body            TEXT    NOT NULL CHECK (length(body) BETWEEN 1 AND 4000),
    -- Microseconds since the epoch.
    published_at    BIGINT NOT NULL,
    published_by    TEXT    NOT NULL CHECK (length(published_by) BETWEEN 1 AND 200),
    idempotency_key TEXT    UNIQUE CHECK (length(idempotency_key) BETWEEN 1 AND 128)
);
-- A partner's page: its own notices and the broadcasts, newest first.
CREATE INDEX notices_partner ON notices (partner_id, published_at, id);
CREATE INDEX notices_published ON notices (published_at, id);

-- A marketplace report, keyed by the marketplace's report id (the idempotency key of its
-- ingestion; a repeat is compared by the digest of its content). Money is integer minor units of
-- the report's one currency.
CREATE TABLE marketplace_reports (
    id             BIGSERIAL PRIMARY KEY,
    report_id      TEXT    NOT NULL UNIQUE CHECK (length(report_id) BETWEEN 1 AND 64),
    partner_id     BIGINT NOT NULL REFERENCES partners (id),
    period_from    TEXT    NOT NULL CHECK (period_from ~ '^[0-9]{4}-[0-9]{2}-[0-9]{2}$'),
    period_to      TEXT    NOT NULL CHECK (period_to ~ '^[0-9]{4}-[0-9]{2}-[0-9]{2}$'),
    currency       TEXT    NOT NULL,
    content_digest TEXT    NOT NULL,
    received_at    BIGINT NOT NULL,
    CHECK (period_from <= period_to)
);
CREATE INDEX marketplace_reports_partner ON marketplace_reports (partner_id, id);

CREATE TABLE marketplace_payouts (
    id           BIGSERIAL PRIMARY KEY,
    report       BIGINT NOT NULL REFERENCES marketplace_reports (id),
    payout_id    TEXT    NOT NULL CHECK (length(payout_id) BETWEEN 1 AND 64),
    paid_on      TEXT    NOT NULL CHECK (paid_on ~ '^[0-9]{4}-[0-9]{2}-[0-9]{2}$'),
    amount       BIGINT NOT NULL CHECK (amount >= 0),
    account_iban TEXT    NOT NULL,
    UNIQUE (report, payout_id)
);

-- An order names the payout that covered it: an order is in at most one payout by construction.
CREATE TABLE marketplace_orders (
    id         BIGSERIAL PRIMARY KEY,
    report     BIGINT NOT NULL REFERENCES marketplace_reports (id),
    order_id   TEXT    NOT NULL CHECK (length(order_id) BETWEEN 1 AND 64),
    sold_at    BIGINT NOT NULL,
    amount     BIGINT NOT NULL CHECK (amount > 0),
    commission BIGINT NOT NULL CHECK (commission >= 0 AND commission <= amount),
    payout     BIGINT REFERENCES marketplace_payouts (id),
    UNIQUE (report, order_id)
);
CREATE INDEX marketplace_orders_payout ON marketplace_orders (payout);
