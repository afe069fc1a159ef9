-- The bank's notices to partners and the marketplace's reconciliation reports (issue 6,
-- R-3.1.2.8).
--
-- A notice goes to one partner, or to every partner when partner_id is NULL. An optional
-- idempotency key makes publishing safe to repeat (the demo seeds with one at every start).
CREATE TABLE notices (
    id              INTEGER PRIMARY KEY,
    partner_id      INTEGER REFERENCES partners (id),
    kind            TEXT    NOT NULL CHECK (kind IN ('promotion', 'tariff_change', 'legal_address_change',
                                                     'terms_change', 'maintenance', 'other')),
    title           TEXT    NOT NULL CHECK (length(title) BETWEEN 1 AND 200),
    body            TEXT    NOT NULL CHECK (length(body) BETWEEN 1 AND 4000),
    -- Microseconds since the epoch.
    published_at    INTEGER NOT NULL,
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
    id             INTEGER PRIMARY KEY,
    report_id      TEXT    NOT NULL UNIQUE CHECK (length(report_id) BETWEEN 1 AND 64),
    partner_id     INTEGER NOT NULL REFERENCES partners (id),
    period_from    TEXT    NOT NULL CHECK (period_from GLOB '[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]'),
    period_to      TEXT    NOT NULL CHECK (period_to GLOB '[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]'),
    currency       TEXT    NOT NULL,
    content_digest TEXT    NOT NULL,
    received_at    INTEGER NOT NULL,
    CHECK (period_from <= period_to)
);
CREATE INDEX marketplace_reports_partner ON marketplace_reports (partner_id, id);

CREATE TABLE marketplace_payouts (
    id           INTEGER PRIMARY KEY,
    report       INTEGER NOT NULL REFERENCES marketplace_reports (id),
    payout_id    TEXT    NOT NULL CHECK (length(payout_id) BETWEEN 1 AND 64),
    paid_on      TEXT    NOT NULL CHECK (paid_on GLOB '[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]'),
    amount       INTEGER NOT NULL CHECK (amount >= 0),
    account_iban TEXT    NOT NULL,
    UNIQUE (report, payout_id)
);

-- An order names the payout that covered it: an order is in at most one payout by construction.
CREATE TABLE marketplace_orders (
    id         INTEGER PRIMARY KEY,
    report     INTEGER NOT NULL REFERENCES marketplace_reports (id),
    order_id   TEXT    NOT NULL CHECK (length(order_id) BETWEEN 1 AND 64),
    sold_at    INTEGER NOT NULL,
    amount     INTEGER NOT NULL CHECK (amount > 0),
    commission INTEGER NOT NULL CHECK (commission >= 0 AND commission <= amount),
    payout     INTEGER REFERENCES marketplace_payouts (id),
    UNIQUE (report, order_id)
);
CREATE INDEX marketplace_orders_payout ON marketplace_orders (payout);
