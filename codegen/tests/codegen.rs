//! Tests of the generator: a snapshot of its output for a two-route component
//! (re-bless with `BLESS=1 cargo test -p topicwire-codegen`) and one test per
//! kind of bad declaration, each checking the location and the fix it names.

#![allow(clippy::unwrap_used, reason = "test helpers: a failed unwrap is a failed test")]

use std::path::{Path, PathBuf};
use topicwire_codegen::{Component, generate};

const MODELS: &str = r#"
use serde::{Deserialize, Serialize};
use schemars::JsonSchema;

#[derive(Serialize, Deserialize, JsonSchema)]
pub struct BarsSubscriptionRequest { pub symbol: String, pub resolution: String }

#[derive(Serialize, JsonSchema)]
pub struct Bar { pub time: i64, pub close: f64 }

#[derive(Serialize, Deserialize, JsonSchema)]
pub struct AccountRequest { #[serde(rename = "accountId")] pub account_id: String }

#[derive(Serialize, JsonSchema)]
pub struct Connection { pub status: u8 }

#[derive(Serialize, Deserialize)]
pub struct NoSchema { pub symbol: String }
"#;

const SERVICE: &str = "pub type Service = crate::service::Svc;\n";

/// A throwaway component folder with `ws.rs` and the shared models.
struct Fixture {
    root: PathBuf,
}

impl Fixture {
    fn new(name: &str, ws: &str) -> Self {
        let root = std::env::temp_dir().join(format!("topicwire-codegen-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&root);
        std::fs::create_dir_all(root.join("src")).unwrap();
        std::fs::write(root.join("src/ws.rs"), ws).unwrap();
        std::fs::write(root.join("src/models.rs"), MODELS).unwrap();
        Self { root }
    }

    fn component(&self) -> Component {
        Component::locate(&self.root, Some(&workspace().join("wit"))).unwrap()
    }

    fn error(&self) -> String {
        match generate(&self.component()) {
            Ok(_) => panic!("expected an error"),
            Err(err) => err.to_string(),
        }
    }
}

impl Drop for Fixture {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.root);
    }
}

fn workspace() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).parent().unwrap().to_owned()
}

#[test]
fn generated_code_matches_the_snapshot() {
    let fixture = Fixture::new(
        "snapshot",
        &format!(
            "use topicwire_guest::{{route, WsRouter}};\n\
             use crate::models::*;\n\
             /// OHLCV bars of one symbol.\n\
             #[route(\"bars\")]\n\
             pub type BarWsRouter = WsRouter<BarsSubscriptionRequest, Bar>;\n\
             /// Connection status of one account.\n\
             #[route(\"broker-connection\", delivery = \"reliable\", history = 50, history_ttl_secs = 60)]\n\
             pub type BrokerConnectionWsRouter = topicwire_guest::WsRouter<AccountRequest, Connection>;\n\
             {SERVICE}"
        ),
    );
    // A fixed WIT path: the fixture lives in a temporary folder, and the
    // snapshot must not depend on where the checkout is.
    let component = Component { root: fixture.root.clone(), wit_from_root: "../../wit".into() };
    let files = generate(&component).unwrap();
    let names: Vec<_> = files.iter().map(|file| file.path.display().to_string()).collect();
    assert_eq!(names, ["src/ws_generated/mod.rs"], "one file: what varies per route is a few lines of it");
    let snapshots = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/snapshots");
    for file in files {
        let name = file.path.file_name().unwrap();
        let snapshot = snapshots.join(name);
        if std::env::var_os("BLESS").is_some() {
            std::fs::create_dir_all(&snapshots).unwrap();
            std::fs::write(&snapshot, &file.contents).unwrap();
        }
        let expected = std::fs::read_to_string(&snapshot).unwrap_or_default();
        assert!(
            file.contents == expected,
            "{} differs from its snapshot; re-bless with BLESS=1 if the change is intended:\n{}",
            snapshot.display(),
            file.contents
        );
    }
}

#[test]
fn the_wit_path_is_relative_to_the_component() {
    let fixture = Fixture::new(
        "wit-path",
        &format!("#[route(\"bars\")] pub type B = WsRouter<BarsSubscriptionRequest, Bar>;\n{SERVICE}"),
    );
    let files = generate(&fixture.component()).unwrap();
    let expected =
        topicwire_codegen::Component::locate(&fixture.root, Some(&workspace().join("wit"))).unwrap().wit_from_root;
    assert!(files[0].contents.contains(&format!("path : \"{expected}\"")), "{}", files[0].contents);
}

