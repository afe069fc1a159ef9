-- The day's usage of limits (R-6.1.7, R-4.13) kept as counters: documents confirmed on a business
-- date and not refused, per partner and per confirming user, kind and currency. A confirmation
-- reads a handful of counter rows instead of summing every document of the partner's day.
--
-- The triggers keep the counters equal to that sum whatever writes the status: a document is
-- counted while it has a business date and is not refused; the requisites and the evidence are
-- frozen once confirmed (0008), so only the counted state can change.
CREATE TABLE payment_usage_partner (
    partner_id    INTEGER NOT NULL REFERENCES partners (id),
    business_date TEXT    NOT NULL,
    kind          TEXT    NOT NULL,
    currency      TEXT    NOT NULL,
    amount        INTEGER NOT NULL CHECK (amount >= 0),
    count         INTEGER NOT NULL CHECK (count >= 0),
    PRIMARY KEY (partner_id, business_date, kind, currency)
) WITHOUT ROWID;
CREATE TABLE payment_usage_user (
    partner_id    INTEGER NOT NULL REFERENCES partners (id),
    user_id       INTEGER NOT NULL REFERENCES users (id),
    business_date TEXT    NOT NULL,
    kind          TEXT    NOT NULL,
    currency      TEXT    NOT NULL,
    amount        INTEGER NOT NULL CHECK (amount >= 0),
    count         INTEGER NOT NULL CHECK (count >= 0),
    PRIMARY KEY (partner_id, user_id, business_date, kind, currency)
) WITHOUT ROWID;

INSERT INTO payment_usage_partner (partner_id, business_date, kind, currency, amount, count)
SELECT partner_id, business_date, kind, currency, SUM(amount), COUNT(*) FROM payment_documents
WHERE business_date IS NOT NULL AND status <> 'refused'
GROUP BY partner_id, business_date, kind, currency;
INSERT INTO payment_usage_user (partner_id, user_id, business_date, kind, currency, amount, count)
SELECT partner_id, confirmed_by, business_date, kind, currency, SUM(amount), COUNT(*) FROM payment_documents
WHERE business_date IS NOT NULL AND status <> 'refused' AND confirmed_by IS NOT NULL
GROUP BY partner_id, confirmed_by, business_date, kind, currency;

CREATE TRIGGER payment_usage_counted AFTER UPDATE OF status, business_date ON payment_documents
WHEN NEW.business_date IS NOT NULL AND NEW.status <> 'refused'
 AND NOT (OLD.business_date IS NOT NULL AND OLD.status <> 'refused')
BEGIN
    INSERT INTO payment_usage_partner (partner_id, business_date, kind, currency, amount, count)
    VALUES (NEW.partner_id, NEW.business_date, NEW.kind, NEW.currency, NEW.amount, 1)
    ON CONFLICT (partner_id, business_date, kind, currency)
    DO UPDATE SET amount = amount + excluded.amount, count = count + 1;
    INSERT INTO payment_usage_user (partner_id, user_id, business_date, kind, currency, amount, count)
    SELECT NEW.partner_id, NEW.confirmed_by, NEW.business_date, NEW.kind, NEW.currency, NEW.amount, 1
    WHERE NEW.confirmed_by IS NOT NULL
    ON CONFLICT (partner_id, user_id, business_date, kind, currency)
    DO UPDATE SET amount = amount + excluded.amount, count = count + 1;
END;
CREATE TRIGGER payment_usage_uncounted AFTER UPDATE OF status, business_date ON payment_documents
WHEN OLD.business_date IS NOT NULL AND OLD.status <> 'refused'
 AND NOT (NEW.business_date IS NOT NULL AND NEW.status <> 'refused')
BEGIN
    UPDATE payment_usage_partner SET amount = amount - OLD.amount, count = count - 1
    WHERE partner_id = OLD.partner_id AND business_date = OLD.business_date AND kind = OLD.kind
      AND currency = OLD.currency;
    UPDATE payment_usage_user SET amount = amount - OLD.amount, count = count - 1
    WHERE partner_id = OLD.partner_id AND user_id = OLD.confirmed_by AND business_date = OLD.business_date
      AND kind = OLD.kind AND currency = OLD.currency;
END;

-- Nothing else reads documents by business date.
DROP INDEX payment_documents_day;
