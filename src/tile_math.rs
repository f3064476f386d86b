//! Web Mercator tile maths: tile coordinates, URL templates, where a place falls in a tile, and
//! hit-testing decoded vector tile features (what a click selects).

use crate::math::mercator_y;
use crate::mvt::{Feature, Geometry, Layer, Point};

/// Leaflet's tile size in CSS pixels.
pub const TILE_SIZE: f64 = 256.0;

/// Spherical Mercator's latitude limit: the map is square up to here.
pub const MAX_LATITUDE: f64 = 85.051_128_779_806_59;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct TileCoord {
    pub z: u32,
    pub x: u32,
    pub y: u32,
}

impl TileCoord {
    /// A tile from possibly unwrapped coordinates (Leaflet repeats the world sideways): x wraps
    /// around, y outside the world is `None`. Zoom is limited to 30 so 2^z fits.
    pub fn wrapped(z: u32, x: i64, y: i64) -> Option<TileCoord> {
        if z > 30 {
            return None;
        }
        let n = 1i64 << z;
        if !(0..n).contains(&y) {
            return None;
        }
        Some(TileCoord {
            z,
            x: x.rem_euclid(n) as u32,
            y: y as u32,
        })
    }

    /// Fills `{z}`, `{x}`, `{y}` and `{-y}` (TMS row) in a URL template.
    pub fn url(&self, template: &str) -> String {
        self.url_in(template, &TileUrlOptions::default())
    }

    /// The tile's URL from a Leaflet template: `{z}`, `{x}`, `{y}`, `{-y}` (TMS rows), `{s}` (one
    /// of the subdomains, by `|x + y|` as Leaflet picks it, so a tile always has the same URL)
    /// and `{r}` (`@2x` on a high-density screen).
    pub fn url_in(&self, template: &str, options: &TileUrlOptions) -> String {
        let tms_y = (1u64 << self.z) - 1 - u64::from(self.y);
        let subdomain = match options.subdomains.len() {
            0 => "",
            n => options.subdomains[(self.x as usize + self.y as usize) % n].as_str(),
        };
        template
            .replace("{z}", &self.z.to_string())
            .replace("{x}", &self.x.to_string())
            .replace("{-y}", &tms_y.to_string())
            .replace("{y}", &self.y.to_string())
            .replace("{s}", subdomain)
            .replace("{r}", if options.retina { "@2x" } else { "" })
    }
}

/// What a tile URL template is filled with besides the tile's coordinates.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TileUrlOptions {
    /// Values for `{s}` (Leaflet's default: a, b, c).
    pub subdomains: Vec<String>,
    /// Whether `{r}` is `@2x`: the screen has more than one device pixel per CSS pixel.
    pub retina: bool,
}

impl TileUrlOptions {
    /// Leaflet's defaults: subdomains a, b and c.
    pub fn leaflet(subdomains: Option<&[String]>, retina: bool) -> Self {
        let default = ["a", "b", "c"].map(String::from);
        TileUrlOptions {
            subdomains: subdomains.unwrap_or(&default).to_vec(),
            retina,
        }
    }
}

/// The tile URL template of a source on a tile server such as Martin:
/// `{base}/{source}/{z}/{x}/{y}`, plus the query (e.g. a function source's `min_pop=…`).
pub fn source_template(base_url: &str, source: &str, query: &str) -> String {
    let base = base_url.trim_end_matches('/');
    let mut template = format!("{base}/{source}/{{z}}/{{x}}/{{y}}");
    if !query.is_empty() {
        template.push('?');
        template.push_str(query.trim_start_matches('?'));
    }
    template
}

