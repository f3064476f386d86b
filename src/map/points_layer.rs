//! A points overlay: a Leaflet GridLayer whose tiles are drawn by Rust from a spatial index
//! ([`crate::points`]) straight into pixels, so a million points pan as smoothly as a few: a tile
//! costs at most one stamp per pixel however many points it holds, and panning moves canvases
//! Leaflet already has.

use std::cell::RefCell;
use std::rc::Rc;

use wasm_bindgen::prelude::*;
use wasm_bindgen::{Clamped, JsCast};
use web_sys::{CanvasRenderingContext2d, HtmlCanvasElement, ImageData};

use super::ffi;
use crate::config::{Attribution, Style};
use crate::json::Json;
use crate::points::{parse_colour, Painter, PointIndex, Rgba};
use crate::tile_math::TILE_SIZE;

/// What is known about each point besides where it is.
pub enum PointInfo {
    /// GeoJSON: the features as the browser parsed them (properties show on click), and the
    /// feature of each point.
    Features {
        features: js_sys::Array,
        feature_of: Vec<u32>,
    },
    /// Binary: the points' positions only.
    PositionsOnly { lng_lat: Vec<f32> },
}

struct Data {
    index: Rc<PointIndex>,
    info: Rc<PointInfo>,
}

pub struct PointsLayer {
    layer: leaflet::GridLayer,
    state: Rc<State>,
    /// The property shown while the pointer is over a point (`style.tooltip`).
    tooltip: Option<String>,
    _create_tile: Closure<dyn FnMut(JsValue, js_sys::Function) -> JsValue>,
}

struct State {
    data: RefCell<Option<Data>>,
    painter: Painter,
    /// How far a symbol reaches from its point (CSS px): tiles draw their neighbours' points
    /// that close to the edge, and clicks find points that far away.
    reach: f64,
}

const DEFAULT_FILL: Rgba = Rgba([51, 136, 255, 51]);
const DEFAULT_STROKE: Rgba = Rgba([51, 136, 255, 255]);

impl PointsLayer {
    pub fn new(style: &Style, attribution: &Attribution) -> PointsLayer {
        let fill = parse_colour(&style.fill_color, style.fill_opacity).unwrap_or_else(|| {
            warn_colour(&style.fill_color);
            DEFAULT_FILL
        });
        let stroke = parse_colour(&style.color, style.opacity).unwrap_or_else(|| {
            warn_colour(&style.color);
            DEFAULT_STROKE
        });
        let ratio = pixel_ratio();
        let painter = Painter::circle(style.radius * ratio, style.weight * ratio, fill, stroke);
        let state = Rc::new(State {
            data: RefCell::new(None),
            painter,
            reach: style.radius + style.weight / 2.0 + 1.0,
        });
        let options = js_sys::Object::new();
        ffi::set(&options, "className", &"meshmap-points".into());
        let attribution = attribution.to_html();
        if !attribution.is_empty() {
            ffi::set(&options, "attribution", &attribution.into());
        }
        let weak = Rc::downgrade(&state);
        let create_tile = Closure::<dyn FnMut(JsValue, js_sys::Function) -> JsValue>::new(
            move |coords: JsValue, done: js_sys::Function| {
                let canvas = web_sys::window()
                    .and_then(|w| w.document())
                    .and_then(|d| d.create_element("canvas").ok())
                    .and_then(|e| e.dyn_into::<HtmlCanvasElement>().ok());
                let Some(canvas) = canvas else {
                    return JsValue::NULL;
                };
                let number = |key| ffi::get(&coords, key).as_f64().unwrap_or(f64::NAN);
                let (z, x, y) = (number("z"), number("x"), number("y"));
                let weak = weak.clone();
                let tile = canvas.clone();
                // Leaflet records the tile after createTile returns; it must hear `done` after that.
                wasm_bindgen_futures::spawn_local(async move {
                    if let (Some(state), true) = (
                        weak.upgrade(),
                        z.is_finite() && x.is_finite() && y.is_finite() && z >= 0.0,
                    ) {
                        state.draw(&tile, z as u32, x as i64, y as i64);
                    }
                    let _ = done.call2(&JsValue::NULL, &JsValue::NULL, &tile);
                });
                canvas.into()
            },
        );
        let layer = ffi::grid_layer_with(&options, create_tile.as_ref());
        PointsLayer {
            tooltip: style.tooltip.clone(),
            layer,
            state,
            _create_tile: create_tile,
        }
    }

