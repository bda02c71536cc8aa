//! The live side of `diff`: GET each rendered object by identity, dry-run apply the ones that
//! are ours, and LIST the kinds the installer could have left behind for orphans (istioctl's
//! prune kinds by owner labels; the charts' kinds labelled managed-by Helm, then filtered by
//! the release annotations, which no selector can match).

use super::Observed;
use crate::error::Error;
use crate::inventory::Unreadable;
use crate::istio::installer::{Installer, Ownership};
use crate::istio::labels::LABEL_VERSION;
use crate::istio::manifest::Rendered;
use crate::source::live::{error_chain, with_retries};
use kube::Client;
use kube::api::{
    Api, ApiResource, DynamicObject, GroupVersionKind, ListParams, Patch, PatchParams,
};
use serde_json::Value;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

type Observation = (Vec<Observed>, Vec<Value>, Vec<Unreadable>, Vec<String>);

/// Objects read (and dry-run applied) at once.
const CONCURRENCY: usize = 8;

/// GETs one rendered object and, when it is ours and dry runs are on, dry-run applies it.
/// Returns what was seen and a note for the report.
async fn observe_one(
    client: &Client,
    r: &Rendered,
    owner: &Installer,
    dry_run: &AtomicBool,
    asked_for_dry_run: bool,
) -> Result<(Observed, Option<String>), Error> {
    let api = api_for(client, &r.api_version, &r.id.kind, &r.id.namespace);
    let live = match with_retries(|| api.get_opt(&r.id.name)).await {
        Ok(o) => o.map(|o| serde_json::to_value(o).expect("objects serialize")),
        Err(kube::Error::Api(s)) if s.code == 401 => {
            return Err(Error::Cluster(format!("unauthorized: {}", s.message)));
        }
        Err(kube::Error::Api(s)) => {
            let o = Observed {
                unreadable: Some(format!("{} {}: {}", s.code, s.reason, s.message)),
                ..Observed::default()
            };
            return Ok((o, None));
        }
        Err(e) => return Err(transport(&e, &format!("cannot read {}", r.id))),
    };
    let mut o = Observed {
        live,
        ..Observed::default()
    };
    let Some(live) = &o.live else {
        return Ok((o, None));
    };
    if owner.ownership(live) != Ownership::Ours {
        return Ok((o, None));
    }
    if !dry_run.load(Ordering::SeqCst) {
        o.local_reason = Some(if asked_for_dry_run {
            FORBIDDEN.to_string()
        } else {
            "--server-dry-run=false".to_string()
        });
        return Ok((o, None));
    }
    let applied = applied_object(r, owner, Some(live));
    let params = PatchParams::apply(owner.field_manager()).force().dry_run();
    let patch = Patch::Apply(&applied);
    let note = match with_retries(|| api.patch(&r.id.name, &params, &patch)).await {
        Ok(m) => {
            o.merged = Some(serde_json::to_value(m).expect("objects serialize"));
            None
        }
        Err(kube::Error::Api(s)) if s.code == 403 => {
            dry_run.store(false, Ordering::SeqCst);
            o.local_reason = Some(FORBIDDEN.to_string());
            Some(format!(
                "server-side apply dry run refused ({}): compared locally from then on",
                s.message
            ))
        }
        Err(kube::Error::Api(s)) => {
            o.local_reason = Some(format!("dry run failed for {}", r.id));
            Some(format!(
                "{}: server-side apply dry run failed ({} {}), compared locally",
                r.id, s.code, s.message
            ))
        }
        Err(e) => return Err(transport(&e, &format!("dry run of {}", r.id))),
    };
    Ok((o, note))
}

/// What the installer would apply for a rendered object: the rendered object, keeping live's
/// version label under istioctl (the istioctl that installs stamps it, so an upgrade-in-waiting
/// is neither drift nor something `fix` should change).
pub fn applied_object(r: &Rendered, owner: &Installer, live: Option<&Value>) -> Value {
    let mut applied = r.obj.clone();
    if let (Installer::IstioOperator(_), Some(v)) = (
        owner,
        live.and_then(|l| l["metadata"]["labels"][LABEL_VERSION].as_str()),
    ) {
        applied["metadata"]["labels"][LABEL_VERSION] = Value::String(v.to_string());
    }
    applied
}

const FORBIDDEN: &str = "server dry run forbidden (PATCH)";

pub fn observe(
    source: &crate::source::Options,
    rendered: &[Rendered],
    owner: &Installer,
    server_dry_run: bool,
) -> Result<Observation, Error> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| Error::Cluster(format!("cannot start the async runtime: {e}")))?;
    runtime.block_on(async {
        let (client, _) = crate::source::live::client::connect(&source.connect).await?;
        observe_async(client, rendered, owner, server_dry_run, source.page_size).await
    })
}

