//! The first view's tiles, requested as soon as the config is read: before Leaflet has run,
//! before the map exists, alongside the GeoJSON. When Leaflet then asks for those tiles, their
//! answers are on the way or already here ([`TilePrefetch::take`]). A tile the world shows twice
//! side by side (low zooms on a wide screen) is requested once.
//!
//! The tiles are the ones Leaflet will ask for ([`crate::tile_math::covering`]); a guess that
//! turns out wrong (the map's size changed) costs a request, never a wrong tile: tiles are
//! matched by URL.

use std::cell::RefCell;
use std::collections::HashMap;
use std::rc::Rc;

use wasm_bindgen::JsCast;
use wasm_bindgen_futures::JsFuture;
use web_sys::{AbortController, AbortSignal, Blob, ImageBitmap};

use crate::arrival::Arrival;
use crate::http::{Http, HttpError};

/// What a tile is fetched as: vector tiles are decoded in Rust, raster tiles stay in the browser.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FetchAs {
    Bytes,
    Blob,
}

/// A fetched tile.
#[derive(Clone)]
pub enum Body {
    Vector(Rc<Vec<u8>>),
    Raster(Raster),
}

/// A raster tile as it arrived; each tile showing it has the browser decode it (off the main
/// thread) into a bitmap its canvas then takes over without a copy.
#[derive(Clone)]
pub enum Raster {
    /// 204 No Content: nothing to draw.
    Empty,
    /// The image, and its pixels if they were decoded as soon as it arrived (the first view's
    /// tiles, while the map is still being made). A canvas that takes the bitmap over leaves it
    /// empty (width 0): a second tile showing the same image decodes the blob again.
    Image(Blob, Option<ImageBitmap>),
}

impl Raster {
    /// The tile's pixels: the bitmap decoded on arrival if no canvas has taken it yet, else a new
    /// decoding; `None` if the body is not an image.
    pub async fn bitmap(&self) -> Option<ImageBitmap> {
        match self {
            Raster::Empty => None,
            Raster::Image(_, Some(bitmap)) if bitmap.width() > 0 => Some(bitmap.clone()),
            Raster::Image(blob, _) => decode(blob).await,
        }
    }
}

pub async fn fetch_body(
    http: &Http,
    url: &str,
    kind: FetchAs,
    signal: Option<&AbortSignal>,
) -> Result<Body, HttpError> {
    match kind {
        FetchAs::Bytes => http
            .get_bytes(url, signal)
            .await
            .map(|bytes| Body::Vector(Rc::new(bytes))),
        FetchAs::Blob => Ok(Body::Raster(
            http.get_blob(url, signal)
                .await?
                .map_or(Raster::Empty, |blob| Raster::Image(blob, None)),
        )),
    }
}

/// The browser's decoding of an image (off the main thread); `None` if it is not one.
pub async fn decode(blob: &Blob) -> Option<ImageBitmap> {
    let decoding = web_sys::window()?
        .create_image_bitmap_with_blob(blob)
        .ok()?;
    JsFuture::from(decoding).await.ok()?.dyn_into().ok()
}

type Answer = Result<Body, HttpError>;

#[derive(Default)]
pub struct TilePrefetch {
    requests: RefCell<HashMap<String, Arrival<Answer>>>,
    abort: RefCell<Option<AbortController>>,
}

impl TilePrefetch {
    /// Starts a request for each distinct URL.
    pub fn start(http: &Http, tiles: Vec<(String, FetchAs)>) -> Rc<TilePrefetch> {
        let prefetch = Rc::new(TilePrefetch::default());
        let abort = AbortController::new().ok();
        for (url, kind) in tiles {
            if prefetch.requests.borrow().contains_key(&url) {
                continue;
            }
            let arrival = Arrival::default();
            prefetch
                .requests
                .borrow_mut()
                .insert(url.clone(), arrival.clone());
            let (http, signal) = (http.clone(), abort.as_ref().map(AbortController::signal));
            wasm_bindgen_futures::spawn_local(async move {
                let answer = match fetch_body(&http, &url, kind, signal.as_ref()).await {
                    // Decoded now, off the main thread, while the map is still being made: when
                    // Leaflet asks for the tile its pixels are ready.
                    Ok(Body::Raster(Raster::Image(blob, None))) => {
                        let bitmap = decode(&blob).await;
                        Ok(Body::Raster(Raster::Image(blob, bitmap)))
                    }
                    other => other,
                };
                arrival.deliver(answer);
            });
        }
        *prefetch.abort.borrow_mut() = abort;
        prefetch
    }

    /// The answer for `url` if it was prefetched (waiting for it if it is still on its way);
    /// `None` if it was not.
    pub async fn take(&self, url: &str) -> Option<Answer> {
        let arrival = self.requests.borrow().get(url).cloned()?;
        Some(arrival.wait().await)
    }

    /// The first view is drawn: requests no tile asked for are cancelled and answers dropped.
    pub fn finish(&self) {
        if let Some(abort) = self.abort.borrow_mut().take() {
            abort.abort();
        }
        self.requests.borrow_mut().clear();
    }
}

impl Drop for TilePrefetch {
    fn drop(&mut self) {
        self.finish();
    }
}
