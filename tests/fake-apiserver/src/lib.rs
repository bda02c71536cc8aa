//! A loopback **fake Kubernetes API server** for the tests and benchmarks of
//! `kubectl-istio-rev`. Dev-only: it is a `[dev-dependencies]` entry of the root crate and is never
//! part of the shipped binary.
//!
//! It speaks the wire format of a real kube-apiserver v1.32, as captured in the recordings in
//! `recordings/` (copied from `/work/shared/apiserver-recordings`), over plain HTTP/1.1 on
//! `127.0.0.1` (port 0 = OS-assigned), using hyper 1.
//!
//! # Usage
//!
//! ```no_run
//! use fake_apiserver::{FakeApiServer, Fault};
//!
//! let srv = FakeApiServer::new()
//!     // `kubectl get ... -o yaml|json` output, multi-doc YAML, single objects, API list bodies
//!     .objects_from_file("tests/data/cluster.yaml").unwrap()
//!     .istio_operator_crd(false)          // simulate "no IstioOperator CRD" (404 like rec. 53)
//!     .fault(Fault::Forbidden { resource: "pods", namespace: None })
//!     .start();                           // own thread + tokio runtime; usable from any test
//! let kubeconfig = srv.kubeconfig_path(); // context "fake", for kubectl or kube::Config
//! let url = srv.url();                    // http://127.0.0.1:<port>
//! srv.add_fault(Fault::ExpireContinue { resource: "pods" }); // faults can change at runtime
//! // ... run the plugin / kube::Client ...
//! let reqs = srv.requests();              // method, path, query, headers, body of every request
//! assert!(reqs.iter().all(|r| r.method != "PATCH"));
//! // dropping `srv` stops the server and deletes the kubeconfig file
//! ```
//!
//! With kube-rs: `kube::Client::try_from(kube::Config::new(srv.url().parse()?))`, or read the
//! kubeconfig with `Kubeconfig::read_from(srv.kubeconfig_path())` (it carries the bearer token
//! when one is configured with [`FakeApiServer::bearer_token`]).
//!
//! Benchmarks: [`FakeApiServer::synthetic_pods`]`(n_pods, n_namespaces, revisions)` loads pods with
//! ~17 KB of metadata each (managedFields included) from a pre-encoded template (100k pods load in
//! ~4 s, a full unpaginated 100k-pod list is ~2.1 GB, streamed chunked); [`synthetic_pod`] gives the
//! same pod as a `serde_json::Value`. The `fake-apiserver` binary serves files/directories (and/or
//! `--synthetic-pods N --namespaces M --revisions R`) and prints the port on its first stdout line;
//! `--kubeconfig PATH` writes a kubeconfig. It runs until stdin is closed or it is killed.
//!
//! # What it serves
//!
//! * Discovery: `/version` (always indented), `/api`, `/api/v1`, `/apis`, `/apis/<group>`,
//!   `/apis/<group>/<version>`, and aggregated discovery v2 for `/api` and `/apis` (when the
//!   `Accept` asks for `as=APIGroupDiscoveryList;g=apidiscovery.k8s.io;v=v2`, as kube-rs and
//!   kubectl do) with `Etag`, `Vary: Accept`, `Cache-Control: public` and `304` on
//!   `If-None-Match`. The documents are the recorded ones (01–09) filtered to: core/v1
//!   namespaces, pods, services, configmaps; apps/v1 deployments, replicasets, statefulsets,
//!   daemonsets; admissionregistration.k8s.io/v1 mutating/validatingwebhookconfigurations;
//!   install.istio.io/v1alpha1 istiooperators (only when the CRD is enabled, the default).
//! * LIST (cluster-wide and per namespace) and GET; `PodList`-style bodies (items without
//!   kind/apiVersion, `metadata.resourceVersion`), CRD lists with sorted keys, items with
//!   kind/apiVersion and `continue: ""`; metadata-only responses for
//!   `as=PartialObjectMetadata(List);g=meta.k8s.io;v=v1`, as JSON or, for
//!   `application/vnd.kubernetes.protobuf`, as protobuf byte for byte as recordings 90/91 (errors
//!   then as a protobuf `Status`, recording 94; [`FakeApiServer::protobuf`]`(false)` answers
//!   the JSON fallback instead); full objects of Namespaces, Deployments, ReplicaSets,
//!   StatefulSets, DaemonSets and MutatingWebhookConfigurations as protobuf too, byte for byte as
//!   recording 92 (other kinds take the JSON fallback, as custom resources do, recording 93);
//!   `as=Table` returns a simple server-side `Table` (real pod columns,
//!   Name/Status/Age for namespaces, Name/Age otherwise); other `as=` values without a JSON
//!   fallback get `406`.
//! * Pagination: `limit`/`continue` with tokens in the real server's format
//!   (base64url of `{"v":"meta.k8s.io/v1","rv":N,"start":"<key>\u0000"}`, so real tokens are
//!   accepted too), `remainingItemCount` only without selectors, the etcd3 paging loop is emulated
//!   (a selector page may return a `continue` with nothing after it, then an empty page), every
//!   page reports page 1's `resourceVersion`; invalid token → 400 with Go's JSON error text;
//!   [`Fault::ExpireContinue`] → 410 `Expired` with a fresh token.
//! * `labelSelector` (`=`, `==`, `!=`, `in`, `notin`, `key`, `!key`) and `fieldSelector`
//!   (`=`, `==`, `!=` on `metadata.name`, `metadata.namespace`, and for pods `spec.nodeName`,
//!   `status.phase`, `spec.restartPolicy`, `spec.schedulerName`, `spec.serviceAccountName`,
//!   `spec.hostNetwork`, `status.podIP`, `status.nominatedNodeName`; others → 400
//!   `field label not supported`).
//! * Writes: POST (201, defaulting of Namespace/Pod/workloads/webhook configurations/Service,
//!   validation of names, container images and ports → 422 `Invalid` with causes, 409
//!   `AlreadyExists`, 404 if the namespace does not exist), PUT (resourceVersion precondition →
//!   409 `Conflict`; `status` and namespace `finalize` subresources), PATCH with JSON merge patch,
//!   strategic merge patch (built-in kinds; maps merge, `null` deletes, lists with a merge key —
//!   containers/initContainers/env/volumes/imagePullSecrets/webhooks by `name`, volumeMounts by
//!   `mountPath`, container ports by `containerPort`+`protocol`, conditions by `type` — merge by
//!   key, `$patch: delete` removes an item, other lists are replaced; 415 on custom resources),
//!   JSON patch (`test` failure → 422 like recording 73), server-side apply
//!   (`application/apply-patch+yaml`, YAML or JSON body, `fieldManager` required, `force`,
//!   `dryRun=All`; 201 when it creates), DELETE (pods: graceful when scheduled and running →
//!   object with `deletionTimestamp` stays; otherwise removed and returned; namespaces:
//!   `Terminating` until `PUT .../finalize` empties `spec.finalizers`, then the namespace and
//!   everything in it is removed; other kinds: `Success` Status with name/group/kind/uid).
//!   `resourceVersion` is one cluster-wide counter bumped on every stored change (no-op patches do
//!   not bump it); `generation` (Deployments, ReplicaSets, StatefulSets, DaemonSets, webhook
//!   configurations, CRs) is bumped when anything outside metadata/status changes; `dryRun=All`
//!   returns the would-be object (generation already bumped) with the stored resourceVersion.
//! * managedFields on every returned object (added to loaded objects that have none, as manager
//!   `kubectl-create`). Updates take ownership of the leaf fields they change (manager =
//!   `fieldManager` or the User-Agent up to the first `/`, `subresource: status` for status
//!   writes); entries are sorted like the real server (operation, time, manager, ...).
//! * Status bodies byte-shaped like the recordings (key order, `details` per reason): 400, 401
//!   (no `X-Kubernetes-Pf-*` headers), 403 (with `X-Content-Type-Options: nosniff` and the real
//!   message format), 404 (object, unknown resource `details: {}`, and `text/plain`
//!   `404 page not found` for unknown groups), 405, 406, 409, 410, 415, 422, 429, 500.
//! * Headers: `Audit-Id`, `Cache-Control: no-cache, private`, `Content-Type: application/json`,
//!   `X-Kubernetes-Pf-Flowschema-Uid`/`-Prioritylevel-Uid`, `Date`; bodies ≤ 2 KiB get a
//!   `Content-Length`, larger ones are chunked; compact JSON + `\n`, indented (no trailing
//!   newline) for `?pretty=true` and `curl`/`Wget`/`Mozilla/5.0` User-Agents.
//! * Auth: optional bearer token ([`FakeApiServer::bearer_token`]); anything else → 401.
//! * Impersonation (`Impersonate-User`, `-Group`, `-Uid`; every header is in the request log):
//!   403 messages name the impersonated user; [`FakeApiServer::grant`] gives an impersonated
//!   identity RBAC rights (user, groups, a service account's implied groups) and
//!   [`FakeApiServer::may_impersonate`] refuses the caller the `impersonate` verb, each answered
//!   with the real server's 403 (recordings 56–58).
//!
//! # Faults
//!
//! See [`Fault`]: `Forbidden` (all scopes or one namespace), `ForbiddenClusterScope`,
//! `ServerErrorThenOk`, `TooManyRequests` (429 + `Retry-After`, body as the real APF rejection),
//! `Slow`, `ConnectionReset` (socket closed without a response), `TruncatedBody`
//! (`Content-Length` of the full body, half of it sent, then the connection is closed),
//! `ExpireContinue`. `resource` is the plural (`"pods"`) or `"*"`. Note that kube-rs 5 retries
//! 429/503/504 by default (`Config::default_retry`, honouring `Retry-After`), so a
//! `TooManyRequests` fault is invisible to callers unless they disable it (see
//! `tests/kube_client.rs`).
//!
//! # Fidelity (tests/fidelity.rs)
//!
//! Every recording is replayed (method, path+query, headers, body) and compared: status code,
//! `Content-Type`, `Cache-Control`, `Vary`, presence of `Audit-Id`, `X-Kubernetes-Pf-*`,
//! `X-Content-Type-Options`, `Etag`, `Retry-After`, Content-Length vs chunked framing, and the
//! JSON body structurally (same keys at every level, equal values except uid/resourceVersion/
//! timestamps/continue tokens/version build info; Status kind/apiVersion/status/reason/code/message
//! exactly; managedFields `fieldsV1` contents and Table cells not compared; discovery arrays may be
//! a subset). Covered: 01–10 (10 with the fake's own ETag), 11–22 on an empty server; 30–49,
//! 52–54, 56–89 on a server loaded with the recorded objects (30, 42–45 response bodies, plus one
//! non-corpus pod, as the recording server had); 41 with `Fault::ExpireContinue`, 57/58 with
//! `Fault::Forbidden`; 55 against a server that requires a different token; 88 with the
//! resourceVersion the fake currently has. Skipped: 50 and 51 (watch; not implemented).
//!
//! # Limits
//!
//! * No TLS, no HTTP/2, no watch (`?watch=true` → 405), no `deletecollection`, no YAML responses,
//!   protobuf only for metadata-only responses, errors and the kinds above (full pods, Services,
//!   Secrets and the rest take the JSON fallback), no `resourceVersion`/`resourceVersionMatch` semantics on reads (always the latest
//!   state; continue pages read the current state, not a snapshot).
//! * Rollouts (`rollout.rs`, only when [`FakeApiServer::rollout_delay`] is set): a Deployment
//!   whose generation moved past its observedGeneration (a restart, a template change) gets,
//!   once that delay has passed, a new ReplicaSet whose pods run the revision their namespace selects now; the old ReplicaSets
//!   scale to 0 and their pods go; the status then satisfies `kubectl rollout status`. Paused
//!   Deployments do not roll. StatefulSets and DaemonSets replace their own pods the same way.
//! * No RBAC, admission or other controllers: nothing else reconciles ReplicaSets/Pods, no
//!   garbage collection of dependents, no ServiceAccount defaulting; validation is limited to what
//!   is listed above; defaulting covers the fields seen in the recordings.
//! * Key order: `kind`, `apiVersion`, `metadata` (in Go field order), …, `spec`, `status` for
//!   built-in kinds, alphabetical elsewhere (the real server uses Go struct order inside `spec`);
//!   custom resources fully alphabetical like the real server. Clients cannot tell.
//! * Server-side apply is simplified: ownership is tracked per leaf field path (maps recursively;
//!   associative lists by the keys listed above; other lists atomic). A conflict is raised when
//!   another manager (Apply or Update) owns the same, a parent or a child path and the applied
//!   value differs; `force` transfers those fields. Fields the manager applied before and no
//!   longer applies are removed unless another manager owns them. Apply `fieldsV1` have no `.`
//!   markers on maps (like the real Apply entries); Update entries are close to but not
//!   byte-identical with the real ones. No schema-aware atomic maps (`selector` is treated as
//!   a map), no `x-kubernetes-list-type` from CRD schemas, no type conversion between versions.
//! * Strategic merge patch: no `$retainKeys`/`$setElementOrder` semantics (ignored),
//!   `$deleteFromPrimitiveList` unsupported.

