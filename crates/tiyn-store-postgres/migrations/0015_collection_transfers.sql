-- Collections leave for the creditor's bank (R-6.1.2, R-6.4.3). A collection order carries the
-- codes of the payment order it becomes: the creditor's KBe, the KNP, and the KBK when the
-- creditor is the budget. Orders registered before this migration have none: their money stays
-- on the clearing account for the bank's staff to forward, as before.
ALTER TABLE restrictions
    ADD COLUMN creditor_kbe TEXT CHECK (creditor_kbe ~ '^[12][1-9]$'),
    ADD COLUMN knp          TEXT CHECK (knp ~ '^\d{3}$'),
    ADD COLUMN kbk          TEXT CHECK (kbk ~ '^\d{6}$');

-- The outbox carries a payment document's message or a collection's, never both.
ALTER TABLE gateway_outbox
    ALTER COLUMN document_id DROP NOT NULL,
    ADD COLUMN collection_id BIGINT UNIQUE REFERENCES collections (id),
    ADD CONSTRAINT gateway_outbox_one_source CHECK ((document_id IS NULL) <> (collection_id IS NULL));

-- What the creditor's bank answered for a sent collection, once. Returned: the entry that put the
-- money back on the account (the order was returned to its issuer, i.e. lifted).
CREATE TABLE collection_outcomes (
    collection_id   BIGINT PRIMARY KEY REFERENCES collections (id),
    outcome         TEXT   NOT NULL CHECK (outcome IN ('settled', 'returned')),
    reason          TEXT,
    return_entry_id BIGINT UNIQUE REFERENCES entries (id),
    decided_at      BIGINT NOT NULL,
    CHECK ((outcome = 'returned') = (reason IS NOT NULL AND return_entry_id IS NOT NULL))
);
CREATE TRIGGER collection_outcomes_immutable BEFORE UPDATE OR DELETE ON collection_outcomes
    FOR EACH ROW EXECUTE FUNCTION tiyn_refuse_change();
CREATE TRIGGER collection_outcomes_no_truncate BEFORE TRUNCATE ON collection_outcomes
    FOR EACH STATEMENT EXECUTE FUNCTION tiyn_refuse_change();
