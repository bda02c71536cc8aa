//! The live side of `diff`: GET each rendered object by identity, dry-run apply the ones that
//! are ours, and LIST the prunable kinds by owner labels for orphans.

use super::{FIELD_MANAGER, LABEL_VERSION, Observed, Owner, Ownership, PRUNE_KINDS, Rendered};
use crate::error::Error;
use crate::inventory::Unreadable;
use crate::live::error_chain;
use kube::Client;
use kube::api::{
    Api, ApiResource, DynamicObject, GroupVersionKind, ListParams, Patch, PatchParams,
};
use serde_json::Value;

type Observation = (Vec<Observed>, Vec<Value>, Vec<Unreadable>, Vec<String>);

pub fn observe(
    source: &crate::cli::SourceArgs,
    rendered: &[Rendered],
    owner: &Owner,
    server_dry_run: bool,
) -> Result<Observation, Error> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| Error::Cluster(format!("cannot start the async runtime: {e}")))?;
    runtime.block_on(async {
        let (client, _) = crate::live::client::connect(&source.connect_args()).await?;
        observe_async(client, rendered, owner, server_dry_run, source.chunk_size).await
    })
}

fn api_for(client: &Client, api_version: &str, kind: &str, namespace: &str) -> Api<DynamicObject> {
    let (group, version) = api_version.rsplit_once('/').unwrap_or(("", api_version));
    let ar = ApiResource::from_gvk(&GroupVersionKind::gvk(group, version, kind));
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
    owner: &Owner,
    server_dry_run: bool,
    page: u32,
) -> Result<Observation, Error> {
    let mut observed = Vec::with_capacity(rendered.len());
    let mut unreadable = Vec::new();
    let mut notes = Vec::new();
    let mut dry_run = server_dry_run;
    let no_dry_run_reason = if server_dry_run {
        String::new()
    } else {
        "--server-dry-run=false".to_string()
    };
    let mut local_reason = no_dry_run_reason;
    for r in rendered {
        let api = api_for(&client, &r.api_version, &r.id.kind, &r.id.namespace);
        let live = match api.get_opt(&r.id.name).await {
            Ok(o) => o.map(|o| serde_json::to_value(o).expect("objects serialize")),
            Err(kube::Error::Api(s)) if s.code == 401 => {
                return Err(Error::Cluster(format!("unauthorized: {}", s.message)));
            }
            Err(kube::Error::Api(s)) => {
                observed.push(Observed {
                    unreadable: Some(format!("{} {}: {}", s.code, s.reason, s.message)),
                    ..Observed::default()
                });
                continue;
            }
            Err(e) => return Err(transport(&e, &format!("cannot read {}", r.id))),
        };
        let mut o = Observed {
            live,
            ..Observed::default()
        };
        let ours = o
            .live
            .as_ref()
            .is_some_and(|l| super::ownership(l, owner) == Ownership::Ours);
        if ours && dry_run {
            let mut applied = r.obj.clone();
            // The version label is stamped by the istioctl that installs; keep live's so an
            // upgrade-in-waiting is not reported as drift.
            if let Some(v) = o
                .live
                .as_ref()
                .and_then(|l| l["metadata"]["labels"][LABEL_VERSION].as_str())
            {
                applied["metadata"]["labels"][LABEL_VERSION] = Value::String(v.to_string());
            }
            let params = PatchParams::apply(FIELD_MANAGER).force().dry_run();
            match api
                .patch(&r.id.name, &params, &Patch::Apply(&applied))
                .await
            {
                Ok(m) => o.merged = Some(serde_json::to_value(m).expect("objects serialize")),
                Err(kube::Error::Api(s)) if s.code == 403 => {
                    dry_run = false;
                    local_reason = "server dry run forbidden (PATCH)".to_string();
                    notes.push(format!(
                        "server-side apply dry run refused ({}): the rest compared locally",
                        s.message
                    ));
                }
                Err(kube::Error::Api(s)) => {
                    notes.push(format!(
                        "{}: server-side apply dry run failed ({} {}), compared locally",
                        r.id, s.code, s.message
                    ));
                    o.local_reason = Some(format!("dry run failed for {}", r.id));
                }
                Err(e) => return Err(transport(&e, &format!("dry run of {}", r.id))),
            }
        }
        if ours && o.merged.is_none() && o.local_reason.is_none() {
            o.local_reason = Some(local_reason.clone());
        }
        observed.push(o);
    }

    let selector = super::prune_selector(owner);
    let mut candidates = Vec::new();
    for (group, version, kind) in PRUNE_KINDS {
        let api_version = if group.is_empty() {
            version.to_string()
        } else {
            format!("{group}/{version}")
        };
        let api = api_for(&client, &api_version, kind, "");
        let mut params = ListParams::default().labels(&selector).limit(page.max(1));
        loop {
            match api.list(&params).await {
                Ok(list) => {
                    let next = list.metadata.continue_.clone().filter(|c| !c.is_empty());
                    for mut item in list.items {
                        item.types.get_or_insert_with(|| kube::api::TypeMeta {
                            api_version: api_version.clone(),
                            kind: kind.to_string(),
                        });
                        candidates.push(serde_json::to_value(item).expect("objects serialize"));
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
