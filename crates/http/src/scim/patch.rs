//! PATCH operations (RFC 7644 s3.5.2) applied to a user's writable attributes.

use serde::Deserialize;
use serde_json::{Map, Value};
use utoipa::ToSchema;

use super::user::{children, resolve};
use super::{ENTERPRISE_SCHEMA, ScimError, filter};

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
        let kind = operation
            .path
            .as_deref()
            .and_then(filter::email_type_in_path);
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
            ("add" | "replace", Some(path), Some(value)) => set(doc, &path, value, kind.as_deref()),
            ("add" | "replace", None, Some(Value::Object(attributes))) => {
                for (key, value) in attributes {
                    set(doc, &key, value, None);
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

/// `emails[type eq "work"].value` names the one address Pathway keeps: `emails.value`, of the
/// type the filter names.
fn without_filter(path: &str) -> String {
    match (path.find('['), path.find(']')) {
        (Some(open), Some(close)) if open < close => {
            format!("{}{}", &path[..open], &path[close + 1..])
        }
        _ => path.to_owned(),
    }
}

fn set(doc: &mut Map<String, Value>, path: &str, value: Value, kind: Option<&str>) {
    if value.is_null() {
        return remove(doc, path);
    }
    let Some((top, sub)) = resolve(path) else {
        return;
    };
    match (top, sub) {
        ("emails", sub) => {
            // `emails.value` changes the address and keeps its type; `emails` replaces it all.
            let mut kept: Map<String, Value> = match sub {
                Some(_) => doc
                    .get("emails")
                    .and_then(|emails| emails.get(0))
                    .and_then(Value::as_object)
                    .cloned()
                    .unwrap_or_default(),
                None => Map::new(),
            };
            if let Some(kind) = kind {
                kept.insert("type".into(), Value::String(kind.to_owned()));
            }
            if let Some(address) = email(&value, &kept) {
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
/// object; or the address itself. Its `type` and `primary` are the ones it gives, or else
/// those of `kept`: what a change of `emails.value` alone leaves of the address it replaces.
fn email(value: &Value, kept: &Map<String, Value>) -> Option<Value> {
    let field = |o: &Map<String, Value>, name: &str| {
        o.iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.clone())
    };
    let chosen = match value {
        Value::Array(items) => items
            .iter()
            .find(|i| {
                i.as_object()
                    .and_then(|o| field(o, "primary"))
                    .is_some_and(|v| {
                        v == Value::Bool(true)
                            || v.as_str().is_some_and(|s| s.eq_ignore_ascii_case("true"))
                    })
            })
            .or_else(|| items.first())?,
        other => other,
    };
    let mut address = kept.clone();
    match chosen {
        Value::String(s) => {
            address.insert("value".into(), Value::String(s.clone()));
        }
        Value::Object(o) => {
            address.insert("value".into(), field(o, "value")?);
            for name in ["type", "primary"] {
                if let Some(given) = field(o, name) {
                    address.insert(name.into(), given);
                }
            }
        }
        _ => return None,
    }
    Some(Value::Object(address))
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
                "emails": [{"value": "amy.khan@council.gov.uk", "type": "work"}], "active": false,
                "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User": {"employeeNumber": "E1", "department": "Housing"}})
        );
    }

    #[test]
    fn an_address_keeps_its_type_unless_the_change_names_another() {
        let d = patched(json!([
            {"op": "replace", "path": "emails[type eq \"work\"].value", "value": "a@council.gov.uk"},
            {"op": "replace", "path": "emails.value", "value": "b@council.gov.uk"}
        ]));
        assert_eq!(
            d["emails"],
            json!([{"value": "b@council.gov.uk", "type": "work"}])
        );
        let d = patched(json!([
            {"op": "replace", "path": "emails[type eq \"work\"].value", "value": "a@council.gov.uk"},
            {"op": "replace", "path": "emails", "value": [{"value": "c@home.example", "type": "home", "primary": true}]}
        ]));
        assert_eq!(
            d["emails"],
            json!([{"value": "c@home.example", "type": "home", "primary": true}])
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
        assert_eq!(
            d["emails"],
            json!([{"value": "b@council.gov.uk", "primary": true}])
        );
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