#[test]
fn unknown_types_are_named_with_their_line() {
    let fixture = Fixture::new(
        "unknown",
        &format!("{SERVICE}\n#[route(\"bars\")]\npub type BarWsRouter = WsRouter<BarsSubscriptionRequest, Candle>;\n"),
    );
    let error = fixture.error();
    assert!(error.contains("unknown type `Candle`"), "{error}");
    assert!(error.contains("--> src/ws.rs:4:"), "{error}");
    assert!(error.contains("help: define `Candle`"), "{error}");
}

#[test]
fn models_without_the_needed_derives_are_refused() {
    let fixture = Fixture::new(
        "derives",
        &format!("{SERVICE}#[route(\"bars\")]\npub type BarWsRouter = WsRouter<NoSchema, Bar>;\n"),
    );
    let error = fixture.error();
    assert!(
        error.contains(
            "`NoSchema` (src/models.rs:18) is the subscription request of a route but does not derive `JsonSchema`"
        ),
        "{error}"
    );
    assert!(error.contains("--> src/ws.rs:3:"), "{error}");
    assert!(error.contains("help: add #[derive(JsonSchema)] to `NoSchema`"), "{error}");
}

#[test]
fn duplicate_routes_point_at_both_declarations() {
    let fixture = Fixture::new(
        "duplicate",
        &format!(
            "{SERVICE}#[route(\"bars\")]\npub type A = WsRouter<BarsSubscriptionRequest, Bar>;\n\
             #[route(\"bars\")]\npub type B = WsRouter<BarsSubscriptionRequest, Bar>;\n"
        ),
    );
    let error = fixture.error();
    assert!(error.contains("route `bars` is declared twice (first at src/ws.rs:2)"), "{error}");
    assert!(error.contains("--> src/ws.rs:4:"), "{error}");
}

#[test]
fn malformed_aliases_show_the_expected_form() {
    let fixture =
        Fixture::new("malformed", &format!("{SERVICE}#[route(\"bars\")]\npub type BarWsRouter = Vec<Bar>;\n"));
    let error = fixture.error();
    assert!(error.contains("`BarWsRouter` must be an alias of `WsRouter<Request, Data>`, found `Vec<Bar>`"), "{error}");
    assert!(error.contains("--> src/ws.rs:3:"), "{error}");

    let one_arg = Fixture::new("one-arg", &format!("{SERVICE}#[route(\"bars\")]\npub type B = WsRouter<Bar>;\n"));
    assert!(one_arg.error().contains("must be an alias of `WsRouter<Request, Data>`"));
}

#[test]
fn a_declaration_without_a_route_name_is_refused() {
    let fixture = Fixture::new(
        "no-name",
        &format!("{SERVICE}\npub type BarWsRouter = WsRouter<BarsSubscriptionRequest, Bar>;\n"),
    );
    let error = fixture.error();
    assert!(error.contains("route declaration `BarWsRouter` has no route name"), "{error}");
    assert!(error.contains("--> src/ws.rs:3:"), "{error}");
    assert!(error.contains("help: add `#[route(\"name\")]` above it"), "{error}");
}

#[test]
fn bad_route_names_and_missing_pieces_are_refused() {
    let bad_name = Fixture::new(
        "bad-name",
        &format!("{SERVICE}#[route(\"Bars!\")]\npub type B = WsRouter<BarsSubscriptionRequest, Bar>;\n"),
    );
    assert!(bad_name.error().contains("route name `Bars!` is not valid"));
    let keyword = Fixture::new(
        "keyword",
        &format!("{SERVICE}#[route(\"type\")]\npub type B = WsRouter<BarsSubscriptionRequest, Bar>;\n"),
    );
    assert!(keyword.error().contains("route name `type` is reserved"));
    let not_literal = Fixture::new(
        "not-literal",
        &format!("{SERVICE}#[route(bars)]\npub type B = WsRouter<BarsSubscriptionRequest, Bar>;\n"),
    );
    assert!(not_literal.error().contains("the route name must be one string literal"));
    let private = Fixture::new(
        "private",
        &format!("{SERVICE}#[route(\"bars\")]\ntype B = WsRouter<BarsSubscriptionRequest, Bar>;\n"),
    );
    assert!(private.error().contains("`B` is private"));
    let no_service =
        Fixture::new("no-service", "#[route(\"bars\")]\npub type B = WsRouter<BarsSubscriptionRequest, Bar>;\n");
    assert!(no_service.error().contains("the service type is not declared"));
    let no_routes = Fixture::new("no-routes", SERVICE);
    assert!(no_routes.error().contains("no routes are declared"));
    let syntax = Fixture::new("syntax", "pub type = ;");
    assert!(syntax.error().contains("syntax error"));
}

