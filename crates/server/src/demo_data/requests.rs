//! Demo money: the staff strategy's extra GBP 1,400,000 over four years, split by pillar, and
//! training requests in every status of the pro-forma's workflow.

use chrono::{Duration, NaiveDate, Utc};
use pathway_domain::audit::Actor;
use pathway_domain::budget::FinancialYear;
use pathway_domain::calendar::london_date;
use pathway_domain::course::Pillar;
use pathway_domain::learner::{LearnerKind, LearnerStatus};
use pathway_domain::training_request::{RequestAction, RequestDetails, RequestKind};
use pathway_persistence::effects::write;
use pathway_persistence::learner::LearnerFilter;
use pathway_persistence::page::PageRequest;
use pathway_persistence::training_request::{self as requests, ActionInput};
use pathway_persistence::{DatabaseConnection, StoreError, budget, learner};

/// GBP 350,000 a year, in pence, split 30/40/10/20 across the pillars.
const YEARLY: &[(Pillar, i64)] = &[
    (Pillar::Leadership, 10_500_000),
    (Pillar::Professional, 14_000_000),
    (Pillar::Personal, 3_500_000),
    (Pillar::Essential, 7_000_000),
];

/// Adds the budgets and requests unless this year's budget is there; says whether it added them.
pub async fn load(db: &DatabaseConnection, actor: &Actor) -> Result<bool, StoreError> {
    let today = london_date(Utc::now());
    let this_year = FinancialYear::containing(today);
    if budget::get(db, this_year).await.is_ok() {
        return Ok(false);
    }
    // The year before this one, this one and the two after: four years of the strategy.
    for offset in [-1, 0, 1, 2] {
        budget::set(db, this_year.offset(offset), YEARLY.to_vec(), false, actor).await?;
    }
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
    let members: Vec<_> = everyone
        .iter()
        .filter(|l| l.profile.kind == LearnerKind::ElectedMember)
        .collect();
    let staff: Vec<_> = everyone
        .iter()
        .filter(|l| l.profile.kind == LearnerKind::Employee)
        .collect();
    let (Some(member), Some(officer)) = (members.first(), staff.get(10)) else {
        return Ok(true);
    };

    use RequestAction::{Approve, Book, Cancel, Complete, Reject, Submit, Withdraw};
    let plans: &[(&str, &str, i64, i64, &[RequestAction])] = &[
        ("LGA Councillor Workbook: scrutiny", "LGA", 0, 18_000, &[]),
        (
            "LGA Leadership Essentials: planning",
            "LGA",
            40,
            45_000,
            &[Submit],
        ),
        (
            "Licensing Act refresher (regional)",
            "Institute of Licensing",
            60,
            32_000,
            &[Submit, Approve],
        ),
        (
            "Chairing skills masterclass",
            "LGA",
            75,
            60_000,
            &[Submit, Approve, Book],
        ),
        (
            "Data protection for ward casework",
            "ICO",
            -30,
            12_000,
            &[Submit, Approve, Book, Complete],
        ),
        (
            "Social media for councillors",
            "LGA",
            20,
            9_000,
            &[Submit, Reject],
        ),
        (
            "Budget scrutiny seminar",
            "CIPFA",
            50,
            25_000,
            &[Submit, Withdraw],
        ),
        (
            "Equality impact in practice",
            "EHRC",
            35,
            15_000,
            &[Submit, Approve, Cancel],
        ),
    ];
    for (i, (title, provider, days_ahead, cost, steps)) in plans.iter().enumerate() {
        let requester = if i % 2 == 0 { *member } else { *officer };
        let starts_on: NaiveDate = today + Duration::days(*days_ahead);
        let details = RequestDetails {
            kind: RequestKind::OneOff,
            title: (*title).into(),
            provider: (*provider).into(),
            justification: "Identified in this year's training needs assessment.".into(),
            development_need: "Confidence and current knowledge in the role.".into(),
            course_id: None,
            starts_on,
            ends_on: starts_on,
            estimated_cost_pence: *cost,
            pillar: Pillar::Professional,
        };
        let request = requests::create(db, requester.id, details, actor).await?;
        for step in *steps {
            let input = ActionInput {
                reason: (*step == Reject)
                    .then(|| "Covered by the in-house programme this year.".into()),
                actual_cost_pence: (*step == Complete).then_some(cost - 1_500),
                ..ActionInput::default()
            };
            write(db, actor, async |change| {
                requests::act(change, request.id, *step, input).await
            })
            .await?;
        }
    }
    // Several members asking together for what the offer lacks: ready for the panel.
    let details = RequestDetails {
        kind: RequestKind::Additional,
        title: "Understanding the new planning reforms".into(),
        provider: "In-house with the Planning Advisory Service".into(),
        justification: "Several members need a greater understanding of the national reforms."
            .into(),
        development_need: "What the reforms change for committee decisions.".into(),
        course_id: None,
        starts_on: today + Duration::days(90),
        ends_on: today + Duration::days(90),
        estimated_cost_pence: 120_000,
        pillar: Pillar::Professional,
    };
    let additional = requests::create(db, member.id, details, actor).await?;
    for supporter in members.iter().skip(1).take(3) {
        requests::support(db, additional.id, supporter.id, actor).await?;
    }
    Ok(true)
}
