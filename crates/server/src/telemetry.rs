use tracing_subscriber::EnvFilter;

use crate::config::Environment;

/// Logs to stderr: JSON lines in production (for the log shipper), readable text otherwise.
/// `RUST_LOG` sets the levels; the default is `info`.
pub fn init(environment: Environment) {
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info"));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    let _ = match environment {
        Environment::Production => builder
            .json()
            .with_current_span(true)
            .with_span_list(true)
            .try_init(),
        Environment::Development => builder.compact().try_init(),
    };
}
