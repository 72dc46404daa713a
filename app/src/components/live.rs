//! The live channel: one websocket per browser tab, opened by the shell, whose
//! latest message every page can read. Messages are hints; pages refetch real
//! state through server functions when the channel (re)connects.

use ferry_model::LiveMessage;
use leptos::prelude::*;

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
    /// The last message received.
    pub last: RwSignal<Option<LiveMessage>>,
    /// How many times the channel has connected; pages refetch when it changes.
    pub connects: RwSignal<u32>,
}

impl LiveChannel {
    /// A channel that is not connected yet; [`LiveChannel::start`] connects it.
    #[must_use]
    pub fn new() -> Self {
        Self {
            status: RwSignal::new(LiveStatus::Connecting),
            last: RwSignal::new(None),
            connects: RwSignal::new(0),
        }
    }

    /// Opens the websocket (in the browser only) and keeps it open.
    pub fn start(self) {
        #[cfg(feature = "hydrate")]
        browser::connect(self);
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

    use super::{LiveChannel, LiveStatus};
    use leptos::prelude::*;

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

    pub(super) fn connect(channel: LiveChannel) {
        let Some(socket) = url().and_then(|u| WebSocket::new(&u).ok()) else {
            retry_later(channel);
            return;
        };
        let on_open = Closure::<dyn FnMut()>::new(move || {
            channel.status.set(LiveStatus::Live);
            channel.connects.update(|n| *n += 1);
        });
        let on_message = Closure::<dyn FnMut(MessageEvent)>::new(move |ev: MessageEvent| {
            if let Some(text) = ev.data().as_string()
                && let Ok(message) = serde_json::from_str(&text)
            {
                channel.last.set(Some(message));
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