pub fn api_for(
    client: &Client,
    api_version: &str,
    kind: &str,
    namespace: &str,
) -> Api<DynamicObject> {
    let (group, version) = api_version.rsplit_once('/').unwrap_or(("", api_version));
    let gvk = GroupVersionKind::gvk(group, version, kind);
    // Plurals are derived from the kind; the one CNI kind Istio renders breaks the rule.
    let ar = match kind {
        "NetworkAttachmentDefinition" => {
            ApiResource::from_gvk_with_plural(&gvk, "network-attachment-definitions")
        }
        _ => ApiResource::from_gvk(&gvk),
    };
    if namespace.is_empty() {
        Api::all_with(client.clone(), &ar)
    } else {
        Api::namespaced_with(client.clone(), namespace, &ar)
    }
}

fn transport(e: &kube::Error, what: &str) -> Error {
    Error::Cluster(crate::error::one_line(&format!(
        "{what}: {}",
        error_chain(e)
    )))
}

async fn observe_async(
    client: Client,
    rendered: &[Rendered],
    owner: &Installer,
    server_dry_run: bool,
    page: u32,
) -> Result<Observation, Error> {
    // GET and dry run CONCURRENCY objects at a time; answers are kept in rendered order. The
    // first refused dry run (a read-only token) turns the dry run off for every object after it.
    let dry_run = Arc::new(AtomicBool::new(server_dry_run));
    let permits = Arc::new(tokio::sync::Semaphore::new(CONCURRENCY));
    let mut tasks = tokio::task::JoinSet::new();
    for (i, r) in rendered.iter().enumerate() {
        let (client, r, owner) = (client.clone(), r.clone(), owner.clone());
        let (dry_run, permits) = (dry_run.clone(), permits.clone());
        tasks.spawn(async move {
            let _permit = permits.acquire_owned().await.expect("semaphore open");
            (
                i,
                observe_one(&client, &r, &owner, &dry_run, server_dry_run).await,
            )
        });
    }
    let mut answers: Vec<Option<(Observed, Option<String>)>> = vec![None; rendered.len()];
    while let Some(joined) = tasks.join_next().await {
        let (i, answer) =
            joined.map_err(|e| Error::Cluster(format!("a request task failed: {e}")))?;
        answers[i] = Some(answer?);
    }
    let mut observed = Vec::with_capacity(rendered.len());
    let mut notes: Vec<String> = Vec::new();
    let mut unreadable = Vec::new();
    for (o, note) in answers.into_iter().flatten() {
        if let Some(n) = note
            && !notes.contains(&n)
        {
            notes.push(n);
        }
        observed.push(o);
    }
    if observed.len() != rendered.len() {
        return Err(Error::Cluster("a request task did not answer".to_string()));
    }

    let (kinds, selector) = owner.orphan_lists();
    let mut candidates = Vec::new();
    for (group, version, kind) in kinds {
        let api_version = if group.is_empty() {
            version.to_string()
        } else {
            format!("{group}/{version}")
        };
        let api = api_for(&client, &api_version, kind, "");
        let mut params = ListParams::default().labels(&selector).limit(page.max(1));
        loop {
            match with_retries(|| api.list(&params)).await {
                Ok(list) => {
                    let next = list.metadata.continue_.clone().filter(|c| !c.is_empty());
                    for mut item in list.items {
                        item.types.get_or_insert_with(|| kube::api::TypeMeta {
                            api_version: api_version.clone(),
                            kind: kind.to_string(),
                        });
                        let v = serde_json::to_value(item).expect("objects serialize");
                        if owner.is_orphan_candidate(&v) {
                            candidates.push(v);
                        }
                    }
                    match next {
                        Some(c) => params = params.continue_token(&c),
                        None => break,
                    }
                }
                // The kind is not served (no Istio networking CRDs, an old cluster): nothing to prune.
                Err(kube::Error::Api(s)) if s.code == 404 => break,
                Err(kube::Error::Api(s)) if s.code == 401 => {
                    return Err(Error::Cluster(format!("unauthorized: {}", s.message)));
                }
                Err(kube::Error::Api(s)) => {
                    unreadable.push(Unreadable {
                        resource: kind.to_string(),
                        namespace: String::new(),
                        reason: format!("{} {}: {}", s.code, s.reason, s.message),
                    });
                    break;
                }
                Err(e) => return Err(transport(&e, &format!("cannot list {kind}"))),
            }
        }
    }
    Ok((observed, candidates, unreadable, notes))
}
