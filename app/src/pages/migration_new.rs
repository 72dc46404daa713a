//! The new-migration wizard: source → destination → what to move (with a live
//! preview) → how → review (plan, time and cost), then create or create and
//! start. Everything typed lives in signals owned by the page, so Back and Next
//! keep it, and a refused form keeps it too.

use chrono::{NaiveDate, NaiveDateTime, TimeZone, Utc};
use ferry_model::job::{FilterSpec, JobForm, OverwritePolicy, Strategy, folder_prefix};
use ferry_model::progress::{human_bytes, human_duration};
use ferry_model::provider::{ProviderStatus, ProviderView};
use ferry_model::schedule::Schedule;
use ferry_model::wizard::{Estimate, parse_bytes};
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_navigate;
use uuid::Uuid;

use crate::api::migrations::{create_migration, start_migration};
use crate::api::providers::list_providers;
use crate::api::wizard::{estimate_migration, list_folders, preview_selection};
use crate::components::form::FormError;
use crate::components::status::place;
use crate::error::AppError;
use crate::pages::migrations::{can_run_migrations, schedule_words};
use crate::pages::provider_form::{ProviderEditor, new_provider_form};

const STEPS: [&str; 5] = ["Source", "Destination", "What to move", "How", "Review"];

/// Everything the wizard asks, as typed.
#[derive(Clone, Copy)]
struct Draft {
    source_id: RwSignal<String>,
    source_prefix: RwSignal<String>,
    dest_id: RwSignal<String>,
    dest_prefix: RwSignal<String>,
    extensions: RwSignal<String>,
    min_size: RwSignal<String>,
    max_size: RwSignal<String>,
    after: RwSignal<String>,
    before: RwSignal<String>,
    include: RwSignal<String>,
    exclude: RwSignal<String>,
    strategy: RwSignal<Strategy>,
    overwrite: RwSignal<OverwritePolicy>,
    verify: RwSignal<bool>,
    concurrency: RwSignal<String>,
    bandwidth: RwSignal<String>,
    schedule_kind: RwSignal<&'static str>,
    at: RwSignal<String>,
    cron: RwSignal<String>,
    mirror_deletes: RwSignal<bool>,
    max_deletes: RwSignal<String>,
    dry_run: RwSignal<bool>,
    name: RwSignal<String>,
    confirm: RwSignal<String>,
}

impl Draft {
    fn new() -> Self {
        let text = |s: &str| RwSignal::new(s.to_owned());
        Self {
            source_id: text(""),
            source_prefix: text(""),
            dest_id: text(""),
            dest_prefix: text(""),
            extensions: text(""),
            min_size: text(""),
            max_size: text(""),
            after: text(""),
            before: text(""),
            include: text(""),
            exclude: text(""),
            strategy: RwSignal::new(Strategy::Copy),
            overwrite: RwSignal::new(OverwritePolicy::SkipExisting),
            verify: RwSignal::new(true),
            concurrency: text("8"),
            bandwidth: text(""),
            schedule_kind: RwSignal::new("manual"),
            at: text(""),
            cron: text("0 2 * * *"),
            mirror_deletes: RwSignal::new(false),
            max_deletes: text("100"),
            dry_run: RwSignal::new(false),
            name: text(""),
            confirm: text(""),
        }
    }

    /// The filter, or the field to fix and why.
    fn filter(self) -> Result<FilterSpec, AppError> {
        let lines = |s: &str| s.lines().map(str::trim).filter(|l| !l.is_empty()).map(str::to_owned).collect();
        let size = |field: &str, raw: String| -> Result<Option<u64>, AppError> {
            let raw = raw.trim().to_owned();
            if raw.is_empty() {
                return Ok(None);
            }
            parse_bytes(&raw).ok().and_then(|b| u64::try_from(b).ok()).map(Some).ok_or_else(|| {
                AppError::invalid(field, format!("“{raw}” is not a size such as 500K, 10M or 2G."))
            })
        };
        let day = |field: &str, raw: String, end: bool| -> Result<Option<chrono::DateTime<Utc>>, AppError> {
            let raw = raw.trim().to_owned();
            if raw.is_empty() {
                return Ok(None);
            }
            let date = NaiveDate::parse_from_str(&raw, "%Y-%m-%d")
                .map_err(|_| AppError::invalid(field, "Pick a date, or leave it empty."))?;
            let time = if end { date.and_hms_opt(23, 59, 59) } else { date.and_hms_opt(0, 0, 0) };
            Ok(time.map(|t| Utc.from_utc_datetime(&t)))
        };
        let extensions = self
            .extensions
            .get_untracked()
            .split([',', ' ', ';'])
            .map(|e| e.trim().trim_start_matches('.').to_lowercase())
            .filter(|e| !e.is_empty())
            .collect();
        let spec = FilterSpec {
            include: lines(&self.include.get_untracked()),
            exclude: lines(&self.exclude.get_untracked()),
            extensions,
            min_size: size("filter.min_size", self.min_size.get_untracked())?,
            max_size: size("filter.max_size", self.max_size.get_untracked())?,
            modified_after: day("filter.modified_after", self.after.get_untracked(), false)?,
            modified_before: day("filter.modified_before", self.before.get_untracked(), true)?,
        };
        if let (Some(min), Some(max)) = (spec.min_size, spec.max_size)
            && min > max
        {
            return Err(AppError::invalid("filter.max_size", "The largest size is below the smallest."));
        }
        Ok(spec)
    }