/// The tiles Leaflet's GridLayer asks for to fill a `width`×`height` pixel map centred on
/// (`lat`, `lng`) at zoom `zoom` with 256 px tiles: the same range and order as Leaflet 1.9
/// (`_getTiledPixelBounds`, `_pxBoundsToTileRange`, nearest the centre first). `x` is unwrapped,
/// as Leaflet asks (the world repeats sideways); rows outside the world are left out.
pub fn covering(lat: f64, lng: f64, zoom: f64, width: f64, height: f64) -> Vec<(u32, i64, i64)> {
    // Whole zooms only (a fractional zoom scales the nearest zoom's tiles; not worth guessing).
    if ![lat, lng, zoom, width, height]
        .iter()
        .all(|v| v.is_finite())
        || zoom.fract() != 0.0
        || !(0.0..=30.0).contains(&zoom)
    {
        return Vec::new();
    }
    let z = zoom as u32;
    let world = TILE_SIZE * f64::from(1u32 << z);
    let center_x = ((lng + 180.0) / 360.0 * world).floor();
    let center_y = (mercator_y(lat) * world).floor();
    let (half_w, half_h) = (width / 2.0, height / 2.0);
    let min_x = ((center_x - half_w) / TILE_SIZE).floor() as i64;
    let min_y = ((center_y - half_h) / TILE_SIZE).floor() as i64;
    let max_x = ((center_x + half_w) / TILE_SIZE).ceil() as i64 - 1;
    let max_y = ((center_y + half_h) / TILE_SIZE).ceil() as i64 - 1;
    let rows = 1i64 << z;
    let mut tiles: Vec<(u32, i64, i64)> = (min_y.max(0)..=max_y.min(rows - 1))
        .flat_map(|y| (min_x..=max_x).map(move |x| (z, x, y)))
        .collect();
    // Nearest the range's centre first, as Leaflet sorts them (twice the coordinates, so the
    // centre is a whole number; then row by row, as Leaflet's stable sort leaves ties).
    let (mid_x2, mid_y2) = (min_x + max_x, min_y + max_y);
    tiles.sort_unstable_by_key(|&(_, x, y)| {
        ((2 * x - mid_x2).pow(2) + (2 * y - mid_y2).pow(2), y, x)
    });
    tiles
}

/// The tile at zoom `z` that holds a place, and where in it (0..1 across, 0..1 down).
pub fn locate(lat: f64, lng: f64, z: u32) -> Option<(TileCoord, [f64; 2])> {
    if !lat.is_finite() || !lng.is_finite() || z > 30 {
        return None;
    }
    let n = f64::from(1u32 << z);
    let fx = (lng + 180.0) / 360.0 * n;
    let fy = mercator_y(lat) * n;
    // The world's bottom edge belongs to the last row.
    let (tx, ty) = (fx.floor(), fy.floor().min(n - 1.0));
    let tile = TileCoord::wrapped(z, tx as i64, ty as i64)?;
    Some((tile, [fx - tx, fy - ty]))
}

/// Where a point of a tile (in `extent` units) is: (latitude, longitude). [`locate`] undone.
pub fn tile_point(coord: TileCoord, extent: u32, point: Point) -> (f64, f64) {
    let n = f64::from(1u32 << coord.z);
    let across = (f64::from(coord.x) + f64::from(point[0]) / f64::from(extent)) / n;
    let down = (f64::from(coord.y) + f64::from(point[1]) / f64::from(extent)) / n;
    (crate::math::mercator_lat(down), across * 360.0 - 180.0)
}

/// The feature drawn on top at `at` (tile units of `layer`): points within `tolerance` of their
/// centre, lines within `tolerance`, polygons containing the point. Later features are drawn over
/// earlier ones, so they are tried first.
pub fn hit(layer: &Layer, at: Point, tolerance: f32) -> Option<&Feature> {
    layer
        .features
        .iter()
        .rev()
        .find(|feature| match &feature.geometry {
            Geometry::Points(points) => points.iter().any(|p| distance(*p, at) <= tolerance),
            Geometry::Lines(lines) => lines.iter().any(|line| {
                line.windows(2)
                    .any(|s| segment_distance(at, s[0], s[1]) <= tolerance)
            }),
            Geometry::Polygons(polygons) => polygons.iter().any(|rings| contains(rings, at)),
        })
}

/// Even-odd containment over all rings: inside the exterior and outside every hole.
pub fn contains(rings: &[Vec<Point>], at: Point) -> bool {
    let mut inside = false;
    for ring in rings {
        let n = ring.len();
        for i in 0..n {
            inside ^= crosses(ring[i], ring[(i + 1) % n], at);
        }
    }
    inside
}

/// Whether the edge a-b crosses the ray from `at` to the right (even-odd containment counts
/// these).
pub fn crosses(a: Point, b: Point, at: Point) -> bool {
    (a[1] > at[1]) != (b[1] > at[1])
        && at[0] < a[0] + (at[1] - a[1]) / (b[1] - a[1]) * (b[0] - a[0])
}

pub fn distance(a: Point, b: Point) -> f32 {
    let (dx, dy) = (a[0] - b[0], a[1] - b[1]);
    (dx * dx + dy * dy).sqrt()
}

