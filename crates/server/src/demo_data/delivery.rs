//! The demo delivery history, after the staff strategy's update: Core Learning Pathway courses
//! run with their delegate numbers ("ILM Level 5 - 10 delegates"), the next runs booked with a
//! waitlist, a Leading Others cohort working through self-awareness and culture, evaluation
//! feedback, and a reverse-mentoring trial of four partnerships. Dates are relative to today.

use chrono::{Duration, NaiveDate, Utc};
use pathway_domain::DomainError;
use pathway_domain::audit::Actor;
use pathway_domain::calendar::london_date;
use pathway_domain::cohort::{CohortDetails, ModuleStatus, ProgrammeDetails, ProgrammeInput};
use pathway_domain::course::{Course, CourseCode};
use pathway_domain::feedback::{FeedbackDetails, Subject};
use pathway_domain::learner::{Learner, LearnerDraft, LearnerKind, LearnerProfile};
use pathway_domain::mentoring::PartnershipKind;
use pathway_domain::session::{Attendance, SessionDetails, SessionInput};
use pathway_domain::text::Email;
use pathway_persistence::effects::write;
use pathway_persistence::{
    DatabaseConnection, StoreError, cohort, course, feedback, learner, mentoring, programme,
    session,
};

const DOMAIN: &str = "demo.council.example";

#[rustfmt::skip]
const STAFF: &[(&str, &str, &str, &str)] = &[
    ("Amira", "Khan", "Adult Social Care", "Head of Service"),
    ("Ben", "Walsh", "Finance", "Finance Manager"),
    ("Chloe", "Adeyemi", "Housing", "Team Leader"),
    ("Daniel", "Hughes", "Highways", "Senior Engineer"),
    ("Ellie", "Morgan", "Planning", "Planning Officer"),
    ("Faisal", "Rahman", "Legal", "Solicitor"),
    ("Grace", "O'Neill", "HR", "HR Business Partner"),
    ("Harpreet", "Sandhu", "Public Health", "Public Health Officer"),
    ("Isaac", "Brown", "Education", "Education Welfare Officer"),
    ("Jade", "Thompson", "Customer Services", "Customer Service Adviser"),
    ("Kwame", "Mensah", "Digital", "Developer"),
    ("Laura", "Price", "Adult Social Care", "Social Worker"),
    ("Mohammed", "Ali", "Finance", "Accountant"),
    ("Nina", "Kowalski", "Housing", "Housing Officer"),
    ("Owen", "Davies", "Highways", "Technician"),
    ("Priya", "Shah", "Planning", "Senior Planning Officer"),
    ("Quentin", "Blake", "Legal", "Paralegal"),
    ("Rosa", "Martinez", "HR", "HR Adviser"),
    ("Sam", "Patel", "Digital", "Apprentice Developer"),
    ("Tariq", "Hussain", "Public Health", "Health Improvement Practitioner"),
    ("Uma", "Reddy", "Education", "SEND Caseworker"),
    ("Victor", "Nowak", "Customer Services", "Team Leader"),
    ("Wendy", "Clarke", "Finance", "Payroll Officer"),
    ("Yusuf", "Osman", "Housing", "Graduate Trainee"),
];

struct Councillor {
    given: &'static str,
    family: &'static str,
    group: &'static str,
    ward: &'static str,
    committees: &'static [&'static str],
    responsibilities: &'static [&'static str],
}

#[rustfmt::skip]
const MEMBERS: &[Councillor] = &[
    Councillor { given: "Helen", family: "Fraser", group: "Labour", ward: "Earlsdon", committees: &["Planning"], responsibilities: &["chair"] },
    Councillor { given: "George", family: "Bennett", group: "Conservative", ward: "Wainbody", committees: &["Licensing"], responsibilities: &[] },
    Councillor { given: "Aisha", family: "Begum", group: "Labour", ward: "Foleshill", committees: &["HR Appeals", "Licensing"], responsibilities: &[] },
    Councillor { given: "Tom", family: "Evans", group: "Liberal Democrat", ward: "Whoberley", committees: &["Planning"], responsibilities: &[] },
    Councillor { given: "Margaret", family: "Lloyd", group: "Green", ward: "St Michael's", committees: &[], responsibilities: &[] },
    Councillor { given: "Rajesh", family: "Gill", group: "Conservative", ward: "Westwood", committees: &["Audit"], responsibilities: &["chair"] },
];

