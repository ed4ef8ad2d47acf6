//! Backups of the embedded SQLite default: taken while the server takes writes, they hold every
//! write acknowledged before them, and they restore whole. Always on SQLite, whichever
//! database the rest of the suite runs on: PostgreSQL is backed up with its own tools.

use std::collections::HashSet;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use pathway_persistence::backup::{BackupError, backup, restore};
use pathway_persistence::connect;
use reqwest::StatusCode;
use sea_orm::{ConnectionTrait, DbBackend, Statement};
use serde_json::json;
use uuid::Uuid;

use crate::helpers::TestApp;

async fn emails(url: &str) -> HashSet<String> {
    // Plainly, not through `connect`, which would switch a read-only copy to WAL.
    let db = sea_orm::Database::connect(url).await.expect("connected");
    db.query_all_raw(Statement::from_string(
        DbBackend::Sqlite,
        "SELECT email FROM learners",
    ))
    .await
    .expect("read")
    .into_iter()
    .map(|row| row.try_get_by_index::<String>(0).expect("an email"))
    .collect()
}

#[tokio::test]
async fn a_backup_taken_under_write_load_holds_every_acknowledged_write_and_restores_whole() {
    let dir = std::env::temp_dir().join(format!("pathway-backup-{}", Uuid::now_v7()));
    std::fs::create_dir_all(&dir).expect("a temp dir");
    let live = format!("sqlite://{}?mode=rwc", dir.join("live.db").display());
    let app =
        Arc::new(TestApp::spawn_with(|config| config.database_url = live.clone().into()).await);
    let acknowledged = Arc::new(Mutex::new(Vec::new()));
    let writing = Arc::new(std::sync::atomic::AtomicBool::new(true));
    let writers: Vec<_> = (0..4)
        .map(|writer| {
            let (app, acknowledged, writing) = (app.clone(), acknowledged.clone(), writing.clone());
            tokio::spawn(async move {
                let mut n = 0;
                while writing.load(std::sync::atomic::Ordering::SeqCst) {
                    let email = format!("w{writer}.n{n}@council.gov.uk");
                    let created = app
                        .post(
                            "/v1/learners",
                            &app.admin,
                            &json!({"kind": "employee", "given_name": "Ada", "family_name": "Byron",
                                "email": email, "department": "Finance"}),
                        )
                        .await;
                    assert_eq!(created.status(), StatusCode::CREATED);
                    acknowledged.lock().expect("a list").push(email);
                    n += 1;
                }
            })
        })
        .collect();
    tokio::time::sleep(Duration::from_millis(700)).await;

    let before: Vec<String> = acknowledged.lock().expect("a list").clone();
    let copy = dir.join("backup.db");
    let db = connect(&live).await.expect("connected");
    backup(&db, &copy).await.expect("backed up while serving");
    tokio::time::sleep(Duration::from_millis(300)).await;
    writing.store(false, std::sync::atomic::Ordering::SeqCst);
    for writer in writers {
        writer.await.expect("a writer");
    }
    assert!(
        before.len() > 10,
        "the backup ran under load: {}",
        before.len()
    );

    let backed_up = emails(&format!("sqlite://{}?mode=ro", copy.display())).await;
    let missing: Vec<&String> = before.iter().filter(|e| !backed_up.contains(*e)).collect();
    assert!(
        missing.is_empty(),
        "acknowledged before the backup, not in it: {missing:?}"
    );
    assert!(matches!(
        backup(&db, &copy).await,
        Err(BackupError::Exists(_))
    ));

    let restored = format!("sqlite://{}?mode=rwc", dir.join("restored.db").display());
    restore(&copy, &restored).await.expect("restored");
    assert_eq!(emails(&restored).await, backed_up);
    let not_a_backup = dir.join("notes.txt");
    std::fs::write(&not_a_backup, "not a database").expect("written");
    assert!(restore(&not_a_backup, &restored).await.is_err());
    assert_eq!(
        emails(&restored).await,
        backed_up,
        "a refused restore changes nothing"
    );
    let _ = std::fs::remove_dir_all(dir);
}
