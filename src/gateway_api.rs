//! Gateway API gateways and waypoints istiod deploys itself: which revision owns each
//! Gateway, decided exactly as istiod decides it, and which objects it generated.
//!
//! istiod's rule (`pkg/revisions/tag_watcher.go`, `IsMine`): the Gateway's `istio.io/rev`
//! label, else its Namespace's, is the selector. A revision owns the Gateway when the selector
//! is its own name or one of its tags (a tag webhook labelled `istio.io/tag` and
//! `istio.io/rev=<revision>`). An unlabelled Gateway belongs to the revision holding the
//! `default` tag and, from 1.28 on, also to the revision named by the `istio.io/rev` of the
//! `istiod-default-validator` webhook when no `default` tag exists. `istio-injection` is never
//! read. Every istiod evaluates this for itself, so two of them can both claim a Gateway.

use crate::inventory::{Gateway, Inventory, Workload, WorkloadKind};
use crate::istio::labels::{
    CLASS_EAST_WEST, CLASS_ISTIO, CLASS_REMOTE, CLASS_WAYPOINT, CONTROLLER_EAST_WEST,
    CONTROLLER_GATEWAY, CONTROLLER_MESH, CONTROLLER_UNMANAGED, DEFAULT_REVISION,
    DEFAULT_TAG_WEBHOOK, DEFAULT_VALIDATOR, LABEL_GATEWAY_MANAGED, LABEL_GATEWAY_NAME, LABEL_REV,
    LABEL_USE_WAYPOINT, LABEL_USE_WAYPOINT_NAMESPACE,
};
use crate::revision::version_key;
use serde::Serialize;
use std::collections::BTreeMap;

/// The two shapes istiod deploys: a gateway (`proxy router`, or the east-west class) and a
/// waypoint (`istio-waypoint`, `proxy waypoint`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum DeployedKind {
    Gateway,
    Waypoint,
}

/// A control plane as ownership needs it: its revision and version.
#[derive(Debug, Clone)]
pub struct Istiod<'a> {
    pub revision: &'a str,
    pub version: Option<&'a str>,
}

/// A revision tag: its name and the revision it points to.
#[derive(Debug, Clone)]
pub struct Tag<'a> {
    pub tag: &'a str,
    pub revision: &'a str,
}

/// Where a Gateway's revision selector came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum SelectorSource {
    Gateway,
    Namespace,
    /// Neither is labelled: the default tag, or (1.28+) the default revision, decides.
    Unlabelled,
}

#[derive(Debug, Clone, Serialize)]
pub struct GatewayView {
    pub namespace: String,
    pub name: String,
    pub class: String,
    pub kind: DeployedKind,
    /// The `istio.io/rev` value istiod matches (a revision or a tag); `None` when unlabelled.
    pub selector: Option<String>,
    pub selector_source: SelectorSource,
    /// Revisions with a control plane that claim it, oldest first. More than one means two
    /// istiods fight over its Deployment.
    pub owners: Vec<String>,
    /// The Deployment istiod generated for it, when there is one.
    pub deployment: Option<String>,
    /// The `istio.io/rev` annotation of that Deployment's pod template: the revision that last
    /// rendered it (istiod always writes the resolved revision there, never a tag).
    pub rendered_by: Option<String>,
    /// Its Deployment reports no progress (`Progressing` not `True`: deadline exceeded, or
    /// paused): a rollout that will not finish on its own.
    pub rollout_stuck: bool,
    /// Pods per running revision, filled in by the mesh from the Deployment's pods.
    pub running: BTreeMap<String, usize>,
    /// `status` and `reason` of the `Programmed` condition.
    pub programmed: Option<(String, String)>,
    #[serde(skip)]
    pub programmed_message: String,
    /// Left to the user: istiod deploys nothing for it.
    pub manual: bool,
    /// Waypoints: the namespaces that send traffic through it (its own included).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub serves: Vec<String>,
}

