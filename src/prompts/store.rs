//! The prompt recordings' store: every uploaded version of a prompt (the
//! converted WAV gateways play and the file as uploaded) and which one is
//! active; one SQL text for both backends.
//!
//! At most one version of a prompt is active (a partial unique index). The
//! writes that change which one — an upload, an activation, going back to
//! the text — take turns per prompt: on PostgreSQL under an advisory lock
//! on the prompt's name, as instances may race; SQLite's single writer
//! already runs them one at a time.

use chrono::{DateTime, Utc};
use serde::Serialize;

use super::PromptKey;
use crate::{
    db::{Db, StoreError, Tx, corrupt},
    domain::Language,
    on_db, on_tx,
};

/// An uploaded prompt recording, without its audio.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PromptVersion {
    pub id: i64,
    pub language: Language,
    pub key: PromptKey,
    /// SHA-256 (hex) of the converted WAV gateways play.
    pub sha256: String,
    pub duration_ms: i64,
    /// Size of the converted WAV.
    pub bytes: i64,
    /// What was uploaded: `wav`, `mp3`, `ogg` or `flac`.
    pub original_format: String,
    pub original_bytes: i64,
    /// Made by speech synthesis: a placeholder until someone records it.
    pub synthetic: bool,
    pub uploaded_by: String,
    pub uploaded_at: DateTime<Utc>,
    pub active: bool,
}

/// A recording to store; it becomes the prompt's active version.
#[derive(Debug, Clone)]
pub struct NewPromptVersion {
    pub language: Language,
    pub key: PromptKey,
    pub sha256: String,
    pub wav: Vec<u8>,
    pub duration_ms: i64,
    pub original: Vec<u8>,
    pub original_format: String,
    pub synthetic: bool,
    pub uploaded_by: String,
    pub uploaded_at: DateTime<Utc>,
}

/// The columns [`VersionRow`] reads (never the audio itself, only its size).
macro_rules! version_columns {
    () => {
        "id, language, prompt_key, sha256, duration_ms, CAST(octet_length(wav) AS BIGINT) AS bytes, original_format,
         CAST(octet_length(original) AS BIGINT) AS original_bytes, synthetic, uploaded_by, uploaded_at, active"
    };
}

#[derive(sqlx::FromRow)]
struct VersionRow {
    id: i64,
    language: String,
    prompt_key: String,
    sha256: String,
    duration_ms: i64,
    bytes: i64,
    original_format: String,
    original_bytes: i64,
    synthetic: bool,
    uploaded_by: String,
    uploaded_at: DateTime<Utc>,
    active: bool,
}

impl TryFrom<VersionRow> for PromptVersion {
    type Error = StoreError;

    fn try_from(row: VersionRow) -> Result<Self, StoreError> {
        Ok(Self {
            id: row.id,
            language: Language::parse(&row.language).map_err(|_| corrupt("prompt version language"))?,
            key: PromptKey::parse(&row.prompt_key).map_err(|_| corrupt("prompt version key"))?,
            sha256: row.sha256,
            duration_ms: row.duration_ms,
            bytes: row.bytes,
            original_format: row.original_format,
            original_bytes: row.original_bytes,
            synthetic: row.synthetic,
            uploaded_by: row.uploaded_by,
            uploaded_at: row.uploaded_at,
            active: row.active,
        })
    }
}

fn versions_of(rows: Vec<VersionRow>) -> Result<Vec<PromptVersion>, StoreError> {
    rows.into_iter().map(PromptVersion::try_from).collect()
}

/// Uploaded prompt recordings.
#[derive(Debug, Clone)]
pub struct PromptStore {
    db: Db,
}

impl PromptStore {
    pub fn new(db: Db) -> Self {
        Self { db }
    }

