//! `config.json`: the runtime configuration, validated into typed structs.
//!
//! Every problem is reported with the key path where it sits (`overlays[1].style.weight`), all of
//! them at once, so an operator can fix a ConfigMap in one go. Unknown keys are ignored, so a newer
//! config still loads in an older build.

use crate::cluster::{ClusterOptions, MAX_CLUSTER_ZOOM};
use crate::json::{Json, Number};
use crate::math::Decimal;

use crate::cookie::DEFAULT_VERSIONS;
use crate::retry::RetryPolicy;
use crate::tile_math::source_template;
use crate::web_url::WebUrl;

/// Leaflet's practical zoom ceiling; tile servers rarely go past it.
pub const MAX_ZOOM_LIMIT: f64 = 24.0;

#[derive(Debug, Clone, PartialEq)]
pub struct Config {
    /// What the map shows, e.g. "Countries and cities": its accessible name for screen readers.
    pub title: String,
    pub view: ViewConfig,
    pub base_layers: Vec<BaseLayer>,
    pub overlays: Vec<Overlay>,
    /// The `app-version` cookie values that may become the `X-App-Version` header.
    pub versions: Vec<String>,
    /// Origins besides the page's own that get the version header (the operator's tile/API hosts).
    pub first_party_origins: Vec<String>,
    /// The project's own tile server (Martin), if any.
    pub tiles: Option<TileServer>,
    /// Optional controls: fullscreen, locate me, legend.
    pub controls: Controls,
    /// The place search box, answered by the project's API (`search`), if configured.
    pub search: Option<SearchConfig>,
}

/// `search`: where the search box asks (the API's `/api/search`) and what it says when empty.
#[derive(Debug, Clone, PartialEq)]
pub struct SearchConfig {
    pub url: String,
    pub placeholder: String,
}

/// `controls`: the map's optional controls (Leaflet's zoom, layers and scale are always there).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Controls {
    /// A button that shows the map (and its banners) on the whole screen.
    pub fullscreen: bool,
    /// A button that finds the user (the browser's Geolocation API) and shows where, and how
    /// precisely.
    pub locate: bool,
    /// A key to the overlays' colours, built from their styles.
    pub legend: bool,
}

/// `tiles`: where the tile server is and how its layers look and retry.
#[derive(Debug, Clone, PartialEq)]
pub struct TileServer {
    /// Base URL: sources are at `{url}/{source}/{z}/{x}/{y}`, the catalog at `{url}/catalog`.
    pub url: String,
    /// Offer every source in the server's catalog as an overlay.
    pub catalog: bool,
    /// Styles of catalog overlays, by source id.
    pub styles: Vec<(String, Style)>,
    pub retry: RetryPolicy,
}

impl TileServer {
    pub fn catalog_url(&self) -> String {
        format!("{}/catalog", self.url.trim_end_matches('/'))
    }

    /// The configured style for a source, or the default vector style.
    pub fn style_for(&self, source: &str) -> Style {
        self.styles
            .iter()
            .find(|(id, _)| id == source)
            .map(|(_, s)| s.clone())
            .unwrap_or_default()
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct ViewConfig {
    pub center: (f64, f64),
    pub zoom: f64,
    pub min_zoom: f64,
    pub max_zoom: f64,
}

#[derive(Debug, Clone, PartialEq)]
pub struct BaseLayer {
    pub name: String,
    pub source: BaseSource,
    pub attribution: Attribution,
    pub min_zoom: f64,
    pub max_zoom: f64,
}

#[derive(Debug, Clone, PartialEq)]
pub enum BaseSource {
    /// A raster tile URL template such as `https://tile.example/{z}/{x}/{y}.png`.
    Tiles {
        url: String,
        subdomains: Vec<String>,
    },
    /// A GeoJSON document drawn as the base map (the offline default: world countries).
    GeoJson { data: DataSource, style: Style },
    /// Vector tiles (MVT) from a URL template, drawn in the browser with `style`.
    Vector { url: String, style: Style },
}

#[derive(Debug, Clone, PartialEq)]
pub struct Overlay {
    pub name: String,
    pub data: OverlayData,
    pub visible: bool,
    pub style: Style,
    pub renderer: Renderer,
    pub attribution: Attribution,
}

#[derive(Debug, Clone, PartialEq)]
pub enum OverlayData {
    GeoJson(DataSource),
    /// A vector tile URL template (`{z}`, `{x}`, `{y}`).
    Vector {
        url: String,
    },
    /// Many points, drawn by Rust on tile canvases from a spatial index ([`crate::points`]).
    Points {
        data: DataSource,
        format: PointsFormat,
        /// Drawn as clusters (bubbles with counts) down to a zoom, when set.
        cluster: Option<ClusterOptions>,
    },
    /// Moving objects streamed by the API (`/api/live`, newline-delimited JSON).
    Live {
        url: String,
    },
}

/// How a points overlay's `url` is encoded.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum PointsFormat {
    /// GeoJSON with Point (or MultiPoint) features; their properties show on click.
    #[default]
    GeoJson,
    /// Little-endian 32-bit floats, longitude and latitude of each point in turn (8 bytes a
    /// point): the compact form for millions of points.
    Binary,
}

#[derive(Debug, Clone, PartialEq)]
pub enum DataSource {
    Url(String),
    Inline(Json),
}

/// What draws a GeoJSON layer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Renderer {
    /// Leaflet, one SVG path per shape: for pages that style shapes with CSS.
    Svg,
    /// Rust, on the layer's tile canvases (as vector tiles and points are drawn): from a few
    /// shapes to hundreds of megabytes of them.
    #[default]
    Canvas,
}

