//! HTTP serving: routing, content negotiation, lists, gets, faults, request log.

use crate::discovery::{self, Discovery};
use crate::rbac::{self, Grant};
use crate::resources::{self, RESOURCES, ResourceType};
use crate::selector::{self, Req};
use crate::status::ApiError;
use crate::store::{Store, StoredObject};
use crate::{Fault, RecordedRequest, json, protobuf, protobuf_full, table, util, writes};
use base64::Engine;
use bytes::Bytes;
use http::{HeaderValue, Method, Request, Response, StatusCode, header};
use http_body::{Body as HttpBody, Frame};
use http_body_util::{BodyExt, Full, combinators::BoxBody};
use hyper::body::Incoming;
use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex, RwLock};
use std::task::{Context, Poll};

pub type BoxError = Box<dyn std::error::Error + Send + Sync>;
pub type Body = BoxBody<Bytes, BoxError>;

const FLOWSCHEMA_UID: &str = "eeaa823a-b0ac-443b-8b4a-7d216bea1c17";
const PRIORITYLEVEL_UID: &str = "1278a270-39ff-4099-868d-508ec6f7e9ba";
/// Bodies up to this size get a `Content-Length`; larger ones are chunked (like the real server).
const CONTENT_LENGTH_MAX: usize = 2048;
const CHUNK: usize = 256 * 1024;

pub struct FaultState {
    pub fault: Fault,
    pub remaining: Option<usize>,
    pub storm: crate::StormReport,
}

/// A storm's draw for its `n`-th request: splitmix64 of the seed and the number.
fn storm_draw(seed: u64, n: u64) -> u64 {
    let mut z = seed.wrapping_add(n.wrapping_mul(0x9E37_79B9_7F4A_7C15));
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// Which optional CRDs the server has.
#[derive(Debug, Clone, Copy)]
pub struct Crds {
    pub istio_operator: bool,
    /// The Gateway API version served, or none.
    pub gateway_api: Option<&'static str>,
}

/// State shared by all connections.
pub struct Shared {
    pub store: RwLock<Store>,
    pub faults: Mutex<Vec<FaultState>>,
    pub log: Mutex<Vec<RecordedRequest>>,
    pub log_enabled: bool,
    pub token: Option<String>,
    pub user: String,
    pub istio_crd: bool,
    /// Whether protobuf is served; without it the server answers JSON to a protobuf `Accept`.
    pub protobuf: bool,
    /// The Gateway API version served (`v1`, `v1beta1`), or none: no Gateway API CRDs.
    pub gateway_api: Option<&'static str>,
    pub discovery: Discovery,
    pub rollouts: Mutex<crate::rollout::Rollouts>,
    pub edits: Mutex<Vec<crate::Edit>>,
    pub grants: Vec<Grant>,
    pub may_impersonate: bool,
}

impl Shared {
    pub fn new(
        store: Store,
        token: Option<String>,
        user: String,
        crds: Crds,
        log_enabled: bool,
        faults: Vec<Fault>,
        addr: &str,
    ) -> Self {
        Shared {
            store: RwLock::new(store),
            faults: Mutex::new(faults.into_iter().map(fault_state).collect()),
            log: Mutex::new(Vec::new()),
            log_enabled,
            token,
            user,
            istio_crd: crds.istio_operator,
            protobuf: true,
            gateway_api: crds.gateway_api,
            discovery: discovery::build(crds.istio_operator, crds.gateway_api, addr),
            rollouts: Mutex::new(crate::rollout::Rollouts::with_delay(None)),
            edits: Mutex::new(Vec::new()),
            grants: Vec::new(),
            may_impersonate: true,
        }
    }
    pub fn served(&self, res: usize) -> bool {
        match res {
            resources::ISTIOOPERATORS => self.istio_crd,
            resources::GATEWAYS | resources::GATEWAYCLASSES => self.gateway_api.is_some(),
            _ => true,
        }
    }
}

pub fn fault_state(f: Fault) -> FaultState {
    let remaining = match &f {
        Fault::ServerErrorThenOk { times, .. } | Fault::TooManyRequests { times, .. } => {
            Some(*times)
        }
        Fault::ExpireContinue { .. } => Some(1),
        _ => None,
    };
    FaultState {
        fault: f,
        remaining,
        storm: crate::StormReport::default(),
    }
}

/// Parsed request.
pub struct Ctx {
    pub method: Method,
    pub path: String,
    pub query: Vec<(String, String)>,
    pub headers: http::HeaderMap,
    pub body: Bytes,
    pub pretty: bool,
}

impl Ctx {
    pub fn q(&self, k: &str) -> Option<&str> {
        self.query
            .iter()
            .find(|(a, _)| a == k)
            .map(|(_, v)| v.as_str())
    }
    pub fn header(&self, k: &str) -> Option<&str> {
        self.headers.get(k).and_then(|v| v.to_str().ok())
    }
    /// Manager name for writes: `fieldManager` or the User-Agent up to the first `/`.
    pub fn manager(&self) -> String {
        if let Some(m) = self.q("fieldManager") {
            return m.to_string();
        }
        self.header("user-agent")
            .map(|u| u.split('/').next().unwrap_or(u).to_string())
            .unwrap_or_else(|| "unknown".into())
    }
    pub fn dry_run(&self) -> bool {
        self.q("dryRun") == Some("All")
    }
}

/// What the client accepts for object responses.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Want {
    Full,
    Partial,
    Table,
}

/// How a response body is written.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Encoding {
    Json,
    Protobuf,
}

