use super::*;

fn fixture(name: &str) -> Vec<u8> {
    let path = format!("{}/tests/fixtures/mvt/{name}", env!("CARGO_MANIFEST_DIR"));
    std::fs::read(path).expect("fixture captured from Martin")
}

fn encode(layers: Vec<wire::Layer>) -> Vec<u8> {
    wire::Tile { layers }.encode_to_vec()
}

fn layer(features: Vec<wire::Feature>) -> wire::Layer {
    wire::Layer {
        version: 2,
        name: "test".into(),
        features,
        keys: vec!["name".into(), "pop".into()],
        values: vec![
            wire::Value {
                string_value: Some("<b>x</b>".into()),
                ..Default::default()
            },
            wire::Value {
                uint_value: Some(42),
                ..Default::default()
            },
        ],
        extent: Some(4096),
    }
}

fn feature(kind: i32, geometry: Vec<u32>) -> wire::Feature {
    wire::Feature {
        id: Some(7),
        tags: vec![0, 0, 1, 1],
        r#type: Some(kind),
        geometry,
    }
}

fn command(id: u32, count: u32) -> u32 {
    (id & 0x7) | (count << 3)
}

fn zz(n: i32) -> u32 {
    ((n << 1) ^ (n >> 31)) as u32
}

#[test]
fn decodes_martin_country_tiles() {
    let tile = Tile::decode(&fixture("countries-0-0-0.mvt")).expect("decodes");
    assert_eq!(tile.layers.len(), 1);
    let countries = tile
        .layer("countries")
        .expect("layer named after the source");
    assert_eq!(countries.extent, 4096);
    assert_eq!(countries.skipped, 0);
    // Natural Earth's 177 countries, all in the single world tile.
    assert_eq!(countries.features.len(), 177);
    let france = countries
        .features
        .iter()
        .find(|f| f.property("iso_a3") == Some(&Value::String("FRA".into())))
        .expect("France");
    assert_eq!(
        france.property("name"),
        Some(&Value::String("France".into()))
    );
    assert_eq!(
        france.property("continent"),
        Some(&Value::String("Europe".into()))
    );
    assert!(matches!(france.property("pop_est"), Some(Value::Float(p)) if *p > 6.0e7));
    // France has overseas parts (French Guiana): several polygons.
    let Geometry::Polygons(polygons) = &france.geometry else {
        panic!("a country is a polygon")
    };
    assert!(
        polygons.len() >= 2,
        "France has {} polygons",
        polygons.len()
    );
    for polygon in polygons {
        assert!(
            signed_area(&polygon[0]) > 0.0,
            "exterior rings are clockwise (positive) in tile coordinates"
        );
    }
}

#[test]
fn decodes_points_and_function_sources() {
    let places = Tile::decode(&fixture("places-0-0-0.mvt")).expect("decodes");
    let layer = places.layer("places").expect("places layer");
    assert_eq!(layer.features.len(), 243);
    assert!(layer
        .features
        .iter()
        .all(|f| matches!(&f.geometry, Geometry::Points(p) if p.len() == 1)));
    assert!(layer.features.iter().all(|f| f.property("name").is_some()));

    let big = Tile::decode(&fixture(
        "countries_by_population-1-1-0-min_pop-100000000.mvt",
    ))
    .expect("decodes");
    let layer = big
        .layer("countries_by_population")
        .expect("the function's layer name");
    let names: Vec<String> = layer
        .features
        .iter()
        .filter_map(|f| f.property("name"))
        .map(|v| v.to_string())
        .collect();
    // Tile 1/1/0 is the north-east quarter: China, India, Russia, Japan... but not Germany (83M).
    assert!(
        names.contains(&"China".to_owned()) && names.contains(&"Russia".to_owned()),
        "{names:?}"
    );
    assert!(!names.contains(&"Germany".to_owned()), "{names:?}");
    assert!(layer
        .features
        .iter()
        .all(|f| matches!(f.property("pop_est"), Some(Value::Float(p)) if *p >= 1e8)));
}

#[test]
fn an_empty_body_is_an_empty_tile() {
    // Martin answers 204 No Content for a tile without features.
    assert_eq!(Tile::decode(&[]), Ok(Tile { layers: vec![] }));
}

#[test]
fn every_truncation_of_a_real_tile_is_an_error_or_a_smaller_tile_never_a_panic() {
    let bytes = fixture("countries-3-4-2.mvt");
    let full = Tile::decode(&bytes).expect("decodes").feature_count();
    let mut errors = 0;
    for end in 0..bytes.len() {
        match Tile::decode(&bytes[..end]) {
            Ok(tile) => assert!(tile.feature_count() <= full),
            Err(error) => {
                errors += 1;
                assert!(error.to_string().contains("not a vector tile"), "{error}");
            }
        }
    }
    assert!(
        errors > bytes.len() / 2,
        "most truncations are detected ({errors} of {})",
        bytes.len()
    );
}

