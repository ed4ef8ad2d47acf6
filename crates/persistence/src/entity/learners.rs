use pathway_domain::learner::{LearnerKind, LearnerStatus};
use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "learners")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub kind: LearnerKind,
    pub given_name: String,
    pub family_name: String,
    pub email: String,
    pub external_ref: Option<String>,
    pub department: Option<String>,
    pub job_title: Option<String>,
    pub manager_id: Option<Uuid>,
    pub political_group: Option<String>,
    pub ward: Option<String>,
    pub started_on: Date,
    pub status: LearnerStatus,
    pub left_on: Option<Date>,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
    pub version: i32,
    /// What an identity provider calls the learner over SCIM (see the `scim` module).
    pub scim_user_name: Option<String>,
    pub scim_user_key: Option<String>,
    pub scim_external_id: Option<String>,
    pub scim_removed_at: Option<DateTimeUtc>,
    pub scim_email_type: Option<String>,
    pub scim_email_primary: Option<bool>,
}

super::unrelated!();
