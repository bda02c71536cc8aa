//! A live cluster as a source of the inventory, through kube-rs.
//!
//! Only the kinds the checks read are listed, every list is paginated and the lists run
//! concurrently, each page parsed as it arrives straight into the slim types the inventory
//! keeps, as protobuf when the server has it ([`protobuf`]; custom resources are JSON). Pods are
//! listed metadata-only (every revision signal but the proxy's istiod address is a label or an
//! annotation); a pod's full spec is fetched only when its metadata does not tell its revision.
//!
//! Memory follows what the checks hold: each list task holds at most two raw pages (one
//! decoding, the next arriving: a page is asked for as soon as the previous one's continue token
//! is read, so the server encodes while this process decodes), and the converted pages wait in a
//! channel of [`PAGES_IN_FLIGHT`], whatever the cluster's size. What is kept is interned
//! ([`crate::atom`]) and pods are held by shape ([`crate::inventory::pods`]).
//!
//! A list the token may not read (403) or that keeps failing (429/5xx after bounded retries)
//! becomes an [`Unreadable`] entry, reported as finding IR901, and the run goes on; an API that
//! does not exist (no IstioOperator CRD) is skipped quietly; an unreachable server or a timeout
//! ends the run with exit 3.

mod buffers;
pub mod client;
pub mod convert;
mod gateway_api;
pub mod lookup;
pub mod protobuf;

use crate::error::Error;
use crate::inventory::{
    Inventory, IstioOperator, Meta, MutatingWebhookConfiguration, Namespace, Object, Pod, PodSpec,
    PodStatus, Unreadable, Webhook, Workload, WorkloadKind, WorkloadSpec, WorkloadStatus,
    types::Container,
};
use crate::istio::labels::LABEL_COMPONENT;
use crate::istio::labels::{
    DEFAULT_VALIDATOR, ISTIO_CNI, LABEL_GATEWAY_MANAGED, LABEL_GATEWAY_NAME, ZTUNNEL,
};
use crate::revision::running_revision;
use k8s_openapi::api::admissionregistration::v1 as admission;
use k8s_openapi::api::apps::v1::{DaemonSet, Deployment, ReplicaSet, StatefulSet};
use k8s_openapi::api::core::v1 as core;
use kube::Client;
use kube::api::{Api, ApiResource, DynamicObject, GroupVersionKind, ListParams, ObjectList};
use serde::Deserialize;
use std::time::Duration;
use tokio::sync::mpsc;

/// Which part of the cluster to read.
#[derive(Debug, Clone, Default)]
pub struct Scope {
    /// One namespace, or all.
    pub namespace: Option<String>,
    /// `-l`: narrows the pods listed.
    pub pod_selector: Option<String>,
    /// Objects per page (`--chunk-size`).
    pub page_size: u32,
}
const MAX_RETRIES: u32 = 5;
/// Converted pages (and progress notes) waiting for the inventory: the list tasks wait when it
/// is full, which bounds the memory a fast server can make a slow consumer hold.
const PAGES_IN_FLIGHT: usize = 16;

/// A page of objects from one list, or what could not be read.
enum Msg {
    Objects(Vec<Object>),
    Unreadable(Unreadable),
    Progress {
        resource: &'static str,
        count: usize,
    },
}