/// The first media type of `accept` the fake can serve. Protobuf for metadata-only responses
/// and for full objects of the kinds [`protobuf_full`] encodes (never when the server is built
/// without it): for other full objects the fake skips it and takes the JSON fallback, as the
/// real server does for custom resources (recording 93).
fn negotiate(
    accept: Option<&str>,
    protobuf: bool,
    res: &ResourceType,
) -> Result<(Want, Encoding), ApiError> {
    let full_protobuf = !res.crd && protobuf_full::KINDS.contains(&res.kind);
    let Some(accept) = accept else {
        return Ok((Want::Full, Encoding::Json));
    };
    for part in accept.split(',') {
        let mut it = part.split(';').map(str::trim);
        let mt = it.next().unwrap_or("");
        let params: Vec<(&str, &str)> = it.filter_map(|p| p.split_once('=')).collect();
        let get = |k: &str| params.iter().find(|(a, _)| *a == k).map(|(_, v)| *v);
        let encoding = match mt {
            "application/json" | "*/*" | "application/*" => Encoding::Json,
            protobuf::MEDIA_TYPE if protobuf => Encoding::Protobuf,
            _ => continue,
        };
        match get("as") {
            None if encoding == Encoding::Json || full_protobuf => {
                return Ok((Want::Full, encoding));
            }
            None => continue,
            Some(a) => {
                if get("g") != Some("meta.k8s.io") || get("v") != Some("v1") {
                    continue;
                }
                match a {
                    "PartialObjectMetadata" | "PartialObjectMetadataList" => {
                        return Ok((Want::Partial, encoding));
                    }
                    "Table" if encoding == Encoding::Json => return Ok((Want::Table, encoding)),
                    _ => continue,
                }
            }
        }
    }
    Err(ApiError::not_acceptable())
}

/// Errors are written in the client's first choice of encoding (recording 94: a protobuf
/// `Status` for a protobuf `Accept`).
fn error_encoding(sh: &Shared, ctx: &Ctx) -> Encoding {
    let first = ctx
        .header("accept")
        .and_then(|a| a.split(',').next())
        .and_then(|p| p.split(';').next())
        .map(str::trim);
    match first {
        Some(protobuf::MEDIA_TYPE) if sh.protobuf => Encoding::Protobuf,
        _ => Encoding::Json,
    }
}

// ---------- response helpers ----------

pub fn full_body(b: Vec<u8>) -> Body {
    Full::new(Bytes::from(b))
        .map_err(|never| match never {})
        .boxed()
}

/// A body that is always sent chunked (no size hint).
struct ChunkedBody(Option<Bytes>);
impl HttpBody for ChunkedBody {
    type Data = Bytes;
    type Error = BoxError;
    fn poll_frame(
        self: Pin<&mut Self>,
        _: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, BoxError>>> {
        Poll::Ready(self.get_mut().0.take().map(|b| Ok(Frame::data(b))))
    }
}

/// Sends the first half of the body, lets hyper flush it, then fails (closing the connection).
struct TruncatedBody {
    data: Option<Bytes>,
    pause: Option<Pin<Box<tokio::time::Sleep>>>,
}
impl HttpBody for TruncatedBody {
    type Data = Bytes;
    type Error = BoxError;
    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, BoxError>>> {
        let this = self.get_mut();
        if let Some(b) = this.data.take() {
            this.pause = Some(Box::pin(tokio::time::sleep(
                std::time::Duration::from_millis(50),
            )));
            return Poll::Ready(Some(Ok(Frame::data(b))));
        }
        if let Some(p) = this.pause.as_mut()
            && p.as_mut().poll(cx).is_pending()
        {
            return Poll::Pending;
        }
        Poll::Ready(Some(Err("fake-apiserver: injected truncated body".into())))
    }
}

fn base(status: u16, pf: bool) -> http::response::Builder {
    let mut b = Response::builder()
        .status(StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR))
        .header("Audit-Id", util::uuid());
    if pf {
        b = b.header(header::CACHE_CONTROL, "no-cache, private");
    }
    b
}

fn pf_headers(b: http::response::Builder) -> http::response::Builder {
    b.header("X-Kubernetes-Pf-Flowschema-Uid", FLOWSCHEMA_UID)
        .header("X-Kubernetes-Pf-Prioritylevel-Uid", PRIORITYLEVEL_UID)
}

/// A JSON response; chunked above [`CONTENT_LENGTH_MAX`].
pub fn json_response(status: u16, body: Vec<u8>) -> Response<Body> {
    let b = pf_headers(base(status, true).header(header::CONTENT_TYPE, "application/json"));
    let body = if body.len() <= CONTENT_LENGTH_MAX {
        full_body(body)
    } else {
        ChunkedBody(Some(Bytes::from(body))).boxed()
    };
    b.body(body).expect("response")
}

pub fn error_response(e: &ApiError) -> Response<Body> {
    error_response_as(e, Encoding::Json)
}

fn error_response_as(e: &ApiError, encoding: Encoding) -> Response<Body> {
    if e.plain_404 {
        return pf_headers(
            base(404, true)
                .header(header::CONTENT_TYPE, "text/plain; charset=utf-8")
                .header("X-Content-Type-Options", "nosniff"),
        )
        .body(full_body(b"404 page not found\n".to_vec()))
        .expect("response");
    }
    let (content_type, body) = match encoding {
        Encoding::Json => ("application/json", e.body()),
        Encoding::Protobuf => (
            protobuf::MEDIA_TYPE,
            protobuf::status(
                e.code,
                e.reason,
                &e.message,
                e.details.as_deref(),
                e.meta_continue.as_deref(),
            ),
        ),
    };
    let mut b = base(e.code, true).header(header::CONTENT_TYPE, content_type);
    if e.code == 403 {
        b = b.header("X-Content-Type-Options", "nosniff");
    }
    if let Some(r) = e.retry_after {
        b = b.header(header::RETRY_AFTER, r.to_string());
    }
    if e.code != 401 {
        b = pf_headers(b);
    }
    b.body(full_body(body)).expect("response")
}

