//! REST between the nodes: a follower forwards a request to the leader and
//! answers with the outcome that comes back; the leader answers forwarded ones.

use super::ModuleLink;
use crate::cluster::{envelope, token};
use crate::runtime::instance::{HttpOutcome, HttpRequest};
use crate::runtime::module::Unavailable;
use bytes::Bytes;
use http_body_util::BodyExt;
use std::sync::Arc;

impl ModuleLink {
    /// Forwards a REST request to the leader and waits for its answer.
    /// When the node it names is gone (nobody listens on its subject), the
    /// lease is read again and the request goes to its holder, once: the
    /// request never reached anyone, so sending it again cannot repeat it.
    pub(super) async fn forward_to_leader(&self, request: HttpRequest) -> Result<HttpOutcome, Unavailable> {
        let (parts, body) = request.into_parts();
        let body = body.collect().await.map(|body| body.to_bytes()).unwrap_or_default();
        let message = match envelope::encode_request(&axum::http::Request::from_parts(parts, body)) {
            Ok(message) if message.len() <= self.cluster.client.server_info().max_payload => message,
            _ => return Ok(HttpOutcome::Unusable("the request is too large to forward to the module's leader".into())),
        };
        if self.leader().is_none() {
            self.refresh_leader().await;
        }
        for attempt in 0..2 {
            let Some(leader) = self.leader() else { break };
            let subject = format!("{}.http.{}", self.prefix, token(&leader));
            let request = async_nats::Request::new().payload(message.clone()).timeout(Some(self.http_timeout));
            match self.cluster.client.send_request(subject, request).await {
                Ok(answer) => {
                    return envelope::decode_outcome(&answer.payload).unwrap_or_else(|error| {
                        tracing::warn!("a forwarded answer could not be read: {error:#}");
                        Ok(HttpOutcome::NoResponse)
                    });
                }
                Err(error) if error.kind() == async_nats::RequestErrorKind::NoResponders && attempt == 0 => {
                    self.refresh_leader().await;
                }
                Err(error) => {
                    tracing::debug!(leader, "forwarding a REST request failed: {error}");
                    break;
                }
            }
        }
        Ok(HttpOutcome::Unavailable("the module's leader did not answer; retry shortly".into()))
    }

    /// Answers REST requests other nodes forward to this one.
    pub(super) async fn serve_http(self: Arc<Self>) {
        let subject = format!("{}.http.{}", self.prefix, token(self.cluster.node()));
        let Some(mut requests) = self.subscribe(subject).await else { return };
        while let Some(message) = self.next(&mut requests).await {
            let Some(reply) = message.reply else { continue };
            let link = self.clone();
            tokio::spawn(async move {
                let answer = link.answer(&message.payload).await;
                let _ = link.cluster.client.publish(reply, answer).await;
            });
        }
    }

    /// The answer to a forwarded request: what became of it, for the asking
    /// node's edge to render.
    pub(super) async fn answer(&self, message: &[u8]) -> Bytes {
        let outcome = match envelope::decode_request(message) {
            Err(error) => Ok(HttpOutcome::Unusable(format!("a forwarded request is not valid: {error:#}"))),
            Ok(_) if !self.leads() => {
                Ok(HttpOutcome::Unavailable("this node no longer leads the module; retry".into()))
            }
            Ok(request) => {
                let (parts, body) = request.into_parts();
                self.inbox.http(axum::http::Request::from_parts(parts, http_body_util::Full::new(body))).await
            }
        };
        let encoded = envelope::encode_outcome(&outcome);
        if encoded.len() <= self.cluster.client.server_info().max_payload {
            return encoded;
        }
        let too_large = "the response is larger than the cluster forwards (NATS max_payload)".to_owned();
        envelope::encode_outcome(&Ok(HttpOutcome::Refused(too_large)))
    }
}
