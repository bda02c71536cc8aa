//! kube-rs 5 against the fake: typed and metadata-only lists, pagination, writes, and the
//! client-visible effect of every fault.

use fake_apiserver::{FakeApiServer, Fault, ServerHandle};
use k8s_openapi::api::apps::v1::Deployment;
use k8s_openapi::api::core::v1::{Namespace, Pod};
use kube::api::{
    Api, ApiResource, DeleteParams, DynamicObject, GroupVersionKind, ListParams, Patch,
    PatchParams, PostParams,
};
use kube::{Client, Config};
use std::time::Duration;

const DUMP: &str = include_str!("../recordings/kubectl-get-ns-deploy-rs-pods-mwc-iop-A.yaml");

fn server() -> ServerHandle {
    FakeApiServer::new().objects_from_str(DUMP).unwrap().start()
}

fn client_with(srv: &ServerHandle, f: impl FnOnce(&mut Config)) -> Client {
    let mut cfg = Config::new(srv.url().parse().unwrap());
    f(&mut cfg);
    Client::try_from(cfg).unwrap()
}

fn client(srv: &ServerHandle) -> Client {
    client_with(srv, |_| {})
}

fn api_error(e: kube::Error) -> (u16, String, String) {
    match e {
        kube::Error::Api(s) => (s.code, s.reason.clone(), s.message.clone()),
        other => panic!("expected an API error, got {other:?}"),
    }
}

#[tokio::test]
async fn lists_typed_metadata_and_paginated() {
    let srv = server();
    let c = client(&srv);
    let pods: Api<Pod> = Api::all(c.clone());
    let l = pods.list(&ListParams::default()).await.unwrap();
    assert_eq!(l.items.len(), 4);
    assert!(l.metadata.resource_version.is_some());
    assert!(l.items.iter().all(|p| p.spec.is_some()));
    // managedFields are synthesized for kubectl output (which has none)
    assert!(l.items[0].metadata.managed_fields.is_some());

    let m = pods.list_metadata(&ListParams::default()).await.unwrap();
    assert_eq!(m.items.len(), 4);
    let last = srv.requests().pop().unwrap();
    assert!(
        last.header("accept")
            .unwrap()
            .contains("as=PartialObjectMetadataList")
    );

    // pagination
    let mut lp = ListParams::default().limit(3);
    let p1 = pods.list(&lp).await.unwrap();
    assert_eq!(p1.items.len(), 3);
    assert_eq!(p1.metadata.remaining_item_count, Some(1));
    let tok = p1.metadata.continue_.clone().unwrap();
    lp = lp.continue_token(&tok);
    let p2 = pods.list(&lp).await.unwrap();
    assert_eq!(p2.items.len(), 1);
    assert_eq!(p2.metadata.continue_, None);
    assert_eq!(p2.metadata.resource_version, p1.metadata.resource_version);
    let reqs = srv.requests();
    let n = reqs.len();
    assert_eq!(reqs[n - 2].query_param("limit").as_deref(), Some("3"));
    assert_eq!(
        reqs[n - 1].query_param("continue").as_deref(),
        Some(tok.as_str())
    );

    // namespaced + selectors
    let in_a: Api<Pod> = Api::namespaced(c.clone(), "rec-a");
    let sel = in_a
        .list(&ListParams::default().labels("app=productpage,security.istio.io/tlsMode in (istio)"))
        .await
        .unwrap();
    assert_eq!(sel.items.len(), 1);
    let by_field = pods
        .list(&ListParams::default().fields("metadata.namespace=rec-b"))
        .await
        .unwrap();
    assert_eq!(by_field.items.len(), 1);
    let pm = in_a.get_metadata("debug-shell").await.unwrap();
    assert_eq!(pm.metadata.name.as_deref(), Some("debug-shell"));

    // a CRD via DynamicObject
    let gvk = GroupVersionKind::gvk("install.istio.io", "v1alpha1", "IstioOperator");
    let ar = ApiResource::from_gvk(&gvk);
    let iops: Api<DynamicObject> = Api::all_with(c.clone(), &ar);
    assert_eq!(
        iops.list(&ListParams::default()).await.unwrap().items.len(),
        1
    );
}

