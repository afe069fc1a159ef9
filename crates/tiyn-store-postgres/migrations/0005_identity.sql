-- Identity (issue 3, continued): blocks and suspensions of users, the record of their changes,
-- failures per source address, the chained audit trail, markers, devices and API keys.
-- Instants are BIGINT microseconds since the Unix epoch (UTC), as everywhere.

-- A block (R-6.1.8, R-6.3.8, R-6.5.2) keeps its instant and reason; both or neither, and exactly
-- for a blocked user. `suspended_from` is a business date, YYYY-MM-DD (R-6.5.9).
ALTER TABLE users
    ADD COLUMN blocked_at     BIGINT,
    ADD COLUMN block_reason   TEXT CHECK (block_reason IN ('bank', 'partner', 'lost_access')),
    ADD COLUMN suspended_from TEXT CHECK (suspended_from ~ '^\d{4}-\d{2}-\d{2}$'),
    ADD CHECK ((blocked_at IS NULL) = (block_reason IS NULL)),
    ADD CHECK ((status = 'blocked') = (blocked_at IS NOT NULL));
CREATE INDEX users_active_full ON users (partner_id) WHERE status = 'active' AND access_level = 'full';

-- Every change of a user's data, with old and new value, author and instant (R-6.5.9). Never
-- changed or removed.
CREATE TABLE user_changes (
    id         BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    user_id    BIGINT NOT NULL REFERENCES users (id),
    field      TEXT   NOT NULL,
    old_value  TEXT,
    new_value  TEXT,
    changed_by BIGINT REFERENCES users (id),
    changed_at BIGINT NOT NULL
);
CREATE INDEX user_changes_user ON user_changes (user_id, id);
CREATE TRIGGER user_changes_immutable BEFORE UPDATE OR DELETE ON user_changes
    FOR EACH ROW EXECUTE FUNCTION tiyn_refuse_change();
CREATE TRIGGER user_changes_no_truncate BEFORE TRUNCATE ON user_changes
    FOR EACH STATEMENT EXECUTE FUNCTION tiyn_refuse_change();

-- Failed attempts per source address (R-6.1.4), changed only by one atomic update per attempt.
CREATE TABLE source_failures (
    source       TEXT    PRIMARY KEY,
    failures     INTEGER NOT NULL DEFAULT 0,
    lockouts     INTEGER NOT NULL DEFAULT 0,
    locked_until BIGINT,
    blocked      BOOLEAN NOT NULL DEFAULT FALSE
);

-- The audit trail (R-3.4, R-5.9): each record's `mac` chains it to the previous one. Ids come
-- from the sequence while the head row is locked, so they grow in commit order. Records are never
-- updated; only a purge removes the oldest ones, and moves the head's anchor with it.
CREATE SEQUENCE audit_id_seq AS BIGINT;
CREATE TABLE audit (
    id           BIGINT PRIMARY KEY,
    at           BIGINT NOT NULL,
    actor_id     BIGINT,
    partner_id   BIGINT,
    action       TEXT   NOT NULL,
    object       TEXT,
    source_ip    TEXT,
    user_agent   TEXT,
    outcome      TEXT   NOT NULL,
    details      TEXT,
    previous_mac BYTEA  NOT NULL CHECK (length(previous_mac) = 32),
    mac          BYTEA  NOT NULL CHECK (length(mac) = 32)
);
ALTER SEQUENCE audit_id_seq OWNED BY audit.id;
CREATE INDEX audit_partner ON audit (partner_id, id);
CREATE INDEX audit_actor ON audit (actor_id, id);
CREATE INDEX audit_at ON audit (at);
CREATE TRIGGER audit_immutable BEFORE UPDATE ON audit
    FOR EACH ROW EXECUTE FUNCTION tiyn_refuse_change();
CREATE TRIGGER audit_no_truncate BEFORE TRUNCATE ON audit
    FOR EACH STATEMENT EXECUTE FUNCTION tiyn_refuse_change();

-- The one row naming the last record appended and the anchor verification starts from.
CREATE TABLE audit_head (
    id         INTEGER PRIMARY KEY CHECK (id = 1),
    last_id    BIGINT  NOT NULL,
    last_mac   BYTEA   NOT NULL CHECK (length(last_mac) = 32),
    anchor_id  BIGINT  NOT NULL,
    anchor_mac BYTEA   NOT NULL CHECK (length(anchor_mac) = 32)
);
INSERT INTO audit_head (id, last_id, last_mac, anchor_id, anchor_mac)
    VALUES (1, 0, '\x0000000000000000000000000000000000000000000000000000000000000000',
            0, '\x0000000000000000000000000000000000000000000000000000000000000000');
CREATE TRIGGER audit_head_kept BEFORE DELETE ON audit_head
    FOR EACH ROW EXECUTE FUNCTION tiyn_refuse_change();
CREATE TRIGGER audit_head_no_truncate BEFORE TRUNCATE ON audit_head
    FOR EACH STATEMENT EXECUTE FUNCTION tiyn_refuse_change();

-- Markers (R-2.1.21, R-8.10): the secret only sealed; the last accepted TOTP step against replays.
CREATE TABLE markers (
    serial        TEXT   PRIMARY KEY,
    -- Enrolment order, for listing markers oldest first.
    seq           BIGINT GENERATED ALWAYS AS IDENTITY UNIQUE,
    user_id       BIGINT NOT NULL REFERENCES users (id),
    status        TEXT   NOT NULL CHECK (status IN ('pending', 'active', 'revoked')),
    sealed_secret BYTEA  NOT NULL,
    last_step     BIGINT CHECK (last_step >= 0),
    created_at    BIGINT NOT NULL,
    activated_at  BIGINT,
    revoked_at    BIGINT,
    CHECK ((status = 'revoked') = (revoked_at IS NOT NULL))
);
CREATE INDEX markers_user ON markers (user_id, seq);

-- Registered devices (R-2.1.17).
CREATE TABLE devices (
    id            BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    user_id       BIGINT NOT NULL REFERENCES users (id),
    platform      TEXT   NOT NULL,
    os_version    TEXT   NOT NULL,
    name          TEXT   NOT NULL,
    registered_at BIGINT NOT NULL,
    revoked_at    BIGINT
);
CREATE INDEX devices_user ON devices (user_id, id);

-- API keys of partners' integrations: only the SHA-256 of the secret is kept.
CREATE TABLE api_keys (
    id            BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    partner_id    BIGINT NOT NULL REFERENCES partners (id),
    created_by    BIGINT NOT NULL REFERENCES users (id),
    name          TEXT   NOT NULL,
    level         TEXT   NOT NULL CHECK (level IN ('confirm', 'create')),
    expires_at    BIGINT,
    secret_digest BYTEA  NOT NULL UNIQUE CHECK (length(secret_digest) = 32),
    prefix        TEXT   NOT NULL,
    created_at    BIGINT NOT NULL,
    last_used_at  BIGINT,
    revoked_at    BIGINT
);
CREATE INDEX api_keys_partner ON api_keys (partner_id, id);

-- The accounts a key may act on; none listed: every account of the partner.
CREATE TABLE api_key_accounts (
    key_id     BIGINT NOT NULL REFERENCES api_keys (id),
    account_id BIGINT NOT NULL REFERENCES accounts (id),
    PRIMARY KEY (key_id, account_id)
);
