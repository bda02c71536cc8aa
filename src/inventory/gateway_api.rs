//! The Gateway API and ambient objects an inventory holds: Gateways and GatewayClasses
//! (`gateway.networking.k8s.io`), and the ValidatingWebhookConfigurations whose `istio.io/rev`
//! label names the default revision from Istio 1.28 on. Only the fields the checks read.

use super::types::Meta;
use serde::Deserialize;

/// The API group of Kubernetes Gateway API objects. Istio's own `networking.istio.io`
/// Gateway shares the kind name and is a different object.
pub const GATEWAY_API_GROUP: &str = "gateway.networking.k8s.io";

#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct GatewayAddress {
    #[serde(default, rename = "type")]
    pub type_: Option<String>,
    #[serde(default)]
    pub value: String,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct GatewaySpec {
    #[serde(default)]
    pub gateway_class_name: String,
    /// More than one, or a single hostname, means a manually deployed gateway istiod does not
    /// deploy (`ENABLE_GATEWAY_API_MANUAL_DEPLOYMENT`).
    #[serde(default, deserialize_with = "nullable_list")]
    pub addresses: Vec<GatewayAddress>,
}

/// A status condition as the Gateway API writes it.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
pub struct GatewayCondition {
    #[serde(rename = "type", default)]
    pub type_: String,
    #[serde(default)]
    pub status: String,
    #[serde(default)]
    pub reason: String,
    #[serde(default)]
    pub message: String,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
pub struct GatewayStatus {
    #[serde(default, deserialize_with = "nullable_list")]
    pub conditions: Vec<GatewayCondition>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Gateway {
    pub meta: Meta,
    pub spec: GatewaySpec,
    pub status: GatewayStatus,
}

impl Gateway {
    pub fn condition(&self, type_: &str) -> Option<&GatewayCondition> {
        self.status.conditions.iter().find(|c| c.type_ == type_)
    }

    /// istiod leaves a Gateway with several addresses, or one hostname, to the user
    /// (`IsManaged` in Istio's gateway utils).
    pub fn manually_deployed(&self) -> bool {
        match self.spec.addresses.as_slice() {
            [] => false,
            [one] => one.type_.as_deref() == Some("Hostname"),
            _ => true,
        }
    }
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct GatewayClassSpec {
    #[serde(default)]
    pub controller_name: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GatewayClass {
    pub meta: Meta,
    pub spec: GatewayClassSpec,
}

/// Only its labels are read: `istiod-default-validator`'s `istio.io/rev` is the default
/// revision istiod 1.28+ falls back to for unlabelled Gateways.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ValidatingWebhookConfiguration {
    pub meta: Meta,
}

fn nullable_list<'de, D, T>(d: D) -> Result<Vec<T>, D::Error>
where
    D: serde::Deserializer<'de>,
    T: Deserialize<'de>,
{
    Ok(Option::<Vec<T>>::deserialize(d)?.unwrap_or_default())
}
