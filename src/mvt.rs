//! Mapbox Vector Tile decoding (spec 2.1): protobuf through prost, geometry commands here.
//!
//! Tiles come from a server, so nothing in them is trusted: a malformed tile is an [`MvtError`], a
//! malformed feature is skipped (and counted), and no allocation is sized by a count read from the
//! tile, only by the bytes actually present.

mod wire;

use prost::Message;

use crate::json::Json;

/// The extent a layer has when it does not say (spec 4.1).
pub const DEFAULT_EXTENT: u32 = 4096;

/// Larger tiles are refused before decoding: real vector tiles are well under 1 MiB.
pub const MAX_TILE_BYTES: usize = 8 * 1024 * 1024;

/// A point in tile coordinates: 0..extent across the tile, y pointing down. Martin writes a
/// buffer around the tile, so values a little outside that range are normal.
pub type Point = [f32; 2];

#[derive(Debug, Clone, PartialEq)]
pub struct Tile {
    pub layers: Vec<Layer>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Layer {
    pub name: String,
    pub extent: u32,
    pub features: Vec<Feature>,
    /// Features left out because their geometry or tags were malformed.
    pub skipped: usize,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Feature {
    pub id: Option<u64>,
    pub geometry: Geometry,
    /// In the order the tile lists them.
    pub properties: Vec<(String, Value)>,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Geometry {
    Points(Vec<Point>),
    Lines(Vec<Vec<Point>>),
    /// Polygons, each an exterior ring followed by its holes; rings are closed implicitly.
    Polygons(Vec<Vec<Vec<Point>>>),
}

#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    String(String),
    Float(f64),
    Int(i64),
    UInt(u64),
    Bool(bool),
    /// A value with none of the spec's fields set.
    Missing,
}

impl std::fmt::Display for Value {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Value::String(s) => f.write_str(s),
            Value::Float(v) => write!(f, "{}", crate::math::Decimal(*v)),
            Value::Int(v) => write!(f, "{v}"),
            Value::UInt(v) => write!(f, "{v}"),
            Value::Bool(v) => write!(f, "{v}"),
            Value::Missing => f.write_str("null"),
        }
    }
}

/// Why a tile could not be decoded at all.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MvtError {
    TooLarge { bytes: usize },
    Protobuf(String),
    UnsupportedVersion { layer: String, version: u32 },
    BadExtent { layer: String },
}

impl std::fmt::Display for MvtError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            MvtError::TooLarge { bytes } => write!(
                f,
                "the tile is {bytes} bytes, over the {MAX_TILE_BYTES}-byte limit"
            ),
            MvtError::Protobuf(detail) => write!(
                f,
                "not a vector tile (malformed or truncated protobuf: {detail})"
            ),
            MvtError::UnsupportedVersion { layer, version } => {
                write!(f, "layer \"{layer}\" uses vector tile version {version}; only 1 and 2 are supported")
            }
            MvtError::BadExtent { layer } => write!(f, "layer \"{layer}\" has an extent of 0"),
        }
    }
}

impl Tile {
    /// Decodes a tile. An empty body (Martin answers 204 for an empty tile) is a tile with no layers.
    pub fn decode(bytes: &[u8]) -> Result<Tile, MvtError> {
        if bytes.len() > MAX_TILE_BYTES {
            return Err(MvtError::TooLarge { bytes: bytes.len() });
        }
        let tile = wire::Tile::decode(bytes).map_err(|e| MvtError::Protobuf(e.to_string()))?;
        let layers = tile
            .layers
            .into_iter()
            .map(decode_layer)
            .collect::<Result<_, _>>()?;
        Ok(Tile { layers })
    }

    pub fn layer(&self, name: &str) -> Option<&Layer> {
        self.layers.iter().find(|l| l.name == name)
    }

    pub fn feature_count(&self) -> usize {
        self.layers.iter().map(|l| l.features.len()).sum()
    }
}

impl Feature {
    pub fn property(&self, key: &str) -> Option<&Value> {
        self.properties
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v)
    }

    /// The properties as a JSON object, in tile order (what popups and host callbacks get).
    pub fn properties_json(&self) -> Json {
        Json::Object(
            self.properties
                .iter()
                .map(|(key, value)| (key.clone(), value.to_json()))
                .collect(),
        )
    }
}

impl Value {
    /// As JSON; integers beyond 2^53 lose precision, as in JavaScript.
    pub fn to_json(&self) -> Json {
        match self {
            Value::String(s) => Json::String(s.clone()),
            Value::Float(v) if v.is_finite() => Json::Number(*v),
            Value::Float(_) | Value::Missing => Json::Null,
            Value::Int(v) => Json::Number(*v as f64),
            Value::UInt(v) => Json::Number(*v as f64),
            Value::Bool(v) => Json::Bool(*v),
        }
    }
}

fn decode_layer(layer: wire::Layer) -> Result<Layer, MvtError> {
    if !(1..=2).contains(&layer.version) {
        return Err(MvtError::UnsupportedVersion {
            layer: layer.name,
            version: layer.version,
        });
    }
    let extent = layer.extent.unwrap_or(DEFAULT_EXTENT);
    if extent == 0 {
        return Err(MvtError::BadExtent { layer: layer.name });
    }
    let values: Vec<Value> = layer.values.iter().map(decode_value).collect();
    let mut features = Vec::with_capacity(layer.features.len());
    let mut skipped = 0;
    for feature in &layer.features {
        let decoded =
            decode_geometry(feature.r#type.unwrap_or(0), &feature.geometry).and_then(|geometry| {
                Some((geometry, decode_tags(&feature.tags, &layer.keys, &values)?))
            });
        match decoded {
            Some((geometry, properties)) => features.push(Feature {
                id: feature.id,
                geometry,
                properties,
            }),
            None => skipped += 1,
        }
    }
    Ok(Layer {
        name: layer.name,
        extent,
        features,
        skipped,
    })
}

