use std::collections::HashMap;

use pathway_domain::DomainError;
use pathway_domain::course::{
    Audience, Category, Course, CourseCode, CourseDetails, CourseStatus, Delivery,
    EqualityImpactAssessment, Offer, Pillar,
};
use sea_orm::entity::prelude::*;
use sea_orm::{ActiveValue::Set, QueryOrder};

use crate::change::{Change, Fact};
use crate::db::now;
use crate::page::PageRequest;
use crate::sql::IN_LIST;
use crate::versioned;
use crate::{Page, StoreError, audit};

use crate::entity::courses;
use courses::Column;

const RESOURCE: &str = "course";
const UNIQUE_FIELDS: &[&str] = &["xapi_activity_id", "code"];

/// Narrows the catalogue; every field is optional.
#[derive(Debug, Clone, Default)]
pub struct CourseFilter {
    pub status: Option<CourseStatus>,
    pub pillar: Option<Pillar>,
    pub category: Option<Category>,
    pub offer: Option<Offer>,
    pub audience: Option<Audience>,
    pub delivery: Option<Delivery>,
}

#[tracing::instrument(skip_all, fields(code = details.code.as_str()))]
pub async fn create(change: &Change, details: CourseDetails) -> Result<Course, StoreError> {
    let (tx, actor) = (change.tx(), change.actor());
    let at = now();
    let row = courses::ActiveModel {
        id: Set(Uuid::now_v7()),
        status: Set(CourseStatus::Draft),
        created_at: Set(at),
        updated_at: Set(at),
        version: Set(1),
        ..write_details(&details)
    }
    .insert(tx)
    .await
    .map_err(StoreError::duplicate(RESOURCE, UNIQUE_FIELDS))?;
    audit::record(tx, actor, "course.created", RESOURCE, row.id).await?;
    let course = to_course(row)?;
    change.record(Fact::CourseIdentified(Box::new(course.clone())));
    Ok(course)
}

pub async fn get(db: &impl ConnectionTrait, id: Uuid) -> Result<Course, StoreError> {
    courses::Entity::find_by_id(id)
        .one(db)
        .await?
        .ok_or(StoreError::NotFound(RESOURCE))
        .and_then(to_course)
}

/// The course with this catalogue code, if there is one.
pub async fn find_by_code(
    db: &impl ConnectionTrait,
    code: &CourseCode,
) -> Result<Option<Course>, StoreError> {
    courses::Entity::find()
        .filter(Column::Code.eq(code.as_str()))
        .one(db)
        .await?
        .map(to_course)
        .transpose()
}

pub async fn list(
    db: &DatabaseConnection,
    filter: CourseFilter,
    page: PageRequest,
) -> Result<Page<Course>, StoreError> {
    let mut query = courses::Entity::find();
    let CourseFilter {
        status,
        pillar,
        category,
        offer,
        audience,
        delivery,
    } = filter;
    let equals = [
        (Column::Status, status.map(CourseStatus::as_str)),
        (Column::Pillar, pillar.map(Pillar::as_str)),
        (Column::Category, category.map(Category::as_str)),
        (Column::Offer, offer.map(Offer::as_str)),
        (Column::Audience, audience.map(Audience::as_str)),
        (Column::Delivery, delivery.map(Delivery::as_str)),
    ];
    for (column, value) in equals {
        if let Some(value) = value {
            query = query.filter(column.eq(value));
        }
    }
    page.fetch(db, query, Column::Id, |row| row.id)
        .await?
        .try_map(to_course)
}

/// The title and go-live date of each of these courses, by id: what compliance shows and needs.
pub(crate) async fn titles_and_go_live(
    db: &impl ConnectionTrait,
    ids: impl IntoIterator<Item = Uuid>,
) -> Result<HashMap<Uuid, (String, Option<Date>)>, StoreError> {
    let ids: Vec<Uuid> = ids.into_iter().collect();
    if ids.is_empty() {
        return Ok(HashMap::new());
    }
    let rows = courses::Entity::find()
        .filter(Column::Id.is_in(ids))
        .all(db)
        .await?;
    Ok(rows
        .into_iter()
        .map(|row| (row.id, (row.title, row.go_live_on)))
        .collect())
}

/// Every published course: the catalogue the training matrix is drawn from.
pub async fn published(db: &DatabaseConnection) -> Result<Vec<Course>, StoreError> {
    courses::Entity::find()
        .filter(Column::Status.eq(CourseStatus::Published))
        .order_by_asc(Column::Code)
        .all(db)
        .await?
        .into_iter()
        .map(to_course)
        .collect()
}

/// Replaces a course's details, if the stored version is still `expected_version`.
#[tracing::instrument(skip(change, details))]
pub async fn update(
    change: &Change,
    id: Uuid,
    expected_version: Option<i32>,
    details: CourseDetails,
) -> Result<Course, StoreError> {
    apply_rule(change, id, expected_version, "course.updated", |course| {
        let details = course.revise(details)?;
        Ok((details, course.status))
    })
    .await
}

