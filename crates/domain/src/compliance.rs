//! Who must have which training, by when, and whether they have it.
//!
//! A requirement says a course is required of the learners its selector matches. It starts
//! applying to a learner on the latest of: their start date, the day they took the seat the
//! selector names, the rule's `effective_from`, and the course's go-live date; it is due
//! `due_within_days` after that. A completion counts until it expires, so a course with a
//! validity is a refresher that falls due again on its own.

use chrono::{DateTime, Days, NaiveDate, Utc};
use uuid::Uuid;

use crate::error::Errors;
use crate::learner::LearnerKind;
use crate::{DomainError, calendar, text, vocabulary};

vocabulary!(
    /// Which learners a requirement is for.
    SelectorKind {
        All => "all",
        Employees => "employees",
        ElectedMembers => "elected_members",
        /// Members with a seat on the named committee.
        Committee => "committee",
        /// Learners holding the named special responsibility.
        Responsibility => "responsibility",
        Department => "department",
        JobTitle => "job_title",
    }
);

vocabulary!(
    /// A committee seat or a special responsibility: the kinds of seat a learner holds.
    SeatKind { Committee => "committee", Responsibility => "responsibility" }
);

vocabulary!(
    /// Where a learner stands on one requirement, or overall.
    ComplianceStatus {
        /// Completed, and the completion is valid beyond the window.
        Compliant => "compliant",
        /// Due, or expiring, within the window.
        DueSoon => "due_soon",
        /// Never completed and past its due day.
        Overdue => "overdue",
        /// Completed once, but the completion is past its validity.
        Expired => "expired",
        /// Not yet due and not completed.
        NotStarted => "not_started",
    }
);

impl ComplianceStatus {
    /// Orders statuses from fine to worst, so a learner's overall status is their worst item's.
    pub fn severity(self) -> u8 {
        match self {
            Self::Compliant => 0,
            Self::NotStarted => 1,
            Self::DueSoon => 2,
            Self::Expired => 3,
            Self::Overdue => 4,
        }
    }

    /// Whether this is a breach: training past its due day or past its validity. A learner
    /// with nothing in breach counts as compliant in the organisation's figures.
    pub fn in_breach(self) -> bool {
        matches!(self, Self::Overdue | Self::Expired)
    }
}

/// The worst of a learner's statuses; with nothing required, they are compliant.
pub fn overall(statuses: impl IntoIterator<Item = ComplianceStatus>) -> ComplianceStatus {
    statuses
        .into_iter()
        .max_by_key(|s| s.severity())
        .unwrap_or(ComplianceStatus::Compliant)
}

/// Which learners a requirement is for: a kind, and for the last four a name to match exactly.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Selector {
    pub kind: SelectorKind,
    pub value: Option<String>,
}

impl SelectorKind {
    /// Committees, responsibilities, departments and job titles are named; the rest are not.
    pub fn takes_value(self) -> bool {
        matches!(
            self,
            Self::Committee | Self::Responsibility | Self::Department | Self::JobTitle
        )
    }

    /// The seat this selector names, when it names one.
    pub fn seat(self) -> Option<SeatKind> {
        match self {
            Self::Committee => Some(SeatKind::Committee),
            Self::Responsibility => Some(SeatKind::Responsibility),
            _ => None,
        }
    }
}

impl Selector {
    pub fn parse(kind: SelectorKind, value: Option<&str>) -> Result<Self, DomainError> {
        let value = text::optional("selector.value", value, 200)?;
        match (kind.takes_value(), &value) {
            (true, None) => Err(DomainError::invalid(
                "selector.value",
                format!("is required for a {kind} selector"),
            )),
            (false, Some(_)) => Err(DomainError::invalid(
                "selector.value",
                format!("must be absent for a {kind} selector"),
            )),
            _ => Ok(Self { kind, value }),
        }
    }
}

/// A committee seat or special responsibility, held from `started_on` until `ended_on`
/// (the first day it is no longer held), or still held.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Seat {
    pub kind: SeatKind,
    pub name: String,
    pub started_on: NaiveDate,
    pub ended_on: Option<NaiveDate>,
}

impl Seat {
    pub fn held_on(&self, day: NaiveDate) -> bool {
        self.started_on <= day && self.ended_on.is_none_or(|ended| day < ended)
    }
}