/// Course runs of the Core Learning Pathway: code, delegates, and how many weeks ago it ran.
const RUNS: &[(&str, usize, i64)] = &[
    ("ILM5", 10, 10),
    ("ILM3", 8, 9),
    ("PROJECT-MGMT", 6, 8),
    ("ADR-DISCIPLINARY", 6, 7),
    ("PRESENTING", 7, 6),
    ("POLITICAL-AWARENESS", 8, 5),
    ("MENTORING", 6, 4),
    ("TIME-MGMT", 5, 3),
    ("REPORT-WRITING", 5, 2),
];

/// Adds the history unless it is there already; says whether it added it.
pub async fn load(db: &DatabaseConnection, actor: &Actor) -> Result<bool, StoreError> {
    let today = london_date(Utc::now());
    let staff = people(db, actor, today).await?;
    let Some(staff) = staff else { return Ok(false) };
    members(db, actor, today).await?;
    for (n, (code, delegates, weeks_ago)) in RUNS.iter().enumerate() {
        let course = find(db, code).await?;
        let attendees: Vec<&Learner> = staff.iter().cycle().skip(n * 3).take(*delegates).collect();
        past_run(db, actor, &course, &attendees, *weeks_ago).await?;
    }
    // The next ILM Level 5 run is oversubscribed: ten seats, twelve names, two on the waitlist.
    let ilm5 = find(db, "ILM5").await?;
    let next = session::create(
        db,
        run_of(&ilm5, Utc::now() + Duration::weeks(6), 10)?,
        actor,
    )
    .await?;
    for person in staff.iter().rev().take(12) {
        session::book(db, next.id, person.id, actor).await?;
    }
    leading_others(db, actor, &staff, today).await?;
    for (mentor, mentee) in [(18, 0), (10, 1), (23, 5), (14, 6)] {
        mentoring::create(
            db,
            PartnershipKind::ReverseMentoring,
            staff[mentor].id,
            staff[mentee].id,
            today - Duration::weeks(12),
            actor,
        )
        .await?;
    }
    Ok(true)
}

/// The demo staff, or `None` when they are already there (the history was loaded before).
async fn people(
    db: &DatabaseConnection,
    actor: &Actor,
    today: NaiveDate,
) -> Result<Option<Vec<Learner>>, StoreError> {
    let first = Email::parse(&email(STAFF[0].0, STAFF[0].1))?;
    if learner::find_by_email(db, &first).await?.is_some() {
        return Ok(None);
    }
    let mut staff = Vec::with_capacity(STAFF.len());
    for (given, family, department, job) in STAFF {
        // The first six lead teams; everyone after reports to one of them.
        let manager_id = staff
            .get(staff.len() % 6)
            .filter(|_| staff.len() >= 6)
            .map(|m: &Learner| m.id);
        let draft = LearnerDraft {
            kind: Some(LearnerKind::Employee),
            given_name: (*given).into(),
            family_name: (*family).into(),
            email: email(given, family),
            external_ref: Some(format!("HR-{:06}", 1000 + staff.len())),
            department: Some((*department).into()),
            job_title: Some((*job).into()),
            manager_id,
            started_on: Some(today - Duration::days(400 + 30 * staff.len() as i64)),
            ..LearnerDraft::default()
        };
        staff.push(
            write(db, actor, async |change| {
                learner::create(change, LearnerProfile::parse(draft, today)?).await
            })
            .await?,
        );
    }
    Ok(Some(staff))
}

async fn members(
    db: &DatabaseConnection,
    actor: &Actor,
    today: NaiveDate,
) -> Result<(), StoreError> {
    for Councillor {
        given,
        family,
        group,
        ward,
        committees,
        responsibilities,
    } in MEMBERS
    {
        let draft = LearnerDraft {
            kind: Some(LearnerKind::ElectedMember),
            given_name: (*given).into(),
            family_name: (*family).into(),
            email: format!("cllr.{}", email(given, family)),
            political_group: Some((*group).into()),
            ward: Some((*ward).into()),
            committees: committees.iter().map(|c| (*c).into()).collect(),
            responsibilities: responsibilities.iter().map(|r| (*r).into()).collect(),
            started_on: NaiveDate::from_ymd_opt(2024, 5, 3),
            ..LearnerDraft::default()
        };
        write(db, actor, async |change| {
            learner::create(change, LearnerProfile::parse(draft, today)?).await
        })
        .await?;
    }
    Ok(())
}

fn email(given: &str, family: &str) -> String {
    let clean = |s: &str| s.to_lowercase().replace(['\'', ' '], "");
    format!("{}.{}@{DOMAIN}", clean(given), clean(family))
}

async fn find(db: &DatabaseConnection, code: &str) -> Result<Course, StoreError> {
    course::find_by_code(db, &CourseCode::parse(code)?)
        .await?
        .ok_or(StoreError::NotFound("demo course"))
}

