//! JSON merge patch (RFC 7396): the client sends only what changes; it is applied to the
//! resource's writable fields, and the result is checked like a new resource would be.

use actix_web::HttpRequest;
use actix_web::http::header;
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::Value;

use crate::error::{ApiError, json_error};

pub const CONTENT_TYPE: &str = "application/merge-patch+json";

/// Applies the patch in `body` to `current` and reads the result as `T`.
pub fn apply<T: Serialize + DeserializeOwned>(
    req: &HttpRequest,
    body: &[u8],
    current: &T,
) -> Result<T, ApiError> {
    let content_type = req
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    let essence = content_type.split(';').next().unwrap_or_default().trim();
    if !essence.eq_ignore_ascii_case(CONTENT_TYPE)
        && !essence.eq_ignore_ascii_case("application/json")
    {
        return Err(ApiError::UnsupportedMediaType(format!(
            "send the patch as {CONTENT_TYPE}"
        )));
    }
    let patch: Value = serde_json::from_slice(body).map_err(|e| json_error(&e))?;
    if !patch.is_object() {
        return Err(ApiError::invalid(
            "body",
            "a merge patch is a JSON object of the fields to change",
        ));
    }
    let mut document =
        serde_json::to_value(current).map_err(|e| ApiError::Internal(e.to_string()))?;
    json_patch::merge(&mut document, &patch);
    serde_json::from_value(document).map_err(|e| json_error(&e))
}

/// Gives every merge-patch body of the contract its own schema, derived from the writable
/// fields it is applied to, so that a typed client sends only what changes: no field is
/// required, and `null` is allowed exactly where it is accepted, on the fields a create may
/// leave out (null clears them, or resets them to their default: RFC 7396 s2). Nested objects
/// are patched field by field too, as `json_patch::merge` applies them.
pub fn document(spec: &mut Value) {
    let body = format!(
        "/requestBody/content/{}/schema/$ref",
        CONTENT_TYPE.replace('/', "~1")
    );
    let mut bodies = Vec::new();
    for (path, item) in spec["paths"].as_object().into_iter().flatten() {
        if let Some(target) = item
            .get("patch")
            .and_then(|op| op.pointer(&body))
            .and_then(Value::as_str)
        {
            bodies.push((path.clone(), target.to_owned()));
        }
    }
    for (path, target) in &bodies {
        let patch = patch_schema(&mut spec["components"]["schemas"], target);
        if let Some(reference) = spec["paths"][path]["patch"].pointer_mut(&body) {
            *reference = Value::String(patch);
        }
    }
    // A schema only ever patched (a panel seat's) is now described by its patch alone.
    for (_, target) in bodies {
        let text = spec.to_string();
        if !text.contains(&format!("\"{target}\""))
            && let Some(schemas) = spec["components"]["schemas"].as_object_mut()
        {
            schemas.remove(target.trim_start_matches(SCHEMAS));
        }
    }
}

const SCHEMAS: &str = "#/components/schemas/";

/// The reference to the merge-patch schema of the object schema `target` refers to, made on
/// first use; `None` when `target` is not an object with fields (an enum, a union).
fn patch_of(schemas: &mut Value, target: &str) -> Option<String> {
    let name = target.strip_prefix(SCHEMAS)?;
    schemas.get(name)?.get("properties")?;
    Some(patch_schema(schemas, target))
}

fn patch_schema(schemas: &mut Value, target: &str) -> String {
    let name = target.strip_prefix(SCHEMAS).unwrap_or(target);
    let stem = name
        .strip_suffix("Input")
        .or_else(|| name.strip_suffix("Body"))
        .unwrap_or(name);
    let patch_name = format!("{stem}Patch");
    let reference = format!("{SCHEMAS}{patch_name}");
    if schemas.get(&patch_name).is_some() {
        return reference;
    }
    let mut patch = schemas[name].clone();
    let object = patch
        .as_object_mut()
        .expect("a merge patch applies to an object schema");
    let required: Vec<Value> = object
        .remove("required")
        .and_then(|r| r.as_array().cloned())
        .unwrap_or_default();
    object.remove("example");
    object.insert(
        "description".into(),
        Value::String(format!(
            "A JSON merge patch (RFC 7396) of {name}: only the fields to change. `null` clears a \
             field that may be empty, or resets it to its default."
        )),
    );
    // Reserve the name first: a schema may, in principle, nest itself.
    schemas[&patch_name] = Value::Null;
    let mut properties = object.remove("properties").unwrap_or_default();
    for (field, property) in properties.as_object_mut().into_iter().flatten() {
        patch_nested(schemas, property);
        if !required.contains(&Value::String(field.clone())) {
            allow_null(property);
        }
    }
    patch["properties"] = properties;
    schemas[&patch_name] = patch;
    reference
}

/// A nested object's schema, in a property or among a union's options, becomes its patch.
fn patch_nested(schemas: &mut Value, property: &mut Value) {
    if let Some(target) = property
        .get("$ref")
        .and_then(Value::as_str)
        .map(str::to_owned)
        && let Some(patch) = patch_of(schemas, &target)
    {
        property["$ref"] = Value::String(patch);
    }
    for option in property
        .get_mut("oneOf")
        .and_then(Value::as_array_mut)
        .into_iter()
        .flatten()
    {
        patch_nested(schemas, option);
    }
}

fn allow_null(property: &mut Value) {
    let null = Value::String("null".into());
    match property.get_mut("type") {
        Some(Value::Array(types)) if !types.contains(&null) => types.push(null),
        Some(single @ Value::String(_)) if *single != null => {
            *single = Value::Array(vec![single.take(), null])
        }
        Some(_) => {}
        None => match property.get_mut("oneOf").and_then(Value::as_array_mut) {
            Some(options) => {
                if !options.iter().any(|o| o["type"] == null) {
                    options.insert(0, serde_json::json!({"type": "null"}));
                }
            }
            None => {
                if let Some(reference) = property.as_object_mut().and_then(|p| p.remove("$ref")) {
                    property["oneOf"] = serde_json::json!([{"type": "null"}, {"$ref": reference}]);
                }
            }
        },
    }
}
