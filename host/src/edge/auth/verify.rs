//! Verifies JWTs against the configured key: an HS256 secret, a PEM public
//! key (RS256, ES256 or EdDSA, told by the key itself) or a JSON Web Key Set
//! whose `kid` picks the key.
//!
//! Each key verifies exactly one algorithm and the token's `alg` must be it,
//! checked before any cryptography: `alg: none` and algorithm confusion (an
//! HS256 token "signed" with a public key) are refused as `wrong_algorithm`.
//! Tokens must carry `exp`; `nbf`, `iss` and `aud` are checked too
//! (`jwt_issuer`, `jwt_audience`), with `jwt_leeway_secs` of clock skew.

use crate::edge::auth::config::AuthConfig;
use crate::edge::auth::error::AuthError;
use crate::edge::auth::identity::Identity;
use anyhow::{Context, Result, bail};
use base64::Engine;
use jsonwebtoken::errors::ErrorKind;
use jsonwebtoken::jwk::{AlgorithmParameters, EllipticCurve, JwkSet};
use jsonwebtoken::{Algorithm, DecodingKey, Validation};
use serde_json::Value;
use std::path::Path;

/// One trusted key and the one algorithm it verifies.
struct Key {
    /// `kid` in a JWKS; `None` for a secret or a PEM file.
    kid: Option<String>,
    /// The key material.
    decoding: DecodingKey,
    /// The one algorithm tokens verified by this key must name.
    algorithm: Algorithm,
}

/// The configured keys and claim checks.
pub struct Verifier {
    /// Every trusted key (one, except for a JWKS).
    keys: Vec<Key>,
    /// Whether the keys came from a JWKS (then `kid` selects one).
    by_kid: bool,
    /// Required `iss`.
    issuer: Option<String>,
    /// Required `aud`.
    audience: Option<String>,
    /// Clock skew allowed on `exp` and `nbf`, seconds.
    leeway_secs: u64,
}

impl Verifier {
    /// The verifier of `config`'s key; `None` when no key is configured.
    pub fn new(config: &AuthConfig) -> Result<Option<Self>> {
        let (keys, by_kid) = if let Some(secret) = &config.jwt_hs256_secret {
            (
                vec![Key {
                    kid: None,
                    decoding: DecodingKey::from_secret(secret.as_bytes()),
                    algorithm: Algorithm::HS256,
                }],
                false,
            )
        } else if let Some(path) = &config.jwt_public_key_file {
            (vec![pem_key(path)?], false)
        } else if let Some(path) = &config.jwks_file {
            (jwks_keys(path)?, true)
        } else {
            return Ok(None);
        };
        Ok(Some(Self {
            keys,
            by_kid,
            issuer: config.jwt_issuer.clone(),
            audience: config.jwt_audience.clone(),
            leeway_secs: config.jwt_leeway_secs,
        }))
    }

    /// The algorithms the keys verify, for the log.
    pub fn algorithms(&self) -> Vec<String> {
        self.keys.iter().map(|key| format!("{:?}", key.algorithm)).collect()
    }

    /// The identity `token` proves, or why it proves none.
    pub fn verify(&self, token: &str) -> Result<Identity, AuthError> {
        let header = peek_header(token)?;
        let key = self.key_for(header.kid.as_deref())?;
        if header.alg != format!("{:?}", key.algorithm) {
            return Err(AuthError::WrongAlgorithm { found: header.alg, expected: format!("{:?}", key.algorithm) });
        }
        let mut validation = Validation::new(key.algorithm);
        validation.leeway = self.leeway_secs;
        validation.validate_nbf = true;
        let mut required = vec!["exp"];
        if let Some(issuer) = &self.issuer {
            validation.set_issuer(&[issuer]);
            required.push("iss");
        }
        if let Some(audience) = &self.audience {
            validation.set_audience(&[audience]);
            required.push("aud");
        }
        validation.set_required_spec_claims(&required);
        let data =
            jsonwebtoken::decode::<Value>(token, &key.decoding, &validation).map_err(|error| self.classify(error))?;
        Identity::from_claims(data.claims)
    }

