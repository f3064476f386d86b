//! The map view in the URL fragment, `#zoom/lat/lng` as openstreetmap.org writes it
//! (`#map=zoom/lat/lng` is read too), so a shared link opens the same view.

use crate::math::fixed;

/// A map view: centre and zoom.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct View {
    pub zoom: f64,
    pub lat: f64,
    pub lng: f64,
}

/// Why a fragment was not a view. The app ignores such a fragment and uses the configured view.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum HashError {
    Empty,
    /// Not three `/`-separated parts.
    Shape,
    /// A part is not a finite number.
    NotANumber(&'static str),
    OutOfRange(&'static str),
}

impl std::fmt::Display for HashError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            HashError::Empty => write!(f, "no view in the URL"),
            HashError::Shape => write!(f, "the URL fragment is not #zoom/lat/lng"),
            HashError::NotANumber(part) => write!(f, "the {part} in the URL is not a number"),
            HashError::OutOfRange(part) => write!(f, "the {part} in the URL is out of range"),
        }
    }
}

/// Parses a fragment (with or without `#`). `zoom_range` is the map's allowed zoom.
/// Longitudes outside ±180 are wrapped, as panning across the antimeridian produces them.
pub fn parse(fragment: &str, zoom_range: (f64, f64)) -> Result<View, HashError> {
    let body = fragment.strip_prefix('#').unwrap_or(fragment);
    let body = body.strip_prefix("map=").unwrap_or(body);
    if body.is_empty() {
        return Err(HashError::Empty);
    }
    let parts: Vec<&str> = body.split('/').collect();
    let [zoom, lat, lng] = parts[..] else {
        return Err(HashError::Shape);
    };
    let zoom = number(zoom, "zoom")?;
    let lat = number(lat, "latitude")?;
    let lng = number(lng, "longitude")?;
    if zoom < zoom_range.0 || zoom > zoom_range.1 {
        return Err(HashError::OutOfRange("zoom"));
    }
    if !(-90.0..=90.0).contains(&lat) {
        return Err(HashError::OutOfRange("latitude"));
    }
    Ok(View {
        zoom,
        lat,
        lng: wrap_lng(lng),
    })
}

fn number(text: &str, part: &'static str) -> Result<f64, HashError> {
    // Rust's parser also takes "inf" and "NaN"; neither is a position.
    text.trim()
        .parse::<f64>()
        .ok()
        .filter(|n| n.is_finite())
        .ok_or(HashError::NotANumber(part))
}

/// Wraps a longitude into [-180, 180).
pub fn wrap_lng(lng: f64) -> f64 {
    if (-180.0..180.0).contains(&lng) {
        lng
    } else {
        (lng + 180.0).rem_euclid(360.0) - 180.0
    }
}

/// Formats a view as `#zoom/lat/lng`, with as many decimals as the zoom makes visible
/// (the same rule openstreetmap.org uses), so links stay short and stable.
pub fn format(view: &View) -> String {
    let zoom = fixed(view.zoom, 2);
    let zoom = zoom.trim_end_matches('0').trim_end_matches('.');
    // ceil(log2(zoom)) decimals, with integer arithmetic (no log2 in the wasm), of the zoom as
    // written: 1.001 is written "1", and must get 1's precision, or the link changes when read
    // back (found by fuzzing).
    let shown = zoom.parse::<f64>().unwrap_or(view.zoom);
    let precision = if shown >= 1.0 {
        32 - (shown.ceil() as u32 - 1).leading_zeros()
    } else {
        0
    };
    format!(
        "#{zoom}/{}/{}",
        fixed(view.lat, precision),
        fixed_lng(view.lng, precision)
    )
}