/// What the rules need to know of a learner.
#[derive(Debug, Clone, Copy)]
pub struct Subject<'a> {
    pub kind: LearnerKind,
    pub department: Option<&'a str>,
    pub job_title: Option<&'a str>,
    pub started_on: NaiveDate,
    /// Every seat the learner holds or held, with its dates.
    pub seats: &'a [Seat],
}

/// The longest time a rule may give: five years.
const MAX_DUE_WITHIN_DAYS: i32 = 1826;

/// Which learners a requirement is for. `value` names the committee, responsibility,
/// department or job title (matched exactly) and is absent for the other kinds.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(as = SelectorBody)]
#[schema(example = json!({"kind": "committee", "value": "Planning"}))]
pub struct SelectorInput {
    pub kind: SelectorKind,
    #[serde(default)]
    pub value: Option<String>,
}

/// A requirement's writable fields: the body of a create, and what a merge patch applies to.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({
    "course_id": "019a8f3e-5b1c-7d2e-9f40-1a2b3c4d5e70",
    "selector": {"kind": "committee", "value": "Planning"},
    "due_within_days": 90, "effective_from": "2026-05-21", "effective_until": null
}))]
pub struct RequirementInput {
    /// The course required; not a retired one.
    pub course_id: Uuid,
    pub selector: SelectorInput,
    /// Days allowed from when the rule starts applying to a learner: the latest of their start
    /// date, the day they took the seat the selector names, `effective_from`, and the course's
    /// go-live date.
    #[schema(minimum = 0, maximum = 1826, example = 90)]
    pub due_within_days: i32,
    /// The first day the rule applies; today when absent.
    #[serde(default)]
    pub effective_from: Option<NaiveDate>,
    /// The last day the rule applies; null until further notice.
    #[serde(default)]
    pub effective_until: Option<NaiveDate>,
}

impl From<&Rule> for RequirementInput {
    fn from(rule: &Rule) -> Self {
        Self {
            course_id: rule.course_id,
            selector: SelectorInput {
                kind: rule.selector.kind,
                value: rule.selector.value.clone(),
            },
            due_within_days: i32::try_from(rule.due_within_days).unwrap_or(i32::MAX),
            effective_from: Some(rule.effective_from),
            effective_until: rule.effective_until,
        }
    }
}

/// The part of a requirement that clients write, once every rule holds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rule {
    pub course_id: Uuid,
    pub selector: Selector,
    pub due_within_days: u32,
    pub effective_from: NaiveDate,
    /// The last day the rule applies; `None` applies until further notice.
    pub effective_until: Option<NaiveDate>,
}

impl Rule {
    /// Parses a draft, reporting every bad field at once. `today` stands in for a missing
    /// `effective_from`.
    pub fn parse(input: RequirementInput, today: NaiveDate) -> Result<Self, DomainError> {
        let mut errors = Errors::default();
        let selector = errors.take(Selector::parse(
            input.selector.kind,
            input.selector.value.as_deref(),
        ));
        errors.check(
            (0..=MAX_DUE_WITHIN_DAYS).contains(&input.due_within_days),
            "due_within_days",
            "must be between 0 and 1826 (five years)",
        );
        let effective_from = input.effective_from.unwrap_or(today);
        for (field, date) in [
            ("effective_from", Some(effective_from)),
            ("effective_until", input.effective_until),
        ] {
            errors.check(
                date.is_none_or(calendar::is_plausible),
                field,
                calendar::PLAUSIBLE,
            );
        }
        errors.check(
            input
                .effective_until
                .is_none_or(|until| effective_from <= until),
            "effective_until",
            "must not be before effective_from",
        );
        let rule = selector.map(|selector| Self {
            course_id: input.course_id,
            selector,
            due_within_days: input.due_within_days.unsigned_abs(),
            effective_from,
            effective_until: input.effective_until,
        });
        errors.finish(rule)
    }

    /// The day this rule started (or starts) applying to the learner, if it applies to them
    /// on `day`: the selector matches then, and the rule has not ended. A rule that has yet to
    /// take effect, or whose course has yet to go live, applies with a day still to come, so
    /// the learner sees it coming.
    pub fn applies_from(
        &self,
        subject: &Subject,
        go_live_on: Option<NaiveDate>,
        day: NaiveDate,
    ) -> Option<NaiveDate> {
        if self.effective_until.is_some_and(|until| day > until) {
            return None;
        }
        let matched_since = self.matched_since(subject, |seat| seat.held_on(day))?;
        Some(self.latest_start(subject, matched_since, go_live_on))
    }

