-- Server-side sessions (R-2.1.15): the token is never stored, only its SHA-256.

CREATE TABLE sessions (
    id               INTEGER PRIMARY KEY,
    token_digest     BLOB    NOT NULL UNIQUE,
    user_id          INTEGER NOT NULL REFERENCES users (id),
    created_at       INTEGER NOT NULL,
    last_activity_at INTEGER NOT NULL,
    ended_at         INTEGER,
    end_reason       TEXT,
    CHECK ((ended_at IS NULL) = (end_reason IS NULL))
);
CREATE INDEX sessions_user ON sessions (user_id) WHERE ended_at IS NULL;
