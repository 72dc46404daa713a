//! The price table the wizard's cost estimates use: shown to everyone on the
//! settings page, edited by administrators.

use ferry_model::Role;
use ferry_model::wizard::PriceTable;
use leptos::prelude::*;

use crate::api::wizard::{load_prices, save_prices};
use crate::components::layout::CurrentUser;
use crate::error::AppError;

/// The prices card.
#[component]
pub fn PricesCard() -> impl IntoView {
    let me = use_context::<CurrentUser>();
    let is_admin = move || me.and_then(CurrentUser::get).is_some_and(|u| u.role == Role::Admin);
    let saved = RwSignal::new(0_u32);
    let table = Resource::new(move || saved.get(), |_| load_prices());
    view! {
        <section class="card" aria-labelledby="prices-heading">
            <h2 id="prices-heading">"Prices for cost estimates"</h2>
            <p class="muted">"The review step of a new migration estimates request and transfer charges with these prices. Local folders cost nothing."</p>
            <Transition fallback=|| view! { <p class="muted">"Loading prices…"</p> }>
                {move || table.get().map(|r| match r {
                    Ok(t) => view! { <PriceForm table=t saved is_admin=Signal::derive(is_admin) /> }.into_any(),
                    Err(e) => view! { <p class="form-error" role="alert">{e.to_string()}</p> }.into_any(),
                })}
            </Transition>
        </section>
    }
}

#[component]
fn PriceForm(table: PriceTable, saved: RwSignal<u32>, is_admin: Signal<bool>) -> impl IntoView {
    let currency = RwSignal::new(table.currency.clone());
    let write = RwSignal::new(table.write_per_1000.to_string());
    let read = RwSignal::new(table.read_per_1000.to_string());
    let egress = RwSignal::new(table.egress_per_gb.to_string());
    let note = RwSignal::new(table.note.clone());
    let message = RwSignal::new(None::<Result<(), AppError>>);
    let save = Action::new(move |(): &()| async move {
        let number = |field: &str, raw: String| {
            raw.trim().parse::<f64>().map_err(|_| AppError::invalid(field, "Enter a price such as 0.005."))
        };
        let result = async {
            let table = PriceTable {
                currency: currency.get_untracked().trim().to_owned(),
                write_per_1000: number("write_per_1000", write.get_untracked())?,
                read_per_1000: number("read_per_1000", read.get_untracked())?,
                egress_per_gb: number("egress_per_gb", egress.get_untracked())?,
                note: note.get_untracked().trim().to_owned(),
            };
            save_prices(table).await.map(|_| ())
        }
        .await;
        let ok = result.is_ok();
        message.set(Some(result));
        if ok {
            saved.update(|n| *n += 1);
        }
    });
    let field = move |id: &'static str, label: &'static str, value: RwSignal<String>| {
        view! {
            <div class="field">
                <label for=id>{label}</label>
                <input id=id type="text" inputmode="decimal" bind:value=value readonly=move || !is_admin.get() />
                {move || message.get().and_then(Result::err).and_then(|e| e.field_message(id)).map(|m| view! { <p class="field-error" role="alert">{m}</p> })}
            </div>
        }
    };
    view! {
        <div class="form-grid" role="group" aria-label="Prices">
            {field("currency", "Currency", currency)}
            {field("write_per_1000", "PUT, COPY and LIST requests, per 1,000", write)}
            {field("read_per_1000", "GET requests, per 1,000", read)}
            {field("egress_per_gb", "Data out of the source, per GB", egress)}
            {field("note", "Where these prices come from", note)}
        </div>
        <Show when=move || is_admin.get() fallback=|| view! { <p class="muted">"Only administrators can change prices."</p> }>
            <button type="button" class="button primary" disabled=move || save.pending().get() on:click=move |_| { save.dispatch(()); }>"Save prices"</button>
        </Show>
        {move || message.get().map(|m| match m {
            Ok(()) => view! { <p class="notice" role="status">"Prices saved. New estimates use them."</p> }.into_any(),
            Err(e) if e.field_message("currency").is_some() || matches!(e, AppError::Invalid { .. }) => ().into_any(),
            Err(e) => view! { <p class="form-error" role="alert">{e.to_string()}</p> }.into_any(),
        })}
    }
}
