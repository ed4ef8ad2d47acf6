//! xAPI 1.0.3 statements (<https://github.com/adlnet/xAPI-Spec>): what a Learning Record Store
//! accepts, and when a statement is a learner's completion of a course.

use chrono::{DateTime, NaiveDate, Utc};
use serde_json::{Map, Value};
use uuid::Uuid;

use crate::calendar::london_date;

/// The version this LRS speaks, sent on every response.
pub const VERSION: &str = "1.0.3";
pub const COMPLETED: &str = "http://adlnet.gov/expapi/verbs/completed";
pub const PASSED: &str = "http://adlnet.gov/expapi/verbs/passed";
pub const VOIDED: &str = "http://adlnet.gov/expapi/verbs/voided";

/// Why a statement (or a query) is refused: a 400 whose message names the property.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct Invalid(pub String);

fn invalid<T>(at: &str, message: impl std::fmt::Display) -> Result<T, Invalid> {
    Err(Invalid(format!("{at}: {message}")))
}

/// A valid statement, with what the store files it under.
#[derive(Debug, Clone, PartialEq)]
pub struct Statement {
    pub id: Uuid,
    /// The statement as received, with its id; [`Statement::stamp`] adds what the LRS sets.
    pub body: Map<String, Value>,
    pub verb_id: String,
    /// The id of the object, when the object is an activity.
    pub activity_id: Option<String>,
    /// The actor's email address (from `mbox`), in lower case.
    pub actor_email: Option<String>,
    /// The actor's `account`: home page and name.
    pub actor_account: Option<(String, String)>,
    /// The statement a voiding statement voids.
    pub voids: Option<Uuid>,
    /// The statement its object names, when that is a StatementRef, voiding or not.
    pub refers_to: Option<Uuid>,
}

impl Statement {
    /// Checks a statement against the specification. `id` is the `statementId` of a PUT,
    /// which the body's own id, if any, must equal.
    pub fn parse(value: Value, id: Option<Uuid>) -> Result<Self, Invalid> {
        let Value::Object(mut body) = value else {
            return invalid("statement", "must be a JSON object");
        };
        allowed(
            &body,
            "statement",
            &[
                "id",
                "actor",
                "verb",
                "object",
                "result",
                "context",
                "timestamp",
                "stored",
                "authority",
                "version",
                "attachments",
            ],
        )?;
        let own_id = match body.get("id") {
            None => None,
            Some(v) => Some(uuid(v, "id")?),
        };
        let id = match (own_id, id) {
            (Some(a), Some(b)) if a != b => {
                return invalid("id", "differs from the statementId parameter");
            }
            // Version 4: xAPI 1.0.3 asks for RFC 4122 UUIDs, and LRS clients (tincan among
            // them) refuse the later versions.
            (a, b) => a.or(b).unwrap_or_else(Uuid::new_v4),
        };
        body.insert("id".into(), Value::String(id.to_string()));
        let actor = body
            .get("actor")
            .ok_or_else(|| Invalid("actor: is required".into()))?;
        actor_key(actor, "actor")?;
        let actor_email = actor
            .get("mbox")
            .and_then(Value::as_str)
            .and_then(|m| m.strip_prefix("mailto:"))
            .map(str::to_lowercase);
        let actor_account = actor.get("account").and_then(|a| {
            Some((
                a.get("homePage")?.as_str()?.to_owned(),
                a.get("name")?.as_str()?.to_owned(),
            ))
        });
        let verb_id = verb(body.get("verb"), "verb")?;
        let object = body
            .get("object")
            .ok_or_else(|| Invalid("object: is required".into()))?;
        let object_type = statement_object(object, "object", false)?;
        let activity_id = (object_type == "Activity")
            .then(|| object.get("id").and_then(Value::as_str).map(str::to_owned))
            .flatten();
        let refers_to = if object_type == "StatementRef" {
            Some(uuid(&object["id"], "object.id")?)
        } else {
            None
        };
        let voids = if verb_id == VOIDED {
            if object_type != "StatementRef" {
                return invalid(
                    "object",
                    "a voiding statement's object must be a StatementRef",
                );
            }
            Some(uuid(&object["id"], "object.id")?)
        } else {
            None
        };
        if let Some(result) = body.get("result") {
            self::result(result, "result")?;
        }
        if let Some(context) = body.get("context") {
            self::context(context, "context", &object_type)?;
        }
        as_lists(body.get_mut("context"));
        if let Some(Value::Object(object)) = body.get_mut("object")
            && object.get("objectType").and_then(Value::as_str) == Some("SubStatement")
        {
            as_lists(object.get_mut("context"));
        }
        if let Some(timestamp) = body.get("timestamp") {
            instant(timestamp, "timestamp")?;
        }
        if let Some(version) = body.get("version")
            && !version.as_str().is_some_and(speaks)
        {
            return invalid("version", "must be 1.0 or 1.0.x");
        }
        if let Some(authority) = body.get("authority") {
            // Replaced by the LRS's own when stored, but a malformed one is still refused.
            actor_key(authority, "authority")?;
            // A group is an OAuth application and its user: anonymous, two members (data
            // s2.4.9).
            if authority.get("objectType").and_then(Value::as_str) == Some("Group") {
                let members = authority.get("member").and_then(Value::as_array);
                let anonymous = authority.as_object().and_then(identified).is_none();
                if !anonymous || members.is_none_or(|m| m.len() != 2) {
                    return invalid(
                        "authority",
                        "a group as authority is anonymous, with two members: the OAuth \
                         application and its user",
                    );
                }
            }
        }
        if let Some(attachments) = body.get("attachments") {
            for (i, a) in array(attachments, "attachments")?.iter().enumerate() {
                attachment(a, &format!("attachments[{i}]"))?;
            }
        }
        Ok(Self {
            id,
            body,
            verb_id,
            activity_id,
            actor_email,
            actor_account,
            voids,
            refers_to,
        })
    }