#[tracing::instrument(skip(change))]
pub async fn publish(
    change: &Change,
    id: Uuid,
    expected_version: Option<i32>,
) -> Result<Course, StoreError> {
    apply_rule(change, id, expected_version, "course.published", |course| {
        Ok((course.details.clone(), course.publish()?))
    })
    .await
}

#[tracing::instrument(skip(change))]
pub async fn retire(
    change: &Change,
    id: Uuid,
    expected_version: Option<i32>,
) -> Result<Course, StoreError> {
    apply_rule(change, id, expected_version, "course.retired", |course| {
        Ok((course.details.clone(), course.retire()?))
    })
    .await
}

/// Applies one rule to the locked, current course and saves what it decides, with its audit
/// event.
async fn apply_rule(
    change: &Change,
    id: Uuid,
    expected_version: Option<i32>,
    action: &str,
    rule: impl FnOnce(&Course) -> Result<(CourseDetails, CourseStatus), DomainError>,
) -> Result<Course, StoreError> {
    let (tx, actor) = (change.tx(), change.actor());
    let current = versioned::lock(
        tx,
        courses::Entity::find_by_id(id),
        expected_version,
        RESOURCE,
    )
    .await?;
    let (details, status) = rule(&to_course(current.clone())?)?;
    let changes = courses::ActiveModel {
        status: Set(status),
        ..write_details(&details)
    };
    let saved = versioned::bump(tx, &current, changes)
        .await
        .map_err(StoreError::duplicate(RESOURCE, UNIQUE_FIELDS))?;
    audit::record(tx, actor, action, RESOURCE, id).await?;
    if (&saved.title, saved.go_live_on) != (&current.title, current.go_live_on) {
        // A requirement applies from the go-live date at the earliest; the rows name the
        // course by its title.
        change.record(Fact::CourseChanged(id));
    }
    let course = to_course(saved)?;
    if course.details.xapi_activity_id.as_deref() != current.xapi_activity_id.as_deref() {
        change.record(Fact::CourseIdentified(Box::new(course.clone())));
    }
    Ok(course)
}

/// The courses with these xAPI activity ids, by activity id.
pub(crate) async fn by_activity_ids(
    db: &impl ConnectionTrait,
    activity_ids: &[String],
) -> Result<HashMap<String, Course>, StoreError> {
    let mut found = HashMap::new();
    for chunk in activity_ids.chunks(IN_LIST) {
        for row in courses::Entity::find()
            .filter(Column::XapiActivityId.is_in(chunk.iter().cloned()))
            .all(db)
            .await?
        {
            let course = to_course(row)?;
            if let Some(activity) = course.details.xapi_activity_id.clone() {
                found.insert(activity, course);
            }
        }
    }
    Ok(found)
}

fn write_details(details: &CourseDetails) -> courses::ActiveModel {
    let assessment = &details.equality_impact_assessment;
    courses::ActiveModel {
        code: Set(details.code.as_str().to_owned()),
        title: Set(details.title.clone()),
        description: Set(details.description.clone()),
        pillar: Set(details.pillar),
        category: Set(details.category),
        offer: Set(details.offer),
        audience: Set(details.audience),
        delivery: Set(details.delivery),
        provider: Set(details.provider.clone()),
        qualification: Set(details.qualification.clone()),
        cost_pence: Set(details.cost_pence),
        validity_months: Set(details.validity_months),
        go_live_on: Set(details.go_live_on),
        eia_status: Set(assessment.status),
        eia_completed_on: Set(assessment.completed_on),
        eia_summary: Set(assessment.summary.clone()),
        xapi_activity_id: Set(details.xapi_activity_id.clone()),
        ..Default::default()
    }
}

fn to_course(row: courses::Model) -> Result<Course, StoreError> {
    let corrupt = StoreError::corrupt(RESOURCE);
    Ok(Course {
        id: row.id,
        details: CourseDetails {
            code: CourseCode::parse(&row.code).map_err(&corrupt)?,
            title: row.title,
            description: row.description,
            pillar: row.pillar,
            category: row.category,
            offer: row.offer,
            audience: row.audience,
            delivery: row.delivery,
            provider: row.provider,
            qualification: row.qualification,
            cost_pence: row.cost_pence,
            validity_months: row.validity_months,
            go_live_on: row.go_live_on,
            equality_impact_assessment: EqualityImpactAssessment {
                status: row.eia_status,
                completed_on: row.eia_completed_on,
                summary: row.eia_summary,
            },
            xapi_activity_id: row.xapi_activity_id,
        },
        status: row.status,
        created_at: row.created_at,
        updated_at: row.updated_at,
        version: row.version,
    })
}
