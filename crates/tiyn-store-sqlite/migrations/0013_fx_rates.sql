-- The bank's dealing rates (R-13.2, R-3.1.1.4): per pair, a buy and a sell rate in millionths,
-- valid from an instant. A new rate is a new row; rows are never changed or deleted, so the
-- history is kept forever and a conversion's rate id always reads back the same rate.
CREATE TABLE fx_rates (
    id         INTEGER PRIMARY KEY,
    base       TEXT    NOT NULL CHECK (length(base) = 3),
    quote      TEXT    NOT NULL CHECK (length(quote) = 3 AND quote <> base),
    buy        INTEGER NOT NULL CHECK (buy > 0),
    sell       INTEGER NOT NULL CHECK (sell >= buy),
    valid_from INTEGER NOT NULL,
    set_by     INTEGER REFERENCES users (id),
    set_at     INTEGER NOT NULL
);
-- The rate in force at an instant: the latest valid_from at or before it, ties to the highest id.
CREATE INDEX fx_rates_in_force ON fx_rates (base, quote, valid_from, id);
CREATE TRIGGER fx_rates_immutable_update BEFORE UPDATE ON fx_rates
BEGIN SELECT RAISE(ABORT, 'fx rates are immutable'); END;
CREATE TRIGGER fx_rates_immutable_delete BEFORE DELETE ON fx_rates
BEGIN SELECT RAISE(ABORT, 'fx rates are immutable'); END;

-- Every pair that has a rate, once: the rates in force are one index lookup per pair.
CREATE TABLE fx_pairs (
    base  TEXT NOT NULL,
    quote TEXT NOT NULL,
    PRIMARY KEY (base, quote)
) WITHOUT ROWID;

-- The National Bank of Kazakhstan's official rates (reference, not dealing rates): per day and
-- currency code (codes Tiyn does not know are kept), tenge per one unit in millionths, and the
-- quantity the NBK published the rate for.
CREATE TABLE nbk_rates (
    date        TEXT    NOT NULL CHECK (date GLOB '[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]'),
    code        TEXT    NOT NULL CHECK (length(code) = 3),
    per_unit    INTEGER NOT NULL CHECK (per_unit > 0),
    quant       INTEGER NOT NULL CHECK (quant > 0),
    name        TEXT    NOT NULL,
    imported_at INTEGER NOT NULL,
    PRIMARY KEY (date, code)
) WITHOUT ROWID;