    /// Whether the statement says the actor completed (or passed) an activity: the two ADL
    /// verbs a course's completion is reported with. `failed` and the rest are only kept.
    pub fn reports_completion(&self) -> bool {
        (self.verb_id == COMPLETED || self.verb_id == PASSED) && self.activity_id.is_some()
    }

    /// The learner's HR reference, when the actor is an account on the council's home page.
    pub fn actor_ref(&self, council_home_page: Option<&str>) -> Option<&str> {
        let (home, name) = self.actor_account.as_ref()?;
        on_council_home_page(home, council_home_page).then_some(name.as_str())
    }

    /// `result.score.scaled` as a percentage; a negative score is no percentage.
    pub fn score(&self) -> Option<i32> {
        let scaled = self
            .body
            .get("result")?
            .get("score")?
            .get("scaled")?
            .as_f64()?;
        (0.0..=1.0)
            .contains(&scaled)
            .then(|| (scaled * 100.0).round() as i32)
    }

    /// The day the activity was completed: the statement's timestamp, or when it was stored;
    /// a clock running ahead does not date evidence in the future.
    pub fn completed_on(&self, stored: DateTime<Utc>) -> NaiveDate {
        let at = self
            .body
            .get("timestamp")
            .and_then(|t| instant(t, "timestamp").ok())
            .unwrap_or(stored);
        london_date(Ord::min(at, stored))
    }

    /// What the LRS sets on every statement it receives: `authority`, `version`, and a
    /// `timestamp` of when it arrived when the statement has none. (`stored` is set when the
    /// statement's batch is committed.)
    pub fn stamp(&mut self, received: DateTime<Utc>, authority: Value) {
        let received = Value::String(received.to_rfc3339_opts(chrono::SecondsFormat::Millis, true));
        self.body.entry("timestamp").or_insert(received);
        self.body.remove("stored");
        self.body.insert("authority".into(), authority);
        self.body
            .entry("version")
            .or_insert_with(|| Value::String(VERSION.into()));
    }

    /// Whether a statement sent again with a stored statement's id is the same statement:
    /// what the LRS set is left out of the comparison.
    pub fn same_as(&self, stored: &Map<String, Value>) -> bool {
        let strip = |body: &Map<String, Value>| {
            let mut body = body.clone();
            for key in ["stored", "authority", "version"] {
                body.remove(key);
            }
            if !self.body.contains_key("timestamp") {
                body.remove("timestamp");
            }
            body
        };
        strip(&self.body) == strip(stored)
    }
}

/// The inverse functional identifier of an agent or identified group, as queries match it:
/// `mbox:mailto:...`, `mbox_sha1sum:...`, `openid:...` or `account:<homePage>|<name>`.
pub fn agent_key(agent: &Value) -> Result<String, Invalid> {
    actor_key(agent, "agent")
}

/// Whether an account's home page is the council's, however either ends.
fn on_council_home_page(home: &str, council_home_page: Option<&str>) -> bool {
    council_home_page.is_some_and(|c| c.trim_end_matches('/') == home.trim_end_matches('/'))
}

/// How an agent names a learner, as Pathway files learners.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LearnerName<'a> {
    /// By email address, in lower case.
    Email(String),
    /// By HR reference (`external_ref`).
    Reference(&'a str),
}

/// The learner an agent key names, if any: its `mbox` address, or an account on the
/// council's home page.
pub fn learner_named<'a>(
    agent_key: &'a str,
    council_home_page: Option<&str>,
) -> Option<LearnerName<'a>> {
    if let Some(email) = agent_key.strip_prefix("mbox:mailto:") {
        return Some(LearnerName::Email(email.to_lowercase()));
    }
    let (home, name) = agent_key.strip_prefix("account:")?.split_once('|')?;
    on_council_home_page(home, council_home_page).then_some(LearnerName::Reference(name))
}

/// The agent keys a learner is known by: their email address and, given the council's home
/// page, their HR reference on it.
pub fn learner_keys(
    email: &str,
    external_ref: Option<&str>,
    council_home_page: Option<&str>,
) -> Vec<String> {
    let mut keys = vec![format!("mbox:mailto:{email}")];
    if let (Some(reference), Some(home)) = (external_ref, council_home_page) {
        keys.push(format!("account:{home}|{reference}"));
    }
    keys
}

/// The key of an `agent` query parameter: an Agent written as JSON.
pub fn agent_parameter(raw: &str) -> Result<String, Invalid> {
    let agent: Value =
        serde_json::from_str(raw).map_err(|_| Invalid("agent: must be an Agent as JSON".into()))?;
    agent_key(&agent)
}

/// An `activityId` query parameter: the activity's IRI.
pub fn activity_parameter(raw: &str) -> Result<String, Invalid> {
    if !is_iri(raw) {
        return Err(Invalid("activityId: must be an absolute IRI".into()));
    }
    Ok(raw.to_owned())
}

