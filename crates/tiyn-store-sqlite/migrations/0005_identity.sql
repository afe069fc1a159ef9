-- Identity (issue 3): blocks and suspensions of users, the record of their changes, failures per
-- source, the audit trail (R-3.4), markers (R-2.1.21), devices (R-2.1.17) and API keys.

-- When and why the user was blocked: present exactly when status = 'blocked'. SQLite cannot add a
-- CHECK to an existing table; the store writes them together and the triggers below refuse a
-- half-recorded block.
ALTER TABLE users ADD COLUMN blocked_at INTEGER;
-- bank | partner | lost_access
ALTER TABLE users ADD COLUMN block_reason TEXT;
-- YYYY-MM-DD (Asia/Almaty business date) from which the user's powers are suspended (R-6.5.9).
ALTER TABLE users ADD COLUMN suspended_from TEXT;

CREATE TRIGGER users_block_recorded_insert BEFORE INSERT ON users
WHEN (NEW.status = 'blocked') <> (NEW.blocked_at IS NOT NULL) OR (NEW.blocked_at IS NULL) <> (NEW.block_reason IS NULL)
BEGIN SELECT RAISE(ABORT, 'a block is recorded with its instant and reason, exactly when the user is blocked'); END;
CREATE TRIGGER users_block_recorded_update BEFORE UPDATE ON users
WHEN (NEW.status = 'blocked') <> (NEW.blocked_at IS NOT NULL) OR (NEW.blocked_at IS NULL) <> (NEW.block_reason IS NULL)
BEGIN SELECT RAISE(ABORT, 'a block is recorded with its instant and reason, exactly when the user is blocked'); END;

-- Every change of a user's data (R-6.5.9): which field, from what to what, by whom, when. A
-- password change is recorded without values. Never updated or deleted.
CREATE TABLE user_changes (
    id         INTEGER PRIMARY KEY,
    user_id    INTEGER NOT NULL REFERENCES users (id),
    field      TEXT    NOT NULL,
    old_value  TEXT,
    new_value  TEXT,
    -- NULL when the platform changed it by itself.
    changed_by INTEGER REFERENCES users (id),
    changed_at INTEGER NOT NULL
);
CREATE INDEX user_changes_user ON user_changes (user_id, id);
CREATE TRIGGER user_changes_immutable_update BEFORE UPDATE ON user_changes
BEGIN SELECT RAISE(ABORT, 'user changes are immutable'); END;
CREATE TRIGGER user_changes_immutable_delete BEFORE DELETE ON user_changes
BEGIN SELECT RAISE(ABORT, 'user changes are immutable'); END;

-- Failed attempts per source (an IP address), with the same lockout state as a user (R-6.1.4).
CREATE TABLE source_failures (
    source       TEXT    PRIMARY KEY,
    failures     INTEGER NOT NULL DEFAULT 0,
    lockouts     INTEGER NOT NULL DEFAULT 0,
    locked_until INTEGER,
    blocked      INTEGER NOT NULL DEFAULT 0
) WITHOUT ROWID;

-- The audit trail (R-3.4, R-5.9). Each record's mac chains it to the previous one under the
-- installation's audit key. Records are never updated; purging deletes them from the start of
-- the chain only (kept 5 years), and moves the head's anchor.
CREATE TABLE audit (
    id           INTEGER PRIMARY KEY,
    at           INTEGER NOT NULL,
    actor_id     INTEGER,
    partner_id   INTEGER,
    action       TEXT    NOT NULL,
    object       TEXT,
    source_ip    TEXT,
    user_agent   TEXT,
    -- 'success' or the failure's stable code.
    outcome      TEXT    NOT NULL,
    details      TEXT,
    previous_mac BLOB    NOT NULL,
    mac          BLOB    NOT NULL
);
CREATE INDEX audit_partner ON audit (partner_id, id);
CREATE INDEX audit_actor ON audit (actor_id, id);
CREATE INDEX audit_at ON audit (at);
CREATE TRIGGER audit_immutable_update BEFORE UPDATE ON audit
BEGIN SELECT RAISE(ABORT, 'audit records are immutable'); END;

-- The head of the chain, one row: the last record appended (ids are last_id + 1, never reused)
-- and the anchor verification starts from (the genesis, or the last purged record).
CREATE TABLE audit_head (
    id         INTEGER PRIMARY KEY CHECK (id = 1),
    last_id    INTEGER NOT NULL,
    last_mac   BLOB    NOT NULL,
    anchor_id  INTEGER NOT NULL,
    anchor_mac BLOB    NOT NULL
);
INSERT INTO audit_head (id, last_id, last_mac, anchor_id, anchor_mac) VALUES (1, 0, zeroblob(32), 0, zeroblob(32));

-- Markers (R-2.1.21, R-8.10): the TOTP secret sealed with the installation's seal key.
CREATE TABLE markers (
    serial        TEXT    PRIMARY KEY,
    user_id       INTEGER NOT NULL REFERENCES users (id),
    -- pending | active | revoked
    status        TEXT    NOT NULL,
    sealed_secret BLOB    NOT NULL,
    -- The last accepted TOTP step: a code of this step or an earlier one is never accepted again.
    last_step     INTEGER,
    created_at    INTEGER NOT NULL,
    activated_at  INTEGER,
    revoked_at    INTEGER,
    CHECK ((status = 'revoked') = (revoked_at IS NOT NULL))
);
CREATE INDEX markers_user ON markers (user_id, created_at);

-- Devices the user registered (R-2.1.17).
CREATE TABLE devices (
    id            INTEGER PRIMARY KEY,
    user_id       INTEGER NOT NULL REFERENCES users (id),
    platform      TEXT    NOT NULL,
    os_version    TEXT    NOT NULL,
    name          TEXT    NOT NULL,
    registered_at INTEGER NOT NULL,
    revoked_at    INTEGER
);
CREATE INDEX devices_user ON devices (user_id) WHERE revoked_at IS NULL;

-- API keys of partners' integrations: only the SHA-256 of the secret is kept.
CREATE TABLE api_keys (
    id            INTEGER PRIMARY KEY,
    partner_id    INTEGER NOT NULL REFERENCES partners (id),
    created_by    INTEGER NOT NULL REFERENCES users (id),
    name          TEXT    NOT NULL,
    -- confirm | create: never full.
    level         TEXT    NOT NULL CHECK (level <> 'full'),
    expires_at    INTEGER,
    secret_digest BLOB    NOT NULL UNIQUE,
    prefix        TEXT    NOT NULL,
    created_at    INTEGER NOT NULL,
    last_used_at  INTEGER,
    revoked_at    INTEGER
);
CREATE INDEX api_keys_partner ON api_keys (partner_id, id);

-- The accounts a key may act on; none: every account of the partner.
CREATE TABLE api_key_accounts (
    key_id     INTEGER NOT NULL REFERENCES api_keys (id),
    account_id INTEGER NOT NULL REFERENCES accounts (id),
    PRIMARY KEY (key_id, account_id)
) WITHOUT ROWID;
