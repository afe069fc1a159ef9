-- Users of partners and bank operators (issue 3: identity). Logins are unique platform-wide
-- (R-2.1.7): a mobile number in E.164 form, an email address lower-cased.

CREATE TABLE users (
    id                  INTEGER PRIMARY KEY,
    -- NULL for a bank operator.
    partner_id          INTEGER REFERENCES partners (id),
    full_name           TEXT    NOT NULL,
    mobile              TEXT    UNIQUE,
    email               TEXT    UNIQUE,
    -- full | confirm | create for a partner's user; NULL for an operator.
    access_level        TEXT,
    status              TEXT    NOT NULL,
    -- Argon2id PHC string; NULL until the user chose a password at activation.
    password_hash       TEXT,
    -- R-5.3: who recorded the partner's confirmation of personal-data consent, and when.
    consent_recorded_by TEXT,
    consent_recorded_at INTEGER,
    -- Lockout state (R-6.1.4), changed only by one atomic update per attempt.
    failures            INTEGER NOT NULL DEFAULT 0,
    lockouts            INTEGER NOT NULL DEFAULT 0,
    locked_until        INTEGER,
    lockout_blocked     INTEGER NOT NULL DEFAULT 0,
    created_at          INTEGER NOT NULL,
    CHECK (mobile IS NOT NULL OR email IS NOT NULL),
    CHECK ((partner_id IS NULL) = (access_level IS NULL)),
    CHECK (partner_id IS NULL OR consent_recorded_at IS NOT NULL)
);
CREATE INDEX users_partner ON users (partner_id);
