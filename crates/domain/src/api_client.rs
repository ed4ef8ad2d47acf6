//! Integration clients: the HR systems and e-learning platforms that call Pathway with tokens
//! of their own, and the scopes that say what each may do.

use chrono::{DateTime, Utc};
use uuid::Uuid;

use crate::error::Errors;
use crate::{DomainError, text, vocabulary};

vocabulary!(
    /// What an integration client may do.
    Scope {
        /// Keep learners current: SCIM and the bulk HR sync.
        LearnersSync => "learners:sync",
        /// Report completions: signed callbacks.
        CompletionsWrite => "completions:write",
        /// Send xAPI statements.
        XapiWrite => "xapi:write",
        /// Read xAPI statements back.
        XapiRead => "xapi:read"
    }
);

/// A client to register.
#[derive(Debug, Clone, serde::Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"name": "iTrent HR", "scopes": ["learners:sync"]}))]
pub struct ClientInput {
    pub name: String,
    /// What its tokens may do: `learners:sync`, `completions:write`, `xapi:write`, `xapi:read`.
    pub scopes: Vec<Scope>,
}

/// A client's name and the scopes it was granted, each once, in a fixed order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClientDetails {
    pub name: String,
    pub scopes: Vec<Scope>,
}

impl ClientDetails {
    pub fn parse(input: ClientInput) -> Result<Self, DomainError> {
        let mut errors = Errors::default();
        let name = errors.take(text::required("name", &input.name, 200));
        errors.check(
            !input.scopes.is_empty(),
            "scopes",
            "must grant at least one scope",
        );
        let mut scopes = input.scopes;
        scopes.sort();
        scopes.dedup();
        errors.finish(name.map(|name| Self { name, scopes }))
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiClient {
    pub id: Uuid,
    pub details: ClientDetails,
    pub created_at: DateTime<Utc>,
    /// Once set, the client gets no more tokens.
    pub revoked_at: Option<DateTime<Utc>>,
    pub version: i32,
}

/// Why a token request is refused, in the words of RFC 6749 section 5.2.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refusal {
    /// Unknown client, wrong secret, or a revoked client.
    InvalidClient,
    /// A requested scope the client was not granted, or that does not exist.
    InvalidScope(String),
}

impl ApiClient {
    /// The scopes a token gets: all those granted when none are asked for, otherwise those
    /// asked for, none beyond the grant.
    pub fn grant(&self, requested: Option<&str>) -> Result<Vec<Scope>, Refusal> {
        if self.revoked_at.is_some() {
            return Err(Refusal::InvalidClient);
        }
        let granted = &self.details.scopes;
        let Some(requested) = requested.filter(|r| !r.trim().is_empty()) else {
            return Ok(granted.clone());
        };
        let mut scopes = Vec::new();
        for word in requested.split_whitespace() {
            let scope = word
                .parse::<Scope>()
                .ok()
                .filter(|s| granted.contains(s))
                .ok_or_else(|| Refusal::InvalidScope(word.to_owned()))?;
            if !scopes.contains(&scope) {
                scopes.push(scope);
            }
        }
        Ok(scopes)
    }
}

/// Scopes as a token's `scope` claim carries them: space-separated.
pub fn scope_claim(scopes: &[Scope]) -> String {
    scopes
        .iter()
        .map(|s| s.as_str())
        .collect::<Vec<_>>()
        .join(" ")
}

/// Scopes as [`scope_claim`] wrote them.
pub fn parse_scope_claim(claim: &str) -> Result<Vec<Scope>, DomainError> {
    claim.split_whitespace().map(str::parse).collect()
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// A client granted `scopes`, for the tests here and of what clients are given.
    pub(crate) fn client(scopes: Vec<Scope>) -> ApiClient {
        ApiClient {
            id: Uuid::now_v7(),
            details: ClientDetails::parse(ClientInput {
                name: "iTrent".into(),
                scopes,
            })
            .expect("valid"),
            created_at: Utc::now(),
            revoked_at: None,
            version: 1,
        }
    }

    #[test]
    fn a_token_gets_what_was_granted_or_less_never_more() {
        let hr = client(vec![
            Scope::LearnersSync,
            Scope::XapiRead,
            Scope::LearnersSync,
        ]);
        assert_eq!(hr.details.scopes, [Scope::LearnersSync, Scope::XapiRead]);
        assert_eq!(
            hr.grant(None),
            Ok(vec![Scope::LearnersSync, Scope::XapiRead])
        );
        assert_eq!(
            hr.grant(Some("  ")),
            Ok(vec![Scope::LearnersSync, Scope::XapiRead])
        );
        assert_eq!(hr.grant(Some("xapi:read")), Ok(vec![Scope::XapiRead]));
        assert_eq!(
            hr.grant(Some("xapi:read xapi:write")),
            Err(Refusal::InvalidScope("xapi:write".into()))
        );
        assert_eq!(
            hr.grant(Some("admin")),
            Err(Refusal::InvalidScope("admin".into()))
        );
        assert_eq!(scope_claim(&hr.details.scopes), "learners:sync xapi:read");
    }

    #[test]
    fn a_revoked_client_gets_nothing_and_a_client_needs_a_scope() {
        let mut lms = client(vec![Scope::XapiWrite]);
        lms.revoked_at = Some(Utc::now());
        assert_eq!(lms.grant(None), Err(Refusal::InvalidClient));
        assert!(
            ClientDetails::parse(ClientInput {
                name: "Nothing".into(),
                scopes: vec![]
            })
            .is_err()
        );
    }
}
