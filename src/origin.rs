//! Which requests are first-party, and so may carry the version header.
//!
//! A custom header on a cross-origin request forces a CORS preflight and tells a third party which
//! experiment the user is in, so the header goes only to the page's own origin and to the origins
//! the config lists (the operator's own tile or API hosts).

use crate::web_url::{Origin, UrlError, WebUrl};

/// The set of origins that count as first-party for one map.
#[derive(Debug, Clone)]
pub struct FirstParty {
    page: WebUrl,
    origins: Vec<Origin>,
}

impl FirstParty {
    /// `page` is the document's base URL; relative request URLs resolve against it.
    pub fn new(page: &str, extra_origins: &[String]) -> Result<Self, UrlError> {
        let page = WebUrl::parse(page)?;
        let origins = page
            .origin()
            .into_iter()
            .chain(
                extra_origins
                    .iter()
                    .filter_map(|o| WebUrl::parse(o).ok()?.origin()),
            )
            .collect();
        Ok(Self { page, origins })
    }

    /// Resolves a possibly relative URL against the page.
    pub fn resolve(&self, url: &str) -> Result<WebUrl, UrlError> {
        self.page.join(url)
    }

    /// True when `url` (absolute or relative to the page) is on a first-party origin.
    /// `data:`, `blob:` and other opaque origins never are.
    pub fn contains(&self, url: &str) -> bool {
        self.resolve(url)
            .ok()
            .and_then(|target| target.origin())
            .is_some_and(|origin| self.origins.contains(&origin))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn first_party(extra: &[&str]) -> FirstParty {
        let extra: Vec<String> = extra.iter().map(|s| s.to_string()).collect();
        FirstParty::new("https://maps.example.com/app/index.html", &extra).unwrap()
    }

    #[test]
    fn relative_and_same_origin_urls_are_first_party() {
        let fp = first_party(&[]);
        assert!(fp.contains("config.json"));
        assert!(fp.contains("/tiles/countries/1/0/0"));
        assert!(fp.contains("../data/x.geojson"));
        assert!(fp.contains("https://maps.example.com/api"));
        assert!(
            fp.contains("https://maps.example.com:443/api"),
            "default port is the same origin"
        );
    }

    #[test]
    fn other_origins_are_third_party() {
        let fp = first_party(&[]);
        assert!(!fp.contains("https://tile.openstreetmap.org/1/0/0.png"));
        assert!(
            !fp.contains("http://maps.example.com/api"),
            "scheme differs"
        );
        assert!(
            !fp.contains("https://maps.example.com:8443/api"),
            "port differs"
        );
        assert!(!fp.contains("https://evil.maps.example.com.attacker.net/"));
        assert!(
            !fp.contains("https://sub.maps.example.com/"),
            "subdomains are other origins"
        );
        assert!(
            !fp.contains("//cdn.example.org/x.js"),
            "scheme-relative to another host"
        );
    }

    #[test]
    fn opaque_and_unparseable_urls_are_never_first_party() {
        let fp = first_party(&[]);
        assert!(!fp.contains("data:application/json,{}"));
        assert!(!fp.contains("blob:https://maps.example.com/1234"));
        assert!(!fp.contains("http://[::1"));
    }

    #[test]
    fn configured_origins_are_first_party() {
        let fp = first_party(&[
            "https://tiles.example.com",
            "http://127.0.0.1:3000/ignored/path",
        ]);
        assert!(fp.contains("https://tiles.example.com/countries/0/0/0"));
        assert!(fp.contains("http://127.0.0.1:3000/x"));
        assert!(!fp.contains("http://127.0.0.1:3001/x"));
        assert!(!fp.contains("http://tiles.example.com/x"));
    }
}
