//! Turns parsed declarations into a [`Model`], or into every error found.
//!
//! Accepted in `src/ws.rs`:
//!
//! - `#[route("name")] pub type XRouter = WsRouter<Request, Data>;` per route,
//!   its `///` docs being the route's description; `#[route("name", delivery =
//!   "reliable")]` for a route whose updates must never be conflated (the
//!   default is `"conflate"`); `history = N` and `history_ttl_secs = S` for
//!   what its topics keep for clients that recover (both optional; neither:
//!   the host's default for the delivery, a reliable route keeping 1000
//!   updates for 300 s and a conflated one none; `history = 0` keeps none);
//! - `pub type Service = path::To::Service;` naming the type that implements
//!   `topicwire_guest::WsRouteService<R>` for every route `R`;
//! - optionally `pub type Http = path::To::Api;` naming a type that implements
//!   `topicwire_guest::http::HttpService`: the component then also serves a
//!   REST API (it exports `wasi:http/incoming-handler`, as world
//!   `ws-route-service-http` describes).
//!
//! `Request` must derive `Serialize`, `Deserialize` and `JsonSchema`; `Data`
//! must derive `Serialize` and `JsonSchema`; both must be defined in the crate.

use crate::diagnostic::{Diagnostic, Diagnostics};
use crate::parse::{Sources, WS_FILE};
use quote::ToTokens;
use std::collections::BTreeMap;

/// The name of the declaration that names the service type.
pub const SERVICE_ALIAS: &str = "Service";
/// The name of the declaration that names the REST API type.
pub const HTTP_ALIAS: &str = "Http";
const ROUTER: &str = "WsRouter";
/// Names a route cannot take: Rust keywords and the names of the generated
/// module's own items, kept free so a route name can always become a Rust
/// identifier (as it did when routes were generated modules and methods).
const RESERVED: &[&str] = &[
    "as", "async", "await", "break", "const", "continue", "crate", "dyn", "else", "enum", "extern", "false", "fn",
    "for", "gen", "if", "impl", "in", "let", "loop", "match", "mod", "move", "mut", "pub", "ref", "return", "self",
    "static", "struct", "super", "trait", "true", "type", "unsafe", "use", "where", "while", "abstract", "become",
    "box", "do", "final", "macro", "override", "priv", "try", "typeof", "unsized", "virtual", "yield", "bindings",
    "http",
];
const EXAMPLE: &str = "#[route(\"bars\")] pub type BarWsRouter = WsRouter<BarsSubscriptionRequest, Bar>;";
const DELIVERY_HELP: &str = "write `delivery = \"conflate\"` (the default: a slow client gets the latest update per topic) or \
     `delivery = \"reliable\"` (never conflated; a client that cannot keep up is closed)";
const OPTIONS_HELP: &str = "the options are `delivery = \"conflate\" | \"reliable\"`, `history = N` (updates kept per topic) \
     and `history_ttl_secs = S` (how long), e.g. #[route(\"orders\", delivery = \"reliable\", history = 1000, history_ttl_secs = 300)]";
/// The most updates a route may keep per topic and the longest, in seconds:
/// the host's bounds (`RouteHistory::MAX_SIZE`, `MAX_TTL_SECS` in
/// `host/src/runtime/status.rs`), checked here so a bad value is an error at
/// its line rather than a component the host refuses to load.
pub const MAX_HISTORY: u32 = 10_000;
/// See [`MAX_HISTORY`].
pub const MAX_HISTORY_TTL_SECS: u32 = 3_600;
/// What `history = N` alone keeps its updates for, and `history_ttl_secs`
/// alone keeps: the host's defaults for a reliable route.
const DEFAULT_HISTORY: u32 = 1_000;
const DEFAULT_HISTORY_TTL_SECS: u32 = 300;
fn history_help() -> String {
    format!(
        "write `history = N` with N from 1 to {MAX_HISTORY} (updates kept per topic; 0 keeps none) and optionally \
         `history_ttl_secs = S` with S from 1 to {MAX_HISTORY_TTL_SECS} (seconds they are kept; {DEFAULT_HISTORY_TTL_SECS} by default)"
    )
}

/// A checked component: what the emitter renders.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Model {
    /// Routes in declaration order.
    pub routes: Vec<Route>,
    /// Whether the component also serves a REST API.
    pub http: bool,
}

/// One checked route.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Route {
    /// Route name, e.g. `bars` or `broker-connection`.
    pub name: String,
    /// The declaring alias, e.g. `BarWsRouter`.
    pub alias: String,
    /// One-line description from the alias' docs.
    pub description: String,
    /// What a slow client gets of the route's updates.
    pub delivery: Delivery,
    /// What its topics keep for clients that recover; `None`: the host's
    /// default for the delivery.
    pub history: Option<History>,
}

