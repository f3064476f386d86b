//! The `app-version` cookie, read the way RFC 6265 §5.4 sends it: `name=value` pairs joined by `; `.
//!
//! Only an exact, allow-listed value is ever turned into the `X-App-Version` header. Everything else
//! is rejected with a reason, because a forged or mangled value must not steer backend routing.

/// The cookie the gateway sets to pin a user to one version.
pub const VERSION_COOKIE: &str = "app-version";
/// The header that carries that version to first-party backends.
pub const VERSION_HEADER: &str = "X-App-Version";
/// The version names accepted when the config names none.
pub const DEFAULT_VERSIONS: [&str; 2] = ["stable", "canary"];

/// What the cookie says about the version to request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum VersionCookie {
    /// No `app-version` cookie: send no header, the gateway picks.
    Absent,
    /// An allowed version name.
    Valid(String),
    /// A cookie that is present but unusable: send no header, warn once.
    Rejected(Rejection),
}

/// Why a present `app-version` cookie was not used.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Rejection {
    Empty,
    /// Control characters, spaces, quotes inside the value, or other bytes RFC 6265 forbids.
    InvalidCharacters,
    /// Well-formed but not one of the accepted version names.
    NotAccepted(String),
    /// More than one `app-version` cookie (say one set for a parent domain): which one a server
    /// would read is not certain, so none is used.
    Several,
}

impl std::fmt::Display for Rejection {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Rejection::Empty => write!(f, "the {VERSION_COOKIE} cookie is empty"),
            Rejection::InvalidCharacters => write!(
                f,
                "the {VERSION_COOKIE} cookie holds characters a cookie value may not contain"
            ),
            Rejection::NotAccepted(value) => write!(
                f,
                "the {VERSION_COOKIE} cookie value \"{value}\" is not an accepted version"
            ),
            Rejection::Several => write!(f, "there is more than one {VERSION_COOKIE} cookie"),
        }
    }
}

/// Reads the version from a `Cookie` header or `document.cookie` string, by the rule the
/// gateways share (tests/fixtures/cookie-cases.txt): exactly one `app-version` cookie with an
/// accepted value. Several are rejected rather than one picked: the local gateway and Istio
/// apply the same rule, so the page and its backends never come from different versions.
pub fn version_from_cookies<S: AsRef<str>>(cookie_header: &str, accepted: &[S]) -> VersionCookie {
    let mut values = cookie_values(cookie_header, VERSION_COOKIE);
    let Some(raw) = values.next() else {
        return VersionCookie::Absent;
    };
    if values.next().is_some() {
        return VersionCookie::Rejected(Rejection::Several);
    }
    match check_value(raw) {
        Err(rejection) => VersionCookie::Rejected(rejection),
        Ok(value) if accepted.iter().any(|a| a.as_ref() == value) => {
            VersionCookie::Valid(value.to_owned())
        }
        Ok(value) => VersionCookie::Rejected(Rejection::NotAccepted(value.to_owned())),
    }
}

/// The raw values of the cookies called exactly `name`, with surrounding whitespace removed.
pub fn cookie_values<'a>(cookie_header: &'a str, name: &'a str) -> impl Iterator<Item = &'a str> {
    cookie_header.split(';').filter_map(move |pair| {
        let (pair_name, value) = pair.split_once('=')?;
        (pair_name.trim_matches(is_whitespace) == name).then(|| value.trim_matches(is_whitespace))
    })
}

fn is_whitespace(c: char) -> bool {
    c == ' ' || c == '\t'
}

/// RFC 6265 `cookie-value = *cookie-octet / ( DQUOTE *cookie-octet DQUOTE )`.
fn check_value(raw: &str) -> Result<&str, Rejection> {
    let unquoted = match raw.strip_prefix('"') {
        Some(rest) => rest.strip_suffix('"').ok_or(Rejection::InvalidCharacters)?,
        None => raw,
    };
    if unquoted.is_empty() {
        return Err(Rejection::Empty);
    }
    if unquoted.bytes().all(is_cookie_octet) {
        Ok(unquoted)
    } else {
        Err(Rejection::InvalidCharacters)
    }
}

