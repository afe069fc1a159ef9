-- Conversion documents (issue 5, R-3.1.1.4): a fourth kind of payment document, between two of
-- the partner's accounts in different currencies.
ALTER TABLE payment_documents DROP CONSTRAINT payment_documents_kind_check;
ALTER TABLE payment_documents
    ADD CONSTRAINT payment_documents_kind_check CHECK (kind IN ('internal', 'interbank', 'budget', 'conversion'));
