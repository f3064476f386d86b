//! The Cookie header → the version to send. Whatever the header, a version sent is one of the
//! accepted names, exactly.
#![no_main]
use libfuzzer_sys::fuzz_target;
use meshmap::cookie::{version_from_cookies, VersionCookie};

fuzz_target!(|header: &str| {
    let accepted = ["stable", "canary"];
    if let VersionCookie::Valid(version) = version_from_cookies(header, &accepted) {
        assert!(accepted.contains(&version.as_str()), "{version:?} from {header:?}");
    }
});