/// A protobuf response; chunked above [`CONTENT_LENGTH_MAX`] like a JSON one.
fn protobuf_response(status: u16, body: Vec<u8>) -> Response<Body> {
    let b = pf_headers(base(status, true).header(header::CONTENT_TYPE, protobuf::MEDIA_TYPE));
    let body = if body.len() <= CONTENT_LENGTH_MAX {
        full_body(body)
    } else {
        ChunkedBody(Some(Bytes::from(body))).boxed()
    };
    b.body(body).expect("response")
}

fn finish(mut body: Vec<u8>, pretty: bool) -> Vec<u8> {
    if pretty {
        // Go's indenting encoder leaves no trailing newline (recordings 01, 76)
        return json::indent(&body);
    }
    if body.last() != Some(&b'\n') {
        body.push(b'\n');
    }
    body
}

/// Another client's edit, made just before the `nth` list of its resource is served: an
/// annotation set, so the object gets a new resourceVersion (and nothing a check reads changes).
fn edit_before_list(sh: &Shared, r: &ResourceReq) {
    let mut edits = sh.edits.lock().expect("edits");
    for e in edits.iter_mut() {
        if RESOURCES[r.res].plural != e.plural {
            continue;
        }
        e.lists_seen += 1;
        if e.lists_seen != e.on_list {
            continue;
        }
        let mut store = sh.store.write().expect("store");
        let Some(mut v) = store
            .get(r.res, e.namespace, e.name)
            .map(|o| o.to_value(&RESOURCES[r.res]))
        else {
            continue;
        };
        let rv = store.next_rv();
        v["metadata"]["annotations"]["example.com/edited-by"] =
            serde_json::Value::String("another-client".into());
        v["metadata"]["resourceVersion"] = serde_json::Value::String(rv.to_string());
        store.put(r.res, &v);
    }
}

// ---------- entry point ----------

pub async fn handle(sh: Arc<Shared>, req: Request<Incoming>) -> Result<Response<Body>, BoxError> {
    let (parts, body) = req.into_parts();
    let body = body.collect().await?.to_bytes();
    {
        let mut rollouts = sh.rollouts.lock().expect("rollouts");
        crate::rollout::reconcile(&mut sh.store.write().expect("store"), &mut rollouts);
    }
    let path = parts.uri.path().to_string();
    let raw_query = parts.uri.query().map(str::to_string);
    let query: Vec<(String, String)> = raw_query
        .as_deref()
        .map(|q| form_urlencoded::parse(q.as_bytes()).into_owned().collect())
        .unwrap_or_default();
    if sh.log_enabled {
        sh.log.lock().expect("log").push(RecordedRequest {
            method: parts.method.to_string(),
            path: path.clone(),
            query: raw_query.clone(),
            headers: parts
                .headers
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_str().unwrap_or("").to_string()))
                .collect(),
            body: body.clone(),
        });
    }
    let ua = parts
        .headers
        .get(header::USER_AGENT)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    let pretty = query.iter().any(|(k, v)| k == "pretty" && v == "true")
        || ua.starts_with("curl")
        || ua.starts_with("Wget")
        || ua.starts_with("Mozilla/5.0");
    let ctx = Ctx {
        method: parts.method,
        path,
        query,
        headers: parts.headers,
        body,
        pretty,
    };

    if let Some(tok) = &sh.token {
        let ok = ctx
            .header("authorization")
            .and_then(|a| a.strip_prefix("Bearer "))
            .is_some_and(|t| t == tok);
        if !ok {
            return Ok(error_response(&ApiError::unauthorized()));
        }
    }

    let who = match rbac::identity(&ctx.headers, &sh.user, sh.may_impersonate) {
        Ok(who) => who,
        Err(e) => return Ok(error_response_as(&e, error_encoding(&sh, &ctx))),
    };
    match route(&sh, &ctx) {
        Route::Discovery(resp) => Ok(resp),
        Route::Error(e) => Ok(error_response_as(&e, error_encoding(&sh, &ctx))),
        Route::Resource(r) => handle_resource(&sh, &ctx, &who, r).await,
    }
}

pub struct ResourceReq {
    pub res: usize,
    pub ns: Option<String>,
    pub name: Option<String>,
    pub sub: Option<String>,
}

enum Route {
    Discovery(Response<Body>),
    Error(ApiError),
    Resource(ResourceReq),
}

fn wants_aggregated(accept: Option<&str>) -> bool {
    accept.is_some_and(|a| {
        a.split(',').any(|p| {
            let p: Vec<&str> = p.split(';').map(str::trim).collect();
            p.contains(&"as=APIGroupDiscoveryList")
                && p.contains(&"g=apidiscovery.k8s.io")
                && p.contains(&"v=v2")
        })
    })
}

fn aggregated(ctx: &Ctx, body: &[u8], etag: &str) -> Response<Body> {
    let b = pf_headers(
        base(200, false)
            .header(header::CACHE_CONTROL, "public")
            .header(header::ETAG, etag)
            .header(header::VARY, "Accept"),
    );
    if ctx.header("if-none-match") == Some(etag) {
        return b
            .status(StatusCode::NOT_MODIFIED)
            .body(full_body(Vec::new()))
            .expect("response");
    }
    let body = if ctx.pretty {
        finish(body.to_vec(), true)
    } else {
        body.to_vec()
    };
    b.header(
        header::CONTENT_TYPE,
        "application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList",
    )
    .body(ChunkedBody(Some(Bytes::from(body))).boxed())
    .expect("response")
}

