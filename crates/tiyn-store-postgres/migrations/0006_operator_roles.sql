-- Bank operators have roles (administrator, security, viewer); partner users have none.
-- Operators created before roles existed were all-powerful: they become administrators.

ALTER TABLE users ADD COLUMN operator_role TEXT;
UPDATE users SET operator_role = 'administrator' WHERE partner_id IS NULL;
ALTER TABLE users ADD CONSTRAINT users_operator_role
    CHECK ((partner_id IS NULL) = (operator_role IS NOT NULL)
           AND (operator_role IS NULL OR operator_role IN ('administrator', 'security', 'viewer')));
