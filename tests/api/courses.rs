use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::helpers::{TestApp, completed_assessment, course_body, etag, problem, token};

fn id(resource: &Value) -> &str {
    resource["id"].as_str().expect("an id")
}

#[tokio::test]
async fn a_course_is_drafted_assessed_published_and_retired() {
    let app = TestApp::spawn().await;
    let course = app.course(course_body("gdpr")).await;
    assert_eq!(
        (course["code"].as_str(), course["status"].as_str()),
        (Some("GDPR"), Some("draft"))
    );
    assert_eq!(
        course["equality_impact_assessment"]["status"],
        "not_started"
    );
    let publish = format!("/v1/courses/{}/publish", id(&course));

    let refused = problem(
        app.post(&publish, &app.admin, &json!({})).await,
        StatusCode::CONFLICT,
    )
    .await;
    assert!(
        refused["detail"]
            .as_str()
            .is_some_and(|d| d.contains("equality impact assessment")),
        "{refused}"
    );

    let path = format!("/v1/courses/{}", id(&course));
    let current = etag(&app.get(&path, &app.admin).await);
    let assessed = app
        .patch(
            &path,
            &app.admin,
            Some(&current),
            &json!({"equality_impact_assessment": completed_assessment()}),
        )
        .await;
    assert_eq!(assessed.status(), StatusCode::OK);

    let published = app.post(&publish, &app.admin, &json!({})).await;
    assert_eq!(published.status(), StatusCode::OK);
    assert_eq!(
        published.json::<Value>().await.expect("json")["status"],
        "published"
    );
    problem(
        app.post(&publish, &app.admin, &json!({})).await,
        StatusCode::CONFLICT,
    )
    .await;

    let retire = format!("/v1/courses/{}/retire", id(&course));
    let retired = app.post(&retire, &app.admin, &json!({})).await;
    assert_eq!(
        retired.json::<Value>().await.expect("json")["status"],
        "retired"
    );
    let again = problem(
        app.post(&retire, &app.admin, &json!({})).await,
        StatusCode::CONFLICT,
    )
    .await;
    assert!(
        again["detail"]
            .as_str()
            .is_some_and(|d| d.contains("published")),
        "{again}"
    );
    let now = etag(&app.get(&path, &app.admin).await);
    problem(
        app.patch(&path, &app.admin, Some(&now), &json!({"title": "Too late"}))
            .await,
        StatusCode::CONFLICT,
    )
    .await;
}

#[tokio::test]
async fn a_published_course_keeps_its_completed_assessment() {
    let app = TestApp::spawn().await;
    let course = app.published_course(course_body("GDPR")).await;
    let path = format!("/v1/courses/{}", id(&course));
    let current = etag(&app.get(&path, &app.admin).await);
    let reopen = json!({"equality_impact_assessment": {"status": "in_progress", "completed_on": null, "summary": null}});
    problem(
        app.patch(&path, &app.admin, Some(&current), &reopen).await,
        StatusCode::CONFLICT,
    )
    .await;
    let retitled = app
        .patch(
            &path,
            &app.admin,
            Some(&current),
            &json!({"title": "GDPR refresher"}),
        )
        .await;
    assert_eq!(
        retitled.json::<Value>().await.expect("json")["title"],
        "GDPR refresher"
    );
}

#[tokio::test]
async fn a_course_code_is_unique_whatever_its_case() {
    let app = TestApp::spawn().await;
    app.course(course_body("ILM5")).await;
    let body = problem(
        app.post("/v1/courses", &app.admin, &course_body("ilm5"))
            .await,
        StatusCode::CONFLICT,
    )
    .await;
    assert!(
        body["detail"].as_str().is_some_and(|d| d.contains("code")),
        "{body}"
    );
}

