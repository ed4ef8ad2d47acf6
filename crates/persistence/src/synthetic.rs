//! `pathway generate`: a council-sized database for benchmarks, made of plausible people,
//! a catalogue, requirements across every kind of selector, and years of completions.
//!
//! Rows are written in bulk, straight into the tables, because a million completions through
//! the API would take longer than the benchmark itself. Every value is one the domain accepts,
//! and the same seed always gives the same council.

use chrono::{DateTime, Days, NaiveDate, Utc};
use pathway_domain::completion::expires_on;
use pathway_domain::compliance::SelectorKind;
use sea_orm::{DatabaseConnection, TransactionTrait};
use sea_orm::{Value, prelude::Uuid};

use crate::compliance::{self, Refresh};
use crate::db::now;
use crate::sql::insert;
use crate::{StoreError, learner};

/// How big a council to make.
#[derive(Debug, Clone, Copy)]
pub struct Council {
    pub learners: usize,
    pub completions: usize,
    /// Of the learners, how many are elected members.
    pub members: usize,
    pub seed: u64,
}

/// What was made.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Generated {
    pub courses: usize,
    pub requirements: usize,
    pub learners: usize,
    pub completions: usize,
}

const DEPARTMENTS: [&str; 12] = [
    "Adult Social Care",
    "Children's Services",
    "Planning Services",
    "Housing",
    "Finance",
    "Legal and Democratic Services",
    "Highways",
    "Public Health",
    "Human Resources",
    "Waste and Recycling",
    "Libraries and Culture",
    "Revenues and Benefits",
];
const JOB_TITLES: [&str; 10] = [
    "Social Worker",
    "Planning Officer",
    "Team Leader",
    "Head of Service",
    "Customer Adviser",
    "Care Worker",
    "Accountant",
    "Solicitor",
    "Highways Engineer",
    "Librarian",
];
const COMMITTEES: [&str; 6] = [
    "Planning",
    "Licensing",
    "HR Appeals",
    "Audit",
    "Scrutiny",
    "Standards",
];
const MEMBER_ROLES: [&str; 3] = ["Chair", "Cabinet Member", "Vice-Chair"];
const STAFF_ROLES: [&str; 4] = [
    "First Aider",
    "Fire Warden",
    "Safeguarding Lead",
    "DSE Assessor",
];
const GROUPS: [&str; 4] = ["Labour", "Conservative", "Liberal Democrat", "Green"];
const COURSES: usize = 60;