#[test]
fn every_error_is_reported_at_once() {
    let fixture = Fixture::new(
        "many",
        "#[route(\"bars\")]\npub type A = WsRouter<Nope, Bar>;\npub type B = WsRouter<BarsSubscriptionRequest, Bar>;\n",
    );
    let error = fixture.error();
    assert_eq!(error.matches("error: ").count(), 3, "{error}");
}

#[test]
fn a_route_declares_its_delivery_policy() {
    let fixture = Fixture::new(
        "delivery",
        &format!(
            "#[route(\"bars\", delivery = \"reliable\")]\npub type B = WsRouter<BarsSubscriptionRequest, Bar>;\n\
             #[route(\"quotes\", delivery = \"conflate\",)]\npub type Q = WsRouter<BarsSubscriptionRequest, Bar>;\n{SERVICE}"
        ),
    );
    let files = generate(&fixture.component()).unwrap();
    let routes = &files[0].contents;
    let bars = routes.find("NAME: &'static str = \"bars\"").unwrap();
    let quotes = routes.find("NAME: &'static str = \"quotes\"").unwrap();
    assert!(routes[bars..quotes].contains("DELIVERY: Delivery = Delivery::Reliable"), "{routes}");
    assert!(routes[quotes..].contains("DELIVERY: Delivery = Delivery::Conflate"), "{routes}");
}

#[test]
fn unknown_route_options_and_deliveries_are_refused() {
    let fixture = Fixture::new(
        "bad-delivery",
        &format!(
            "{SERVICE}#[route(\"bars\", delivery = \"sometimes\")]\npub type A = WsRouter<BarsSubscriptionRequest, Bar>;\n\
             #[route(\"quotes\", priority = \"high\")]\npub type B = WsRouter<BarsSubscriptionRequest, Bar>;\n"
        ),
    );
    let error = fixture.error();
    assert!(error.contains("unknown delivery `sometimes`"), "{error}");
    assert!(error.contains("--> src/ws.rs:2:"), "{error}");
    assert!(error.contains("unknown route option `priority`"), "{error}");
    assert!(error.contains("--> src/ws.rs:4:"), "{error}");
    assert!(error.contains("help: write `delivery = \"conflate\"`"), "{error}");
}

#[test]
fn a_route_declares_its_history() {
    let fixture = Fixture::new(
        "history",
        &format!(
            "#[route(\"a\", delivery = \"reliable\", history = 20, history_ttl_secs = 30)]\npub type A = WsRouter<BarsSubscriptionRequest, Bar>;\n\
             #[route(\"b\", history = 5)]\npub type B = WsRouter<BarsSubscriptionRequest, Bar>;\n\
             #[route(\"c\", delivery = \"reliable\", history_ttl_secs = 10)]\npub type C = WsRouter<BarsSubscriptionRequest, Bar>;\n\
             #[route(\"d\", delivery = \"reliable\", history = 0)]\npub type D = WsRouter<BarsSubscriptionRequest, Bar>;\n\
             #[route(\"e\", delivery = \"reliable\")]\npub type E = WsRouter<BarsSubscriptionRequest, Bar>;\n{SERVICE}"
        ),
    );
    let files = generate(&fixture.component()).unwrap();
    let routes = &files[0].contents;
    let history = |route: &str| {
        let start = routes.find(&format!("NAME: &'static str = \"{route}\"")).unwrap();
        let end = routes[start..].find("type Host").unwrap() + start;
        let item = routes[start..end].split_whitespace().collect::<Vec<_>>().join(" ");
        let declared = item.split("History { ").nth(1)?;
        Some(declared.split('}').next().unwrap().trim_end_matches([' ', ',']).to_owned())
    };
    assert_eq!(history("a").as_deref(), Some("size: 20, ttl_secs: 30"), "{routes}");
    assert_eq!(history("b").as_deref(), Some("size: 5, ttl_secs: 300"), "a size alone is kept 300 s");
    assert_eq!(history("c").as_deref(), Some("size: 1000, ttl_secs: 10"), "a TTL alone keeps 1000");
    assert_eq!(history("d").as_deref(), Some("size: 0, ttl_secs: 0"), "`history = 0` keeps none");
    assert_eq!(history("e"), None, "undeclared: the host's default for the delivery");
}

