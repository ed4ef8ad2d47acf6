//! Every CSV the API writes keeps formulas out of spreadsheets (OWASP's CSV injection): a cell
//! beginning with `=`, `+`, `-`, `@`, tab or carriage return is written with a leading quote.

use reqwest::{Method, StatusCode};
use serde_json::json;

use crate::helpers::{TestApp, course_body};

const FORMULAS: [&str; 6] = [
    "=HYPERLINK(\"http://evil.example\",\"x\")",
    "+cmd|' /C calc'!A0",
    "-2+3 Leadership",
    "@SUM(A1)",
    "\t=1+1 Safeguarding",
    "\r=1+1 Fire safety",
];

impl TestApp {
    async fn csv(&self, path: &str) -> Vec<csv::StringRecord> {
        let response = self
            .request(Method::GET, path, Some(&self.admin))
            .header("accept", "text/csv")
            .send()
            .await
            .expect("answered");
        assert_eq!(response.status(), StatusCode::OK, "{path}");
        let text = response.text().await.expect("text");
        csv::Reader::from_reader(text.as_bytes())
            .records()
            .collect::<Result<_, _>>()
            .expect("CSV rows")
    }
}

#[tokio::test]
async fn no_cell_of_any_csv_export_starts_a_formula() {
    let app = TestApp::spawn().await;
    for (i, formula) in FORMULAS.iter().enumerate() {
        let mut body = course_body(&format!("CSV{i}"));
        body["title"] = json!(formula);
        let course = app.published_course(body).await;
        app.session(&course, 5).await;
        let requirement = app
            .post(
                "/v1/requirements",
                &app.admin,
                &json!({"course_id": course["id"], "selector": {"kind": "employees"},
                    "due_within_days": 30, "effective_from": "2024-01-01"}),
            )
            .await;
        assert_eq!(requirement.status(), StatusCode::CREATED);
        app.learner(
            json!({"kind": "employee", "given_name": "Amira", "family_name": "Khan",
            "email": format!("amira{i}@council.gov.uk"), "department": formula}),
        )
        .await;
    }
    let today = chrono::Utc::now().date_naive();
    let period = format!(
        "from={}&to={}",
        today - chrono::Duration::days(1),
        today + chrono::Duration::days(60)
    );
    let exports = [
        app.csv("/v1/reports/compliance").await,
        app.csv(&format!("/v1/reports/delivery?{period}")).await,
    ];

    let cells: Vec<&str> = exports
        .iter()
        .flatten()
        .flat_map(|row| row.iter())
        .collect();
    for formula in FORMULAS {
        // Text is trimmed as it comes in, so a leading tab or carriage return is gone by then
        // and what it hid is neutralised like any formula.
        let written = format!("'{}", formula.trim_start());
        assert!(
            cells.contains(&written.as_str()),
            "{formula:?} is exported, neutralised: {cells:?}"
        );
    }
    for cell in cells {
        assert!(
            !cell.starts_with(['=', '+', '-', '@', '\t', '\r']),
            "{cell:?} would be read as a formula"
        );
    }
}
