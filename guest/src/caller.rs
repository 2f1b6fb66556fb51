//! Who is asking: the identity the host verified before a request reached
//! the component, so a module decides who may see what.
//!
//! On WebSocket routes each route's
//! [`WsRouteService::authorize`](crate::WsRouteService::authorize) hook
//! receives it for every subscribe; on the REST API
//! [`Request::caller`](crate::http::Request::caller) reads it from the
//! reserved headers the host sets (it removes any the client sent).

use crate::error::ServiceError;
use serde_json::{Map, Value};

/// Every header whose name starts with this is the host's: it removes those
/// the client sent and sets its own.
pub const RESERVED_HEADER_PREFIX: &str = "x-topicwire-";
/// The verified `sub` claim when it is visible ASCII (the claims always hold
/// it); absent for an anonymous caller.
pub const SUBJECT_HEADER: &str = "x-topicwire-sub";
/// Every verified claim as a JSON object (non-ASCII escaped); `{}` for an anonymous caller.
pub const CLAIMS_HEADER: &str = "x-topicwire-claims";

/// A verified caller, or an anonymous one (the host serves without `[auth]`,
/// or the token was optional and absent).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Caller {
    /// The token's `sub` claim.
    subject: Option<String>,
    /// Every claim of the token.
    claims: Map<String, Value>,
}

impl Caller {
    /// The anonymous caller: no subject, no claims.
    pub fn anonymous() -> Self {
        Self::default()
    }

    /// A caller with `subject` and `claims`.
    pub fn new(subject: Option<String>, claims: Map<String, Value>) -> Self {
        Self { subject, claims }
    }

    /// The caller the host passes across the WIT boundary: its subject and
    /// its claims as JSON object text.
    pub fn from_json(subject: Option<String>, claims: &str) -> Result<Self, ServiceError> {
        match serde_json::from_str(claims) {
            Ok(Value::Object(claims)) => Ok(Self { subject, claims }),
            _ => Err(ServiceError::failed("the host passed caller claims that are not a JSON object")),
        }
    }

    /// The `sub` claim, if any.
    pub fn subject(&self) -> Option<&str> {
        self.subject.as_deref()
    }

    /// Whether nobody was verified: no subject and no claims.
    pub fn is_anonymous(&self) -> bool {
        self.subject.is_none() && self.claims.is_empty()
    }

    /// Every claim of the token.
    pub fn claims(&self) -> &Map<String, Value> {
        &self.claims
    }

    /// The claim `name`, if present.
    pub fn claim(&self, name: &str) -> Option<&Value> {
        self.claims.get(name)
    }

    /// The strings of claim `name` when it is an array (other items are
    /// skipped), e.g. the accounts of `{"accounts": ["A1", "A2"]}`; empty
    /// when the claim is absent or not an array.
    pub fn strings(&self, name: &str) -> Vec<&str> {
        match self.claims.get(name) {
            Some(Value::Array(items)) => items.iter().filter_map(Value::as_str).collect(),
            _ => Vec::new(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_subject_and_claims() {
        let caller = Caller::from_json(Some("alice".into()), r#"{"sub":"alice","accounts":["A1",2,"A2"]}"#).unwrap();
        assert_eq!(caller.subject(), Some("alice"));
        assert_eq!(caller.strings("accounts"), ["A1", "A2"]);
        assert!(caller.strings("missing").is_empty());
        assert!(!caller.is_anonymous());
        assert!(Caller::from_json(None, "{}").unwrap().is_anonymous());
        assert!(Caller::from_json(None, "[1]").is_err());
    }
}
