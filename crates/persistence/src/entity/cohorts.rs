use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "cohorts")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub programme_id: Uuid,
    pub starts_on: Date,
    pub capacity: i32,
    pub facilitator: Option<String>,
    pub created_at: DateTimeUtc,
}

super::unrelated!();
