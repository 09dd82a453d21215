//! The audit log: who saw a caller's number, played a voice message,
//! exported cases or changed a prompt, and when. Written by the desk
//! (`queue::Desk::audit`) as these things happen, read on the admin's audit
//! page; one SQL text for both backends.

use chrono::{DateTime, Utc};
use serde::Serialize;

use crate::{
    db::{Db, StoreError},
    on_db,
};

/// Something a user did with personal data.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, sqlx::FromRow)]
pub struct AuditEntry {
    pub at: DateTime<Utc>,
    pub user_id: Option<i64>,
    /// Read back from the user's row; not stored with the entry.
    pub username: Option<String>,
    /// `view_number`, `play_recording`, `export`, `call_now`, `login`, …
    pub action: String,
    pub case_id: Option<i64>,
    pub details: Option<String>,
}

/// The audit log's store.
#[derive(Debug, Clone)]
pub struct AuditStore {
    db: Db,
}

impl AuditStore {
    pub fn new(db: Db) -> Self {
        Self { db }
    }

    /// Adds an entry (its `username` is not stored: the user id is).
    pub async fn record(&self, entry: &AuditEntry) -> Result<(), StoreError> {
        const SQL: &str = "INSERT INTO audit_log (at, user_id, action, case_id, details) VALUES ($1, $2, $3, $4, $5)";
        on_db!(&self.db, pool => {
            sqlx::query(SQL)
                .bind(entry.at)
                .bind(entry.user_id)
                .bind(&entry.action)
                .bind(entry.case_id)
                .bind(&entry.details)
                .execute(pool)
                .await
                .map(drop)?
        });
        Ok(())
    }

    /// The latest `limit` entries, newest first.
    pub async fn latest(&self, limit: i64) -> Result<Vec<AuditEntry>, StoreError> {
        const SQL: &str = "SELECT a.at, a.user_id, u.username, a.action, a.case_id, a.details
                           FROM audit_log a LEFT JOIN users u ON u.id = a.user_id ORDER BY a.id DESC LIMIT $1";
        Ok(on_db!(&self.db, pool => sqlx::query_as(SQL).bind(limit).fetch_all(pool).await?))
    }
}