fn route(sh: &Shared, ctx: &Ctx) -> Route {
    let segs: Vec<&str> = ctx.path.trim_matches('/').split('/').collect();
    let d = &sh.discovery;
    let doc = |b: &Vec<u8>| Route::Discovery(json_response(200, finish(b.clone(), ctx.pretty)));
    let get = ctx.method == Method::GET;
    let (group, version, rest): (&str, &str, &[&str]) = match segs.as_slice() {
        ["version"] if get => {
            return Route::Discovery(json_response(200, discovery::version()));
        }
        ["api"] if get => {
            if wants_aggregated(ctx.header("accept")) {
                return Route::Discovery(aggregated(ctx, &d.agg_api, &d.etag_api));
            }
            return doc(&d.api);
        }
        ["apis"] if get => {
            if wants_aggregated(ctx.header("accept")) {
                return Route::Discovery(aggregated(ctx, &d.agg_apis, &d.etag_apis));
            }
            return doc(&d.apis);
        }
        ["api", "v1", rest @ ..] => ("", "v1", rest),
        ["apis", g] if get => {
            return match d.group.get(&format!("/apis/{g}")) {
                Some(b) => doc(b),
                None => Route::Error(ApiError::plain_not_found()),
            };
        }
        ["apis", g, v, rest @ ..] => (*g, *v, rest),
        _ => return Route::Error(ApiError::plain_not_found()),
    };
    let gv_key = if group.is_empty() {
        "/api/v1".to_string()
    } else {
        format!("/apis/{group}/{version}")
    };
    let Some(gv_doc) = d.group_version.get(&gv_key) else {
        return Route::Error(ApiError::plain_not_found());
    };
    if rest.is_empty() {
        return if get {
            doc(gv_doc)
        } else {
            Route::Error(ApiError::method_not_allowed(
                "the server does not allow this method on the requested resource".to_string(),
            ))
        };
    }
    let ns_sub = rest.len() == 3 && matches!(rest[2], "status" | "finalize");
    let (ns, rest) = if rest.len() >= 3 && rest[0] == "namespaces" && !ns_sub {
        (Some(rest[1].to_string()), &rest[2..])
    } else {
        (None, rest)
    };
    let plural = rest[0];
    // The Gateway API objects are stored once, at v1, whichever version is served (the real
    // server converts between the versions of a CRD).
    let version = if group == resources::GATEWAY_API_GROUP && sh.gateway_api == Some(version) {
        "v1"
    } else {
        version
    };
    let Some(res) = RESOURCES
        .iter()
        .position(|r| r.group == group && r.version == version && r.plural == plural)
        .filter(|i| sh.served(*i))
    else {
        return Route::Error(ApiError::unknown_resource());
    };
    if rest.len() > 3 || (ns.is_some() && !RESOURCES[res].namespaced) {
        return Route::Error(ApiError::unknown_resource());
    }
    if !RESOURCES[res].namespaced || ns.is_some() || rest.len() == 1 {
        Route::Resource(ResourceReq {
            res,
            ns,
            name: rest.get(1).map(|s| s.to_string()),
            sub: rest.get(2).map(|s| s.to_string()),
        })
    } else {
        // e.g. /api/v1/pods/<name>: a namespaced object without a namespace
        Route::Error(ApiError::unknown_resource())
    }
}

fn verb(ctx: &Ctx, r: &ResourceReq) -> &'static str {
    match (&ctx.method, r.name.is_some()) {
        (&Method::GET, _) if ctx.q("watch") == Some("true") || ctx.q("watch") == Some("1") => {
            "watch"
        }
        (&Method::GET, true) => "get",
        (&Method::GET, false) => "list",
        (&Method::POST, _) => "create",
        (&Method::PUT, _) => "update",
        (&Method::PATCH, _) => "patch",
        (&Method::DELETE, true) => "delete",
        (&Method::DELETE, false) => "deletecollection",
        _ => "unknown",
    }
}

enum Injected {
    None,
    Reset,
    Truncate,
}