#[test]
fn bad_histories_are_refused_with_their_line_and_bounds() {
    let fixture = Fixture::new(
        "bad-history",
        &format!(
            "{SERVICE}#[route(\"a\", history = 20000)]\npub type A = WsRouter<BarsSubscriptionRequest, Bar>;\n\
             #[route(\"b\", history = 10, history_ttl_secs = 7200)]\npub type B = WsRouter<BarsSubscriptionRequest, Bar>;\n\
             #[route(\"c\", history = \"1000\")]\npub type C = WsRouter<BarsSubscriptionRequest, Bar>;\n\
             #[route(\"d\", history = 10, history_ttl_secs = 0)]\npub type D = WsRouter<BarsSubscriptionRequest, Bar>;\n\
             #[route(\"e\", history = -1)]\npub type E = WsRouter<BarsSubscriptionRequest, Bar>;\n\
             #[route(\"f\", history = 1, history = 2)]\npub type F = WsRouter<BarsSubscriptionRequest, Bar>;\n\
             #[route(\"g\", history_ttl_secs = 0)]\npub type G = WsRouter<BarsSubscriptionRequest, Bar>;\n"
        ),
    );
    let error = fixture.error();
    for (line, message) in [
        (2, "`history = 20000` is out of bounds: at most 10000"),
        (4, "`history_ttl_secs = 7200` is out of bounds: at most 3600"),
        (6, "`history` must be a whole number, without quotes"),
        (8, "`history = 10` with `history_ttl_secs = 0` keeps nothing"),
        (12, "route option `history` is given twice"),
        (14, "`history_ttl_secs = 0` alone keeps nothing"),
    ] {
        let at = error.find(message).unwrap_or_else(|| panic!("no `{message}` in:\n{error}"));
        assert!(error[at..].contains(&format!("--> src/ws.rs:{line}:")), "{message} not at line {line}:\n{error}");
    }
    assert!(error.contains("help: write `history = N` with N from 1 to 10000"), "{error}");
    assert_eq!(error.matches("error: ").count(), 7, "`history = -1` is refused too:\n{error}");
}

#[test]
fn every_route_gets_a_marker_a_topic_and_its_arm_in_each_export() {
    let fixture = Fixture::new(
        "dispatch",
        &format!("#[route(\"broker-connection\")]\npub type B = WsRouter<AccountRequest, Connection>;\n{SERVICE}"),
    );
    let files = generate(&fixture.component()).unwrap();
    let code = &files[0].contents;
    assert!(code.contains("pub enum BRoute {}"), "{code}");
    assert!(code.contains("impl topicwire_guest::WsRoute for BRoute {"), "{code}");
    assert!(code.contains("type Request = <crate::ws::B as topicwire_guest::Router>::Request;"), "{code}");
    assert!(code.contains("pub type BTopic = topicwire_guest::WsTopic<BRoute>;"), "{code}");
    assert_eq!(code.matches("\"broker-connection\" =>").count(), 4, "an arm per export but routes: {code}");
    for export in ["build_topic", "create_topic", "remove_topic", "on_timer"] {
        let call = format!("dispatch::{export}::<Service, BRoute>(");
        assert!(code.contains(&call), "{export} hands the route to its handlers: {code}");
    }
    assert!(!code.contains("export_http!"), "no REST API, no wasi:http export: {code}");
}

#[test]
fn aliases_that_would_generate_the_same_names_are_refused() {
    let fixture = Fixture::new(
        "same-names",
        &format!(
            "{SERVICE}#[route(\"bars\")]\npub type BarWsRouter = WsRouter<BarsSubscriptionRequest, Bar>;\n\
             #[route(\"candles\")]\npub type BarWs = WsRouter<BarsSubscriptionRequest, Bar>;\n"
        ),
    );
    let error = fixture.error();
    assert!(
        error.contains("`BarWs` and `BarWsRouter` (route `bars`) would both generate `BarWsRoute` and `BarWsTopic`"),
        "{error}"
    );
    assert!(error.contains("--> src/ws.rs:5:"), "{error}");
}

#[test]
fn an_http_declaration_exports_the_rest_glue_in_one_line() {
    let fixture = Fixture::new(
        "http",
        &format!(
            "#[route(\"bars\")]\npub type B = WsRouter<BarsSubscriptionRequest, Bar>;\n{SERVICE}\
             pub type Http = crate::api::Api;\n"
        ),
    );
    let files = generate(&fixture.component()).unwrap();
    let names: Vec<_> = files.iter().map(|file| file.path.display().to_string()).collect();
    assert_eq!(names, ["src/ws_generated/mod.rs"]);
    let code = &files[0].contents;
    assert_eq!(code.matches("topicwire_guest::export_http!(crate::ws::Http);").count(), 1, "{code}");
    // topicwire-guest's export brings wasi:http along; the component's own bindings keep the base world.
    assert!(code.contains(r#"world : "ws-route-service","#), "{code}");
}