#[test]
fn garbage_and_other_formats_are_errors() {
    for bytes in [
        &b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR"[..],
        b"<html>502 Bad Gateway</html>",
        b"\xff\xff\xff\xff",
        b"\x1a\x05\x0a\x03",
    ] {
        assert!(Tile::decode(bytes).is_err(), "{bytes:?}");
    }
    assert!(matches!(
        Tile::decode(&vec![0u8; MAX_TILE_BYTES + 1]),
        Err(MvtError::TooLarge { .. })
    ));
}

/// Every decoded feature is drawable: what the drawing code may rely on.
fn assert_drawable(tile: &Tile) {
    for layer in &tile.layers {
        assert!(layer.extent > 0);
        for feature in &layer.features {
            match &feature.geometry {
                Geometry::Points(points) => assert!(!points.is_empty()),
                Geometry::Lines(lines) => {
                    assert!(!lines.is_empty() && lines.iter().all(|l| l.len() >= 2))
                }
                Geometry::Polygons(polygons) => {
                    assert!(!polygons.is_empty());
                    assert!(polygons
                        .iter()
                        .flatten()
                        .all(|ring| ring.len() >= 3 && signed_area(ring) != 0.0));
                }
            }
        }
    }
}

#[test]
fn flipping_bytes_of_a_real_tile_never_panics() {
    // Random bytes anywhere: most mutants break the protobuf framing (an error), some decode; a
    // decoded mutant holds only drawable features.
    let bytes = fixture("places-3-4-2.mvt");
    let mut seed = 0x2545_f491_4f6c_dd1du64;
    let (mut decoded, mut refused) = (0, 0);
    for _ in 0..2_000 {
        let mut copy = bytes.clone();
        for _ in 0..4 {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            let i = (seed as usize) % copy.len();
            copy[i] = (seed >> 32) as u8;
        }
        match Tile::decode(&copy) {
            Ok(tile) => {
                assert_drawable(&tile);
                decoded += 1;
            }
            Err(_) => refused += 1,
        }
    }
    assert!(
        decoded > 0 && refused > 0,
        "{decoded} decoded, {refused} refused"
    );
}

#[test]
fn mutated_geometry_and_tags_are_skipped_never_drawn_wrong() {
    // Past the protobuf framing: the commands and tags of every feature of a real tile, mutated,
    // re-encoded and decoded. Each feature is either decoded drawable or skipped and counted.
    let original = wire::Tile::decode(&fixture("countries-3-4-2.mvt")[..]).expect("decodes");
    let mut seed = 0x9e37_79b9_7f4a_7c15u64;
    let mut next = move || {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        seed
    };
    let (mut kept, mut skipped) = (0, 0);
    for _ in 0..300 {
        let mut tile = original.clone();
        for feature in tile.layers.iter_mut().flat_map(|l| l.features.iter_mut()) {
            // Two mutations a feature, so they combine (commands cut short and read as a line).
            for _ in 0..2 {
                match next() % 6 {
                    0 if !feature.geometry.is_empty() => {
                        let i = next() as usize % feature.geometry.len();
                        feature.geometry[i] = next() as u32 % 64;
                    }
                    1 => feature
                        .geometry
                        .truncate(next() as usize % (feature.geometry.len() + 1)),
                    2 => feature.tags.push(next() as u32 % 8),
                    3 => feature.r#type = Some((next() % 5) as i32),
                    4 if !feature.tags.is_empty() => feature.tags[0] = next() as u32,
                    _ => {}
                }
            }
        }
        let features: usize = tile.layers.iter().map(|l| l.features.len()).sum();
        let decoded = Tile::decode(&tile.encode_to_vec()).expect("a well-framed tile decodes");
        assert_drawable(&decoded);
        let (k, s): (usize, usize) = decoded
            .layers
            .iter()
            .fold((0, 0), |(k, s), l| (k + l.features.len(), s + l.skipped));
        assert_eq!(
            k + s,
            features,
            "every feature is either kept or counted as skipped"
        );
        kept += k;
        skipped += s;
    }
    assert!(kept > 0 && skipped > 0, "{kept} kept, {skipped} skipped");
}