    /// The stored schedule text, or why it cannot be used.
    fn schedule(self) -> Result<String, AppError> {
        match self.schedule_kind.get_untracked() {
            "at" => {
                let raw = self.at.get_untracked();
                let t = NaiveDateTime::parse_from_str(raw.trim(), "%Y-%m-%dT%H:%M").map_err(|_| {
                    AppError::invalid("schedule", "Pick the date and time (UTC) to start at.")
                })?;
                Ok(format!("at {}", Utc.from_utc_datetime(&t).to_rfc3339()))
            }
            "cron" => {
                let text = format!("cron {}", self.cron.get_untracked().trim());
                text.parse::<Schedule>().map_err(|e| AppError::invalid("schedule", e))?;
                Ok(text)
            }
            _ => Ok("manual".to_owned()),
        }
    }

    /// The form to create, or the field to fix and why.
    fn form(self) -> Result<JobForm, AppError> {
        let id = |field: &str, raw: String, what: &str| {
            raw.parse::<Uuid>().map_err(|_| AppError::invalid(field, format!("Choose the {what} provider.")))
        };
        let number = |field: &str, raw: String, what: &str| {
            raw.trim()
                .parse::<i64>()
                .map_err(|_| AppError::invalid(field, format!("Enter {what} as a whole number.")))
        };
        let bandwidth = {
            let raw = self.bandwidth.get_untracked();
            let raw = raw.trim();
            if raw.is_empty() {
                None
            } else {
                let mb: f64 = raw.parse().map_err(|_| {
                    AppError::invalid(
                        "bandwidth_limit",
                        "Enter megabytes per second (e.g. 50), or leave it empty.",
                    )
                })?;
                Some((mb * 1_000_000.0).round() as i64)
            }
        };
        Ok(JobForm {
            name: self.name.get_untracked().trim().to_owned(),
            source_id: id("source_id", self.source_id.get_untracked(), "source")?,
            source_prefix: self.source_prefix.get_untracked(),
            dest_id: id("dest_id", self.dest_id.get_untracked(), "destination")?,
            dest_prefix: self.dest_prefix.get_untracked(),
            filter: self.filter()?,
            strategy: self.strategy.get_untracked(),
            overwrite: self.overwrite.get_untracked(),
            verify: self.verify.get_untracked(),
            dry_run: self.dry_run.get_untracked(),
            concurrency: number("concurrency", self.concurrency.get_untracked(), "objects at once")?,
            bandwidth_limit: bandwidth,
            max_attempts: 5,
            mirror_deletes: self.strategy.get_untracked() == Strategy::Mirror
                && self.mirror_deletes.get_untracked(),
            max_deletes: number("max_deletes", self.max_deletes.get_untracked(), "the most deletions")?,
            schedule: self.schedule()?,
        })
    }

    /// Whether creating it deletes something, so the name must be typed to confirm.
    fn destructive(self) -> bool {
        match self.strategy.get() {
            Strategy::Move => true,
            Strategy::Mirror => self.mirror_deletes.get(),
            Strategy::Copy => false,
        }
    }
}

