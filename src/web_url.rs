//! The little of URL handling the app needs: resolving a reference against a base, and the
//! origin (scheme, host, port) of an http(s) URL, the way browsers (WHATWG URL) do for them.
//!
//! Written out instead of the `url` crate: that crate carries the Unicode IDNA tables, which made
//! up about a third of the wasm, for hosts this app never has to convert. A host that is not
//! ASCII has no origin here (so it never counts as first-party); write it in its `xn--` form.
//! Nothing is percent-encoded or decoded: tile templates (`{z}`, even `{s}` in a host) pass
//! through unchanged, and the browser encodes what it fetches.

/// An absolute URL split into its parts. `host` is lower-cased and `port` is `None` for the
/// scheme's default port, so two URLs of the same origin compare equal part by part.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WebUrl {
    scheme: String,
    /// `Some` for URLs with an authority (`scheme://…`), `None` for `data:`, `mailto:` and the like.
    authority: Option<Authority>,
    path: String,
    query: Option<String>,
    fragment: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
struct Authority {
    userinfo: Option<String>,
    host: String,
    port: Option<u16>,
}

/// `scheme://host[:port]` of an http(s) URL.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Origin {
    pub scheme: String,
    pub host: String,
    /// `None` for the scheme's default port.
    pub port: Option<u16>,
}

impl std::fmt::Display for Origin {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}://{}", self.scheme, self.host)?;
        match self.port {
            Some(port) => write!(f, ":{port}"),
            None => Ok(()),
        }
    }
}

/// Why a string is not a usable URL.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum UrlError {
    /// A relative reference where an absolute URL is needed.
    Relative,
    /// `http://` or `https://` without a host.
    NoHost,
    /// A port that is not a number from 0 to 65535.
    BadPort,
    /// An IPv6 address without its closing `]`.
    BadIpv6,
    /// A host with a character no host may have (a space, `:`, `[`, `<`, a control character …).
    BadHost,
}

impl std::fmt::Display for UrlError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            UrlError::Relative => "relative URL without a base",
            UrlError::NoHost => "empty host",
            UrlError::BadPort => "invalid port number",
            UrlError::BadIpv6 => "invalid IPv6 address",
            UrlError::BadHost => "invalid character in the host name",
        })
    }
}

fn is_special(scheme: &str) -> bool {
    matches!(scheme, "http" | "https" | "ws" | "wss" | "ftp" | "file")
}

fn default_port(scheme: &str) -> Option<u16> {
    match scheme {
        "http" | "ws" => Some(80),
        "https" | "wss" => Some(443),
        "ftp" => Some(21),
        _ => None,
    }
}

/// What browsers strip before parsing: leading and trailing C0 controls and spaces, and every
/// tab and newline.
fn clean(input: &str) -> String {
    input
        .trim_matches(|c: char| c <= ' ')
        .chars()
        .filter(|c| !matches!(c, '\t' | '\n' | '\r'))
        .collect()
}

/// The scheme of a URL (lower-cased), or `None` for a relative reference: how a browser reads it
/// (`data:x`, `JavaScript:alert(1)` and ` https://x` all have one).
pub fn scheme(url: &str) -> Option<String> {
    split_scheme(&clean(url)).map(|(scheme, _)| scheme)
}

/// The scheme, if `input` starts with one (`letter (letter | digit | + - .)* :`).
fn split_scheme(input: &str) -> Option<(String, &str)> {
    let colon = input.find(':')?;
    let scheme = &input[..colon];
    let mut chars = scheme.chars();
    let first = chars.next()?;
    if !first.is_ascii_alphabetic()
        || !chars.all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.'))
    {
        return None;
    }
    Some((scheme.to_ascii_lowercase(), &input[colon + 1..]))
}

