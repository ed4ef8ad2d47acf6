//! The demo council's Cabinet Member Advisory Panel: a member of every political group and an
//! officer, two meetings each municipal year, an agreed evaluation of the last twelve months,
//! and a needs-assessment round the members and senior officers answered.

use chrono::{Days, NaiveDate, Utc};
use pathway_domain::audit::Actor;
use pathway_domain::calendar::london_date;
use pathway_domain::course::CourseCode;
use pathway_domain::evaluation::{
    Appraisal, EvaluationInput, Ratings, Recommendation, RecommendationKind, ScopeInput, ScopeKind,
};
use pathway_domain::governance::{Choice, MunicipalYear, YearStart};
use pathway_domain::learner::{Learner, LearnerKind, LearnerStatus};
use pathway_domain::needs_assessment::{
    Accessibility, Answer, Format, RoundAudience, RoundInput, TimeOfDay,
};
use pathway_domain::panel::{
    MeetingInput, MeetingRecord, PanelDetails, PanelInput, PanelRole, Seat,
};
use pathway_persistence::evaluation::{self, Context};
use pathway_persistence::learner::LearnerFilter;
use pathway_persistence::page::PageRequest;
use pathway_persistence::training_request::{self, RequestFilter};
use pathway_persistence::{
    DatabaseConnection, StoreError, course, learner, needs_assessment, panel,
};

/// The subject areas the members' strategy names.
const SUBJECTS: &[&str] = &[
    "Planning",
    "Licensing",
    "Scrutiny",
    "Finance and budget setting",
    "Safeguarding",
    "Social media and digital skills",
    "Chairing meetings",
];

/// Adds the panel and its records unless a panel is there; says whether it added them.
pub async fn load(
    db: &DatabaseConnection,
    actor: &Actor,
    start: YearStart,
    supporters_for_panel: u64,
) -> Result<bool, StoreError> {
    let first = PageRequest {
        after: None,
        limit: 1,
    };
    if !panel::list(db, first).await?.items.is_empty() {
        return Ok(false);
    }
    let today = london_date(Utc::now());
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
    let (members, staff): (Vec<&Learner>, Vec<&Learner>) = everyone
        .iter()
        .partition(|l| l.profile.kind == LearnerKind::ElectedMember);
    let Some(officer) = staff.first() else {
        return Ok(false);
    };

    let this_year = MunicipalYear::containing(today, start);
    let last_year = MunicipalYear::containing(this_year.first_day() - Days::new(1), start);
    let set_up = last_year.first_day() + Days::new(19);
    let details = PanelDetails::parse(PanelInput {
        name: "Member Development Cabinet Member Advisory Panel".into(),
        purpose: "Reviews members' training needs, recommends a programme to the Cabinet Member, \
            monitors its delivery and evaluates it."
            .into(),
        advises: "Cabinet Member for Policy and Leadership".into(),
    })?;
    let the_panel = panel::create(db, details, actor).await?;

    // One member of each political group, the first of them in the chair.
    let mut groups: Vec<&str> = Vec::new();
    let mut seated: Vec<&Learner> = Vec::new();
    for member in &members {
        let Some(group) = member.profile.political_group.as_deref() else {
            continue;
        };
        if groups.contains(&group) {
            continue;
        }
        let role = if groups.is_empty() {
            PanelRole::Chair
        } else {
            PanelRole::Member
        };
        groups.push(group);
        seated.push(member);
        panel::add_member(
            db,
            the_panel.id,
            member.id,
            |kind| Seat::parse(role, set_up, None, kind),
            actor,
        )
        .await?;
    }
    panel::add_member(
        db,
        the_panel.id,
        officer.id,
        |kind| Seat::parse(PanelRole::Officer, set_up, None, kind),
        actor,
    )
    .await?;
    let attendees: Vec<_> = seated.iter().map(|l| l.id).chain([officer.id]).collect();

    // Two meetings a year: June and January last year; this year June and, once June has
    // passed, one held three days ago that agrees the evaluation (otherwise January, to come).
    let recent = today - Days::new(3);
    let this_years_second = if recent > this_year.first_day() + Days::new(40) {
        recent
    } else {
        this_year.first_day() + Days::new(250)
    };
    let days = [
        last_year.first_day() + Days::new(40),
        last_year.first_day() + Days::new(250),
        this_year.first_day() + Days::new(40),
        this_years_second,
    ];
    let mut meetings = Vec::new();
    for held_on in days {
        let held = held_on <= today;
        let record = MeetingRecord::parse(MeetingInput {
            held_on,
            agenda: vec![
                "Delivery of the programme and the budget position".into(),
                "Training needs and requests sent to the panel".into(),
            ],
            attendees: if held { attendees.clone() } else { Vec::new() },
            minutes: held
                .then(|| "The panel considered the reports and agreed its recommendations.".into()),
            decisions: Vec::new(),
        })?;
        meetings.push(panel::create_meeting(db, the_panel.id, record, actor).await?);
    }
    // Agreed at the latest meeting held; it evaluates the twelve months before it.
    let Some(agreeing) = meetings.iter().rev().find(|m| m.record.held_on <= today) else {
        return Ok(true);
    };
    let period_end = agreeing.record.held_on - Days::new(1);

    // The additional request members co-signed goes to the panel: the addition cites it.
    let ready = training_request::list(
        db,
        RequestFilter {
            supporters_at_least: Some(supporters_for_panel),
            ..RequestFilter::default()
        },
        first,
    )
    .await?;
    let appraisal = Appraisal::parse(EvaluationInput {
        scope: ScopeInput {
            kind: ScopeKind::Programme,
            course_id: None,
        },
        period_start: period_end - Days::new(364),
        period_end,
        ratings: Ratings {
            needs_met: Some(4),
            uptake: Some(3),
            accessibility: Some(3),
            quality: Some(4),
        },
        findings: Some(
            "Induction and planning training were well attended; evening and online sessions \
             were asked for by members with day jobs."
                .into(),
        ),
        recommendations: vec![
            Recommendation {
                kind: RecommendationKind::Add,
                course_id: None,
                text: "Commission a half-day course on chairing meetings".into(),
                training_request_ids: ready.items.iter().map(|r| r.id).collect(),
            },
            Recommendation {
                kind: RecommendationKind::Change,
                course_id: course::find_by_code(db, &CourseCode::parse("PRESENTING")?)
                    .await?
                    .map(|c| c.id),
                text: "Offer an evening run online each quarter".into(),
                training_request_ids: Vec::new(),
            },
        ],
    })?;
    let context = Context {
        today,
        supporters_for_panel: usize::try_from(supporters_for_panel).unwrap_or(usize::MAX),
    };
    let agreed = evaluation::create(db, the_panel.id, appraisal, context, actor).await?;
    evaluation::agree(db, the_panel.id, agreed.id, agreeing.id, None, today, actor).await?;

    needs_round(db, actor, today, &members, &staff).await?;
    Ok(true)
}

