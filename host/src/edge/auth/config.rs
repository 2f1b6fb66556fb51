//! The `[auth]` section of the configuration: how tokens are verified, who
//! may read topic contents, which origins browsers may connect from.
//!
//! Every key is also a flag of `topicwire serve` (flags win over the file).
//! With no key set the host serves anonymously, as without `[auth]` at all.
//!
//! ```toml
//! [auth]
//! jwt_hs256_secret = "change me"      # or jwt_public_key_file, or jwks_file
//! jwt_issuer = "https://login.example.com"
//! admin_token = "another secret"
//! allowed_origins = ["https://app.example.com"]
//! ```

use anyhow::{Result, bail};
use serde::Deserialize;
use std::path::PathBuf;

/// `(key, flag, default, meaning)` of every `[auth]` key, for the README and its test.
pub const KEYS: &[(&str, &str, &str, &str)] = &[
    ("jwt_hs256_secret", "--jwt-hs256-secret", "none", "Shared secret of HS256 tokens."),
    (
        "jwt_public_key_file",
        "--jwt-public-key-file",
        "none",
        "PEM public key of RS256 (RSA), ES256 (EC P-256) or EdDSA (Ed25519) tokens; the key decides the algorithm.",
    ),
    (
        "jwks_file",
        "--jwks-file",
        "none",
        "JSON Web Key Set (RSA, EC, Ed25519 public keys); a token's `kid` picks the key.",
    ),
    ("jwt_issuer", "--jwt-issuer", "none", "Required `iss` of every token."),
    (
        "jwt_audience",
        "--jwt-audience",
        "none",
        "Required `aud` of every token (a token with an `aud` is refused without it).",
    ),
    ("jwt_leeway_secs", "--jwt-leeway-secs", "30", "Clock skew allowed on `exp` and `nbf`, seconds."),
    (
        "required",
        "--auth-required",
        "true once a key is set",
        "Refuse requests without a valid token (401); `false` lets them in as anonymous (a bad token is still refused).",
    ),
    (
        "admin_token",
        "--admin-token",
        "none",
        "Bearer token that shows topic contents in `/api/v1/modules` (others see counts).",
    ),
    (
        "allowed_origins",
        "--allowed-origins",
        "the request's own host; any origin when no key is set and the listener is loopback",
        "Origins (`https://app.example.com`, or `*`) allowed on WebSocket upgrades and REST requests; others get 403.",
    ),
];

/// The resolved `[auth]` settings.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuthConfig {
    /// Shared secret of HS256 tokens.
    pub jwt_hs256_secret: Option<String>,
    /// PEM public key file (RS256, ES256 or EdDSA).
    pub jwt_public_key_file: Option<PathBuf>,
    /// JWKS file.
    pub jwks_file: Option<PathBuf>,
    /// Required `iss`.
    pub jwt_issuer: Option<String>,
    /// Required `aud`.
    pub jwt_audience: Option<String>,
    /// Clock skew allowed on `exp` and `nbf`, seconds.
    pub jwt_leeway_secs: u64,
    /// Whether a request without a valid token is refused.
    pub required: bool,
    /// Bearer token of the admin surface.
    pub admin_token: Option<String>,
    /// Allowed origins; `None` for the default policy.
    pub allowed_origins: Option<Vec<String>>,
}

/// The default clock skew allowed on `exp` and `nbf`.
pub const DEFAULT_LEEWAY_SECS: u64 = 30;

impl Default for AuthConfig {
    fn default() -> Self {
        Self {
            jwt_hs256_secret: None,
            jwt_public_key_file: None,
            jwks_file: None,
            jwt_issuer: None,
            jwt_audience: None,
            jwt_leeway_secs: DEFAULT_LEEWAY_SECS,
            required: false,
            admin_token: None,
            allowed_origins: None,
        }
    }
}

impl AuthConfig {
    /// Whether a key is configured, i.e. tokens are verified at all.
    pub fn has_key(&self) -> bool {
        self.jwt_hs256_secret.is_some() || self.jwt_public_key_file.is_some() || self.jwks_file.is_some()
    }

    /// Layers `flags` over `file` and checks the result.
    pub(crate) fn layered(file: AuthFile, flags: &AuthFlags) -> Result<Self> {
        let config = Self {
            jwt_hs256_secret: flags.jwt_hs256_secret.clone().or(file.jwt_hs256_secret),
            jwt_public_key_file: flags.jwt_public_key_file.clone().or(file.jwt_public_key_file),
            jwks_file: flags.jwks_file.clone().or(file.jwks_file),
            jwt_issuer: flags.jwt_issuer.clone().or(file.jwt_issuer),
            jwt_audience: flags.jwt_audience.clone().or(file.jwt_audience),
            jwt_leeway_secs: flags.jwt_leeway_secs.or(file.jwt_leeway_secs).unwrap_or(DEFAULT_LEEWAY_SECS),
            required: false,
            admin_token: flags.admin_token.clone().or(file.admin_token),
            allowed_origins: flags.allowed_origins.clone().or(file.allowed_origins),
        };
        let keys =
            [config.jwt_hs256_secret.is_some(), config.jwt_public_key_file.is_some(), config.jwks_file.is_some()];
        if keys.iter().filter(|set| **set).count() > 1 {
            bail!("[auth]: set one of jwt_hs256_secret, jwt_public_key_file and jwks_file, not several");
        }
        if config.jwt_hs256_secret.as_deref().is_some_and(str::is_empty) {
            bail!("[auth] jwt_hs256_secret is empty");
        }
        if config.admin_token.as_deref().is_some_and(str::is_empty) {
            bail!("[auth] admin_token is empty");
        }
        let required = flags.required.or(file.required).unwrap_or(config.has_key());
        if required && !config.has_key() {
            bail!("[auth] required = true needs a key: set jwt_hs256_secret, jwt_public_key_file or jwks_file");
        }
        Ok(Self { required, ..config })
    }
}