fn actor_key(actor: &Value, at: &str) -> Result<String, Invalid> {
    let object = actor_object(actor, at)?;
    match object.get("objectType").and_then(Value::as_str) {
        Some("Group") => {
            if let Some(members) = object.get("member") {
                for (i, member) in array(members, &format!("{at}.member"))?.iter().enumerate() {
                    let at = format!("{at}.member[{i}]");
                    if member.get("objectType").and_then(Value::as_str) == Some("Group") {
                        return invalid(&at, "a group's members are agents");
                    }
                    identifier(actor_object(member, &at)?, &at, true)?;
                }
            }
            match identifier(object, at, false)? {
                Some(key) => Ok(key),
                None if object.get("member").is_some() => Ok(format!("group:{}", Uuid::now_v7())),
                None => invalid(at, "an anonymous group needs its members"),
            }
        }
        None | Some("Agent") => Ok(identifier(object, at, true)?.unwrap_or_default()),
        Some(other) => invalid(
            &format!("{at}.objectType"),
            format!("must be Agent or Group, not {other}"),
        ),
    }
}

fn actor_object<'a>(actor: &'a Value, at: &str) -> Result<&'a Map<String, Value>, Invalid> {
    let Value::Object(object) = actor else {
        return invalid(at, "must be an object");
    };
    allowed(
        object,
        at,
        &[
            "objectType",
            "name",
            "mbox",
            "mbox_sha1sum",
            "openid",
            "account",
            "member",
        ],
    )?;
    if let Some(kind) = object.get("objectType") {
        string(kind, &format!("{at}.objectType"))?;
    }
    if object.get("objectType").and_then(Value::as_str) != Some("Group")
        && object.contains_key("member")
    {
        return invalid(at, "only a group has members");
    }
    if let Some(name) = object.get("name") {
        string(name, &format!("{at}.name"))?;
    }
    Ok(object)
}

/// Exactly one identifier, or (for a group) none.
fn identifier(
    object: &Map<String, Value>,
    at: &str,
    required: bool,
) -> Result<Option<String>, Invalid> {
    let present: Vec<&str> = ["mbox", "mbox_sha1sum", "openid", "account"]
        .into_iter()
        .filter(|k| object.contains_key(*k))
        .collect();
    let key = match present.as_slice() {
        [] if required => {
            return invalid(at, "needs one of mbox, mbox_sha1sum, openid or account");
        }
        [] => return Ok(None),
        [one] => *one,
        _ => {
            return invalid(
                at,
                format!("has {}; an agent has exactly one", present.join(", ")),
            );
        }
    };
    let value = &object[key];
    let at = format!("{at}.{key}");
    Ok(Some(match key {
        "mbox" => {
            let mbox = string(value, &at)?;
            match mbox.strip_prefix("mailto:") {
                Some(address) if address.contains('@') => format!("mbox:{mbox}"),
                _ => return invalid(&at, "must be mailto:<email address>"),
            }
        }
        "mbox_sha1sum" => {
            let sum = string(value, &at)?;
            if sum.len() != 40 || !sum.chars().all(|c| c.is_ascii_hexdigit()) {
                return invalid(&at, "must be 40 hexadecimal digits");
            }
            format!("mbox_sha1sum:{}", sum.to_lowercase())
        }
        "openid" => format!("openid:{}", iri(value, &at)?),
        _ => {
            let Value::Object(account) = value else {
                return invalid(&at, "must be an object with homePage and name");
            };
            allowed(account, &at, &["homePage", "name"])?;
            let home = account
                .get("homePage")
                .ok_or_else(|| Invalid(format!("{at}.homePage: is required")))?;
            let name = account
                .get("name")
                .ok_or_else(|| Invalid(format!("{at}.name: is required")))?;
            format!(
                "account:{}|{}",
                iri(home, &format!("{at}.homePage"))?,
                string(name, &format!("{at}.name"))?
            )
        }
    }))
}

/// The key of an agent or identified group already checked, or none for an anonymous group.
pub(crate) fn identified(object: &Map<String, Value>) -> Option<String> {
    identifier(object, "", false).ok().flatten()
}

fn verb(verb: Option<&Value>, at: &str) -> Result<String, Invalid> {
    let Some(Value::Object(verb)) = verb else {
        return invalid(at, "is required, an object with an id");
    };
    allowed(verb, at, &["id", "display"])?;
    let id = verb
        .get("id")
        .ok_or_else(|| Invalid(format!("{at}.id: is required")))?;
    if let Some(display) = verb.get("display") {
        language_map(display, &format!("{at}.display"))?;
    }
    Ok(iri(id, &format!("{at}.id"))?.to_owned())
}

