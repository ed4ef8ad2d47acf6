//! Sessions: one scheduled run of a course, with its seats, waitlist and attendance.

use chrono::{DateTime, Utc};
use uuid::Uuid;

use crate::course::{Audience, Course, CourseStatus};
use crate::error::Errors;
use crate::learner::{Learner, LearnerKind, LearnerStatus};
use crate::text;
use crate::{DomainError, vocabulary};

vocabulary!(
    /// A session is scheduled, then either cancelled or completed once attendance is in.
    SessionStatus { Scheduled => "scheduled", Cancelled => "cancelled", Completed => "completed" }
);

vocabulary!(
    /// A booking holds a seat, waits for one, or was cancelled.
    BookingStatus { Booked => "booked", Waitlisted => "waitlisted", Cancelled => "cancelled" }
);

vocabulary!(
    /// What happened to a booked seat once the session ran.
    Attendance { Attended => "attended", NoShow => "no_show" }
);

/// Large enough for the staff webinars (33 delegates each) with room to spare.
pub const MAX_CAPACITY: i32 = 1000;

/// A session's writable fields: the body of a create, and what a merge patch applies to.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({
    "course_id": "019a8f3e-5b1c-7d2e-9f40-1a2b3c4d5e70", "starts_at": "2027-01-12T09:30:00Z",
    "ends_at": "2027-01-12T16:30:00Z", "location": "Council House, Committee Room 3", "online_url": null,
    "capacity": 10, "facilitator": "ILM Centre"
}))]
pub struct SessionInput {
    /// A published course.
    pub course_id: Uuid,
    pub starts_at: DateTime<Utc>,
    /// After `starts_at`.
    pub ends_at: DateTime<Utc>,
    /// A room; a session needs this or `online_url`.
    #[serde(default)]
    pub location: Option<String>,
    /// An http(s) joining link, for webinars.
    #[serde(default)]
    pub online_url: Option<String>,
    #[schema(minimum = 1, maximum = 1000)]
    pub capacity: i32,
    #[serde(default)]
    pub facilitator: Option<String>,
}

/// A session's writable details, once every rule holds. Made only by [`SessionDetails::parse`],
/// so a session without a place to meet or with no places at all cannot exist.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SessionDetails {
    course_id: Uuid,
    starts_at: DateTime<Utc>,
    ends_at: DateTime<Utc>,
    /// A room, for classroom and workshop runs.
    location: Option<String>,
    /// A joining link, for webinars.
    online_url: Option<String>,
    capacity: i32,
    facilitator: Option<String>,
}

impl SessionDetails {
    pub fn parse(input: SessionInput) -> Result<Self, DomainError> {
        let mut errors = Errors::default();
        let location = errors.take(text::optional("location", input.location.as_deref(), 300));
        let online_url = errors.take(text::optional(
            "online_url",
            input.online_url.as_deref(),
            2000,
        ));
        let facilitator = errors.take(text::optional(
            "facilitator",
            input.facilitator.as_deref(),
            200,
        ));
        errors.check(
            input.ends_at > input.starts_at,
            "ends_at",
            "must be after starts_at",
        );
        errors.check(
            (1..=MAX_CAPACITY).contains(&input.capacity),
            "capacity",
            "must be between 1 and 1000",
        );
        if let Some(Some(url)) = &online_url {
            errors.check(
                url.starts_with("https://") || url.starts_with("http://"),
                "online_url",
                "must be an http(s) link",
            );
        }
        let placed = matches!(&location, Some(Some(_))) || matches!(&online_url, Some(Some(_)));
        errors.check(
            placed || location.is_none() || online_url.is_none(),
            "location",
            "a session needs a location or an online_url",
        );
        let details = (|| {
            Some(Self {
                course_id: input.course_id,
                starts_at: input.starts_at,
                ends_at: input.ends_at,
                location: location?,
                online_url: online_url?,
                capacity: input.capacity,
                facilitator: facilitator?,
            })
        })();
        errors.finish(details)
    }

    pub fn course_id(&self) -> Uuid {
        self.course_id
    }

    pub fn starts_at(&self) -> DateTime<Utc> {
        self.starts_at
    }

    pub fn ends_at(&self) -> DateTime<Utc> {
        self.ends_at
    }

    pub fn location(&self) -> Option<&str> {
        self.location.as_deref()
    }

    pub fn online_url(&self) -> Option<&str> {
        self.online_url.as_deref()
    }

    /// How many learners the session seats, from 1 to [`MAX_CAPACITY`].
    pub fn capacity(&self) -> i32 {
        self.capacity
    }

