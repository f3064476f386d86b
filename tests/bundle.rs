//! Byte budgets of the release bundle (deterministic, unlike times: those are `make bench`'s).
//! A change that grows the wasm past its budget fails here, not months later in a benchmark.

mod support;

use std::path::Path;
use std::process::Command;

/// Brotli -q 11 size of a file, as nginx serves the precompressed copy.
fn brotli_size(path: &Path) -> usize {
    let output = Command::new("brotli")
        .args(["-q", "11", "-c"])
        .arg(path)
        .output()
        .expect("brotli (scripts/setup.sh installs it)");
    assert!(
        output.status.success(),
        "brotli failed on {}",
        path.display()
    );
    output.stdout.len()
}

fn find(dist: &Path, matches: impl Fn(&str) -> bool) -> std::path::PathBuf {
    std::fs::read_dir(dist)
        .expect("dist/")
        .flatten()
        .map(|e| e.path())
        .find(|p| p.file_name().and_then(|n| n.to_str()).is_some_and(&matches))
        .unwrap_or_else(|| panic!("no matching file in {}", dist.display()))
}

#[test]
#[ignore = "needs the release build in dist/: run by `make test`"]
fn the_wasm_and_its_glue_stay_within_their_byte_budget() {
    let dist = support::dist();
    let wasm = brotli_size(&find(&dist, |n| {
        n.starts_with("meshmap-") && n.ends_with("_bg.wasm")
    }));
    let glue = brotli_size(&find(&dist, |n| {
        n.starts_with("meshmap-") && n.ends_with(".js")
    }));
    // Where the bytes went when these were set: README "Bundle size". Issue #8's goal is 80 KB
    // for both; this guard keeps what has been won. Raised from 160,000 once, on purpose: issue
    // 13's keyboard access, hover and tooltips, fullscreen/locate/legend controls and pixel
    // density watch cost 8.6 KB (156,200 -> 164,810). Raised again to 175,000: issue 13's
    // clustering (the cluster index, bubbles, click to zoom, spiderfy, the widget's option) cost
    // 7.5 KB (165,655 -> 173,130). And to 192,000: issue 14's search box and live layer (streamed
    // NDJSON, tracks, a frame loop, reconnects) cost 16.8 KB (173,130 -> 189,897); they are in
    // every page whether the config uses them or not (a lazily loaded second module would fix
    // that: not done yet). And to 200,000: issue 13's Tab stops for what is drawn on canvases
    // (the view box, nearest-first choice, interior points, the stand-ins) cost 8.7 KB
    // (189,949 -> 198,661), after moving its four comparison-sort instantiations onto the points'
    // radix sort (which saved 3.5 KB of that). Issue 21's renderer (GeoJSON streamed, checked,
    // simplified and drawn by Rust) cost about 11 KB and was paid for, not budgeted: the release
    // wasm's std is built with immediate-abort panics (scripts/build.sh, a pinned nightly), which
    // saved 18 KB (210,131 -> 192,194 with both).
    assert!(wasm <= 200_000, "the wasm is {wasm} bytes brotli, over its 200,000-byte budget (scripts/wasm-profile.sh shows where they go)");
    assert!(
        // 12,000 until issue 14's stream reader and frame loop (12,076).
        glue <= 12_500,
        "the JS glue is {glue} bytes brotli, over its 12,500-byte budget"
    );
}