fn decode_value(value: &wire::Value) -> Value {
    if let Some(s) = &value.string_value {
        Value::String(s.clone())
    } else if let Some(v) = value.double_value {
        Value::Float(v)
    } else if let Some(v) = value.float_value {
        Value::Float(f64::from(v))
    } else if let Some(v) = value.int_value.or(value.sint_value) {
        Value::Int(v)
    } else if let Some(v) = value.uint_value {
        Value::UInt(v)
    } else if let Some(v) = value.bool_value {
        Value::Bool(v)
    } else {
        Value::Missing
    }
}

/// Pairs of (key index, value index); `None` when odd or out of range.
fn decode_tags(tags: &[u32], keys: &[String], values: &[Value]) -> Option<Vec<(String, Value)>> {
    if !tags.len().is_multiple_of(2) {
        return None;
    }
    tags.chunks_exact(2)
        .map(|pair| {
            Some((
                keys.get(pair[0] as usize)?.clone(),
                values.get(pair[1] as usize)?.clone(),
            ))
        })
        .collect()
}

impl Geometry {
    /// Decodes one feature's command stream (spec 4.3) as a geometry of `kind` (1 point, 2 line,
    /// 3 polygon); `None` when malformed. What [`Tile::decode`] does for each feature.
    pub fn decode(kind: i32, commands: &[u32]) -> Option<Geometry> {
        decode_geometry(kind, commands)
    }
}

const MOVE_TO: u32 = 1;
const LINE_TO: u32 = 2;
const CLOSE_PATH: u32 = 7;

/// Runs the command stream (spec 4.3) and groups the result by geometry type. `None` for any
/// malformed stream: unknown command, missing parameters, a ring or line too short.
fn decode_geometry(kind: i32, commands: &[u32]) -> Option<Geometry> {
    let mut paths: Vec<Vec<Point>> = Vec::new();
    let mut closed: Vec<bool> = Vec::new();
    let mut cursor = (0i64, 0i64);
    let mut i = 0;
    while i < commands.len() {
        let (id, count) = (commands[i] & 0x7, (commands[i] >> 3) as usize);
        i += 1;
        match id {
            MOVE_TO | LINE_TO => {
                if count == 0 || commands.len() - i < count * 2 {
                    return None;
                }
                for pair in commands[i..i + count * 2].chunks_exact(2) {
                    cursor.0 += zigzag(pair[0]);
                    cursor.1 += zigzag(pair[1]);
                    let point = [cursor.0 as f32, cursor.1 as f32];
                    if id == MOVE_TO {
                        paths.push(vec![point]);
                        closed.push(false);
                    } else {
                        paths.last_mut()?.push(point);
                    }
                }
                i += count * 2;
            }
            CLOSE_PATH => {
                *closed.last_mut()? = true;
            }
            _ => return None,
        }
    }
    match kind {
        1 => {
            let points: Vec<Point> = paths.into_iter().flatten().collect();
            (!points.is_empty()).then_some(Geometry::Points(points))
        }
        2 => {
            let ok = !paths.is_empty() && paths.iter().all(|p| p.len() >= 2);
            ok.then_some(Geometry::Lines(paths))
        }
        3 => polygons(paths, &closed).map(Geometry::Polygons),
        _ => None,
    }
}

/// Groups closed rings into polygons: a ring with the exterior's winding starts a polygon, the
/// others are its holes (spec 4.3.4.4). Zero-area rings are dropped.
fn polygons(rings: Vec<Vec<Point>>, closed: &[bool]) -> Option<Vec<Vec<Vec<Point>>>> {
    if rings.is_empty() || closed.iter().any(|c| !c) || rings.iter().any(|r| r.len() < 3) {
        return None;
    }
    let mut out: Vec<Vec<Vec<Point>>> = Vec::new();
    let mut exterior_sign = 0.0f64;
    for ring in rings {
        let area = signed_area(&ring);
        if area == 0.0 {
            continue;
        }
        // Positive area is the exterior in the spec; a tile whose first ring is negative has its
        // windings flipped, so follow the first ring rather than dropping the feature.
        if exterior_sign == 0.0 {
            exterior_sign = area.signum();
        }
        if area.signum() == exterior_sign || out.is_empty() {
            out.push(vec![ring]);
        } else if let Some(polygon) = out.last_mut() {
            polygon.push(ring);
        }
    }
    (!out.is_empty()).then_some(out)
}

/// Twice the ring's signed area by the surveyor's formula: positive is clockwise with y down.
pub fn signed_area(ring: &[Point]) -> f64 {
    let n = ring.len();
    (0..n)
        .map(|i| {
            let (a, b) = (ring[i], ring[(i + 1) % n]);
            f64::from(a[0]) * f64::from(b[1]) - f64::from(b[0]) * f64::from(a[1])
        })
        .sum()
}

fn zigzag(n: u32) -> i64 {
    i64::from(n >> 1) ^ -i64::from(n & 1)
}

#[cfg(test)]
mod tests;
