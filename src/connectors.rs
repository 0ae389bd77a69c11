//! Builds the provider adapters this deployment is configured for.

use std::net::SocketAddr;

use crate::app::StartupError;
use crate::config::Settings;
use crate::flows::Connectors;

/// The base URL of a connector: its configured one, or the embedded sandbox's mount point.
pub fn base_url(
    configured: Option<&str>,
    sandbox: Option<SocketAddr>,
    mount: &str,
    connector: &str,
) -> Result<String, StartupError> {
    match (configured, sandbox) {
        (Some(url), _) => Ok(url.to_owned()),
        (None, Some(addr)) => Ok(format!("http://{addr}/{mount}")),
        (None, None) => Err(StartupError::Config(format!(
            "connectors.{connector}.base_url is required when the sandbox is not embedded"
        ))),
    }
}

/// The adapters named in the settings. Adapters land one issue at a time; a merchant routed
/// to a connector without an adapter gets FAILED_PRECONDITION `CONNECTOR_NOT_CONFIGURED`.
pub fn build(settings: &Settings, sandbox: Option<SocketAddr>) -> Result<Connectors, StartupError> {
    let connectors = Connectors::new();
    if let Some(cybersource) = &settings.connectors.cybersource {
        let _base = base_url(
            cybersource.base_url.as_deref(),
            sandbox,
            "cybersource",
            "cybersource",
        )?;
    }
    Ok(connectors)
}