/// A route's declared history, `#[route("name", history = N, history_ttl_secs = S)]`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct History {
    /// Updates kept per topic; 0 keeps none.
    pub size: u32,
    /// Seconds an update is kept.
    pub ttl_secs: u32,
}

/// A route's delivery policy, `#[route("name", delivery = "...")]`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Delivery {
    /// Only the latest update per topic is kept for a slow client (market data).
    #[default]
    Conflate,
    /// Never conflated; a client whose queue cannot take an update is closed (account events).
    Reliable,
}

/// The arguments of `#[route("name", delivery = "reliable", history = 1000)]`.
struct RouteArgs {
    name: syn::LitStr,
    options: Vec<(syn::Ident, syn::Lit)>,
}

impl syn::parse::Parse for RouteArgs {
    fn parse(input: syn::parse::ParseStream<'_>) -> syn::Result<Self> {
        let name = input.parse()?;
        let mut options = Vec::new();
        while !input.is_empty() {
            input.parse::<syn::Token![,]>()?;
            if input.is_empty() {
                break;
            }
            let key = input.parse()?;
            input.parse::<syn::Token![=]>()?;
            options.push((key, input.parse()?));
        }
        Ok(Self { name, options })
    }
}

impl Route {
    /// The generated marker type of the route: `BarWsRouter` → `BarWsRoute`.
    pub fn route_type(&self) -> String {
        format!("{}Route", self.stem())
    }

    /// The generated topic type: `BarWsRouter` → `BarWsTopic`.
    pub fn topic_type(&self) -> String {
        format!("{}Topic", self.stem())
    }

    /// The alias without its `Router` suffix, which the generated names extend.
    fn stem(&self) -> &str {
        self.alias.strip_suffix("Router").unwrap_or(&self.alias)
    }
}

/// Checks the declarations of `sources`, collecting every problem.
pub fn check(sources: &Sources) -> Result<Model, Diagnostics> {
    let mut errors = Vec::new();
    let mut routes: Vec<Route> = Vec::new();
    let mut seen: BTreeMap<String, usize> = BTreeMap::new();
    let mut service = false;
    let mut http = false;

    for item in &sources.ws.items {
        let syn::Item::Type(alias) = item else { continue };
        let route_attr =
            alias.attrs.iter().find(|attr| attr.path().segments.last().is_some_and(|s| s.ident == "route"));
        if alias.ident == SERVICE_ALIAS && route_attr.is_none() {
            service = true;
            check_visibility(alias, &mut errors);
            continue;
        }
        if alias.ident == HTTP_ALIAS && route_attr.is_none() {
            http = true;
            check_visibility(alias, &mut errors);
            continue;
        }
        let router_args = router_args(&alias.ty);
        let Some(attr) = route_attr else {
            if router_args.is_some() {
                errors.push(err(
                    alias.ident.span(),
                    format!("route declaration `{}` has no route name", alias.ident),
                    format!("add `#[route(\"name\")]` above it, e.g. {EXAMPLE}"),
                ));
            }
            continue;
        };
        let (name, options) = match attr.parse_args::<RouteArgs>() {
            Ok(args) => (Some((args.name.value(), args.name.span())), options(&args.options, &mut errors)),
            Err(_) => {
                errors.push(err(
                    attr.path().segments[0].ident.span(),
                    "the route name must be one string literal, optionally followed by options (`delivery = \"...\"`, \
                     `history = N`, `history_ttl_secs = S`)"
                        .to_owned(),
                    format!("write it as {EXAMPLE}"),
                ));
                (None, Options::default())
            }
        };
        let Options { delivery, history } = options;
        let Some((request, data)) = router_args else {
            errors.push(err(
                alias.ty.span_start(),
                format!(
                    "`{}` must be an alias of `WsRouter<Request, Data>`, found `{}`",
                    alias.ident,
                    alias.ty.to_token_stream().to_string().replace(" < ", "<").replace(" >", ">").replace(" ,", ",")
                ),
                format!("declare routes as {EXAMPLE}"),
            ));
            continue;
        };
        check_visibility(alias, &mut errors);
        check_model(sources, request, "subscription request", &["Serialize", "Deserialize", "JsonSchema"], &mut errors);
        check_model(sources, data, "update data", &["Serialize", "JsonSchema"], &mut errors);
        let Some((name, span)) = name else { continue };
        if !valid_route_name(&name) {
            errors.push(err(
                span,
                format!("route name `{name}` is not valid"),
                "use lowercase letters, digits and `-`, starting with a letter (e.g. `bars`, `broker-connection`)"
                    .to_owned(),
            ));
            continue;
        }
        if RESERVED.contains(&name.replace('-', "_").as_str()) {
            errors.push(err(
                span,
                format!("route name `{name}` is reserved: it is a Rust keyword or a name of the generated code"),
                "choose another name".to_owned(),
            ));
            continue;
        }
        if let Some(first) = seen.get(&name) {
            errors.push(err(
                span,
                format!("route `{name}` is declared twice (first at {WS_FILE}:{first})"),
                "give each route a unique name, or remove the duplicate".to_owned(),
            ));
            continue;
        }
        let route = Route { name, alias: alias.ident.to_string(), description: docs(&alias.attrs), delivery, history };
        if let Some(other) = routes.iter().find(|other| other.route_type() == route.route_type()) {
            errors.push(err(
                alias.ident.span(),
                format!(
                    "`{}` and `{}` (route `{}`) would both generate `{}` and `{}`",
                    route.alias,
                    other.alias,
                    other.name,
                    route.route_type(),
                    route.topic_type()
                ),
                "rename one of them: the generated names drop a trailing `Router` from the alias".to_owned(),
            ));
            continue;
        }
        seen.insert(route.name.clone(), span.start().line);
        routes.push(route);
    }

    if routes.is_empty() && errors.is_empty() {
        errors.push(Diagnostic {
            file: WS_FILE.into(),
            line: 1,
            column: 1,
            message: "no routes are declared".to_owned(),
            help: format!("declare at least one route, e.g. {EXAMPLE}"),
        });
    }
    if !service {
        errors.push(Diagnostic {
            file: WS_FILE.into(),
            line: 1,
            column: 1,
            message: "the service type is not declared".to_owned(),
            help:
                "add `pub type Service = crate::service::MyService;` naming the type that implements `WsRouteService<R>` for every route"
                    .to_owned(),
        });
    }
    if errors.is_empty() { Ok(Model { routes, http }) } else { Err(Diagnostics(errors)) }
}

