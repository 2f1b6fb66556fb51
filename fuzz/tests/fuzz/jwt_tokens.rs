//! JWTs: the token a client sends (`edge::auth`: where it is found, its
//! header, its claims), verified with an HS256 secret; and the same header
//! and claims signed with that secret, so that the claims' decoder is
//! reached past the signature check.
//!
//! Properties: verifying never panics and refuses with a documented reason;
//! a token is accepted only if its header names HS256 and its claims are an
//! object with a future `exp`, a string `sub` if any, and the required
//! `iss`/`aud`; the identity holds exactly the token's subject, expiry and
//! claims, and the headers it sets are valid and carry the claims back.

use axum::http::{HeaderMap, HeaderValue};
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use hmac::{Hmac, Mac};
use serde_json::Value;
use topicwire::edge::auth::config::AuthConfig;
use topicwire::edge::auth::error::AuthError;
use topicwire::edge::auth::identity::{CLAIMS_HEADER, SUBJECT_HEADER};
use topicwire::edge::auth::token;
use topicwire::edge::auth::verify::Verifier;

const SECRET: &str = "fuzz-secret";
const ISSUER: &str = "https://issuer.example";
const AUDIENCE: &str = "topicwire";

fn verifiers() -> [Verifier; 2] {
    let open = AuthConfig { jwt_hs256_secret: Some(SECRET.into()), ..AuthConfig::default() };
    let strict = AuthConfig { jwt_issuer: Some(ISSUER.into()), jwt_audience: Some(AUDIENCE.into()), ..open.clone() };
    [Verifier::new(&open).unwrap().unwrap(), Verifier::new(&strict).unwrap().unwrap()]
}

/// `header.claims.signature` of the two JSON texts, signed with [`SECRET`].
fn sign(header: &[u8], claims: &[u8]) -> String {
    let input = format!("{}.{}", URL_SAFE_NO_PAD.encode(header), URL_SAFE_NO_PAD.encode(claims));
    let mut mac = Hmac::<sha2::Sha256>::new_from_slice(SECRET.as_bytes()).unwrap();
    mac.update(input.as_bytes());
    format!("{input}.{}", URL_SAFE_NO_PAD.encode(mac.finalize().into_bytes()))
}

fn now() -> u64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs()
}

fn check_token(verifier: &Verifier, strict: bool, token: &str) {
    let Ok(identity) = verifier.verify(token) else { return };
    let mut parts = token.split('.');
    let header: Value = serde_json::from_slice(&URL_SAFE_NO_PAD.decode(parts.next().unwrap()).unwrap()).unwrap();
    let claims: Value = serde_json::from_slice(&URL_SAFE_NO_PAD.decode(parts.next().unwrap()).unwrap()).unwrap();
    assert_eq!(header["alg"], "HS256", "{token}");
    let Value::Object(map) = &claims else { panic!("claims that are not an object: {token}") };
    assert_eq!(identity.subject(), map.get("sub").map(|sub| sub.as_str().unwrap()), "{token}");
    let exp = map.get("exp").and_then(Value::as_u64);
    assert!(exp.is_some_and(|exp| exp + 30 >= now()), "{token}");
    assert_eq!(identity.expires_at(), exp);
    if strict {
        assert_eq!(map.get("iss").and_then(Value::as_str), Some(ISSUER), "{token}");
    } else {
        assert!(!map.contains_key("aud"), "a server without an audience accepted one: {token}");
    }
    let claims_json = identity.claims_json();
    assert!(claims_json.is_ascii());
    assert_eq!(serde_json::from_str::<Value>(&claims_json).unwrap(), claims);
    let mut headers = HeaderMap::new();
    headers.insert(SUBJECT_HEADER, HeaderValue::from_static("forged"));
    identity.set_headers(&mut headers);
    let subject = headers.get(SUBJECT_HEADER).map(|value| value.to_str().unwrap());
    assert!(subject.is_none() || subject == identity.subject(), "a forged subject survived");
    let sent: Value = serde_json::from_str(headers[CLAIMS_HEADER].to_str().unwrap()).unwrap();
    assert_eq!(sent, claims);
}

fn refused_reason(error: &AuthError) -> &'static str {
    error.reason()
}

fn check(verifiers: &[Verifier; 2], input: &[u8]) {
    let text = String::from_utf8_lossy(input);
    for (strict, verifier) in [(false, &verifiers[0]), (true, &verifiers[1])] {
        if let Err(error) = verifier.verify(&text) {
            assert!(!refused_reason(&error).is_empty());
        }
        check_token(verifier, strict, &text);
    }

    // The input's header and claims (decoded, or as they are), signed.
    let mut parts = text.split('.');
    let mut part = || {
        let part = parts.next().unwrap_or_default();
        URL_SAFE_NO_PAD.decode(part).unwrap_or_else(|_| part.as_bytes().to_vec())
    };
    let (header, claims) = (part(), part());
    let signed = sign(&header, &claims);
    for (strict, verifier) in [(false, &verifiers[0]), (true, &verifiers[1])] {
        check_token(verifier, strict, &signed);
        let alg = serde_json::from_slice::<Value>(&header).ok().and_then(|header| header.get("alg").cloned());
        if alg.is_some_and(|alg| alg != "HS256") {
            assert!(matches!(verifier.verify(&signed), Err(AuthError::WrongAlgorithm { .. })));
        }
    }

    // Where a token is found: the header, the cookie, the query.
    if let Ok(value) = HeaderValue::from_bytes(input) {
        for name in ["authorization", "cookie"] {
            let mut headers = HeaderMap::new();
            headers.insert(name, value.clone());
            if let Ok(Some(found)) = token::find(&headers, None) {
                assert!(!found.is_empty());
            }
        }
    }
    if let Ok(Some(found)) = token::find(&HeaderMap::new(), Some(&text)) {
        assert!(!found.is_empty());
    }
}

#[test]
fn fuzz() {
    let verifiers = verifiers();
    bolero::check!(name = "jwt_tokens")
        .with_iterations(crate::support::iterations(2000))
        .for_each(move |input: &[u8]| check(&verifiers, input));
}

#[test]
fn signed_claims_are_checked_after_the_signature() {
    let [open, strict] = verifiers();
    let header = br#"{"alg":"HS256","typ":"JWT"}"#;
    let good = sign(header, format!(r#"{{"sub":"alice","exp":{}}}"#, now() + 60).as_bytes());
    assert_eq!(open.verify(&good).unwrap().subject(), Some("alice"));
    assert!(matches!(strict.verify(&good), Err(AuthError::Malformed(_))), "no `iss`");
    let addressed = format!(r#"{{"sub":"alice","exp":{},"iss":"{ISSUER}","aud":"{AUDIENCE}"}}"#, now() + 60);
    let addressed = sign(header, addressed.as_bytes());
    assert_eq!(strict.verify(&addressed).unwrap().subject(), Some("alice"));
    assert!(matches!(open.verify(&addressed), Err(AuthError::WrongAudience(_))));
    let no_exp = sign(header, br#"{"sub":"alice"}"#);
    assert!(matches!(open.verify(&no_exp), Err(AuthError::Malformed(_))));
    let number_sub = sign(header, format!(r#"{{"sub":5,"exp":{}}}"#, now() + 60).as_bytes());
    assert!(open.verify(&number_sub).is_err());
    let none = sign(br#"{"alg":"none"}"#, format!(r#"{{"exp":{}}}"#, now() + 60).as_bytes());
    assert!(matches!(open.verify(&none), Err(AuthError::WrongAlgorithm { .. })));
    check(&[open, strict], addressed.as_bytes());
}
