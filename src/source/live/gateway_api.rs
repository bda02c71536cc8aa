//! Gateway API Gateways and GatewayClasses, read as dynamic objects: they are CRDs, and a
//! cluster without them (no Gateway API installed) is normal, so a missing API is skipped
//! quietly, as for IstioOperators. Gateways are read at `v1`, falling back to `v1beta1` for
//! clusters whose CRDs predate Gateway API 1.0.

use super::{Fetched, IfMissing, Msg, convert, paginate, with_retries};
use crate::error::Error;
use crate::inventory::{
    GATEWAY_API_GROUP, Gateway, GatewayClass, GatewayClassSpec, GatewaySpec, GatewayStatus, Object,
};
use kube::Client;
use kube::api::{Api, ApiResource, DynamicObject, GroupVersionKind, ListParams};
use tokio::sync::mpsc;

const VERSIONS: [&str; 2] = ["v1", "v1beta1"];

/// The first of `v1`, `v1beta1` the server serves for `plural`, or `None` without the CRD.
async fn served_version(client: &Client, kind: &str, plural: &str) -> Option<ApiResource> {
    for version in VERSIONS {
        let gvk = GroupVersionKind::gvk(GATEWAY_API_GROUP, version, kind);
        let resource = ApiResource::from_gvk_with_plural(&gvk, plural);
        let api: Api<DynamicObject> = Api::all_with(client.clone(), &resource);
        let probe = ListParams::default().limit(1);
        match with_retries(|| api.list(&probe)).await {
            Err(kube::Error::Api(s)) if s.code == 404 => continue,
            // Served (or refused: the real list reports what it may not read).
            _ => return Some(resource),
        }
    }
    None
}

fn typed<T: serde::de::DeserializeOwned + Default>(v: Option<&serde_json::Value>) -> T {
    // A field the API server accepted under the CRD's schema; anything else is read as unset
    // rather than failing the run on one odd object.
    v.cloned()
        .and_then(|v| serde_json::from_value(v).ok())
        .unwrap_or_default()
}

pub(super) async fn list_gateways(
    client: Client,
    ns: Option<&str>,
    page_size: u32,
    tx: &mpsc::Sender<Msg>,
) -> Result<(), Error> {
    let Some(resource) = served_version(&client, "Gateway", "gateways").await else {
        return Ok(());
    };
    let api: Api<DynamicObject> = match ns {
        Some(ns) => Api::namespaced_with(client, ns, &resource),
        None => Api::all_with(client, &resource),
    };
    let fetch = |lp: ListParams| {
        let api = api.clone();
        async move { api.list(&lp).await.map(Fetched::from) }
    };
    let on_page = |items: Vec<DynamicObject>| async move {
        Ok(items
            .into_iter()
            .map(|o| {
                Object::Gateway(Gateway {
                    meta: convert::meta(&o.metadata),
                    spec: typed::<GatewaySpec>(o.data.get("spec")),
                    status: typed::<GatewayStatus>(o.data.get("status")),
                })
            })
            .collect())
    };
    let base = ListParams::default().limit(page_size);
    paginate(
        "gateways.gateway.networking.k8s.io",
        ns,
        base,
        IfMissing::Skip,
        tx,
        fetch,
        on_page,
    )
    .await
}

pub(super) async fn list_gateway_classes(
    client: Client,
    page_size: u32,
    tx: &mpsc::Sender<Msg>,
) -> Result<(), Error> {
    let Some(resource) = served_version(&client, "GatewayClass", "gatewayclasses").await else {
        return Ok(());
    };
    let api: Api<DynamicObject> = Api::all_with(client, &resource);
    let fetch = |lp: ListParams| {
        let api = api.clone();
        async move { api.list(&lp).await.map(Fetched::from) }
    };
    let on_page = |items: Vec<DynamicObject>| async move {
        Ok(items
            .into_iter()
            .map(|o| {
                let mut meta = convert::meta(&o.metadata);
                meta.namespace = None;
                Object::GatewayClass(GatewayClass {
                    meta,
                    spec: typed::<GatewayClassSpec>(o.data.get("spec")),
                })
            })
            .collect())
    };
    let base = ListParams::default().limit(page_size);
    paginate(
        "gatewayclasses.gateway.networking.k8s.io",
        None,
        base,
        IfMissing::Skip,
        tx,
        fetch,
        on_page,
    )
    .await
}
