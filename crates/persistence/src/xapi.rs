//! The Learning Record Store: xAPI statements as stored, the completions they report, and
//! the statements that wait for a learner or course Pathway does not know yet.

use std::collections::{HashMap, HashSet};

use chrono::{DateTime, NaiveDate, SecondsFormat, Utc};
use pathway_domain::DomainError;
use pathway_domain::audit::Actor;
use pathway_domain::completion::CompletionSource;
use pathway_domain::course::Course;
use pathway_domain::xapi::Statement;
use pathway_domain::xapi_attachment::Content;
use pathway_domain::xapi_mentions::{ACTIVITY, AGENT, Mentions};
use sea_orm::entity::prelude::*;
use sea_orm::sea_query::{Expr, ExprTrait, LockBehavior, LockType, Query};
use sea_orm::{
    ActiveValue::Set, Condition, DatabaseTransaction, DbBackend, QueryOrder, QuerySelect, SqlErr,
};
use serde_json::{Map, Value};

use crate::change::{Change, Fact};
use crate::completion::{self, NewCompletion};
use crate::db::now;
use crate::page::PageRequest;
use crate::sql::{IN_LIST, Sql, insert};
use crate::xapi_attachment;
use crate::xapi_mentions;
use crate::{Page, StoreError, course, json};

use crate::entity::courses;
use crate::entity::learners;
use crate::entity::xapi_statement_mentions as mentions;
use crate::entity::xapi_statements as statements;
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
    "actor_email",
    "actor_ref",
    "voids",
    "voided",
    "outcome",
    "completion_id",
    "stored",
    "object_statement_id",
    "registration",
];

/// The event key of a completion a statement reported: voiding the statement withdraws it.
fn source_key(statement_id: Uuid) -> String {
    format!("xapi:{statement_id}")
}

/// Stores statements, all or none, with the content of their attachments, and applies what
/// they report. A statement whose id is already stored is skipped when it is the same
/// statement, and refused (409) when it is not. Returns the ids, in the order given.
#[tracing::instrument(skip_all, fields(count = statements.len()))]
pub async fn store(
    change: &Change,
    statements: Vec<Statement>,
    attachments: Vec<Content>,
    authority: Value,
    council_home_page: Option<&str>,
) -> Result<Vec<Uuid>, StoreError> {
    let ids: Vec<Uuid> = statements.iter().map(|s| s.id).collect();
    let (tx, actor) = (change.tx(), change.actor());
    let known: HashMap<Uuid, statements::Model> = statements::Entity::find()
        .filter(Column::Id.is_in(ids.iter().copied()))
        .all(tx)
        .await?
        .into_iter()
        .map(|row| (row.id, row))
        .collect();
    let mut fresh = Vec::with_capacity(statements.len());
    for statement in statements {
        match known.get(&statement.id) {
            Some(row)
                if statement.same_as(&json::read::<Map<String, Value>>(RESOURCE, &row.body)?) => {}
            Some(_) => return Err(reused(statement.id)),
            None => fresh.push(statement),
        }
    }
    if fresh.is_empty() {
        return Ok(ids);
    }
    let received = now();
    let mut rows = Vec::with_capacity(fresh.len());
    let mut filed = Vec::with_capacity(fresh.len());
    let mut candidates = Vec::new();
    for mut statement in fresh {
        statement.stamp(received, authority.clone());
        let mentions = Mentions::of(&statement.body);
        let row = statements::Model {
            id: statement.id,
            seq: None,
            body: json::write(&statement.body)?,
            activity_id: statement.activity_id.clone(),
            actor_email: statement.actor_email.clone(),
            actor_ref: statement.actor_ref(council_home_page).map(str::to_owned),
            voids: statement.voids,
            voided: false,
            outcome: if statement.reports_completion() {
                UNMATCHED
            } else {
                KEPT
            }
            .to_owned(),
            completion_id: None,
            stored: received,
            verb_id: statement.verb_id.clone(),
            object_statement_id: statement.refers_to,
            registration: mentions.registration,
        };
        filed.push((statement.id, mentions));
        if statement.reports_completion() {
            candidates.push(Candidate::of(&row, &statement));
        }
        rows.push(row);
    }
    // Completions first, so each statement row is written once, with its outcome.
    let recorded = record_completions(tx, &candidates, actor).await?;
    let mut touched = HashSet::new();
    for (statement_id, completion_id, learner_id) in recorded {
        if let Some(row) = rows.iter_mut().find(|r| r.id == statement_id) {
            row.outcome = COMPLETION.to_owned();
            row.completion_id = completion_id;
        }
        touched.insert(learner_id);
    }
    insert(tx, "xapi_statements", &COLUMNS, rows.iter().map(values))
        .await
        .map_err(|e| match e {
            // Another request stored one of these ids in the meantime.
            StoreError::Internal(db)
                if matches!(db.sql_err(), Some(SqlErr::UniqueConstraintViolation(_))) =>
            {
                DomainError::Conflict(
                    "another request stored one of these statements at the same time; \
                     send the batch again (the same statements are accepted again)"
                        .into(),
                )
                .into()
            }
            other => other,
        })?;
    xapi_mentions::file(tx, &filed).await?;
    xapi_attachment::keep(tx, attachments).await?;
    for row in &rows {
        if let Some(target) = row.voids {
            touched.extend(void(tx, target, actor).await?);
        }
    }
    change.record(Fact::LearnersChanged(touched.into_iter().collect()));
    change.record(Fact::StatementsStored(ids_of(&rows)));
    Ok(ids)
}