/// Splits off `#fragment` and `?query`.
fn split_tail(input: &str) -> (&str, Option<String>, Option<String>) {
    let (rest, fragment) = match input.find('#') {
        Some(i) => (&input[..i], Some(input[i + 1..].to_owned())),
        None => (input, None),
    };
    match rest.find('?') {
        Some(i) => (&rest[..i], Some(rest[i + 1..].to_owned()), fragment),
        None => (rest, None, fragment),
    }
}

fn parse_authority(text: &str, scheme: &str) -> Result<Authority, UrlError> {
    let (userinfo, host_port) = match text.rfind('@') {
        Some(i) => (Some(text[..i].to_owned()), &text[i + 1..]),
        None => (None, text),
    };
    let (host, port_text) = if let Some(inner) = host_port.strip_prefix('[') {
        let end = inner.find(']').ok_or(UrlError::BadIpv6)?;
        let after = &inner[end + 1..];
        let port = match after {
            "" => None,
            _ => Some(after.strip_prefix(':').ok_or(UrlError::BadIpv6)?),
        };
        (format!("[{}]", inner[..end].to_ascii_lowercase()), port)
    } else {
        match host_port.rfind(':') {
            Some(i) => (
                host_port[..i].to_ascii_lowercase(),
                Some(&host_port[i + 1..]),
            ),
            None => (host_port.to_ascii_lowercase(), None),
        }
    };
    let port = match port_text {
        None | Some("") => None,
        Some(digits) => {
            if !digits.bytes().all(|b| b.is_ascii_digit()) {
                return Err(UrlError::BadPort);
            }
            let port: u16 = digits.trim_start_matches('0').parse().or_else(|_| {
                if digits.bytes().all(|b| b == b'0') {
                    Ok(0)
                } else {
                    Err(UrlError::BadPort)
                }
            })?;
            (Some(port) != default_port(scheme)).then_some(port)
        }
    };
    if host.is_empty() && is_special(scheme) && scheme != "file" {
        return Err(UrlError::NoHost);
    }
    // What browsers refuse in a host (WHATWG "forbidden host code points"; `%` is left to the
    // browser, which decodes it); an IPv6 host was checked for its brackets above. Such a host
    // would be written out as a different URL (found by the web_url fuzz target).
    let forbidden = |c: char| c <= ' ' || c == '\u{7f}' || "#/:<>?@[\\]^|".contains(c);
    if !host.starts_with('[') && host.contains(forbidden) {
        return Err(UrlError::BadHost);
    }
    Ok(Authority {
        userinfo,
        host,
        port,
    })
}

/// Removes `.` and `..` segments (RFC 3986 5.2.4), as browsers do, also percent-encoded ones.
fn remove_dot_segments(path: &str) -> String {
    let mut out: Vec<&str> = Vec::new();
    let segments: Vec<&str> = path.split('/').collect();
    let last = segments.len().saturating_sub(1);
    for (i, segment) in segments.iter().enumerate() {
        let lower = segment.to_ascii_lowercase();
        let dot = matches!(lower.as_str(), "." | "%2e");
        let dot_dot = matches!(lower.as_str(), ".." | ".%2e" | "%2e." | "%2e%2e");
        if i == 0 {
            // The part before the first '/' (empty for an absolute path).
            out.push(segment);
            continue;
        }
        if dot_dot {
            if out.len() > 1 {
                out.pop();
            }
            if i == last {
                out.push("");
            }
        } else if dot {
            if i == last {
                out.push("");
            }
        } else {
            out.push(segment);
        }
    }
    let joined = out.join("/");
    if joined.is_empty() && path.starts_with('/') {
        "/".to_owned()
    } else {
        joined
    }
}

