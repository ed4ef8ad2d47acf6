//! Compliance for one learner and for the organisation.
//!
//! For today and later days both are read from `compliance_items`: each learner against each
//! requirement that applies to them as they stand, with the due day, the completion that
//! counts, and how long it counts. The domain works those rows out, in the same transaction as
//! every change that could alter them (`refresh`), so reading them applies only the domain's
//! status of a due day and an expiry on a day: one query for a learner, two grouped scans for
//! the organisation. A day in the past is worked out by the domain from the full record
//! instead, seats given up and later completions included.

use std::collections::HashMap;

use chrono::{Days, NaiveDate};
use pathway_domain::compliance::{
    Attainment, ComplianceStatus, Item, RequiredCourse, Seat, Subject, Tally, assess, counting,
    overall, status,
};
use pathway_domain::learner::{Learner, LearnerKind};
use sea_orm::entity::prelude::*;
use sea_orm::{DbBackend, QueryOrder, QuerySelect, Value};

use crate::db::compliance_turn;
use crate::entity::completions;
use crate::page::PageRequest;
use crate::sql::{IN_LIST, Sql, insert};
use crate::{Page, StoreError, learner, requirement};

/// Which learners and courses a compliance figure covers, and on which day.
#[derive(Debug, Clone)]
pub struct Scope {
    pub day: NaiveDate,
    /// How far ahead "due soon" looks.
    pub window_days: u32,
    pub kind: Option<LearnerKind>,
    pub department: Option<String>,
    pub course_id: Option<Uuid>,
    /// Only this manager's reports.
    pub manager_id: Option<Uuid>,
}

/// A learner's standing on every requirement that applies to them, with who may read it.
#[derive(Debug, Clone)]
pub struct Standing {
    pub learner_id: Uuid,
    pub manager_id: Option<Uuid>,
    pub items: Vec<Item>,
}

/// A learner in breach, with their standing.
#[derive(Debug, Clone)]
pub struct Breach {
    pub learner: Learner,
    pub items: Vec<Item>,
}

/// The organisation's figures: per course (learners it is required of), and per kind and
/// department of learner (by each learner's worst status).
#[derive(Debug, Clone, Default)]
pub struct Figures {
    pub by_course: Vec<(RequiredCourseKey, Tally)>,
    pub by_group: Vec<(LearnerKind, Option<String>, Tally)>,
}

impl Figures {
    /// Every learner counted, by their worst status.
    pub fn overall(&self) -> Tally {
        let mut total = Tally::default();
        for (_, _, tally) in &self.by_group {
            total.merge(tally);
        }
        total
    }
}

/// A course that is required of someone, as the report names it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RequiredCourseKey {
    pub course_id: Uuid,
    pub title: String,
}

/// One learner's compliance on `day`: today and later from their rows in
/// `compliance_items`, a day in the past from their record.
pub async fn of_learner(
    db: &impl ConnectionTrait,
    id: Uuid,
    day: NaiveDate,
    today: NaiveDate,
    window_days: u32,
) -> Result<Standing, StoreError> {
    if day >= today {
        return stored_standings(db, &[id], day, window_days)
            .await?
            .remove(&id)
            .ok_or(StoreError::NotFound("learner"));
    }
    let (learner, seats) = learner::with_seats(db, id, true).await?;
    let required = requirement::required_courses(db, None).await?;
    let completions = attainments(db, Some(&[id]), None).await?;
    let items = assess(
        &subject(&learner, &seats),
        &required,
        completions.get(&id).map_or(&[], Vec::as_slice),
        day,
        window_days,
    );
    Ok(Standing {
        learner_id: id,
        manager_id: learner.profile.manager_id,
        items,
    })
}

