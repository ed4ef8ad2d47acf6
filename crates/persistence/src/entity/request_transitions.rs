use pathway_domain::training_request::RequestStatus;
use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "request_transitions")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub request_id: Uuid,
    pub from_status: Option<RequestStatus>,
    pub to_status: RequestStatus,
    pub actor: String,
    pub reason: Option<String>,
    pub at: DateTimeUtc,
}

super::unrelated!();
