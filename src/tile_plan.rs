//! What a vector tile looks like on its canvas, as a list of drawing commands in canvas pixels:
//! each layer's areas, lines and point symbols, each kind one path filled and stroked once (a
//! fill or stroke call costs more than the vertices it draws), and the labels that fit. Pure,
//! so it is tested natively; `src/map/canvas.rs` runs the list on a canvas in one call.
//!
//! Areas share one path filled by the non-zero rule: every polygon is written with its exterior
//! clockwise and its holes counter-clockwise (the tile's own winding is only trusted to tell the
//! two apart), so holes stay holes and overlapping features are one area, not cut out of each
//! other.

use crate::config::Style;
use crate::mvt::{signed_area, Geometry, Point, Tile};
use crate::tile_math::{overlaps, within, TILE_SIZE};

/// How far past its edge (in CSS pixels) a tile draws points and labels. Neighbouring tiles draw
/// the same symbol at the same world position, so one that straddles an edge appears whole; the
/// tile server must include that much buffer (martin/config.yaml: `buffer`).
pub const EDGE_MARGIN_PX: f32 = 128.0;

/// Label text size in CSS pixels.
pub const LABEL_PX: f64 = 12.0;

// The command list: an opcode, then its operands, all f32.
pub const BEGIN: f32 = 0.0;
pub const MOVE: f32 = 1.0; // x y
pub const LINE: f32 = 2.0; // x y
pub const CLOSE: f32 = 3.0;
pub const FILL: f32 = 4.0; // non-zero, fill colour and opacity
pub const STROKE: f32 = 5.0; // stroke colour, opacity and width
pub const CIRCLE: f32 = 6.0; // x y radius: a closed circle sub-path

/// What to draw on one tile: the command list, and the labels that fit.
pub struct Plan {
    pub commands: Vec<f32>,
    /// x, y (canvas pixels) of each label's left middle.
    pub label_positions: Vec<f32>,
    pub label_texts: Vec<String>,
    /// Features drawn.
    pub features: usize,
}

/// Turns a tile into drawing commands in canvas pixels at `ratio` canvas pixels per CSS pixel.
/// `measure(text)` is a label's width in canvas pixels.
pub fn plan_tile(
    tile: &Tile,
    style: &Style,
    zoom: u32,
    ratio: f64,
    mut measure: impl FnMut(&str) -> f64,
) -> Plan {
    let mut plan = Plan {
        commands: Vec::new(),
        label_positions: Vec::new(),
        label_texts: Vec::new(),
        features: 0,
    };
    let labels = style
        .label
        .as_deref()
        .filter(|_| f64::from(zoom) >= style.label_min_zoom);
    let radius = (style.radius * ratio) as f32;
    // A symbol reaches this far from its centre (canvas px): one farther off the canvas is not
    // drawn (its neighbouring tile draws it).
    let symbol_reach = ((style.radius + style.weight) * ratio) as f32;
    let size = (TILE_SIZE * ratio) as f32;
    for layer in &tile.layers {
        let scale = ((TILE_SIZE * ratio) / f64::from(layer.extent)) as f32;
        let margin = EDGE_MARGIN_PX / scale * ratio as f32;
        let (mut areas, mut lines, mut symbols) = (Vec::new(), Vec::new(), Vec::new());
        for feature in &layer.features {
            match &feature.geometry {
                Geometry::Polygons(polygons) => {
                    for rings in polygons {
                        // The exterior clockwise (positive area, y down), holes the other way,
                        // whatever the tile's winding.
                        for (i, ring) in rings.iter().enumerate() {
                            let clockwise = signed_area(ring) > 0.0;
                            push_ring(&mut areas, ring, scale, clockwise != (i == 0));
                        }
                    }
                }
                Geometry::Lines(paths) => {
                    for line in paths {
                        push_path(&mut lines, line, scale);
                    }
                }
                Geometry::Points(points) => {
                    for p in points {
                        let (x, y) = (p[0] * scale, p[1] * scale);
                        let reach = symbol_reach;
                        if x < -reach || y < -reach || x > size + reach || y > size + reach {
                            continue;
                        }
                        symbols.extend_from_slice(&[CIRCLE, x, y, radius]);
                    }
                }
            }
            plan.features += 1;
        }
        paint_paths(&mut plan.commands, [areas, lines, symbols], style);
        if let Some(key) = labels {
            // First come, first placed; a label that would overlap a placed one is left out.
            // Neighbouring tiles see the same places in the same order (from the buffer), so they
            // make the same choice for a label that crosses their edge.
            let mut placed: Vec<[f64; 4]> = Vec::new();
            for feature in &layer.features {
                let (Geometry::Points(points), Some(text)) =
                    (&feature.geometry, feature.property(key))
                else {
                    continue;
                };
                let text = text.to_string();
                for p in points.iter().filter(|p| within(**p, layer.extent, margin)) {
                    let (x, y) = (f64::from(p[0] * scale), f64::from(p[1] * scale));
                    let left = x + (style.radius + 3.0) * ratio;
                    let half_height = 8.0 * ratio;
                    let bounds = [
                        x - style.radius * ratio,
                        y - half_height,
                        left + measure(&text),
                        y + half_height,
                    ];
                    if placed.iter().all(|b| !overlaps(b, &bounds)) {
                        plan.label_positions
                            .extend_from_slice(&[left as f32, y as f32]);
                        plan.label_texts.push(text.clone());
                        placed.push(bounds);
                    }
                }
            }
        }
    }
    plan
}