/// The `[auth]` table of the config file.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct AuthFile {
    jwt_hs256_secret: Option<String>,
    jwt_public_key_file: Option<PathBuf>,
    jwks_file: Option<PathBuf>,
    jwt_issuer: Option<String>,
    jwt_audience: Option<String>,
    jwt_leeway_secs: Option<u64>,
    required: Option<bool>,
    admin_token: Option<String>,
    allowed_origins: Option<Vec<String>>,
}

/// `[auth]` keys given as flags to `topicwire serve`.
#[derive(Debug, Clone, Default, clap::Args)]
pub struct AuthFlags {
    /// Shared secret of HS256 tokens (`[auth] jwt_hs256_secret`)
    #[arg(long)]
    pub jwt_hs256_secret: Option<String>,
    /// PEM public key of RS256, ES256 or EdDSA tokens (`[auth] jwt_public_key_file`)
    #[arg(long)]
    pub jwt_public_key_file: Option<PathBuf>,
    /// JSON Web Key Set file; a token's `kid` picks the key (`[auth] jwks_file`)
    #[arg(long)]
    pub jwks_file: Option<PathBuf>,
    /// Required `iss` of every token (`[auth] jwt_issuer`)
    #[arg(long)]
    pub jwt_issuer: Option<String>,
    /// Required `aud` of every token (`[auth] jwt_audience`)
    #[arg(long)]
    pub jwt_audience: Option<String>,
    /// Clock skew allowed on `exp` and `nbf`, seconds [default: 30] (`[auth] jwt_leeway_secs`)
    #[arg(long)]
    pub jwt_leeway_secs: Option<u64>,
    /// Refuse requests without a valid token [default: true once a key is set] (`[auth] required`)
    #[arg(long = "auth-required", value_name = "BOOL")]
    pub required: Option<bool>,
    /// Bearer token that shows topic contents in /api/v1/modules (`[auth] admin_token`)
    #[arg(long)]
    pub admin_token: Option<String>,
    /// Allowed browser origins, comma-separated, or `*` (`[auth] allowed_origins`)
    #[arg(long, value_delimiter = ',')]
    pub allowed_origins: Option<Vec<String>>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    fn layered(toml_text: &str, flags: &AuthFlags) -> Result<AuthConfig> {
        AuthConfig::layered(toml::from_str(toml_text)?, flags)
    }

    #[test]
    fn a_key_makes_tokens_required_unless_told_otherwise() {
        assert!(!layered("", &AuthFlags::default()).unwrap().required);
        assert!(layered("jwt_hs256_secret = \"s\"", &AuthFlags::default()).unwrap().required);
        let optional = layered("jwt_hs256_secret = \"s\"\nrequired = false", &AuthFlags::default()).unwrap();
        assert!(!optional.required);
        let flags = AuthFlags { required: Some(true), ..AuthFlags::default() };
        assert!(layered("jwt_hs256_secret = \"s\"\nrequired = false", &flags).unwrap().required);
    }

    #[test]
    fn contradictions_are_refused() {
        assert!(layered("jwt_hs256_secret = \"s\"\njwks_file = \"k.json\"", &AuthFlags::default()).is_err());
        assert!(layered("required = true", &AuthFlags::default()).is_err());
        assert!(layered("jwt_hs256_secret = \"\"", &AuthFlags::default()).is_err());
        assert!(layered("jwt_secret = \"s\"", &AuthFlags::default()).is_err(), "unknown keys are errors");
    }

    #[test]
    fn every_key_has_a_flag_and_a_field() {
        #[derive(clap::Parser)]
        struct Flags {
            #[command(flatten)]
            auth: AuthFlags,
        }
        let command = Flags::command();
        for (key, flag, _, _) in KEYS {
            let long = flag.trim_start_matches("--");
            assert!(command.get_arguments().any(|arg| arg.get_long() == Some(long)), "no flag {flag}");
            let value = if *key == "allowed_origins" {
                "[]".to_owned()
            } else if key.ends_with("secs") {
                "1".into()
            } else if *key == "required" {
                "false".into()
            } else {
                "\"x\"".into()
            };
            let parsed: Result<AuthFile, _> = toml::from_str(&format!("{key} = {value}"));
            assert!(parsed.is_ok(), "no [auth] key {key}: {parsed:?}");
        }
    }
}

#[cfg(test)]
mod readme {
    use super::KEYS;

    #[test]
    fn the_readme_documents_every_auth_key() {
        let readme = include_str!("../../../../README.md");
        for (key, flag, default, _) in KEYS {
            let row = format!("| `{key}` | `{flag}` | {default} |");
            assert!(readme.contains(&row), "README.md lacks the row `{row}`");
        }
    }
}
