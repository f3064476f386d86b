//! Draws a decoded vector tile onto its tile canvas with a layer's style: areas (non-zero fill
//! over rings wound by `tile_plan`, so holes stay holes), lines, point symbols and labels.
//!
//! Rust decides what to draw and where ([`crate::tile_plan`]: geometry in canvas pixels, which
//! labels fit); the tile is then drawn by one call into a small JS loop over that command list
//! ([`draw_commands`]), so a tile with thousands of vertices costs one crossing from wasm to JS,
//! not one per vertex. The loop's opcodes are `tile_plan`'s.

use std::cell::RefCell;
use std::collections::HashMap;

use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use web_sys::{CanvasRenderingContext2d, HtmlCanvasElement};

use crate::config::Style;
use crate::mvt::Tile;
use crate::tile_math::TILE_SIZE;
use crate::tile_plan::{plan_tile, Plan, LABEL_PX};

#[wasm_bindgen(module = "/src/meshmap.js")]
extern "C" {
    /// Runs the command list `commands` on `context` with `style` (`{fill, color, width,
    /// fillOpacity, opacity, font, haloWidth}`), then draws `texts[i]` at `labels[2i], labels[2i+1]`.
    /// Caught: nothing in it should throw, but a canvas call that did must not unwind the wasm.
    #[wasm_bindgen(catch)]
    fn draw_commands(
        context: &CanvasRenderingContext2d,
        commands: &[f32],
        style: &JsValue,
        labels: &[f32],
        texts: &js_sys::Array,
    ) -> Result<(), JsValue>;
}

thread_local! {
    /// Label widths by (pixel ratio, text): place names repeat across tiles and zooms, and
    /// measuring text is a call into the browser's font machinery.
    static LABEL_WIDTHS: RefCell<HashMap<(u32, String), f64>> = RefCell::new(HashMap::new());
}

/// Label widths kept at most: plenty for any map's names, bounded for any data.
const MAX_CACHED_WIDTHS: usize = 8192;

/// The options of a Leaflet GridLayer Rust draws: its CSS class, and its attribution if any.
pub fn grid_options(class: &str, attribution: &crate::config::Attribution) -> js_sys::Object {
    let options = js_sys::Object::new();
    super::ffi::set(&options, "className", &class.into());
    let attribution = attribution.to_html();
    if !attribution.is_empty() {
        super::ffi::set(&options, "attribution", &attribution.into());
    }
    options
}

/// Sizes the canvas for the screen's pixel ratio and draws `tile` on it. Returns how many
/// features were drawn.
pub fn draw_tile(canvas: &HtmlCanvasElement, tile: &Tile, style: &Style, zoom: u32) -> usize {
    let ratio = super::points_layer::pixel_ratio();
    let Some(context) = sized_context(canvas, ratio) else {
        return 0;
    };
    let font = label_font(ratio);
    let plan = plan_tile(tile, style, zoom, ratio, |text| {
        measure(&context, &font, ratio, text)
    });
    run_plan(&context, &plan, style, ratio);
    plan.features
}

/// A tile canvas sized for `ratio` canvas pixels per CSS pixel, and its 2D context.
pub fn sized_context(canvas: &HtmlCanvasElement, ratio: f64) -> Option<CanvasRenderingContext2d> {
    let size = (TILE_SIZE * ratio).round() as u32;
    canvas.set_width(size);
    canvas.set_height(size);
    canvas
        .get_context("2d")
        .ok()
        .flatten()
        .and_then(|c| c.dyn_into::<CanvasRenderingContext2d>().ok())
}

fn label_font(ratio: f64) -> String {
    format!(
        "{}px system-ui, sans-serif",
        (LABEL_PX * ratio).round() as u32
    )
}

/// Runs a tile's drawing commands (and labels) on its canvas in `style`.
pub fn run_plan(context: &CanvasRenderingContext2d, plan: &Plan, style: &Style, ratio: f64) {
    let texts: js_sys::Array = plan
        .label_texts
        .iter()
        .map(|t| JsValue::from_str(t))
        .collect();
    let style_object = super::ffi::object(&[
        ("fill", JsValue::from_str(&style.fill_color)),
        ("color", JsValue::from_str(&style.color)),
        ("width", (style.weight * ratio).into()),
        ("fillOpacity", style.fill_opacity.into()),
        (
            "opacity",
            (if style.weight > 0.0 {
                style.opacity
            } else {
                0.0
            })
            .into(),
        ),
        ("font", JsValue::from_str(&label_font(ratio))),
        ("haloWidth", (3.0 * ratio).into()),
    ]);
    if let Err(error) = draw_commands(
        context,
        &plan.commands,
        &style_object,
        &plan.label_positions,
        &texts,
    ) {
        web_sys::console::error_2(&"meshmap: a tile could not be drawn:".into(), &error);
    }
}

fn measure(context: &CanvasRenderingContext2d, font: &str, ratio: f64, text: &str) -> f64 {
    let key = (ratio.to_bits() as u32, text.to_owned());
    if let Some(width) = LABEL_WIDTHS.with(|w| w.borrow().get(&key).copied()) {
        return width;
    }
    context.set_font(font);
    let width = context.measure_text(text).map_or(0.0, |m| m.width());
    LABEL_WIDTHS.with(|w| {
        let mut widths = w.borrow_mut();
        if widths.len() >= MAX_CACHED_WIDTHS {
            widths.clear();
        }
        widths.insert(key, width);
    });
    width
}
