//! The Learning Record Store: xAPI statements as stored, the completions they report, and
//! the statements that wait for a learner or course Pathway does not know yet.

use std::collections::{HashMap, HashSet};

use chrono::{DateTime, Utc};
use pathway_domain::DomainError;
use pathway_domain::audit::Actor;
use pathway_domain::completion::CompletionSource;
use pathway_domain::course::Course;
use pathway_domain::xapi::Statement;
use sea_orm::entity::prelude::*;
use sea_orm::{
    ActiveValue::Set, Condition, DatabaseTransaction, DbBackend, QueryOrder, QuerySelect,
};
use serde_json::{Map, Value};

use crate::completion::{self, NewCompletion};
use crate::compliance::{self, Refresh};
use crate::db::{begin_write, now};
use crate::learner::learners;
use crate::page::PageRequest;
use crate::sql::{IN_LIST, insert};
use crate::{Page, StoreError, course, json};

mod statements {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "xapi_statements")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: Uuid,
        pub seq: i64,
        pub body: String,
        pub verb_id: String,
        pub activity_id: Option<String>,
        pub agent_key: String,
        pub actor_email: Option<String>,
        pub actor_ref: Option<String>,
        pub voids: Option<Uuid>,
        pub voided: bool,
        pub outcome: String,
        pub completion_id: Option<Uuid>,
        pub authority: String,
        pub stored: DateTimeUtc,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

use statements::Column;

const RESOURCE: &str = "statement";
/// A statement that recorded a completion.
const COMPLETION: &str = "completion";
/// A completion for a learner or course Pathway does not know yet.
const UNMATCHED: &str = "unmatched";
/// Kept, nothing more: other verbs, failures, voiding statements.
const KEPT: &str = "kept";

const COLUMNS: [&str; 14] = [
    "id",
    "seq",
    "body",
    "verb_id",
    "activity_id",
    "agent_key",
    "actor_email",
    "actor_ref",
    "voids",
    "voided",
    "outcome",
    "completion_id",
    "authority",
    "stored",
];

/// The event key of a completion a statement reported: voiding the statement withdraws it.
fn source_key(statement_id: Uuid) -> String {
    format!("xapi:{statement_id}")
}

/// Stores statements, all or none, and applies what they report. A statement whose id is
/// already stored is skipped when it is the same statement, and refused (409) when it is not.
/// Returns the ids, in the order given.
#[tracing::instrument(skip_all, fields(count = statements.len()))]
pub async fn store(
    db: &DatabaseConnection,
    statements: Vec<Statement>,
    authority: Value,
    council_home_page: Option<&str>,
    actor: &Actor,
) -> Result<Vec<Uuid>, StoreError> {
    let ids: Vec<Uuid> = statements.iter().map(|s| s.id).collect();
    let tx = begin_write(db).await?;
    serialise(&tx).await?;
    let known: HashMap<Uuid, statements::Model> = statements::Entity::find()
        .filter(Column::Id.is_in(ids.iter().copied()))
        .all(&tx)
        .await?
        .into_iter()
        .map(|row| (row.id, row))
        .collect();
    let mut fresh = Vec::with_capacity(statements.len());
    for statement in statements {
        match known.get(&statement.id) {
            Some(row)
                if statement.same_as(&json::read::<Map<String, Value>>(RESOURCE, &row.body)?) => {}
            Some(_) => {
                return Err(DomainError::Conflict(format!(
                    "statement {} is already stored, and differs from this one",
                    statement.id
                ))
                .into());
            }
            None => fresh.push(statement),
        }
    }
    if fresh.is_empty() {
        return Ok(ids);
    }
    let stored = now();
    let authority_text = json::write(&authority)?;
    let mut seq = next_seq(&tx).await?;
    let mut rows = Vec::with_capacity(fresh.len());
    for mut statement in fresh {
        statement.stamp(stored, authority.clone());
        let outcome = if statement.reports_completion() {
            UNMATCHED
        } else {
            KEPT
        };
        rows.push(statements::Model {
            id: statement.id,
            seq,
            body: json::write(&statement.body)?,
            activity_id: statement.activity_id.clone(),
            agent_key: statement.agent_key.clone(),
            actor_email: statement.actor_email.clone(),
            actor_ref: statement.actor_ref(council_home_page).map(str::to_owned),
            voids: statement.voids,
            voided: false,
            outcome: outcome.to_owned(),
            completion_id: None,
            authority: authority_text.clone(),
            stored,
            verb_id: statement.verb_id,
        });
        seq += 1;
    }
    for part in in_parts(&rows) {
        insert(&tx, "xapi_statements", &COLUMNS, part.iter().map(values)).await?;
    }
    let mut touched = apply(&tx, rows.iter().filter(|r| r.outcome == UNMATCHED), actor).await?;
    for row in &rows {
        if let Some(target) = row.voids {
            touched.extend(void(&tx, target, actor).await?);
        }
    }
    if !touched.is_empty() {
        compliance::refresh(&tx, Refresh::Learners(touched.into_iter().collect())).await?;
    }
    tx.commit().await?;
    Ok(ids)
}