    /// Replaces the layer's points and redraws it.
    pub fn set_points(&self, index: Rc<PointIndex>, info: Rc<PointInfo>) {
        *self.state.data.borrow_mut() = Some(Data { index, info });
        self.layer.redraw();
    }

    pub fn layer(&self) -> &leaflet::Layer {
        self.layer.unchecked_ref()
    }

    /// Points indexed.
    pub fn point_count(&self) -> usize {
        self.state
            .data
            .borrow()
            .as_ref()
            .map_or(0, |d| d.index.len())
    }

    /// The property a tooltip shows for this layer's points, if configured.
    pub fn tooltip_property(&self) -> Option<&str> {
        self.tooltip.as_deref()
    }

    /// The properties of the point drawn at a place, if any: the feature's (GeoJSON), or the
    /// point's number and position (binary).
    pub fn feature_at(&self, lat: f64, lng: f64, zoom: f64, tolerance_px: f64) -> Option<Json> {
        let data = self.state.data.borrow();
        let data = data.as_ref()?;
        let id = data.index.nearest(
            lat,
            lng,
            zoom.round().max(0.0) as u32,
            self.state.reach + tolerance_px,
        )? as usize;
        Some(match &*data.info {
            PointInfo::Features {
                features,
                feature_of,
            } => {
                let feature = features.get(*feature_of.get(id)?);
                ffi::from_js(&ffi::get(&feature, "properties")).unwrap_or(Json::Null)
            }
            PointInfo::PositionsOnly { lng_lat } => Json::Object(vec![
                ("point".into(), Json::Number(id as f64)),
                (
                    "longitude".into(),
                    Json::Number(f64::from(*lng_lat.get(2 * id)?)),
                ),
                (
                    "latitude".into(),
                    Json::Number(f64::from(*lng_lat.get(2 * id + 1)?)),
                ),
            ]),
        })
    }
}

impl State {
    fn draw(&self, canvas: &HtmlCanvasElement, z: u32, x: i64, y: i64) {
        let ratio = pixel_ratio();
        let size = (TILE_SIZE * ratio).round() as u32;
        canvas.set_width(size);
        canvas.set_height(size);
        let data = self.data.borrow();
        let Some(data) = data.as_ref() else { return };
        let points = data.index.in_tile(z, x, y, self.reach);
        if points.is_empty() {
            return;
        }
        let side = size as usize;
        let mut pixels = vec![0u8; side * side * 4];
        self.painter
            .paint(&points, ratio as f32, side, side, &mut pixels);
        let context = canvas
            .get_context("2d")
            .ok()
            .flatten()
            .and_then(|c| c.dyn_into::<CanvasRenderingContext2d>().ok());
        if let (Some(context), Ok(image)) = (
            context,
            ImageData::new_with_u8_clamped_array_and_sh(Clamped(&pixels), size, size),
        ) {
            let _ = context.put_image_data(&image, 0.0, 0.0);
        }
    }
}

fn pixel_ratio() -> f64 {
    web_sys::window()
        .map_or(1.0, |w| w.device_pixel_ratio())
        .clamp(1.0, 4.0)
}

fn warn_colour(colour: &str) {
    web_sys::console::warn_1(&format!("meshmap: points are drawn in a default colour: \"{colour}\" is not a #hex, rgb() or rgba() colour").into());
}
