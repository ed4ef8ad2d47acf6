use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "xapi_attachments")]
pub struct Model {
    /// The content's SHA-2 digest, in lower-case hexadecimal.
    #[sea_orm(primary_key, auto_increment = false)]
    pub sha2: String,
    pub content_type: String,
    pub content: Vec<u8>,
}

super::unrelated!();
