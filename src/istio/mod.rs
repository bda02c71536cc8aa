//! The Istio install model shared by `check-overlap`, `diff` and the commands that act on an
//! install: IstioOperator parsing and merging ([`iop`]), the embedded profiles ([`profiles`]),
//! running istioctl ([`istioctl`]), rendered manifests and their object identities
//! ([`manifest`]), istioctl's owner labels and prune rules ([`owner`]), Helm's release marks, chart kinds and
//! `helm template` ([`helm`]), the two behind one interface ([`installer`]), and every Istio label
//! and annotation name ([`labels`]).

pub mod helm;
pub mod installer;
pub mod iop;
pub mod istioctl;
pub mod labels;
pub mod manifest;
pub mod objects;
pub mod owner;
pub mod profiles;
