use pathway_domain::evaluation::{EvaluationStatus, ScopeKind};
use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "evaluations")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub panel_id: Uuid,
    pub scope_kind: ScopeKind,
    pub course_id: Option<Uuid>,
    pub period_start: Date,
    pub period_end: Date,
    pub needs_met: Option<i16>,
    pub uptake: Option<i16>,
    pub accessibility: Option<i16>,
    pub quality: Option<i16>,
    pub findings: Option<String>,
    pub recommendations: String,
    pub evidence: String,
    pub status: EvaluationStatus,
    pub meeting_id: Option<Uuid>,
    pub agreed_at: Option<DateTimeUtc>,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
    pub version: i32,
}

super::unrelated!();
