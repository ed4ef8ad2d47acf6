use pathway_domain::completion::CompletionSource;
use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "completions")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub learner_id: Uuid,
    pub course_id: Uuid,
    pub completed_on: Date,
    pub source: CompletionSource,
    pub source_key: String,
    pub score: Option<i32>,
    pub evidence: Option<String>,
    pub expires_on: Option<Date>,
    pub recorded_at: DateTimeUtc,
}

super::unrelated!();
