-- Incoming credits refused back (R-13.1): in a currency the payee account is not in, when the bank
-- had no rate to convert at. Nothing is posted; the record answers a repeat of the message the
-- same way, whatever rates exist later.
CREATE TABLE returned_credits (
    message_id  TEXT    PRIMARY KEY,
    payee_iban  TEXT    NOT NULL,
    amount      INTEGER NOT NULL CHECK (amount > 0),
    currency    TEXT    NOT NULL,
    payer_name  TEXT    NOT NULL,
    reason      TEXT    NOT NULL,
    returned_at INTEGER NOT NULL
) WITHOUT ROWID;
CREATE TRIGGER returned_credits_immutable_update BEFORE UPDATE ON returned_credits
BEGIN SELECT RAISE(ABORT, 'a returned credit is never changed'); END;
CREATE TRIGGER returned_credits_immutable_delete BEFORE DELETE ON returned_credits
BEGIN SELECT RAISE(ABORT, 'a returned credit is never deleted'); END;
