//! Which features drawn on canvases (vector tiles, points and their clusters, live objects) the
//! keyboard reaches, and in what order. A canvas has no element per feature, so the map puts a
//! focusable stand-in over each of a few features in view: the ones nearest the middle of the
//! map, in reading order (row by row, left to right), each once however many tiles or world
//! copies show it.

use crate::json::Json;
use crate::math::mercator_y;
use crate::tile_math::TILE_SIZE;

/// The features in view that get a stand-in at most: enough to reach what is around the middle
/// of the map with Tab, few enough that Tab still gets past the map quickly.
pub const TAB_STOPS: usize = 40;

/// How far from the map's edges a stand-in's place must be (CSS px): its focus ring must show.
pub const FOCUS_INSET: f64 = 12.0;

/// A feature the keyboard can reach: where it is (map container pixels and degrees), which
/// feature it is (the same key is the same feature) and what a screen reader says for it.
#[derive(Debug, Clone, PartialEq)]
pub struct Target {
    pub x: f64,
    pub y: f64,
    pub lat: f64,
    pub lng: f64,
    /// The layer it is on (its name): a click on the stand-in is a click on that layer only.
    pub layer: String,
    pub key: String,
    pub label: String,
}

/// The map's view: its centre, zoom and size in CSS pixels. Projects places to container pixels
/// as Leaflet does (Web Mercator, 256 px tiles), on the world copy nearest the centre.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ViewBox {
    pub lat: f64,
    pub lng: f64,
    pub zoom: f64,
    pub width: f64,
    pub height: f64,
}

impl ViewBox {
    fn world(&self) -> f64 {
        TILE_SIZE * 2f64.powf(self.zoom)
    }

    /// The view's projection worked out once, for placing many things.
    pub fn projector(&self) -> Projector {
        let world = self.world();
        Projector {
            world,
            centre: (
                (self.lng + 180.0) / 360.0 * world,
                mercator_y(self.lat) * world,
            ),
            half: (self.width / 2.0, self.height / 2.0),
            zoom: self.zoom,
        }
    }

    fn centre_px(&self) -> (f64, f64) {
        self.projector().centre
    }

    /// A place's container pixel, on the copy of the world nearest the centre.
    pub fn project(&self, lat: f64, lng: f64) -> (f64, f64) {
        self.projector().project(lat, lng)
    }

    /// A pixel of the world at zoom `z` (x unwrapped), as a container pixel: for what is placed
    /// on tiles of that zoom.
    pub fn project_world(&self, z: u32, wx: f64, wy: f64) -> (f64, f64) {
        self.projector().project_world(z, wx, wy)
    }

    /// The place at a container pixel (degrees, longitude on the centre's world copy).
    pub fn unproject(&self, x: f64, y: f64) -> (f64, f64) {
        let world = self.world();
        let (cx, cy) = self.centre_px();
        let (wx, wy) = (cx + x - self.width / 2.0, cy + y - self.height / 2.0);
        let lng = wx / world * 360.0 - 180.0;
        (crate::math::mercator_lat((wy / world).clamp(0.0, 1.0)), lng)
    }

    /// Whether a container pixel is on the map, `inset` pixels or more from its edges (a
    /// stand-in half outside would be cut off, its focus ring unseen).
    pub fn shows(&self, x: f64, y: f64, inset: f64) -> bool {
        x >= inset && y >= inset && x <= self.width - inset && y <= self.height - inset
    }

    fn distance_from_centre(&self, target: &Target) -> f64 {
        (target.x - self.width / 2.0).hypot(target.y - self.height / 2.0)
    }
}

/// [`ViewBox`]'s projection: Leaflet's (Web Mercator, 256 px tiles) for one view.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Projector {
    world: f64,
    centre: (f64, f64),
    half: (f64, f64),
    zoom: f64,
}

impl Projector {
    /// A place's container pixel, on the copy of the world nearest the centre.
    pub fn project(&self, lat: f64, lng: f64) -> (f64, f64) {
        let x = (lng + 180.0) / 360.0 * self.world;
        let y = mercator_y(lat) * self.world;
        self.place(x, y)
    }

    /// A pixel of the world at zoom `z` (x unwrapped) as a container pixel.
    pub fn project_world(&self, z: u32, wx: f64, wy: f64) -> (f64, f64) {
        let scale = 2f64.powf(self.zoom - f64::from(z));
        self.place(wx * scale, wy * scale)
    }