/// The step's problem before Next, if any.
fn check_step(step: usize, draft: Draft, providers: &[ProviderView]) -> Result<(), AppError> {
    match step {
        0 if draft.source_id.get_untracked().parse::<Uuid>().is_err() => {
            return Err(AppError::invalid("source_id", "Choose where the documents are now."));
        }
        1 => {
            let Ok(dest) = draft.dest_id.get_untracked().parse::<Uuid>() else {
                return Err(AppError::invalid("dest_id", "Choose where the documents should go."));
            };
            if let Some(p) = providers.iter().find(|p| p.id == dest)
                && p.status != ProviderStatus::Active
            {
                return Err(AppError::invalid(
                    "dest_id",
                    format!(
                        "“{}” is {}: Ferry cannot write there. Choose another destination.",
                        p.name,
                        p.status.label().to_lowercase()
                    ),
                ));
            }
            if overlap(draft) {
                return Err(AppError::invalid(
                    "dest_prefix",
                    "The destination folder overlaps the source folder on the same provider: choose folders that do not contain each other.",
                ));
            }
        }
        2 => {
            draft.filter()?;
        }
        3 => {
            draft
                .form()
                .map(|_| ())
                .or_else(|e| if e.field_message("name").is_some() { Ok(()) } else { Err(e) })?;
        }
        _ => {}
    }
    Ok(())
}

fn overlap(draft: Draft) -> bool {
    let (s, d) = (folder_prefix(&draft.source_prefix.get()), folder_prefix(&draft.dest_prefix.get()));
    draft.source_id.get() == draft.dest_id.get()
        && !draft.source_id.get().is_empty()
        && (s.starts_with(&d) || d.starts_with(&s))
}

/// `/migrations/new`
#[component]
pub fn NewMigrationPage() -> impl IntoView {
    let can_run = can_run_migrations();
    let draft = Draft::new();
    let step = RwSignal::new(0_usize);
    let added = RwSignal::new(0_u32);
    let providers = Resource::new(move || added.get(), |_| list_providers());
    let provider_list = Signal::derive(move || providers.get().and_then(Result::ok).unwrap_or_default());
    let error = RwSignal::new(None::<AppError>);
    let error_signal: Signal<Option<AppError>> = error.into();
    let go = move |to: usize| {
        if to > step.get_untracked()
            && let Err(e) = check_step(step.get_untracked(), draft, &provider_list.get_untracked())
        {
            error.set(Some(e));
            return;
        }
        error.set(None);
        step.set(to);
    };
    view! {
        <Title text="New migration" />
        <nav class="crumbs" aria-label="Breadcrumb"><a href="/migrations">"Migrations"</a></nav>
        <header class="page-head">
            <h1>"New migration"</h1>
            <p class="lead">"Five short steps. Nothing is copied until you start it, and you can go back to any step."</p>
        </header>
        <ol class="wizard-steps" aria-label="Steps">
            {STEPS.iter().enumerate().map(|(i, label)| view! {
                <li aria-current=move || (step.get() == i).then_some("step") data-done=move || (step.get() > i).to_string()>
                    <span class="step-no">{i + 1}</span> " " {*label}
                </li>
            }).collect_view()}
        </ol>
        <Transition fallback=|| view! { <p class="muted">"Loading providers…"</p> }>
            <Show when=can_run fallback=|| view! {
                <p class="form-error" role="alert">"Creating migrations needs the Operator role; ask an administrator."</p>
            }>
                <section class="wizard card" aria-label="Wizard step">
                    <h2>{move || format!("Step {} of 5 · {}", step.get() + 1, STEPS[step.get()])}</h2>
                    {move || match step.get() {
                        0 => view! { <SourceStep draft providers=provider_list added error /> }.into_any(),
                        1 => view! { <DestStep draft providers=provider_list added error /> }.into_any(),
                        2 => view! { <FilterStep draft error /> }.into_any(),
                        3 => view! { <HowStep draft error /> }.into_any(),
                        _ => view! { <ReviewStep draft providers=provider_list error /> }.into_any(),
                    }}
                    <FormError error=error_signal />
                    <div class="wizard-nav">
                        <button type="button" class="button subtle" disabled=move || step.get() == 0
                            on:click=move |_| go(step.get_untracked().saturating_sub(1))>"Back"</button>
                        <Show when=move || step.get() < 4>
                            <button type="button" class="button primary" on:click=move |_| go(step.get_untracked() + 1)>"Next"</button>
                        </Show>
                    </div>
                </section>
            </Show>
        </Transition>
    }
}

/// A field's message, when the last check failed on it.
fn field_error(error: RwSignal<Option<AppError>>, field: &'static str) -> impl IntoView {
    move || {
        error
            .get()
            .and_then(|e| e.field_message(field))
            .map(|m| view! { <p class="field-error" role="alert">{m}</p> })
    }
}

