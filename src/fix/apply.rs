//! Carrying a [`Plan`] out against a live cluster, in the guide's order: namespaces, then
//! workload rollouts (at most `max_parallel` at once, each waited for), then gateways, and those
//! only once every workload rollout succeeded. Only [`Disposition::Apply`] changes are sent;
//! tag moves, istioctl commands and manual steps are left to a person.

use super::{Change, Phase, Plan};
use crate::diff::live::api_for;
use crate::error::Error;
use crate::istio::labels::ANNOTATION_RESTARTED_AT;
use crate::remedy::{Step, WorkloadRef};
use crate::source::live::with_retries;
use kube::Client;
use kube::api::{
    Api, ApiResource, DeleteParams, DynamicObject, GroupVersionKind, Patch, PatchParams,
};
use serde::Serialize;
use serde_json::{Value, json};
use std::time::{Duration, Instant};

#[derive(Debug, Clone)]
pub struct Options {
    /// Send every change as a server dry run (`dryRun=All`): nothing is stored, nothing waited.
    pub server_dry_run: bool,
    pub max_parallel: usize,
    /// How long one rollout may take.
    pub timeout: Duration,
    /// How often a rollout's status is read.
    pub poll: Duration,
}

/// What happened to one change.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "result", content = "detail", rename_all = "kebab-case")]
pub enum Outcome {
    Applied(String),
    /// The server accepted it as a dry run.
    WouldApply(String),
    /// Not sent, and why (the object moved on since the plan, an earlier phase failed).
    Skipped(String),
    Failed(String),
    TimedOut(String),
    /// A server-side apply refused with 409: the fields other managers own.
    Conflicts(Vec<Conflict>),
}

impl Outcome {
    pub fn failed(&self) -> bool {
        matches!(
            self,
            Outcome::Failed(_) | Outcome::TimedOut(_) | Outcome::Conflicts(_)
        )
    }
}

/// One field of a refused apply and who manages it, from the 409's `FieldManagerConflict`
/// causes (`conflict with "kubectl-edit" using apps/v1`, field `.spec.replicas`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Conflict {
    pub field: String,
    pub manager: String,
}

fn conflicts(status: &kube::core::Status) -> Vec<Conflict> {
    status
        .details
        .iter()
        .flat_map(|d| &d.causes)
        .filter(|c| c.reason == "FieldManagerConflict")
        .map(|c| Conflict {
            field: c.field.clone(),
            manager: c
                .message
                .strip_prefix("conflict with ")
                .unwrap_or(&c.message)
                .to_string(),
        })
        .collect()
}

/// Each change sent (or skipped), by its index in the plan.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Report {
    pub results: Vec<(usize, Outcome)>,
}

impl Report {
    pub fn failed(&self) -> bool {
        self.results.iter().any(|(_, o)| o.failed())
    }

    /// Every planned change was carried out (or accepted by a server dry run).
    pub fn complete(&self) -> bool {
        self.results
            .iter()
            .all(|(_, o)| matches!(o, Outcome::Applied(_) | Outcome::WouldApply(_)))
    }
}

/// A change and its index in the plan shown.
type Indexed<'a> = (usize, &'a Change);