/// Reads the inventory from the cluster behind `client`.
pub async fn read_inventory(client: Client, scope: &Scope) -> Result<Inventory, Error> {
    let (tx, mut rx) = mpsc::channel::<Msg>(PAGES_IN_FLIGHT);
    let ns = scope.namespace.clone();
    let page = scope.page_size.max(1);
    let mut tasks = tokio::task::JoinSet::new();

    macro_rules! spawn_list {
        ($scope:ident $ty:ty, $item:ty, $resource:literal, $convert:expr) => {{
            let client = client.clone();
            let tx = tx.clone();
            let list_ns = spawn_list!(@ns $scope ns);
            tasks.spawn(async move {
                let url = <$ty as kube::Resource>::url_path(&(), list_ns.as_deref());
                let base = ListParams::default().limit(page);
                list_all::<$item, _>(&client, url, $resource, list_ns.as_deref(), base, &tx, $convert)
                    .await
            });
        }};
        (@ns namespaced $ns:ident) => { $ns.clone() };
        (@ns cluster $ns:ident) => { None::<String> };
    }

    match &ns {
        // A token scoped to one namespace may not list namespaces cluster-wide.
        Some(name) => {
            let client = client.clone();
            let tx = tx.clone();
            let name = name.clone();
            tasks.spawn(async move {
                let api: Api<core::Namespace> = Api::all(client);
                match with_retries(|| api.get_opt(&name)).await {
                    Ok(Some(n)) => {
                        let _ = tx.send(Msg::Objects(vec![namespace(n)])).await;
                        Ok(())
                    }
                    Ok(None) => Err(Error::Input(format!("namespace {name} not found"))),
                    Err(e) => degrade(e, "namespaces", None, &tx).await,
                }
            });
        }
        None => spawn_list!(cluster core::Namespace, ApiNamespace, "namespaces", |n| {
            Object::Namespace(Namespace { meta: n.metadata })
        }),
    }
    if ns.is_some() {
        // Control planes stay in view under -n: a namespace's revision means nothing without them.
        let client = client.clone();
        let tx = tx.clone();
        tasks.spawn(async move {
            let url = <Deployment as kube::Resource>::url_path(&(), None);
            let lp = ListParams::default().limit(page).labels("app=istiod");
            let convert = workload(WorkloadKind::Deployment);
            list_all(
                &client,
                url,
                "deployments (app=istiod)",
                None,
                lp,
                &tx,
                convert,
            )
            .await
        });
    }
    spawn_list!(namespaced Deployment, ApiWorkload, "deployments", workload(WorkloadKind::Deployment));
    spawn_list!(namespaced StatefulSet, ApiWorkload, "statefulsets", workload(WorkloadKind::StatefulSet));
    spawn_list!(namespaced DaemonSet, ApiWorkload, "daemonsets", workload(WorkloadKind::DaemonSet));
    spawn_list!(namespaced ReplicaSet, ApiWorkload, "replicasets", workload(WorkloadKind::ReplicaSet));
    spawn_list!(
        cluster admission::MutatingWebhookConfiguration,
        ApiWebhookConfiguration,
        "mutatingwebhookconfigurations",
        |m: ApiWebhookConfiguration| Object::MutatingWebhookConfiguration(
            MutatingWebhookConfiguration { meta: m.metadata, webhooks: m.webhooks }
        )
    );
    {
        let client = client.clone();
        let tx = tx.clone();
        let ns = ns.clone();
        tasks.spawn(async move { list_istio_operators(client, ns.as_deref(), page, &tx).await });
    }
    {
        let client = client.clone();
        let tx = tx.clone();
        let ns = ns.clone();
        tasks.spawn(
            async move { gateway_api::list_gateways(client, ns.as_deref(), page, &tx).await },
        );
    }
    {
        let client = client.clone();
        let tx = tx.clone();
        tasks.spawn(async move { gateway_api::list_gateway_classes(client, page, &tx).await });
    }
    {
        let client = client.clone();
        let tx = tx.clone();
        tasks.spawn(async move {
            let url =
                <admission::ValidatingWebhookConfiguration as kube::Resource>::url_path(&(), None);
            let lp = ListParams::default()
                .limit(page)
                .fields(&format!("metadata.name={DEFAULT_VALIDATOR}"));
            let convert = |v: ApiValidatingWebhookConfiguration| {
                Object::ValidatingWebhookConfiguration(
                    crate::inventory::ValidatingWebhookConfiguration { meta: v.metadata },
                )
            };
            list_all(
                &client,
                url,
                "validatingwebhookconfigurations",
                None,
                lp,
                &tx,
                convert,
            )
            .await
        });
    }
    if ns.is_some() {
        // The ambient node agents serve every namespace: they stay in view under -n too.
        for name in [ZTUNNEL, ISTIO_CNI] {
            let client = client.clone();
            let tx = tx.clone();
            tasks.spawn(async move {
                let url = <DaemonSet as kube::Resource>::url_path(&(), None);
                let lp = ListParams::default()
                    .limit(page)
                    .fields(&format!("metadata.name={name}"));
                let convert = workload(WorkloadKind::DaemonSet);
                list_all(&client, url, "daemonsets (ambient)", None, lp, &tx, convert).await
            });
        }
    }
    {
        let client = client.clone();
        let tx = tx.clone();
        let ns = ns.clone();
        let selector = scope.pod_selector.clone();
        tasks.spawn(async move {
            list_pods(client, ns.as_deref(), selector.as_deref(), page, &tx).await
        });
    }
    drop(tx);

    let mut inventory = Inventory::default();
    let mut progress = crate::progress::Listing::new();
    while let Some(msg) = rx.recv().await {
        match msg {
            Msg::Objects(objects) => objects.into_iter().for_each(|o| inventory.add(o)),
            Msg::Unreadable(u) => inventory.unreadable.push(u),
            Msg::Progress { resource, count } => progress.update(resource, count),
        }
    }
    progress.finish();
    while let Some(joined) = tasks.join_next().await {
        joined.map_err(|e| Error::Cluster(format!("a list task failed: {e}")))??;
    }
    inventory
        .unreadable
        .sort_by(|a, b| (&a.resource, &a.namespace).cmp(&(&b.resource, &b.namespace)));
    Ok(inventory)
}

