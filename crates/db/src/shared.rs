//! The SQL both dialects share. `shared_store!` expands to the whole [`Store`]
//! implementation for one pool type; the SQL text is identical for SQLite and
//! PostgreSQL (`$n` placeholders work in both through sqlx), and only the column
//! types behind the values differ, which the migrations take care of.
//!
//! [`Store`]: crate::Store

/// Expands to `impl Store for $store`, where `$store` has a `pool` field of a sqlx pool
/// whose rows are `$row`.
macro_rules! shared_store {
    ($store:ty, $row:ty, $dialect:expr, $claim_lock:literal, $begin_write:literal) => {
        use sqlx::Row as _;

        #[async_trait::async_trait]
        impl $crate::Store for $store {
            fn dialect(&self) -> $crate::Dialect {
                $dialect
            }

            async fn ping(&self) -> $crate::Result<()> {
                sqlx::query("select 1").execute(self.writer()).await?;
                Ok(())
            }

            async fn close(&self) {
                self.pool.close().await;
                self.writer().close().await;
            }

            async fn count_users(&self) -> $crate::Result<i64> {
                let row = sqlx::query(r#"select count(*) as n from "user""#)
                    .fetch_one(&self.pool)
                    .await?;
                Ok(sqlx::Row::try_get(&row, "n")?)
            }

            async fn count_users_by_role(&self) -> $crate::Result<Vec<(ferry_model::Role, i64)>> {
                let rows = sqlx::query(
                    r#"select role, count(*) as n from "user" group by role order by role"#,
                )
                .fetch_all(&self.pool)
                .await?;
                rows.iter()
                    .map(|row| {
                        let role: String = sqlx::Row::try_get(row, "role")?;
                        let n: i64 = sqlx::Row::try_get(row, "n")?;
                        Ok((parse_role(&role)?, n))
                    })
                    .collect()
            }

            async fn create_user(&self, new: &$crate::NewUser) -> $crate::Result<$crate::UserRecord> {
                let now = chrono::Utc::now();
                let id = uuid::Uuid::now_v7();
                sqlx::query(
                    r#"insert into "user" (user_id, username, password_hash, role, disabled, created_at, updated_at)
                       values ($1, $2, $3, $4, false, $5, $5)"#,
                )
                .bind(id)
                .bind(&new.username)
                .bind(&new.password_hash)
                .bind(new.role.as_str())
                .bind(now)
                .execute(self.writer())
                .await?;
                self.user_by_id(id).await
            }

            async fn create_first_user(&self, new: &$crate::NewUser) -> $crate::Result<$crate::UserRecord> {
                let now = chrono::Utc::now();
                let id = uuid::Uuid::now_v7();
                let mut tx = self.writer().begin_with($begin_write).await?;
                lock_users_for_setup(&mut tx).await?;
                let done = sqlx::query(
                    r#"insert into "user" (user_id, username, password_hash, role, disabled, created_at, updated_at)
                       select $1, $2, $3, $4, false, $5, $5
                       where not exists (select 1 from "user")"#,
                )
                .bind(id)
                .bind(&new.username)
                .bind(&new.password_hash)
                .bind(new.role.as_str())
                .bind(now)
                .execute(&mut *tx)
                .await?;
                if done.rows_affected() == 0 {
                    return Err($crate::DbError::Conflict {
                        constraint: "first user already exists".to_owned(),
                    });
                }
                tx.commit().await?;
                self.user_by_id(id).await
            }

            async fn user_by_id(&self, id: uuid::Uuid) -> $crate::Result<$crate::UserRecord> {
                let row = sqlx::query(r#"select * from "user" where user_id = $1"#)
                    .bind(id)
                    .fetch_one(&self.pool)
                    .await?;
                user_from_row(&row)
            }

            async fn user_by_username(&self, username: &str) -> $crate::Result<$crate::UserRecord> {
                let row = sqlx::query(r#"select * from "user" where username = $1"#)
                    .bind(username)
                    .fetch_one(&self.pool)
                    .await?;
                user_from_row(&row)
            }

            async fn list_users(&self) -> $crate::Result<Vec<$crate::UserRecord>> {
                let rows = sqlx::query(r#"select * from "user" order by username"#)
                    .fetch_all(&self.pool)
                    .await?;
                rows.iter().map(user_from_row).collect()
            }

            async fn record_login(&self, id: uuid::Uuid, at: chrono::DateTime<chrono::Utc>) -> $crate::Result<()> {
                let done = sqlx::query(r#"update "user" set last_login_at = $2 where user_id = $1"#)
                    .bind(id)
                    .bind(at)
                    .execute(self.writer())
                    .await?;
                expect_one(done.rows_affected())
            }

            async fn set_user_role(
                &self,
                id: uuid::Uuid,
                role: ferry_model::Role,
                at: chrono::DateTime<chrono::Utc>,
            ) -> $crate::Result<()> {
                let done = sqlx::query(r#"update "user" set role = $2, updated_at = $3 where user_id = $1"#)
                    .bind(id)
                    .bind(role.as_str())
                    .bind(at)
                    .execute(self.writer())
                    .await?;
                expect_one(done.rows_affected())
            }

            async fn set_user_disabled(
                &self,
                id: uuid::Uuid,
                disabled: bool,
                at: chrono::DateTime<chrono::Utc>,
            ) -> $crate::Result<()> {
                let done = sqlx::query(r#"update "user" set disabled = $2, updated_at = $3 where user_id = $1"#)
                    .bind(id)
                    .bind(disabled)
                    .bind(at)
                    .execute(self.writer())
                    .await?;
                expect_one(done.rows_affected())
            }

            async fn session_load(&self, id: &str, now: i64) -> $crate::Result<Option<$crate::SessionRow>> {
                let row = sqlx::query(
                    "select session_id, data, expires_at from session where session_id = $1 and expires_at > $2",
                )
                .bind(id)
                .bind(now)
                .fetch_optional(&self.pool)
                .await?;
                row.map(|row| {
                    Ok($crate::SessionRow {
                        id: sqlx::Row::try_get(&row, "session_id")?,
                        data: sqlx::Row::try_get(&row, "data")?,
                        expires_at: sqlx::Row::try_get(&row, "expires_at")?,
                    })
                })
                .transpose()
            }

            async fn session_create(&self, row: &$crate::SessionRow) -> $crate::Result<bool> {
                let done = sqlx::query(
                    "insert into session (session_id, data, expires_at) values ($1, $2, $3)
                     on conflict (session_id) do nothing",
                )
                .bind(&row.id)
                .bind(&row.data)
                .bind(row.expires_at)
                .execute(self.writer())
                .await?;
                Ok(done.rows_affected() == 1)
            }

            async fn session_save(&self, row: &$crate::SessionRow) -> $crate::Result<()> {
                sqlx::query(
                    "insert into session (session_id, data, expires_at) values ($1, $2, $3)
                     on conflict (session_id) do update set data = excluded.data, expires_at = excluded.expires_at",
                )
                .bind(&row.id)
                .bind(&row.data)
                .bind(row.expires_at)
                .execute(self.writer())
                .await?;
                Ok(())
            }

            async fn session_delete(&self, id: &str) -> $crate::Result<()> {
                sqlx::query("delete from session where session_id = $1")
                    .bind(id)
                    .execute(self.writer())
                    .await?;
                Ok(())
            }

            async fn session_delete_expired(&self, now: i64) -> $crate::Result<u64> {
                let done = sqlx::query("delete from session where expires_at <= $1")
                    .bind(now)
                    .execute(self.writer())
                    .await?;
                Ok(done.rows_affected())
            }

            async fn count_active_sessions(&self, now: i64) -> $crate::Result<i64> {
                let row = sqlx::query("select count(*) as n from session where expires_at > $1")
                    .bind(now)
                    .fetch_one(&self.pool)
                    .await?;
                Ok(sqlx::Row::try_get(&row, "n")?)
            }

            async fn append_audit(&self, event: &$crate::NewAuditEvent) -> $crate::Result<$crate::AuditEvent> {
                let stored = $crate::AuditEvent {
                    id: uuid::Uuid::now_v7(),
                    occurred_at: chrono::Utc::now(),
                    actor_user_id: event.actor_user_id,
                    actor_name: event.actor_name.clone(),
                    source_addr: event.source_addr.clone(),
                    action: event.action.clone(),
                    target: event.target.clone(),
                    detail: event.detail.clone(),
                };
                sqlx::query(
                    "insert into audit_event
                       (audit_event_id, occurred_at, actor_user_id, actor_name, source_addr, action, target, detail)
                     values ($1, $2, $3, $4, $5, $6, $7, $8)",
                )
                .bind(stored.id)
                .bind(stored.occurred_at)
                .bind(stored.actor_user_id)
                .bind(&stored.actor_name)
                .bind(&stored.source_addr)
                .bind(&stored.action)
                .bind(&stored.target)
                .bind(&stored.detail)
                .execute(self.writer())
                .await?;
                Ok(stored)
            }

            async fn list_audit(&self, limit: i64) -> $crate::Result<Vec<$crate::AuditEvent>> {
                let rows = sqlx::query("select * from audit_event order by audit_event_id desc limit $1")
                    .bind(limit.clamp(0, 10_000))
                    .fetch_all(&self.pool)
                    .await?;
                rows.iter().map(audit_from_row).collect()
            }

            async fn count_audit(&self) -> $crate::Result<i64> {
                let row = sqlx::query("select count(*) as n from audit_event")
                    .fetch_one(&self.pool)
                    .await?;
                Ok(sqlx::Row::try_get(&row, "n")?)
            }

            async fn create_provider(&self, new: &$crate::ProviderWrite) -> $crate::Result<$crate::ProviderRecord> {
                let now = chrono::Utc::now();
                let mut tx = self.writer().begin_with($begin_write).await?;
                if new.primary {
                    sqlx::query("update provider set is_primary = false where is_primary")
                        .execute(&mut *tx)
                        .await?;
                }
                sqlx::query(
                    "insert into provider
                       (provider_id, name, kind, settings, secrets, status, is_primary, health, health_message,
                        created_at, updated_at)
                     values ($1, $2, $3, $4, $5, $6, $7, 'unknown', '', $8, $8)",
                )
                .bind(new.id)
                .bind(&new.name)
                .bind(new.kind.as_str())
                .bind(&new.settings)
                .bind(&new.secrets)
                .bind(new.status.as_str())
                .bind(new.primary)
                .bind(now)
                .execute(&mut *tx)
                .await?;
                tx.commit().await?;
                self.provider_by_id(new.id).await
            }

            async fn update_provider(&self, change: &$crate::ProviderWrite) -> $crate::Result<$crate::ProviderRecord> {
                let now = chrono::Utc::now();
                let mut tx = self.writer().begin_with($begin_write).await?;
                if change.primary {
                    sqlx::query("update provider set is_primary = false where is_primary and provider_id <> $1")
                        .bind(change.id)
                        .execute(&mut *tx)
                        .await?;
                }
                // A changed kind or location makes the last health verdict meaningless.
                let done = sqlx::query(
                    "update provider set name = $2, kind = $3, settings = $4, secrets = $5, status = $6,
                       is_primary = $7, updated_at = $8,
                       health = case when settings = $4 and kind = $3 and secrets is not distinct from $5
                                     then health else 'unknown' end,
                       health_message = case when settings = $4 and kind = $3 and secrets is not distinct from $5
                                     then health_message else '' end
                     where provider_id = $1",
                )
                .bind(change.id)
                .bind(&change.name)
                .bind(change.kind.as_str())
                .bind(&change.settings)
                .bind(&change.secrets)
                .bind(change.status.as_str())
                .bind(change.primary)
                .bind(now)
                .execute(&mut *tx)
                .await?;
                expect_one(done.rows_affected())?;
                tx.commit().await?;
                self.provider_by_id(change.id).await
            }

            async fn provider_by_id(&self, id: uuid::Uuid) -> $crate::Result<$crate::ProviderRecord> {
                let sql = format!("{PROVIDER_SELECT} where p.provider_id = $1");
                let row = sqlx::query(&sql).bind(id).fetch_one(&self.pool).await?;
                provider_from_row(&row)
            }

            async fn list_providers(&self) -> $crate::Result<Vec<$crate::ProviderRecord>> {
                let sql = format!("{PROVIDER_SELECT} order by lower(p.name)");
                let rows = sqlx::query(&sql).fetch_all(&self.pool).await?;
                rows.iter().map(provider_from_row).collect()
            }

            async fn set_provider_status(
                &self,
                id: uuid::Uuid,
                status: ferry_model::provider::ProviderStatus,
                at: chrono::DateTime<chrono::Utc>,
            ) -> $crate::Result<()> {
                let done = sqlx::query("update provider set status = $2, updated_at = $3 where provider_id = $1")
                    .bind(id)
                    .bind(status.as_str())
                    .bind(at)
                    .execute(self.writer())
                    .await?;
                expect_one(done.rows_affected())
            }

            async fn set_provider_health(
                &self,
                id: uuid::Uuid,
                health: ferry_model::provider::Health,
                message: &str,
                at: chrono::DateTime<chrono::Utc>,
            ) -> $crate::Result<()> {
                let done = sqlx::query(
                    "update provider set health = $2, health_message = $3, last_check_at = $4 where provider_id = $1",
                )
                .bind(id)
                .bind(health.as_str())
                .bind(message)
                .bind(at)
                .execute(self.writer())
                .await?;
                expect_one(done.rows_affected())
            }

            async fn delete_provider(&self, id: uuid::Uuid) -> $crate::Result<()> {
                let done = sqlx::query("delete from provider where provider_id = $1")
                    .bind(id)
                    .execute(self.writer())
                    .await?;
                expect_one(done.rows_affected())
            }

            async fn setting(&self, key: &str) -> $crate::Result<Option<String>> {
                let row = sqlx::query("select value from setting where key = $1")
                    .bind(key)
                    .fetch_optional(&self.pool)
                    .await?;
                row.map(|row| Ok(sqlx::Row::try_get(&row, "value")?)).transpose()
            }

            async fn insert_setting_if_absent(&self, key: &str, value: &str) -> $crate::Result<bool> {
                let done = sqlx::query("insert into setting (key, value) values ($1, $2) on conflict (key) do nothing")
                    .bind(key)
                    .bind(value)
                    .execute(self.writer())
                    .await?;
                Ok(done.rows_affected() == 1)
            }

            async fn set_setting(&self, key: &str, value: &str) -> $crate::Result<()> {
                sqlx::query(
                    "insert into setting (key, value) values ($1, $2)
                     on conflict (key) do update set value = excluded.value",
                )
                .bind(key)
                .bind(value)
                .execute(self.writer())
                .await?;
                Ok(())
            }

            async fn create_job(
                &self,
                spec: &$crate::JobSpec,
                created_by: Option<uuid::Uuid>,
            ) -> $crate::Result<$crate::JobRecord> {
                let id = uuid::Uuid::now_v7();
                let now = chrono::Utc::now();
                let filter = serde_json::to_string(&spec.filter)
                    .map_err(|e| $crate::DbError::Corrupt(format!("filter: {e}")))?;
                sqlx::query(
                    "insert into job (job_id, name, source_id, source_prefix, dest_id, dest_prefix, filter, strategy,
                       overwrite, verify, dry_run, concurrency, bandwidth_limit, max_attempts, mirror_deletes,
                       max_deletes, schedule, status, run_no, created_by, created_at, updated_at)
                     values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, 'draft', 0,
                       $18, $19, $19)",
                )
                .bind(id)
                .bind(&spec.name)
                .bind(spec.source_id)
                .bind(&spec.source_prefix)
                .bind(spec.dest_id)
                .bind(&spec.dest_prefix)
                .bind(filter)
                .bind(spec.strategy.as_str())
                .bind(spec.overwrite.as_str())
                .bind(spec.verify)
                .bind(spec.dry_run)
                .bind(spec.concurrency)
                .bind(spec.bandwidth_limit)
                .bind(spec.max_attempts)
                .bind(spec.mirror_deletes)
                .bind(spec.max_deletes)
                .bind(&spec.schedule)
                .bind(created_by)
                .bind(now)
                .execute(self.writer())
                .await?;
                self.job_by_id(id).await
            }

            async fn job_by_id(&self, id: uuid::Uuid) -> $crate::Result<$crate::JobRecord> {
                let row = sqlx::query("select * from job where job_id = $1").bind(id).fetch_one(&self.pool).await?;
                job_from_row(&row)
            }

            async fn list_jobs(&self) -> $crate::Result<Vec<$crate::JobRecord>> {
                let rows = sqlx::query("select * from job order by job_id desc").fetch_all(&self.pool).await?;
                rows.iter().map(job_from_row).collect()
            }

            async fn transition_job(
                &self,
                id: uuid::Uuid,
                from: ferry_model::job::JobStatus,
                to: ferry_model::job::JobStatus,
                error: Option<&str>,
                at: chrono::DateTime<chrono::Utc>,
            ) -> $crate::Result<bool> {
                if !from.can_transition_to(to) {
                    return Err($crate::DbError::Conflict { constraint: format!("a job cannot go from {from} to {to}") });
                }
                let starting = to == ferry_model::job::JobStatus::Planning;
                let mut tx = self.writer().begin_with($begin_write).await?;
                let done = sqlx::query(
                    "update job set status = $3, error = $4, updated_at = $5,
                       run_no = case when $6 then run_no + 1 else run_no end,
                       started_at = case when $6 then $5 else started_at end,
                       finished_at = case when $7 then $5 when $6 then null else finished_at end
                     where job_id = $1 and status = $2",
                )
                .bind(id)
                .bind(from.as_str())
                .bind(to.as_str())
                .bind(error)
                .bind(at)
                .bind(starting)
                .bind(to.is_final())
                .execute(&mut *tx)
                .await?;
                let moved = done.rows_affected() == 1;
                if moved && starting {
                    // A new run: what earlier runs noted on unfinished items is stale.
                    sqlx::query(
                        "update job_item set prior_version = null, prior_backup = null, dest_sha256 = null
                         where job_id = $1 and status not in ('copied', 'verified', 'in_progress')",
                    )
                    .bind(id)
                    .execute(&mut *tx)
                    .await?;
                }
                if moved {
                    let detail = match error {
                        Some(e) => format!("{to}: {e}"),
                        None => to.as_str().to_owned(),
                    };
                    insert_event(&mut tx, id, "status", &detail, at).await?;
                }
                tx.commit().await?;
                Ok(moved)
            }

            async fn upsert_items(&self, job_id: uuid::Uuid, items: &[$crate::NewItem]) -> $crate::Result<()> {
                let mut tx = self.writer().begin_with($begin_write).await?;
                // A chunk of items per statement; a key named twice in one batch (never
                // from a listing) is written a row at a time, the last one winning.
                for part in $crate::shared::shaped_by_key(items, |item| item.source_key.as_str()) {
                    let sql = format!(
                        "insert into job_item (job_id, source_key, dest_key, action, reason, size, source_etag,
                           source_version, source_modified, status, attempts, next_attempt_at)
                         values {}
                         on conflict (job_id, source_key) do update set
                           dest_key = excluded.dest_key, action = excluded.action, reason = excluded.reason,
                           size = excluded.size, source_etag = excluded.source_etag,
                           source_version = excluded.source_version, source_modified = excluded.source_modified,
                           status = excluded.status, attempts = 0, next_attempt_at = 0, error_kind = null,
                           error_message = null, finished_at = null,
                           -- What an interrupted attempt noted stays for its retry; anything
                           -- finished, or a source that changed, starts afresh.
                           dest_sha256 = case when job_item.status in ('pending', 'retry_wait')
                             and job_item.source_etag is not distinct from excluded.source_etag
                             then job_item.dest_sha256 else null end,
                           prior_version = case when job_item.status in ('pending', 'retry_wait')
                             and job_item.source_etag is not distinct from excluded.source_etag
                             then job_item.prior_version else null end,
                           prior_backup = case when job_item.status in ('pending', 'retry_wait')
                             and job_item.source_etag is not distinct from excluded.source_etag
                             then job_item.prior_backup else null end
                         where job_item.status <> 'in_progress'
                           and (job_item.status not in ('copied', 'verified')
                                or job_item.source_etag is distinct from excluded.source_etag)",
                        // Ten values an item, then no attempts yet and no wait.
                        value_rows(part.len(), 10, 1).replace(')', ", 0, 0)")
                    );
                    let mut query = sqlx::query(&sql);
                    for item in part {
                        let status = if item.action == ferry_model::job::ItemAction::Skip { "skipped" } else { "pending" };
                        query = query
                            .bind(job_id)
                            .bind(&item.source_key)
                            .bind(&item.dest_key)
                            .bind(item.action.as_str())
                            .bind(&item.reason)
                            .bind(item.size)
                            .bind(&item.source_etag)
                            .bind(&item.source_version)
                            .bind(item.source_modified)
                            .bind(status);
                    }
                    query.execute(&mut *tx).await?;
                }
                tx.commit().await?;
                Ok(())
            }

            async fn claim_items(
                &self,
                job_id: uuid::Uuid,
                owner: &str,
                token: &str,
                lease_until: i64,
                now: i64,
                limit: i64,
            ) -> $crate::Result<Vec<$crate::ItemRecord>> {
                let rows = sqlx::query(concat!(
                    "update job_item set status = 'in_progress', lease_owner = $2, lease_token = $3,
                       lease_until = $4, attempts = attempts + 1
                     where (job_id, source_key) in (
                       select job_id, source_key from job_item
                       where job_id = $1
                         and ((status in ('pending', 'retry_wait') and next_attempt_at <= $5)
                              or (status = 'in_progress' and lease_until < $5))
                       order by source_key
                       limit $6 ",
                    $claim_lock,
                    ")
                     returning *"
                ))
                .bind(job_id)
                .bind(owner)
                .bind(token)
                .bind(lease_until)
                .bind(now)
                .bind(limit.clamp(0, 10_000))
                .fetch_all(self.writer())
                .await?;
                let mut items = rows.iter().map(item_from_row).collect::<$crate::Result<Vec<_>>>()?;
                items.sort_by(|a, b| a.source_key.cmp(&b.source_key));
                Ok(items)
            }

            async fn renew_lease(&self, job_id: uuid::Uuid, source_key: &str, token: &str, until: i64) -> $crate::Result<bool> {
                let done = sqlx::query(
                    "update job_item set lease_until = $4
                     where job_id = $1 and source_key = $2 and lease_token = $3 and status = 'in_progress'",
                )
                .bind(job_id)
                .bind(source_key)
                .bind(token)
                .bind(until)
                .execute(self.writer())
                .await?;
                Ok(done.rows_affected() == 1)
            }

            async fn mark_item(
                &self,
                job_id: uuid::Uuid,
                source_key: &str,
                token: &str,
                mark: &$crate::ItemMark,
            ) -> $crate::Result<bool> {
                let done = sqlx::query(
                    "update job_item set prior_version = coalesce($4, prior_version),
                       prior_backup = coalesce($5, prior_backup), dest_sha256 = coalesce($6, dest_sha256),
                       source_sha256 = coalesce($6, source_sha256)
                     where job_id = $1 and source_key = $2 and lease_token = $3 and status = 'in_progress'",
                )
                .bind(job_id)
                .bind(source_key)
                .bind(token)
                .bind(mark.prior_version.as_deref())
                .bind(mark.prior_backup.as_deref())
                .bind(mark.copied_sha256.as_deref())
                .execute(self.writer())
                .await?;
                Ok(done.rows_affected() == 1)
            }

            async fn finish_items(
                &self,
                job_id: uuid::Uuid,
                finishes: &[$crate::ItemFinish],
                at: chrono::DateTime<chrono::Utc>,
            ) -> $crate::Result<Vec<bool>> {
                // One transaction: the items' ends and what the catalog learns from
                // them are recorded together or not at all.
                let mut tx = self.writer().begin_with($begin_write).await?;
                let mut recorded = vec![false; finishes.len()];
                let done: Vec<usize> = (0..finishes.len())
                    .filter(|&i| matches!(finishes[i].outcome, $crate::ItemOutcome::Done { .. }))
                    .collect();
                // Finished copies are written a chunk per statement; an item named
                // twice (never in practice) is written on its own.
                for part in $crate::shared::shaped_by_key(&done, |&i| finishes[i].source_key.as_str()) {
                    let taken = finish_done_in(&mut tx, job_id, finishes, part, at).await?;
                    for &i in part {
                        recorded[i] = taken.contains(&finishes[i].source_key);
                    }
                }
                for (i, finish) in finishes.iter().enumerate() {
                    if !matches!(finish.outcome, $crate::ItemOutcome::Done { .. }) {
                        recorded[i] = finish_other_in(&mut tx, job_id, finish, at).await?;
                    }
                }
                // An item whose lease was lost is recorded by the worker that holds it now.
                let changes: Vec<&$crate::CatalogChange> = finishes
                    .iter()
                    .zip(&recorded)
                    .filter(|(_, taken)| **taken)
                    .flat_map(|(finish, _)| &finish.catalog)
                    .collect();
                apply_catalog_in(&mut tx, &changes).await?;
                tx.commit().await?;
                Ok(recorded)
            }

            async fn search_items(
                &self,
                job_id: uuid::Uuid,
                status: Option<ferry_model::job::ItemStatus>,
                search: Option<&str>,
                after: Option<&str>,
                limit: i64,
            ) -> $crate::Result<Vec<$crate::ItemRecord>> {
                let pattern = like_pattern(search);
                let rows = sqlx::query(
                    "select * from job_item
                     where job_id = $1 and ($2 is null or status = $2) and ($3 is null or source_key > $3)
                       and ($4 is null or lower(source_key) like $4 escape '\\')
                     order by source_key limit $5",
                )
                .bind(job_id)
                .bind(status.map(|s| s.as_str()))
                .bind(after)
                .bind(pattern)
                .bind(limit.clamp(0, 10_000))
                .fetch_all(&self.pool)
                .await?;
                rows.iter().map(item_from_row).collect()
            }

            async fn plan_counts(&self, job_id: uuid::Uuid) -> $crate::Result<ferry_model::job::PlanCounts> {
                let rows = sqlx::query(
                    "select action, count(*) as n, cast(coalesce(sum(size), 0) as bigint) as b,
                        cast(coalesce(sum(case when status in ('copied', 'verified') and source_sha256 is not null
                            and source_sha256 = dest_sha256 then 1 else 0 end), 0) as bigint) as matched,
                        cast(coalesce(sum(case when source_sha256 is not null and dest_sha256 is not null
                            and source_sha256 <> dest_sha256 then 1 else 0 end), 0) as bigint) as mismatched
                     from job_item where job_id = $1 group by action",
                )
                .bind(job_id)
                .fetch_all(&self.pool)
                .await?;
                let mut counts = ferry_model::job::PlanCounts::default();
                for row in &rows {
                    let action: String = sqlx::Row::try_get(row, "action")?;
                    let n: i64 = sqlx::Row::try_get(row, "n")?;
                    let b: i64 = sqlx::Row::try_get(row, "b")?;
                    counts.hash_matched += sqlx::Row::try_get::<i64, _>(row, "matched")?;
                    counts.hash_mismatched += sqlx::Row::try_get::<i64, _>(row, "mismatched")?;
                    match action.as_str() {
                        "copy" => {
                            counts.copy += n;
                            counts.bytes += b;
                        }
                        "overwrite" => {
                            counts.overwrite += n;
                            counts.bytes += b;
                        }
                        "skip" => counts.skip += n,
                        "delete" => counts.delete += n,
                        other => return Err($crate::DbError::Corrupt(format!("item action `{other}`"))),
                    }
                }
                Ok(counts)
            }

            async fn search_documents(
                &self,
                search: Option<&str>,
                after: Option<uuid::Uuid>,
                limit: i64,
            ) -> $crate::Result<Vec<$crate::DocumentRow>> {
                let pattern = like_pattern(search);
                let rows = sqlx::query(
                    "select d.document_id, d.title, coalesce(min(c.key), '') as k, count(c.provider_id) as copies,
                        cast(coalesce(max(c.size), 0) as bigint) as size, count(distinct c.sha256) as hashes,
                        cast(coalesce(sum(case when c.sync_status = 'conflict' then 1 else 0 end), 0) as bigint) as conflicts
                     from document d left join document_copy c on c.document_id = d.document_id
                     where ($1 is null or d.document_id > $1)
                       and ($2 is null or lower(d.title) like $2 escape '\\' or exists (
                           select 1 from document_copy m where m.document_id = d.document_id
                           and lower(m.key) like $2 escape '\\'))
                     group by d.document_id, d.title order by d.document_id limit $3",
                )
                .bind(after)
                .bind(pattern)
                .bind(limit.clamp(0, 1_000))
                .fetch_all(&self.pool)
                .await?;
                rows.iter()
                    .map(|row| {
                        Ok($crate::DocumentRow {
                            id: sqlx::Row::try_get(row, "document_id")?,
                            title: sqlx::Row::try_get(row, "title")?,
                            key: sqlx::Row::try_get(row, "k")?,
                            copies: sqlx::Row::try_get(row, "copies")?,
                            size: sqlx::Row::try_get(row, "size")?,
                            hashes: sqlx::Row::try_get(row, "hashes")?,
                            conflicts: sqlx::Row::try_get(row, "conflicts")?,
                        })
                    })
                    .collect()
            }

            async fn moved_since(&self, since: chrono::DateTime<chrono::Utc>) -> $crate::Result<(i64, i64)> {
                let row = sqlx::query(
                    "select count(*) as n, cast(coalesce(sum(size), 0) as bigint) as b from job_item
                     where status in ('copied', 'verified') and action in ('copy', 'overwrite') and finished_at >= $1",
                )
                .bind(since)
                .fetch_one(&self.pool)
                .await?;
                Ok((sqlx::Row::try_get(&row, "n")?, sqlx::Row::try_get(&row, "b")?))
            }

            async fn rollback_counts(&self, job_id: uuid::Uuid) -> $crate::Result<ferry_model::job::RollbackCounts> {
                let rows = sqlx::query(
                    "select coalesce(rollback_status, '') as r, count(*) as n from job_item
                     where job_id = $1 and (status in ('copied', 'verified') or rollback_status is not null)
                     group by coalesce(rollback_status, '')",
                )
                .bind(job_id)
                .fetch_all(&self.pool)
                .await?;
                let mut counts = ferry_model::job::RollbackCounts::default();
                for row in &rows {
                    let result: String = sqlx::Row::try_get(row, "r")?;
                    let n: i64 = sqlx::Row::try_get(row, "n")?;
                    counts.total += n;
                    match result.as_str() {
                        "" => {}
                        "undone" => counts.undone += n,
                        "kept" => counts.kept += n,
                        _ => counts.failed += n,
                    }
                }
                Ok(counts)
            }

            async fn recent_items(&self, job_id: uuid::Uuid, limit: i64) -> $crate::Result<Vec<$crate::ItemRecord>> {
                let rows = sqlx::query(
                    "select * from job_item where job_id = $1 and finished_at is not null
                     order by finished_at desc limit $2",
                )
                .bind(job_id)
                .bind(limit.clamp(0, 1_000))
                .fetch_all(&self.pool)
                .await?;
                rows.iter().map(item_from_row).collect()
            }

            async fn job_events(
                &self,
                job_id: Option<uuid::Uuid>,
                kind: Option<&str>,
                limit: i64,
            ) -> $crate::Result<Vec<$crate::JobEvent>> {
                let rows = sqlx::query(
                    "select * from job_event where ($1 is null or job_id = $1) and ($2 is null or kind = $2)
                     order by event_id desc limit $3",
                )
                .bind(job_id)
                .bind(kind)
                .bind(limit.clamp(0, 10_000))
                .fetch_all(&self.pool)
                .await?;
                rows.iter()
                    .map(|row| {
                        Ok($crate::JobEvent {
                            id: sqlx::Row::try_get(row, "event_id")?,
                            job_id: sqlx::Row::try_get(row, "job_id")?,
                            kind: sqlx::Row::try_get(row, "kind")?,
                            detail: sqlx::Row::try_get(row, "detail")?,
                            occurred_at: sqlx::Row::try_get(row, "occurred_at")?,
                        })
                    })
                    .collect()
            }

            async fn notify(&self, job_id: uuid::Uuid) -> $crate::Result<()> {
                notify_job(&self.pool, job_id).await
            }

            async fn listen(&self) -> $crate::Result<Option<$crate::JobIds>> {
                listen_jobs(&self.pool).await
            }

            async fn job_counts(&self, job_id: uuid::Uuid) -> $crate::Result<ferry_model::job::JobCounts> {
                let rows = sqlx::query(
                    "select status, count(*) as n, cast(coalesce(sum(size), 0) as bigint) as b
                     from job_item where job_id = $1 group by status",
                )
                .bind(job_id)
                .fetch_all(&self.pool)
                .await?;
                let mut counts = ferry_model::job::JobCounts::default();
                for row in &rows {
                    let status: String = sqlx::Row::try_get(row, "status")?;
                    let n: i64 = sqlx::Row::try_get(row, "n")?;
                    let b: i64 = sqlx::Row::try_get(row, "b")?;
                    counts.total += n;
                    counts.total_bytes += b;
                    match status.as_str() {
                        "pending" | "retry_wait" => counts.pending += n,
                        "in_progress" => counts.in_progress += n,
                        "copied" | "verified" => {
                            counts.done += n;
                            counts.done_bytes += b;
                        }
                        "skipped" => {
                            counts.skipped += n;
                            counts.skipped_bytes += b;
                        }
                        "failed" => {
                            counts.failed += n;
                            counts.failed_bytes += b;
                        }
                        other => return Err($crate::DbError::Corrupt(format!("item status `{other}`"))),
                    }
                }
                Ok(counts)
            }

            async fn retry_failed_items(&self, job_id: uuid::Uuid, keys: Option<&[String]>) -> $crate::Result<u64> {
                const RETRY: &str = "update job_item set status = 'pending', attempts = 0, next_attempt_at = 0,
                       error_kind = null, error_message = null, finished_at = null
                     where job_id = $1 and status = 'failed' and ($2 is null or source_key = $2)";
                let Some(keys) = keys else {
                    let done = sqlx::query(RETRY).bind(job_id).bind(None::<&str>).execute(self.writer()).await?;
                    return Ok(done.rows_affected());
                };
                let mut tx = self.writer().begin_with($begin_write).await?;
                let mut n = 0;
                for key in keys {
                    n += sqlx::query(RETRY).bind(job_id).bind(key.as_str()).execute(&mut *tx).await?.rows_affected();
                }
                tx.commit().await?;
                Ok(n)
            }

            async fn set_job_bandwidth(
                &self,
                id: uuid::Uuid,
                limit: Option<i64>,
                at: chrono::DateTime<chrono::Utc>,
            ) -> $crate::Result<()> {
                let done = sqlx::query("update job set bandwidth_limit = $2, updated_at = $3 where job_id = $1")
                    .bind(id)
                    .bind(limit)
                    .bind(at)
                    .execute(self.writer())
                    .await?;
                expect_one(done.rows_affected())
            }

            async fn release_all_leases(&self) -> $crate::Result<u64> {
                let done = sqlx::query(
                    "update job_item set status = 'pending', lease_token = null, lease_owner = null, lease_until = null
                     where status = 'in_progress'",
                )
                .execute(self.writer())
                .await?;
                Ok(done.rows_affected())
            }

            async fn items_to_roll_back(
                &self,
                job_id: uuid::Uuid,
                limit: i64,
            ) -> $crate::Result<Vec<$crate::ItemRecord>> {
                let rows = sqlx::query(
                    "select * from job_item
                     where job_id = $1 and status in ('copied', 'verified') and rollback_status is null
                     order by source_key limit $2",
                )
                .bind(job_id)
                .bind(limit.clamp(0, 10_000))
                .fetch_all(&self.pool)
                .await?;
                rows.iter().map(item_from_row).collect()
            }

            async fn set_rollback(
                &self,
                job_id: uuid::Uuid,
                source_key: &str,
                status: &str,
                message: &str,
            ) -> $crate::Result<()> {
                let done = sqlx::query(
                    "update job_item set rollback_status = $3, rollback_message = $4
                     where job_id = $1 and source_key = $2",
                )
                .bind(job_id)
                .bind(source_key)
                .bind(status)
                .bind(message)
                .execute(self.writer())
                .await?;
                expect_one(done.rows_affected())
            }

            async fn record_copy(&self, copy: &$crate::CopyRecord) -> $crate::Result<()> {
                let mut tx = self.writer().begin_with($begin_write).await?;
                record_copies_in(&mut tx, &[copy]).await?;
                tx.commit().await?;
                Ok(())
            }

            async fn forget_copy(&self, provider_id: uuid::Uuid, key: &str) -> $crate::Result<()> {
                sqlx::query("delete from document_copy where provider_id = $1 and key = $2")
                    .bind(provider_id)
                    .bind(key)
                    .execute(self.writer())
                    .await?;
                Ok(())
            }

            async fn document_copies(&self, document_id: uuid::Uuid) -> $crate::Result<Vec<$crate::CopyRecord>> {
                let rows = sqlx::query(
                    "select c.*, d.title from document_copy c join document d on d.document_id = c.document_id
                     where c.document_id = $1 order by c.provider_id",
                )
                .bind(document_id)
                .fetch_all(&self.pool)
                .await?;
                rows.iter().map(copy_from_row).collect()
            }

            async fn set_copy_status(
                &self,
                document_id: uuid::Uuid,
                provider_id: uuid::Uuid,
                sync_status: &str,
                at: chrono::DateTime<chrono::Utc>,
            ) -> $crate::Result<()> {
                let done = sqlx::query(
                    "update document_copy set sync_status = $3, last_seen_at = $4
                     where document_id = $1 and provider_id = $2",
                )
                .bind(document_id)
                .bind(provider_id)
                .bind(sync_status)
                .bind(at)
                .execute(self.writer())
                .await?;
                expect_one(done.rows_affected())
            }

            async fn find_copy(&self, provider_id: uuid::Uuid, key: &str) -> $crate::Result<Option<$crate::CopyRecord>> {
                let row = sqlx::query(
                    "select c.*, d.title from document_copy c join document d on d.document_id = c.document_id
                     where c.provider_id = $1 and c.key = $2",
                )
                .bind(provider_id)
                .bind(key)
                .fetch_optional(&self.pool)
                .await?;
                row.as_ref().map(copy_from_row).transpose()
            }

            async fn find_copies(
                &self,
                provider_id: uuid::Uuid,
                keys: &[String],
            ) -> $crate::Result<Vec<$crate::CopyRecord>> {
                let mut copies = Vec::new();
                for part in keys.chunks(500) {
                    let sql = format!(
                        "select c.*, d.title from document_copy c join document d on d.document_id = c.document_id
                         where c.provider_id = $1 and c.key in ({})",
                        (2..part.len() + 2).map(|n| format!("${n}")).collect::<Vec<_>>().join(", ")
                    );
                    let mut query = sqlx::query(&sql).bind(provider_id);
                    for key in part {
                        query = query.bind(key);
                    }
                    for row in query.fetch_all(&self.pool).await? {
                        copies.push(copy_from_row(&row)?);
                    }
                }
                Ok(copies)
            }

            async fn metrics(&self) -> $crate::Result<Vec<(String, String, i64)>> {
                let rows = sqlx::query(
                    "select 'jobs' as family, status as label, count(*) as n from job group by status
                     union all
                     select 'items', status, count(*) from job_item group by status
                     union all
                     select 'item_bytes', status, cast(coalesce(sum(size), 0) as bigint) from job_item group by status
                     union all
                     select 'failed_items', coalesce(error_kind, 'unknown'), count(*) from job_item
                       where status = 'failed' group by error_kind
                     union all
                     select 'documents', 'all', count(*) from document",
                )
                .fetch_all(&self.pool)
                .await?;
                rows.iter()
                    .map(|row| {
                        Ok((
                            sqlx::Row::try_get(row, "family")?,
                            sqlx::Row::try_get(row, "label")?,
                            sqlx::Row::try_get(row, "n")?,
                        ))
                    })
                    .collect()
            }

            async fn count_documents(&self) -> $crate::Result<i64> {
                let row = sqlx::query("select count(*) as n from document").fetch_one(&self.pool).await?;
                Ok(sqlx::Row::try_get(&row, "n")?)
            }
        }

        fn copy_from_row(row: &$row) -> $crate::Result<$crate::CopyRecord> {
            Ok($crate::CopyRecord {
                document_id: row.try_get("document_id")?,
                title: row.try_get("title")?,
                provider_id: row.try_get("provider_id")?,
                key: row.try_get("key")?,
                sha256: row.try_get("sha256")?,
                size: row.try_get("size")?,
                revision: row.try_get("revision")?,
                sync_status: row.try_get("sync_status")?,
                last_seen_at: row.try_get("last_seen_at")?,
            })
        }

        fn job_from_row(row: &$row) -> $crate::Result<$crate::JobRecord> {
            let corrupt = |e: String| $crate::DbError::Corrupt(e);
            let filter: String = row.try_get("filter")?;
            let strategy: String = row.try_get("strategy")?;
            let overwrite: String = row.try_get("overwrite")?;
            let status: String = row.try_get("status")?;
            Ok($crate::JobRecord {
                id: row.try_get("job_id")?,
                spec: $crate::JobSpec {
                    name: row.try_get("name")?,
                    source_id: row.try_get("source_id")?,
                    source_prefix: row.try_get("source_prefix")?,
                    dest_id: row.try_get("dest_id")?,
                    dest_prefix: row.try_get("dest_prefix")?,
                    filter: serde_json::from_str(&filter).map_err(|e| corrupt(format!("filter: {e}")))?,
                    strategy: strategy.parse().map_err(corrupt)?,
                    overwrite: overwrite.parse().map_err(corrupt)?,
                    verify: row.try_get("verify")?,
                    dry_run: row.try_get("dry_run")?,
                    concurrency: row.try_get("concurrency")?,
                    bandwidth_limit: row.try_get("bandwidth_limit")?,
                    max_attempts: row.try_get("max_attempts")?,
                    mirror_deletes: row.try_get("mirror_deletes")?,
                    max_deletes: row.try_get("max_deletes")?,
                    schedule: row.try_get("schedule")?,
                },
                status: status.parse().map_err(corrupt)?,
                run_no: row.try_get("run_no")?,
                error: row.try_get("error")?,
                created_by: row.try_get("created_by")?,
                created_at: row.try_get("created_at")?,
                updated_at: row.try_get("updated_at")?,
                started_at: row.try_get("started_at")?,
                finished_at: row.try_get("finished_at")?,
            })
        }

        /// `($a, $b, …), ($c, $d, …)`: placeholders for `rows` rows of `columns`
        /// values, numbered from `first`.
        fn value_rows(rows: usize, columns: usize, first: usize) -> String {
            (0..rows)
                .map(|r| {
                    let row = (0..columns).map(|c| format!("${}", first + r * columns + c)).collect::<Vec<_>>();
                    format!("({})", row.join(", "))
                })
                .collect::<Vec<_>>()
                .join(", ")
        }

        /// Marks finished copies done, each fenced by its lease token, in one
        /// statement; returns the keys it recorded.
        async fn finish_done_in(
            tx: &mut sqlx::Transaction<'_, <$row as sqlx::Row>::Database>,
            job_id: uuid::Uuid,
            finishes: &[$crate::ItemFinish],
            part: &[usize],
            at: chrono::DateTime<chrono::Utc>,
        ) -> $crate::Result<std::collections::HashSet<String>> {
            let sql = format!(
                "update job_item set status = v.column3, source_sha256 = v.column4, dest_sha256 = v.column4,
                   dest_etag = v.column5, dest_version = v.column6, prior_version = v.column7,
                   prior_backup = v.column8, document_id = v.column9, error_kind = null, error_message = null,
                   lease_token = null, lease_until = null, finished_at = $2
                 from (values {}) as v
                 where job_item.job_id = $1 and job_item.source_key = v.column1
                   and job_item.lease_token = v.column2 and job_item.status = 'in_progress'
                 returning source_key",
                value_rows(part.len(), 9, 3)
            );
            let mut query = sqlx::query(&sql).bind(job_id).bind(at);
            for &i in part {
                let finish = &finishes[i];
                let $crate::ItemOutcome::Done {
                    verified,
                    sha256,
                    dest_etag,
                    dest_version,
                    prior_version,
                    prior_backup,
                    document_id,
                } = &finish.outcome
                else {
                    return Err($crate::DbError::Corrupt("only finished copies are written together".into()));
                };
                query = query
                    .bind(&finish.source_key)
                    .bind(&finish.token)
                    .bind(if *verified { "verified" } else { "copied" })
                    .bind(sha256)
                    .bind(dest_etag)
                    .bind(dest_version)
                    .bind(prior_version)
                    .bind(prior_backup)
                    .bind(*document_id);
            }
            let rows = query.fetch_all(&mut **tx).await?;
            rows.iter().map(|row| Ok(sqlx::Row::try_get::<String, _>(row, "source_key")?)).collect()
        }

        /// Records a retry or a failure, fenced by the lease token; false when the
        /// lease was lost.
        async fn finish_other_in(
            tx: &mut sqlx::Transaction<'_, <$row as sqlx::Row>::Database>,
            job_id: uuid::Uuid,
            finish: &$crate::ItemFinish,
            at: chrono::DateTime<chrono::Utc>,
        ) -> $crate::Result<bool> {
            const FENCE: &str = "where job_id = $1 and source_key = $2 and lease_token = $3 and status = 'in_progress'";
            let (job, key, token) = (job_id, finish.source_key.as_str(), finish.token.as_str());
            let done = match &finish.outcome {
                $crate::ItemOutcome::Retry { at: retry_at, kind, message } => {
                    let sql = format!(
                        "update job_item set status = 'retry_wait', next_attempt_at = $4, error_kind = $5,
                           error_message = $6, lease_token = null, lease_owner = null, lease_until = null {FENCE}"
                    );
                    sqlx::query(&sql)
                        .bind(job)
                        .bind(key)
                        .bind(token)
                        .bind(*retry_at)
                        .bind(kind)
                        .bind(message)
                        .execute(&mut **tx)
                        .await?
                }
                $crate::ItemOutcome::Failed { kind, message } => {
                    let sql = format!(
                        "update job_item set status = 'failed', error_kind = $4, error_message = $5,
                           lease_token = null, lease_owner = null, lease_until = null, finished_at = $6 {FENCE}"
                    );
                    let done = sqlx::query(&sql)
                        .bind(job)
                        .bind(key)
                        .bind(token)
                        .bind(kind)
                        .bind(message)
                        .bind(at)
                        .execute(&mut **tx)
                        .await?;
                    if done.rows_affected() == 1 {
                        insert_event(tx, job, "item_failed", &format!("{key}: {message}"), at).await?;
                    }
                    done
                }
                $crate::ItemOutcome::Done { .. } => {
                    return Err($crate::DbError::Corrupt("a finished copy is written with the others".into()));
                }
            };
            Ok(done.rows_affected() == 1)
        }

        /// Applies catalog changes inside the caller's transaction: a statement per
        /// kind of change for the lot, or one change after another when two of
        /// them name the same copy (their order then matters).
        async fn apply_catalog_in(
            tx: &mut sqlx::Transaction<'_, <$row as sqlx::Row>::Database>,
            changes: &[&$crate::CatalogChange],
        ) -> $crate::Result<()> {
            let mut places = std::collections::HashSet::new();
            let mut copies = std::collections::HashSet::new();
            let independent = changes.iter().all(|change| match change {
                $crate::CatalogChange::Record(copy) => {
                    places.insert((copy.provider_id, copy.key.as_str()))
                        && copies.insert((copy.document_id, copy.provider_id))
                }
                $crate::CatalogChange::Forget { provider_id, key } => places.insert((*provider_id, key.as_str())),
            });
            if !independent {
                for change in changes {
                    match change {
                        $crate::CatalogChange::Record(copy) => record_copies_in(tx, &[copy]).await?,
                        $crate::CatalogChange::Forget { provider_id, key } => {
                            forget_copies_in(tx, &[(*provider_id, key.as_str())]).await?;
                        }
                    }
                }
                return Ok(());
            }
            let records: Vec<&$crate::CopyRecord> = changes
                .iter()
                .filter_map(|change| match change {
                    $crate::CatalogChange::Record(copy) => Some(copy),
                    $crate::CatalogChange::Forget { .. } => None,
                })
                .collect();
            let forgets: Vec<(uuid::Uuid, &str)> = changes
                .iter()
                .filter_map(|change| match change {
                    $crate::CatalogChange::Forget { provider_id, key } => Some((*provider_id, key.as_str())),
                    $crate::CatalogChange::Record(_) => None,
                })
                .collect();
            record_copies_in(tx, &records).await?;
            forget_copies_in(tx, &forgets).await
        }

        /// Records documents' copies inside the caller's transaction, a statement
        /// per step for a chunk of them: the document is created when new, and
        /// another document's copy at the same place gives way.
        async fn record_copies_in(
            tx: &mut sqlx::Transaction<'_, <$row as sqlx::Row>::Database>,
            records: &[&$crate::CopyRecord],
        ) -> $crate::Result<()> {
            for part in $crate::shared::shaped(records) {
                let mut seen = std::collections::HashSet::new();
                let documents: Vec<&&$crate::CopyRecord> = part.iter().filter(|c| seen.insert(c.document_id)).collect();
                for documents in $crate::shared::shaped(&documents) {
                    let sql = format!(
                        "insert into document (document_id, title, created_at) values {}
                         on conflict (document_id) do nothing",
                        value_rows(documents.len(), 3, 1)
                    );
                    let mut query = sqlx::query(&sql);
                    for copy in documents {
                        query = query.bind(copy.document_id).bind(&copy.title).bind(copy.last_seen_at);
                    }
                    query.execute(&mut **tx).await?;
                }
                // (Row values `in` a select, so both databases look the places up by index.)
                let sql = format!(
                    "delete from document_copy
                     where (provider_id, key) in (select v.column1, v.column2 from (values {}) as v)
                       and (provider_id, key, document_id) not in
                         (select w.column1, w.column2, w.column3 from (values {}) as w)",
                    value_rows(part.len(), 2, 1),
                    value_rows(part.len(), 3, 2 * part.len() + 1)
                );
                let mut query = sqlx::query(&sql);
                for copy in part {
                    query = query.bind(copy.provider_id).bind(&copy.key);
                }
                for copy in part {
                    query = query.bind(copy.provider_id).bind(&copy.key).bind(copy.document_id);
                }
                query.execute(&mut **tx).await?;
                let sql = format!(
                    "insert into document_copy
                       (document_id, provider_id, key, sha256, size, revision, sync_status, last_seen_at)
                     values {}
                     on conflict (document_id, provider_id) do update set key = excluded.key,
                       sha256 = excluded.sha256, size = excluded.size, revision = excluded.revision,
                       sync_status = excluded.sync_status, last_seen_at = excluded.last_seen_at",
                    value_rows(part.len(), 8, 1)
                );
                let mut query = sqlx::query(&sql);
                for copy in part {
                    query = query
                        .bind(copy.document_id)
                        .bind(copy.provider_id)
                        .bind(&copy.key)
                        .bind(&copy.sha256)
                        .bind(copy.size)
                        .bind(&copy.revision)
                        .bind(&copy.sync_status)
                        .bind(copy.last_seen_at);
                }
                query.execute(&mut **tx).await?;
            }
            Ok(())
        }

        /// Forgets the copies at these places inside the caller's transaction.
        async fn forget_copies_in(
            tx: &mut sqlx::Transaction<'_, <$row as sqlx::Row>::Database>,
            places: &[(uuid::Uuid, &str)],
        ) -> $crate::Result<()> {
            for part in $crate::shared::shaped(places) {
                let sql = format!(
                    "delete from document_copy
                     where (provider_id, key) in (select v.column1, v.column2 from (values {}) as v)",
                    value_rows(part.len(), 2, 1)
                );
                let mut query = sqlx::query(&sql);
                for (provider_id, key) in part {
                    query = query.bind(*provider_id).bind(*key);
                }
                query.execute(&mut **tx).await?;
            }
            Ok(())
        }

        /// Writes an outbox row in the caller's transaction (and, on PostgreSQL,
        /// a NOTIFY that is delivered when it commits).
        async fn insert_event(
            tx: &mut sqlx::Transaction<'_, <$row as sqlx::Row>::Database>,
            job_id: uuid::Uuid,
            kind: &str,
            detail: &str,
            at: chrono::DateTime<chrono::Utc>,
        ) -> $crate::Result<()> {
            sqlx::query(
                "insert into job_event (event_id, job_id, kind, detail, occurred_at) values ($1, $2, $3, $4, $5)",
            )
            .bind(uuid::Uuid::now_v7())
            .bind(job_id)
            .bind(kind)
            .bind(detail)
            .bind(at)
            .execute(&mut **tx)
            .await?;
            notify_in(tx, job_id).await
        }

        /// A `like … escape '\\'` pattern matching text that contains `search` in any
        /// case, where `%`, `_` and `\\` are plain characters; none for an empty search.
        fn like_pattern(search: Option<&str>) -> Option<String> {
            search.filter(|s| !s.is_empty()).map(|s| {
                let escaped = s.to_lowercase().replace('\\', "\\\\").replace('%', "\\%").replace('_', "\\_");
                format!("%{escaped}%")
            })
        }

        fn item_from_row(row: &$row) -> $crate::Result<$crate::ItemRecord> {
            let corrupt = |e: String| $crate::DbError::Corrupt(e);
            let action: String = row.try_get("action")?;
            let status: String = row.try_get("status")?;
            Ok($crate::ItemRecord {
                job_id: row.try_get("job_id")?,
                source_key: row.try_get("source_key")?,
                dest_key: row.try_get("dest_key")?,
                action: action.parse().map_err(corrupt)?,
                reason: row.try_get("reason")?,
                size: row.try_get("size")?,
                source_etag: row.try_get("source_etag")?,
                source_version: row.try_get("source_version")?,
                source_modified: row.try_get("source_modified")?,
                status: status.parse().map_err(corrupt)?,
                attempts: row.try_get("attempts")?,
                next_attempt_at: row.try_get("next_attempt_at")?,
                lease_token: row.try_get("lease_token")?,
                lease_owner: row.try_get("lease_owner")?,
                source_sha256: row.try_get("source_sha256")?,
                dest_sha256: row.try_get("dest_sha256")?,
                dest_etag: row.try_get("dest_etag")?,
                dest_version: row.try_get("dest_version")?,
                prior_version: row.try_get("prior_version")?,
                prior_backup: row.try_get("prior_backup")?,
                document_id: row.try_get("document_id")?,
                error_kind: row.try_get("error_kind")?,
                error_message: row.try_get("error_message")?,
                finished_at: row.try_get("finished_at")?,
                rollback_status: row.try_get("rollback_status")?,
                rollback_message: row.try_get("rollback_message")?,
            })
        }

        // Each provider's figures come from its own range of the (provider_id, size)
        // index, so finding one provider costs nothing for the others' documents.
        const PROVIDER_SELECT: &str = "select p.*,
               (select count(*) from document_copy c where c.provider_id = p.provider_id) as documents,
               (select cast(coalesce(sum(c.size), 0) as bigint) from document_copy c
                 where c.provider_id = p.provider_id) as bytes
             from provider p";

        fn provider_from_row(row: &$row) -> $crate::Result<$crate::ProviderRecord> {
            let corrupt = |e: String| $crate::DbError::Corrupt(e);
            let kind: String = row.try_get("kind")?;
            let status: String = row.try_get("status")?;
            let health: String = row.try_get("health")?;
            Ok($crate::ProviderRecord {
                id: row.try_get("provider_id")?,
                name: row.try_get("name")?,
                kind: kind.parse().map_err(corrupt)?,
                settings: row.try_get("settings")?,
                secrets: row.try_get("secrets")?,
                status: status.parse().map_err(corrupt)?,
                primary: row.try_get("is_primary")?,
                health: health.parse().map_err(corrupt)?,
                health_message: row.try_get("health_message")?,
                last_check_at: row.try_get("last_check_at")?,
                created_at: row.try_get("created_at")?,
                updated_at: row.try_get("updated_at")?,
                documents: row.try_get("documents")?,
                bytes: row.try_get("bytes")?,
            })
        }

        fn audit_from_row(row: &$row) -> $crate::Result<$crate::AuditEvent> {
            Ok($crate::AuditEvent {
                id: row.try_get("audit_event_id")?,
                occurred_at: row.try_get("occurred_at")?,
                actor_user_id: row.try_get("actor_user_id")?,
                actor_name: row.try_get("actor_name")?,
                source_addr: row.try_get("source_addr")?,
                action: row.try_get("action")?,
                target: row.try_get("target")?,
                detail: row.try_get("detail")?,
            })
        }

        fn parse_role(text: &str) -> $crate::Result<ferry_model::Role> {
            text.parse().map_err(|e: ferry_model::account::UnknownRole| $crate::DbError::Corrupt(e.to_string()))
        }

        fn expect_one(rows: u64) -> $crate::Result<()> {
            if rows == 0 { Err($crate::DbError::NotFound) } else { Ok(()) }
        }

        fn user_from_row(row: &$row) -> $crate::Result<$crate::UserRecord> {
            let role: String = row.try_get("role")?;
            Ok($crate::UserRecord {
                user: ferry_model::UserSummary {
                    id: row.try_get("user_id")?,
                    username: row.try_get("username")?,
                    role: parse_role(&role)?,
                    disabled: row.try_get("disabled")?,
                    created_at: row.try_get("created_at")?,
                    last_login_at: row.try_get("last_login_at")?,
                },
                password_hash: row.try_get("password_hash")?,
            })
        }
    };
}

pub(crate) use shared_store;

/// The largest number of rows one multi-row statement carries.
pub(crate) const MAX_ROWS: usize = 64;

/// Splits `rows` into chunks of a power of two rows, 64 at most, largest first.
/// A multi-row statement is written for its number of rows, and each distinct
/// text is prepared once per connection: with seven sizes the statements of any
/// batch are prepared once and then reused, where a size per batch would prepare
/// a new statement almost every time.
pub(crate) fn shaped<T>(mut rows: &[T]) -> impl Iterator<Item = &[T]> {
    std::iter::from_fn(move || {
        let size = [MAX_ROWS, 32, 16, 8, 4, 2, 1].into_iter().find(|&size| size <= rows.len())?;
        let (chunk, rest) = rows.split_at(size);
        rows = rest;
        Some(chunk)
    })
}

/// [`shaped`] chunks when no two rows share a key; otherwise a row per chunk, so
/// rows naming one key are written in order and the last one stands (a single
/// statement may not change one row twice).
pub(crate) fn shaped_by_key<'a, 'k, T>(rows: &'a [T], key: impl Fn(&'a T) -> &'k str) -> Vec<&'a [T]> {
    let distinct: std::collections::HashSet<&str> = rows.iter().map(key).collect();
    if distinct.len() == rows.len() { shaped(rows).collect() } else { rows.chunks(1).collect() }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shaped_chunks_cover_every_row_once_in_few_sizes() {
        for len in [0_usize, 1, 3, 4, 13, 64, 100, 129, 300] {
            let rows: Vec<usize> = (0..len).collect();
            let chunks: Vec<&[usize]> = shaped(&rows).collect();
            let joined: Vec<usize> = chunks.iter().flat_map(|c| c.iter().copied()).collect();
            assert_eq!(joined, rows, "{len} rows come back in order, each once");
            assert!(
                chunks.iter().all(|c| c.len().is_power_of_two() && c.len() <= MAX_ROWS),
                "{len}: {chunks:?}"
            );
        }
        let rows: Vec<usize> = (0..141).collect();
        let sizes: Vec<usize> = shaped(&rows).map(<[usize]>::len).collect();
        assert_eq!(sizes, [64, 64, 8, 4, 1]);
    }

    #[test]
    fn a_repeated_key_is_written_a_row_at_a_time() {
        let keys = ["a", "b", "c", "d", "e"];
        let sizes = |rows: &[&str]| shaped_by_key(rows, |k| k).iter().map(|c| c.len()).collect::<Vec<_>>();
        assert_eq!(sizes(&keys), [4, 1]);
        assert_eq!(sizes(&["a", "b", "a"]), [1, 1, 1]);
    }
}