/// Carries out the changes of `plan` that are also in `fresh`, the plan recomputed just before
/// applying: a change the fresh plan no longer has (or has differently) concerns an object that
/// moved on since the plan was shown, and is skipped.
pub async fn apply(
    client: &Client,
    plan: &Plan,
    fresh: &Plan,
    options: &Options,
    progress: &(dyn Fn(&str) + Sync),
) -> Report {
    let mut report = Report::default();
    // Each change still current, as the fresh plan has it (its body is the latest rendering).
    let mut current: Vec<(usize, &Change)> = Vec::new();
    for (i, c) in plan.changes.iter().enumerate() {
        if !c.applies() {
            continue;
        }
        match still_current(c, fresh) {
            Ok(f) => current.push((i, f)),
            Err(why) => report.results.push((i, Outcome::Skipped(why))),
        }
    }
    for phase in [
        Phase::Namespaces,
        Phase::Workloads,
        Phase::Gateways,
        Phase::Drift,
    ] {
        let indexes: Vec<(usize, &Change)> = current
            .iter()
            .copied()
            .filter(|(_, c)| c.phase == phase)
            .collect();
        if indexes.is_empty() {
            continue;
        }
        if phase == Phase::Gateways && report.failed() {
            for (i, _) in indexes {
                report.results.push((
                    i,
                    Outcome::Skipped(
                        "gateways move last, once every change before them succeeded".to_string(),
                    ),
                ));
            }
            continue;
        }
        // A restart in a namespace whose relabel was not done would bring back the old revision.
        let (indexes, held): (Vec<Indexed>, Vec<Indexed>) =
            indexes.into_iter().partition(|(_, c)| {
                rolled(c).is_none_or(|w| !namespace_not_done(plan, &report, &w.namespace))
            });
        for (i, c) in held {
            report.results.push((
                i,
                Outcome::Skipped(format!(
                    "the relabel of namespace {} was not done, so a restart would bring back the same revision",
                    rolled(c).map(|w| w.namespace.as_str()).unwrap_or_default()
                )),
            ));
        }
        // Labels and CR patches first (quick, and what restarts depend on), then rollouts.
        let (rollouts, others): (Vec<Indexed>, Vec<Indexed>) =
            indexes.into_iter().partition(|(_, c)| rolled(c).is_some());
        for (i, c) in others {
            let outcome = send(client, c, options).await;
            progress(&line(c, &outcome));
            report.results.push((i, outcome));
        }
        for batch in rollouts.chunks(options.max_parallel.max(1)) {
            let runs = batch
                .iter()
                .map(|(_, c)| rollout(client, c, options, progress));
            let outcomes = futures::future::join_all(runs).await;
            for (&(i, c), outcome) in batch.iter().zip(outcomes) {
                progress(&line(c, &outcome));
                report.results.push((i, outcome));
            }
        }
    }
    report.results.sort_by_key(|(i, _)| *i);
    report
}

fn namespace_not_done(plan: &Plan, report: &Report, namespace: &str) -> bool {
    report.results.iter().any(|(i, o)| {
        !matches!(o, Outcome::Applied(_) | Outcome::WouldApply(_))
            && matches!(&plan.changes[*i].step,
                Step::RelabelNamespace { namespace: n, .. } if n == namespace)
    })
}

/// The fresh plan's version of a planned change, or why it is not applied: gone from the
/// fresh plan (the cluster no longer needs it), or its object has a new resourceVersion (someone
/// changed it after the plan was made; what was shown is no longer what would be done).
fn still_current<'a>(c: &Change, fresh: &'a Plan) -> Result<&'a Change, String> {
    let Some(f) = fresh.changes.iter().find(|f| f.step == c.step) else {
        return Err("no longer needed when re-planned just before applying".to_string());
    };
    if f.resource_version != c.resource_version {
        return Err(format!(
            "{} moved on since the plan (resourceVersion {} → {}); fix again to see the new plan",
            c.object,
            c.resource_version.as_deref().unwrap_or("none"),
            f.resource_version.as_deref().unwrap_or("none"),
        ));
    }
    if f.disposition != c.disposition || f.from != c.from || f.to != c.to {
        return Err(format!(
            "{} changed since the plan; fix again to see the new plan",
            c.object
        ));
    }
    Ok(f)
}

fn line(change: &Change, outcome: &Outcome) -> String {
    let conflicts;
    let (word, detail) = match outcome {
        Outcome::Applied(d) => ("applied", d),
        Outcome::WouldApply(d) => ("would apply", d),
        Outcome::Skipped(d) => ("skipped", d),
        Outcome::Failed(d) => ("failed", d),
        Outcome::TimedOut(d) => ("timed out", d),
        Outcome::Conflicts(cs) => {
            conflicts = cs
                .iter()
                .map(|c| format!("{} ({})", c.field, c.manager))
                .collect::<Vec<_>>()
                .join(", ");
            ("conflict", &conflicts)
        }
    };
    format!("{word}: {}: {detail}", change.object)
}

/// The workload a change rolls, if it does.
fn rolled(change: &Change) -> Option<&WorkloadRef> {
    match &change.step {
        Step::Restart { workload } | Step::RelabelPodTemplate { workload, .. } => Some(workload),
        _ => None,
    }
}

