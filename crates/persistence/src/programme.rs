use pathway_domain::audit::Actor;
use pathway_domain::cohort::{Module, Programme, ProgrammeDetails};
use sea_orm::entity::prelude::*;
use sea_orm::{ActiveValue::Set, QueryOrder};

use crate::db::{begin_write, now};
use crate::entity::programme_modules as modules;
use crate::entity::programmes;
use crate::page::PageRequest;
use crate::{Page, StoreError, audit, course};

const RESOURCE: &str = "programme";

#[tracing::instrument(skip_all)]
pub async fn create(
    db: &DatabaseConnection,
    details: ProgrammeDetails,
    actor: &Actor,
) -> Result<Programme, StoreError> {
    let tx = begin_write(db).await?;
    course::get(&tx, details.course_id)
        .await
        .map_err(StoreError::missing_as_invalid("course_id"))?;
    let row = programmes::ActiveModel {
        id: Set(Uuid::now_v7()),
        name: Set(details.name),
        description: Set(details.description),
        course_id: Set(details.course_id),
        created_at: Set(now()),
    }
    .insert(&tx)
    .await?;
    for (title, position) in details.modules.into_iter().zip(1..) {
        modules::ActiveModel {
            id: Set(Uuid::now_v7()),
            programme_id: Set(row.id),
            position: Set(position),
            title: Set(title),
        }
        .insert(&tx)
        .await?;
    }
    audit::record(&tx, actor, "programme.created", RESOURCE, row.id).await?;
    let programme = get(&tx, row.id).await?;
    tx.commit().await?;
    Ok(programme)
}

pub async fn get(db: &impl ConnectionTrait, id: Uuid) -> Result<Programme, StoreError> {
    let row = programmes::Entity::find_by_id(id)
        .one(db)
        .await?
        .ok_or(StoreError::NotFound(RESOURCE))?;
    let mut programmes = with_modules(db, vec![row]).await?;
    programmes.pop().ok_or(StoreError::NotFound(RESOURCE))
}

pub async fn list(
    db: &DatabaseConnection,
    page: PageRequest,
) -> Result<Page<Programme>, StoreError> {
    let query = programmes::Entity::find();
    let page_rows = page
        .fetch(db, query, programmes::Column::Id, |row| row.id)
        .await?;
    Ok(Page {
        items: with_modules(db, page_rows.items).await?,
        next_after: page_rows.next_after,
    })
}

async fn with_modules(
    db: &impl ConnectionTrait,
    rows: Vec<programmes::Model>,
) -> Result<Vec<Programme>, StoreError> {
    let ids: Vec<Uuid> = rows.iter().map(|r| r.id).collect();
    let all = modules::Entity::find()
        .filter(modules::Column::ProgrammeId.is_in(ids))
        .order_by_asc(modules::Column::Position)
        .all(db)
        .await?;
    Ok(rows
        .into_iter()
        .map(|row| Programme {
            id: row.id,
            modules: all
                .iter()
                .filter(|m| m.programme_id == row.id)
                .map(|m| Module {
                    id: m.id,
                    position: m.position,
                    title: m.title.clone(),
                })
                .collect(),
            name: row.name,
            description: row.description,
            course_id: row.course_id,
            created_at: row.created_at,
        })
        .collect())
}
