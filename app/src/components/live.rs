//! The live channel: one websocket per browser tab, opened by the shell, whose
//! latest message every page can read. Messages are hints; pages refetch real
//! state through server functions when the channel (re)connects.

use std::collections::HashMap;

use ferry_model::{LiveMessage, ProgressView};
use leptos::prelude::*;
use uuid::Uuid;

/// The state of the live channel.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LiveStatus {
    /// Not yet connected (also what the server renders).
    Connecting,
    /// Receiving messages.
    Live,
    /// Lost; trying again shortly.
    Reconnecting,
}

impl LiveStatus {
    /// Plain words for the page.
    #[must_use]
    pub fn label(self) -> &'static str {
        match self {
            LiveStatus::Connecting => "Connecting…",
            LiveStatus::Live => "Live",
            LiveStatus::Reconnecting => "Reconnecting…",
        }
    }

    /// A stable token for tests and CSS.
    #[must_use]
    pub fn token(self) -> &'static str {
        match self {
            LiveStatus::Connecting => "connecting",
            LiveStatus::Live => "live",
            LiveStatus::Reconnecting => "reconnecting",
        }
    }
}

/// Shared by the shell with every page.
#[derive(Debug, Clone, Copy)]
pub struct LiveChannel {
    /// Connection state.
    pub status: RwSignal<LiveStatus>,
    /// The last heartbeat received.
    pub last: RwSignal<Option<LiveMessage>>,
    /// How many times the channel has connected; pages refetch when it changes.
    pub connects: RwSignal<u32>,
    /// The latest progress of each watched migration.
    pub progress: RwSignal<HashMap<Uuid, ProgressView>>,
    /// Migrations that no longer exist.
    pub gone: RwSignal<Vec<Uuid>>,
    /// The migrations this tab watches; sent again on every (re)connect.
    pub watching: RwSignal<Vec<Uuid>>,
    /// What each part of the page asked to watch; `watching` is their union.
    owners: RwSignal<HashMap<u64, Vec<Uuid>>>,
}

impl LiveChannel {
    /// A channel that is not connected yet; [`LiveChannel::start`] connects it.
    #[must_use]
    pub fn new() -> Self {
        Self {
            status: RwSignal::new(LiveStatus::Connecting),
            last: RwSignal::new(None),
            connects: RwSignal::new(0),
            progress: RwSignal::new(HashMap::new()),
            gone: RwSignal::new(Vec::new()),
            watching: RwSignal::new(Vec::new()),
            owners: RwSignal::new(HashMap::new()),
        }
    }

    /// Asks, on behalf of `owner` (a page or a panel), for progress of these
    /// migrations, replacing what that owner asked before. Owners come and go in
    /// any order as pages change; the channel watches what any of them wants.
    pub fn watch(self, owner: u64, jobs: Vec<Uuid>) {
        self.owners.update(|all| {
            all.insert(owner, jobs);
        });
        self.sync();
    }

    /// Forgets what `owner` asked to watch.
    pub fn unwatch(self, owner: u64) {
        let _ = self.owners.try_update(|all| all.remove(&owner));
        self.sync();
    }

    fn sync(self) {
        let Some(mut union) =
            self.owners.try_with_untracked(|all| all.values().flatten().copied().collect::<Vec<_>>())
        else {
            return;
        };
        union.sort_unstable();
        union.dedup();
        if self.watching.try_get_untracked().is_some_and(|w| w != union) {
            // What is no longer watched is no longer kept fresh: forget it.
            let _ = self.progress.try_update(|p| p.retain(|id, _| union.contains(id)));
            let _ = self.watching.try_set(union);
        }
    }

    /// Opens the websocket (in the browser only) and keeps it open.
    pub fn start(self) {
        #[cfg(feature = "hydrate")]
        browser::start(self);
    }
}

impl Default for LiveChannel {
    fn default() -> Self {
        Self::new()
    }
}

#[cfg(feature = "hydrate")]
mod browser {
    use std::time::Duration;

    use wasm_bindgen::JsCast;
    use wasm_bindgen::prelude::Closure;
    use web_sys::{MessageEvent, WebSocket};

    use ferry_model::{LiveMessage, LiveRequest};
    use leptos::prelude::*;

    use super::{LiveChannel, LiveStatus};

    const RETRY: Duration = Duration::from_secs(2);

    fn url() -> Option<String> {
        let location = window().location();
        let scheme = if location.protocol().ok()? == "https:" { "wss" } else { "ws" };
        Some(format!("{scheme}://{}/ws", location.host().ok()?))
    }

    fn retry_later(channel: LiveChannel) {
        channel.status.set(LiveStatus::Reconnecting);
        set_timeout(move || connect(channel), RETRY);
    }

    thread_local! {
        /// The open socket, for sending watch requests.
        static CURRENT: std::cell::RefCell<Option<WebSocket>> = const { std::cell::RefCell::new(None) };
    }

    /// Tells the server which migrations this tab watches (when connected; on
    /// connect the list is sent anyway).
    pub(super) fn send_watch(jobs: Vec<uuid::Uuid>) {
        let Ok(text) = serde_json::to_string(&LiveRequest::Watch { jobs }) else { return };
        CURRENT.with(|current| {
            if let Some(socket) = current.borrow().as_ref()
                && socket.ready_state() == WebSocket::OPEN
            {
                let _ = socket.send_with_str(&text);
            }
        });
    }

    /// Opens the socket and re-sends the watch list whenever it changes.
    pub(super) fn start(channel: LiveChannel) {
        Effect::new(move |_| send_watch(channel.watching.get()));
        connect(channel);
    }

    fn connect(channel: LiveChannel) {
        let Some(socket) = url().and_then(|u| WebSocket::new(&u).ok()) else {
            retry_later(channel);
            return;
        };
        CURRENT.with(|current| *current.borrow_mut() = Some(socket.clone()));
        let on_open = Closure::<dyn FnMut()>::new(move || {
            channel.status.set(LiveStatus::Live);
            channel.connects.update(|n| *n += 1);
            send_watch(channel.watching.get_untracked());
        });
        let on_message = Closure::<dyn FnMut(MessageEvent)>::new(move |ev: MessageEvent| {
            let Some(text) = ev.data().as_string() else { return };
            match serde_json::from_str::<LiveMessage>(&text) {
                Ok(LiveMessage::Progress(view)) => {
                    channel.progress.update(|all| {
                        all.insert(view.job_id, view);
                    });
                }
                Ok(LiveMessage::Gone { job_id }) => channel.gone.update(|g| g.push(job_id)),
                Ok(message) => channel.last.set(Some(message)),
                Err(_) => {}
            }
        });
        // `close` follows `error`, so reconnecting on close alone covers both.
        let on_close = Closure::<dyn FnMut()>::new(move || retry_later(channel));
        socket.set_onopen(Some(on_open.as_ref().unchecked_ref()));
        socket.set_onmessage(Some(on_message.as_ref().unchecked_ref()));
        socket.set_onclose(Some(on_close.as_ref().unchecked_ref()));
        // The handlers live as long as the socket, which lives as long as the tab.
        on_open.forget();
        on_message.forget();
        on_close.forget();
    }
}
