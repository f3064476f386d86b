//! A live overlay (`type: "live"`): objects the API streams (`/api/live`, newline-delimited JSON
//! read through [`crate::http`], so the request carries `X-App-Version`), drawn by Rust on one
//! canvas over the map every frame at positions interpolated between updates
//! ([`crate::live::Tracks`]). The stream reconnects by itself with growing, jittered pauses, and
//! the layer's banner says when it is down. In the layers control it is an empty layer group:
//! shown, it streams and draws; hidden, it stops.

use std::cell::{Cell, RefCell};
use std::rc::Rc;

use leaflet::{LatLng, Map};
use wasm_bindgen::prelude::*;
use wasm_bindgen::Clamped;
use wasm_bindgen::JsCast;
use web_sys::{AbortController, CanvasRenderingContext2d, HtmlCanvasElement, ImageData};

use super::ffi;
use super::listener::LeafletListener;
use super::now_ms;
use super::tile_layer::{HealthSink, TileHealth};
use crate::config::Style;
use crate::focus_order::{nearest_places, Target, ViewBox, TAB_STOPS};
use crate::http::Http;
use crate::json::Json;
use crate::live::{parse_line, reconnect_delay_ms, LineBuffer, Message, Tracks};

/// The closure `requestAnimationFrame` calls each frame.
type FrameLoop = Closure<dyn FnMut(f64)>;

pub struct LiveLayer {
    handle: JsValue,
    state: Rc<State>,
    _listeners: [LeafletListener; 2],
}

struct State {
    map: Map,
    http: Http,
    url: String,
    name: String,
    style: Style,
    health: HealthSink,
    tracks: RefCell<Tracks>,
    canvas: RefCell<Option<HtmlCanvasElement>>,
    /// The stream's abort and the frame loop's, while the layer is shown.
    abort: RefCell<Option<AbortController>>,
    frame: RefCell<Option<FrameLoop>>,
    /// Counts show/hide: a stream or frame loop of an earlier showing stops.
    generation: Cell<u32>,
    /// Objects drawn in the last frame (tests and tools read it).
    drawn: Cell<usize>,
    /// The frame's pixels (kept: a frame is the size of the map) and the sprite, for the pixel
    /// ratio it was made for.
    pixels: RefCell<Vec<u8>>,
    painter: RefCell<Option<(f64, crate::points::Painter)>>,
}

impl LiveLayer {
    pub fn new(
        map: &Map,
        http: Http,
        url: &str,
        name: &str,
        style: &Style,
        health: HealthSink,
    ) -> LiveLayer {
        let handle = ffi::layer_group();
        let state = Rc::new(State {
            map: map.clone(),
            http,
            url: url.to_owned(),
            name: name.to_owned(),
            style: style.clone(),
            health,
            tracks: RefCell::default(),
            canvas: RefCell::default(),
            abort: RefCell::default(),
            frame: RefCell::default(),
            generation: Cell::new(0),
            drawn: Cell::new(0),
            pixels: RefCell::default(),
            painter: RefCell::default(),
        });
        let shown = {
            let state = Rc::downgrade(&state);
            LeafletListener::new(&handle, "add", move |_| {
                if let Some(state) = state.upgrade() {
                    State::show(&state);
                }
            })
        };
        let hidden = {
            let state = Rc::downgrade(&state);
            LeafletListener::new(&handle, "remove", move |_| {
                if let Some(state) = state.upgrade() {
                    state.hide();
                }
            })
        };
        LiveLayer {
            handle,
            state,
            _listeners: [shown, hidden],
        }
    }

    /// The layers control's handle for it.
    pub fn layer(&self) -> &leaflet::Layer {
        self.handle.unchecked_ref()
    }

    /// Objects known now.
    pub fn object_count(&self) -> usize {
        self.state.tracks.borrow().len()
    }

    /// Objects drawn in the last frame.
    pub fn drawn(&self) -> usize {
        self.state.drawn.get()
    }

    pub fn tooltip_property(&self) -> Option<&str> {
        self.state.style.tooltip.as_deref()
    }

