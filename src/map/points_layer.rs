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
use crate::cluster::{
    bubble_radius, count_label, ClusterBuilder, ClusterIndex, ClusterOptions, Node,
};
use crate::config::{Attribution, Style};
use crate::focus_order::{
    cluster_label, feature_label, nearest_places, Target, ViewBox, TAB_STOPS,
};
use crate::json::Json;
use crate::points::geojson::PointsReader;
use crate::points::{parse_colour, Painter, PointIndex, Rgba};
use crate::tile_math::{covering, TILE_SIZE};

/// What is known about each point besides where it is.
pub enum PointInfo {
    /// GeoJSON: each point's feature and its properties (shown on click), as read.
    Features(PointsReader),
    /// Binary: the points' positions only.
    PositionsOnly { lng_lat: Vec<f32> },
}

struct Data {
    index: Rc<PointIndex>,
    info: Rc<PointInfo>,
    /// The points clustered, for a layer that clusters (`cluster` in config.json).
    clusters: Option<ClusterIndex>,
}

/// What is under the pointer on a points layer.
pub enum PointsHit {
    /// A point: its properties.
    Point(Json),
    Cluster(ClusterHit),
}

/// A cluster under the pointer, and what a click on it does.
pub struct ClusterHit {
    pub count: u32,
    /// Where its bubble is: (latitude, longitude).
    pub centre: (f64, f64),
    pub action: ClusterAction,
}

pub enum ClusterAction {
    /// Zooming in to this zoom splits it.
    ZoomTo(u32),
    /// No zoom splits it (its points are at one place, or the map cannot zoom in far enough):
    /// its points fanned out around it, each (latitude, longitude, properties).
    Spiderfy(Vec<(f64, f64, Json)>),
}

/// The points a spiderfied cluster shows at most.
pub const SPIDER_LIMIT: usize = 100;

pub struct PointsLayer {
    layer: leaflet::GridLayer,
    /// As configured (a spiderfied cluster's points are drawn in it).
    style: Style,
    state: Rc<State>,
    /// The property shown while the pointer is over a point (`style.tooltip`).
    tooltip: Option<String>,
    _create_tile: Closure<dyn FnMut(JsValue, js_sys::Function) -> JsValue>,
}

struct State {
    data: RefCell<Option<Data>>,
    /// Counts `set_points` calls: a clustering still running for older points stops.
    generation: std::cell::Cell<u32>,
    cluster: Option<ClusterOptions>,
    /// Bubble colours (CSS): halo, disc, count.
    bubble: [String; 3],
    painter: Painter,
    /// How far a symbol reaches from its point (CSS px): tiles draw their neighbours' points
    /// that close to the edge, and clicks find points that far away.
    reach: f64,
}

const DEFAULT_FILL: Rgba = Rgba([51, 136, 255, 51]);
const DEFAULT_STROKE: Rgba = Rgba([51, 136, 255, 255]);

