//! How the LRS answers what it holds: a statement query's `format` (`exact`, `ids` or
//! `canonical`) with the language filtering `canonical` asks for (xAPI 1.0.3 communication
//! s2.1.3), the canonical definition an activity has from every statement that defined it
//! (s2.5), and the Person the Agents resource answers (s2.4).

use std::str::FromStr;

use serde_json::{Map, Value, json};

use crate::xapi::Invalid;

/// How statements are written in a query's answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Format {
    /// As received.
    #[default]
    Exact,
    /// Agents, groups, activities and verbs by their identifiers alone.
    Ids,
    /// Activities with the LRS's canonical definition, every language map in one language.
    Canonical,
}

impl FromStr for Format {
    type Err = Invalid;

    fn from_str(s: &str) -> Result<Self, Invalid> {
        match s {
            "exact" => Ok(Self::Exact),
            "ids" => Ok(Self::Ids),
            "canonical" => Ok(Self::Canonical),
            other => Err(Invalid(format!(
                "format: must be exact, ids or canonical, not {other}"
            ))),
        }
    }
}

/// The languages a client accepts, most wanted first, from its `Accept-Language` header.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Languages(Vec<String>);

impl Languages {
    /// Reads an `Accept-Language` value (RFC 9110 s12.5.4); ranges it cannot read and those
    /// with q=0 are left out.
    pub fn accepted(header: &str) -> Self {
        let mut ranges: Vec<(String, f32)> = header
            .split(',')
            .filter_map(|part| {
                let mut pieces = part.split(';');
                let range = pieces.next()?.trim();
                let q = pieces
                    .find_map(|p| p.trim().strip_prefix("q="))
                    .map_or(Some(1.0), |q| q.trim().parse::<f32>().ok())?;
                (!range.is_empty() && q > 0.0).then(|| (range.to_ascii_lowercase(), q))
            })
            .collect();
        // Stable: ranges of equal weight keep the client's order.
        ranges.sort_by(|a, b| b.1.total_cmp(&a.1));
        Self(ranges.into_iter().map(|(range, _)| range).collect())
    }

    /// The one language of a language map to answer: for the first range any tag matches,
    /// the tag it names or one it is a prefix of (RFC 4647 basic filtering), else the
    /// range shortened a subtag at a time (lookup); with no match, `und`, else the first.
    fn pick<'m>(&self, map: &'m Map<String, Value>) -> Option<&'m str> {
        let tags: Vec<&str> = map.keys().map(String::as_str).collect();
        for range in &self.0 {
            if range == "*" {
                return tags.first().copied();
            }
            let under = format!("{range}-");
            if let Some(tag) = tags.iter().find(|t| {
                t.eq_ignore_ascii_case(range) || t.to_ascii_lowercase().starts_with(&under)
            }) {
                return Some(tag);
            }
            let mut range = range.as_str();
            loop {
                if let Some(tag) = tags.iter().find(|t| t.eq_ignore_ascii_case(range)) {
                    return Some(tag);
                }
                match range.rsplit_once('-') {
                    Some((shorter, _)) => range = shorter,
                    None => break,
                }
            }
        }
        tags.iter()
            .find(|t| t.eq_ignore_ascii_case("und"))
            .or(tags.first())
            .copied()
    }

    fn filter(&self, map: Option<&mut Value>) {
        let Some(Value::Object(map)) = map else {
            return;
        };
        if let Some(keep) = self.pick(map).map(str::to_owned) {
            map.retain(|tag, _| *tag == keep);
        }
    }
}

/// Takes what a newer statement says of an activity into its canonical definition: its
/// names, descriptions and extensions are added language by language (key by key), the rest
/// replaced.
pub fn merge_definition(canonical: &mut Map<String, Value>, newer: &Map<String, Value>) {
    for (key, value) in newer {
        match (key.as_str(), canonical.get_mut(key), value) {
            (
                "name" | "description" | "extensions",
                Some(Value::Object(known)),
                Value::Object(more),
            ) => {
                known.extend(more.iter().map(|(k, v)| (k.clone(), v.clone())));
            }
            _ => {
                canonical.insert(key.clone(), value.clone());
            }
        }
    }
}

/// Writes a statement as `format=ids` asks: agents and identified groups by their identifier,
/// anonymous groups by their members', activities by id, verbs by id.
pub fn ids(statement: &mut Map<String, Value>) {
    for key in ["actor", "authority"] {
        if let Some(agent) = statement.get_mut(key) {
            agent_ids(agent);
        }
    }
    if let Some(Value::Object(verb)) = statement.get_mut("verb") {
        verb.retain(|k, _| k == "id");
    }
    if let Some(object) = statement.get_mut("object") {
        match object.get("objectType").and_then(Value::as_str) {
            None | Some("Activity") => activity_ids(object),
            Some("Agent" | "Group") => agent_ids(object),
            Some("SubStatement") => {
                if let Value::Object(inner) = object {
                    ids(inner);
                }
            }
            _ => {}
        }
    }
    if let Some(Value::Object(context)) = statement.get_mut("context") {
        for key in ["instructor", "team"] {
            if let Some(agent) = context.get_mut(key) {
                agent_ids(agent);
            }
        }
        for_each_context_activity(context, activity_ids);
    }
}