/// What a list does when its API does not exist.
#[derive(Clone, Copy, PartialEq)]
enum IfMissing {
    /// Report it as not checked (a built-in kind should always be there).
    Report,
    /// Skip quietly: an optional CRD.
    Skip,
}

/// A received page: its continue token, read ahead of its items, and the items, still encoded
/// when decoding them is worth doing while the next page is on its way.
pub(super) struct Fetched<T> {
    continue_token: Option<String>,
    items: Items<T>,
}

enum Items<T> {
    Decoded(Vec<T>),
    /// A protobuf page: its token is read by skipping the items, which decode on a blocking
    /// thread while the next request is out, so the server encodes page k+1 while this process
    /// decodes page k instead of each waiting for the other.
    Encoded(Box<dyn FnOnce() -> Result<Vec<T>, kube::Error> + Send>),
}

impl<T> From<ObjectList<T>> for Fetched<T>
where
    T: Clone,
{
    fn from(list: ObjectList<T>) -> Self {
        Fetched {
            continue_token: list.metadata.continue_.filter(|c| !c.is_empty()),
            items: Items::Decoded(list.items),
        }
    }
}

impl<T: Send + 'static> Fetched<T> {
    async fn decode(self) -> Result<Vec<T>, kube::Error> {
        match self.items {
            Items::Decoded(items) => Ok(items),
            Items::Encoded(decode) => tokio::task::spawn_blocking(decode)
                .await
                .map_err(|e| kube::Error::Service(format!("decoding a page: {e}").into()))?,
        }
    }
}

/// Lists every page, sending what `on_page` makes of each page as it arrives. The next page is
/// asked for as soon as this one's continue token is known, one page ahead. A continue token
/// that expired (410) restarts the list: re-sent objects replace the earlier copies.
async fn paginate<T, Fetch, FetchFut, OnPage, PageFut>(
    resource: &'static str,
    ns: Option<&str>,
    base: ListParams,
    if_missing: IfMissing,
    tx: &mpsc::Sender<Msg>,
    fetch: Fetch,
    mut on_page: OnPage,
) -> Result<(), Error>
where
    Fetch: Fn(ListParams) -> FetchFut,
    FetchFut: std::future::Future<Output = Result<Fetched<T>, kube::Error>>,
    T: Send + 'static,
    OnPage: FnMut(Vec<T>) -> PageFut,
    PageFut: std::future::Future<Output = Result<Vec<Object>, Error>>,
{
    let params = |token: &Option<String>| {
        let mut lp = base.clone();
        if let Some(t) = token {
            lp = lp.continue_token(t);
        }
        lp
    };
    let mut token: Option<String> = None;
    let mut ahead: Option<Result<Fetched<T>, kube::Error>> = None;
    let mut count = 0usize;
    let mut restarts = 0;
    let mut decode_retries = 0;
    loop {
        let received = match ahead.take() {
            Some(r) => r,
            None => {
                let lp = params(&token);
                with_retries(|| fetch(lp.clone())).await
            }
        };
        let page = match received {
            Ok(page) => page,
            Err(kube::Error::Api(s)) if s.code == 410 && token.is_some() && restarts < 3 => {
                restarts += 1;
                token = None;
                continue;
            }
            Err(kube::Error::Api(s)) if s.code == 404 && if_missing == IfMissing::Skip => {
                return Ok(());
            }
            Err(e) => return degrade(e, resource, ns, tx).await,
        };
        let next = page.continue_token.clone();
        let read_ahead = async {
            match &next {
                Some(_) => {
                    let lp = params(&next);
                    Some(with_retries(|| fetch(lp.clone())).await)
                }
                None => None,
            }
        };
        let (items, read) = tokio::join!(page.decode(), read_ahead);
        let items = match items {
            Ok(items) => items,
            // A body that arrived whole but does not decode is asked for again, as a body cut
            // short is: the page read ahead was asked with this page's token and still stands,
            // but is dropped to keep the order simple.
            Err(e) if retryable(&e) && decode_retries < MAX_RETRIES => {
                decode_retries += 1;
                continue;
            }
            Err(e) => return degrade(e, resource, ns, tx).await,
        };
        ahead = read;
        count += items.len();
        let objects = on_page(items).await?;
        if tx.send(Msg::Objects(objects)).await.is_err() {
            return Ok(());
        }
        let _ = tx.send(Msg::Progress { resource, count }).await;
        match next {
            Some(next) => token = Some(next),
            None => return Ok(()),
        }
    }
}

