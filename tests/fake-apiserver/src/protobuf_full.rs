//! Full objects of the built-in kinds the plugin lists (Namespaces, Deployments, ReplicaSets,
//! StatefulSets, DaemonSets, Mutating- and ValidatingWebhookConfigurations) as protobuf, encoded from the JSON the
//! fake holds (recording 92).
//!
//! The schema below names each message's fields by their JSON name, field number and Go shape
//! (looked up in k8s.io/api's `types.go`/`generated.proto`): Go's generated marshallers write a
//! non-pointer field even when the JSON omits it (zero, empty string, or the empty message with
//! its own non-pointer fields), a pointer only when set, inline structs (`json:""`, a probe's
//! handler, a volume's source) from the enclosing JSON object. Only the messages the kinds above
//! reach are declared; a JSON field the schema does not know is reported by [`unknown_fields`]
//! so a test can keep the schema complete for the objects the tests load.

use crate::protobuf::{bytes, int, message, object_meta, string, time};
use serde_json::Value;
use std::collections::HashMap;
use std::sync::OnceLock;

/// One message per line: `Name: jsonName=number:shape ...`. Shapes: `s` string, `i` integer,
/// `b` bool, `q` Quantity, `ios` IntOrString, `t` Time, `y` bytes (base64 in JSON), `meta`
/// ObjectMeta, `{s}`/`{q}` maps of strings/Quantities, a message name; `?` a pointer (written
/// only when set), `[..]` repeated, `^` inline.
const SCHEMA: &str = "
Deployment: metadata=1:meta spec=2:DeploymentSpec status=3:DeploymentStatus
DeploymentSpec: replicas=1:i? selector=2:LabelSelector? template=3:PodTemplateSpec strategy=4:DeploymentStrategy minReadySeconds=5:i revisionHistoryLimit=6:i? paused=7:b progressDeadlineSeconds=9:i?
DeploymentStrategy: type=1:s rollingUpdate=2:RollingUpdate?
RollingUpdate: maxUnavailable=1:ios? maxSurge=2:ios?
DeploymentStatus: observedGeneration=1:i replicas=2:i updatedReplicas=3:i availableReplicas=4:i unavailableReplicas=5:i conditions=6:[DeploymentCondition] readyReplicas=7:i collisionCount=8:i? terminatingReplicas=9:i?
DeploymentCondition: type=1:s status=2:s reason=4:s message=5:s lastUpdateTime=6:t lastTransitionTime=7:t
ReplicaSet: metadata=1:meta spec=2:ReplicaSetSpec status=3:ReplicaSetStatus
ReplicaSetSpec: replicas=1:i? selector=2:LabelSelector? template=3:PodTemplateSpec minReadySeconds=4:i
ReplicaSetStatus: replicas=1:i fullyLabeledReplicas=2:i observedGeneration=3:i readyReplicas=4:i availableReplicas=5:i conditions=6:[Condition3] terminatingReplicas=7:i?
Condition3: type=1:s status=2:s lastTransitionTime=3:t reason=4:s message=5:s
StatefulSet: metadata=1:meta spec=2:StatefulSetSpec status=3:StatefulSetStatus
StatefulSetSpec: replicas=1:i? selector=2:LabelSelector? template=3:PodTemplateSpec serviceName=5:s podManagementPolicy=6:s updateStrategy=7:StatefulSetUpdateStrategy revisionHistoryLimit=8:i? minReadySeconds=9:i persistentVolumeClaimRetentionPolicy=10:RetentionPolicy?
StatefulSetUpdateStrategy: type=1:s rollingUpdate=2:RollingUpdateStatefulSet?
RollingUpdateStatefulSet: partition=1:i? maxUnavailable=2:ios?
RetentionPolicy: whenDeleted=1:s whenScaled=2:s
StatefulSetStatus: observedGeneration=1:i replicas=2:i readyReplicas=3:i currentReplicas=4:i updatedReplicas=5:i currentRevision=6:s updateRevision=7:s collisionCount=9:i? conditions=10:[Condition3] availableReplicas=11:i
DaemonSet: metadata=1:meta spec=2:DaemonSetSpec status=3:DaemonSetStatus
DaemonSetSpec: selector=1:LabelSelector? template=2:PodTemplateSpec updateStrategy=3:DaemonSetUpdateStrategy minReadySeconds=4:i revisionHistoryLimit=6:i?
DaemonSetUpdateStrategy: type=1:s rollingUpdate=2:RollingUpdate?
DaemonSetStatus: currentNumberScheduled=1:i numberMisscheduled=2:i desiredNumberScheduled=3:i numberReady=4:i observedGeneration=5:i updatedNumberScheduled=6:i numberAvailable=7:i numberUnavailable=8:i collisionCount=9:i? conditions=10:[Condition3]
Namespace: metadata=1:meta spec=2:NamespaceSpec status=3:NamespaceStatus
NamespaceSpec: finalizers=1:[s]
NamespaceStatus: phase=1:s conditions=2:[NamespaceCondition]
NamespaceCondition: type=1:s status=2:s lastTransitionTime=4:t reason=5:s message=6:s
MutatingWebhookConfiguration: metadata=1:meta webhooks=2:[MutatingWebhook]
MutatingWebhook: name=1:s clientConfig=2:WebhookClientConfig rules=3:[RuleWithOperations] failurePolicy=4:s? namespaceSelector=5:LabelSelector? sideEffects=6:s? timeoutSeconds=7:i? admissionReviewVersions=8:[s] matchPolicy=9:s? reinvocationPolicy=10:s? objectSelector=11:LabelSelector? matchConditions=12:[MatchCondition]
ValidatingWebhookConfiguration: metadata=1:meta webhooks=2:[ValidatingWebhook]
ValidatingWebhook: name=1:s clientConfig=2:WebhookClientConfig rules=3:[RuleWithOperations] failurePolicy=4:s? namespaceSelector=5:LabelSelector? sideEffects=6:s? timeoutSeconds=7:i? admissionReviewVersions=8:[s] matchPolicy=9:s? objectSelector=10:LabelSelector? matchConditions=11:[MatchCondition]
WebhookClientConfig: service=1:ServiceReference? caBundle=2:y? url=3:s?
ServiceReference: namespace=1:s name=2:s path=3:s? port=4:i?
RuleWithOperations: operations=1:[s] rule=2:^Rule
Rule: apiGroups=1:[s] apiVersions=2:[s] resources=3:[s] scope=4:s?
MatchCondition: name=1:s expression=2:s
LabelSelector: matchLabels=1:{s} matchExpressions=2:[Requirement]
Requirement: key=1:s operator=2:s values=3:[s]
PodTemplateSpec: metadata=1:meta spec=2:PodSpec
PodSpec: volumes=1:[Volume] containers=2:[Container] restartPolicy=3:s terminationGracePeriodSeconds=4:i? activeDeadlineSeconds=5:i? dnsPolicy=6:s nodeSelector=7:{s} serviceAccountName=8:s serviceAccount=9:s nodeName=10:s hostNetwork=11:b hostPID=12:b hostIPC=13:b securityContext=14:PodSecurityContext? imagePullSecrets=15:[LocalObjectReference] hostname=16:s subdomain=17:s affinity=18:Affinity? schedulerName=19:s initContainers=20:[Container] automountServiceAccountToken=21:b? tolerations=22:[Toleration] hostAliases=23:[HostAlias] priorityClassName=24:s priority=25:i? dnsConfig=26:PodDNSConfig? shareProcessNamespace=27:b? readinessGates=28:[ReadinessGate] runtimeClassName=29:s? enableServiceLinks=30:b? preemptionPolicy=31:s? overhead=32:{q} topologySpreadConstraints=33:[TopologySpreadConstraint] setHostnameAsFQDN=35:b? os=36:PodOS? hostUsers=37:b?
Container: name=1:s image=2:s command=3:[s] args=4:[s] workingDir=5:s ports=6:[ContainerPort] env=7:[EnvVar] resources=8:ResourceRequirements volumeMounts=9:[VolumeMount] livenessProbe=10:Probe? readinessProbe=11:Probe? lifecycle=12:Lifecycle? terminationMessagePath=13:s imagePullPolicy=14:s securityContext=15:SecurityContext? stdin=16:b stdinOnce=17:b tty=18:b envFrom=19:[EnvFromSource] terminationMessagePolicy=20:s startupProbe=22:Probe? restartPolicy=24:s?
ContainerPort: name=1:s hostPort=2:i containerPort=3:i protocol=4:s hostIP=5:s
EnvVar: name=1:s value=2:s valueFrom=3:EnvVarSource?
EnvVarSource: fieldRef=1:ObjectFieldSelector? resourceFieldRef=2:ResourceFieldSelector? configMapKeyRef=3:KeySelector? secretKeyRef=4:KeySelector?
ObjectFieldSelector: apiVersion=1:s fieldPath=2:s
ResourceFieldSelector: containerName=1:s resource=2:s divisor=3:q
KeySelector: localObjectReference=1:^LocalObjectReference key=2:s optional=3:b?
EnvFromSource: prefix=1:s configMapRef=2:EnvSource? secretRef=3:EnvSource?
EnvSource: localObjectReference=1:^LocalObjectReference optional=2:b?
LocalObjectReference: name=1:s
ResourceRequirements: limits=1:{q} requests=2:{q}
VolumeMount: name=1:s readOnly=2:b mountPath=3:s subPath=4:s mountPropagation=5:s? subPathExpr=6:s
Probe: handler=1:^ProbeHandler initialDelaySeconds=2:i timeoutSeconds=3:i periodSeconds=4:i successThreshold=5:i failureThreshold=6:i terminationGracePeriodSeconds=7:i?
ProbeHandler: exec=1:ExecAction? httpGet=2:HTTPGetAction? tcpSocket=3:TCPSocketAction? grpc=4:GRPCAction?
ExecAction: command=1:[s]
HTTPGetAction: path=1:s port=2:ios host=3:s scheme=4:s httpHeaders=5:[HTTPHeader]
HTTPHeader: name=1:s value=2:s
TCPSocketAction: port=1:ios host=2:s
GRPCAction: port=1:i service=2:s?
Lifecycle: postStart=1:LifecycleHandler? preStop=2:LifecycleHandler?
LifecycleHandler: exec=1:ExecAction? httpGet=2:HTTPGetAction? tcpSocket=3:TCPSocketAction?
SecurityContext: capabilities=1:Capabilities? privileged=2:b? seLinuxOptions=3:SELinuxOptions? runAsUser=4:i? runAsNonRoot=5:b? readOnlyRootFilesystem=6:b? allowPrivilegeEscalation=7:b? runAsGroup=8:i? procMount=9:s? seccompProfile=11:SeccompProfile?
Capabilities: add=1:[s] drop=2:[s]
SELinuxOptions: user=1:s role=2:s type=3:s level=4:s
SeccompProfile: type=1:s localhostProfile=2:s?
PodSecurityContext: seLinuxOptions=1:SELinuxOptions? runAsUser=2:i? runAsNonRoot=3:b? supplementalGroups=4:[i] fsGroup=5:i? runAsGroup=6:i? sysctls=7:[Sysctl] fsGroupChangePolicy=9:s? seccompProfile=10:SeccompProfile?
Sysctl: name=1:s value=2:s
Volume: name=1:s volumeSource=2:^VolumeSource
VolumeSource: hostPath=1:HostPathVolumeSource? emptyDir=2:EmptyDirVolumeSource? secret=6:SecretVolumeSource? persistentVolumeClaim=10:PVCVolumeSource? downwardAPI=16:DownwardAPIVolumeSource? configMap=19:ConfigMapVolumeSource? projected=26:ProjectedVolumeSource? csi=28:CSIVolumeSource?
HostPathVolumeSource: path=1:s type=2:s?
EmptyDirVolumeSource: medium=1:s sizeLimit=2:q?
SecretVolumeSource: secretName=1:s items=2:[KeyToPath] defaultMode=3:i? optional=4:b?
PVCVolumeSource: claimName=1:s readOnly=2:b
DownwardAPIVolumeSource: items=1:[DownwardAPIVolumeFile] defaultMode=2:i?
DownwardAPIVolumeFile: path=1:s fieldRef=2:ObjectFieldSelector? resourceFieldRef=3:ResourceFieldSelector? mode=4:i?
ConfigMapVolumeSource: localObjectReference=1:^LocalObjectReference items=2:[KeyToPath] defaultMode=3:i? optional=4:b?
KeyToPath: key=1:s path=2:s mode=3:i?
ProjectedVolumeSource: sources=1:[VolumeProjection] defaultMode=2:i?
VolumeProjection: secret=1:SecretProjection? downwardAPI=2:DownwardAPIProjection? configMap=3:SecretProjection? serviceAccountToken=4:ServiceAccountTokenProjection?
SecretProjection: localObjectReference=1:^LocalObjectReference items=2:[KeyToPath] optional=4:b?
DownwardAPIProjection: items=1:[DownwardAPIVolumeFile]
ServiceAccountTokenProjection: audience=1:s expirationSeconds=2:i? path=3:s
CSIVolumeSource: driver=1:s readOnly=2:b? fsType=3:s? volumeAttributes=4:{s}
Toleration: key=1:s operator=2:s value=3:s effect=4:s tolerationSeconds=5:i?
HostAlias: ip=1:s hostnames=2:[s]
PodDNSConfig: nameservers=1:[s] searches=2:[s] options=3:[PodDNSConfigOption]
PodDNSConfigOption: name=1:s value=2:s?
ReadinessGate: conditionType=1:s
PodOS: name=1:s
TopologySpreadConstraint: maxSkew=1:i topologyKey=2:s whenUnsatisfiable=3:s labelSelector=4:LabelSelector? minDomains=5:i? nodeAffinityPolicy=6:s? nodeTaintsPolicy=7:s? matchLabelKeys=8:[s]
Affinity: nodeAffinity=1:NodeAffinity? podAffinity=2:PodAffinity? podAntiAffinity=3:PodAffinity?
NodeAffinity: requiredDuringSchedulingIgnoredDuringExecution=1:NodeSelector? preferredDuringSchedulingIgnoredDuringExecution=2:[PreferredSchedulingTerm]
NodeSelector: nodeSelectorTerms=1:[NodeSelectorTerm]
NodeSelectorTerm: matchExpressions=1:[Requirement] matchFields=2:[Requirement]
PreferredSchedulingTerm: weight=1:i preference=2:NodeSelectorTerm
PodAffinity: requiredDuringSchedulingIgnoredDuringExecution=1:[PodAffinityTerm] preferredDuringSchedulingIgnoredDuringExecution=2:[WeightedPodAffinityTerm]
WeightedPodAffinityTerm: weight=1:i podAffinityTerm=2:PodAffinityTerm
PodAffinityTerm: labelSelector=1:LabelSelector? namespaces=2:[s] topologyKey=3:s namespaceSelector=4:LabelSelector? matchLabelKeys=5:[s] mismatchLabelKeys=6:[s]
";

