//! Why payorch could not start: the one error the start-up steps (configuration,
//! connectors, store, listeners, servers) share, so none of them depends on another's.

use std::net::SocketAddr;

#[derive(Debug, thiserror::Error)]
pub enum StartupError {
    #[error("configuration: {0}")]
    Config(String),
    #[error("cannot listen on {addr}: {source}")]
    Listen {
        addr: SocketAddr,
        source: std::io::Error,
    },
    #[error("session store: {0}")]
    Store(#[from] payorch_store::StoreError),
    #[error("server: {0}")]
    Serve(String),
}