/// Every object of a built-in kind, read straight into the slim item type `T` (what the checks
/// read of the kind) and converted by `convert`: a page never exists as full typed objects, and
/// a workload's pod template is reduced to its labels, annotations and proxy containers while
/// it is parsed. Protobuf when the server has it (client-go's `Accept`), JSON otherwise; the
/// response's `Content-Type` says which it sent.
async fn list_all<T, F>(
    client: &Client,
    url: String,
    resource: &'static str,
    ns: Option<&str>,
    base: ListParams,
    tx: &mpsc::Sender<Msg>,
    convert: F,
) -> Result<(), Error>
where
    T: protobuf::FromProtobuf + Send + 'static,
    F: Fn(T) -> Object,
{
    let fetch = |lp: ListParams| {
        let url = url.clone();
        async move {
            let mut req = kube::core::Request::new(url)
                .list(&lp)
                .map_err(kube::Error::BuildRequest)?;
            req.headers_mut().insert(
                http::header::ACCEPT,
                http::HeaderValue::from_static(protobuf::ACCEPT_LIST),
            );
            let (is_protobuf, body) = send_list(client, req).await?;
            if is_protobuf {
                return deferred(body, resource, |body| {
                    protobuf::list::<T>(body).map(|page| page.items)
                });
            }
            let list: ApiList<T> =
                serde_json::from_slice(&body).map_err(kube::Error::SerdeError)?;
            buffers::seen(body.len());
            Ok(Fetched {
                continue_token: list.metadata.continue_.filter(|c| !c.is_empty()),
                items: Items::Decoded(list.items),
            })
        }
    };
    let convert = &convert;
    let on_page = |items: Vec<T>| async move { Ok(items.into_iter().map(convert).collect()) };
    paginate(resource, ns, base, IfMissing::Report, tx, fetch, on_page).await
}

/// A protobuf page whose items `decode` reads later, its continue token read now.
fn deferred<T>(
    body: bytes::Bytes,
    resource: &'static str,
    decode: impl FnOnce(bytes::Bytes) -> Result<Vec<T>, protobuf::DecodeError> + Send + 'static,
) -> Result<Fetched<T>, kube::Error> {
    let broken = move |e: protobuf::DecodeError| {
        kube::Error::Service(format!("the server's protobuf {resource}: {e}").into())
    };
    let continue_token = protobuf::continue_token(&body).map_err(broken)?;
    Ok(Fetched {
        continue_token,
        items: Items::Encoded(Box::new(move || {
            buffers::seen(body.len());
            decode(body).map_err(broken)
        })),
    })
}

/// A JSON list page of slim items.
#[derive(serde::Deserialize)]
#[serde(bound(deserialize = "T: Deserialize<'de>"))]
struct ApiList<T> {
    #[serde(default)]
    metadata: k8s_openapi::apimachinery::pkg::apis::meta::v1::ListMeta,
    #[serde(default = "Vec::new", deserialize_with = "nullable_items")]
    items: Vec<T>,
}

fn nullable_items<'de, D, T>(d: D) -> Result<Vec<T>, D::Error>
where
    D: serde::Deserializer<'de>,
    T: serde::Deserialize<'de>,
{
    Ok(Option::<Vec<T>>::deserialize(d)?.unwrap_or_default())
}

#[derive(Clone, serde::Deserialize)]
struct ApiNamespace {
    #[serde(default)]
    metadata: Meta,
}

#[derive(Clone, serde::Deserialize)]
struct ApiWorkload {
    #[serde(default)]
    metadata: Meta,
    #[serde(default)]
    spec: WorkloadSpec,
    #[serde(default)]
    status: WorkloadStatus,
}