fn reused(id: Uuid) -> StoreError {
    DomainError::Conflict(format!(
        "statement {id} is already stored, and differs from this one"
    ))
    .into()
}

fn ids_of(rows: &[statements::Model]) -> Vec<Uuid> {
    rows.iter().map(|r| r.id).collect()
}

/// Numbers a batch's statements and sets when they were stored, last of all and under a lock
/// held until the commit that follows: statements are numbered in the order their batches
/// commit, which queries and `more` links page by, while the rest of concurrent batches' work
/// (completions, compliance, the rows themselves) overlaps.
pub(crate) async fn number(tx: &DatabaseTransaction, ids: &[Uuid]) -> Result<(), StoreError> {
    serialise(tx).await?;
    let first = next_seq(tx).await?;
    let mut sql = Sql::new(tx.get_database_backend());
    let stored = sql.bind_in_order(now());
    sql.push(&format!(
        "UPDATE xapi_statements SET stored = {stored}, seq = numbered.column2 FROM (VALUES "
    ));
    for (n, id) in ids.iter().enumerate() {
        let id = sql.bind_in_order(*id);
        let seq = sql.bind_in_order(first + i64::try_from(n).unwrap_or(i64::MAX));
        let separator = if n == 0 { "" } else { ", " };
        sql.push(&format!("{separator}({id}, {seq})"));
    }
    sql.push(") AS numbered WHERE xapi_statements.id = numbered.column1");
    tx.execute_raw(sql.statement()).await?;
    Ok(())
}

/// One statement by id. A voided statement is found only as `voided`, any other only as not.
pub async fn get(db: &DatabaseConnection, id: Uuid, voided: bool) -> Result<Value, StoreError> {
    let row = statements::Entity::find_by_id(id)
        .filter(Column::Voided.eq(voided))
        .one(db)
        .await?
        .ok_or(StoreError::NotFound(RESOURCE))?;
    as_stored(&row)
}

/// The statement with `stored`, which is set when its batch is committed.
fn as_stored(row: &statements::Model) -> Result<Value, StoreError> {
    let mut body: Map<String, Value> = json::read(RESOURCE, &row.body)?;
    body.insert(
        "stored".into(),
        Value::String(row.stored.to_rfc3339_opts(SecondsFormat::Millis, true)),
    );
    Ok(Value::Object(body))
}

/// What a statement query filters on (xAPI 1.0.3 s2.1.3 of the communication part).
#[derive(Debug, Clone, Default)]
pub struct StatementQuery {
    pub agent_key: Option<String>,
    pub verb: Option<String>,
    pub activity: Option<String>,
    pub registration: Option<Uuid>,
    /// The agent may be any the statement names, not only its actor or object.
    pub related_agents: bool,
    /// The activity may be any the statement names, not only its object.
    pub related_activities: bool,
    pub since: Option<DateTime<Utc>>,
    pub until: Option<DateTime<Utc>>,
    pub limit: u64,
    pub ascending: bool,
    /// Where the previous page ended (the `more` link carries it).
    pub after: Option<i64>,
}

