//! The `pathway` binary's parts: configuration, telemetry, start-up and the CLI helpers.
//! The end-to-end tests start the server through [`startup::Server::start`], as `main` does.

pub mod cli;
pub mod config;
pub mod demo_data;
mod rematch;
pub mod startup;
pub mod telemetry;
