//! `/v1/audit-events`: who changed what, when.

use actix_web::get;
use actix_web::web::{Data, Json, Query};
use chrono::{DateTime, Utc};
use pathway_domain::audit::AuditEvent;
use pathway_persistence::DatabaseConnection;
use pathway_persistence::audit::{self as store, AuditFilter};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_actix_web::service_config::ServiceConfig;
use uuid::Uuid;

use crate::auth::Admin;
use crate::error::ApiError;
use crate::page::{PageQuery, PageView};
use crate::responses::{BadRequest, Forbidden, Unprocessable};

#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({
    "id": "019a8f3e-5b1c-7d2e-9f40-1a2b3c4d5e71", "occurred_at": "2026-03-02T08:15:00Z",
    "actor": "019a8f3e-0000-7000-8000-000000000001", "action": "course.published", "resource_type": "course",
    "resource_id": "019a8f3e-5b1c-7d2e-9f40-1a2b3c4d5e70", "request_id": "019a8f3e-9999-7000-8000-000000000abc"
}))]
pub struct AuditEventView {
    pub id: Uuid,
    pub occurred_at: DateTime<Utc>,
    /// The token subject that acted: a learner id, or an integration client's id.
    pub actor: String,
    /// `<resource>.<what happened>`, such as `learner.created` or `course.published`.
    pub action: String,
    pub resource_type: String,
    pub resource_id: Uuid,
    /// The `X-Request-Id` of the request that made the change.
    pub request_id: Option<String>,
}

impl From<AuditEvent> for AuditEventView {
    fn from(e: AuditEvent) -> Self {
        Self {
            id: e.id,
            occurred_at: e.occurred_at,
            actor: e.actor,
            action: e.action,
            resource_type: e.resource_type,
            resource_id: e.resource_id,
            request_id: e.request_id,
        }
    }
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct AuditQuery {
    /// Such as `learner` or `course`.
    pub resource_type: Option<String>,
    pub resource_id: Option<Uuid>,
    pub actor: Option<String>,
    pub action: Option<String>,
}

/// The audit trail, oldest first: every change, who made it, and the request that carried it.
///
/// Admins only. Filter by the kind and id of the resource changed, the actor and the action,
/// such as `course.published`.
#[utoipa::path(tag = "audit",
    params(PageQuery, AuditQuery),
    responses((status = 200, description = "A page of audit events", body = PageView<AuditEventView>),
        BadRequest, Forbidden, Unprocessable))]
#[get("/v1/audit-events")]
pub async fn list_audit_events(
    _: Admin,
    db: Data<DatabaseConnection>,
    query: Query<AuditQuery>,
    page: Query<PageQuery>,
) -> Result<Json<PageView<AuditEventView>>, ApiError> {
    let query = query.into_inner();
    let page = page.request()?;
    let filter = AuditFilter {
        resource_type: query.resource_type,
        resource_id: query.resource_id,
        actor: query.actor,
        action: query.action,
    };
    Ok(Json(PageView::from_page(
        store::list(&db, filter, page).await?,
        AuditEventView::from,
    )))
}

/// This feature's operations, for the server and the contract alike.
pub fn routes(cfg: &mut ServiceConfig) {
    cfg.service(list_audit_events);
}
