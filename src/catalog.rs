//! Martin's `/catalog`: which tile sources the tile server offers, with their display names and
//! attribution (set in the database as table comments, see db/prepare.sql).

use crate::json::Json;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CatalogSource {
    /// The id in tile URLs: `{tiles.url}/{id}/{z}/{x}/{y}`.
    pub id: String,
    /// The display name, or the id when the server gives none.
    pub name: String,
    pub attribution: String,
    pub kind: TileKind,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TileKind {
    Vector,
    Raster,
}

/// What the catalog offers, ordered by name, and the sources left out (with why).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Catalog {
    pub sources: Vec<CatalogSource>,
    pub skipped: Vec<String>,
}

/// Parses the catalog's JSON: `{"tiles": {"<id>": {"content_type": …, "name"?, "attribution"?}}}`.
pub fn parse(text: &str) -> Result<Catalog, String> {
    let value = Json::parse(text).map_err(|e| format!("the tile catalog is not JSON: {e}"))?;
    let Some(tiles) = value.get("tiles").and_then(Json::as_object) else {
        return Err(
            "the tile catalog has no \"tiles\" object (is the tile URL pointing at Martin?)".into(),
        );
    };
    let mut catalog = Catalog::default();
    for (id, entry) in tiles {
        let text_of = |key: &str| {
            entry
                .get(key)
                .and_then(Json::as_str)
                .map(str::trim)
                .filter(|s| !s.is_empty())
        };
        let content_type = text_of("content_type").unwrap_or("");
        let kind = match content_type {
            "application/x-protobuf" | "application/vnd.mapbox-vector-tile" => TileKind::Vector,
            "image/png" | "image/jpeg" | "image/webp" | "image/avif" => TileKind::Raster,
            other => {
                catalog.skipped.push(format!(
                    "{id} ({} tiles cannot be drawn)",
                    if other.is_empty() { "untyped" } else { other }
                ));
                continue;
            }
        };
        if id.is_empty() || id.contains(['/', '?', '#', '{', '}']) {
            catalog
                .skipped
                .push(format!("\"{id}\" (not usable in a tile URL)"));
            continue;
        }
        catalog.sources.push(CatalogSource {
            id: id.clone(),
            name: text_of("name").unwrap_or(id).to_owned(),
            attribution: text_of("attribution").unwrap_or("").to_owned(),
            kind,
        });
    }
    catalog
        .sources
        .sort_by(|a, b| a.name.cmp(&b.name).then_with(|| a.id.cmp(&b.id)));
    Ok(catalog)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// What Martin 1.14 answered for this project's martin/config.yaml and db/prepare.sql.
    const MARTIN: &str = r#"{"tiles":{"countries_by_population":{"content_type":"application/x-protobuf","name":"Countries by population","description":"Countries with pop_est >= ?min_pop","attribution":"Natural Earth"},"countries":{"content_type":"application/x-protobuf","name":"Countries","description":"Natural Earth 1:110m admin-0 countries","attribution":"Natural Earth"},"places":{"content_type":"application/x-protobuf","name":"Populated places","description":"Natural Earth populated places","attribution":"Natural Earth"}},"settings":{}}"#;

    #[test]
    fn reads_martins_catalog_in_name_order() {
        let catalog = parse(MARTIN).expect("parses");
        let names: Vec<(&str, &str)> = catalog
            .sources
            .iter()
            .map(|s| (s.id.as_str(), s.name.as_str()))
            .collect();
        assert_eq!(
            names,
            vec![
                ("countries", "Countries"),
                ("countries_by_population", "Countries by population"),
                ("places", "Populated places")
            ]
        );
        assert!(catalog
            .sources
            .iter()
            .all(|s| s.kind == TileKind::Vector && s.attribution == "Natural Earth"));
        assert!(catalog.skipped.is_empty());
    }

    #[test]
    fn names_default_to_ids_and_unusable_sources_are_listed() {
        let catalog = parse(
            r#"{"tiles": {
            "roads": {"content_type": "application/x-protobuf"},
            "ortho": {"content_type": "image/jpeg", "name": "  "},
            "fonts": {"content_type": "application/x-font"},
            "odd/id": {"content_type": "image/png"}
        }}"#,
        )
        .expect("parses");
        let ids: Vec<(&str, &str, TileKind)> = catalog
            .sources
            .iter()
            .map(|s| (s.id.as_str(), s.name.as_str(), s.kind))
            .collect();
        assert_eq!(
            ids,
            vec![
                ("ortho", "ortho", TileKind::Raster),
                ("roads", "roads", TileKind::Vector)
            ]
        );
        assert_eq!(catalog.skipped.len(), 2);
        assert!(catalog
            .skipped
            .iter()
            .any(|s| s.contains("application/x-font")));
    }

    #[test]
    fn bad_catalogs_are_errors_with_a_hint() {
        assert!(parse("<html>").unwrap_err().contains("not JSON"));
        assert!(parse(r#"{"tilejson": "3.0.0"}"#)
            .unwrap_err()
            .contains("pointing at Martin"));
        assert!(parse(r#"{"tiles": []}"#).is_err());
        assert_eq!(parse(r#"{"tiles": {}}"#), Ok(Catalog::default()));
    }
}
