use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "xapi_statements")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    /// Set when the batch is committed; see `xapi::number`.
    pub seq: Option<i64>,
    pub body: String,
    pub verb_id: String,
    pub activity_id: Option<String>,
    pub actor_email: Option<String>,
    pub actor_ref: Option<String>,
    pub voids: Option<Uuid>,
    pub voided: bool,
    pub outcome: String,
    pub completion_id: Option<Uuid>,
    pub stored: DateTimeUtc,
    /// The statement a StatementRef object names.
    pub object_statement_id: Option<Uuid>,
    /// `context.registration`.
    pub registration: Option<Uuid>,
}

super::unrelated!();
