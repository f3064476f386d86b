//! The place search box (`config.search`): a combobox at the top left. Typing asks the API
//! (`/api/search`, through [`crate::http`], so the request carries `X-App-Version`) after a short
//! pause; the results are listed as text; arrows move through them, Enter or a click goes to one
//! (the map flies there and opens its popup), Escape closes the list and then clears the box. The
//! keyboard logic is [`crate::search::Picker`], pure and tested natively.

use std::cell::{Cell, RefCell};
use std::rc::Rc;

use leaflet::{LatLng, Map};
use wasm_bindgen::{JsCast, JsValue};
use web_sys::{AbortController, Element};

use super::controls::{document, element, CustomControl};
use super::ffi;
use super::listener::DomListener;
use crate::config::SearchConfig;
use crate::http::Http;
use crate::search::{parse_results, query_url, KeyAction, Picker, SearchResult, RESULT_LIMIT};

/// Milliseconds of quiet typing before the box asks.
const PAUSE_MS: u32 = 150;

thread_local! {
    /// Numbers the boxes on a page, for their element ids.
    static BOXES: Cell<u32> = const { Cell::new(0) };
}

pub struct SearchBox {
    _control: CustomControl,
    shared: Rc<Shared>,
}

struct Shared {
    map: Map,
    http: Http,
    url: String,
    input: Element,
    list: Element,
    /// Says how many results there are, or what went wrong (a live region).
    status: Element,
    id: String,
    results: RefCell<Vec<SearchResult>>,
    picker: Cell<Picker>,
    /// Counts keystrokes: an answer to an older query is dropped.
    generation: Cell<u32>,
    abort: RefCell<Option<AbortController>>,
}

impl SearchBox {
    pub fn add(map: &Map, http: Http, config: &SearchConfig) -> Option<SearchBox> {
        let document = document()?;
        let number = BOXES.with(|n| {
            n.set(n.get() + 1);
            n.get()
        });
        let id = format!("meshmap-search-{number}");
        let root = element(&document, "div", "meshmap-search leaflet-control")?;
        let input = element(&document, "input", "meshmap-search-input")?;
        for (name, value) in [
            ("type", "search"),
            ("role", "combobox"),
            ("aria-autocomplete", "list"),
            ("aria-expanded", "false"),
            ("autocomplete", "off"),
            ("spellcheck", "false"),
        ] {
            let _ = input.set_attribute(name, value);
        }
        let _ = input.set_attribute("aria-label", &config.placeholder);
        let _ = input.set_attribute("placeholder", &config.placeholder);
        let _ = input.set_attribute("aria-controls", &format!("{id}-list"));
        let list = element(&document, "ul", "meshmap-search-results")?;
        let _ = list.set_attribute("role", "listbox");
        let _ = list.set_attribute("id", &format!("{id}-list"));
        let _ = list.set_attribute("aria-label", "Places found");
        list.set_attribute("hidden", "").ok()?;
        let status = element(&document, "p", "meshmap-search-status")?;
        let _ = status.set_attribute("role", "status");
        root.append_child(&input).ok()?;
        root.append_child(&list).ok()?;
        root.append_child(&status).ok()?;
        let shared = Rc::new(Shared {
            map: map.clone(),
            http,
            url: config.url.clone(),
            input: input.clone(),
            list: list.clone(),
            status,
            id,
            results: RefCell::default(),
            picker: Cell::default(),
            generation: Cell::new(0),
            abort: RefCell::default(),
        });
        let typed = {
            let shared = Rc::downgrade(&shared);
            DomListener::new(&input, "input", move |_| {
                if let Some(shared) = shared.upgrade() {
                    Shared::typed(&shared);
                }
            })
        };
        let pressed = {
            let shared = Rc::downgrade(&shared);
            DomListener::new(&input, "keydown", move |event| {
                let Some(shared) = shared.upgrade() else {
                    return;
                };
                let key = event
                    .dyn_ref::<web_sys::KeyboardEvent>()
                    .map(|e| e.key())
                    .unwrap_or_default();
                if shared.pressed(&key) {
                    event.prevent_default();
                    // Escape in the box is the box's, not the map's (which would close a popup).
                    event.stop_propagation();
                }
            })
        };
        let clicked = {
            let shared = Rc::downgrade(&shared);
            DomListener::new(&list, "click", move |event| {
                let Some(shared) = shared.upgrade() else {
                    return;
                };
                let index = event
                    .target()
                    .and_then(|t| t.dyn_into::<Element>().ok())
                    .and_then(|t| t.closest("[data-index]").ok().flatten())
                    .and_then(|option| option.get_attribute("data-index"))
                    .and_then(|i| i.parse::<usize>().ok());
                if let Some(index) = index {
                    shared.go(index);
                }
            })
        };
        let control = CustomControl::add(map, "topleft", &root, vec![typed, pressed, clicked]);
        // First in its corner, above the zoom buttons, where people look for a search box.
        if let Some(corner) = root.parent_element() {
            let _ = corner.insert_before(&root, corner.first_child().as_ref());
        }
        Some(SearchBox {
            _control: control,
            shared,
        })
    }

    /// Searches for `q` as typing it would, and goes to the best result (as Enter does); the
    /// results, or why there are none.
    pub async fn search(&self, q: &str) -> Result<Vec<SearchResult>, String> {
        ffi::set(&self.shared.input, "value", &q.into());
        let results = Shared::ask(&self.shared, q.to_owned()).await?;
        if !results.is_empty() {
            self.shared.go(0);
        }
        Ok(results)
    }
}

impl Shared {
    fn value(&self) -> String {
        ffi::get(&self.input, "value")
            .as_string()
            .unwrap_or_default()
    }

