//! The document catalog behind the console: search, one document's copies, and
//! a re-check that reads every copy again and records drift.

use ferry_db::{CopyRecord, DbError};
use ferry_engine::recheck::{Drift, recheck_copy};
use ferry_model::Role;
use ferry_model::catalog::{CopyView, DocumentDetail, DocumentPage, DocumentSummary, drifted};
use uuid::Uuid;

use super::{db_error, require, state};
use crate::error::AppError;

/// A page of documents whose title or a copy's key contains `search`.
///
/// # Errors
/// Role or store failures; a search of more than 1,024 characters.
pub async fn list(
    search: Option<String>,
    after: Option<Uuid>,
    limit: Option<i64>,
) -> Result<DocumentPage, AppError> {
    require(Role::Viewer).await?;
    let state = state()?;
    let search = search.as_deref().map(str::trim).filter(|s| !s.is_empty());
    if search.is_some_and(|s| s.len() > 1024) {
        return Err(AppError::invalid("search", "Search for at most 1,024 characters."));
    }
    let limit = limit.unwrap_or(50).clamp(1, 500);
    let mut rows = state.store.search_documents(search, after, limit + 1).await.map_err(db_error)?;
    let more = rows.len() > usize::try_from(limit).unwrap_or(usize::MAX);
    rows.truncate(usize::try_from(limit).unwrap_or(0));
    Ok(DocumentPage {
        documents: rows
            .into_iter()
            .map(|r| DocumentSummary {
                id: r.id,
                title: r.title,
                key: r.key,
                copies: r.copies,
                size: r.size,
                drift: r.hashes > 1 || r.conflicts > 0,
            })
            .collect(),
        more,
        total: state.store.count_documents().await.map_err(db_error)?,
    })
}

async fn detail(state: &super::AppState, id: Uuid) -> Result<(DocumentDetail, Vec<CopyRecord>), AppError> {
    let records = state.store.document_copies(id).await.map_err(db_error)?;
    let Some(first) = records.first() else {
        return Err(AppError::NotFound("That document".to_owned()));
    };
    let title = first.title.clone();
    let mut copies = Vec::with_capacity(records.len());
    for c in &records {
        let provider = match state.store.provider_by_id(c.provider_id).await {
            Ok(p) => p.name,
            Err(DbError::NotFound) => "(deleted provider)".to_owned(),
            Err(e) => return Err(db_error(e)),
        };
        copies.push(CopyView {
            provider_id: c.provider_id,
            provider,
            key: c.key.clone(),
            sha256: c.sha256.clone(),
            size: c.size,
            revision: c.revision.clone(),
            sync_status: c.sync_status.clone(),
            last_seen_at: c.last_seen_at,
        });
    }
    let drift = drifted(&copies);
    Ok((DocumentDetail { id, title, copies, drift, findings: Vec::new() }, records))
}

/// One document with its copies.
///
/// # Errors
/// [`AppError::NotFound`] for a document the catalog does not hold.
pub async fn get(id: Uuid) -> Result<DocumentDetail, AppError> {
    require(Role::Viewer).await?;
    let state = state()?;
    Ok(detail(&state, id).await?.0)
}

/// Reads every copy of a document again, compares its SHA-256 with the recorded
/// one, marks changed or missing copies as conflicts, and says what it found.
///
/// # Errors
/// Role or store failures; a provider that cannot be opened is reported per copy.
pub async fn recheck(id: Uuid) -> Result<DocumentDetail, AppError> {
    let caller = require(Role::Operator).await?;
    let state = state()?;
    let (_, records) = detail(&state, id).await?;
    let mut findings = Vec::new();
    for copy in &records {
        let name = state.store.provider_by_id(copy.provider_id).await.map(|p| p.name).unwrap_or_default();
        let finding = match super::providers::open(&state, copy.provider_id).await {
            Err(e) => format!("{name}: cannot be read now ({e})"),
            Ok(provider) => match recheck_copy(state.store.as_ref(), copy, provider.as_ref()).await {
                Ok(Drift::Intact) => format!("{name}: intact, SHA-256 matches"),
                Ok(Drift::Changed(now)) => {
                    format!(
                        "{name}: changed since Ferry recorded it (SHA-256 now {})",
                        &now[..now.len().min(12)]
                    )
                }
                Ok(Drift::Missing) => format!("{name}: missing — the copy is no longer there"),
                Err(e) => format!("{name}: could not be read ({e})"),
            },
        };
        findings.push(finding);
    }
    caller.audit(state.store.as_ref(), "document.rechecked", &id.to_string(), findings.join("; ")).await;
    let (mut fresh, _) = detail(&state, id).await?;
    fresh.findings = findings;
    Ok(fresh)
}