    /// The object drawn at a place (within its radius and `reach` pixels): its properties.
    pub fn object_at(&self, latlng: &LatLng, reach: f64) -> Option<Json> {
        let state = &self.state;
        let target = state.map.lat_lng_to_container_point(latlng);
        let project = state.projection()?;
        let now = now_ms();
        let tracks = state.tracks.borrow();
        let reach = state.style.radius + state.style.weight / 2.0 + reach;
        let (id, _) = tracks
            .positions(now)
            .map(|(id, lng, lat)| {
                let (x, y) = project(lng, lat);
                (id, (x - target.x()).hypot(y - target.y()))
            })
            .filter(|&(_, d)| d <= reach)
            .min_by(|a, b| a.1.total_cmp(&b.1))?;
        let report = tracks.report(id)?;
        Some(Json::Object(vec![
            ("name".into(), Json::String(report.name.clone())),
            ("id".into(), Json::String(report.id.clone())),
            (
                "speed".into(),
                Json::String(format!(
                    "{} km/h",
                    crate::math::fixed(report.speed * 3.6, 0)
                )),
            ),
            (
                "heading".into(),
                Json::String(format!("{}°", crate::math::fixed(report.heading, 0))),
            ),
        ]))
    }
}

impl LiveLayer {
    /// The objects in view nearest its middle, for the keyboard ([`crate::focus_order`]), where
    /// they are now, named after themselves and `name` (the layer's).
    pub fn keyboard_targets(&self, view: &ViewBox, name: &str) -> Vec<Target> {
        let tracks = self.state.tracks.borrow();
        let projector = view.projector();
        let mut ids = Vec::new();
        let places: Vec<(f64, f64, u64)> = tracks
            .positions(now_ms())
            .map(|(id, lng, lat)| {
                let (x, y) = projector.project(lat, lng);
                ids.push(id);
                (x, y, ids.len() as u64 - 1)
            })
            .collect();
        nearest_places(view, places, TAB_STOPS)
            .into_iter()
            .filter_map(|(x, y, number)| {
                let id = *ids.get(number as usize)?;
                let report = tracks.report(id)?;
                let (lat, lng) = view.unproject(x, y);
                Some(Target {
                    x,
                    y,
                    lat,
                    lng,
                    layer: name.to_owned(),
                    key: format!("{name}\u{1f}{id}"),
                    label: format!("{}, {name}", report.name),
                })
            })
            .collect()
    }
}

impl Drop for LiveLayer {
    fn drop(&mut self) {
        self.state.hide();
    }
}

impl State {
    fn show(state: &Rc<State>) {
        state.hide();
        let generation = state.generation.get();
        let Some(canvas) = web_sys::window()
            .and_then(|w| w.document())
            .and_then(|d| d.create_element("canvas").ok())
            .and_then(|e| e.dyn_into::<HtmlCanvasElement>().ok())
        else {
            return;
        };
        canvas.set_class_name("meshmap-live leaflet-zoom-hide");
        let _ = canvas.set_attribute("aria-hidden", "true");
        let _ = state.map.get_container().append_child(&canvas);
        *state.canvas.borrow_mut() = Some(canvas);
        let controller = AbortController::new().ok();
        let signal = controller.as_ref().map(AbortController::signal);
        *state.abort.borrow_mut() = controller;
        let streaming = Rc::clone(state);
        wasm_bindgen_futures::spawn_local(
            async move { streaming.stream(generation, signal).await },
        );
        // The frame loop: draws, then asks for the next frame while this showing lasts.
        let weak = Rc::downgrade(state);
        let frame = Closure::<dyn FnMut(f64)>::new(move |_time: f64| {
            let Some(state) = weak.upgrade().filter(|s| s.generation.get() == generation) else {
                return;
            };
            state.draw();
            state.next_frame();
        });
        *state.frame.borrow_mut() = Some(frame);
        state.next_frame();
    }

    fn next_frame(&self) {
        if let (Some(window), Some(frame)) = (web_sys::window(), self.frame.borrow().as_ref()) {
            let _ = window.request_animation_frame(frame.as_ref().unchecked_ref());
        }
    }

    fn hide(&self) {
        self.generation.set(self.generation.get().wrapping_add(1));
        if let Some(abort) = self.abort.borrow_mut().take() {
            abort.abort();
        }
        if let Some(canvas) = self.canvas.borrow_mut().take() {
            canvas.remove();
        }
        // Not dropped here: this may run inside the frame closure itself.
        if let Some(frame) = self.frame.borrow_mut().take() {
            wasm_bindgen_futures::spawn_local(async move { drop(frame) });
        }
        self.drawn.set(0);
    }

    fn report(&self, health: TileHealth) {
        if let Some(handler) = self.health.get() {
            handler(&self.name, &health);
        }
    }

