-- The day's usage of limits (R-6.1.7, R-4.13) kept as counters: documents confirmed on a business
-- date and not refused, per partner and per confirming user, kind and currency. A confirmation
-- (which holds its partner's row lock) reads a handful of counter rows instead of summing every
-- document of the partner's day.
--
-- The trigger keeps the counters equal to that sum whatever writes the status: a document is
-- counted while it has a business date and is not refused; the requisites and the evidence are
-- frozen once confirmed (0008), so only the counted state can change.
CREATE TABLE payment_usage_partner (
    partner_id    BIGINT NOT NULL REFERENCES partners (id),
    business_date TEXT   NOT NULL,
    kind          TEXT   NOT NULL,
    currency      TEXT   NOT NULL,
    amount        BIGINT NOT NULL CHECK (amount >= 0),
    count         BIGINT NOT NULL CHECK (count >= 0),
    PRIMARY KEY (partner_id, business_date, kind, currency)
);
CREATE TABLE payment_usage_user (
    partner_id    BIGINT NOT NULL REFERENCES partners (id),
    user_id       BIGINT NOT NULL REFERENCES users (id),
    business_date TEXT   NOT NULL,
    kind          TEXT   NOT NULL,
    currency      TEXT   NOT NULL,
    amount        BIGINT NOT NULL CHECK (amount >= 0),
    count         BIGINT NOT NULL CHECK (count >= 0),
    PRIMARY KEY (partner_id, user_id, business_date, kind, currency)
);

INSERT INTO payment_usage_partner (partner_id, business_date, kind, currency, amount, count)
SELECT partner_id, business_date, kind, currency, SUM(amount), COUNT(*) FROM payment_documents
WHERE business_date IS NOT NULL AND status <> 'refused'
GROUP BY partner_id, business_date, kind, currency;
INSERT INTO payment_usage_user (partner_id, user_id, business_date, kind, currency, amount, count)
SELECT partner_id, confirmed_by, business_date, kind, currency, SUM(amount), COUNT(*) FROM payment_documents
WHERE business_date IS NOT NULL AND status <> 'refused' AND confirmed_by IS NOT NULL
GROUP BY partner_id, confirmed_by, business_date, kind, currency;

CREATE FUNCTION tiyn_payment_usage() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    was_counted boolean := OLD.business_date IS NOT NULL AND OLD.status <> 'refused';
    is_counted  boolean := NEW.business_date IS NOT NULL AND NEW.status <> 'refused';
BEGIN
    IF is_counted AND NOT was_counted THEN
        INSERT INTO payment_usage_partner (partner_id, business_date, kind, currency, amount, count)
        VALUES (NEW.partner_id, NEW.business_date, NEW.kind, NEW.currency, NEW.amount, 1)
        ON CONFLICT (partner_id, business_date, kind, currency)
        DO UPDATE SET amount = payment_usage_partner.amount + EXCLUDED.amount,
                      count = payment_usage_partner.count + 1;
        IF NEW.confirmed_by IS NOT NULL THEN
            INSERT INTO payment_usage_user (partner_id, user_id, business_date, kind, currency, amount, count)
            VALUES (NEW.partner_id, NEW.confirmed_by, NEW.business_date, NEW.kind, NEW.currency, NEW.amount, 1)
            ON CONFLICT (partner_id, user_id, business_date, kind, currency)
            DO UPDATE SET amount = payment_usage_user.amount + EXCLUDED.amount,
                          count = payment_usage_user.count + 1;
        END IF;
    ELSIF was_counted AND NOT is_counted THEN
        UPDATE payment_usage_partner SET amount = amount - OLD.amount, count = count - 1
        WHERE partner_id = OLD.partner_id AND business_date = OLD.business_date AND kind = OLD.kind
          AND currency = OLD.currency;
        UPDATE payment_usage_user SET amount = amount - OLD.amount, count = count - 1
        WHERE partner_id = OLD.partner_id AND user_id = OLD.confirmed_by AND business_date = OLD.business_date
          AND kind = OLD.kind AND currency = OLD.currency;
    END IF;
    RETURN NULL;
END;
$$;
CREATE TRIGGER payment_usage AFTER UPDATE OF status, business_date ON payment_documents
    FOR EACH ROW WHEN ((OLD.business_date IS NOT NULL AND OLD.status <> 'refused')
                       IS DISTINCT FROM (NEW.business_date IS NOT NULL AND NEW.status <> 'refused'))
    EXECUTE FUNCTION tiyn_payment_usage();

-- Nothing else reads documents by business date.
DROP INDEX payment_documents_day;