fn params(options: &Options) -> PatchParams {
    let p = PatchParams::default();
    if options.server_dry_run {
        p.dry_run()
    } else {
        p
    }
}

fn cluster_error(e: &kube::Error) -> String {
    match e {
        kube::Error::Api(s) => format!("{} ({})", s.message, s.code),
        other => crate::source::live::error_chain(other),
    }
}

fn resource(group: &str, version: &str, kind: &str) -> ApiResource {
    ApiResource::from_gvk(&GroupVersionKind::gvk(group, version, kind))
}

fn workload_api(client: &Client, w: &WorkloadRef) -> Api<DynamicObject> {
    Api::namespaced_with(
        client.clone(),
        &w.namespace,
        &resource("apps", "v1", &w.kind),
    )
}

/// The patch a change sends: what its command line does.
fn patch_of(step: &Step) -> Option<(Patch<Value>, &'static str)> {
    Some(match step {
        Step::RelabelNamespace { set, remove, .. } => {
            let mut labels = serde_json::Map::new();
            if let Some(l) = set {
                labels.insert(l.key.clone(), json!(l.value));
            }
            if let Some(k) = remove {
                labels.insert(k.clone(), Value::Null);
            }
            (
                Patch::Merge(json!({"metadata": {"labels": labels}})),
                "labelled",
            )
        }
        Step::RelabelPodTemplate { set, .. } => (
            Patch::Merge(
                json!({"spec": {"template": {"metadata": {"labels": {set.key.clone(): set.value}}}}}),
            ),
            "pod template relabelled",
        ),
        Step::Restart { .. } => (
            // What `kubectl rollout restart` sends.
            Patch::Strategic(json!({"spec": {"template": {"metadata": {"annotations": {
                ANNOTATION_RESTARTED_AT: restarted_at()
            }}}}})),
            "restarted",
        ),
        Step::PatchIstioOperator { revision, .. } => (
            Patch::Merge(json!({"spec": {"revision": revision}})),
            "spec.revision patched; the in-cluster operator re-renders the gateway",
        ),
        Step::MoveTag { .. }
        | Step::Istioctl { .. }
        | Step::Helm { .. }
        | Step::RelabelGateway { .. }
        | Step::WaitForRollout { .. }
        | Step::Manual { .. }
        | Step::ServerSideApply { .. }
        | Step::Delete { .. } => return None,
    })
}

/// kubectl's value: the local time in RFC 3339, seconds precision.
fn restarted_at() -> String {
    k8s_openapi::jiff::Timestamp::now()
        .strftime("%Y-%m-%dT%H:%M:%SZ")
        .to_string()
}

/// A drifted or missing object applied as its installer would, or an orphan deleted.
async fn send_drift(client: &Client, change: &Change, options: &Options) -> Outcome {
    let dry = |done: &str| {
        if options.server_dry_run {
            Outcome::WouldApply(format!("server dry run: {done}"))
        } else {
            Outcome::Applied(done.to_string())
        }
    };
    match &change.step {
        Step::ServerSideApply {
            api_version,
            object,
            field_manager,
            force,
        } => {
            let Some(body) = &change.body else {
                return Outcome::Failed("nothing rendered to apply".to_string());
            };
            let api = api_for(client, api_version, &object.kind, &object.namespace);
            let mut pp = PatchParams::apply(field_manager);
            if *force {
                pp = pp.force();
            }
            if options.server_dry_run {
                pp = pp.dry_run();
            }
            let patch = Patch::Apply(&body.0);
            match with_retries(|| api.patch(&object.name, &pp, &patch)).await {
                Ok(_) => dry(&format!("applied as {field_manager}")),
                Err(e) => refused_apply(&e),
            }
        }
        Step::Delete {
            api_version,
            object,
        } => {
            let api = api_for(client, api_version, &object.kind, &object.namespace);
            let dp = DeleteParams {
                dry_run: options.server_dry_run,
                ..DeleteParams::background()
            };
            match with_retries(|| api.delete(&object.name, &dp)).await {
                Ok(_) => dry("deleted"),
                Err(e) => refused_delete(&e),
            }
        }
        _ => Outcome::Skipped("not carried out by fix".to_string()),
    }
}

