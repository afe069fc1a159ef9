-- Conversion documents (issue 5, R-3.1.1.4): a fourth kind of payment document. SQLite's
-- payment_documents never constrained the kind (the domain parses it back), so there is nothing
-- to change; the version is kept so that both backends count their migrations alike.
SELECT 1;
