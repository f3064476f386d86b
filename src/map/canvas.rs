//! Draws a decoded vector tile onto its tile canvas with a layer's style: polygons (even-odd
//! fill, so holes stay holes), lines, point symbols and point labels.

use wasm_bindgen::JsCast;
use web_sys::{CanvasRenderingContext2d, CanvasWindingRule, HtmlCanvasElement};

use crate::config::Style;
use crate::mvt::{Geometry, Point, Tile};
use crate::tile_math::{overlaps, within, TILE_SIZE};

/// How far past its edge (in CSS pixels) a tile draws points and labels. Neighbouring tiles draw
/// the same symbol at the same world position, so one that straddles an edge appears whole; the
/// tile server must include that much buffer (martin/config.yaml: `buffer`).
const EDGE_MARGIN_PX: f32 = 128.0;

/// Sizes the canvas for the screen's pixel ratio and draws `tile` on it. Returns how many
/// features were drawn.
pub fn draw_tile(canvas: &HtmlCanvasElement, tile: &Tile, style: &Style, zoom: u32) -> usize {
    let ratio = web_sys::window().map_or(1.0, |w| w.device_pixel_ratio()).clamp(1.0, 4.0);
    let size = (TILE_SIZE * ratio).round() as u32;
    canvas.set_width(size);
    canvas.set_height(size);
    let Some(context) = canvas
        .get_context("2d")
        .ok()
        .flatten()
        .and_then(|c| c.dyn_into::<CanvasRenderingContext2d>().ok())
    else {
        return 0;
    };
    let labels = style.label.as_deref().filter(|_| f64::from(zoom) >= style.label_min_zoom);
    let mut drawn = 0;
    for layer in &tile.layers {
        let scale = (TILE_SIZE * ratio) / f64::from(layer.extent);
        let pen = Pen { context: &context, scale, ratio };
        let margin = EDGE_MARGIN_PX / scale as f32 * ratio as f32;
        for feature in &layer.features {
            match &feature.geometry {
                Geometry::Polygons(polygons) => pen.polygons(polygons, style),
                Geometry::Lines(lines) => pen.lines(lines, style),
                Geometry::Points(points) => {
                    let nearby: Vec<Point> = points.iter().copied().filter(|p| within(*p, layer.extent, margin)).collect();
                    pen.points(&nearby, style);
                }
            }
            drawn += 1;
        }
        if let Some(key) = labels {
            // First come, first placed; a label that would overlap a placed one is left out.
            // Neighbouring tiles see the same places in the same order (from the buffer), so they
            // make the same choice for a label that crosses their edge.
            let mut placed: Vec<[f64; 4]> = Vec::new();
            for feature in &layer.features {
                let (Geometry::Points(points), Some(text)) = (&feature.geometry, feature.property(key)) else {
                    continue;
                };
                let text = text.to_string();
                for point in points.iter().filter(|p| within(**p, layer.extent, margin)) {
                    let bounds = pen.label_bounds(*point, &text, style);
                    if placed.iter().all(|b| !overlaps(b, &bounds)) {
                        pen.label(*point, &text, style);
                        placed.push(bounds);
                    }
                }
            }
        }
    }
    drawn
}

struct Pen<'a> {
    context: &'a CanvasRenderingContext2d,
    /// Tile units to canvas pixels.
    scale: f64,
    /// Canvas pixels per CSS pixel.
    ratio: f64,
}

impl Pen<'_> {
    fn at(&self, p: Point) -> (f64, f64) {
        (f64::from(p[0]) * self.scale, f64::from(p[1]) * self.scale)
    }

    fn path(&self, points: &[Point], close: bool) {
        for (i, p) in points.iter().enumerate() {
            let (x, y) = self.at(*p);
            if i == 0 {
                self.context.move_to(x, y);
            } else {
                self.context.line_to(x, y);
            }
        }
        if close {
            self.context.close_path();
        }
    }

    fn stroke(&self, style: &Style) {
        if style.weight > 0.0 && style.opacity > 0.0 {
            self.context.set_global_alpha(style.opacity);
            self.context.set_stroke_style_str(&style.color);
            self.context.set_line_width(style.weight * self.ratio);
            self.context.set_line_join("round");
            self.context.set_line_cap("round");
            self.context.stroke();
        }
    }

    fn fill(&self, style: &Style) {
        if style.fill_opacity > 0.0 {
            self.context.set_global_alpha(style.fill_opacity);
            self.context.set_fill_style_str(&style.fill_color);
            self.context.fill_with_canvas_winding_rule(CanvasWindingRule::Evenodd);
        }
    }

    fn polygons(&self, polygons: &[Vec<Vec<Point>>], style: &Style) {
        self.context.begin_path();
        for ring in polygons.iter().flatten() {
            self.path(ring, true);
        }
        self.fill(style);
        self.stroke(style);
    }

    fn lines(&self, lines: &[Vec<Point>], style: &Style) {
        self.context.begin_path();
        for line in lines {
            self.path(line, false);
        }
        self.stroke(style);
    }

    fn points(&self, points: &[Point], style: &Style) {
        for p in points {
            let (x, y) = self.at(*p);
            self.context.begin_path();
            let _ = self.context.arc(x, y, style.radius * self.ratio, 0.0, std::f64::consts::TAU);
            self.fill(style);
            self.stroke(style);
        }
    }

    fn set_label_font(&self) {
        self.context.set_font(&format!("{}px system-ui, sans-serif", (12.0 * self.ratio).round()));
    }

    /// The box a label takes (left, top, right, bottom in canvas pixels), symbol included.
    fn label_bounds(&self, p: Point, text: &str, style: &Style) -> [f64; 4] {
        self.set_label_font();
        let width = self.context.measure_text(text).map_or(0.0, |m| m.width());
        let (x, y) = self.at(p);
        let half_height = 8.0 * self.ratio;
        [x - style.radius * self.ratio, y - half_height, x + (style.radius + 3.0) * self.ratio + width, y + half_height]
    }

    /// Dark text with a light halo, right of the symbol: readable on any base map.
    fn label(&self, p: Point, text: &str, style: &Style) {
        let (x, y) = self.at(p);
        let x = x + (style.radius + 3.0) * self.ratio;
        self.context.set_global_alpha(1.0);
        self.set_label_font();
        self.context.set_text_baseline("middle");
        self.context.set_line_width(3.0 * self.ratio);
        self.context.set_line_join("round");
        self.context.set_stroke_style_str("rgba(255, 255, 255, 0.9)");
        let _ = self.context.stroke_text(text, x, y);
        self.context.set_fill_style_str("#222");
        let _ = self.context.fill_text(text, x, y);
    }
}
