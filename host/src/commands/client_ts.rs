//! `topicwire client-ts`: typed TypeScript clients from the routes modules
//! declare. The routes come from component files (each is compiled and
//! asked for its `routes`, offline) or from a running host's
//! `/api/v1/modules`; the TypeScript itself is written by
//! `clients/ts/tools/generate.mjs` (JSON Schema to TypeScript through the
//! `json-schema-to-typescript` package, pinned by `clients/ts/package-lock.json`).

use crate::hub::history::HistoryBudget;
use crate::limits::Limits;
use crate::module_name::module_name;
use crate::runtime::engine::Runtime;
use crate::runtime::loader;
use anyhow::{Context, Result, bail};
use serde_json::{Value, json};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::Arc;

/// The generator script, relative to the repository's root.
pub const DEFAULT_GENERATOR: &str = "clients/ts/tools/generate.mjs";

/// `topicwire client-ts`.
#[derive(Debug, clap::Args)]
pub struct ClientTsArgs {
    /// Component files (`components/*.wasm`), read offline.
    pub files: Vec<PathBuf>,
    /// Or a running host, e.g. http://127.0.0.1:8000
    #[arg(long, conflicts_with = "files")]
    pub url: Option<String>,
    /// Folder the `<module>.ts` files are written to.
    #[arg(long, default_value = "clients/ts/generated")]
    pub out: PathBuf,
    /// The generator script (Node.js).
    #[arg(long, default_value = DEFAULT_GENERATOR)]
    pub generator: PathBuf,
    /// Print the generator's input (the modules' routes as JSON) instead of running it.
    #[arg(long)]
    pub print_routes: bool,
}

/// The generator's input: `{"modules":[{"module","routes":[...]}]}` of the component `files`.
pub async fn manifest_of_files(files: &[PathBuf]) -> Result<Value> {
    let limits = Arc::new(Limits::default());
    let runtime = Runtime::new(None, &limits)?;
    let mut modules = Vec::new();
    for file in files {
        let name = module_name(file)?;
        let bytes = std::fs::read(file).with_context(|| format!("cannot read {}", file.display()))?;
        let history = HistoryBudget::new(0);
        let setting = loader::Setting { env: Arc::default(), limits: limits.clone(), storage: None, history };
        let version = loader::load(&runtime, &name, bytes, String::new(), setting)
            .await
            .with_context(|| format!("{}", file.display()))?;
        modules.push(json!({"module": name, "routes": version.routes}));
    }
    modules.sort_by(|a, b| a["module"].as_str().cmp(&b["module"].as_str()));
    Ok(json!({"modules": modules}))
}

/// The generator's input from the host at `url` (its `/api/v1/modules`, which the generator accepts as is).
pub async fn manifest_of_host(url: &str) -> Result<Value> {
    let address = url.trim_start_matches("http://").trim_end_matches('/');
    if address.contains("://") {
        bail!("`{url}`: only http:// hosts are supported");
    }
    let (authority, _) = address.split_once('/').unwrap_or((address, ""));
    let body = http_get(authority, "/api/v1/modules").await.with_context(|| format!("cannot read {url}"))?;
    serde_json::from_str(&body).with_context(|| format!("{url}/api/v1/modules did not answer JSON"))
}

/// A plain HTTP/1.1 GET of `path` from `authority`; the body (the host answers with a length, not chunks).
async fn http_get(authority: &str, path: &str) -> Result<String> {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mut stream = tokio::net::TcpStream::connect(authority).await?;
    let request = format!("GET {path} HTTP/1.1\r\nHost: {authority}\r\nConnection: close\r\n\r\n");
    stream.write_all(request.as_bytes()).await?;
    let mut response = Vec::new();
    stream.read_to_end(&mut response).await?;
    let response = String::from_utf8(response).context("the answer is not UTF-8")?;
    let (head, body) = response.split_once("\r\n\r\n").context("the answer has no body")?;
    if !head.starts_with("HTTP/1.1 200") {
        bail!("the host answered {}", head.lines().next().unwrap_or_default());
    }
    Ok(body.to_owned())
}

/// Runs `generator` (a Node script) with `manifest` on its stdin, writing into `out`.
pub fn generate(manifest: &Value, generator: &Path, out: &Path) -> Result<()> {
    if !generator.is_file() {
        bail!("no generator at {} (run from the repository's root, or pass --generator)", generator.display());
    }
    let mut child = Command::new("node")
        .arg(generator)
        .arg(out)
        .stdin(Stdio::piped())
        .spawn()
        .context("cannot run `node` (Node.js 20 or newer is needed to write TypeScript)")?;
    let mut stdin = child.stdin.take().context("the generator's stdin")?;
    stdin.write_all(manifest.to_string().as_bytes()).context("cannot write to the generator")?;
    drop(stdin);
    let status = child.wait().context("the generator did not finish")?;
    if !status.success() {
        bail!("the generator failed ({status})");
    }
    Ok(())
}

/// `topicwire client-ts`: the routes of `args.files` (or of the host at
/// `args.url`), printed or written as TypeScript.
pub async fn run(args: ClientTsArgs) -> Result<()> {
    let manifest = match &args.url {
        Some(url) => manifest_of_host(url).await?,
        None if args.files.is_empty() => bail!("name component files (components/*.wasm) or --url"),
        None => manifest_of_files(&args.files).await?,
    };
    if args.print_routes {
        println!("{manifest:#}");
        return Ok(());
    }
    generate(&manifest, &args.generator, &args.out)
}
