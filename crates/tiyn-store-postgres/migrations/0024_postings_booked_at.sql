-- Every posting carries its entry's booking instant (issue 6: statement exports, R-3.1.2.7).
--
-- A statement lists an account's postings in booking order: the entry's `created_at`, then the
-- entry, then the posting. With the instant only on `entries`, every page of a statement had to
-- join and sort. Kept on the posting too (the same value, written with the entry by the same
-- statement of the ledger), one index gives an account's lines in statement order, with the
-- amount for the totals: a page of a statement is one range of it, and a statement's opening,
-- turnovers and closing one index-only scan. It replaces the index by (account_id, id).
--
-- The existing postings are filled in from their entries with the immutability trigger off for
-- this one statement (the migration's transaction). Microseconds since the epoch.
ALTER TABLE postings ADD COLUMN booked_at BIGINT;
ALTER TABLE postings DISABLE TRIGGER postings_immutable;
UPDATE postings SET booked_at = entries.created_at FROM entries WHERE entries.id = postings.entry_id;
ALTER TABLE postings ENABLE TRIGGER postings_immutable;
ALTER TABLE postings ALTER COLUMN booked_at SET NOT NULL;
DROP INDEX postings_account;
CREATE INDEX postings_lines ON postings (account_id, booked_at, entry_id, id) INCLUDE (amount);