/// Only its metadata: its `istio.io/rev` label names the default revision.
#[derive(Clone, serde::Deserialize)]
struct ApiValidatingWebhookConfiguration {
    #[serde(default)]
    metadata: Meta,
}

#[derive(Clone, serde::Deserialize)]
struct ApiWebhookConfiguration {
    #[serde(default)]
    metadata: Meta,
    #[serde(default, deserialize_with = "nullable_items")]
    webhooks: Vec<Webhook>,
}

fn workload(kind: WorkloadKind) -> impl Fn(ApiWorkload) -> Object {
    move |w| {
        Object::Workload(Box::new(Workload {
            kind,
            meta: w.metadata,
            spec: w.spec,
            status: w.status,
        }))
    }
}

/// Sends a list request; its body, and whether the server sent it as protobuf. An error
/// status, in either encoding, becomes the `Status` it carries.
async fn send_list(
    client: &Client,
    req: http::Request<Vec<u8>>,
) -> Result<(bool, bytes::Bytes), kube::Error> {
    // As `Client::request`, but parsed from the received bytes: no second copy of a page that is
    // ~10 MB at 500 pods.
    let res = client.send(req.map(kube::client::Body::from)).await?;
    let status = res.status();
    let is_protobuf = protobuf::is_protobuf(
        res.headers()
            .get(http::header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok()),
    );
    let length = res
        .headers()
        .get(http::header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok()?.parse::<usize>().ok());
    let body = read_body(res.into_body(), length).await?;
    if status.is_client_error() || status.is_server_error() {
        let decoded = if is_protobuf {
            protobuf::status(body.clone()).ok()
        } else {
            serde_json::from_slice::<kube::core::Status>(&body).ok()
        };
        let s = decoded.unwrap_or_else(|| {
            let text = String::from_utf8_lossy(&body);
            kube::core::Status::failure(text.trim(), "Failed to parse error data")
                .with_code(status.as_u16())
        });
        return Err(kube::Error::Api(s.boxed()));
    }
    Ok((is_protobuf, body))
}

/// A response body in one buffer of its announced length. Collecting the frames and then
/// joining them (`collect_bytes`) holds each page twice at its peak, ~17 MB at 500 pods; each
/// frame here is copied in and dropped.
async fn read_body(
    mut body: kube::client::Body,
    length: Option<usize>,
) -> Result<bytes::Bytes, kube::Error> {
    use http_body_util::BodyExt;
    let mut buf = buffers::take(length);
    while let Some(frame) = body.frame().await {
        if let Ok(data) = frame?.into_data() {
            buf.extend_from_slice(&data);
        }
    }
    Ok(buf.freeze())
}

/// Pods, metadata only; the full spec only for pods whose metadata does not tell the revision.
async fn list_pods(
    client: Client,
    ns: Option<&str>,
    selector: Option<&str>,
    page_size: u32,
    tx: &mpsc::Sender<Msg>,
) -> Result<(), Error> {
    let mut base = ListParams::default()
        .limit(page_size)
        .fields(crate::inventory::pods::NOT_FINISHED);
    if let Some(sel) = selector {
        base = base.labels(sel);
    }
    let fetch = |lp: ListParams| {
        let client = client.clone();
        async move { list_pod_metadata(&client, ns, &lp).await }
    };
    let on_page = |items: Vec<Meta>| {
        let client = client.clone();
        async move {
            let mut objects = Vec::with_capacity(items.len());
            for meta in items {
                let pod = pod_from_metadata(meta);
                let unresolved =
                    running_revision(&pod, |_| true).is_some_and(|r| r.revision.is_none());
                if !unresolved {
                    objects.push(Object::Pod(pod));
                    continue;
                }
                // 1.6–1.10 pods injected without a label: only the proxy's env tells.
                let pods: Api<core::Pod> = Api::namespaced(client.clone(), pod.meta.namespace());
                match with_retries(|| pods.get_opt(pod.meta.name())).await {
                    Ok(Some(full)) => objects.push(Object::Pod(full_pod(full))),
                    Ok(None) => {}
                    Err(e) => {
                        degrade(e, "pods (full spec)", Some(pod.meta.namespace()), tx).await?;
                        objects.push(Object::Pod(pod));
                    }
                }
            }
            Ok(objects)
        }
    };
    paginate("pods", ns, base, IfMissing::Report, tx, fetch, on_page).await
}