    fn key_for(&self, kid: Option<&str>) -> Result<&Key, AuthError> {
        if !self.by_kid {
            // A single key: any `kid` is informational.
            return self.keys.first().ok_or_else(|| AuthError::UnknownKid("no key is configured".into()));
        }
        match kid {
            Some(kid) => self
                .keys
                .iter()
                .find(|key| key.kid.as_deref() == Some(kid))
                .ok_or_else(|| AuthError::UnknownKid(format!("`{kid}` is not in the key set"))),
            None if self.keys.len() == 1 => Ok(&self.keys[0]),
            None => Err(AuthError::UnknownKid("the token has no `kid` and the key set holds several keys".into())),
        }
    }

    fn classify(&self, error: jsonwebtoken::errors::Error) -> AuthError {
        match error.kind() {
            ErrorKind::InvalidSignature => AuthError::BadSignature,
            ErrorKind::ExpiredSignature => AuthError::Expired,
            ErrorKind::ImmatureSignature => AuthError::NotYetValid,
            ErrorKind::InvalidIssuer => AuthError::WrongIssuer(self.issuer.clone().unwrap_or_default()),
            ErrorKind::InvalidAudience => AuthError::WrongAudience(match &self.audience {
                Some(audience) => format!("`{audience}`"),
                None => "expected: this server accepts tokens without `aud`".into(),
            }),
            ErrorKind::MissingRequiredClaim(claim) => AuthError::Malformed(format!("the `{claim}` claim is missing")),
            ErrorKind::InvalidClaimFormat(claim) => AuthError::Malformed(format!("the `{claim}` claim is not valid")),
            ErrorKind::InvalidAlgorithm | ErrorKind::InvalidAlgorithmName | ErrorKind::UnsupportedAlgorithm => {
                AuthError::WrongAlgorithm { found: "?".into(), expected: self.algorithms().join(", ") }
            }
            ErrorKind::InvalidEcdsaKey | ErrorKind::InvalidRsaKey(_) | ErrorKind::InvalidEddsaKey => {
                AuthError::BadSignature
            }
            other => AuthError::Malformed(format!("{other:?}").chars().take(80).collect()),
        }
    }
}

/// The two header fields that choose the key, read before verification.
struct Peeked {
    /// The algorithm the token claims.
    alg: String,
    /// The key it names, if any.
    kid: Option<String>,
}

fn peek_header(token: &str) -> Result<Peeked, AuthError> {
    let mut parts = token.split('.');
    let (Some(header), Some(_), Some(_), None) = (parts.next(), parts.next(), parts.next(), parts.next()) else {
        return Err(AuthError::Malformed("a JWT is three base64url parts separated by `.`".into()));
    };
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(header)
        .map_err(|_| AuthError::Malformed("the header is not base64url".into()))?;
    let header: Value =
        serde_json::from_slice(&bytes).map_err(|_| AuthError::Malformed("the header is not JSON".into()))?;
    let Some(alg) = header.get("alg").and_then(Value::as_str) else {
        return Err(AuthError::Malformed("the header has no `alg`".into()));
    };
    let kid = header.get("kid").and_then(Value::as_str).map(str::to_owned);
    Ok(Peeked { alg: alg.to_owned(), kid })
}

/// A PEM public key: RSA (RS256), EC P-256 (ES256) or Ed25519 (EdDSA).
fn pem_key(path: &Path) -> Result<Key> {
    let pem = std::fs::read(path).with_context(|| format!("cannot read jwt_public_key_file {}", path.display()))?;
    if !String::from_utf8_lossy(&pem).contains("PUBLIC KEY") {
        bail!("jwt_public_key_file {} is not a PEM public key (BEGIN PUBLIC KEY)", path.display());
    }
    let attempts = [
        (DecodingKey::from_rsa_pem(&pem), Algorithm::RS256),
        (DecodingKey::from_ec_pem(&pem), Algorithm::ES256),
        (DecodingKey::from_ed_pem(&pem), Algorithm::EdDSA),
    ];
    for (decoding, algorithm) in attempts {
        if let Ok(decoding) = decoding {
            return Ok(Key { kid: None, decoding, algorithm });
        }
    }
    bail!("jwt_public_key_file {}: not an RSA, EC P-256 or Ed25519 public key", path.display())
}

