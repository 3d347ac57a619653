-- pra sample application: a small property-management schema (tenants, properties,
-- leases, payments, documents) with its own owner role, a read-only role, grants,
-- sequences, jsonb, bytea and a view. Made by the pra project for its tests and demo.
--
-- Usage: psql -v scale=N -f sample.sql   (scale 1 ≈ 2 MB; rows grow linearly)
-- Needs no extension. Safe to run on a server where the roles already exist.
\set ON_ERROR_STOP 1
SELECT set_config('pra.scale', :'scale', false);

DO $$
BEGIN
  IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'pra_sample_owner') THEN
    CREATE ROLE pra_sample_owner NOLOGIN;
  END IF;
  IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'pra_sample_reader') THEN
    CREATE ROLE pra_sample_reader NOLOGIN;
  END IF;
END $$;

CREATE SCHEMA rental AUTHORIZATION pra_sample_owner;
SET ROLE pra_sample_owner;
SET search_path = rental, public;

CREATE TABLE tenants (
  id bigserial PRIMARY KEY,
  full_name text NOT NULL,
  email text UNIQUE,
  phone text,
  created_at timestamptz NOT NULL DEFAULT now()
);
CREATE TABLE properties (
  id bigserial PRIMARY KEY,
  owner_id bigint NOT NULL REFERENCES tenants(id),
  city text NOT NULL,
  monthly_rent numeric(10,2) NOT NULL,
  features jsonb NOT NULL DEFAULT '{}'
);
CREATE TABLE leases (
  id bigserial PRIMARY KEY,
  property_id bigint NOT NULL REFERENCES properties(id),
  tenant_id bigint NOT NULL REFERENCES tenants(id),
  starts_on date NOT NULL,
  ends_on date,
  state text NOT NULL CHECK (state IN ('draft', 'running', 'closed'))
);
CREATE SEQUENCE invoice_number START 1000;
CREATE TABLE payments (
  id bigserial PRIMARY KEY,
  lease_id bigint NOT NULL REFERENCES leases(id),
  invoice bigint NOT NULL DEFAULT nextval('invoice_number'),
  amount numeric(10,2) NOT NULL,
  paid_at timestamptz NOT NULL,
  channel text NOT NULL,
  memo text
);
CREATE TABLE documents (
  id bigserial PRIMARY KEY,
  lease_id bigint NOT NULL REFERENCES leases(id),
  filename text NOT NULL,
  content bytea NOT NULL
);
CREATE INDEX payments_lease_idx ON payments(lease_id);
CREATE INDEX payments_paid_at_idx ON payments(paid_at);

INSERT INTO tenants(full_name, email, phone, created_at)
SELECT 'Tenant ' || substr(md5(g::text), 1, 10),
       'tenant' || g || '@example.net',
       '+33 6 ' || lpad((g * 7919 % 100000000)::text, 8, '0'),
       timestamptz '2023-01-01' + (g % 1000) * interval '1 day'
FROM generate_series(1, 500 * current_setting('pra.scale')::int) g;

INSERT INTO properties(owner_id, city, monthly_rent, features)
SELECT 1 + (g * 31) % (500 * current_setting('pra.scale')::int),
       (ARRAY['Lyon', 'Nantes', 'Lille', 'Rennes', 'Dakar', 'Montréal'])[1 + g % 6],
       400 + (g * 37 % 2600),
       jsonb_build_object('rooms', 1 + g % 5, 'balcony', g % 3 = 0, 'tags', jsonb_build_array(md5(g::text)))
FROM generate_series(1, 800 * current_setting('pra.scale')::int) g;

INSERT INTO leases(property_id, tenant_id, starts_on, ends_on, state)
SELECT 1 + (g * 13) % (800 * current_setting('pra.scale')::int),
       1 + (g * 17) % (500 * current_setting('pra.scale')::int),
       date '2021-01-01' + (g % 1400),
       CASE WHEN g % 3 = 0 THEN date '2021-01-01' + (g % 1400) + 365 END,
       (ARRAY['draft', 'running', 'closed'])[1 + g % 3]
FROM generate_series(1, 1000 * current_setting('pra.scale')::int) g;

INSERT INTO payments(lease_id, amount, paid_at, channel, memo)
SELECT 1 + (g * 7) % (1000 * current_setting('pra.scale')::int),
       round((random() * 3000)::numeric, 2),
       timestamptz '2022-01-01' + random() * interval '1000 days',
       (ARRAY['card', 'transfer', 'cash', 'mobile'])[1 + g % 4],
       CASE WHEN g % 5 = 0 THEN 'ref ' || md5(random()::text) END
FROM generate_series(1, 8000 * current_setting('pra.scale')::int) g;

INSERT INTO documents(lease_id, filename, content)
SELECT 1 + (g * 3) % (1000 * current_setting('pra.scale')::int),
       'lease_' || g || '.pdf',
       decode(repeat(md5(random()::text), 20 + g % 40), 'hex')
FROM generate_series(1, 100 * current_setting('pra.scale')::int) g;

CREATE VIEW running_leases AS
  SELECT l.id, t.full_name, p.city, p.monthly_rent
  FROM leases l JOIN tenants t ON t.id = l.tenant_id JOIN properties p ON p.id = l.property_id
  WHERE l.state = 'running';

RESET ROLE;
GRANT USAGE ON SCHEMA rental TO pra_sample_reader;
GRANT SELECT ON ALL TABLES IN SCHEMA rental TO pra_sample_reader;
ANALYZE;