/// A refused server-side apply: the fields other managers own when the 409 names them, else
/// the error itself.
fn refused_apply(e: &kube::Error) -> Outcome {
    match e {
        kube::Error::Api(s) if s.code == 409 && !conflicts(s).is_empty() => {
            Outcome::Conflicts(conflicts(s))
        }
        e => Outcome::Failed(cluster_error(e)),
    }
}

/// A refused delete: an orphan already gone is what the delete was for.
fn refused_delete(e: &kube::Error) -> Outcome {
    match e {
        kube::Error::Api(s) if s.code == 404 => Outcome::Applied("already gone".to_string()),
        e => Outcome::Failed(cluster_error(e)),
    }
}

async fn send(client: &Client, change: &Change, options: &Options) -> Outcome {
    if matches!(
        change.step,
        Step::ServerSideApply { .. } | Step::Delete { .. }
    ) {
        return send_drift(client, change, options).await;
    }
    let Some((patch, done)) = patch_of(&change.step) else {
        return Outcome::Skipped("not carried out by fix".to_string());
    };
    let pp = params(options);
    let sent = match &change.step {
        Step::RelabelNamespace { namespace, .. } => {
            let api =
                Api::<DynamicObject>::all_with(client.clone(), &resource("", "v1", "Namespace"));
            with_retries(|| api.patch(namespace, &pp, &patch)).await
        }
        Step::PatchIstioOperator {
            namespace, name, ..
        } => {
            let api = Api::<DynamicObject>::namespaced_with(
                client.clone(),
                namespace,
                &resource("install.istio.io", "v1alpha1", "IstioOperator"),
            );
            with_retries(|| api.patch(name, &pp, &patch)).await
        }
        Step::Restart { workload } | Step::RelabelPodTemplate { workload, .. } => {
            let api = workload_api(client, workload);
            with_retries(|| api.patch(&workload.name, &pp, &patch)).await
        }
        _ => return Outcome::Skipped("not carried out by fix".to_string()),
    };
    match sent {
        Ok(_) if options.server_dry_run => Outcome::WouldApply(format!("server dry run: {done}")),
        Ok(_) => Outcome::Applied(done.to_string()),
        Err(e) => Outcome::Failed(cluster_error(&e)),
    }
}

async fn rollout(
    client: &Client,
    change: &Change,
    options: &Options,
    progress: &(dyn Fn(&str) + Sync),
) -> Outcome {
    let sent = send(client, change, options).await;
    if options.server_dry_run || !matches!(sent, Outcome::Applied(_)) {
        return sent;
    }
    let Some(workload) = rolled(change) else {
        return sent;
    };
    let api = workload_api(client, workload);
    let started = Instant::now();
    let mut last = String::new();
    loop {
        match with_retries(|| api.get(&workload.name)).await {
            Ok(obj) => match progress_of(
                &workload.kind,
                &serde_json::to_value(&obj).unwrap_or_default(),
            ) {
                Rollout::Done(text) => return Outcome::Applied(format!("restarted, {text}")),
                Rollout::Failed(text) => return Outcome::Failed(text),
                Rollout::Waiting(text) => {
                    if text != last {
                        progress(&format!("waiting: {workload}: {text}"));
                        last = text;
                    }
                }
            },
            Err(e) => return Outcome::Failed(cluster_error(&e)),
        }
        if started.elapsed() >= options.timeout {
            return Outcome::TimedOut(format!(
                "restarted, but the rollout did not finish within {}s: {last}",
                options.timeout.as_secs()
            ));
        }
        tokio::time::sleep(options.poll).await;
    }
}

