//! Whole objects from snapshot files, of any kind: what `diff` compares. The inventory's slim,
//! streaming reader ([`super::load`]) keeps only what the checks read, so it does not fit here.

use crate::error::Error;
use crate::istio::manifest::yaml_documents;
use serde_json::Value;

/// Reads whole objects from `--snapshot` paths (files, directories, `-`): `kubectl get -o
/// yaml|json` output, lists or single objects, multi-document YAML.
pub fn read(paths: &[String]) -> Result<Vec<Value>, Error> {
    let mut out = Vec::new();
    for p in paths {
        if p == "-" {
            let text = std::io::read_to_string(std::io::stdin())
                .map_err(|e| Error::input("<stdin>", e))?;
            parse_objects("<stdin>", &text, &mut out)?;
            continue;
        }
        let path = std::path::Path::new(p);
        let files = if path.is_dir() {
            super::snapshot_files(path)?
        } else {
            vec![path.to_path_buf()]
        };
        for f in files {
            let name = f.display().to_string();
            let text = std::fs::read_to_string(&f).map_err(|e| Error::input(&name, e))?;
            parse_objects(&name, &text, &mut out)?;
        }
    }
    Ok(out)
}

fn parse_objects(name: &str, text: &str, out: &mut Vec<Value>) -> Result<(), Error> {
    let first = text.trim_start().chars().next();
    let docs: Vec<Value> = if matches!(first, Some('{' | '[')) {
        serde_json::Deserializer::from_str(text)
            .into_iter::<Value>()
            .collect::<Result<_, _>>()
            .map_err(|e| Error::parse(name, None, e))?
    } else {
        yaml_documents(name, text)?
    };
    for d in docs {
        push_object(d, out);
    }
    Ok(())
}

fn push_object(v: Value, out: &mut Vec<Value>) {
    match v {
        Value::Array(items) => items.into_iter().for_each(|i| push_object(i, out)),
        Value::Object(mut m) => {
            let is_list = m
                .get("kind")
                .and_then(Value::as_str)
                .is_some_and(|k| k.ends_with("List"))
                || (m.get("kind").is_none() && m.contains_key("items"));
            if is_list {
                if let Some(Value::Array(items)) = m.remove("items") {
                    items.into_iter().for_each(|i| push_object(i, out));
                }
            } else if m.contains_key("kind") {
                out.push(Value::Object(m));
            }
        }
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lists_and_documents_are_read() {
        let mut out = Vec::new();
        parse_objects("t", "{\"kind\":\"List\",\"items\":[{\"kind\":\"ConfigMap\",\"metadata\":{\"name\":\"a\"}}]}", &mut out).unwrap();
        parse_objects("t", "kind: Secret\nmetadata: {name: b}\n---\n# c\n---\nkind: ServiceList\nitems:\n- kind: Service\n  metadata: {name: c}\n", &mut out).unwrap();
        let names: Vec<&str> = out
            .iter()
            .map(|v| v["metadata"]["name"].as_str().unwrap())
            .collect();
        assert_eq!(names, ["a", "b", "c"]);
    }
}
