//! Discovery documents, derived from the real server's recorded documents (01–09) filtered
//! down to the resources the fake serves.

use crate::json;
use crate::util;
use serde_json::{Value, json};
use std::collections::HashMap;

fn body(resp: &str) -> &str {
    resp.find("\r\n\r\n").map(|i| &resp[i + 4..]).unwrap_or("")
}

fn parse(resp: &str) -> Value {
    serde_json::from_str(body(resp).trim()).expect("recorded discovery json")
}

const REC_API_V1: &str = include_str!("../recordings/03-get-api-v1.response.txt");
const REC_APIS: &str = include_str!("../recordings/04-get-apis.response.txt");
const REC_APPS: &str = include_str!("../recordings/05-get-apis-apps-v1.response.txt");
const REC_ADM: &str =
    include_str!("../recordings/06-get-apis-admissionregistration-v1.response.txt");
const REC_IOP: &str =
    include_str!("../recordings/07-get-apis-install-istio-io-v1alpha1.response.txt");
const REC_AGG_APIS: &str =
    include_str!("../recordings/08-get-apis-aggregated-discovery-v2.response.txt");
const REC_AGG_API: &str =
    include_str!("../recordings/09-get-api-aggregated-discovery-v2-kube-rs-accept.response.txt");

const CORE: &[&str] = &["namespaces", "pods", "services", "configmaps"];
const APPS: &[&str] = &["deployments", "replicasets", "statefulsets", "daemonsets"];
const ADM: &[&str] = &[
    "mutatingwebhookconfigurations",
    "validatingwebhookconfigurations",
];
const IOP: &[&str] = &["istiooperators"];

/// Pre-rendered discovery bodies (each ends with `\n`).
pub struct Discovery {
    pub api: Vec<u8>,
    pub apis: Vec<u8>,
    pub group: HashMap<String, Vec<u8>>,
    pub group_version: HashMap<String, Vec<u8>>,
    pub agg_api: Vec<u8>,
    pub agg_apis: Vec<u8>,
    pub etag_api: String,
    pub etag_apis: String,
}

fn keep_resources(list: &mut Value, keep: &[&str]) {
    if let Some(rs) = list["resources"].as_array_mut() {
        rs.retain(|r| {
            let n = r["name"]
                .as_str()
                .or_else(|| r["resource"].as_str())
                .unwrap_or("");
            keep.contains(&n.split('/').next().unwrap_or(""))
        });
    }
}

fn render(v: &Value) -> Vec<u8> {
    let mut out = json::to_vec(v, false);
    out.push(b'\n');
    out
}

fn etag(b: &[u8]) -> String {
    let mut s = String::from("\"");
    for i in 0..8u8 {
        let mut d = b.to_vec();
        d.push(i);
        s.push_str(&format!("{:016X}", util::fnv(&d)));
    }
    s.push('"');
    s
}

/// The APIResourceList of the Gateway API CRDs (no recording has them: the shape is the one a
/// CRD's group-version document has, as recording 07 shows for IstioOperator).
fn gateway_api_resources(version: &str) -> Value {
    let resource = |name: &str, kind: &str, namespaced: bool, short: &[&str]| {
        json!({
            "name": name,
            "singularName": kind.to_lowercase(),
            "namespaced": namespaced,
            "kind": kind,
            "verbs": ["delete", "deletecollection", "get", "list", "patch", "create", "update", "watch"],
            "shortNames": short,
            "categories": ["gateway-api"],
            "storageVersionHash": "",
        })
    };
    json!({
        "kind": "APIResourceList",
        "apiVersion": "v1",
        "groupVersion": format!("gateway.networking.k8s.io/{version}"),
        "resources": [
            resource("gatewayclasses", "GatewayClass", false, &["gc"]),
            resource("gateways", "Gateway", true, &["gtw"]),
        ],
    })
}

