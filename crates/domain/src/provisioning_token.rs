//! Provisioning tokens: long-lived bearer tokens an admin issues to an integration client for
//! a system that cannot fetch its own, as Entra ID's and Okta's SCIM provisioning want a token
//! pasted once. Each holds some of its client's scopes, works until the day the admin chose,
//! and stops at once when it or its client is revoked.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::{DateTime, Months, NaiveDate, Utc};
use hmac::{Hmac, Mac};
use sha2::Sha256;
use uuid::Uuid;

use crate::api_client::{ApiClient, Scope};
use crate::calendar::london_day_start;
use crate::error::Errors;
use crate::{DomainError, text};

/// What every provisioning token starts with, so that it is told from a signed token at a
/// glance, and secret scanners can find one pasted where it should not be.
pub const PREFIX: &str = "pathway_pt_";

/// The furthest ahead a token may be set to expire, in months: long enough not to break an
/// identity provider's connection every quarter, short enough that a forgotten token ends.
pub const LONGEST_MONTHS: u32 = 24;

/// How a server hashes provisioning tokens: HMAC-SHA256 under a key derived from its signing
/// secret, so no further secret need be configured and a copy of the database opens nothing.
/// The tokens are 256 random bits, so a fast hash is enough; a slow one would make every
/// request pay for what a guess cannot win. Changing the signing secret ends every token.
#[derive(Clone)]
pub struct TokenHasher(Hmac<Sha256>);

impl TokenHasher {
    pub fn new(signing_secret: &[u8]) -> Self {
        let derived = Hmac::<Sha256>::new_from_slice(signing_secret)
            .expect("HMAC takes a key of any length")
            .chain_update(b"pathway provisioning tokens")
            .finalize()
            .into_bytes();
        Self(Hmac::new_from_slice(&derived).expect("HMAC takes a key of any length"))
    }

    /// What is stored for `token`, and looked up when it is presented.
    pub fn hash(&self, token: &str) -> String {
        let digest = self.0.clone().chain_update(token.as_bytes()).finalize();
        URL_SAFE_NO_PAD.encode(digest.into_bytes())
    }
}

/// A token to issue.
#[derive(Debug, Clone, serde::Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"name": "Entra ID provisioning", "expires_on": "2027-11-30", "scopes": ["learners:sync"]}))]
pub struct ProvisioningTokenInput {
    /// The system that will hold it, as the L&D team would recognise it in the list.
    pub name: String,
    /// The last day it works (London time): from today to two years ahead.
    pub expires_on: NaiveDate,
    /// Some of the client's scopes; all of them when left out.
    #[serde(default)]
    pub scopes: Option<Vec<Scope>>,
}

/// A token's name, scopes and end, once they hold for its client.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TokenDetails {
    pub name: String,
    pub scopes: Vec<Scope>,
    /// The start of the day after `expires_on`: the first moment it no longer works.
    pub expires_at: DateTime<Utc>,
}

impl TokenDetails {
    /// Refuses a token for a revoked client, scopes beyond the client's, and an end in the
    /// past or more than [`LONGEST_MONTHS`] ahead of `today`.
    pub fn parse(
        input: ProvisioningTokenInput,
        client: &ApiClient,
        today: NaiveDate,
    ) -> Result<Self, DomainError> {
        if client.revoked_at.is_some() {
            return Err(DomainError::Conflict(
                "the client is revoked; it can be given no new tokens".into(),
            ));
        }
        let mut errors = Errors::default();
        let name = errors.take(text::required("name", &input.name, 200));
        let latest = today + Months::new(LONGEST_MONTHS);
        let in_range = (today..=latest).contains(&input.expires_on);
        errors.check(
            in_range,
            "expires_on",
            &format!("must be from {today} to {latest}"),
        );
        let granted = &client.details.scopes;
        let mut scopes = input.scopes.unwrap_or_else(|| granted.clone());
        scopes.sort();
        scopes.dedup();
        errors.check(!scopes.is_empty(), "scopes", "must hold at least one scope");
        if let Some(beyond) = scopes.iter().find(|s| !granted.contains(s)) {
            errors.push(DomainError::invalid(
                "scopes",
                format!("{beyond} is not granted to the client"),
            ));
        }
        // Only a day in range is turned into an instant: the calendar's extremes have no
        // next day, nor a London offset.
        let expires_at = Some(input.expires_on)
            .filter(|_| in_range)
            .and_then(|day| day.succ_opt())
            .map(london_day_start);
        errors.finish(name.zip(expires_at).map(|(name, expires_at)| Self {
            name,
            scopes,
            expires_at,
        }))
    }
}

