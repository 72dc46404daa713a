//! Add or edit a provider: one form with the fields of each kind, help a
//! non-engineer can follow, Test connection before or after saving, and every
//! problem shown beside its field. Nothing typed is lost on an error.

use ferry_model::provider::{ProviderForm, ProviderKind, ProviderView, TestReport};
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_params_map;
use uuid::Uuid;

use crate::api::providers::{get_provider, save_provider, test_provider};
use crate::components::form::{FieldError, FormError, load_page};
use crate::error::AppError;
use crate::pages::providers::can_change_providers;

/// `/providers/new`
#[component]
pub fn NewProviderPage() -> impl IntoView {
    let initial = new_provider_form();
    view! {
        <Title text="Add provider" />
        <header class="page-head">
            <h1>"Add a provider"</h1>
            <p class="lead">"Tell Ferry where documents are kept. Test the connection before you save: nothing is stored until you do."</p>
        </header>
        <ProviderEditor initial secret_set=false token_set=false />
    }
}

/// `/providers/:id`
#[component]
pub fn EditProviderPage() -> impl IntoView {
    let params = use_params_map();
    let id = move || params.read().get("id").and_then(|s| s.parse::<Uuid>().ok());
    let provider = Resource::new(id, |id| async move {
        match id {
            Some(id) => get_provider(id).await,
            None => Err(AppError::NotFound("That provider".to_owned())),
        }
    });
    view! {
        <Title text="Edit provider" />
        <Suspense fallback=|| view! { <p class="muted">"Loading the provider…"</p> }>
            {move || provider.get().map(|result| match result {
                Ok(view) => {
                    let initial = ProviderForm::from_view(&view);
                    view! {
                        <header class="page-head">
                            <h1>{format!("Provider “{}”", view.name)}</h1>
                            <p class="lead">{format!("{} · {}", view.settings.kind().label(), view.settings.location())}</p>
                        </header>
                        <ProviderEditor initial secret_set=view.secret_set token_set=view.session_token_set />
                    }.into_any()
                }
                Err(e) => view! {
                    <header class="page-head"><h1>"Provider"</h1></header>
                    <p class="form-error" role="alert">{e.to_string()}</p>
                    <p><a href="/providers">"Back to providers"</a></p>
                }.into_any(),
            })}
        </Suspense>
    }
}

/// A labelled text input bound to a signal, with help and its field error.
#[component]
fn TextField(
    name: &'static str,
    label: &'static str,
    value: RwSignal<String>,
    error: Signal<Option<AppError>>,
    #[prop(optional)] hint: &'static str,
    #[prop(optional)] placeholder: &'static str,
    #[prop(optional)] kind: &'static str,
    #[prop(optional)] read_only: Option<Signal<bool>>,
) -> impl IntoView {
    let id = format!("provider-{name}");
    let hint_id = format!("{id}-hint");
    let described = if hint.is_empty() { format!("{name}-error") } else { format!("{hint_id} {name}-error") };
    let kind = if kind.is_empty() { "text" } else { kind };
    let invalid = move || error.get().and_then(|e| e.field_message(name)).is_some();
    view! {
        <div class="field">
            <label for=id.clone()>{label}</label>
            <input
                id=id
                name=name
                type=kind
                placeholder=placeholder
                autocomplete="off"
                spellcheck="false"
                aria-describedby=described
                aria-invalid=move || if invalid() { "true" } else { "false" }
                readonly=move || read_only.is_some_and(|r| r.get())
                bind:value=value
            />
            {(!hint.is_empty()).then(|| view! { <p class="hint" id=hint_id>{hint}</p> })}
            <FieldError error field=name />
        </div>
    }
}

/// A blank form for a new provider, as the add page starts it.
#[must_use]
pub fn new_provider_form() -> ProviderForm {
    ProviderForm {
        kind: ProviderKind::S3.as_str().to_owned(),
        status: "active".to_owned(),
        region: "us-east-1".to_owned(),
        path_style: true,
        sdk_checksums: "when_required".to_owned(),
        ..ProviderForm::default()
    }
}

