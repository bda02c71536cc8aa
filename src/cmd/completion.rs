//! `completion`: shell completion, generated from the clap command so that every command, flag
//! and value added later completes without a change here.
//!
//! Two ways in, one engine (clap_complete's):
//! * `kubectl istio-rev <TAB>`: kubectl (1.26+) runs `kubectl_complete-istio_rev ARGS... WORD`
//!   and reads Cobra's protocol (one `value\thelp` per line, then `:DIRECTIVE`). That executable
//!   is `scripts/kubectl_complete-istio_rev` (it calls `kubectl-istio_rev __complete`), or a
//!   symlink to this binary under that name.
//! * `kubectl-istio_rev <TAB>`: `completion bash|zsh|fish|powershell` prints a script that asks
//!   the binary for candidates (clap_complete's environment protocol).
//!
//! Dynamic values: contexts, clusters and users from the kubeconfig; namespaces and revisions
//! (with their tags) from the cluster the command line points at; finding codes from the
//! catalogue; file names for path flags.

use crate::error::Error;
use crate::finding::CATALOGUE;
use crate::source::live::client::{ConnectArgs, Impersonate, KubeconfigNames};
use clap::{Arg, Command, CommandFactory, ValueHint};
use clap_complete::engine::{ArgValueCandidates, ArgValueCompleter, CompletionCandidate};
use clap_complete::env::Shells;
use std::ffi::{OsStr, OsString};
use std::sync::Arc;
use std::time::Duration;

/// The binary's file name; kubectl maps `kubectl istio-rev` to it.
pub const BIN: &str = "kubectl-istio_rev";
/// The file name kubectl runs for `kubectl istio-rev <TAB>`.
pub const KUBECTL_COMPLETER: &str = "kubectl_complete-istio_rev";
/// The hidden first argument of the kubectl completion protocol (Cobra's name for it).
pub const KUBECTL_MODE: &str = "__complete";
/// The environment variable the shell scripts set to ask for candidates.
pub const ENV_VAR: &str = "KUBECTL_ISTIO_REV_COMPLETE";
/// Completion must never hang a shell: cluster lookups give up after this.
const LOOKUP_TIMEOUT: Duration = Duration::from_secs(5);

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Shell {
    Bash,
    Zsh,
    Fish,
    Powershell,
}

#[derive(Debug, clap::Args)]
pub struct Args {
    /// The shell to print the completion script for.
    #[arg(value_enum)]
    pub shell: Shell,
}

pub fn run(args: &Args, stdout: &mut dyn std::io::Write) -> Result<u8, Error> {
    let name = match args.shell {
        Shell::Bash => "bash",
        Shell::Zsh => "zsh",
        Shell::Fish => "fish",
        Shell::Powershell => "powershell",
    };
    let shells = Shells::builtins();
    let shell = shells
        .completer(name)
        .expect("clap_complete knows the four shells");
    let mut script = Vec::new();
    shell
        .write_registration(ENV_VAR, BIN, BIN, BIN, &mut script)
        .map_err(|e| Error::input("completion script", e))?;
    super::write(stdout, &String::from_utf8_lossy(&script))?;
    Ok(0)
}

/// Answers a completion request instead of running a command, when the process was started
/// for one: as `kubectl_complete-istio_rev`, with `__complete`, or with [`ENV_VAR`] set.
/// Returns the exit code, or `None` for a normal run.
pub fn intercept(args: &[OsString]) -> Option<u8> {
    let invoked_as = args
        .first()
        .map(std::path::Path::new)
        .and_then(|p| p.file_name())
        .and_then(OsStr::to_str)
        .unwrap_or_default();
    let words: Vec<String> = if invoked_as == KUBECTL_COMPLETER {
        args[1..]
            .iter()
            .map(|a| a.to_string_lossy().into_owned())
            .collect()
    } else if args.get(1).is_some_and(|a| a == KUBECTL_MODE) {
        args[2..]
            .iter()
            .map(|a| a.to_string_lossy().into_owned())
            .collect()
    } else if std::env::var_os(ENV_VAR).is_some_and(|v| !v.is_empty() && v != "0") {
        let connect = connect_from(args.iter().map(|a| a.to_string_lossy()));
        let completed = clap_complete::CompleteEnv::with_factory(move || command(&connect))
            .var(ENV_VAR)
            .bin(BIN)
            .completer(BIN)
            .try_complete(
                args.iter().cloned(),
                std::env::current_dir().ok().as_deref(),
            );
        return match completed {
            Ok(true) => Some(0),
            Ok(false) => None,
            Err(e) => {
                let _ = e.print();
                Some(2)
            }
        };
    } else {
        return None;
    };
    let mut stdout = std::io::stdout().lock();
    let _ = std::io::Write::write_all(&mut stdout, kubectl_protocol(&words).as_bytes());
    Some(0)
}