/// The kinds whose full objects the fake serves as protobuf.
pub const KINDS: [&str; 7] = [
    "Namespace",
    "Deployment",
    "ReplicaSet",
    "StatefulSet",
    "DaemonSet",
    "MutatingWebhookConfiguration",
    "ValidatingWebhookConfiguration",
];

#[derive(Clone, Copy)]
enum Shape {
    Str,
    Int,
    Bool,
    Quantity,
    IntOrString,
    Time,
    Bytes,
    Meta,
    StrMap,
    QuantityMap,
    Message(&'static str),
}

struct Field {
    name: &'static str,
    number: u32,
    shape: Shape,
    pointer: bool,
    repeated: bool,
    inline: bool,
}

fn schema() -> &'static HashMap<&'static str, Vec<Field>> {
    static SCHEMA_MAP: OnceLock<HashMap<&'static str, Vec<Field>>> = OnceLock::new();
    SCHEMA_MAP.get_or_init(|| {
        let mut out = HashMap::new();
        for line in SCHEMA.lines().filter(|l| !l.trim().is_empty()) {
            let (name, fields) = line.split_once(':').expect("message name");
            let mut parsed: Vec<Field> = fields
                .split_whitespace()
                .map(|f| {
                    let (json, rest) = f.split_once('=').expect("field name");
                    let (number, shape) = rest.split_once(':').expect("field number");
                    let pointer = shape.ends_with('?');
                    let shape = shape.trim_end_matches('?');
                    let repeated = shape.starts_with('[');
                    let shape = shape.trim_matches(|c| c == '[' || c == ']');
                    let inline = shape.starts_with('^');
                    let shape = match shape.trim_start_matches('^') {
                        "s" => Shape::Str,
                        "i" => Shape::Int,
                        "b" => Shape::Bool,
                        "q" => Shape::Quantity,
                        "ios" => Shape::IntOrString,
                        "t" => Shape::Time,
                        "y" => Shape::Bytes,
                        "meta" => Shape::Meta,
                        "{s}" => Shape::StrMap,
                        "{q}" => Shape::QuantityMap,
                        m => Shape::Message(m),
                    };
                    Field {
                        name: json,
                        number: number.parse().expect("number"),
                        shape,
                        pointer,
                        repeated,
                        inline,
                    }
                })
                .collect();
            parsed.sort_by_key(|f| f.number);
            out.insert(name.trim(), parsed);
        }
        out
    })
}

/// A stored object of one of [`KINDS`] (its JSON, without `kind`/`apiVersion`) as its message.
pub fn object(kind: &str, json: &Value) -> Vec<u8> {
    let mut out = Vec::new();
    encode(kind, Some(json), &mut out);
    out
}

fn encode(message_name: &str, json: Option<&Value>, out: &mut Vec<u8>) {
    let fields = &schema()[message_name];
    for f in fields {
        let value = if f.inline {
            json
        } else {
            json.and_then(|j| j.get(f.name)).filter(|v| !v.is_null())
        };
        if f.repeated {
            for item in value.and_then(Value::as_array).into_iter().flatten() {
                scalar(f, Some(item), out);
            }
            continue;
        }
        if value.is_none() && f.pointer {
            continue;
        }
        match f.shape {
            Shape::StrMap | Shape::QuantityMap => {
                // sorted by key, as Go writes maps
                let mut entries: Vec<(&String, &Value)> = value
                    .and_then(Value::as_object)
                    .into_iter()
                    .flatten()
                    .collect();
                entries.sort_by(|a, b| a.0.cmp(b.0));
                for (k, v) in entries {
                    message(out, f.number, |e| {
                        string(e, 1, k);
                        match f.shape {
                            Shape::QuantityMap => message(e, 2, |q| string(q, 1, &quantity(v))),
                            _ => string(e, 2, v.as_str().unwrap_or_default()),
                        }
                    });
                }
            }
            _ => scalar(f, value, out),
        }
    }
}

fn quantity(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// One value of a field: `None` writes the zero a non-pointer Go field holds.
fn scalar(f: &Field, value: Option<&Value>, out: &mut Vec<u8>) {
    let n = f.number;
    match f.shape {
        Shape::Str => string(out, n, value.and_then(Value::as_str).unwrap_or_default()),
        Shape::Int => int(out, n, value.and_then(Value::as_i64).unwrap_or_default()),
        Shape::Bool => int(
            out,
            n,
            i64::from(value.and_then(Value::as_bool).unwrap_or_default()),
        ),
        Shape::Quantity => message(out, n, |q| {
            string(q, 1, &value.map(quantity).unwrap_or_else(|| "0".into()))
        }),
        Shape::IntOrString => message(out, n, |o| match value {
            Some(Value::String(s)) => {
                int(o, 1, 1);
                int(o, 2, 0);
                string(o, 3, s);
            }
            v => {
                int(o, 1, 0);
                int(o, 2, v.and_then(Value::as_i64).unwrap_or_default());
                string(o, 3, "");
            }
        }),
        Shape::Time => time(out, n, value.and_then(Value::as_str)),
        Shape::Bytes => {
            use base64::Engine as _;
            let b64 = value.and_then(Value::as_str).unwrap_or_default();
            let raw = base64::engine::general_purpose::STANDARD
                .decode(b64)
                .unwrap_or_default();
            bytes(out, n, &raw);
        }
        Shape::Meta => {
            let json = serde_json::to_vec(value.unwrap_or(&Value::Null)).expect("json");
            let json = if value.is_none() {
                b"{}".to_vec()
            } else {
                json
            };
            bytes(out, n, &object_meta(&json).expect("stored metadata"));
        }
        Shape::Message(m) => message(out, n, |inner| encode(m, value, inner)),
        Shape::StrMap | Shape::QuantityMap => unreachable!("maps are written by encode"),
    }
}

/// The JSON paths of `json` (an object of `kind`) the schema does not declare: fields the fake
/// would drop from its protobuf answers.
pub fn unknown_fields(kind: &str, json: &Value) -> Vec<String> {
    let mut out = Vec::new();
    walk(kind, json, "", &mut out);
    out
}

/// A message's fields with those of its inline structs in their place: the JSON object's keys.
fn flattened(message_name: &str) -> Vec<&'static Field> {
    let mut out = Vec::new();
    for f in &schema()[message_name] {
        match f.shape {
            Shape::Message(m) if f.inline => out.extend(flattened(m)),
            _ => out.push(f),
        }
    }
    out
}

fn walk(message_name: &str, json: &Value, path: &str, out: &mut Vec<String>) {
    let Some(obj) = json.as_object() else { return };
    let fields = flattened(message_name);
    for (k, v) in obj {
        let here = format!("{path}.{k}");
        match fields.iter().find(|f| f.name == k) {
            Some(Field {
                shape: Shape::Message(m),
                ..
            }) => match v {
                Value::Array(items) => items.iter().for_each(|i| walk(m, i, &here, out)),
                v => walk(m, v, &here, out),
            },
            Some(_) => {}
            None if message_name_is_top(message_name) && is_type_meta(k) => {}
            None => out.push(here),
        }
    }
}

fn message_name_is_top(name: &str) -> bool {
    KINDS.contains(&name)
}

fn is_type_meta(k: &str) -> bool {
    k == "kind" || k == "apiVersion"
}
