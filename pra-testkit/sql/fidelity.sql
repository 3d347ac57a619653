-- pra fidelity schema: one database holding what a logical backup must carry, for
-- the backup -> restore round-trip tests. Written by the pra project.
--
--   owners and grants across several roles (table, column, sequence, function,
--   schema, large object, default privileges, one role name that needs quoting),
--   row-level security, large objects, partitioned (two levels) and inherited
--   tables, an unlogged table, materialized views (one unpopulated), sequences
--   with non-default values and options, identifiers that need quoting (spaces,
--   quotes, upper case, non-ASCII), extensions shipped with PostgreSQL (pgcrypto,
--   citext, hstore in its own schema), comments, large TOASTed values, and
--   database-level settings (ALTER DATABASE … SET, per-role settings, owner,
--   comment, privileges).
--
-- Usage: createdb fid && psql -v ON_ERROR_STOP=1 -d fid -f fidelity.sql
-- Deterministic: the same script gives the same digests. Safe to run on a server
-- where the roles already exist. Needs pgcrypto, citext and hstore
-- (postgresql-contrib on older Debian releases; part of the server package since).
\set ON_ERROR_STOP 1

DO $$
DECLARE
  r text;
BEGIN
  FOREACH r IN ARRAY ARRAY['pra_fid_owner', 'pra_fid_writer', 'pra_fid_reader', 'Pra Fid "Auditor"']
  LOOP
    IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = r) THEN
      EXECUTE format('CREATE ROLE %I NOLOGIN', r);
    END IF;
  END LOOP;
END $$;

CREATE SCHEMA ext;
CREATE EXTENSION pgcrypto;
CREATE EXTENSION citext;
CREATE EXTENSION hstore SCHEMA ext;
GRANT USAGE ON SCHEMA ext TO PUBLIC;

CREATE SCHEMA ledger AUTHORIZATION pra_fid_owner;
CREATE SCHEMA "Fidélité ""Schéma"" X" AUTHORIZATION pra_fid_owner;
COMMENT ON SCHEMA ledger IS 'Accounts, entries and their policies';

-- Privileges given by default to what the owner creates later in ledger.
ALTER DEFAULT PRIVILEGES FOR ROLE pra_fid_owner IN SCHEMA ledger
  GRANT SELECT ON TABLES TO pra_fid_reader;
ALTER DEFAULT PRIVILEGES FOR ROLE pra_fid_owner IN SCHEMA ledger
  REVOKE EXECUTE ON FUNCTIONS FROM PUBLIC;

SET ROLE pra_fid_owner;
SET search_path = ledger, ext, public;

CREATE TYPE entry_kind AS ENUM ('debit', 'credit', 'adjust');
CREATE DOMAIN positive_cents AS bigint CHECK (VALUE > 0);
COMMENT ON TYPE entry_kind IS 'Direction of an entry';

-- Sequences with non-default options and values: negative step and cycling, a
-- large start never called, an identity column with its own options.
CREATE SEQUENCE countdown INCREMENT BY -7 MINVALUE -1000 MAXVALUE 1000 START 999 CACHE 1 CYCLE;
SELECT setval('countdown', -993, true);
CREATE SEQUENCE never_called START WITH 5000000000 INCREMENT BY 10;
COMMENT ON SEQUENCE countdown IS 'Counts down by 7 and wraps around';

CREATE TABLE accounts (
  id bigint GENERATED ALWAYS AS IDENTITY (START WITH 100 INCREMENT BY 3) PRIMARY KEY,
  login citext NOT NULL UNIQUE,
  owner_name text NOT NULL,
  attributes ext.hstore NOT NULL DEFAULT '',
  secret_hash text NOT NULL,
  "Balance Cents" bigint NOT NULL DEFAULT 0
);
COMMENT ON TABLE accounts IS 'One row per account; readers see only their own';
COMMENT ON COLUMN accounts."Balance Cents" IS 'Signed, in cents';

INSERT INTO accounts (login, owner_name, attributes, secret_hash, "Balance Cents")
SELECT CASE WHEN g % 2 = 0 THEN 'User' || g ELSE 'user' || g END,
       (ARRAY['Zoë', 'Ōsaka Ltd', 'O''Brien', 'Ærø', 'Łukasz'])[1 + g % 5],
       ext.hstore(ARRAY['tier', 'region'], ARRAY[(g % 3)::text, 'r' || (g % 7)]),
       encode(digest('secret-' || g, 'sha256'), 'hex'),
       (g * 7919) % 100000 - 50000
