//! Uploaded prompt recordings and which version of each is active.

use sqlx::{PgPool, Row, postgres::PgRow};

use crate::{
    domain::Language,
    prompts::PromptKey,
    storage::{NewPromptVersion, PromptVersion, StoreError},
};

/// The columns [`version_from_row`] reads (never the audio itself).
macro_rules! version_columns {
    () => {
        "id, language, prompt_key, sha256, duration_ms, octet_length(wav)::BIGINT AS bytes, original_format,
         octet_length(original)::BIGINT AS original_bytes, synthetic, uploaded_by, uploaded_at, active"
    };
}

fn version_from_row(row: &PgRow) -> Result<PromptVersion, StoreError> {
    let corrupt = |what: &str| StoreError::Corrupt(format!("prompt version {what}"));
    Ok(PromptVersion {
        id: row.get("id"),
        language: Language::parse(row.get("language")).map_err(|_| corrupt("language"))?,
        key: PromptKey::parse(row.get("prompt_key")).map_err(|_| corrupt("key"))?,
        sha256: row.get("sha256"),
        duration_ms: row.get("duration_ms"),
        bytes: row.get("bytes"),
        original_format: row.get("original_format"),
        original_bytes: row.get("original_bytes"),
        synthetic: row.get("synthetic"),
        uploaded_by: row.get("uploaded_by"),
        uploaded_at: row.get("uploaded_at"),
        active: row.get("active"),
    })
}

async fn version(executor: impl sqlx::PgExecutor<'_>, id: i64) -> Result<Option<PromptVersion>, StoreError> {
    let row = sqlx::query(concat!("SELECT ", version_columns!(), " FROM prompt_versions WHERE id = $1"))
        .bind(id)
        .fetch_optional(executor)
        .await?;
    row.as_ref().map(version_from_row).transpose()
}

pub(super) async fn add(pool: &PgPool, new: &NewPromptVersion) -> Result<PromptVersion, StoreError> {
    let mut tx = pool.begin().await?;
    // Uploads and rollbacks of one prompt take turns (instances may race).
    sqlx::query("SELECT pg_advisory_xact_lock(hashtext('prompt_versions/' || $1 || '/' || $2))")
        .bind(new.language.as_str())
        .bind(new.key.as_str())
        .execute(&mut *tx)
        .await?;
    sqlx::query("UPDATE prompt_versions SET active = FALSE WHERE language = $1 AND prompt_key = $2 AND active = TRUE")
        .bind(new.language.as_str())
        .bind(new.key.as_str())
        .execute(&mut *tx)
        .await?;
    let id: i64 = sqlx::query_scalar(
        r#"INSERT INTO prompt_versions (language, prompt_key, sha256, wav, duration_ms, original, original_format,
                                        synthetic, uploaded_by, uploaded_at, active)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, TRUE) RETURNING id"#,
    )
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
    .fetch_one(&mut *tx)
    .await?;
    let stored = version(&mut *tx, id).await?.ok_or(StoreError::NotFound)?;
    tx.commit().await?;
    Ok(stored)
}

pub(super) async fn activate(
    pool: &PgPool,
    language: &Language,
    key: &PromptKey,
    id: i64,
) -> Result<Option<PromptVersion>, StoreError> {
    let mut tx = pool.begin().await?;
    // Uploads and rollbacks of one prompt take turns (instances may race).
    sqlx::query("SELECT pg_advisory_xact_lock(hashtext('prompt_versions/' || $1 || '/' || $2))")
        .bind(language.as_str())
        .bind(key.as_str())
        .execute(&mut *tx)
        .await?;
    let exists: Option<i64> =
        sqlx::query_scalar("SELECT id FROM prompt_versions WHERE id = $1 AND language = $2 AND prompt_key = $3")
            .bind(id)
            .bind(language.as_str())
            .bind(key.as_str())
            .fetch_optional(&mut *tx)
            .await?;
    if exists.is_none() {
        return Ok(None);
    }
    sqlx::query("UPDATE prompt_versions SET active = FALSE WHERE language = $1 AND prompt_key = $2 AND active = TRUE")
        .bind(language.as_str())
        .bind(key.as_str())
        .execute(&mut *tx)
        .await?;
    sqlx::query("UPDATE prompt_versions SET active = TRUE WHERE id = $1").bind(id).execute(&mut *tx).await?;
    let activated = version(&mut *tx, id).await?;
    tx.commit().await?;
    Ok(activated)
}

pub(super) async fn deactivate(
    pool: &PgPool,
    language: &Language,
    key: &PromptKey,
) -> Result<Option<PromptVersion>, StoreError> {
    let mut tx = pool.begin().await?;
    // Uploads and rollbacks of one prompt take turns (instances may race).
    sqlx::query("SELECT pg_advisory_xact_lock(hashtext('prompt_versions/' || $1 || '/' || $2))")
        .bind(language.as_str())
        .bind(key.as_str())
        .execute(&mut *tx)
        .await?;
    let row = sqlx::query(concat!(
        "UPDATE prompt_versions SET active = FALSE WHERE language = $1 AND prompt_key = $2 AND active = TRUE RETURNING ",
        version_columns!()
    ))
    .bind(language.as_str())
    .bind(key.as_str())
    .fetch_optional(&mut *tx)
    .await?;
    let deactivated = row.as_ref().map(version_from_row).transpose()?;
    tx.commit().await?;
    Ok(deactivated)
}

pub(super) async fn versions(
    pool: &PgPool,
    language: &Language,
    key: &PromptKey,
) -> Result<Vec<PromptVersion>, StoreError> {
    let rows = sqlx::query(concat!(
        "SELECT ",
        version_columns!(),
        " FROM prompt_versions WHERE language = $1 AND prompt_key = $2 ORDER BY id DESC"
    ))
    .bind(language.as_str())
    .bind(key.as_str())
    .fetch_all(pool)
    .await?;
    rows.iter().map(version_from_row).collect()
}

pub(super) async fn active(pool: &PgPool) -> Result<Vec<PromptVersion>, StoreError> {
    let rows = sqlx::query(concat!(
        "SELECT ",
        version_columns!(),
        " FROM prompt_versions WHERE active = TRUE ORDER BY language, prompt_key"
    ))
    .fetch_all(pool)
    .await?;
    rows.iter().map(version_from_row).collect()
}

pub(super) async fn audio(pool: &PgPool, id: i64, original: bool) -> Result<Option<Vec<u8>>, StoreError> {
    let query = if original {
        "SELECT original FROM prompt_versions WHERE id = $1"
    } else {
        "SELECT wav FROM prompt_versions WHERE id = $1"
    };
    Ok(sqlx::query_scalar(query).bind(id).fetch_optional(pool).await?)
}
