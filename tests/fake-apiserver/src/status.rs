//! `Status` bodies shaped exactly like the real server's (key order included).

use crate::resources::ResourceType;

/// An API error answered with a `Status` body (or a plain-text 404).
#[derive(Debug, Clone)]
pub struct ApiError {
    pub code: u16,
    pub reason: &'static str,
    pub message: String,
    /// Raw JSON of `details`, if any.
    pub details: Option<String>,
    /// `metadata.continue` of the Status (410 Expired).
    pub meta_continue: Option<String>,
    pub retry_after: Option<u64>,
    /// `404 page not found` as text/plain (unknown API group path).
    pub plain_404: bool,
}

fn q(s: &str) -> String {
    serde_json::to_string(s).expect("string")
}

/// Builds a `details` object in Go field order.
pub fn details(
    name: Option<&str>,
    group: Option<&str>,
    kind: Option<&str>,
    uid: Option<&str>,
    causes: &[(&str, &str, &str)],
    retry_after: Option<u64>,
) -> String {
    let mut parts = Vec::new();
    if let Some(n) = name {
        parts.push(format!("\"name\":{}", q(n)));
    }
    if let Some(g) = group.filter(|g| !g.is_empty()) {
        parts.push(format!("\"group\":{}", q(g)));
    }
    if let Some(k) = kind {
        parts.push(format!("\"kind\":{}", q(k)));
    }
    if let Some(u) = uid {
        parts.push(format!("\"uid\":{}", q(u)));
    }
    if !causes.is_empty() {
        let cs: Vec<String> = causes
            .iter()
            .map(|(r, m, f)| {
                let mut c = Vec::new();
                if !r.is_empty() {
                    c.push(format!("\"reason\":{}", q(r)));
                }
                if !m.is_empty() {
                    c.push(format!("\"message\":{}", q(m)));
                }
                if !f.is_empty() {
                    c.push(format!("\"field\":{}", q(f)));
                }
                format!("{{{}}}", c.join(","))
            })
            .collect();
        parts.push(format!("\"causes\":[{}]", cs.join(",")));
    }
    if let Some(r) = retry_after {
        parts.push(format!("\"retryAfterSeconds\":{r}"));
    }
    format!("{{{}}}", parts.join(","))
}

impl ApiError {
    pub fn new(code: u16, reason: &'static str, message: impl Into<String>) -> Self {
        ApiError {
            code,
            reason,
            message: message.into(),
            details: None,
            meta_continue: None,
            retry_after: None,
            plain_404: false,
        }
    }
    pub fn with_details(mut self, d: String) -> Self {
        self.details = Some(d);
        self
    }

    /// The JSON body, terminated by `\n`.
    pub fn body(&self) -> Vec<u8> {
        let meta = match &self.meta_continue {
            Some(c) => format!("{{\"continue\":{}}}", q(c)),
            None => "{}".into(),
        };
        let mut s = format!(
            "{{\"kind\":\"Status\",\"apiVersion\":\"v1\",\"metadata\":{meta},\"status\":\"Failure\",\"message\":{},\"reason\":\"{}\"",
            q(&self.message),
            self.reason
        );
        if let Some(d) = &self.details {
            s.push_str(",\"details\":");
            s.push_str(d);
        }
        s.push_str(&format!(",\"code\":{}}}\n", self.code));
        s.into_bytes()
    }

    pub fn plain_not_found() -> Self {
        let mut e = ApiError::new(404, "NotFound", "404 page not found");
        e.plain_404 = true;
        e
    }

    pub fn unknown_resource() -> Self {
        ApiError::new(
            404,
            "NotFound",
            "the server could not find the requested resource",
        )
        .with_details("{}".into())
    }

    pub fn not_found(res: &ResourceType, name: &str) -> Self {
        ApiError::new(
            404,
            "NotFound",
            format!("{} {} not found", res.qualified(), q(name)),
        )
        .with_details(details(
            Some(name),
            Some(res.group),
            Some(res.plural),
            None,
            &[],
            None,
        ))
    }

    pub fn already_exists(res: &ResourceType, name: &str) -> Self {
        ApiError::new(
            409,
            "AlreadyExists",
            format!("{} {} already exists", res.qualified(), q(name)),
        )
        .with_details(details(
            Some(name),
            Some(res.group),
            Some(res.plural),
            None,
            &[],
            None,
        ))
    }