#[tokio::test]
async fn no_istio_operator_crd_is_404() {
    let srv = FakeApiServer::new()
        .istio_operator_crd(false)
        .objects_from_str(DUMP)
        .unwrap()
        .start();
    let ar = ApiResource::from_gvk(&GroupVersionKind::gvk(
        "install.istio.io",
        "v1alpha1",
        "IstioOperator",
    ));
    let iops: Api<DynamicObject> = Api::all_with(client(&srv), &ar);
    let e = iops.list(&ListParams::default()).await.unwrap_err();
    // text/plain "404 page not found": kube turns it into a synthetic Status with code 404
    match e {
        kube::Error::Api(s) => assert_eq!(s.code, 404),
        other => panic!("unexpected {other:?}"),
    }
}

#[tokio::test]
async fn writes_through_kube() {
    let srv = server();
    let c = client(&srv);
    let deps: Api<Deployment> = Api::namespaced(c.clone(), "rec-c");
    let applied: Deployment = serde_json::from_value(serde_json::json!({
        "apiVersion": "apps/v1", "kind": "Deployment",
        "metadata": {"name": "istiod-1-9-0", "namespace": "rec-c", "labels": {"istio.io/rev": "1-9-0"}},
        "spec": {"replicas": 1, "selector": {"matchLabels": {"app": "istiod"}},
                 "template": {"metadata": {"labels": {"app": "istiod"}},
                              "spec": {"containers": [{"name": "discovery", "image": "pilot:1.9.0"}]}}}
    }))
    .unwrap();
    // dry-run apply stores nothing
    let pp = PatchParams::apply("istio-rev").force().dry_run();
    let d = deps
        .patch("istiod-1-9-0", &pp, &Patch::Apply(&applied))
        .await
        .unwrap();
    assert_eq!(d.metadata.generation, Some(1));
    assert!(
        srv.get_object("deployments", Some("rec-c"), "istiod-1-9-0")
            .is_none()
    );
    // real apply creates
    let pp = PatchParams::apply("istio-rev").force();
    let d = deps
        .patch("istiod-1-9-0", &pp, &Patch::Apply(&applied))
        .await
        .unwrap();
    assert_eq!(d.spec.as_ref().unwrap().replicas, Some(1));
    let mf = d.metadata.managed_fields.unwrap();
    assert_eq!(mf[0].manager.as_deref(), Some("istio-rev"));
    assert_eq!(mf[0].operation.as_deref(), Some("Apply"));
    // another manager changing replicas without force conflicts
    let other = serde_json::json!({"apiVersion": "apps/v1", "kind": "Deployment",
        "metadata": {"name": "istiod-1-9-0"}, "spec": {"replicas": 3}});
    let e = deps
        .patch(
            "istiod-1-9-0",
            &PatchParams::apply("other"),
            &Patch::Apply(&other),
        )
        .await
        .unwrap_err();
    let (code, reason, msg) = api_error(e);
    assert_eq!((code, reason.as_str()), (409, "Conflict"));
    assert_eq!(
        msg,
        "Apply failed with 1 conflict: conflict with \"istio-rev\": .spec.replicas"
    );
    // merge patch bumps generation and resourceVersion
    let before = deps.get("istiod-1-9-0").await.unwrap();
    let after = deps
        .patch(
            "istiod-1-9-0",
            &PatchParams::default(),
            &Patch::Merge(serde_json::json!({"spec": {"replicas": 2}})),
        )
        .await
        .unwrap();
    assert_eq!(after.metadata.generation, Some(2));
    assert_ne!(
        after.metadata.resource_version,
        before.metadata.resource_version
    );
    // strategic merge: containers merged by name
    let after = deps
        .patch(
            "istiod-1-9-0",
            &PatchParams::default(),
            &Patch::Strategic(
                serde_json::json!({"spec": {"template": {"spec": {"containers": [
                {"name": "discovery", "env": [{"name": "A", "value": "1"}]}]}}}}),
            ),
        )
        .await
        .unwrap();
    let ctr = &after.spec.unwrap().template.spec.unwrap().containers[0];
    assert_eq!(ctr.image.as_deref(), Some("pilot:1.9.0"));
    assert_eq!(ctr.env.as_ref().unwrap().len(), 1);
    // create + delete
    let nss: Api<Namespace> = Api::all(c.clone());
    let ns: Namespace =
        serde_json::from_value(serde_json::json!({"metadata": {"name": "new-ns"}})).unwrap();
    let created = nss.create(&PostParams::default(), &ns).await.unwrap();
    assert_eq!(
        created.metadata.labels.unwrap()["kubernetes.io/metadata.name"],
        "new-ns"
    );
    let e = nss.create(&PostParams::default(), &ns).await.unwrap_err();
    assert_eq!(api_error(e).1, "AlreadyExists");
    let del = deps
        .delete("istiod-1-9-0", &DeleteParams::default())
        .await
        .unwrap();
    assert!(del.is_right(), "non-pod deletes return a Status");
    let e = deps.get("istiod-1-9-0").await.unwrap_err();
    assert_eq!(api_error(e).0, 404);
}

