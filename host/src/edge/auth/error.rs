//! Why a request carries no usable identity. Each class has its own stable
//! `reason` code, so a client (or a test) can tell an expired token from a
//! forged one; the message says what to do.

/// Why authentication failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AuthError {
    /// No token in the `Authorization` header, the `access_token` cookie or the `token` query parameter.
    #[error("missing token: send `Authorization: Bearer <token>`, an `access_token` cookie or `?token=<token>`")]
    Missing,
    /// Not a JWT (three base64url parts), or its header or claims are not what a JWT holds.
    #[error("malformed token: {0}")]
    Malformed(String),
    /// The token's `alg` is not the one of the key that must verify it (`none`, or algorithm confusion).
    #[error("token algorithm `{found}` is not accepted: the key verifies {expected}")]
    WrongAlgorithm {
        /// The token's `alg`.
        found: String,
        /// The algorithm of the key.
        expected: String,
    },
    /// The signature does not match: signed by another key, or altered.
    #[error("bad signature: the token was not signed by a trusted key, or was altered")]
    BadSignature,
    /// `exp` has passed.
    #[error("token expired: get a new one")]
    Expired,
    /// `nbf` is still ahead.
    #[error("token not yet valid: its `nbf` is in the future")]
    NotYetValid,
    /// `iss` is not the configured issuer.
    #[error("wrong issuer: the token's `iss` is not `{0}`")]
    WrongIssuer(String),
    /// `aud` does not name the configured audience (or names one while none is configured).
    #[error("wrong audience: the token's `aud` is not {0}")]
    WrongAudience(String),
    /// The token's `kid` names no key of the JWKS (or it has none and the set holds several).
    #[error("unknown key id: {0}")]
    UnknownKid(String),
}

impl AuthError {
    /// The stable code of the failure class, e.g. `token_expired`.
    pub fn reason(&self) -> &'static str {
        match self {
            Self::Missing => "missing_token",
            Self::Malformed(_) => "malformed_token",
            Self::WrongAlgorithm { .. } => "wrong_algorithm",
            Self::BadSignature => "bad_signature",
            Self::Expired => "token_expired",
            Self::NotYetValid => "token_not_yet_valid",
            Self::WrongIssuer(_) => "wrong_issuer",
            Self::WrongAudience(_) => "wrong_audience",
            Self::UnknownKid(_) => "unknown_kid",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_class_has_its_own_reason() {
        let errors = [
            AuthError::Missing,
            AuthError::Malformed(String::new()),
            AuthError::WrongAlgorithm { found: String::new(), expected: String::new() },
            AuthError::BadSignature,
            AuthError::Expired,
            AuthError::NotYetValid,
            AuthError::WrongIssuer(String::new()),
            AuthError::WrongAudience(String::new()),
            AuthError::UnknownKid(String::new()),
        ];
        let reasons: std::collections::BTreeSet<_> = errors.iter().map(AuthError::reason).collect();
        assert_eq!(reasons.len(), errors.len());
    }
}