/// Appends a layer's three paths, each begun and then painted as `style` says: its areas
/// (filled, stroked), its lines (stroked) and its point symbols (filled, stroked).
pub fn paint_paths(commands: &mut Vec<f32>, [areas, lines, symbols]: [Vec<f32>; 3], style: &Style) {
    let fill = style.fill_opacity > 0.0;
    let stroke = style.weight > 0.0 && style.opacity > 0.0;
    for (path, can_fill) in [(areas, true), (lines, false), (symbols, true)] {
        if path.is_empty() {
            continue;
        }
        commands.push(BEGIN);
        commands.extend_from_slice(&path);
        if fill && can_fill {
            commands.push(FILL);
        }
        if stroke {
            commands.push(STROKE);
        }
    }
}

/// An open sub-path through `points` (tile units, scaled to canvas pixels).
fn push_path(commands: &mut Vec<f32>, points: &[Point], scale: f32) {
    commands.reserve(points.len() * 3);
    for (i, p) in points.iter().enumerate() {
        commands.extend_from_slice(&[if i == 0 { MOVE } else { LINE }, p[0] * scale, p[1] * scale]);
    }
}

/// A closed sub-path around `ring`, backwards when `reverse` (to set its winding).
fn push_ring(commands: &mut Vec<f32>, ring: &[Point], scale: f32, reverse: bool) {
    let start = commands.len();
    push_path(commands, ring, scale);
    if reverse {
        // The (x, y) pairs in reverse order; the opcodes (MOVE first, then LINEs) stay put.
        let count = ring.len();
        for i in 0..count / 2 {
            let (a, b) = (start + 3 * i, start + 3 * (count - 1 - i));
            commands.swap(a + 1, b + 1);
            commands.swap(a + 2, b + 2);
        }
    }
    commands.push(CLOSE);
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tile(name: &str) -> Tile {
        let path = format!("{}/tests/fixtures/mvt/{name}", env!("CARGO_MANIFEST_DIR"));
        Tile::decode(&std::fs::read(path).expect("fixture")).expect("tile")
    }

    /// Reads a command list back: (sub-paths, vertices, fills, strokes, circles).
    fn census(commands: &[f32]) -> (usize, usize, usize, usize, usize) {
        let (mut paths, mut vertices, mut fills, mut strokes, mut circles) = (0, 0, 0, 0, 0);
        let mut i = 0;
        while i < commands.len() {
            let op = commands[i];
            i += if op == MOVE || op == LINE {
                3
            } else if op == CIRCLE {
                4
            } else {
                1
            };
            if op == MOVE {
                paths += 1;
            }
            if op == MOVE || op == LINE {
                vertices += 1;
            }
            fills += usize::from(op == FILL);
            strokes += usize::from(op == STROKE);
            circles += usize::from(op == CIRCLE);
        }
        (paths, vertices, fills, strokes, circles)
    }

    #[test]
    fn every_polygon_ring_becomes_a_closed_sub_path_of_one_area_filled_and_stroked_once() {
        let world = tile("countries-0-0-0.mvt");
        let rings: usize = world.layers[0]
            .features
            .iter()
            .map(|f| match &f.geometry {
                Geometry::Polygons(p) => p.iter().map(Vec::len).sum(),
                _ => 0,
            })
            .sum();
        let plan = plan_tile(&world, &Style::default(), 0, 1.0, |_| 0.0);
        let (paths, _, fills, strokes, circles) = census(&plan.commands);
        assert_eq!(plan.features, 177);
        // 177 countries: one path, one fill, one stroke (not 177 of each).
        assert_eq!((paths, fills, strokes, circles), (rings, 1, 1, 0));
        // Everything lands on the 256 px tile (Martin's buffer reaches a little past it).
        let mut i = 0;
        while i < plan.commands.len() {
            let op = plan.commands[i];
            if op == MOVE || op == LINE {
                let (x, y) = (plan.commands[i + 1], plan.commands[i + 2]);
                assert!(
                    (-16.0..=272.0).contains(&x) && (-16.0..=272.0).contains(&y),
                    "({x}, {y})"
                );
                i += 3;
            } else {
                i += 1;
            }
        }
    }

    #[test]
    fn the_pixel_ratio_scales_the_drawing() {
        let world = tile("countries-0-0-0.mvt");
        let one = plan_tile(&world, &Style::default(), 0, 1.0, |_| 0.0);
        let two = plan_tile(&world, &Style::default(), 0, 2.0, |_| 0.0);
        assert_eq!(one.commands.len(), two.commands.len());
        assert_eq!(one.commands[1], MOVE);
        assert_eq!(
            (one.commands[2] * 2.0, one.commands[3] * 2.0),
            (two.commands[2], two.commands[3])
        );
    }

    #[test]
    fn labels_never_overlap_and_follow_the_minimum_zoom() {
        let places = tile("places-3-4-2.mvt");
        let style = Style {
            label: Some("name".into()),
            label_min_zoom: 3.0,
            ..Style::default()
        };
        let width = |text: &str| 7.0 * text.chars().count() as f64;
        assert!(
            plan_tile(&places, &style, 2, 1.0, width)
                .label_texts
                .is_empty(),
            "below labelMinZoom"
        );
        let plan = plan_tile(&places, &style, 3, 1.0, width);
        assert!(!plan.label_texts.is_empty());
        let boxes: Vec<[f64; 4]> = plan
            .label_texts
            .iter()
            .zip(plan.label_positions.chunks(2))
            .map(|(t, p)| {
                [
                    f64::from(p[0]),
                    f64::from(p[1]) - 8.0,
                    f64::from(p[0]) + width(t),
                    f64::from(p[1]) + 8.0,
                ]
            })
            .collect();
        for (i, a) in boxes.iter().enumerate() {
            for b in &boxes[i + 1..] {
                assert!(!overlaps(a, b), "{a:?} overlaps {b:?}");
            }
        }
        let (_, _, fills, _, circles) = census(&plan.commands);
        assert!(
            circles > 0 && fills == 1,
            "the places' circles, filled at once"
        );
    }

    /// The rings of a command list, as points: to check windings.
    fn rings(commands: &[f32]) -> Vec<Vec<Point>> {
        let mut out: Vec<Vec<Point>> = Vec::new();
        let mut i = 0;
        while i < commands.len() {
            let op = commands[i];
            if op == MOVE || op == LINE {
                if op == MOVE {
                    out.push(Vec::new());
                }
                if let Some(ring) = out.last_mut() {
                    ring.push([commands[i + 1], commands[i + 2]]);
                }
                i += 3;
            } else {
                i += if op == CIRCLE { 4 } else { 1 };
            }
        }
        out
    }

    fn one_layer(features: Vec<crate::mvt::Feature>) -> Tile {
        Tile {
            layers: vec![crate::mvt::Layer {
                name: "test".into(),
                extent: 256,
                features,
                skipped: 0,
            }],
        }
    }

    fn area(geometry: Geometry) -> crate::mvt::Feature {
        crate::mvt::Feature {
            id: None,
            geometry,
            properties: Vec::new(),
        }
    }

    #[test]
    fn areas_are_written_exterior_clockwise_and_holes_counter_clockwise() {
        // A square with a hole, as a tile with flipped winding writes it (the exterior
        // counter-clockwise, the hole clockwise), and one as the spec writes it.
        let exterior_ccw = vec![[10.0, 10.0], [10.0, 100.0], [100.0, 100.0], [100.0, 10.0]];
        let hole_cw = vec![[40.0, 40.0], [60.0, 40.0], [60.0, 60.0], [40.0, 60.0]];
        let spec = vec![
            [150.0, 150.0],
            [200.0, 150.0],
            [200.0, 200.0],
            [150.0, 200.0],
        ];
        assert!(signed_area(&exterior_ccw) < 0.0 && signed_area(&hole_cw) > 0.0);
        let tile = one_layer(vec![
            area(Geometry::Polygons(vec![vec![exterior_ccw, hole_cw]])),
            area(Geometry::Polygons(vec![vec![spec]])),
        ]);
        let plan = plan_tile(&tile, &Style::default(), 0, 1.0, |_| 0.0);
        let areas: Vec<f64> = rings(&plan.commands)
            .iter()
            .map(|r| signed_area(r))
            .collect();
        assert_eq!(areas.len(), 3);
        assert!(
            areas[0] > 0.0 && areas[1] < 0.0 && areas[2] > 0.0,
            "{areas:?}"
        );
        // The same corners, only their order changed.
        assert_eq!(rings(&plan.commands)[1].len(), 4);
        let (_, _, fills, strokes, _) = census(&plan.commands);
        assert_eq!((fills, strokes), (1, 1));
    }

    #[test]
    fn symbols_too_far_off_the_tile_are_left_to_their_own_tile() {
        let style = Style {
            radius: 4.0,
            weight: 1.0,
            ..Style::default()
        };
        // On the tile; straddling its left edge; entirely past its right edge.
        let points = Geometry::Points(vec![[128.0, 128.0], [-3.0, 50.0], [270.0, 50.0]]);
        let plan = plan_tile(&one_layer(vec![area(points)]), &style, 0, 1.0, |_| 0.0);
        let (_, _, _, _, circles) = census(&plan.commands);
        assert_eq!(circles, 2);
    }

    #[test]
    fn no_fill_and_no_stroke_are_left_out() {
        let world = tile("countries-0-0-0.mvt");
        let style = Style {
            fill_opacity: 0.0,
            weight: 0.0,
            ..Style::default()
        };
        let (_, _, fills, strokes, _) =
            census(&plan_tile(&world, &style, 0, 1.0, |_| 0.0).commands);
        assert_eq!((fills, strokes), (0, 0));
    }
}