impl PointsLayer {
    pub fn new(
        style: &Style,
        attribution: &Attribution,
        cluster: Option<ClusterOptions>,
    ) -> PointsLayer {
        let (painter, fill) = painter_for(style, pixel_ratio());
        let state = Rc::new(State {
            data: RefCell::new(None),
            generation: std::cell::Cell::new(0),
            cluster,
            bubble: bubble_colours(fill),
            painter,
            reach: style.radius + style.weight / 2.0 + 1.0,
        });
        let options = super::canvas::grid_options("meshmap-points", attribution);
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
            style: style.clone(),
            tooltip: style.tooltip.clone(),
            layer,
            state,
            _create_tile: create_tile,
        }
    }

    /// Replaces the layer's points and redraws it.
    /// For a clustered layer the clusters are computed a zoom level at a time with a pause
    /// between levels (the page keeps drawing frames), and the layer is drawn once they are all
    /// there.
    pub fn set_points(&self, index: Rc<PointIndex>, info: Rc<PointInfo>) {
        let generation = self.state.generation.get().wrapping_add(1);
        self.state.generation.set(generation);
        let builder = self
            .state
            .cluster
            .map(|options| ClusterBuilder::new(&index, options));
        *self.state.data.borrow_mut() = Some(Data {
            index,
            info,
            clusters: None,
        });
        let Some(mut builder) = builder else {
            self.layer.redraw();
            return;
        };
        let (state, layer) = (Rc::downgrade(&self.state), self.layer.clone());
        wasm_bindgen_futures::spawn_local(async move {
            while builder.step() {
                if let Some((_, pause)) = super::timer::sleep(0) {
                    let _ = pause.await;
                }
                // Newer points (or the layer gone) make this work moot.
                if state
                    .upgrade()
                    .is_none_or(|s| s.generation.get() != generation)
                {
                    return;
                }
            }
            let Some(state) = state.upgrade().filter(|s| s.generation.get() == generation) else {
                return;
            };
            if let Some(data) = state.data.borrow_mut().as_mut() {
                data.clusters = Some(builder.finish());
            }
            layer.redraw();
        });
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

    pub fn style(&self) -> &Style {
        &self.style
    }

    /// The property a tooltip shows for this layer's points, if configured.
    pub fn tooltip_property(&self) -> Option<&str> {
        self.tooltip.as_deref()
    }

    /// What is drawn at a place: a point (its properties: the feature's for GeoJSON, its number
    /// and position for binary points) or a cluster.
    pub fn hit_at(&self, lat: f64, lng: f64, zoom: f64, tolerance_px: f64) -> Option<PointsHit> {
        let data = self.state.data.borrow();
        let data = data.as_ref()?;
        let zoom = zoom.round().max(0.0) as u32;
        let reach = self.state.reach + tolerance_px;
        if self.state.clustering(data) {
            return None;
        }
        let Some(clusters) = data.clusters.as_ref().filter(|c| zoom <= c.max_zoom()) else {
            let id = data.index.nearest(lat, lng, zoom, reach)?;
            return Some(PointsHit::Point(data.properties(id)?));
        };
        let node = clusters.at(lat, lng, zoom, self.state.reach, tolerance_px)?;
        if node.count == 1 {
            return Some(PointsHit::Point(data.properties(node.point)?));
        }
        let (lng, lat) = clusters.position(node)?;
        Some(PointsHit::Cluster(ClusterHit {
            count: node.count,
            centre: (lat, lng),
            action: data.cluster_action(clusters, node),
        }))
    }
}

impl PointsLayer {
    /// The points (or clusters) drawn in view nearest its middle, for the keyboard
    /// ([`crate::focus_order`]), named after their feature (or count) and `name` (the layer's).
    pub fn keyboard_targets(&self, view: &ViewBox, name: &str) -> Vec<Target> {
        let data = self.state.data.borrow();
        let Some(data) = data.as_ref().filter(|d| !self.state.clustering(d)) else {
            return Vec::new();
        };
        // The tiles drawn now: of the rounded zoom, scaled to the map's zoom.
        let z = view.zoom.round().clamp(0.0, 30.0) as u32;
        let scale = 2f64.powf(view.zoom - f64::from(z));
        let tiles = covering(
            view.lat,
            view.lng,
            f64::from(z),
            view.width / scale,
            view.height / scale,
        );
        let clusters = data.clusters.as_ref().filter(|c| z <= c.max_zoom());
        let mut places: Vec<(f64, f64, u64)> = Vec::new();
        let projector = view.projector();
        for (_, tx, ty) in tiles {
            let origin = (tx as f64 * TILE_SIZE, ty as f64 * TILE_SIZE);
            let mut place = |px: f32, py: f32, node| {
                let (x, y) =
                    projector.project_world(z, origin.0 + f64::from(px), origin.1 + f64::from(py));
                places.push((x, y, node));
            };
            // What each is: a point count over a node number (clusters) or a point id.
            match clusters {
                Some(clusters) => clusters.in_tile(z, tx, ty, 0.0).into_iter().for_each(|p| {
                    let number = if p.node.count > 1 {
                        p.node.number
                    } else {
                        p.node.point
                    };
                    place(p.x, p.y, u64::from(p.node.count) << 32 | u64::from(number))
                }),
                None => data
                    .index
                    .in_tile(z, tx, ty, 0.0)
                    .into_iter()
                    .for_each(|(px, py, id)| place(px, py, 1 << 32 | u64::from(id))),
            }
        }
        nearest_places(view, places, TAB_STOPS * 2)
            .into_iter()
            .map(|(x, y, what)| {
                let (count, number) = ((what >> 32) as u32, what as u32);
                let (lat, lng) = view.unproject(x, y);
                let (key, label) = if count > 1 {
                    (
                        format!("{name}\u{1f}c{z}/{number}"),
                        cluster_label(count, name),
                    )
                } else {
                    let properties = data.properties(number).unwrap_or(Json::Null);
                    (
                        format!("{name}\u{1f}p{number}"),
                        feature_label(&properties, self.tooltip.as_deref(), name),
                    )
                };
                Target {
                    x,
                    y,
                    lat,
                    lng,
                    layer: name.to_owned(),
                    key,
                    label,
                }
            })
            .collect()
    }
}