/// A provider picker.
#[component]
fn ProviderSelect(
    id: &'static str,
    label: &'static str,
    value: RwSignal<String>,
    providers: Signal<Vec<ProviderView>>,
) -> impl IntoView {
    view! {
        <div class="field">
            <label for=id>{label}</label>
            <select id=id on:change=move |ev| value.set(event_target_value(&ev)) prop:value=move || value.get()>
                <option value="" selected=move || value.get().is_empty()>"Choose a provider…"</option>
                {move || providers.get().into_iter().map(|p| {
                    let pid = p.id.to_string();
                    let selected = { let pid = pid.clone(); move || value.get() == pid };
                    let note = match p.status {
                        ProviderStatus::Active => String::new(),
                        other => format!(" ({})", other.label().to_lowercase()),
                    };
                    view! { <option value=pid selected=selected>{format!("{} · {}{note}", p.name, p.settings.location())}</option> }
                }).collect_view()}
            </select>
        </div>
    }
}

/// A folder field with a browser of the provider's folders.
#[component]
fn FolderField(
    id: &'static str,
    label: &'static str,
    provider: RwSignal<String>,
    value: RwSignal<String>,
    hint: &'static str,
) -> impl IntoView {
    let browsing = RwSignal::new(false);
    let listing = Resource::new(
        move || (browsing.get(), provider.get(), folder_prefix(&value.get())),
        |(open, provider, prefix)| async move {
            match (open, provider.parse::<Uuid>()) {
                (true, Ok(id)) => Some(list_folders(id, prefix).await),
                _ => None,
            }
        },
    );
    view! {
        <div class="field">
            <label for=id>{label}</label>
            <div class="inline">
                <input id=id type="text" placeholder="(the whole provider)" autocomplete="off" spellcheck="false" bind:value=value />
                <button type="button" class="button subtle" disabled=move || provider.get().is_empty()
                    on:click=move |_| browsing.update(|b| *b = !*b)>
                    {move || if browsing.get() { "Close folders" } else { "Browse folders" }}
                </button>
            </div>
            <p class="hint">{hint}</p>
            <Show when=move || browsing.get()>
                <div class="folders" role="group" aria-label=format!("Folders for {label}")>
                    <Transition fallback=|| view! { <p class="muted">"Listing folders…"</p> }>
                        {move || listing.get().flatten().map(|r| match r {
                            Ok(list) => {
                                let up = list.prefix.trim_end_matches('/').rsplit_once('/').map(|(p, _)| format!("{p}/")).unwrap_or_default();
                                let at_top = list.prefix.is_empty();
                                view! {
                                    <p class="muted small">{format!("In “/{}”: {} documents{}", list.prefix, list.files,
                                        if list.truncated { " (more exist; only the first 10,000 were looked at)" } else { "" })}</p>
                                    <ul class="folder-list">
                                        {(!at_top).then(|| view! {
                                            <li><button type="button" class="button small subtle" on:click=move |_| value.set(up.clone())>"↑ Up one level"</button></li>
                                        })}
                                        {list.folders.into_iter().map(|f| {
                                            let name = f.clone();
                                            view! { <li><button type="button" class="button small subtle" on:click=move |_| value.set(f.clone())>{format!("📁 {name}")}</button></li> }
                                        }).collect_view()}
                                    </ul>
                                }.into_any()
                            }
                            Err(e) => view! { <p class="form-error" role="alert">{e.to_string()}</p> }.into_any(),
                        })}
                    </Transition>
                </div>
            </Show>
        </div>
    }
}

/// "Add a provider" without leaving the wizard; the new one is chosen at once.
#[component]
fn AddProvider(added: RwSignal<u32>, chosen: RwSignal<String>) -> impl IntoView {
    let open = RwSignal::new(false);
    let on_saved = Callback::new(move |saved: ProviderView| {
        chosen.set(saved.id.to_string());
        open.set(false);
        added.update(|n| *n += 1);
    });
    view! {
        <div class="add-provider">
            <button type="button" class="button subtle" aria-expanded=move || open.get().to_string()
                on:click=move |_| open.update(|o| *o = !*o)>
                {move || if open.get() { "Close the new provider form" } else { "Add a provider" }}
            </button>
            <Show when=move || open.get()>
                <ProviderEditor initial=new_provider_form() secret_set=false token_set=false on_saved />
            </Show>
        </div>
    }
}

#[component]
fn SourceStep(
    draft: Draft,
    providers: Signal<Vec<ProviderView>>,
    added: RwSignal<u32>,
    error: RwSignal<Option<AppError>>,
) -> impl IntoView {
    view! {
        <p>"Where are the documents now?"</p>
        <ProviderSelect id="source-provider" label="Source provider" value=draft.source_id providers />
        {field_error(error, "source_id")}
        <FolderField id="source-folder" label="Source folder" provider=draft.source_id value=draft.source_prefix
            hint="Only documents in this folder (and below it) are moved. Leave it empty for all." />
        {field_error(error, "source_prefix")}
        <AddProvider added chosen=draft.source_id />
    }
}

