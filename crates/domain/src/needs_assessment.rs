//! Training needs assessments: consultation rounds with elected members and senior officers on
//! the subject areas they want and what makes training accessible to them.

use chrono::{DateTime, NaiveDate, Utc};
use uuid::Uuid;

use crate::calendar;
use crate::error::Errors;
use crate::governance::{Choice, LOWEST_PRIORITY};
use crate::learner::LearnerKind;
use crate::{DomainError, text, vocabulary};

vocabulary!(
    /// Who a round consults.
    RoundAudience { All => "all", ElectedMembers => "elected_members", Employees => "employees" }
);

impl RoundAudience {
    pub fn includes(self, kind: LearnerKind) -> bool {
        match self {
            RoundAudience::All => true,
            RoundAudience::ElectedMembers => kind == LearnerKind::ElectedMember,
            RoundAudience::Employees => kind == LearnerKind::Employee,
        }
    }
}

vocabulary!(
    /// When in the day a respondent can take part in training.
    TimeOfDay { Morning => "morning", Afternoon => "afternoon", Evening => "evening" }
);

vocabulary!(
    /// How a respondent prefers training to be delivered.
    Format { Online => "online", InPerson => "in_person", Elearning => "elearning" }
);

/// A round's writable fields.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({
    "title": "Members' training needs 2026", "audience": "all",
    "opens_on": "2026-06-01", "closes_on": "2026-06-30",
    "subjects": ["Planning", "Licensing", "Scrutiny", "Finance and budget setting", "Social media"]
}))]
pub struct RoundInput {
    pub title: String,
    /// `elected_members`, `employees` (senior officers), or `all`.
    pub audience: RoundAudience,
    /// The first day responses are taken.
    pub opens_on: NaiveDate,
    /// The last day responses are taken.
    pub closes_on: NaiveDate,
    /// The subject areas offered, 1 to 100; once anyone has answered, they can only grow.
    pub subjects: Vec<String>,
}

impl From<&Round> for RoundInput {
    fn from(round: &Round) -> Self {
        Self {
            title: round.title.clone(),
            audience: round.audience,
            opens_on: round.opens_on,
            closes_on: round.closes_on,
            subjects: round.subjects.clone(),
        }
    }
}

/// A consultation round: who is asked, when, and the subject areas offered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Round {
    pub title: String,
    pub audience: RoundAudience,
    pub opens_on: NaiveDate,
    /// The last day responses are taken.
    pub closes_on: NaiveDate,
    pub subjects: Vec<String>,
}

impl Round {
    pub fn parse(input: RoundInput) -> Result<Self, DomainError> {
        let mut errors = Errors::default();
        let title = errors.take(text::required("title", &input.title, 200));
        for (field, day) in [("opens_on", input.opens_on), ("closes_on", input.closes_on)] {
            errors.check(calendar::is_plausible(day), field, calendar::PLAUSIBLE);
        }
        errors.check(
            input.closes_on >= input.opens_on,
            "closes_on",
            "must not be before opens_on",
        );
        let subjects = errors.take(text::name_list("subjects", &input.subjects, 200));
        errors.check(
            (1..=100).contains(&input.subjects.len()),
            "subjects",
            "must offer from 1 to 100 subject areas",
        );
        let round = (|| {
            Some(Self {
                title: title?,
                audience: input.audience,
                opens_on: input.opens_on,
                closes_on: input.closes_on,
                subjects: subjects?,
            })
        })();
        errors.finish(round)
    }

    pub fn is_open_on(&self, day: NaiveDate) -> bool {
        (self.opens_on..=self.closes_on).contains(&day)
    }

    /// The day the round's response rate is counted against: today while it runs, its last
    /// day once it has closed, its first before it opens.
    pub fn counted_on(&self, today: NaiveDate) -> NaiveDate {
        today.clamp(self.opens_on, self.closes_on)
    }

