//! `topicwire token`: mints an HS256 development token, so trying `[auth]`
//! needs no other tool.
//!
//! ```text
//! topicwire token --secret S --sub alice --accounts A1,A2 --ttl 1h
//! ```

use anyhow::{Context, Result, bail};
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use serde_json::{Map, Value, json};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// `topicwire token`.
#[derive(Debug, Clone, clap::Args)]
pub struct TokenArgs {
    /// The HS256 secret the server verifies with (`[auth] jwt_hs256_secret`).
    #[arg(long)]
    pub secret: String,
    /// The token's subject (`sub`).
    #[arg(long)]
    pub sub: String,
    /// Accounts the token grants (`accounts` claim), comma-separated.
    #[arg(long, value_delimiter = ',')]
    pub accounts: Vec<String>,
    /// Lifetime: 90s, 15m, 1h, 2d.
    #[arg(long, default_value = "1h")]
    pub ttl: String,
    /// Issuer (`iss`), when the server requires one.
    #[arg(long)]
    pub issuer: Option<String>,
    /// Audience (`aud`), when the server requires one.
    #[arg(long)]
    pub audience: Option<String>,
}

/// Prints the token of `args` on stdout.
pub fn run(args: &TokenArgs) -> Result<()> {
    println!("{}", mint(args, now_secs())?);
    Ok(())
}

/// The HS256 token of `args`, issued at `now` (epoch seconds): `sub`,
/// `accounts` (when given), `iat`, `exp`, and `iss`/`aud` when given.
pub fn mint(args: &TokenArgs, now: u64) -> Result<String> {
    let ttl = parse_duration(&args.ttl)?;
    let mut claims = Map::new();
    claims.insert("sub".into(), json!(args.sub));
    if !args.accounts.is_empty() {
        claims.insert("accounts".into(), json!(args.accounts));
    }
    claims.insert("iat".into(), json!(now));
    claims.insert("exp".into(), json!(now + ttl.as_secs()));
    if let Some(issuer) = &args.issuer {
        claims.insert("iss".into(), json!(issuer));
    }
    if let Some(audience) = &args.audience {
        claims.insert("aud".into(), json!(audience));
    }
    jsonwebtoken::encode(
        &Header::new(Algorithm::HS256),
        &Value::Object(claims),
        &EncodingKey::from_secret(args.secret.as_bytes()),
    )
    .context("cannot sign the token")
}

/// `90`, `90s`, `15m`, `1h`, `2d` as a duration.
pub fn parse_duration(text: &str) -> Result<Duration> {
    let text = text.trim();
    let (number, unit) = match text.find(|c: char| !c.is_ascii_digit()) {
        Some(at) => text.split_at(at),
        None => (text, "s"),
    };
    let number: u64 = number.parse().with_context(|| format!("`{text}` is not a duration like 90s, 15m, 1h or 2d"))?;
    let seconds = match unit {
        "s" => 1,
        "m" => 60,
        "h" => 3600,
        "d" => 86_400,
        _ => bail!("`{text}`: the unit must be s, m, h or d"),
    };
    Ok(Duration::from_secs(number.saturating_mul(seconds)))
}

fn now_secs() -> u64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |elapsed| elapsed.as_secs())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::edge::auth::config::AuthConfig;
    use crate::edge::auth::verify::Verifier;

    #[test]
    fn parses_durations() {
        assert_eq!(parse_duration("90").unwrap().as_secs(), 90);
        assert_eq!(parse_duration("15m").unwrap().as_secs(), 900);
        assert_eq!(parse_duration("1h").unwrap().as_secs(), 3600);
        assert_eq!(parse_duration("2d").unwrap().as_secs(), 172_800);
        assert!(parse_duration("1w").is_err());
        assert!(parse_duration("h").is_err());
    }

    #[test]
    fn a_minted_token_verifies_with_the_same_secret() {
        let args = TokenArgs {
            secret: "dev-secret".into(),
            sub: "alice".into(),
            accounts: vec!["A1".into(), "A2".into()],
            ttl: "1h".into(),
            issuer: None,
            audience: None,
        };
        let token = mint(&args, now_secs()).unwrap();
        let config =
            AuthConfig { jwt_hs256_secret: Some("dev-secret".into()), required: true, ..AuthConfig::default() };
        let identity = Verifier::new(&config).unwrap().unwrap().verify(&token).unwrap();
        assert_eq!(identity.subject(), Some("alice"));
        assert!(identity.claims_json().contains(r#""accounts":["A1","A2"]"#));
        let other = AuthConfig { jwt_hs256_secret: Some("other".into()), ..config };
        assert_eq!(Verifier::new(&other).unwrap().unwrap().verify(&token).unwrap_err().reason(), "bad_signature");
    }
}