/// A longitude in [-180, 180) after rounding too: 179.999 at one decimal is -180.0, not 180.0
/// (which would read back as -180.0 and change the link on reload).
fn fixed_lng(lng: f64, precision: u32) -> String {
    let text = fixed(wrap_lng(lng), precision);
    match text.parse::<f64>() {
        Ok(rounded) if rounded >= 180.0 => fixed(rounded - 360.0, precision),
        _ => text,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const ZOOMS: (f64, f64) = (0.0, 18.0);

    /// Found by the view_hash fuzz target: a longitude that rounds up to 180 is written as -180,
    /// so the link reads back as itself.
    #[test]
    fn a_longitude_rounding_to_180_is_written_as_minus_180() {
        let view = parse("#+2/-89.999/179.999", ZOOMS).unwrap();
        let text = format(&view);
        assert_eq!(text, "#2/-90.0/-180.0");
        assert_eq!(format(&parse(&text, ZOOMS).unwrap()), text);
    }

    #[test]
    fn parses_osm_style_fragments() {
        assert_eq!(
            parse("#5/48.1/11.6", ZOOMS),
            Ok(View {
                zoom: 5.0,
                lat: 48.1,
                lng: 11.6
            })
        );
        assert_eq!(
            parse("5/48.1/11.6", ZOOMS),
            Ok(View {
                zoom: 5.0,
                lat: 48.1,
                lng: 11.6
            })
        );
        assert_eq!(
            parse("#map=12/-33.86/151.2", ZOOMS),
            Ok(View {
                zoom: 12.0,
                lat: -33.86,
                lng: 151.2
            })
        );
        assert_eq!(
            parse("#2.5/0/0", ZOOMS),
            Ok(View {
                zoom: 2.5,
                lat: 0.0,
                lng: 0.0
            })
        );
    }

    #[test]
    fn rejects_malformed_fragments() {
        assert_eq!(parse("", ZOOMS), Err(HashError::Empty));
        assert_eq!(parse("#", ZOOMS), Err(HashError::Empty));
        assert_eq!(parse("#5/48.1", ZOOMS), Err(HashError::Shape));
        assert_eq!(parse("#5/48.1/11.6/3", ZOOMS), Err(HashError::Shape));
        assert_eq!(
            parse("#five/48.1/11.6", ZOOMS),
            Err(HashError::NotANumber("zoom"))
        );
        assert_eq!(
            parse("#5/NaN/11.6", ZOOMS),
            Err(HashError::NotANumber("latitude"))
        );
        assert_eq!(
            parse("#5/1/inf", ZOOMS),
            Err(HashError::NotANumber("longitude"))
        );
        assert_eq!(
            parse("#5//1", ZOOMS),
            Err(HashError::NotANumber("latitude"))
        );
        assert_eq!(parse("#section-2", ZOOMS), Err(HashError::Shape));
    }

    #[test]
    fn rejects_out_of_range_values() {
        assert_eq!(parse("#19/0/0", ZOOMS), Err(HashError::OutOfRange("zoom")));
        assert_eq!(parse("#-1/0/0", ZOOMS), Err(HashError::OutOfRange("zoom")));
        assert_eq!(
            parse("#3/90.5/0", ZOOMS),
            Err(HashError::OutOfRange("latitude"))
        );
        assert_eq!(
            parse("#3/-91/0", ZOOMS),
            Err(HashError::OutOfRange("latitude"))
        );
        assert_eq!(
            parse("#3/0/0", (4.0, 10.0)),
            Err(HashError::OutOfRange("zoom"))
        );
    }

    #[test]
    fn wraps_longitude() {
        assert_eq!(parse("#3/10/190", ZOOMS).unwrap().lng, -170.0);
        assert_eq!(parse("#3/10/-540", ZOOMS).unwrap().lng, -180.0);
        assert_eq!(wrap_lng(179.5), 179.5);
        assert_eq!(wrap_lng(180.0), -180.0);
        assert!((wrap_lng(725.25) - 5.25).abs() < 1e-9);
    }

    #[test]
    fn formats_with_zoom_dependent_precision() {
        assert_eq!(
            format(&View {
                zoom: 0.0,
                lat: 12.345,
                lng: -67.89
            }),
            "#0/12/-68"
        );
        assert_eq!(
            format(&View {
                zoom: 2.0,
                lat: 12.345,
                lng: -67.89
            }),
            "#2/12.3/-67.9"
        );
        assert_eq!(
            format(&View {
                zoom: 5.0,
                lat: 48.13743,
                lng: 11.57549
            }),
            "#5/48.137/11.575"
        );
        assert_eq!(
            format(&View {
                zoom: 16.0,
                lat: 48.137431,
                lng: 11.575492
            }),
            "#16/48.1374/11.5755"
        );
        assert_eq!(
            format(&View {
                zoom: 3.5,
                lat: 1.0,
                lng: 2.0
            }),
            "#3.5/1.00/2.00"
        );
    }

    #[test]
    fn a_zoom_written_rounded_gets_the_precision_of_what_is_written() {
        // Found by fuzzing: "#1.001/-5/0" was written "#1/-5.0/0.0", read back and written "#1/-5/0".
        let view = parse("#1.001/-5/0", ZOOMS).unwrap();
        let text = format(&view);
        assert_eq!(text, "#1/-5/0");
        assert_eq!(format(&parse(&text, ZOOMS).unwrap()), text);
    }

    #[test]
    fn never_writes_negative_zero() {
        assert_eq!(
            format(&View {
                zoom: 0.0,
                lat: -0.2,
                lng: -0.3
            }),
            "#0/0/0"
        );
        assert_eq!(
            format(&View {
                zoom: 2.0,
                lat: -0.01,
                lng: -0.04
            }),
            "#2/0.0/0.0"
        );
    }

    #[test]
    fn format_then_parse_round_trips() {
        for view in [
            View {
                zoom: 3.0,
                lat: 51.5,
                lng: -0.125,
            },
            View {
                zoom: 10.0,
                lat: -33.8688,
                lng: 151.2093,
            },
            View {
                zoom: 1.25,
                lat: 0.0,
                lng: 179.9,
            },
        ] {
            let text = format(&view);
            let back = parse(&text, ZOOMS).unwrap();
            assert_eq!(format(&back), text, "{view:?}");
            assert_eq!(back.zoom, view.zoom);
        }
    }
}