/// The keys of a JWKS file, each with its `kid` and the algorithm its type
/// (or its `alg`) names. Symmetric keys are refused: the set is public.
fn jwks_keys(path: &Path) -> Result<Vec<Key>> {
    let text = std::fs::read_to_string(path).with_context(|| format!("cannot read jwks_file {}", path.display()))?;
    let set: JwkSet =
        serde_json::from_str(&text).with_context(|| format!("jwks_file {} is not a JWKS", path.display()))?;
    let mut keys = Vec::new();
    for jwk in &set.keys {
        let kid = jwk.common.key_id.clone();
        let name = kid.clone().unwrap_or_else(|| "(no kid)".into());
        let default = match &jwk.algorithm {
            AlgorithmParameters::RSA(_) => Algorithm::RS256,
            AlgorithmParameters::EllipticCurve(params) => match params.curve {
                EllipticCurve::P256 => Algorithm::ES256,
                EllipticCurve::P384 => Algorithm::ES384,
                _ => bail!("jwks_file {}: key {name} uses an unsupported curve", path.display()),
            },
            AlgorithmParameters::OctetKeyPair(params) if params.curve == EllipticCurve::Ed25519 => Algorithm::EdDSA,
            AlgorithmParameters::OctetKey(_) => {
                bail!("jwks_file {}: key {name} is a shared secret; use jwt_hs256_secret instead", path.display())
            }
            _ => bail!("jwks_file {}: key {name} is of an unsupported type", path.display()),
        };
        let algorithm = match jwk.common.key_algorithm {
            Some(alg) => {
                let algorithm: Algorithm = alg.to_string().parse().map_err(|_| {
                    anyhow::anyhow!("jwks_file {}: key {name} has unsupported alg {alg}", path.display())
                })?;
                if algorithm.family() != default.family() {
                    bail!("jwks_file {}: key {name} says alg {alg}, which does not fit its key type", path.display());
                }
                algorithm
            }
            None => default,
        };
        let decoding = DecodingKey::from_jwk(jwk)
            .map_err(|error| anyhow::anyhow!("jwks_file {}: key {name}: {error}", path.display()))?;
        keys.push(Key { kid, decoding, algorithm });
    }
    if keys.is_empty() {
        bail!("jwks_file {} holds no keys", path.display());
    }
    Ok(keys)
}

#[cfg(test)]
mod tests {
    use super::*;
    use jsonwebtoken::{EncodingKey, Header};
    use serde_json::json;
    use std::path::PathBuf;

    fn keys() -> PathBuf {
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/fixtures/keys")
    }

    fn now() -> u64 {
        jsonwebtoken::get_current_timestamp()
    }

    fn sign(algorithm: Algorithm, kid: Option<&str>, private: &str, claims: Value) -> String {
        let pem = std::fs::read(keys().join(private)).unwrap();
        let key = match algorithm {
            Algorithm::RS256 => EncodingKey::from_rsa_pem(&pem).unwrap(),
            Algorithm::ES256 => EncodingKey::from_ec_pem(&pem).unwrap(),
            _ => EncodingKey::from_ed_pem(&pem).unwrap(),
        };
        let mut header = Header::new(algorithm);
        header.kid = kid.map(str::to_owned);
        jsonwebtoken::encode(&header, &claims, &key).unwrap()
    }

    fn hs256(secret: &str, claims: Value) -> String {
        jsonwebtoken::encode(&Header::new(Algorithm::HS256), &claims, &EncodingKey::from_secret(secret.as_bytes()))
            .unwrap()
    }

    fn verifier(config: AuthConfig) -> Verifier {
        Verifier::new(&AuthConfig { jwt_leeway_secs: 0, required: true, ..config }).unwrap().unwrap()
    }