    /// When this rule applies to the learner as they stand, with the seats they hold now and
    /// whatever the rule's own dates: what the organisation's figures keep for each learner,
    /// to be read against a day's dates later.
    pub fn applies_from_as_they_stand(
        &self,
        subject: &Subject,
        go_live_on: Option<NaiveDate>,
    ) -> Option<NaiveDate> {
        let matched_since = self.matched_since(subject, |seat| seat.ended_on.is_none())?;
        Some(self.latest_start(subject, matched_since, go_live_on))
    }

    fn latest_start(
        &self,
        subject: &Subject,
        matched_since: Option<NaiveDate>,
        go_live_on: Option<NaiveDate>,
    ) -> NaiveDate {
        [
            Some(subject.started_on),
            matched_since,
            Some(self.effective_from),
            go_live_on,
        ]
        .into_iter()
        .flatten()
        .max()
        .unwrap_or(self.effective_from)
    }

    /// `None` when the selector does not match; otherwise the start of the seat it matched,
    /// if it matched a seat, among those `held` accepts.
    fn matched_since(
        &self,
        subject: &Subject,
        held: impl Fn(&Seat) -> bool,
    ) -> Option<Option<NaiveDate>> {
        let value = self.selector.value.as_deref();
        let matches = match self.selector.kind {
            SelectorKind::All => true,
            SelectorKind::Employees => subject.kind == LearnerKind::Employee,
            SelectorKind::ElectedMembers => subject.kind == LearnerKind::ElectedMember,
            SelectorKind::Department => subject.department.is_some() && subject.department == value,
            SelectorKind::JobTitle => subject.job_title.is_some() && subject.job_title == value,
            SelectorKind::Committee | SelectorKind::Responsibility => {
                let kind = self.selector.kind.seat();
                return subject
                    .seats
                    .iter()
                    .find(|s| Some(s.kind) == kind && Some(s.name.as_str()) == value && held(s))
                    .map(|s| Some(s.started_on));
            }
        };
        matches.then_some(None)
    }

    /// The due day, at the latest the last day of 9999: stored dates keep four-digit years.
    pub fn due_on(&self, applies_from: NaiveDate) -> NaiveDate {
        let last = NaiveDate::from_ymd_opt(9999, 12, 31).unwrap_or(NaiveDate::MAX);
        applies_from
            .checked_add_days(Days::new(self.due_within_days.into()))
            .map_or(last, |due| due.min(last))
    }
}

/// A stored requirement.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Requirement {
    pub id: Uuid,
    pub rule: Rule,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub version: i32,
}

/// A completion as compliance sees it: when, and until when it counts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Attainment {
    pub completed_on: NaiveDate,
    /// The day it stops counting; `None` never expires.
    pub expires_on: Option<NaiveDate>,
}

impl Attainment {
    pub fn valid_on(&self, day: NaiveDate) -> bool {
        self.expires_on.is_none_or(|expires| day < expires)
    }
}

/// The completion that counts on `day`: of those completed by then, the one valid longest
/// (one that never expires beats any that does), the latest among equals. Completions
/// recorded for later days do not count yet.
pub fn counting(
    attainments: impl IntoIterator<Item = Attainment>,
    day: NaiveDate,
) -> Option<Attainment> {
    attainments
        .into_iter()
        .filter(|a| a.completed_on <= day)
        .max_by_key(|a| (a.expires_on.is_none(), a.expires_on, a.completed_on))
}

/// The status of one requirement on `day`, given when it is due and the completion that
/// counts. `window_days` is how far ahead "due soon" looks.
pub fn status(
    due_on: NaiveDate,
    counted: Option<Attainment>,
    day: NaiveDate,
    window_days: u32,
) -> ComplianceStatus {
    let horizon = day
        .checked_add_days(Days::new(window_days.into()))
        .unwrap_or(NaiveDate::MAX);
    match counted {
        Some(attained) if attained.valid_on(day) => {
            if attained.valid_on(horizon) {
                ComplianceStatus::Compliant
            } else {
                ComplianceStatus::DueSoon
            }
        }
        // A completion that has lapsed leaves the learner past due, unless this rule only
        // began applying recently and its own due day is still to come.
        _ if day > due_on && counted.is_some() => ComplianceStatus::Expired,
        _ if day > due_on => ComplianceStatus::Overdue,
        _ if due_on <= horizon => ComplianceStatus::DueSoon,
        _ => ComplianceStatus::NotStarted,
    }
}

