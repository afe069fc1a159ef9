-- The last number given to a partner's payment document. Numbers are taken from this counter, not
-- from MAX(number) + 1, so a number is never given twice (not even after its draft was deleted),
-- and drafts of one partner need not wait for each other: a number is taken in a short
-- transaction of its own (a draft that then fails leaves a gap, as paper forms do). Its own table,
-- so taking a number never waits for a lock on the partner's row.
CREATE TABLE payment_numbers (
    partner_id BIGINT PRIMARY KEY REFERENCES partners (id),
    last_number BIGINT NOT NULL CHECK (last_number >= 0)
);
INSERT INTO payment_numbers (partner_id, last_number)
SELECT id, COALESCE((SELECT MAX(number) FROM payment_documents WHERE partner_id = partners.id), 0) FROM partners;
