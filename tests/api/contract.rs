//! The contract itself, as code generators, linters and property testers read it: examples
//! that their own schemas accept, unique operation ids, merge-patch bodies a typed client can
//! send partly, and a description for every operation.

use std::collections::BTreeMap;

use serde_json::{Value, json};

fn spec() -> Value {
    serde_json::from_str(&pathway_http::openapi::json()).expect("json")
}

fn operations(spec: &Value) -> impl Iterator<Item = (String, &Value)> {
    spec["paths"]
        .as_object()
        .expect("paths")
        .iter()
        .flat_map(|(path, item)| {
            item.as_object()
                .expect("a path item")
                .iter()
                .map(move |(method, operation)| (format!("{method} {path}"), operation))
        })
}

/// Every example in the contract with the schema it illustrates: a component's, a property's,
/// a body's and a parameter's.
fn examples(spec: &Value) -> Vec<(String, Value, Value)> {
    let mut found = Vec::new();
    for (name, schema) in spec["components"]["schemas"].as_object().expect("schemas") {
        let reference = json!({"$ref": format!("#/components/schemas/{name}")});
        if let Some(example) = schema.get("example") {
            found.push((name.clone(), reference, example.clone()));
        }
        for (field, property) in schema["properties"].as_object().into_iter().flatten() {
            if let Some(example) = property.get("example") {
                found.push((format!("{name}.{field}"), property.clone(), example.clone()));
            }
        }
    }
    let bodies = |found: &mut Vec<_>, place: String, content: &Value| {
        for (media, body) in content.as_object().into_iter().flatten() {
            if let Some(example) = body.get("example") {
                found.push((
                    format!("{place} {media}"),
                    body["schema"].clone(),
                    example.clone(),
                ));
            }
        }
    };
    for (name, response) in spec["components"]["responses"]
        .as_object()
        .into_iter()
        .flatten()
    {
        bodies(&mut found, format!("response {name}"), &response["content"]);
    }
    for (name, operation) in operations(spec) {
        bodies(
            &mut found,
            format!("{name} request"),
            &operation["requestBody"]["content"],
        );
        for (status, response) in operation["responses"].as_object().into_iter().flatten() {
            bodies(&mut found, format!("{name} {status}"), &response["content"]);
        }
        for parameter in operation["parameters"].as_array().into_iter().flatten() {
            if let Some(example) = parameter.get("example") {
                let place = format!("{name} parameter {}", parameter["name"]);
                found.push((place, parameter["schema"].clone(), example.clone()));
            }
        }
    }
    found
}

/// The examples their schemas refuse, each with why; formats (uuid, date, email) are checked.
fn refused_examples(spec: &Value) -> (usize, Vec<String>) {
    let examples = examples(spec);
    let mut refused = Vec::new();
    for (place, schema, example) in &examples {
        // The schema is checked where it stands, so that its references resolve.
        let root = json!({"components": spec["components"], "allOf": [schema]});
        let validator = jsonschema::draft202012::options()
            .should_validate_formats(true)
            .build(&root)
            .unwrap_or_else(|e| panic!("{place}: the schema does not compile: {e}"));
        refused.extend(
            validator
                .iter_errors(example)
                .map(|error| format!("{place}: {error} at {}", error.instance_path())),
        );
    }
    (examples.len(), refused)
}

#[test]
fn every_example_in_the_contract_is_valid_against_its_own_schema() {
    let (checked, refused) = refused_examples(&spec());
    assert!(refused.is_empty(), "{}", refused.join("\n"));
    assert!(checked > 200, "only {checked} examples checked");
}

#[test]
fn a_wrong_example_is_caught() {
    let mut spec = spec();
    spec["components"]["schemas"]["CourseView"]["example"]["pillar"] = json!("Leadership");
    spec["components"]["schemas"]["ClientInput"]["example"]["scopes"] = json!(["learners_sync"]);
    // Formats count too: an id that is no UUID, a day that is no date.
    spec["components"]["schemas"]["SessionView"]["example"]["course_id"] = json!("course-1");
    spec["components"]["schemas"]["LearnerView"]["example"]["started_on"] = json!("2026-02-30");
    let (_, refused) = refused_examples(&spec);
    assert!(
        refused.iter().any(|r| r.starts_with("CourseView:")),
        "{refused:?}"
    );
    assert!(
        refused.iter().any(|r| r.starts_with("ClientInput:")),
        "{refused:?}"
    );
}

#[test]
fn operation_ids_are_unique() {
    let mut seen: BTreeMap<&str, Vec<String>> = BTreeMap::new();
    let spec = spec();
    for (name, operation) in operations(&spec) {
        let id = operation["operationId"].as_str().expect("an operationId");
        seen.entry(id).or_default().push(name);
    }
    let shared: Vec<_> = seen.iter().filter(|(_, names)| names.len() > 1).collect();
    assert!(shared.is_empty(), "operationIds shared: {shared:?}");
    assert!(seen.len() > 100);
}

/// A merge-patch schema and the object schemas nested in it require nothing.
fn requires_nothing(spec: &Value, reference: &str, trail: &str) {
    let name = reference.rsplit('/').next().expect("a schema name");
    let schema = &spec["components"]["schemas"][name];
    assert!(schema.is_object(), "{trail}: {reference} does not resolve");
    assert!(
        schema["required"].as_array().is_none_or(Vec::is_empty),
        "{trail}: {name} requires {}",
        schema["required"]
    );
    for (field, property) in schema["properties"].as_object().into_iter().flatten() {
        let options = property["oneOf"].as_array().cloned().unwrap_or_default();
        for nested in std::iter::once(property).chain(options.iter()) {
            let Some(target) = nested["$ref"].as_str() else {
                continue;
            };
            let target_name = target.rsplit('/').next().expect("a schema name");
            if spec["components"]["schemas"][target_name]["properties"].is_object() {
                requires_nothing(spec, target, &format!("{trail}.{field}"));
            }
        }
    }
}

