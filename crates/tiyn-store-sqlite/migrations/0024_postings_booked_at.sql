-- Every posting carries its entry's booking instant (issue 6: statement exports, R-3.1.2.7).
--
-- A statement lists an account's postings in booking order: the entry's `created_at`, then the
-- entry, then the posting. With the instant only on `entries`, every page of a statement had to
-- join and sort. Kept on the posting too (the same value, written with the entry by the same
-- statement of the ledger), one index gives an account's lines in statement order: a page of a
-- statement is one range of it, and a statement's opening, turnovers and closing one scan. It
-- replaces the index by (account_id, id). Unlike PostgreSQL's, it does not carry the amount: every
-- posting written updates it, and the wider key cost the ledger's writer about 4% of its
-- transfers per second (`docs/benchmarks.md`) for 0.1 s less per million lines of a statement.
--
-- SQLite cannot add a NOT NULL column without a default, so the table is rebuilt; nothing refers
-- to postings, and the ids are kept. Microseconds since the epoch.
CREATE TABLE postings_booked (
    id         INTEGER PRIMARY KEY,
    entry_id   INTEGER NOT NULL REFERENCES entries (id),
    account_id INTEGER NOT NULL REFERENCES accounts (id),
    currency   TEXT    NOT NULL,
    amount     INTEGER NOT NULL CHECK (amount <> 0),
    booked_at  INTEGER NOT NULL
);
INSERT INTO postings_booked (id, entry_id, account_id, currency, amount, booked_at)
    SELECT p.id, p.entry_id, p.account_id, p.currency, p.amount, e.created_at
    FROM postings p JOIN entries e ON e.id = p.entry_id
    ORDER BY p.id;
DROP TABLE postings;
ALTER TABLE postings_booked RENAME TO postings;
-- Statement order: `id`, the rowid, ends every index key.
CREATE INDEX postings_lines ON postings (account_id, booked_at, entry_id);
CREATE INDEX postings_entry ON postings (entry_id);
CREATE TRIGGER postings_immutable_update BEFORE UPDATE ON postings
BEGIN SELECT RAISE(ABORT, 'postings are immutable'); END;
CREATE TRIGGER postings_immutable_delete BEFORE DELETE ON postings
BEGIN SELECT RAISE(ABORT, 'postings are immutable'); END;