impl Renderer {
    /// The renderer a config or an option names: `"canvas"` or `"svg"`.
    pub fn named(name: &str) -> Result<Renderer, String> {
        match name {
            "svg" => Ok(Renderer::Svg),
            "canvas" => Ok(Renderer::Canvas),
            other => Err(format!(
                "unknown renderer \"{other}\"; expected \"svg\" or \"canvas\""
            )),
        }
    }
}

/// Whether a GeoJSON layer is drawn by Rust on tile canvases (the default) rather than by
/// Leaflet as SVG: `"renderer": "svg"` asks for Leaflet, and so do pins and icons (they are
/// elements whatever draws the rest).
pub fn drawn_by_rust(renderer: Renderer, style: &Style) -> bool {
    renderer == Renderer::Canvas && style.marker == Marker::Circle
}

/// Attribution shown in the map corner. Text only (it is escaped), optionally linked.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Attribution {
    pub text: String,
    pub url: Option<String>,
}

/// Path style, in Leaflet's terms.
#[derive(Debug, Clone, PartialEq)]
pub struct Style {
    pub color: String,
    pub weight: f64,
    pub opacity: f64,
    pub fill_color: String,
    pub fill_opacity: f64,
    /// Radius in pixels of the circle drawn for a point.
    pub radius: f64,
    /// Vector tiles: the property whose value labels a point (e.g. `name`).
    pub label: Option<String>,
    /// Vector tiles: labels appear from this zoom on.
    pub label_min_zoom: f64,
    /// The property shown as a tooltip while the pointer is over a feature (e.g. `name`).
    pub tooltip: Option<String>,
    /// How a GeoJSON layer draws its points.
    pub marker: Marker,
}

/// How a GeoJSON point is drawn.
#[derive(Debug, Clone, Default, PartialEq)]
pub enum Marker {
    /// A circle in the layer's style (`radius`, colours).
    #[default]
    Circle,
    /// Leaflet's blue pin (its vendored marker images), reachable with Tab like a button.
    Pin,
    /// An image of the layer's own, reachable with Tab like the pin.
    Icon(Icon),
}

/// An icon marker's image: the layer's (`icon`), or each feature's (the property `iconProperty`
/// names, an http(s) or relative URL), the layer's where a feature has none.
#[derive(Debug, Clone, PartialEq)]
pub struct Icon {
    pub url: Option<String>,
    pub property: Option<String>,
    /// Width and height in CSS pixels; the image's bottom centre is on the point.
    pub size: (f64, f64),
}

impl Icon {
    /// The image for a feature with these properties: its own (when `property` names an http(s)
    /// or relative URL in them), else the layer's; `None` when neither is there (the pin then).
    pub fn url_for(&self, properties: &Json) -> Option<String> {
        self.property
            .as_deref()
            .and_then(|key| properties.get(key))
            .and_then(Json::as_str)
            .map(str::trim)
            .filter(|url| !url.is_empty() && http_or_relative(url))
            .map(str::to_owned)
            .or_else(|| self.url.clone())
    }
}

impl Default for Style {
    fn default() -> Self {
        Self {
            color: "#3388ff".into(),
            weight: 2.0,
            opacity: 1.0,
            fill_color: "#3388ff".into(),
            fill_opacity: 0.2,
            radius: 6.0,
            label: None,
            label_min_zoom: 0.0,
            tooltip: None,
            marker: Marker::Circle,
        }
    }
}

impl Style {
    /// A style object as config.json writes it (`{"color": "#c00", "weight": 2, ...}`), checked
    /// the same way; for styles handed over by an embedding host.
    pub fn from_value(value: &Json) -> Result<Style, String> {
        let mut errors = Errors::default();
        let style =
            Reader::object(Node::root(value), &mut errors).map(|mut r| read_style_fields(&mut r));
        match style {
            Some(style) if errors.0.is_empty() => Ok(style),
            _ => Err(errors
                .0
                .iter()
                .map(ToString::to_string)
                .collect::<Vec<_>>()
                .join("; ")),
        }
    }
}

/// A points layer's options as an embedding host passes them (`{"cluster": …}`), checked as
/// config.json's points overlays are: the clustering, if asked for.
pub fn points_options(value: &Json) -> Result<Option<ClusterOptions>, String> {
    let mut errors = Errors::default();
    let cluster =
        Reader::object(Node::root(value), &mut errors).and_then(|mut r| read_cluster(&mut r));
    if errors.0.is_empty() {
        Ok(cluster)
    } else {
        Err(errors
            .0
            .iter()
            .map(ToString::to_string)
            .collect::<Vec<_>>()
            .join("; "))
    }
}

/// One problem in the config, and where it is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigError {
    /// A key path such as `baseLayers[0].maxZoom`; empty for the document itself.
    pub path: String,
    pub message: String,
}

impl std::fmt::Display for ConfigError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.path.is_empty() {
            write!(f, "{}", self.message)
        } else {
            write!(f, "{}: {}", self.path, self.message)
        }
    }
}

impl Config {
    /// Parses and validates the text of a config.json.
    pub fn from_json(text: &str) -> Result<Config, Vec<ConfigError>> {
        let value = Json::parse(text).map_err(|e| {
            vec![ConfigError {
                path: String::new(),
                message: format!("config.json is not valid JSON: {e}"),
            }]
        })?;
        Self::from_value(&value)
    }

    /// Validates an already parsed config (the embedding API passes objects).
    pub fn from_value(value: &Json) -> Result<Config, Vec<ConfigError>> {
        let mut errors = Errors::default();
        let config = read_config(&Node::root(value), &mut errors);
        match config {
            Some(config) if errors.0.is_empty() => Ok(config),
            _ => Err(errors.0),
        }
    }
}

