//! Configuration from the environment: nothing secret lives in the repository.

use std::env;

use pathway_domain::governance::YearStart;
use secrecy::{ExposeSecret, SecretString};

const DEFAULT_DATABASE_URL: &str = "sqlite://pathway.db?mode=rwc";
const DEFAULT_BIND: &str = "127.0.0.1:8080";
/// Used only when `PATHWAY_ENV=development` and no secret is set, so a newcomer can run the
/// service and mint tokens with no set-up. Production refuses to start without a real key.
pub const DEVELOPMENT_SECRET: &str = "pathway-development-secret-do-not-use-in-production";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Environment {
    Development,
    Production,
}

#[derive(Debug, Clone)]
pub struct JwtConfig {
    /// Redacted in `Debug`, as every secret here is, so a logged configuration leaks none.
    pub secret: Option<SecretString>,
    pub public_key_file: Option<String>,
    pub issuer: Option<String>,
    pub audience: Option<String>,
    /// The longest a token may last from its issue, in seconds.
    pub max_lifetime_seconds: u64,
}

#[derive(Debug, Clone)]
pub struct Config {
    /// Secret: a PostgreSQL URL carries the password.
    pub database_url: SecretString,
    pub bind: String,
    pub environment: Environment,
    pub jwt: JwtConfig,
    pub cors_origins: Vec<String>,
    /// Supporters an additional training request needs to go to the panel.
    pub supporters_for_panel: u64,
    /// The day the municipal year turns, default 1 May.
    pub municipal_year_start: YearStart,
    /// Meetings the advisory panel must hold each municipal year, default 2.
    pub panel_minimum_meetings: u32,
    /// The share of active employees (0 to 100%) a full HR sync may mark as left without
    /// being told how many to expect, default 10.
    pub hr_sync_max_left_percent: u8,
    /// Each e-learning provider's `whsec_` secret for signed callbacks.
    pub callback_secrets: Vec<(String, SecretString)>,
    /// The `homePage` of xAPI accounts that name learners by their HR reference.
    pub xapi_account_home_page: Option<String>,
    /// How often, in seconds, each process looks for xAPI statements left waiting although
    /// their learner and course exist; 0 never does. Default 60.
    pub xapi_rematch_seconds: u64,
    /// How long a client may take to send a request body, in seconds.
    pub body_timeout_seconds: u64,
    /// The bearer token `/metrics` asks for, when set.
    pub metrics_token: Option<SecretString>,
    /// Connections each worker (one per core) holds open at most; more wait in the backlog.
    pub max_connections: usize,
    /// How long, after SIGTERM, requests in flight have to finish.
    pub shutdown_grace_seconds: u64,
    /// Requests a person, and an integration client, may make a minute (per process).
    pub rate_limits: pathway_http::rate_limit::Quotas,
}

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("PATHWAY_ENV must be development or production, not {0:?}")]
    Environment(String),
    #[error(
        "PATHWAY_ENV=production needs a token key: set PATHWAY_JWT_SECRET (HS256) or PATHWAY_JWT_PUBLIC_KEY_FILE (RS256/ES256 PEM)"
    )]
    MissingKey,
    #[error("cannot read PATHWAY_JWT_PUBLIC_KEY_FILE {path}: {source}")]
    KeyFile {
        path: String,
        source: std::io::Error,
    },
    #[error(transparent)]
    Key(#[from] pathway_http::auth::KeyError),
    #[error("{0} must be a whole number, not {1:?}")]
    Number(&'static str, String),
    #[error("{0} is a percentage, from 0 to 100, not {1}")]
    Percent(&'static str, u8),
    #[error("PATHWAY_CALLBACK_SECRETS must be provider=whsec_... pairs separated by commas: {0}")]
    CallbackSecrets(String),
    #[error("PATHWAY_MUNICIPAL_YEAR_START {0}")]
    YearStart(pathway_domain::DomainError),
}

/// The whole number `name` holds, or `default` when it is unset.
fn number<T: std::str::FromStr>(
    var: &dyn Fn(&str) -> Option<String>,
    name: &'static str,
    default: T,
) -> Result<T, ConfigError> {
    match var(name) {
        None => Ok(default),
        Some(raw) => raw.parse().map_err(|_| ConfigError::Number(name, raw)),
    }
}

fn percent(
    var: &dyn Fn(&str) -> Option<String>,
    name: &'static str,
    default: u8,
) -> Result<u8, ConfigError> {
    let value = number(var, name, default)?;
    if value > 100 {
        return Err(ConfigError::Percent(name, value));
    }
    Ok(value)
}

/// Reads `learnpool=whsec_...,skillgate=whsec_...`.
fn callback_secrets(raw: &str) -> Result<Vec<(String, SecretString)>, ConfigError> {
    raw.split(',')
        .map(str::trim)
        .filter(|pair| !pair.is_empty())
        .map(|pair| {
            let (name, secret) = pair
                .split_once('=')
                .ok_or_else(|| ConfigError::CallbackSecrets(format!("{pair:?} has no =")))?;
            let (name, secret) = (name.trim(), secret.trim());
            let fine = !name.is_empty()
                && name
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
                && secret.starts_with("whsec_");
            if fine {
                Ok((name.to_owned(), secret.into()))
            } else {
                Err(ConfigError::CallbackSecrets(format!(
                    "{name:?} needs a name of letters, digits, - or _ and a whsec_ secret"
                )))
            }
        })
        .collect()
}

impl Config {
    pub fn from_env() -> Result<Self, ConfigError> {
        Self::from_vars(|name| env::var(name).ok())
    }

    /// Reads the configuration through `lookup`, so it can be checked without touching the
    /// process's environment. Blank values count as unset.
    pub fn from_vars(lookup: impl Fn(&str) -> Option<String>) -> Result<Self, ConfigError> {
        let var = |name: &str| {
            lookup(name)
                .map(|v| v.trim().to_owned())
                .filter(|v| !v.is_empty())
        };
        let environment = match var("PATHWAY_ENV").as_deref() {
            None | Some("development") => Environment::Development,
            Some("production") => Environment::Production,
            Some(other) => return Err(ConfigError::Environment(other.to_owned())),
        };
        let config = Self {
            database_url: var("DATABASE_URL")
                .unwrap_or_else(|| DEFAULT_DATABASE_URL.to_owned())
                .into(),
            bind: var("PATHWAY_BIND").unwrap_or_else(|| DEFAULT_BIND.to_owned()),
            environment,
            jwt: JwtConfig {
                secret: var("PATHWAY_JWT_SECRET").map(SecretString::from),
                public_key_file: var("PATHWAY_JWT_PUBLIC_KEY_FILE"),
                issuer: var("PATHWAY_JWT_ISSUER"),
                audience: var("PATHWAY_JWT_AUDIENCE"),
                max_lifetime_seconds: number(
                    &var,
                    "PATHWAY_JWT_MAX_LIFETIME_SECONDS",
                    pathway_http::auth::DEFAULT_MAX_LIFETIME_SECONDS,
                )?,
            },
            cors_origins: var("PATHWAY_CORS_ORIGINS")
                .map(|v| {
                    v.split(',')
                        .map(|o| o.trim().to_owned())
                        .filter(|o| !o.is_empty())
                        .collect()
                })
                .unwrap_or_default(),
            supporters_for_panel: number(&var, "PATHWAY_PANEL_SUPPORTERS", 3)?,
            municipal_year_start: match var("PATHWAY_MUNICIPAL_YEAR_START") {
                None => YearStart::default(),
                Some(raw) => YearStart::parse(&raw).map_err(ConfigError::YearStart)?,
            },
            callback_secrets: match var("PATHWAY_CALLBACK_SECRETS") {
                None => Vec::new(),
                Some(raw) => callback_secrets(&raw)?,
            },
            xapi_account_home_page: var("PATHWAY_XAPI_ACCOUNT_HOMEPAGE"),
            xapi_rematch_seconds: number(&var, "PATHWAY_XAPI_REMATCH_SECONDS", 60)?,
            metrics_token: var("PATHWAY_METRICS_TOKEN").map(SecretString::from),
            rate_limits: pathway_http::rate_limit::Quotas {
                person: number(&var, "PATHWAY_RATE_LIMIT_PERSON", 600)?,
                client: number(&var, "PATHWAY_RATE_LIMIT_CLIENT", 6000)?,
            },
            max_connections: number(&var, "PATHWAY_MAX_CONNECTIONS", 1024)?,
            shutdown_grace_seconds: number(&var, "PATHWAY_SHUTDOWN_GRACE_SECONDS", 30)?,
            body_timeout_seconds: number(
                &var,
                "PATHWAY_BODY_TIMEOUT_SECONDS",
                pathway_http::DEFAULT_BODY_DEADLINE.as_secs(),
            )?,
            panel_minimum_meetings: number(&var, "PATHWAY_PANEL_MINIMUM_MEETINGS", 2)?,
            hr_sync_max_left_percent: percent(
                &var,
                "PATHWAY_HR_SYNC_MAX_LEFT_PERCENT",
                pathway_domain::hr_sync::DEFAULT_MAX_LEFT_PERCENT,
            )?,
        };
        if environment == Environment::Production
            && config.jwt.secret.is_none()
            && config.jwt.public_key_file.is_none()
        {
            return Err(ConfigError::MissingKey);
        }
        Ok(config)
    }

    /// The shared secret for HS256 tokens: the configured one, or the well-known development
    /// secret in development when no identity provider's key is configured either. Once people's
    /// tokens come from an identity provider, a secret anyone can read would let anyone mint
    /// integration tokens, so only a configured one signs them.
    pub fn signing_secret(&self) -> Option<&str> {
        match (
            &self.jwt.secret,
            self.environment,
            &self.jwt.public_key_file,
        ) {
            (Some(secret), _, _) => Some(secret.expose_secret()),
            (None, Environment::Development, None) => Some(DEVELOPMENT_SECRET),
            (None, _, _) => None,
        }
    }

    /// How the server verifies tokens: the identity provider's public key when configured,
    /// otherwise the shared secret.
    pub fn token_keys(&self) -> Result<pathway_http::auth::TokenKeys, ConfigError> {
        use pathway_http::auth::TokenKeys;
        let (issuer, audience) = (self.jwt.issuer.as_deref(), self.jwt.audience.as_deref());
        if let Some(path) = &self.jwt.public_key_file {
            let pem = std::fs::read(path).map_err(|source| ConfigError::KeyFile {
                path: path.clone(),
                source,
            })?;
            let keys = TokenKeys::public_key(&pem, issuer, audience)?
                .max_lifetime(self.jwt.max_lifetime_seconds);
            // Integration clients' tokens are Pathway's own: they need a secret to sign with.
            return Ok(match self.signing_secret() {
                Some(secret) => keys.issuing_with(secret.as_bytes()),
                None => keys,
            });
        }
        let secret = self.signing_secret().ok_or(ConfigError::MissingKey)?;
        if self.jwt.secret.is_none() {
            tracing::warn!(
                "PATHWAY_JWT_SECRET is not set: tokens are signed with the published development secret, so anyone can sign in as anyone; set PATHWAY_JWT_SECRET or PATHWAY_ENV=production before real data goes in"
            );
        }
        Ok(
            TokenKeys::shared_secret(secret.as_bytes(), issuer, audience)
                .max_lifetime(self.jwt.max_lifetime_seconds)
                .issuing_with(secret.as_bytes()),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config(vars: &[(&str, &str)]) -> Result<Config, ConfigError> {
        Config::from_vars(|name| {
            vars.iter()
                .find(|(n, _)| *n == name)
                .map(|(_, v)| (*v).to_owned())
        })
    }

    #[test]
    fn with_nothing_set_it_serves_sqlite_locally_with_the_development_secret() {
        let config = config(&[]).expect("defaults");
        assert_eq!(
            config.database_url.expose_secret(),
            "sqlite://pathway.db?mode=rwc"
        );
        assert_eq!(config.bind, "127.0.0.1:8080");
        assert_eq!(config.environment, Environment::Development);
        assert_eq!(config.signing_secret(), Some(DEVELOPMENT_SECRET));
        assert!(config.cors_origins.is_empty());
    }

    #[test]
    fn production_refuses_to_start_without_a_key() {
        assert!(matches!(
            config(&[("PATHWAY_ENV", "production")]),
            Err(ConfigError::MissingKey)
        ));
        assert!(matches!(
            config(&[("PATHWAY_ENV", "production"), ("PATHWAY_JWT_SECRET", "  ")]),
            Err(ConfigError::MissingKey)
        ));
        let configured = config(&[
            ("PATHWAY_ENV", "production"),
            ("PATHWAY_JWT_SECRET", "s3cret"),
        ])
        .expect("a key");
        assert_eq!(configured.signing_secret(), Some("s3cret"));
    }

    #[test]
    fn three_supporters_send_a_request_to_the_panel_unless_configured_otherwise() {
        assert_eq!(config(&[]).expect("defaults").supporters_for_panel, 3);
        assert_eq!(
            config(&[("PATHWAY_PANEL_SUPPORTERS", "5")])
                .expect("valid")
                .supporters_for_panel,
            5
        );
        assert!(matches!(
            config(&[("PATHWAY_PANEL_SUPPORTERS", "many")]),
            Err(ConfigError::Number(..))
        ));
    }

    #[test]
    fn a_full_sync_marks_up_to_a_tenth_as_left_unconfirmed_unless_configured_otherwise() {
        assert_eq!(config(&[]).expect("defaults").hr_sync_max_left_percent, 10);
        let set = |raw| config(&[("PATHWAY_HR_SYNC_MAX_LEFT_PERCENT", raw)]);
        assert_eq!(set("25").expect("valid").hr_sync_max_left_percent, 25);
        assert!(matches!(set("101"), Err(ConfigError::Percent(..))));
        assert!(matches!(set("-1"), Err(ConfigError::Number(..))));
    }

    #[test]
    fn the_panel_meets_twice_a_municipal_year_from_1_may_unless_configured_otherwise() {
        let defaults = config(&[]).expect("defaults");
        assert_eq!(defaults.municipal_year_start, YearStart::default());
        assert_eq!(defaults.panel_minimum_meetings, 2);
        let configured = config(&[
            ("PATHWAY_MUNICIPAL_YEAR_START", "05-21"),
            ("PATHWAY_PANEL_MINIMUM_MEETINGS", "4"),
        ])
        .expect("valid");
        assert_eq!(
            configured.municipal_year_start,
            YearStart::parse("05-21").expect("a start")
        );
        assert_eq!(configured.panel_minimum_meetings, 4);
        assert!(matches!(
            config(&[("PATHWAY_MUNICIPAL_YEAR_START", "02-29")]),
            Err(ConfigError::YearStart(_))
        ));
    }

    #[test]
    fn callback_secrets_are_provider_and_whsec_pairs() {
        let config = config(&[(
            "PATHWAY_CALLBACK_SECRETS",
            "learnpool=whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw, skill-gate=whsec_abc",
        )])
        .expect("valid");
        let secrets: Vec<(String, String)> = config
            .callback_secrets
            .iter()
            .map(|(provider, secret)| (provider.clone(), secret.expose_secret().to_owned()))
            .collect();
        assert_eq!(
            secrets,
            [
                (
                    "learnpool".to_owned(),
                    "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw".to_owned()
                ),
                ("skill-gate".to_owned(), "whsec_abc".to_owned())
            ]
        );
        assert!(matches!(
            config_error("PATHWAY_CALLBACK_SECRETS", "learnpool:whsec_abc"),
            ConfigError::CallbackSecrets(_)
        ));
        assert!(matches!(
            config_error("PATHWAY_CALLBACK_SECRETS", "learnpool=abc"),
            ConfigError::CallbackSecrets(_)
        ));
    }

    #[test]
    fn a_logged_configuration_shows_no_secret() {
        let config = config(&[
            (
                "DATABASE_URL",
                "postgres://pathway:hunter2-db@db.internal/pathway",
            ),
            ("PATHWAY_JWT_SECRET", "hunter2-jwt"),
            (
                "PATHWAY_CALLBACK_SECRETS",
                "learnpool=whsec_hunter2callback",
            ),
        ])
        .expect("valid");
        let logged = format!("{config:?}");
        assert!(!logged.contains("hunter2"), "{logged}");
        assert!(logged.contains("REDACTED"), "{logged}");
        assert!(
            logged.contains("learnpool"),
            "what is not secret still shows: {logged}"
        );
    }

    #[test]
    fn the_development_secret_never_signs_beside_an_identity_providers_key() {
        let with_key =
            config(&[("PATHWAY_JWT_PUBLIC_KEY_FILE", "/etc/pathway/idp.pem")]).expect("valid");
        assert_eq!(with_key.signing_secret(), None);
        let with_both = config(&[
            ("PATHWAY_JWT_PUBLIC_KEY_FILE", "/etc/pathway/idp.pem"),
            ("PATHWAY_JWT_SECRET", "s3cret"),
        ])
        .expect("valid");
        assert_eq!(with_both.signing_secret(), Some("s3cret"));
    }

    #[test]
    fn tokens_last_a_day_at_most_unless_configured_otherwise() {
        assert_eq!(
            config(&[]).expect("defaults").jwt.max_lifetime_seconds,
            86_400
        );
        assert_eq!(
            config(&[("PATHWAY_JWT_MAX_LIFETIME_SECONDS", "3600")])
                .expect("valid")
                .jwt
                .max_lifetime_seconds,
            3600
        );
        assert!(matches!(
            config_error("PATHWAY_JWT_MAX_LIFETIME_SECONDS", "a week"),
            ConfigError::Number("PATHWAY_JWT_MAX_LIFETIME_SECONDS", _)
        ));
    }

    fn config_error(name: &str, value: &str) -> ConfigError {
        config(&[(name, value)]).expect_err("refused")
    }

    #[test]
    fn an_unknown_environment_is_an_error() {
        assert!(matches!(
            config(&[("PATHWAY_ENV", "staging")]),
            Err(ConfigError::Environment(_))
        ));
    }

    #[test]
    fn cors_origins_are_a_comma_separated_list() {
        let config = config(&[(
            "PATHWAY_CORS_ORIGINS",
            "https://a.example, https://b.example,",
        )])
        .expect("valid");
        assert_eq!(
            config.cors_origins,
            ["https://a.example", "https://b.example"]
        );
    }

    #[test]
    fn a_missing_public_key_file_is_reported() {
        let config =
            config(&[("PATHWAY_JWT_PUBLIC_KEY_FILE", "/nonexistent/key.pem")]).expect("valid");
        assert!(matches!(
            config.token_keys(),
            Err(ConfigError::KeyFile { .. })
        ));
    }
}