pub fn build(istio_crd: bool, gateway_api: Option<&str>, server_address: &str) -> Discovery {
    let groups: Vec<(&str, &str, &[&str], &str)> = {
        let mut g = vec![
            ("apps", "v1", APPS, REC_APPS),
            ("admissionregistration.k8s.io", "v1", ADM, REC_ADM),
        ];
        if istio_crd {
            g.push(("install.istio.io", "v1alpha1", IOP, REC_IOP));
        }
        g
    };
    let api = render(&json!({
        "kind": "APIVersions",
        "versions": ["v1"],
        "serverAddressByClientCIDRs": [{"clientCIDR": "0.0.0.0/0", "serverAddress": server_address}],
    }));

    let mut group_version = HashMap::new();
    let mut core = parse(REC_API_V1);
    keep_resources(&mut core, CORE);
    group_version.insert("/api/v1".to_string(), render(&core));

    let mut apis = parse(REC_APIS);
    let mut group = HashMap::new();
    if let Some(gs) = apis["groups"].as_array_mut() {
        gs.retain(|g| groups.iter().any(|(n, ..)| g["name"] == *n));
        for g in gs.iter_mut() {
            let (_, ver, ..) = groups
                .iter()
                .find(|(n, ..)| g["name"] == *n)
                .expect("kept group");
            let gv = format!("{}/{}", g["name"].as_str().unwrap_or(""), ver);
            g["versions"] = json!([{"groupVersion": gv, "version": ver}]);
            g["preferredVersion"] = json!({"groupVersion": gv, "version": ver});
            let mut doc = g.clone();
            doc["kind"] = json!("APIGroup");
            doc["apiVersion"] = json!("v1");
            group.insert(
                format!("/apis/{}", g["name"].as_str().unwrap_or("")),
                render(&doc),
            );
        }
    }
    if let Some(version) = gateway_api {
        group_version.insert(
            format!("/apis/gateway.networking.k8s.io/{version}"),
            render(&gateway_api_resources(version)),
        );
    }
    for (name, ver, keep, rec) in &groups {
        let mut l = parse(rec);
        keep_resources(&mut l, keep);
        group_version.insert(format!("/apis/{name}/{ver}"), render(&l));
    }

    let mut agg_apis = parse(REC_AGG_APIS);
    if let Some(items) = agg_apis["items"].as_array_mut() {
        items.retain(|g| groups.iter().any(|(n, ..)| g["metadata"]["name"] == *n));
        for g in items.iter_mut() {
            let (_, ver, keep, _) = groups
                .iter()
                .find(|(n, ..)| g["metadata"]["name"] == *n)
                .expect("kept group");
            if let Some(vs) = g["versions"].as_array_mut() {
                vs.retain(|v| v["version"] == *ver);
                for v in vs.iter_mut() {
                    keep_resources(v, keep);
                }
            }
        }
    }
    let mut agg_api = parse(REC_AGG_API);
    if let Some(items) = agg_api["items"].as_array_mut() {
        for g in items.iter_mut() {
            if let Some(vs) = g["versions"].as_array_mut() {
                for v in vs.iter_mut() {
                    keep_resources(v, CORE);
                }
            }
        }
    }
    let agg_api = render(&agg_api);
    let agg_apis = render(&agg_apis);
    Discovery {
        api,
        apis: render(&apis),
        group,
        group_version,
        etag_api: etag(&agg_api),
        etag_apis: etag(&agg_apis),
        agg_api,
        agg_apis,
    }
}

/// `/version` (always indented, like the real server).
pub fn version() -> Vec<u8> {
    b"{\n  \"major\": \"1\",\n  \"minor\": \"32\",\n  \"gitVersion\": \"v1.32.0-fake\",\n  \"gitCommit\": \"0000000000000000000000000000000000000000\",\n  \"gitTreeState\": \"clean\",\n  \"buildDate\": \"2026-01-01T00:00:00Z\",\n  \"goVersion\": \"go1.23.0\",\n  \"compiler\": \"gc\",\n  \"platform\": \"linux/amd64\"\n}".to_vec()
}
