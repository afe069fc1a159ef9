-- R-8.1.3: the information services the bank withholds from a partner's create-level users, as
-- the comma-separated permission names (empty: none withheld).
ALTER TABLE partners ADD COLUMN withheld_services TEXT NOT NULL DEFAULT '';