/// How far `p` is from the segment a-b.
pub fn segment_distance(p: Point, a: Point, b: Point) -> f32 {
    let (dx, dy) = (b[0] - a[0], b[1] - a[1]);
    let length_squared = dx * dx + dy * dy;
    if length_squared == 0.0 {
        return distance(p, a);
    }
    let t = (((p[0] - a[0]) * dx + (p[1] - a[1]) * dy) / length_squared).clamp(0.0, 1.0);
    distance(p, [a[0] + t * dx, a[1] + t * dy])
}

/// Whether a point (tile units) is inside the tile grown by `margin` on each side: what a tile
/// draws of the features in its buffer.
pub fn within(point: Point, extent: u32, margin: f32) -> bool {
    let max = extent as f32 + margin;
    (-margin..=max).contains(&point[0]) && (-margin..=max).contains(&point[1])
}

/// Whether two boxes (left, top, right, bottom) overlap: labels that would are left out.
pub fn overlaps(a: &[f64; 4], b: &[f64; 4]) -> bool {
    a[0] < b[2] && b[0] < a[2] && a[1] < b[3] && b[1] < a[3]
}

#[cfg(test)]
mod tests {
    #[test]
    fn a_tile_point_is_where_locate_found_it() {
        for (lat, lng, z) in [
            (48.8566, 2.3522, 8),
            (-33.87, 151.21, 3),
            (0.0, 0.0, 0),
            (64.1, -21.9, 12),
        ] {
            let (tile, [fx, fy]) = super::locate(lat, lng, z).unwrap();
            let extent = 4096;
            let point = [(fx * 4096.0) as f32, (fy * 4096.0) as f32];
            let (back_lat, back_lng) = super::tile_point(tile, extent, point);
            // One tile unit: 1/4096 of the tile.
            let unit = 360.0 / f64::from(1u32 << z) / 4096.0;
            assert!((back_lng - lng).abs() <= unit * 1.5, "{lng} -> {back_lng}");
            assert!((back_lat - lat).abs() <= unit * 1.5, "{lat} -> {back_lat}");
        }
        let top_left = super::tile_point(super::TileCoord { z: 1, x: 1, y: 1 }, 4096, [0.0, 0.0]);
        assert_eq!(top_left, (0.0, 0.0));
    }

    #[test]
    fn covering_matches_what_leaflet_asks_for() {
        // The default view (zoom 2 over [20, 0]) on a 1280×800 map: 6 columns (the 4 of the world
        // and one repeated on each side) by all 4 rows, as Leaflet requested them in the browser.
        let tiles = super::covering(20.0, 0.0, 2.0, 1280.0, 800.0);
        assert_eq!(tiles.len(), 24);
        assert!(tiles
            .iter()
            .all(|&(z, x, y)| z == 2 && (-1..=4).contains(&x) && (0..=3).contains(&y)));
        assert_eq!(
            &tiles[..2],
            &[(2, 1, 1), (2, 2, 1)],
            "nearest the centre first"
        );
        // Zoom 5 over Paris on a phone: a 2×3 block, nothing outside the world.
        let tiles = super::covering(48.85, 2.35, 5.0, 390.0, 844.0);
        assert!(tiles.contains(&(5, 16, 11)), "{tiles:?}");
        assert!(tiles.len() <= 3 * 5);
        // At the top of the world only existing rows are asked for.
        assert!(super::covering(85.0, 0.0, 1.0, 1000.0, 1000.0)
            .iter()
            .all(|t| (0..2).contains(&t.2)));
        assert!(super::covering(f64::NAN, 0.0, 1.0, 100.0, 100.0).is_empty());
        assert!(super::covering(0.0, 0.0, 99.0, 100.0, 100.0).is_empty());
    }

    use super::*;

    /// Issue 13: `{s}` and `{r}` in tiles the app fetches, filled as Leaflet fills them.
    #[test]
    fn subdomains_and_retina_fill_the_template_as_leaflet_does() {
        let template = "https://{s}.tile.example.org/{z}/{x}/{y}{r}.png";
        let options = TileUrlOptions::leaflet(None, true);
        let url = |z, x, y| TileCoord { z, x, y }.url_in(template, &options);
        // Leaflet: subdomains[|x + y| % 3].
        assert_eq!(url(3, 4, 2), "https://a.tile.example.org/3/4/2@2x.png");
        assert_eq!(url(3, 4, 3), "https://b.tile.example.org/3/4/3@2x.png");
        assert_eq!(url(3, 5, 3), "https://c.tile.example.org/3/5/3@2x.png");
        let own = TileUrlOptions::leaflet(Some(&["t1".to_owned(), "t2".to_owned()]), false);
        assert_eq!(
            TileCoord { z: 1, x: 1, y: 0 }.url_in(template, &own),
            "https://t2.tile.example.org/1/1/0.png"
        );
    }
    use crate::mvt::Tile;

