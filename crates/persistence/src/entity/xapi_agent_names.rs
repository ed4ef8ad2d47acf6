use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "xapi_agent_names")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub agent_key: String,
    pub name: String,
}

super::unrelated!();