fn run_of(
    course: &Course,
    starts_at: chrono::DateTime<Utc>,
    capacity: i32,
) -> Result<SessionDetails, DomainError> {
    SessionDetails::parse(SessionInput {
        course_id: course.id,
        starts_at,
        ends_at: starts_at + Duration::hours(6),
        location: Some("Council House, Committee Room 3".into()),
        online_url: None,
        capacity,
        facilitator: Some(course.details.provider.clone()),
    })
}

/// A run that has happened: booked while it was ahead, then held, with one no-show in the
/// larger groups and feedback from most who came.
async fn past_run(
    db: &DatabaseConnection,
    actor: &Actor,
    course: &Course,
    attendees: &[&Learner],
    weeks_ago: i64,
) -> Result<(), StoreError> {
    let capacity = i32::try_from(attendees.len()).unwrap_or(i32::MAX);
    let scheduled = session::create(
        db,
        run_of(course, Utc::now() + Duration::days(1), capacity)?,
        actor,
    )
    .await?;
    for person in attendees {
        session::book(db, scheduled.id, person.id, actor).await?;
    }
    let held = run_of(course, Utc::now() - Duration::weeks(weeks_ago), capacity)?;
    session::update(db, scheduled.id, Some(scheduled.version), held, actor).await?;
    let marks = attendees
        .iter()
        .enumerate()
        .map(|(i, p)| {
            (
                p.id,
                if i == 7 {
                    Attendance::NoShow
                } else {
                    Attendance::Attended
                },
            )
        })
        .collect::<Vec<_>>();
    write(db, actor, async |change| {
        session::record_attendance(change, scheduled.id, marks.clone()).await
    })
    .await?;
    for (i, (learner_id, attendance)) in marks.into_iter().enumerate() {
        if attendance == Attendance::Attended && i % 4 != 3 {
            let details = FeedbackDetails {
                learner_id,
                subject: Subject::Session(scheduled.id),
                rating: [5, 4, 5, 3, 4][i % 5],
                comments: (i % 2 == 0).then(|| "Practical, and I have used it since.".into()),
                would_recommend: i % 5 != 3,
            };
            feedback::give(db, details, actor).await?;
        }
    }
    Ok(())
}

/// One full cohort of Leading Others, started two months ago: everyone has completed
/// self-awareness, most have completed culture.
async fn leading_others(
    db: &DatabaseConnection,
    actor: &Actor,
    staff: &[Learner],
    today: NaiveDate,
) -> Result<(), StoreError> {
    let course = find(db, "LEADING-OTHERS").await?;
    let draft = ProgrammeInput {
        name: "Leading Others".into(),
        description: Some("For colleagues who lead a team: the first of the three Leadership Development programmes.".into()),
        course_id: course.id,
        modules: ["Self-awareness", "Culture", "Leading change", "Coaching conversations"].map(Into::into).to_vec(),
    };
    let programme = programme::create(db, ProgrammeDetails::parse(draft)?, actor).await?;
    let details = CohortDetails {
        programme_id: programme.id,
        starts_on: today - Duration::weeks(8),
        capacity: 8,
        facilitator: Some("Leadership Academy".into()),
    };
    let cohort = cohort::create(db, details, actor).await?;
    let (first, second) = (programme.modules[0].id, programme.modules[1].id);
    for (i, member) in staff.iter().skip(6).take(8).enumerate() {
        cohort::add_member(db, cohort.id, member.id, actor).await?;
        write(db, actor, async |change| {
            cohort::record_progress(
                change,
                cohort.id,
                member.id,
                first,
                ModuleStatus::Completed,
                Some(today - Duration::weeks(6)),
            )
            .await
        })
        .await?;
        let culture = if i < 6 {
            ModuleStatus::Completed
        } else {
            ModuleStatus::InProgress
        };
        write(db, actor, async |change| {
            cohort::record_progress(
                change,
                cohort.id,
                member.id,
                second,
                culture,
                Some(today - Duration::weeks(2)),
            )
            .await
        })
        .await?;
        if i % 2 == 0 {
            let details = FeedbackDetails {
                learner_id: member.id,
                subject: Subject::Module {
                    cohort_id: cohort.id,
                    module_id: first,
                },
                rating: 4 + i32::from(i % 4 == 0),
                comments: Some("Eye-opening; the 360 feedback was the most useful part.".into()),
                would_recommend: true,
            };
            feedback::give(db, details, actor).await?;
        }
    }
    Ok(())
}
