//! Where a client's token comes from, for WebSocket upgrades and REST alike:
//! the `Authorization: Bearer` header, else the `access_token` cookie (what
//! the Python system's frontend sent), else the `token` query parameter
//! (browsers cannot set headers on a WebSocket upgrade).

use crate::edge::auth::error::AuthError;
use axum::http::HeaderMap;
use axum::http::header::{AUTHORIZATION, COOKIE};

/// The cookie that carries the token.
pub const COOKIE_NAME: &str = "access_token";
/// The query parameter that carries the token.
pub const QUERY_PARAMETER: &str = "token";

/// The token of a request, if it carries one. An `Authorization` header that
/// is not `Bearer <token>` is malformed rather than absent: the client meant
/// to authenticate.
pub fn find(headers: &HeaderMap, query: Option<&str>) -> Result<Option<String>, AuthError> {
    if let Some(value) = headers.get(AUTHORIZATION) {
        return bearer(value.to_str().unwrap_or_default()).map(Some);
    }
    for cookies in headers.get_all(COOKIE) {
        if let Some(token) = cookie(cookies.to_str().unwrap_or_default(), COOKIE_NAME) {
            return Ok(Some(token.to_owned()));
        }
    }
    Ok(query.and_then(|query| query_parameter(query, QUERY_PARAMETER)))
}

/// The token of an `Authorization: Bearer <token>` header value.
pub fn bearer(value: &str) -> Result<String, AuthError> {
    match value.trim().split_once(' ') {
        Some((scheme, token)) if scheme.eq_ignore_ascii_case("bearer") && !token.trim().is_empty() => {
            Ok(token.trim().to_owned())
        }
        _ => Err(AuthError::Malformed("the Authorization header is not `Bearer <token>`".into())),
    }
}

/// The value of cookie `name` in a `Cookie` header (`a=1; access_token=...`).
fn cookie<'a>(header: &'a str, name: &str) -> Option<&'a str> {
    header.split(';').find_map(|pair| {
        let (key, value) = pair.trim().split_once('=')?;
        (key.trim() == name).then(|| value.trim().trim_matches('"')).filter(|value| !value.is_empty())
    })
}

/// The percent-decoded value of query parameter `name`.
fn query_parameter(query: &str, name: &str) -> Option<String> {
    query.split('&').find_map(|pair| {
        let value = pair.strip_prefix(name)?.strip_prefix('=')?;
        (!value.is_empty()).then(|| percent_decode(value))
    })
}

/// `%XX` escapes decoded (and `+` as a space, as forms send it); anything
/// that does not decode stays as it is, and fails verification later.
fn percent_decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = |at: usize| bytes.get(at).and_then(|byte| (*byte as char).to_digit(16));
        match bytes[i] {
            b'%' => match (hex(i + 1), hex(i + 2)) {
                (Some(high), Some(low)) => {
                    out.push((high * 16 + low) as u8);
                    i += 3;
                    continue;
                }
                _ => out.push(b'%'),
            },
            b'+' => out.push(b' '),
            byte => out.push(byte),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    fn headers(pairs: &[(&'static str, &str)]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for (name, value) in pairs {
            map.append(*name, HeaderValue::from_str(value).unwrap());
        }
        map
    }

    #[test]
    fn the_header_comes_first_then_the_cookie_then_the_query() {
        let all = headers(&[("authorization", "Bearer h.h.h"), ("cookie", "access_token=c.c.c")]);
        assert_eq!(find(&all, Some("token=q.q.q")).unwrap().as_deref(), Some("h.h.h"));
        let cookie = headers(&[("cookie", "theme=dark; access_token=\"c.c.c\"")]);
        assert_eq!(find(&cookie, Some("token=q.q.q")).unwrap().as_deref(), Some("c.c.c"));
        assert_eq!(find(&HeaderMap::new(), Some("a=1&token=q.q%2Eq")).unwrap().as_deref(), Some("q.q.q"));
        assert_eq!(find(&HeaderMap::new(), Some("tokens=x")).unwrap(), None);
        assert_eq!(find(&HeaderMap::new(), None).unwrap(), None);
    }

    #[test]
    fn an_authorization_header_that_is_not_bearer_is_malformed() {
        for value in ["Basic dXNlcjpwYXNz", "Bearer", "Bearer  ", "token"] {
            assert_eq!(find(&headers(&[("authorization", value)]), None).unwrap_err().reason(), "malformed_token");
        }
        assert_eq!(bearer("bearer abc").unwrap(), "abc");
    }
}