/// What a route's options declare.
#[derive(Default)]
struct Options {
    delivery: Delivery,
    history: Option<History>,
}

/// The delivery policy and history named by a route's options; unknown or
/// repeated options and bad values are errors.
fn options(options: &[(syn::Ident, syn::Lit)], errors: &mut Vec<Diagnostic>) -> Options {
    let mut delivery = Delivery::default();
    let mut size = None;
    let mut ttl = None;
    let mut seen: Vec<String> = Vec::new();
    for (key, value) in options {
        let name = key.to_string();
        if seen.contains(&name) {
            errors.push(err(key.span(), format!("route option `{key}` is given twice"), "keep one of them".to_owned()));
            continue;
        }
        seen.push(name);
        if key == "delivery" {
            delivery = match value {
                syn::Lit::Str(text) if text.value() == "conflate" => Delivery::Conflate,
                syn::Lit::Str(text) if text.value() == "reliable" => Delivery::Reliable,
                syn::Lit::Str(text) => {
                    errors.push(err(
                        value.span(),
                        format!("unknown delivery `{}`", text.value()),
                        DELIVERY_HELP.to_owned(),
                    ));
                    Delivery::default()
                }
                _ => {
                    errors.push(err(value.span(), "`delivery` must be a string".to_owned(), DELIVERY_HELP.to_owned()));
                    Delivery::default()
                }
            };
        } else if key == "history" {
            size = number(key, value, MAX_HISTORY, errors);
        } else if key == "history_ttl_secs" {
            ttl = number(key, value, MAX_HISTORY_TTL_SECS, errors);
        } else {
            errors.push(err(key.span(), format!("unknown route option `{key}`"), OPTIONS_HELP.to_owned()));
        }
    }
    let history = match (size, ttl) {
        (None, None) => None,
        (Some((0, _)), None) => Some(History { size: 0, ttl_secs: 0 }),
        (Some((size, _)), None) => Some(History { size, ttl_secs: DEFAULT_HISTORY_TTL_SECS }),
        (None, Some((0, span))) => {
            errors.push(err(
                span,
                "`history_ttl_secs = 0` alone keeps nothing".to_owned(),
                format!("give both a value above 0, or write `history = 0` alone for none; {}", history_help()),
            ));
            None
        }
        (None, Some((ttl_secs, _))) => Some(History { size: DEFAULT_HISTORY, ttl_secs }),
        (Some((size, span)), Some((ttl_secs, _))) if (size == 0) != (ttl_secs == 0) => {
            errors.push(err(
                span,
                format!("`history = {size}` with `history_ttl_secs = {ttl_secs}` keeps nothing"),
                format!("give both a value above 0, or write `history = 0` alone for none; {}", history_help()),
            ));
            None
        }
        (Some((size, _)), Some((ttl_secs, _))) => Some(History { size, ttl_secs }),
    };
    Options { delivery, history }
}

