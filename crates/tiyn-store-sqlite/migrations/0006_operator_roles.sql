-- Bank operators have roles (administrator, security, viewer); partner users have none.
-- Operators created before roles existed were all-powerful: they become administrators.

ALTER TABLE users ADD COLUMN operator_role TEXT;
UPDATE users SET operator_role = 'administrator' WHERE partner_id IS NULL;

-- SQLite cannot add a CHECK to an existing table: these triggers keep the pairing.
CREATE TRIGGER users_operator_role_insert BEFORE INSERT ON users
WHEN (NEW.partner_id IS NULL) = (NEW.operator_role IS NULL)
  OR NEW.operator_role NOT IN ('administrator', 'security', 'viewer')
BEGIN
    SELECT RAISE(ABORT, 'an operator has a role; a partner user has none');
END;
CREATE TRIGGER users_operator_role_update BEFORE UPDATE OF operator_role, partner_id ON users
WHEN (NEW.partner_id IS NULL) = (NEW.operator_role IS NULL)
  OR NEW.operator_role NOT IN ('administrator', 'security', 'viewer')
BEGIN
    SELECT RAISE(ABORT, 'an operator has a role; a partner user has none');
END;