    /// After a pause in typing, asks for what is in the box.
    fn typed(shared: &Rc<Shared>) {
        let generation = shared.generation.get().wrapping_add(1);
        shared.generation.set(generation);
        let q = shared.value();
        if q.trim().chars().count() < 2 {
            shared.show(&[]);
            shared.status.set_text_content(None);
            return;
        }
        let shared = Rc::downgrade(shared);
        wasm_bindgen_futures::spawn_local(async move {
            if let Some((_, pause)) = super::timer::sleep(PAUSE_MS) {
                let _ = pause.await;
            }
            let Some(shared) = shared
                .upgrade()
                .filter(|s| s.generation.get() == generation)
            else {
                return;
            };
            if let Err(message) = Shared::ask(&shared, q).await {
                web_sys::console::warn_1(&format!("meshmap: search: {message}").into());
            }
        });
    }

    /// Asks the API for `q` and lists the answer (unless a newer query has been typed).
    async fn ask(shared: &Rc<Shared>, q: String) -> Result<Vec<SearchResult>, String> {
        let generation = shared.generation.get().wrapping_add(1);
        shared.generation.set(generation);
        if let Some(previous) = shared.abort.borrow_mut().take() {
            previous.abort();
        }
        let controller = AbortController::new().ok();
        let signal = controller.as_ref().map(AbortController::signal);
        *shared.abort.borrow_mut() = controller;
        let url = query_url(&shared.url, &q, RESULT_LIMIT);
        let answer = shared.http.get_text(&url, signal.as_ref()).await;
        if shared.generation.get() != generation {
            return Err("a newer search replaced this one".into());
        }
        let results = answer
            .map_err(|e| e.to_string())
            .and_then(|text| parse_results(&text));
        match &results {
            Ok(found) => {
                shared.show(found);
                let said = match found.len() {
                    0 => format!("Nothing found for \"{}\"", q.trim()),
                    1 => "1 place found".to_owned(),
                    n => format!("{n} places found"),
                };
                shared.status.set_text_content(Some(&said));
            }
            Err(message) => {
                shared.show(&[]);
                shared
                    .status
                    .set_text_content(Some(&format!("Search is unavailable: {message}")));
            }
        }
        results
    }

    /// Lists `results` as options (text only: names come from data).
    fn show(&self, results: &[SearchResult]) {
        self.list.set_text_content(None);
        if let Some(document) = document() {
            for (i, result) in results.iter().enumerate() {
                let Some(option) = element(&document, "li", "meshmap-search-result") else {
                    continue;
                };
                let _ = option.set_attribute("role", "option");
                let _ = option.set_attribute("id", &format!("{}-{i}", self.id));
                let _ = option.set_attribute("data-index", &i.to_string());
                let _ = option.set_attribute("aria-selected", "false");
                option.set_text_content(Some(&result.name));
                if let Some(kind) = element(&document, "span", "meshmap-search-kind") {
                    kind.set_text_content(Some(&result.kind));
                    let _ = option.append_child(&kind);
                }
                let _ = self.list.append_child(&option);
            }
        }
        let open = !results.is_empty();
        let _ = if open {
            self.list.remove_attribute("hidden")
        } else {
            self.list.set_attribute("hidden", "")
        };
        let _ = self
            .input
            .set_attribute("aria-expanded", if open { "true" } else { "false" });
        let _ = self.input.remove_attribute("aria-activedescendant");
        *self.results.borrow_mut() = results.to_vec();
        self.picker.set(Picker::list(results.len()));
    }

    /// A key in the box; true when the box used it.
    fn pressed(&self, key: &str) -> bool {
        let mut picker = self.picker.get();
        let action = picker.key(key);
        self.picker.set(picker);
        match action {
            KeyAction::Highlight(active) => {
                self.highlight(active);
                true
            }
            KeyAction::Choose(index) => {
                self.go(index);
                true
            }
            KeyAction::Close => {
                if self.results.borrow().is_empty() {
                    ffi::set(&self.input, "value", &"".into());
                    self.status.set_text_content(None);
                }
                self.show(&[]);
                true
            }
            KeyAction::Ignore => false,
        }
    }

    fn highlight(&self, active: Option<usize>) {
        let options = self.list.children();
        for i in 0..options.length() {
            if let Some(option) = options.item(i) {
                let on = Some(i as usize) == active;
                let _ = option.set_attribute("aria-selected", if on { "true" } else { "false" });
                let _ = if on {
                    option.class_list().add_1("meshmap-search-active")
                } else {
                    option.class_list().remove_1("meshmap-search-active")
                };
            }
        }
        let _ = match active {
            Some(i) => self
                .input
                .set_attribute("aria-activedescendant", &format!("{}-{i}", self.id)),
            None => self.input.remove_attribute("aria-activedescendant"),
        };
    }

    /// Goes to result `index`: the map flies there (jumps, for reduced motion) and opens a popup
    /// naming it; the list closes and the box shows its name.
    fn go(&self, index: usize) {
        let Some(result) = self.results.borrow().get(index).cloned() else {
            return;
        };
        let place = LatLng::new(result.lat, result.lng);
        if super::prefers_reduced_motion() {
            self.map.set_view(&place, result.zoom());
        } else {
            self.map.fly_to_with_zoom(&place, result.zoom());
        }
        super::popup::open_properties_popup(
            &self.map,
            &place,
            &crate::json::Json::Object(vec![
                (
                    "name".into(),
                    crate::json::Json::String(result.name.clone()),
                ),
                (
                    "kind".into(),
                    crate::json::Json::String(result.kind.clone()),
                ),
            ]),
        );
        ffi::set(&self.input, "value", &JsValue::from_str(&result.name));
        self.show(&[]);
        self.status
            .set_text_content(Some(&format!("Showing {}", result.name)));
    }
}