/// Fills an empty database with a generated council. Refuses a database that has learners.
pub async fn generate(
    db: &DatabaseConnection,
    council: Council,
    today: NaiveDate,
) -> Result<Generated, StoreError> {
    let existing = crate::learner::count(db).await?;
    if existing > 0 {
        return Err(pathway_domain::DomainError::Conflict(format!(
            "generate fills an empty database; this one has {existing} learners"
        ))
        .into());
    }
    let mut rng = fastrand::Rng::with_seed(council.seed);
    let at = now();
    let tx = db.begin().await?;

    let courses: Vec<(Uuid, Option<i32>)> = (0..COURSES)
        .map(|i| (Uuid::now_v7(), [Some(12), Some(24), Some(36), None][i % 4]))
        .collect();
    let rows = courses.iter().enumerate().map(|(i, (id, validity))| {
        let go_live = (i % 29 == 28).then(|| today + Days::new(60));
        vec![
            (*id).into(),
            format!("GEN-{i:03}").into(),
            format!("Generated course {i}").into(),
            ["essential", "professional", "personal", "leadership"][i % 4].into(),
            "knowledge_based".into(),
            "mandatory".into(),
            "all".into(),
            "elearning".into(),
            "In-house".into(),
            0i64.into(),
            (*validity).into(),
            go_live.into(),
            "published".into(),
            "completed".into(),
            Some(today).into(),
            Some("Generated for benchmarks".to_owned()).into(),
            at.into(),
            at.into(),
            1i32.into(),
        ]
    });
    insert(
        &tx,
        "courses",
        &[
            "id",
            "code",
            "title",
            "pillar",
            "category",
            "offer",
            "audience",
            "delivery",
            "provider",
            "cost_pence",
            "validity_months",
            "go_live_on",
            "status",
            "eia_status",
            "eia_completed_on",
            "eia_summary",
            "created_at",
            "updated_at",
            "version",
        ],
        rows,
    )
    .await?;

    let requirements = requirement_rows(&courses, at);
    let required_courses: Vec<usize> = (0..requirements.len()).map(|i| i % 30).collect();
    let requirement_count = requirements.len();
    insert(
        &tx,
        "requirements",
        &[
            "id",
            "course_id",
            "selector_kind",
            "selector_value",
            "due_within_days",
            "effective_from",
            "effective_until",
            "created_at",
            "updated_at",
            "version",
        ],
        requirements.into_iter(),
    )
    .await?;

    let learners = people(&mut rng, council, today);
    let rows = learners.iter().map(|p| p.row(at));
    insert(&tx, "learners", &learner::COLUMNS, rows).await?;
    let seats = learners.iter().flat_map(|p| {
        p.seats.iter().map(move |(kind, name, started_on)| {
            vec![
                p.id.into(),
                (*kind).into(),
                (*name).into(),
                (*started_on).into(),
            ]
        })
    });
    insert(
        &tx,
        "learner_memberships",
        &["learner_id", "kind", "name", "started_on"],
        seats,
    )
    .await?;
    let past = learners.iter().filter_map(|p| {
        let (kind, name, ended_on) = p.past_seat?;
        let started_on = ended_on.checked_sub_days(Days::new(700))?;
        Some(vec![
            p.id.into(),
            kind.into(),
            name.into(),
            started_on.into(),
            ended_on.into(),
        ])
    });
    insert(
        &tx,
        "membership_history",
        &["learner_id", "kind", "name", "started_on", "ended_on"],
        past,
    )
    .await?;

    let five_years = 5.0 * 365.0;
    let completions = (0..council.completions).map(|n| {
        let person = &learners[rng.usize(..learners.len())];
        // Most completions are of required courses, as they are in a council's record.
        let course = if rng.u8(..10) < 8 {
            required_courses[rng.usize(..required_courses.len())]
        } else {
            rng.usize(..COURSES)
        };
        let (course_id, validity) = courses[course];
        // Recent years hold more of the record, as refreshers come round.
        let r = rng.f64();
        #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
        let back = Days::new((r * r * five_years) as u64);
        let completed_on = today
            .checked_sub_days(back)
            .unwrap_or(today)
            .max(person.started_on)
            .min(today);
        vec![
            Uuid::now_v7().into(),
            person.id.into(),
            course_id.into(),
            completed_on.into(),
            "external".into(),
            format!("generated:{}:{n}", council.seed).into(),
            Some(i32::from(rng.u8(50..=100))).into(),
            expires_on(completed_on, validity).into(),
            at.into(),
        ]
    });
    insert(
        &tx,
        "completions",
        &[
            "id",
            "learner_id",
            "course_id",
            "completed_on",
            "source",
            "source_key",
            "score",
            "expires_on",
            "recorded_at",
        ],
        completions,
    )
    .await?;
    compliance::refresh(&tx, Refresh::Everyone).await?;
    tx.commit().await?;
    Ok(Generated {
        courses: COURSES,
        requirements: requirement_count,
        learners: learners.len(),
        completions: council.completions,
    })
}

/// Forty rules, across every kind of selector, over the first thirty courses.
fn requirement_rows(courses: &[(Uuid, Option<i32>)], at: DateTime<Utc>) -> Vec<Vec<Value>> {
    let mut rules: Vec<(SelectorKind, Option<&str>)> = vec![
        (SelectorKind::All, None),
        (SelectorKind::All, None),
        (SelectorKind::All, None),
        (SelectorKind::All, None),
    ];
    rules.extend([(SelectorKind::Employees, None); 6]);
    rules.extend([(SelectorKind::ElectedMembers, None); 4]);
    rules.extend(COMMITTEES.map(|c| (SelectorKind::Committee, Some(c))));
    rules.extend(MEMBER_ROLES.map(|r| (SelectorKind::Responsibility, Some(r))));
    rules.extend(
        STAFF_ROLES[..3]
            .iter()
            .map(|r| (SelectorKind::Responsibility, Some(*r))),
    );
    rules.extend(
        DEPARTMENTS[..8]
            .iter()
            .map(|d| (SelectorKind::Department, Some(*d))),
    );
    rules.extend(
        JOB_TITLES[..6]
            .iter()
            .map(|j| (SelectorKind::JobTitle, Some(*j))),
    );
    let effective_from = NaiveDate::from_ymd_opt(2019, 4, 1).unwrap_or(NaiveDate::MIN);
    rules
        .into_iter()
        .enumerate()
        .map(|(i, (kind, value))| {
            vec![
                Uuid::now_v7().into(),
                courses[i % 30].0.into(),
                kind.as_str().into(),
                value.map(str::to_owned).into(),
                [30i32, 60, 90, 14][i % 4].into(),
                effective_from.into(),
                None::<NaiveDate>.into(),
                at.into(),
                at.into(),
                1i32.into(),
            ]
        })
        .collect()
}

