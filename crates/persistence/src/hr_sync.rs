//! The bulk HR sync: upserts employees by their HR reference in one transaction per call, and
//! full runs that mark as left whoever HR no longer has.

use std::collections::{HashMap, HashSet};

use chrono::NaiveDate;
use pathway_domain::hr_sync::{
    Counts, Employee, HrRecord, LeaverGuard, RowError, SyncMode, managers_first,
};
use pathway_domain::learner::{Learner, LearnerKind, LearnerProfile};
use pathway_domain::{DomainError, FieldError};
use sea_orm::entity::prelude::*;
use sea_orm::sea_query::Query;
use sea_orm::{
    ActiveValue::{Set, Unchanged},
    DatabaseTransaction, DbBackend, QuerySelect,
};

use crate::change::{Change, Fact};
use crate::db::{begin_write, now};
use crate::entity::sync_run_refs as run_refs;
use crate::entity::sync_runs as runs;
use crate::page::PageRequest;
use crate::sql::{IN_LIST, Sql, insert};
use crate::{Page, StoreError, audit, learner};

const RUN: &str = "sync run";

/// What one sync call did: the counts, and the rows it could not apply.
#[derive(Debug, Clone, Default)]
pub struct Outcome {
    pub counts: Counts,
    pub errors: Vec<RowError>,
}

/// A full sync spread over several calls.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Run {
    pub id: Uuid,
    /// Who opened it: `client:<id>`, or a person's id.
    pub caller: String,
    pub opened_at: DateTimeUtc,
    pub closed_at: Option<DateTimeUtc>,
    pub counts: Counts,
}

/// Applies one call's rows. With `run`, the rows join that open run; otherwise a `full` call
/// is a whole run in itself, and employees it does not name have left, as far as `guard`
/// allows.
#[tracing::instrument(skip(change, records), fields(rows = records.len()))]
pub async fn sync(
    change: &Change,
    records: Vec<HrRecord>,
    mode: SyncMode,
    run: Option<Uuid>,
    today: NaiveDate,
    guard: &LeaverGuard,
) -> Result<Outcome, StoreError> {
    let (tx, actor) = (change.tx(), change.actor());
    serialise(tx).await?;
    let run = match run {
        Some(id) => Some(open_run(tx, id, &actor.subject).await?),
        None => None,
    };
    let mut outcome = apply(change, &records, today).await?;
    let seen: Vec<&str> = records
        .iter()
        .map(|r| r.external_ref.trim())
        .filter(|r| !r.is_empty())
        .collect();
    match run {
        Some(run) => {
            remember(tx, run.id, &seen).await?;
            add_counts(tx, &run, outcome.counts).await?;
        }
        None if mode == SyncMode::Full => {
            // The call is the whole set: a run of one call, closed at once.
            let id = create_run(tx, &actor.subject).await?;
            remember(tx, id, &seen).await?;
            let left = close_inside(change, id, today, guard).await?;
            outcome.counts.left += left.left;
        }
        None => {}
    }
    Ok(outcome)
}

/// Opens a full run for calls to join.
pub async fn open(change: &Change) -> Result<Run, StoreError> {
    let (tx, actor) = (change.tx(), change.actor());
    let id = create_run(tx, &actor.subject).await?;
    audit::record(tx, actor, "hr_sync.run_opened", RUN, id).await?;
    find_run(tx, id, &actor.subject).await
}

/// Runs oldest first: every caller's, or with `caller` only theirs.
pub async fn runs(
    db: &DatabaseConnection,
    caller: Option<&str>,
    page: PageRequest,
) -> Result<Page<Run>, StoreError> {
    let mut query = runs::Entity::find();
    if let Some(caller) = caller {
        query = query.filter(runs::Column::Caller.eq(caller));
    }
    Ok(page
        .fetch(db, query, runs::Column::Id, |row| row.id)
        .await?
        .map(to_run))
}

pub async fn run(db: &DatabaseConnection, id: Uuid, caller: &str) -> Result<Run, StoreError> {
    let tx = begin_write(db).await?;
    let run = find_run(&tx, id, caller).await?;
    tx.commit().await?;
    Ok(run)
}