/// One statement by id. A voided statement is found only as `voided`, any other only as not.
pub async fn get(db: &DatabaseConnection, id: Uuid, voided: bool) -> Result<Value, StoreError> {
    let row = statements::Entity::find_by_id(id)
        .filter(Column::Voided.eq(voided))
        .one(db)
        .await?
        .ok_or(StoreError::NotFound(RESOURCE))?;
    json::read(RESOURCE, &row.body)
}

/// What a statement query filters on (xAPI 1.0.3 s2.1.3 of the communication part).
#[derive(Debug, Clone, Default)]
pub struct StatementQuery {
    pub agent_key: Option<String>,
    pub verb: Option<String>,
    pub activity: Option<String>,
    pub since: Option<DateTime<Utc>>,
    pub until: Option<DateTime<Utc>>,
    pub limit: u64,
    pub ascending: bool,
    /// Where the previous page ended (the `more` link carries it).
    pub after: Option<i64>,
}

/// Matching statements, voided ones left out, and where the next page starts if there is one.
pub async fn query(
    db: &DatabaseConnection,
    q: StatementQuery,
) -> Result<(Vec<Value>, Option<i64>), StoreError> {
    let mut select = statements::Entity::find().filter(Column::Voided.eq(false));
    if let Some(key) = q.agent_key {
        select = select.filter(Column::AgentKey.eq(key));
    }
    if let Some(verb) = q.verb {
        select = select.filter(Column::VerbId.eq(verb));
    }
    if let Some(activity) = q.activity {
        select = select.filter(Column::ActivityId.eq(activity));
    }
    if let Some(since) = q.since {
        select = select.filter(Column::Stored.gt(since));
    }
    if let Some(until) = q.until {
        select = select.filter(Column::Stored.lte(until));
    }
    select = match (q.after, q.ascending) {
        (Some(after), true) => select.filter(Column::Seq.gt(after)),
        (Some(after), false) => select.filter(Column::Seq.lt(after)),
        (None, _) => select,
    };
    select = if q.ascending {
        select.order_by_asc(Column::Seq)
    } else {
        select.order_by_desc(Column::Seq)
    };
    let mut rows = select.limit(q.limit + 1).all(db).await?;
    let more = (rows.len() as u64 > q.limit).then(|| {
        rows.truncate(q.limit as usize);
        rows.last().map(|r| r.seq)
    });
    let statements = rows
        .iter()
        .map(|r| json::read(RESOURCE, &r.body))
        .collect::<Result<_, _>>()?;
    Ok((statements, more.flatten()))
}