/// Applies request-level faults. Returns an error response, or what to do to the response.
async fn apply_faults(
    sh: &Shared,
    ctx: &Ctx,
    r: &ResourceReq,
    verb: &str,
) -> Result<Injected, ApiError> {
    let res = &RESOURCES[r.res];
    let matches = |name: &str| name == "*" || name == res.plural;
    let mut delay = None;
    let mut outcome = Injected::None;
    let mut err = None;
    {
        let mut faults = sh.faults.lock().expect("faults");
        for f in faults.iter_mut() {
            if f.remaining == Some(0) {
                continue;
            }
            match &f.fault {
                Fault::Forbidden {
                    resource,
                    namespace,
                } if matches(resource) => {
                    let hit = match namespace {
                        None => true,
                        Some(n) => r.ns.as_deref() == Some(*n),
                    };
                    if hit && err.is_none() {
                        let user = ctx.header("impersonate-user").unwrap_or(&sh.user);
                        err = Some(ApiError::forbidden(
                            res,
                            user,
                            verb,
                            r.ns.as_deref(),
                            r.name.as_deref(),
                        ));
                    }
                }
                Fault::ForbiddenVerb { resource, verb: v }
                    if matches(resource) && *v == verb && err.is_none() =>
                {
                    let user = ctx.header("impersonate-user").unwrap_or(&sh.user);
                    err = Some(ApiError::forbidden(
                        res,
                        user,
                        verb,
                        r.ns.as_deref(),
                        r.name.as_deref(),
                    ));
                }
                Fault::ForbiddenClusterScope { resource }
                    if matches(resource) && r.ns.is_none() && res.namespaced && err.is_none() =>
                {
                    let user = ctx.header("impersonate-user").unwrap_or(&sh.user);
                    err = Some(ApiError::forbidden(res, user, verb, None, None));
                }
                Fault::ServerErrorThenOk { resource, .. } if matches(resource) && err.is_none() => {
                    err = Some(ApiError::internal("injected fault"));
                    f.remaining = f.remaining.map(|n| n - 1);
                }
                Fault::TooManyRequests {
                    resource,
                    retry_after_secs,
                    ..
                } if matches(resource) && err.is_none() => {
                    err = Some(ApiError::too_many_requests(*retry_after_secs));
                    f.remaining = f.remaining.map(|n| n - 1);
                }
                Fault::Slow { resource, delay: d } if matches(resource) => delay = Some(*d),
                Fault::ConnectionReset { resource } if matches(resource) => {
                    outcome = Injected::Reset;
                }
                Fault::TruncatedBody { resource }
                    if matches(resource) && !matches!(outcome, Injected::Reset) =>
                {
                    outcome = Injected::Truncate;
                }
                Fault::Storm {
                    seed,
                    per_mille,
                    slow,
                } if err.is_none() && matches!(outcome, Injected::None) => {
                    let draw = storm_draw(*seed, f.storm.requests as u64);
                    f.storm.requests += 1;
                    if draw % 1000 >= u64::from(*per_mille) {
                        continue;
                    }
                    let continued = verb == "list" && ctx.q("continue").is_some();
                    let kind = match (draw >> 20) % 6 {
                        0 => "500",
                        1 => "429",
                        2 => "reset",
                        3 => "truncated",
                        4 => "slow",
                        _ if continued => "expired-continue",
                        _ => "500",
                    };
                    *f.storm.injected.entry(kind).or_default() += 1;
                    match kind {
                        "500" => err = Some(ApiError::internal("injected fault")),
                        "429" => err = Some(ApiError::too_many_requests(1)),
                        "reset" => outcome = Injected::Reset,
                        "truncated" => outcome = Injected::Truncate,
                        "slow" => delay = Some(*slow),
                        _ => {
                            if let Some(tok) = ctx.q("continue")
                                && let Ok((_, start)) = decode_continue(tok)
                            {
                                err = Some(ApiError::expired(encode_continue(-1, &start)));
                            } else {
                                err = Some(ApiError::internal("injected fault"));
                            }
                        }
                    }
                }
                Fault::ExpireContinue { resource } if matches(resource) => {
                    if verb == "list"
                        && err.is_none()
                        && let Some(tok) = ctx.q("continue")
                        && let Ok((_, start)) = decode_continue(tok)
                    {
                        err = Some(ApiError::expired(encode_continue(-1, &start)));
                        f.remaining = Some(0);
                    }
                }
                _ => {}
            }
        }
    }
    if let Some(d) = delay {
        tokio::time::sleep(d).await;
    }
    if matches!(outcome, Injected::Reset) {
        return Ok(Injected::Reset);
    }
    match err {
        Some(e) => Err(e),
        None => Ok(outcome),
    }
}

async fn handle_resource(
    sh: &Shared,
    ctx: &Ctx,
    who: &rbac::Identity,
    r: ResourceReq,
) -> Result<Response<Body>, BoxError> {
    let v = verb(ctx, &r);
    let res = &RESOURCES[r.res];
    if !rbac::allowed(&sh.grants, who, v, res.plural, r.ns.as_deref()) {
        let e = ApiError::forbidden(res, &who.user, v, r.ns.as_deref(), r.name.as_deref());
        return Ok(error_response_as(&e, error_encoding(sh, ctx)));
    }
    let injected = match apply_faults(sh, ctx, &r, v).await {
        Ok(i) => i,
        Err(e) => return Ok(error_response_as(&e, error_encoding(sh, ctx))),
    };
    if let Injected::Reset = injected {
        return Err("fake-apiserver: injected connection reset".into());
    }
    let resp = match dispatch(sh, ctx, &r, v) {
        Ok(resp) => resp,
        Err(e) => error_response_as(&e, error_encoding(sh, ctx)),
    };
    if let Injected::Truncate = injected {
        let (mut parts, body) = resp.into_parts();
        let full = body.collect().await?.to_bytes();
        let half = full.slice(0..full.len() / 2);
        parts.headers.remove(header::TRANSFER_ENCODING);
        parts.headers.insert(
            header::CONTENT_LENGTH,
            HeaderValue::from_str(&full.len().to_string()).expect("len"),
        );
        return Ok(Response::from_parts(
            parts,
            TruncatedBody {
                data: Some(half),
                pause: None,
            }
            .boxed(),
        ));
    }
    Ok(resp)
}

fn dispatch(
    sh: &Shared,
    ctx: &Ctx,
    r: &ResourceReq,
    verb: &str,
) -> Result<Response<Body>, ApiError> {
    let res = &RESOURCES[r.res];
    match verb {
        "list" => {
            edit_before_list(sh, r);
            list(sh, ctx, r)
        }
        "get" => get(sh, ctx, r),
        "watch" => Err(ApiError::method_not_allowed(
            "watch is not supported by the fake apiserver",
        )),
        "create" if r.name.is_none() => {
            writes::create(sh, ctx, r).map(|(c, b)| obj_resp(ctx, c, b))
        }
        "update" => writes::update(sh, ctx, r).map(|(c, b)| obj_resp(ctx, c, b)),
        "patch" => writes::patch(sh, ctx, r).map(|(c, b)| obj_resp(ctx, c, b)),
        "delete" => writes::delete(sh, ctx, r).map(|(c, b)| obj_resp(ctx, c, b)),
        _ => Err(ApiError::method_not_allowed(format!(
            "{verb} is not supported on {} by the fake apiserver",
            res.plural
        ))),
    }
}

fn obj_resp(ctx: &Ctx, code: u16, body: Vec<u8>) -> Response<Body> {
    json_response(code, finish(body, ctx.pretty))
}

// ---------- continue tokens ----------

pub fn encode_continue(rv: i64, start: &str) -> String {
    let j = serde_json::json!({"v": "meta.k8s.io/v1", "rv": rv, "start": start});
    // key order as the real server: v, rv, start
    let s = format!(
        "{{\"v\":\"meta.k8s.io/v1\",\"rv\":{},\"start\":{}}}",
        j["rv"],
        serde_json::to_string(start).expect("str")
    );
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(s)
}

