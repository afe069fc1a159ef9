-- Foreign-currency transfers (issue 5, R-3.1.1.3): a fifth kind of payment document, and the
-- requisites only it has (payee address and country, SWIFT BICs, charges, contract), kept
-- together as one JSON object; NULL for every other kind.
ALTER TABLE payment_documents DROP CONSTRAINT payment_documents_kind_check;
ALTER TABLE payment_documents
    ADD CONSTRAINT payment_documents_kind_check
    CHECK (kind IN ('internal', 'interbank', 'budget', 'conversion', 'foreign'));
ALTER TABLE payment_documents ADD COLUMN foreign_fields TEXT;
ALTER TABLE payment_templates ADD COLUMN foreign_fields TEXT;
-- The currency of a document's commission when it is not the amount's: a foreign transfer or a
-- conversion charges in the payer account's currency. NULL: the amount's currency.
ALTER TABLE payment_documents ADD COLUMN commission_currency TEXT;