#![allow(clippy::result_large_err)]

mod defaults;
mod discovery;
mod json;
mod protobuf;
mod protobuf_full;
mod rbac;
mod resources;
mod rollout;
mod selector;
mod server;
mod status;
mod store;
mod synthetic;
mod table;
mod util;
mod writes;

pub use protobuf_full::{KINDS as PROTOBUF_KINDS, unknown_fields as protobuf_unknown_fields};
pub use rbac::Grant;
pub use resources::{RESOURCES, ResourceType};
pub use store::LoadError;
pub use synthetic::{synthetic_control_plane, synthetic_namespace, synthetic_pod};

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
    /// Faults arriving together: each request (discovery excepted) is hit with probability
    /// `per_mille`/1000 by one of 500, 429 with `Retry-After: 1`, a reset, a truncated body, a
    /// `slow` answer, or (for a list carrying a `continue` token) an expired continue. The choice
    /// is a pure function of `seed` and the request's number, so a failing run can be replayed.
    Storm {
        seed: u64,
        per_mille: u16,
        slow: Duration,
    },
}

/// Another client editing an object while a tool works (see [`FakeApiServer::edit_before_list`]).
#[derive(Debug, Clone)]
pub struct Edit {
    pub(crate) plural: &'static str,
    pub(crate) namespace: &'static str,
    pub(crate) name: &'static str,
    pub(crate) on_list: usize,
    pub(crate) lists_seen: usize,
}