/// Closes a run: every employee with an HR reference that none of its calls named has left.
/// A run that named nobody is refused rather than marking everyone as left, and so is one that
/// would mark more than `guard` allows.
#[tracing::instrument(skip(change))]
pub async fn close(
    change: &Change,
    id: Uuid,
    today: NaiveDate,
    guard: &LeaverGuard,
) -> Result<Run, StoreError> {
    let (tx, actor) = (change.tx(), change.actor());
    serialise(tx).await?;
    open_run(tx, id, &actor.subject).await?;
    let named = run_refs::Entity::find()
        .filter(run_refs::Column::RunId.eq(id))
        .one(tx)
        .await?;
    if named.is_none() {
        return Err(DomainError::Conflict(
            "the run has named no employee; closing it would mark every employee as left".into(),
        )
        .into());
    }
    close_inside(change, id, today, guard).await?;
    audit::record(tx, actor, "hr_sync.run_closed", RUN, id).await?;
    let run = find_run(tx, id, &actor.subject).await?;
    Ok(run)
}

/// Syncs queue behind each other on PostgreSQL (SQLite writes one at a time anyway): two
/// calls naming the same new employee must not both create them.
pub(crate) async fn serialise(tx: &DatabaseTransaction) -> Result<(), StoreError> {
    if tx.get_database_backend() == DbBackend::Postgres {
        tx.execute_unprepared("SELECT pg_advisory_xact_lock(7403)")
            .await?;
    }
    Ok(())
}

async fn create_run(tx: &DatabaseTransaction, caller: &str) -> Result<Uuid, StoreError> {
    let row = runs::ActiveModel {
        id: Set(Uuid::now_v7()),
        caller: Set(caller.to_owned()),
        opened_at: Set(now()),
        closed_at: Set(None),
        created: Set(0),
        updated: Set(0),
        unchanged: Set(0),
        left: Set(0),
        failed: Set(0),
    }
    .insert(tx)
    .await?;
    Ok(row.id)
}

/// A run of this caller's, locked, and still open.
async fn open_run(
    tx: &DatabaseTransaction,
    id: Uuid,
    caller: &str,
) -> Result<runs::Model, StoreError> {
    let run = runs::Entity::find_by_id(id)
        .filter(runs::Column::Caller.eq(caller))
        .lock_exclusive()
        .one(tx)
        .await?
        .ok_or(StoreError::NotFound(RUN))?;
    if let Some(closed_at) = run.closed_at {
        return Err(DomainError::Conflict(format!(
            "the run was closed at {closed_at}; open another"
        ))
        .into());
    }
    Ok(run)
}

async fn find_run(tx: &DatabaseTransaction, id: Uuid, caller: &str) -> Result<Run, StoreError> {
    let run = runs::Entity::find_by_id(id)
        .filter(runs::Column::Caller.eq(caller))
        .one(tx)
        .await?
        .ok_or(StoreError::NotFound(RUN))?;
    Ok(to_run(run))
}

fn to_run(run: runs::Model) -> Run {
    let count = |n: i64| u64::try_from(n).unwrap_or(0);
    Run {
        id: run.id,
        caller: run.caller,
        opened_at: run.opened_at,
        closed_at: run.closed_at,
        counts: Counts {
            created: count(run.created),
            updated: count(run.updated),
            unchanged: count(run.unchanged),
            left: count(run.left),
            failed: count(run.failed),
        },
    }
}

async fn remember(tx: &DatabaseTransaction, run_id: Uuid, refs: &[&str]) -> Result<(), StoreError> {
    // A reference may come again in a later call of the run (a retry): it is kept once.
    for chunk in refs.chunks(IN_LIST) {
        let mut sql = Sql::new(tx.get_database_backend());
        let values: Vec<String> = chunk
            .iter()
            .map(|r| format!("({}, {})", sql.bind_in_order(run_id), sql.bind_in_order(*r)))
            .collect();
        sql.push(&format!(
            "INSERT INTO sync_run_refs (run_id, external_ref) VALUES {} ON CONFLICT DO NOTHING",
            values.join(", ")
        ));
        tx.execute_raw(sql.statement()).await?;
    }
    Ok(())
}

async fn add_counts(
    tx: &DatabaseTransaction,
    run: &runs::Model,
    counts: Counts,
) -> Result<(), StoreError> {
    let n = |c: u64| i64::try_from(c).unwrap_or(i64::MAX);
    runs::ActiveModel {
        id: Unchanged(run.id),
        created: Set(run.created + n(counts.created)),
        updated: Set(run.updated + n(counts.updated)),
        unchanged: Set(run.unchanged + n(counts.unchanged)),
        left: Set(run.left + n(counts.left)),
        failed: Set(run.failed + n(counts.failed)),
        ..Default::default()
    }
    .update(tx)
    .await?;
    Ok(())
}

