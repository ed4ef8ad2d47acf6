use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "xapi_statement_mentions")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub statement_id: Uuid,
    /// `agent` or `activity`.
    #[sea_orm(primary_key, auto_increment = false)]
    pub kind: String,
    #[sea_orm(primary_key, auto_increment = false)]
    pub key: String,
    pub direct: bool,
}

super::unrelated!();
