//! `GET /api/search?q=&limit=&bbox=`: the request's parameters checked (pure, tested natively)
//! and the one SQL statement that answers it, with bound parameters only.

use crate::error::ApiError;

/// Characters of `q` at most: names are short, and a trigram search of a long text is slow.
pub const MAX_QUERY_CHARS: usize = 100;
pub const DEFAULT_LIMIT: i64 = 10;
pub const MAX_LIMIT: i64 = 50;

/// A checked search request.
#[derive(Debug, Clone, PartialEq)]
pub struct SearchParams {
    /// The text searched for, trimmed.
    pub q: String,
    pub limit: i64,
    /// Only results inside `[west, south, east, north]` (degrees), if given.
    pub bbox: Option<[f64; 4]>,
}

impl SearchParams {
    /// Checks the query string's pairs (as decoded): every problem is a 400 naming the parameter.
    pub fn from_pairs(pairs: &[(String, String)]) -> Result<SearchParams, ApiError> {
        let mut q = None;
        let mut limit = None;
        let mut bbox = None;
        for (key, value) in pairs {
            let slot = match key.as_str() {
                "q" => &mut q,
                "limit" => &mut limit,
                "bbox" => &mut bbox,
                other => {
                    return Err(ApiError::bad_request(
                        "unknown_parameter",
                        format!(
                            "unknown parameter \"{}\"; expected q, limit or bbox",
                            clip(other)
                        ),
                    ))
                }
            };
            if slot.replace(value.as_str()).is_some() {
                return Err(ApiError::bad_request(
                    "repeated_parameter",
                    format!("\"{key}\" is given more than once"),
                ));
            }
        }
        let q = q.map(str::trim).unwrap_or_default();
        if q.is_empty() {
            return Err(ApiError::bad_request(
                "missing_q",
                "q is required: the name to search for, e.g. ?q=lisbon",
            ));
        }
        let chars = q.chars().count();
        if chars > MAX_QUERY_CHARS {
            return Err(ApiError::bad_request(
                "q_too_long",
                format!("q is {chars} characters long; at most {MAX_QUERY_CHARS}"),
            ));
        }
        if q.chars().any(char::is_control) {
            return Err(ApiError::bad_request(
                "q_control_characters",
                "q must not contain control characters",
            ));
        }
        let limit = match limit {
            None => DEFAULT_LIMIT,
            Some(text) => match text.trim().parse::<i64>() {
                Ok(n) if (1..=MAX_LIMIT).contains(&n) => n,
                _ => {
                    return Err(ApiError::bad_request(
                        "bad_limit",
                        format!(
                            "limit must be a whole number from 1 to {MAX_LIMIT}, got \"{}\"",
                            clip(text)
                        ),
                    ))
                }
            },
        };
        let bbox = bbox.map(parse_bbox).transpose()?;
        Ok(SearchParams {
            q: q.to_owned(),
            limit,
            bbox,
        })
    }
}

/// `west,south,east,north` in degrees, west ≤ east, south ≤ north.
fn parse_bbox(text: &str) -> Result<[f64; 4], ApiError> {
    let bad = |why: &str| {
        ApiError::bad_request(
            "bad_bbox",
            format!(
                "bbox must be west,south,east,north in degrees ({why}), got \"{}\"",
                clip(text)
            ),
        )
    };
    let numbers: Vec<f64> = text
        .split(',')
        .map(|part| part.trim().parse::<f64>())
        .collect::<Result<_, _>>()
        .map_err(|_| bad("four numbers"))?;
    let [west, south, east, north] = numbers[..] else {
        return Err(bad("four numbers"));
    };
    if !numbers.iter().all(|n| n.is_finite()) {
        return Err(bad("finite numbers"));
    }
    if !(-180.0..=180.0).contains(&west) || !(-180.0..=180.0).contains(&east) {
        return Err(bad("longitudes from -180 to 180"));
    }
    if !(-90.0..=90.0).contains(&south) || !(-90.0..=90.0).contains(&north) {
        return Err(bad("latitudes from -90 to 90"));
    }
    if west > east || south > north {
        return Err(bad("west ≤ east and south ≤ north"));
    }
    Ok([west, south, east, north])
}

/// At most 40 characters of a value echoed in a message.
fn clip(text: &str) -> String {
    let mut out: String = text.chars().take(40).collect();
    if text.chars().count() > 40 {
        out.push('…');
    }
    out
}

