-- Collections leave for the creditor's bank (R-6.1.2, R-6.4.3). A collection order carries the
-- codes of the payment order it becomes: the creditor's KBe, the KNP, and the KBK when the
-- creditor is the budget. Orders registered before this migration have none: their money stays
-- on the clearing account for the bank's staff to forward, as before.
ALTER TABLE restrictions ADD COLUMN creditor_kbe TEXT CHECK (creditor_kbe GLOB '[12][1-9]');
ALTER TABLE restrictions ADD COLUMN knp TEXT CHECK (knp GLOB '[0-9][0-9][0-9]');
ALTER TABLE restrictions ADD COLUMN kbk TEXT CHECK (kbk GLOB '[0-9][0-9][0-9][0-9][0-9][0-9]');

-- The outbox carries a payment document's message or a collection's, never both. SQLite cannot
-- drop a NOT NULL, so the table is rebuilt with the same rows.
CREATE TABLE gateway_outbox_0015 (
    message_id      TEXT    PRIMARY KEY,
    document_id     INTEGER REFERENCES payment_documents (id),
    collection_id   INTEGER UNIQUE REFERENCES collections (id),
    partner_id      INTEGER NOT NULL REFERENCES partners (id),
    created_at      INTEGER NOT NULL,
    next_attempt_at INTEGER NOT NULL,
    attempts        INTEGER NOT NULL DEFAULT 0,
    last_error      TEXT,
    delivered_at    INTEGER,
    CHECK ((document_id IS NULL) <> (collection_id IS NULL))
) WITHOUT ROWID;
INSERT INTO gateway_outbox_0015 (message_id, document_id, partner_id, created_at, next_attempt_at, attempts,
                                 last_error, delivered_at)
SELECT message_id, document_id, partner_id, created_at, next_attempt_at, attempts, last_error, delivered_at
FROM gateway_outbox;
DROP TABLE gateway_outbox;
ALTER TABLE gateway_outbox_0015 RENAME TO gateway_outbox;
CREATE INDEX gateway_outbox_pending ON gateway_outbox (next_attempt_at) WHERE delivered_at IS NULL;

-- What the creditor's bank answered for a sent collection, once. Returned: the entry that put the
-- money back on the account (the order was returned to its issuer, i.e. lifted).
CREATE TABLE collection_outcomes (
    collection_id   INTEGER PRIMARY KEY REFERENCES collections (id),
    outcome         TEXT    NOT NULL CHECK (outcome IN ('settled', 'returned')),
    reason          TEXT,
    return_entry_id INTEGER UNIQUE REFERENCES entries (id),
    decided_at      INTEGER NOT NULL,
    CHECK ((outcome = 'returned') = (reason IS NOT NULL AND return_entry_id IS NOT NULL))
);
CREATE TRIGGER collection_outcomes_immutable_update BEFORE UPDATE ON collection_outcomes
BEGIN SELECT RAISE(ABORT, 'a collection''s outcome is never changed'); END;
CREATE TRIGGER collection_outcomes_immutable_delete BEFORE DELETE ON collection_outcomes
BEGIN SELECT RAISE(ABORT, 'a collection''s outcome is never deleted'); END;
