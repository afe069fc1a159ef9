-- The bank's dealing rates (R-13.2, R-3.1.1.4): per pair, a buy and a sell rate in millionths,
-- valid from an instant. A new rate is a new row; rows are never changed or deleted, so the
-- history is kept forever and a conversion's rate id always reads back the same rate.
CREATE TABLE fx_rates (
    id         BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    base       TEXT   NOT NULL CHECK (base ~ '^[A-Z]{3}$'),
    quote      TEXT   NOT NULL CHECK (quote ~ '^[A-Z]{3}$' AND quote <> base),
    buy        BIGINT NOT NULL CHECK (buy > 0),
    sell       BIGINT NOT NULL CHECK (sell >= buy),
    valid_from BIGINT NOT NULL,
    set_by     BIGINT REFERENCES users (id),
    set_at     BIGINT NOT NULL
);
-- The rate in force at an instant: the latest valid_from at or before it, ties to the highest id.
CREATE INDEX fx_rates_in_force ON fx_rates (base, quote, valid_from, id);
CREATE TRIGGER fx_rates_immutable BEFORE UPDATE OR DELETE ON fx_rates
    FOR EACH ROW EXECUTE FUNCTION tiyn_refuse_change();
CREATE TRIGGER fx_rates_no_truncate BEFORE TRUNCATE ON fx_rates
    FOR EACH STATEMENT EXECUTE FUNCTION tiyn_refuse_change();

-- Every pair that has a rate, once: the rates in force are one index lookup per pair.
CREATE TABLE fx_pairs (
    base  TEXT NOT NULL,
    quote TEXT NOT NULL,
    PRIMARY KEY (base, quote)
);

-- The National Bank of Kazakhstan's official rates (reference, not dealing rates): per day and
-- currency code (codes Tiyn does not know are kept), tenge per one unit in millionths, and the
-- quantity the NBK published the rate for.
CREATE TABLE nbk_rates (
    date        TEXT   NOT NULL CHECK (date ~ '^\d{4}-\d{2}-\d{2}$'),
    code        TEXT   NOT NULL CHECK (code ~ '^[A-Z]{3}$'),
    per_unit    BIGINT NOT NULL CHECK (per_unit > 0),
    quant       BIGINT NOT NULL CHECK (quant > 0),
    name        TEXT   NOT NULL,
    imported_at BIGINT NOT NULL,
    PRIMARY KEY (date, code)
);
