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
#[utoipa::path(get, path = "/health/live", tag = "operations", responses((status = 200, description = "Alive", body = HealthView)))]
pub async fn live() -> Json<HealthView> {
    Json(HealthView { status: "ok" })
}

/// The process can serve: its database answers.
#[utoipa::path(
    get,
    path = "/health/ready",
    tag = "operations",
    responses(
        (status = 200, description = "Ready", body = HealthView),
        (status = 503, response = Unavailable),
    )
)]
pub async fn ready(db: Data<DatabaseConnection>) -> Result<Json<HealthView>, ApiError> {
    db::ping(&db).await.map_err(|_| ApiError::Unavailable)?;
    Ok(Json(HealthView { status: "ok" }))
}
