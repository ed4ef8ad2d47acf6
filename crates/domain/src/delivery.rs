//! The delivery report: what ran, who came, and what delegates thought, course by course.

use std::collections::BTreeMap;

use uuid::Uuid;

use crate::session::{Attendance, BookingStatus};

/// One course's delivery over a period.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct CourseDelivery {
    pub course_id: Uuid,
    /// Sessions that ran or are scheduled in the period; cancelled ones do not count.
    pub sessions: usize,
    /// Seats held (waitlisted and cancelled bookings do not count).
    pub booked: usize,
    pub attended: usize,
    pub no_shows: usize,
    pub ratings: usize,
    pub mean_rating: Option<f64>,
}

fn row(
    rows: &mut BTreeMap<Uuid, (CourseDelivery, i64)>,
    course_id: Uuid,
) -> &mut (CourseDelivery, i64) {
    rows.entry(course_id).or_insert_with(|| {
        (
            CourseDelivery {
                course_id,
                ..CourseDelivery::default()
            },
            0,
        )
    })
}

/// Tallies sessions (id, course), their bookings (session, status, attendance) and their
/// feedback ratings (session, rating) by course, in course id order.
pub fn tally(
    sessions: &[(Uuid, Uuid)],
    bookings: &[(Uuid, BookingStatus, Option<Attendance>)],
    ratings: &[(Uuid, i32)],
) -> Vec<CourseDelivery> {
    let course_of: BTreeMap<Uuid, Uuid> = sessions.iter().copied().collect();
    let mut rows: BTreeMap<Uuid, (CourseDelivery, i64)> = BTreeMap::new();
    for (_, course_id) in sessions {
        row(&mut rows, *course_id).0.sessions += 1;
    }
    for (session_id, status, attendance) in bookings {
        let Some(course_id) = course_of.get(session_id) else {
            continue;
        };
        if *status != BookingStatus::Booked {
            continue;
        }
        let (delivery, _) = row(&mut rows, *course_id);
        delivery.booked += 1;
        match attendance {
            Some(Attendance::Attended) => delivery.attended += 1,
            Some(Attendance::NoShow) => delivery.no_shows += 1,
            None => {}
        }
    }
    for (session_id, rating) in ratings {
        let Some(course_id) = course_of.get(session_id) else {
            continue;
        };
        let (delivery, total) = row(&mut rows, *course_id);
        delivery.ratings += 1;
        *total += i64::from(*rating);
    }
    rows.into_values()
        .map(|(mut delivery, total)| {
            delivery.mean_rating =
                (delivery.ratings > 0).then(|| total as f64 / delivery.ratings as f64);
            delivery
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sessions_seats_attendance_and_ratings_add_up_by_course() {
        let (course, other) = (Uuid::now_v7(), Uuid::now_v7());
        let (s1, s2, s3) = (Uuid::now_v7(), Uuid::now_v7(), Uuid::now_v7());
        let sessions = [(s1, course), (s2, course), (s3, other)];
        let bookings = [
            (s1, BookingStatus::Booked, Some(Attendance::Attended)),
            (s1, BookingStatus::Booked, Some(Attendance::NoShow)),
            (s2, BookingStatus::Booked, None),
            (s2, BookingStatus::Waitlisted, None),
            (s2, BookingStatus::Cancelled, None),
        ];
        let ratings = [(s1, 5), (s1, 4)];
        let report = tally(&sessions, &bookings, &ratings);
        let row = report
            .iter()
            .find(|r| r.course_id == course)
            .expect("the course");
        assert_eq!(
            (
                row.sessions,
                row.booked,
                row.attended,
                row.no_shows,
                row.ratings
            ),
            (2, 3, 1, 1, 2)
        );
        assert_eq!(row.mean_rating, Some(4.5));
        let quiet = report
            .iter()
            .find(|r| r.course_id == other)
            .expect("the other course");
        assert_eq!(
            (quiet.sessions, quiet.booked, quiet.mean_rating),
            (1, 0, None)
        );
    }
}