/// The search as one statement returning the GeoJSON FeatureCollection as text. Parameters: $1 the
/// text, $2 the limit, $3..$6 the box (NULL for none). Matches by trigram similarity of the
/// unaccented, lower-cased names (`search_key`, db/prepare.sql) or by prefix; ranked by prefix
/// match first, then similarity, then countries before places of equal score, then name.
pub const SEARCH_SQL: &str = r#"
WITH query AS (
  SELECT key,
         -- A prefix pattern with LIKE's own characters (\, %, _) taken literally.
         replace(replace(replace(key, '\', '\\'), '%', '\%'), '_', '\_') || '%' AS prefix
  FROM (SELECT public.search_key($1::text) AS key) typed
),
candidates AS (
  SELECT 'place' AS kind, p.name, p.geom AS point, similarity(public.search_key(p.name), query.key) AS score,
         public.search_key(p.name) LIKE query.prefix AS prefix, 1 AS kind_order
  FROM places p, query
  WHERE public.search_key(p.name) % query.key OR public.search_key(p.name) LIKE query.prefix
  UNION ALL
  SELECT 'country', c.name, ST_PointOnSurface(c.geom), similarity(public.search_key(c.name), query.key),
         public.search_key(c.name) LIKE query.prefix, 0
  FROM countries c, query
  WHERE public.search_key(c.name) % query.key OR public.search_key(c.name) LIKE query.prefix
),
ranked AS (
  SELECT * FROM candidates
  WHERE $3::float8 IS NULL
     OR ST_Intersects(point, ST_MakeEnvelope($3::float8, $4::float8, $5::float8, $6::float8, 4326))
  ORDER BY prefix DESC, score DESC, kind_order, name
  LIMIT $2::int8
)
SELECT json_build_object(
  'type', 'FeatureCollection',
  'features', coalesce(json_agg(json_build_object(
    'type', 'Feature',
    'geometry', ST_AsGeoJSON(point, 6)::json,
    'properties', json_build_object('name', name, 'kind', kind, 'score', round(score::numeric, 3))
  ) ORDER BY prefix DESC, score DESC, kind_order, name), '[]'::json)
)::text
FROM ranked
"#;

#[cfg(test)]
mod tests {
    use super::*;

    fn params(pairs: &[(&str, &str)]) -> Result<SearchParams, ApiError> {
        let owned: Vec<(String, String)> = pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        SearchParams::from_pairs(&owned)
    }

    fn code_of(pairs: &[(&str, &str)]) -> &'static str {
        params(pairs).expect_err("refused").code
    }

    #[test]
    fn a_plain_query_gets_the_defaults() {
        assert_eq!(
            params(&[("q", "  lisbn ")]),
            Ok(SearchParams {
                q: "lisbn".into(),
                limit: DEFAULT_LIMIT,
                bbox: None
            })
        );
        assert_eq!(
            params(&[("q", "São Tomé"), ("limit", "3"), ("bbox", "-10, 35, 5,45")]),
            Ok(SearchParams {
                q: "São Tomé".into(),
                limit: 3,
                bbox: Some([-10.0, 35.0, 5.0, 45.0])
            })
        );
    }

    #[test]
    fn bad_input_is_refused_with_a_reason() {
        assert_eq!(code_of(&[]), "missing_q");
        assert_eq!(code_of(&[("q", "   ")]), "missing_q");
        assert_eq!(code_of(&[("q", &"x".repeat(101))]), "q_too_long");
        assert!(
            params(&[("q", &"é".repeat(100))]).is_ok(),
            "characters, not bytes"
        );
        assert_eq!(code_of(&[("q", "a\u{0}b")]), "q_control_characters");
        for limit in ["0", "51", "-1", "ten", "1.5", ""] {
            assert_eq!(
                code_of(&[("q", "x"), ("limit", limit)]),
                "bad_limit",
                "{limit}"
            );
        }
        for bbox in [
            "1,2,3",
            "a,b,c,d",
            "10,0,-10,5",
            "0,10,5,0",
            "-190,0,0,1",
            "0,-91,1,0",
            "NaN,0,1,1",
            "inf,0,1,1",
        ] {
            assert_eq!(code_of(&[("q", "x"), ("bbox", bbox)]), "bad_bbox", "{bbox}");
        }
        assert_eq!(code_of(&[("q", "x"), ("q", "y")]), "repeated_parameter");
        assert_eq!(code_of(&[("q", "x"), ("sql", "drop")]), "unknown_parameter");
        let message = params(&[("q", "x"), ("limit", "99")]).unwrap_err().message;
        assert_eq!(
            message,
            "limit must be a whole number from 1 to 50, got \"99\""
        );
        let long = params(&[("q", "x"), ("bbox", &"9".repeat(200))])
            .unwrap_err()
            .message;
        assert!(long.len() < 150 && long.ends_with("…\""), "{long}");
    }
}