struct Person {
    id: Uuid,
    member: bool,
    number: usize,
    department: Option<&'static str>,
    job_title: Option<&'static str>,
    manager_id: Option<Uuid>,
    started_on: NaiveDate,
    left_on: Option<NaiveDate>,
    seats: Vec<(&'static str, &'static str, NaiveDate)>,
    past_seat: Option<(&'static str, &'static str, NaiveDate)>,
}

impl Person {
    fn row(&self, at: DateTime<Utc>) -> Vec<Value> {
        let (kind, family) = if self.member {
            ("elected_member", "Cllr")
        } else {
            ("employee", "Staff")
        };
        vec![
            self.id.into(),
            kind.into(),
            format!("Person{}", self.number).into(),
            family.into(),
            format!("person.{}@council.example", self.number).into(),
            (!self.member)
                .then(|| format!("HR-{:06}", self.number))
                .into(),
            self.department.map(str::to_owned).into(),
            self.job_title.map(str::to_owned).into(),
            self.manager_id.into(),
            self.member
                .then(|| GROUPS[self.number % GROUPS.len()].to_owned())
                .into(),
            self.member
                .then(|| format!("Ward {}", self.number % 18))
                .into(),
            self.started_on.into(),
            if self.left_on.is_some() {
                "left"
            } else {
                "active"
            }
            .into(),
            self.left_on.into(),
            at.into(),
            at.into(),
            1i32.into(),
        ]
    }
}

/// Employees first, the first fiftieth of them managers of the rest; members last, each on a
/// committee or two, some with a special responsibility or a seat they gave up.
fn people(rng: &mut fastrand::Rng, council: Council, today: NaiveDate) -> Vec<Person> {
    let employees = council.learners.saturating_sub(council.members);
    let managers = (employees / 50).max(1);
    let mut people: Vec<Person> = Vec::with_capacity(council.learners);
    for number in 0..council.learners {
        let member = number >= employees;
        let started_on = today
            .checked_sub_days(Days::new(rng.u64(30..20 * 365)))
            .unwrap_or(today);
        let left_on = (rng.u8(..100) < 3).then(|| {
            started_on
                + Days::new(rng.u64(1..=(today - started_on).num_days().max(1).unsigned_abs()))
        });
        let mut seats = Vec::new();
        let mut past_seat = None;
        if member {
            let first = COMMITTEES[number % COMMITTEES.len()];
            seats.push(("committee", first, started_on));
            if number % 3 == 0 {
                let second = COMMITTEES[(number + 2) % COMMITTEES.len()];
                seats.push((
                    "committee",
                    second,
                    (started_on + Days::new(200)).min(today),
                ));
            }
            if number % 5 == 0 {
                seats.push((
                    "responsibility",
                    MEMBER_ROLES[number % MEMBER_ROLES.len()],
                    started_on,
                ));
            }
            if number % 4 == 1 {
                let ended_on = today.checked_sub_days(Days::new(100)).unwrap_or(today);
                past_seat = Some((
                    "committee",
                    COMMITTEES[(number + 1) % COMMITTEES.len()],
                    ended_on,
                ));
            }
        } else if number % 20 == 0 {
            seats.push((
                "responsibility",
                STAFF_ROLES[number % STAFF_ROLES.len()],
                started_on,
            ));
        }
        let manager_id = (!member && number >= managers).then(|| people[rng.usize(..managers)].id);
        people.push(Person {
            id: Uuid::now_v7(),
            member,
            number,
            department: (!member).then(|| DEPARTMENTS[rng.usize(..DEPARTMENTS.len())]),
            job_title: (!member).then(|| JOB_TITLES[rng.usize(..JOB_TITLES.len())]),
            manager_id,
            started_on,
            left_on,
            seats,
            past_seat: past_seat.filter(|(_, _, ended)| *ended > started_on + Days::new(700)),
        });
    }
    people
}
