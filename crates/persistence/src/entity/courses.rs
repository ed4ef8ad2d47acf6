use pathway_domain::course::{
    AssessmentStatus, Audience, Category, CourseStatus, Delivery, Offer, Pillar,
};
use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "courses")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub code: String,
    pub title: String,
    pub description: Option<String>,
    pub pillar: Pillar,
    pub category: Category,
    pub offer: Offer,
    pub audience: Audience,
    pub delivery: Delivery,
    pub provider: String,
    pub qualification: Option<String>,
    pub cost_pence: i64,
    pub validity_months: Option<i32>,
    pub go_live_on: Option<Date>,
    pub status: CourseStatus,
    pub eia_status: AssessmentStatus,
    pub eia_completed_on: Option<Date>,
    pub eia_summary: Option<String>,
    pub xapi_activity_id: Option<String>,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
    pub version: i32,
}

super::unrelated!();