    #[test]
    fn wraps_x_and_rejects_rows_outside_the_world() {
        assert_eq!(
            TileCoord::wrapped(2, -1, 1),
            Some(TileCoord { z: 2, x: 3, y: 1 })
        );
        assert_eq!(
            TileCoord::wrapped(2, 5, 0),
            Some(TileCoord { z: 2, x: 1, y: 0 })
        );
        assert_eq!(TileCoord::wrapped(2, 0, 4), None);
        assert_eq!(TileCoord::wrapped(2, 0, -1), None);
        assert_eq!(TileCoord::wrapped(31, 0, 0), None);
    }

    #[test]
    fn fills_url_templates_including_tms_rows() {
        let tile = TileCoord { z: 3, x: 4, y: 2 };
        assert_eq!(
            tile.url("tiles/countries/{z}/{x}/{y}"),
            "tiles/countries/3/4/2"
        );
        assert_eq!(tile.url("/t/{z}/{x}/{-y}.png"), "/t/3/4/5.png");
    }

    #[test]
    fn builds_source_templates_with_queries() {
        assert_eq!(
            source_template("tiles/", "places", ""),
            "tiles/places/{z}/{x}/{y}"
        );
        assert_eq!(
            source_template("https://t.example/tiles", "places", ""),
            "https://t.example/tiles/places/{z}/{x}/{y}"
        );
        assert_eq!(
            source_template("tiles", "countries_by_population", "min_pop=100000000"),
            "tiles/countries_by_population/{z}/{x}/{y}?min_pop=100000000"
        );
    }

    #[test]
    fn locates_places_in_their_tiles() {
        // Berlin at z3 is in tile 4/2 (Martin's countries-3-4-2 fixture covers central Europe).
        let (tile, [fx, fy]) = locate(52.52, 13.40, 3).expect("inside the world");
        assert_eq!(tile, TileCoord { z: 3, x: 4, y: 2 });
        assert!((0.0..1.0).contains(&fx) && (0.0..1.0).contains(&fy));
        assert_eq!(
            locate(0.0, 0.0, 0).map(|(t, _)| t),
            Some(TileCoord { z: 0, x: 0, y: 0 })
        );
        let (_, centre) = locate(0.0, 0.0, 0).expect("inside");
        assert!((centre[0] - 0.5).abs() < 1e-9 && (centre[1] - 0.5).abs() < 1e-9);
        // The poles clamp to the map's edge instead of producing infinities.
        assert_eq!(
            locate(90.0, 179.9, 1).map(|(t, _)| t),
            Some(TileCoord { z: 1, x: 1, y: 0 })
        );
        assert_eq!(
            locate(-90.0, 0.0, 1).map(|(t, _)| t),
            Some(TileCoord { z: 1, x: 1, y: 1 })
        );
        assert_eq!(locate(f64::NAN, 0.0, 1), None);
    }

    fn fixture(name: &str) -> Tile {
        let path = format!("{}/tests/fixtures/mvt/{name}", env!("CARGO_MANIFEST_DIR"));
        Tile::decode(&std::fs::read(path).expect("fixture")).expect("Martin's tile decodes")
    }

    fn name_at(tile: &Tile, layer: &str, lat: f64, lng: f64, z: u32) -> Option<String> {
        let layer = tile.layer(layer)?;
        let (_, [fx, fy]) = locate(lat, lng, z)?;
        let extent = layer.extent as f64;
        let feature = hit(layer, [(fx * extent) as f32, (fy * extent) as f32], 64.0)?;
        Some(feature.property("name")?.to_string())
    }

