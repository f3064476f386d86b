use super::draw::TileSpec;
use super::*;
use crate::config::Style;
use crate::geojson::stream::GeoJsonStream;
use crate::tile_plan::{BEGIN, CIRCLE, CLOSE, FILL, LINE, MOVE, STROKE};

fn shapes(text: &str) -> ShapeSet {
    let mut set = ShapeSet::default();
    let mut stream = GeoJsonStream::new();
    stream.push(text.as_bytes(), &mut set).unwrap();
    stream.finish(&mut set).unwrap();
    set
}

fn feature(geometry: &str, properties: &str) -> String {
    format!(r#"{{"type":"Feature","properties":{properties},"geometry":{geometry}}}"#)
}

fn collection(features: &[String]) -> String {
    format!(
        r#"{{"type":"FeatureCollection","features":[{}]}}"#,
        features.join(",")
    )
}

/// A square ring from (w, s) to (e, n), counter-clockwise as RFC 7946 asks, or clockwise.
fn square(w: f64, s: f64, e: f64, n: f64, clockwise: bool) -> String {
    let ring = if clockwise {
        format!("[[{w},{s}],[{w},{n}],[{e},{n}],[{e},{s}],[{w},{s}]]")
    } else {
        format!("[[{w},{s}],[{e},{s}],[{e},{n}],[{w},{n}],[{w},{s}]]")
    };
    ring
}

/// A sub-path read back from a command list: closed or not, and its points.
type SubPath = (bool, Vec<[f64; 2]>);

/// The sub-paths of a command list, and the fills, strokes and circles.
fn paths(commands: &[f32]) -> (Vec<SubPath>, usize, usize, usize) {
    let (mut out, mut fills, mut strokes, mut circles) = (Vec::new(), 0, 0, 0);
    let mut i = 0;
    while i < commands.len() {
        let op = commands[i];
        if op == MOVE {
            out.push((
                false,
                vec![[commands[i + 1] as f64, commands[i + 2] as f64]],
            ));
            i += 3;
        } else if op == LINE {
            out.last_mut()
                .unwrap()
                .1
                .push([commands[i + 1] as f64, commands[i + 2] as f64]);
            i += 3;
        } else if op == CIRCLE {
            circles += 1;
            i += 4;
        } else {
            if op == CLOSE {
                out.last_mut().unwrap().0 = true;
            }
            fills += usize::from(op == FILL);
            strokes += usize::from(op == STROKE);
            assert!([BEGIN, CLOSE, FILL, STROKE].contains(&op), "opcode {op}");
            i += 1;
        }
    }
    (out, fills, strokes, circles)
}

fn area(ring: &[[f64; 2]]) -> f64 {
    ring.iter()
        .zip(ring.iter().cycle().skip(1))
        .map(|(a, b)| a[0] * b[1] - b[0] * a[1])
        .sum::<f64>()
        / 2.0
}

const TILE0: TileSpec = TileSpec {
    z: 0,
    x: 0,
    y: 0,
    ratio: 1.0,
};

#[test]
fn every_geometry_type_is_read_into_parts() {
    let ring = square(0.0, 0.0, 10.0, 10.0, false);
    let hole = square(2.0, 2.0, 4.0, 4.0, true);
    let text = collection(&[
        feature(r#"{"type":"Point","coordinates":[1,2]}"#, r#"{"name":"p"}"#),
        feature(r#"{"type":"MultiPoint","coordinates":[[1,2],[3,4]]}"#, "{}"),
        feature(r#"{"type":"LineString","coordinates":[[0,0],[1,1]]}"#, "{}"),
        feature(
            r#"{"type":"MultiLineString","coordinates":[[[0,0],[1,1]],[[2,2],[3,3]]]}"#,
            "{}",
        ),
        feature(
            &format!(r#"{{"type":"Polygon","coordinates":[{ring},{hole}]}}"#),
            "{}",
        ),
        feature(
            &format!(r#"{{"type":"MultiPolygon","coordinates":[[{ring}],[{hole}]]}}"#),
            "null",
        ),
        feature(
            &format!(
                r#"{{"type":"GeometryCollection","geometries":[{{"type":"Point","coordinates":[5,5]}},{{"type":"GeometryCollection","geometries":[{{"type":"Polygon","coordinates":[{ring}]}}]}}]}}"#
            ),
            "{}",
        ),
        feature("null", "{}"),
    ]);
    let set = shapes(&text);
    assert_eq!(set.len(), 7, "the null geometry is not drawn");
    let kinds = |f: usize| -> Vec<PartKind> {
        let e = set.features[f];
        set.parts[e.parts.0 as usize..e.parts.1 as usize]
            .iter()
            .map(|p| p.kind)
            .collect()
    };
    use PartKind::*;
    assert_eq!(kinds(0), [Points]);
    assert_eq!(kinds(1), [Points]);
    assert_eq!(kinds(2), [Line]);
    assert_eq!(kinds(3), [Line, Line]);
    assert_eq!(kinds(4), [Exterior, Hole]);
    assert_eq!(kinds(5), [Exterior, Exterior]);
    assert_eq!(kinds(6), [Points, Exterior]);
    assert_eq!(set.properties(0), Json::parse(r#"{"name":"p"}"#).unwrap());
    assert_eq!(set.properties(5), Json::Null);
    assert_eq!(set.vertices(), 1 + 2 + 2 + 4 + 10 + 10 + 1 + 5);
}

#[test]
fn rings_are_drawn_exterior_clockwise_and_holes_the_other_way_whatever_the_data_says() {
    for clockwise in [false, true] {
        let ring = square(-100.0, -50.0, 100.0, 50.0, clockwise);
        let hole = square(-10.0, -10.0, 10.0, 10.0, clockwise);
        let set = shapes(&collection(&[feature(
            &format!(r#"{{"type":"Polygon","coordinates":[{ring},{hole}]}}"#),
            "{}",
        )]));
        let plan = set.plan_tile(TILE0, &Style::default(), true);
        let (rings, fills, strokes, _) = paths(&plan.commands);
        assert_eq!((rings.len(), fills, strokes, plan.features), (2, 1, 1, 1));
        // y points down: clockwise on screen is a positive area.
        assert!(
            area(&rings[0].1) > 0.0 && area(&rings[1].1) < 0.0,
            "{rings:?}"
        );
        assert!(rings.iter().all(|(closed, _)| *closed));
    }
}

#[test]
fn a_tile_holds_what_reaches_it_cut_at_its_edge() {
    // Zoom 1: four tiles. A square over the whole northern hemisphere east of 0°.
    let set = shapes(&collection(&[feature(
        &format!(
            r#"{{"type":"Polygon","coordinates":[{}]}}"#,
            square(10.0, 10.0, 170.0, 80.0, false)
        ),
        "{}",
    )]));
    let style = Style::default();
    let tile = |x, y| {
        set.plan_tile(
            TileSpec {
                z: 1,
                x,
                y,
                ratio: 1.0,
            },
            &style,
            true,
        )
    };
    assert_eq!(tile(0, 0).features, 0, "west of 0°");
    assert_eq!(tile(1, 1).features, 0, "south of the equator");
    let plan = tile(1, 0);
    let (rings, ..) = paths(&plan.commands);
    assert_eq!(rings.len(), 1);
    // Inside the tile and its cutting margin (half the stroke and 2 px).
    let cut = style.weight / 2.0 + 2.0;
    assert!(rings[0].1.iter().all(|p| p
        .iter()
        .all(|&c| c >= -cut - 1e-3 && c <= 256.0 + cut + 1e-3)));
    // At twice the pixel ratio the same shape fills twice the pixels.
    let double = set.plan_tile(
        TileSpec {
            z: 1,
            x: 1,
            y: 0,
            ratio: 2.0,
        },
        &style,
        true,
    );
    let (double_rings, ..) = paths(&double.commands);
    let ratio = area(&double_rings[0].1) / area(&rings[0].1);
    assert!((ratio - 4.0).abs() < 0.01, "{ratio}");
}

#[test]
fn data_across_the_antimeridian_draws_on_both_sides() {
    // A line from 170°E to 190°E (that is, 170°W).
    let set = shapes(&collection(&[feature(
        r#"{"type":"LineString","coordinates":[[170,0],[190,0]]}"#,
        "{}",
    )]));
    let style = Style::default();
    let east = set.plan_tile(
        TileSpec {
            z: 1,
            x: 1,
            y: 0,
            ratio: 1.0,
        },
        &style,
        true,
    );
    let west = set.plan_tile(
        TileSpec {
            z: 1,
            x: 0,
            y: 0,
            ratio: 1.0,
        },
        &style,
        true,
    );
    // The equator is the tiles' bottom edge: within the cutting margin of the northern tiles.
    assert_eq!((east.features, west.features), (1, 1));
    let (west_paths, ..) = paths(&west.commands);
    // On the western tile it starts at its left edge (the cut) and ends 10° (14.2 px at zoom 1) in.
    let xs: Vec<f64> = west_paths[0].1.iter().map(|p| p[0]).collect();
    assert!(
        xs[0] < 0.0 && (xs[xs.len() - 1] - 14.22).abs() < 0.01,
        "{xs:?}"
    );
}

#[test]
fn skipping_runs_far_off_the_tile_cuts_the_same_shape() {
    // A ring of 5,000 vertices around a big wobbly circle; at zoom 6 few tiles hold a part of
    // it, and most runs lie beyond one side of them.
    let mut ring = String::from("[");
    let n = 5000;
    for i in 0..=n {
        let a = std::f64::consts::TAU * f64::from(i % n) / f64::from(n);
        let r = 30.0 + 2.0 * (a * 37.0).sin();
        if i > 0 {
            ring.push(',');
        }
        ring.push_str(&format!("[{},{}]", r * a.cos(), r * a.sin() * 0.8));
    }
    ring.push(']');
    let set = shapes(&collection(&[feature(
        &format!(r#"{{"type":"Polygon","coordinates":[{ring}]}}"#),
        "{}",
    )]));
    let style = Style::default();
    let zoom = 6;
    let mut compared = 0;
    for x in 20..44 {
        for y in 20..44 {
            let tile = TileSpec {
                z: zoom,
                x,
                y,
                ratio: 1.0,
            };
            let plan = set.plan_tile(tile, &style, true);
            let (rings, ..) = paths(&plan.commands);
            // The reference: every vertex of that zoom, cut with no run skipped.
            let tile_units = WORLD / f64::from(1u32 << zoom);
            let scale = 256.0 / tile_units;
            let part = set.parts[0];
            let (vertices, zooms) = set.part_vertices(&part);
            let all: Vec<[f64; 2]> = (0..vertices.len())
                .filter(|&i| zooms[i] <= zoom as u8)
                .map(|i| {
                    let v = vertices[i];
                    [
                        (f64::from(v[0]) - f64::from(x) * tile_units) * scale,
                        (f64::from(v[1]) - f64::from(y) * tile_units) * scale,
                    ]
                })
                .collect();
            let cut = style.weight / 2.0 + 2.0;
            let (mut expected, mut scratch) = (Vec::new(), Vec::new());
            let mut all = all;
            if part.reversed {
                all.reverse();
            }
            super::clip::ring(
                &all,
                super::clip::Square {
                    lo: -cut,
                    hi: 256.0 + cut,
                },
                &mut expected,
                &mut scratch,
            );
            let drawn = rings.first().map_or(0.0, |r| area(&r.1));
            let wanted = if expected.len() >= 2 {
                area(&expected)
            } else {
                0.0
            };
            assert!(
                (drawn - wanted).abs() < 0.05,
                "tile {x},{y}: {drawn} vs {wanted}"
            );
            if rings.first().is_some_and(|r| r.1.len() < all.len() / 4) {
                compared += 1;
            }
        }
    }
    assert!(compared > 20, "runs were skipped on {compared} tiles");
}

#[test]
fn simplified_away_at_low_zoom_and_whole_at_high_zoom() {
    // A line with a wiggle 0.0001° (11 m) high: invisible at zoom 3, shown at zoom 18.
    let set = shapes(&collection(&[feature(
        r#"{"type":"LineString","coordinates":[[0,0],[0.5,0.0001],[1,0],[1.5,0.0001],[2,0]]}"#,
        "{}",
    )]));
    let outline = |z: f64| set.outline(0, z, 0.0).unwrap().paths[0].len();
    assert_eq!(outline(3.0), 2);
    assert_eq!(outline(18.0), 5);
}

#[test]
fn the_pointer_finds_the_topmost_feature_the_hole_and_the_stroke() {
    let big = square(-20.0, -20.0, 20.0, 20.0, false);
    let hole = square(-5.0, -5.0, 5.0, 5.0, true);
    let set = shapes(&collection(&[
        feature(
            &format!(r#"{{"type":"Polygon","coordinates":[{big},{hole}]}}"#),
            r#"{"n":0}"#,
        ),
        feature(
            r#"{"type":"LineString","coordinates":[[-30,10],[30,10]]}"#,
            r#"{"n":1}"#,
        ),
        feature(r#"{"type":"Point","coordinates":[15,-15]}"#, r#"{"n":2}"#),
    ]));
    let style = Style::default();
    let hit = |lat, lng| set.hit(lat, lng, 3.0, 4.0, &style, true);
    assert_eq!(hit(-10.0, -10.0), Some(0), "inside the area");
    assert_eq!(hit(0.0, 0.0), None, "in its hole");
    assert_eq!(hit(10.0, 0.0), Some(1), "the line is on top of the area");
    assert_eq!(hit(10.0, 25.0), Some(1), "the line beyond the area");
    assert_eq!(hit(-15.0, 15.0), Some(2), "the point");
    assert_eq!(hit(-15.0, 15.0 + 360.0), Some(2), "on another world copy");
    assert_eq!(
        set.hit(-15.0, 15.0, 3.0, 4.0, &style, false),
        Some(0),
        "points not drawn: the area under it"
    );
    assert_eq!(hit(40.0, 0.0), None);
    // Near the hole's edge, the stroke counts (a 2 px stroke, 4 px of reach at zoom 3: 0.35°).
    assert_eq!(hit(0.0, 4.8), Some(0));
}

#[test]
fn the_keyboard_reaches_features_at_a_point_inside_them() {
    // A C shape: its box's centre is outside it.
    let c = "[[0,0],[10,0],[10,2],[2,2],[2,8],[10,8],[10,10],[0,10],[0,0]]";
    let set = shapes(&collection(&[
        feature(
            &format!(r#"{{"type":"Polygon","coordinates":[{c}]}}"#),
            r#"{"name":"C"}"#,
        ),
        feature(
            r#"{"type":"Point","coordinates":[-20,5]}"#,
            r#"{"title":"Dot"}"#,
        ),
    ]));
    let view = crate::focus_order::ViewBox {
        lat: 5.0,
        lng: 0.0,
        zoom: 4.0,
        width: 800.0,
        height: 600.0,
    };
    let targets = set.keyboard_targets(&view, "Shapes", &Style::default());
    assert_eq!(targets.len(), 2);
    let c_target = targets.iter().find(|t| t.label == "C, Shapes").unwrap();
    let (lat, lng) = (c_target.lat, c_target.lng);
    let hit = set.hit(lat, lng, 4.0, 0.0, &Style::default(), true);
    assert_eq!(hit, Some(0), "({lat}, {lng}) is inside the C");
    assert!(targets.iter().any(|t| t.label == "Dot, Shapes"));
}

#[test]
fn points_are_circles_on_every_tile_they_reach() {
    let set = shapes(&collection(&[feature(
        r#"{"type":"Point","coordinates":[0,0]}"#,
        "{}",
    )]));
    let style = Style::default();
    // At zoom 1 the point is the corner of all four tiles.
    for (x, y) in [(0, 0), (0, 1), (1, 0), (1, 1)] {
        let plan = set.plan_tile(
            TileSpec {
                z: 1,
                x,
                y,
                ratio: 1.0,
            },
            &style,
            true,
        );
        assert_eq!(paths(&plan.commands).3, 1, "tile {x},{y}");
    }
    let plan = set.plan_tile(TILE0, &style, false);
    assert!(plan.commands.is_empty(), "points left to markers");
}

/// Found in the browser: positions written with spaces after commas were dropped (the number
/// reader does not skip whitespace).
#[test]
fn whitespace_anywhere_is_read() {
    let text = "{ \"type\" : \"FeatureCollection\" , \"features\" : [\n {\"type\": \"Feature\", \"properties\": {\"name\": \"W\"},\n  \"geometry\": { \"type\" : \"Polygon\", \"coordinates\": [ [ [ -20 , -10 ] , [0, -10], [ 0,10 ],\n [-20, 10], [-20, -10] ] ] } } ] }";
    let set = shapes(text);
    assert_eq!((set.len(), set.vertices()), (1, 5));
    assert_eq!(set.properties(0), Json::parse(r#"{"name":"W"}"#).unwrap());
}

/// Vertices live in blocks that are never moved (wasm memory keeps its high-water mark): a part
/// is never split between two, and a part longer than a block gets a block of its own.
#[test]
fn parts_never_straddle_blocks() {
    let features: Vec<String> = (0..40)
        .map(|i| {
            let ring = square(f64::from(i), 0.0, f64::from(i) + 0.5, 0.5, false);
            feature(
                &format!(r#"{{"type":"Polygon","coordinates":[{ring}]}}"#),
                "{}",
            )
        })
        .chain(std::iter::once(feature(
            &format!(
                r#"{{"type":"LineString","coordinates":[{}]}}"#,
                (0..100)
                    .map(|i| format!("[{},{}]", f64::from(i) * 0.1, 10.0))
                    .collect::<Vec<_>>()
                    .join(",")
            ),
            "{}",
        )))
        .collect();
    let set = shapes(&collection(&features));
    assert_eq!(set.vertices(), 40 * 5 + 100);
    assert!(set.blocks.len() > 10, "{} blocks", set.blocks.len());
    for part in &set.parts {
        let block = &set.blocks[part.block as usize];
        assert!(part.start < part.end && part.end as usize <= block.xy.len());
        assert!(block.runs.len() * RUN >= block.xy.len());
    }
    assert!(
        set.blocks.iter().any(|b| b.xy.len() == 100),
        "the long line has its own block"
    );
    // Drawn whole: every square of the row, on the tiles of zoom 3 that hold them.
    let style = Style::default();
    let drawn: usize = (0..8)
        .map(|x| {
            set.plan_tile(
                TileSpec {
                    z: 3,
                    x,
                    y: 3,
                    ratio: 1.0,
                },
                &style,
                true,
            )
            .features
        })
        .sum();
    assert!(drawn >= 41, "{drawn}");
}
