//! What a component returns to refuse a request. Generated code converts it
//! into the WIT `error` variant, so client mistakes never become traps.

use std::fmt;

/// Why a component refused a request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ServiceError {
    /// No route of this name.
    UnknownRoute(String),
    /// The request is not valid; the text names the field and the problem.
    InvalidRequest(String),
    /// The caller may not see the topic; the text says why (the client reads `forbidden: ...`).
    Forbidden(String),
    /// The request was valid but could not be served.
    Failed(String),
}

impl ServiceError {
    /// An invalid request, e.g. `invalid_request("symbol: unknown symbol `XYZ`")`.
    pub fn invalid_request(reason: impl Into<String>) -> Self {
        Self::InvalidRequest(reason.into())
    }

    /// A caller refused by a route's `authorize` hook, e.g.
    /// `forbidden("account `A2` is not one of yours")`.
    pub fn forbidden(reason: impl Into<String>) -> Self {
        Self::Forbidden(reason.into())
    }

    /// A valid request the component could not serve.
    pub fn failed(reason: impl Into<String>) -> Self {
        Self::Failed(reason.into())
    }
}

impl fmt::Display for ServiceError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::UnknownRoute(route) => write!(f, "unknown route `{route}`"),
            Self::InvalidRequest(reason) => write!(f, "invalid request: {reason}"),
            Self::Forbidden(reason) => write!(f, "forbidden: {reason}"),
            Self::Failed(reason) => write!(f, "failed: {reason}"),
        }
    }
}

impl std::error::Error for ServiceError {}
