-- functions/orders/schema.sql: the table the orders function writes to.
-- The handler runs this file (under an advisory lock) on every new
-- connection, so applying it by hand is needed only when the function's role
-- may not create tables:
--   psql -d orders -f functions/orders/schema.sql
--
-- idempotency_key is the order's Idempotency-Key header: the same order sent
-- again (a client retrying, an async job run twice) finds its row already
-- there and inserts nothing. NULL for an order posted without the header; a
-- UNIQUE column allows any number of NULLs.
CREATE TABLE IF NOT EXISTS orders (
	id              bigserial   PRIMARY KEY,
	body            jsonb       NOT NULL,
	idempotency_key text        UNIQUE,
	received_at     timestamptz NOT NULL DEFAULT now()
);