fn agent_ids(agent: &mut Value) {
    let Value::Object(object) = agent else {
        return;
    };
    let identified = ["mbox", "mbox_sha1sum", "openid", "account"]
        .iter()
        .any(|k| object.contains_key(*k));
    object.retain(|k, _| {
        matches!(
            k.as_str(),
            "objectType" | "mbox" | "mbox_sha1sum" | "openid" | "account"
        ) || (k == "member" && !identified)
    });
    if let Some(Value::Array(members)) = object.get_mut("member") {
        members.iter_mut().for_each(agent_ids);
    }
}

/// An activity by its id alone: `Activity` is what an object without a type is anyway.
fn activity_ids(activity: &mut Value) {
    if let Value::Object(object) = activity {
        object.retain(|k, _| k == "id");
    }
}

fn for_each_context_activity(context: &mut Map<String, Value>, mut f: impl FnMut(&mut Value)) {
    if let Some(Value::Object(activities)) = context.get_mut("contextActivities") {
        for list in activities.values_mut() {
            match list {
                Value::Array(list) => list.iter_mut().for_each(&mut f),
                one => f(one),
            }
        }
    }
}

/// Writes a statement as `format=canonical` asks: each activity with the canonical
/// definition `definition_of` gives (its own where there is none), and every language map
/// in the one language the client accepts best.
pub fn canonical(
    statement: &mut Map<String, Value>,
    definition_of: &impl Fn(&str) -> Option<Map<String, Value>>,
    languages: &Languages,
) {
    if let Some(Value::Object(verb)) = statement.get_mut("verb") {
        languages.filter(verb.get_mut("display"));
    }
    let activity = |activity: &mut Value| canonical_activity(activity, definition_of, languages);
    if let Some(object) = statement.get_mut("object") {
        match object.get("objectType").and_then(Value::as_str) {
            None | Some("Activity") => activity(object),
            Some("SubStatement") => {
                if let Value::Object(inner) = object {
                    canonical(inner, definition_of, languages);
                }
            }
            _ => {}
        }
    }
    if let Some(Value::Object(context)) = statement.get_mut("context") {
        for_each_context_activity(context, activity);
    }
    if let Some(Value::Array(attachments)) = statement.get_mut("attachments") {
        for attachment in attachments.iter_mut().filter_map(Value::as_object_mut) {
            languages.filter(attachment.get_mut("display"));
            languages.filter(attachment.get_mut("description"));
        }
    }
}

fn canonical_activity(
    activity: &mut Value,
    definition_of: &impl Fn(&str) -> Option<Map<String, Value>>,
    languages: &Languages,
) {
    let Value::Object(object) = activity else {
        return;
    };
    if let Some(definition) = object
        .get("id")
        .and_then(Value::as_str)
        .and_then(definition_of)
    {
        object.insert("definition".into(), Value::Object(definition));
    }
    let Some(Value::Object(definition)) = object.get_mut("definition") else {
        return;
    };
    languages.filter(definition.get_mut("name"));
    languages.filter(definition.get_mut("description"));
    for key in ["choices", "scale", "source", "target", "steps"] {
        if let Some(Value::Array(components)) = definition.get_mut(key) {
            for component in components.iter_mut().filter_map(Value::as_object_mut) {
                languages.filter(component.get_mut("description"));
            }
        }
    }
}

