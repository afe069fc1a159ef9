-- One-time confirmation codes (R-2.1.6): only a keyed hash of each code is kept, with its
-- purpose, lifetime and remaining attempts, changed by one atomic update per attempt.

CREATE TABLE codes (
    challenge      TEXT    PRIMARY KEY,
    user_id        INTEGER NOT NULL REFERENCES users (id),
    purpose        TEXT    NOT NULL,
    -- SHA-256 of the confirmed batch's content, for confirmation codes.
    purpose_digest BLOB,
    mac            BLOB    NOT NULL,
    digits         INTEGER NOT NULL,
    expires_at     INTEGER NOT NULL,
    attempts_left  INTEGER NOT NULL CHECK (attempts_left >= 0),
    used           INTEGER NOT NULL DEFAULT 0,
    created_at     INTEGER NOT NULL
);
CREATE INDEX codes_user ON codes (user_id, created_at);
