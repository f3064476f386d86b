//! Timers as futures: `setTimeout` wrapped so that a wait can be cancelled at once (its future
//! then resolves instead of staying parked), for retries' delays and for work done in slices.

use wasm_bindgen::JsValue;
use wasm_bindgen_futures::JsFuture;

/// A pending `setTimeout` and the resolver of the promise it would resolve, so cancelling ends
/// the waiting future at once instead of leaving it parked.
pub(super) struct Wait {
    timer: i32,
    resolve: js_sys::Function,
}

impl Wait {
    pub(super) fn cancel(self) {
        if let Some(window) = web_sys::window() {
            window.clear_timeout_with_handle(self.timer);
        }
        let _ = self.resolve.call0(&JsValue::NULL);
    }
}

/// A future that resolves after `ms`, and the handle that cancels it.
pub(super) fn sleep(ms: u32) -> Option<(Wait, JsFuture)> {
    let mut resolver = None;
    let promise = js_sys::Promise::new(&mut |resolve, _reject| resolver = Some(resolve));
    let resolve = resolver?;
    let timer = web_sys::window()?
        .set_timeout_with_callback_and_timeout_and_arguments_0(
            &resolve,
            ms.min(i32::MAX as u32) as i32,
        )
        .ok()?;
    Some((Wait { timer, resolve }, JsFuture::from(promise)))
}