async fn close_inside(
    change: &Change,
    id: Uuid,
    today: NaiveDate,
    guard: &LeaverGuard,
) -> Result<Counts, StoreError> {
    let tx = change.tx();
    let seen = Query::select()
        .column(run_refs::Column::ExternalRef)
        .from(run_refs::Entity)
        .and_where(run_refs::Column::RunId.eq(id))
        .to_owned();
    let leavers = learner::depart_absent(change, seen, today, guard).await?;
    let left = Counts {
        left: u64::try_from(leavers.len()).unwrap_or(u64::MAX),
        ..Counts::default()
    };
    let run = runs::Entity::find_by_id(id)
        .one(tx)
        .await?
        .ok_or(StoreError::NotFound(RUN))?;
    add_counts(tx, &run, left).await?;
    runs::ActiveModel {
        id: Unchanged(id),
        closed_at: Set(Some(now())),
        ..Default::default()
    }
    .update(tx)
    .await?;
    Ok(left)
}

/// A row that passed its checks, ready to write.
struct Ready<'a> {
    row: usize,
    record: &'a HrRecord,
    id: Uuid,
    profile: LearnerProfile,
    left_on: Option<NaiveDate>,
    existing: Option<Learner>,
}

/// Upserts the rows: every check first (collecting row errors), then the writes in bulk.
async fn apply(
    change: &Change,
    records: &[HrRecord],
    today: NaiveDate,
) -> Result<Outcome, StoreError> {
    let (tx, actor) = (change.tx(), change.actor());
    let mut counts = Counts::default();
    let mut errors: Vec<RowError> = Vec::new();
    let fail = |errors: &mut Vec<RowError>, row: usize, record: &HrRecord, error: DomainError| {
        errors.push(RowError::new(row + 1, &record.external_ref, error));
    };

    // Rows that make sense on their own, each reference and email once.
    let mut valid: Vec<(usize, &HrRecord)> = Vec::with_capacity(records.len());
    let (mut refs, mut emails) = (HashSet::new(), HashSet::new());
    for (i, record) in records.iter().enumerate() {
        match record.employee(None, today) {
            Err(error) => fail(&mut errors, i, record, error),
            Ok(_) if !refs.insert(record.external_ref.trim().to_owned()) => fail(
                &mut errors,
                i,
                record,
                DomainError::invalid("external_ref", "appears more than once in this call"),
            ),
            Ok(employee) if !emails.insert(employee.profile.email.as_str().to_owned()) => fail(
                &mut errors,
                i,
                record,
                DomainError::invalid("email", "appears more than once in this call"),
            ),
            Ok(_) => valid.push((i, record)),
        }
    }

    // Who they are already, and the managers they name who are not in the call.
    let managers_named: Vec<&str> = valid
        .iter()
        .filter_map(|(_, r)| r.manager_ref.as_deref().map(str::trim))
        .filter(|m| !refs.contains(*m))
        .collect();
    let wanted_refs: Vec<&str> = refs
        .iter()
        .map(String::as_str)
        .chain(managers_named)
        .collect();
    let wanted_emails: Vec<&str> = emails.iter().map(String::as_str).collect();
    let known = learner::employees_matching(tx, &wanted_refs, &wanted_emails).await?;
    let by_ref: HashMap<&str, &Learner> = known
        .iter()
        .filter_map(|l| l.profile.external_ref.as_deref().map(|r| (r, l)))
        .collect();
    let by_email: HashMap<&str, &Learner> = known
        .iter()
        .map(|l| (l.profile.email.as_str(), l))
        .collect();

    // Match each row to its learner, or give it a new id.
    let mut matched: Vec<(usize, &HrRecord, Uuid, Option<&Learner>)> = Vec::new();
    for (i, record) in valid {
        let reference = record.external_ref.trim();
        let email = record.email.trim().to_lowercase();
        let mine = by_ref.get(reference).copied();
        let holder = by_email.get(email.as_str()).copied();
        let existing = match (mine, holder) {
            (Some(learner), Some(other)) if other.id != learner.id => {
                fail(&mut errors, i, record, taken("email"));
                continue;
            }
            (Some(learner), _) => Some(learner),
            // Someone entered by hand before HR was connected: adopted, not duplicated.
            (None, Some(other)) if other.profile.external_ref.is_none() => Some(other),
            (None, Some(_)) => {
                fail(&mut errors, i, record, taken("email"));
                continue;
            }
            (None, None) => None,
        };
        matched.push((
            i,
            record,
            existing.map_or_else(Uuid::now_v7, |l| l.id),
            existing,
        ));
    }

    // Managers: in this call, or already known employees.
    let id_of: HashMap<&str, Uuid> = matched
        .iter()
        .map(|(_, r, id, _)| (r.external_ref.trim(), *id))
        .collect();
    let mut ready: Vec<Ready> = Vec::with_capacity(matched.len());
    for (i, record, id, existing) in matched {
        let manager_id = match record.manager_ref.as_deref().map(str::trim) {
            None | Some("") => Ok(None),
            Some(m) if m == record.external_ref.trim() => Err(DomainError::invalid(
                "manager_ref",
                "an employee cannot be their own manager",
            )),
            Some(m) => match (id_of.get(m), by_ref.get(m)) {
                (Some(id), _) => Ok(Some(*id)),
                (None, Some(l)) if l.profile.kind == LearnerKind::Employee => Ok(Some(l.id)),
                _ => Err(DomainError::invalid(
                    "manager_ref",
                    "names no employee in this call or already in Pathway",
                )),
            },
        };
        let employee = manager_id
            .and_then(|manager_id| record.employee(manager_id, today))
            .and_then(|mut employee| match existing {
                Some(learner) => {
                    // A row without a start day leaves the one Pathway has (it would be today).
                    if record
                        .started_on
                        .as_deref()
                        .is_none_or(|d| d.trim().is_empty())
                    {
                        employee.profile.started_on = learner.profile.started_on;
                    }
                    Ok(Employee {
                        profile: learner.revise(employee.profile)?,
                        ..employee
                    })
                }
                None => Ok(employee),
            });
        match employee {
            Ok(employee) => ready.push(Ready {
                row: i,
                record,
                id,
                profile: employee.profile,
                left_on: employee.left_on,
                existing: existing.cloned(),
            }),
            Err(error) => fail(&mut errors, i, record, error),
        }
    }

    // New employees, managers before their reports, in bulk.
    let new: Vec<(&str, Option<&str>)> = ready
        .iter()
        .filter(|r| r.existing.is_none())
        .map(|r| {
            (
                r.record.external_ref.trim(),
                r.record.manager_ref.as_deref().map(str::trim),
            )
        })
        .collect();
    let (order, looped) = managers_first(&new);
    let looped: HashSet<&str> = looped.into_iter().collect();
    let position: HashMap<&str, usize> = order.iter().enumerate().map(|(n, r)| (*r, n)).collect();
    let mut created: Vec<&Ready> = ready
        .iter()
        .filter(|r| r.existing.is_none() && !looped.contains(r.record.external_ref.trim()))
        .collect();
    created.sort_by_key(|r| position.get(r.record.external_ref.trim()).copied());
    for r in ready
        .iter()
        .filter(|r| looped.contains(r.record.external_ref.trim()))
    {
        errors.push(RowError::new(
            r.row + 1,
            &r.record.external_ref,
            DomainError::invalid(
                "manager_ref",
                "managers in this call name each other in a loop",
            ),
        ));
    }
    let at = now();
    insert(
        tx,
        "learners",
        &learner::COLUMNS,
        created
            .iter()
            .map(|r| learner::row(r.id, &r.profile, r.left_on, at)),
    )
    .await
    .map_err(|e| match e {
        StoreError::Internal(db) => {
            StoreError::duplicate("learner", &["email", "external_ref"])(db)
        }
        other => other,
    })?;
    let created_ids: Vec<Uuid> = created.iter().map(|r| r.id).collect();
    audit::record_many(tx, actor, "learner.created", "learner", &created_ids).await?;

    // Known employees: changed details, and leaving when HR says so.
    let mut touched = created_ids.clone();
    for r in &ready {
        let Some(learner) = &r.existing else { continue };
        let leaving = r.left_on.filter(|_| learner.left_on.is_none());
        let changed = learner.profile != r.profile;
        if changed || leaving.is_some() {
            learner::resync(change, learner, &r.profile, leaving).await?;
            touched.push(learner.id);
        }
        if leaving.is_some() {
            counts.left += 1;
        }
        if changed {
            counts.updated += 1;
        } else if leaving.is_none() {
            counts.unchanged += 1;
        }
    }
    change.record(Fact::LearnersIdentified(touched));
    counts.created = u64::try_from(created_ids.len()).unwrap_or(u64::MAX);
    counts.left += u64::try_from(
        created
            .iter()
            .filter(|r| r.record.left_on.is_some())
            .count(),
    )
    .unwrap_or(0);
    counts.failed = u64::try_from(errors.len()).unwrap_or(u64::MAX);
    errors.sort_by_key(|e| e.row);
    Ok(Outcome { counts, errors })
}

fn taken(field: &str) -> DomainError {
    DomainError::Invalid(vec![FieldError {
        field: field.to_owned(),
        message: "belongs to another learner".into(),
    }])
}