/// The organisation's compliance on `scope.day`: who is counted and how they stand. Leavers
/// and learners yet to start are not counted.
pub async fn figures(
    db: &impl ConnectionTrait,
    scope: &Scope,
    today: NaiveDate,
) -> Result<Figures, StoreError> {
    let required = requirement::required_courses(db, scope.course_id).await?;
    let titles = course_titles(&required);
    let mut by_course: HashMap<Uuid, Tally> = HashMap::new();
    let mut by_group: HashMap<(LearnerKind, Option<String>), Tally> = HashMap::new();
    if scope.day >= today {
        // Two grouped scans, each in the order of an index, so neither sorts half a million
        // rows: per course over (course, learner), per group of learners over (learner).
        let counts = status_sums();
        let per_course = format!(
            " SELECT course_id, {counts} FROM (SELECT course_id, learner_id, MAX(status) AS status \
             FROM items GROUP BY course_id, learner_id) per_course GROUP BY course_id"
        );
        let per_group = format!(
            " SELECT kind, department, {counts} FROM (SELECT learner_id, MIN(kind) AS kind, \
             MIN(department) AS department, MAX(status) AS status FROM items GROUP BY learner_id) per_learner \
             GROUP BY kind, department"
        );
        let backend = db.get_database_backend();
        let (Some(mut courses_sql), Some(mut groups_sql)) = (
            current_items(backend, &required, scope, None),
            current_items(backend, &required, scope, None),
        ) else {
            return Ok(Figures::default());
        };
        courses_sql.push(&per_course);
        groups_sql.push(&per_group);
        // Each scan takes a connection of its own, so the two run side by side.
        let (course_rows, group_rows) = futures_util::future::try_join(
            db.query_all_raw(courses_sql.statement()),
            db.query_all_raw(groups_sql.statement()),
        )
        .await?;
        for row in course_rows {
            let course: Uuid = row.try_get_by_index(0)?;
            by_course.insert(course, tally(&row, 1)?);
        }
        for row in group_rows {
            let kind: String = row.try_get_by_index(0)?;
            let kind = kind.parse().map_err(StoreError::corrupt("learner"))?;
            let department: Option<String> = row.try_get_by_index(1)?;
            by_group.insert((kind, department), tally(&row, 2)?);
        }
    } else {
        for standing in past_standings(db, &required, scope).await? {
            let mut worst_by_course: HashMap<Uuid, ComplianceStatus> = HashMap::new();
            for item in &standing.items {
                let worst = worst_by_course.entry(item.course_id).or_insert(item.status);
                *worst = overall([*worst, item.status]);
            }
            for (course, status) in worst_by_course {
                by_course.entry(course).or_default().add(status, 1);
            }
            let profile = &standing.learner.profile;
            by_group
                .entry((profile.kind, profile.department.clone()))
                .or_default()
                .add(overall(standing.items.iter().map(|i| i.status)), 1);
        }
    }
    let mut by_course: Vec<_> = by_course
        .into_iter()
        .filter_map(|(id, tally)| titles.get(&id).map(|key| (key.clone(), tally)))
        .collect();
    by_course.sort_by(|a, b| (&a.0.title, a.0.course_id).cmp(&(&b.0.title, b.0.course_id)));
    let mut by_group: Vec<_> = by_group
        .into_iter()
        .map(|((kind, department), tally)| (kind, department, tally))
        .collect();
    by_group.sort_by(|a, b| (a.0, &a.1).cmp(&(b.0, &b.1)));
    Ok(Figures {
        by_course,
        by_group,
    })
}