/// A layer whose data is one document (by URL or inline): shapes drawn by Leaflet, or points
/// drawn by Rust.
#[derive(Debug, Clone, PartialEq)]
pub struct DataLayer<'a> {
    pub name: &'a str,
    pub source: &'a DataSource,
    /// `None` for GeoJSON shapes; the encoding for a points layer.
    pub points: Option<PointsFormat>,
    /// GeoJSON shapes Rust draws on tiles ([`drawn_by_rust`]), read as they stream in; else
    /// the document goes to Leaflet.
    pub drawn: bool,
    /// Drawn in the first view: the first base layer, or an overlay visible at start.
    pub shown_at_start: bool,
}

impl Config {
    /// Every layer that loads a document (GeoJSON shapes, points), those drawn in the first view
    /// first: the order their requests start.
    pub fn data_layers(&self) -> Vec<DataLayer<'_>> {
        let bases =
            self.base_layers
                .iter()
                .enumerate()
                .filter_map(|(i, base)| match &base.source {
                    BaseSource::GeoJson { data, style } => Some(DataLayer {
                        name: &base.name,
                        source: data,
                        points: None,
                        drawn: drawn_by_rust(Renderer::Canvas, style),
                        shown_at_start: i == 0,
                    }),
                    _ => None,
                });
        let overlays = self.overlays.iter().filter_map(|overlay| {
            let (source, points) = match &overlay.data {
                OverlayData::GeoJson(data) => (data, None),
                OverlayData::Points { data, format, .. } => (data, Some(*format)),
                OverlayData::Vector { .. } | OverlayData::Live { .. } => return None,
            };
            Some(DataLayer {
                name: &overlay.name,
                source,
                points,
                drawn: points.is_none() && drawn_by_rust(overlay.renderer, &overlay.style),
                shown_at_start: overlay.visible,
            })
        });
        let all: Vec<DataLayer> = bases.chain(overlays).collect();
        let (shown, hidden): (Vec<DataLayer>, Vec<DataLayer>) =
            all.into_iter().partition(|layer| layer.shown_at_start);
        shown.into_iter().chain(hidden).collect()
    }
}

impl Config {
    /// Makes every relative URL in the config (layer data, tile templates, the tile server)
    /// absolute against `config_url`, the absolute URL the config was loaded from, and counts that
    /// origin as first-party. A config loaded beside index.html is unchanged in effect; a widget
    /// embedded in another site's page then still fetches from the meshmap origin.
    pub fn resolve_against(&mut self, config_url: &str) -> Result<(), String> {
        let base = WebUrl::parse(config_url)
            .map_err(|e| format!("\"{config_url}\" is not an absolute URL: {e}"))?;
        let resolve = |url: &mut String| resolve_url(&base, url);
        for layer in &mut self.base_layers {
            match &mut layer.source {
                BaseSource::Tiles { url, .. } | BaseSource::Vector { url, .. } => resolve(url),
                BaseSource::GeoJson {
                    data: DataSource::Url(url),
                    ..
                } => resolve(url),
                BaseSource::GeoJson {
                    data: DataSource::Inline(_),
                    ..
                } => {}
            }
        }
        for overlay in &mut self.overlays {
            // An overlay's own icon is relative to the config like its data (features' icons
            // come from the data, relative to the page).
            if let Marker::Icon(Icon { url: Some(url), .. }) = &mut overlay.style.marker {
                resolve(url);
            }
            match &mut overlay.data {
                OverlayData::Vector { url }
                | OverlayData::Live { url }
                | OverlayData::GeoJson(DataSource::Url(url))
                | OverlayData::Points {
                    data: DataSource::Url(url),
                    ..
                } => resolve(url),
                OverlayData::GeoJson(DataSource::Inline(_))
                | OverlayData::Points {
                    data: DataSource::Inline(_),
                    ..
                } => {}
            }
        }
        if let Some(search) = &mut self.search {
            resolve(&mut search.url);
        }
        if let Some(tiles) = &mut self.tiles {
            resolve(&mut tiles.url);
        }
        if let Some(origin) = base.origin().map(|o| o.to_string()) {
            if !self.first_party_origins.contains(&origin) {
                self.first_party_origins.push(origin);
            }
        }
        Ok(())
    }
}

/// Resolves `url` against `base` in place; tile placeholders (`{z}`, `{s}`) stay as they are.
fn resolve_url(base: &WebUrl, url: &mut String) {
    if let Ok(joined) = base.join(url) {
        *url = joined.to_string();
    }
}

#[derive(Default)]
struct Errors(Vec<ConfigError>);

impl Errors {
    fn push(&mut self, path: &str, message: impl Into<String>) {
        self.0.push(ConfigError {
            path: path.to_owned(),
            message: message.into(),
        });
    }
}

/// A value and its key path.
#[derive(Clone, Copy)]
struct Node<'a> {
    value: Option<&'a Json>,
    path: &'a str,
}

impl<'a> Node<'a> {
    fn root(value: &'a Json) -> Self {
        Node {
            value: Some(value),
            path: "",
        }
    }
}

/// Reads typed values out of an object, recording errors against their key paths.
struct Reader<'a, 'e> {
    object: Option<&'a Json>,
    path: String,
    errors: &'e mut Errors,
}

impl<'a, 'e> Reader<'a, 'e> {
    /// `None` (after recording an error) when the node is not an object.
    fn object(node: Node<'a>, errors: &'e mut Errors) -> Option<Self> {
        match node.value {
            Some(object @ Json::Object(_)) => Some(Reader {
                object: Some(object),
                path: node.path.to_owned(),
                errors,
            }),
            Some(other) => {
                errors.push(
                    node.path,
                    format!("expected an object, found {}", describe(other)),
                );
                None
            }
            None => {
                errors.push(node.path, "is required");
                None
            }
        }
    }

    fn key_path(&self, key: &str) -> String {
        if self.path.is_empty() {
            key.to_owned()
        } else {
            format!("{}.{key}", self.path)
        }
    }