/// Checks a statement's object and returns its objectType.
fn statement_object(object: &Value, at: &str, in_sub_statement: bool) -> Result<String, Invalid> {
    let Value::Object(map) = object else {
        return invalid(at, "must be an object");
    };
    let kind = match map.get("objectType") {
        None => "Activity",
        Some(v) => string(v, &format!("{at}.objectType"))?,
    };
    match kind {
        "Activity" => {
            allowed(map, at, &["objectType", "id", "definition"])?;
            let id = map
                .get("id")
                .ok_or_else(|| Invalid(format!("{at}.id: is required")))?;
            iri(id, &format!("{at}.id"))?;
            if let Some(definition) = map.get("definition") {
                activity_definition(definition, &format!("{at}.definition"))?;
            }
        }
        "Agent" | "Group" => {
            actor_key(object, at)?;
        }
        "StatementRef" => {
            allowed(map, at, &["objectType", "id"])?;
            uuid(map.get("id").unwrap_or(&Value::Null), &format!("{at}.id"))?;
        }
        "SubStatement" if !in_sub_statement => {
            allowed(
                map,
                at,
                &[
                    "objectType",
                    "actor",
                    "verb",
                    "object",
                    "result",
                    "context",
                    "timestamp",
                ],
            )?;
            actor_key(
                map.get("actor").unwrap_or(&Value::Null),
                &format!("{at}.actor"),
            )?;
            verb(map.get("verb"), &format!("{at}.verb"))?;
            let inner = map
                .get("object")
                .ok_or_else(|| Invalid(format!("{at}.object: is required")))?;
            let inner_type = statement_object(inner, &format!("{at}.object"), true)?;
            if let Some(r) = map.get("result") {
                result(r, &format!("{at}.result"))?;
            }
            if let Some(c) = map.get("context") {
                context(c, &format!("{at}.context"), &inner_type)?;
            }
            if let Some(t) = map.get("timestamp") {
                instant(t, &format!("{at}.timestamp"))?;
            }
        }
        "SubStatement" => return invalid(at, "a SubStatement cannot hold another"),
        other => {
            return invalid(
                &format!("{at}.objectType"),
                format!(
                    "must be Activity, Agent, Group, StatementRef or SubStatement, not {other}"
                ),
            );
        }
    }
    Ok(kind.to_owned())
}

fn activity_definition(definition: &Value, at: &str) -> Result<(), Invalid> {
    let Value::Object(map) = definition else {
        return invalid(at, "must be an object");
    };
    allowed(
        map,
        at,
        &[
            "name",
            "description",
            "type",
            "moreInfo",
            "extensions",
            "interactionType",
            "correctResponsesPattern",
            "choices",
            "scale",
            "source",
            "target",
            "steps",
        ],
    )?;
    for key in ["name", "description"] {
        if let Some(v) = map.get(key) {
            language_map(v, &format!("{at}.{key}"))?;
        }
    }
    for key in ["type", "moreInfo"] {
        if let Some(v) = map.get(key) {
            iri(v, &format!("{at}.{key}"))?;
        }
    }
    if let Some(v) = map.get("extensions") {
        extensions(v, &format!("{at}.extensions"))?;
    }
    interaction(map, at)
}

/// The interaction an activity describes (xAPI 1.0.3 s2.4.4.1.1): its type one of xAPI's,
/// its correct responses strings, and only the components its type has.
fn interaction(definition: &Map<String, Value>, at: &str) -> Result<(), Invalid> {
    let kind = match definition.get("interactionType") {
        None => None,
        Some(v) => Some(string(v, &format!("{at}.interactionType"))?),
    };
    let components: &[&str] = match kind {
        None => &[],
        Some("choice" | "sequencing") => &["choices"],
        Some("likert") => &["scale"],
        Some("matching") => &["source", "target"],
        Some("performance") => &["steps"],
        Some("true-false" | "fill-in" | "long-fill-in" | "numeric" | "other") => &[],
        Some(other) => {
            return invalid(
                &format!("{at}.interactionType"),
                format!("{other} is not one of xAPI's interaction types"),
            );
        }
    };
    if let Some(v) = definition.get("correctResponsesPattern") {
        let at = format!("{at}.correctResponsesPattern");
        if kind.is_none() {
            return invalid(&at, "needs an interactionType");
        }
        for (i, pattern) in array(v, &at)?.iter().enumerate() {
            string(pattern, &format!("{at}[{i}]"))?;
        }
    }
    for key in ["choices", "scale", "source", "target", "steps"] {
        let Some(list) = definition.get(key) else {
            continue;
        };
        let at = format!("{at}.{key}");
        if !components.contains(&key) {
            return invalid(
                &at,
                format!(
                    "is not a component of a{} interaction",
                    kind.map_or_else(|| "n untyped".to_owned(), |k| format!(" {k}"))
                ),
            );
        }
        let mut ids = std::collections::HashSet::new();
        for (i, component) in array(list, &at)?.iter().enumerate() {
            let at = format!("{at}[{i}]");
            let Value::Object(component) = component else {
                return invalid(&at, "must be an object");
            };
            allowed(component, &at, &["id", "description"])?;
            let id = component
                .get("id")
                .ok_or_else(|| Invalid(format!("{at}.id: is required")))
                .and_then(|id| string(id, &format!("{at}.id")))?;
            if !ids.insert(id) {
                return invalid(&format!("{at}.id"), "is used twice in the list");
            }
            if let Some(description) = component.get("description") {
                language_map(description, &format!("{at}.description"))?;
            }
        }
    }
    Ok(())
}