FROM generate_series(1, 300) g;

-- Row-level security: enabled and forced, permissive and restrictive policies.
ALTER TABLE accounts ENABLE ROW LEVEL SECURITY;
ALTER TABLE accounts FORCE ROW LEVEL SECURITY;
CREATE POLICY own_rows ON accounts FOR SELECT TO pra_fid_reader
  USING (owner_name = current_user);
CREATE POLICY writers_all ON accounts TO pra_fid_writer
  USING (true) WITH CHECK ("Balance Cents" > -100000);
CREATE POLICY "no negative Ŝaldo" ON accounts AS RESTRICTIVE FOR UPDATE TO pra_fid_writer
  USING ("Balance Cents" >= -50000);
COMMENT ON POLICY own_rows ON accounts IS 'A reader sees the rows named after it';

-- Partitioned by range with a default partition, one partition itself
-- partitioned by list (two levels).
CREATE TABLE entries (
  account_id bigint NOT NULL REFERENCES accounts (id),
  booked_on date NOT NULL,
  kind entry_kind NOT NULL,
  cents positive_cents NOT NULL,
  memo text,
  PRIMARY KEY (account_id, booked_on, kind)
) PARTITION BY RANGE (booked_on);
CREATE TABLE entries_2023 PARTITION OF entries FOR VALUES FROM ('2023-01-01') TO ('2024-01-01');
CREATE TABLE entries_2024 PARTITION OF entries FOR VALUES FROM ('2024-01-01') TO ('2025-01-01')
  PARTITION BY LIST (kind);
CREATE TABLE entries_2024_debit PARTITION OF entries_2024 FOR VALUES IN ('debit');
CREATE TABLE entries_2024_other PARTITION OF entries_2024 DEFAULT;
CREATE TABLE entries_later PARTITION OF entries DEFAULT;

INSERT INTO entries (account_id, booked_on, kind, cents, memo)
SELECT 100 + 3 * (g % 300),
       date '2023-01-01' + (g / 300) * 3,
       (ARRAY['debit', 'credit', 'adjust'])[1 + g % 3]::entry_kind,
       1 + (g::bigint * 104729) % 1000000,
       CASE WHEN g % 10 = 0 THEN 'memo ' || md5(g::text) END
FROM generate_series(0, 299999, 37) g;

-- Inheritance (not partitioning): a parent with rows of its own and two children,
-- one adding a column.
CREATE TABLE events (id bigint PRIMARY KEY, at timestamptz NOT NULL, payload jsonb);
CREATE TABLE login_events (ip inet) INHERITS (events);
CREATE TABLE "Audit Events" () INHERITS (events);
INSERT INTO events SELECT g, timestamptz '2024-03-01 12:00+00' + g * interval '1 minute', jsonb_build_object('n', g) FROM generate_series(1, 50) g;
INSERT INTO login_events SELECT g, timestamptz '2024-03-02 12:00+00' + g * interval '1 minute', NULL, ('10.0.' || g % 250 || '.' || g % 200)::inet FROM generate_series(51, 150) g;
INSERT INTO "Audit Events" SELECT g, timestamptz '2024-03-03 12:00+00', '{"audit": true}' FROM generate_series(151, 160) g;

-- Unlogged: its rows are in the dump all the same.
CREATE UNLOGGED TABLE session_cache (key text PRIMARY KEY, value bytea);
INSERT INTO session_cache SELECT 'k' || g, digest(g::text, 'md5') FROM generate_series(1, 40) g;

-- Identifiers that need quoting: upper case, spaces, quotes, non-ASCII.
CREATE TABLE "Fidélité ""Schéma"" X"."Order Items" (
  "ID" int PRIMARY KEY,
  "Unit ""Price""" numeric(10, 2),
  "Été" text,
  lower_name text
);
CREATE INDEX "Order Items by Été" ON "Fidélité ""Schéma"" X"."Order Items" ("Été");
INSERT INTO "Fidélité ""Schéma"" X"."Order Items"
SELECT g, g * 1.25, 'çà ' || g, 'x' || g FROM generate_series(1, 25) g;
COMMENT ON COLUMN "Fidélité ""Schéma"" X"."Order Items"."Unit ""Price""" IS 'prix unitaire, « quoted »';
CREATE TABLE "Fidélité ""Schéma"" X"."UPPER" ("MixedCase" int);
INSERT INTO "Fidélité ""Schéma"" X"."UPPER" VALUES (1), (2), (NULL);