    /// Whether a learner of `kind` may answer on `day`.
    pub fn accepts(&self, kind: LearnerKind, day: NaiveDate) -> Result<(), DomainError> {
        if !self.is_open_on(day) {
            return Err(DomainError::Conflict(format!(
                "the round takes responses from {} to {}",
                self.opens_on, self.closes_on
            )));
        }
        if !self.audience.includes(kind) {
            return Err(DomainError::Conflict(format!(
                "the round consults {} only",
                self.audience
            )));
        }
        Ok(())
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NeedsAssessment {
    pub id: Uuid,
    pub round: Round,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub version: i32,
}

/// What makes training accessible to a respondent.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Accessibility {
    pub times_of_day: Vec<TimeOfDay>,
    pub formats: Vec<Format>,
    pub other_needs: Option<String>,
}

/// One learner's answer to a round.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Answer {
    pub choices: Vec<Choice>,
    pub comments: Option<String>,
    pub accessibility: Accessibility,
}

impl Answer {
    /// Checks an answer against the round: offered subjects only, each once, priority 1 to 3.
    pub fn parse(raw: Answer, round: &Round) -> Result<Self, DomainError> {
        let mut errors = Errors::default();
        let mut choices: Vec<Choice> = Vec::with_capacity(raw.choices.len());
        for (i, choice) in raw.choices.into_iter().enumerate() {
            let field = format!("choices[{i}]");
            let subject = choice.subject.trim().to_owned();
            errors.check(
                round.subjects.contains(&subject),
                &format!("{field}.subject"),
                "must be one of the round's subject areas",
            );
            errors.check(
                !choices.iter().any(|c| c.subject == subject),
                &format!("{field}.subject"),
                "is chosen more than once",
            );
            errors.check(
                (1..=LOWEST_PRIORITY).contains(&choice.priority),
                &format!("{field}.priority"),
                "must be 1 (highest), 2 or 3",
            );
            choices.push(Choice {
                subject,
                priority: choice.priority,
            });
        }
        let comments = errors.take(text::optional("comments", raw.comments.as_deref(), 4000));
        let other_needs = errors.take(text::optional(
            "accessibility.other_needs",
            raw.accessibility.other_needs.as_deref(),
            2000,
        ));
        errors.into_result()?;
        Ok(Self {
            choices,
            comments: comments.flatten(),
            accessibility: Accessibility {
                times_of_day: once_each(raw.accessibility.times_of_day),
                formats: once_each(raw.accessibility.formats),
                other_needs: other_needs.flatten(),
            },
        })
    }
}

fn once_each<T: Ord>(mut values: Vec<T>) -> Vec<T> {
    values.sort();
    values.dedup();
    values
}

/// A learner's response, as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Response {
    pub assessment_id: Uuid,
    pub learner_id: Uuid,
    pub learner_kind: LearnerKind,
    pub answer: Answer,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// How many of each kind of learner were asked and answered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Uptake {
    pub kind: LearnerKind,
    pub invited: u64,
    pub responded: u64,
}

impl Uptake {
    pub fn rate(&self) -> Option<f64> {
        (self.invited > 0).then(|| self.responded as f64 / self.invited as f64)
    }
}

/// The accessibility answers, counted.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AccessibilityCounts {
    pub times_of_day: Vec<(TimeOfDay, u64)>,
    pub formats: Vec<(Format, u64)>,
    /// The other needs respondents described, without their names, in no particular order.
    pub other_needs: Vec<String>,
}

