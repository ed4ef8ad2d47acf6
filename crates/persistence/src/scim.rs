//! Learners as an identity provider sees them over SCIM: one record, two views. SCIM adds a
//! `userName` and an `externalId` of the provider's own, and deletion that hides a learner
//! from SCIM while Pathway keeps their training record.

use chrono::{DateTime, Utc};
use pathway_domain::DomainError;
use pathway_domain::calendar::london_date;
use pathway_domain::learner::{Learner, LearnerProfile, LearnerStatus};
use sea_orm::entity::prelude::*;
use sea_orm::sea_query::{Expr, LikeExpr, LockType};
use sea_orm::{
    ActiveValue::Set, Condition, DatabaseTransaction, PaginatorTrait, QueryOrder, QuerySelect,
};

use crate::change::{Change, Fact};
use crate::db::now;
use crate::entity::learners;
use crate::learner::{self, escape_like};
use crate::{StoreError, audit, hr_sync};

const RESOURCE: &str = "user";

/// A learner with what SCIM says about them.
#[derive(Debug, Clone)]
pub struct ScimUser {
    pub learner: Learner,
    /// The provider's name for them; their email address until it gives one.
    pub user_name: String,
    pub external_id: Option<String>,
    /// The `type` the provider gave their email address, in lower case; "work" when none did.
    pub email_type: String,
    /// Whether the provider marked the address primary; true when it did not say.
    pub email_primary: bool,
}

/// What a provider writes beside the learner's profile.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScimIdentity {
    pub user_name: String,
    pub external_id: Option<String>,
    /// The `type` of the email address kept, when the provider gave one.
    pub email_type: Option<String>,
    /// Its `primary`, when the provider gave one.
    pub email_primary: Option<bool>,
    /// False: the learner has left. True brings a leaver back.
    pub active: bool,
}

/// What a council's email address is unless a provider says otherwise.
const WORK: &str = "work";

/// One condition of a filter (RFC 7644 s3.4.2.2); a user must meet every one given.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ScimFilter {
    /// userName equals this, in any case.
    UserName(String),
    /// userName starts with this, in any case.
    UserNameStartsWith(String),
    ExternalId(String),
    /// The email address, and the `type` it must have when one is named (in any case).
    Email {
        value: String,
        kind: Option<String>,
    },
    /// When the user last changed (`meta.lastModified`), against an instant.
    LastModified(Comparison, DateTime<Utc>),
}

/// How `meta.lastModified` is compared: SCIM's gt, ge, lt and le.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Comparison {
    After,
    AtOrAfter,
    Before,
    AtOrBefore,
}

pub async fn get(db: &impl ConnectionTrait, id: Uuid) -> Result<ScimUser, StoreError> {
    let row = learners::Entity::find_by_id(id)
        .filter(learners::Column::ScimRemovedAt.is_null())
        .one(db)
        .await?
        .ok_or(StoreError::NotFound(RESOURCE))?;
    Ok(users(db, vec![row]).await?.remove(0))
}

/// One page of users, `offset` from the start in creation order, and how many match in all.
pub async fn list(
    db: &DatabaseConnection,
    filter: &[ScimFilter],
    offset: u64,
    limit: u64,
) -> Result<(u64, Vec<ScimUser>), StoreError> {
    use learners::Column;
    let query = filter.iter().fold(
        learners::Entity::find().filter(Column::ScimRemovedAt.is_null()),
        |query, condition| query.filter(matches(condition)),
    );
    let total = query.clone().count(db).await?;
    let rows = query
        .order_by_asc(Column::CreatedAt)
        .order_by_asc(Column::Id)
        .offset(offset)
        .limit(limit)
        .all(db)
        .await?;
    Ok((total, users(db, rows).await?))
}

