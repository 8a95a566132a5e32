-- Example: mapping your own tables onto the data contract with views.
--
-- The plugin reads relations with fixed names and columns (SPEC section 2: tickets, messages,
-- csat_responses, chat_displays; customers, orders, order_lines, cart_events, exchange_rates).
-- You rarely have tables shaped like that. Instead of copying data, create VIEWS with the
-- contract's names in a schema of their own, and point the data source's "schema" settings at
-- it. The plugin only needs SELECT on the views (and USAGE on their schema).
--
-- This file has two parts:
--   1. what a typical export looks like: a Gorgias-like helpdesk export (schema gorgias) and a
--      Shopify-like shop export (schema shopify). These tables stand for YOUR tables; they are
--      here so the example can run (the project's tests execute this file).
--   2. the mapping views, in schema analytics. Adapt the expressions to your columns.
--
-- Rules of thumb:
--   * customer_key must be computed the same way on both sides: here the lowercased e-mail.
--     The plugin joins on equality and never guesses.
--   * cast ids to text, timestamps to timestamptz (a "timestamp without time zone" column must
--     say which zone it was written in: created_at AT TIME ZONE 'Europe/Paris').
--   * keep the views plain (no DISTINCT, no aggregates over the big tables) so that the
--     planner can push the plugin's time-range filters into your tables' indexes.
--   * optional relations (chat_displays, cart_events, exchange_rates) and the optional column
--     csat_responses.agent may simply be left out; the metrics that need them say so.

-- Part 1: the exports (stand-ins for your own tables) -----------------------------------------

CREATE SCHEMA IF NOT EXISTS gorgias;

CREATE TABLE IF NOT EXISTS gorgias.tickets_raw (
    id               bigint PRIMARY KEY,
    customer_email   text,
    channel          text,            -- email, chat, phone, facebook, instagram-comment, sms, ...
    store_name       text,            -- the brand website the ticket came from
    contact_reason   text,            -- a custom field, often empty
    priority         text,            -- low, normal, high, critical (NULL on old tickets)
    tags             jsonb,           -- [{"name": "VIP"}, ...]
    status           text,            -- open, closed
    created_datetime timestamptz NOT NULL,
    closed_datetime  timestamptz,
    assignee_email   text
);

CREATE TABLE IF NOT EXISTS gorgias.messages_raw (
    id            bigint PRIMARY KEY,
    ticket_id     bigint NOT NULL,
    sent_datetime timestamptz NOT NULL,
    from_agent    boolean NOT NULL,   -- true for anything the helpdesk side sent
    via           text,               -- helpdesk, email, chat, rule, ai-agent, ...
    sender_email  text
);

CREATE TABLE IF NOT EXISTS gorgias.satisfaction_surveys_raw (
    id              bigint PRIMARY KEY,
    ticket_id       bigint NOT NULL,
    sent_datetime   timestamptz NOT NULL,
    scored_datetime timestamptz,
    score           integer
);

CREATE SCHEMA IF NOT EXISTS shopify;

CREATE TABLE IF NOT EXISTS shopify.customers_raw (
    id         bigint PRIMARY KEY,
    email      text,
    created_at timestamp without time zone NOT NULL,  -- written in the shop's zone
    tags       text                                   -- "VIP, newsletter"
);

CREATE TABLE IF NOT EXISTS shopify.orders_raw (
    id               bigint PRIMARY KEY,
    customer_id      bigint NOT NULL,
    email            text,
    created_at       timestamp without time zone NOT NULL,
    financial_status text,            -- paid, pending, refunded, partially_refunded, voided
    cancelled_at     timestamp without time zone,
    total_price      numeric(12, 2) NOT NULL,
    currency         varchar(3) NOT NULL,
    shop_domain      text
);

CREATE TABLE IF NOT EXISTS shopify.line_items_raw (
    id             bigint PRIMARY KEY,
    order_id       bigint NOT NULL,
    product_id     bigint,
    title          text NOT NULL,
    quantity       integer NOT NULL,
    price          numeric(12, 2) NOT NULL,
    total_discount numeric(12, 2) NOT NULL DEFAULT 0
);

-- Part 2: the mapping views -----------------------------------------------------------------

CREATE SCHEMA IF NOT EXISTS analytics;

-- Helpdesk store.

CREATE OR REPLACE VIEW analytics.tickets AS
SELECT t.id::text                                      AS id,
       nullif(lower(trim(t.customer_email)), '')       AS customer_key,
       CASE
           WHEN t.channel IN ('facebook', 'facebook-messenger', 'instagram-comment',
                              'instagram-direct-message', 'twitter') THEN 'social'
           ELSE coalesce(t.channel, 'email')
       END                                             AS channel,
       coalesce(t.store_name, 'main')                  AS project,
       nullif(t.contact_reason, '')                    AS topic,
       coalesce(t.priority, 'normal')                  AS priority,
       ARRAY(SELECT lower(tag ->> 'name')
               FROM jsonb_array_elements(coalesce(t.tags, '[]')) AS tag)
                                                       AS tags,
       t.created_datetime                              AS created_at,
       CASE WHEN t.status = 'closed' THEN t.closed_datetime END
                                                       AS closed_at,
       CASE WHEN t.status = 'closed' THEN t.assignee_email END
                                                       AS closing_agent
  FROM gorgias.tickets_raw AS t;

-- sender_kind: rules and the AI agent answer "from the agent side" too; tell them apart by the
-- channel the message went through, so that first-response times count humans only.
CREATE OR REPLACE VIEW analytics.messages AS
SELECT m.ticket_id::text                               AS ticket_id,
       m.sent_datetime                                 AS sent_at,
       CASE
           WHEN NOT m.from_agent          THEN 'customer'
           WHEN m.via = 'rule'            THEN 'rule'
           WHEN m.via IN ('ai-agent', 'self_service', 'api') THEN 'bot'
           ELSE 'agent'
       END                                             AS sender_kind,
       CASE
           WHEN m.from_agent AND coalesce(m.via, '') NOT IN ('rule', 'ai-agent', 'self_service', 'api')
           THEN m.sender_email
       END                                             AS agent
  FROM gorgias.messages_raw AS m;

-- The export has no "agent at the time of the survey": the optional agent column is left out,
-- and the plugin falls back to the ticket's closing agent.
CREATE OR REPLACE VIEW analytics.csat_responses AS
SELECT s.ticket_id::text                               AS ticket_id,
       s.sent_datetime                                 AS sent_at,
       s.scored_datetime                               AS responded_at,
       CASE WHEN s.score BETWEEN 1 AND 5 THEN s.score::smallint END
                                                       AS score
  FROM gorgias.satisfaction_surveys_raw AS s;

-- Order store.

CREATE OR REPLACE VIEW analytics.customers AS
SELECT coalesce(nullif(lower(trim(c.email)), ''), 'shopify:' || c.id) AS customer_key,
       c.created_at AT TIME ZONE 'America/New_York'    AS created_at,
       ARRAY(SELECT lower(trim(tag))
               FROM unnest(string_to_array(coalesce(c.tags, ''), ',')) AS tag
              WHERE trim(tag) <> '')                   AS tags
  FROM shopify.customers_raw AS c;

-- The status must make cancelled and refunded orders recognisable: the data source's
-- "excluded statuses" setting (default cancelled, refunded, voided) leaves them out.
CREATE OR REPLACE VIEW analytics.orders AS
SELECT o.id::text                                      AS id,
       coalesce(nullif(lower(trim(o.email)), ''), 'shopify:' || o.customer_id) AS customer_key,
       o.created_at AT TIME ZONE 'America/New_York'    AS created_at,
       CASE
           WHEN o.cancelled_at IS NOT NULL THEN 'cancelled'
           ELSE coalesce(o.financial_status, 'pending')
       END                                             AS status,
       o.total_price::numeric                          AS total,
       upper(o.currency)::text                         AS currency,
       o.shop_domain                                   AS project
  FROM shopify.orders_raw AS o;

CREATE OR REPLACE VIEW analytics.order_lines AS
SELECT l.order_id::text                                AS order_id,
       coalesce(l.product_id::text, 'custom:' || l.title) AS product_id,
       l.title                                         AS product_name,
       l.quantity                                      AS quantity,
       (l.price * l.quantity - l.total_discount)::numeric AS line_total
  FROM shopify.line_items_raw AS l;