    pub fn conflict(res: &ResourceType, name: &str) -> Self {
        ApiError::new(
            409,
            "Conflict",
            format!(
                "Operation cannot be fulfilled on {} {}: the object has been modified; please apply your changes to the latest version and try again",
                res.qualified(),
                q(name)
            ),
        )
        .with_details(details(
            Some(name),
            Some(res.group),
            Some(res.plural),
            None,
            &[],
            None,
        ))
    }

    /// 422 with field causes (`(reason, message, field)`).
    pub fn invalid(res: &ResourceType, name: &str, causes: &[(&str, String, String)]) -> Self {
        let summary: Vec<String> = causes.iter().map(|(_, m, f)| format!("{f}: {m}")).collect();
        let msg = if summary.len() == 1 {
            format!("{} {} is invalid: {}", res.kind, q(name), summary[0])
        } else {
            format!(
                "{} {} is invalid: [{}]",
                res.kind,
                q(name),
                summary.join(", ")
            )
        };
        let cs: Vec<(&str, &str, &str)> = causes
            .iter()
            .map(|(r, m, f)| (*r, m.as_str(), f.as_str()))
            .collect();
        ApiError::new(422, "Invalid", msg).with_details(details(
            Some(name),
            Some(res.group),
            Some(res.kind),
            None,
            &cs,
            None,
        ))
    }

    pub fn bad_request(msg: impl Into<String>) -> Self {
        ApiError::new(400, "BadRequest", msg)
    }

    pub fn forbidden(
        res: &ResourceType,
        user: &str,
        verb: &str,
        ns: Option<&str>,
        name: Option<&str>,
    ) -> Self {
        Self::forbidden_on(res.group, res.plural, user, verb, ns, name)
    }

    /// 403 on any resource, also those the fake does not serve (`users`, `groups`, `uids` for
    /// the `impersonate` verb).
    pub fn forbidden_on(
        group: &'static str,
        plural: &'static str,
        user: &str,
        verb: &str,
        ns: Option<&str>,
        name: Option<&str>,
    ) -> Self {
        let qualified = if group.is_empty() {
            plural.to_string()
        } else {
            format!("{plural}.{group}")
        };
        let subject = match name {
            Some(n) => format!("{qualified} {}", q(n)),
            None => qualified,
        };
        let scope = match ns {
            Some(ns) => format!("in the namespace {}", q(ns)),
            None => "at the cluster scope".to_string(),
        };
        ApiError::new(
            403,
            "Forbidden",
            format!(
                "{subject} is forbidden: User {} cannot {verb} resource {} in API group {} {scope}",
                q(user),
                q(plural),
                q(group)
            ),
        )
        .with_details(details(name, Some(group), Some(plural), None, &[], None))
    }

    pub fn unauthorized() -> Self {
        ApiError::new(401, "Unauthorized", "Unauthorized")
    }

    pub fn internal(msg: &str) -> Self {
        ApiError::new(
            500,
            "InternalError",
            format!("Internal error occurred: {msg}"),
        )
        .with_details(details(None, None, None, None, &[("", msg, "")], None))
    }

    pub fn too_many_requests(retry_after: u64) -> Self {
        let mut e = ApiError::new(
            429,
            "TooManyRequests",
            "Too many requests, please try again later.",
        )
        .with_details(details(None, None, None, None, &[], Some(retry_after)));
        e.retry_after = Some(retry_after);
        e
    }

    pub fn expired(fresh_continue: String) -> Self {
        let mut e = ApiError::new(
            410,
            "Expired",
            "The provided continue parameter is too old to display a consistent list result. You can start a new list without the continue parameter, or use the continue token in this response to retrieve the remainder of the results. Continuing with the provided token results in an inconsistent list - objects that were created, modified, or deleted between the time the first chunk was returned and now may show up in the list.",
        );
        e.meta_continue = Some(fresh_continue);
        e
    }

    pub fn unsupported_patch(crd: bool) -> Self {
        let types = if crd {
            "application/json-patch+json, application/merge-patch+json, application/apply-patch+yaml"
        } else {
            "application/json-patch+json, application/merge-patch+json, application/strategic-merge-patch+json, application/apply-patch+yaml"
        };
        ApiError::new(
            415,
            "UnsupportedMediaType",
            format!(
                "the body of the request was in an unknown format - accepted media types include: {types}"
            ),
        )
    }

    pub fn method_not_allowed(msg: impl Into<String>) -> Self {
        ApiError::new(405, "MethodNotAllowed", msg).with_details("{}".into())
    }

    pub fn not_acceptable() -> Self {
        ApiError::new(
            406,
            "NotAcceptable",
            "only the following media types are accepted: application/json, application/yaml, application/vnd.kubernetes.protobuf",
        )
    }
}
