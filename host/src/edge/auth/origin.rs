//! Which web pages may use the host from a browser. A browser sends `Origin`
//! on every WebSocket upgrade and on cross-site REST requests, and a page on
//! another site could otherwise open a socket or `POST` with its visitor's
//! cookie. Requests without `Origin` (non-browser clients) are not affected.
//!
//! Allowed: the request's own host (same origin), the configured
//! `allowed_origins` (`*` allows any), and, when `allowed_origins` is not
//! set, any origin while tokens are not verified and the listener is
//! loopback (local development).

use axum::http::HeaderMap;
use axum::http::header::{HOST, ORIGIN};

/// The origin policy of the edge.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OriginPolicy {
    /// Allowed origins, lowercase, without a default port.
    allowed: Vec<String>,
    /// Whether every origin is allowed.
    any: bool,
}

impl OriginPolicy {
    /// The policy of `configured` origins (`None`: the default), where
    /// `permissive` says tokens are not verified and the listener is loopback.
    pub fn new(configured: Option<&[String]>, permissive: bool) -> Self {
        match configured {
            Some(origins) => Self {
                any: origins.iter().any(|origin| origin.trim() == "*"),
                allowed: origins.iter().map(|origin| normalize(origin.trim())).collect(),
            },
            None => Self { allowed: Vec::new(), any: permissive },
        }
    }

    /// Whether the request's `Origin` (if any) may use the host; the error is the 403 message.
    pub fn check(&self, headers: &HeaderMap) -> Result<(), String> {
        let Some(origin) = headers.get(ORIGIN) else { return Ok(()) };
        let Ok(origin) = origin.to_str() else { return Err("the Origin header is not ASCII".into()) };
        if self.any {
            return Ok(());
        }
        let origin = normalize(origin);
        let own = headers.get(HOST).and_then(|host| host.to_str().ok()).map(str::to_ascii_lowercase);
        let same_host = own.is_some_and(|host| {
            origin.split_once("://").is_some_and(|(_, authority)| authority == strip_default_port(&host))
        });
        if same_host || self.allowed.contains(&origin) {
            return Ok(());
        }
        Err(format!("origin `{origin}` is not allowed; add it to [auth] allowed_origins"))
    }
}

/// `Https://App.example.com:443/` → `https://app.example.com`.
fn normalize(origin: &str) -> String {
    let origin = origin.trim_end_matches('/').to_ascii_lowercase();
    match origin.split_once("://") {
        Some((scheme, authority)) => {
            let authority = match (scheme, authority.rsplit_once(':')) {
                ("http", Some((host, "80"))) | ("https", Some((host, "443"))) => host,
                _ => authority,
            };
            format!("{scheme}://{authority}")
        }
        None => origin,
    }
}

/// `example.com:80` → `example.com` (browsers leave default ports out of `Origin`).
fn strip_default_port(host: &str) -> &str {
    host.strip_suffix(":80").or_else(|| host.strip_suffix(":443")).unwrap_or(host)
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    fn request(origin: Option<&'static str>, host: &'static str) -> HeaderMap {
        let mut headers = HeaderMap::new();
        headers.insert(HOST, HeaderValue::from_static(host));
        if let Some(origin) = origin {
            headers.insert(ORIGIN, HeaderValue::from_static(origin));
        }
        headers
    }

    #[test]
    fn the_default_allows_the_own_host_and_clients_without_origin() {
        let policy = OriginPolicy::new(None, false);
        assert!(policy.check(&request(None, "api.example.com")).is_ok());
        assert!(policy.check(&request(Some("https://api.example.com"), "api.example.com")).is_ok());
        assert!(policy.check(&request(Some("http://localhost:8000"), "localhost:8000")).is_ok());
        let evil = policy.check(&request(Some("https://evil.example"), "api.example.com")).unwrap_err();
        assert!(evil.contains("`https://evil.example` is not allowed"), "{evil}");
        assert!(policy.check(&request(Some("null"), "api.example.com")).is_err());
    }

    #[test]
    fn loopback_without_tokens_allows_any_origin_unless_origins_are_listed() {
        assert!(OriginPolicy::new(None, true).check(&request(Some("https://evil.example"), "127.0.0.1:8000")).is_ok());
        let listed = OriginPolicy::new(Some(&["https://App.example.com:443/".into()]), true);
        assert!(listed.check(&request(Some("https://app.example.com"), "127.0.0.1:8000")).is_ok());
        assert!(listed.check(&request(Some("https://evil.example"), "127.0.0.1:8000")).is_err());
        let any = OriginPolicy::new(Some(&["*".into()]), false);
        assert!(any.check(&request(Some("https://evil.example"), "api.example.com")).is_ok());
    }
}
