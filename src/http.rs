//! The one HTTP layer: every request to a backend (config, GeoJSON, later tiles and APIs) goes
//! through [`Http`], which adds `X-App-Version` for first-party URLs only.

use std::cell::RefCell;
use std::rc::Rc;

use js_sys::JsString;
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;
use web_sys::{
    AbortSignal, Blob, Headers, Request, RequestInit, RequestRedirect, Response, ResponseType,
};

use crate::cookie::{version_from_cookies, VersionCookie, DEFAULT_VERSIONS, VERSION_HEADER};
use crate::origin::FirstParty;

/// Why a request produced no usable body. Messages name the URL and what to check.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum HttpError {
    BadUrl {
        url: String,
    },
    /// No response: offline, DNS, CORS, refused connection.
    Network {
        url: String,
        detail: String,
    },
    Status {
        url: String,
        status: u16,
        status_text: String,
        retry_after_ms: Option<u32>,
    },
    Body {
        url: String,
        detail: String,
    },
    Aborted {
        url: String,
    },
    /// A request carrying `X-App-Version` was answered with a redirect, which it does not follow.
    Redirected {
        url: String,
    },
}

impl std::fmt::Display for HttpError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            HttpError::BadUrl { url } => write!(f, "\"{url}\" is not a valid URL"),
            HttpError::Network { url, detail } => {
                write!(f, "could not reach {url} (network error or blocked by CORS: {detail})")
            }
            HttpError::Status { url, status, status_text, .. } => {
                write!(f, "{url} answered HTTP {status} {status_text}")
            }
            HttpError::Body { url, detail } => write!(f, "could not read the response from {url}: {detail}"),
            HttpError::Aborted { url } => write!(f, "the request for {url} was cancelled"),
            HttpError::Redirected { url } => write!(
                f,
                "{url} answered with a redirect, which requests carrying {VERSION_HEADER} do not follow (configure the final URL)"
            ),
        }
    }
}

/// A cheap-to-clone client; one per mounted map.
#[derive(Clone)]
pub struct Http {
    inner: Rc<Inner>,
}

struct Inner {
    first_party: Option<FirstParty>,
    /// False for maps embedded in another site's page: their cookies are the host's, not meshmap's.
    send_version: bool,
    versions: Vec<String>,
    /// The last rejected cookie we warned about, so a bad cookie is reported once, not per request.
    warned_cookie: RefCell<Option<String>>,
}

impl Http {
    /// A client that knows only the page's own origin and the default version names:
    /// what the config itself is fetched with.
    pub fn for_page() -> Http {
        let defaults: Vec<String> = DEFAULT_VERSIONS.iter().map(|s| s.to_string()).collect();
        Http::new(&defaults, &[])
    }

    /// `versions`: accepted cookie values; `first_party_origins`: origins besides the page's own.
    pub fn new(versions: &[String], first_party_origins: &[String]) -> Http {
        let first_party =
            page_base_url().and_then(|base| FirstParty::new(&base, first_party_origins).ok());
        Http {
            inner: Rc::new(Inner {
                first_party,
                send_version: true,
                versions: versions.to_vec(),
                warned_cookie: RefCell::new(None),
            }),
        }
    }

    /// The same client sending no `X-App-Version` at all: for a map embedded in a page of another
    /// origin, where `document.cookie` is the host's and must not steer meshmap's backends.
    pub fn without_version(self) -> Http {
        let inner = Rc::try_unwrap(self.inner).unwrap_or_else(|shared| Inner {
            first_party: shared.first_party.clone(),
            send_version: shared.send_version,
            versions: shared.versions.clone(),
            warned_cookie: RefCell::new(None),
        });
        Http {
            inner: Rc::new(Inner {
                send_version: false,
                ..inner
            }),
        }
    }

    /// Whether `url` is one of the app's own backends (gets the version header).
    pub fn is_first_party(&self, url: &str) -> bool {
        self.inner
            .first_party
            .as_ref()
            .is_some_and(|f| f.contains(url))
    }

