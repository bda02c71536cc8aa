//! The k8s-openapi objects of single GETs (a namespace under `-n`, a pod whose metadata does
//! not tell its revision) into the inventory's slim types; lists are parsed straight into them.

use crate::atom::Atom;
use crate::inventory::types::*;
use crate::istio::labels::PROXY_CONTAINER;
use k8s_openapi::api::core::v1 as core;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;

pub fn meta(m: &ObjectMeta) -> Meta {
    Meta {
        name: m.name.clone(),
        namespace: m.namespace.as_deref().map(Atom::from),
        uid: m.uid.clone(),
        labels: m.labels.iter().flatten().collect(),
        annotations: m
            .annotations
            .as_ref()
            .map(IstioAnnotations::from_map)
            .unwrap_or_default(),
        owner_references: m
            .owner_references
            .iter()
            .flatten()
            .map(|o| OwnerReference {
                kind: o.kind.as_str().into(),
                name: o.name.as_str().into(),
                uid: o.uid.as_str().into(),
                controller: o.controller,
            })
            .collect(),
    }
}

pub fn container(c: &core::Container) -> Container {
    let args = c.args.clone().unwrap_or_default();
    let role = ProxyRole::from_args(
        args.first().map(String::as_str),
        args.get(1).map(String::as_str),
    );
    let env_value = |name: &str| {
        c.env
            .iter()
            .flatten()
            .find(|e| e.name == name)
            .and_then(|e| e.value.as_deref())
    };
    let mut env = ProxyEnv {
        ca_addr: env_value("CA_ADDR").map(Atom::from),
        discovery_address: env_value("PROXY_CONFIG").and_then(discovery_address),
        ztunnel: None,
    };
    env.set_ztunnel(
        env_value("CA_ADDRESS").map(Atom::from),
        env_value("XDS_ADDRESS").map(Atom::from),
    );
    Container {
        name: c.name.as_str().into(),
        image: c.image.as_deref().map(Atom::from),
        args: role,
        env,
    }
}

pub fn template_spec(spec: Option<&core::PodSpec>) -> TemplateSpec {
    TemplateSpec {
        containers: spec
            .map(|s| s.containers.iter().map(container).collect())
            .unwrap_or_default(),
        init_containers: spec
            .and_then(|s| s.init_containers.as_ref())
            .map(|c| c.iter().map(container).collect())
            .unwrap_or_default(),
    }
}

pub fn pod_spec(spec: Option<&core::PodSpec>) -> PodSpec {
    let t = template_spec(spec);
    PodSpec::from_containers(
        t.containers.into_iter().find(|c| c.name == PROXY_CONTAINER),
        t.init_containers
            .into_iter()
            .find(|c| c.name == PROXY_CONTAINER),
    )
}
