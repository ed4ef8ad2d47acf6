use pathway_domain::DomainError;
use pathway_domain::compliance::{RequiredCourse, Requirement, Rule, Selector, SelectorKind};
use pathway_domain::course::CourseStatus;
use sea_orm::entity::prelude::*;
use sea_orm::{ActiveValue::Set, DatabaseTransaction, QueryOrder};

use crate::change::{Change, Fact};
use crate::db::{compliance_turn, now};
use crate::page::PageRequest;
use crate::versioned;
use crate::{Page, StoreError, audit, course};

use crate::entity::requirements;
use requirements::Column;

const RESOURCE: &str = "requirement";

/// Narrows a list of requirements; every field is optional.
#[derive(Debug, Clone, Default)]
pub struct RequirementFilter {
    pub course_id: Option<Uuid>,
    pub selector_kind: Option<SelectorKind>,
}

#[tracing::instrument(skip_all, fields(course_id = %rule.course_id))]
pub async fn create(change: &Change, rule: Rule) -> Result<Requirement, StoreError> {
    let (tx, actor) = (change.tx(), change.actor());
    check_course(tx, rule.course_id).await?;
    let at = now();
    let row = requirements::ActiveModel {
        id: Set(Uuid::now_v7()),
        created_at: Set(at),
        updated_at: Set(at),
        version: Set(1),
        ..write_rule(&rule)
    }
    .insert(tx)
    .await?;
    audit::record(tx, actor, "requirement.created", RESOURCE, row.id).await?;
    change.record(Fact::RequirementChanged(row.id));
    to_requirement(row)
}

pub async fn get(db: &impl ConnectionTrait, id: Uuid) -> Result<Requirement, StoreError> {
    requirements::Entity::find_by_id(id)
        .one(db)
        .await?
        .ok_or(StoreError::NotFound(RESOURCE))
        .and_then(to_requirement)
}

pub async fn list(
    db: &DatabaseConnection,
    filter: RequirementFilter,
    page: PageRequest,
) -> Result<Page<Requirement>, StoreError> {
    let mut query = requirements::Entity::find();
    if let Some(course_id) = filter.course_id {
        query = query.filter(Column::CourseId.eq(course_id));
    }
    if let Some(kind) = filter.selector_kind {
        query = query.filter(Column::SelectorKind.eq(kind));
    }
    page.fetch(db, query, Column::Id, |row| row.id)
        .await?
        .try_map(to_requirement)
}

/// Replaces a requirement's rule, if the stored version is still `expected_version`.
#[tracing::instrument(skip(change, rule))]
pub async fn update(
    change: &Change,
    id: Uuid,
    expected_version: Option<i32>,
    rule: Rule,
) -> Result<Requirement, StoreError> {
    let (tx, actor) = (change.tx(), change.actor());
    let current = lock(tx, id, expected_version).await?;
    if rule.course_id != current.course_id {
        check_course(tx, rule.course_id).await?;
    }
    let row = versioned::bump(tx, &current, write_rule(&rule)).await?;
    audit::record(tx, actor, "requirement.updated", RESOURCE, id).await?;
    change.record(Fact::RequirementChanged(id));
    to_requirement(row)
}

/// Removes a requirement. Learners' completions stay; only the duty goes. To end a rule but
/// keep it in past figures, set `effective_until` instead.
#[tracing::instrument(skip(change))]
pub async fn delete(
    change: &Change,
    id: Uuid,
    expected_version: Option<i32>,
) -> Result<(), StoreError> {
    let (tx, actor) = (change.tx(), change.actor());
    compliance_turn(tx).await?;
    lock(tx, id, expected_version).await?;
    requirements::Entity::delete_by_id(id).exec(tx).await?;
    audit::record(tx, actor, "requirement.deleted", RESOURCE, id).await?;
    Ok(())
}

/// Every requirement with its course's title and go-live date, oldest first; only those for
/// `course_id` when it is given.
pub async fn required_courses(
    db: &impl ConnectionTrait,
    course_id: Option<Uuid>,
) -> Result<Vec<RequiredCourse>, StoreError> {
    let mut query = requirements::Entity::find().order_by_asc(Column::Id);
    if let Some(course_id) = course_id {
        query = query.filter(Column::CourseId.eq(course_id));
    }
    let rows = query.all(db).await?;
    let courses = course::titles_and_go_live(db, rows.iter().map(|r| r.course_id)).await?;
    rows.into_iter()
        .map(|row| {
            let (course_title, go_live_on) = courses
                .get(&row.course_id)
                .cloned()
                .ok_or_else(|| StoreError::Corrupt(RESOURCE, "its course is gone".into()))?;
            Ok(RequiredCourse {
                requirement: to_requirement(row)?,
                course_title,
                go_live_on,
            })
        })
        .collect()
}

async fn lock(
    tx: &DatabaseTransaction,
    id: Uuid,
    expected_version: Option<i32>,
) -> Result<requirements::Model, StoreError> {
    versioned::lock(
        tx,
        requirements::Entity::find_by_id(id),
        expected_version,
        RESOURCE,
    )
    .await
}

/// A requirement names a course still in the offer, or one being prepared for it.
async fn check_course(tx: &DatabaseTransaction, course_id: Uuid) -> Result<(), StoreError> {
    let course = course::get(tx, course_id)
        .await
        .map_err(StoreError::missing_as_invalid("course_id"))?;
    if course.status == CourseStatus::Retired {
        return Err(DomainError::invalid("course_id", "names a retired course").into());
    }
    Ok(())
}

fn write_rule(rule: &Rule) -> requirements::ActiveModel {
    requirements::ActiveModel {
        course_id: Set(rule.course_id),
        selector_kind: Set(rule.selector.kind),
        selector_value: Set(rule.selector.value.clone()),
        due_within_days: Set(i32::try_from(rule.due_within_days).unwrap_or(i32::MAX)),
        effective_from: Set(rule.effective_from),
        effective_until: Set(rule.effective_until),
        ..Default::default()
    }
}

fn to_requirement(row: requirements::Model) -> Result<Requirement, StoreError> {
    let corrupt = StoreError::corrupt(RESOURCE);
    let kind: SelectorKind = row.selector_kind;
    Ok(Requirement {
        id: row.id,
        rule: Rule {
            course_id: row.course_id,
            selector: Selector::parse(kind, row.selector_value.as_deref()).map_err(&corrupt)?,
            due_within_days: u32::try_from(row.due_within_days)
                .map_err(|_| StoreError::Corrupt(RESOURCE, "negative due_within_days".into()))?,
            effective_from: row.effective_from,
            effective_until: row.effective_until,
        },
        created_at: row.created_at,
        updated_at: row.updated_at,
        version: row.version,
    })
}
