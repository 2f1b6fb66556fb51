//! Who a request comes from, and whether a browser page may send it.
//!
//! - [`config`]: the `[auth]` section and its flags.
//! - [`token`]: finding the token (header, cookie, query).
//! - [`verify`]: checking it against the configured key; [`error`]: why it fails.
//! - [`identity`]: the verified identity and how it reaches components.
//! - [`origin`]: the `Origin` policy; [`refresh`]: `auth.refresh` on WebSockets.
//! - this file: [`Auth`], the edge's single entry point.

pub mod config;
pub mod error;
pub mod identity;
pub mod origin;
pub mod refresh;
pub mod token;
pub mod verify;

use crate::edge::auth::config::AuthConfig;
use crate::edge::auth::error::AuthError;
use crate::edge::auth::identity::Identity;
use crate::edge::auth::origin::OriginPolicy;
use crate::edge::auth::verify::Verifier;
use anyhow::Result;
use axum::http::HeaderMap;
use axum::http::header::AUTHORIZATION;

/// Authentication, the admin token and the origin policy, built once at start.
pub struct Auth {
    /// `None` when no key is configured: everyone is anonymous.
    verifier: Option<Verifier>,
    /// Whether a request without a valid token is refused.
    required: bool,
    /// Clock skew allowed on `exp`, seconds (a WebSocket closes this long after its token's `exp`).
    leeway_secs: u64,
    /// The admin surface's bearer token.
    admin_token: Option<String>,
    /// The `Origin` policy.
    origins: OriginPolicy,
}

impl Auth {
    /// The edge's auth of `config`; `loopback` says the listener is a loopback
    /// address (then, with no key, any origin may connect: local development).
    pub fn new(config: &AuthConfig, loopback: bool) -> Result<Self> {
        let verifier = Verifier::new(config)?;
        match &verifier {
            Some(verifier) => tracing::info!(
                algorithms = ?verifier.algorithms(),
                required = config.required,
                "verifying tokens"
            ),
            None => tracing::warn!(
                "no [auth] key is configured: every client is anonymous; set jwt_hs256_secret, jwt_public_key_file \
                 or jwks_file to verify tokens"
            ),
        }
        let origins = OriginPolicy::new(config.allowed_origins.as_deref(), verifier.is_none() && loopback);
        Ok(Self {
            verifier,
            required: config.required,
            leeway_secs: config.jwt_leeway_secs,
            admin_token: config.admin_token.clone(),
            origins,
        })
    }

    /// Serves everyone anonymously (tests of the router without a configuration).
    pub fn anonymous() -> Self {
        Self {
            verifier: None,
            required: false,
            leeway_secs: 0,
            admin_token: None,
            origins: OriginPolicy::new(None, true),
        }
    }

    /// Whether tokens are verified.
    pub fn is_on(&self) -> bool {
        self.verifier.is_some()
    }

    /// The identity of a request with `headers` and `query`: verified, or
    /// anonymous when no token is needed. A token that is present but bad is
    /// refused even when tokens are optional.
    pub fn authenticate(&self, headers: &HeaderMap, query: Option<&str>) -> Result<Identity, AuthError> {
        let Some(verifier) = &self.verifier else { return Ok(Identity::anonymous()) };
        match token::find(headers, query)? {
            Some(token) => verifier.verify(&token),
            None if self.required => Err(AuthError::Missing),
            None => Ok(Identity::anonymous()),
        }
    }

    /// Verifies a token sent with `auth.refresh`.
    pub fn verify(&self, token: &str) -> Result<Identity, AuthError> {
        match &self.verifier {
            Some(verifier) => verifier.verify(token),
            None => Ok(Identity::anonymous()),
        }
    }

    /// Clock skew allowed on `exp`, seconds.
    pub fn leeway_secs(&self) -> u64 {
        self.leeway_secs
    }

    /// Whether the request may see topic contents on the admin surface: it
    /// presents the admin token, or no admin token is set and tokens are not
    /// verified (local development, as without `[auth]`).
    pub fn is_admin(&self, headers: &HeaderMap) -> bool {
        let Some(admin) = &self.admin_token else { return !self.is_on() };
        let presented = headers.get(AUTHORIZATION).and_then(|value| value.to_str().ok()).map(token::bearer);
        matches!(presented, Some(Ok(token)) if constant_time_eq(token.as_bytes(), admin.as_bytes()))
    }

    /// The `Origin` policy.
    pub fn origins(&self) -> &OriginPolicy {
        &self.origins
    }
}

/// Compares without an early exit, so the time taken says nothing about where a guess differs.
fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |diff, (x, y)| diff | (x ^ y)) == 0
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    #[test]
    fn the_admin_token_is_a_bearer_token() {
        let config = AuthConfig { admin_token: Some("sesame".into()), ..AuthConfig::default() };
        let auth = Auth::new(&config, true).unwrap();
        let mut headers = HeaderMap::new();
        assert!(!auth.is_admin(&headers));
        headers.insert(AUTHORIZATION, HeaderValue::from_static("Bearer sesame"));
        assert!(auth.is_admin(&headers));
        headers.insert(AUTHORIZATION, HeaderValue::from_static("Bearer sesamE"));
        assert!(!auth.is_admin(&headers));
        assert!(Auth::anonymous().is_admin(&HeaderMap::new()), "without [auth] everything is shown, as before");
    }
}
