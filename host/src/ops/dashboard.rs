//! The dashboard at `GET /`: a page built on the TypeScript client that
//! shows the modules, their live topics and update rates, a live price chart
//! and a broker panel. Its files (`host/assets/dashboard/`, and the client's
//! compiled `clients/ts/dist/`) are embedded in the binary: nothing is
//! fetched from anywhere else, and the host serves it with no set-up.

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};

const HTML: &str = "text/html; charset=utf-8";
const JS: &str = "text/javascript; charset=utf-8";
const CSS: &str = "text/css; charset=utf-8";

/// One embedded file: the path it is served at, its content and content type.
pub struct Asset {
    /// Request path.
    pub path: &'static str,
    /// The file's text.
    pub body: &'static str,
    /// `Content-Type`.
    pub content_type: &'static str,
    /// The file in the repository, relative to this source file (for the completeness test).
    pub source: &'static str,
}

macro_rules! asset {
    ($path:literal, $source:literal, $kind:ident) => {
        Asset { path: $path, body: include_str!($source), content_type: $kind, source: $source }
    };
}

/// Every file of the dashboard.
pub static ASSETS: &[Asset] = &[
    asset!("/", "../../assets/dashboard/index.html", HTML),
    asset!("/assets/dashboard/api.js", "../../assets/dashboard/api.js", JS),
    asset!("/assets/dashboard/broker.js", "../../assets/dashboard/broker.js", JS),
    asset!("/assets/dashboard/chart.js", "../../assets/dashboard/chart.js", JS),
    asset!("/assets/dashboard/dashboard.js", "../../assets/dashboard/dashboard.js", JS),
    asset!("/assets/dashboard/format.js", "../../assets/dashboard/format.js", JS),
    asset!("/assets/dashboard/market.js", "../../assets/dashboard/market.js", JS),
    asset!("/assets/dashboard/modules.js", "../../assets/dashboard/modules.js", JS),
    asset!("/assets/dashboard/settings.js", "../../assets/dashboard/settings.js", JS),
    asset!("/assets/dashboard/style.css", "../../assets/dashboard/style.css", CSS),
    asset!("/assets/client/backoff.js", "../../../clients/ts/dist/backoff.js", JS),
    asset!("/assets/client/canonical.js", "../../../clients/ts/dist/canonical.js", JS),
    asset!("/assets/client/client.js", "../../../clients/ts/dist/client.js", JS),
    asset!("/assets/client/connection.js", "../../../clients/ts/dist/connection.js", JS),
    asset!("/assets/client/errors.js", "../../../clients/ts/dist/errors.js", JS),
    asset!("/assets/client/events.js", "../../../clients/ts/dist/events.js", JS),
    asset!("/assets/client/index.js", "../../../clients/ts/dist/index.js", JS),
    asset!("/assets/client/jwt.js", "../../../clients/ts/dist/jwt.js", JS),
    asset!("/assets/client/protocol.js", "../../../clients/ts/dist/protocol.js", JS),
    asset!("/assets/client/refresh.js", "../../../clients/ts/dist/refresh.js", JS),
    asset!("/assets/client/route.js", "../../../clients/ts/dist/route.js", JS),
    asset!("/assets/client/shape.js", "../../../clients/ts/dist/shape.js", JS),
    asset!("/assets/client/socket.js", "../../../clients/ts/dist/socket.js", JS),
    asset!("/assets/client/subscription.js", "../../../clients/ts/dist/subscription.js", JS),
    asset!("/assets/client/topics.js", "../../../clients/ts/dist/topics.js", JS),
    asset!("/assets/client/url.js", "../../../clients/ts/dist/url.js", JS),
    asset!("/assets/client/generated/broker.js", "../../../clients/ts/dist/generated/broker.js", JS),
    asset!("/assets/client/generated/datafeed.js", "../../../clients/ts/dist/generated/datafeed.js", JS),
];

/// The embedded file served at `path`, if any.
pub fn serve(path: &str) -> Response {
    match ASSETS.iter().find(|asset| asset.path == path) {
        Some(asset) => {
            let mut response = asset.body.into_response();
            let headers = response.headers_mut();
            headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(asset.content_type));
            // Embedded in the binary: a new host version may change them.
            headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
            response
        }
        None => (StatusCode::NOT_FOUND, "no such file").into_response(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::Path;

    #[test]
    fn every_file_of_the_dashboard_and_the_client_is_embedded() {
        let here = Path::new(env!("CARGO_MANIFEST_DIR")).join("src/ops");
        for folder in ["../../assets/dashboard", "../../../clients/ts/dist", "../../../clients/ts/dist/generated"] {
            for entry in std::fs::read_dir(here.join(folder)).unwrap() {
                let name = entry.unwrap().file_name().into_string().unwrap();
                if name.ends_with(".d.ts") || !name.contains('.') {
                    continue;
                }
                let source = format!("{folder}/{name}");
                assert!(
                    ASSETS.iter().any(|asset| asset.source == source),
                    "{source} is not embedded in ops/dashboard.rs"
                );
            }
        }
    }

    #[test]
    fn scripts_are_served_as_javascript() {
        let response = serve("/assets/client/index.js");
        assert_eq!(response.headers()[header::CONTENT_TYPE], JS);
        assert_eq!(serve("/nope").status(), StatusCode::NOT_FOUND);
    }
}
