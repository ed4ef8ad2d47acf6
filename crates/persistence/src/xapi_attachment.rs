//! Attachments' content, kept in the database (so every server process serves it) once per
//! digest.

use pathway_domain::xapi_attachment::Content;
use sea_orm::entity::prelude::*;
use sea_orm::{DatabaseTransaction, Set};

use crate::StoreError;
use crate::sql::IN_LIST;

use crate::entity::xapi_attachments as attachments;

/// Keeps attachments' content; content already kept under the same digest is the same.
pub(crate) async fn keep(
    tx: &DatabaseTransaction,
    contents: Vec<Content>,
) -> Result<(), StoreError> {
    if contents.is_empty() {
        return Ok(());
    }
    let mut contents = contents;
    contents.sort_by(|a, b| a.sha2.cmp(&b.sha2));
    contents.dedup_by(|a, b| a.sha2 == b.sha2);
    attachments::Entity::insert_many(contents.into_iter().map(|c| attachments::ActiveModel {
        sha2: Set(c.sha2),
        content_type: Set(c.content_type),
        content: Set(c.content),
    }))
    .on_conflict_do_nothing()
    .exec_without_returning(tx)
    .await?;
    Ok(())
}

/// The content kept under these digests.
pub async fn contents(
    db: &DatabaseConnection,
    digests: &[String],
) -> Result<Vec<Content>, StoreError> {
    let mut found = Vec::new();
    for chunk in digests.chunks(IN_LIST) {
        found.extend(
            attachments::Entity::find()
                .filter(attachments::Column::Sha2.is_in(chunk.iter().cloned()))
                .all(db)
                .await?
                .into_iter()
                .map(|row| Content {
                    sha2: row.sha2,
                    content_type: row.content_type,
                    content: row.content,
                }),
        );
    }
    Ok(found)
}