/// Cobra's `__complete` answer for the plugin's own arguments, the last one being the word
/// under the cursor (possibly empty).
pub fn kubectl_protocol(words: &[String]) -> String {
    // Cobra's directives: 0 lets the shell complete file names, 4 forbids it.
    const DEFAULT: u8 = 0;
    const NO_FILE_COMP: u8 = 4;
    let words: Vec<String> = if words.is_empty() {
        vec![String::new()]
    } else {
        words.to_vec()
    };
    let connect = connect_from(words.iter().map(|w| std::borrow::Cow::Borrowed(w.as_str())));
    let mut cmd = command(&connect);
    cmd.build();
    if completes_a_path(&cmd, &words) {
        return format!(":{DEFAULT}\n");
    }
    let mut argv: Vec<OsString> = vec![BIN.into()];
    argv.extend(words.iter().map(OsString::from));
    let index = argv.len() - 1;
    let candidates = clap_complete::engine::complete(
        &mut cmd,
        argv,
        index,
        std::env::current_dir().ok().as_deref(),
    )
    .unwrap_or_default();
    let mut out = String::new();
    for c in candidates.iter().filter(|c| !c.is_hide_set()) {
        out.push_str(&c.get_value().to_string_lossy());
        if let Some(help) = c.get_help() {
            let help = help.to_string();
            let first = help.lines().next().unwrap_or_default();
            if !first.is_empty() {
                out.push('\t');
                out.push_str(first);
            }
        }
        out.push('\n');
    }
    out.push_str(&format!(":{NO_FILE_COMP}\n"));
    out
}

/// Whether the word under the cursor is the value of a path flag (`--snapshot`, `-f`,
/// `--kubeconfig`...): the shell's own file completion does that best.
fn completes_a_path(cmd: &Command, words: &[String]) -> bool {
    let Some((current, before)) = words.split_last() else {
        return false;
    };
    let mut sub = cmd;
    for w in before {
        if let Some(found) = sub.find_subcommand(w) {
            sub = found;
        }
    }
    let flag = match current.split_once('=') {
        Some((flag, _)) if current.starts_with("--") => flag,
        _ => match before.last() {
            Some(prev) if prev.starts_with('-') && !prev.contains('=') => prev.as_str(),
            _ => return false,
        },
    };
    sub.get_arguments()
        .find(|a| {
            flag.strip_prefix("--")
                .is_some_and(|long| a.get_long() == Some(long))
                || (flag.len() == 2
                    && flag.starts_with('-')
                    && a.get_short() == flag.chars().nth(1))
        })
        .is_some_and(|a| {
            a.get_action().takes_values()
                && matches!(
                    a.get_value_hint(),
                    ValueHint::FilePath | ValueHint::AnyPath | ValueHint::DirPath
                )
        })
}

/// The clap command with completers attached to every flag whose values can be looked up,
/// in every subcommand, by the flag's id or value name.
pub fn command(connect: &ConnectArgs) -> Command {
    let lookups = Arc::new(Lookups {
        connect: connect.clone(),
    });
    attach(crate::cli::Cli::command(), &lookups)
}

fn attach(cmd: Command, lookups: &Arc<Lookups>) -> Command {
    cmd.mut_args(|a| attach_arg(a, lookups))
        .mut_subcommands(|sub| attach(sub, lookups))
}

