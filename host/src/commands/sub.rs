//! `topicwire sub`: a subscribe client for people. Sends
//! `<route>.subscribe` and prints every message it receives as one JSON line.
//! Exits non-zero if the subscription is refused.

use anyhow::{Context, Result, bail};
use futures_util::{SinkExt, StreamExt};
use serde_json::{Value, json};
use std::io::Write;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::http::HeaderValue;

/// `topicwire sub`.
#[derive(Debug, clap::Args)]
pub struct SubArgs {
    /// WebSocket URL, e.g. ws://127.0.0.1:8000/api/v1/datafeed/ws
    pub url: String,
    /// Route, e.g. `bars`
    pub route: String,
    /// Subscription request as JSON, e.g. '{"symbol":"AAPL","resolution":"1"}'
    #[arg(default_value = "{}")]
    pub request: String,
    /// Exit after this many updates.
    #[arg(long)]
    pub count: Option<usize>,
    /// Token to connect with (sent as `Authorization: Bearer`), e.g. from `topicwire token`.
    #[arg(long)]
    pub token: Option<String>,
}

/// Subscribes and prints messages until the server closes, Ctrl-C, or `--count` updates.
pub async fn run(args: SubArgs) -> Result<()> {
    let request: Value = serde_json::from_str(&args.request).context("the request is not valid JSON")?;
    let mut handshake = args.url.as_str().into_client_request().with_context(|| format!("invalid URL {}", args.url))?;
    if let Some(token) = &args.token {
        let bearer = HeaderValue::from_str(&format!("Bearer {token}")).context("the token is not a header value")?;
        handshake.headers_mut().insert("authorization", bearer);
    }
    let (mut socket, _) = match tokio_tungstenite::connect_async(handshake).await {
        Ok(connected) => connected,
        Err(tokio_tungstenite::tungstenite::Error::Http(response)) => {
            let body = response.body().as_deref().map(String::from_utf8_lossy).unwrap_or_default();
            bail!("{} refused the connection: {} {body}", args.url, response.status());
        }
        Err(error) => return Err(error).with_context(|| format!("cannot connect to {}", args.url)),
    };
    let subscribe = json!({"type": format!("{}.subscribe", args.route), "payload": request});
    socket.send(Message::text(subscribe.to_string())).await.context("cannot send the subscription")?;
    let response_type = format!("{}.subscribe.response", args.route);
    let update_type = format!("{}.update", args.route);
    let mut updates = 0;
    let mut stdout = std::io::stdout().lock();
    while let Some(message) = socket.next().await {
        match message.context("connection error")? {
            Message::Text(text) => {
                writeln!(stdout, "{text}")?;
                stdout.flush()?;
                let parsed: Value = serde_json::from_str(&text).unwrap_or_default();
                let kind = parsed["type"].as_str().unwrap_or_default();
                if kind == response_type && parsed["payload"]["status"] != "ok" {
                    bail!("subscription refused: {}", parsed["payload"]["message"]);
                }
                if kind == update_type {
                    updates += 1;
                    if args.count.is_some_and(|count| updates >= count) {
                        let _ = socket.close(None).await;
                        return Ok(());
                    }
                }
            }
            Message::Close(frame) => {
                if let Some(frame) = frame {
                    eprintln!("closed by the server: {} {}", u16::from(frame.code), frame.reason);
                }
                return Ok(());
            }
            _ => {}
        }
    }
    Ok(())
}