    /// The `X-App-Version` value to send with a request to `url`, if any.
    pub fn version_header_for(&self, url: &str) -> Option<String> {
        if !self.inner.send_version {
            return None;
        }
        let first_party = self.inner.first_party.as_ref()?;
        if !first_party.contains(url) {
            return None;
        }
        let cookies = document_cookie();
        match version_from_cookies(&cookies, &self.inner.versions) {
            VersionCookie::Valid(version) => Some(version),
            VersionCookie::Absent => None,
            VersionCookie::Rejected(reason) => {
                let mut warned = self.inner.warned_cookie.borrow_mut();
                if warned.as_deref() != Some(cookies.as_str()) {
                    web_sys::console::warn_1(
                        &format!("meshmap: {reason}; sending no {VERSION_HEADER} header (the gateway will choose the version)").into(),
                    );
                    *warned = Some(cookies);
                }
                None
            }
        }
    }

    /// A GET request for `url`, with the version header when `url` is first-party.
    pub fn build_get(&self, url: &str) -> Result<Request, HttpError> {
        self.request(url, None)
    }

    fn request(&self, url: &str, signal: Option<&AbortSignal>) -> Result<Request, HttpError> {
        let init = RequestInit::new();
        init.set_method("GET");
        if let Some(version) = self.version_header_for(url) {
            let headers = Headers::new().map_err(|_| HttpError::BadUrl {
                url: url.to_owned(),
            })?;
            headers
                .set(VERSION_HEADER, &version)
                .map_err(|_| HttpError::BadUrl {
                    url: url.to_owned(),
                })?;
            init.set_headers(&headers);
            // A redirect could take the header to another origin: such requests follow none.
            init.set_redirect(RequestRedirect::Manual);
        }
        if let Some(signal) = signal {
            init.set_signal(Some(signal));
        }
        Request::new_with_str_and_init(url, &init).map_err(|_| HttpError::BadUrl {
            url: url.to_owned(),
        })
    }

    /// GETs `url` and returns the body as text; any non-2xx status is an error.
    pub async fn get_text(
        &self,
        url: &str,
        signal: Option<&AbortSignal>,
    ) -> Result<String, HttpError> {
        self.get_js_text(url, signal).await.map(String::from)
    }

    /// Like [`Http::get_text`], the text left as the browser's string (for `JSON.parse`).
    pub async fn get_js_text(
        &self,
        url: &str,
        signal: Option<&AbortSignal>,
    ) -> Result<JsString, HttpError> {
        let response = self.send(url, signal).await?;
        let promise = response
            .text()
            .map_err(|_| body_error(url, signal, "no body".into()))?;
        let text = JsFuture::from(promise)
            .await
            .map_err(|e| body_error(url, signal, js_error_text(&e)))?;
        text.dyn_into()
            .map_err(|_| body_error(url, signal, "not text".into()))
    }

    /// GETs `url` and returns the body as the browser's `ArrayBuffer` (not yet copied into wasm).
    pub async fn get_array_buffer(
        &self,
        url: &str,
        signal: Option<&AbortSignal>,
    ) -> Result<js_sys::ArrayBuffer, HttpError> {
        let response = self.send(url, signal).await?;
        let promise = response
            .array_buffer()
            .map_err(|_| body_error(url, signal, "no body".into()))?;
        let buffer = JsFuture::from(promise)
            .await
            .map_err(|e| body_error(url, signal, js_error_text(&e)))?;
        buffer
            .dyn_into()
            .map_err(|_| body_error(url, signal, "not bytes".into()))
    }

    /// GETs `url` and returns the body's bytes (empty for 204 No Content, e.g. an empty tile).
    pub async fn get_bytes(
        &self,
        url: &str,
        signal: Option<&AbortSignal>,
    ) -> Result<Vec<u8>, HttpError> {
        let buffer = self.get_array_buffer(url, signal).await?;
        Ok(js_sys::Uint8Array::new(&buffer).to_vec())
    }

    /// GETs `url` and returns the body as a `Blob`, never copied into wasm (raster tiles); `None`
    /// for 204 No Content.
    pub async fn get_blob(
        &self,
        url: &str,
        signal: Option<&AbortSignal>,
    ) -> Result<Option<Blob>, HttpError> {
        let response = self.send(url, signal).await?;
        if response.status() == 204 {
            return Ok(None);
        }
        let promise = response
            .blob()
            .map_err(|_| body_error(url, signal, "no body".into()))?;
        let blob = JsFuture::from(promise)
            .await
            .map_err(|e| body_error(url, signal, js_error_text(&e)))?;
        blob.dyn_into()
            .map(Some)
            .map_err(|_| body_error(url, signal, "not a blob".into()))
    }