/// A completion statement waiting for its learner or course, for reconciliation.
#[derive(Debug, Clone)]
pub struct Unmatched {
    pub statement_id: Uuid,
    pub stored: DateTime<Utc>,
    pub verb_id: String,
    pub activity_id: Option<String>,
    pub actor_email: Option<String>,
    pub actor_ref: Option<String>,
    pub learner_known: bool,
    pub course_known: bool,
}

/// Completion statements not applied yet, in statement id order.
pub async fn unmatched(
    db: &DatabaseConnection,
    page: PageRequest,
) -> Result<Page<Unmatched>, StoreError> {
    let query = statements::Entity::find()
        .filter(Column::Outcome.eq(UNMATCHED))
        .filter(Column::Voided.eq(false));
    let rows = page.fetch(db, query, Column::Id, |r| r.id).await?;
    let (learners, courses) = mappings(db, &rows.items).await?;
    Ok(rows.map(|row| Unmatched {
        learner_known: learner_of(&learners, &row).is_some(),
        course_known: row
            .activity_id
            .as_ref()
            .is_some_and(|a| courses.contains_key(a)),
        statement_id: row.id,
        stored: row.stored,
        verb_id: row.verb_id,
        activity_id: row.activity_id,
        actor_email: row.actor_email,
        actor_ref: row.actor_ref,
    }))
}

/// Whose statements are waiting: learners just created or changed, or a course just given
/// its activity id.
pub(crate) enum Waiting<'a> {
    Learners(&'a [Uuid]),
    Course(&'a Course),
}

/// Applies the completion statements that were waiting for these learners or this course.
/// Returns the learners given completions; the caller refreshes their compliance.
pub(crate) async fn apply_waiting(
    tx: &DatabaseTransaction,
    waiting: Waiting<'_>,
    actor: &Actor,
) -> Result<HashSet<Uuid>, StoreError> {
    let pending = statements::Entity::find()
        .filter(Column::Outcome.eq(UNMATCHED))
        .filter(Column::Voided.eq(false));
    let rows = match waiting {
        Waiting::Course(course) => match &course.details.xapi_activity_id {
            Some(activity) => {
                pending
                    .filter(Column::ActivityId.eq(activity))
                    .all(tx)
                    .await?
            }
            None => Vec::new(),
        },
        Waiting::Learners(ids) => {
            // Most writes find nothing waiting: one cheap query, and done.
            if pending.clone().one(tx).await?.is_none() {
                return Ok(HashSet::new());
            }
            let mut rows = Vec::new();
            for chunk in ids.chunks(IN_LIST) {
                let people = learners::Entity::find()
                    .filter(learners::Column::Id.is_in(chunk.iter().copied()))
                    .all(tx)
                    .await?;
                let emails: Vec<String> = people.iter().map(|p| p.email.clone()).collect();
                let refs: Vec<String> = people
                    .iter()
                    .filter_map(|p| p.external_ref.clone())
                    .collect();
                rows.extend(
                    pending
                        .clone()
                        .filter(
                            Condition::any()
                                .add(Column::ActorEmail.is_in(emails))
                                .add(Column::ActorRef.is_in(refs)),
                        )
                        .all(tx)
                        .await?,
                );
            }
            rows
        }
    };
    apply(tx, rows.iter(), actor).await
}

/// Records the completions of unmatched statements whose learner and course are now known,
/// and files them as applied. Returns the learners given completions.
async fn apply<'a>(
    tx: &DatabaseTransaction,
    rows: impl Iterator<Item = &'a statements::Model>,
    actor: &Actor,
) -> Result<HashSet<Uuid>, StoreError> {
    let rows: Vec<&statements::Model> = rows.collect();
    let mut touched = HashSet::new();
    if rows.is_empty() {
        return Ok(touched);
    }
    let (learners, courses) = mappings(tx, rows.iter().copied()).await?;
    for row in rows {
        let (Some(learner_id), Some(course)) = (
            learner_of(&learners, row),
            row.activity_id.as_ref().and_then(|a| courses.get(a)),
        ) else {
            continue;
        };
        let statement = Statement::parse(json::read(RESOURCE, &row.body)?, None)
            .map_err(|e| StoreError::Corrupt(RESOURCE, e.to_string()))?;
        let new = NewCompletion {
            learner_id,
            course,
            completed_on: statement.completed_on(row.stored),
            source: CompletionSource::Elearning,
            source_key: source_key(row.id),
            score: statement.score(),
            evidence: Some(format!("xAPI statement {}", row.id)),
        };
        let completion_id = completion::insert(tx, new, actor).await?.map(|c| c.id);
        statements::ActiveModel {
            id: Set(row.id),
            outcome: Set(COMPLETION.to_owned()),
            completion_id: Set(completion_id),
            ..Default::default()
        }
        .update(tx)
        .await?;
        touched.insert(learner_id);
    }
    Ok(touched)
}

