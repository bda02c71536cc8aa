//! A kube client from kubectl's own flags: kubectl passes them through to plugins untouched.

use crate::error::Error;
use kube::config::{KubeConfigOptions, Kubeconfig};
use kube::{Client, Config};
use std::time::Duration;

#[derive(Debug, Clone, Default)]
pub struct ConnectArgs {
    pub kubeconfig: Option<String>,
    pub context: Option<String>,
    pub cluster: Option<String>,
    pub user: Option<String>,
    pub request_timeout: Option<Duration>,
    /// What the command can do without a cluster, said when none is configured (e.g. `pass
    /// --offline to check the files alone`); empty: the advice every command shares.
    pub without_cluster: &'static str,
    pub impersonate: Impersonate,
}

/// Who to act as (kubectl's `--as`, `--as-group`, `--as-uid`); empty: the kubeconfig's user, or
/// its own `as` settings.
#[derive(Debug, Clone, Default)]
pub struct Impersonate {
    pub user: Option<String>,
    pub groups: Vec<String>,
    pub uid: Option<String>,
}

/// The advice for a command that can read a snapshot instead of a cluster.
pub const READ_A_SNAPSHOT: &str = "pass --kubeconfig PATH, or --snapshot FILE to read a snapshot";

/// No kubeconfig anywhere kubectl would look, and not in a pod: kube's own error for this
/// ("failed to infer config: in-cluster: ..., kubeconfig: ...") tells a person nothing they can
/// act on, so the plugin says it in one line with what to pass instead.
fn no_cluster_configured(args: &ConnectArgs) -> Option<Error> {
    if args.kubeconfig.is_some() {
        return None;
    }
    let set = |name: &str| std::env::var_os(name).is_some_and(|v| !v.is_empty());
    let home_config = std::env::var_os("HOME")
        .filter(|h| !h.is_empty())
        .map(|h| std::path::Path::new(&h).join(".kube").join("config"));
    if set("KUBECONFIG")
        || home_config.is_some_and(|p| p.exists())
        || (set("KUBERNETES_SERVICE_HOST") && set("KUBERNETES_SERVICE_PORT"))
    {
        return None;
    }
    let advice = if args.without_cluster.is_empty() {
        READ_A_SNAPSHOT
    } else {
        args.without_cluster
    };
    Some(Error::Input(format!(
        "no cluster configured (KUBECONFIG unset, ~/.kube/config missing, not in a pod): {advice}"
    )))
}

/// The client and the namespace kubectl would use by default (the context's, else `default`).
pub async fn connect(args: &ConnectArgs) -> Result<(Client, String), Error> {
    if let Some(e) = no_cluster_configured(args) {
        return Err(e);
    }
    let options = KubeConfigOptions {
        context: args.context.clone(),
        cluster: args.cluster.clone(),
        user: args.user.clone(),
    };
    let config_error = |e: &dyn std::error::Error| {
        Error::Input(crate::error::one_line(&format!(
            "kubeconfig: {}",
            super::error_chain(e)
        )))
    };
    let mut config = match &args.kubeconfig {
        Some(path) => {
            let kubeconfig = Kubeconfig::read_from(path).map_err(|e| {
                Error::Input(crate::error::one_line(&format!(
                    "{path}: {}",
                    super::error_chain(&e)
                )))
            })?;
            Config::from_custom_kubeconfig(kubeconfig, &options)
                .await
                .map_err(|e| config_error(&e))?
        }
        None if args.context.is_some() || args.cluster.is_some() || args.user.is_some() => {
            Config::from_kubeconfig(&options)
                .await
                .map_err(|e| config_error(&e))?
        }
        None => Config::infer().await.map_err(|e| config_error(&e))?,
    };
    if let Some(timeout) = args.request_timeout {
        config.read_timeout = Some(timeout);
        config.connect_timeout = Some(timeout);
        config.write_timeout = Some(timeout);
    }
    let who = &args.impersonate;
    if let Some(user) = &who.user {
        // As kubectl: the flags replace whatever impersonation the kubeconfig's user carries.
        config.auth_info.impersonate = Some(user.clone());
        config.auth_info.impersonate_groups = (!who.groups.is_empty()).then(|| who.groups.clone());
        config.auth_info.impersonate_uid = who.uid.clone();
    }
    let namespace = config.default_namespace.clone();
    let client = Client::try_from(config).map_err(|e| config_error(&e))?;
    Ok((client, namespace))
}

/// The contexts of the merged kubeconfig (`--all-contexts`).
pub fn contexts(args: &ConnectArgs) -> Result<Vec<String>, Error> {
    if let Some(e) = no_cluster_configured(args) {
        return Err(e);
    }
    let kubeconfig = args.kubeconfig.as_deref();
    let config = match kubeconfig {
        Some(path) => Kubeconfig::read_from(path),
        None => Kubeconfig::read(),
    }
    .map_err(|e| {
        Error::Input(crate::error::one_line(&format!(
            "kubeconfig: {}",
            super::error_chain(&e)
        )))
    })?;
    Ok(config.contexts.into_iter().map(|c| c.name).collect())
}

/// The names a kubeconfig defines, for shell completion: each context with its cluster.
#[derive(Debug, Clone, Default)]
pub struct KubeconfigNames {
    pub contexts: Vec<(String, Option<String>)>,
    pub clusters: Vec<String>,
    pub users: Vec<String>,
}

pub fn kubeconfig_names(kubeconfig: Option<&str>) -> Result<KubeconfigNames, Error> {
    let config = match kubeconfig {
        Some(path) => Kubeconfig::read_from(path),
        None => Kubeconfig::read(),
    }
    .map_err(|e| {
        Error::Input(crate::error::one_line(&format!(
            "kubeconfig: {}",
            super::error_chain(&e)
        )))
    })?;
    Ok(KubeconfigNames {
        contexts: config
            .contexts
            .into_iter()
            .map(|c| {
                let cluster = c.context.map(|ctx| ctx.cluster).filter(|c| !c.is_empty());
                (c.name, cluster)
            })
            .collect(),
        clusters: config.clusters.into_iter().map(|c| c.name).collect(),
        users: config.auth_infos.into_iter().map(|u| u.name).collect(),
    })
}

/// `--request-timeout` in kubectl's forms: `30s`, `1m`, `500ms`, or plain seconds; `0` means none.
pub fn parse_timeout(s: &str) -> Result<Option<Duration>, String> {
    let (num, unit) = match s.find(|c: char| !c.is_ascii_digit() && c != '.') {
        Some(i) => s.split_at(i),
        None => (s, "s"),
    };
    let n: f64 = num.parse().map_err(|_| format!("invalid duration {s:?}"))?;
    let secs = match unit {
        "ms" => n / 1000.0,
        "s" => n,
        "m" => n * 60.0,
        "h" => n * 3600.0,
        _ => {
            return Err(format!(
                "invalid duration unit in {s:?} (use ms, s, m or h)"
            ));
        }
    };
    Ok((secs > 0.0).then(|| Duration::from_secs_f64(secs)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timeouts_in_kubectl_forms() {
        assert_eq!(parse_timeout("30s").unwrap(), Some(Duration::from_secs(30)));
        assert_eq!(parse_timeout("2").unwrap(), Some(Duration::from_secs(2)));
        assert_eq!(parse_timeout("1m").unwrap(), Some(Duration::from_secs(60)));
        assert_eq!(
            parse_timeout("500ms").unwrap(),
            Some(Duration::from_millis(500))
        );
        assert_eq!(parse_timeout("0").unwrap(), None);
        assert!(parse_timeout("abc").is_err());
        assert!(parse_timeout("5d").is_err());
    }
}
