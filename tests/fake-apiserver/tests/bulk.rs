//! Bulk loading and big lists (chunked, streamed page by page).

mod common;

use common::*;
use fake_apiserver::FakeApiServer;
use k8s_openapi::api::core::v1::Pod;
use kube::api::{Api, ListParams};
use kube::{Client, Config};

fn full_list(n: usize) {
    let t = std::time::Instant::now();
    let srv = FakeApiServer::new()
        .request_log(false)
        .synthetic_pods(n, 100, 3)
        .start();
    eprintln!("loaded {n} pods in {:?}", t.elapsed());
    assert_eq!(srv.count("pods"), n);
    let pod = srv.get_object("pods", Some("bench-ns-0000"), &{
        let p = fake_apiserver::synthetic_pod(0, 100, 3);
        p["metadata"]["name"].as_str().unwrap().to_string()
    });
    let meta_len = serde_json::to_vec(&pod.unwrap()["metadata"]).unwrap().len();
    // ~17 KB: the shape measured on a real kube-apiserver v1.32 (issue 12), mostly managedFields.
    assert!((14_000..19_000).contains(&meta_len), "{meta_len}");

    let t = std::time::Instant::now();
    let r = send(
        srv.addr(),
        &RawRequest {
            method: "GET".into(),
            target: "/api/v1/pods".into(),
            headers: vec![("Accept".into(), "application/json".into())],
            body: vec![],
        },
    );
    eprintln!("full list: {} bytes in {:?}", r.body.len(), t.elapsed());
    assert!(r.chunked);
    assert!(
        r.body
            .starts_with(b"{\"kind\":\"PodList\",\"apiVersion\":\"v1\",\"metadata\":{")
    );
    assert!(r.body.ends_with(b"]}\n"));
    let items = r
        .body
        .windows(21)
        .filter(|w| w == b"{\"metadata\":{\"name\":\"")
        .count();
    assert_eq!(items, n);
    if n <= 10_000 {
        let v: serde_json::Value = serde_json::from_slice(&r.body).unwrap();
        assert_eq!(v["items"].as_array().unwrap().len(), n);
    }
}

#[test]
fn five_thousand_pods_unpaginated() {
    full_list(5_000);
}

/// `cargo test --release -p fake-apiserver --test bulk -- --ignored`
#[test]
#[ignore]
fn hundred_thousand_pods_unpaginated() {
    full_list(100_000);
}

#[tokio::test]
async fn paginated_with_kube() {
    let srv = FakeApiServer::new().synthetic_pods(2_000, 20, 2).start();
    let client = Client::try_from(Config::new(srv.url().parse().unwrap())).unwrap();
    let pods: Api<Pod> = Api::all(client);
    let mut lp = ListParams::default().limit(500);
    let mut seen = 0;
    let mut pages = 0;
    loop {
        let page = pods.list_metadata(&lp).await.unwrap();
        seen += page.items.len();
        pages += 1;
        match page.metadata.continue_ {
            Some(c) => lp = lp.continue_token(&c),
            None => break,
        }
    }
    assert_eq!((seen, pages), (2_000, 4));
    let sel = pods
        .list(&ListParams::default().labels("istio.io/rev=1-21-0"))
        .await
        .unwrap();
    assert_eq!(sel.items.len(), 1_000);
}