    pub fn facilitator(&self) -> Option<&str> {
        self.facilitator.as_deref()
    }

    pub fn to_input(&self) -> SessionInput {
        SessionInput {
            course_id: self.course_id,
            starts_at: self.starts_at,
            ends_at: self.ends_at,
            location: self.location.clone(),
            online_url: self.online_url.clone(),
            capacity: self.capacity,
            facilitator: self.facilitator.clone(),
        }
    }
}

/// One run of a course.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Session {
    pub id: Uuid,
    pub details: SessionDetails,
    pub status: SessionStatus,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub version: i32,
}

impl Audience {
    /// Whether a learner of `kind` is in this course's audience.
    pub fn admits(self, kind: LearnerKind) -> bool {
        matches!(
            (self, kind),
            (Audience::All, _)
                | (Audience::Employees, LearnerKind::Employee)
                | (Audience::Members, LearnerKind::ElectedMember)
        )
    }
}

impl SessionStatus {
    /// What a session's booked seats hold against the course's pillar: a scheduled session
    /// commits its cost per delegate for each seat; a completed one has spent it.
    pub fn movement(
        self,
        cost_per_delegate_pence: i64,
        seats: i64,
    ) -> Option<crate::budget::Movement> {
        use crate::budget::Movement;
        match self {
            SessionStatus::Scheduled => Some(Movement::Committed(cost_per_delegate_pence * seats)),
            SessionStatus::Completed => Some(Movement::Spent(cost_per_delegate_pence * seats)),
            SessionStatus::Cancelled => None,
        }
    }
}

/// Only a published course runs sessions.
pub fn check_schedulable(course: &Course) -> Result<(), DomainError> {
    if course.status == CourseStatus::Published {
        Ok(())
    } else {
        Err(DomainError::invalid(
            "course_id",
            format!(
                "course {} is {}; only published courses run sessions",
                course.details.code.as_str(),
                course.status
            ),
        ))
    }
}

impl Session {
    /// Whether the learner gets a seat or a place on the waitlist, given how many seats are
    /// taken. Refuses learners who have left, learners outside the course's audience, and
    /// sessions that are cancelled, over, or already started.
    pub fn book(
        &self,
        course: &Course,
        learner: &Learner,
        seats_taken: i64,
        now: DateTime<Utc>,
    ) -> Result<BookingStatus, DomainError> {
        if self.status != SessionStatus::Scheduled {
            return Err(DomainError::Conflict(format!(
                "the session is {}; only scheduled sessions take bookings",
                self.status
            )));
        }
        if self.details.starts_at <= now {
            return Err(DomainError::Conflict(
                "the session has already started".into(),
            ));
        }
        if learner.status == LearnerStatus::Left {
            return Err(DomainError::invalid(
                "learner_id",
                "the learner has left the council",
            ));
        }
        if !course.details.audience.admits(learner.profile.kind) {
            return Err(DomainError::invalid(
                "learner_id",
                format!(
                    "course {} is for {}; the learner is an {}",
                    course.details.code.as_str(),
                    course.details.audience,
                    learner.profile.kind
                ),
            ));
        }
        Ok(if seats_taken < i64::from(self.details.capacity) {
            BookingStatus::Booked
        } else {
            BookingStatus::Waitlisted
        })
    }

    /// Cancelling a session cancels its bookings with it.
    pub fn cancel(&self) -> Result<SessionStatus, DomainError> {
        match self.status {
            SessionStatus::Scheduled => Ok(SessionStatus::Cancelled),
            other => Err(DomainError::transition(
                "session",
                other,
                "cancel",
                &[SessionStatus::Scheduled],
            )),
        }
    }

    /// Attendance is taken once the session has started, and never for a cancelled one.
    pub fn check_attendance(&self, now: DateTime<Utc>) -> Result<(), DomainError> {
        if self.status == SessionStatus::Cancelled {
            return Err(DomainError::Conflict(
                "the session was cancelled; there is no attendance to take".into(),
            ));
        }
        if now < self.details.starts_at {
            return Err(DomainError::Conflict(
                "attendance is taken once the session has started".into(),
            ));
        }
        Ok(())
    }

