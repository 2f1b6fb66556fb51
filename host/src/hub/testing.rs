//! Test support for the hub: peers over real loopback sockets, and reading
//! the frames they are sent from the client's end.

use crate::hub::outbox::Outbox;
use crate::hub::peer::{ConnId, Peer};
use std::sync::Arc;
use std::time::Duration;
use tokio::io::AsyncReadExt;
use tokio::net::TcpStream;

/// A peer of connection `id` whose socket's client end is returned.
pub(crate) async fn peer(id: ConnId, capacity: usize, grace: Duration) -> (Peer, TcpStream) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let client = TcpStream::connect(listener.local_addr().unwrap()).await.unwrap();
    let (server, _) = listener.accept().await.unwrap();
    (Peer::new(id, Arc::new(Outbox::new(Arc::new(server), capacity)), grace), client)
}

/// The payload of the next (unmasked, text) frame the server sent.
pub(crate) async fn read_text(client: &mut TcpStream) -> String {
    let mut header = [0u8; 2];
    client.read_exact(&mut header).await.unwrap();
    let len = match header[1] & 0x7f {
        126 => usize::from(client.read_u16().await.unwrap()),
        127 => usize::try_from(client.read_u64().await.unwrap()).unwrap(),
        len => usize::from(len),
    };
    let mut payload = vec![0u8; len];
    client.read_exact(&mut payload).await.unwrap();
    String::from_utf8(payload).unwrap()
}

/// Frames already sent, without waiting for more than `wait`.
pub(crate) async fn sent(client: &mut TcpStream, wait: Duration) -> Vec<String> {
    let mut frames = Vec::new();
    while let Ok(frame) = tokio::time::timeout(wait, read_text(client)).await {
        frames.push(frame);
    }
    frames
}