/// As apiserver's `NewConflictError`: an updater is named with the API version it wrote
/// through, each field is a `FieldManagerConflict` cause, and force takes the field over.
#[tokio::test]
async fn apply_conflicts_name_updaters_with_their_api_version() {
    let srv = server();
    let deps: Api<Deployment> = Api::namespaced(client(&srv), "rec-c");
    let rendered = serde_json::json!({"apiVersion": "apps/v1", "kind": "Deployment",
        "metadata": {"name": "istiod-1-8-1"}, "spec": {"replicas": 1}});
    deps.patch(
        "istiod-1-8-1",
        &PatchParams::apply("istio-operator").force(),
        &Patch::Apply(&rendered),
    )
    .await
    .unwrap();
    // `kubectl edit` is an Update by manager kubectl-edit
    deps.patch(
        "istiod-1-8-1",
        &PatchParams {
            field_manager: Some("kubectl-edit".into()),
            ..PatchParams::default()
        },
        &Patch::Merge(serde_json::json!({"spec": {"replicas": 3}})),
    )
    .await
    .unwrap();
    let e = deps
        .patch(
            "istiod-1-8-1",
            &PatchParams::apply("istio-operator"),
            &Patch::Apply(&rendered),
        )
        .await
        .unwrap_err();
    let kube::Error::Api(status) = e else {
        panic!("expected the 409 Status, got {e:?}")
    };
    assert_eq!((status.code, status.reason.as_str()), (409, "Conflict"));
    assert_eq!(
        status.message,
        "Apply failed with 1 conflict: conflict with \"kubectl-edit\" using apps/v1: .spec.replicas"
    );
    let causes = status.details.expect("details").causes;
    assert_eq!(causes.len(), 1);
    assert_eq!(causes[0].reason, "FieldManagerConflict");
    assert_eq!(
        causes[0].message,
        "conflict with \"kubectl-edit\" using apps/v1"
    );
    assert_eq!(causes[0].field, ".spec.replicas");
    let d = deps
        .patch(
            "istiod-1-8-1",
            &PatchParams::apply("istio-operator").force(),
            &Patch::Apply(&rendered),
        )
        .await
        .unwrap();
    assert_eq!(d.spec.unwrap().replicas, Some(1));
}

#[tokio::test]
async fn forbidden() {
    let srv = server();
    srv.add_fault(Fault::Forbidden {
        resource: "pods",
        namespace: None,
    });
    let pods: Api<Pod> = Api::all(client(&srv));
    let (code, reason, msg) = api_error(pods.list(&ListParams::default()).await.unwrap_err());
    assert_eq!((code, reason.as_str()), (403, "Forbidden"));
    assert_eq!(
        msg,
        "pods is forbidden: User \"fake-user\" cannot list resource \"pods\" in API group \"\" at the cluster scope"
    );
    srv.clear_faults();
    srv.add_fault(Fault::Forbidden {
        resource: "pods",
        namespace: Some("rec-a"),
    });
    let c = client(&srv);
    assert!(
        Api::<Pod>::namespaced(c.clone(), "rec-b")
            .list(&ListParams::default())
            .await
            .is_ok()
    );
    let (_, _, msg) = api_error(
        Api::<Pod>::namespaced(c.clone(), "rec-a")
            .list(&ListParams::default())
            .await
            .unwrap_err(),
    );
    assert!(msg.ends_with("in the namespace \"rec-a\""), "{msg}");
    srv.clear_faults();
    srv.add_fault(Fault::ForbiddenClusterScope { resource: "pods" });
    assert!(
        Api::<Pod>::all(c.clone())
            .list(&ListParams::default())
            .await
            .is_err()
    );
    assert!(
        Api::<Pod>::namespaced(c, "rec-a")
            .list(&ListParams::default())
            .await
            .is_ok()
    );
}

#[tokio::test]
async fn server_error_then_ok() {
    let srv = server();
    srv.add_fault(Fault::ServerErrorThenOk {
        resource: "pods",
        times: 2,
    });
    let pods: Api<Pod> = Api::all(client(&srv));
    for _ in 0..2 {
        let (code, reason, _) = api_error(pods.list(&ListParams::default()).await.unwrap_err());
        assert_eq!((code, reason.as_str()), (500, "InternalError"));
    }
    assert_eq!(
        pods.list(&ListParams::default()).await.unwrap().items.len(),
        4
    );
}

