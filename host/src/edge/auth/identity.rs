//! A verified identity (or an anonymous one) and the two forms in which it
//! reaches a component: the WIT `caller` record on subscribe checks, and the
//! reserved `x-topicwire-*` headers on REST requests.
//!
//! The host removes every header whose name starts with
//! [`RESERVED_HEADER_PREFIX`] that a client sent before it sets its own, so
//! a component can trust them.

use crate::edge::auth::error::AuthError;
use crate::runtime::bindings::topicwire::ws::types::Caller;
use axum::http::{HeaderMap, HeaderName, HeaderValue};
use serde_json::{Map, Value};
use std::fmt::Write as _;

/// Every header whose name starts with this is the host's.
pub const RESERVED_HEADER_PREFIX: &str = "x-topicwire-";
/// The verified `sub` claim when it is visible ASCII (the claims always hold
/// it); absent for an anonymous caller.
pub const SUBJECT_HEADER: &str = "x-topicwire-sub";
/// Every verified claim as a JSON object, non-ASCII escaped; `{}` for an anonymous caller.
pub const CLAIMS_HEADER: &str = "x-topicwire-claims";

/// Who a request or connection comes from.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Identity {
    /// The token's `sub`.
    subject: Option<String>,
    /// Every claim of the token.
    claims: Map<String, Value>,
    /// The token's `exp`, epoch seconds.
    expires_at: Option<u64>,
}

impl Identity {
    /// Nobody verified: no subject, no claims, no expiry.
    pub fn anonymous() -> Self {
        Self::default()
    }

    /// The identity of a verified token's claims.
    pub fn from_claims(claims: Value) -> Result<Self, AuthError> {
        let Value::Object(claims) = claims else {
            return Err(AuthError::Malformed("the claims are not a JSON object".into()));
        };
        let subject = match claims.get("sub") {
            None => None,
            Some(Value::String(subject)) => Some(subject.clone()),
            Some(_) => return Err(AuthError::Malformed("`sub` is not a string".into())),
        };
        let expires_at = claims.get("exp").and_then(Value::as_u64);
        Ok(Self { subject, claims, expires_at })
    }

    /// The `sub` claim.
    pub fn subject(&self) -> Option<&str> {
        self.subject.as_deref()
    }

    /// When the token expires, epoch seconds.
    pub fn expires_at(&self) -> Option<u64> {
        self.expires_at
    }

    /// The claims as a JSON object, every non-ASCII character escaped (so the
    /// text is also a valid header value).
    pub fn claims_json(&self) -> String {
        // Serialising a map of JSON values cannot fail.
        ascii_json(&serde_json::to_string(&self.claims).unwrap_or_else(|_| "{}".into()))
    }

    /// The WIT `caller` record handed to `build-topic` on a subscribe.
    pub fn caller(&self) -> Caller {
        Caller { subject: self.subject.clone(), claims: self.claims_json() }
    }

    /// Removes every reserved header the client sent from `headers` and sets
    /// the verified ones.
    pub fn set_headers(&self, headers: &mut HeaderMap) {
        strip_reserved(headers);
        if let Some(Ok(subject)) = self.subject.as_deref().map(HeaderValue::from_str) {
            headers.insert(HeaderName::from_static(SUBJECT_HEADER), subject);
        }
        if let Ok(claims) = HeaderValue::from_str(&self.claims_json()) {
            headers.insert(HeaderName::from_static(CLAIMS_HEADER), claims);
        }
    }
}

/// Removes every header whose name starts with [`RESERVED_HEADER_PREFIX`].
pub fn strip_reserved(headers: &mut HeaderMap) {
    let reserved: Vec<HeaderName> =
        headers.keys().filter(|name| name.as_str().starts_with(RESERVED_HEADER_PREFIX)).cloned().collect();
    for name in reserved {
        headers.remove(name);
    }
}

/// JSON text with every character outside printable ASCII escaped as
/// `\uXXXX`. serde_json already escapes control characters, and characters
/// above ASCII only occur inside strings, so escaping them keeps the JSON valid.
fn ascii_json(json: &str) -> String {
    let mut out = String::with_capacity(json.len());
    for c in json.chars() {
        if c.is_ascii() && c != '\u{7f}' {
            out.push(c);
        } else {
            let mut units = [0u16; 2];
            for unit in c.encode_utf16(&mut units) {
                // Writing to a String cannot fail.
                let _ = write!(out, "\\u{unit:04x}");
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn claims_travel_as_ascii_json() {
        let identity = Identity::from_claims(json!({"sub": "zoë", "accounts": ["A1"], "exp": 5})).unwrap();
        assert_eq!((identity.subject(), identity.expires_at()), (Some("zoë"), Some(5)));
        let text = identity.claims_json();
        assert!(text.is_ascii() && text.contains(r"zo\u00eb"), "{text}");
        assert_eq!(serde_json::from_str::<Value>(&text).unwrap()["sub"], "zoë");
        let anonymous = Identity::anonymous().caller();
        assert_eq!((anonymous.subject, anonymous.claims.as_str()), (None, "{}"));
        assert!(Identity::from_claims(json!({"sub": 5})).is_err());
        assert!(Identity::from_claims(json!([1])).is_err());
    }

    #[test]
    fn client_sent_reserved_headers_are_replaced() {
        let mut headers = HeaderMap::new();
        headers.insert("x-topicwire-sub", HeaderValue::from_static("mallory"));
        headers.insert("x-topicwire-admin", HeaderValue::from_static("yes"));
        headers.insert("x-account-id", HeaderValue::from_static("A1"));
        Identity::anonymous().set_headers(&mut headers);
        assert!(headers.get(SUBJECT_HEADER).is_none());
        assert!(headers.get("x-topicwire-admin").is_none());
        assert_eq!(headers[CLAIMS_HEADER], "{}");
        assert_eq!(headers["x-account-id"], "A1");
        let alice = Identity::from_claims(json!({"sub": "alice"})).unwrap();
        alice.set_headers(&mut headers);
        assert_eq!(headers[SUBJECT_HEADER], "alice");
    }
}