#[component]
fn DestStep(
    draft: Draft,
    providers: Signal<Vec<ProviderView>>,
    added: RwSignal<u32>,
    error: RwSignal<Option<AppError>>,
) -> impl IntoView {
    let warning = move || {
        let list = providers.get();
        let dest = list.iter().find(|p| p.id.to_string() == draft.dest_id.get());
        let mut notes = Vec::new();
        if let Some(p) = dest
            && p.status != ProviderStatus::Active
        {
            notes.push(format!(
                "“{}” is {}: Ferry cannot write there.",
                p.name,
                p.status.label().to_lowercase()
            ));
        }
        if !draft.dest_id.get().is_empty() && draft.dest_id.get() == draft.source_id.get() {
            if overlap(draft) {
                notes.push("The destination folder overlaps the source folder: choose folders that do not contain each other.".to_owned());
            } else {
                notes.push(
                    "The destination is the same provider as the source (a different folder).".to_owned(),
                );
            }
        }
        notes
    };
    view! {
        <p>"Where should the documents go?"</p>
        <ProviderSelect id="dest-provider" label="Destination provider" value=draft.dest_id providers />
        {field_error(error, "dest_id")}
        <FolderField id="dest-folder" label="Destination folder" provider=draft.dest_id value=draft.dest_prefix
            hint="Documents keep their path below the source folder, placed under this folder. Leave it empty for the top." />
        {field_error(error, "dest_prefix")}
        <ul class="warnings" aria-live="polite">
            {move || warning().into_iter().map(|w| view! { <li class="warning" role="note">{w}</li> }).collect_view()}
        </ul>
        <AddProvider added chosen=draft.dest_id />
    }
}

#[component]
fn FilterStep(draft: Draft, error: RwSignal<Option<AppError>>) -> impl IntoView {
    // The preview follows the filters half a second after typing stops.
    let settled = RwSignal::new(0_u32);
    let typed = RwSignal::new(0_u32);
    Effect::new(move |_| {
        let _ = (
            draft.extensions.get(),
            draft.min_size.get(),
            draft.max_size.get(),
            draft.after.get(),
            draft.before.get(),
            draft.include.get(),
            draft.exclude.get(),
        );
        let mine = typed.get_untracked().wrapping_add(1);
        typed.set(mine);
        set_timeout(
            // The step may be gone by then (Back or Next): the signals say so, quietly.
            move || {
                if typed.try_get_untracked() == Some(mine) {
                    let _ = settled.try_set(mine);
                }
            },
            std::time::Duration::from_millis(400),
        );
    });
    let preview = Resource::new(
        move || settled.get(),
        move |_| async move {
            let filter = draft.filter()?;
            let source = draft
                .source_id
                .get_untracked()
                .parse::<Uuid>()
                .map_err(|_| AppError::invalid("source_id", "Choose a source first."))?;
            preview_selection(source, draft.source_prefix.get_untracked(), filter).await
        },
    );
    let text = |id: &'static str,
                label: &'static str,
                value: RwSignal<String>,
                hint: &'static str,
                placeholder: &'static str| {
        view! {
            <div class="field">
                <label for=id>{label}</label>
                <input id=id type="text" placeholder=placeholder autocomplete="off" bind:value=value />
                <p class="hint">{hint}</p>
            </div>
        }
    };
    view! {
        <p>"Which documents? Leave everything empty to take them all."</p>
        <div class="form-grid">
            {text("filter-extensions", "File types", draft.extensions, "Extensions, separated by commas.", "pdf, docx")}
            <div></div>
            {text("filter-min-size", "Smallest size", draft.min_size, "e.g. 10K; empty for no minimum.", "")}
            {text("filter-max-size", "Largest size", draft.max_size, "e.g. 2G; empty for no maximum.", "")}
            <div class="field">
                <label for="filter-after">"Changed on or after"</label>
                <input id="filter-after" type="date" bind:value=draft.after />
            </div>
            <div class="field">
                <label for="filter-before">"Changed on or before"</label>
                <input id="filter-before" type="date" bind:value=draft.before />
            </div>
        </div>
        {field_error(error, "filter.min_size")}
        {field_error(error, "filter.max_size")}
        <details class="advanced">
            <summary>"Name patterns (advanced)"</summary>
            <div class="field">
                <label for="filter-include">"Only paths matching"</label>
                <textarea id="filter-include" rows="3" placeholder="invoices/**/*.pdf" bind:value=draft.include></textarea>
                <p class="hint">"One pattern per line. * stays within a folder, ** crosses folders."</p>
            </div>
            <div class="field">
                <label for="filter-exclude">"Leave out paths matching"</label>
                <textarea id="filter-exclude" rows="3" placeholder="**/drafts/**" bind:value=draft.exclude></textarea>
            </div>
        </details>
        <section class="preview" aria-labelledby="preview-heading" aria-live="polite">
            <h3 id="preview-heading">"Preview"</h3>
            <Transition fallback=|| view! { <p class="muted">"Counting…"</p> }>
                {move || preview.get().map(|r| match r {
                    Ok(p) => view! {
                        <p>
                            <strong data-testid="preview-count">{p.matching}</strong>
                            {if p.matching == 1 { " document, " } else { " documents, " }}
                            <strong data-testid="preview-size">{human_bytes(p.bytes as f64)}</strong>
                            {format!(" (of {} looked at{})", p.listed, if p.stopped_early { "; the first 100,000 only" } else { "" })}
                        </p>
                        <ul class="sample" aria-label="Sample of matching documents">
                            {p.sample.into_iter().map(|o| view! { <li><span class="key">{o.key}</span> " " <span class="muted">{human_bytes(o.size as f64)}</span></li> }).collect_view()}
                        </ul>
                    }.into_any(),
                    Err(e) => view! { <p class="form-error" role="alert">{e.to_string()}</p> }.into_any(),
                })}
            </Transition>
        </section>
    }
}