fn attach_arg(arg: Arg, lookups: &Arc<Lookups>) -> Arg {
    let value_name = arg
        .get_value_names()
        .and_then(|names| names.first())
        .map(|n| n.to_string())
        .unwrap_or_default();
    let l = lookups.clone();
    match arg.get_id().as_str() {
        "context" => arg.add(ArgValueCompleter::new(move |current: &OsStr| {
            l.context_list(current)
        })),
        "cluster" => arg.add(ArgValueCandidates::new(move || {
            names(l.kubeconfig().clusters)
        })),
        "user" => arg.add(ArgValueCandidates::new(move || names(l.kubeconfig().users))),
        "namespace" => arg.add(ArgValueCandidates::new(move || l.namespaces())),
        "target" | "revision" => arg.add(ArgValueCandidates::new(move || l.revisions())),
        _ if value_name == "CODE" || value_name == "CODE[,CODE...]" => {
            arg.add(ArgValueCandidates::new(codes))
        }
        _ if value_name.contains("PATH") || value_name.contains("FILE") => {
            arg.value_hint(ValueHint::FilePath)
        }
        _ => arg,
    }
}

fn names(names: Vec<String>) -> Vec<CompletionCandidate> {
    names.into_iter().map(CompletionCandidate::new).collect()
}

/// Every finding code, with its meaning.
fn codes() -> Vec<CompletionCandidate> {
    CATALOGUE
        .iter()
        .map(|c| CompletionCandidate::new(c.to_string()).help(Some(c.title().into())))
        .collect()
}

/// The flags that say which cluster to ask, read from the words typed so far. Lenient: the
/// line is incomplete by nature.
fn connect_from<'a>(words: impl Iterator<Item = std::borrow::Cow<'a, str>>) -> ConnectArgs {
    let words: Vec<String> = words.map(|w| w.into_owned()).collect();
    let mut connect = ConnectArgs::default();
    let mut i = 0;
    while i < words.len() {
        let (flag, inline) = match words[i].split_once('=') {
            Some((f, v)) => (f.to_string(), Some(v.to_string())),
            None => (words[i].clone(), None),
        };
        let mut value = || match &inline {
            Some(v) => Some(v.clone()),
            None => {
                i += 1;
                words.get(i).cloned()
            }
        };
        match flag.as_str() {
            "--kubeconfig" => connect.kubeconfig = value(),
            // A fleet (`a,b`) has no single cluster to ask: the first context stands for it.
            "--context" => {
                connect.context = value().map(|v| v.split(',').next().unwrap_or("").to_string())
            }
            "--cluster" => connect.cluster = value(),
            "--user" => connect.user = value(),
            "--as" => connect.impersonate.user = value(),
            "--as-group" => connect.impersonate.groups.extend(value()),
            "--as-uid" => connect.impersonate.uid = value(),
            _ => {}
        }
        i += 1;
    }
    connect.context = connect.context.filter(|c| !c.is_empty());
    connect.request_timeout = Some(LOOKUP_TIMEOUT);
    if connect.impersonate.user.is_none() {
        connect.impersonate = Impersonate::default();
    }
    connect
}

/// Looks values up when (and only when) the shell asks for them.
struct Lookups {
    connect: ConnectArgs,
}

impl Lookups {
    fn kubeconfig(&self) -> KubeconfigNames {
        crate::source::live::client::kubeconfig_names(self.connect.kubeconfig.as_deref())
            .unwrap_or_default()
    }

    /// Contexts, also after a comma of a fleet list (`--context a,b,<TAB>`).
    fn context_list(&self, current: &OsStr) -> Vec<CompletionCandidate> {
        let current = current.to_string_lossy();
        let (done, partial) = match current.rfind(',') {
            Some(i) => (&current[..=i], &current[i + 1..]),
            None => ("", current.as_ref()),
        };
        let chosen: Vec<&str> = done.split(',').filter(|c| !c.is_empty()).collect();
        self.kubeconfig()
            .contexts
            .into_iter()
            .filter(|(name, _)| name.starts_with(partial) && !chosen.contains(&name.as_str()))
            .map(|(name, cluster)| {
                CompletionCandidate::new(format!("{done}{name}"))
                    .help(cluster.map(|c| format!("cluster {c}").into()))
            })
            .collect()
    }

    fn namespaces(&self) -> Vec<CompletionCandidate> {
        self.ask(|client| async move { crate::source::live::lookup::namespace_names(client).await })
            .unwrap_or_default()
            .into_iter()
            .map(CompletionCandidate::new)
            .collect()
    }