/// Voids a stored statement and withdraws the completion it reported. A voiding statement
/// cannot itself be voided, and one whose target is not stored is kept all the same (xAPI
/// 1.0.3 s2.3.2). Returns the learner whose completion was withdrawn.
async fn void(
    tx: &DatabaseTransaction,
    target: Uuid,
    actor: &Actor,
) -> Result<Option<Uuid>, StoreError> {
    let Some(row) = statements::Entity::find_by_id(target).one(tx).await? else {
        return Ok(None);
    };
    if row.voids.is_some() || row.voided {
        return Ok(None);
    }
    statements::ActiveModel {
        id: Set(row.id),
        voided: Set(true),
        ..Default::default()
    }
    .update(tx)
    .await?;
    if row.outcome != COMPLETION {
        return Ok(None);
    }
    completion::withdraw_without_refresh(tx, &source_key(row.id), actor).await
}

/// The learners and courses the statements name, as Pathway knows them: learners by email
/// address and by HR reference, courses by activity id.
async fn mappings<'a>(
    db: &impl ConnectionTrait,
    rows: impl IntoIterator<Item = &'a statements::Model>,
) -> Result<(HashMap<String, Uuid>, HashMap<String, Course>), StoreError> {
    let (mut emails, mut refs, mut activities) = (HashSet::new(), HashSet::new(), HashSet::new());
    for row in rows {
        emails.extend(row.actor_email.clone());
        refs.extend(row.actor_ref.clone());
        activities.extend(row.activity_id.clone());
    }
    let mut learners_by = HashMap::new();
    let emails: Vec<String> = emails.into_iter().collect();
    for chunk in emails.chunks(IN_LIST) {
        let found: Vec<(Uuid, String)> = learners::Entity::find()
            .select_only()
            .column(learners::Column::Id)
            .column(learners::Column::Email)
            // Email addresses are kept in lower case, as statements' are filed.
            .filter(learners::Column::Email.is_in(chunk.iter().cloned()))
            .into_tuple()
            .all(db)
            .await?;
        learners_by.extend(found.into_iter().map(|(id, e)| (format!("email:{e}"), id)));
    }
    let refs: Vec<String> = refs.into_iter().collect();
    for chunk in refs.chunks(IN_LIST) {
        let found: Vec<(Uuid, Option<String>)> = learners::Entity::find()
            .select_only()
            .column(learners::Column::Id)
            .column(learners::Column::ExternalRef)
            .filter(learners::Column::ExternalRef.is_in(chunk.iter().cloned()))
            .into_tuple()
            .all(db)
            .await?;
        learners_by.extend(
            found
                .into_iter()
                .filter_map(|(id, r)| Some((format!("ref:{}", r?), id))),
        );
    }
    let activities: Vec<String> = activities.into_iter().collect();
    let courses = course::by_activity_ids(db, &activities).await?;
    Ok((learners_by, courses))
}