/// The Person the Agents resource answers: every identifier Pathway knows for the agent (its
/// own and, when the agent is a learner, the learner's others) and the names statements gave
/// them. `keys` are agent keys as [`crate::xapi::agent_key`] writes them.
pub fn person(keys: &[String], names: &[String]) -> Value {
    let mut person = Map::new();
    person.insert("objectType".into(), json!("Person"));
    let mut add = |property: &str, value: Value| {
        let list = person
            .entry(property)
            .or_insert_with(|| Value::Array(Vec::new()));
        if let Value::Array(list) = list
            && !list.contains(&value)
        {
            list.push(value);
        }
    };
    for name in names {
        add("name", json!(name));
    }
    for key in keys {
        let Some((kind, value)) = key.split_once(':') else {
            continue;
        };
        match kind {
            "mbox" | "mbox_sha1sum" | "openid" => add(kind, json!(value)),
            "account" => {
                // An IRI has no `|`, so the first one ends the home page.
                if let Some((home, name)) = value.split_once('|') {
                    add("account", json!({"homePage": home, "name": name}));
                }
            }
            _ => {}
        }
    }
    Value::Object(person)
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn object(value: Value) -> Map<String, Value> {
        value.as_object().expect("an object").clone()
    }

    fn statement() -> Map<String, Value> {
        object(json!({
            "id": "5f0e7e9a-6d43-4a43-9a2c-2f5b3c1e8d10",
            "actor": {"objectType": "Agent", "name": "Amira Khan", "mbox": "mailto:amira@council.gov.uk"},
            "verb": {"id": "http://adlnet.gov/expapi/verbs/completed",
                "display": {"en-GB": "completed", "cy": "cwblhawyd"}},
            "object": {"id": "https://lms.example/gdpr",
                "definition": {"name": {"en-GB": "Data protection", "cy": "Diogelu data"},
                    "type": "http://adlnet.gov/expapi/activities/course"}},
            "context": {"contextActivities": {"parent": [{"id": "https://lms.example/core",
                "definition": {"name": {"en-GB": "Core"}}}]},
                "team": {"objectType": "Group", "name": "Anonymous", "member": [{"name": "B", "mbox": "mailto:b@council.gov.uk"}]}}
        }))
    }

    #[test]
    fn ids_keeps_identifiers_only() {
        let mut s = statement();
        ids(&mut s);
        assert_eq!(
            s["actor"],
            json!({"objectType": "Agent", "mbox": "mailto:amira@council.gov.uk"})
        );
        assert_eq!(
            s["verb"],
            json!({"id": "http://adlnet.gov/expapi/verbs/completed"})
        );
        assert_eq!(s["object"], json!({"id": "https://lms.example/gdpr"}));
        assert_eq!(
            s["context"]["contextActivities"]["parent"],
            json!([{"id": "https://lms.example/core"}])
        );
        // An anonymous group is known by its members.
        assert_eq!(
            s["context"]["team"],
            json!({"objectType": "Group", "member": [{"mbox": "mailto:b@council.gov.uk"}]})
        );
    }

    #[test]
    fn canonical_uses_the_lrs_definition_in_the_language_accepted() {
        let mut s = statement();
        let canonical_gdpr = object(
            json!({"name": {"en-GB": "Data protection (UK GDPR)", "cy": "Diogelu data (GDPR)"},
            "description": {"en-US": "Data protection", "cy": "Diogelu"}}),
        );
        let definitions =
            |id: &str| (id == "https://lms.example/gdpr").then(|| canonical_gdpr.clone());
        canonical(
            &mut s,
            &definitions,
            &Languages::accepted("cy-GB, en;q=0.5"),
        );
        assert_eq!(s["verb"]["display"], json!({"cy": "cwblhawyd"}));
        assert_eq!(
            s["object"]["definition"],
            json!({"name": {"cy": "Diogelu data (GDPR)"}, "description": {"cy": "Diogelu"}})
        );
        // No definition known but its own; no Welsh, so the next best.
        assert_eq!(
            s["context"]["contextActivities"]["parent"][0]["definition"],
            json!({"name": {"en-GB": "Core"}})
        );
    }

    #[test]
    fn languages_fall_back_to_und_then_the_first() {
        let map = object(json!({"en-US": "a", "und": "b"}));
        assert_eq!(Languages::accepted("fr").pick(&map), Some("und"));
        assert_eq!(
            Languages::accepted("fr, en;q=0.1").pick(&map),
            Some("en-US")
        );
        assert_eq!(
            Languages::accepted("en-US-x-twain").pick(&map),
            Some("en-US")
        );
        assert_eq!(Languages::accepted("EN-us").pick(&map), Some("en-US"));
        assert_eq!(
            Languages::accepted("*;q=0.2, fr;q=0").pick(&map),
            Some("en-US")
        );
        assert_eq!(
            Languages::default().pick(&object(json!({"fr": "x"}))),
            Some("fr")
        );
    }

    #[test]
    fn definitions_merge_language_by_language() {
        let mut known =
            object(json!({"name": {"en-US": "example meeting"}, "type": "http://a.example/t1"}));
        merge_definition(
            &mut known,
            &object(json!({"name": {"fr-FR": "réunion"}, "type": "http://a.example/t2"})),
        );
        assert_eq!(
            known,
            object(
                json!({"name": {"en-US": "example meeting", "fr-FR": "réunion"}, "type": "http://a.example/t2"})
            )
        );
    }

    #[test]
    fn a_person_lists_every_identifier_and_name() {
        let person = person(
            &[
                "mbox:mailto:amira@council.gov.uk".into(),
                "account:https://hr.council.gov.uk|E1042".into(),
            ],
            &["Amira Khan".into(), "Amira Khan".into()],
        );
        assert_eq!(
            person,
            json!({"objectType": "Person", "name": ["Amira Khan"],
                "mbox": ["mailto:amira@council.gov.uk"],
                "account": [{"homePage": "https://hr.council.gov.uk", "name": "E1042"}]})
        );
        assert!("other".parse::<Format>().is_err());
    }
}