/// How many learners stand at each status: the counts behind a compliance share.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Tally {
    counts: [u64; 5],
}

impl Tally {
    pub fn add(&mut self, status: ComplianceStatus, learners: u64) {
        self.counts[usize::from(status.severity())] += learners;
    }

    pub fn merge(&mut self, other: &Tally) {
        for (mine, theirs) in self.counts.iter_mut().zip(other.counts) {
            *mine += theirs;
        }
    }

    pub fn count(&self, status: ComplianceStatus) -> u64 {
        self.counts[usize::from(status.severity())]
    }

    pub fn learners(&self) -> u64 {
        self.counts.iter().sum()
    }

    /// Learners with nothing overdue or expired.
    pub fn compliant(&self) -> u64 {
        ComplianceStatus::ALL
            .iter()
            .filter(|s| !s.in_breach())
            .map(|s| self.count(*s))
            .sum()
    }

    pub fn non_compliant(&self) -> u64 {
        self.learners() - self.compliant()
    }

    /// The compliant share, 0 to 1, to four places; `None` when no one is counted.
    pub fn share(&self) -> Option<f64> {
        let learners = self.learners();
        // Counts of learners stay far below 2^52, so the conversion is exact.
        #[allow(clippy::cast_precision_loss)]
        (learners > 0)
            .then(|| (self.compliant() as f64 / learners as f64 * 10_000.0).round() / 10_000.0)
    }
}

/// A requirement with what compliance needs of its course.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RequiredCourse {
    pub requirement: Requirement,
    pub course_title: String,
    pub go_live_on: Option<NaiveDate>,
}

/// One requirement as it stands for one learner on a day.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Item {
    pub requirement_id: Uuid,
    pub course_id: Uuid,
    pub course_title: String,
    pub due_on: NaiveDate,
    pub counted: Option<Attainment>,
    pub status: ComplianceStatus,
}

