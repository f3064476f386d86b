#!/usr/bin/env bash
# Loads the Natural Earth sample data into the "meshmap" database:
#   scripts/db-load.sh <port>          the local cluster on 127.0.0.1:<port> (scripts/db.sh)
#   DATABASE_URL=postgresql://… scripts/db-load.sh    any database (the Kubernetes Job)
#   scripts/db-load.sh --fetch-only    only download the data (the loader image does this at build)
# Source: the shapefiles in the PyPI wheel geopandas==0.14.4 (downloaded once into .cache/).
# Tables get real geometry types (MULTIPOLYGON, POINT), SRID 4326, a primary key and a GiST index;
# invalid country geometries are repaired. Running it again replaces the tables: harmless.
set -euo pipefail
cd "$(dirname "$0")/.."
arg=${1:-}
if [ -z "$arg" ] && [ -z "${DATABASE_URL:-}" ]; then
  echo "usage: scripts/db-load.sh <port> | --fetch-only, or DATABASE_URL=postgresql://... scripts/db-load.sh" >&2
  exit 2
fi
cache=${MESHMAP_DATA_CACHE:-.cache}/naturalearth
shapefile=$cache/naturalearth_lowres/naturalearth_lowres.shp
if [ ! -f "$shapefile" ]; then
  # Tests load in parallel: one download at a time. (Once present, nothing is written here, so
  # the loader image can keep its data on a read-only filesystem.)
  mkdir -p "$(dirname "$cache")"
  exec 9>"$cache.lock"
  flock 9
  if [ ! -f "$shapefile" ]; then
    wheels=$(dirname "$cache")/wheels
    mkdir -p "$wheels" "$cache"
    python3 -m pip download --quiet --no-deps --dest "$wheels" geopandas==0.14.4
    python3 - "$cache" "$wheels" <<'PY'
import sys, zipfile, glob, os
wheel = glob.glob(os.path.join(sys.argv[2], "geopandas-0.14.4-*.whl"))[0]
with zipfile.ZipFile(wheel) as z:
    for name in z.namelist():
        if name.startswith("geopandas/datasets/naturalearth_"):
            target = os.path.join(sys.argv[1], name.split("datasets/", 1)[1])
            os.makedirs(os.path.dirname(target), exist_ok=True)
            with open(target, "wb") as out:
                out.write(z.read(name))
PY
  fi
  flock -u 9
fi
[ "$arg" = "--fetch-only" ] && exit 0

if [ -n "$arg" ]; then
  url="postgresql://postgres@127.0.0.1:$arg/meshmap"
else
  url=$DATABASE_URL
fi
pg="PG:$url"
load() { # <shapefile> <table> <geometry type>
  # PRECISION=NO: pop_est overflows the numeric(n,0) column ogr2ogr would otherwise create.
  ogr2ogr -f PostgreSQL "$pg" "$1" -nln "$2" -nlt "$3" -t_srs EPSG:4326 -overwrite \
    -lco GEOMETRY_NAME=geom -lco FID=id -lco PRECISION=NO -lco SPATIAL_INDEX=GIST
}
load "$cache/naturalearth_lowres/naturalearth_lowres.shp" countries MULTIPOLYGON
load "$cache/naturalearth_cities/naturalearth_cities.shp" places POINT
# Names the Latin-1 shapefile damaged ("Chi?in?u"), repaired from GeoNames: db/place-names.tsv,
# made by scripts/place-names.py.
PGCLIENTENCODING=UTF8 psql "$url" -v ON_ERROR_STOP=1 -q <<'SQL'
CREATE TEMP TABLE place_names (damaged text, name text, geonameid integer);
\copy place_names FROM 'db/place-names.tsv'
UPDATE places p SET name = f.name FROM place_names f WHERE p.name = f.damaged;
SQL
psql "$url" -v ON_ERROR_STOP=1 -qf db/prepare.sql