/// The learners in breach on `scope.day` (something overdue or expired), a page at a time in
/// id order, each with their standing.
pub async fn in_breach(
    db: &impl ConnectionTrait,
    scope: &Scope,
    today: NaiveDate,
    page: PageRequest,
) -> Result<Page<Breach>, StoreError> {
    if scope.day < today {
        // Everything a learner lacks is listed, as on the stored path; `course_id` only
        // chooses whom.
        let everything = requirement::required_courses(db, None).await?;
        let lacks = |b: &Breach| {
            b.items
                .iter()
                .any(|i| i.status.in_breach() && scope.course_id.is_none_or(|c| c == i.course_id))
        };
        let breaches = past_standings(db, &everything, scope)
            .await?
            .into_iter()
            .filter(|b| page.after.is_none_or(|after| b.learner.id > after))
            .filter(lacks)
            .take(usize::try_from(page.limit + 1).unwrap_or(usize::MAX))
            .collect();
        return Ok(Page::from_rows(breaches, page.limit, |b| b.learner.id));
    }
    let required = requirement::required_courses(db, scope.course_id).await?;
    let Some(mut sql) = current_items(db.get_database_backend(), &required, scope, page.after)
    else {
        return Ok(Page::from_rows(Vec::new(), page.limit, |b: &Breach| {
            b.learner.id
        }));
    };
    let breach = sql.bind(i32::from(ComplianceStatus::Expired.severity()));
    let limit = sql.bind(i64::try_from(page.limit + 1).unwrap_or(i64::MAX));
    sql.push(&format!(
        " SELECT learner_id FROM items GROUP BY learner_id HAVING MAX(status) >= {breach} \
         ORDER BY learner_id LIMIT {limit}"
    ));
    let ids = db
        .query_all_raw(sql.statement())
        .await?
        .iter()
        .map(|row| row.try_get_by_index::<Uuid>(0))
        .collect::<Result<Vec<_>, _>>()?;
    let page_ids = Page::from_rows(ids, page.limit, |id| *id);
    let learners = learner::by_ids(db, &page_ids.items).await?;
    let mut standings = stored_standings(db, &page_ids.items, scope.day, scope.window_days).await?;
    Ok(Page {
        items: learners
            .into_iter()
            .map(|learner| {
                let items = standings
                    .remove(&learner.id)
                    .map(|s| s.items)
                    .unwrap_or_default();
                Breach { learner, items }
            })
            .collect(),
        next_after: page_ids.next_after,
    })
}

/// These learners' managers, and their rows in `compliance_items` read as items on `day`
/// (today or later) in requirement order, as the domain lists them; in one query, as a
/// learner's own compliance is read far more often than anything else here. A learner who
/// does not exist is absent.
async fn stored_standings(
    db: &impl ConnectionTrait,
    ids: &[Uuid],
    day: NaiveDate,
    window_days: u32,
) -> Result<HashMap<Uuid, Standing>, StoreError> {
    let mut standings: HashMap<Uuid, Standing> = HashMap::new();
    if ids.is_empty() {
        return Ok(standings);
    }
    let mut sql = Sql::new(db.get_database_backend());
    let ids = ids
        .iter()
        .map(|id| sql.bind(*id))
        .collect::<Vec<_>>()
        .join(", ");
    sql.push(&format!(
        "SELECT l.id, l.manager_id, i.requirement_id, i.course_id, i.course_title, i.due_on, \
         i.completed_on, i.expires_on, i.effective_until FROM learners l \
         LEFT JOIN compliance_items i ON i.learner_id = l.id \
         WHERE l.id IN ({ids}) ORDER BY l.id, i.requirement_id"
    ));
    for row in db.query_all_raw(sql.statement()).await? {
        let learner_id: Uuid = row.try_get_by_index(0)?;
        let standing = standings.entry(learner_id).or_insert(Standing {
            learner_id,
            manager_id: row.try_get_by_index(1)?,
            items: Vec::new(),
        });
        let Some(requirement_id) = row.try_get_by_index::<Option<Uuid>>(2)? else {
            continue;
        };
        let effective_until: Option<NaiveDate> = row.try_get_by_index(8)?;
        if effective_until.is_some_and(|until| day > until) {
            continue;
        }
        let completed_on: Option<NaiveDate> = row.try_get_by_index(6)?;
        let expires_on: Option<NaiveDate> = row.try_get_by_index(7)?;
        let counted = completed_on.map(|completed_on| Attainment {
            completed_on,
            expires_on,
        });
        let due_on = row.try_get_by_index(5)?;
        standing.items.push(Item {
            requirement_id,
            course_id: row.try_get_by_index(3)?,
            course_title: row.try_get_by_index(4)?,
            due_on,
            counted,
            status: status(due_on, counted, day, window_days),
        });
    }
    Ok(standings)
}

/// Whose rows in `compliance_items` to work out again after a change.
#[derive(Debug, Clone)]
pub(crate) enum Refresh {
    /// These learners: their details, seats or completions changed.
    Learners(Vec<Uuid>),
    /// One requirement, created or changed (a deleted one takes its rows with it).
    Requirement(Uuid),
    /// The requirements of a course whose title or go-live date changed.
    Course(Uuid),
    /// Everyone against everything: after a bulk load.
    Everyone,
}