/// A round that closed ten days ago, answered by every member and a few senior officers.
async fn needs_round(
    db: &DatabaseConnection,
    actor: &Actor,
    today: NaiveDate,
    members: &[&Learner],
    staff: &[&Learner],
) -> Result<(), StoreError> {
    let round = pathway_domain::needs_assessment::Round::parse(RoundInput {
        title: "Members' and senior officers' training needs".into(),
        audience: RoundAudience::All,
        opens_on: today - Days::new(40),
        closes_on: today - Days::new(10),
        subjects: SUBJECTS.iter().map(|s| (*s).into()).collect(),
    })?;
    let answered_on = round.opens_on;
    let assessment = needs_assessment::create(db, round, actor).await?;
    let times = TimeOfDay::ALL;
    let formats = Format::ALL;
    for (i, respondent) in members.iter().chain(staff.iter().take(3)).enumerate() {
        let choices = (0..3)
            .map(|p| Choice {
                subject: SUBJECTS[(i * 2 + p) % SUBJECTS.len()].into(),
                priority: u8::try_from(p + 1).unwrap_or(3),
            })
            .collect();
        let answer = Answer {
            choices,
            comments: (i % 3 == 0).then(|| "More sessions outside working hours, please.".into()),
            accessibility: Accessibility {
                times_of_day: vec![times[i % times.len()], TimeOfDay::Evening],
                formats: vec![formats[i % formats.len()]],
                other_needs: (i == 1).then(|| "A hearing loop in the committee room".into()),
            },
        };
        needs_assessment::respond(db, assessment.id, respondent.id, answer, answered_on, actor)
            .await?;
    }
    Ok(())
}