#[tokio::test]
async fn too_many_requests() {
    // kube 5 retries 429 by default (honouring Retry-After): the caller sees success
    let srv = server();
    srv.add_fault(Fault::TooManyRequests {
        resource: "pods",
        retry_after_secs: 1,
        times: 1,
    });
    let pods: Api<Pod> = Api::all(client(&srv));
    assert_eq!(
        pods.list(&ListParams::default()).await.unwrap().items.len(),
        4
    );
    assert_eq!(
        srv.requests()
            .iter()
            .filter(|r| r.path == "/api/v1/pods")
            .count(),
        2
    );
    // with the default retry disabled, the 429 Status is visible
    srv.add_fault(Fault::TooManyRequests {
        resource: "pods",
        retry_after_secs: 1,
        times: 1,
    });
    let pods: Api<Pod> = Api::all(client_with(&srv, |c| c.default_retry = false));
    let (code, reason, msg) = api_error(pods.list(&ListParams::default()).await.unwrap_err());
    assert_eq!((code, reason.as_str()), (429, "TooManyRequests"));
    assert_eq!(msg, "Too many requests, please try again later.");
}

#[tokio::test]
async fn slow_response_times_out() {
    let srv = server();
    srv.add_fault(Fault::Slow {
        resource: "pods",
        delay: Duration::from_secs(3),
    });
    let pods: Api<Pod> = Api::all(client_with(&srv, |c| {
        c.read_timeout = Some(Duration::from_millis(300))
    }));
    let t = std::time::Instant::now();
    let e = pods.list(&ListParams::default()).await.unwrap_err();
    assert!(t.elapsed() < Duration::from_secs(2), "{e:?}");
    assert!(!matches!(e, kube::Error::Api(_)), "{e:?}");
}

#[tokio::test]
async fn connection_reset_and_truncated_body() {
    let srv = server();
    srv.add_fault(Fault::ConnectionReset { resource: "pods" });
    let pods: Api<Pod> = Api::all(client(&srv));
    let e = pods.list(&ListParams::default()).await.unwrap_err();
    assert!(
        matches!(e, kube::Error::HyperError(_) | kube::Error::Service(_)),
        "{e:?}"
    );
    srv.clear_faults();
    srv.add_fault(Fault::TruncatedBody { resource: "pods" });
    let e = pods.list(&ListParams::default()).await.unwrap_err();
    assert!(
        matches!(e, kube::Error::HyperError(_) | kube::Error::Service(_)),
        "{e:?}"
    );
    srv.clear_faults();
    assert!(pods.list(&ListParams::default()).await.is_ok());
}

#[tokio::test]
async fn expired_continue_token() {
    let srv = server();
    srv.add_fault(Fault::ExpireContinue { resource: "pods" });
    let pods: Api<Pod> = Api::all(client(&srv));
    let p1 = pods.list(&ListParams::default().limit(2)).await.unwrap();
    let tok = p1.metadata.continue_.unwrap();
    let e = pods
        .list(&ListParams::default().limit(2).continue_token(&tok))
        .await
        .unwrap_err();
    match e {
        kube::Error::Api(s) => {
            assert_eq!((s.code, s.reason.as_str()), (410, "Expired"));
            // a fresh (inconsistent) continue token is offered
            assert!(s.metadata.and_then(|m| m.continue_).is_some());
        }
        other => panic!("{other:?}"),
    }
    // only the first continue is expired
    assert!(
        pods.list(&ListParams::default().limit(2).continue_token(&tok))
            .await
            .is_ok()
    );
}

#[tokio::test]
async fn bearer_token_auth() {
    let srv = FakeApiServer::new()
        .bearer_token("s3cret")
        .objects_from_str(DUMP)
        .unwrap()
        .start();
    let bad: Api<Pod> = Api::all(client(&srv));
    let (code, reason, _) = api_error(bad.list(&ListParams::default()).await.unwrap_err());
    assert_eq!((code, reason.as_str()), (401, "Unauthorized"));
    // the generated kubeconfig carries the token
    let kc = kube::config::Kubeconfig::read_from(srv.kubeconfig_path()).unwrap();
    let cfg = Config::from_custom_kubeconfig(kc, &Default::default())
        .await
        .unwrap();
    let good: Api<Pod> = Api::all(Client::try_from(cfg).unwrap());
    assert_eq!(
        good.list(&ListParams::default()).await.unwrap().items.len(),
        4
    );
}