async fn list_istio_operators(
    client: Client,
    ns: Option<&str>,
    page_size: u32,
    tx: &mpsc::Sender<Msg>,
) -> Result<(), Error> {
    let gvk = GroupVersionKind::gvk("install.istio.io", "v1alpha1", "IstioOperator");
    let resource = ApiResource::from_gvk_with_plural(&gvk, "istiooperators");
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
                Object::IstioOperator(IstioOperator {
                    meta: convert::meta(&o.metadata),
                    spec: o.data.get("spec").cloned().unwrap_or_default(),
                })
            })
            .collect())
    };
    // No IstioOperator CRD: since 1.21 istioctl no longer installs it.
    let base = ListParams::default().limit(page_size);
    paginate(
        "istiooperators",
        ns,
        base,
        IfMissing::Skip,
        tx,
        fetch,
        on_page,
    )
    .await
}

/// Retries throttling (429) and server errors (5xx) with bounded backoff, waiting what the
/// server asks (`retryAfterSeconds`, which the API server sets with its `Retry-After` header).
/// Also used for `fix`'s and `diff`'s writes: every one of them (label and annotation merge
/// patches, server-side applies, deletes) is idempotent, so sending one again after an answer
/// was lost changes nothing more than the first did.
pub(crate) async fn with_retries<T, F, Fut>(mut call: F) -> Result<T, kube::Error>
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Result<T, kube::Error>>,
{
    let mut attempt = 0;
    loop {
        match call().await {
            Err(e) if attempt < MAX_RETRIES && retryable(&e) => {
                attempt += 1;
                tokio::time::sleep(backoff(&e, attempt)).await;
            }
            other => return other,
        }
    }
}

fn retryable(e: &kube::Error) -> bool {
    match e {
        kube::Error::Api(s) => s.code == 429 || (500..600).contains(&s.code),
        // A reset connection or a body cut short is worth another try; a refused connection or
        // a timeout is not (the server is not there, or too slow for --request-timeout).
        kube::Error::HyperError(_) | kube::Error::Service(_) => !is_unreachable(e),
        _ => false,
    }
}

fn backoff(e: &kube::Error, attempt: u32) -> Duration {
    let asked = match e {
        kube::Error::Api(s) => s
            .details
            .as_ref()
            .map(|d| d.retry_after_seconds)
            .filter(|s| *s > 0),
        _ => None,
    };
    match asked {
        Some(secs) => Duration::from_secs(u64::from(secs.min(30))),
        None => Duration::from_millis(200 * 2u64.pow(attempt.min(5))),
    }
}

fn is_unreachable(e: &kube::Error) -> bool {
    let text = error_chain(e).to_lowercase();
    text.contains("connection refused")
        || text.contains("timed out")
        || text.contains("timeout")
        || text.contains("dns error")
        || text.contains("no route to host")
}

/// An error and its causes on one line, as a person reads them: kube's own prefixes, which are
/// the names of its error variants (`ServiceError: `), are left out.
pub fn error_chain(e: &dyn std::error::Error) -> String {
    let top = e.to_string();
    let mut s = ["ServiceError: ", "HyperError: ", "HttpError: "]
        .iter()
        .find_map(|prefix| top.strip_prefix(prefix))
        .unwrap_or(&top)
        .to_string();
    let mut source = e.source();
    while let Some(inner) = source {
        let part = inner.to_string();
        if !s.contains(&part) {
            s.push_str(": ");
            s.push_str(&part);
        }
        source = inner.source();
    }
    s
}

/// An API refusal becomes an [`Unreadable`]; a transport failure ends the run (exit 3).
async fn degrade(
    e: kube::Error,
    resource: &str,
    ns: Option<&str>,
    tx: &mpsc::Sender<Msg>,
) -> Result<(), Error> {
    match &e {
        kube::Error::Api(s) => {
            let reason = match s.code {
                401 => return Err(Error::Cluster(format!("unauthorized: {}", s.message))),
                403 => format!("forbidden: {}", s.message),
                429 => format!("throttled (429) after {MAX_RETRIES} retries: {}", s.message),
                code => format!("{code} {}: {}", s.reason, s.message),
            };
            let _ = tx
                .send(Msg::Unreadable(Unreadable {
                    resource: resource.to_string(),
                    namespace: ns.unwrap_or_default().to_string(),
                    reason,
                }))
                .await;
            Ok(())
        }
        _ => Err(Error::Cluster(crate::error::one_line(&format!(
            "cannot read {resource} from the cluster: {}",
            error_chain(&e)
        )))),
    }
}

