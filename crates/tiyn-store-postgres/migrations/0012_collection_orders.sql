-- Collection orders (инкассовые распоряжения, R-6.1.2): a restriction of kind collection_order
-- carries the amount owed, its legal priority, the creditor and how much the bank has collected;
-- while it is outstanding the partner's own debits are refused.
ALTER TABLE restrictions DROP CONSTRAINT restrictions_kind_check;
ALTER TABLE restrictions DROP CONSTRAINT restrictions_check;
ALTER TABLE restrictions
    ADD COLUMN priority             SMALLINT CHECK (priority BETWEEN 1 AND 9),
    ADD COLUMN creditor_name        TEXT,
    ADD COLUMN creditor_taxpayer_id TEXT CHECK (creditor_taxpayer_id ~ '^\d{12}$'),
    ADD COLUMN creditor_iban        TEXT,
    ADD COLUMN collected            BIGINT CHECK (collected >= 0 AND collected <= amount),
    ADD CONSTRAINT restrictions_kind_check
        CHECK (kind IN ('arrest_amount', 'arrest_all', 'debit_suspension', 'collection_order', 'closing')),
    ADD CONSTRAINT restrictions_amount_kinds
        CHECK ((kind IN ('arrest_amount', 'collection_order')) = (amount IS NOT NULL AND currency IS NOT NULL)),
    ADD CONSTRAINT restrictions_collection_order
        CHECK ((kind = 'collection_order') = (priority IS NOT NULL AND creditor_name IS NOT NULL
            AND creditor_taxpayer_id IS NOT NULL AND creditor_iban IS NOT NULL AND collected IS NOT NULL));
CREATE INDEX restrictions_collecting ON restrictions (account_id) WHERE kind = 'collection_order' AND lifted_at IS NULL;

-- Every collection: the order, the journal entry that moved the money, when.
CREATE TABLE collections (
    id             BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    restriction_id BIGINT NOT NULL REFERENCES restrictions (id),
    entry_id       BIGINT NOT NULL UNIQUE REFERENCES entries (id),
    amount         BIGINT NOT NULL CHECK (amount > 0),
    collected_at   BIGINT NOT NULL
);
CREATE INDEX collections_restriction ON collections (restriction_id, id);
CREATE TRIGGER collections_immutable BEFORE UPDATE OR DELETE ON collections
    FOR EACH ROW EXECUTE FUNCTION tiyn_refuse_change();
CREATE TRIGGER collections_no_truncate BEFORE TRUNCATE ON collections
    FOR EACH STATEMENT EXECUTE FUNCTION tiyn_refuse_change();
