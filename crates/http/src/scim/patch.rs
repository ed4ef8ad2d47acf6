//! PATCH operations (RFC 7644 s3.5.2) applied to a user's writable attributes.

use serde::Deserialize;
use serde_json::{Map, Value};
use utoipa::ToSchema;

use super::ENTERPRISE_SCHEMA;
use super::ScimError;
use super::user::{children, resolve};

/// A SCIM PatchOp.
#[derive(Debug, Deserialize, ToSchema)]
#[schema(example = json!({
    "schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
    "Operations": [
        {"op": "replace", "path": "active", "value": false},
        {"op": "add", "path": "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department", "value": "Planning"},
        {"op": "remove", "path": "title"}
    ]
}))]
pub struct ScimPatchOp {
    #[serde(rename = "Operations", alias = "operations")]
    pub operations: Vec<ScimPatchOperation>,
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct ScimPatchOperation {
    /// `add`, `replace` or `remove`, in any case.
    pub op: String,
    /// The attribute; left out, `value` is an object of attributes.
    pub path: Option<String>,
    pub value: Option<Value>,
}

/// Applies every operation in order to `document` (canonical names, as `user::writable`
/// gives). Attributes Pathway does not keep are ignored, as on create and replace.
pub(crate) fn apply(document: &mut Value, request: &Value) -> Result<(), ScimError> {
    let request: ScimPatchOp = serde_json::from_value(request.clone()).map_err(|e| {
        ScimError::invalid_syntax(format!("not a PatchOp with an Operations array: {e}"))
    })?;
    let Value::Object(doc) = document else {
        return Err(ScimError::invalid_syntax("the user is not an object"));
    };
    for (i, operation) in request.operations.into_iter().enumerate() {
        let path = operation.path.as_deref().map(without_filter);
        match (
            operation.op.to_ascii_lowercase().as_str(),
            path,
            operation.value,
        ) {
            ("remove", None, _) => {
                return Err(ScimError::new(
                    actix_web::http::StatusCode::BAD_REQUEST,
                    Some("noTarget"),
                    format!("Operations[{i}]: remove needs a path"),
                ));
            }
            ("remove", Some(path), _)
            | ("add" | "replace", Some(path), None | Some(Value::Null)) => {
                remove(doc, &path);
            }
            ("add" | "replace", Some(path), Some(value)) => set(doc, &path, value),
            ("add" | "replace", None, Some(Value::Object(attributes))) => {
                for (key, value) in attributes {
                    set(doc, &key, value);
                }
            }
            ("add" | "replace", None, _) => {
                return Err(ScimError::invalid_value(format!(
                    "Operations[{i}]: without a path, the value must be an object of attributes"
                )));
            }
            (other, _, _) => {
                return Err(ScimError::invalid_syntax(format!(
                    "Operations[{i}]: op must be add, replace or remove, not {other:?}"
                )));
            }
        }
    }
    Ok(())
}

/// `emails[type eq "work"].value` names the one address Pathway keeps: `emails.value`.
fn without_filter(path: &str) -> String {
    match (path.find('['), path.find(']')) {
        (Some(open), Some(close)) if open < close => {
            format!("{}{}", &path[..open], &path[close + 1..])
        }
        _ => path.to_owned(),
    }
}

fn set(doc: &mut Map<String, Value>, path: &str, value: Value) {
    if value.is_null() {
        return remove(doc, path);
    }
    let Some((top, sub)) = resolve(path) else {
        return;
    };
    match (top, sub) {
        ("emails", _) => {
            if let Some(address) = email(&value) {
                doc.insert("emails".into(), Value::Array(vec![address]));
            }
        }
        ("name" | ENTERPRISE_SCHEMA, None) => {
            let Value::Object(given) = value else {
                doc.insert(top.to_owned(), value);
                return;
            };
            let subs: &[&str] = if top == "name" {
                &["givenName", "familyName"]
            } else {
                &["employeeNumber", "department", "manager"]
            };
            let entry = doc
                .entry(top.to_owned())
                .or_insert_with(|| Value::Object(Map::new()));
            match entry {
                Value::Object(existing) => existing.extend(children(&given, subs)),
                other => *other = Value::Object(children(&given, subs)),
            }
        }
        (_, Some(sub)) => {
            let value = match (sub, value) {
                ("manager", Value::String(id)) => serde_json::json!({ "value": id }),
                (_, value) => value,
            };
            let entry = doc
                .entry(top.to_owned())
                .or_insert_with(|| Value::Object(Map::new()));
            if !entry.is_object() {
                *entry = Value::Object(Map::new());
            }
            if let Value::Object(existing) = entry {
                existing.insert(sub.to_owned(), value);
            }
        }
        (_, None) => {
            doc.insert(top.to_owned(), value);
        }
    }
}

fn remove(doc: &mut Map<String, Value>, path: &str) {
    let Some((top, sub)) = resolve(path) else {
        return;
    };
    match sub {
        Some(sub) if top != "emails" => {
            if let Some(Value::Object(inner)) = doc.get_mut(top) {
                inner.remove(sub);
                if inner.is_empty() {
                    doc.remove(top);
                }
            }
        }
        _ => {
            doc.remove(top);
        }
    }
}

/// The one address an `emails` value gives: the primary of a list, or its first; an address
/// object; or the address itself.
fn email(value: &Value) -> Option<Value> {
    let address = |v: &Value| match v {
        Value::String(s) => Some(s.clone()),
        Value::Object(o) => o
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case("value"))
            .and_then(|(_, v)| v.as_str().map(str::to_owned)),
        _ => None,
    };
    let chosen = match value {
        Value::Array(items) => items
            .iter()
            .find(|i| {
                i.as_object().is_some_and(|o| {
                    o.iter().any(|(k, v)| {
                        k.eq_ignore_ascii_case("primary")
                            && (v == &Value::Bool(true)
                                || v.as_str().is_some_and(|s| s.eq_ignore_ascii_case("true")))
                    })
                })
            })
            .or_else(|| items.first())
            .and_then(address),
        other => address(other),
    }?;
    Some(serde_json::json!({ "value": chosen }))
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn doc() -> Value {
        json!({"userName": "amira", "name": {"givenName": "Amira", "familyName": "Khan"},
            "emails": [{"value": "amira.khan@council.gov.uk"}], "active": true, "title": "Head of Service",
            "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User": {"employeeNumber": "E1", "department": "Planning"}})
    }

