-- pra benchmark dataset `app`: a property-management application (tenants,
-- properties, leases, payments, scanned documents) with realistic entropy: random
-- text and hex, uuids, jsonb, incompressible bytea. Written by the pra project for
-- bench/*.sh; the size grows linearly with the scale.
--
-- Usage: createdb app && psql -v ON_ERROR_STOP=1 -d app -v scale=N -f app.sql
--   scale 1 ≈ 6 MB database, scale 200 ≈ 1.2 GB (~0.5 s per scale unit on 2 cores).
-- Needs PostgreSQL 13 or newer (gen_random_uuid is built in) and no extension.
\set ON_ERROR_STOP 1
SELECT set_config('pra.scale', :'scale', false);

-- Row counts per scale unit: 1 000 tenants, 2 000 properties, 3 000 leases,
-- 30 000 payments, 100 documents of 2-8 KB.
CREATE FUNCTION pg_temp.n(per_scale int) RETURNS bigint LANGUAGE sql STABLE
  AS $$ SELECT per_scale::bigint * current_setting('pra.scale')::int $$;

-- `len` pseudo-random bytes: hex md5 digests of random numbers, decoded.
CREATE FUNCTION pg_temp.noise(len int) RETURNS bytea LANGUAGE sql VOLATILE
  AS $$ SELECT substring(decode(string_agg(md5(random()::text || k), ''), 'hex') FROM 1 FOR len)
        FROM generate_series(0, len / 16) k $$;

CREATE TABLE tenants (
  id bigserial PRIMARY KEY,
  name text NOT NULL,
  email text UNIQUE,
  phone text,
  address text,
  created_at timestamptz DEFAULT now()
);
CREATE TABLE properties (
  id bigserial PRIMARY KEY,
  owner_id bigint REFERENCES tenants (id),
  label text,
  city text,
  rent numeric(12, 2),
  meta jsonb
);
CREATE TABLE leases (
  id bigserial PRIMARY KEY,
  property_id bigint REFERENCES properties (id),
  tenant_id bigint REFERENCES tenants (id),
  start_on date,
  end_on date,
  status text CHECK (status IN ('active', 'ended', 'pending'))
);
CREATE TABLE payments (
  id bigserial PRIMARY KEY,
  lease_id bigint REFERENCES leases (id),
  amount numeric(12, 2),
  paid_at timestamptz,
  method text,
  reference uuid,
  note text
);
CREATE TABLE documents (
  id bigserial PRIMARY KEY,
  lease_id bigint REFERENCES leases (id),
  filename text,
  body bytea
);

INSERT INTO tenants (name, email, phone, address, created_at)
SELECT 'Tenant ' || md5(g::text),
       'tenant.' || g || '@example.com',
       '+33 7' || lpad(floor(random() * 100000000)::bigint::text, 8, '0'),
       floor(random() * 1000)::int || ' avenue ' || md5(random()::text),
       now() - random() * interval '1100 days'
FROM generate_series(1, pg_temp.n(1000)) g;

INSERT INTO properties (owner_id, label, city, rent, meta)
SELECT 1 + floor(random() * pg_temp.n(1000))::bigint,
       'Unit ' || g,
       (ARRAY['Lyon', 'Nantes', 'Marseille', 'Québec', 'Dakar'])[1 + g % 5],
       round((random() * 5000)::numeric, 2),
       jsonb_build_object(
         'rooms', 1 + floor(random() * 7)::int,
         'floor', floor(random() * 11)::int,
         'tags', jsonb_build_array(md5(random()::text), md5(random()::text)))
FROM generate_series(1, pg_temp.n(2000)) g;

INSERT INTO leases (property_id, tenant_id, start_on, end_on, status)
SELECT 1 + floor(random() * pg_temp.n(2000))::bigint,
       1 + floor(random() * pg_temp.n(1000))::bigint,
       s.start_on,
       s.start_on + 365,
       (ARRAY['pending', 'active', 'ended'])[1 + s.g % 3]
FROM (SELECT g, date '2020-01-01' + floor(random() * 1800)::int AS start_on
      FROM generate_series(1, pg_temp.n(3000)) g) s;

INSERT INTO payments (lease_id, amount, paid_at, method, reference, note)
SELECT 1 + floor(random() * pg_temp.n(3000))::bigint,
       round((random() * 5000)::numeric, 2),
       now() - random() * interval '1825 days',
       (ARRAY['transfer', 'card', 'mobile', 'cash'])[1 + g % 4],
       gen_random_uuid(),
       CASE WHEN g % 4 = 1 THEN md5(random()::text) || md5(random()::text) END
FROM generate_series(1, pg_temp.n(30000)) g;

INSERT INTO documents (lease_id, filename, body)
SELECT 1 + floor(random() * pg_temp.n(3000))::bigint,
       'lease-' || g || '.pdf',
       pg_temp.noise(2000 + floor(random() * 6000)::int)
FROM generate_series(1, pg_temp.n(100)) g;

CREATE INDEX payments_lease_id_idx ON payments (lease_id);
CREATE INDEX payments_paid_at_idx ON payments (paid_at);
CREATE INDEX leases_tenant_id_idx ON leases (tenant_id);
ANALYZE;