/// Works out `compliance_items` again for `what`, inside the caller's transaction.
///
/// Refreshes wait for their turn, so they run one at a time and the last sees every change
/// committed before it: a completion and a committee change for the same learner in two
/// processes cannot leave a stale row.
pub(crate) async fn refresh(db: &impl ConnectionTrait, what: Refresh) -> Result<(), StoreError> {
    compliance_turn(db).await?;
    let mut required = requirement::required_courses(db, None).await?;
    required.retain(|r| match &what {
        Refresh::Requirement(id) => r.requirement.id == *id,
        Refresh::Course(id) => r.requirement.rule.course_id == *id,
        Refresh::Learners(_) | Refresh::Everyone => true,
    });
    let some: Option<&[Uuid]> = match &what {
        Refresh::Learners(ids) => Some(ids),
        Refresh::Requirement(_) | Refresh::Course(_) | Refresh::Everyone => None,
    };
    let course = match &what {
        Refresh::Requirement(_) | Refresh::Course(_) => {
            required.first().map(|r| r.requirement.rule.course_id)
        }
        _ => None,
    };
    let people = match some {
        Some(ids) => learner::with_seats_of(db, ids).await?,
        None => learner::everyone(db, false).await?,
    };
    let done = attainments(db, some, course).await?;
    let (column, ids): (&str, Vec<Uuid>) = match &what {
        Refresh::Learners(ids) => ("learner_id", ids.clone()),
        Refresh::Requirement(id) => ("requirement_id", vec![*id]),
        Refresh::Course(id) => ("course_id", vec![*id]),
        Refresh::Everyone => ("learner_id", Vec::new()),
    };
    if ids.is_empty() {
        db.execute_unprepared("DELETE FROM compliance_items")
            .await?;
    }
    for chunk in ids.chunks(IN_LIST) {
        let mut clear = Sql::new(db.get_database_backend());
        let placeholders: Vec<String> = chunk.iter().map(|id| clear.bind_in_order(*id)).collect();
        clear.push(&format!(
            "DELETE FROM compliance_items WHERE {column} IN ({})",
            placeholders.join(", ")
        ));
        db.execute_raw(clear.statement()).await?;
    }

    // Boxed, so that the future holding it is Send: rustc cannot yet prove that of these
    // closures over borrowed rows, and the periodic re-match runs this on a spawned task.
    let rows: Box<dyn Iterator<Item = Vec<Value>> + Send + '_> =
        Box::new(people.iter().flat_map(|(learner, seats)| {
            let subject = subject(learner, seats);
            let done = done.get(&learner.id).map_or(&[][..], Vec::as_slice);
            required.iter().filter_map(move |r| {
                let rule = &r.requirement.rule;
                let applies_from = rule.applies_from_as_they_stand(&subject, r.go_live_on)?;
                let of_course = done.iter().filter(|(course, _)| *course == rule.course_id);
                // Every completion is dated today or earlier, so this is the one that counts on
                // any day from today on.
                let counted = counting(of_course.map(|(_, a)| *a), NaiveDate::MAX);
                let best_until = counted.map(|c| c.expires_on.unwrap_or_else(forever));
                let profile = &learner.profile;
                let row: Vec<Value> = vec![
                    learner.id.into(),
                    rule.course_id.into(),
                    r.requirement.id.into(),
                    r.course_title.clone().into(),
                    rule.effective_until.into(),
                    rule.due_on(applies_from).into(),
                    counted.map(|c| c.completed_on).into(),
                    counted.and_then(|c| c.expires_on).into(),
                    best_until.into(),
                    profile.kind.into(),
                    profile.department.clone().into(),
                    profile.started_on.into(),
                    learner.left_on.into(),
                ];
                Some(row)
            })
        }));
    insert(
        db,
        "compliance_items",
        &[
            "learner_id",
            "course_id",
            "requirement_id",
            "course_title",
            "effective_until",
            "due_on",
            "completed_on",
            "expires_on",
            "best_until",
            "learner_kind",
            "department",
            "started_on",
            "left_on",
        ],
        rows,
    )
    .await
}