/// One radio button of the group `name`, bound to `value`: its label, and a
/// sentence saying what it does when there is one.
fn choice<T: Copy + PartialEq + Send + Sync + 'static>(
    name: &'static str,
    token: &'static str,
    option: T,
    value: RwSignal<T>,
    label: &'static str,
    sentence: Option<&'static str>,
) -> impl IntoView {
    view! {
        <label class="choice">
            <input type="radio" name=name value=token prop:checked=move || value.get() == option
                on:change=move |_| value.set(option) />
            {match sentence {
                Some(sentence) => view! { <span><strong>{label}</strong> " — " {sentence}</span> }.into_any(),
                None => view! { <span>{label}</span> }.into_any(),
            }}
        </label>
    }
}

#[component]
fn HowStep(draft: Draft, error: RwSignal<Option<AppError>>) -> impl IntoView {
    let next_runs = move || {
        if draft.schedule_kind.get() != "cron" {
            return Err(String::new());
        }
        let schedule = format!("cron {}", draft.cron.get().trim()).parse::<Schedule>()?;
        let mut at = Utc::now();
        let mut runs = Vec::new();
        for _ in 0..3 {
            match schedule.next_after(at) {
                Some(t) => {
                    runs.push(t.format("%a %Y-%m-%d %H:%M UTC").to_string());
                    at = t;
                }
                None => break,
            }
        }
        Ok(runs)
    };
    view! {
        <fieldset>
            <legend>"What happens to the originals"</legend>
            {Strategy::ALL.iter().map(|s| choice("strategy", s.as_str(), *s, draft.strategy, s.label(), Some(s.sentence()))).collect_view()}
        </fieldset>
        <Show when=move || draft.strategy.get() == Strategy::Mirror>
            <div class="field checkbox">
                <label><input type="checkbox" bind:checked=draft.mirror_deletes />
                    "Also delete from the destination what is gone from the source"</label>
            </div>
            <div class="field">
                <label for="max-deletes">"Most deletions per run"</label>
                <input id="max-deletes" type="number" min="0" bind:value=draft.max_deletes />
                <p class="hint">"A run that would delete more stops and asks first."</p>
            </div>
        </Show>
        <fieldset>
            <legend>"When the destination already has a document"</legend>
            {OverwritePolicy::ALL.iter().map(|p| choice("overwrite", p.as_str(), *p, draft.overwrite, p.label(), Some(p.sentence()))).collect_view()}
        </fieldset>
        <div class="field checkbox">
            <label><input type="checkbox" bind:checked=draft.verify />
                "Check every copy by its SHA-256 (recommended)"</label>
        </div>
        <div class="form-grid">
            <div class="field">
                <label for="concurrency">"Documents at once"</label>
                <input id="concurrency" type="number" min="1" max="256" bind:value=draft.concurrency />
                {field_error(error, "concurrency")}
            </div>
            <div class="field">
                <label for="bandwidth">"Speed limit (MB/s)"</label>
                <input id="bandwidth" type="text" inputmode="decimal" placeholder="no limit" bind:value=draft.bandwidth />
                <p class="hint">"Can be changed while it runs."</p>
                {field_error(error, "bandwidth_limit")}
            </div>
        </div>
        <fieldset>
            <legend>"When it runs"</legend>
            {[("manual", "When I start it"), ("at", "Once, at a set time"), ("cron", "Again and again, on a schedule")]
                .into_iter()
                .map(|(token, label)| choice("schedule", token, token, draft.schedule_kind, label, None))
                .collect_view()}
            <Show when=move || draft.schedule_kind.get() == "at">
                <div class="field">
                    <label for="schedule-at">"Start at (UTC)"</label>
                    <input id="schedule-at" type="datetime-local" bind:value=draft.at />
                </div>
            </Show>
            <Show when=move || draft.schedule_kind.get() == "cron">
                <div class="field">
                    <label for="schedule-cron">"Schedule (minute hour day month weekday, UTC)"</label>
                    <input id="schedule-cron" type="text" spellcheck="false" bind:value=draft.cron />
                    <div class="inline">
                        {[("Every hour", "0 * * * *"), ("Every night at 02:00", "0 2 * * *"), ("Mondays at 06:00", "0 6 * * 1")].into_iter().map(|(label, cron)| view! {
                            <button type="button" class="button small subtle" on:click=move |_| draft.cron.set(cron.to_owned())>{label}</button>
                        }).collect_view()}
                    </div>
                    <p class="hint" data-testid="next-runs">{move || match next_runs() {
                        Ok(runs) if runs.is_empty() => "It would never run.".to_owned(),
                        Ok(runs) => format!("Next runs: {}", runs.join(" · ")),
                        Err(e) => e,
                    }}</p>
                </div>
            </Show>
            {field_error(error, "schedule")}
        </fieldset>
    }
}