/// Reads the resourceVersion of every object the plan's own steps change (drift rows carry
/// theirs from the diff): what "moved on since the plan" is measured against.
pub async fn stamp_versions(client: &Client, plan: &mut Plan) -> Result<(), Error> {
    for c in plan
        .changes
        .iter_mut()
        .filter(|c| c.resource_version.is_none())
    {
        let (api, name) = match &c.step {
            Step::RelabelNamespace { namespace, .. } => (
                Api::<DynamicObject>::all_with(client.clone(), &resource("", "v1", "Namespace")),
                namespace,
            ),
            Step::PatchIstioOperator {
                namespace, name, ..
            } => (
                Api::namespaced_with(
                    client.clone(),
                    namespace,
                    &resource("install.istio.io", "v1alpha1", "IstioOperator"),
                ),
                name,
            ),
            Step::Restart { workload } | Step::RelabelPodTemplate { workload, .. }
                if workload.can_roll() =>
            {
                (workload_api(client, workload), &workload.name)
            }
            _ => continue,
        };
        match with_retries(|| api.get_opt(name)).await {
            Ok(o) => {
                c.resource_version = o.and_then(|o| o.metadata.resource_version);
            }
            Err(e) => {
                return Err(Error::Cluster(format!(
                    "cannot read {}: {}",
                    c.object,
                    cluster_error(&e)
                )));
            }
        }
    }
    Ok(())
}

#[derive(Debug, PartialEq, Eq)]
enum Rollout {
    Done(String),
    Waiting(String),
    Failed(String),
}

fn int(v: &Value, path: &[&str]) -> i64 {
    path.iter()
        .fold(v, |v, k| &v[*k])
        .as_i64()
        .unwrap_or_default()
}

