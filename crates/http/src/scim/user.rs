//! The SCIM view of a learner: the User resource with the enterprise extension, both ways.

use chrono::{DateTime, NaiveDate, Utc};
use pathway_domain::learner::{LearnerDraft, LearnerKind, LearnerProfile, LearnerStatus};
use pathway_persistence::scim::{ScimIdentity, ScimUser};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use utoipa::ToSchema;
use uuid::Uuid;

use super::{CORE_SCHEMA, ENTERPRISE_SCHEMA, ScimError};

/// The attributes Pathway keeps, with the sub-attributes of each complex one. SCIM names are
/// case-insensitive (RFC 7643 s2.1): input is matched against these and written with them.
const ATTRIBUTES: &[(&str, &[&str])] = &[
    ("schemas", &[]),
    ("id", &[]),
    ("externalId", &[]),
    ("userName", &[]),
    ("name", &["givenName", "familyName"]),
    ("displayName", &[]),
    ("title", &[]),
    ("emails", &["value", "type", "primary"]),
    ("active", &[]),
    ("meta", &[]),
    (
        ENTERPRISE_SCHEMA,
        &["employeeNumber", "department", "manager"],
    ),
];
const MANAGER: &[&str] = &["value", "$ref"];

/// RFC 7643 names `work`, `home` and `other`; a provider may send its own, within reason.
const EMAIL_TYPE_LONGEST: usize = 64;

/// A user, as SCIM shows a learner.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
#[schema(example = json!({
    "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User", "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"],
    "id": "019a8f40-0000-7000-8000-0000000000a1", "externalId": "8f1c2d3e-4b5a-6978-8a9b-0c1d2e3f4a5b",
    "userName": "amira.khan@council.gov.uk", "name": {"givenName": "Amira", "familyName": "Khan"},
    "displayName": "Amira Khan", "title": "Head of Service",
    "emails": [{"value": "amira.khan@council.gov.uk", "type": "work", "primary": true}], "active": true,
    "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User": {
        "employeeNumber": "E10442", "department": "Adult Social Care",
        "manager": {"value": "019a8f40-0000-7000-8000-0000000000a0"}
    },
    "meta": {"resourceType": "User", "created": "2026-11-01T09:00:00Z", "lastModified": "2026-11-20T16:30:00Z",
        "location": "https://pathway.council.gov.uk/scim/v2/Users/019a8f40-0000-7000-8000-0000000000a1", "version": "W/\"3\""}
}))]
pub struct ScimUserView {
    pub schemas: Vec<&'static str>,
    /// The learner's id.
    pub id: Uuid,
    /// The provider's own identifier for the user.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub external_id: Option<String>,
    /// Unique in any case; the learner's email address until a provider sets one.
    pub user_name: String,
    pub name: ScimName,
    /// Given and family name; read-only.
    pub display_name: String,
    /// The learner's job title.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
    /// The learner's one email address.
    pub emails: Vec<ScimEmail>,
    /// False once the learner has left the council.
    pub active: bool,
    #[serde(
        rename = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User",
        skip_serializing_if = "Option::is_none"
    )]
    pub enterprise: Option<ScimEnterprise>,
    pub meta: ScimMeta,
}

#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ScimName {
    pub given_name: String,
    pub family_name: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ScimEmail {
    pub value: String,
    /// As the provider gave it, in lower case; `work` when none did.
    #[serde(rename = "type")]
    pub kind: String,
    /// As the provider gave it; true when none did.
    pub primary: bool,
}

/// RFC 7643 s4.3, as far as Pathway keeps it.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ScimEnterprise {
    /// The HR reference: the learner's `external_ref`, as the bulk HR sync matches it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub employee_number: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub department: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub manager: Option<ScimManager>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ScimManager {
    /// The manager's user id.
    pub value: Uuid,
    /// The manager's URI: `.../scim/v2/Users/{value}`. Always sent, though the contract does
    /// not mark it required: its examples leave it out, where OpenAPI tools would take it for a
    /// JSON reference and try to fetch it.
    #[serde(rename = "$ref")]
    #[schema(required = false)]
    pub reference: String,
}

#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ScimMeta {
    pub resource_type: &'static str,
    pub created: DateTime<Utc>,
    pub last_modified: DateTime<Utc>,
    pub location: String,
    pub version: String,
}