/// `WITH items AS (...)`: from `compliance_items`, one row per learner counted and
/// requirement applying on the day, with its status as a severity. The CASE is the domain's
/// `status` over the stored due day and expiry, with the day's dates bound. `None` when no
/// requirement applies on the day.
fn current_items(
    backend: DbBackend,
    required: &[RequiredCourse],
    scope: &Scope,
    after: Option<Uuid>,
) -> Option<Sql> {
    let day = scope.day;
    let applying: Vec<Uuid> = required
        .iter()
        .filter(|r| {
            r.requirement
                .rule
                .effective_until
                .is_none_or(|until| day <= until)
        })
        .map(|r| r.requirement.id)
        .collect();
    if applying.is_empty() {
        return None;
    }
    let everything = scope.course_id.is_none() && applying.len() == required.len();
    let mut sql = Sql::new(backend);
    let d = sql.bind(day);
    let h = sql.bind(
        day.checked_add_days(Days::new(scope.window_days.into()))
            .unwrap_or(day),
    );
    let status = severity(&d, &h);
    sql.push(&format!(
        "WITH items AS (SELECT learner_id, course_id, learner_kind AS kind, department, \
         {status} AS status FROM compliance_items \
         WHERE started_on <= {d} AND (left_on IS NULL OR left_on > {d})"
    ));
    // With every requirement applying, the list would only cost a comparison per row.
    if !everything {
        let ids = applying
            .into_iter()
            .map(|id| sql.bind(id))
            .collect::<Vec<_>>()
            .join(", ");
        sql.push(&format!(" AND requirement_id IN ({ids})"));
    }
    if let Some(kind) = scope.kind {
        let kind = sql.bind(kind.as_str());
        sql.push(&format!(" AND learner_kind = {kind}"));
    }
    if let Some(department) = &scope.department {
        let department = sql.bind(department.clone());
        sql.push(&format!(" AND department = {department}"));
    }
    if let Some(manager_id) = scope.manager_id {
        let manager_id = sql.bind(manager_id);
        sql.push(&format!(
            " AND learner_id IN (SELECT id FROM learners WHERE manager_id = {manager_id})"
        ));
    }
    if let Some(after) = after {
        let after = sql.bind(after);
        sql.push(&format!(" AND learner_id > {after}"));
    }
    sql.push(")");
    Some(sql)
}

/// The domain's [`compliance::status`] as SQL over a `compliance_items` row's `due_on` and
/// `best_until`, given the day and the day the window closes as bound parameters: the
/// severity of the status, with the numbers taken from [`ComplianceStatus::severity`].
pub fn severity(day: &str, horizon: &str) -> String {
    let n = |status: ComplianceStatus| status.severity();
    format!(
        "CAST(CASE WHEN best_until > {horizon} THEN {compliant} \
         WHEN best_until > {day} THEN {due_soon} \
         WHEN due_on < {day} THEN (CASE WHEN best_until IS NULL THEN {overdue} ELSE {expired} END) \
         WHEN due_on <= {horizon} THEN {due_soon} ELSE {not_started} END AS INTEGER)",
        compliant = n(ComplianceStatus::Compliant),
        due_soon = n(ComplianceStatus::DueSoon),
        overdue = n(ComplianceStatus::Overdue),
        expired = n(ComplianceStatus::Expired),
        not_started = n(ComplianceStatus::NotStarted),
    )
}

/// Every learner counted on a past day with a requirement applying, and their standing
/// then, in id order.
async fn past_standings(
    db: &impl ConnectionTrait,
    required: &[RequiredCourse],
    scope: &Scope,
) -> Result<Vec<Breach>, StoreError> {
    let day = scope.day;
    let completions = attainments(db, None, None).await?;
    let standings = learner::everyone(db, true)
        .await?
        .into_iter()
        .filter(|(l, _)| {
            let p = &l.profile;
            p.started_on <= day
                && l.left_on.is_none_or(|left| left > day)
                && scope.kind.is_none_or(|k| k == p.kind)
                && (scope.department.is_none() || scope.department == p.department)
                && (scope.manager_id.is_none() || scope.manager_id == p.manager_id)
        })
        .filter_map(|(learner, seats)| {
            let done = completions.get(&learner.id).map_or(&[][..], Vec::as_slice);
            let items = assess(
                &subject(&learner, &seats),
                required,
                done,
                day,
                scope.window_days,
            );
            (!items.is_empty()).then_some(Breach { learner, items })
        })
        .collect();
    Ok(standings)
}

