use secrecy::ExposeSecret;
use std::net::TcpListener;
use std::time::Duration;

use actix_web::HttpServer;
use actix_web::dev::ServerHandle;
use pathway_http::callback::CallbackSecrets;
use pathway_http::xapi::LrsConfig;
use pathway_http::{AppState, Guards, Rules, app};
use pathway_persistence::{connect, migrate};

use crate::config::Config;
use crate::rematch;

/// A running server: where it listens, and the future that serves until stopped.
pub struct Server {
    pub port: u16,
    pub handle: ServerHandle,
    server: actix_web::dev::Server,
}

#[derive(Debug, thiserror::Error)]
pub enum StartError {
    #[error("cannot reach the database: {0}")]
    Database(#[from] pathway_persistence::DbErr),
    #[error(transparent)]
    Config(#[from] crate::config::ConfigError),
    #[error("cannot listen on {bind}: {source}")]
    Bind {
        bind: String,
        source: std::io::Error,
    },
}

impl Server {
    /// Connects, applies pending migrations, and binds; serving starts with [`Server::run`].
    pub async fn start(config: &Config) -> Result<Self, StartError> {
        let db = connect(config.database_url.expose_secret()).await?;
        migrate(&db).await?;
        if config.xapi_rematch_seconds > 0 {
            tokio::spawn(rematch::every(
                db.clone(),
                Duration::from_secs(config.xapi_rematch_seconds),
            ));
        }
        let rules = Rules {
            supporters_for_panel: config.supporters_for_panel,
            municipal_year_start: config.municipal_year_start,
            panel_minimum_meetings: config.panel_minimum_meetings,
            hr_sync_max_left_percent: config.hr_sync_max_left_percent,
        };
        let state = AppState::new(
            db,
            config.token_keys()?,
            config.cors_origins.clone(),
            rules,
            CallbackSecrets(
                config
                    .callback_secrets
                    .iter()
                    .map(|(provider, secret)| (provider.clone(), secret.expose_secret().to_owned()))
                    .collect(),
            ),
            LrsConfig {
                council_home_page: config.xapi_account_home_page.clone(),
            },
            Guards {
                body_deadline: Duration::from_secs(config.body_timeout_seconds),
                metrics_token: config
                    .metrics_token
                    .as_ref()
                    .map(|token| token.expose_secret().to_owned()),
                quotas: config.rate_limits,
            },
        );
        let listener = TcpListener::bind(&config.bind).map_err(|source| StartError::Bind {
            bind: config.bind.clone(),
            source,
        })?;
        let port = listener
            .local_addr()
            .map_err(|source| StartError::Bind {
                bind: config.bind.clone(),
                source,
            })?
            .port();
        // On SIGTERM (or Ctrl-C) actix stops accepting, lets requests in flight finish within
        // the grace period, and then the process exits.
        let server = HttpServer::new(move || app(state.clone()))
            .max_connections(config.max_connections)
            .shutdown_timeout(config.shutdown_grace_seconds)
            .listen(listener)
            .map_err(|source| StartError::Bind {
                bind: config.bind.clone(),
                source,
            })?
            .run();
        Ok(Self {
            port,
            handle: server.handle(),
            server,
        })
    }

    pub async fn run(self) -> std::io::Result<()> {
        self.server.await
    }
}