impl GatewayView {
    pub fn programmed_text(&self) -> String {
        match &self.programmed {
            Some((status, reason)) if status == "True" => "True".to_string(),
            Some((status, reason)) => format!("{status} ({reason})"),
            None => "-".to_string(),
        }
    }
}

/// What an Istio GatewayClass deploys, from its controller; `None` for classes of other
/// controllers and for `istio-remote`, which deploys nothing.
fn deployed_kind(controller: &str) -> Option<DeployedKind> {
    match controller {
        CONTROLLER_GATEWAY | CONTROLLER_EAST_WEST => Some(DeployedKind::Gateway),
        CONTROLLER_MESH => Some(DeployedKind::Waypoint),
        _ => None,
    }
}

/// The controller behind a class: the GatewayClass object first (user classes with Istio's
/// controllerName work too), then istiod's built-in classes.
fn controller<'a>(inventory: &'a Inventory, class: &str) -> Option<&'a str> {
    if let Some(c) = inventory
        .gateway_classes
        .iter()
        .find(|c| c.meta.name() == class)
    {
        return Some(c.spec.controller_name.as_str());
    }
    Some(match class {
        CLASS_ISTIO => CONTROLLER_GATEWAY,
        CLASS_WAYPOINT => CONTROLLER_MESH,
        CLASS_EAST_WEST => CONTROLLER_EAST_WEST,
        CLASS_REMOTE => CONTROLLER_UNMANAGED,
        _ => return None,
    })
}

/// The kind of a generated object, from the labels istiod puts on it and its pods:
/// `gateway.istio.io/managed: istio.io-<controller>` and the Gateway's name.
pub fn generated_kind(labels: &crate::selector::Labels) -> Option<DeployedKind> {
    labels.get(LABEL_GATEWAY_NAME)?;
    let managed = labels.get(LABEL_GATEWAY_MANAGED)?;
    // `apply()` derives the label from the controller name, `/` replaced by `-`.
    [CONTROLLER_GATEWAY, CONTROLLER_MESH, CONTROLLER_EAST_WEST]
        .into_iter()
        .find(|c| c.replace('/', "-") == *managed)
        .and_then(deployed_kind)
}

/// istiod 1.28 added the default-revision fallback for unlabelled Gateways.
fn has_default_revision_fallback(version: Option<&str>) -> bool {
    version.is_some_and(|v| {
        let k = version_key(v);
        k.len() >= 2 && (k[0], k[1]) >= (1, 28)
    })
}

