//! k8s-openapi objects from the API into the inventory's slim types.

use crate::inventory::types::*;
use crate::istio::labels::PROXY_CONTAINER;
use crate::selector::{LabelSelector, Requirement};
use k8s_openapi::api::admissionregistration::v1 as admission;
use k8s_openapi::api::core::v1 as core;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::{LabelSelector as K8sSelector, ObjectMeta};

pub fn meta(m: &ObjectMeta) -> Meta {
    Meta {
        name: m.name.clone(),
        namespace: m.namespace.clone(),
        uid: m.uid.clone(),
        labels: m.labels.clone().unwrap_or_default(),
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
                kind: o.kind.clone(),
                name: o.name.clone(),
                uid: o.uid.clone(),
                controller: o.controller,
            })
            .collect(),
    }
}

pub fn selector(s: &K8sSelector) -> LabelSelector {
    LabelSelector {
        match_labels: s.match_labels.clone().unwrap_or_default(),
        match_expressions: s
            .match_expressions
            .iter()
            .flatten()
            .map(|r| Requirement {
                key: r.key.clone(),
                operator: r.operator.clone(),
                values: r.values.clone().unwrap_or_default(),
            })
            .collect(),
    }
}

pub fn container(c: &core::Container) -> Container {
    let args = c.args.clone().unwrap_or_default();
    let role = match (
        args.first().map(String::as_str),
        args.get(1).map(String::as_str),
    ) {
        (Some("proxy"), Some("router")) => Some(ProxyRole::Router),
        (Some("proxy"), Some("sidecar")) => Some(ProxyRole::Sidecar),
        _ => None,
    };
    let env_value = |name: &str| {
        c.env
            .iter()
            .flatten()
            .find(|e| e.name == name)
            .and_then(|e| e.value.clone())
    };
    Container {
        name: c.name.clone(),
        image: c.image.clone(),
        args: role,
        env: ProxyEnv {
            ca_addr: env_value("CA_ADDR"),
            discovery_address: env_value("PROXY_CONFIG").and_then(|v| discovery_address(&v)),
        },
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
    PodSpec {
        containers: t.containers.into_iter().find(|c| c.name == PROXY_CONTAINER),
        init_containers: t
            .init_containers
            .into_iter()
            .find(|c| c.name == PROXY_CONTAINER),
    }
}

pub fn pod_template(t: Option<&core::PodTemplateSpec>) -> PodTemplate {
    PodTemplate {
        metadata: t
            .and_then(|t| t.metadata.as_ref())
            .map(meta)
            .unwrap_or_default(),
        spec: template_spec(t.and_then(|t| t.spec.as_ref())),
    }
}

pub fn webhooks(mwc: &admission::MutatingWebhookConfiguration) -> MutatingWebhookConfiguration {
    MutatingWebhookConfiguration {
        meta: meta(&mwc.metadata),
        webhooks: mwc
            .webhooks
            .iter()
            .flatten()
            .map(|w| Webhook {
                name: w.name.clone(),
                client_config: ClientConfig {
                    service: w.client_config.service.as_ref().map(|s| ServiceReference {
                        name: s.name.clone(),
                        namespace: s.namespace.clone(),
                        path: s.path.clone(),
                    }),
                    url: w.client_config.url.clone(),
                },
                namespace_selector: w.namespace_selector.as_ref().map(selector),
                object_selector: w.object_selector.as_ref().map(selector),
            })
            .collect(),
    }
}

pub fn conditions<'a>(c: impl IntoIterator<Item = (&'a str, &'a str)>) -> Vec<Condition> {
    c.into_iter()
        .map(|(t, s)| Condition {
            type_: t.to_string(),
            status: s.to_string(),
        })
        .collect()
}