#[tokio::test]
async fn invalid_course_values_are_refused_and_nothing_is_written() {
    let app = TestApp::spawn().await;
    let mut negative = course_body("GDPR");
    negative["cost_pence"] = json!(-5);
    negative["validity_months"] = json!(0);
    let body = problem(
        app.post("/v1/courses", &app.admin, &negative).await,
        StatusCode::UNPROCESSABLE_ENTITY,
    )
    .await;
    let fields: Vec<&str> = body["errors"]
        .as_array()
        .expect("errors")
        .iter()
        .filter_map(|e| e["field"].as_str())
        .collect();
    assert_eq!(fields, ["cost_pence", "validity_months"]);

    let mut unknown_pillar = course_body("GDPR");
    unknown_pillar["pillar"] = json!("wellbeing");
    problem(
        app.post("/v1/courses", &app.admin, &unknown_pillar).await,
        StatusCode::UNPROCESSABLE_ENTITY,
    )
    .await;

    let mut half_assessed = course_body("GDPR");
    half_assessed["equality_impact_assessment"] = json!({"status": "completed"});
    let body = problem(
        app.post("/v1/courses", &app.admin, &half_assessed).await,
        StatusCode::UNPROCESSABLE_ENTITY,
    )
    .await;
    assert_eq!(
        body["errors"][0]["field"],
        "equality_impact_assessment.completed_on"
    );

    let listed: Value = app
        .get("/v1/courses", &app.admin)
        .await
        .json()
        .await
        .expect("json");
    assert_eq!(listed["items"], json!([]));
}

#[tokio::test]
async fn the_catalogue_is_filtered_on_its_fields() {
    let app = TestApp::spawn().await;
    app.published_course(course_body("GDPR")).await;
    let mut ilm = course_body("ILM5");
    ilm["pillar"] = json!("leadership");
    ilm["delivery"] = json!("blended");
    app.course(ilm).await;
    let codes = |page: Value| -> Vec<String> {
        page["items"]
            .as_array()
            .expect("items")
            .iter()
            .map(|c| c["code"].as_str().expect("code").to_owned())
            .collect()
    };
    let learner = token(&uuid::Uuid::now_v7().to_string(), &["learner"]);
    for (query, expected) in [
        ("?status=published", vec!["GDPR"]),
        ("?status=draft", vec!["ILM5"]),
        ("?pillar=leadership", vec!["ILM5"]),
        ("?delivery=elearning&audience=all", vec!["GDPR"]),
        ("?offer=one_off", vec![]),
        ("", vec!["GDPR", "ILM5"]),
    ] {
        let page: Value = app
            .get(&format!("/v1/courses{query}"), &learner)
            .await
            .json()
            .await
            .expect("json");
        assert_eq!(codes(page), expected, "{query}");
    }
    problem(
        app.get("/v1/courses?category=vibes", &learner).await,
        StatusCode::BAD_REQUEST,
    )
    .await;
}

#[tokio::test]
async fn only_admins_change_the_catalogue() {
    let app = TestApp::spawn().await;
    let course = app.course(course_body("GDPR")).await;
    for role in ["learner", "manager", "panel_member"] {
        let caller = token(&uuid::Uuid::now_v7().to_string(), &[role]);
        problem(
            app.post("/v1/courses", &caller, &course_body("NEW")).await,
            StatusCode::FORBIDDEN,
        )
        .await;
        problem(
            app.post(
                &format!("/v1/courses/{}/publish", id(&course)),
                &caller,
                &json!({}),
            )
            .await,
            StatusCode::FORBIDDEN,
        )
        .await;
        problem(
            app.patch(
                &format!("/v1/courses/{}", id(&course)),
                &caller,
                Some("*"),
                &json!({"title": "x"}),
            )
            .await,
            StatusCode::FORBIDDEN,
        )
        .await;
        assert_eq!(
            app.get(&format!("/v1/courses/{}", id(&course)), &caller)
                .await
                .status(),
            StatusCode::OK
        );
    }
}