/// Matching statements, voided ones left out, and where the next page starts if there is one.
/// A statement matches the agent, verb and activity asked for, or refers to one that does
/// through its StatementRef object, voided or not: a voiding statement is found by what it
/// voided (xAPI 1.0.3 communication s2.1.3).
pub async fn query(
    db: &DatabaseConnection,
    q: StatementQuery,
) -> Result<(Vec<Value>, Option<i64>), StoreError> {
    let mut select = statements::Entity::find().filter(Column::Voided.eq(false));
    let mut about = Condition::all();
    if let Some(key) = q.agent_key {
        about = about.add(mentioning(AGENT, key, q.related_agents));
    }
    if let Some(verb) = q.verb {
        about = about.add(Column::VerbId.eq(verb));
    }
    if let Some(activity) = q.activity {
        about = about.add(mentioning(ACTIVITY, activity, q.related_activities));
    }
    if let Some(registration) = q.registration {
        about = about.add(Column::Registration.eq(registration));
    }
    if !about.is_empty() {
        let targets = Query::select()
            .column(Column::Id)
            .from(statements::Entity)
            .cond_where(about.clone())
            .to_owned();
        select = select.filter(
            Condition::any()
                .add(about)
                .add(Column::ObjectStatementId.in_subquery(targets)),
        );
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
        rows.last().and_then(|r| r.seq)
    });
    let statements = rows.iter().map(as_stored).collect::<Result<_, _>>()?;
    Ok((statements, more.flatten()))
}

/// Statements that mention this agent or activity: directly, or (`related`) anywhere.
fn mentioning(kind: &str, key: String, related: bool) -> Condition {
    let mut filed = Query::select()
        .column(mentions::Column::StatementId)
        .from(mentions::Entity)
        .and_where(mentions::Column::Kind.eq(kind))
        .and_where(mentions::Column::Key.eq(key))
        .to_owned();
    if !related {
        filed.and_where(mentions::Column::Direct.eq(true));
    }
    Condition::all().add(Column::Id.in_subquery(filed))
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
    let (learners, courses) = mappings(db, rows.items.iter().map(Names::from)).await?;
    Ok(rows.map(|row| Unmatched {
        learner_known: Names::from(&row).learner(&learners).is_some(),
        course_known: Names::from(&row).course(&courses).is_some(),
        statement_id: row.id,
        stored: row.stored,
        verb_id: row.verb_id,
        activity_id: row.activity_id,
        actor_email: row.actor_email,
        actor_ref: row.actor_ref,
    }))
}

