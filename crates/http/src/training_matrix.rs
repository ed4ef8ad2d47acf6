//! `/v1/training-matrix`: the grid of the offer, drawn from the published catalogue.

use actix_web::get;
use actix_web::web::{Data, Json, Query};
use pathway_domain::course::Category;
use pathway_domain::training_matrix::{self as matrix, MatrixAudience, MatrixColumn};
use pathway_persistence::DatabaseConnection;
use pathway_persistence::course as store;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_actix_web::service_config::ServiceConfig;
use uuid::Uuid;

use crate::auth::Caller;
use crate::error::ApiError;
use crate::responses::BadRequest;

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct MatrixQuery {
    /// Whose matrix: employees' or elected members'.
    pub audience: MatrixAudience,
}

/// A course as the matrix lists it.
#[derive(Debug, Serialize, ToSchema)]
pub struct MatrixCourse {
    pub id: Uuid,
    #[schema(example = "GDPR")]
    pub code: String,
    #[schema(example = "Data protection (GDPR)")]
    pub title: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct MatrixCellView {
    pub category: Category,
    pub column: MatrixColumn,
    pub courses: Vec<MatrixCourse>,
}

/// The training matrix: always eight cells, the two categories by four columns.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({"audience": "members", "cells": [
    {"category": "knowledge_based", "column": "mandatory", "courses": [{"id": "019a8f3e-5b1c-7d2e-9f40-1a2b3c4d5e70", "code": "CODE-CONDUCT", "title": "Code of Conduct"}]},
    {"category": "knowledge_based", "column": "role_specific", "courses": []},
    {"category": "knowledge_based", "column": "supplementary", "courses": []},
    {"category": "knowledge_based", "column": "by_request", "courses": []},
    {"category": "enabling_skills", "column": "mandatory", "courses": []},
    {"category": "enabling_skills", "column": "role_specific", "courses": []},
    {"category": "enabling_skills", "column": "supplementary", "courses": []},
    {"category": "enabling_skills", "column": "by_request", "courses": []}
]}))]
pub struct TrainingMatrixView {
    pub audience: MatrixAudience,
    pub cells: Vec<MatrixCellView>,
}

/// The training matrix, computed from the published courses for one audience.
///
/// Courses of audience `all` appear in both matrices; `one_off` and `additional` offers share
/// the `by_request` column.
#[utoipa::path(tag = "courses",
    params(MatrixQuery),
    responses((status = 200, description = "The eight cells of the matrix", body = TrainingMatrixView),
        BadRequest))]
#[get("/v1/training-matrix")]
pub async fn get_training_matrix(
    _caller: Caller,
    db: Data<DatabaseConnection>,
    query: Query<MatrixQuery>,
) -> Result<Json<TrainingMatrixView>, ApiError> {
    let catalogue = store::published(&db).await?;
    let cells = matrix::build(query.audience, &catalogue)
        .into_iter()
        .map(|cell| MatrixCellView {
            category: cell.category,
            column: cell.column,
            courses: cell
                .courses
                .into_iter()
                .map(|c| MatrixCourse {
                    id: c.id,
                    code: c.details.code.as_str().to_owned(),
                    title: c.details.title.clone(),
                })
                .collect(),
        })
        .collect();
    Ok(Json(TrainingMatrixView {
        audience: query.audience,
        cells,
    }))
}

/// This feature's operations, for the server and the contract alike.
pub fn routes(cfg: &mut ServiceConfig) {
    cfg.service(get_training_matrix);
}