fn learner_of(learners: &HashMap<String, Uuid>, row: &statements::Model) -> Option<Uuid> {
    row.actor_email
        .as_ref()
        .and_then(|e| learners.get(&format!("email:{e}")))
        .or_else(|| {
            row.actor_ref
                .as_ref()
                .and_then(|r| learners.get(&format!("ref:{r}")))
        })
        .copied()
}

/// Statements are numbered as stored, for queries' order and `more` links; on PostgreSQL
/// the numbering waits for other processes' batches.
async fn serialise(tx: &DatabaseTransaction) -> Result<(), StoreError> {
    if tx.get_database_backend() == DbBackend::Postgres {
        tx.execute_unprepared("SELECT pg_advisory_xact_lock(7404)")
            .await?;
    }
    Ok(())
}

async fn next_seq(tx: &DatabaseTransaction) -> Result<i64, StoreError> {
    let last: Option<Option<i64>> = statements::Entity::find()
        .select_only()
        .column_as(Column::Seq.max(), "last")
        .into_tuple()
        .one(tx)
        .await?;
    Ok(last.flatten().unwrap_or(0) + 1)
}

/// Statement bodies per INSERT, in bytes. sqlx 0.9.0 leaves Nagle's algorithm on (sqlx issue
/// 4335), so a message longer than one TCP segment (64 KiB on a loopback interface) waits
/// ~40 ms for a delayed ACK; a batch of 100 statements is often longer. Three short INSERTs
/// cost less than one stalled one.
const BYTES_PER_INSERT: usize = 32 * 1024;

/// The rows in consecutive parts of at most [`BYTES_PER_INSERT`] of bodies (at least one row each).
fn in_parts(rows: &[statements::Model]) -> Vec<&[statements::Model]> {
    let mut parts = Vec::new();
    let (mut start, mut bytes) = (0, 0);
    for (i, row) in rows.iter().enumerate() {
        if i > start && bytes + row.body.len() > BYTES_PER_INSERT {
            parts.push(&rows[start..i]);
            (start, bytes) = (i, 0);
        }
        bytes += row.body.len();
    }
    if start < rows.len() {
        parts.push(&rows[start..]);
    }
    parts
}

fn values(row: &statements::Model) -> Vec<sea_orm::Value> {
    vec![
        row.id.into(),
        row.seq.into(),
        row.body.clone().into(),
        row.verb_id.clone().into(),
        row.activity_id.clone().into(),
        row.agent_key.clone().into(),
        row.actor_email.clone().into(),
        row.actor_ref.clone().into(),
        row.voids.into(),
        row.voided.into(),
        row.outcome.clone().into(),
        row.completion_id.into(),
        row.authority.clone().into(),
        row.stored.into(),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(body_bytes: usize) -> statements::Model {
        statements::Model {
            id: Uuid::nil(),
            seq: 0,
            body: "x".repeat(body_bytes),
            verb_id: String::new(),
            activity_id: None,
            agent_key: String::new(),
            actor_email: None,
            actor_ref: None,
            voids: None,
            voided: false,
            outcome: KEPT.into(),
            completion_id: None,
            authority: String::new(),
            stored: Utc::now(),
        }
    }

    #[test]
    fn parts_stay_within_the_budget_and_keep_every_row_in_order() {
        let rows: Vec<_> = [10_000, 20_000, 5_000, 40_000, 1].map(row).into();
        let parts = in_parts(&rows);
        // A body over the budget goes alone; nothing is dropped or reordered.
        assert_eq!(
            parts.iter().map(|p| p.len()).collect::<Vec<_>>(),
            [2, 1, 1, 1]
        );
        let sizes: Vec<usize> = parts
            .iter()
            .flat_map(|p| p.iter().map(|r| r.body.len()))
            .collect();
        assert_eq!(sizes, [10_000, 20_000, 5_000, 40_000, 1]);
        assert!(in_parts(&[]).is_empty());
    }
}
