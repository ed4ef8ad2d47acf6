//! Probes for the orchestrator: alive, and ready (the database answers).

use actix_web::get;
use actix_web::web::{Data, Json};
use pathway_persistence::{DatabaseConnection, db};
use serde::Serialize;
use utoipa::ToSchema;
use utoipa_actix_web::service_config::ServiceConfig;

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
#[utoipa::path(operation_id = "get_liveness", tag = "operations",
    responses((status = 200, description = "Alive", body = HealthView)), security(()))]
#[get("/health/live")]
pub async fn live() -> Json<HealthView> {
    Json(HealthView { status: "ok" })
}

/// The process can serve: its database answers.
///
/// No credentials needed. Answers 503 while the database does not answer: for a readiness
/// probe, so a load balancer sends no traffic here.
#[utoipa::path(operation_id = "get_readiness",
    tag = "operations",
    responses((status = 200, description = "Ready", body = HealthView),
        Unavailable),
    security(())
)]
#[get("/health/ready")]
pub async fn ready(db: Data<DatabaseConnection>) -> Result<Json<HealthView>, ApiError> {
    db::ping(&db).await.map_err(|_| ApiError::Unavailable)?;
    Ok(Json(HealthView { status: "ok" }))
}

/// This feature's operations, for the server and the contract alike.
pub fn routes(cfg: &mut ServiceConfig) {
    cfg.service(live).service(ready);
}
