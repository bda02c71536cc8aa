//! Small, targeted reads for `version` and shell completion: the API server's version, the
//! control planes and injectors (not the whole inventory: no pods), namespace names.

use super::{ApiWebhookConfiguration, Msg, list_all, workload};
use crate::error::Error;
use crate::inventory::{Inventory, MutatingWebhookConfiguration, Object, WorkloadKind};
use k8s_openapi::api::admissionregistration::v1 as admission;
use k8s_openapi::api::apps::v1::Deployment;
use k8s_openapi::api::core::v1 as core;
use kube::Client;
use kube::api::{Api, ListParams};
use tokio::sync::mpsc;

/// The API server's `gitVersion` (`v1.32.0`), from `/version`, which every identity may read.
pub async fn server_version(client: &Client) -> Result<String, Error> {
    client
        .apiserver_version()
        .await
        .map(|info| info.git_version)
        .map_err(|e| {
            Error::Cluster(crate::error::one_line(&format!(
                "cannot read the server version: {}",
                super::error_chain(&e)
            )))
        })
}

/// The istiod Deployments and the injector webhooks, cluster-wide: enough for
/// [`crate::mesh::resolve`] to name every control plane, its version and its tags. A refused
/// list becomes an [`crate::inventory::Unreadable`], as in [`super::read_inventory`].
pub async fn control_planes(client: Client, page_size: u32) -> Result<Inventory, Error> {
    let (tx, mut rx) = mpsc::channel::<Msg>(16);
    let page = page_size.max(1);
    let lists = async move {
        let deployments = list_all(
            &client,
            <Deployment as kube::Resource>::url_path(&(), None),
            "deployments (app=istiod)",
            None,
            ListParams::default().limit(page).labels("app=istiod"),
            &tx,
            workload(WorkloadKind::Deployment),
        );
        let webhooks = list_all(
            &client,
            <admission::MutatingWebhookConfiguration as kube::Resource>::url_path(&(), None),
            "mutatingwebhookconfigurations",
            None,
            ListParams::default().limit(page),
            &tx,
            |m: ApiWebhookConfiguration| {
                Object::MutatingWebhookConfiguration(MutatingWebhookConfiguration {
                    meta: m.metadata,
                    webhooks: m.webhooks,
                })
            },
        );
        tokio::try_join!(deployments, webhooks).map(|_| ())
    };
    let collect = async {
        let mut inventory = Inventory::default();
        while let Some(msg) = rx.recv().await {
            match msg {
                Msg::Objects(objects) => objects.into_iter().for_each(|o| inventory.add(o)),
                Msg::Unreadable(u) => inventory.unreadable.push(u),
                Msg::Progress { .. } => {}
            }
        }
        inventory
    };
    let (listed, inventory) = tokio::join!(lists, collect);
    listed?;
    Ok(inventory)
}

/// Every namespace's name (metadata-only list).
pub async fn namespace_names(client: Client) -> Result<Vec<String>, Error> {
    let api: Api<core::Namespace> = Api::all(client);
    let list = api
        .list_metadata(&ListParams::default())
        .await
        .map_err(|e| {
            Error::Cluster(crate::error::one_line(&format!(
                "cannot list namespaces: {}",
                super::error_chain(&e)
            )))
        })?;
    Ok(list
        .items
        .into_iter()
        .filter_map(|n| n.metadata.name)
        .collect())
}
