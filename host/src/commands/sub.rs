//! `topicwire sub`: a subscribe client for people. Sends
//! `<route>.subscribe` and prints every message it receives as one JSON line
//! (updates and the response carry their position, `offset` and `epoch`).
//! `--since EPOCH:OFFSET` recovers what was missed after that position; at
//! the end the last position seen is printed on stderr, ready to resume
//! from. Exits non-zero if the subscription is refused.

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
    /// Recover from this position (`EPOCH:OFFSET`, as a previous run printed it): every update after it first.
    #[arg(long, value_parser = parse_since)]
    pub since: Option<(String, u64)>,
}

/// `EPOCH:OFFSET`.
fn parse_since(text: &str) -> Result<(String, u64), String> {
    let (epoch, offset) = text.rsplit_once(':').ok_or("expected EPOCH:OFFSET, e.g. 1a2b3c4d5:41")?;
    let offset = offset.parse().map_err(|_| format!("`{offset}` is not an offset (a whole number)"))?;
    Ok((epoch.to_owned(), offset))
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
    let mut subscribe = json!({"type": format!("{}.subscribe", args.route), "payload": request});
    if let Some((epoch, offset)) = &args.since {
        subscribe["since"] = json!({"epoch": epoch, "offset": offset});
    }
    socket.send(Message::text(subscribe.to_string())).await.context("cannot send the subscription")?;
    let response_type = format!("{}.subscribe.response", args.route);
    let update_type = format!("{}.update", args.route);
    let mut updates = 0;
    let mut last = None;
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
                if kind == response_type || kind == update_type {
                    let payload = &parsed["payload"];
                    last = payload["epoch"].as_str().zip(payload["offset"].as_u64()).map(|(e, o)| format!("{e}:{o}"));
                }
                if kind == update_type {
                    updates += 1;
                    if args.count.is_some_and(|count| updates >= count) {
                        let _ = socket.close(None).await;
                        report(last.as_deref());
                        return Ok(());
                    }
                }
            }
            Message::Close(frame) => {
                if let Some(frame) = frame {
                    eprintln!("closed by the server: {} {}", u16::from(frame.code), frame.reason);
                }
                report(last.as_deref());
                return Ok(());
            }
            _ => {}
        }
    }
    report(last.as_deref());
    Ok(())
}

/// Where to resume from: the last position seen.
fn report(last: Option<&str>) {
    if let Some(position) = last {
        eprintln!("last position: {position} (resume with --since {position})");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn since_is_epoch_colon_offset() {
        assert_eq!(parse_since("1a2b:41"), Ok(("1a2b".to_owned(), 41)));
        assert!(parse_since("1a2b").is_err());
        assert!(parse_since("1a2b:x").is_err());
    }
}
