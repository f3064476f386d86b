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
