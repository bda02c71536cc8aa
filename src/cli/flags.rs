//! The flag groups every command shares: where the cluster comes from ([`SourceArgs`], with
//! kubectl's own flags) and how to print ([`OutputArgs`]), and clap's view of the domain's enums.

use crate::finding::FailOn;
use crate::render::{ColorChoice, Format};
use crate::source;
use clap::Args;

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

    #[command(flatten)]
    pub impersonation: ImpersonationArgs,
}

/// kubectl's impersonation flags: see what another identity (a CI token's service account)
/// would see, with the caller's credentials and its `impersonate` right.
#[derive(Debug, Args, Default, Clone)]
pub struct ImpersonationArgs {
    /// Username to impersonate for the operation (a user or system:serviceaccount:NS:NAME).
    #[arg(long = "as", value_name = "USER")]
    pub as_user: Option<String>,

    /// Group to impersonate for the operation; repeatable.
    #[arg(long = "as-group", value_name = "GROUP", requires = "as_user")]
    pub as_groups: Vec<String>,

    /// UID to impersonate for the operation.
    #[arg(long = "as-uid", value_name = "UID", requires = "as_user")]
    pub as_uid: Option<String>,
}

/// `0` (no limit) becomes a zero duration here and no timeout in [`SourceArgs::connect_args`].
fn parse_timeout(s: &str) -> Result<std::time::Duration, String> {
    source::live::client::parse_timeout(s).map(Option::unwrap_or_default)
}

impl SourceArgs {
    /// The contexts of a fleet run, or `None` for a single cluster (or a snapshot).
    pub fn fleet(&self) -> Result<Option<Vec<String>>, crate::error::Error> {
        if self.all_contexts {
            return source::live::client::contexts(&self.connect_args()).map(Some);
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

    pub fn connect_args(&self) -> source::live::client::ConnectArgs {
        source::live::client::ConnectArgs {
            kubeconfig: self.kubeconfig.clone(),
            context: self.context.clone(),
            cluster: self.cluster.clone(),
            user: self.user.clone(),
            request_timeout: self.request_timeout.filter(|d| !d.is_zero()),
            without_cluster: "",
            impersonate: source::live::client::Impersonate {
                user: self.impersonation.as_user.clone(),
                groups: self.impersonation.as_groups.clone(),
                uid: self.impersonation.as_uid.clone(),
            },
        }
    }

    /// Where the cluster comes from, as plain values.
    pub fn options(&self) -> source::Options {
        source::Options {
            snapshots: self.snapshots.clone(),
            namespace: self.narrowed_to().map(str::to_string),
            pod_selector: self.selector.clone(),
            page_size: self.chunk_size,
            connect: self.connect_args(),
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

    #[command(flatten)]
    pub color: ColorArgs,
}

impl OutputArgs {
    pub fn color_choice(&self) -> ColorChoice {
        self.color.choice()
    }
}

/// The output flags of commands that report something other than findings (`version`,
/// `codes`): the finding formats (junit, sarif, markdown, github) are not offered, so neither
/// `-h` nor shell completion lists a format the command would refuse.
#[derive(Debug, Args, Clone)]
pub struct PlainOutputArgs {
    /// Output format.
    #[arg(short = 'o', long = "output", default_value = "table", value_parser = plain_format())]
    pub format: Format,

    #[command(flatten)]
    pub color: ColorArgs,
}

impl PlainOutputArgs {
    pub fn color_choice(&self) -> ColorChoice {
        self.color.choice()
    }
}

fn plain_format() -> impl clap::builder::TypedValueParser<Value = Format> {
    use clap::builder::TypedValueParser;
    clap::builder::PossibleValuesParser::new(["table", "json", "yaml"])
        .map(|s: String| <Format as clap::ValueEnum>::from_str(&s, false).unwrap_or(Format::Table))
}

#[derive(Debug, Args, Clone)]
pub struct ColorArgs {
    /// When to color the table output (NO_COLOR is honoured under auto).
    #[arg(long, value_enum, default_value_t = ColorChoice::Auto)]
    pub color: ColorChoice,

    /// Same as --color never.
    #[arg(long)]
    pub no_color: bool,
}

impl ColorArgs {
    pub fn choice(&self) -> ColorChoice {
        if self.no_color {
            ColorChoice::Never
        } else {
            self.color
        }
    }
}

/// What fails a run and what is waved through: the same flags on every command that reports
/// findings.
#[derive(Debug, Args, Clone, Default)]
pub struct PolicyArgs {
    /// Exit 1 when a finding at or above this severity counts (default: the command's, or the
    /// config file's failOn).
    #[arg(long, value_enum, value_name = "SEVERITY")]
    pub fail_on: Option<FailOn>,

    /// Let IR901 (something could not be checked) count as a warning instead of exiting 3.
    #[arg(long)]
    pub allow_partial: bool,

    /// Suppress findings: CODE[=KIND/NAMESPACE/NAME], globs allowed (IR10?, Deployment/legacy/*;
    /// cluster-scoped: KIND//NAME). Suppressed findings are listed and never count. Repeatable.
    #[arg(long = "ignore", value_name = "RULE")]
    pub ignores: Vec<String>,

    /// A policy file: failOn, allowPartial, ignore rules (and diff's ignorePaths).
    #[arg(long, value_name = "FILE")]
    pub config: Option<String>,
}

/// The policy a run applies, from the flags, the config file and the command's default.
pub struct Resolved {
    pub policy: crate::verdict::Policy,
    pub suppressor: crate::suppress::Suppressor,
}

impl PolicyArgs {
    pub fn resolve(&self, default_fail_on: FailOn) -> Result<Resolved, crate::error::Error> {
        use crate::suppress::{Rule, Suppressor};
        let config = self
            .config
            .as_deref()
            .map(crate::config::Config::read)
            .transpose()?;
        let mut rules = Vec::new();
        for r in &self.ignores {
            rules.push(Rule::parse(r, "--ignore", None)?);
        }
        if let Some(c) = &config {
            for (r, reason) in &c.ignore {
                rules.push(Rule::parse(r, &c.path, reason.clone())?);
            }
        }
        let policy = crate::verdict::Policy {
            fail_on: self
                .fail_on
                .or(config.as_ref().and_then(|c| c.fail_on))
                .unwrap_or(default_fail_on),
            allow_partial: self.allow_partial
                || config
                    .as_ref()
                    .and_then(|c| c.allow_partial)
                    .unwrap_or(false),
        };
        Ok(Resolved {
            policy,
            suppressor: Suppressor::new(rules),
        })
    }
}

/// clap's view of the domain's enums, kept here so no domain module depends on clap.
macro_rules! value_enum {
    ($ty:ty { $($variant:ident => $name:literal),* $(,)? }) => {
        impl clap::ValueEnum for $ty {
            fn value_variants<'a>() -> &'a [Self] {
                &[$(<$ty>::$variant),*]
            }
            fn to_possible_value(&self) -> Option<clap::builder::PossibleValue> {
                Some(clap::builder::PossibleValue::new(match self {
                    $(<$ty>::$variant => $name),*
                }))
            }
        }
    };
}

value_enum!(Format {
    Table => "table", Json => "json", Yaml => "yaml", Junit => "junit", Sarif => "sarif",
    Markdown => "markdown", Github => "github",
});
value_enum!(ColorChoice { Auto => "auto", Always => "always", Never => "never" });
value_enum!(FailOn { Error => "error", Warning => "warning", Info => "info", None => "none" });
