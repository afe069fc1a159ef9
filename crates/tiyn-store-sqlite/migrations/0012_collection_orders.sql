-- Collection orders (инкассовые распоряжения, R-6.1.2): a restriction of kind collection_order
-- carries the amount owed, its legal priority, the creditor and how much the bank has collected;
-- while it is outstanding the partner's own debits are refused. SQLite cannot change a CHECK, so
-- the table is rebuilt with the same rows.
CREATE TABLE restrictions_0012 (
    id            INTEGER PRIMARY KEY,
    account_id    INTEGER NOT NULL REFERENCES accounts (id),
    -- arrest_amount | arrest_all | debit_suspension | collection_order | closing
    kind          TEXT    NOT NULL
                  CHECK (kind IN ('arrest_amount', 'arrest_all', 'debit_suspension', 'collection_order', 'closing')),
    amount        INTEGER CHECK (amount > 0),
    currency      TEXT,
    allowed_kinds TEXT,
    reference     TEXT    NOT NULL,
    created_by    INTEGER REFERENCES users (id),
    created_at    INTEGER NOT NULL,
    lifted_at     INTEGER,
    -- collection_order: 1 is collected first (Civil Code of Kazakhstan, art. 740).
    priority             INTEGER CHECK (priority BETWEEN 1 AND 9),
    creditor_name        TEXT,
    creditor_taxpayer_id TEXT,
    creditor_iban        TEXT,
    collected            INTEGER CHECK (collected >= 0 AND collected <= amount),
    CHECK ((kind IN ('arrest_amount', 'collection_order')) = (amount IS NOT NULL AND currency IS NOT NULL)),
    CHECK ((kind = 'collection_order') = (priority IS NOT NULL AND creditor_name IS NOT NULL
        AND creditor_taxpayer_id IS NOT NULL AND creditor_iban IS NOT NULL AND collected IS NOT NULL))
);
INSERT INTO restrictions_0012 (id, account_id, kind, amount, currency, allowed_kinds, reference, created_by, created_at,
                               lifted_at)
SELECT id, account_id, kind, amount, currency, allowed_kinds, reference, created_by, created_at, lifted_at
FROM restrictions;
DROP TABLE restrictions;
ALTER TABLE restrictions_0012 RENAME TO restrictions;
CREATE INDEX restrictions_account ON restrictions (account_id, id);
CREATE INDEX restrictions_collecting ON restrictions (account_id) WHERE kind = 'collection_order' AND lifted_at IS NULL;

-- Every collection: the order, the journal entry that moved the money, when.
CREATE TABLE collections (
    id             INTEGER PRIMARY KEY,
    restriction_id INTEGER NOT NULL REFERENCES restrictions (id),
    entry_id       INTEGER NOT NULL UNIQUE REFERENCES entries (id),
    amount         INTEGER NOT NULL CHECK (amount > 0),
    collected_at   INTEGER NOT NULL
);
CREATE INDEX collections_restriction ON collections (restriction_id, id);
CREATE TRIGGER collections_immutable_update BEFORE UPDATE ON collections
BEGIN SELECT RAISE(ABORT, 'a collection is never changed'); END;
CREATE TRIGGER collections_immutable_delete BEFORE DELETE ON collections
BEGIN SELECT RAISE(ABORT, 'a collection is never deleted'); END;
