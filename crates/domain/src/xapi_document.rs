//! The documents the LRS keeps for e-learning content (xAPI 1.0.3 communication s2.3): an
//! activity's State for an agent, in which content such as Storyline, Rise and cmi5 packages
//! keeps a learner's bookmark and progress. Writes honour `If-Match` and `If-None-Match`, and
//! a POST of JSON merges into the JSON already kept.

use serde_json::Value;
use sha1::{Digest, Sha1};
use uuid::Uuid;

use crate::xapi::{Invalid, activity_parameter, agent_parameter};

/// Where a State document lives: an activity, an agent, and optionally a registration.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StateKey {
    pub activity_id: String,
    /// The agent as [`crate::xapi::agent_key`] names it.
    pub agent_key: String,
    pub registration: Option<Uuid>,
}

impl StateKey {
    /// From a request's `activityId`, `agent` (an Agent as JSON) and `registration`.
    pub fn parse(
        activity_id: &str,
        agent: &str,
        registration: Option<&str>,
    ) -> Result<Self, Invalid> {
        let registration = registration
            .map(|r| {
                r.parse()
                    .map_err(|_| Invalid("registration: must be a UUID".into()))
            })
            .transpose()?;
        Ok(Self {
            activity_id: activity_parameter(activity_id)?,
            agent_key: agent_parameter(agent)?,
            registration,
        })
    }
}

/// Which document resource a document belongs to, and under what there.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DocumentKey {
    State(StateKey),
    /// An activity's profile, by the activity's IRI.
    ActivityProfile(String),
    /// An agent's profile, by the agent as [`crate::xapi::agent_key`] names it.
    AgentProfile(String),
}

impl DocumentKey {
    /// From an Activity Profile request's `activityId`.
    pub fn activity_profile(activity_id: &str) -> Result<Self, Invalid> {
        activity_parameter(activity_id).map(Self::ActivityProfile)
    }

    /// From an Agent Profile request's `agent`, an Agent as JSON.
    pub fn agent_profile(agent: &str) -> Result<Self, Invalid> {
        agent_parameter(agent).map(Self::AgentProfile)
    }

    /// Whether a PUT under `condition` may replace `current` (none if there is none). A
    /// profile is never written blind: a PUT over one that exists must say which version it
    /// replaces (xAPI 1.0.3 communication s3.1), and one that creates it `If-None-Match: *`.
    /// A State may be.
    pub fn may_replace(
        &self,
        condition: &Precondition,
        current: Option<&Document>,
    ) -> Result<(), Refusal> {
        if *condition == Precondition::None && !matches!(self, Self::State(_)) {
            return Err(match current {
                Some(_) => Refusal::Blind,
                None => Refusal::Unconditioned,
            });
        }
        condition.allows(current)
    }
}

/// Why a write to a document does not go ahead.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    /// It would replace a profile that exists without saying which version (409).
    Blind,
    /// A PUT of a profile says neither `If-Match` nor `If-None-Match` (400), as ADL's
    /// conformance suite holds an LRS to.
    Unconditioned,
    /// The document is not as `If-Match` or `If-None-Match` expects (412).
    NotAsExpected,
}

/// A document as sent, or as kept.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Document {
    pub content_type: String,
    pub content: Vec<u8>,
}

impl Document {
    /// Its entity tag: the content's SHA-1 digest, quoted (RFC 9110 s8.8.3), as xAPI
    /// 1.0.3 asks (communication s3.1) and LRS clients check.
    pub fn etag(&self) -> String {
        let digest = Sha1::digest(&self.content);
        let hex: String = digest.iter().map(|b| format!("{b:02x}")).collect();
        format!("\"{hex}\"")
    }

    fn json_object(&self) -> Option<serde_json::Map<String, Value>> {
        let media = self.content_type.split(';').next().unwrap_or("").trim();
        if !media.eq_ignore_ascii_case("application/json") {
            return None;
        }
        match serde_json::from_slice(&self.content) {
            Ok(Value::Object(map)) => Some(map),
            _ => None,
        }
    }

    /// What a POST of `incoming` leaves where none is kept: itself, though a document sent
    /// as application/json must be JSON (s2.3.2).
    pub fn posted(self) -> Result<Document, Invalid> {
        let media = self.content_type.split(';').next().unwrap_or("").trim();
        if media.eq_ignore_ascii_case("application/json") && self.json_object().is_none() {
            return Err(Invalid(
                "a document sent as application/json must be a JSON object".into(),
            ));
        }
        Ok(self)
    }

    /// What a POST of `incoming` leaves (s2.3.2): merged, top-level properties replaced,
    /// when both are JSON objects; refused when either is not.
    pub fn merged(&self, incoming: Document) -> Result<Document, Invalid> {
        let (Some(mut kept), Some(sent)) = (self.json_object(), incoming.json_object()) else {
            return Err(Invalid(
                "a POST merges only a JSON object into a JSON object: send application/json, \
                 or PUT to replace the document"
                    .into(),
            ));
        };
        kept.extend(sent);
        Ok(Document {
            content_type: "application/json".into(),
            content: serde_json::to_vec(&Value::Object(kept)).unwrap_or_default(),
        })
    }
}

/// A write's condition on the document as it stands (RFC 9110 s13.1).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum Precondition {
    #[default]
    None,
    /// `If-Match: *`: there must be a document.
    Exists,
    /// `If-Match` with tags: the document's must be one of them.
    Matches(Vec<String>),
    /// `If-None-Match: *`: there must be none.
    Absent,
}