/// Go's json error for a token that is not JSON (the common cases).
fn go_json_error(b: &[u8]) -> String {
    let first = b.first().copied().unwrap_or(b' ');
    let lit = match first {
        b'n' => Some("null"),
        b't' => Some("true"),
        b'f' => Some("false"),
        _ => None,
    };
    if let Some(lit) = lit {
        for (i, c) in lit.bytes().enumerate() {
            match b.get(i) {
                Some(x) if *x == c => {}
                Some(x) => {
                    return format!(
                        "invalid character '{}' in literal {lit} (expecting '{}')",
                        *x as char, c as char
                    );
                }
                None => return "unexpected end of JSON input".into(),
            }
        }
        return format!(
            "invalid character '{}' after top-level value",
            b.get(lit.len()).copied().unwrap_or(b' ') as char
        );
    }
    if b.is_empty() {
        return "unexpected end of JSON input".into();
    }
    format!(
        "invalid character '{}' looking for beginning of value",
        first as char
    )
}

/// Decodes `(rv, start key without the trailing NUL)`.
pub fn decode_continue(tok: &str) -> Result<(i64, String), ApiError> {
    let bad = |m: String| ApiError::bad_request(format!("invalid continue token: {m}"));
    let raw = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(tok.trim_end_matches('='))
        .map_err(|e| bad(format!("continue key is not valid: {e}")))?;
    let v: serde_json::Value = serde_json::from_slice(&raw).map_err(|_| {
        bad(format!(
            "continue key is not valid: {}",
            go_json_error(&raw)
        ))
    })?;
    if v["v"] != "meta.k8s.io/v1" {
        return Err(bad("continue key is not valid: incorrect encoded start resourceVersion (version meta.k8s.io/v1)".into()));
    }
    let rv = v["rv"].as_i64().unwrap_or(0);
    let start = v["start"].as_str().unwrap_or("");
    if start.is_empty() {
        return Err(bad(
            "continue key is not valid: encoded start key empty".into()
        ));
    }
    Ok((rv, start.trim_end_matches('\0').to_string()))
}

// ---------- list / get ----------

const POD_FIELDS: &[&str] = &[
    "spec.nodeName",
    "spec.restartPolicy",
    "spec.schedulerName",
    "spec.serviceAccountName",
    "spec.hostNetwork",
    "status.phase",
    "status.podIP",
    "status.nominatedNodeName",
];

fn field_value(v: &serde_json::Value, path: &str) -> String {
    let mut cur = v;
    for p in path.split('.') {
        cur = &cur[p];
    }
    match cur {
        serde_json::Value::String(s) => s.clone(),
        serde_json::Value::Null => String::new(),
        other => other.to_string(),
    }
}

pub struct Selection {
    pub labels: Vec<Req>,
    pub fields: Vec<Req>,
    pub deep_fields: bool,
}

