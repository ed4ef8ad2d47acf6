use chrono::{DateTime, Utc};
use uuid::Uuid;

/// Who is acting, carried into every mutation so its audit event names them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Actor {
    /// The token's subject: a learner id for a person, the client id for an integration.
    pub subject: String,
    /// The request that carried the action, to join audit events with logs.
    pub request_id: Option<String>,
}

/// A record of who changed what, and when.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditEvent {
    pub id: Uuid,
    pub occurred_at: DateTime<Utc>,
    pub actor: String,
    pub action: String,
    pub resource_type: String,
    pub resource_id: Uuid,
    pub request_id: Option<String>,
}