/// What a [`Fault::Storm`] injected, by kind.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct StormReport {
    pub requests: usize,
    pub injected: std::collections::BTreeMap<&'static str, usize>,
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
    protobuf: bool,
    gateway_api: Option<&'static str>,
    log: bool,
    rollout_delay: Option<Duration>,
    edits: Vec<Edit>,
    grants: Vec<Grant>,
    may_impersonate: bool,
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
            protobuf: true,
            gateway_api: Some("v1"),
            log: true,
            rollout_delay: None,
            edits: Vec::new(),
            grants: Vec::new(),
            may_impersonate: true,
        }
    }
    /// Whether the `install.istio.io/v1alpha1` IstioOperator CRD exists (default: yes). Without
    /// it, `/apis/install.istio.io/...` answers the text/plain 404 of recording 53.
    pub fn istio_operator_crd(mut self, on: bool) -> Self {
        self.istio_crd = on;
        self
    }
    /// Which Gateway API version the `gateway.networking.k8s.io` CRDs serve (default `v1`;
    /// `v1beta1` for CRDs older than Gateway API 1.0), or `None`: no Gateway API installed, and
    /// its paths answer 404 like any unknown group.
    pub fn gateway_api(mut self, version: Option<&'static str>) -> Self {
        self.gateway_api = version;
        self
    }
    /// Whether protobuf is served (default: yes, for metadata-only responses, errors and the
    /// built-in kinds the plugin lists).
    /// Without it the server answers JSON to a protobuf `Accept` that has a JSON fallback, as a
    /// proxy or an aggregated API server that only speaks JSON does.
    pub fn protobuf(mut self, on: bool) -> Self {
        self.protobuf = on;
        self
    }
    /// The cluster's resource version starts at `rv` at least (to replay a recording's lists).
    pub fn resource_version_at_least(mut self, rv: u64) -> Self {
        self.store.rv = self.store.rv.max(rv);
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
    /// Runs the rollout controller: after a template change (`kubectl rollout restart`), the new
    /// ReplicaSet and its pods appear, and the status reads complete, once `delay` has passed
    /// (zero: at the next request). Off by default, so objects recorded mid-rollout stay put.
    pub fn rollout_delay(mut self, delay: Duration) -> Self {
        self.rollout_delay = Some(delay);
        self
    }
    /// RBAC for impersonated identities (`Impersonate-User`, `Impersonate-Group`): once any grant
    /// exists, an impersonated request is allowed only what a grant to its user or one of its
    /// groups allows, else it gets the real server's 403 naming the impersonated user. The
    /// caller's own requests are never restricted.
    pub fn grant(mut self, subject: &str, verbs: &[&str], resources: &[&str]) -> Self {
        self.grants.push(Grant {
            subject: subject.to_string(),
            verbs: verbs.iter().map(|v| v.to_string()).collect(),
            resources: resources.iter().map(|r| r.to_string()).collect(),
            namespace: None,
        });
        self
    }
    /// As [`FakeApiServer::grant`], bound in one namespace (a RoleBinding).
    pub fn grant_in(
        mut self,
        namespace: &str,
        subject: &str,
        verbs: &[&str],
        resources: &[&str],
    ) -> Self {
        self = self.grant(subject, verbs, resources);
        if let Some(g) = self.grants.last_mut() {
            g.namespace = Some(namespace.to_string());
        }
        self
    }
    /// Whether the caller may impersonate (default: yes). Refused, every request carrying
    /// `Impersonate-User` gets the 403 of the real impersonation filter (`users "x" is
    /// forbidden: User "<caller>" cannot impersonate resource "users" ...`), discovery included.
    pub fn may_impersonate(mut self, on: bool) -> Self {
        self.may_impersonate = on;
        self
    }
    /// Another client edits `namespace/name` of `plural` (an annotation, so a new
    /// resourceVersion) just before the `nth` list of `plural` (1-based) is served: an object
    /// that moves on between a tool's two reads.
    pub fn edit_before_list(
        mut self,
        plural: &'static str,
        namespace: &'static str,
        name: &'static str,
        nth: usize,
    ) -> Self {
        self.edits.push(Edit {
            plural,
            namespace,
            name,
            on_list: nth,
            lists_seen: 0,
        });
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
    /// spread over `n_namespaces` namespaces (also created) and `revisions` istio revisions (each
    /// with its control plane in `istio-system`: see [`synthetic_control_plane`]),
    /// generated and encoded one at a time (no big intermediate trees). See [`synthetic_pod`].
    /// `n` synthetic Deployments and as many ReplicaSets ([`synthetic::synthetic_workload`]),
    /// spread over `n_namespaces` namespaces.
    pub fn synthetic_workloads(mut self, n: usize, n_namespaces: usize, revisions: usize) -> Self {
        for j in 0..n {
            for v in synthetic::synthetic_workload(j, n_namespaces, revisions) {
                insert_loaded(&mut self.store, v);
            }
        }
        self
    }
    pub fn synthetic_pods(mut self, n_pods: usize, n_namespaces: usize, revisions: usize) -> Self {
        synthetic::load(&mut self.store, n_pods, n_namespaces, revisions);
        let ns_idx = resources::by_kind("v1", "Namespace").expect("namespaces");
        let istio_system = (String::new(), "istio-system".to_string());
        if !self.store.tables[ns_idx].contains_key(&istio_system) {
            let ns = synthetic::synthetic_istio_system();
            insert_loaded(&mut self.store, ns);
        }
        for r in 0..revisions.max(1) {
            for v in synthetic::synthetic_control_plane(r) {
                insert_loaded(&mut self.store, v);
            }
        }
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
        let mut shared = Shared::new(
            self.store,
            self.token.clone(),
            self.user,
            server::Crds {
                istio_operator: self.istio_crd,
                gateway_api: self.gateway_api,
            },
            self.log,
            self.faults,
            &addr.to_string(),
        );
        shared.protobuf = self.protobuf;
        shared.grants = self.grants;
        shared.may_impersonate = self.may_impersonate;
        shared.rollouts.lock().expect("rollouts").delay = self.rollout_delay;
        *shared.edits.lock().expect("edits") = self.edits;
        let shared = Arc::new(shared);
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
    /// What the storm faults injected so far, summed over every storm.
    pub fn storm_report(&self) -> StormReport {
        let mut out = StormReport::default();
        for f in self.shared.faults.lock().expect("faults").iter() {
            out.requests += f.storm.requests;
            for (k, n) in &f.storm.injected {
                *out.injected.entry(k).or_default() += n;
            }
        }
        out
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