/// The rollout's state from the object, by the rules `kubectl rollout status` applies.
fn progress_of(kind: &str, obj: &Value) -> Rollout {
    let generation = int(obj, &["metadata", "generation"]);
    let observed = int(obj, &["status", "observedGeneration"]);
    if observed < generation {
        return Rollout::Waiting("the controller has not observed the change yet".to_string());
    }
    let desired = obj["spec"]["replicas"].as_i64().unwrap_or(1);
    match kind {
        "Deployment" => {
            let deadline = obj["status"]["conditions"].as_array().is_some_and(|cs| {
                cs.iter().any(|c| {
                    c["type"] == "Progressing" && c["reason"] == "ProgressDeadlineExceeded"
                })
            });
            if deadline {
                return Rollout::Failed("the rollout exceeded its progress deadline".to_string());
            }
            let updated = int(obj, &["status", "updatedReplicas"]);
            let replicas = int(obj, &["status", "replicas"]);
            let available = int(obj, &["status", "availableReplicas"]);
            if updated < desired {
                Rollout::Waiting(format!("{updated} of {desired} new replicas updated"))
            } else if replicas > updated {
                Rollout::Waiting(format!(
                    "{} old replicas pending termination",
                    replicas - updated
                ))
            } else if available < updated {
                Rollout::Waiting(format!(
                    "{available} of {updated} updated replicas available"
                ))
            } else {
                Rollout::Done(format!(
                    "{updated} of {desired} replicas updated and available"
                ))
            }
        }
        "StatefulSet" => {
            if obj["spec"]["updateStrategy"]["type"] == "OnDelete" {
                return Rollout::Failed(
                    "updateStrategy OnDelete: its pods change only when deleted".to_string(),
                );
            }
            let updated = int(obj, &["status", "updatedReplicas"]);
            let ready = int(obj, &["status", "readyReplicas"]);
            let done = obj["status"]["updateRevision"] == obj["status"]["currentRevision"];
            if updated < desired || ready < desired || !done {
                Rollout::Waiting(format!("{updated} of {desired} updated, {ready} ready"))
            } else {
                Rollout::Done(format!("{updated} of {desired} replicas updated and ready"))
            }
        }
        "DaemonSet" => {
            let desired = int(obj, &["status", "desiredNumberScheduled"]);
            let updated = int(obj, &["status", "updatedNumberScheduled"]);
            let available = int(obj, &["status", "numberAvailable"]);
            if updated < desired || available < desired {
                Rollout::Waiting(format!(
                    "{updated} of {desired} updated, {available} available"
                ))
            } else {
                Rollout::Done(format!("{updated} of {desired} pods updated and available"))
            }
        }
        other => Rollout::Failed(format!("cannot follow a rollout of a {other}")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_deployment_is_done_when_every_replica_is_new_and_available() {
        let obj = |observed: i64, updated: i64, replicas: i64, available: i64| {
            json!({"metadata": {"generation": 2}, "spec": {"replicas": 2},
                   "status": {"observedGeneration": observed, "updatedReplicas": updated,
                              "replicas": replicas, "availableReplicas": available}})
        };
        assert!(matches!(
            progress_of("Deployment", &obj(1, 2, 2, 2)),
            Rollout::Waiting(_)
        ));
        assert!(matches!(
            progress_of("Deployment", &obj(2, 1, 2, 2)),
            Rollout::Waiting(_)
        ));
        assert!(matches!(
            progress_of("Deployment", &obj(2, 2, 3, 2)),
            Rollout::Waiting(_)
        ));
        assert!(matches!(
            progress_of("Deployment", &obj(2, 2, 2, 1)),
            Rollout::Waiting(_)
        ));
        assert!(matches!(
            progress_of("Deployment", &obj(2, 2, 2, 2)),
            Rollout::Done(_)
        ));
        // Scaled down mid-rollout: more new replicas than asked for is done, as kubectl has it.
        assert!(matches!(
            progress_of("Deployment", &obj(2, 3, 3, 3)),
            Rollout::Done(_)
        ));
    }

    #[test]
    fn a_stuck_deployment_fails() {
        let obj = json!({"metadata": {"generation": 2}, "spec": {"replicas": 1},
            "status": {"observedGeneration": 2, "conditions": [
                {"type": "Progressing", "status": "False", "reason": "ProgressDeadlineExceeded"}]}});
        assert!(matches!(
            progress_of("Deployment", &obj),
            Rollout::Failed(_)
        ));
    }

    fn relabel(rv: &str) -> Change {
        let step = Step::RelabelNamespace {
            namespace: "shop".into(),
            set: Some(crate::remedy::Label::new("istio.io/rev", "1-8-1")),
            remove: None,
        };
        Change {
            phase: Phase::Namespaces,
            code: crate::finding::Code::IR106,
            object: "Namespace shop".into(),
            from: "istio.io/rev=1-8-0".into(),
            to: "istio.io/rev=1-8-1".into(),
            command: step.command_line(),
            step,
            disposition: super::super::Disposition::Apply,
            note: None,
            resource_version: Some(rv.into()),
            body: None,
        }
    }

    #[test]
    fn a_change_is_current_only_while_its_object_has_the_planned_resource_version() {
        let fresh = |c: Change| Plan {
            changes: vec![c],
            ..Plan::default()
        };
        assert!(still_current(&relabel("7"), &fresh(relabel("7"))).is_ok());
        let moved = still_current(&relabel("7"), &fresh(relabel("9"))).unwrap_err();
        assert!(
            moved.contains("moved on since the plan (resourceVersion 7 → 9)"),
            "{moved}"
        );
        let gone = still_current(&relabel("7"), &Plan::default()).unwrap_err();
        assert!(gone.contains("no longer needed"), "{gone}");
    }

    #[test]
    fn a_rendered_body_never_shows_in_debug_output() {
        let mut c = relabel("1");
        c.body = Some(super::super::Body(
            json!({"kind": "Secret", "data": {"token": "c2VjcmV0"}}),
        ));
        assert!(!format!("{c:?}").contains("c2VjcmV0"));
        assert!(
            format!("{c:?}").contains("body: Some(<rendered object>)"),
            "{c:?}"
        );
    }

    #[test]
    fn the_restart_patch_is_kubectls() {
        let (patch, _) = patch_of(&Step::Restart {
            workload: WorkloadRef {
                kind: "Deployment".into(),
                namespace: "n".into(),
                name: "d".into(),
            },
        })
        .unwrap();
        let Patch::Strategic(body) = patch else {
            panic!("kubectl sends a strategic merge patch")
        };
        let at = body["spec"]["template"]["metadata"]["annotations"]
            ["kubectl.kubernetes.io/restartedAt"]
            .as_str()
            .unwrap();
        assert_eq!(at.len(), "2026-12-01T23:30:00Z".len(), "{at}");
    }

    fn waiting(r: Rollout) -> bool {
        matches!(r, Rollout::Waiting(_))
    }

    #[test]
    fn a_stateful_set_is_done_when_every_replica_is_updated_ready_and_on_the_update_revision() {
        let obj = |updated: i64, ready: i64, update_revision: &str| {
            json!({"metadata": {"generation": 3}, "spec": {"replicas": 2},
                   "status": {"observedGeneration": 3, "updatedReplicas": updated,
                              "readyReplicas": ready, "updateRevision": update_revision,
                              "currentRevision": "web-2"}})
        };
        assert!(waiting(progress_of("StatefulSet", &obj(1, 2, "web-2"))));
        assert!(waiting(progress_of("StatefulSet", &obj(2, 1, "web-2"))));
        assert!(waiting(progress_of("StatefulSet", &obj(2, 2, "web-3"))));
        assert_eq!(
            progress_of("StatefulSet", &obj(2, 2, "web-2")),
            Rollout::Done("2 of 2 replicas updated and ready".to_string())
        );
        // More than asked for (scaling down) is done too.
        assert!(!waiting(progress_of("StatefulSet", &obj(3, 3, "web-2"))));
        let mut on_delete = obj(2, 2, "web-2");
        on_delete["spec"]["updateStrategy"] = json!({"type": "OnDelete"});
        assert!(matches!(
            progress_of("StatefulSet", &on_delete),
            Rollout::Failed(_)
        ));
    }

    #[test]
    fn a_daemon_set_is_done_when_every_scheduled_pod_is_updated_and_available() {
        let obj = |desired: i64, updated: i64, available: i64| {
            json!({"metadata": {"generation": 3},
                   "status": {"observedGeneration": 3, "desiredNumberScheduled": desired,
                              "updatedNumberScheduled": updated, "numberAvailable": available}})
        };
        assert_eq!(
            progress_of("DaemonSet", &obj(3, 2, 3)),
            Rollout::Waiting("2 of 3 updated, 3 available".to_string())
        );
        assert!(waiting(progress_of("DaemonSet", &obj(3, 3, 2))));
        assert_eq!(
            progress_of("DaemonSet", &obj(3, 3, 3)),
            Rollout::Done("3 of 3 pods updated and available".to_string())
        );
        assert!(!waiting(progress_of("DaemonSet", &obj(3, 4, 4))));
        assert!(matches!(
            progress_of("CronJob", &obj(1, 1, 1)),
            Rollout::Failed(_)
        ));
    }

    #[test]
    fn only_applied_changes_count_as_done_and_only_failures_as_failed() {
        let failed = [
            Outcome::Failed("x".into()),
            Outcome::TimedOut("x".into()),
            Outcome::Conflicts(Vec::new()),
        ];
        let not_failed = [
            Outcome::Applied("x".into()),
            Outcome::WouldApply("x".into()),
            Outcome::Skipped("x".into()),
        ];
        assert!(failed.iter().all(Outcome::failed));
        assert!(!not_failed.iter().any(Outcome::failed));
        let report = |outcomes: &[Outcome]| Report {
            results: outcomes.iter().cloned().enumerate().collect(),
        };
        let done = report(&not_failed[..2]);
        assert!(done.complete() && !done.failed());
        let skipped = report(&not_failed);
        assert!(!skipped.complete() && !skipped.failed());
        let broken = report(&[not_failed[0].clone(), failed[0].clone()]);
        assert!(!broken.complete() && broken.failed());
    }

    #[test]
    fn a_restart_waits_on_its_namespaces_relabel_only() {
        let plan = Plan {
            changes: vec![relabel("1")],
            ..Plan::default()
        };
        let report = |o: Outcome| Report {
            results: vec![(0, o)],
        };
        assert!(namespace_not_done(
            &plan,
            &report(Outcome::Failed("x".into())),
            "shop"
        ));
        assert!(!namespace_not_done(
            &plan,
            &report(Outcome::Failed("x".into())),
            "bookinfo"
        ));
        assert!(!namespace_not_done(
            &plan,
            &report(Outcome::Applied("labelled".into())),
            "shop"
        ));
        assert!(!namespace_not_done(
            &plan,
            &report(Outcome::WouldApply("labelled".into())),
            "shop"
        ));
    }

    #[test]
    fn a_change_shown_differently_by_the_fresh_plan_is_not_applied() {
        let fresh = |c: Change| Plan {
            changes: vec![c],
            ..Plan::default()
        };
        let mut to = relabel("7");
        to.to = "istio.io/rev=1-8-2".into();
        let mut from = relabel("7");
        from.from = "istio.io/rev=1-7-0".into();
        let mut refused = relabel("7");
        refused.disposition = super::super::Disposition::Refused("paused".into());
        for changed in [to, from, refused] {
            let why = still_current(&relabel("7"), &fresh(changed)).unwrap_err();
            assert_eq!(
                why,
                "Namespace shop changed since the plan; fix again to see the new plan"
            );
        }
    }

    #[test]
    fn each_outcome_prints_as_one_progress_line() {
        let c = relabel("1");
        assert_eq!(
            line(&c, &Outcome::Applied("labelled".into())),
            "applied: Namespace shop: labelled"
        );
        assert_eq!(
            line(&c, &Outcome::TimedOut("slow".into())),
            "timed out: Namespace shop: slow"
        );
        assert_eq!(
            line(
                &c,
                &Outcome::Conflicts(vec![Conflict {
                    field: ".spec.replicas".into(),
                    manager: "kubectl-edit".into()
                }])
            ),
            "conflict: Namespace shop: .spec.replicas (kubectl-edit)"
        );
    }

    #[test]
    fn a_refused_apply_names_each_field_and_its_manager() {
        let status: kube::core::Status = serde_json::from_value(json!({
            "status": "Failure", "code": 409, "reason": "Conflict",
            "message": "Apply failed with 1 conflict",
            "details": {"causes": [
                {"reason": "FieldManagerConflict", "message": "conflict with \"kubectl-edit\" using apps/v1", "field": ".spec.replicas"},
                {"reason": "FieldValueInvalid", "message": "other", "field": ".spec.x"}
            ]}
        }))
        .unwrap();
        assert_eq!(
            conflicts(&status),
            [Conflict {
                field: ".spec.replicas".into(),
                manager: "\"kubectl-edit\" using apps/v1".into()
            }]
        );
    }

    #[test]
    fn a_cluster_error_reads_as_its_message_and_code() {
        let e = kube::Error::Api(
            serde_json::from_value(
                json!({"status": "Failure", "code": 403, "reason": "Forbidden",
                "message": "namespaces \"shop\" is forbidden"}),
            )
            .unwrap(),
        );
        assert_eq!(cluster_error(&e), "namespaces \"shop\" is forbidden (403)");
    }

    #[test]
    fn only_restarts_and_pod_template_relabels_roll_a_workload() {
        let w = WorkloadRef {
            kind: "Deployment".into(),
            namespace: "n".into(),
            name: "d".into(),
        };
        let mut c = relabel("1");
        assert_eq!(rolled(&c), None);
        c.step = Step::Restart {
            workload: w.clone(),
        };
        assert_eq!(rolled(&c), Some(&w));
        c.step = Step::RelabelPodTemplate {
            workload: w.clone(),
            set: crate::remedy::Label::new("istio.io/rev", "1-8-1"),
        };
        assert_eq!(rolled(&c), Some(&w));
    }

    fn api_error(code: u16, causes: Value) -> kube::Error {
        kube::Error::Api(
            serde_json::from_value(json!({"status": "Failure", "code": code,
                "reason": "Conflict", "message": "refused", "details": {"causes": causes}}))
            .unwrap(),
        )
    }

    #[test]
    fn only_a_409_naming_fields_is_a_conflict_and_only_a_404_delete_is_done() {
        let field = json!([{"reason": "FieldManagerConflict",
            "message": "conflict with \"helm\"", "field": ".data.mesh"}]);
        assert!(matches!(
            refused_apply(&api_error(409, field.clone())),
            Outcome::Conflicts(c) if c.len() == 1
        ));
        // A 409 without field causes (the object was modified), or causes on another code.
        assert_eq!(
            refused_apply(&api_error(409, json!([]))),
            Outcome::Failed("refused (409)".to_string())
        );
        assert_eq!(
            refused_apply(&api_error(422, field)),
            Outcome::Failed("refused (422)".to_string())
        );
        assert_eq!(
            refused_delete(&api_error(404, json!([]))),
            Outcome::Applied("already gone".to_string())
        );
        assert_eq!(
            refused_delete(&api_error(403, json!([]))),
            Outcome::Failed("refused (403)".to_string())
        );
    }
}
