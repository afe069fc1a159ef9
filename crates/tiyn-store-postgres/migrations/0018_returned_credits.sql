-- Incoming credits refused back (R-13.1): in a currency the payee account is not in, when the bank
-- had no rate to convert at. Nothing is posted; the record answers a repeat of the message the
-- same way, whatever rates exist later.
CREATE TABLE returned_credits (
    message_id  TEXT   PRIMARY KEY,
    payee_iban  TEXT   NOT NULL,
    amount      BIGINT NOT NULL CHECK (amount > 0),
    currency    TEXT   NOT NULL,
    payer_name  TEXT   NOT NULL,
    reason      TEXT   NOT NULL,
    returned_at BIGINT NOT NULL
);
CREATE TRIGGER returned_credits_immutable BEFORE UPDATE OR DELETE ON returned_credits
    FOR EACH ROW EXECUTE FUNCTION tiyn_refuse_change();
CREATE TRIGGER returned_credits_no_truncate BEFORE TRUNCATE ON returned_credits
    FOR EACH STATEMENT EXECUTE FUNCTION tiyn_refuse_change();
