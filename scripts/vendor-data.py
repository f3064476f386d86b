#!/usr/bin/env python3
"""Regenerate assets/data/*.geojson from Natural Earth (public domain).

Source: the Natural Earth 1:110m `naturalearth_lowres` (countries) and
`naturalearth_cities` (populated places) shapefiles shipped inside the PyPI
wheel geopandas==0.14.4 (geopandas/datasets/). Needs `pip install pyshp`.
Coordinates are rounded to 4 decimals (~11 m), well below the data's own
accuracy at 1:110m, to keep the bundled files small. Place names the Latin-1
shapefile damaged ("Chi?in?u") are repaired from db/place-names.tsv
(scripts/place-names.py).

Usage: scripts/vendor-data.py <dir holding the unpacked geopandas/datasets>
"""
import json
import os
import sys

import shapefile  # pyshp


def rounded(coords):
    if isinstance(coords, (list, tuple)) and coords and isinstance(coords[0], (int, float)):
        return [round(c, 4) for c in coords]
    return [rounded(c) for c in coords]


def repaired_names():
    path = os.path.join(os.path.dirname(__file__), "..", "db", "place-names.tsv")
    with open(path, encoding="utf-8") as f:
        return dict(line.rstrip("\n").split("\t")[:2] for line in f if line.strip())


def convert(shp_path, out_path, keep, names=None):
    reader = shapefile.Reader(shp_path)  # encoding from the .cpg file
    features = []
    for rec in reader.iterShapeRecords():
        geometry = rec.shape.__geo_interface__
        geometry = {"type": geometry["type"], "coordinates": rounded(geometry["coordinates"])}
        props = rec.record.as_dict()
        if names and props.get("name") in names:
            props["name"] = names[props["name"]]
        features.append({
            "type": "Feature",
            "properties": {k: props[k] for k in keep if k in props},
            "geometry": geometry,
        })
    collection = {"type": "FeatureCollection", "features": features}
    with open(out_path, "w", encoding="utf-8") as out:
        json.dump(collection, out, ensure_ascii=False, separators=(",", ":"))
    print(f"{out_path}: {len(features)} features, {os.path.getsize(out_path)} bytes")


def main():
    src = os.path.join(sys.argv[1], "geopandas", "datasets")
    dest = os.path.join(os.path.dirname(__file__), "..", "assets", "data")
    convert(os.path.join(src, "naturalearth_lowres", "naturalearth_lowres.shp"),
            os.path.join(dest, "countries.geojson"),
            ["name", "iso_a3", "continent", "pop_est", "gdp_md_est"])
    convert(os.path.join(src, "naturalearth_cities", "naturalearth_cities.shp"),
            os.path.join(dest, "places.geojson"), ["name"], repaired_names())


if __name__ == "__main__":
    main()