/// An attachment's description (xAPI 1.0.3 data s2.4.11); its content, unless it has a
/// `fileUrl`, comes in a part of the request (see [`crate::xapi_attachment`]).
fn attachment(attachment: &Value, at: &str) -> Result<(), Invalid> {
    let Value::Object(map) = attachment else {
        return invalid(at, "must be an object");
    };
    allowed(
        map,
        at,
        &[
            "usageType",
            "display",
            "description",
            "contentType",
            "length",
            "sha2",
            "fileUrl",
        ],
    )?;
    let required = |key: &str| {
        map.get(key)
            .ok_or_else(|| Invalid(format!("{at}.{key}: is required")))
    };
    iri(required("usageType")?, &format!("{at}.usageType"))?;
    language_map(required("display")?, &format!("{at}.display"))?;
    if let Some(v) = map.get("description") {
        language_map(v, &format!("{at}.description"))?;
    }
    let content_type = string(required("contentType")?, &format!("{at}.contentType"))?;
    if !content_type.contains('/') {
        return invalid(
            &format!("{at}.contentType"),
            "must be a media type, such as image/png",
        );
    }
    if !required("length")?.is_u64() {
        return invalid(&format!("{at}.length"), "must be a whole number of bytes");
    }
    let sha2 = string(required("sha2")?, &format!("{at}.sha2"))?;
    if !crate::xapi_attachment::is_sha2(sha2) {
        return invalid(
            &format!("{at}.sha2"),
            "must be a SHA-224, SHA-256, SHA-384 or SHA-512 digest in hexadecimal",
        );
    }
    if let Some(v) = map.get("fileUrl") {
        iri(v, &format!("{at}.fileUrl"))?;
    }
    Ok(())
}

fn result(result: &Value, at: &str) -> Result<(), Invalid> {
    let Value::Object(map) = result else {
        return invalid(at, "must be an object");
    };
    allowed(
        map,
        at,
        &[
            "score",
            "success",
            "completion",
            "response",
            "duration",
            "extensions",
        ],
    )?;
    for key in ["success", "completion"] {
        if map.get(key).is_some_and(|v| !v.is_boolean()) {
            return invalid(&format!("{at}.{key}"), "must be true or false");
        }
    }
    if let Some(v) = map.get("response") {
        string(v, &format!("{at}.response"))?;
    }
    if let Some(v) = map.get("duration")
        && !is_duration(string(v, &format!("{at}.duration"))?)
    {
        return invalid(
            &format!("{at}.duration"),
            "must be an ISO 8601 duration, such as PT1H30M or P2W",
        );
    }
    if let Some(v) = map.get("extensions") {
        extensions(v, &format!("{at}.extensions"))?;
    }
    if let Some(score) = map.get("score") {
        let at = format!("{at}.score");
        let Value::Object(score) = score else {
            return invalid(&at, "must be an object");
        };
        allowed(score, &at, &["scaled", "raw", "min", "max"])?;
        let number = |key: &str| -> Result<Option<f64>, Invalid> {
            match score.get(key) {
                None => Ok(None),
                Some(v) => v
                    .as_f64()
                    .map(Some)
                    .ok_or_else(|| Invalid(format!("{at}.{key}: must be a number"))),
            }
        };
        let (scaled, raw, min, max) = (
            number("scaled")?,
            number("raw")?,
            number("min")?,
            number("max")?,
        );
        if scaled.is_some_and(|s| !(-1.0..=1.0).contains(&s)) {
            return invalid(&format!("{at}.scaled"), "must be from -1 to 1");
        }
        if let (Some(min), Some(max)) = (min, max)
            && min > max
        {
            return invalid(&at, "min must not be above max");
        }
        if let Some(raw) = raw
            && (min.is_some_and(|m| raw < m) || max.is_some_and(|m| raw > m))
        {
            return invalid(&format!("{at}.raw"), "must lie between min and max");
        }
    }
    Ok(())
}

fn context(context: &Value, at: &str, object_type: &str) -> Result<(), Invalid> {
    let Value::Object(map) = context else {
        return invalid(at, "must be an object");
    };
    allowed(
        map,
        at,
        &[
            "registration",
            "instructor",
            "team",
            "contextActivities",
            "revision",
            "platform",
            "language",
            "statement",
            "extensions",
        ],
    )?;
    if let Some(v) = map.get("registration") {
        uuid(v, &format!("{at}.registration"))?;
    }
    if let Some(v) = map.get("instructor") {
        actor_key(v, &format!("{at}.instructor"))?;
    }
    if let Some(v) = map.get("team") {
        if v.get("objectType").and_then(Value::as_str) != Some("Group") {
            return invalid(&format!("{at}.team"), "must be a Group");
        }
        actor_key(v, &format!("{at}.team"))?;
    }
    for key in ["revision", "platform"] {
        if let Some(v) = map.get(key) {
            string(v, &format!("{at}.{key}"))?;
            if object_type != "Activity" {
                return invalid(
                    &format!("{at}.{key}"),
                    "applies only when the object is an activity",
                );
            }
        }
    }
    if let Some(v) = map.get("language") {
        language_tag(
            string(v, &format!("{at}.language"))?,
            &format!("{at}.language"),
        )?;
    }
    if let Some(v) = map.get("statement")
        && statement_object(v, &format!("{at}.statement"), true)? != "StatementRef"
    {
        return invalid(&format!("{at}.statement"), "must be a StatementRef");
    }
    if let Some(v) = map.get("extensions") {
        extensions(v, &format!("{at}.extensions"))?;
    }
    if let Some(v) = map.get("contextActivities") {
        let at = format!("{at}.contextActivities");
        let Value::Object(activities) = v else {
            return invalid(&at, "must be an object");
        };
        allowed(
            activities,
            &at,
            &["parent", "grouping", "category", "other"],
        )?;
        for (key, value) in activities {
            let list = match value {
                Value::Array(list) => list.clone(),
                single => vec![single.clone()],
            };
            for (i, activity) in list.iter().enumerate() {
                let at = format!("{at}.{key}[{i}]");
                if statement_object(activity, &at, true)? != "Activity" {
                    return invalid(&at, "must be an activity");
                }
            }
        }
    }
    Ok(())
}

