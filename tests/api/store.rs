//! The persistence layer's trickiest SQL, checked against the domain's rules on the database
//! the suite runs on.

use chrono::{Days, NaiveDate};
use pathway_domain::compliance::{Attainment, ComplianceStatus, status};
use pathway_persistence::compliance::severity;
use sea_orm::{ConnectionTrait, Statement, Value};

use crate::helpers::TestApp;

/// How `compliance_items.best_until` stores a completion that never expires.
const FOREVER: (i32, u32, u32) = (9999, 12, 31);

fn date(rng: &mut fastrand::Rng, around: NaiveDate, spread: u64) -> NaiveDate {
    let offset = Days::new(rng.u64(0..=spread));
    if rng.bool() {
        around + offset
    } else {
        around - offset
    }
}

/// A day on or next to one of the rule's edges (the day itself, the window's end), or anywhere
/// near them: the edges are where a `<` for a `<=` would hide.
fn edge(rng: &mut fastrand::Rng, day: NaiveDate, horizon: NaiveDate) -> NaiveDate {
    let near = if rng.bool() { day } else { horizon };
    match rng.u8(0..4) {
        0 => near,
        1 => near + Days::new(1),
        2 => near - Days::new(1),
        _ => date(rng, near, 150),
    }
}

/// For random due days, best completions and windows around random days, the status the
/// compliance report's SQL works out is the one the domain's `status` gives.
#[tokio::test]
async fn the_reports_sql_status_is_the_domains_for_random_records() {
    let app = TestApp::spawn().await;
    let db = app.db().await;
    let backend = db.get_database_backend();
    let forever = NaiveDate::from_ymd_opt(FOREVER.0, FOREVER.1, FOREVER.2).expect("a day");
    let sql = format!(
        "SELECT {} FROM (SELECT $3 AS due_on, $4 AS best_until) AS item",
        severity("$1", "$2")
    );
    let mut rng = fastrand::Rng::with_seed(20261202);
    let base = NaiveDate::from_ymd_opt(2026, 12, 2).expect("a day");
    let mut seen = [false; 5];
    for _ in 0..600 {
        let day = date(&mut rng, base, 2000);
        let window = rng.u32(0..=120);
        let horizon = day + Days::new(window.into());
        let due_on = edge(&mut rng, day, horizon);
        let best_until = match rng.u8(0..4) {
            0 => None,
            1 => Some(forever),
            _ => Some(edge(&mut rng, day, horizon)),
        };
        let counted = best_until.map(|until| Attainment {
            completed_on: day - Days::new(400),
            expires_on: (until != forever).then_some(until),
        });
        let expected = status(due_on, counted, day, window);
        seen[usize::from(expected.severity())] = true;
        let values: Vec<Value> = vec![day.into(), horizon.into(), due_on.into(), best_until.into()];
        let row = db
            .query_one_raw(Statement::from_sql_and_values(backend, &sql, values))
            .await
            .expect("the SQL runs")
            .expect("a row");
        let got: i32 = row.try_get_by_index(0).expect("a severity");
        assert_eq!(
            got,
            i32::from(expected.severity()),
            "due {due_on}, counts until {best_until:?}, on {day} with {window} days' notice: \
             the domain says {expected:?}"
        );
    }
    assert!(
        seen.iter().all(|s| *s),
        "every status came up: {:?} of {:?}",
        seen,
        ComplianceStatus::ALL
    );
}