    #[test]
    fn clicks_select_the_country_under_them_in_a_martin_tile() {
        let tile = fixture("countries-3-4-2.mvt");
        assert_eq!(
            name_at(&tile, "countries", 52.52, 13.40, 3).as_deref(),
            Some("Germany")
        );
        assert_eq!(
            name_at(&tile, "countries", 48.85, 2.35, 3).as_deref(),
            Some("France")
        );
        assert_eq!(
            name_at(&tile, "countries", 41.9, 12.5, 3).as_deref(),
            Some("Italy")
        );
        // The North Sea is no country.
        assert_eq!(name_at(&tile, "countries", 56.0, 3.0, 3), None);
        let world = fixture("countries-0-0-0.mvt");
        assert_eq!(
            name_at(&world, "countries", -25.0, 134.0, 0).as_deref(),
            Some("Australia")
        );
        // Lesotho is a hole in South Africa's polygon: a click there selects Lesotho, not both.
        assert_eq!(
            name_at(&world, "countries", -29.5, 28.2, 0).as_deref(),
            Some("Lesotho")
        );
        // Lesotho is drawn after South Africa, so the click above would pass even if holes were
        // ignored: South Africa's own shape must not contain Lesotho, and must contain Pretoria.
        let layer = world.layer("countries").expect("countries");
        let south_africa = layer
            .features
            .iter()
            .find(|f| f.property("name").map(|v| v.to_string()).as_deref() == Some("South Africa"))
            .expect("in the tile");
        let Geometry::Polygons(polygons) = &south_africa.geometry else {
            panic!("a country is polygons")
        };
        let at = |lat: f64, lng: f64| {
            let (_, [fx, fy]) = locate(lat, lng, 0).expect("on the map");
            [
                (fx * f64::from(layer.extent)) as f32,
                (fy * f64::from(layer.extent)) as f32,
            ]
        };
        assert!(
            !polygons
                .iter()
                .any(|rings| contains(rings, at(-29.5, 28.2))),
            "Lesotho is a hole in South Africa"
        );
        assert!(
            polygons
                .iter()
                .any(|rings| contains(rings, at(-25.7, 28.2))),
            "Pretoria is in South Africa"
        );
    }

    #[test]
    fn clicks_select_places_within_the_tolerance() {
        let tile = fixture("places-3-4-2.mvt");
        let layer = tile.layer("places").expect("places layer");
        let rome = layer
            .features
            .iter()
            .find(|f| f.property("name").map(|v| v.to_string()).as_deref() == Some("Rome"))
            .expect("Rome is in tile 3/4/2");
        let Geometry::Points(points) = &rome.geometry else {
            panic!("a place is a point")
        };
        let at = points[0];
        assert_eq!(
            hit(layer, [at[0] + 10.0, at[1]], 16.0)
                .and_then(|f| f.property("name"))
                .map(|v| v.to_string())
                .as_deref(),
            Some("Rome")
        );
        assert!(hit(layer, [at[0] + 100.0, at[1] + 100.0], 16.0)
            .is_none_or(|f| f.property("name") != rome.property("name")));
    }

    #[test]
    fn polygon_containment_respects_holes_and_lines_their_tolerance() {
        let square = vec![[0.0, 0.0], [10.0, 0.0], [10.0, 10.0], [0.0, 10.0]];
        let hole = vec![[4.0, 4.0], [4.0, 6.0], [6.0, 6.0], [6.0, 4.0]];
        assert!(contains(std::slice::from_ref(&square), [5.0, 5.0]));
        assert!(!contains(&[square.clone(), hole], [5.0, 5.0]));
        assert!(!contains(&[square], [11.0, 5.0]));
        assert!((segment_distance([5.0, 3.0], [0.0, 0.0], [10.0, 0.0]) - 3.0).abs() < 1e-6);
        assert!((segment_distance([15.0, 0.0], [0.0, 0.0], [10.0, 0.0]) - 5.0).abs() < 1e-6);
        assert_eq!(
            segment_distance([1.0, 1.0], [0.0, 0.0], [0.0, 0.0]),
            2f32.sqrt()
        );
    }

    #[test]
    fn label_boxes_overlap_only_when_they_share_area() {
        let a = [0.0, 0.0, 10.0, 10.0];
        assert!(overlaps(&a, &[5.0, 5.0, 15.0, 15.0]));
        assert!(
            !overlaps(&a, &[10.0, 0.0, 20.0, 10.0]),
            "touching edges do not overlap"
        );
        assert!(!overlaps(&a, &[0.0, 11.0, 10.0, 20.0]));
    }

    #[test]
    fn buffer_margins_decide_what_a_tile_draws() {
        assert!(within([-10.0, 4100.0], 4096, 64.0));
        assert!(!within([-100.0, 10.0], 4096, 64.0));
        assert!(within([0.0, 0.0], 4096, 0.0));
    }
}
