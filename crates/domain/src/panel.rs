//! The Cabinet Member Advisory Panel: who sits on it, and the record of its meetings.

use chrono::{DateTime, NaiveDate, Utc};
use uuid::Uuid;

use crate::calendar;
use crate::error::Errors;
use crate::learner::LearnerKind;
use crate::{DomainError, text, vocabulary};

vocabulary!(
    /// What a person does on the panel: elected members chair or sit on it, officers support it.
    PanelRole {
        Chair => "chair",
        ViceChair => "vice_chair",
        Member => "member",
        Officer => "officer"
    }
);

impl PanelRole {
    /// Officers are employees; every other seat is an elected member's.
    pub fn fits(self, kind: LearnerKind) -> bool {
        (self == PanelRole::Officer) == (kind == LearnerKind::Employee)
    }
}

/// A panel's writable fields.
#[derive(Debug, PartialEq, Clone, serde::Serialize, serde::Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({
    "name": "Member Development Cabinet Member Advisory Panel",
    "purpose": "Review members' training needs, recommend a programme, monitor its delivery and evaluate it",
    "advises": "Cabinet Member for Policy and Leadership"
}))]
pub struct PanelInput {
    pub name: String,
    pub purpose: String,
    /// The Cabinet Member the panel advises.
    pub advises: String,
}

impl From<&PanelDetails> for PanelInput {
    fn from(details: &PanelDetails) -> Self {
        Self {
            name: details.name.clone(),
            purpose: details.purpose.clone(),
            advises: details.advises.clone(),
        }
    }
}

/// A panel's name, what it is for, and the Cabinet Member it advises.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PanelDetails {
    pub name: String,
    pub purpose: String,
    pub advises: String,
}

impl PanelDetails {
    pub fn parse(input: PanelInput) -> Result<Self, DomainError> {
        let mut errors = Errors::default();
        let name = errors.take(text::required("name", &input.name, 200));
        let purpose = errors.take(text::required("purpose", &input.purpose, 4000));
        let advises = errors.take(text::required("advises", &input.advises, 200));
        let details = (|| {
            Some(Self {
                name: name?,
                purpose: purpose?,
                advises: advises?,
            })
        })();
        errors.finish(details)
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Panel {
    pub id: Uuid,
    pub details: PanelDetails,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub version: i32,
}

/// A seat on a panel: the role and the days it is held.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Seat {
    pub role: PanelRole,
    pub joined_on: NaiveDate,
    /// The first day they are no longer on the panel; none while they sit on it.
    pub left_on: Option<NaiveDate>,
}

impl Seat {
    /// Checks a seat for a learner of `kind`.
    pub fn parse(
        role: PanelRole,
        joined_on: NaiveDate,
        left_on: Option<NaiveDate>,
        kind: LearnerKind,
    ) -> Result<Self, DomainError> {
        let mut errors = Errors::default();
        errors.check(
            role.fits(kind),
            "role",
            if kind == LearnerKind::Employee {
                "an employee sits on the panel as an officer"
            } else {
                "an elected member sits on the panel as chair, vice_chair or member"
            },
        );
        for (field, day) in [("joined_on", Some(joined_on)), ("left_on", left_on)] {
            errors.check(
                day.is_none_or(calendar::is_plausible),
                field,
                calendar::PLAUSIBLE,
            );
        }
        errors.check(
            left_on.is_none_or(|left| left > joined_on),
            "left_on",
            "must be after joined_on",
        );
        errors.into_result()?;
        Ok(Self {
            role,
            joined_on,
            left_on,
        })
    }

    pub fn is_held_on(&self, day: NaiveDate) -> bool {
        self.joined_on <= day && self.left_on.is_none_or(|left| left > day)
    }
}

/// A learner's seat on a panel, with their political group as it stands.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PanelMember {
    pub id: Uuid,
    pub panel_id: Uuid,
    pub learner_id: Uuid,
    pub name: String,
    pub kind: LearnerKind,
    pub political_group: Option<String>,
    pub seat: Seat,
    pub version: i32,
}

/// A meeting's record, as written.
#[derive(Debug, PartialEq, Clone, serde::Serialize, serde::Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({
    "held_on": "2025-06-10",
    "agenda": ["Results of the members' training needs survey", "Draft programme for 2025-26"],
    "attendees": ["019a8f3e-0000-7000-8000-000000000001"],
    "minutes": "The panel reviewed the survey and agreed the draft programme.",
    "decisions": ["Recommend the draft programme to the Cabinet Member"]
}))]
pub struct MeetingInput {
    pub held_on: NaiveDate,
    #[serde(default)]
    pub agenda: Vec<String>,
    /// Learners present.
    #[serde(default)]
    pub attendees: Vec<Uuid>,
    #[serde(default)]
    pub minutes: Option<String>,
    #[serde(default)]
    pub decisions: Vec<String>,
}