    /// Checks an edit: the course a session runs cannot change, and neither can a session that
    /// is over; capacity never drops below the seats already booked.
    pub fn revise(
        &self,
        details: SessionDetails,
        seats_taken: i64,
    ) -> Result<SessionDetails, DomainError> {
        if self.status != SessionStatus::Scheduled {
            return Err(DomainError::Conflict(format!(
                "a {} session cannot be edited",
                self.status
            )));
        }
        let mut errors = Errors::default();
        errors.check(
            details.course_id == self.details.course_id,
            "course_id",
            "cannot change; schedule a new session",
        );
        errors.check(
            i64::from(details.capacity) >= seats_taken,
            "capacity",
            &format!("{seats_taken} learners hold seats; cancel bookings before reducing capacity below that"),
        );
        errors.into_result().map(|()| details)
    }
}

/// A learner's booking on a session.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Booking {
    pub id: Uuid,
    pub session_id: Uuid,
    pub learner_id: Uuid,
    pub status: BookingStatus,
    /// For a waitlisted booking: 1 is the next to be promoted.
    pub waitlist_position: Option<i64>,
    pub attendance: Option<Attendance>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl Booking {
    pub fn cancel(&self) -> Result<BookingStatus, DomainError> {
        match self.status {
            BookingStatus::Booked | BookingStatus::Waitlisted if self.attendance.is_none() => {
                Ok(BookingStatus::Cancelled)
            }
            BookingStatus::Cancelled => Err(DomainError::Conflict(
                "the booking is already cancelled".into(),
            )),
            _ => Err(DomainError::Conflict(
                "attendance is recorded; the booking can no longer be cancelled".into(),
            )),
        }
    }

    /// Only a booked seat has attendance; a waitlisted learner never had a place.
    pub fn attend(&self, attendance: Attendance) -> Result<Attendance, DomainError> {
        if self.status == BookingStatus::Booked {
            Ok(attendance)
        } else {
            Err(DomainError::invalid(
                "learner_id",
                format!("the learner's booking is {}, not booked", self.status),
            ))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::course::CourseInput;
    use crate::course::tests::{completed, course, draft};
    use crate::learner::{LearnerDraft, LearnerProfile};
    use chrono::{Duration, NaiveDate};

    fn at(hour: u32) -> DateTime<Utc> {
        NaiveDate::from_ymd_opt(2026, 6, 1)
            .and_then(|d| d.and_hms_opt(hour, 0, 0))
            .map(|t| t.and_utc())
            .expect("a time")
    }

    fn session_input() -> SessionInput {
        SessionInput {
            course_id: Uuid::now_v7(),
            starts_at: at(10),
            ends_at: at(12),
            location: Some("Council House, Room 2".into()),
            online_url: None,
            capacity: 10,
            facilitator: None,
        }
    }

    fn session(status: SessionStatus) -> Session {
        Session {
            id: Uuid::now_v7(),
            details: SessionDetails::parse(session_input()).expect("valid"),
            status,
            created_at: at(0),
            updated_at: at(0),
            version: 1,
        }
    }

    fn learner(kind: LearnerKind, status: LearnerStatus) -> Learner {
        let draft = match kind {
            LearnerKind::Employee => LearnerDraft {
                kind: Some(kind),
                given_name: "A".into(),
                family_name: "B".into(),
                email: "a@council.gov.uk".into(),
                ..LearnerDraft::default()
            },
            LearnerKind::ElectedMember => LearnerDraft {
                kind: Some(kind),
                given_name: "C".into(),
                family_name: "D".into(),
                email: "c@council.gov.uk".into(),
                ..LearnerDraft::default()
            },
        };
        Learner {
            id: Uuid::now_v7(),
            profile: LearnerProfile::parse(
                draft,
                NaiveDate::from_ymd_opt(2025, 1, 1).expect("a date"),
            )
            .expect("valid"),
            status,
            left_on: None,
            created_at: at(0),
            updated_at: at(0),
            version: 1,
        }
    }

    fn published(audience: Audience) -> Course {
        course(
            CourseInput {
                audience,
                equality_impact_assessment: completed(),
                ..draft("ILM5")
            },
            CourseStatus::Published,
        )
    }

    #[test]
    fn a_session_needs_a_place_an_end_after_its_start_and_a_sensible_capacity() {
        let bad = SessionInput {
            ends_at: at(10),
            location: None,
            capacity: 0,
            ..session_input()
        };
        let Err(DomainError::Invalid(fields)) = SessionDetails::parse(bad) else {
            panic!("expected invalid")
        };
        let names: Vec<_> = fields.iter().map(|f| f.field.as_str()).collect();
        assert_eq!(names, ["ends_at", "capacity", "location"]);
        let online = SessionInput {
            location: None,
            online_url: Some("https://teams.example/join".into()),
            ..session_input()
        };
        assert!(SessionDetails::parse(online).is_ok());
        let not_a_link = SessionInput {
            online_url: Some("teams meeting".into()),
            ..session_input()
        };
        assert!(SessionDetails::parse(not_a_link).is_err());
    }

    #[test]
    fn the_last_seat_is_booked_and_the_next_learner_waits() {
        let s = session(SessionStatus::Scheduled);
        let (course, person) = (
            published(Audience::All),
            learner(LearnerKind::Employee, LearnerStatus::Active),
        );
        assert_eq!(
            s.book(&course, &person, 9, at(9)),
            Ok(BookingStatus::Booked)
        );
        assert_eq!(
            s.book(&course, &person, 10, at(9)),
            Ok(BookingStatus::Waitlisted)
        );
    }

    #[test]
    fn bookings_are_refused_for_leavers_outsiders_and_sessions_not_open() {
        let s = session(SessionStatus::Scheduled);
        let course = published(Audience::Members);
        let member = learner(LearnerKind::ElectedMember, LearnerStatus::Active);
        assert!(matches!(
            s.book(
                &course,
                &learner(LearnerKind::Employee, LearnerStatus::Active),
                0,
                at(9)
            ),
            Err(DomainError::Invalid(_))
        ));
        assert!(matches!(
            s.book(
                &course,
                &learner(LearnerKind::ElectedMember, LearnerStatus::Left),
                0,
                at(9)
            ),
            Err(DomainError::Invalid(_))
        ));
        assert!(
            matches!(
                s.book(&course, &member, 0, at(10)),
                Err(DomainError::Conflict(_))
            ),
            "started"
        );
        assert!(matches!(
            session(SessionStatus::Cancelled).book(&course, &member, 0, at(9)),
            Err(DomainError::Conflict(_))
        ));
        assert_eq!(
            s.book(&course, &member, 0, at(9) + Duration::minutes(59)),
            Ok(BookingStatus::Booked)
        );
    }

    #[test]
    fn attendance_waits_for_the_start_and_never_comes_for_a_cancelled_session() {
        let s = session(SessionStatus::Scheduled);
        assert!(s.check_attendance(at(9)).is_err());
        assert!(s.check_attendance(at(10)).is_ok());
        assert!(
            session(SessionStatus::Cancelled)
                .check_attendance(at(13))
                .is_err()
        );
    }

    #[test]
    fn capacity_cannot_drop_below_the_seats_taken_nor_the_course_change() {
        let s = session(SessionStatus::Scheduled);
        let smaller = SessionDetails {
            capacity: 4,
            ..s.details.clone()
        };
        assert!(s.revise(smaller.clone(), 5).is_err());
        assert!(s.revise(smaller, 4).is_ok());
        let other_course = SessionDetails {
            course_id: Uuid::now_v7(),
            ..s.details.clone()
        };
        assert!(s.revise(other_course, 0).is_err());
        assert!(
            session(SessionStatus::Completed)
                .revise(s.details.clone(), 0)
                .is_err()
        );
    }

    #[test]
    fn only_scheduled_sessions_cancel() {
        assert_eq!(
            session(SessionStatus::Scheduled).cancel(),
            Ok(SessionStatus::Cancelled)
        );
        assert!(session(SessionStatus::Cancelled).cancel().is_err());
        assert!(session(SessionStatus::Completed).cancel().is_err());
    }

    fn booking(status: BookingStatus, attendance: Option<Attendance>) -> Booking {
        Booking {
            id: Uuid::now_v7(),
            session_id: Uuid::now_v7(),
            learner_id: Uuid::now_v7(),
            status,
            waitlist_position: None,
            attendance,
            created_at: at(0),
            updated_at: at(0),
        }
    }

    #[test]
    fn a_booking_cancels_once_and_not_after_attendance() {
        assert_eq!(
            booking(BookingStatus::Waitlisted, None).cancel(),
            Ok(BookingStatus::Cancelled)
        );
        assert!(booking(BookingStatus::Cancelled, None).cancel().is_err());
        assert!(
            booking(BookingStatus::Booked, Some(Attendance::Attended))
                .cancel()
                .is_err()
        );
    }

    #[test]
    fn only_booked_seats_have_attendance() {
        assert_eq!(
            booking(BookingStatus::Booked, None).attend(Attendance::NoShow),
            Ok(Attendance::NoShow)
        );
        assert!(
            booking(BookingStatus::Waitlisted, None)
                .attend(Attendance::Attended)
                .is_err()
        );
    }
}
