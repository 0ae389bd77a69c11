//! Options of every accepted socket. Without `TCP_NODELAY` a small unary answer waits for the
//! client's delayed ACK (about 40 ms on Linux) before it leaves: every RPC then takes 44 ms
//! however little work it is. Keepalive finds peers that vanished without a FIN.

use std::time::Duration;

use axum::serve::{ListenerExt, TapIo};
use tokio::net::{TcpListener, TcpStream};
use tonic::transport::server::TcpIncoming;

/// How long an idle connection waits before the first keepalive probe.
pub const KEEPALIVE: Duration = Duration::from_secs(60);

/// The gRPC listener's connections: no Nagle delay, keepalive probes.
pub fn grpc_incoming(listener: TcpListener) -> TcpIncoming {
    TcpIncoming::from(listener)
        .with_nodelay(Some(true))
        .with_keepalive(Some(KEEPALIVE))
}

/// The HTTP listener's connections (callbacks, probes, metrics), the same way.
pub fn http_incoming(listener: TcpListener) -> TapIo<TcpListener, fn(&mut TcpStream)> {
    listener.tap_io(configure as fn(&mut TcpStream))
}

fn configure(stream: &mut TcpStream) {
    if let Err(err) = stream.set_nodelay(true) {
        tracing::warn!(error = %err, "TCP_NODELAY not set on an accepted connection");
    }
    let keepalive = socket2::TcpKeepalive::new().with_time(KEEPALIVE);
    if let Err(err) = socket2::SockRef::from(&*stream).set_tcp_keepalive(&keepalive) {
        tracing::warn!(error = %err, "TCP keepalive not set on an accepted connection");
    }
}