/// Counts every time of day and format (those nobody chose as 0) over the answers.
pub fn accessibility<'a>(answers: impl IntoIterator<Item = &'a Answer>) -> AccessibilityCounts {
    let mut counts = AccessibilityCounts {
        times_of_day: TimeOfDay::ALL.iter().map(|t| (*t, 0)).collect(),
        formats: Format::ALL.iter().map(|f| (*f, 0)).collect(),
        other_needs: Vec::new(),
    };
    for answer in answers {
        let access = &answer.accessibility;
        for (time, n) in &mut counts.times_of_day {
            *n += u64::from(access.times_of_day.contains(time));
        }
        for (format, n) in &mut counts.formats {
            *n += u64::from(access.formats.contains(format));
        }
        counts.other_needs.extend(access.other_needs.clone());
    }
    counts.other_needs.sort();
    counts
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(s: &str) -> NaiveDate {
        s.parse().expect("a date")
    }

    fn round() -> Round {
        Round::parse(RoundInput {
            title: "Members' training needs 2026".into(),
            audience: RoundAudience::ElectedMembers,
            opens_on: day("2026-06-01"),
            closes_on: day("2026-06-30"),
            subjects: vec!["Planning".into(), "Scrutiny".into(), "Planning".into()],
        })
        .expect("a round")
    }

    #[test]
    fn a_round_takes_answers_from_its_audience_on_its_days() {
        let round = round();
        assert_eq!(round.subjects, ["Planning", "Scrutiny"]);
        assert!(
            round
                .accepts(LearnerKind::ElectedMember, day("2026-06-01"))
                .is_ok()
        );
        assert!(
            round
                .accepts(LearnerKind::ElectedMember, day("2026-06-30"))
                .is_ok()
        );
        assert!(
            round
                .accepts(LearnerKind::ElectedMember, day("2026-07-01"))
                .is_err()
        );
        assert!(
            round
                .accepts(LearnerKind::Employee, day("2026-06-10"))
                .is_err()
        );
        assert_eq!(round.counted_on(day("2026-11-23")), day("2026-06-30"));
        assert_eq!(round.counted_on(day("2026-06-10")), day("2026-06-10"));
    }

    #[test]
    fn an_answer_chooses_offered_subjects_once_each_with_a_priority() {
        let round = round();
        let choice = |subject: &str, priority| Choice {
            subject: subject.into(),
            priority,
        };
        let answer = |choices| Answer {
            choices,
            comments: None,
            accessibility: Accessibility {
                times_of_day: vec![TimeOfDay::Evening, TimeOfDay::Evening],
                formats: vec![],
                other_needs: Some(" ".into()),
            },
        };
        let good = Answer::parse(answer(vec![choice(" Planning ", 1)]), &round).expect("valid");
        assert_eq!(good.choices, [choice("Planning", 1)]);
        assert_eq!(good.accessibility.times_of_day, [TimeOfDay::Evening]);
        assert_eq!(good.accessibility.other_needs, None);
        let Err(DomainError::Invalid(fields)) = Answer::parse(
            answer(vec![
                choice("Planning", 1),
                choice("Planning", 2),
                choice("Cooking", 4),
            ]),
            &round,
        ) else {
            panic!("expected invalid")
        };
        let fields: Vec<&str> = fields.iter().map(|f| f.field.as_str()).collect();
        assert_eq!(
            fields,
            [
                "choices[1].subject",
                "choices[2].subject",
                "choices[2].priority"
            ]
        );
    }

    #[test]
    fn accessibility_counts_every_option_including_the_unchosen() {
        let answer = |times: Vec<TimeOfDay>, formats: Vec<Format>, other: Option<&str>| Answer {
            choices: vec![],
            comments: None,
            accessibility: Accessibility {
                times_of_day: times,
                formats,
                other_needs: other.map(String::from),
            },
        };
        let answers = [
            answer(
                vec![TimeOfDay::Evening],
                vec![Format::Online],
                Some("Hearing loop"),
            ),
            answer(
                vec![TimeOfDay::Evening, TimeOfDay::Morning],
                vec![Format::Online, Format::InPerson],
                None,
            ),
        ];
        let counts = accessibility(&answers);
        assert_eq!(
            counts.times_of_day,
            [
                (TimeOfDay::Morning, 1),
                (TimeOfDay::Afternoon, 0),
                (TimeOfDay::Evening, 2)
            ]
        );
        assert_eq!(
            counts.formats,
            [
                (Format::Online, 2),
                (Format::InPerson, 1),
                (Format::Elearning, 0)
            ]
        );
        assert_eq!(counts.other_needs, ["Hearing loop"]);
        let uptake = Uptake {
            kind: LearnerKind::ElectedMember,
            invited: 4,
            responded: 1,
        };
        assert_eq!(uptake.rate(), Some(0.25));
    }
}
