-- Reference directories the bank loaded (issue 6, R-3.1.2.2): the CSV text of a directory (KNP,
-- KBK, KBe, banks, foreign banks), checked against the others when loaded, with who loaded it and
-- when. The server uses the newest text of each kind from its next start on. A new file is a new
-- row; rows are never changed or deleted, so what was in force stays answerable.
CREATE TABLE directory_texts (
    id             BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    kind           TEXT   NOT NULL CHECK (kind IN ('knp', 'kbk', 'kbe', 'banks', 'foreign-banks')),
    text           TEXT   NOT NULL CHECK (length(text) > 0),
    row_count      BIGINT NOT NULL CHECK (row_count > 0),
    source         TEXT   NOT NULL,
    loaded_by      BIGINT REFERENCES users (id),
    loaded_by_name TEXT   NOT NULL,
    loaded_at      BIGINT NOT NULL
);
-- The newest text of a kind: the highest id.
CREATE INDEX directory_texts_newest ON directory_texts (kind, id);
CREATE TRIGGER directory_texts_immutable BEFORE UPDATE OR DELETE ON directory_texts
    FOR EACH ROW EXECUTE FUNCTION tiyn_refuse_change();
CREATE TRIGGER directory_texts_no_truncate BEFORE TRUNCATE ON directory_texts
    FOR EACH STATEMENT EXECUTE FUNCTION tiyn_refuse_change();
