//! A GeoJSON layer drawn by Rust: a Leaflet GridLayer whose tile canvases are drawn from a
//! [`ShapeSet`] (the way vector tiles and points are drawn), so a country outline costs a tile
//! the few vertices it has there, and 100 MB of polygons pan like a vector tile layer. Clicks,
//! hover, tooltips and the keyboard's stand-ins are found on the data by the map
//! ([`super::CanvasFeatures`]).

use std::cell::RefCell;
use std::rc::{Rc, Weak};

use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use web_sys::HtmlCanvasElement;

use super::ffi;
use crate::config::{Attribution, Marker, Style};
use crate::focus_order::{Target, ViewBox};
use crate::json::Json;
use crate::shapes::{Outline, ShapeSet, TileSpec};

pub struct ShapesLayer {
    layer: leaflet::GridLayer,
    state: Rc<State>,
    _create_tile: Closure<dyn FnMut(JsValue, js_sys::Function) -> JsValue>,
}

struct State {
    shapes: RefCell<Rc<ShapeSet>>,
    /// Tiles Leaflet asked for before the first data came: drawn when it does (drawing them
    /// empty and then again would cost the first view twice).
    waiting: RefCell<Option<Vec<Waiting>>>,
    style: Style,
    /// Points are drawn as circles (a layer with pins or icons is drawn by Leaflet instead).
    points: bool,
    /// Whether its features are Tab stops (overlays: yes; a base map's: no).
    tab_stops: bool,
}

impl ShapesLayer {
    pub fn new(style: &Style, attribution: &Attribution, tab_stops: bool) -> ShapesLayer {
        let state = Rc::new(State {
            shapes: RefCell::new(Rc::new(ShapeSet::default())),
            waiting: RefCell::new(Some(Vec::new())),
            style: style.clone(),
            points: style.marker == Marker::Circle,
            tab_stops,
        });
        let options = super::canvas::grid_options("meshmap-shapes", attribution);
        let weak = Rc::downgrade(&state);
        let create_tile = Closure::<dyn FnMut(JsValue, js_sys::Function) -> JsValue>::new(
            move |coords: JsValue, done: js_sys::Function| create_tile(&weak, &coords, done),
        );
        let layer = ffi::grid_layer_with(&options, create_tile.as_ref());
        ShapesLayer {
            layer,
            state,
            _create_tile: create_tile,
        }
    }

    /// Replaces the layer's shapes and draws them: the first time, on the tiles Leaflet is
    /// waiting for; later, on new tiles (Leaflet's redraw).
    pub fn set_shapes(&self, shapes: Rc<ShapeSet>) {
        *self.state.shapes.borrow_mut() = shapes;
        let waiting = self.state.waiting.borrow_mut().take();
        match waiting {
            Some(tiles) => {
                // One tile at a time, the thread shared between them: the first view of a large
                // document is a few dozen tiles of ~10 ms each, too long for one task.
                let state = Rc::downgrade(&self.state);
                wasm_bindgen_futures::spawn_local(async move {
                    for tile in tiles {
                        super::share_the_thread().await;
                        // A tile Leaflet has dropped meanwhile (the view moved, the layer went)
                        // is not drawn.
                        if let Some(state) = state.upgrade().filter(|_| tile.canvas.is_connected())
                        {
                            state.draw(&tile.canvas, tile.spec);
                        }
                        let _ = tile
                            .done
                            .call2(&JsValue::NULL, &JsValue::NULL, &tile.canvas);
                    }
                });
            }
            None => {
                self.layer.redraw();
            }
        }
    }

    pub fn layer(&self) -> &leaflet::Layer {
        self.layer.unchecked_ref()
    }

    /// How many features it has.
    pub fn feature_count(&self) -> usize {
        self.state.shapes.borrow().len()
    }

    pub fn style(&self) -> &Style {
        &self.state.style
    }

    /// The property a tooltip shows for this layer's features (`style.tooltip`).
    pub fn tooltip_property(&self) -> Option<&str> {
        self.state.style.tooltip.as_deref()
    }