impl Selection {
    pub fn parse(ctx: &Ctx, res: &ResourceType) -> Result<Self, ApiError> {
        let labels = match ctx.q("labelSelector") {
            Some(s) => selector::parse_labels(s).map_err(ApiError::bad_request)?,
            None => vec![],
        };
        let fields = match ctx.q("fieldSelector") {
            Some(s) => selector::parse_fields(s).map_err(ApiError::bad_request)?,
            None => vec![],
        };
        let mut deep = false;
        for f in &fields {
            let k = selector::req_key(f);
            if k == "metadata.name" || k == "metadata.namespace" {
                continue;
            }
            if res.plural == "pods" && POD_FIELDS.contains(&k) {
                deep = true;
                continue;
            }
            return Err(ApiError::bad_request(format!(
                "field label not supported: {k}"
            )));
        }
        Ok(Selection {
            labels,
            fields,
            deep_fields: deep,
        })
    }
    pub fn is_empty(&self) -> bool {
        self.labels.is_empty() && self.fields.is_empty()
    }
    pub fn matches(&self, o: &StoredObject) -> bool {
        if !selector::matches(&self.labels, |k| o.label(k)) {
            return false;
        }
        if self.fields.is_empty() {
            return true;
        }
        let deep: &[(&'static str, String)] = if self.deep_fields {
            o.selectable_fields.get_or_init(|| {
                let parsed: serde_json::Value =
                    serde_json::from_slice(&o.bytes).unwrap_or(serde_json::Value::Null);
                POD_FIELDS
                    .iter()
                    .map(|k| (*k, field_value(&parsed, k)))
                    .collect()
            })
        } else {
            &[]
        };
        let vals: Vec<(&str, &str)> = self
            .fields
            .iter()
            .map(|f| {
                let k = selector::req_key(f);
                let v = match k {
                    "metadata.name" => o.name.as_str(),
                    "metadata.namespace" => o.namespace.as_str(),
                    _ => deep
                        .iter()
                        .find(|(a, _)| *a == k)
                        .map_or("", |(_, v)| v.as_str()),
                };
                (k, v)
            })
            .collect();
        selector::matches(&self.fields, |k| {
            vals.iter().find(|(a, _)| *a == k).map(|(_, v)| *v)
        })
    }
}

struct Page {
    items: Vec<Arc<StoredObject>>,
    cont: Option<String>,
    remaining: Option<usize>,
    rv: String,
}

fn scan(
    store: &Store,
    res_idx: usize,
    ns: Option<&str>,
    sel: &Selection,
    limit: usize,
    start: Option<&str>,
    token_rv: Option<i64>,
) -> Page {
    let res = &RESOURCES[res_idx];
    let table = &store.tables[res_idx];
    let all_ns = res.namespaced && ns.is_none();
    let key_of = |o: &StoredObject| {
        if all_ns {
            format!("{}/{}", o.namespace, o.name)
        } else {
            o.name.clone()
        }
    };
    // lower bound (exclusive) from the continue key
    let lower: Option<(String, String)> = start.map(|s| {
        if all_ns {
            let (a, b) = s.split_once('/').unwrap_or((s, ""));
            (a.to_string(), b.to_string())
        } else {
            (ns.unwrap_or("").to_string(), s.to_string())
        }
    });
    let scope_ns = ns.map(str::to_string);
    let iter: Box<dyn Iterator<Item = &Arc<StoredObject>>> = match (&lower, &scope_ns) {
        (Some(l), _) => Box::new(
            table
                .range((
                    std::ops::Bound::Excluded(l.clone()),
                    std::ops::Bound::Unbounded,
                ))
                .map(|(_, v)| v),
        ),
        (None, Some(n)) => Box::new(table.range((n.clone(), String::new())..).map(|(_, v)| v)),
        (None, None) => Box::new(table.values()),
    };
    let in_scope = |o: &&Arc<StoredObject>| scope_ns.as_deref().is_none_or(|n| o.namespace == n);
    let mut iter = iter.take_while(in_scope).peekable();
    let rv = match token_rv {
        Some(r) if r > 0 => r.to_string(),
        _ => store.rv.to_string(),
    };
    if limit == 0 {
        let items = iter.filter(|o| sel.matches(o)).cloned().collect();
        return Page {
            items,
            cont: None,
            remaining: None,
            rv,
        };
    }
    // Emulates the etcd3 storage paging loop: batches of `limit` keys (doubling), filtered.
    let mut matched = Vec::new();
    let mut last_key: Option<String> = None;
    let mut has_more;
    let mut batch = limit;
    loop {
        let mut taken = 0;
        let mut broke = false;
        while taken < batch {
            if iter.peek().is_none() {
                break;
            }
            if matched.len() >= limit {
                broke = true;
                break;
            }
            let o = iter.next().expect("peeked");
            taken += 1;
            last_key = Some(key_of(o));
            if sel.matches(o) {
                matched.push(o.clone());
            }
        }
        has_more = broke || iter.peek().is_some();
        if !has_more || matched.len() >= limit {
            break;
        }
        batch = (batch * 2).min(10_000);
    }
    let (cont, remaining) = match (has_more, &last_key) {
        (true, Some(k)) => {
            let rem = if sel.is_empty() {
                Some(iter.count())
            } else {
                None
            };
            (
                Some(encode_continue(
                    rv.parse().unwrap_or(0),
                    &format!("{k}\u{0}"),
                )),
                rem,
            )
        }
        _ => (None, None),
    };
    Page {
        items: matched,
        cont,
        remaining,
        rv,
    }
}

#[derive(Clone, Copy)]
enum ItemMode {
    Stored,
    Partial,
}

/// Streams list items as chunked frames of ~256 KiB without building the body twice.
struct ListBody {
    head: Option<Vec<u8>>,
    items: std::vec::IntoIter<Arc<StoredObject>>,
    first: bool,
    mode: ItemMode,
    done: bool,
}

impl HttpBody for ListBody {
    type Data = Bytes;
    type Error = BoxError;
    fn poll_frame(
        self: Pin<&mut Self>,
        _: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, BoxError>>> {
        let this = self.get_mut();
        if this.done {
            return Poll::Ready(None);
        }
        let mut buf = this.head.take().unwrap_or_default();
        buf.reserve(CHUNK + 32 * 1024);
        while buf.len() < CHUNK {
            match this.items.next() {
                Some(o) => {
                    if !this.first {
                        buf.push(b',');
                    }
                    this.first = false;
                    match this.mode {
                        ItemMode::Stored => buf.extend_from_slice(&o.bytes),
                        ItemMode::Partial => o.write_partial(&mut buf),
                    }
                }
                None => {
                    buf.extend_from_slice(b"]}\n");
                    this.done = true;
                    break;
                }
            }
        }
        Poll::Ready(Some(Ok(Frame::data(Bytes::from(buf)))))
    }
}

fn list_meta(page: &Page, crd: bool) -> String {
    let mut m = format!(
        "\"resourceVersion\":{}",
        serde_json::to_string(&page.rv).expect("s")
    );
    match &page.cont {
        Some(c) => m.push_str(&format!(",\"continue\":\"{c}\"")),
        None if crd => m.push_str(",\"continue\":\"\""),
        None => {}
    }
    if let Some(r) = page.remaining {
        m.push_str(&format!(",\"remainingItemCount\":{r}"));
    }
    if crd {
        // unstructured: alphabetical keys
        let v: serde_json::Value = serde_json::from_str(&format!("{{{m}}}")).expect("meta");
        return String::from_utf8(json::to_vec(&v, true)).expect("utf8");
    }
    format!("{{{m}}}")
}

fn list(sh: &Shared, ctx: &Ctx, r: &ResourceReq) -> Result<Response<Body>, ApiError> {
    let res = &RESOURCES[r.res];
    let (want, encoding) = negotiate(ctx.header("accept"), sh.protobuf, res)?;
    let sel = Selection::parse(ctx, res)?;
    let limit: usize = match ctx.q("limit") {
        Some(l) if !l.is_empty() => l.parse::<i64>().unwrap_or(0).max(0) as usize,
        _ => 0,
    };
    let (token_rv, start) = match ctx.q("continue").filter(|c| !c.is_empty()) {
        Some(t) => {
            let (rv, s) = decode_continue(t)?;
            (Some(rv), Some(s))
        }
        None => (None, None),
    };
    let page = {
        let store = sh.store.read().expect("store");
        scan(
            &store,
            r.res,
            r.ns.as_deref(),
            &sel,
            limit,
            start.as_deref(),
            token_rv,
        )
    };
    if encoding == Encoding::Protobuf && want == Want::Full {
        return Ok(full_list_protobuf(res, &page));
    }
    if encoding == Encoding::Protobuf {
        return Ok(partial_list_protobuf(&page));
    }
    if want == Want::Table {
        let body = table::render_list(
            res,
            &page.items,
            &page.rv,
            page.cont.as_deref(),
            page.remaining,
        );
        return Ok(json_response(200, finish(body, ctx.pretty)));
    }
    let (kind, api_version, mode) = match want {
        Want::Partial => (
            "PartialObjectMetadataList".to_string(),
            "meta.k8s.io/v1".to_string(),
            ItemMode::Partial,
        ),
        _ => (
            format!("{}List", res.kind),
            res.api_version(),
            ItemMode::Stored,
        ),
    };
    let crd = res.crd && want == Want::Full;
    let meta = list_meta(&page, crd);
    let head = if crd {
        format!("{{\"apiVersion\":\"{api_version}\",\"items\":[")
    } else {
        format!(
            "{{\"kind\":\"{kind}\",\"apiVersion\":\"{api_version}\",\"metadata\":{meta},\"items\":["
        )
    };
    if crd {
        // alphabetical: apiVersion, items, kind, metadata
        let mut body = head.into_bytes();
        for (i, o) in page.items.iter().enumerate() {
            if i > 0 {
                body.push(b',');
            }
            body.extend_from_slice(&o.bytes);
        }
        body.extend_from_slice(format!("],\"kind\":\"{kind}\",\"metadata\":{meta}}}\n").as_bytes());
        return Ok(json_response(200, finish(body, ctx.pretty)));
    }
    let mut lb = ListBody {
        head: Some(head.into_bytes()),
        items: page.items.into_iter(),
        first: true,
        mode,
        done: false,
    };
    let small = lb
        .items
        .as_slice()
        .iter()
        .map(|o| o.bytes.len())
        .sum::<usize>()
        < 4 * CONTENT_LENGTH_MAX;
    if ctx.pretty || small {
        // small or pretty: build in memory (gets a Content-Length when small)
        let mut body = Vec::new();
        while let Poll::Ready(Some(Ok(f))) =
            Pin::new(&mut lb).poll_frame(&mut Context::from_waker(std::task::Waker::noop()))
        {
            if let Ok(d) = f.into_data() {
                body.extend_from_slice(&d);
            }
        }
        return Ok(json_response(200, finish(body, ctx.pretty)));
    }
    Ok(
        pf_headers(base(200, true).header(header::CONTENT_TYPE, "application/json"))
            .body(lb.boxed())
            .expect("response"),
    )
}

fn page_list_meta(page: &Page) -> Vec<u8> {
    let mut meta = Vec::new();
    protobuf::list_meta(
        &mut meta,
        &page.rv,
        page.cont.as_deref(),
        page.remaining.map(|r| r as i64),
    );
    meta
}

/// A page of full objects as their protobuf list, e.g. a `DeploymentList` (recording 92).
fn full_list_protobuf(res: &ResourceType, page: &Page) -> Response<Body> {
    let meta = page_list_meta(page);
    let items: Vec<Bytes> = page.items.iter().map(|o| full_protobuf(res, o)).collect();
    let raw = protobuf::partial_list(&meta, items.iter().map(|b| &b[..]), false);
    protobuf_response(
        200,
        protobuf::envelope(&res.api_version(), &format!("{}List", res.kind), &raw),
    )
}

fn full_protobuf(res: &ResourceType, o: &StoredObject) -> Bytes {
    o.protobuf_full
        .get_or_init(|| {
            let json: serde_json::Value = serde_json::from_slice(&o.bytes).expect("stored json");
            Bytes::from(protobuf_full::object(res.kind, &json))
        })
        .clone()
}

/// A page as a protobuf `PartialObjectMetadataList` (recordings 90, 91).
fn partial_list_protobuf(page: &Page) -> Response<Body> {
    let meta = page_list_meta(page);
    let metas: Vec<Bytes> = page.items.iter().map(|o| o.protobuf_meta()).collect();
    let raw = protobuf::partial_list(&meta, metas.iter().map(|b| &b[..]), true);
    protobuf_response(
        200,
        protobuf::envelope("meta.k8s.io/v1", "PartialObjectMetadataList", &raw),
    )
}

fn get(sh: &Shared, ctx: &Ctx, r: &ResourceReq) -> Result<Response<Body>, ApiError> {
    let res = &RESOURCES[r.res];
    let (want, encoding) = negotiate(ctx.header("accept"), sh.protobuf, res)?;
    let name = r.name.as_deref().unwrap_or("");
    if let Some(sub) = &r.sub
        && sub != "status"
    {
        return Err(ApiError::unknown_resource());
    }
    let obj = {
        let store = sh.store.read().expect("store");
        store
            .get(r.res, r.ns.as_deref().unwrap_or(""), name)
            .cloned()
            .ok_or_else(|| ApiError::not_found(res, name))?
    };
    if encoding == Encoding::Protobuf && want == Want::Full {
        let raw = full_protobuf(res, &obj);
        return Ok(protobuf_response(
            200,
            protobuf::envelope(&res.api_version(), res.kind, &raw),
        ));
    }
    if encoding == Encoding::Protobuf {
        let raw = protobuf::partial_object(&obj.protobuf_meta());
        return Ok(protobuf_response(
            200,
            protobuf::envelope("meta.k8s.io/v1", "PartialObjectMetadata", &raw),
        ));
    }
    let mut body = Vec::with_capacity(obj.bytes.len() + 64);
    match want {
        Want::Full => obj.write_full(res, &mut body),
        Want::Partial => obj.write_partial(&mut body),
        Want::Table => {
            body = table::render_list(res, std::slice::from_ref(&obj), "", None, None);
        }
    }
    Ok(json_response(200, finish(body, ctx.pretty)))
}