#[test]
fn decodes_a_hand_made_polygon_with_a_hole() {
    // Exterior: clockwise (y down) square 0..10; hole: counter-clockwise square 4..6.
    let geometry = vec![
        command(MOVE_TO, 1),
        zz(0),
        zz(0),
        command(LINE_TO, 3),
        zz(10),
        zz(0),
        zz(0),
        zz(10),
        zz(-10),
        zz(0),
        command(CLOSE_PATH, 1),
        command(MOVE_TO, 1),
        zz(4),
        zz(-6),
        command(LINE_TO, 3),
        zz(0),
        zz(2),
        zz(2),
        zz(0),
        zz(0),
        zz(-2),
        command(CLOSE_PATH, 1),
    ];
    let tile = Tile::decode(&encode(vec![layer(vec![feature(3, geometry)])])).expect("decodes");
    let feature = &tile.layers[0].features[0];
    assert_eq!(feature.id, Some(7));
    assert_eq!(
        feature.properties,
        vec![
            ("name".into(), Value::String("<b>x</b>".into())),
            ("pop".into(), Value::UInt(42))
        ]
    );
    assert_eq!(
        feature.properties_json().to_string(),
        r#"{"name":"<b>x</b>","pop":42}"#
    );
    assert_eq!(Value::Float(f64::NAN).to_json(), crate::json::Json::Null);
    assert_eq!(
        feature.geometry,
        Geometry::Polygons(vec![vec![
            vec![[0.0, 0.0], [10.0, 0.0], [10.0, 10.0], [0.0, 10.0]],
            vec![[4.0, 4.0], [4.0, 6.0], [6.0, 6.0], [6.0, 4.0]],
        ]])
    );
}

#[test]
fn decodes_multi_lines_and_multi_points() {
    let lines = vec![
        command(MOVE_TO, 1),
        zz(1),
        zz(1),
        command(LINE_TO, 2),
        zz(1),
        zz(0),
        zz(0),
        zz(1),
        command(MOVE_TO, 1),
        zz(5),
        zz(5),
        command(LINE_TO, 1),
        zz(-1),
        zz(-1),
    ];
    let points = vec![command(MOVE_TO, 2), zz(5), zz(7), zz(-2), zz(3)];
    let tile = Tile::decode(&encode(vec![layer(vec![
        feature(2, lines),
        feature(1, points),
    ])]))
    .expect("decodes");
    let features = &tile.layers[0].features;
    assert_eq!(
        features[0].geometry,
        Geometry::Lines(vec![
            vec![[1.0, 1.0], [2.0, 1.0], [2.0, 2.0]],
            vec![[7.0, 7.0], [6.0, 6.0]]
        ])
    );
    assert_eq!(
        features[1].geometry,
        Geometry::Points(vec![[5.0, 7.0], [3.0, 10.0]])
    );
}

#[test]
fn malformed_features_are_skipped_and_counted_not_fatal() {
    let good = feature(1, vec![command(MOVE_TO, 1), zz(1), zz(1)]);
    let bad = vec![
        // Missing parameters: the command promises 3 points, 1 follows.
        feature(
            2,
            vec![
                command(MOVE_TO, 1),
                zz(0),
                zz(0),
                command(LINE_TO, 3),
                zz(1),
                zz(1),
            ],
        ),
        // Unknown command id.
        feature(1, vec![command(5, 1), zz(0), zz(0)]),
        // A polygon ring that is never closed.
        feature(
            3,
            vec![
                command(MOVE_TO, 1),
                zz(0),
                zz(0),
                command(LINE_TO, 2),
                zz(5),
                zz(0),
                zz(0),
                zz(5),
            ],
        ),
        // LineTo before any MoveTo.
        feature(2, vec![command(LINE_TO, 1), zz(1), zz(1)]),
        // ClosePath with nothing to close.
        feature(3, vec![command(CLOSE_PATH, 1)]),
        // Unknown geometry type.
        feature(0, vec![command(MOVE_TO, 1), zz(1), zz(1)]),
        // A huge count with no data behind it: must not allocate for it.
        feature(1, vec![command(MOVE_TO, (1 << 29) - 1), zz(1)]),
        // Tags that point past the keys/values tables.
        wire::Feature {
            id: None,
            tags: vec![9, 0],
            r#type: Some(1),
            geometry: vec![command(MOVE_TO, 1), 2, 2],
        },
        wire::Feature {
            id: None,
            tags: vec![0],
            r#type: Some(1),
            geometry: vec![command(MOVE_TO, 1), 2, 2],
        },
    ];
    let count = bad.len();
    let mut features = bad;
    features.push(good);
    let tile = Tile::decode(&encode(vec![layer(features)])).expect("the tile itself is fine");
    assert_eq!(tile.layers[0].features.len(), 1);
    assert_eq!(tile.layers[0].skipped, count);
}

#[test]
fn unsupported_versions_and_zero_extents_are_errors() {
    let mut v3 = layer(vec![]);
    v3.version = 3;
    assert_eq!(
        Tile::decode(&encode(vec![v3])),
        Err(MvtError::UnsupportedVersion {
            layer: "test".into(),
            version: 3
        })
    );
    let mut flat = layer(vec![]);
    flat.extent = Some(0);
    assert!(matches!(
        Tile::decode(&encode(vec![flat])),
        Err(MvtError::BadExtent { .. })
    ));
}