    fn get(&self, key: &str) -> Option<&'a Json> {
        self.object
            .and_then(|o| o.get(key))
            .filter(|v| !v.is_null())
    }

    fn error(&mut self, key: &str, message: impl Into<String>) {
        let path = self.key_path(key);
        self.errors.push(&path, message);
    }

    fn required<T>(
        &mut self,
        key: &str,
        read: impl FnOnce(&mut Self, &'a Json) -> Option<T>,
    ) -> Option<T> {
        match self.get(key) {
            Some(value) => read(self, value),
            None => {
                self.error(key, "is required");
                None
            }
        }
    }

    fn optional<T>(
        &mut self,
        key: &str,
        default: T,
        read: impl FnOnce(&mut Self, &'a Json) -> Option<T>,
    ) -> T {
        match self.get(key) {
            Some(value) => read(self, value).unwrap_or(default),
            None => default,
        }
    }

    fn string(&mut self, key: &str, value: &Json) -> Option<String> {
        match value.as_str() {
            Some(s) => Some(s.to_owned()),
            None => {
                self.error(key, format!("expected a string, found {}", describe(value)));
                None
            }
        }
    }

    fn name(&mut self, key: &str, value: &Json) -> Option<String> {
        let name = self.string(key, value)?;
        if name.trim().is_empty() {
            self.error(key, "must not be empty");
            return None;
        }
        Some(name)
    }

    fn number(&mut self, key: &str, value: &Json, range: (f64, f64), what: &str) -> Option<f64> {
        let Some(n) = value.as_f64() else {
            self.error(key, format!("expected a number, found {}", describe(value)));
            return None;
        };
        if n < range.0 || n > range.1 {
            self.error(
                key,
                format!(
                    "{what} {} is out of range {}..{}",
                    Decimal(n),
                    Decimal(range.0),
                    Decimal(range.1)
                ),
            );
            return None;
        }
        Some(n)
    }

    fn boolean(&mut self, key: &str, value: &Json) -> Option<bool> {
        let b = value.as_bool();
        if b.is_none() {
            self.error(
                key,
                format!("expected true or false, found {}", describe(value)),
            );
        }
        b
    }

    fn array(&mut self, key: &str, value: &'a Json) -> Option<&'a [Json]> {
        let a = value.as_array();
        if a.is_none() {
            self.error(key, format!("expected an array, found {}", describe(value)));
        }
        a
    }

    fn zoom(&mut self, key: &str, value: &Json) -> Option<f64> {
        self.number(key, value, (0.0, MAX_ZOOM_LIMIT), "zoom")
    }

    fn strings(&mut self, key: &str, value: &'a Json) -> Option<Vec<String>> {
        let items = self.array(key, value)?;
        let mut out = Vec::new();
        for (i, item) in items.iter().enumerate() {
            out.push(self.name(&format!("{key}[{i}]"), item)?);
        }
        Some(out)
    }

    /// Each element of an array under `key`, as a node with its own path.
    fn each(&mut self, key: &str) -> Vec<(String, &'a Json)> {
        match self.get(key) {
            None => Vec::new(),
            Some(value) => match self.array(key, value) {
                None => Vec::new(),
                Some(items) => {
                    let base = self.key_path(key);
                    items
                        .iter()
                        .enumerate()
                        .map(|(i, v)| (format!("{base}[{i}]"), v))
                        .collect()
                }
            },
        }
    }
}

fn describe(value: &Json) -> String {
    match value {
        Json::Null => "null".into(),
        Json::Bool(b) => b.to_string(),
        Json::Number(n) => format!("the number {}", Number(*n)),
        Json::String(s) if s.chars().count() > 40 => "a string".into(),
        Json::String(s) => format!("the string \"{s}\""),
        Json::Array(_) => "an array".into(),
        Json::Object(_) => "an object".into(),
    }
}

/// The map's accessible name when the config gives no `title`.
pub const DEFAULT_TITLE: &str = "Map";

fn read_config(root: &Node, errors: &mut Errors) -> Option<Config> {
    let mut r = Reader::object(*root, errors)?;
    let tiles = match r.get("tiles") {
        Some(value) => read_tile_server(
            Node {
                value: Some(value),
                path: "tiles",
            },
            r.errors,
        ),
        None => None,
    };
    let view = match r.get("view") {
        Some(value) => read_view(
            Node {
                value: Some(value),
                path: "view",
            },
            r.errors,
        ),
        None => {
            r.error("view", "is required");
            None
        }
    };
    let mut base_layers = Vec::new();
    for (path, value) in r.each("baseLayers") {
        if let Some(layer) = read_base_layer(
            Node {
                value: Some(value),
                path: &path,
            },
            tiles.as_ref(),
            r.errors,
        ) {
            base_layers.push(layer);
        }
    }
    if r.get("baseLayers").is_none() {
        r.error("baseLayers", "is required: name at least one base layer");
    } else if matches!(r.get("baseLayers"), Some(Json::Array(a)) if a.is_empty()) {
        r.error("baseLayers", "must name at least one base layer");
    }
    let mut overlays = Vec::new();
    for (path, value) in r.each("overlays") {
        if let Some(overlay) = read_overlay(
            Node {
                value: Some(value),
                path: &path,
            },
            tiles.as_ref(),
            r.errors,
        ) {
            overlays.push(overlay);
        }
    }
    let default_versions = DEFAULT_VERSIONS.iter().map(|s| s.to_string()).collect();
    let versions = r.optional("versions", default_versions, |r, v| {
        r.strings("versions", v)
    });
    if let Some(bad) = versions.iter().position(|v| {
        !v.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"-_.".contains(&b))
    }) {
        r.error(
            &format!("versions[{bad}]"),
            "a version name may hold only letters, digits, '-', '_' and '.'",
        );
    }
    let origins = r.optional("firstPartyOrigins", Vec::new(), |r, v| {
        r.strings("firstPartyOrigins", v)
    });
    for (i, origin) in origins.iter().enumerate() {
        if let Err(message) = check_origin(origin) {
            r.error(&format!("firstPartyOrigins[{i}]"), message);
        }
    }
    let controls = match r.get("controls") {
        Some(value) => read_controls(
            Node {
                value: Some(value),
                path: "controls",
            },
            r.errors,
        ),
        None => Controls::default(),
    };
    let title = r.optional("title", DEFAULT_TITLE.to_owned(), |r, v| r.name("title", v));
    let search = r.get("search").and_then(|value| {
        let mut s = Reader::object(
            Node {
                value: Some(value),
                path: "search",
            },
            r.errors,
        )?;
        let url = s.required("url", |s, v| endpoint_url(s, "url", v, "/api/search"));
        let placeholder = s.optional("placeholder", "Search places".to_owned(), |s, v| {
            s.name("placeholder", v)
        });
        Some(SearchConfig {
            url: url?,
            placeholder,
        })
    });
    let view = view?;
    Some(Config {
        title,
        view,
        base_layers,
        overlays,
        versions,
        first_party_origins: origins,
        tiles,
        controls,
        search,
    })
}

impl Controls {
    /// These controls with some switched on or off by `changes`, an object such as
    /// `{"legend": true, "locate": false}` (the embedding API's `controls` option).
    pub fn with_changes(self, changes: &Json) -> Result<Controls, String> {
        let Json::Object(members) = changes else {
            return Err(format!(
                "controls must be an object such as {{\"fullscreen\": true}}, not {}",
                describe(changes)
            ));
        };
        let mut controls = self;
        for (key, value) in members {
            let slot = match key.as_str() {
                "fullscreen" => &mut controls.fullscreen,
                "locate" => &mut controls.locate,
                "legend" => &mut controls.legend,
                other => {
                    return Err(format!(
                        "controls.{other}: unknown control; expected fullscreen, locate or legend"
                    ))
                }
            };
            *slot = value.as_bool().ok_or_else(|| {
                format!(
                    "controls.{key}: expected true or false, found {}",
                    describe(value)
                )
            })?;
        }
        Ok(controls)
    }
}

/// A points overlay's `cluster`: `true` (the defaults), `false`, or `{"radius", "maxZoom"}`.
fn read_cluster(r: &mut Reader) -> Option<ClusterOptions> {
    let value = r.get("cluster")?;
    if let Some(on) = value.as_bool() {
        return on.then(ClusterOptions::default);
    }
    if !matches!(value, Json::Object(_)) {
        r.error("cluster", format!("expected true, false or an object such as {{\"radius\": 60, \"maxZoom\": 16}}, found {}", describe(value)));
        return None;
    }
    let path = r.key_path("cluster");
    let mut c = Reader::object(
        Node {
            value: Some(value),
            path: &path,
        },
        r.errors,
    )?;
    let defaults = ClusterOptions::default();
    Some(ClusterOptions {
        radius: c.optional("radius", defaults.radius, |c, v| {
            c.number("radius", v, (1.0, 400.0), "radius")
        }),
        max_zoom: c.optional("maxZoom", defaults.max_zoom, |c, v| {
            c.number("maxZoom", v, (0.0, f64::from(MAX_CLUSTER_ZOOM)), "zoom")
                .map(|z| z.floor() as u32)
        }),
    })
}

/// The URL of one of the API's endpoints (`search.url`, a live overlay's `url`): http(s) or
/// relative, without a fragment.
fn endpoint_url(r: &mut Reader, key: &str, value: &Json, example: &str) -> Option<String> {
    let url = r.name(key, value)?;
    if url.contains('#') || !http_or_relative(&url) {
        r.error(
            key,
            format!("must be an http(s) or relative URL such as \"{example}\" (no fragment)"),
        );
        return None;
    }
    Some(url)
}

fn read_controls(node: Node, errors: &mut Errors) -> Controls {
    let Some(mut r) = Reader::object(node, errors) else {
        return Controls::default();
    };
    Controls {
        fullscreen: r.optional("fullscreen", false, |r, v| r.boolean("fullscreen", v)),
        locate: r.optional("locate", false, |r, v| r.boolean("locate", v)),
        legend: r.optional("legend", false, |r, v| r.boolean("legend", v)),
    }
}

fn read_tile_server(node: Node, errors: &mut Errors) -> Option<TileServer> {
    let mut r = Reader::object(node, errors)?;
    let url = r.required("url", |r, v| {
        let url = r.name("url", v)?;
        if url.contains(['?', '#', '{']) || !http_or_relative(&url) {
            r.error("url", "must be a plain http(s) or relative base URL such as \"tiles/\" (no query, fragment or placeholders)");
            return None;
        }
        Some(url)
    });
    let catalog = r.optional("catalog", true, |r, v| r.boolean("catalog", v));
    let mut styles = Vec::new();
    if let Some(value) = r.get("styles") {
        let path = r.key_path("styles");
        if let Some(map) = value.as_object() {
            for (id, style) in map {
                let style_path = format!("{path}.{id}");
                if let Some(mut s) = Reader::object(
                    Node {
                        value: Some(style),
                        path: &style_path,
                    },
                    r.errors,
                ) {
                    styles.push((id.clone(), read_style_fields(&mut s)));
                }
            }
        } else {
            r.error(
                "styles",
                format!(
                    "expected an object of styles by source id, found {}",
                    describe(value)
                ),
            );
        }
    }
    let defaults = RetryPolicy::default();
    let retry = match r.get("retry") {
        None => defaults,
        Some(value) => {
            let path = r.key_path("retry");
            match Reader::object(
                Node {
                    value: Some(value),
                    path: &path,
                },
                r.errors,
            ) {
                None => defaults,
                Some(mut p) => {
                    let attempts = p.optional("attempts", f64::from(defaults.attempts), |p, v| {
                        p.number("attempts", v, (1.0, 10.0), "attempts")
                    });
                    let base =
                        p.optional("baseDelayMs", f64::from(defaults.base_delay_ms), |p, v| {
                            p.number("baseDelayMs", v, (10.0, 60_000.0), "baseDelayMs")
                        });
                    let max = p.optional("maxDelayMs", f64::from(defaults.max_delay_ms), |p, v| {
                        p.number("maxDelayMs", v, (10.0, 300_000.0), "maxDelayMs")
                    });
                    if max < base {
                        p.error(
                            "maxDelayMs",
                            format!("maxDelayMs {max} is below baseDelayMs {base}"),
                        );
                    }
                    RetryPolicy {
                        attempts: attempts as u32,
                        base_delay_ms: base as u32,
                        max_delay_ms: max.max(base) as u32,
                    }
                }
            }
        }
    };
    Some(TileServer {
        url: url?,
        catalog,
        styles,
        retry,
    })
}

/// A vector layer's tile URL template: `url` directly, or `source` (+ `query`) on the tile server.
fn read_vector_url(r: &mut Reader, tiles: Option<&TileServer>) -> Option<String> {
    match (r.get("url"), r.get("source")) {
        (Some(_), Some(_)) => {
            r.error("url", "give either \"url\" (a tile URL template) or \"source\" (a tile server source), not both");
            None
        }
        (Some(url), None) => {
            let url = r.string("url", url)?;
            check_tile_template(&url)
                .map_err(|m| r.error("url", m))
                .ok()?;
            Some(url)
        }
        (None, Some(source)) => {
            let source = r.name("source", source)?;
            let query = r.optional("query", String::new(), |r, v| r.string("query", v));
            if source.contains(['/', '?', '#', '{', '}']) {
                r.error(
                    "source",
                    format!("\"{source}\" is not a source id (no '/', '?', '#' or braces)"),
                );
                return None;
            }
            if query.contains(['#', '{', '}']) {
                r.error(
                    "query",
                    "must be a plain query string such as \"min_pop=1000000\"",
                );
                return None;
            }
            let Some(tiles) = tiles else {
                r.error(
                    "source",
                    "needs the tile server's address in \"tiles\": {\"url\": \"tiles/\"}",
                );
                return None;
            };
            Some(source_template(&tiles.url, &source, &query))
        }
        (None, None) => {
            r.error(
                "source",
                "is required (a tile server source id, or \"url\" with a tile URL template)",
            );
            None
        }
    }
}

fn read_view(node: Node, errors: &mut Errors) -> Option<ViewConfig> {
    let mut r = Reader::object(node, errors)?;
    let center = r.required("center", |r, v| {
        let items = r.array("center", v)?;
        if items.len() != 2 {
            r.error(
                "center",
                format!(
                    "expected [latitude, longitude], found {} numbers",
                    items.len()
                ),
            );
            return None;
        }
        let lat = r.number("center[0]", &items[0], (-90.0, 90.0), "latitude");
        let lng = r.number("center[1]", &items[1], (-180.0, 180.0), "longitude");
        Some((lat?, lng?))
    });
    let zoom = r.required("zoom", |r, v| r.zoom("zoom", v));
    let (min_zoom, max_zoom) = read_zoom_range(&mut r);
    if let Some(z) = zoom.filter(|z| *z < min_zoom || *z > max_zoom) {
        r.error(
            "zoom",
            format!(
                "zoom {} is outside minZoom..maxZoom ({}..{})",
                Decimal(z),
                Decimal(min_zoom),
                Decimal(max_zoom)
            ),
        );
    }
    Some(ViewConfig {
        center: center?,
        zoom: zoom?,
        min_zoom,
        max_zoom,
    })
}

/// `minZoom` and `maxZoom` (defaults 0 and 18), the one not above the other.
fn read_zoom_range(r: &mut Reader) -> (f64, f64) {
    let min_zoom = r.optional("minZoom", 0.0, |r, v| r.zoom("minZoom", v));
    let max_zoom = r.optional("maxZoom", 18.0, |r, v| r.zoom("maxZoom", v));
    if min_zoom > max_zoom {
        r.error(
            "minZoom",
            format!(
                "minZoom {} is above maxZoom {}",
                Decimal(min_zoom),
                Decimal(max_zoom)
            ),
        );
    }
    (min_zoom, max_zoom)
}

fn read_base_layer(
    node: Node,
    tiles: Option<&TileServer>,
    errors: &mut Errors,
) -> Option<BaseLayer> {
    let mut r = Reader::object(node, errors)?;
    let name = r.required("name", |r, v| r.name("name", v));
    let kind = r.optional("type", "tile".to_owned(), |r, v| r.string("type", v));
    let attribution = read_attribution(&mut r);
    let (min_zoom, max_zoom) = read_zoom_range(&mut r);
    let source = match kind.as_str() {
        "tile" => {
            let url = r.required("url", |r, v| {
                let url = r.string("url", v)?;
                check_tile_template(&url)
                    .map_err(|m| r.error("url", m))
                    .ok()?;
                Some(url)
            });
            let subdomains = r.optional(
                "subdomains",
                vec!["a".into(), "b".into(), "c".into()],
                |r, v| r.strings("subdomains", v),
            );
            url.map(|url| BaseSource::Tiles { url, subdomains })
        }
        "geojson" => {
            let data = read_data_source(&mut r);
            let style = read_style(&mut r);
            data.map(|data| BaseSource::GeoJson { data, style })
        }
        "vector" => {
            let url = read_vector_url(&mut r, tiles);
            let style = read_style(&mut r);
            url.map(|url| BaseSource::Vector { url, style })
        }
        other => {
            r.error("type", format!("unknown base layer type \"{other}\"; expected \"tile\", \"vector\" or \"geojson\""));
            None
        }
    };
    Some(BaseLayer {
        name: name?,
        source: source?,
        attribution,
        min_zoom,
        max_zoom,
    })
}

fn read_overlay(node: Node, tiles: Option<&TileServer>, errors: &mut Errors) -> Option<Overlay> {
    let mut r = Reader::object(node, errors)?;
    let name = r.required("name", |r, v| r.name("name", v));
    let kind = r.required("type", |r, v| r.string("type", v));
    let data = match kind.as_deref() {
        Some("geojson") => read_data_source(&mut r).map(OverlayData::GeoJson),
        Some("vector") => read_vector_url(&mut r, tiles).map(|url| OverlayData::Vector { url }),
        Some("live") => r
            .required("url", |r, v| endpoint_url(r, "url", v, "/api/live"))
            .map(|url| OverlayData::Live { url }),
        Some("points") => {
            let format = r.optional("format", PointsFormat::GeoJson, |r, v| match r.string("format", v)?.as_str() {
                "geojson" => Some(PointsFormat::GeoJson),
                "binary" => Some(PointsFormat::Binary),
                other => {
                    r.error("format", format!("unknown points format \"{other}\"; expected \"geojson\" or \"binary\""));
                    None
                }
            });
            match read_data_source(&mut r) {
                Some(DataSource::Inline(_)) if format == PointsFormat::Binary => {
                    r.error(
                        "data",
                        "binary points come from a \"url\"; inline \"data\" is GeoJSON",
                    );
                    None
                }
                data => {
                    let cluster = read_cluster(&mut r);
                    data.map(|data| OverlayData::Points {
                        data,
                        format,
                        cluster,
                    })
                }
            }
        }
        Some(other) => {
            r.error("type", format!("unknown overlay type \"{other}\"; expected \"geojson\", \"vector\", \"points\" or \"live\""));
            None
        }
        None => None,
    };
    let visible = r.optional("visible", true, |r, v| r.boolean("visible", v));
    let style = read_style(&mut r);
    let renderer = r.optional("renderer", Renderer::Canvas, |r, v| {
        let name = r.string("renderer", v)?;
        Renderer::named(&name)
            .map_err(|message| r.error("renderer", message))
            .ok()
    });
    let attribution = read_attribution(&mut r);
    Some(Overlay {
        name: name?,
        data: data?,
        visible,
        style,
        renderer,
        attribution,
    })
}

/// Exactly one of `url` (fetched) or `data` (inline GeoJSON).
fn read_data_source(r: &mut Reader) -> Option<DataSource> {
    match (r.get("url"), r.get("data")) {
        (Some(_), Some(_)) => {
            r.error("url", "give either \"url\" or \"data\", not both");
            None
        }
        (Some(url), None) => {
            let url = r.string("url", url)?;
            if url.trim().is_empty() {
                r.error("url", "must not be empty");
                return None;
            }
            if !http_or_relative(&url) {
                r.error("url", "must be http://, https:// or relative to the page (no data:, javascript: or other schemes)");
                return None;
            }
            Some(DataSource::Url(url))
        }
        (None, Some(data)) => {
            if data.as_object().is_none() {
                r.error(
                    "data",
                    format!("expected a GeoJSON object, found {}", describe(data)),
                );
                return None;
            }
            Some(DataSource::Inline(data.clone()))
        }
        (None, None) => {
            r.error("url", "is required (or inline GeoJSON in \"data\")");
            None
        }
    }
}

fn read_attribution(r: &mut Reader) -> Attribution {
    let text = r.optional("attribution", String::new(), |r, v| {
        r.string("attribution", v)
    });
    let url = r.optional("attributionUrl", None, |r, v| {
        let url = r.string("attributionUrl", v)?;
        if !(url.starts_with("https://") || url.starts_with("http://")) {
            r.error("attributionUrl", "must be an http:// or https:// URL");
            return None;
        }
        Some(Some(url))
    });
    Attribution { text, url }
}

fn read_style(r: &mut Reader) -> Style {
    let defaults = Style::default();
    let Some(value) = r.get("style") else {
        return defaults;
    };
    let path = r.key_path("style");
    let Some(mut s) = Reader::object(
        Node {
            value: Some(value),
            path: &path,
        },
        r.errors,
    ) else {
        return defaults;
    };
    read_style_fields(&mut s)
}

fn read_style_fields(s: &mut Reader) -> Style {
    let defaults = Style::default();
    let color = s.optional("color", defaults.color.clone(), |s, v| {
        colour(s, "color", v)
    });
    Style {
        fill_color: s.optional("fillColor", color.clone(), |s, v| colour(s, "fillColor", v)),
        color,
        weight: s.optional("weight", defaults.weight, |s, v| {
            s.number("weight", v, (0.0, 50.0), "weight")
        }),
        opacity: s.optional("opacity", defaults.opacity, |s, v| {
            s.number("opacity", v, (0.0, 1.0), "opacity")
        }),
        fill_opacity: s.optional("fillOpacity", defaults.fill_opacity, |s, v| {
            s.number("fillOpacity", v, (0.0, 1.0), "fillOpacity")
        }),
        radius: s.optional("radius", defaults.radius, |s, v| {
            s.number("radius", v, (0.0, 100.0), "radius")
        }),
        label: s.optional("label", None, |s, v| s.name("label", v).map(Some)),
        label_min_zoom: s.optional("labelMinZoom", defaults.label_min_zoom, |s, v| {
            s.zoom("labelMinZoom", v)
        }),
        tooltip: s.optional("tooltip", None, |s, v| s.name("tooltip", v).map(Some)),
        marker: read_marker(s),
    }
}

/// `marker`: "circle", "pin", or "icon" with `icon` (a URL) and/or `iconProperty`, and
/// `iconSize` ([width, height], 32 × 32 by default).
fn read_marker(s: &mut Reader) -> Marker {
    let kind = s.optional("marker", None, |s, v| s.string("marker", v).map(Some));
    match kind.as_deref() {
        None | Some("circle") => Marker::Circle,
        Some("pin") => Marker::Pin,
        Some("icon") => {
            let url = s.optional("icon", None, |s, v| {
                let url = s.name("icon", v)?;
                if !http_or_relative(&url) {
                    s.error("icon", "must be an http(s) or relative URL");
                    return None;
                }
                Some(Some(url))
            });
            let property = s.optional("iconProperty", None, |s, v| {
                s.name("iconProperty", v).map(Some)
            });
            let size = s.optional("iconSize", (32.0, 32.0), |s, v| {
                let sides: Vec<f64> = v
                    .as_array()
                    .map(|a| a.iter().filter_map(Json::as_f64).collect())
                    .unwrap_or_default();
                match sides.as_slice() {
                    &[w, h] if (1.0..=256.0).contains(&w) && (1.0..=256.0).contains(&h) => {
                        Some((w, h))
                    }
                    _ => {
                        s.error(
                            "iconSize",
                            "expected [width, height] in pixels, each 1 to 256",
                        );
                        None
                    }
                }
            });
            if url.is_none() && property.is_none() {
                s.error("marker", "an \"icon\" marker needs \"icon\" (an image URL) or \"iconProperty\" (the property holding each feature's)");
            }
            Marker::Icon(Icon {
                url,
                property,
                size,
            })
        }
        Some(other) => {
            s.error(
                "marker",
                format!("unknown marker \"{other}\"; expected \"circle\", \"pin\" or \"icon\""),
            );
            Marker::Circle
        }
    }
}

/// A CSS colour: `#rgb`, `#rrggbb`, `#rrggbbaa`, a name, or `rgb()/rgba()/hsl()/hsla()`.
fn colour(r: &mut Reader, key: &str, value: &Json) -> Option<String> {
    let text = r.string(key, value)?;
    let ok = if let Some(hex) = text.strip_prefix('#') {
        matches!(hex.len(), 3 | 4 | 6 | 8) && hex.bytes().all(|b| b.is_ascii_hexdigit())
    } else if let Some(args) = ["rgb(", "rgba(", "hsl(", "hsla("]
        .iter()
        .find_map(|f| text.strip_prefix(f))
    {
        args.strip_suffix(')').is_some_and(|a| {
            a.bytes()
                .all(|b| b.is_ascii_digit() || b" ,.%/".contains(&b))
        })
    } else {
        !text.is_empty() && text.len() <= 32 && text.bytes().all(|b| b.is_ascii_alphabetic())
    };
    if !ok {
        r.error(
            key,
            format!("\"{text}\" is not a CSS colour (use #rrggbb, a colour name or rgb())"),
        );
        return None;
    }
    Some(text)
}

/// A Leaflet tile URL template: needs {z}, {x} and {y}; knows {s}, {r} and {-y}.
fn check_tile_template(url: &str) -> Result<(), String> {
    for needed in ["{z}", "{x}"] {
        if !url.contains(needed) {
            return Err(format!("the tile URL template needs {needed}"));
        }
    }
    if !url.contains("{y}") && !url.contains("{-y}") {
        return Err("the tile URL template needs {y} (or {-y})".into());
    }
    let mut rest = url;
    while let Some(start) = rest.find('{') {
        let end = rest[start..]
            .find('}')
            .ok_or("an unclosed { in the tile URL template")?
            + start;
        let placeholder = &rest[start..=end];
        if !["{z}", "{x}", "{y}", "{-y}", "{s}", "{r}"].contains(&placeholder) {
            return Err(format!(
                "unknown placeholder {placeholder} in the tile URL template"
            ));
        }
        rest = &rest[end + 1..];
    }
    if !http_or_relative(url) {
        return Err("tile URLs must be http://, https:// or relative".into());
    }
    Ok(())
}

/// An http(s) URL or one relative to the page: no other scheme (`data:`, `javascript:`, `blob:`
/// with or without `//`), as a browser would read the scheme.
fn http_or_relative(url: &str) -> bool {
    crate::web_url::scheme(url).is_none_or(|scheme| scheme == "http" || scheme == "https")
}

/// `scheme://host[:port]` with nothing after it.
fn check_origin(origin: &str) -> Result<(), String> {
    let parsed = WebUrl::parse(origin).map_err(|e| format!("\"{origin}\" is not a URL: {e}"))?;
    if !parsed.host().is_ascii() {
        return Err(format!(
            "\"{origin}\": write the host in its ASCII form (xn--…)"
        ));
    }
    if parsed.origin().is_none() {
        return Err(format!("\"{origin}\" is not an http(s) origin"));
    }
    if parsed.path() != "/" || parsed.query().is_some() || parsed.fragment().is_some() {
        return Err(format!(
            "\"{origin}\" has a path; give only scheme://host[:port]"
        ));
    }
    Ok(())
}

/// Escapes text for Leaflet's HTML-taking strings (layer names, attribution).
pub fn escape_html(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

impl Attribution {
    /// The attribution as HTML for Leaflet: escaped text, linked when a URL is given.
    pub fn to_html(&self) -> String {
        let text = escape_html(&self.text);
        match &self.url {
            Some(url) if !text.is_empty() => {
                format!(
                    "<a href=\"{}\" target=\"_blank\" rel=\"noopener noreferrer\">{text}</a>",
                    escape_html(url)
                )
            }
            _ => text,
        }
    }
}

#[cfg(test)]
mod tests;