fn namespace(n: core::Namespace) -> Object {
    Object::Namespace(Namespace {
        meta: convert::meta(&n.metadata),
    })
}

/// A page of `PartialObjectMetadataList` as JSON, parsed straight into the inventory's slim
/// [`Meta`]: managedFields and the annotations no check reads (most of a pod's ~15 KB of
/// metadata) are skipped while parsing instead of being built into `ObjectMeta` trees and dropped.
#[derive(serde::Deserialize)]
struct MetadataList {
    #[serde(default)]
    metadata: k8s_openapi::apimachinery::pkg::apis::meta::v1::ListMeta,
    #[serde(default)]
    items: Vec<MetadataItem>,
}

#[derive(serde::Deserialize)]
struct MetadataItem {
    #[serde(default)]
    metadata: Meta,
}

/// One page of pods, metadata only: protobuf when the server has it (a third of the JSON's
/// bytes and of the server's encoding time), JSON otherwise; the response's `Content-Type`
/// says which it sent.
async fn list_pod_metadata(
    client: &Client,
    ns: Option<&str>,
    lp: &ListParams,
) -> Result<Fetched<Meta>, kube::Error> {
    let url = <core::Pod as kube::Resource>::url_path(&(), ns);
    let mut req = kube::core::Request::new(url)
        .list_metadata(lp)
        .map_err(kube::Error::BuildRequest)?;
    req.headers_mut().insert(
        http::header::ACCEPT,
        http::HeaderValue::from_static(protobuf::ACCEPT_METADATA_LIST),
    );
    req.extensions_mut().insert("list_metadata");
    let (is_protobuf, body) = send_list(client, req).await?;
    if is_protobuf {
        return deferred(body, "pods", |body| {
            protobuf::metadata_list(body).map(|page| page.items)
        });
    }
    let list: MetadataList = serde_json::from_slice(&body).map_err(kube::Error::SerdeError)?;
    buffers::seen(body.len());
    Ok(Fetched {
        continue_token: list.metadata.continue_.filter(|c| !c.is_empty()),
        items: Items::Decoded(list.items.into_iter().map(|i| i.metadata).collect()),
    })
}

/// A pod seen through its metadata: the proxy is inferred from the injector's status
/// annotation, the operator gateway labels or the labels istiod puts on the pods of a Gateway
/// API gateway it deployed; its env is unknown.
fn pod_from_metadata(meta: Meta) -> Pod {
    let operator_gateway = matches!(
        meta.label(LABEL_COMPONENT),
        Some("IngressGateways" | "EgressGateways")
    );
    let generated =
        meta.label(LABEL_GATEWAY_NAME).is_some() && meta.label(LABEL_GATEWAY_MANAGED).is_some();
    let gateway = operator_gateway || generated;
    let has_proxy = meta.annotations.injected || gateway;
    let role = if generated && meta.label(LABEL_GATEWAY_MANAGED) == Some("istio.io-mesh-controller")
    {
        crate::inventory::ProxyRole::Waypoint
    } else {
        crate::inventory::ProxyRole::Router
    };
    Pod {
        spec: PodSpec {
            proxy: has_proxy.then(|| Container {
                name: crate::istio::labels::PROXY_CONTAINER.into(),
                args: gateway.then_some(role),
                ..Container::default()
            }),
            native_sidecar: false,
        },
        status: PodStatus::default(),
        meta,
    }
}

fn full_pod(p: core::Pod) -> Pod {
    Pod {
        meta: convert::meta(&p.metadata),
        spec: convert::pod_spec(p.spec.as_ref()),
        status: PodStatus {
            phase: p.status.and_then(|s| s.phase).map(crate::atom::Atom::from),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_transport_error_reads_without_kubes_variant_names() {
        let reset = kube::Error::Service(Box::new(std::io::Error::other(
            "connection closed before message completed",
        )));
        assert_eq!(
            error_chain(&reset),
            "connection closed before message completed"
        );
        let http =
            kube::Error::HttpError(http::Request::builder().uri("a b").body(()).unwrap_err());
        assert!(
            !error_chain(&http).starts_with("HttpError"),
            "{}",
            error_chain(&http)
        );
    }
}