#[component]
fn ReviewStep(
    draft: Draft,
    providers: Signal<Vec<ProviderView>>,
    error: RwSignal<Option<AppError>>,
) -> impl IntoView {
    let navigate = use_navigate();
    if draft.name.get_untracked().is_empty() {
        let list = providers.get_untracked();
        let name_of = |id: String| {
            list.iter().find(|p| p.id.to_string() == id).map(|p| p.name.clone()).unwrap_or_default()
        };
        draft.name.set(format!(
            "{} to {}",
            name_of(draft.source_id.get_untracked()),
            name_of(draft.dest_id.get_untracked())
        ));
    }
    let estimate = Resource::new(
        || (),
        move |()| async move {
            let form = draft.form()?;
            estimate_migration(form).await
        },
    );
    let create = Action::new(move |start: &bool| {
        let start = *start;
        async move {
            let form = draft.form()?;
            let job = create_migration(form).await?;
            if start {
                start_migration(job.id).await?;
            }
            Ok::<Uuid, AppError>(job.id)
        }
    });
    Effect::new(move |_| match create.value().get() {
        Some(Ok(id)) => navigate(&format!("/migrations/{id}"), Default::default()),
        Some(Err(e)) => error.set(Some(e)),
        None => {}
    });
    let confirmed = move || !draft.destructive() || draft.confirm.get().trim() == draft.name.get().trim();
    let location = move |id: RwSignal<String>, prefix: RwSignal<String>| {
        let list = providers.get();
        let name =
            list.iter().find(|p| p.id.to_string() == id.get()).map(|p| p.name.clone()).unwrap_or_default();
        place(&name, &folder_prefix(&prefix.get()))
    };
    view! {
        <div class="field">
            <label for="job-name">"Name"</label>
            <input id="job-name" type="text" autocomplete="off" bind:value=draft.name />
            {field_error(error, "name")}
        </div>
        <dl class="pairs review">
            <dt>"From"</dt><dd>{move || location(draft.source_id, draft.source_prefix)}</dd>
            <dt>"To"</dt><dd>{move || location(draft.dest_id, draft.dest_prefix)}</dd>
            <dt>"Strategy"</dt><dd>{move || format!("{} — {}", draft.strategy.get().label(), draft.strategy.get().sentence())}</dd>
            <dt>"Existing documents"</dt><dd>{move || draft.overwrite.get().label()}</dd>
            <dt>"Check by SHA-256"</dt><dd>{move || if draft.verify.get() { "Yes" } else { "No" }}</dd>
            <dt>"When"</dt><dd>{move || {
                let _ = (draft.schedule_kind.get(), draft.at.get(), draft.cron.get());
                draft.schedule().map_or_else(|e| e.to_string(), |s| schedule_words(&s, None))
            }}</dd>
        </dl>
        <section class="estimate" aria-labelledby="estimate-heading">
            <h3 id="estimate-heading">"Plan and estimate"</h3>
            <Transition fallback=|| view! { <p class="muted">"Making the plan (nothing is copied)…"</p> }>
                {move || estimate.get().map(|r| match r {
                    Ok(e) => view! { <EstimateView e draft /> }.into_any(),
                    Err(e) => view! { <p class="form-error" role="alert">{e.to_string()}</p> }.into_any(),
                })}
            </Transition>
        </section>
        <div class="field checkbox">
            <label><input type="checkbox" bind:checked=draft.dry_run />
                "Dry run only: make the plan, change nothing"</label>
        </div>
        <Show when=move || draft.destructive() && !draft.dry_run.get()>
            <div class="field confirm-box">
                <label for="confirm-name">{move || format!("This migration deletes documents. Type its name, “{}”, to confirm", draft.name.get().trim())}</label>
                <input id="confirm-name" type="text" autocomplete="off" bind:value=draft.confirm />
            </div>
        </Show>
        <div class="actions">
            <button type="button" class="button" disabled=move || create.pending().get() || !(confirmed() || draft.dry_run.get())
                on:click=move |_| { create.dispatch(false); }>"Create"</button>
            <button type="button" class="button primary" disabled=move || create.pending().get() || !(confirmed() || draft.dry_run.get())
                on:click=move |_| { create.dispatch(true); }>"Create and start"</button>
        </div>
    }
}