    /// Stores an uploaded recording as its prompt's active version.
    pub async fn add_version(&self, new: &NewPromptVersion) -> Result<PromptVersion, StoreError> {
        const SQL: &str = concat!(
            "INSERT INTO prompt_versions (language, prompt_key, sha256, wav, duration_ms, original, original_format,
                                          synthetic, uploaded_by, uploaded_at, active)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, TRUE) RETURNING ",
            version_columns!()
        );
        let mut tx = self.db.begin().await?;
        lock_prompt(&mut tx, &new.language, &new.key).await?;
        deactivate_active(&mut tx, &new.language, &new.key).await?;
        let row: VersionRow = on_tx!(&mut tx, conn => {
            sqlx::query_as(SQL)
                .bind(new.language.as_str())
                .bind(new.key.as_str())
                .bind(&new.sha256)
                .bind(&new.wav)
                .bind(new.duration_ms)
                .bind(&new.original)
                .bind(&new.original_format)
                .bind(new.synthetic)
                .bind(&new.uploaded_by)
                .bind(new.uploaded_at)
                .fetch_one(&mut **conn)
                .await?
        });
        tx.commit().await?;
        row.try_into()
    }

    /// Makes version `id` of a prompt the active one; `None` (and nothing
    /// changed) when the prompt has no such version.
    pub async fn activate(
        &self,
        language: &Language,
        key: &PromptKey,
        id: i64,
    ) -> Result<Option<PromptVersion>, StoreError> {
        const SQL: &str = concat!(
            "UPDATE prompt_versions SET active = TRUE WHERE id = $1 AND language = $2 AND prompt_key = $3 RETURNING ",
            version_columns!()
        );
        let mut tx = self.db.begin().await?;
        lock_prompt(&mut tx, language, key).await?;
        deactivate_active(&mut tx, language, key).await?;
        let row: Option<VersionRow> = on_tx!(&mut tx, conn => {
            sqlx::query_as(SQL).bind(id).bind(language.as_str()).bind(key.as_str()).fetch_optional(&mut **conn).await?
        });
        let Some(row) = row else {
            // Not a version of this prompt: the active one stays active.
            tx.rollback().await?;
            return Ok(None);
        };
        tx.commit().await?;
        row.try_into().map(Some)
    }

    /// Makes no version of a prompt active (callers hear the text again);
    /// returns the version that was active, `None` when none was.
    pub async fn deactivate(&self, language: &Language, key: &PromptKey) -> Result<Option<PromptVersion>, StoreError> {
        let mut tx = self.db.begin().await?;
        lock_prompt(&mut tx, language, key).await?;
        let row = deactivate_active(&mut tx, language, key).await?;
        tx.commit().await?;
        row.map(PromptVersion::try_from).transpose()
    }

    /// Every version of one prompt, newest first.
    pub async fn versions(&self, language: &Language, key: &PromptKey) -> Result<Vec<PromptVersion>, StoreError> {
        const SQL: &str = concat!(
            "SELECT ",
            version_columns!(),
            " FROM prompt_versions WHERE language = $1 AND prompt_key = $2 ORDER BY id DESC"
        );
        let rows = on_db!(&self.db, pool => {
            sqlx::query_as(SQL).bind(language.as_str()).bind(key.as_str()).fetch_all(pool).await?
        });
        versions_of(rows)
    }

    /// The active version of every prompt that has one.
    pub async fn active_versions(&self) -> Result<Vec<PromptVersion>, StoreError> {
        const SQL: &str = concat!(
            "SELECT ",
            version_columns!(),
            " FROM prompt_versions WHERE active = TRUE ORDER BY language, prompt_key"
        );
        let rows = on_db!(&self.db, pool => sqlx::query_as(SQL).fetch_all(pool).await?);
        versions_of(rows)
    }

    /// A version's converted WAV, or the file as uploaded.
    pub async fn audio(&self, id: i64, original: bool) -> Result<Option<Vec<u8>>, StoreError> {
        const WAV: &str = "SELECT wav FROM prompt_versions WHERE id = $1";
        const ORIGINAL: &str = "SELECT original FROM prompt_versions WHERE id = $1";
        let sql = if original { ORIGINAL } else { WAV };
        Ok(on_db!(&self.db, pool => sqlx::query_scalar(sql).bind(id).fetch_optional(pool).await?))
    }
}

/// Writers of one prompt take turns until the transaction ends.
async fn lock_prompt(tx: &mut Tx<'_>, language: &Language, key: &PromptKey) -> Result<(), StoreError> {
    // The name the lock was always taken on, so instances of an older
    // release still take turns with this one.
    let name = format!("prompt_versions/{}/{}", language.as_str(), key.as_str());
    on_tx!(tx, conn, d => d::advisory_xact_lock(conn, &name).await?);
    Ok(())
}

/// Makes the prompt's active version inactive; returns it, if there was one.
async fn deactivate_active(
    tx: &mut Tx<'_>,
    language: &Language,
    key: &PromptKey,
) -> Result<Option<VersionRow>, StoreError> {
    const SQL: &str = concat!(
        "UPDATE prompt_versions SET active = FALSE WHERE language = $1 AND prompt_key = $2 AND active = TRUE RETURNING ",
        version_columns!()
    );
    Ok(on_tx!(tx, conn => {
        sqlx::query_as(SQL).bind(language.as_str()).bind(key.as_str()).fetch_optional(&mut **conn).await?
    }))
}