    fn place(&self, x: f64, y: f64) -> (f64, f64) {
        let world = self.world;
        let dx = (x - self.centre.0 + world / 2.0).rem_euclid(world) - world / 2.0;
        (dx + self.half.0, y - self.centre.1 + self.half.1)
    }
}

/// Keeps the `limit` targets nearest the centre, each key once (its copy nearest the centre).
pub fn nearest(view: &ViewBox, mut targets: Vec<Target>, limit: usize) -> Vec<Target> {
    targets.retain(|t| t.x.is_finite() && t.y.is_finite());
    let order = ascending(targets.iter().map(|t| view.distance_from_centre(t)));
    let mut slots: Vec<Option<Target>> = targets.into_iter().map(Some).collect();
    // A few dozen kept: a look through them is cheaper (in time and code) than a hash set.
    let mut kept: Vec<Target> = Vec::with_capacity(limit);
    for at in order {
        if kept.len() == limit {
            break;
        }
        let Some(target) = slots.get_mut(at as usize).and_then(Option::take) else {
            continue;
        };
        if !kept.iter().any(|k| k.key == target.key) {
            kept.push(target);
        }
    }
    kept
}

/// The positions of `keys` (finite, 1/16 apart or more to count as different) from the smallest
/// to the largest, equal ones in their order. Every order this module needs goes through the
/// points' radix sort: a comparison sort per element type would cost the bundle kilobytes each.
fn ascending(keys: impl Iterator<Item = f64>) -> Vec<u32> {
    let keys: Vec<f64> = keys.collect();
    let least = keys.iter().copied().fold(f64::INFINITY, f64::min);
    let mut items: Vec<(u64, u32)> = keys
        .iter()
        .enumerate()
        .map(|(i, &key)| (((key - least) * 16.0) as u64, i as u32))
        .collect();
    let most = items.iter().map(|&(key, _)| key).max().unwrap_or(0);
    crate::points::radix_sort(&mut items, most);
    items.into_iter().map(|(_, i)| i).collect()
}

/// Properties that name a feature, in the order they are tried.
pub const NAME_PROPERTIES: [&str; 5] = ["name", "NAME", "Name", "title", "label"];

/// What a screen reader says for a feature of layer `layer`: its tooltip property (the one the
/// layer shows on hover) or its name, else "Feature"; then the layer, e.g. "Berlin, Places".
pub fn feature_label(properties: &Json, tooltip: Option<&str>, layer: &str) -> String {
    let name = tooltip
        .into_iter()
        .chain(NAME_PROPERTIES)
        .find_map(|key| crate::geojson::property_text(properties, key))
        .unwrap_or_else(|| "Feature".to_owned());
    format!("{name}, {layer}")
}

/// What a screen reader says for a cluster of `count` points of layer `layer`.
pub fn cluster_label(count: u32, layer: &str) -> String {
    format!(
        "Cluster of {} points, {layer}",
        crate::cluster::count_label(count)
    )
}

/// Of many places (container pixels, and a number that says what each is), the `limit` nearest
/// the centre that are in view, without sorting them all: a layer of a million points gives its
/// nearest few cheaply, and names only those.
pub fn nearest_places(
    view: &ViewBox,
    mut places: Vec<(f64, f64, u64)>,
    limit: usize,
) -> Vec<(f64, f64, u64)> {
    places.retain(|&(x, y, _)| view.shows(x, y, FOCUS_INSET));
    let (cx, cy) = (view.width / 2.0, view.height / 2.0);
    ascending(places.iter().map(|p| (p.0 - cx).hypot(p.1 - cy)))
        .into_iter()
        .take(limit)
        .filter_map(|at| places.get(at as usize).copied())
        .collect()
}

/// The height of a row of reading order: targets whose tops are this close read left to right.
const ROW: f64 = 32.0;

/// The targets a map's keyboard stops at: the nearest `limit` to the centre, in reading order.
pub fn tab_order(view: &ViewBox, targets: Vec<Target>, limit: usize) -> Vec<Target> {
    let chosen = nearest(view, targets, limit);
    // Row, then across: rows are whole numbers of ROW px, x within a row is below 2^20 px.
    let order = ascending(
        chosen
            .iter()
            .map(|t| (t.y / ROW).floor() * 1_048_576.0 + t.x.clamp(0.0, 1_048_575.0)),
    );
    let mut slots: Vec<Option<Target>> = chosen.into_iter().map(Some).collect();
    order
        .into_iter()
        .filter_map(|at| slots.get_mut(at as usize).and_then(Option::take))
        .collect()
}