impl Data {
    /// A point's properties: its feature's (GeoJSON), or its number and position (binary).
    fn properties(&self, id: u32) -> Option<Json> {
        let id = id as usize;
        Some(match &*self.info {
            PointInfo::Features(reader) => reader.properties(id)?,
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

    /// Zoom in where that splits the cluster; otherwise fan its points out.
    fn cluster_action(&self, clusters: &ClusterIndex, node: Node) -> ClusterAction {
        let split = clusters.expansion_zoom(node);
        if split <= clusters.max_zoom() {
            return ClusterAction::ZoomTo(split);
        }
        let points: Vec<(f64, f64, Json)> = clusters
            .leaves(node, SPIDER_LIMIT)
            .into_iter()
            .filter_map(|(id, lng, lat)| Some((lat, lng, self.properties(id)?)))
            .collect();
        // Beyond the deepest clustered zoom every point is drawn on its own: zooming there
        // separates points that are not all at one place.
        let one_place = points
            .windows(2)
            .all(|w| (w[0].0 - w[1].0).abs() < 1e-9 && (w[0].1 - w[1].1).abs() < 1e-9);
        if one_place {
            ClusterAction::Spiderfy(points)
        } else {
            ClusterAction::ZoomTo(split)
        }
    }

    /// Whether this layer clusters at `zoom`.
    fn clustered_at(&self, zoom: u32) -> Option<&ClusterIndex> {
        self.clusters.as_ref().filter(|c| zoom <= c.max_zoom())
    }
}

impl State {
    /// A clustered layer whose clusters are still being computed (nothing to draw or find yet).
    fn clustering(&self, data: &Data) -> bool {
        self.cluster.is_some() && data.clusters.is_none()
    }

    fn draw(&self, canvas: &HtmlCanvasElement, z: u32, x: i64, y: i64) {
        let ratio = pixel_ratio();
        let size = (TILE_SIZE * ratio).round() as u32;
        canvas.set_width(size);
        canvas.set_height(size);
        let data = self.data.borrow();
        let Some(data) = data.as_ref() else { return };
        if self.clustering(data) {
            // Drawn when the clusters are there.
            return;
        }
        let (points, bubbles) = match data.clustered_at(z) {
            Some(clusters) => {
                let placed = clusters.in_tile(z, x, y, bubble_radius(u32::MAX) + 2.0);
                let (singles, mut bubbles): (Vec<_>, Vec<_>) =
                    placed.into_iter().partition(|p| p.node.count == 1);
                // Only bubbles that reach into this tile.
                bubbles.retain(|b| reaches_tile(b.x, b.y, bubble_radius(b.node.count) as f32));
                let singles = singles
                    .iter()
                    .map(|p| (p.x, p.y, p.node.point))
                    .filter(|&(px, py, _)| reaches_tile(px, py, self.reach as f32))
                    .collect();
                (singles, bubbles)
            }
            None => (data.index.in_tile(z, x, y, self.reach), Vec::new()),
        };
        // How many cluster bubbles the tile shows (tests and tools read it).
        let _ = canvas.set_attribute("data-clusters", &bubbles.len().to_string());
        if points.is_empty() && bubbles.is_empty() {
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
            self.draw_bubbles(&context, &bubbles, ratio);
        }
    }

    /// Cluster bubbles: a translucent halo, a disc and the count, over the single points.
    fn draw_bubbles(
        &self,
        context: &CanvasRenderingContext2d,
        bubbles: &[crate::cluster::Placed],
        ratio: f64,
    ) {
        if bubbles.is_empty() {
            return;
        }
        let [halo, disc, text] = &self.bubble;
        context.set_text_align("center");
        context.set_text_baseline("middle");
        context.set_font(&format!("bold {}px sans-serif", (12.0 * ratio).round()));
        for bubble in bubbles {
            let (x, y) = (f64::from(bubble.x) * ratio, f64::from(bubble.y) * ratio);
            let radius = bubble_radius(bubble.node.count) * ratio;
            for (fill, r) in [(halo, radius), (disc, radius - 5.0 * ratio)] {
                context.begin_path();
                let _ = context.arc(x, y, r, 0.0, std::f64::consts::TAU);
                context.set_fill_style_str(fill);
                context.fill();
            }
            context.set_fill_style_str(text);
            let _ = context.fill_text(&count_label(bubble.node.count), x, y);
        }
    }
}

/// Whether a symbol reaching `reach` pixels from (x, y) (tile pixels) shows on the tile.
fn reaches_tile(x: f32, y: f32, reach: f32) -> bool {
    let span = -reach..TILE_SIZE as f32 + reach;
    span.contains(&x) && span.contains(&y)
}

/// A bubble's colours from the layer's fill colour: a halo at 40%, the disc opaque, the count in
/// white or near-black, whichever reads better on the disc.
fn bubble_colours(fill: Rgba) -> [String; 3] {
    let [r, g, b, _] = fill.0;
    let luminance = 0.2126 * f64::from(r) + 0.7152 * f64::from(g) + 0.0722 * f64::from(b);
    let text = if luminance > 150.0 {
        "#1a1a1a"
    } else {
        "#ffffff"
    };
    [
        format!("rgba({r},{g},{b},0.4)"),
        format!("rgb({r},{g},{b})"),
        text.to_owned(),
    ]
}

/// The sprite a layer stamps for each point, in its style's colours, for a screen of `ratio`
/// device pixels a CSS pixel; and the fill colour.
pub(super) fn painter_for(style: &Style, ratio: f64) -> (Painter, Rgba) {
    let fill = parse_colour(&style.fill_color, style.fill_opacity).unwrap_or_else(|| {
        warn_colour(&style.fill_color);
        DEFAULT_FILL
    });
    let stroke = parse_colour(&style.color, style.opacity).unwrap_or_else(|| {
        warn_colour(&style.color);
        DEFAULT_STROKE
    });
    let painter = Painter::circle(style.radius * ratio, style.weight * ratio, fill, stroke);
    (painter, fill)
}

pub(super) fn pixel_ratio() -> f64 {
    web_sys::window()
        .map_or(1.0, |w| w.device_pixel_ratio())
        .clamp(1.0, 4.0)
}

fn warn_colour(colour: &str) {
    web_sys::console::warn_1(&format!("meshmap: points are drawn in a default colour: \"{colour}\" is not a #hex, rgb() or rgba() colour").into());
}