fn allowed(object: &Map<String, Value>, at: &str, keys: &[&str]) -> Result<(), Invalid> {
    match object.keys().find(|k| !keys.contains(&k.as_str())) {
        Some(unknown) => invalid(at, format!("has no property {unknown}")),
        None => Ok(()),
    }
}

fn string<'a>(value: &'a Value, at: &str) -> Result<&'a str, Invalid> {
    value
        .as_str()
        .ok_or_else(|| Invalid(format!("{at}: must be a string")))
}

fn array<'a>(value: &'a Value, at: &str) -> Result<&'a Vec<Value>, Invalid> {
    value
        .as_array()
        .ok_or_else(|| Invalid(format!("{at}: must be an array")))
}

fn uuid(value: &Value, at: &str) -> Result<Uuid, Invalid> {
    string(value, at)?
        .parse()
        .map_err(|_| Invalid(format!("{at}: must be a UUID")))
}

/// An absolute IRI: a scheme, a colon, and no spaces.
pub fn is_iri(text: &str) -> bool {
    let scheme_ok = text.split_once(':').is_some_and(|(scheme, rest)| {
        !rest.is_empty()
            && scheme.starts_with(|c: char| c.is_ascii_alphabetic())
            && scheme
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || "+-.".contains(c))
    });
    scheme_ok && !text.chars().any(char::is_whitespace)
}

fn iri<'a>(value: &'a Value, at: &str) -> Result<&'a str, Invalid> {
    let text = string(value, at)?;
    if !is_iri(text) {
        return invalid(at, "must be an absolute IRI, such as https://...");
    }
    Ok(text)
}

/// A timestamp with a time zone (ISO 8601 as RFC 3339 profiles it).
pub fn instant(value: &Value, at: &str) -> Result<DateTime<Utc>, Invalid> {
    let text = string(value, at)?;
    // RFC 3339 s4.3: -00:00 says the offset is unknown, which xAPI does not allow.
    if text.ends_with("-00:00") {
        return invalid(at, "must give its offset: -00:00 means unknown");
    }
    DateTime::parse_from_rfc3339(text)
        .map(|t| t.with_timezone(&Utc))
        .map_err(|_| {
            Invalid(format!(
                "{at}: must be an ISO 8601 timestamp with a time zone"
            ))
        })
}

fn language_map(value: &Value, at: &str) -> Result<(), Invalid> {
    let Value::Object(map) = value else {
        return invalid(at, "must be a language map, such as {\"en-GB\": \"...\"}");
    };
    for (tag, text) in map {
        language_tag(tag, at)?;
        if !text.is_string() {
            return invalid(at, "must map language tags to strings");
        }
    }
    Ok(())
}

/// An RFC 5646 language tag, such as `en-GB`.
fn language_tag(tag: &str, at: &str) -> Result<(), Invalid> {
    match language_tags::LanguageTag::parse(tag) {
        Ok(_) => Ok(()),
        Err(_) => invalid(at, format!("{tag:?} is not an RFC 5646 language tag")),
    }
}

/// An ISO 8601 duration as xAPI takes it: `P`, then years, months and days (or weeks alone),
/// then after `T` hours, minutes and seconds, each a number with its letter, in that order;
/// only the last may have a fraction.
fn is_duration(text: &str) -> bool {
    let Some(rest) = text.strip_prefix('P') else {
        return false;
    };
    if let Some(weeks) = rest.strip_suffix('W') {
        return is_number(weeks);
    }
    let (date, time) = match rest.split_once('T') {
        Some((date, time)) if !time.is_empty() => (date, Some(time)),
        Some(_) => return false,
        None => (rest, None),
    };
    let mut parts = Vec::new();
    let units = |part: &str, letters: &[char], parts: &mut Vec<String>| {
        let mut rest = part;
        for letter in letters {
            if let Some((number, after)) = rest.split_once(*letter) {
                if !is_number(number) {
                    return false;
                }
                parts.push(number.to_owned());
                rest = after;
            }
        }
        rest.is_empty()
    };
    if !units(date, &['Y', 'M', 'D'], &mut parts) {
        return false;
    }
    if let Some(time) = time
        && !units(time, &['H', 'M', 'S'], &mut parts)
    {
        return false;
    }
    let whole = |n: &String| n.bytes().all(|b| b.is_ascii_digit());
    match parts.split_last() {
        Some((_, earlier)) => earlier.iter().all(whole),
        None => false,
    }
}

/// Digits, with a fraction after a point or comma.
fn is_number(text: &str) -> bool {
    let (whole, fraction) = match text.split_once(['.', ',']) {
        Some((whole, fraction)) => (whole, Some(fraction)),
        None => (text, None),
    };
    !whole.is_empty()
        && whole.bytes().all(|b| b.is_ascii_digit())
        && fraction.is_none_or(|f| !f.is_empty() && f.bytes().all(|b| b.is_ascii_digit()))
}

/// A single context activity is stored, and returned, as a list of one (xAPI 1.0.3 s2.4.6.2).
fn as_lists(context: Option<&mut Value>) {
    let Some(Value::Object(activities)) = context.and_then(|c| c.get_mut("contextActivities"))
    else {
        return;
    };
    for value in activities.values_mut() {
        if !value.is_array() {
            *value = Value::Array(vec![value.take()]);
        }
    }
}