/// Whose statements are waiting: learners just created or changed, a course just given its
/// activity id, or any whose learner and course both exist now.
pub(crate) enum Waiting<'a> {
    Learners(&'a [Uuid]),
    Course(&'a Course),
    /// Up to this many statements that name a known learner and a known activity. A learner
    /// created in the same instant as the batch naming them commits unseen by it, and it by
    /// them; only a later look finds the pair.
    Matchable(u64),
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
        Waiting::Matchable(most) => {
            let known = |column: learners::Column| {
                Query::select()
                    .column(column)
                    .from(learners::Entity)
                    .and_where(Expr::col(column).is_not_null())
                    .to_owned()
            };
            let activities = Query::select()
                .column(courses::Column::XapiActivityId)
                .from(courses::Entity)
                .and_where(courses::Column::XapiActivityId.is_not_null())
                .to_owned();
            pending
                .filter(
                    Condition::any()
                        .add(Column::ActorEmail.in_subquery(known(learners::Column::Email)))
                        .add(Column::ActorRef.in_subquery(known(learners::Column::ExternalRef))),
                )
                .filter(Column::ActivityId.in_subquery(activities))
                .order_by_asc(Column::Id)
                .limit(most)
                // Another process re-matching at once takes other rows, or none.
                .lock_with_behavior(LockType::Update, LockBehavior::SkipLocked)
                .all(tx)
                .await?
        }
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
    let candidates = rows
        .iter()
        .map(|row| {
            let statement = Statement::parse(json::read(RESOURCE, &row.body)?, None)
                .map_err(|e| StoreError::Corrupt(RESOURCE, e.to_string()))?;
            Ok(Candidate::of(row, &statement))
        })
        .collect::<Result<Vec<_>, StoreError>>()?;
    let mut touched = HashSet::new();
    for (statement_id, completion_id, learner_id) in
        record_completions(tx, &candidates, actor).await?
    {
        statements::ActiveModel {
            id: Set(statement_id),
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

/// A completion statement, with what its completion would record.
struct Candidate {
    statement_id: Uuid,
    actor_email: Option<String>,
    actor_ref: Option<String>,
    activity_id: Option<String>,
    completed_on: NaiveDate,
    score: Option<i32>,
}

impl Candidate {
    fn of(row: &statements::Model, statement: &Statement) -> Self {
        Self {
            statement_id: row.id,
            actor_email: row.actor_email.clone(),
            actor_ref: row.actor_ref.clone(),
            activity_id: row.activity_id.clone(),
            completed_on: statement.completed_on(row.stored),
            score: statement.score(),
        }
    }
}

/// Records the completions of the statements whose learner and course Pathway knows; the
/// others go on waiting. Returns (statement, completion, learner) for each recorded; the
/// caller files the statements as applied and refreshes the learners' compliance.
async fn record_completions(
    tx: &DatabaseTransaction,
    candidates: &[Candidate],
    actor: &Actor,
) -> Result<Vec<(Uuid, Option<Uuid>, Uuid)>, StoreError> {
    if candidates.is_empty() {
        return Ok(Vec::new());
    }
    let (learners, courses) = mappings(tx, candidates.iter().map(Names::from)).await?;
    let mut recorded = Vec::new();
    for c in candidates {
        let names = Names::from(c);
        let (Some(learner_id), Some(course)) = (names.learner(&learners), names.course(&courses))
        else {
            continue;
        };
        let new = NewCompletion {
            learner_id,
            course,
            completed_on: c.completed_on,
            source: CompletionSource::Elearning,
            source_key: source_key(c.statement_id),
            score: c.score,
            evidence: Some(format!("xAPI statement {}", c.statement_id)),
        };
        let completion_id = completion::insert(tx, new, actor).await?.map(|c| c.id);
        recorded.push((c.statement_id, completion_id, learner_id));
    }
    Ok(recorded)
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
    completion::remove(tx, &source_key(row.id), actor).await
}

/// Whom and what a statement names: the actor's email address or HR reference, and the
/// activity.
#[derive(Clone, Copy)]
struct Names<'a> {
    email: Option<&'a str>,
    reference: Option<&'a str>,
    activity: Option<&'a str>,
}

impl<'a> From<&'a statements::Model> for Names<'a> {
    fn from(row: &'a statements::Model) -> Self {
        Self {
            email: row.actor_email.as_deref(),
            reference: row.actor_ref.as_deref(),
            activity: row.activity_id.as_deref(),
        }
    }
}

impl<'a> From<&'a Candidate> for Names<'a> {
    fn from(c: &'a Candidate) -> Self {
        Self {
            email: c.actor_email.as_deref(),
            reference: c.actor_ref.as_deref(),
            activity: c.activity_id.as_deref(),
        }
    }
}

impl Names<'_> {
    /// The learner, by email address first, then by HR reference.
    fn learner(&self, learners: &HashMap<String, Uuid>) -> Option<Uuid> {
        self.email
            .and_then(|e| learners.get(&format!("email:{e}")))
            .or_else(|| {
                self.reference
                    .and_then(|r| learners.get(&format!("ref:{r}")))
            })
            .copied()
    }

    fn course<'c>(&self, courses: &'c HashMap<String, Course>) -> Option<&'c Course> {
        self.activity.and_then(|a| courses.get(a))
    }
}

/// The learners and courses the statements name, as Pathway knows them: learners by email
/// address and by HR reference, courses by activity id.
async fn mappings<'a>(
    db: &impl ConnectionTrait,
    names: impl IntoIterator<Item = Names<'a>>,
) -> Result<(HashMap<String, Uuid>, HashMap<String, Course>), StoreError> {
    let (mut emails, mut refs, mut activities) = (HashSet::new(), HashSet::new(), HashSet::new());
    for n in names {
        emails.extend(n.email.map(str::to_owned));
        refs.extend(n.reference.map(str::to_owned));
        activities.extend(n.activity.map(str::to_owned));
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

/// Batches are numbered one at a time; on PostgreSQL the numbering waits for other
/// processes' batches (SQLite writes one transaction at a time anyway).
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

fn values(row: &statements::Model) -> Vec<sea_orm::Value> {
    vec![
        row.id.into(),
        row.seq.into(),
        row.body.clone().into(),
        row.verb_id.clone().into(),
        row.activity_id.clone().into(),
        row.actor_email.clone().into(),
        row.actor_ref.clone().into(),
        row.voids.into(),
        row.voided.into(),
        row.outcome.clone().into(),
        row.completion_id.into(),
        row.stored.into(),
        row.object_statement_id.into(),
        row.registration.into(),
    ]
}