    /// Control-plane revisions (with their Istio version) and the tags pointing at them.
    fn revisions(&self) -> Vec<CompletionCandidate> {
        let Some(inventory) = self.ask(|client| async move {
            crate::source::live::lookup::control_planes(client, 500).await
        }) else {
            return Vec::new();
        };
        let mesh = crate::mesh::resolve(&inventory, None);
        let mut out = Vec::new();
        for cp in &mesh.control_planes {
            let help = match &cp.version {
                Some(v) => format!("control plane, Istio {v}"),
                None => "control plane".to_string(),
            };
            out.push(CompletionCandidate::new(&cp.revision).help(Some(help.into())));
        }
        for cp in &mesh.control_planes {
            for tag in &cp.tags {
                out.push(
                    CompletionCandidate::new(tag)
                        .help(Some(format!("tag → {}", cp.revision).into())),
                );
            }
        }
        out
    }

    /// Runs one lookup against the cluster; any failure means no candidates (a shell has
    /// nowhere to show an error).
    fn ask<T, F, Fut>(&self, lookup: F) -> Option<T>
    where
        F: FnOnce(kube::Client) -> Fut,
        Fut: std::future::Future<Output = Result<T, Error>>,
    {
        let runtime = crate::source::runtime().ok()?;
        runtime.block_on(async {
            let work = async {
                let (client, _) = crate::source::live::client::connect(&self.connect).await?;
                lookup(client).await
            };
            tokio::time::timeout(LOOKUP_TIMEOUT, work).await.ok()?.ok()
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn words(line: &str) -> Vec<String> {
        let mut w: Vec<String> = line.split(' ').map(str::to_string).collect();
        if line.ends_with(' ') {
            w.pop();
            w.push(String::new());
        }
        w
    }

    fn values(line: &str) -> Vec<String> {
        kubectl_protocol(&words(line))
            .lines()
            .map(|l| l.split('\t').next().unwrap().to_string())
            .collect()
    }

    #[test]
    fn commands_complete_from_the_clap_command() {
        let v = values("");
        for sub in [
            "status",
            "check-overlap",
            "diff",
            "snapshot",
            "codes",
            "version",
            "completion",
        ] {
            assert!(v.contains(&sub.to_string()), "{sub} in {v:?}");
        }
        assert_eq!(v.last().unwrap(), ":4");
    }

    #[test]
    fn flags_and_their_enum_values_complete() {
        let v = values("status --fail");
        assert_eq!(v, ["--fail-on", ":4"]);
        let v = values("status -o ");
        assert_eq!(
            v,
            [
                "table", "json", "yaml", "junit", "sarif", "markdown", "github", ":4"
            ]
        );
        let v = values("version -o ");
        assert_eq!(v, ["table", "json", "yaml", ":4"]);
        let v = values("completion ");
        assert_eq!(v, ["bash", "zsh", "fish", "powershell", "--help", ":4"]);
    }

    #[test]
    fn path_flags_leave_it_to_the_shell() {
        assert_eq!(kubectl_protocol(&words("status --snapshot ")), ":0\n");
        assert_eq!(kubectl_protocol(&words("status --kubeconfig=/tm")), ":0\n");
        assert_eq!(kubectl_protocol(&words("diff -f ")), ":0\n");
    }

    #[test]
    fn connection_flags_are_read_from_the_partial_line() {
        let c = connect_from(
            words("status --kubeconfig /k --context=a,b --as ci --as-group g -n ")
                .iter()
                .map(|w| std::borrow::Cow::Borrowed(w.as_str())),
        );
        assert_eq!(c.kubeconfig.as_deref(), Some("/k"));
        assert_eq!(c.context.as_deref(), Some("a"));
        assert_eq!(c.impersonate.user.as_deref(), Some("ci"));
        assert_eq!(c.impersonate.groups, ["g"]);
        assert_eq!(c.request_timeout, Some(LOOKUP_TIMEOUT));
    }

    #[test]
    fn an_arg_with_value_name_code_completes_finding_codes() {
        let lookups = Arc::new(Lookups {
            connect: ConnectArgs::default(),
        });
        let cmd = attach(
            Command::new("t").arg(Arg::new("skip").long("skip").value_name("CODE")),
            &lookups,
        );
        let mut cmd = cmd;
        let got = clap_complete::engine::complete(
            &mut cmd,
            vec!["t".into(), "--skip".into(), "IR10".into()],
            2,
            None,
        )
        .unwrap();
        let got: Vec<String> = got
            .iter()
            .map(|c| c.get_value().to_string_lossy().into_owned())
            .collect();
        assert_eq!(
            got,
            [
                "IR101", "IR102", "IR103", "IR104", "IR105", "IR106", "IR107"
            ]
        );
    }
}