    /// The body of a GET as it arrives, chunk by chunk (a live stream): its reader.
    pub async fn get_stream(
        &self,
        url: &str,
        signal: Option<&AbortSignal>,
    ) -> Result<web_sys::ReadableStreamDefaultReader, HttpError> {
        self.get_stream_sized(url, signal)
            .await
            .map(|(reader, _)| reader)
    }

    /// [`Http::get_stream`], with how many bytes the body will have when the server says so
    /// (`Content-Length` of a body sent as it is, not compressed on the way).
    pub async fn get_stream_sized(
        &self,
        url: &str,
        signal: Option<&AbortSignal>,
    ) -> Result<(web_sys::ReadableStreamDefaultReader, Option<u64>), HttpError> {
        let response = self.send(url, signal).await?;
        let no_body = || HttpError::Network {
            url: url.to_owned(),
            detail: "the answer has no body to read".into(),
        };
        let header = |name| response.headers().get(name).ok().flatten();
        let total = header("Content-Length")
            .filter(|_| header("Content-Encoding").is_none_or(|e| e == "identity"))
            .and_then(|length| length.trim().parse().ok());
        let body = response.body().ok_or_else(no_body)?;
        let reader = body.get_reader().dyn_into().map_err(|_| no_body())?;
        Ok((reader, total))
    }

    async fn send(&self, url: &str, signal: Option<&AbortSignal>) -> Result<Response, HttpError> {
        let request = self.request(url, signal)?;
        let window = web_sys::window().ok_or_else(|| HttpError::Network {
            url: url.to_owned(),
            detail: "no window".into(),
        })?;
        let response = JsFuture::from(window.fetch_with_request(&request))
            .await
            .map_err(|e| {
                if signal.is_some_and(AbortSignal::aborted) {
                    HttpError::Aborted {
                        url: url.to_owned(),
                    }
                } else {
                    HttpError::Network {
                        url: url.to_owned(),
                        detail: js_error_text(&e),
                    }
                }
            })?;
        let response: Response = response.dyn_into().map_err(|_| HttpError::Network {
            url: url.to_owned(),
            detail: "not a response".into(),
        })?;
        if response.type_() == ResponseType::Opaqueredirect {
            return Err(HttpError::Redirected {
                url: url.to_owned(),
            });
        }
        if !response.ok() {
            let retry_after = response.headers().get("Retry-After").ok().flatten();
            return Err(HttpError::Status {
                url: url.to_owned(),
                status: response.status(),
                status_text: response.status_text(),
                retry_after_ms: retry_after
                    .as_deref()
                    .and_then(crate::retry::parse_retry_after),
            });
        }
        Ok(response)
    }
}

impl HttpError {
    /// The HTTP status, when the server answered.
    pub fn status(&self) -> Option<u16> {
        match self {
            HttpError::Status { status, .. } => Some(*status),
            _ => None,
        }
    }

    /// The server's `Retry-After` (whole seconds, as milliseconds), if it sent one.
    pub fn retry_after_ms(&self) -> Option<u32> {
        match self {
            HttpError::Status { retry_after_ms, .. } => *retry_after_ms,
            _ => None,
        }
    }
}

fn body_error(url: &str, signal: Option<&AbortSignal>, detail: String) -> HttpError {
    if signal.is_some_and(AbortSignal::aborted) {
        HttpError::Aborted {
            url: url.to_owned(),
        }
    } else {
        HttpError::Body {
            url: url.to_owned(),
            detail,
        }
    }
}

/// The message of a thrown JS value (an `Error`'s message, or the value as text); the map's
/// calls into Leaflet use it too.
pub fn js_error_text(error: &JsValue) -> String {
    error
        .dyn_ref::<js_sys::Error>()
        .map(|e| String::from(e.message()))
        .or_else(|| error.as_string())
        .unwrap_or_else(|| "unknown error".into())
}

/// `document.baseURI`: what relative URLs in the page resolve against.
fn page_base_url() -> Option<String> {
    let document = web_sys::window()?.document()?;
    document.base_uri().ok().flatten()
}

fn document_cookie() -> String {
    web_sys::window()
        .and_then(|w| w.document())
        .and_then(|d| d.dyn_into::<web_sys::HtmlDocument>().ok())
        .and_then(|d| d.cookie().ok())
        .unwrap_or_default()
}
