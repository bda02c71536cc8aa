//! Label and field selectors (the subset kubectl and kube-rs send).

#[derive(Debug, Clone, PartialEq)]
pub enum Req {
    Eq(String, String),
    NotEq(String, String),
    In(String, Vec<String>),
    NotIn(String, Vec<String>),
    Exists(String),
    NotExists(String),
}

/// Splits on commas that are not inside parentheses.
fn split_top(s: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let mut depth = 0;
    let mut start = 0;
    for (i, c) in s.char_indices() {
        match c {
            '(' => depth += 1,
            ')' => depth -= 1,
            ',' if depth == 0 => {
                out.push(&s[start..i]);
                start = i + 1;
            }
            _ => {}
        }
    }
    out.push(&s[start..]);
    out
}

fn set_values(rest: &str) -> Result<Vec<String>, String> {
    let rest = rest.trim();
    let inner = rest
        .strip_prefix('(')
        .and_then(|r| r.strip_suffix(')'))
        .ok_or_else(|| format!("unable to parse requirement: found '{rest}', expected: '('"))?;
    Ok(inner
        .split(',')
        .map(|v| v.trim().to_string())
        .filter(|v| !v.is_empty())
        .collect())
}

/// Parses a label selector (`a=b,c!=d,e in (f,g),h notin (i),j,!k`).
pub fn parse_labels(s: &str) -> Result<Vec<Req>, String> {
    let mut reqs = Vec::new();
    for part in split_top(s) {
        let p = part.trim();
        if p.is_empty() {
            continue;
        }
        if let Some(k) = p.strip_prefix('!') {
            reqs.push(Req::NotExists(k.trim().to_string()));
        } else if let Some((k, v)) = p.split_once("!=") {
            reqs.push(Req::NotEq(k.trim().into(), v.trim().into()));
        } else if let Some((k, v)) = p.split_once("==") {
            reqs.push(Req::Eq(k.trim().into(), v.trim().into()));
        } else if let Some((k, v)) = p.split_once('=') {
            reqs.push(Req::Eq(k.trim().into(), v.trim().into()));
        } else if let Some(idx) = p.find(" notin ") {
            reqs.push(Req::NotIn(
                p[..idx].trim().into(),
                set_values(&p[idx + 7..])?,
            ));
        } else if let Some(idx) = p.find(" in ") {
            reqs.push(Req::In(p[..idx].trim().into(), set_values(&p[idx + 4..])?));
        } else if p.contains(' ') || p.contains('(') {
            return Err(format!("unable to parse requirement: {p}"));
        } else {
            reqs.push(Req::Exists(p.to_string()));
        }
    }
    Ok(reqs)
}

/// Parses a field selector (`a=b,c!=d`).
pub fn parse_fields(s: &str) -> Result<Vec<Req>, String> {
    let mut reqs = Vec::new();
    for p in s.split(',') {
        let p = p.trim();
        if p.is_empty() {
            continue;
        }
        if let Some((k, v)) = p.split_once("!=") {
            reqs.push(Req::NotEq(k.into(), v.into()));
        } else if let Some((k, v)) = p.split_once("==") {
            reqs.push(Req::Eq(k.into(), v.into()));
        } else if let Some((k, v)) = p.split_once('=') {
            reqs.push(Req::Eq(k.into(), v.into()));
        } else {
            return Err(format!("invalid selector: '{s}'; can't understand '{p}'"));
        }
    }
    Ok(reqs)
}

/// Evaluates requirements against a lookup function.
pub fn matches<'a>(reqs: &[Req], get: impl Fn(&str) -> Option<&'a str>) -> bool {
    reqs.iter().all(|r| match r {
        Req::Eq(k, v) => get(k) == Some(v.as_str()),
        Req::NotEq(k, v) => get(k) != Some(v.as_str()),
        Req::In(k, vs) => get(k).is_some_and(|x| vs.iter().any(|v| v == x)),
        Req::NotIn(k, vs) => get(k).is_none_or(|x| !vs.iter().any(|v| v == x)),
        Req::Exists(k) => get(k).is_some(),
        Req::NotExists(k) => get(k).is_none(),
    })
}

pub fn req_key(r: &Req) -> &str {
    match r {
        Req::Eq(k, _)
        | Req::NotEq(k, _)
        | Req::In(k, _)
        | Req::NotIn(k, _)
        | Req::Exists(k)
        | Req::NotExists(k) => k,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    #[test]
    fn label_selectors() {
        let r = parse_labels(
            "rec-corpus=true,security.istio.io/tlsMode in (istio),x notin (a, b),y,!z,w!=q",
        )
        .unwrap();
        assert_eq!(r.len(), 6);
        let labels = [
            ("rec-corpus", "true"),
            ("security.istio.io/tlsMode", "istio"),
            ("y", ""),
        ];
        let get = |k: &str| labels.iter().find(|(a, _)| *a == k).map(|(_, v)| *v);
        assert!(matches(&r, get));
        let r2 = parse_labels("!y").unwrap();
        assert!(!matches(&r2, get));
    }
}
