-- Runs after each load (scripts/db-load.sh): repairs geometries, adds the function source.

-- Five Natural Earth 1:110m countries are invalid (self-intersections); repair them and keep the
-- column's MULTIPOLYGON type.
UPDATE countries
SET geom = ST_Multi(ST_CollectionExtract(ST_MakeValid(geom), 3))
WHERE NOT ST_IsValid(geom);

ANALYZE countries;
ANALYZE places;

-- A function source: countries whose population estimate is at least ?min_pop=N (default 0).
-- Martin passes the URL query as json; anything that is not a whole number counts as 0.
CREATE OR REPLACE FUNCTION public.countries_by_population(z integer, x integer, y integer, query_params json)
RETURNS bytea AS $$
  SELECT ST_AsMVT(tile, 'countries_by_population', 4096, 'geom')
  FROM (
    SELECT ST_AsMVTGeom(ST_Transform(c.geom, 3857), ST_TileEnvelope(z, x, y), 4096, 64, true) AS geom,
           c.id, c.name, c.iso_a3, c.continent, c.pop_est
    FROM countries c
    WHERE c.geom && ST_Transform(ST_TileEnvelope(z, x, y), 4326)
      AND c.pop_est >= CASE WHEN (query_params->>'min_pop') ~ '^[0-9]{1,15}$'
                            THEN (query_params->>'min_pop')::double precision ELSE 0 END
  ) AS tile
  WHERE tile.geom IS NOT NULL;
$$ LANGUAGE sql STABLE PARALLEL SAFE;

-- Martin merges a JSON comment into the source's TileJSON and catalog entry: the app shows these
-- names and attributions in its layers control.
COMMENT ON TABLE countries IS '{"name": "Countries", "description": "Natural Earth 1:110m admin-0 countries", "attribution": "Natural Earth"}';
COMMENT ON TABLE places IS '{"name": "Populated places", "description": "Natural Earth populated places", "attribution": "Natural Earth"}';
COMMENT ON FUNCTION public.countries_by_population(integer, integer, integer, json) IS
  '{"name": "Countries by population", "description": "Countries with pop_est >= ?min_pop", "attribution": "Natural Earth"}';

-- Place search for the API (api/, GET /api/search): typo-tolerant (trigrams) and accent-insensitive.
-- unaccent() is only STABLE (its dictionary could change), and an index needs IMMUTABLE: this
-- wrapper names the dictionary, the usual way to index unaccented text.
CREATE EXTENSION IF NOT EXISTS pg_trgm;
CREATE EXTENSION IF NOT EXISTS unaccent;
CREATE OR REPLACE FUNCTION public.search_key(text) RETURNS text AS $$
  SELECT lower(public.unaccent('public.unaccent'::regdictionary, $1))
$$ LANGUAGE sql IMMUTABLE PARALLEL SAFE STRICT;
CREATE INDEX IF NOT EXISTS places_search_key ON places USING gin (public.search_key(name) gin_trgm_ops);
CREATE INDEX IF NOT EXISTS countries_search_key ON countries USING gin (public.search_key(name) gin_trgm_ops);

-- Two logins that can read the data and nothing else (every transaction read-only): the API's
-- (meshmap_api) and Martin's (meshmap_tiles). In Kubernetes the operator creates the roles
-- (k8s/base/database/cluster.yaml, managed roles) and the loader, not a superuser there, may not
-- alter them: the API also asks for read-only transactions on every connection it makes.
DO $$
DECLARE
  login text;
BEGIN
  FOREACH login IN ARRAY ARRAY['meshmap_api', 'meshmap_tiles'] LOOP
    BEGIN
      IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = login) THEN
        EXECUTE format('CREATE ROLE %I LOGIN', login);
      END IF;
      EXECUTE format('ALTER ROLE %I SET default_transaction_read_only = on', login);
    EXCEPTION WHEN insufficient_privilege THEN
      RAISE NOTICE '%: left as the operator made it (%)', login, SQLERRM;
    END;
  END LOOP;
END $$;
GRANT CONNECT ON DATABASE meshmap TO meshmap_api, meshmap_tiles;
GRANT USAGE ON SCHEMA public TO meshmap_api, meshmap_tiles;
GRANT SELECT ON places, countries TO meshmap_api, meshmap_tiles;
GRANT EXECUTE ON FUNCTION public.countries_by_population(integer, integer, integer, json) TO meshmap_tiles;
GRANT EXECUTE ON FUNCTION public.search_key(text) TO meshmap_api;

-- Live moving objects (GET /api/live), written by `meshmap-api simulate` (or a real feed): their
-- latest position. Each batch of changes ends with NOTIFY live_objects; every API replica
-- LISTENs, reads what changed, and streams it to its clients.
CREATE TABLE IF NOT EXISTS live_objects (
  id text PRIMARY KEY,
  name text NOT NULL,
  lng double precision NOT NULL,
  lat double precision NOT NULL,
  heading double precision NOT NULL DEFAULT 0,
  speed double precision NOT NULL DEFAULT 0,
  updated_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX IF NOT EXISTS live_objects_updated_at ON live_objects (updated_at);
GRANT SELECT ON live_objects TO meshmap_api;