/// A user as a provider sends it (POST, PUT). ScimAttribute names in any case; attributes not
/// listed here are ignored.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
#[schema(example = json!({
    "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User", "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"],
    "externalId": "8f1c2d3e-4b5a-6978-8a9b-0c1d2e3f4a5b", "userName": "amira.khan@council.gov.uk",
    "name": {"givenName": "Amira", "familyName": "Khan"}, "title": "Head of Service",
    "emails": [{"value": "amira.khan@council.gov.uk", "type": "work", "primary": true}], "active": true,
    "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User": {
        "employeeNumber": "E10442", "department": "Adult Social Care", "manager": {"value": "019a8f40-0000-7000-8000-0000000000a0"}
    }
}))]
pub struct ScimUserInput {
    pub user_name: Option<String>,
    pub external_id: Option<String>,
    pub name: Option<ScimNameInput>,
    /// Used for the names when `name` is missing: the last word is the family name.
    pub display_name: Option<String>,
    pub title: Option<String>,
    #[serde(default)]
    pub emails: Option<Vec<ScimEmailInput>>,
    /// True when absent. Also read from the strings "True" and "False", as some providers send.
    pub active: Option<ScimBoolean>,
    #[serde(rename = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User")]
    pub enterprise: Option<ScimEnterpriseInput>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ScimNameInput {
    pub given_name: Option<String>,
    pub family_name: Option<String>,
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct ScimEmailInput {
    pub value: Option<String>,
    /// `work`, `home`, `other` or the provider's own; kept with the address.
    #[serde(rename = "type")]
    pub kind: Option<String>,
    /// The primary address is the one kept; otherwise the first. Kept with the address.
    pub primary: Option<ScimBoolean>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ScimEnterpriseInput {
    pub employee_number: Option<String>,
    pub department: Option<String>,
    pub manager: Option<ScimManagerInput>,
}

/// The manager: `{"value": "<user id>"}`, `{"$ref": ".../Users/<id>"}`, or the id alone.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(untagged)]
pub enum ScimManagerInput {
    Reference {
        value: Option<String>,
        #[serde(rename = "$ref")]
        reference: Option<String>,
    },
    Id(String),
}

/// A boolean, or the same as a string.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(untagged)]
pub enum ScimBoolean {
    Bool(bool),
    Text(String),
}

impl ScimBoolean {
    fn value(&self, attribute: &str) -> Result<bool, ScimError> {
        match self {
            Self::Bool(b) => Ok(*b),
            Self::Text(t) if t.eq_ignore_ascii_case("true") => Ok(true),
            Self::Text(t) if t.eq_ignore_ascii_case("false") => Ok(false),
            Self::Text(t) => Err(ScimError::invalid_value(format!(
                "{attribute} must be true or false, not {t:?}"
            ))),
        }
    }
}

/// The SCIM name of a learner field, for error messages.
pub(crate) fn scim_name(field: &str) -> &str {
    match field {
        "given_name" => "name.givenName",
        "family_name" => "name.familyName",
        "email" => "emails.value",
        "external_ref" => "employeeNumber",
        "job_title" => "title",
        "manager_id" => "manager",
        other => other,
    }
}

pub(crate) fn to_json(user: &ScimUser, base: &str) -> Value {
    let learner = &user.learner;
    let p = &learner.profile;
    let manager = p.manager_id.map(|id| ScimManager {
        value: id,
        reference: format!("{base}/Users/{id}"),
    });
    let enterprise = (p.external_ref.is_some() || p.department.is_some() || manager.is_some())
        .then(|| ScimEnterprise {
            employee_number: p.external_ref.clone(),
            department: p.department.clone(),
            manager,
        });
    let mut schemas = vec![CORE_SCHEMA];
    if enterprise.is_some() {
        schemas.push(ENTERPRISE_SCHEMA);
    }
    let doc = ScimUserView {
        schemas,
        id: learner.id,
        external_id: user.external_id.clone(),
        user_name: user.user_name.clone(),
        name: ScimName {
            given_name: p.given_name.clone(),
            family_name: p.family_name.clone(),
        },
        display_name: format!("{} {}", p.given_name, p.family_name),
        title: p.job_title.clone(),
        emails: vec![ScimEmail {
            value: p.email.as_str().to_owned(),
            kind: user.email_type.clone(),
            primary: user.email_primary,
        }],
        active: learner.status == LearnerStatus::Active,
        enterprise,
        meta: ScimMeta {
            resource_type: "User",
            created: learner.created_at,
            last_modified: learner.updated_at,
            location: format!("{base}/Users/{}", learner.id),
            version: format!("W/\"{}\"", learner.version),
        },
    };
    serde_json::to_value(doc).unwrap_or_default()
}

/// The attributes a provider writes, as a document PATCH operations apply to.
pub(crate) fn writable(user: &ScimUser) -> Value {
    let mut doc = to_json(user, "");
    if let Value::Object(map) = &mut doc {
        for read_only in ["schemas", "id", "meta", "displayName"] {
            map.remove(read_only);
        }
        if let Some(Value::Object(manager)) = map
            .get_mut(ENTERPRISE_SCHEMA)
            .and_then(|e| e.get_mut("manager"))
        {
            manager.remove("$ref");
        }
    }
    doc
}

/// Reads a user document (a body, or a patched document) into the learner's profile and
/// what SCIM keeps beside it. A replaced learner keeps what SCIM does not cover.
pub(crate) fn read(
    document: &Value,
    current: Option<&ScimUser>,
    today: NaiveDate,
) -> Result<(LearnerProfile, ScimIdentity), ScimError> {
    let Value::Object(raw) = document else {
        return Err(ScimError::invalid_syntax("a user must be a JSON object"));
    };
    let input: ScimUserInput = serde_json::from_value(Value::Object(canonical(raw)))
        .map_err(|e| ScimError::invalid_value(format!("an attribute has the wrong type: {e}")))?;
    let present = |s: &Option<String>| {
        s.as_deref()
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(str::to_owned)
    };
    let user_name = present(&input.user_name)
        .ok_or_else(|| ScimError::invalid_value("userName is required"))?;
    let (given_name, family_name) = names(&input)?;
    let addresses = input.emails.as_deref().unwrap_or_default();
    let chosen = addresses
        .iter()
        .filter(|e| present(&e.value).is_some())
        .find(|e| {
            matches!(
                e.primary.as_ref().map(|p| p.value("emails.primary")),
                Some(Ok(true))
            )
        })
        .or_else(|| addresses.iter().find(|e| present(&e.value).is_some()));
    let email = chosen
        .and_then(|e| present(&e.value))
        .or_else(|| user_name.contains('@').then(|| user_name.clone()))
        .ok_or_else(|| ScimError::invalid_value("an email address is required (emails)"))?;
    let email_primary = chosen
        .and_then(|e| e.primary.as_ref())
        .map(|p| p.value("emails.primary"))
        .transpose()?;
    let email_type = chosen
        .and_then(|e| present(&e.kind))
        .map(|kind| kind.to_lowercase());
    if email_type
        .as_ref()
        .is_some_and(|kind| kind.chars().count() > EMAIL_TYPE_LONGEST)
    {
        return Err(ScimError::invalid_value(format!(
            "emails.type is at most {EMAIL_TYPE_LONGEST} characters"
        )));
    }
    let active = match &input.active {
        Some(flag) => flag.value("active")?,
        None => true,
    };
    let enterprise = input.enterprise.as_ref();
    let manager_id = match enterprise.and_then(|e| e.manager.as_ref()) {
        None => None,
        Some(manager) => manager_id(manager)?,
    };
    let mut draft = current.map_or_else(
        || LearnerDraft {
            kind: Some(LearnerKind::Employee),
            ..LearnerDraft::default()
        },
        |u| u.learner.profile.to_draft(),
    );
    draft.given_name = given_name;
    draft.family_name = family_name;
    draft.email = email;
    draft.job_title = present(&input.title);
    draft.external_ref = enterprise.and_then(|e| present(&e.employee_number));
    draft.department = enterprise.and_then(|e| present(&e.department));
    draft.manager_id = manager_id;
    let profile = LearnerProfile::parse(draft, today)?;
    Ok((
        profile,
        ScimIdentity {
            user_name,
            external_id: present(&input.external_id),
            email_type,
            email_primary,
            active,
        },
    ))
}

fn names(input: &ScimUserInput) -> Result<(String, String), ScimError> {
    let given = input.name.as_ref().and_then(|n| n.given_name.clone());
    let family = input.name.as_ref().and_then(|n| n.family_name.clone());
    if let (Some(given), Some(family)) = (&given, &family) {
        return Ok((given.clone(), family.clone()));
    }
    let display = input.display_name.as_deref().map(str::trim).unwrap_or("");
    match display.rsplit_once(' ') {
        Some((first, last)) if given.is_none() && family.is_none() => {
            Ok((first.trim().to_owned(), last.to_owned()))
        }
        _ => Err(ScimError::invalid_value(
            "name.givenName and name.familyName are required",
        )),
    }
}

fn manager_id(manager: &ScimManagerInput) -> Result<Option<Uuid>, ScimError> {
    let raw = match manager {
        ScimManagerInput::Id(id) => Some(id.as_str()),
        ScimManagerInput::Reference { value, reference } => value
            .as_deref()
            .filter(|v| !v.trim().is_empty())
            .or_else(|| reference.as_deref().and_then(|r| r.rsplit('/').next())),
    };
    match raw.map(str::trim).filter(|r| !r.is_empty()) {
        None => Ok(None),
        Some(raw) => raw.parse().map(Some).map_err(|_| {
            ScimError::invalid_value(format!("manager must be the id of a user, not {raw:?}"))
        }),
    }
}

/// The document with attribute names as Pathway writes them, and what it does not keep
/// left out.
fn canonical(raw: &Map<String, Value>) -> Map<String, Value> {
    let mut out = Map::new();
    for (key, value) in raw {
        let Some((name, subs)) = ATTRIBUTES.iter().find(|(n, _)| n.eq_ignore_ascii_case(key))
        else {
            continue;
        };
        let value = match value {
            Value::Object(inner) if !subs.is_empty() => Value::Object(children(inner, subs)),
            Value::Array(items) if !subs.is_empty() => Value::Array(
                items
                    .iter()
                    .map(|item| match item {
                        Value::Object(inner) => Value::Object(children(inner, subs)),
                        other => other.clone(),
                    })
                    .collect(),
            ),
            other => other.clone(),
        };
        out.insert((*name).to_owned(), value);
    }
    out
}

pub(crate) fn children(raw: &Map<String, Value>, names: &[&str]) -> Map<String, Value> {
    let mut out = Map::new();
    for (key, value) in raw {
        let Some(name) = names.iter().find(|n| n.eq_ignore_ascii_case(key)) else {
            continue;
        };
        let value = match value {
            Value::Object(inner) if *name == "manager" => Value::Object(children(inner, MANAGER)),
            other => other.clone(),
        };
        out.insert((*name).to_owned(), value);
    }
    out
}

/// The canonical name of an attribute and, for a complex one, of a sub-attribute, from a
/// path such as `name.givenName`, `urn:...:core:2.0:User:title` or
/// `urn:...:enterprise:2.0:User:manager.value`. None when Pathway does not keep it.
pub(crate) fn resolve(path: &str) -> Option<(&'static str, Option<&'static str>)> {
    let lower = path.to_ascii_lowercase();
    let enterprise = ENTERPRISE_SCHEMA.to_ascii_lowercase();
    let core = CORE_SCHEMA.to_ascii_lowercase();
    let (top, rest): (&str, Option<&str>) = if lower == enterprise {
        (ENTERPRISE_SCHEMA, None)
    } else if let Some(rest) = lower.strip_prefix(&format!("{enterprise}:")) {
        (ENTERPRISE_SCHEMA, Some(&path[path.len() - rest.len()..]))
    } else {
        let path = match lower.strip_prefix(&format!("{core}:")) {
            Some(rest) => &path[path.len() - rest.len()..],
            None => path,
        };
        match path.split_once('.') {
            Some((top, sub)) => (top, Some(sub)),
            None => (path, None),
        }
    };
    let (name, subs) = ATTRIBUTES
        .iter()
        .find(|(n, _)| n.eq_ignore_ascii_case(top))?;
    match rest {
        None => Some((name, None)),
        Some(sub) => {
            // A sub-attribute's own sub-attribute (manager.value) stands for the sub-attribute.
            let sub = sub.split('.').next().unwrap_or(sub);
            subs.iter()
                .find(|s| s.eq_ignore_ascii_case(sub))
                .map(|s| (*name, Some(*s)))
        }
    }
}

/// The `attributes` or `excludedAttributes` of a request (RFC 7644 s3.4.2.5).
#[derive(Debug, Default)]
pub(crate) struct Projection {
    include: Vec<(&'static str, Option<&'static str>)>,
    exclude: Vec<(&'static str, Option<&'static str>)>,
}

/// Returned whatever is asked.
const ALWAYS: [&str; 3] = ["schemas", "id", "meta"];

impl Projection {
    pub(crate) fn parse(attributes: Option<&str>, excluded: Option<&str>) -> Self {
        let list = |raw: Option<&str>| {
            raw.unwrap_or_default()
                .split(',')
                .filter_map(|p| resolve(p.trim()))
                .collect()
        };
        Self {
            include: list(attributes),
            exclude: list(excluded),
        }
    }

    pub(crate) fn apply(&self, user: Value) -> Value {
        let Value::Object(mut map) = user else {
            return user;
        };
        if !self.include.is_empty() {
            let mut kept = Map::new();
            for key in ALWAYS {
                if let Some(v) = map.remove(key) {
                    kept.insert(key.to_owned(), v);
                }
            }
            for (top, sub) in &self.include {
                let Some(value) = map.get(*top) else { continue };
                match (sub, value) {
                    (None, _) => {
                        kept.insert((*top).to_owned(), value.clone());
                    }
                    (Some(sub), Value::Object(inner)) => {
                        if let Some(v) = inner.get(*sub) {
                            let entry = kept
                                .entry((*top).to_owned())
                                .or_insert_with(|| Value::Object(Map::new()));
                            if let Value::Object(e) = entry {
                                e.insert((*sub).to_owned(), v.clone());
                            }
                        }
                    }
                    (Some(_), _) => {
                        kept.insert((*top).to_owned(), value.clone());
                    }
                }
            }
            map = kept;
        }
        for (top, sub) in &self.exclude {
            if ALWAYS.contains(top) {
                continue;
            }
            match sub {
                None => {
                    map.remove(*top);
                }
                Some(sub) => {
                    if let Some(Value::Object(inner)) = map.get_mut(*top) {
                        inner.remove(*sub);
                    }
                }
            }
        }
        Value::Object(map)
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn paths_resolve_in_any_case_and_with_schema_prefixes() {
        assert_eq!(resolve("USERNAME"), Some(("userName", None)));
        assert_eq!(resolve("name.givenname"), Some(("name", Some("givenName"))));
        assert_eq!(
            resolve("urn:ietf:params:scim:schemas:core:2.0:User:title"),
            Some(("title", None))
        );
        assert_eq!(
            resolve("urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department"),
            Some((ENTERPRISE_SCHEMA, Some("department")))
        );
        assert_eq!(
            resolve("urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager.value"),
            Some((ENTERPRISE_SCHEMA, Some("manager")))
        );
        assert_eq!(resolve("phoneNumbers"), None);
    }

    #[test]
    fn canonical_names_and_drops_what_is_not_kept() {
        let raw = json!({"USERNAME": "a", "Name": {"GivenName": "A", "middleName": "x"}, "locale": "en-GB",
            "urn:ietf:params:scim:schemas:extension:enterprise:2.0:user": {"Manager": {"VALUE": "m"}, "costCenter": "1"}});
        let Value::Object(raw) = raw else {
            unreachable!()
        };
        assert_eq!(
            Value::Object(canonical(&raw)),
            json!({"userName": "a", "name": {"givenName": "A"},
                "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User": {"manager": {"value": "m"}}})
        );
    }

    #[test]
    fn projection_keeps_or_drops_attributes_and_sub_attributes() {
        let user = json!({"schemas": [], "id": "1", "meta": {}, "userName": "a", "title": "t",
            "name": {"givenName": "A", "familyName": "B"}});
        let only = Projection::parse(Some("name.familyName"), None).apply(user.clone());
        assert_eq!(
            only,
            json!({"schemas": [], "id": "1", "meta": {}, "name": {"familyName": "B"}})
        );
        let without = Projection::parse(None, Some("title,id")).apply(user);
        assert_eq!(
            without,
            json!({"schemas": [], "id": "1", "meta": {}, "userName": "a", "name": {"givenName": "A", "familyName": "B"}})
        );
    }
}
