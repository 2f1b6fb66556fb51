//! Test tokens, signed with the keys in `tests/fixtures/keys` (generated
//! once with OpenSSL; nothing runs OpenSSL at test time).

use jsonwebtoken::{Algorithm, EncodingKey, Header};
use serde_json::Value;
use std::path::PathBuf;
use std::time::{SystemTime, UNIX_EPOCH};

/// The folder of test keys.
pub fn keys_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("fixtures/keys")
}

/// A file of the test keys folder, as a path for a config file.
pub fn key_file(name: &str) -> String {
    keys_dir().join(name).display().to_string()
}

/// Now, epoch seconds.
pub fn now() -> u64 {
    SystemTime::now().duration_since(UNIX_EPOCH).unwrap().as_secs()
}

/// An HS256 token of `claims`.
pub fn hs256(secret: &str, claims: &Value) -> String {
    jsonwebtoken::encode(&Header::new(Algorithm::HS256), claims, &EncodingKey::from_secret(secret.as_bytes())).unwrap()
}

/// A token of `claims` signed with the private key file `private` by `algorithm`, with `kid`.
pub fn signed(algorithm: Algorithm, private: &str, kid: Option<&str>, claims: &Value) -> String {
    let pem = std::fs::read(keys_dir().join(private)).unwrap();
    let key = match algorithm {
        Algorithm::RS256 => EncodingKey::from_rsa_pem(&pem).unwrap(),
        Algorithm::ES256 => EncodingKey::from_ec_pem(&pem).unwrap(),
        Algorithm::EdDSA => EncodingKey::from_ed_pem(&pem).unwrap(),
        other => panic!("no test key for {other:?}"),
    };
    let mut header = Header::new(algorithm);
    header.kid = kid.map(str::to_owned);
    jsonwebtoken::encode(&header, claims, &key).unwrap()
}
