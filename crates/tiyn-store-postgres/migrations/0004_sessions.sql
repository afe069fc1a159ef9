-- Server-side sessions (R-2.1.15): the token is never stored, only its SHA-256.

CREATE TABLE sessions (
    id               BIGSERIAL PRIMARY KEY,
    token_digest     BYTEA    NOT NULL UNIQUE,
    user_id          BIGINT  NOT NULL REFERENCES users (id),
    created_at       BIGINT  NOT NULL,
    last_activity_at BIGINT  NOT NULL,
    ended_at         BIGINT,
    end_reason       TEXT,
    CHECK ((ended_at IS NULL) = (end_reason IS NULL))
);
CREATE INDEX sessions_user ON sessions (user_id) WHERE ended_at IS NULL;