impl WebUrl {
    /// Parses an absolute URL.
    pub fn parse(input: &str) -> Result<WebUrl, UrlError> {
        let input = clean(input);
        let (scheme, rest) = split_scheme(&input).ok_or(UrlError::Relative)?;
        let special = is_special(&scheme);
        let rest = if special {
            rest.replace('\\', "/")
        } else {
            rest.to_owned()
        };
        let (before, query, fragment) = split_tail(&rest);
        let (authority, path) = if scheme == "file" {
            // file: has a host only after exactly `//` (file:///x has an empty one); without,
            // everything is path.
            let (host, path) = match before.strip_prefix("//") {
                Some(after) => after.split_at(after.find('/').unwrap_or(after.len())),
                None => ("", before),
            };
            let path = if path.starts_with('/') {
                path.to_owned()
            } else {
                format!("/{path}")
            };
            (
                Some(parse_authority(host, &scheme)?),
                remove_dot_segments(&path),
            )
        } else if special {
            // Other special schemes take any number of slashes before the host.
            let stripped = before.trim_start_matches('/');
            let end = stripped.find('/').unwrap_or(stripped.len());
            let authority = parse_authority(&stripped[..end], &scheme)?;
            let path = if end == stripped.len() {
                "/".to_owned()
            } else {
                remove_dot_segments(&stripped[end..])
            };
            (Some(authority), path)
        } else if let Some(after) = before.strip_prefix("//") {
            let end = after.find('/').unwrap_or(after.len());
            (
                Some(parse_authority(&after[..end], &scheme)?),
                remove_dot_segments(&after[end..]),
            )
        } else {
            (None, before.to_owned())
        };
        Ok(WebUrl {
            scheme,
            authority,
            path,
            query,
            fragment,
        })
    }

    /// Resolves `reference` (absolute, scheme-relative, absolute-path, relative, `?query` or
    /// `#fragment`) against this URL.
    pub fn join(&self, reference: &str) -> Result<WebUrl, UrlError> {
        let reference = clean(reference);
        if let Some((scheme, rest)) = split_scheme(&reference) {
            // `http:foo` relative to an http base is a relative reference in browsers.
            let relative_same_scheme =
                scheme == self.scheme && is_special(&scheme) && !rest.starts_with(['/', '\\']);
            if !relative_same_scheme {
                return WebUrl::parse(&reference);
            }
            return self.join(rest);
        }
        let special = is_special(&self.scheme);
        let reference = if special {
            reference.replace('\\', "/")
        } else {
            reference
        };
        if self.authority.is_none() && !reference.starts_with('#') {
            // `data:` and other URLs without a hierarchy have nothing to be relative to.
            return Err(UrlError::Relative);
        }
        if reference.starts_with("//") {
            return WebUrl::parse(&format!("{}:{reference}", self.scheme));
        }
        let (before, query, fragment) = split_tail(&reference);
        let mut url = self.clone();
        url.fragment = fragment;
        if before.is_empty() {
            // "" and "#f" keep the base's query; "?q" replaces it.
            url.query = if reference.starts_with('?') {
                query
            } else {
                self.query.clone()
            };
            return Ok(url);
        }
        url.query = query;
        url.path = if before.starts_with('/') {
            remove_dot_segments(before)
        } else {
            let directory = match self.path.rfind('/') {
                Some(i) => &self.path[..=i],
                None => "/",
            };
            remove_dot_segments(&format!("{directory}{before}"))
        };
        Ok(url)
    }

    pub fn scheme(&self) -> &str {
        &self.scheme
    }

    /// The host, lower-cased; empty when the URL has none.
    pub fn host(&self) -> &str {
        self.authority.as_ref().map_or("", |a| a.host.as_str())
    }

    pub fn path(&self) -> &str {
        &self.path
    }

    pub fn query(&self) -> Option<&str> {
        self.query.as_deref()
    }

    pub fn fragment(&self) -> Option<&str> {
        self.fragment.as_deref()
    }

    /// The origin of an http(s) URL with an ASCII host; `None` for every other URL (opaque
    /// origins: `data:`, `blob:`, `file:` …), which are never first-party.
    pub fn origin(&self) -> Option<Origin> {
        let authority = self.authority.as_ref()?;
        if !matches!(self.scheme.as_str(), "http" | "https")
            || authority.host.is_empty()
            || !authority.host.is_ascii()
        {
            return None;
        }
        Some(Origin {
            scheme: self.scheme.clone(),
            host: authority.host.clone(),
            port: authority.port,
        })
    }
}

