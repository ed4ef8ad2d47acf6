use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "feedback")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub learner_id: Uuid,
    pub subject_key: String,
    pub session_id: Option<Uuid>,
    pub cohort_id: Option<Uuid>,
    pub module_id: Option<Uuid>,
    pub rating: i32,
    pub comments: Option<String>,
    pub would_recommend: bool,
    pub given_at: DateTimeUtc,
}

super::unrelated!();