/// The provider form. After a save it opens the providers list, or hands the
/// saved provider to `on_saved` (the wizard adds providers without leaving).
#[component]
pub fn ProviderEditor(
    initial: ProviderForm,
    secret_set: bool,
    token_set: bool,
    #[prop(optional)] on_saved: Option<Callback<ProviderView>>,
) -> impl IntoView {
    let can_change = can_change_providers();
    let id = initial.id;
    let name = RwSignal::new(initial.name);
    let kind = RwSignal::new(initial.kind);
    let status = RwSignal::new(initial.status);
    let primary = RwSignal::new(initial.primary);
    let root = RwSignal::new(initial.root);
    let endpoint = RwSignal::new(initial.endpoint);
    let region = RwSignal::new(initial.region);
    let bucket = RwSignal::new(initial.bucket);
    let prefix = RwSignal::new(initial.prefix);
    let path_style = RwSignal::new(initial.path_style);
    let access_key_id = RwSignal::new(initial.access_key_id);
    let secret = RwSignal::new(String::new());
    let session_token = RwSignal::new(String::new());
    let clear_token = RwSignal::new(false);
    let sdk_checksums = RwSignal::new(initial.sdk_checksums);

    let form = move || ProviderForm {
        id,
        name: name.get_untracked(),
        kind: kind.get_untracked(),
        status: status.get_untracked(),
        primary: primary.get_untracked(),
        root: root.get_untracked(),
        endpoint: endpoint.get_untracked(),
        region: region.get_untracked(),
        bucket: bucket.get_untracked(),
        prefix: prefix.get_untracked(),
        path_style: path_style.get_untracked(),
        access_key_id: access_key_id.get_untracked(),
        secret_access_key: secret.get_untracked(),
        session_token: session_token.get_untracked(),
        clear_session_token: clear_token.get_untracked(),
        sdk_checksums: sdk_checksums.get_untracked(),
    };

    let error = RwSignal::new(None::<AppError>);
    let report = RwSignal::new(None::<TestReport>);
    let save = Action::new(move |form: &ProviderForm| {
        let form = form.clone();
        async move {
            let result = save_provider(form).await;
            error.set(result.as_ref().err().cloned());
            result.ok()
        }
    });
    let test = Action::new(move |form: &ProviderForm| {
        let form = form.clone();
        async move {
            let result = test_provider(form).await;
            match result {
                Ok(found) => {
                    error.set(None);
                    report.set(Some(found));
                }
                Err(e) => {
                    report.set(None);
                    error.set(Some(e));
                }
            }
        }
    });
    Effect::new(move |_| {
        if let Some(Some(saved)) = save.value().get() {
            match on_saved {
                Some(callback) => callback.run(saved),
                None => load_page("/providers"),
            }
        }
    });
    let error_signal = Signal::from(error);
    let read_only = Signal::derive(move || !can_change());
    let is_s3 = move || kind.get() == ProviderKind::S3.as_str();
    let busy = move || save.pending().get() || test.pending().get();
    let secret_hint = if secret_set {
        "A secret is stored (set — replace?). Leave this empty to keep it, or type a new one to replace it."
    } else {
        "Shown once by your storage service next to the access key id. Ferry stores it encrypted and never shows it again."
    };
    let token_hint = if token_set {
        "A session token is stored. Leave empty to keep it, or type a new one."
    } else {
        "Only for temporary credentials; leave empty otherwise."
    };

    view! {
        <form
            class="card provider-form"
            aria-label="Provider settings"
            novalidate
            on:submit=move |ev| {
                ev.prevent_default();
                save.dispatch(form());
            }
        >
            <Show when=move || !can_change()>
                <p class="notice" role="note">"You can look, but only operators and administrators can change providers."</p>
            </Show>
            <div class="form-grid">
                <TextField name="name" label="Name" value=name error=error_signal read_only
                    hint="What people will see in lists and in the migration wizard." />
                <div class="field">
                    <label for="provider-kind">"Kind"</label>
                    <select id="provider-kind" name="kind" disabled=move || !can_change() || id.is_some()
                        aria-describedby="provider-kind-hint kind-error"
                        on:change=move |ev| kind.set(event_target_value(&ev))>
                        {ProviderKind::ALL.into_iter().map(|k| view! {
                            <option value=k.as_str() selected=move || kind.get() == k.as_str()>{k.label()}</option>
                        }).collect_view()}
                    </select>
                    <p class="hint" id="provider-kind-hint">"An S3-compatible bucket (AWS S3, MinIO, Cloudflare R2, Backblaze B2, Ceph…) or a folder on this server."</p>
                    <FieldError error=error_signal field="kind" />
                </div>
                <div class="field">
                    <label for="provider-status">"Status"</label>
                    <select id="provider-status" name="status" disabled=move || !can_change()
                        aria-describedby="provider-status-hint status-error"
                        on:change=move |ev| status.set(event_target_value(&ev))>
                        <option value="active" selected=move || status.get() == "active">"Active — read and written"</option>
                        <option value="read_only" selected=move || status.get() == "read_only">"Read-only — only a source"</option>
                        <option value="disabled" selected=move || status.get() == "disabled">"Disabled — not used"</option>
                    </select>
                    <p class="hint" id="provider-status-hint">"Read-only providers are never written to, not even by a connection test."</p>
                    <FieldError error=error_signal field="status" />
                </div>
                <div class="field checkbox">
                    <label>
                        <input type="checkbox" name="primary" bind:checked=primary disabled=move || !can_change() />
                        " Primary destination"
                    </label>
                    <p class="hint">"Offered first as the destination of new migrations."</p>
                </div>
            </div>

            <Show when=move || !is_s3()>
                <fieldset class="form-grid">
                    <legend>"Folder"</legend>
                    <TextField name="root" label="Folder path" value=root error=error_signal read_only
                        placeholder="/srv/documents"
                        hint="The full path of an existing folder on the Ferry server. Ferry never reads or writes outside it." />
                </fieldset>
            </Show>

            <Show when=is_s3>
                <fieldset class="form-grid">
                    <legend>"Bucket"</legend>
                    <TextField name="endpoint" label="Service address (endpoint)" value=endpoint error=error_signal read_only
                        placeholder="https://s3.example.com"
                        hint="Leave empty for AWS S3. For MinIO, R2, B2 or Ceph, the URL your provider gives, such as http://10.0.0.5:9000." />
                    <TextField name="region" label="Region" value=region error=error_signal read_only
                        hint="us-east-1 unless your service says otherwise (R2 uses auto)." />
                    <TextField name="bucket" label="Bucket" value=bucket error=error_signal read_only
                        hint="The bucket's exact name: lowercase letters, digits, dots and hyphens." />
                    <TextField name="prefix" label="Folder inside the bucket (optional)" value=prefix error=error_signal read_only
                        placeholder="invoices/2026/"
                        hint="Ferry only sees and writes keys under this folder." />
                    <TextField name="access_key_id" label="Access key id" value=access_key_id error=error_signal read_only
                        hint="The public half of the key pair, like AKIA… on AWS." />
                    <TextField name="secret_access_key" label="Secret access key" value=secret error=error_signal read_only
                        kind="password" placeholder=if secret_set { "set — replace?" } else { "" } hint=secret_hint />
                    <TextField name="session_token" label="Session token (optional)" value=session_token error=error_signal read_only
                        kind="password" placeholder=if token_set { "set — replace?" } else { "" } hint=token_hint />
                    {token_set.then(|| view! {
                        <div class="field checkbox">
                            <label><input type="checkbox" name="clear_session_token" bind:checked=clear_token disabled=move || !can_change() />" Forget the stored session token"</label>
                        </div>
                    })}
                    <div class="field checkbox">
                        <label>
                            <input type="checkbox" name="path_style" bind:checked=path_style disabled=move || !can_change() />
                            " Put the bucket in the URL path"
                        </label>
                        <p class="hint">"On for MinIO, Ceph and most self-hosted services; off for AWS S3 and R2."</p>
                    </div>
                    <div class="field">
                        <label for="provider-sdk_checksums">"Request checksums"</label>
                        <select id="provider-sdk_checksums" name="sdk_checksums" disabled=move || !can_change()
                            on:change=move |ev| sdk_checksums.set(event_target_value(&ev))>
                            <option value="when_required" selected=move || sdk_checksums.get() == "when_required">"Only where required — works with every service"</option>
                            <option value="when_supported" selected=move || sdk_checksums.get() == "when_supported">"Wherever supported — AWS S3 only"</option>
                        </select>
                        <p class="hint">"Ferry checks every object's SHA-256 itself either way."</p>
                        <FieldError error=error_signal field="sdk_checksums" />
                    </div>
                </fieldset>
            </Show>

            <FormError error=error_signal />
            <Show when=move || error.get().is_some_and(|e| matches!(e, AppError::Fields(_)))>
                <p class="form-error" role="alert">"Some fields need attention: see the messages beside them."</p>
            </Show>
            <Show when=can_change>
                <div class="actions">
                    <button type="button" class="button" disabled=busy on:click=move |_| { test.dispatch(form()); }>
                        {move || if test.pending().get() { "Testing…" } else { "Test connection" }}
                    </button>
                    <button type="submit" class="button primary" disabled=busy>
                        {move || if save.pending().get() { "Saving…" } else { "Save provider" }}
                    </button>
                    <a class="button" href="/providers">"Cancel"</a>
                </div>
            </Show>
            <TestResult report />
        </form>
    }
}

#[component]
fn TestResult(report: RwSignal<Option<TestReport>>) -> impl IntoView {
    view! {
        <section class="test-result" aria-label="Connection test result" aria-live="polite">
            {move || report.get().map(|r| view! {
                <div class=if r.ok { "notice ok" } else { "notice bad" } role="status">
                    <h2>{if r.ok { "Connection works" } else { "Connection failed" }}</h2>
                    {r.problem.clone().map(|p| view! { <p data-testid="test-problem">{p}</p> })}
                    <ol class="steps">
                        {r.steps.iter().map(|s| view! {
                            <li class=if s.ok { "ok" } else { "bad" }>
                                <strong>{format!("{} {}", if s.ok { "✓" } else { "✗" }, s.name)}</strong>
                                {format!(" — {} ms — {}", s.millis, s.detail)}
                            </li>
                        }).collect_view()}
                    </ol>
                    {(!r.capabilities.is_empty()).then(|| view! {
                        <p class="muted">{format!("Found: {}. Took {} ms in all.", r.capabilities.join(", "), r.total_ms)}</p>
                    })}
                </div>
            })}
        </section>
    }
}
