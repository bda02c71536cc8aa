//! Command-line interface. kubectl passes every flag through to a plugin untouched, so the
//! plugin implements kubectl's own flags itself.

use crate::finding::FailOn;
use crate::render::{ColorChoice, Format};
use clap::{Args, Parser, Subcommand};

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
    Status(Box<StatusArgs>),
    /// IstioOperator CRs that would fight over the same objects, and the gateway guide's rules.
    CheckOverlap(Box<crate::overlap::CheckOverlapArgs>),
    /// Save what the checks read from the cluster (the format --snapshot reads), for a bug report
    /// or an offline replay. Secrets are never read, so never written.
    Snapshot(Box<SnapshotArgs>),
    /// The rendered IstioOperator output against the cluster: drifted, missing, orphaned,
    /// unmanaged and owned by another CR (exit 0 no drift, 1 drift, 2 bad input, 3 cluster error).
    Diff(Box<crate::diff::DiffArgs>),
    /// Print the finding catalogue: every code, its default severity and meaning.
    Codes(OutputArgs),
}

#[derive(Debug, Args)]
pub struct SourceArgs {
    /// Read the cluster from a snapshot (`kubectl get ... -A -o yaml|json` output) instead of a
    /// live cluster: a file, a directory of *.yaml/*.yml/*.json, or - for stdin. Repeatable.
    #[arg(long = "snapshot", value_name = "PATH")]
    pub snapshots: Vec<String>,

    /// Only look at this namespace (control planes and injectors stay in view).
    #[arg(short = 'n', long)]
    pub namespace: Option<String>,

    /// Look at all namespaces (the default; overrides -n, as in kubectl).
    #[arg(short = 'A', long)]
    pub all_namespaces: bool,

    /// Only pods matching this label selector (live cluster).
    #[arg(short = 'l', long = "selector", value_name = "SELECTOR")]
    pub selector: Option<String>,

    /// Path to the kubeconfig file (default: $KUBECONFIG, several files merged, or ~/.kube/config;
    /// in a pod, the in-cluster service account).
    #[arg(long, value_name = "PATH")]
    pub kubeconfig: Option<String>,

    /// The kubeconfig context to use; a comma-separated list checks each cluster concurrently
    /// and prints one combined report.
    #[arg(long, value_name = "NAME[,NAME...]")]
    pub context: Option<String>,

    /// Check every context of the kubeconfig, concurrently, in one combined report.
    #[arg(long, conflicts_with = "context")]
    pub all_contexts: bool,

    /// The kubeconfig cluster to use.
    #[arg(long, value_name = "NAME")]
    pub cluster: Option<String>,

    /// The kubeconfig user to use.
    #[arg(long, value_name = "NAME")]
    pub user: Option<String>,

    /// Objects per page when listing (as kubectl's --chunk-size).
    #[arg(long, value_name = "N", default_value_t = 500, value_parser = clap::value_parser!(u32).range(1..))]
    pub chunk_size: u32,

    /// How long to wait for each API request (e.g. 30s, 1m; 0 = no limit).
    #[arg(long, value_name = "DURATION", value_parser = parse_timeout)]
    pub request_timeout: Option<std::time::Duration>,
}

/// `0` (no limit) becomes a zero duration here and no timeout in [`SourceArgs::connect_args`].
fn parse_timeout(s: &str) -> Result<std::time::Duration, String> {
    crate::live::client::parse_timeout(s).map(Option::unwrap_or_default)
}

impl SourceArgs {
    /// The contexts of a fleet run, or `None` for a single cluster (or a snapshot).
    pub fn fleet(&self) -> Result<Option<Vec<String>>, crate::error::Error> {
        if self.all_contexts {
            return crate::live::client::contexts(self.kubeconfig.as_deref()).map(Some);
        }
        let Some(list) = self.context.as_deref().filter(|c| c.contains(',')) else {
            return Ok(None);
        };
        let contexts: Vec<String> = list
            .split(',')
            .map(str::trim)
            .filter(|c| !c.is_empty())
            .map(str::to_string)
            .collect();
        Ok(Some(contexts))
    }

    pub fn connect_args(&self) -> crate::live::client::ConnectArgs {
        crate::live::client::ConnectArgs {
            kubeconfig: self.kubeconfig.clone(),
            context: self.context.clone(),
            cluster: self.cluster.clone(),
            user: self.user.clone(),
            request_timeout: self.request_timeout.filter(|d| !d.is_zero()),
        }
    }

    /// The namespace to narrow to; kubectl's rule: `-A` beats `-n`.
    pub fn narrowed_to(&self) -> Option<&str> {
        if self.all_namespaces {
            None
        } else {
            self.namespace.as_deref()
        }
    }
}

#[derive(Debug, Args, Clone)]
pub struct OutputArgs {
    /// Output format.
    #[arg(short = 'o', long = "output", value_enum, default_value_t = Format::Table)]
    pub format: Format,

    /// When to color the table output (NO_COLOR is honoured under auto).
    #[arg(long, value_enum, default_value_t = ColorChoice::Auto)]
    pub color: ColorChoice,

    /// Same as --color never.
    #[arg(long)]
    pub no_color: bool,
}

impl OutputArgs {
    pub fn color_choice(&self) -> ColorChoice {
        if self.no_color {
            ColorChoice::Never
        } else {
            self.color
        }
    }
}

#[derive(Debug, Args)]
pub struct StatusArgs {
    #[command(flatten)]
    pub source: SourceArgs,

    /// The revision the upgrade is moving to (default: the newest control plane).
    #[arg(long, value_name = "REV")]
    pub target: Option<String>,

    /// Exit 1 when a finding at or above this severity exists.
    #[arg(long, value_enum, default_value_t = FailOn::Error)]
    pub fail_on: FailOn,

    #[command(flatten)]
    pub output: OutputArgs,
}

#[derive(Debug, Args)]
pub struct SnapshotArgs {
    #[command(flatten)]
    pub source: SourceArgs,

    /// Output format of the snapshot.
    #[arg(short = 'o', long = "output", value_enum, default_value_t = SnapshotFormat::Yaml)]
    pub format: SnapshotFormat,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum SnapshotFormat {
    Yaml,
    Json,
}