    /// The feature on top at a place, on a map at `zoom`; `reach_px` widens lines and points
    /// for fingers and mice.
    pub fn hit_at(&self, lat: f64, lng: f64, zoom: f64, reach_px: f64) -> Option<ShapeHit> {
        let shapes = Rc::clone(&self.state.shapes.borrow());
        let feature = shapes.hit(
            lat,
            lng,
            zoom,
            reach_px,
            &self.state.style,
            self.state.points,
        )?;
        Some(ShapeHit { shapes, feature })
    }

    /// The features the keyboard reaches in view, named after them and `name` (the layer's).
    pub fn keyboard_targets(&self, view: &ViewBox, name: &str) -> Vec<Target> {
        if !self.state.tab_stops {
            return Vec::new();
        }
        self.state
            .shapes
            .borrow()
            .keyboard_targets(view, name, &self.state.style)
    }
}

/// A feature under the pointer: its properties for a popup, its outline for the highlight.
pub struct ShapeHit {
    shapes: Rc<ShapeSet>,
    feature: usize,
}

impl ShapeHit {
    /// The same key is the same feature of the same data.
    pub fn key(&self) -> (usize, usize) {
        (Rc::as_ptr(&self.shapes) as usize, self.feature)
    }

    pub fn properties(&self) -> Json {
        self.shapes.properties(self.feature)
    }

    /// Its shape as drawn at `zoom`, on the world copy holding longitude `lng`.
    pub fn outline(&self, zoom: f64, lng: f64) -> Option<Outline> {
        self.shapes.outline(self.feature, zoom, lng)
    }
}

/// A tile asked for before the layer had data.
struct Waiting {
    canvas: HtmlCanvasElement,
    spec: TileSpec,
    done: js_sys::Function,
}

impl State {
    /// Draws the tile `spec` on `canvas`. An empty tile gets no pixels at all (a canvas of no
    /// size: the tile's place is Leaflet's, by CSS).
    fn draw(&self, canvas: &HtmlCanvasElement, spec: TileSpec) {
        let plan = self
            .shapes
            .borrow()
            .plan_tile(spec, &self.style, self.points);
        if plan.commands.is_empty() {
            canvas.set_width(0);
            canvas.set_height(0);
        } else if let Some(context) = super::canvas::sized_context(canvas, spec.ratio) {
            super::canvas::run_plan(&context, &plan, &self.style, spec.ratio);
        }
        let _ = canvas.set_attribute("data-features", &plan.features.to_string());
    }
}

/// Leaflet's `createTile`: a canvas, drawn (and `done` called) once Leaflet has recorded it, or
/// once the layer's data is there.
fn create_tile(state: &Weak<State>, coords: &JsValue, done: js_sys::Function) -> JsValue {
    let canvas = web_sys::window()
        .and_then(|w| w.document())
        .and_then(|d| d.create_element("canvas").ok())
        .and_then(|e| e.dyn_into::<HtmlCanvasElement>().ok());
    let Some(canvas) = canvas else {
        return JsValue::NULL;
    };
    let number = |key| ffi::get(coords, key).as_f64().unwrap_or(f64::NAN);
    let (z, x, y) = (number("z"), number("x"), number("y"));
    let valid = [z, x, y].iter().all(|v| v.is_finite() && *v >= 0.0) && z <= 30.0;
    let spec = TileSpec {
        z: z as u32,
        x: x as u32,
        y: y as u32,
        ratio: super::points_layer::pixel_ratio(),
    };
    if let (Some(state), true) = (state.upgrade(), valid) {
        if let Some(waiting) = state.waiting.borrow_mut().as_mut() {
            waiting.push(Waiting {
                canvas: canvas.clone(),
                spec,
                done,
            });
            return canvas.into();
        }
    }
    let state = state.clone();
    let tile = canvas.clone();
    wasm_bindgen_futures::spawn_local(async move {
        super::share_the_thread().await;
        if let (Some(state), true) = (state.upgrade(), valid) {
            state.draw(&tile, spec);
        }
        let _ = done.call2(&JsValue::NULL, &JsValue::NULL, &tile);
    });
    canvas.into()
}