/// An issued token, without the token itself: Pathway keeps only its keyed hash.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProvisioningToken {
    pub id: Uuid,
    pub client_id: Uuid,
    pub details: TokenDetails,
    pub created_at: DateTime<Utc>,
    /// When it last opened a request, to the minute; null until it has.
    pub last_used_at: Option<DateTime<Utc>>,
    pub revoked_at: Option<DateTime<Utc>>,
}

impl ProvisioningToken {
    /// Whether it opens a request at `now`: neither revoked nor past its end.
    pub fn works_at(&self, now: DateTime<Utc>) -> bool {
        self.revoked_at.is_none() && now < self.details.expires_at
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api_client::tests::client;

    fn day(raw: &str) -> NaiveDate {
        raw.parse().expect("a day")
    }

    fn input(expires_on: &str, scopes: Option<Vec<Scope>>) -> ProvisioningTokenInput {
        ProvisioningTokenInput {
            name: "Entra ID provisioning".into(),
            expires_on: day(expires_on),
            scopes,
        }
    }

    #[test]
    fn a_token_holds_the_clients_scopes_or_fewer_and_ends_after_its_last_day() {
        let entra = client(vec![Scope::LearnersSync, Scope::XapiRead]);
        let today = day("2026-12-03");
        let all = TokenDetails::parse(input("2027-06-30", None), &entra, today).expect("valid");
        assert_eq!(all.scopes, [Scope::LearnersSync, Scope::XapiRead]);
        // British Summer Time: the day after 30 June starts at 23:00 UTC on the 30th.
        assert_eq!(all.expires_at.to_rfc3339(), "2027-06-30T23:00:00+00:00");
        let fewer = TokenDetails::parse(
            input("2026-12-03", Some(vec![Scope::XapiRead, Scope::XapiRead])),
            &entra,
            today,
        )
        .expect("valid");
        assert_eq!(fewer.scopes, [Scope::XapiRead]);
        assert!(
            TokenDetails::parse(
                input("2027-01-01", Some(vec![Scope::XapiWrite])),
                &entra,
                today
            )
            .is_err(),
            "beyond the grant"
        );
        assert!(
            TokenDetails::parse(input("2027-01-01", Some(vec![])), &entra, today).is_err(),
            "no scope"
        );
    }

    #[test]
    fn a_token_ends_from_today_to_two_years_ahead_and_never_for_a_revoked_client() {
        let mut okta = client(vec![Scope::LearnersSync]);
        let today = day("2026-12-03");
        for (expires_on, valid) in [
            ("2026-12-02", false),
            ("2026-12-03", true),
            ("2028-12-03", true),
            ("2028-12-04", false),
        ] {
            assert_eq!(
                TokenDetails::parse(input(expires_on, None), &okta, today).is_ok(),
                valid,
                "{expires_on}"
            );
        }
        for extreme in [NaiveDate::MIN, NaiveDate::MAX] {
            let input = ProvisioningTokenInput {
                expires_on: extreme,
                ..input("2027-01-01", None)
            };
            assert!(TokenDetails::parse(input, &okta, today).is_err());
        }
        okta.revoked_at = Some(Utc::now());
        assert!(matches!(
            TokenDetails::parse(input("2027-01-01", None), &okta, today),
            Err(DomainError::Conflict(_))
        ));
    }

    #[test]
    fn a_token_hashes_the_same_under_one_secret_and_differently_under_another() {
        let token = format!("{PREFIX}abc");
        let hasher = TokenHasher::new(b"one secret");
        assert_eq!(hasher.hash(&token), hasher.hash(&token));
        assert_eq!(hasher.hash(&token).len(), 43);
        assert_ne!(hasher.hash(&token), hasher.hash(&format!("{PREFIX}abd")));
        assert_ne!(
            hasher.hash(&token),
            TokenHasher::new(b"another").hash(&token)
        );
    }

    #[test]
    fn a_token_works_until_its_end_or_its_revocation() {
        let okta = client(vec![Scope::LearnersSync]);
        let details =
            TokenDetails::parse(input("2027-01-31", None), &okta, day("2026-12-03")).expect("ok");
        let end = details.expires_at;
        let mut token = ProvisioningToken {
            id: Uuid::now_v7(),
            client_id: okta.id,
            details,
            created_at: Utc::now(),
            last_used_at: None,
            revoked_at: None,
        };
        assert!(token.works_at(end - chrono::Duration::seconds(1)));
        assert!(!token.works_at(end));
        token.revoked_at = Some(end - chrono::Duration::days(10));
        assert!(!token.works_at(end - chrono::Duration::days(20)));
    }
}