    /// Reads the stream, again and again, until the layer is hidden.
    async fn stream(&self, generation: u32, signal: Option<web_sys::AbortSignal>) {
        let mut attempt = 0u32;
        while self.generation.get() == generation {
            let result = self.read(generation, signal.as_ref(), &mut attempt).await;
            if self.generation.get() != generation {
                return;
            }
            attempt += 1;
            let wait = reconnect_delay_ms(attempt, js_sys::Math::random());
            let why = result
                .err()
                .unwrap_or_else(|| "the stream ended".to_owned());
            let message = format!(
                "the live feed is unavailable ({why}); trying again in {} s",
                wait.div_ceil(1000)
            );
            web_sys::console::warn_1(
                &format!("meshmap: layer \"{}\": {message}", self.name).into(),
            );
            self.report(TileHealth::Down(message));
            if let Some((_, pause)) = super::timer::sleep(wait) {
                let _ = pause.await;
            }
        }
    }

    /// One connection: until it ends (Ok) or fails (Err).
    async fn read(
        &self,
        generation: u32,
        signal: Option<&web_sys::AbortSignal>,
        attempt: &mut u32,
    ) -> Result<(), String> {
        let reader = self
            .http
            .get_stream(&self.url, signal)
            .await
            .map_err(|e| e.to_string())?;
        let mut lines = LineBuffer::default();
        let mut first = true;
        loop {
            let chunk = wasm_bindgen_futures::JsFuture::from(reader.read())
                .await
                .map_err(|_| "the connection broke".to_owned())?;
            if self.generation.get() != generation {
                return Ok(());
            }
            if ffi::get(&chunk, "done").is_truthy() {
                return Ok(());
            }
            let bytes = js_sys::Uint8Array::new(&ffi::get(&chunk, "value")).to_vec();
            for line in lines.push(&bytes) {
                match parse_line(&line) {
                    Ok(Message::End(reason)) => return Err(reason),
                    Ok(message) => {
                        if first {
                            first = false;
                            *attempt = 0;
                            self.report(TileHealth::Up);
                        }
                        self.tracks.borrow_mut().apply(message, now_ms());
                    }
                    Err(problem) => {
                        web_sys::console::warn_1(
                            &format!("meshmap: layer \"{}\": {problem}; line skipped", self.name)
                                .into(),
                        );
                    }
                }
            }
        }
    }

    /// Longitude, latitude → container pixels on the map as it is now (the world copy nearest
    /// the view's centre).
    fn projection(&self) -> Option<impl Fn(f64, f64) -> (f64, f64)> {
        let view = super::view_box(&self.map)?.projector();
        Some(move |lng: f64, lat: f64| view.project(lat, lng))
    }

    /// One frame: every object in view, where it is now, stamped as a sprite into the canvas's
    /// pixels (as points layers are: 10,000 objects cost about a tile's worth of work) and put on
    /// the canvas in one call.
    fn draw(&self) {
        let canvas = self.canvas.borrow();
        let Some(canvas) = canvas.as_ref() else {
            return;
        };
        let size = self.map.get_size();
        let ratio = super::points_layer::pixel_ratio();
        let (width, height) = (
            (size.x() * ratio).round() as u32,
            (size.y() * ratio).round() as u32,
        );
        if width == 0 || height == 0 {
            return;
        }
        if canvas.width() != width || canvas.height() != height {
            canvas.set_width(width);
            canvas.set_height(height);
        }
        let Some(project) = self.projection() else {
            return;
        };
        let margin = self.style.radius + self.style.weight;
        let now = now_ms();
        let positions: Vec<(f32, f32, u32)> = self
            .tracks
            .borrow()
            .positions(now)
            .map(|(_, lng, lat)| project(lng, lat))
            .filter(|&(x, y)| {
                x >= -margin && y >= -margin && x <= size.x() + margin && y <= size.y() + margin
            })
            .map(|(x, y)| (x as f32, y as f32, 0))
            .collect();
        self.drawn.set(positions.len());
        let _ = canvas.set_attribute("data-objects", &positions.len().to_string());
        let (w, h) = (width as usize, height as usize);
        let mut pixels = self.pixels.borrow_mut();
        pixels.clear();
        pixels.resize(w * h * 4, 0);
        let mut painter = self.painter.borrow_mut();
        if painter.as_ref().is_none_or(|(r, _)| *r != ratio) {
            *painter = Some((
                ratio,
                super::points_layer::painter_for(&self.style, ratio).0,
            ));
        }
        if let Some((_, painter)) = painter.as_ref() {
            painter.paint(&positions, ratio as f32, w, h, &mut pixels);
        }
        if let (Some(context), Ok(image)) = (
            context_of(canvas),
            ImageData::new_with_u8_clamped_array_and_sh(Clamped(&pixels), width, height),
        ) {
            let _ = context.put_image_data(&image, 0.0, 0.0);
        }
    }
}

fn context_of(canvas: &HtmlCanvasElement) -> Option<CanvasRenderingContext2d> {
    canvas.get_context("2d").ok().flatten()?.dyn_into().ok()
}
