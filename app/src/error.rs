//! `AppError`: what a server function tells the console went wrong, shaped by what
//! the person can do about it. It crosses the wire as JSON.

use ferry_model::Role;
use leptos::server_fn::codec::JsonEncoding;
use leptos::server_fn::error::{FromServerFnError, ServerFnErrorErr};
use serde::{Deserialize, Serialize};

/// An error a server function returns to the console.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
pub enum AppError {
    /// No valid session: sign in again.
    #[error("Your session has ended. Sign in again.")]
    Unauthenticated,
    /// Signed in, but the role does not allow this.
    #[error("This needs the {} role; ask an administrator.", .0.label())]
    Forbidden(Role),
    /// A form field holds something Ferry cannot use.
    #[error("{message}")]
    Invalid {
        /// The field's name in the form.
        field: String,
        /// What to change, in plain words.
        message: String,
    },
    /// Several fields of a form need attention at once.
    #[error("Some fields need attention: {}", .0.iter().map(|p| p.field.as_str()).collect::<Vec<_>>().join(", "))]
    Fields(Vec<ferry_model::provider::FieldProblem>),
    /// The change clashes with what exists (a taken name, a finished setup).
    #[error("{0}")]
    Conflict(String),
    /// The thing asked for does not exist.
    #[error("{0} was not found.")]
    NotFound(String),
    /// Too many attempts: wait until the time given, or ask an administrator.
    #[error("{0}")]
    Throttled(String),
    /// The database or another dependency is down for now.
    #[error("Ferry cannot reach its database right now. Try again in a moment.")]
    Unavailable,
    /// A fault on the server; the id finds the details in the server log.
    #[error("Something went wrong on the server. Quote reference {id} to your administrator.")]
    Internal {
        /// Correlates with the server log.
        id: String,
    },
    /// The request did not reach the function intact (bad arguments, network).
    #[error("{0}")]
    Request(String),
}

impl AppError {
    /// A field-level error.
    #[must_use]
    pub fn invalid(field: &str, message: impl Into<String>) -> Self {
        AppError::Invalid { field: field.to_owned(), message: message.into() }
    }

    /// The message for `field`, if this error is about that field.
    #[must_use]
    pub fn field_message(&self, name: &str) -> Option<String> {
        match self {
            AppError::Invalid { field, message } if field == name => Some(message.clone()),
            AppError::Fields(problems) => {
                problems.iter().find(|p| p.field == name).map(|p| p.message.clone())
            }
            _ => None,
        }
    }

    /// The HTTP status this error is sent with.
    #[must_use]
    pub fn status_code(&self) -> u16 {
        match self {
            AppError::Unauthenticated => 401,
            AppError::Forbidden(_) => 403,
            AppError::Invalid { .. } | AppError::Fields(_) => 422,
            AppError::Conflict(_) => 409,
            AppError::NotFound(_) => 404,
            AppError::Throttled(_) => 429,
            AppError::Unavailable => 503,
            AppError::Internal { .. } => 500,
            AppError::Request(_) => 400,
        }
    }
}

impl FromServerFnError for AppError {
    type Encoder = JsonEncoding;

    fn from_server_fn_error(value: ServerFnErrorErr) -> Self {
        let error = match value {
            ServerFnErrorErr::Args(detail) => {
                AppError::Request(format!("The form could not be read: {detail}"))
            }
            ServerFnErrorErr::MissingArg(name) => AppError::Request(format!("The form is missing `{name}`.")),
            ServerFnErrorErr::Request(detail) => AppError::Request(format!(
                "Ferry did not answer ({detail}). Check your connection and try again."
            )),
            other => AppError::Request(other.to_string()),
        };
        // On the server this runs inside the request, before the function body: a
        // malformed request is the client's fault and is answered with 400, not 500.
        #[cfg(feature = "ssr")]
        crate::ssr::set_status(&error);
        error
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn field_messages_only_match_their_field() {
        let err = AppError::invalid("username", "Enter a username.");
        assert_eq!(err.field_message("username").as_deref(), Some("Enter a username."));
        assert_eq!(err.field_message("password"), None);
        assert_eq!(err.status_code(), 422);
    }

    #[test]
    fn errors_round_trip_as_json() {
        let err = AppError::Forbidden(Role::Admin);
        let text = serde_json::to_string(&err).unwrap();
        assert_eq!(serde_json::from_str::<AppError>(&text).unwrap(), err);
        assert!(err.to_string().contains("Administrator"));
    }
}