    fn patched(operations: Value) -> Value {
        let mut d = doc();
        apply(&mut d, &json!({"schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"], "Operations": operations}))
            .expect("applies");
        d
    }

    #[test]
    fn replace_add_and_remove_with_paths() {
        let d = patched(json!([
            {"op": "Replace", "path": "active", "value": false},
            {"op": "add", "path": "name.givenName", "value": "Amy"},
            {"op": "remove", "path": "title"},
            {"op": "replace", "path": "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department", "value": "Housing"},
            {"op": "replace", "path": "emails[type eq \"work\"].value", "value": "amy.khan@council.gov.uk"},
            {"op": "replace", "path": "phoneNumbers", "value": [{"value": "01632 960000"}]}
        ]));
        assert_eq!(
            d,
            json!({"userName": "amira", "name": {"givenName": "Amy", "familyName": "Khan"},
                "emails": [{"value": "amy.khan@council.gov.uk"}], "active": false,
                "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User": {"employeeNumber": "E1", "department": "Housing"}})
        );
    }

    #[test]
    fn without_a_path_the_value_holds_attributes_and_extension_paths() {
        let d = patched(json!([{"op": "replace", "value": {
            "displayName": "ignored", "TITLE": "Director",
            "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager": "019a8f40-0000-7000-8000-0000000000a0",
            "emails": [{"value": "a@council.gov.uk"}, {"value": "b@council.gov.uk", "primary": true}]
        }}]));
        assert_eq!(d["title"], "Director");
        assert_eq!(d["emails"], json!([{"value": "b@council.gov.uk"}]));
        assert_eq!(
            d["urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"]["manager"],
            json!({"value": "019a8f40-0000-7000-8000-0000000000a0"})
        );
    }

    #[test]
    fn removing_the_extension_or_its_last_attribute_leaves_none() {
        let d = patched(
            json!([{"op": "remove", "path": "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"}]),
        );
        assert!(
            d.get("urn:ietf:params:scim:schemas:extension:enterprise:2.0:User")
                .is_none()
        );
    }

    #[test]
    fn bad_operations_are_refused() {
        let mut d = doc();
        for bad in [
            json!({"Operations": [{"op": "remove"}]}),
            json!({"Operations": [{"op": "move", "path": "title", "value": "x"}]}),
            json!({"Operations": [{"op": "add", "value": "x"}]}),
            json!({"schemas": []}),
        ] {
            assert!(apply(&mut d, &bad).is_err(), "{bad} should be refused");
        }
    }
}