/// A point inside a polygon (its exterior ring first, then holes), in the ring's units: the
/// middle of the widest stretch inside it along the horizontal line through the middle of its
/// bounding box. Unlike the box's centre, this is inside a C or a ring-shaped area too. `None`
/// for a polygon with no area.
pub fn interior_point(rings: &[Vec<[f32; 2]>]) -> Option<[f32; 2]> {
    let exterior = rings.first()?;
    let (mut top, mut bottom) = (f32::INFINITY, f32::NEG_INFINITY);
    for p in exterior {
        top = top.min(p[1]);
        bottom = bottom.max(p[1]);
    }
    // No height (or no points; NaN never compares greater).
    if (bottom - top).partial_cmp(&0.0) != Some(std::cmp::Ordering::Greater) {
        return None;
    }
    // Half way down, nudged off any vertex's exact height so no edge is crossed at its end.
    let mut y = (top + bottom) / 2.0;
    if rings.iter().flatten().any(|p| p[1] == y) {
        y += (bottom - top) * 1e-3;
    }
    let mut crossings: Vec<f32> = Vec::new();
    for ring in rings {
        for (i, a) in ring.iter().enumerate() {
            let b = ring[(i + 1) % ring.len()];
            if (a[1] > y) != (b[1] > y) {
                crossings.push(a[0] + (y - a[1]) / (b[1] - a[1]) * (b[0] - a[0]));
            }
        }
    }
    let crossings: Vec<f32> = ascending(crossings.iter().map(|&x| f64::from(x)))
        .into_iter()
        .filter_map(|at| crossings.get(at as usize).copied())
        .collect();
    crossings
        .chunks_exact(2)
        .max_by(|a, b| (a[1] - a[0]).total_cmp(&(b[1] - b[0])))
        .filter(|pair| pair[1] > pair[0])
        .map(|pair| [(pair[0] + pair[1]) / 2.0, y])
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tile_math::contains;

    fn view() -> ViewBox {
        ViewBox {
            lat: 0.0,
            lng: 0.0,
            zoom: 2.0,
            width: 800.0,
            height: 600.0,
        }
    }

    fn target(view: &ViewBox, key: &str, lat: f64, lng: f64) -> Target {
        let (x, y) = view.project(lat, lng);
        Target {
            x,
            y,
            lat,
            lng,
            layer: "Layer".into(),
            key: key.into(),
            label: key.into(),
        }
    }

    #[test]
    fn projects_as_leaflet_does() {
        let v = view();
        // The centre is the middle of the map; at zoom 2 the world is 1024 px wide.
        assert_eq!(v.project(0.0, 0.0), (400.0, 300.0));
        let (x, _) = v.project(0.0, 90.0);
        assert!((x - 656.0).abs() < 1e-9, "{x}");
        // A place past the antimeridian is shown on the copy nearest the centre.
        let w = ViewBox { lng: 170.0, ..v };
        let (east, _) = w.project(0.0, -170.0);
        let (here, _) = w.project(0.0, 170.0);
        assert!(
            (east - here - 1024.0 * 20.0 / 360.0).abs() < 1e-6,
            "{east} {here}"
        );
        // And back.
        let (lat, lng) = v.unproject(656.0, 300.0);
        assert!(lat.abs() < 1e-9 && (lng - 90.0).abs() < 1e-9, "{lat} {lng}");
        let (lat, _) = v.unproject(400.0, 150.0);
        let (_, y) = v.project(lat, 0.0);
        assert!((y - 150.0).abs() < 1e-6);
    }

    #[test]
    fn projects_tile_pixels_of_other_zooms() {
        let v = view();
        // The world's middle at zoom 4 (4096 px wide) is the map's middle at zoom 2.
        assert_eq!(v.project_world(4, 2048.0, 2048.0), (400.0, 300.0));
        // A pixel of the next world copy to the east is the same place.
        let (x, y) = v.project_world(4, 2048.0 + 4096.0 + 512.0, 2048.0);
        assert!(
            (x - 528.0).abs() < 1e-9 && (y - 300.0).abs() < 1e-9,
            "{x} {y}"
        );
    }

    #[test]
    fn keeps_the_nearest_each_once_in_reading_order() {
        let v = view();
        let targets = vec![
            target(&v, "far", 60.0, 150.0),
            target(&v, "right", 0.0, 20.0),
            target(&v, "left", 0.0, -20.0),
            target(&v, "above", 30.0, 1.0),
            // The same feature again (another tile shows it), farther out: counted once.
            target(&v, "right", 10.0, 40.0),
        ];
        let order = tab_order(&v, targets, 3);
        let keys: Vec<&str> = order.iter().map(|t| t.key.as_str()).collect();
        assert_eq!(keys, ["above", "left", "right"]);
        // The copy kept is the one nearest the centre.
        assert_eq!(order[2].lat, 0.0);
    }

    #[test]
    fn shows_only_what_is_inside_the_map() {
        let v = view();
        assert!(v.shows(400.0, 300.0, 12.0));
        assert!(!v.shows(5.0, 300.0, 12.0));
        assert!(!v.shows(400.0, 595.0, 12.0));
        let bad = Target {
            x: f64::NAN,
            ..target(&v, "nan", 0.0, 0.0)
        };
        assert!(nearest(&v, vec![bad], 5).is_empty());
    }

    #[test]
    fn labels_name_the_feature_and_its_layer() {
        let properties = Json::Object(vec![
            ("NAME".into(), Json::String("Chişinău".into())),
            ("pop".into(), Json::Number(532513.0)),
        ]);
        assert_eq!(
            feature_label(&properties, None, "Places"),
            "Chişinău, Places"
        );
        assert_eq!(
            feature_label(&properties, Some("pop"), "Places"),
            "532513, Places"
        );
        assert_eq!(
            feature_label(&Json::Null, Some("pop"), "Places"),
            "Feature, Places"
        );
        assert_eq!(
            cluster_label(1234, "Shops"),
            "Cluster of 1.2k points, Shops"
        );
    }

    #[test]
    fn nearest_places_keeps_the_nearest_in_view() {
        let v = view();
        let places: Vec<(f64, f64, u64)> = vec![
            (400.0, 300.0, 0),
            (900.0, 300.0, 1),
            (420.0, 310.0, 2),
            (100.0, 100.0, 3),
            (401.0, 299.0, 4),
        ];
        let mut kept: Vec<u64> = nearest_places(&v, places.clone(), 3)
            .into_iter()
            .map(|p| p.2)
            .collect();
        kept.sort_unstable();
        assert_eq!(kept, [0, 2, 4]);
        // Fewer in view than the limit: all of them, the one off the map left out.
        assert_eq!(nearest_places(&v, places, 10).len(), 4);
    }

    #[test]
    fn interior_points_are_inside() {
        // A C: its bounding box's centre (5, 5) is in the gap.
        let c = vec![vec![
            [0.0, 0.0],
            [10.0, 0.0],
            [10.0, 2.0],
            [2.0, 2.0],
            [2.0, 8.0],
            [10.0, 8.0],
            [10.0, 10.0],
            [0.0, 10.0],
        ]];
        let p = interior_point(&c).expect("has area");
        assert!(contains(&c, p), "{p:?}");
        assert!(!contains(&c, [5.0, 5.0]));
        // A square with a hole in the middle: the point is in the square, not the hole.
        let holed = vec![
            vec![[0.0, 0.0], [12.0, 0.0], [12.0, 12.0], [0.0, 12.0]],
            vec![[3.0, 3.0], [9.0, 3.0], [9.0, 9.0], [3.0, 9.0]],
        ];
        let p = interior_point(&holed).expect("has area");
        assert!(contains(&holed, p), "{p:?}");
        // A vertex exactly half way down does not confuse the crossings.
        let diamond = vec![vec![[5.0, 0.0], [10.0, 5.0], [5.0, 10.0], [0.0, 5.0]]];
        let p = interior_point(&diamond).expect("has area");
        assert!(contains(&diamond, p), "{p:?}");
        // Nothing for a flat polygon or none.
        assert_eq!(
            interior_point(&[vec![[0.0, 1.0], [5.0, 1.0], [9.0, 1.0]]]),
            None
        );
        assert_eq!(interior_point(&[]), None);
    }
}