fn subject<'a>(learner: &'a Learner, seats: &'a [Seat]) -> Subject<'a> {
    Subject {
        kind: learner.profile.kind,
        department: learner.profile.department.as_deref(),
        job_title: learner.profile.job_title.as_deref(),
        started_on: learner.profile.started_on,
        seats,
    }
}

/// Completions by learner, as (course, attainment): one learner's, or one course's, or all.
async fn attainments(
    db: &impl ConnectionTrait,
    learners: Option<&[Uuid]>,
    course_id: Option<Uuid>,
) -> Result<HashMap<Uuid, Vec<(Uuid, Attainment)>>, StoreError> {
    let mut by_learner: HashMap<Uuid, Vec<(Uuid, Attainment)>> = HashMap::new();
    match learners {
        Some(ids) => {
            for chunk in ids.chunks(IN_LIST) {
                attainments_of(db, Some(chunk), course_id, &mut by_learner).await?;
            }
        }
        None => attainments_of(db, None, course_id, &mut by_learner).await?,
    }
    Ok(by_learner)
}

async fn attainments_of(
    db: &impl ConnectionTrait,
    learners: Option<&[Uuid]>,
    course_id: Option<Uuid>,
    by_learner: &mut HashMap<Uuid, Vec<(Uuid, Attainment)>>,
) -> Result<(), StoreError> {
    // Read in slices in id order: a council's whole record is a million rows, and holding
    // them all as driver rows at once would take far more memory than the result.
    const SLICE: u64 = 20_000;
    let mut after: Option<Uuid> = None;
    loop {
        let mut query = completions::Entity::find()
            .select_only()
            .column(completions::Column::Id)
            .column(completions::Column::LearnerId)
            .column(completions::Column::CourseId)
            .column(completions::Column::CompletedOn)
            .column(completions::Column::ExpiresOn)
            .order_by_asc(completions::Column::Id)
            .limit(SLICE);
        if let Some(ids) = learners {
            query = query.filter(completions::Column::LearnerId.is_in(ids.iter().copied()));
        }
        if let Some(id) = course_id {
            query = query.filter(completions::Column::CourseId.eq(id));
        }
        if let Some(after) = after {
            query = query.filter(completions::Column::Id.gt(after));
        }
        let rows: Vec<(Uuid, Uuid, Uuid, NaiveDate, Option<NaiveDate>)> =
            query.into_tuple().all(db).await?;
        let full = rows.len() as u64 == SLICE;
        after = rows.last().map(|row| row.0);
        for (_, learner_id, course_id, completed_on, expires_on) in rows {
            by_learner.entry(learner_id).or_default().push((
                course_id,
                Attainment {
                    completed_on,
                    expires_on,
                },
            ));
        }
        if !full {
            return Ok(());
        }
    }
}

/// How long a completion that never expires counts, in `best_until`, so the figures compare
/// one column with the day. Four-digit years keep dates stored as text in order on SQLite.
fn forever() -> NaiveDate {
    NaiveDate::from_ymd_opt(9999, 12, 31).unwrap_or(NaiveDate::MAX)
}

/// One count per severity, from 0 up: `SUM(CASE WHEN status = 0 ...)` and so on.
fn status_sums() -> String {
    (0..ComplianceStatus::ALL.len())
        .map(|n| format!("SUM(CASE WHEN status = {n} THEN 1 ELSE 0 END)"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// Reads the counts `status_sums` wrote, from column `first` on.
fn tally(row: &sea_orm::QueryResult, first: usize) -> Result<Tally, StoreError> {
    let mut tally = Tally::default();
    for status in ComplianceStatus::ALL {
        let column = first + usize::from(status.severity());
        let learners = row.try_get_by_index::<i64>(column)?;
        tally.add(*status, u64::try_from(learners).unwrap_or_default());
    }
    Ok(tally)
}

fn course_titles(required: &[RequiredCourse]) -> HashMap<Uuid, RequiredCourseKey> {
    required
        .iter()
        .map(|r| {
            let key = RequiredCourseKey {
                course_id: r.requirement.rule.course_id,
                title: r.course_title.clone(),
            };
            (key.course_id, key)
        })
        .collect()
}
