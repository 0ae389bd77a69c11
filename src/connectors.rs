//! Builds the provider adapters this deployment is configured for.

use std::net::SocketAddr;
use std::sync::Arc;

use payorch_connector::{Connector, ConnectorId};
use payorch_cybersource::{CybersourceConfig, CybersourceConnector};
use payorch_fiserv_ipg::{FiservIpgConfig, FiservIpgConnector};
use payorch_juspay::{JuspayConfig, JuspayConnector};
use payorch_mpgs::{MpgsConfig, MpgsConnector};
use payorch_router::Router;

use crate::config::Settings;
use crate::error::StartupError;

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

/// The router over the adapters named in the settings and every merchant's connectors. A
/// merchant routed to a connector this deployment has no settings for gets
/// FAILED_PRECONDITION `CONNECTOR_NOT_CONFIGURED`.
pub fn router(settings: &Settings, sandbox: Option<SocketAddr>) -> Result<Router, StartupError> {
    let merchants = settings
        .merchants
        .iter()
        .map(|merchant| {
            let connectors = merchant
                .connectors
                .iter()
                .map(|name| {
                    ConnectorId::parse(name).ok_or_else(|| {
                        StartupError::Config(format!(
                            "merchant {:?}: unknown connector {name:?}",
                            merchant.id
                        ))
                    })
                })
                .collect::<Result<Vec<_>, _>>()?;
            Ok((merchant.id.clone(), connectors))
        })
        .collect::<Result<Vec<_>, StartupError>>()?;
    Ok(Router::new(merchants, adapters(settings, sandbox)?))
}

/// One adapter and the connector it speaks for.
type Adapter = (ConnectorId, Arc<dyn Connector>);

/// The adapters named in the settings.
fn adapters(
    settings: &Settings,
    sandbox: Option<SocketAddr>,
) -> Result<Vec<Adapter>, StartupError> {
    let mut connectors: Vec<Adapter> = Vec::new();
    if let Some(cybersource) = &settings.connectors.cybersource {
        let base = base_url(
            cybersource.base_url.as_deref(),
            sandbox,
            "cybersource",
            "cybersource",
        )?;
        let config = CybersourceConfig::new(
            base,
            cybersource.merchant_id.clone(),
            cybersource.key_id.clone(),
            cybersource.shared_secret.expose(),
        );
        let adapter = CybersourceConnector::new(config)
            .map_err(|e| StartupError::Config(format!("connectors.cybersource: {e}")))?;
        connectors.push((ConnectorId::Cybersource, Arc::new(adapter)));
    }
    if let Some(fiserv) = &settings.connectors.fiserv_ipg {
        let base = base_url(
            fiserv.base_url.as_deref(),
            sandbox,
            "fiserv-ipg",
            "fiserv-ipg",
        )?;
        let mut config =
            FiservIpgConfig::new(base, fiserv.api_key.clone(), fiserv.api_secret.expose());
        config.store_id = fiserv.store_id.clone();
        let adapter = FiservIpgConnector::new(config)
            .map_err(|e| StartupError::Config(format!("connectors.fiserv-ipg: {e}")))?;
        connectors.push((ConnectorId::FiservIpg, Arc::new(adapter)));
    }
    if let Some(juspay) = &settings.connectors.juspay {
        let base = base_url(juspay.base_url.as_deref(), sandbox, "juspay", "juspay")?;
        let mut config =
            JuspayConfig::new(base, juspay.api_key.expose(), juspay.merchant_id.clone());
        config.response_key = juspay.response_key.as_ref().map(|k| k.expose().to_owned());
        let adapter = JuspayConnector::new(config)
            .map_err(|e| StartupError::Config(format!("connectors.juspay: {e}")))?;
        connectors.push((ConnectorId::Juspay, Arc::new(adapter)));
    }
    if let Some(mpgs) = &settings.connectors.mpgs {
        let base = base_url(mpgs.base_url.as_deref(), sandbox, "mpgs", "mpgs")?;
        let mut config =
            MpgsConfig::new(base, mpgs.merchant_id.clone(), mpgs.api_password.expose());
        if let Some(version) = mpgs.api_version {
            config.api_version = version;
        }
        let adapter = MpgsConnector::new(config)
            .map_err(|e| StartupError::Config(format!("connectors.mpgs: {e}")))?;
        connectors.push((ConnectorId::Mpgs, Arc::new(adapter)));
    }
    Ok(connectors)
}
