//! The README's claims name the tests that prove them and the files that hold the code: every
//! test it names exists (as a `fn` in the repository's Rust), and every repository path it names
//! is there. Renaming a test or moving a file without the README fails here.

use std::collections::BTreeSet;
use std::fs;
use std::path::{Path, PathBuf};

/// Backticked names of four words or more that are not tests: metric names, error codes and the like. A test
/// name reads as a sentence; anything else of that shape must be listed here, so that a test the
/// README names is never waved through as "some other identifier".
const NOT_TESTS: [&str; 5] = [
    "istio_request_duration_milliseconds",
    "process_resident_memory_bytes",
    "meshmap_api_live_clients",
    "console_error_panic_hook",
    "too_many_live_streams",
];

fn repository() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn rust_files(dir: &Path, found: &mut Vec<PathBuf>) {
    let Ok(entries) = fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        let name = entry.file_name();
        if path.is_dir() {
            if name != "target" && name != "node_modules" && name != "corpus" {
                rust_files(&path, found);
            }
        } else if path.extension().is_some_and(|e| e == "rs") {
            found.push(path);
        }
    }
}

/// Every `fn name` in the repository's Rust (the app, the API, the tests, the fuzz targets).
fn functions() -> BTreeSet<String> {
    let mut files = Vec::new();
    for dir in ["src", "tests", "api", "app", "fuzz", "examples"] {
        rust_files(&repository().join(dir), &mut files);
    }
    let mut names = BTreeSet::new();
    for file in files {
        let text = fs::read_to_string(&file).unwrap_or_default();
        for (at, _) in text.match_indices("fn ") {
            let rest = &text[at + 3..];
            let name: String = rest
                .chars()
                .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                .collect();
            if !name.is_empty() {
                names.insert(name);
            }
        }
    }
    names
}

/// The README's `code spans`.
fn code_spans(readme: &str) -> Vec<&str> {
    readme
        .split('`')
        .enumerate()
        .filter(|(i, _)| i % 2 == 1)
        .map(|(_, span)| span)
        .collect()
}

/// A test's name: lower-case words joined by `_`, four of them or more.
fn looks_like_a_test(span: &str) -> bool {
    let words: Vec<&str> = span.split('_').collect();
    words.len() >= 4
        && words.iter().all(|w| {
            !w.is_empty()
                && w.chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit())
        })
}

#[test]
fn every_test_the_readme_names_exists() {
    let readme = fs::read_to_string(repository().join("README.md")).expect("README.md");
    let functions = functions();
    let named: BTreeSet<&str> = code_spans(&readme)
        .into_iter()
        .filter(|span| looks_like_a_test(span) && !NOT_TESTS.contains(span))
        .collect();
    // The README names its tests (a check that finds none would pass whatever it says).
    assert!(named.len() >= 5, "only {named:?}");
    let missing: Vec<&&str> = named
        .iter()
        .filter(|name| !functions.contains(**name))
        .collect();
    assert!(
        missing.is_empty(),
        "the README names tests that do not exist: {missing:?}"
    );
    for name in NOT_TESTS {
        assert!(
            readme.contains(&format!("`{name}`")),
            "{name} is listed as a README name that is not a test, and the README no longer has it"
        );
    }
}

#[test]
fn every_file_the_readme_names_exists() {
    let readme = fs::read_to_string(repository().join("README.md")).expect("README.md");
    let roots = [
        "src/",
        "tests/",
        "scripts/",
        "bench/",
        "k8s/",
        "martin/",
        "container/",
        "api/",
        "app/",
        "fuzz/",
        "nginx/",
        "db/",
        "examples/",
        "tools/",
        ".cargo/",
        ".ci/",
    ];
    let paths: BTreeSet<&str> = code_spans(&readme)
        .into_iter()
        .filter(|span| roots.iter().any(|root| span.starts_with(root)))
        .filter(|span| !span.contains(' ') && !span.contains('*') && !span.contains('<'))
        .collect();
    assert!(paths.len() >= 20, "only {paths:?}");
    let missing: Vec<&&str> = paths
        .iter()
        .filter(|path| !repository().join(path.trim_end_matches('/')).exists())
        .collect();
    assert!(
        missing.is_empty(),
        "the README names files that do not exist: {missing:?}"
    );
}

#[test]
fn a_test_name_is_told_from_other_names() {
    assert!(looks_like_a_test("many_live_streams_cost_little"));
    assert!(!looks_like_a_test("live_feed_stale"));
    assert!(!looks_like_a_test("src/http.rs"));
    assert!(!looks_like_a_test("LIVE_MAX_STREAMS_PER_CLIENT"));
    assert_eq!(code_spans("a `b` c `d e` f"), vec!["b", "d e"]);
}