    fn reason(verifier: &Verifier, token: &str) -> &'static str {
        verifier.verify(token).unwrap_err().reason()
    }

    #[test]
    fn each_pem_key_verifies_its_own_algorithm_only() {
        let claims = json!({"sub": "alice", "exp": now() + 60});
        for (public, private, algorithm) in [
            ("rsa-public.pem", "rsa-private.pem", Algorithm::RS256),
            ("ec-public.pem", "ec-private.pem", Algorithm::ES256),
            ("ed25519-public.pem", "ed25519-private.pem", Algorithm::EdDSA),
        ] {
            let verifier =
                verifier(AuthConfig { jwt_public_key_file: Some(keys().join(public)), ..AuthConfig::default() });
            let identity = verifier.verify(&sign(algorithm, None, private, claims.clone())).unwrap();
            assert_eq!(identity.subject(), Some("alice"), "{public}");
            // Algorithm confusion: an HS256 token keyed with the public key's bytes.
            let public_bytes = std::fs::read_to_string(keys().join(public)).unwrap();
            assert_eq!(reason(&verifier, &hs256(&public_bytes, claims.clone())), "wrong_algorithm", "{public}");
        }
        let rsa =
            verifier(AuthConfig { jwt_public_key_file: Some(keys().join("rsa-public.pem")), ..AuthConfig::default() });
        assert_eq!(
            reason(&rsa, &sign(Algorithm::RS256, None, "other-rsa-private.pem", claims.clone())),
            "bad_signature"
        );
        assert_eq!(reason(&rsa, &sign(Algorithm::ES256, None, "ec-private.pem", claims)), "wrong_algorithm");
    }

    #[test]
    fn the_kid_picks_the_jwks_key() {
        let jwks = verifier(AuthConfig { jwks_file: Some(keys().join("jwks.json")), ..AuthConfig::default() });
        let claims = json!({"sub": "bob", "exp": now() + 60});
        for (kid, private, algorithm) in [
            ("rsa-1", "rsa-private.pem", Algorithm::RS256),
            ("ec-1", "ec-private.pem", Algorithm::ES256),
            ("ed-1", "ed25519-private.pem", Algorithm::EdDSA),
        ] {
            assert_eq!(
                jwks.verify(&sign(algorithm, Some(kid), private, claims.clone())).unwrap().subject(),
                Some("bob")
            );
        }
        assert_eq!(
            reason(&jwks, &sign(Algorithm::RS256, Some("nope"), "rsa-private.pem", claims.clone())),
            "unknown_kid"
        );
        assert_eq!(reason(&jwks, &sign(Algorithm::RS256, None, "rsa-private.pem", claims.clone())), "unknown_kid");
        assert_eq!(reason(&jwks, &sign(Algorithm::ES256, Some("rsa-1"), "ec-private.pem", claims)), "wrong_algorithm");
    }

    #[test]
    fn every_failure_class_has_its_reason() {
        let config = AuthConfig {
            jwt_hs256_secret: Some("secret".into()),
            jwt_issuer: Some("issuer".into()),
            jwt_audience: Some("topicwire".into()),
            ..AuthConfig::default()
        };
        let verifier = verifier(config);
        let good = json!({"sub": "a", "iss": "issuer", "aud": "topicwire", "exp": now() + 60});
        assert!(verifier.verify(&hs256("secret", good.clone())).is_ok());
        let with = |key: &str, value: Value| {
            let mut claims = good.clone();
            claims[key] = value;
            hs256("secret", claims)
        };
        assert_eq!(reason(&verifier, "not-a-token"), "malformed_token");
        assert_eq!(reason(&verifier, "a.b.c"), "malformed_token");
        assert_eq!(reason(&verifier, &hs256("other", good.clone())), "bad_signature");
        assert_eq!(reason(&verifier, &with("exp", json!(now() - 10))), "token_expired");
        assert_eq!(reason(&verifier, &with("nbf", json!(now() + 600))), "token_not_yet_valid");
        assert_eq!(reason(&verifier, &with("iss", json!("mallory"))), "wrong_issuer");
        assert_eq!(reason(&verifier, &with("aud", json!("elsewhere"))), "wrong_audience");
        let mut no_exp = good.clone();
        no_exp.as_object_mut().unwrap().remove("exp");
        assert_eq!(reason(&verifier, &hs256("secret", no_exp)), "malformed_token");
        // `alg: none`, unsigned.
        let b64 = |value: Value| base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(value.to_string());
        let unsigned = format!("{}.{}.", b64(json!({"alg": "none", "typ": "JWT"})), b64(good));
        assert_eq!(reason(&verifier, &unsigned), "wrong_algorithm");
    }
}