/// A learner the provider names for the first time; or, when it names again someone it
/// deleted (a rehire, by email address or HR reference), that learner, who carries on with
/// their record.
#[tracing::instrument(skip_all)]
pub async fn create(
    change: &Change,
    profile: LearnerProfile,
    identity: ScimIdentity,
) -> Result<ScimUser, StoreError> {
    let (tx, actor) = (change.tx(), change.actor());
    hr_sync::serialise(tx).await?;
    check_user_name(tx, &identity.user_name, None).await?;
    if let Some(row) = deprovisioned(tx, &profile).await? {
        let id = row.id;
        let shown = learners::ActiveModel {
            scim_removed_at: Set(None),
            ..Default::default()
        };
        let row = learner::bump(tx, &row, shown).await?;
        audit::record(tx, actor, "learner.reprovisioned", "learner", id).await?;
        rewrite(change, row, profile, identity).await?;
        return get(tx, id).await;
    }
    learner::check_manager(tx, profile.manager_id).await?;
    let at = now();
    let row = learners::ActiveModel {
        id: Set(Uuid::now_v7()),
        status: Set(LearnerStatus::Active),
        left_on: Set(None),
        created_at: Set(at),
        updated_at: Set(at),
        version: Set(1),
        scim_user_name: Set(Some(identity.user_name.clone())),
        scim_user_key: Set(Some(identity.user_name.to_lowercase())),
        scim_external_id: Set(identity.external_id.clone()),
        scim_email_type: Set(identity.email_type.clone()),
        scim_email_primary: Set(identity.email_primary),
        scim_removed_at: Set(None),
        ..learner::write_profile(&profile)
    }
    .insert(tx)
    .await
    .map_err(StoreError::duplicate("learner", &["email", "external_ref"]))?;
    audit::record(tx, actor, "learner.created", "learner", row.id).await?;
    if !identity.active {
        learner::depart(change, &row, london_date(at)).await?;
    }
    change.record(Fact::LearnersIdentified(vec![row.id]));
    get(tx, row.id).await
}

/// Replaces what the provider says about a learner (PUT, or PATCH): `revise` works out the
/// new profile and identity from the user as they stand, read and written in one
/// transaction, so two PATCHes of different attributes at once both hold.
#[tracing::instrument(skip(change, revise))]
pub async fn replace<E: From<StoreError>>(
    change: &Change,
    id: Uuid,
    revise: impl FnOnce(&ScimUser) -> Result<(LearnerProfile, ScimIdentity), E>,
) -> Result<ScimUser, E> {
    let tx = change.tx();
    hr_sync::serialise(tx).await?;
    let current = locked(tx, id).await?;
    let user = users(tx, vec![current.clone()]).await?.remove(0);
    let (profile, identity) = revise(&user)?;
    check_user_name(tx, &identity.user_name, Some(id)).await?;
    rewrite(change, current, profile, identity).await?;
    Ok(get(tx, id).await?)
}

/// Writes what the provider says over a learner row the caller holds: profile, SCIM
/// identity, and leaving or coming back as `active` says.
async fn rewrite(
    change: &Change,
    current: learners::Model,
    profile: LearnerProfile,
    identity: ScimIdentity,
) -> Result<(), StoreError> {
    let (tx, actor) = (change.tx(), change.actor());
    let id = current.id;
    let known = learner::hydrate(tx, vec![current.clone()]).await?.remove(0);
    let profile = known.revise(profile)?;
    learner::check_manager(tx, profile.manager_id).await?;
    let changes = learners::ActiveModel {
        scim_user_name: Set(Some(identity.user_name.clone())),
        scim_user_key: Set(Some(identity.user_name.to_lowercase())),
        scim_external_id: Set(identity.external_id.clone()),
        scim_email_type: Set(identity.email_type.clone()),
        scim_email_primary: Set(identity.email_primary),
        ..learner::write_profile(&profile)
    };
    let saved = learner::bump(tx, &current, changes).await?;
    audit::record(tx, actor, "learner.updated", "learner", id).await?;
    match (identity.active, known.status) {
        (false, LearnerStatus::Active) => {
            let day = Ord::max(london_date(now()), profile.started_on);
            learner::depart(change, &saved, day).await?;
        }
        (true, LearnerStatus::Left) => {
            let status = known.rejoin()?;
            let back = learners::ActiveModel {
                status: Set(status),
                left_on: Set(None),
                ..Default::default()
            };
            learner::bump(tx, &saved, back).await?;
            audit::record(tx, actor, "learner.rejoined", "learner", id).await?;
        }
        _ => {}
    }
    change.record(Fact::LearnersIdentified(vec![id]));
    Ok(())
}

/// The learner the provider deleted who has this email address or HR reference.
async fn deprovisioned(
    tx: &DatabaseTransaction,
    profile: &LearnerProfile,
) -> Result<Option<learners::Model>, StoreError> {
    use learners::Column;
    let mut same_person = Condition::any().add(Column::Email.eq(profile.email.as_str()));
    if let Some(reference) = &profile.external_ref {
        same_person = same_person.add(Column::ExternalRef.eq(reference.as_str()));
    }
    Ok(learners::Entity::find()
        .filter(Column::ScimRemovedAt.is_not_null())
        .filter(same_person)
        .lock(LockType::NoKeyUpdate)
        .one(tx)
        .await?)
}

