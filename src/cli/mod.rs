//! The command line: the top-level [`Cli`] and its commands, and ([`flags`]) the flag groups every
//! command shares. kubectl passes every flag through to a plugin untouched, so the plugin
//! implements kubectl's own flags itself. Each command's own flags live beside it in
//! [`crate::cmd`]; domain modules never see a clap type.

pub mod flags;

pub use flags::{OutputArgs, PlainOutputArgs, PolicyArgs, SourceArgs};

use clap::{Parser, Subcommand};

#[derive(Debug, Parser)]
#[command(
    name = "kubectl-istio_rev",
    bin_name = "kubectl istio-rev",
    version,
    about = "Istio revisions, canary upgrades and gateways: where the mesh stands and what is wrong",
    long_about = None
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Control-plane revisions and tags, gateways, namespaces and pods per revision, with findings.
    Status(Box<crate::cmd::status::Args>),
    /// IstioOperator CRs and Helm releases that would fight over the same objects, and the
    /// gateway guide's rules.
    CheckOverlap(Box<crate::cmd::check_overlap::Args>),
    /// Save what the checks read from the cluster (the format --snapshot reads), for a bug report
    /// or an offline replay. Secrets are never read, so never written.
    Snapshot(Box<crate::cmd::snapshot::Args>),
    /// Rendered output (an IstioOperator's, or a Helm release's) against the cluster: drifted,
    /// missing, orphaned, unmanaged and owned elsewhere.
    Diff(Box<crate::cmd::diff::Args>),
    /// Print the finding catalogue: every code, its default severity and meaning.
    Codes(PlainOutputArgs),
    /// Explain a finding code: what it means, why it matters, how to fix it, an example.
    Explain(crate::cmd::explain::Args),
    /// Pipeline gates: pre-upgrade, post-upgrade and remove-revision. Each prints which checks
    /// ran, passed, failed or could not run.
    #[command(subcommand)]
    Gate(crate::cmd::gate::Gate),
    /// The plugin's version, the server's Kubernetes version and each control-plane revision's
    /// Istio version.
    Version(Box<crate::cmd::version::Args>),
    /// Print a shell completion script (bash, zsh, fish, powershell); see the README to install.
    Completion(crate::cmd::completion::Args),
}