/// The value of option `key`, a whole number from 0 to `max`, with where it is.
fn number(
    key: &syn::Ident,
    value: &syn::Lit,
    max: u32,
    errors: &mut Vec<Diagnostic>,
) -> Option<(u32, proc_macro2::Span)> {
    let syn::Lit::Int(int) = value else {
        errors.push(err(value.span(), format!("`{key}` must be a whole number, without quotes"), history_help()));
        return None;
    };
    match int.base10_parse::<u32>() {
        Ok(number) if number <= max => Some((number, int.span())),
        _ => {
            errors.push(err(
                int.span(),
                format!("`{key} = {}` is out of bounds: at most {max}", int.base10_digits()),
                history_help(),
            ));
            None
        }
    }
}

/// `Request` and `Data` of `WsRouter<Request, Data>` (any path ending in `WsRouter`).
fn router_args(ty: &syn::Type) -> Option<(&syn::TypePath, &syn::TypePath)> {
    let syn::Type::Path(path) = ty else { return None };
    let last = path.path.segments.last()?;
    if last.ident != ROUTER {
        return None;
    }
    let syn::PathArguments::AngleBracketed(args) = &last.arguments else { return None };
    let mut types = args.args.iter().map(|arg| match arg {
        syn::GenericArgument::Type(syn::Type::Path(path)) => Some(path),
        _ => None,
    });
    match (types.next(), types.next(), types.next()) {
        (Some(Some(request)), Some(Some(data)), None) => Some((request, data)),
        _ => None,
    }
}

fn check_model(sources: &Sources, ty: &syn::TypePath, role: &str, needs: &[&str], errors: &mut Vec<Diagnostic>) {
    let Some(last) = ty.path.segments.last() else { return };
    let name = last.ident.to_string();
    let Some(def) = sources.types.get(&name) else {
        errors.push(err(
            last.ident.span(),
            format!("unknown type `{name}`: no struct or enum of that name in src/"),
            format!(
                "define `{name}` in the component (e.g. in src/models.rs) with #[derive({})], or fix the name",
                needs.join(", ")
            ),
        ));
        return;
    };
    let missing: Vec<&str> = needs.iter().copied().filter(|need| !def.derives.contains(*need)).collect();
    if !missing.is_empty() {
        errors.push(err(
            last.ident.span(),
            format!(
                "`{name}` ({}:{}) is the {role} of a route but does not derive {}",
                def.file.display(),
                def.line,
                missing.iter().map(|m| format!("`{m}`")).collect::<Vec<_>>().join(", ")
            ),
            format!("add #[derive({})] to `{name}`", missing.join(", ")),
        ));
    }
}

fn check_visibility(alias: &syn::ItemType, errors: &mut Vec<Diagnostic>) {
    if matches!(alias.vis, syn::Visibility::Inherited) {
        errors.push(err(
            alias.ident.span(),
            format!("`{}` is private, so generated code cannot name it", alias.ident),
            format!("declare it `pub type {} = ...;`", alias.ident),
        ));
    }
}

fn valid_route_name(name: &str) -> bool {
    let mut chars = name.chars();
    chars.next().is_some_and(|c| c.is_ascii_lowercase())
        && chars.all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
        && !name.ends_with('-')
}

fn docs(attrs: &[syn::Attribute]) -> String {
    let lines: Vec<String> = attrs
        .iter()
        .filter(|attr| attr.path().is_ident("doc"))
        .filter_map(|attr| match &attr.meta {
            syn::Meta::NameValue(syn::MetaNameValue {
                value: syn::Expr::Lit(syn::ExprLit { lit: syn::Lit::Str(text), .. }),
                ..
            }) => Some(text.value().trim().to_owned()),
            _ => None,
        })
        .collect();
    lines.join(" ").trim().to_owned()
}

fn err(span: proc_macro2::Span, message: String, help: String) -> Diagnostic {
    Diagnostic::at(WS_FILE, span, message, help)
}

/// The span where a type starts, for pointing at it.
trait SpanStart {
    fn span_start(&self) -> proc_macro2::Span;
}

impl SpanStart for syn::Type {
    fn span_start(&self) -> proc_macro2::Span {
        self.to_token_stream().into_iter().next().map_or_else(proc_macro2::Span::call_site, |token| token.span())
    }
}