/// Every Gateway of an Istio class, with its owners and generated Deployment.
pub fn resolve(inventory: &Inventory, istiods: &[Istiod], tags: &[Tag]) -> Vec<GatewayView> {
    let default_validator_revision = inventory
        .validating_webhooks
        .iter()
        .find(|v| v.meta.name() == DEFAULT_VALIDATOR)
        .and_then(|v| v.meta.label(LABEL_REV))
        .filter(|r| !r.is_empty());
    let default_tag_exists = inventory
        .webhooks
        .iter()
        .any(|w| w.meta.name() == DEFAULT_TAG_WEBHOOK);
    let mut out: Vec<GatewayView> = inventory
        .gateways
        .iter()
        .filter_map(|gw| {
            let class = gw.spec.gateway_class_name.clone();
            let kind = deployed_kind(controller(inventory, &class)?)?;
            let namespace_labels = inventory
                .namespaces
                .iter()
                .find(|n| n.meta.name() == gw.meta.namespace())
                .map(|n| &n.meta.labels);
            let (selector, selector_source) = match gw.meta.label(LABEL_REV) {
                Some(r) => (Some(r.to_string()), SelectorSource::Gateway),
                None => match namespace_labels.and_then(|l| l.get(LABEL_REV)) {
                    Some(r) => (Some(r.to_string()), SelectorSource::Namespace),
                    None => (None, SelectorSource::Unlabelled),
                },
            };
            let selector = selector.filter(|s| !s.is_empty());
            let selector_source = if selector.is_none() {
                SelectorSource::Unlabelled
            } else {
                selector_source
            };
            let owners: Vec<String> = istiods
                .iter()
                .filter(|cp| {
                    let my_tags = std::iter::once(cp.revision).chain(
                        tags.iter()
                            .filter(|t| t.revision == cp.revision)
                            .map(|t| t.tag),
                    );
                    let mut my_tags = my_tags.collect::<Vec<_>>();
                    my_tags.dedup();
                    match &selector {
                        Some(sel) => my_tags.contains(&sel.as_str()),
                        None => {
                            my_tags.contains(&DEFAULT_REVISION)
                                || (has_default_revision_fallback(cp.version)
                                    && default_validator_revision == Some(cp.revision)
                                    && !default_tag_exists)
                        }
                    }
                })
                .map(|cp| cp.revision.to_string())
                .collect();
            let deployment = generated_deployment(inventory, gw);
            Some(GatewayView {
                namespace: gw.meta.namespace().to_string(),
                name: gw.meta.name().to_string(),
                class,
                kind,
                selector,
                selector_source,
                owners,
                rendered_by: deployment
                    .and_then(|d| d.spec.template.metadata.annotations.rev.map(String::from)),
                deployment: deployment.map(|d| d.meta.name().to_string()),
                rollout_stuck: deployment.is_some_and(|d| {
                    d.status
                        .conditions
                        .iter()
                        .any(|c| c.type_ == "Progressing" && c.status != "True")
                }),
                running: BTreeMap::new(),
                programmed: gw
                    .condition("Programmed")
                    .map(|c| (c.status.clone(), c.reason.clone())),
                programmed_message: gw
                    .condition("Programmed")
                    .map(|c| c.message.clone())
                    .unwrap_or_default(),
                manual: gw.manually_deployed(),
                serves: if kind == DeployedKind::Waypoint {
                    served_namespaces(inventory, gw)
                } else {
                    Vec::new()
                },
            })
        })
        .collect();
    out.sort_by(|a, b| (&a.namespace, &a.name).cmp(&(&b.namespace, &b.name)));
    out
}

/// The Deployment istiod generated: in the Gateway's namespace, labelled with its name and
/// istiod's managed label (whatever its name: `<gw>-<class>`, `<gw>`, or a name override).
fn generated_deployment<'a>(inventory: &'a Inventory, gw: &Gateway) -> Option<&'a Workload> {
    inventory.workloads.iter().map(|w| &**w).find(|w| {
        w.kind == WorkloadKind::Deployment
            && w.meta.namespace() == gw.meta.namespace()
            && w.meta.label(LABEL_GATEWAY_NAME) == Some(gw.meta.name())
            && w.meta.label(LABEL_GATEWAY_MANAGED).is_some()
    })
}

