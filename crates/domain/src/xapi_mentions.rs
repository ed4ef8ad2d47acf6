//! What a stored statement is found by: the agents and activities it mentions, for the
//! `agent`, `activity`, `related_agents` and `related_activities` filters (xAPI 1.0.3
//! communication s2.1.3), its registration, and what it tells of agents' names and
//! activities' definitions, which the Agents and Activities resources answer from.

use serde_json::{Map, Value};
use uuid::Uuid;

use crate::xapi::identified;

/// What a mention is of, as the store files it.
pub const AGENT: &str = "agent";
pub const ACTIVITY: &str = "activity";

/// An agent's key or an activity's id, and whether the plain filter finds the statement by
/// it: the actor, the object and a group's members are direct; the authority, instructor,
/// team, context activities and whatever a SubStatement names are found only by the
/// `related_*` filters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mention {
    pub key: String,
    pub direct: bool,
}

/// Everything a statement is filed under.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Mentions {
    pub agents: Vec<Mention>,
    pub activities: Vec<Mention>,
    pub registration: Option<Uuid>,
    /// The names agents are given, by agent key.
    pub names: Vec<(String, String)>,
    /// The definitions activities are given, by activity id.
    pub definitions: Vec<(String, Map<String, Value>)>,
}

impl Mentions {
    /// Reads a statement as stored (already checked, so nothing here refuses).
    pub fn of(statement: &Map<String, Value>) -> Self {
        let mut mentions = Self::default();
        mentions.statement(statement, true);
        if let Some(authority) = statement.get("authority") {
            mentions.agent(authority, false);
        }
        mentions.registration = statement
            .get("context")
            .and_then(|c| c.get("registration"))
            .and_then(Value::as_str)
            .and_then(|r| r.parse().ok());
        mentions
    }

    /// A statement or a SubStatement: what it names directly, the statement's own actor and
    /// object, counts as direct only at the top.
    fn statement(&mut self, statement: &Map<String, Value>, top: bool) {
        if let Some(actor) = statement.get("actor") {
            self.agent(actor, top);
        }
        if let Some(object) = statement.get("object") {
            match object.get("objectType").and_then(Value::as_str) {
                None | Some("Activity") => self.activity(object, top),
                Some("Agent" | "Group") => self.agent(object, top),
                Some("SubStatement") if top => {
                    if let Value::Object(inner) = object {
                        self.statement(inner, false);
                    }
                }
                _ => {}
            }
        }
        let Some(Value::Object(context)) = statement.get("context") else {
            return;
        };
        for key in ["instructor", "team"] {
            if let Some(agent) = context.get(key) {
                self.agent(agent, false);
            }
        }
        if let Some(Value::Object(activities)) = context.get("contextActivities") {
            for list in activities.values() {
                match list {
                    Value::Array(list) => list.iter().for_each(|a| self.activity(a, false)),
                    one => self.activity(one, false),
                }
            }
        }
    }

    fn agent(&mut self, agent: &Value, direct: bool) {
        let Value::Object(object) = agent else {
            return;
        };
        if let Some(key) = identified(object) {
            if let Some(name) = object.get("name").and_then(Value::as_str) {
                self.names.push((key.clone(), name.to_owned()));
            }
            add(&mut self.agents, key, direct);
        }
        if let Some(Value::Array(members)) = object.get("member") {
            members.iter().for_each(|m| self.agent(m, direct));
        }
    }

    fn activity(&mut self, activity: &Value, direct: bool) {
        let Some(id) = activity.get("id").and_then(Value::as_str) else {
            return;
        };
        if let Some(Value::Object(definition)) = activity.get("definition") {
            self.definitions.push((id.to_owned(), definition.clone()));
        }
        add(&mut self.activities, id.to_owned(), direct);
    }
}

/// Each key once: direct if any mention of it is.
fn add(mentions: &mut Vec<Mention>, key: String, direct: bool) {
    match mentions.iter_mut().find(|m| m.key == key) {
        Some(known) => known.direct |= direct,
        None => mentions.push(Mention { key, direct }),
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn mentions(statement: Value) -> Mentions {
        Mentions::of(statement.as_object().expect("an object"))
    }

    fn keys(list: &[Mention], direct: bool) -> Vec<&str> {
        list.iter()
            .filter(|m| m.direct == direct)
            .map(|m| m.key.as_str())
            .collect()
    }

    #[test]
    fn actor_object_and_members_are_direct_the_rest_related() {
        let m = mentions(json!({
            "actor": {"objectType": "Group", "account": {"homePage": "https://lms.example", "name": "team-7"},
                "member": [{"name": "Amira Khan", "mbox": "mailto:amira@council.gov.uk"}]},
            "verb": {"id": "http://adlnet.gov/expapi/verbs/attended"},
            "object": {"id": "https://lms.example/sessions/1", "definition": {"name": {"en-GB": "Induction"}}},
            "context": {
                "registration": "5f0e7e9a-6d43-4a43-9a2c-2f5b3c1e8d10",
                "instructor": {"mbox": "mailto:trainer@council.gov.uk"},
                "contextActivities": {"parent": [{"id": "https://lms.example/courses/induction"}],
                    "category": {"id": "https://lms.example/categories/core"}}
            },
            "authority": {"account": {"homePage": "https://pathway.example/v1/api-clients", "name": "c1"}}
        }));
        assert_eq!(
            keys(&m.agents, true),
            [
                "account:https://lms.example|team-7",
                "mbox:mailto:amira@council.gov.uk"
            ]
        );
        assert_eq!(
            keys(&m.agents, false),
            [
                "mbox:mailto:trainer@council.gov.uk",
                "account:https://pathway.example/v1/api-clients|c1"
            ]
        );
        assert_eq!(
            keys(&m.activities, true),
            ["https://lms.example/sessions/1"]
        );
        assert_eq!(
            keys(&m.activities, false),
            // The context's lists in the order the stored JSON keeps them.
            [
                "https://lms.example/categories/core",
                "https://lms.example/courses/induction"
            ]
        );
        assert_eq!(
            m.registration,
            Some(
                "5f0e7e9a-6d43-4a43-9a2c-2f5b3c1e8d10"
                    .parse()
                    .expect("a UUID")
            )
        );
        assert_eq!(
            m.names,
            [(
                "mbox:mailto:amira@council.gov.uk".to_owned(),
                "Amira Khan".to_owned()
            )]
        );
        assert_eq!(m.definitions[0].0, "https://lms.example/sessions/1");
    }

    #[test]
    fn a_sub_statement_is_related_only_and_an_agent_named_twice_direct_once() {
        let m = mentions(json!({
            "actor": {"mbox": "mailto:a@council.gov.uk"},
            "verb": {"id": "http://example.com/planned"},
            "object": {"objectType": "SubStatement",
                "actor": {"mbox": "mailto:a@council.gov.uk"},
                "verb": {"id": "http://example.com/attend"},
                "object": {"objectType": "Agent", "mbox": "mailto:b@council.gov.uk"}},
            "context": {"instructor": {"mbox": "mailto:a@council.gov.uk"}}
        }));
        assert_eq!(keys(&m.agents, true), ["mbox:mailto:a@council.gov.uk"]);
        assert_eq!(keys(&m.agents, false), ["mbox:mailto:b@council.gov.uk"]);
        assert!(m.activities.is_empty());
        assert_eq!(m.registration, None);
    }
}
