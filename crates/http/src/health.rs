//! Probes for the orchestrator: alive, and ready (the database answers).

use actix_web::web::{Data, Json};
use pathway_persistence::{DatabaseConnection, db};
use serde::Serialize;
use utoipa::ToSchema;

use crate::error::ApiError;
use crate::responses::Unavailable;

#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({"status": "ok"}))]
pub struct HealthView {
    #[schema(example = "ok")]
    pub status: &'static str,
}

/// The process is up.
///
/// No credentials needed. Answers 200 while the process runs, whatever the database does: for a
/// liveness probe.
#[utoipa::path(get, operation_id = "get_liveness", path = "/health/live", tag = "operations",
    responses((status = 200, description = "Alive", body = HealthView)), security(()))]
pub async fn live() -> Json<HealthView> {
    Json(HealthView { status: "ok" })
}

/// The process can serve: its database answers.
///
/// No credentials needed. Answers 503 while the database does not answer: for a readiness
/// probe, so a load balancer sends no traffic here.
#[utoipa::path(
    get,
    operation_id = "get_readiness",
    path = "/health/ready",
    tag = "operations",
    responses(
        (status = 200, description = "Ready", body = HealthView),
        (status = 503, response = Unavailable),
    ),
    security(())
)]
pub async fn ready(db: Data<DatabaseConnection>) -> Result<Json<HealthView>, ApiError> {
    db::ping(&db).await.map_err(|_| ApiError::Unavailable)?;
    Ok(Json(HealthView { status: "ok" }))
}
