//! MODULE_DOC_PLACEHOLDER

#![allow(clippy::result_large_err)]

mod defaults;
mod discovery;
mod json;
mod resources;
mod selector;
mod server;
mod status;
mod store;
mod synthetic;
mod table;
mod util;
mod writes;

pub use resources::{RESOURCES, ResourceType};
pub use store::LoadError;
pub use synthetic::synthetic_pod;

use bytes::Bytes;
use serde_json::Value;
use server::Shared;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;
use store::Store;

/// A fault injected into the responses for one resource (plural name, e.g. `"pods"`, or `"*"`
/// for every resource). Discovery endpoints are never affected.
#[derive(Debug, Clone, PartialEq)]
pub enum Fault {
    /// 403 `Forbidden` for every request on the resource (`namespace: None`) or only for requests
    /// in one namespace. The message names the user from `Impersonate-User` or the configured
    /// user, e.g. `pods is forbidden: User "x" cannot list resource "pods" in API group "" at the cluster scope`.
    Forbidden {
        resource: &'static str,
        namespace: Option<&'static str>,
    },
    /// 403 only for requests of one verb (`"patch"`, `"get"`, `"list"`, …) on the resource: a
    /// read-only token that may GET and LIST but not PATCH (server-side apply dry runs are
    /// authorized as PATCH).
    ForbiddenVerb {
        resource: &'static str,
        verb: &'static str,
    },
    /// 403 only for cluster-wide (all-namespaces) requests of a namespaced resource; requests in a
    /// namespace succeed (a user with namespace-scoped RBAC).
    ForbiddenClusterScope { resource: &'static str },
    /// 500 `InternalError` for the first `times` requests, then normal answers.
    ServerErrorThenOk {
        resource: &'static str,
        times: usize,
    },
    /// 429 `TooManyRequests` with a `Retry-After` header for the first `times` requests.
    TooManyRequests {
        resource: &'static str,
        retry_after_secs: u64,
        times: usize,
    },
    /// Delays every response (use a delay longer than the client timeout).
    Slow {
        resource: &'static str,
        delay: Duration,
    },
    /// Closes the connection without sending any response.
    ConnectionReset { resource: &'static str },
    /// Sends `Content-Length` for the full body, half of the body, then closes the connection.
    TruncatedBody { resource: &'static str },
    /// The first list request carrying a `continue` token gets `410 Gone` `Expired` (with a fresh
    /// inconsistent-continue token in the Status' `metadata.continue`, like recording 41).
    ExpireContinue { resource: &'static str },
}

/// One request as received by the fake (for assertions).
#[derive(Debug, Clone)]
pub struct RecordedRequest {
    pub method: String,
    pub path: String,
    /// Raw query string (without `?`), if any.
    pub query: Option<String>,
    /// Header names are lower-case.
    pub headers: Vec<(String, String)>,
    pub body: Bytes,
}

impl RecordedRequest {
    /// First value of a (decoded) query parameter.
    pub fn query_param(&self, name: &str) -> Option<String> {
        let q = self.query.as_deref()?;
        form_urlencoded::parse(q.as_bytes())
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.into_owned())
    }
    pub fn header(&self, name: &str) -> Option<&str> {
        let name = name.to_ascii_lowercase();
        self.headers
            .iter()
            .find(|(k, _)| *k == name)
            .map(|(_, v)| v.as_str())
    }
}

/// Builder for a fake API server.
pub struct FakeApiServer {
    store: Store,
    faults: Vec<Fault>,
    token: Option<String>,
    user: String,
    istio_crd: bool,
    log: bool,
}

impl Default for FakeApiServer {
    fn default() -> Self {
        Self::new()
    }
}

impl FakeApiServer {
    /// An empty server that serves the IstioOperator CRD, has no auth and logs requests.
    pub fn new() -> Self {
        FakeApiServer {
            store: Store::new(),
            faults: Vec::new(),
            token: None,
            user: "fake-user".into(),
            istio_crd: true,
            log: true,
        }
    }
    /// Whether the `install.istio.io/v1alpha1` IstioOperator CRD exists (default: yes). Without
    /// it, `/apis/install.istio.io/...` answers the text/plain 404 of recording 53.
    pub fn istio_operator_crd(mut self, on: bool) -> Self {
        self.istio_crd = on;
        self
    }
    /// Require `Authorization: Bearer <token>`; anything else gets 401 (recording 55).
    pub fn bearer_token(mut self, token: impl Into<String>) -> Self {
        self.token = Some(token.into());
        self
    }
    /// User name used in 403 messages when no `Impersonate-User` header is sent.
    pub fn user(mut self, user: impl Into<String>) -> Self {
        self.user = user.into();
        self
    }
    pub fn fault(mut self, f: Fault) -> Self {
        self.faults.push(f);
        self
    }
    /// Disable the request log (benchmarks).
    pub fn request_log(mut self, on: bool) -> Self {
        self.log = on;
        self
    }
    /// Loads objects from `kubectl get -o yaml|json` output, multi-document YAML, a single object
    /// or an API list response.
    pub fn objects_from_str(mut self, text: &str) -> Result<Self, LoadError> {
        load_into(&mut self.store, text)?;
        Ok(self)
    }
    pub fn objects_from_file(self, path: impl AsRef<Path>) -> Result<Self, LoadError> {
        let p = path.as_ref();
        let text =
            std::fs::read_to_string(p).map_err(|e| LoadError(format!("{}: {e}", p.display())))?;
        self.objects_from_str(&text)
    }
    /// Loads every `*.yaml`, `*.yml` and `*.json` file of a directory (sorted by name).
    pub fn objects_from_dir(mut self, dir: impl AsRef<Path>) -> Result<Self, LoadError> {
        let d = dir.as_ref();
        let mut files: Vec<PathBuf> = std::fs::read_dir(d)
            .map_err(|e| LoadError(format!("{}: {e}", d.display())))?
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| {
                matches!(
                    p.extension().and_then(|e| e.to_str()),
                    Some("yaml" | "yml" | "json")
                )
            })
            .collect();
        files.sort();
        for f in files {
            self = self.objects_from_file(f)?;
        }
        Ok(self)
    }
    /// Adds one object (a `serde_json::Value` with apiVersion/kind/metadata).
    pub fn object(mut self, v: Value) -> Self {
        insert_loaded(&mut self.store, v);
        self
    }
    pub fn objects(mut self, vs: impl IntoIterator<Item = Value>) -> Self {
        for v in vs {
            insert_loaded(&mut self.store, v);
        }
        self
    }
    /// Adds `n_pods` synthetic Istio-injected pods (~15 KB of metadata each, with managedFields)
    /// spread over `n_namespaces` namespaces (also created) and `revisions` istio revisions,
    /// generated and encoded one at a time (no big intermediate trees). See [`synthetic_pod`].
    pub fn synthetic_pods(mut self, n_pods: usize, n_namespaces: usize, revisions: usize) -> Self {
        synthetic::load(&mut self.store, n_pods, n_namespaces, revisions);
        self
    }

    /// Starts serving on `127.0.0.1:<OS-assigned port>` on a dedicated thread with its own tokio
    /// runtime (works from sync tests and from any async runtime).
    pub fn start(self) -> ServerHandle {
        self.start_on(0).expect("bind 127.0.0.1:0")
    }

    pub fn start_on(self, port: u16) -> std::io::Result<ServerHandle> {
        let listener = std::net::TcpListener::bind(("127.0.0.1", port))?;
        listener.set_nonblocking(true)?;
        let addr = listener.local_addr()?;
        let shared = Arc::new(Shared::new(
            self.store,
            self.token.clone(),
            self.user,
            self.istio_crd,
            self.log,
            self.faults,
            &addr.to_string(),
        ));
        let (tx, rx) = tokio::sync::oneshot::channel::<()>();
        let sh = shared.clone();
        let thread = std::thread::Builder::new()
            .name(format!("fake-apiserver-{}", addr.port()))
            .spawn(move || serve(listener, sh, rx))?;
        let kubeconfig = std::env::temp_dir().join(format!(
            "fake-apiserver-{}-{}.kubeconfig",
            std::process::id(),
            addr.port()
        ));
        std::fs::write(&kubeconfig, kubeconfig_yaml(addr, self.token.as_deref()))?;
        Ok(ServerHandle {
            addr,
            shared,
            kubeconfig,
            shutdown: Some(tx),
            thread: Some(thread),
        })
    }
}

fn serve(
    listener: std::net::TcpListener,
    sh: Arc<Shared>,
    mut shutdown: tokio::sync::oneshot::Receiver<()>,
) {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .thread_name("fake-apiserver-worker")
        .enable_all()
        .build()
        .expect("tokio runtime");
    rt.block_on(async move {
        let listener = tokio::net::TcpListener::from_std(listener).expect("listener");
        loop {
            tokio::select! {
                _ = &mut shutdown => break,
                acc = listener.accept() => {
                    let Ok((stream, _)) = acc else { continue };
                    let _ = stream.set_nodelay(true);
                    let sh = sh.clone();
                    tokio::spawn(async move {
                        let svc = hyper::service::service_fn(move |req| {
                            server::handle(sh.clone(), req)
                        });
                        let _ = hyper::server::conn::http1::Builder::new()
                            .serve_connection(hyper_util::rt::TokioIo::new(stream), svc)
                            .await;
                    });
                }
            }
        }
    });
    rt.shutdown_timeout(Duration::from_millis(100));
}

/// A kubeconfig pointing at the fake (plain HTTP; bearer token if one is configured).
pub fn kubeconfig_yaml(addr: SocketAddr, token: Option<&str>) -> String {
    let user = match token {
        Some(t) => format!("    token: {t}\n"),
        None => "    {}\n".to_string(),
    };
    let user = if token.is_some() {
        format!("  user:\n{user}")
    } else {
        "  user: {}\n".to_string()
    };
    format!(
        "apiVersion: v1\nkind: Config\nclusters:\n- name: fake\n  cluster:\n    server: http://{addr}\ncontexts:\n- name: fake\n  context:\n    cluster: fake\n    user: fake\n    namespace: default\ncurrent-context: fake\npreferences: {{}}\nusers:\n- name: fake\n{user}"
    )
}

/// A running fake server. Dropping it stops the server and removes the kubeconfig file.
pub struct ServerHandle {
    addr: SocketAddr,
    shared: Arc<Shared>,
    kubeconfig: PathBuf,
    shutdown: Option<tokio::sync::oneshot::Sender<()>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl ServerHandle {
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }
    pub fn port(&self) -> u16 {
        self.addr.port()
    }
    /// `http://127.0.0.1:<port>`
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }
    /// A kubeconfig file (context `fake`, namespace `default`) for kubectl or `kube::Config`.
    pub fn kubeconfig_path(&self) -> &Path {
        &self.kubeconfig
    }
    pub fn add_fault(&self, f: Fault) {
        self.shared
            .faults
            .lock()
            .expect("faults")
            .push(server::fault_state(f));
    }
    pub fn clear_faults(&self) {
        self.shared.faults.lock().expect("faults").clear();
    }
    /// All requests received so far, in order.
    pub fn requests(&self) -> Vec<RecordedRequest> {
        self.shared.log.lock().expect("log").clone()
    }
    pub fn clear_requests(&self) {
        self.shared.log.lock().expect("log").clear();
    }
    /// Loads more objects into the running server. Returns how many were stored.
    pub fn load_str(&self, text: &str) -> Result<usize, LoadError> {
        let mut st = self.shared.store.write().expect("store");
        load_into(&mut st, text)
    }
    /// The stored object (with kind/apiVersion), e.g. `get_object("pods", Some("ns"), "name")`.
    pub fn get_object(&self, plural: &str, namespace: Option<&str>, name: &str) -> Option<Value> {
        let idx = RESOURCES.iter().position(|r| r.plural == plural)?;
        let st = self.shared.store.read().expect("store");
        st.get(idx, namespace.unwrap_or(""), name)
            .map(|o| o.to_value(&RESOURCES[idx]))
    }
    /// Number of stored objects of a resource.
    pub fn count(&self, plural: &str) -> usize {
        RESOURCES
            .iter()
            .position(|r| r.plural == plural)
            .map(|i| self.shared.store.read().expect("store").tables[i].len())
            .unwrap_or(0)
    }
    /// The current cluster-wide resourceVersion.
    pub fn resource_version(&self) -> u64 {
        self.shared.store.read().expect("store").rv
    }
}

impl Drop for ServerHandle {
    fn drop(&mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
        let _ = std::fs::remove_file(&self.kubeconfig);
    }
}

fn load_into(store: &mut Store, text: &str) -> Result<usize, LoadError> {
    let docs = store::parse_documents(text)?;
    let mut n = 0;
    for d in docs {
        if insert_loaded(store, d) {
            n += 1;
        }
    }
    Ok(n)
}

/// Stores a loaded object, assigning uid/resourceVersion/creationTimestamp/managedFields if
/// absent. Objects of kinds the fake does not serve are ignored (returns false).
fn insert_loaded(store: &mut Store, mut v: Value) -> bool {
    let kind = v["kind"].as_str().unwrap_or("").to_string();
    let av = v["apiVersion"].as_str().unwrap_or("").to_string();
    let Some(idx) = resources::by_kind(&av, &kind) else {
        return false;
    };
    let res = &RESOURCES[idx];
    if let Some(rv) = v["metadata"]["resourceVersion"]
        .as_str()
        .and_then(|s| s.parse::<u64>().ok())
    {
        store.rv = store.rv.max(rv);
    }
    let rv = store.next_rv();
    store::assign_metadata(&mut v, res, rv, true);
    if res.namespaced && v["metadata"]["namespace"].as_str().is_none() {
        v["metadata"]["namespace"] = Value::String("default".into());
    }
    if v["metadata"].get("managedFields").is_none() {
        writes::synthesize_managed_fields(&mut v, res);
    }
    store.put(idx, &v);
    true
}
