//! What a vector tile looks like on its canvas, as a list of drawing commands in canvas pixels:
//! polygons (filled even-odd, so holes stay holes), lines, point symbols, and the labels that fit.
//! Pure, so it is tested natively; `src/map/canvas.rs` runs the list on a canvas in one call.

use crate::config::Style;
use crate::mvt::{Geometry, Point, Tile};
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
pub const FILL: f32 = 4.0; // even-odd, fill colour and opacity
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
    let fill = style.fill_opacity > 0.0;
    let stroke = style.weight > 0.0 && style.opacity > 0.0;
    let paint = |commands: &mut Vec<f32>, can_fill: bool| {
        if fill && can_fill {
            commands.push(FILL);
        }
        if stroke {
            commands.push(STROKE);
        }
    };
    let labels = style
        .label
        .as_deref()
        .filter(|_| f64::from(zoom) >= style.label_min_zoom);
    let radius = (style.radius * ratio) as f32;
    for layer in &tile.layers {
        let scale = ((TILE_SIZE * ratio) / f64::from(layer.extent)) as f32;
        let margin = EDGE_MARGIN_PX / scale * ratio as f32;
        for feature in &layer.features {
            match &feature.geometry {
                Geometry::Polygons(polygons) => {
                    plan.commands.push(BEGIN);
                    for ring in polygons.iter().flatten() {
                        push_path(&mut plan.commands, ring, scale, true);
                    }
                    paint(&mut plan.commands, true);
                }
                Geometry::Lines(lines) => {
                    plan.commands.push(BEGIN);
                    for line in lines {
                        push_path(&mut plan.commands, line, scale, false);
                    }
                    paint(&mut plan.commands, false);
                }
                Geometry::Points(points) => {
                    for p in points.iter().filter(|p| within(**p, layer.extent, margin)) {
                        plan.commands.extend_from_slice(&[
                            BEGIN,
                            CIRCLE,
                            p[0] * scale,
                            p[1] * scale,
                            radius,
                        ]);
                        paint(&mut plan.commands, true);
                    }
                }
            }
            plan.features += 1;
        }
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

/// A sub-path through `points` (tile units, scaled to canvas pixels).
fn push_path(commands: &mut Vec<f32>, points: &[Point], scale: f32, close: bool) {
    commands.reserve(points.len() * 3 + 1);
    for (i, p) in points.iter().enumerate() {
        commands.extend_from_slice(&[if i == 0 { MOVE } else { LINE }, p[0] * scale, p[1] * scale]);
    }
    if close {
        commands.push(CLOSE);
    }
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
    fn every_polygon_ring_becomes_a_closed_sub_path_filled_and_stroked_once_per_feature() {
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
        assert_eq!((paths, fills, strokes, circles), (rings, 177, 177, 0));
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
            circles > 0 && fills == circles,
            "each place a filled circle"
        );
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
