//! The API's one error type: a status, a stable code a client can branch on, and a message a
//! person can act on, answered as `{"error": {"code": …, "message": …}}`.

use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiError {
    pub status: u16,
    pub code: &'static str,
    pub message: String,
}

impl ApiError {
    pub fn bad_request(code: &'static str, message: impl Into<String>) -> ApiError {
        ApiError {
            status: 400,
            code,
            message: message.into(),
        }
    }

    /// The database is unreachable or failed: the client may try again.
    pub fn unavailable(message: impl Into<String>) -> ApiError {
        ApiError {
            status: 503,
            code: "database_unavailable",
            message: message.into(),
        }
    }

    /// A query the database could not answer (its own words go to the log, not to clients).
    pub fn query_failed() -> ApiError {
        ApiError {
            status: 503,
            code: "query_failed",
            message: "the database could not answer this request; try again shortly".into(),
        }
    }

    pub fn not_found(path: &str) -> ApiError {
        ApiError {
            status: 404,
            code: "not_found",
            message: format!("no such endpoint: {path}; see /api/search?q="),
        }
    }

    pub fn to_json(&self) -> String {
        format!(
            "{{\"error\":{{\"code\":{},\"message\":{}}}}}",
            json_string(self.code),
            json_string(&self.message)
        )
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let status = StatusCode::from_u16(self.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        (
            status,
            [(header::CONTENT_TYPE, "application/json")],
            self.to_json(),
        )
            .into_response()
    }
}

/// A JSON string literal.
pub fn json_string(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 2);
    out.push('"');
    for c in text.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if (c as u32) < 0x20 => out.push_str(&format!("\\u{:04x}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn errors_are_json_with_a_code_and_a_message() {
        let error = ApiError::bad_request("bad_limit", "limit \"x\"\n is\u{1} bad");
        assert_eq!(
            error.to_json(),
            r#"{"error":{"code":"bad_limit","message":"limit \"x\"\n is\u0001 bad"}}"#
        );
    }
}