/// Every requirement that applies to the learner on `day`, with its status. `completions`
/// pairs each of the learner's completions with its course.
pub fn assess(
    subject: &Subject,
    required: &[RequiredCourse],
    completions: &[(Uuid, Attainment)],
    day: NaiveDate,
    window_days: u32,
) -> Vec<Item> {
    required
        .iter()
        .filter_map(|required| {
            let rule = &required.requirement.rule;
            let applies_from = rule.applies_from(subject, required.go_live_on, day)?;
            let due_on = rule.due_on(applies_from);
            let of_course = completions
                .iter()
                .filter(|(course_id, _)| *course_id == rule.course_id)
                .map(|(_, attained)| *attained);
            let counted = counting(of_course, day);
            Some(Item {
                requirement_id: required.requirement.id,
                course_id: rule.course_id,
                course_title: required.course_title.clone(),
                due_on,
                counted,
                status: status(due_on, counted, day, window_days),
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn day(s: &str) -> NaiveDate {
        s.parse().expect("a date")
    }

    fn rule(kind: SelectorKind, value: Option<&str>, days: u32) -> Rule {
        Rule {
            course_id: Uuid::nil(),
            selector: Selector::parse(kind, value).expect("a selector"),
            due_within_days: days,
            effective_from: day("2020-01-01"),
            effective_until: None,
        }
    }

    fn member<'a>(seats: &'a [Seat]) -> Subject<'a> {
        Subject {
            kind: LearnerKind::ElectedMember,
            department: None,
            job_title: None,
            started_on: day("2023-05-04"),
            seats,
        }
    }

    fn planning(started_on: &str, ended_on: Option<&str>) -> Seat {
        Seat {
            kind: SeatKind::Committee,
            name: "Planning".into(),
            started_on: day(started_on),
            ended_on: ended_on.map(day),
        }
    }

    fn done(completed_on: &str, expires_on: Option<&str>) -> Attainment {
        Attainment {
            completed_on: day(completed_on),
            expires_on: expires_on.map(day),
        }
    }

    #[test]
    fn a_named_selector_needs_its_name_and_the_others_refuse_one() {
        assert!(Selector::parse(SelectorKind::Committee, None).is_err());
        assert!(Selector::parse(SelectorKind::Department, Some("  ")).is_err());
        assert!(Selector::parse(SelectorKind::All, Some("Planning")).is_err());
        assert!(Selector::parse(SelectorKind::JobTitle, Some("Social worker")).is_ok());
        assert!(Selector::parse(SelectorKind::Employees, None).is_ok());
    }

    #[test]
    fn a_draft_with_several_faults_reports_them_all() {
        let draft = RequirementInput {
            course_id: Uuid::nil(),
            selector: SelectorInput {
                kind: SelectorKind::Committee,
                value: None,
            },
            due_within_days: -1,
            effective_from: Some(day("2026-04-01")),
            effective_until: Some(day("2026-03-31")),
        };
        let Err(DomainError::Invalid(errors)) = Rule::parse(draft, day("2026-01-01")) else {
            panic!("expected invalid");
        };
        let fields: Vec<_> = errors.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(
            fields,
            ["selector.value", "due_within_days", "effective_until"]
        );
        let far = RequirementInput {
            course_id: Uuid::nil(),
            selector: SelectorInput {
                kind: SelectorKind::All,
                value: None,
            },
            due_within_days: 30,
            effective_from: Some(day("9999-12-01")),
            effective_until: None,
        };
        assert!(Rule::parse(far, day("2026-01-01")).is_err());
        let rule = rule(SelectorKind::All, None, 60);
        assert_eq!(rule.due_on(day("9999-12-01")), day("9999-12-31"));
    }

    #[test]
    fn a_committee_rule_applies_from_the_day_the_seat_was_taken() {
        let seats = [planning("2025-06-01", None)];
        let rule = rule(SelectorKind::Committee, Some("Planning"), 90);
        let from = rule.applies_from(&member(&seats), None, day("2026-01-01"));
        assert_eq!(from, Some(day("2025-06-01")));
        assert_eq!(rule.due_on(day("2025-06-01")), day("2025-08-30"));
    }

    #[test]
    fn a_seat_counts_from_its_first_day_until_the_day_before_it_ended() {
        let seats = [planning("2024-06-01", Some("2025-06-01"))];
        let rule = rule(SelectorKind::Committee, Some("Planning"), 90);
        let subject = member(&seats);
        assert_eq!(rule.applies_from(&subject, None, day("2024-05-31")), None);
        assert!(
            rule.applies_from(&subject, None, day("2024-06-01"))
                .is_some()
        );
        assert!(
            rule.applies_from(&subject, None, day("2025-05-31"))
                .is_some()
        );
        assert_eq!(rule.applies_from(&subject, None, day("2025-06-01")), None);
    }

    #[test]
    fn rejoining_a_committee_starts_the_clock_again() {
        let seats = [
            planning("2023-06-01", Some("2024-06-01")),
            planning("2026-02-01", None),
        ];
        let rule = rule(SelectorKind::Committee, Some("Planning"), 30);
        let from = rule.applies_from(&member(&seats), None, day("2026-03-01"));
        assert_eq!(from, Some(day("2026-02-01")));
    }

    #[test]
    fn a_rule_applies_from_the_latest_of_start_effective_and_go_live() {
        let mut rule = rule(SelectorKind::All, None, 30);
        let subject = member(&[]);
        assert_eq!(
            rule.applies_from(&subject, None, day("2026-01-01")),
            Some(day("2023-05-04")),
            "the learner's start"
        );
        rule.effective_from = day("2026-04-01");
        assert_eq!(
            rule.applies_from(&subject, None, day("2026-01-01")),
            Some(day("2026-04-01")),
            "a rule yet to take effect applies from then"
        );
        assert_eq!(
            rule.applies_from(&subject, Some(day("2026-05-01")), day("2026-01-01")),
            Some(day("2026-05-01")),
            "a course yet to go live"
        );
    }

    #[test]
    fn as_they_stand_a_rule_follows_the_seats_held_now_and_ignores_its_end() {
        let seats = [
            planning("2023-06-01", Some("2024-06-01")),
            planning("2026-02-01", None),
        ];
        let mut rule = rule(SelectorKind::Committee, Some("Planning"), 30);
        rule.effective_until = Some(day("2025-01-01"));
        assert_eq!(
            rule.applies_from_as_they_stand(&member(&seats), None),
            Some(day("2026-02-01"))
        );
        let gone = [planning("2023-06-01", Some("2024-06-01"))];
        assert_eq!(rule.applies_from_as_they_stand(&member(&gone), None), None);
    }

    #[test]
    fn a_rule_stops_applying_after_its_last_day() {
        let mut rule = rule(SelectorKind::ElectedMembers, None, 30);
        rule.effective_until = Some(day("2026-03-31"));
        let subject = member(&[]);
        assert!(
            rule.applies_from(&subject, None, day("2026-03-31"))
                .is_some()
        );
        assert_eq!(rule.applies_from(&subject, None, day("2026-04-01")), None);
    }

    #[test]
    fn selectors_match_kinds_departments_and_job_titles_exactly() {
        let officer = Subject {
            kind: LearnerKind::Employee,
            department: Some("Planning Services"),
            job_title: Some("Planning officer"),
            started_on: day("2020-01-01"),
            seats: &[],
        };
        let on = day("2026-01-01");
        let applies = |kind, value| {
            rule(kind, value, 0)
                .applies_from(&officer, None, on)
                .is_some()
        };
        assert!(applies(SelectorKind::Employees, None));
        assert!(!applies(SelectorKind::ElectedMembers, None));
        assert!(applies(SelectorKind::Department, Some("Planning Services")));
        assert!(!applies(
            SelectorKind::Department,
            Some("planning services")
        ));
        assert!(applies(SelectorKind::JobTitle, Some("Planning officer")));
        assert!(!applies(SelectorKind::Committee, Some("Planning")));
    }

    #[test]
    fn never_completed_is_not_started_then_due_soon_then_due_then_overdue() {
        let due = day("2026-06-30");
        let on = |d: &str| status(due, None, day(d), 30);
        assert_eq!(on("2026-05-30"), ComplianceStatus::NotStarted);
        assert_eq!(on("2026-05-31"), ComplianceStatus::DueSoon);
        assert_eq!(on("2026-06-30"), ComplianceStatus::DueSoon, "due today");
        assert_eq!(on("2026-07-01"), ComplianceStatus::Overdue);
    }

    #[test]
    fn a_refresher_is_compliant_then_due_soon_then_expired_on_its_expiry_day() {
        let due = day("2022-01-31");
        let counted = Some(done("2023-02-28", Some("2026-02-28")));
        let on = |d: &str| status(due, counted, day(d), 30);
        assert_eq!(on("2026-01-28"), ComplianceStatus::Compliant);
        assert_eq!(on("2026-01-29"), ComplianceStatus::DueSoon);
        assert_eq!(on("2026-02-27"), ComplianceStatus::DueSoon);
        assert_eq!(on("2026-02-28"), ComplianceStatus::Expired);
    }

    #[test]
    fn a_lapsed_completion_under_a_new_rule_waits_for_the_rules_due_day() {
        let counted = Some(done("2020-01-01", Some("2021-01-01")));
        let on = day("2026-03-01");
        assert_eq!(
            status(day("2026-06-01"), counted, on, 30),
            ComplianceStatus::NotStarted
        );
        assert_eq!(
            status(day("2026-03-15"), counted, on, 30),
            ComplianceStatus::DueSoon
        );
        assert_eq!(
            status(day("2026-02-28"), counted, on, 30),
            ComplianceStatus::Expired
        );
    }

    #[test]
    fn a_completion_that_never_expires_stays_compliant() {
        let counted = Some(done("2019-01-01", None));
        assert_eq!(
            status(day("2019-06-01"), counted, day("2040-01-01"), 365),
            ComplianceStatus::Compliant
        );
    }

    #[test]
    fn the_completion_that_counts_is_the_one_valid_longest_and_not_from_the_future() {
        let on = day("2026-01-01");
        let history = [
            done("2020-01-01", Some("2023-01-01")),
            done("2024-01-01", Some("2027-01-01")),
            done("2026-06-01", Some("2029-06-01")),
        ];
        assert_eq!(counting(history, on), Some(history[1]));
        let forever = done("2018-01-01", None);
        assert_eq!(counting([history[1], forever], on), Some(forever));
        assert_eq!(counting([history[2]], on), None);
    }

    #[test]
    fn overall_is_the_worst_item_and_compliant_when_nothing_is_required() {
        use ComplianceStatus::*;
        assert_eq!(overall([]), Compliant);
        assert_eq!(overall([Compliant, DueSoon, NotStarted]), DueSoon);
        assert_eq!(overall([Expired, Overdue, Compliant]), Overdue);
        // Stored figures count by severity, one column each from 0 up.
        let mut severities: Vec<u8> = ComplianceStatus::ALL.iter().map(|s| s.severity()).collect();
        severities.sort_unstable();
        assert_eq!(severities, [0, 1, 2, 3, 4]);
    }

    #[test]
    fn assessing_lists_what_applies_with_the_completion_of_its_own_course() {
        let stamp = DateTime::<Utc>::MIN_UTC;
        let required = |id: u128, rule: Rule| RequiredCourse {
            requirement: Requirement {
                id: Uuid::from_u128(id),
                rule,
                created_at: stamp,
                updated_at: stamp,
                version: 1,
            },
            course_title: format!("course {id}"),
            go_live_on: None,
        };
        let mut gdpr = rule(SelectorKind::All, None, 30);
        gdpr.course_id = Uuid::from_u128(10);
        let mut planning_rule = rule(SelectorKind::Committee, Some("Planning"), 30);
        planning_rule.course_id = Uuid::from_u128(20);
        let mut licensing = rule(SelectorKind::Committee, Some("Licensing"), 30);
        licensing.course_id = Uuid::from_u128(30);
        let catalogue = [
            required(1, gdpr),
            required(2, planning_rule),
            required(3, licensing),
        ];
        let seats = [planning("2025-06-01", None)];
        let completions = [(Uuid::from_u128(10), done("2025-01-10", Some("2026-01-10")))];
        let items = assess(
            &member(&seats),
            &catalogue,
            &completions,
            day("2025-09-01"),
            30,
        );
        let summary: Vec<_> = items
            .iter()
            .map(|i| (i.requirement_id.as_u128(), i.status))
            .collect();
        assert_eq!(
            summary,
            [
                (1, ComplianceStatus::Compliant),
                (2, ComplianceStatus::Overdue)
            ]
        );
        assert_eq!(items[1].due_on, day("2025-07-01"));
    }

    #[test]
    fn a_tally_counts_learners_without_a_breach_as_compliant() {
        use ComplianceStatus::*;
        let mut tally = Tally::default();
        assert_eq!(tally.share(), None);
        tally.add(Compliant, 5);
        tally.add(DueSoon, 1);
        tally.add(NotStarted, 1);
        tally.add(Overdue, 2);
        let mut more = Tally::default();
        more.add(Expired, 1);
        tally.merge(&more);
        assert_eq!(
            (tally.learners(), tally.compliant(), tally.non_compliant()),
            (10, 7, 3)
        );
        assert_eq!(tally.share(), Some(0.7));
    }

    fn any_day() -> impl Strategy<Value = NaiveDate> {
        (0u64..4000).prop_map(|n| day("2018-01-01") + Days::new(n))
    }

    fn any_attainment() -> impl Strategy<Value = Attainment> {
        (any_day(), proptest::option::of(1u32..60)).prop_map(|(completed_on, months)| Attainment {
            completed_on,
            expires_on: months.map(|m| completed_on + chrono::Months::new(m)),
        })
    }

    proptest! {
        #[test]
        fn never_compliant_without_an_unexpired_completion(
            history in proptest::collection::vec(any_attainment(), 0..6),
            due_on in any_day(),
            on in any_day(),
            window in 0u32..120,
        ) {
            let counted = counting(history.iter().copied(), on);
            let result = status(due_on, counted, on, window);
            let valid_exists = history
                .iter()
                .any(|a| a.completed_on <= on && a.valid_on(on));
            if result == ComplianceStatus::Compliant {
                prop_assert!(valid_exists);
            }
            if valid_exists {
                prop_assert!(!result.in_breach(), "a valid completion is never a breach");
            }
        }
    }
}