#[tokio::test]
async fn the_training_matrix_has_eight_cells_drawn_from_published_courses() {
    let app = TestApp::spawn().await;
    let mut chairing = course_body("CHAIRING");
    chairing["category"] = json!("enabling_skills");
    chairing["offer"] = json!("role_specific");
    chairing["audience"] = json!("members");
    let chairing = app.published_course(chairing).await;
    let gdpr = app.published_course(course_body("GDPR")).await;
    let mut lga = course_body("LGA-EVENT");
    lga["offer"] = json!("one_off");
    lga["audience"] = json!("members");
    let lga = app.published_course(lga).await;
    let mut ilm = course_body("ILM5");
    ilm["audience"] = json!("employees");
    app.published_course(ilm).await;
    app.course(course_body("DRAFT")).await;

    let matrix: Value = app
        .get("/v1/training-matrix?audience=members", &app.admin)
        .await
        .json()
        .await
        .expect("json");
    assert_eq!(matrix["audience"], "members");
    let cells = matrix["cells"].as_array().expect("cells");
    assert_eq!(cells.len(), 8);
    let cell = |category: &str, column: &str| -> Vec<Value> {
        cells
            .iter()
            .find(|c| c["category"] == category && c["column"] == column)
            .and_then(|c| c["courses"].as_array().cloned())
            .expect("the cell exists")
    };
    assert_eq!(
        cell("knowledge_based", "mandatory"),
        [json!({"id": gdpr["id"], "code": "GDPR", "title": "Course GDPR"})]
    );
    assert_eq!(
        cell("enabling_skills", "role_specific")[0]["id"],
        chairing["id"]
    );
    assert_eq!(cell("knowledge_based", "by_request")[0]["id"], lga["id"]);
    let listed: usize = cells
        .iter()
        .map(|c| c["courses"].as_array().map_or(0, Vec::len))
        .sum();
    assert_eq!(listed, 3, "the employees' course and the draft stay out");

    let employees: Value = app
        .get("/v1/training-matrix?audience=employees", &app.admin)
        .await
        .json()
        .await
        .expect("json");
    let codes: Vec<&str> = employees["cells"]
        .as_array()
        .expect("cells")
        .iter()
        .flat_map(|c| {
            c["courses"]
                .as_array()
                .expect("courses")
                .iter()
                .filter_map(|x| x["code"].as_str())
        })
        .collect();
    assert_eq!(codes, ["GDPR", "ILM5"]);

    problem(
        app.get("/v1/training-matrix", &app.admin).await,
        StatusCode::BAD_REQUEST,
    )
    .await;
    problem(
        app.get("/v1/training-matrix?audience=everyone", &app.admin)
            .await,
        StatusCode::BAD_REQUEST,
    )
    .await;
}

#[tokio::test]
async fn if_match_is_one_etag_a_malformed_one_is_400_a_foreign_one_412_and_none_428() {
    let app = TestApp::spawn().await;
    let course = app.course(course_body("IFMATCH")).await;
    let path = format!("/v1/courses/{}", id(&course));
    let change = json!({"title": "Changed"});
    for malformed in ["null", "1", "\"1\", \"2\""] {
        let body = problem(
            app.patch(&path, &app.admin, Some(malformed), &change).await,
            StatusCode::BAD_REQUEST,
        )
        .await;
        assert!(
            body["detail"]
                .as_str()
                .is_some_and(|d| d.contains("If-Match")),
            "{malformed}: {body}"
        );
    }
    for foreign in ["W/\"1\"", "\"abc\"", "\"99\""] {
        problem(
            app.patch(&path, &app.admin, Some(foreign), &change).await,
            StatusCode::PRECONDITION_FAILED,
        )
        .await;
    }
    for absent in [None, Some("")] {
        problem(
            app.patch(&path, &app.admin, absent, &change).await,
            StatusCode::PRECONDITION_REQUIRED,
        )
        .await;
    }
    // None of the refusals changed the course.
    let read = app.get(&path, &app.admin).await;
    let current = etag(&read);
    let unchanged: Value = read.json().await.expect("a course");
    assert_eq!(unchanged["title"], course["title"]);
    let changed = app.patch(&path, &app.admin, Some(&current), &change).await;
    assert_eq!(changed.status(), StatusCode::OK);
}