-- Large TOASTed values: incompressible and compressible text, bytea, jsonb; one
-- column stored out of line uncompressed.
CREATE TABLE blobs (id int PRIMARY KEY, label text, doc text, raw bytea, tree jsonb);
ALTER TABLE blobs ALTER COLUMN raw SET STORAGE EXTERNAL;
INSERT INTO blobs
SELECT 1, 'random hex', string_agg(encode(digest('a' || k, 'sha512'), 'hex'), '' ORDER BY k), NULL, NULL
FROM generate_series(1, 12000) k;
INSERT INTO blobs
SELECT 2, 'random bytes', NULL, string_agg(digest('b' || k, 'sha512'), '' ORDER BY k), NULL
FROM generate_series(1, 16000) k;
INSERT INTO blobs VALUES (3, 'repetitive', repeat('la ligne répétée ', 200000), NULL,
  (SELECT jsonb_object_agg('key' || k, repeat('v', k % 50)) FROM generate_series(1, 20000) k));

-- Materialized views: one populated, one never refreshed.
CREATE MATERIALIZED VIEW balances AS
  SELECT account_id, kind, sum(cents) AS cents, count(*) AS n FROM entries GROUP BY 1, 2;
CREATE MATERIALIZED VIEW pending_report AS SELECT count(*) AS n FROM events WITH NO DATA;
COMMENT ON MATERIALIZED VIEW balances IS 'Totals per account and kind';

CREATE VIEW readable_accounts AS SELECT id, login, owner_name FROM accounts;

-- A function with a restricted EXECUTE grant (default privileges revoked PUBLIC).
CREATE FUNCTION account_total(p_account bigint) RETURNS numeric
  LANGUAGE sql STABLE SECURITY DEFINER SET search_path = ledger
  AS $$ SELECT coalesce(sum(cents), 0) FROM entries WHERE account_id = p_account $$;
COMMENT ON FUNCTION account_total(bigint) IS 'Total of an account, for writers';

RESET ROLE;

-- Grants across roles: table, column, sequence, function, schema, view.
GRANT USAGE ON SCHEMA ledger TO pra_fid_reader, pra_fid_writer, "Pra Fid ""Auditor""";
GRANT USAGE ON SCHEMA "Fidélité ""Schéma"" X" TO "Pra Fid ""Auditor""";
GRANT SELECT, INSERT, UPDATE ON ledger.accounts TO pra_fid_writer;
GRANT SELECT, INSERT ON ledger.entries TO pra_fid_writer WITH GRANT OPTION;
GRANT SELECT (id, login), UPDATE (owner_name) ON ledger.accounts TO "Pra Fid ""Auditor""";
GRANT USAGE, SELECT ON SEQUENCE ledger.countdown TO pra_fid_writer;
GRANT EXECUTE ON FUNCTION ledger.account_total(bigint) TO pra_fid_writer;
GRANT SELECT ON ledger.readable_accounts TO pra_fid_reader;
GRANT SELECT ON ALL TABLES IN SCHEMA "Fidélité ""Schéma"" X" TO "Pra Fid ""Auditor""";
SET ROLE pra_fid_owner;
GRANT SELECT ON ledger.entries TO "Pra Fid ""Auditor""";
RESET ROLE;

-- Large objects with fixed OIDs (pg_dump keeps them), owners, grants and comments.
SELECT lo_from_bytea(4242001, convert_to('small large object', 'UTF8'));
SELECT lo_from_bytea(4242002, (SELECT string_agg(digest('lo' || k, 'sha256'), '' ORDER BY k) FROM generate_series(1, 40000) k));
SELECT lo_from_bytea(4242003, '');
ALTER LARGE OBJECT 4242002 OWNER TO pra_fid_owner;
GRANT SELECT ON LARGE OBJECT 4242002 TO pra_fid_reader;
GRANT SELECT, UPDATE ON LARGE OBJECT 4242001 TO pra_fid_writer;
COMMENT ON LARGE OBJECT 4242002 IS 'A 1.25 MB scan';

-- Database-level state (pg_dump stores it only with --create).
ALTER DATABASE :"DBNAME" SET work_mem = '7MB';
ALTER DATABASE :"DBNAME" SET search_path = ledger, ext, public;
ALTER ROLE pra_fid_reader IN DATABASE :"DBNAME" SET statement_timeout = '5s';
COMMENT ON DATABASE :"DBNAME" IS 'pra fidelity database';
GRANT CREATE ON DATABASE :"DBNAME" TO pra_fid_owner;
ALTER DATABASE :"DBNAME" OWNER TO pra_fid_owner;

ANALYZE;