/// The namespaces whose `istio.io/use-waypoint` names this waypoint: its own namespace, and
/// others that point at it with `istio.io/use-waypoint-namespace`. A waypoint's own namespace
/// counts even unlabelled: it is the namespace `istioctl waypoint apply` made it for.
fn served_namespaces(inventory: &Inventory, gw: &Gateway) -> Vec<String> {
    let mut out = vec![gw.meta.namespace().to_string()];
    for ns in &inventory.namespaces {
        let uses = ns.meta.label(LABEL_USE_WAYPOINT) == Some(gw.meta.name());
        let in_ns = ns
            .meta
            .label(LABEL_USE_WAYPOINT_NAMESPACE)
            .unwrap_or(ns.meta.name())
            == gw.meta.namespace();
        if uses && in_ns && ns.meta.name() != gw.meta.namespace() {
            out.push(ns.meta.name().to_string());
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    use crate::checks::testing::inventory;

    const GW: &str = "apiVersion: gateway.networking.k8s.io/v1\nkind: Gateway\nmetadata:\n  name: web\n  namespace: shop\nspec:\n  gatewayClassName: istio\n";
    const NS: &str = "---\napiVersion: v1\nkind: Namespace\nmetadata:\n  name: shop\n";

    fn owners(inv: &Inventory, istiods: &[Istiod], tags: &[Tag]) -> Vec<String> {
        resolve(inv, istiods, tags).remove(0).owners
    }

    fn cp<'a>(revision: &'a str, version: &'a str) -> Istiod<'a> {
        Istiod {
            revision,
            version: Some(version),
        }
    }

    #[test]
    fn an_unlabelled_gateway_follows_the_default_tag() {
        let inv = inventory(&format!("{GW}{NS}"));
        let istiods = [cp("1-27-0", "1.27.0"), cp("1-28-1", "1.28.1")];
        let tags = [Tag {
            tag: "default",
            revision: "1-27-0",
        }];
        assert_eq!(owners(&inv, &istiods, &tags), ["1-27-0"]);
        assert!(owners(&inv, &istiods, &[]).is_empty());
    }

    #[test]
    fn from_1_28_the_default_validator_names_the_owner_unless_a_default_tag_exists() {
        let vwc = "---\napiVersion: admissionregistration.k8s.io/v1\nkind: ValidatingWebhookConfiguration\nmetadata:\n  name: istiod-default-validator\n  labels:\n    istio.io/rev: 1-28-1\n";
        let inv = inventory(&format!("{GW}{NS}{vwc}"));
        let istiods = [cp("1-27-0", "1.27.0"), cp("1-28-1", "1.28.1")];
        assert_eq!(owners(&inv, &istiods, &[]), ["1-28-1"]);
        // An older istiod never falls back to the validator.
        let old = [cp("1-28-1", "1.27.3")];
        assert!(owners(&inv, &old, &[]).is_empty());
    }

    #[test]
    fn labels_and_tags_select_and_istio_injection_is_ignored() {
        let inv = inventory(&format!(
            "{}{NS}",
            GW.replace(
                "  namespace: shop\n",
                "  namespace: shop\n  labels:\n    istio.io/rev: prod\n"
            )
        ));
        let istiods = [cp("1-27-0", "1.27.0"), cp("1-28-1", "1.28.1")];
        let tags = [Tag {
            tag: "prod",
            revision: "1-28-1",
        }];
        let v = resolve(&inv, &istiods, &tags).remove(0);
        assert_eq!(v.owners, ["1-28-1"]);
        assert_eq!(v.selector_source, SelectorSource::Gateway);
        let ns = "---\napiVersion: v1\nkind: Namespace\nmetadata:\n  name: shop\n  labels:\n    istio-injection: enabled\n    istio.io/rev: 1-27-0\n";
        let inv = inventory(&format!("{GW}{ns}"));
        let v = resolve(&inv, &istiods, &tags).remove(0);
        assert_eq!(
            (v.owners, v.selector_source),
            (vec!["1-27-0".to_string()], SelectorSource::Namespace)
        );
    }

    #[test]
    fn only_istio_classes_count_and_istios_own_gateway_kind_is_not_one() {
        let other = GW.replace("gatewayClassName: istio", "gatewayClassName: cilium");
        let istio_gateway = "---\napiVersion: networking.istio.io/v1\nkind: Gateway\nmetadata:\n  name: legacy\n  namespace: shop\nspec:\n  selector: {istio: ingressgateway}\n";
        let inv = inventory(&format!("{other}{NS}{istio_gateway}"));
        assert!(resolve(&inv, &[], &[]).is_empty());
        assert_eq!(
            inv.gateways.len(),
            1,
            "networking.istio.io Gateway is skipped"
        );
        let class = "---\napiVersion: gateway.networking.k8s.io/v1\nkind: GatewayClass\nmetadata:\n  name: cilium\nspec:\n  controllerName: istio.io/gateway-controller\n";
        let inv = inventory(&format!("{other}{NS}{class}"));
        assert_eq!(
            resolve(&inv, &[], &[]).len(),
            1,
            "a user class with Istio's controller"
        );
    }

    #[test]
    fn programmed_reads_true_or_its_status_and_reason() {
        let mut v = resolve(&inventory(&format!("{GW}{NS}")), &[], &[]).remove(0);
        assert_eq!(v.programmed_text(), "-");
        v.programmed = Some(("True".into(), "Programmed".into()));
        assert_eq!(v.programmed_text(), "True");
        v.programmed = Some(("False".into(), "AddressNotAssigned".into()));
        assert_eq!(v.programmed_text(), "False (AddressNotAssigned)");
    }

    #[test]
    fn the_built_in_east_west_class_deploys_a_gateway_without_its_gatewayclass_object() {
        let gw = GW.replace(
            "gatewayClassName: istio",
            "gatewayClassName: istio-east-west",
        );
        let views = resolve(&inventory(&format!("{gw}{NS}")), &[], &[]);
        assert_eq!(views.len(), 1);
        assert_eq!(views[0].kind, DeployedKind::Gateway);
    }

    #[test]
    fn only_the_default_validator_names_the_default_revision() {
        // A revision's own validator, listed first, names its revision, not the default.
        let vwc = |name: &str, rev: &str| {
            format!(
                "---\napiVersion: admissionregistration.k8s.io/v1\nkind: ValidatingWebhookConfiguration\nmetadata:\n  name: {name}\n  labels:\n    istio.io/rev: {rev}\n"
            )
        };
        let inv = inventory(&format!(
            "{GW}{NS}{}{}",
            vwc("istio-validator-1-28-0-istio-system", "1-28-0"),
            vwc("istiod-default-validator", "1-28-1")
        ));
        let vwc_default = vwc("istiod-default-validator", "1-28-1");
        let istiods = [cp("1-28-0", "1.28.0"), cp("1-28-1", "1.28.1")];
        assert_eq!(owners(&inv, &istiods, &[]), ["1-28-1"]);
        // Another injector is no default tag; the default tag's webhook turns the fallback off.
        let injector = "---\napiVersion: admissionregistration.k8s.io/v1\nkind: MutatingWebhookConfiguration\nmetadata:\n  name: istio-sidecar-injector-1-28-1\n";
        let with_injector = inventory(&format!("{GW}{NS}{vwc_default}{injector}"));
        assert_eq!(owners(&with_injector, &istiods, &[]), ["1-28-1"]);
        let tag = injector.replace(
            "istio-sidecar-injector-1-28-1",
            "istio-revision-tag-default",
        );
        let with_tag = inventory(&format!("{GW}{NS}{vwc_default}{tag}"));
        assert!(owners(&with_tag, &istiods, &[]).is_empty());
    }

    #[test]
    fn a_waypoint_serves_its_namespace_and_those_that_name_it_with_its_namespace() {
        let waypoint = GW.replace("name: web", "name: waypoint").replace(
            "gatewayClassName: istio",
            "gatewayClassName: istio-waypoint",
        );
        let ns = |name: &str, labels: &str| {
            format!(
                "---\napiVersion: v1\nkind: Namespace\nmetadata:\n  name: {name}\n  labels: {{{labels}}}\n"
            )
        };
        let y = [
            waypoint,
            // Its own namespace, labelled for it too: listed once.
            ns("shop", "istio.io/use-waypoint: waypoint"),
            // Names a waypoint of that name in its own namespace, not shop's.
            ns("a", "istio.io/use-waypoint: waypoint"),
            ns(
                "b",
                "istio.io/use-waypoint: waypoint, istio.io/use-waypoint-namespace: shop",
            ),
            ns(
                "c",
                "istio.io/use-waypoint: other, istio.io/use-waypoint-namespace: shop",
            ),
            ns("d", "istio.io/use-waypoint-namespace: shop"),
        ]
        .concat();
        let v = resolve(&inventory(&y), &[], &[]).remove(0);
        assert_eq!(v.kind, DeployedKind::Waypoint);
        assert_eq!(v.serves, ["shop", "b"]);
    }
}
