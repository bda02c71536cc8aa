//! Impersonation and RBAC, as far as a client can tell them apart from a real kube-apiserver.
//!
//! The real server's impersonation filter runs before routing: it authorizes the caller for the
//! `impersonate` verb on each requested `users` (or `serviceaccounts` for
//! `system:serviceaccount:NS:NAME`), `groups` and `uids`, answering the usual 403 naming the
//! caller; then the request is authorized as the impersonated identity (user, the requested
//! groups, `system:authenticated`, and for a service account `system:serviceaccounts` and
//! `system:serviceaccounts:NS`). Discovery is open to every authenticated identity (the
//! `system:discovery` ClusterRole), so only resource requests are checked against the grants.
//!
//! Without any grant configured an impersonated identity may do everything (the fake's default,
//! so tests that only read the headers need no set-up).

use crate::status::ApiError;

/// Rights given to a user or group (RBAC rules flattened: verbs × resources, optionally in one
/// namespace as a RoleBinding would). `"*"` matches any verb or resource.
#[derive(Debug, Clone, PartialEq)]
pub struct Grant {
    /// A user name or a group name.
    pub subject: String,
    pub verbs: Vec<String>,
    pub resources: Vec<String>,
    /// `None`: a ClusterRoleBinding; `Some(ns)`: a RoleBinding in `ns`.
    pub namespace: Option<String>,
}

/// Who a request acts as.
#[derive(Debug, Clone, PartialEq)]
pub struct Identity {
    pub user: String,
    pub groups: Vec<String>,
    pub impersonated: bool,
}

/// The identity a request acts as, or the 403 the impersonation filter answers.
pub fn identity(
    headers: &http::HeaderMap,
    caller: &str,
    may_impersonate: bool,
) -> Result<Identity, ApiError> {
    let values = |name: &str| -> Vec<String> {
        headers
            .get_all(name)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .map(str::to_string)
            .collect()
    };
    let Some(user) = values("impersonate-user").into_iter().next() else {
        return Ok(Identity {
            user: caller.to_string(),
            groups: vec!["system:authenticated".to_string()],
            impersonated: false,
        });
    };
    let requested_groups = values("impersonate-group");
    if !may_impersonate {
        let refused = match service_account(&user) {
            Some((ns, name)) => ApiError::forbidden_on(
                "",
                "serviceaccounts",
                caller,
                "impersonate",
                Some(ns),
                Some(name),
            ),
            None => ApiError::forbidden_on("", "users", caller, "impersonate", None, Some(&user)),
        };
        return Err(refused);
    }
    // `Impersonate-Uid` only changes who the audit log names, never what RBAC allows; the
    // right to impersonate groups and uids is all-or-nothing here, like `may_impersonate`.
    let mut groups = requested_groups;
    if let Some((ns, _)) = service_account(&user) {
        groups.push("system:serviceaccounts".to_string());
        groups.push(format!("system:serviceaccounts:{ns}"));
    }
    if !groups.iter().any(|g| g == "system:authenticated") {
        groups.push("system:authenticated".to_string());
    }
    Ok(Identity {
        user,
        groups,
        impersonated: true,
    })
}

/// `system:serviceaccount:NS:NAME` → `(NS, NAME)`.
fn service_account(user: &str) -> Option<(&str, &str)> {
    let rest = user.strip_prefix("system:serviceaccount:")?;
    rest.split_once(':')
}

/// Whether `who` may `verb` the resource `plural` (in `ns`, or cluster-wide for `None`).
pub fn allowed(
    grants: &[Grant],
    who: &Identity,
    verb: &str,
    plural: &str,
    ns: Option<&str>,
) -> bool {
    if !who.impersonated || grants.is_empty() {
        return true;
    }
    grants.iter().any(|g| {
        let subject = g.subject == who.user || who.groups.contains(&g.subject);
        let any = |list: &[String], value: &str| list.iter().any(|v| v == "*" || v == value);
        let scope = match &g.namespace {
            None => true,
            Some(bound) => ns == Some(bound.as_str()),
        };
        subject && scope && any(&g.verbs, verb) && any(&g.resources, plural)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(pairs: &[(&'static str, &'static str)]) -> http::HeaderMap {
        let mut h = http::HeaderMap::new();
        for (k, v) in pairs {
            h.append(*k, http::HeaderValue::from_static(v));
        }
        h
    }

    #[test]
    fn service_accounts_get_their_groups() {
        let who = identity(
            &headers(&[
                ("impersonate-user", "system:serviceaccount:ci:deployer"),
                ("impersonate-group", "team-a"),
                ("impersonate-group", "team-b"),
            ]),
            "admin",
            true,
        )
        .unwrap();
        assert_eq!(who.user, "system:serviceaccount:ci:deployer");
        assert_eq!(
            who.groups,
            [
                "team-a",
                "team-b",
                "system:serviceaccounts",
                "system:serviceaccounts:ci",
                "system:authenticated"
            ]
        );
    }

    #[test]
    fn a_caller_without_impersonate_rights_is_refused_as_the_real_server_does() {
        let e = identity(
            &headers(&[("impersonate-user", "system:serviceaccount:ci:deployer")]),
            "dev",
            false,
        )
        .unwrap_err();
        assert_eq!(
            e.message,
            "serviceaccounts \"deployer\" is forbidden: User \"dev\" cannot impersonate resource \"serviceaccounts\" in API group \"\" in the namespace \"ci\""
        );
        let e = identity(&headers(&[("impersonate-user", "jane")]), "dev", false).unwrap_err();
        assert_eq!(
            e.message,
            "users \"jane\" is forbidden: User \"dev\" cannot impersonate resource \"users\" in API group \"\" at the cluster scope"
        );
    }

    #[test]
    fn grants_bind_users_groups_and_namespaces() {
        let grants = vec![
            Grant {
                subject: "system:serviceaccounts:ci".into(),
                verbs: vec!["list".into(), "get".into()],
                resources: vec!["namespaces".into()],
                namespace: None,
            },
            Grant {
                subject: "jane".into(),
                verbs: vec!["*".into()],
                resources: vec!["pods".into()],
                namespace: Some("shop".into()),
            },
        ];
        let sa = identity(
            &headers(&[("impersonate-user", "system:serviceaccount:ci:deployer")]),
            "admin",
            true,
        )
        .unwrap();
        assert!(allowed(&grants, &sa, "list", "namespaces", None));
        assert!(!allowed(&grants, &sa, "list", "pods", None));
        let jane = identity(&headers(&[("impersonate-user", "jane")]), "admin", true).unwrap();
        assert!(allowed(&grants, &jane, "list", "pods", Some("shop")));
        assert!(!allowed(&grants, &jane, "list", "pods", None));
        let caller = identity(&headers(&[]), "admin", true).unwrap();
        assert!(allowed(&grants, &caller, "list", "pods", None));
    }
}
