use pathway_domain::course::Pillar;
use pathway_domain::training_request::{RequestKind, RequestStatus};
use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "training_requests")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub kind: RequestKind,
    pub requester_id: Uuid,
    pub title: String,
    pub provider: String,
    pub justification: String,
    pub development_need: String,
    pub course_id: Option<Uuid>,
    pub starts_on: Date,
    pub ends_on: Date,
    pub estimated_cost_pence: i64,
    pub actual_cost_pence: Option<i64>,
    pub pillar: Pillar,
    pub status: RequestStatus,
    pub override_reason: Option<String>,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

super::unrelated!();
