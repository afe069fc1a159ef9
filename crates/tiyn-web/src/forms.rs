//! Refusals shown on a form: a summary above it and messages next to the fields they concern,
//! in the page's language. The messages are the API's localised titles for the same stable codes,
//! so a refusal reads the same in the cabinet and in a problem document.

use axum::http::StatusCode;
use tiyn_api::{ApiError, FieldError, Lang};
use tiyn_identity::IdentityError;

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FormErrors {
    /// Shown above the form (`role="alert"`).
    pub summary: Option<String>,
    /// `(field, message)`, shown next to the field.
    pub fields: Vec<(String, String)>,
    /// The stable code of the refusal, for tests and styling (`data-code`).
    pub code: String,
}

impl FormErrors {
    pub fn none() -> FormErrors {
        FormErrors::default()
    }

    /// One message above the form.
    pub fn summary(code: &str, message: impl Into<String>) -> FormErrors {
        FormErrors { summary: Some(message.into()), fields: Vec::new(), code: code.to_owned() }
    }

    /// One message next to `field`.
    pub fn on(field: &str, code: &str, message: impl Into<String>) -> FormErrors {
        FormErrors { summary: None, fields: vec![(field.to_owned(), message.into())], code: code.to_owned() }
    }

    /// The refusal `error` as the form with `form_fields` shows it: field errors of those fields
    /// next to them, anything else in the summary.
    pub fn from_api(error: &ApiError, lang: Lang, form_fields: &[&str]) -> FormErrors {
        FormErrors::from_api_renamed(error, lang, form_fields, str::to_owned)
    }

    /// [`FormErrors::from_api`] for a form whose fields are named otherwise than the refusal's:
    /// `rename` turns a refused field's name into the form's (an application's `users[0]` is the
    /// form's first filled row, which may be its second).
    pub fn from_api_renamed(
        error: &ApiError,
        lang: Lang,
        form_fields: &[&str],
        rename: impl Fn(&str) -> String,
    ) -> FormErrors {
        let problem = error.problem(lang);
        let fields: Vec<(String, String)> = problem
            .errors
            .iter()
            .map(|field| (rename(&field.field), field.message.clone()))
            .filter(|(field, _)| form_fields.contains(&field.as_str()))
            .collect();
        let summary = if fields.is_empty() || fields.len() < problem.errors.len() { Some(problem.title) } else { None };
        FormErrors { summary, fields, code: problem.code }
    }

    pub fn field(&self, name: &str) -> Option<&str> {
        self.fields.iter().find(|(field, _)| field == name).map(|(_, message)| message.as_str())
    }

    pub fn is_empty(&self) -> bool {
        self.summary.is_none() && self.fields.is_empty()
    }
}

/// An identity refusal as the page shows it: the API error, with the refusals that concern one
/// field of the cabinet's forms named after that field (a refused password, R-8.4, and a refused
/// code, SMS or marker), and the status the API answers for it (a refused code stays 401).
pub fn identity_error(error: IdentityError, password_field: &str) -> (ApiError, StatusCode) {
    let status = ApiError::from(error.clone()).status();
    let error = match error {
        IdentityError::Password(refusal) => ApiError::invalid(password_field, refusal.code(), refusal.to_string()),
        IdentityError::Code(_) | IdentityError::UnknownChallenge | IdentityError::MarkerCode(_) => {
            ApiError::Invalid(vec![FieldError::new("code", error.code(), error.to_string())])
        }
        other => other.into(),
    };
    (error, status)
}

/// The status of a page that shows a refusal: the refusal's own (401, 409, 422, 429).
pub fn status_of(error: &ApiError) -> StatusCode {
    error.status()
}

/// Whether a refusal is the server's failure rather than something the person can correct.
pub fn is_internal(error: &ApiError) -> bool {
    error.status().is_server_error()
}

/// A checkbox is on when the browser sent its field at all.
pub fn checked(value: &Option<String>) -> bool {
    value.as_deref().is_some_and(|value| !value.is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn field_refusals_go_next_to_their_field() {
        let error = ApiError::from(IdentityError::invalid("password", "password_too_short", "12 at least"));
        let errors = FormErrors::from_api(&error, Lang::En, &["password"]);
        assert_eq!(errors.field("password"), Some("Password too short"));
        assert_eq!(errors.summary, None);
        assert_eq!(errors.code, "password_too_short");

        let elsewhere = FormErrors::from_api(&error, Lang::Ru, &["login"]);
        assert_eq!(elsewhere.summary.as_deref(), Some("Пароль слишком короткий"));
        assert!(elsewhere.fields.is_empty());

        let (error, status) = identity_error(IdentityError::UnknownChallenge, "password");
        assert_eq!(FormErrors::from_api(&error, Lang::En, &["code"]).field("code"), Some("Wrong code"));
        assert_eq!(status, StatusCode::UNAUTHORIZED);
    }

    #[test]
    fn state_refusals_are_summaries() {
        let error = ApiError::from(IdentityError::Conflict("last_full_access"));
        let errors = FormErrors::from_api(&error, Lang::Kk, &["level"]);
        assert_eq!(errors.summary.as_deref(), Some("Соңғы әкімшіден қол жеткізуді алуға болмайды"));
        assert_eq!(status_of(&error), StatusCode::CONFLICT);
    }
}