/// The provider deleted the user: they have left (if they had not), and SCIM no longer
/// shows them. Their training record stays, as for any leaver.
#[tracing::instrument(skip(change))]
pub async fn remove(change: &Change, id: Uuid) -> Result<(), StoreError> {
    let (tx, actor) = (change.tx(), change.actor());
    let current = locked(tx, id).await?;
    let current = if current.status == LearnerStatus::Active {
        let day = Ord::max(london_date(now()), current.started_on);
        learner::depart(change, &current, day).await?;
        locked(tx, id).await?
    } else {
        current
    };
    let hidden = learners::ActiveModel {
        scim_removed_at: Set(Some(now())),
        ..Default::default()
    };
    learner::bump(tx, &current, hidden).await?;
    audit::record(tx, actor, "learner.deprovisioned", "learner", id).await?;
    change.record(Fact::LearnersChanged(vec![id]));
    Ok(())
}

async fn locked(tx: &DatabaseTransaction, id: Uuid) -> Result<learners::Model, StoreError> {
    let row = learner::lock(tx, id, None).await?;
    if row.scim_removed_at.is_some() {
        return Err(StoreError::NotFound(RESOURCE));
    }
    Ok(row)
}

fn matches(condition: &ScimFilter) -> Condition {
    use learners::Column;
    match condition {
        ScimFilter::UserName(name) => user_name_is(name),
        ScimFilter::UserNameStartsWith(prefix) => {
            let pattern = format!("{}%", escape_like(&prefix.trim().to_lowercase()));
            user_name_where(|column| column.like(LikeExpr::new(pattern.as_str()).escape('\\')))
        }
        ScimFilter::ExternalId(id) => Condition::all().add(Column::ScimExternalId.eq(id)),
        // Email addresses and their types are kept in lower case.
        ScimFilter::Email { value, kind } => {
            let mut condition = Condition::all().add(Column::Email.eq(value.trim().to_lowercase()));
            if let Some(kind) = kind.as_ref().map(|k| k.trim().to_lowercase()) {
                let typed = Column::ScimEmailType.eq(kind.as_str());
                condition = condition.add(if kind == WORK {
                    Condition::any()
                        .add(typed)
                        .add(Column::ScimEmailType.is_null())
                } else {
                    Condition::all().add(typed)
                });
            }
            condition
        }
        ScimFilter::LastModified(comparison, at) => {
            let at = *at;
            Condition::all().add(match comparison {
                Comparison::After => Column::UpdatedAt.gt(at),
                Comparison::AtOrAfter => Column::UpdatedAt.gte(at),
                Comparison::Before => Column::UpdatedAt.lt(at),
                Comparison::AtOrBefore => Column::UpdatedAt.lte(at),
            })
        }
    }
}

/// userName in any case; a learner the provider never named goes by their email address
/// (kept in lower case). Both lookups use an index.
fn user_name_is(name: &str) -> Condition {
    let key = name.trim().to_lowercase();
    user_name_where(|column| column.eq(key.as_str()))
}

/// `test` on the userName in lower case: the provider's, or else the email address.
fn user_name_where(test: impl Fn(learners::Column) -> Expr) -> Condition {
    use learners::Column;
    Condition::any().add(test(Column::ScimUserKey)).add(
        Condition::all()
            .add(Column::ScimUserKey.is_null())
            .add(test(Column::Email)),
    )
}

/// userName is unique among the users SCIM shows, in any case (RFC 7643 s4.1.1).
async fn check_user_name(
    tx: &DatabaseTransaction,
    name: &str,
    except: Option<Uuid>,
) -> Result<(), StoreError> {
    let mut query = learners::Entity::find()
        .filter(learners::Column::ScimRemovedAt.is_null())
        .filter(user_name_is(name));
    if let Some(id) = except {
        query = query.filter(learners::Column::Id.ne(id));
    }
    if query.one(tx).await?.is_some() {
        return Err(DomainError::Conflict(format!("the userName {name} is already taken")).into());
    }
    Ok(())
}

async fn users(
    db: &impl ConnectionTrait,
    rows: Vec<learners::Model>,
) -> Result<Vec<ScimUser>, StoreError> {
    let identities: Vec<_> = rows
        .iter()
        .map(|r| {
            (
                r.scim_user_name.clone(),
                r.scim_external_id.clone(),
                r.scim_email_type.clone(),
                r.scim_email_primary,
            )
        })
        .collect();
    let learners = learner::hydrate(db, rows).await?;
    Ok(learners
        .into_iter()
        .zip(identities)
        .map(
            |(learner, (user_name, external_id, email_type, email_primary))| ScimUser {
                user_name: user_name.unwrap_or_else(|| learner.profile.email.as_str().to_owned()),
                external_id,
                email_type: email_type.unwrap_or_else(|| WORK.to_owned()),
                email_primary: email_primary.unwrap_or(true),
                learner,
            },
        )
        .collect())
}