/// 1.0, or 1.0 with a patch number: the versions this LRS speaks.
pub fn speaks(version: &str) -> bool {
    version == "1.0"
        || version
            .strip_prefix("1.0.")
            .is_some_and(|patch| !patch.is_empty() && patch.bytes().all(|b| b.is_ascii_digit()))
}

fn extensions(value: &Value, at: &str) -> Result<(), Invalid> {
    let Value::Object(map) = value else {
        return invalid(at, "must be an object keyed by IRIs");
    };
    for key in map.keys() {
        iri(&Value::String(key.clone()), &format!("{at} key {key}"))?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn completed() -> Value {
        json!({
            "actor": {"mbox": "mailto:Amira.Khan@council.gov.uk", "name": "Amira Khan"},
            "verb": {"id": COMPLETED, "display": {"en-GB": "completed"}},
            "object": {"id": "https://learnpool.example/courses/gdpr", "definition": {"name": {"en-GB": "GDPR"}}},
            "result": {"score": {"scaled": 0.875}, "completion": true},
            "timestamp": "2026-11-20T10:15:00Z"
        })
    }

    #[test]
    fn a_completion_names_its_learner_activity_and_score() {
        let s = Statement::parse(completed(), None).expect("valid");
        assert!(s.reports_completion());
        assert_eq!(s.actor_email.as_deref(), Some("amira.khan@council.gov.uk"));
        assert_eq!(
            s.activity_id.as_deref(),
            Some("https://learnpool.example/courses/gdpr")
        );
        assert_eq!(s.score(), Some(88));
        let stored = "2026-11-21T09:00:00Z".parse().expect("time");
        assert_eq!(
            s.completed_on(stored),
            NaiveDate::from_ymd_opt(2026, 11, 20).expect("day")
        );
    }

    #[test]
    fn failed_and_other_verbs_are_not_completions() {
        let mut v = completed();
        v["verb"]["id"] = json!("http://adlnet.gov/expapi/verbs/failed");
        assert!(
            !Statement::parse(v, None)
                .expect("valid")
                .reports_completion()
        );
    }

    #[test]
    fn agent_keys_name_learners_by_address_or_council_account() {
        let home = Some("https://hr.council.gov.uk/");
        assert_eq!(
            learner_named("mbox:mailto:Amira.Khan@council.gov.uk", home),
            Some(LearnerName::Email("amira.khan@council.gov.uk".into()))
        );
        assert_eq!(
            learner_named("account:https://hr.council.gov.uk|E10442", home),
            Some(LearnerName::Reference("E10442"))
        );
        assert_eq!(
            learner_named("account:https://lms.example|E10442", home),
            None
        );
        assert_eq!(
            learner_named("account:https://hr.council.gov.uk|E10442", None),
            None
        );
        assert_eq!(learner_named("openid:https://id.example/a", home), None);
        assert_eq!(
            learner_keys("a@council.gov.uk", Some("E1"), home),
            [
                "mbox:mailto:a@council.gov.uk",
                "account:https://hr.council.gov.uk/|E1"
            ]
        );
        assert_eq!(learner_keys("a@council.gov.uk", Some("E1"), None).len(), 1);
    }

    #[test]
    fn an_account_names_a_learner_only_on_the_councils_home_page() {
        let mut v = completed();
        v["actor"] =
            json!({"account": {"homePage": "https://hr.council.gov.uk/", "name": "E10442"}});
        let s = Statement::parse(v, None).expect("valid");
        assert_eq!(
            s.actor_ref(Some("https://hr.council.gov.uk")),
            Some("E10442")
        );
        assert_eq!(s.actor_ref(Some("https://elsewhere.example")), None);
        assert_eq!(s.actor_ref(None), None);
    }

    #[test]
    fn invalid_statements_say_what_is_wrong() {
        let cases = [
            (
                json!({"verb": {"id": COMPLETED}, "object": {"id": "https://a.example/x"}}),
                "actor",
            ),
            (
                json!({"actor": {"mbox": "amira@council.gov.uk"}, "verb": {"id": COMPLETED}, "object": {"id": "https://a.example/x"}}),
                "actor.mbox",
            ),
            (
                json!({"actor": {"mbox": "mailto:a@b.c", "openid": "https://a.example"}, "verb": {"id": COMPLETED}, "object": {"id": "https://a.example/x"}}),
                "exactly one",
            ),
            (
                json!({"actor": {"mbox": "mailto:a@b.c"}, "verb": {"id": "completed"}, "object": {"id": "https://a.example/x"}}),
                "verb.id",
            ),
            (
                json!({"actor": {"mbox": "mailto:a@b.c"}, "verb": {"id": COMPLETED}, "object": {"id": "https://a.example/x"}, "result": {"score": {"scaled": 1.5}}}),
                "result.score.scaled",
            ),
            (
                json!({"actor": {"mbox": "mailto:a@b.c"}, "verb": {"id": COMPLETED}, "object": {"id": "https://a.example/x"}, "colour": "red"}),
                "no property colour",
            ),
            (
                json!({"actor": {"mbox": "mailto:a@b.c"}, "verb": {"id": VOIDED}, "object": {"id": "https://a.example/x"}}),
                "StatementRef",
            ),
            (
                json!({"id": "not-a-uuid", "actor": {"mbox": "mailto:a@b.c"}, "verb": {"id": COMPLETED}, "object": {"id": "https://a.example/x"}}),
                "id: must be a UUID",
            ),
            (
                json!({"actor": {"mbox": "mailto:a@b.c"}, "verb": {"id": COMPLETED}, "object": {"id": "https://a.example/x"}, "timestamp": "yesterday"}),
                "timestamp",
            ),
        ];
        for (statement, expected) in cases {
            let error = Statement::parse(statement, None).expect_err("invalid");
            assert!(
                error.0.contains(expected),
                "{error} should mention {expected}"
            );
        }
    }

    #[test]
    fn what_conformance_asks_of_a_statement_beyond_its_shape() {
        let with = |extra: Value| {
            let mut statement = completed();
            for (key, value) in extra.as_object().expect("an object") {
                statement[key] = value.clone();
            }
            Statement::parse(statement, None)
        };
        let activity = |definition: Value| json!({"object": {"objectType": "Activity", "id": "https://a.example/q1", "definition": definition}});
        for (refused, why) in [
            (
                json!({"result": {"duration": "P4W1D"}}),
                "weeks stand alone",
            ),
            (json!({"result": {"duration": "PT"}}), "a T needs a time"),
            (
                json!({"result": {"duration": "PT1.5H30M"}}),
                "only the last has a fraction",
            ),
            (
                json!({"timestamp": "2026-11-20T14:03:00-00:00"}),
                "an unknown offset",
            ),
            (json!({"version": "1.1.0"}), "a later version"),
            (
                json!({"actor": {"objectType": 1, "mbox": "mailto:a@b.c"}}),
                "a numeric objectType",
            ),
            (
                json!({"authority": {"mbox": "a@b.c"}}),
                "a malformed authority",
            ),
            (
                json!({"context": {"language": "not a tag!"}}),
                "a bad language tag",
            ),
            (
                activity(json!({"name": {"en_GB!": "Q1"}})),
                "a bad language map key",
            ),
            (
                activity(json!({"interactionType": "essay"})),
                "no such interaction",
            ),
            (
                activity(json!({"interactionType": "true-false", "choices": []})),
                "choices of a true-false",
            ),
            (
                activity(json!({"correctResponsesPattern": ["true"]})),
                "responses without a type",
            ),
            (
                activity(
                    json!({"interactionType": "choice", "choices": [{"id": "a"}, {"id": "a"}]}),
                ),
                "a repeated id",
            ),
            (
                activity(
                    json!({"interactionType": "likert", "scale": [{"id": "1", "label": "x"}]}),
                ),
                "an unknown key",
            ),
        ] {
            assert!(with(refused.clone()).is_err(), "{why}: {refused}");
        }
        for (taken, why) in [
            (json!({"result": {"duration": "P2W"}}), "weeks"),
            (
                json!({"result": {"duration": "P1Y2M3DT4H5M6.5S"}}),
                "every unit",
            ),
            (
                json!({"timestamp": "2026-11-20T14:03:00+00:00"}),
                "a known offset",
            ),
            (json!({"version": "1.0"}), "1.0"),
            (json!({"context": {"language": "en-GB"}}), "a tag"),
            (
                activity(
                    json!({"interactionType": "choice", "correctResponsesPattern": ["a"],
                "choices": [{"id": "a", "description": {"en-GB": "Yes"}}, {"id": "b"}]}),
                ),
                "a choice",
            ),
            (
                activity(
                    json!({"interactionType": "matching", "source": [{"id": "s"}], "target": [{"id": "t"}]}),
                ),
                "a matching",
            ),
        ] {
            assert!(with(taken.clone()).is_ok(), "{why}: {taken}");
        }
        let listed = with(json!({"context": {"contextActivities": {"parent": {"id": "https://a.example/course"}}}}))
            .expect("valid");
        assert_eq!(
            listed.body["context"]["contextActivities"]["parent"],
            json!([{"id": "https://a.example/course"}]),
            "one context activity is kept as a list"
        );
    }

    #[test]
    fn the_lrs_speaks_1_0_and_its_patch_versions_only() {
        for version in ["1.0", "1.0.0", "1.0.3", "1.0.12"] {
            assert!(speaks(version), "{version}");
        }
        for version in [
            "", "1", "1.0.", "1.0abc", "1.0.3a", "1.1.0", "0.95", "2.0.0",
        ] {
            assert!(!speaks(version), "{version}");
        }
    }

    #[test]
    fn a_put_id_must_agree_with_the_body() {
        let id = Uuid::now_v7();
        let mut v = completed();
        v["id"] = json!(Uuid::now_v7().to_string());
        assert!(Statement::parse(v, Some(id)).is_err());
        assert_eq!(
            Statement::parse(completed(), Some(id)).expect("valid").id,
            id
        );
    }

    #[test]
    fn a_resent_statement_is_the_same_whatever_the_lrs_added() {
        let mut first = Statement::parse(completed(), None).expect("valid");
        let mut again = completed();
        again["id"] = json!(first.id.to_string());
        first.stamp(Utc::now(), json!({"mbox": "mailto:lrs@council.gov.uk"}));
        let again = Statement::parse(again, None).expect("valid");
        assert!(again.same_as(&first.body));
        let mut other = again.clone();
        other.body.insert("verb".into(), json!({"id": PASSED}));
        assert!(!other.same_as(&first.body));
    }

    #[test]
    fn scores_below_zero_are_not_percentages() {
        let mut v = completed();
        v["result"]["score"]["scaled"] = json!(-0.5);
        assert_eq!(Statement::parse(v, None).expect("valid").score(), None);
    }
}
