use pathway_domain::course::Pillar;
use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "budget_allocations")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub financial_year: String,
    #[sea_orm(primary_key, auto_increment = false)]
    pub pillar: Pillar,
    pub amount_pence: i64,
    pub updated_at: DateTimeUtc,
}

super::unrelated!();
