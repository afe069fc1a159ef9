-- Reference directories the bank loaded (issue 6, R-3.1.2.2): the CSV text of a directory (KNP,
-- KBK, KBe, banks, foreign banks), checked against the others when loaded, with who loaded it and
-- when. The server uses the newest text of each kind from its next start on. A new file is a new
-- row; rows are never changed or deleted, so what was in force stays answerable.
CREATE TABLE directory_texts (
    id             INTEGER PRIMARY KEY,
    kind           TEXT    NOT NULL CHECK (kind IN ('knp', 'kbk', 'kbe', 'banks', 'foreign-banks')),
    text           TEXT    NOT NULL CHECK (length(text) > 0),
    row_count      INTEGER NOT NULL CHECK (row_count > 0),
    source         TEXT    NOT NULL,
    loaded_by      INTEGER REFERENCES users (id),
    loaded_by_name TEXT    NOT NULL,
    loaded_at      INTEGER NOT NULL
);
-- The newest text of a kind: the highest id.
CREATE INDEX directory_texts_newest ON directory_texts (kind, id);
CREATE TRIGGER directory_texts_immutable_update BEFORE UPDATE ON directory_texts
BEGIN SELECT RAISE(ABORT, 'a loaded directory text is never changed'); END;
CREATE TRIGGER directory_texts_immutable_delete BEFORE DELETE ON directory_texts
BEGIN SELECT RAISE(ABORT, 'a loaded directory text is never deleted'); END;