#[test]
fn every_patch_body_is_a_merge_patch_that_requires_nothing() {
    let spec = spec();
    let mut checked = 0;
    for (name, operation) in operations(&spec) {
        if !name.starts_with("patch /v1/") {
            continue;
        }
        let content = operation["requestBody"]["content"]
            .as_object()
            .expect("a body");
        let body = &content["application/merge-patch+json"];
        let reference = body["schema"]["$ref"]
            .as_str()
            .unwrap_or_else(|| panic!("{name}: no merge-patch schema"));
        assert!(
            reference.ends_with("Patch"),
            "{name}: the body is {reference}, not a patch"
        );
        requires_nothing(&spec, reference, &name);
        checked += 1;
    }
    assert!(checked >= 9, "only {checked} PATCH operations");
}

#[test]
fn a_merge_patch_allows_null_exactly_where_a_create_may_leave_a_field_out() {
    let spec = spec();
    let patch = &spec["components"]["schemas"]["CoursePatch"]["properties"];
    let nullable = |field: &str| {
        let p = &patch[field];
        p["type"]
            .as_array()
            .is_some_and(|t| t.contains(&json!("null")))
            || p["oneOf"]
                .as_array()
                .is_some_and(|o| o.contains(&json!({"type": "null"})))
    };
    for optional in [
        "description",
        "cost_pence",
        "validity_months",
        "equality_impact_assessment",
    ] {
        assert!(nullable(optional), "{optional} can be cleared");
    }
    for required in ["code", "title", "pillar", "provider"] {
        assert!(!nullable(required), "{required} cannot be cleared");
    }
}

#[test]
fn the_committed_contract_matches_the_code() {
    let committed = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../openapi/openapi.json"
    ))
    .expect("openapi/openapi.json is committed");
    assert!(
        committed == pathway_http::openapi::json(),
        "openapi/openapi.json is stale: regenerate it with `cargo run -q -- openapi > openapi/openapi.json`"
    );
}

#[test]
fn every_operation_is_documented_with_an_id_summary_description_tag_and_errors() {
    let spec: Value = serde_json::from_str(&pathway_http::openapi::json()).expect("json");
    for (path, operations) in spec["paths"].as_object().expect("paths") {
        for (method, operation) in operations.as_object().expect("operations") {
            let name = format!("{method} {path}");
            assert!(
                operation["operationId"].is_string(),
                "{name} has no operationId"
            );
            assert!(
                operation["summary"]
                    .as_str()
                    .is_some_and(|s| !s.is_empty() && s.len() <= 90 && !s.contains('\n')),
                "{name} needs a one-line summary, with details in the description"
            );
            assert!(
                operation["description"]
                    .as_str()
                    .is_some_and(|d| !d.trim().is_empty() && d != operation["summary"]),
                "{name} needs a description that says more than its summary"
            );
            assert!(
                operation["tags"].as_array().is_some_and(|t| !t.is_empty()),
                "{name} has no tag"
            );
            if path.starts_with("/v1/") {
                assert!(
                    operation["security"].is_array(),
                    "{name} declares no security"
                );
                assert!(
                    operation["responses"]["401"].is_object(),
                    "{name} documents no 401"
                );
            }
        }
    }
}

#[test]
fn every_body_in_the_contract_comes_with_an_example() {
    let spec: Value = serde_json::from_str(&pathway_http::openapi::json()).expect("json");
    let schemas = &spec["components"]["schemas"];
    for (path, operations) in spec["paths"].as_object().expect("paths") {
        for (method, operation) in operations.as_object().expect("operations") {
            let requests = operation["requestBody"]["content"]
                .as_object()
                .into_iter()
                .flat_map(|c| c.values());
            let responses = operation["responses"]
                .as_object()
                .into_iter()
                .flat_map(|r| r.values())
                .filter_map(|r| r["content"].as_object())
                .flat_map(|c| c.values());
            for body in requests.chain(responses) {
                let Some(name) = body["schema"]["$ref"]
                    .as_str()
                    .and_then(|r| r.rsplit('/').next())
                else {
                    continue;
                };
                // A page's example is its items' example.
                let name = name.strip_prefix("PageView_").unwrap_or(name);
                assert!(
                    !body["example"].is_null() || !schemas[name]["example"].is_null(),
                    "{method} {path}: the {name} body has no example"
                );
            }
        }
    }
}

#[test]
fn every_reference_in_the_contract_resolves() {
    fn refs(value: &Value, found: &mut Vec<String>) {
        match value {
            Value::Object(map) => {
                if let Some(Value::String(target)) = map.get("$ref") {
                    found.push(target.clone());
                }
                // Examples are data: SCIM's manager has a `$ref` attribute of its own.
                map.iter()
                    .filter(|(k, _)| *k != "example" && *k != "examples")
                    .for_each(|(_, v)| refs(v, found));
            }
            Value::Array(items) => items.iter().for_each(|v| refs(v, found)),
            _ => {}
        }
    }
    let spec: Value = serde_json::from_str(&pathway_http::openapi::json()).expect("json");
    let mut found = Vec::new();
    refs(&spec, &mut found);
    assert!(!found.is_empty());
    for target in found {
        let pointer = target.strip_prefix('#').expect("a local reference");
        assert!(spec.pointer(pointer).is_some(), "{target} does not resolve");
    }
}