impl From<&MeetingRecord> for MeetingInput {
    fn from(record: &MeetingRecord) -> Self {
        Self {
            held_on: record.held_on,
            agenda: record.agenda.clone(),
            attendees: record.attendees.clone(),
            minutes: record.minutes.clone(),
            decisions: record.decisions.clone(),
        }
    }
}

/// The record of one meeting.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MeetingRecord {
    pub held_on: NaiveDate,
    pub agenda: Vec<String>,
    /// Learners present, once each, in the order given.
    pub attendees: Vec<Uuid>,
    pub minutes: Option<String>,
    pub decisions: Vec<String>,
}

const MAX_ITEMS: usize = 100;

impl MeetingRecord {
    pub fn parse(input: MeetingInput) -> Result<Self, DomainError> {
        let mut errors = Errors::default();
        errors.check(
            calendar::is_plausible(input.held_on),
            "held_on",
            calendar::PLAUSIBLE,
        );
        let agenda = errors.take(items("agenda", &input.agenda));
        let decisions = errors.take(items("decisions", &input.decisions));
        let minutes = errors.take(text::optional("minutes", input.minutes.as_deref(), 50_000));
        errors.check(
            input.attendees.len() <= 500,
            "attendees",
            "must list at most 500 people",
        );
        let mut attendees = Vec::with_capacity(input.attendees.len());
        for id in input.attendees {
            if !attendees.contains(&id) {
                attendees.push(id);
            }
        }
        let record = (|| {
            Some(Self {
                held_on: input.held_on,
                agenda: agenda?,
                attendees,
                minutes: minutes?,
                decisions: decisions?,
            })
        })();
        errors.finish(record)
    }
}

/// Agenda items and decisions: each a line of text, up to a hundred of them.
fn items(field: &str, raw: &[String]) -> Result<Vec<String>, DomainError> {
    if raw.len() > MAX_ITEMS {
        return Err(DomainError::invalid(
            field,
            format!("must have at most {MAX_ITEMS} items"),
        ));
    }
    raw.iter()
        .map(|item| text::required(field, item, 2000))
        .collect()
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Meeting {
    pub id: Uuid,
    pub panel_id: Uuid,
    pub record: MeetingRecord,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub version: i32,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(s: &str) -> NaiveDate {
        s.parse().expect("a date")
    }

    #[test]
    fn members_chair_and_sit_and_officers_support() {
        let joined = day("2025-05-20");
        assert!(Seat::parse(PanelRole::Chair, joined, None, LearnerKind::ElectedMember).is_ok());
        assert!(Seat::parse(PanelRole::Officer, joined, None, LearnerKind::Employee).is_ok());
        assert!(Seat::parse(PanelRole::Member, joined, None, LearnerKind::Employee).is_err());
        assert!(Seat::parse(PanelRole::Officer, joined, None, LearnerKind::ElectedMember).is_err());
        assert!(
            Seat::parse(
                PanelRole::Member,
                joined,
                Some(joined),
                LearnerKind::ElectedMember
            )
            .is_err(),
            "a seat is held for at least a day"
        );
    }

    #[test]
    fn a_seat_is_held_from_joining_until_the_day_before_leaving() {
        let seat = Seat::parse(
            PanelRole::Member,
            day("2025-05-20"),
            Some(day("2026-05-07")),
            LearnerKind::ElectedMember,
        )
        .expect("a seat");
        assert!(!seat.is_held_on(day("2025-05-19")));
        assert!(seat.is_held_on(day("2025-05-20")));
        assert!(seat.is_held_on(day("2026-05-06")));
        assert!(!seat.is_held_on(day("2026-05-07")));
    }

    #[test]
    fn a_meeting_record_keeps_each_attendee_once_and_refuses_blank_items() {
        let someone = Uuid::now_v7();
        let draft = MeetingInput {
            held_on: day("2026-06-10"),
            agenda: vec!["Training needs survey results".into()],
            attendees: vec![someone, someone],
            minutes: Some("  ".into()),
            decisions: vec![],
        };
        let record = MeetingRecord::parse(draft.clone()).expect("a record");
        assert_eq!(record.attendees, [someone]);
        assert_eq!(record.minutes, None);
        let blank = MeetingInput {
            agenda: vec![" ".into()],
            ..draft
        };
        assert!(MeetingRecord::parse(blank).is_err());
    }
}