impl Precondition {
    /// From the `If-Match` and `If-None-Match` headers' values.
    pub fn parse(if_match: Option<&str>, if_none_match: Option<&str>) -> Result<Self, Invalid> {
        match (if_match.map(str::trim), if_none_match.map(str::trim)) {
            (Some(_), Some(_)) => Err(Invalid("send If-Match or If-None-Match, not both".into())),
            (Some("*"), None) => Ok(Self::Exists),
            (Some(tags), None) => Ok(Self::Matches(
                tags.split(',').map(|t| t.trim().to_owned()).collect(),
            )),
            (None, Some("*")) => Ok(Self::Absent),
            (None, Some(_)) => Err(Invalid("If-None-Match takes only * here".into())),
            (None, None) => Ok(Self::None),
        }
    }

    /// Whether a write may go ahead on `current` (none if there is none).
    pub fn allows(&self, current: Option<&Document>) -> Result<(), Refusal> {
        if self.holds(current.map(Document::etag).as_deref()) {
            Ok(())
        } else {
            Err(Refusal::NotAsExpected)
        }
    }

    /// Whether a write may go ahead on a document with this tag, or none.
    fn holds(&self, current: Option<&str>) -> bool {
        match (self, current) {
            (Self::None, _) => true,
            (Self::Exists, current) => current.is_some(),
            (Self::Matches(tags), Some(current)) => tags.iter().any(|t| t == current),
            (Self::Matches(_), None) => false,
            (Self::Absent, current) => current.is_none(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn json(text: &str) -> Document {
        Document {
            content_type: "application/json; charset=utf-8".into(),
            content: text.as_bytes().to_vec(),
        }
    }

    #[test]
    fn a_post_merges_json_objects_and_nothing_else() {
        let kept = json(r#"{"bookmark": "slide-3", "score": 10}"#);
        let merged = kept
            .merged(json(r#"{"bookmark": "slide-4"}"#))
            .expect("merged");
        let value: Value = serde_json::from_slice(&merged.content).expect("json");
        assert_eq!(
            value,
            serde_json::json!({"bookmark": "slide-4", "score": 10})
        );
        assert!(kept.merged(json("[1, 2]")).is_err(), "an array");
        let text = Document {
            content_type: "text/plain".into(),
            content: b"slide-3".to_vec(),
        };
        assert!(text.merged(json("{}")).is_err(), "text kept");
        assert!(kept.merged(text).is_err(), "text sent");
    }

    #[test]
    fn a_first_post_of_json_must_be_json() {
        assert!(json(r#"{"bookmark": 3}"#).posted().is_ok());
        assert!(json(r#"{"bookmark": 3}["#).posted().is_err());
        let text = Document {
            content_type: "text/plain".into(),
            content: b"slide 3 [".to_vec(),
        };
        assert!(text.posted().is_ok());
    }

    #[test]
    fn preconditions_hold_as_rfc_9110_says() {
        let tag = json("{}").etag();
        // Quoted SHA-1: 40 hexadecimal digits.
        assert!(tag.starts_with('"') && tag.ends_with('"') && tag.len() == 42);
        fn parse(m: Option<&str>, n: Option<&str>) -> Precondition {
            Precondition::parse(m, n).expect("valid")
        }
        assert!(parse(None, None).holds(None) && parse(None, None).holds(Some(&tag)));
        assert!(parse(Some("*"), None).holds(Some(&tag)) && !parse(Some("*"), None).holds(None));
        assert!(parse(Some(&format!("\"x\", {tag}")), None).holds(Some(&tag)));
        assert!(!parse(Some("\"x\""), None).holds(Some(&tag)));
        assert!(!parse(Some("\"x\""), None).holds(None));
        assert!(parse(None, Some("*")).holds(None) && !parse(None, Some("*")).holds(Some(&tag)));
        assert!(Precondition::parse(Some("*"), Some("*")).is_err());
        assert!(Precondition::parse(None, Some("\"x\"")).is_err());
    }

    #[test]
    fn a_profile_that_exists_is_replaced_only_under_a_condition() {
        let state = DocumentKey::State(
            StateKey::parse("https://a.example/x", r#"{"mbox": "mailto:a@b.c"}"#, None)
                .expect("valid"),
        );
        let profile = DocumentKey::activity_profile("https://a.example/x").expect("valid");
        let kept = json("{}");
        let seen = Precondition::Matches(vec![kept.etag()]);
        assert_eq!(state.may_replace(&Precondition::None, Some(&kept)), Ok(()));
        assert_eq!(
            profile.may_replace(&Precondition::None, Some(&kept)),
            Err(Refusal::Blind)
        );
        assert_eq!(
            profile.may_replace(&Precondition::None, None),
            Err(Refusal::Unconditioned)
        );
        assert_eq!(profile.may_replace(&Precondition::Absent, None), Ok(()));
        assert_eq!(profile.may_replace(&seen, Some(&kept)), Ok(()));
        assert_eq!(
            profile.may_replace(&Precondition::Absent, Some(&kept)),
            Err(Refusal::NotAsExpected)
        );
    }

    #[test]
    fn a_state_is_keyed_by_activity_agent_and_registration() {
        let key = StateKey::parse(
            "https://learnpool.example/courses/gdpr",
            r#"{"mbox": "mailto:amira@council.gov.uk"}"#,
            Some("6fa459ea-ee8a-3ca4-894e-db77e160355e"),
        )
        .expect("valid");
        assert!(key.registration.is_some());
        assert!(StateKey::parse("gdpr", r#"{"mbox": "mailto:a@b.c"}"#, None).is_err());
        assert!(StateKey::parse("https://a.example/x", "amira", None).is_err());
        assert!(
            StateKey::parse(
                "https://a.example/x",
                r#"{"mbox": "mailto:a@b.c"}"#,
                Some("7")
            )
            .is_err()
        );
    }
}
