#!/usr/bin/env bash
# Loads the Natural Earth sample data into the "meshmap" database on 127.0.0.1:<port>:
#   scripts/db-load.sh <port>
# Source: the shapefiles in the PyPI wheel geopandas==0.14.4 (downloaded once into .cache/).
# Tables get real geometry types (MULTIPOLYGON, POINT), SRID 4326, a primary key and a GiST index;
# invalid country geometries are repaired. Running it again replaces the tables: harmless.
set -euo pipefail
cd "$(dirname "$0")/.."
port=$1
cache=.cache/naturalearth
# Tests load in parallel: one download at a time.
mkdir -p .cache
exec 9>.cache/naturalearth.lock
flock 9
if [ ! -f "$cache/naturalearth_lowres/naturalearth_lowres.shp" ]; then
  mkdir -p .cache/wheels "$cache"
  python3 -m pip download --quiet --no-deps --dest .cache/wheels geopandas==0.14.4
  python3 - "$cache" <<'PY'
import sys, zipfile, glob, os
wheel = glob.glob(".cache/wheels/geopandas-0.14.4-*.whl")[0]
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

pg="PG:host=127.0.0.1 port=$port user=postgres dbname=meshmap"
load() { # <shapefile> <table> <geometry type>
  # PRECISION=NO: pop_est overflows the numeric(n,0) column ogr2ogr would otherwise create.
  ogr2ogr -f PostgreSQL "$pg" "$1" -nln "$2" -nlt "$3" -t_srs EPSG:4326 -overwrite \
    -lco GEOMETRY_NAME=geom -lco FID=id -lco PRECISION=NO -lco SPATIAL_INDEX=GIST
}
load "$cache/naturalearth_lowres/naturalearth_lowres.shp" countries MULTIPOLYGON
load "$cache/naturalearth_cities/naturalearth_cities.shp" places POINT
psql -h 127.0.0.1 -p "$port" -U postgres -d meshmap -v ON_ERROR_STOP=1 -qf db/prepare.sql