/// `%x21 / %x23-2B / %x2D-3A / %x3C-5B / %x5D-7E`: visible ASCII except `"`, `,`, `;` and `\`.
fn is_cookie_octet(b: u8) -> bool {
    matches!(b, 0x21 | 0x23..=0x2B | 0x2D..=0x3A | 0x3C..=0x5B | 0x5D..=0x7E)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn version(header: &str) -> VersionCookie {
        version_from_cookies(header, &DEFAULT_VERSIONS)
    }

    fn valid(v: &str) -> VersionCookie {
        VersionCookie::Valid(v.to_owned())
    }

    #[test]
    fn absent_cookie_sends_nothing() {
        assert_eq!(version(""), VersionCookie::Absent);
        assert_eq!(version("session=abc; theme=dark"), VersionCookie::Absent);
        assert_eq!(
            version("app-version"),
            VersionCookie::Absent,
            "a pair without '=' is no cookie"
        );
    }

    #[test]
    fn only_cookie() {
        assert_eq!(version("app-version=canary"), valid("canary"));
        assert_eq!(version("app-version=stable"), valid("stable"));
    }

    #[test]
    fn other_cookies_before_and_after() {
        assert_eq!(version("a=1; app-version=canary; b=2"), valid("canary"));
        assert_eq!(version("a=1;app-version=stable;b=2"), valid("stable"));
        assert_eq!(version("session=x=y; app-version=canary"), valid("canary"));
    }

    #[test]
    fn whitespace_around_pairs_names_and_values() {
        assert_eq!(version("  app-version = canary  ;x=1"), valid("canary"));
        assert_eq!(version("x=1;\tapp-version=\tstable\t"), valid("stable"));
    }

    #[test]
    fn quoted_value() {
        assert_eq!(version("app-version=\"canary\""), valid("canary"));
        assert_eq!(
            version("app-version=\"canary"),
            VersionCookie::Rejected(Rejection::InvalidCharacters)
        );
        assert_eq!(
            version("app-version=\"\""),
            VersionCookie::Rejected(Rejection::Empty)
        );
    }

    #[test]
    fn exact_match_only() {
        for bad in [
            "Canary",
            "CANARY",
            "canary2",
            "beta",
            "canar",
            "stable,canary",
        ] {
            let header = format!("app-version={bad}");
            assert!(
                matches!(version(&header), VersionCookie::Rejected(_)),
                "{header:?} must be rejected"
            );
        }
        assert_eq!(
            version("app-version=beta"),
            VersionCookie::Rejected(Rejection::NotAccepted("beta".into()))
        );
    }

    #[test]
    fn empty_value() {
        assert_eq!(
            version("app-version="),
            VersionCookie::Rejected(Rejection::Empty)
        );
        assert_eq!(
            version("app-version=  ; a=1"),
            VersionCookie::Rejected(Rejection::Empty)
        );
    }

    #[test]
    fn names_that_merely_end_or_start_with_the_name() {
        assert_eq!(version("x-app-version=canary"), VersionCookie::Absent);
        assert_eq!(version("my_app-version=canary"), VersionCookie::Absent);
        assert_eq!(version("app-version2=canary"), VersionCookie::Absent);
        assert_eq!(
            version("APP-VERSION=canary"),
            VersionCookie::Absent,
            "names are case-sensitive"
        );
        assert_eq!(
            version("x-app-version=stable; app-version=canary"),
            valid("canary")
        );
    }

    #[test]
    fn control_characters_and_injection() {
        for bad in [
            "canary\r\nX-Evil: 1",
            "can\u{0}ary",
            "canary\u{7f}",
            "ca nary",
            "ca\\nary",
        ] {
            let header = format!("app-version={bad}");
            assert_eq!(
                version(&header),
                VersionCookie::Rejected(Rejection::InvalidCharacters),
                "{header:?}"
            );
        }
        // Percent-encoding is not decoded: the literal value is simply not an accepted name.
        assert_eq!(
            version("app-version=canary%0D%0AX-Evil:%201"),
            VersionCookie::Rejected(Rejection::NotAccepted("canary%0D%0AX-Evil:%201".into()))
        );
        assert!(matches!(
            version("app-version=%63anary"),
            VersionCookie::Rejected(_)
        ));
    }

    #[test]
    fn non_ascii_is_rejected() {
        assert_eq!(
            version("app-version=cänary"),
            VersionCookie::Rejected(Rejection::InvalidCharacters)
        );
    }

    #[test]
    fn several_cookies_are_rejected_not_one_picked() {
        assert_eq!(
            version("app-version=canary; app-version=stable"),
            VersionCookie::Rejected(Rejection::Several)
        );
        assert_eq!(
            version("app-version=canary; app-version=canary"),
            VersionCookie::Rejected(Rejection::Several)
        );
    }

    /// The shared rule, case by case: the local gateway's and Istio's tests read the same file.
    #[test]
    fn the_shared_cookie_cases() {
        for line in include_str!("../tests/fixtures/cookie-cases.txt")
            .lines()
            .filter(|l| !l.starts_with('#'))
        {
            let (verdict, header) = line.split_once('\t').expect("verdict<TAB>header");
            let got = match version(header) {
                VersionCookie::Valid(v) => v,
                VersionCookie::Absent => "absent".into(),
                VersionCookie::Rejected(_) => "invalid".into(),
            };
            assert_eq!(got, verdict, "{header:?}");
        }
    }

    #[test]
    fn configured_versions_replace_the_defaults() {
        let accepted = ["blue", "green"];
        assert_eq!(
            version_from_cookies("app-version=green", &accepted),
            valid("green")
        );
        assert!(matches!(
            version_from_cookies("app-version=canary", &accepted),
            VersionCookie::Rejected(Rejection::NotAccepted(_))
        ));
    }

    #[test]
    fn rejection_messages_name_the_cookie() {
        let message = Rejection::NotAccepted("beta".into()).to_string();
        assert!(
            message.contains("app-version") && message.contains("beta"),
            "{message}"
        );
    }
}
