//! The `pathway` command line, kept in the library so the end-to-end tests can run the very
//! same program as a separate process.

use secrecy::ExposeSecret;
use std::process::ExitCode;
use std::time::{SystemTime, UNIX_EPOCH};

use crate::config::Config;
use crate::startup::Server;
use crate::{demo_data, telemetry};
use clap::{Parser, Subcommand};
use pathway_domain::calendar::london_date;
use pathway_http::auth::{Audience, Claims, Role, sign};
use pathway_persistence::backup;
use pathway_persistence::synthetic::{self, Council};

/// Pathway: the learning and development record system of a UK council.
#[derive(Parser)]
#[command(version, about)]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Subcommand)]
enum Command {
    /// Apply pending migrations, then serve the API (the default).
    Serve,
    /// Apply pending migrations and exit.
    Migrate,
    /// Print the OpenAPI contract as JSON.
    Openapi,
    /// Development helper: print a person's token signed with the configured HS256 secret.
    /// Integration clients get theirs from `/oauth/token`.
    Token {
        /// admin, manager, learner or panel_member; repeat for several.
        #[arg(long = "role", required = true)]
        roles: Vec<Role>,
        /// The subject: a learner's id for a person, or an integration client's id.
        #[arg(long, default_value = "00000000-0000-7000-8000-000000000001")]
        sub: String,
        /// How long the token lasts: seconds, or with a unit (30m, 1h, 7d).
        #[arg(long, default_value = "1h", value_parser = parse_ttl)]
        ttl: u64,
    },
    /// Write a consistent copy of the SQLite database to PATH while the server runs.
    Backup {
        /// Where the copy goes; it must not exist yet.
        path: std::path::PathBuf,
    },
    /// Replace the SQLite database with a backup. Stop the server first.
    Restore {
        /// The backup to restore.
        path: std::path::PathBuf,
    },
    /// Load a realistic catalogue and delivery history from the strategies. Safe to run again.
    DemoData,
    /// Benchmark helper: fill an empty database with a generated council of this size.
    Generate {
        #[arg(long, default_value_t = 50_000)]
        learners: usize,
        /// How many of the learners are elected members.
        #[arg(long, default_value_t = 80)]
        members: usize,
        /// Completions spread over the last five years.
        #[arg(long, default_value_t = 1_000_000)]
        completions: usize,
        /// The same seed makes the same council.
        #[arg(long, default_value_t = 1)]
        seed: u64,
    },
}

fn parse_ttl(raw: &str) -> Result<u64, String> {
    let (number, unit) = raw.split_at(raw.find(|c: char| !c.is_ascii_digit()).unwrap_or(raw.len()));
    let n: u64 = number
        .parse()
        .map_err(|_| format!("{raw:?} is not a duration like 3600, 30m, 1h or 7d"))?;
    let scale = match unit {
        "" | "s" => 1,
        "m" => 60,
        "h" => 3600,
        "d" => 86_400,
        _ => return Err(format!("unknown unit {unit:?}: use s, m, h or d")),
    };
    Ok(n * scale)
}

/// The `pathway` command line: parses the arguments and runs the subcommand.
#[tokio::main]
pub async fn main() -> ExitCode {
    let cli = Cli::parse();
    match run(cli.command.unwrap_or(Command::Serve)).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("pathway: {error}");
            ExitCode::FAILURE
        }
    }
}

async fn run(command: Command) -> Result<(), Box<dyn std::error::Error>> {
    match command {
        Command::Openapi => print!("{}", pathway_http::openapi::json()),
        Command::Token { roles, sub, ttl } => {
            let config = Config::from_env()?;
            let secret = config
                .signing_secret()
                .ok_or("set PATHWAY_JWT_SECRET to sign tokens")?;
            if ttl > config.jwt.max_lifetime_seconds {
                return Err(format!(
                    "the server refuses tokens lasting more than {}s (PATHWAY_JWT_MAX_LIFETIME_SECONDS)",
                    config.jwt.max_lifetime_seconds
                )
                .into());
            }
            let now = SystemTime::now().duration_since(UNIX_EPOCH)?.as_secs();
            let claims = Claims {
                sub,
                roles: roles.iter().map(|r| r.as_str().to_owned()).collect(),
                scope: None,
                exp: now + ttl,
                nbf: Some(now),
                iat: Some(now),
                iss: config.jwt.issuer.clone(),
                aud: config.jwt.audience.clone().map(Audience::One),
            };
            println!("{}", sign(secret.as_bytes(), &claims)?);
        }
        Command::Migrate => {
            let config = Config::from_env()?;
            telemetry::init(config.environment);
            let db = pathway_persistence::connect(config.database_url.expose_secret()).await?;
            pathway_persistence::migrate(&db).await?;
            tracing::info!("migrations applied");
        }
        Command::Generate {
            learners,
            members,
            completions,
            seed,
        } => {
            let config = Config::from_env()?;
            telemetry::init(config.environment);
            let db = pathway_persistence::connect(config.database_url.expose_secret()).await?;
            pathway_persistence::migrate(&db).await?;
            let council = Council {
                learners,
                members: members.min(learners),
                completions,
                seed,
            };
            let started = std::time::Instant::now();
            let made = synthetic::generate(&db, council, london_date(chrono::Utc::now())).await?;
            println!(
                "generated {} learners, {} courses, {} requirements and {} completions in {:.1} s",
                made.learners,
                made.courses,
                made.requirements,
                made.completions,
                started.elapsed().as_secs_f64()
            );
        }
        Command::Backup { path } => {
            let config = Config::from_env()?;
            backup::backup_of(config.database_url.expose_secret(), &path).await?;
            println!("backed up to {}", path.display());
        }
        Command::Restore { path } => {
            let config = Config::from_env()?;
            backup::restore(&path, config.database_url.expose_secret()).await?;
            println!(
                "restored {}; start the server to apply any newer migrations",
                path.display()
            );
        }
        Command::DemoData => {
            let config = Config::from_env()?;
            telemetry::init(config.environment);
            let db = pathway_persistence::connect(config.database_url.expose_secret()).await?;
            pathway_persistence::migrate(&db).await?;
            let loaded = demo_data::load(&db, &config).await?;
            let said = |added: bool| if added { "added" } else { "already there" };
            println!(
                "demo catalogue: {} courses added, {} already there; delivery history {}; budgets and requests {}; {} requirements added; advisory panel {}",
                loaded.added,
                loaded.already_there,
                said(loaded.history_added),
                said(loaded.money_added),
                loaded.requirements_added,
                said(loaded.panel_added)
            );
        }
        Command::Serve => {
            let config = Config::from_env()?;
            telemetry::init(config.environment);
            let server = Server::start(&config).await?;
            tracing::info!(bind = %config.bind, port = server.port, "serving; docs at /docs");
            server.run().await?;
        }
    }
    Ok(())
}