#[component]
fn EstimateView(e: Estimate, draft: Draft) -> impl IntoView {
    let currency = e.prices.as_ref().map(|p| p.currency.clone()).unwrap_or_default();
    let note = e.prices.as_ref().map(|p| p.note.clone()).unwrap_or_default();
    let effect = move || match draft.strategy.get() {
        Strategy::Move => Some(format!(
            "After each of the {} copies is proven by its SHA-256, the original is deleted from the source.",
            e.copy + e.overwrite
        )),
        Strategy::Mirror if draft.mirror_deletes.get() => Some(if e.delete > e.max_deletes {
            format!(
                "{} documents are gone from the source; that is more than the limit of {}, so the run will stop and ask.",
                e.delete, e.max_deletes
            )
        } else {
            format!(
                "{} documents gone from the source will be deleted from the destination (a backup is kept for rollback).",
                e.delete
            )
        }),
        _ => None,
    };
    view! {
        <dl class="pairs" aria-label="Plan">
            <dt>"To copy"</dt><dd data-testid="estimate-copy">{e.copy}</dd>
            <dt>"To overwrite"</dt><dd data-testid="estimate-overwrite">{e.overwrite}</dd>
            <dt>"To skip"</dt><dd data-testid="estimate-skip">{e.skip}</dd>
            <dt>"To delete"</dt><dd data-testid="estimate-delete">{e.delete}</dd>
            <dt>"Data"</dt><dd data-testid="estimate-bytes">{human_bytes(e.bytes as f64)}</dd>
            <dt>"Estimated time"</dt>
            <dd data-testid="estimate-time">{match e.seconds {
                Some(0) => "Nothing to copy".to_owned(),
                Some(s) => format!("about {}", human_duration(s)),
                None => "unknown (the speed test could not read the source)".to_owned(),
            }}
            {e.probe_bytes_per_sec.map(|r| view! { <span class="muted small">{format!("from a speed test: {}/s", human_bytes(r))}</span> })}
            </dd>
            <dt>"Estimated cost"</dt>
            <dd data-testid="estimate-cost">{format!("{:.4} {currency}", e.cost_total)}
                <span class="muted small">{if e.cost.is_empty() { "Local folders cost nothing to read or write.".to_owned() } else { format!("Requests and data transfer at: {note}.") }}</span>
            </dd>
        </dl>
        {(!e.cost.is_empty()).then(|| view! {
            <table class="table cost">
                <caption class="sr-only">"Cost by item"</caption>
                <thead><tr><th scope="col">"Item"</th><th scope="col">"Quantity"</th><th scope="col">"Amount"</th></tr></thead>
                <tbody>
                    {e.cost.iter().map(|l| view! {
                        <tr><td>{l.what.clone()}</td><td>{format!("{:.2}", l.quantity)}</td><td>{format!("{:.4}", l.amount)}</td></tr>
                    }).collect_view()}
                </tbody>
            </table>
        })}
        {e.stopped_early.then(|| view! { <p class="muted">"Only the first 200,000 documents were planned for this estimate; the real run plans them all."</p> })}
        {move || effect().map(|t| view! { <p class="warning" role="note" data-testid="effect">{t}</p> })}
    }
}
