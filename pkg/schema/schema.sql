-- Canonical DDL of the data contract (SPEC section 2).
--
-- Names are unqualified: schema.Apply runs this file with the search_path set to the target
-- schema. Real deployments usually map their own tables onto these names with views (see
-- mapping_example.sql); these tables serve the demo data, the tests and new installations.
-- The helpdesk relations and the order relations may live in different databases: the file
-- creates both, and each store simply ignores the other half.
--
-- Tables come first, then the indexes the engine's queries rely on, so that bulk loads can
-- build indexes after COPY (package schema picks statements per store and kind: keep one
-- statement per relation, each ending with a semicolon at the end of a line).

-- Helpdesk store ----------------------------------------------------------------------------

CREATE TABLE IF NOT EXISTS tickets (
    id            text PRIMARY KEY,
    customer_key  text,                               -- NULL: unidentified visitor
    channel       text NOT NULL,                      -- email, chat, phone, social, ...
    project       text NOT NULL,                      -- brand / website
    topic         text,
    priority      text NOT NULL DEFAULT 'normal'
                  CHECK (priority IN ('low', 'normal', 'high', 'critical')),
    tags          text[] NOT NULL DEFAULT '{}',
    created_at    timestamptz NOT NULL,
    closed_at     timestamptz,                        -- NULL: still open
    closing_agent text                                -- agent assigned when the ticket closed
);

CREATE TABLE IF NOT EXISTS messages (
    ticket_id   text NOT NULL,
    sent_at     timestamptz NOT NULL,
    sender_kind text NOT NULL CHECK (sender_kind IN ('customer', 'agent', 'bot', 'rule')),
    agent       text                                  -- set for sender_kind = 'agent'
);

CREATE TABLE IF NOT EXISTS csat_responses (
    ticket_id    text NOT NULL,
    sent_at      timestamptz NOT NULL,
    responded_at timestamptz,                         -- NULL: not answered
    score        smallint CHECK (score BETWEEN 1 AND 5),
    agent        text                                 -- agent assigned when the survey was sent
);

CREATE TABLE IF NOT EXISTS chat_displays (
    displayed_at timestamptz NOT NULL,
    project      text NOT NULL,
    channel      text NOT NULL,
    displays     integer NOT NULL DEFAULT 1           -- one display or a pre-aggregated count
);

-- Order store -------------------------------------------------------------------------------

CREATE TABLE IF NOT EXISTS customers (
    customer_key text PRIMARY KEY,
    created_at   timestamptz NOT NULL,
    tags         text[] NOT NULL DEFAULT '{}'         -- vip, gold, subscriber, ...
);

CREATE TABLE IF NOT EXISTS orders (
    id           text PRIMARY KEY,
    customer_key text NOT NULL,
    created_at   timestamptz NOT NULL,
    status       text NOT NULL,
    total        numeric NOT NULL,
    currency     text NOT NULL,                       -- ISO 4217
    project      text
);

CREATE TABLE IF NOT EXISTS order_lines (
    order_id     text NOT NULL,
    product_id   text NOT NULL,
    product_name text NOT NULL,
    quantity     integer NOT NULL,
    line_total   numeric NOT NULL
);

CREATE TABLE IF NOT EXISTS cart_events (
    customer_key text,                                -- NULL: anonymous cart
    created_at   timestamptz NOT NULL,
    amount       numeric NOT NULL,
    currency     text NOT NULL
);

-- Shop currency per unit of `currency` on `day` (SPEC 5.7).
CREATE TABLE IF NOT EXISTS exchange_rates (
    currency text NOT NULL,
    day      date NOT NULL,
    rate     numeric NOT NULL,
    PRIMARY KEY (currency, day)
);

-- Indexes ---------------------------------------------------------------------------------

CREATE INDEX IF NOT EXISTS tickets_created_at_idx ON tickets (created_at);
CREATE INDEX IF NOT EXISTS tickets_closed_at_idx ON tickets (closed_at);
CREATE INDEX IF NOT EXISTS tickets_customer_created_idx ON tickets (customer_key, created_at, id);
CREATE INDEX IF NOT EXISTS messages_ticket_sent_idx ON messages (ticket_id, sent_at);
CREATE INDEX IF NOT EXISTS csat_responses_responded_at_idx ON csat_responses (responded_at);
CREATE INDEX IF NOT EXISTS csat_responses_sent_at_idx ON csat_responses (sent_at);
CREATE INDEX IF NOT EXISTS csat_responses_ticket_idx ON csat_responses (ticket_id);
CREATE INDEX IF NOT EXISTS chat_displays_displayed_at_idx ON chat_displays (displayed_at);
CREATE INDEX IF NOT EXISTS orders_created_at_idx ON orders (created_at);
CREATE INDEX IF NOT EXISTS orders_customer_created_idx ON orders (customer_key, created_at)
    INCLUDE (total, status, currency);
CREATE INDEX IF NOT EXISTS order_lines_order_idx ON order_lines (order_id);
CREATE INDEX IF NOT EXISTS cart_events_created_at_idx ON cart_events (created_at);
