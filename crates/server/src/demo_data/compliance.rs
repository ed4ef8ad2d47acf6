//! Demo requirements: the strategies' statutory, mandatory and role-specific training, so the
//! demo council's compliance shows who is due, overdue or up to date.

use chrono::{Days, NaiveDate, Utc};
use pathway_domain::audit::Actor;
use pathway_domain::calendar::london_date;
use pathway_domain::completion::{Evidence, EvidenceInput};
use pathway_domain::compliance::{RequirementInput, Rule, SelectorInput, SelectorKind};
use pathway_domain::course::CourseCode;
use pathway_domain::learner::{LearnerKind, LearnerStatus};
use pathway_persistence::effects::write;
use pathway_persistence::learner::LearnerFilter;
use pathway_persistence::page::PageRequest;
use pathway_persistence::requirement::{self, RequirementFilter};
use pathway_persistence::{DatabaseConnection, StoreError, completion, course, learner};

use SelectorKind::{All, Committee, ElectedMembers, Employees, Responsibility};

/// (course code, who, named seat, days allowed).
const RULES: &[(&str, SelectorKind, Option<&str>, i32)] = &[
    ("GDPR", All, None, 30),
    ("DIGNITY-AT-WORK", Employees, None, 90),
    ("MEMBER-INDUCTION", ElectedMembers, None, 60),
    ("CODE-OF-CONDUCT", ElectedMembers, None, 60),
    ("SAFEGUARDING", ElectedMembers, None, 90),
    // Members sit on a regulatory committee only once trained for it.
    ("PLANNING", Committee, Some("Planning"), 0),
    ("LICENSING", Committee, Some("Licensing"), 0),
    ("HR-APPEALS", Committee, Some("HR Appeals"), 0),
    ("CHAIRING", Responsibility, Some("Chair"), 90),
];

/// Adds each rule whose course has no requirement yet; returns how many it added.
pub async fn load(db: &DatabaseConnection, actor: &Actor) -> Result<usize, StoreError> {
    let mut added = 0;
    // The strategies' rules apply from the start of the 2024-25 municipal year.
    let effective_from = NaiveDate::from_ymd_opt(2024, 5, 1);
    for (code, kind, value, days) in RULES {
        let code = CourseCode::parse(code)?;
        let Some(course) = course::find_by_code(db, &code).await? else {
            continue;
        };
        let filter = RequirementFilter {
            course_id: Some(course.id),
            selector_kind: None,
        };
        let one = PageRequest {
            after: None,
            limit: 1,
        };
        if !requirement::list(db, filter, one).await?.items.is_empty() {
            continue;
        }
        let draft = RequirementInput {
            course_id: course.id,
            selector: SelectorInput {
                kind: *kind,
                value: value.map(str::to_owned),
            },
            due_within_days: *days,
            effective_from,
            effective_until: None,
        };
        let rule = Rule::parse(draft, london_date(Utc::now()))?;
        write(db, actor, async |change| {
            requirement::create(change, rule).await
        })
        .await?;
        added += 1;
    }
    if added > 0 {
        up_to_date(db, actor).await?;
    }
    Ok(added)
}

/// Most learners have done the training everyone of their kind must do: four in five have
/// certificates from four months ago, so the figures show a council mostly, not wholly, compliant.
async fn up_to_date(db: &DatabaseConnection, actor: &Actor) -> Result<(), StoreError> {
    let today = london_date(Utc::now());
    let completed_on = today - Days::new(120);
    let everyone = learner::list(
        db,
        LearnerFilter {
            status: Some(LearnerStatus::Active),
            ..LearnerFilter::default()
        },
        PageRequest {
            after: None,
            limit: 500,
        },
    )
    .await?
    .items;
    for (i, person) in everyone.iter().enumerate() {
        if i % 5 == 4 {
            continue;
        }
        let codes: &[&str] = match person.profile.kind {
            LearnerKind::Employee => &["GDPR", "DIGNITY-AT-WORK"],
            LearnerKind::ElectedMember => &["GDPR", "MEMBER-INDUCTION", "CODE-OF-CONDUCT"],
        };
        for code in codes {
            let Some(course) = course::find_by_code(db, &CourseCode::parse(code)?).await? else {
                continue;
            };
            let draft = EvidenceInput {
                learner_id: person.id,
                course_id: course.id,
                completed_on,
                score: None,
                evidence: Some("Certificate held on the learner's file".into()),
            };
            write(db, actor, async |change| {
                completion::record_evidence(change, Evidence::parse(draft, today)?).await
            })
            .await?;
        }
    }
    Ok(())
}
