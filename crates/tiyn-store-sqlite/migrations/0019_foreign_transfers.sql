-- Foreign-currency transfers (issue 5, R-3.1.1.3): the requisites only a foreign transfer has
-- (payee address and country, SWIFT BICs, charges, contract), kept together as one JSON object;
-- NULL for every other kind. The domain parses them back like the other requisites.
ALTER TABLE payment_documents ADD COLUMN foreign_fields TEXT;
ALTER TABLE payment_templates ADD COLUMN foreign_fields TEXT;
-- The currency of a document's commission when it is not the amount's: a foreign transfer or a
-- conversion charges in the payer account's currency. NULL: the amount's currency.
ALTER TABLE payment_documents ADD COLUMN commission_currency TEXT;