impl std::fmt::Display for WebUrl {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}:", self.scheme)?;
        if let Some(authority) = &self.authority {
            f.write_str("//")?;
            if let Some(userinfo) = &authority.userinfo {
                write!(f, "{userinfo}@")?;
            }
            f.write_str(&authority.host)?;
            if let Some(port) = authority.port {
                write!(f, ":{port}")?;
            }
        }
        f.write_str(&self.path)?;
        if let Some(query) = &self.query {
            write!(f, "?{query}")?;
        }
        if let Some(fragment) = &self.fragment {
            write!(f, "#{fragment}")?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Found by the web_url fuzz target: a file: URL's path that looks like a host after
    /// `file:///` stays path.
    #[test]
    fn file_urls_have_a_host_only_after_two_slashes() {
        for (input, written) in [
            (
                "file::/^^^^^[::2]:300/x?y#z/q",
                "file:///:/^^^^^[::2]:300/x?y#z/q",
            ),
            ("file:///etc/hosts", "file:///etc/hosts"),
            ("file://server/share/a", "file://server/share/a"),
            ("file:/a/../b", "file:///b"),
        ] {
            let url = WebUrl::parse(input).unwrap();
            assert_eq!(url.to_string(), written, "{input}");
            assert_eq!(WebUrl::parse(written).unwrap().to_string(), written);
        }
    }

    #[test]
    fn hosts_with_characters_browsers_refuse_are_errors() {
        for url in [
            "http://p:[:0/",
            "http://p:[:",
            "http://a b/",
            "http://a\u{8}b/",
            "http://a|b/",
            "http://a^b/",
        ] {
            assert_eq!(WebUrl::parse(url), Err(UrlError::BadHost), "{url:?}");
        }
        assert!(
            WebUrl::parse("http://ex%41mple.com/").is_ok(),
            "% is the browser's to decode"
        );
        assert_eq!(
            WebUrl::parse("http://[::1]:8080/").unwrap().to_string(),
            "http://[::1]:8080/"
        );
    }

    fn join(base: &str, reference: &str) -> String {
        WebUrl::parse(base)
            .unwrap()
            .join(reference)
            .unwrap()
            .to_string()
    }

    #[test]
    fn rfc_3986_reference_resolution_examples() {
        // RFC 3986 section 5.4.1, the normal examples, with an http base (browsers' behaviour).
        let base = "http://a/b/c/d;p?q";
        for (reference, expected) in [
            ("g", "http://a/b/c/g"),
            ("./g", "http://a/b/c/g"),
            ("g/", "http://a/b/c/g/"),
            ("/g", "http://a/g"),
            ("//g", "http://g/"),
            ("?y", "http://a/b/c/d;p?y"),
            ("g?y", "http://a/b/c/g?y"),
            ("#s", "http://a/b/c/d;p?q#s"),
            ("g#s", "http://a/b/c/g#s"),
            ("g?y#s", "http://a/b/c/g?y#s"),
            (";x", "http://a/b/c/;x"),
            ("g;x", "http://a/b/c/g;x"),
            ("", "http://a/b/c/d;p?q"),
            (".", "http://a/b/c/"),
            ("./", "http://a/b/c/"),
            ("..", "http://a/b/"),
            ("../", "http://a/b/"),
            ("../g", "http://a/b/g"),
            ("../..", "http://a/"),
            ("../../g", "http://a/g"),
            ("../../../g", "http://a/g"),
            ("/./g", "http://a/g"),
            ("/../g", "http://a/g"),
            ("g.", "http://a/b/c/g."),
            ("..g", "http://a/b/c/..g"),
            ("./../g", "http://a/b/g"),
            ("g/./h", "http://a/b/c/g/h"),
            ("g/../h", "http://a/b/c/h"),
            ("http:g", "http://a/b/c/g"),
        ] {
            assert_eq!(join(base, reference), expected, "{reference:?}");
        }
    }

    #[test]
    fn tile_templates_survive_resolution_unchanged() {
        let base = "https://maps.example.com/app/config.json";
        assert_eq!(
            join(base, "tiles/{z}/{x}/{-y}.png"),
            "https://maps.example.com/app/tiles/{z}/{x}/{-y}.png"
        );
        assert_eq!(
            join(base, "https://{s}.tile.example.org/{z}/{x}/{y}.png"),
            "https://{s}.tile.example.org/{z}/{x}/{y}.png"
        );
        assert_eq!(
            join(base, "/t/{z}/{x}/{y}@{r}.png?key=A{b}"),
            "https://maps.example.com/t/{z}/{x}/{y}@{r}.png?key=A{b}"
        );
    }

    #[test]
    fn hosts_ports_and_schemes_are_normalised() {
        let url = WebUrl::parse("HTTPS://Maps.Example.COM:443/A/b/../C?Q#F").unwrap();
        assert_eq!(url.to_string(), "https://maps.example.com/A/C?Q#F");
        assert_eq!(
            WebUrl::parse("http://h:080").unwrap().to_string(),
            "http://h/"
        );
        assert_eq!(
            WebUrl::parse("http://h:8080").unwrap().to_string(),
            "http://h:8080/"
        );
        assert_eq!(
            WebUrl::parse(" \thttp://h/a\nb ").unwrap().to_string(),
            "http://h/ab"
        );
        assert_eq!(
            WebUrl::parse("http:\\\\h\\a\\b").unwrap().to_string(),
            "http://h/a/b"
        );
        assert_eq!(
            WebUrl::parse("http://[::1]:3000/x")
                .unwrap()
                .origin()
                .unwrap()
                .to_string(),
            "http://[::1]:3000"
        );
        assert_eq!(WebUrl::parse("http://user:pw@h/").unwrap().host(), "h");
    }

    #[test]
    fn bad_urls_are_errors_not_panics() {
        assert_eq!(WebUrl::parse("config.json"), Err(UrlError::Relative));
        assert_eq!(WebUrl::parse("http://"), Err(UrlError::NoHost));
        assert_eq!(WebUrl::parse("http://h:99999/"), Err(UrlError::BadPort));
        assert_eq!(WebUrl::parse("http://h:8o/"), Err(UrlError::BadPort));
        assert_eq!(WebUrl::parse("http://[::1/"), Err(UrlError::BadIpv6));
        assert_eq!(WebUrl::parse("http://[::1]x/"), Err(UrlError::BadIpv6));
        assert!(WebUrl::parse("data:text/plain,x")
            .unwrap()
            .join("y")
            .is_err());
        for junk in [
            "",
            ":",
            "::::",
            "1http://x",
            "%",
            "\u{0}",
            "é://x",
            "http://é/",
        ] {
            let _ = WebUrl::parse(junk);
            let _ = WebUrl::parse("http://h/").unwrap().join(junk);
        }
    }

    #[test]
    fn origins() {
        let origin = |u: &str| WebUrl::parse(u).unwrap().origin().map(|o| o.to_string());
        assert_eq!(
            origin("https://maps.example.com:443/x"),
            Some("https://maps.example.com".into())
        );
        assert_eq!(
            origin("http://127.0.0.1:3000/x"),
            Some("http://127.0.0.1:3000".into())
        );
        assert_eq!(origin("data:application/json,{}"), None);
        assert_eq!(origin("blob:https://maps.example.com/1234"), None);
        assert_eq!(origin("file:///etc/passwd"), None);
        assert_eq!(
            origin("http://bücher.example/"),
            None,
            "IDN hosts need their xn-- form"
        );
        assert_eq!(
            origin("http://xn--bcher-kva.example/"),
            Some("http://xn--bcher-kva.example".into())
        );
    }
}
