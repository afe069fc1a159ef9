//! `/profile/markers` and `/profile/devices`: the signed-in user's means of access besides the
//! password. Markers: enrolment shows the secret once, as a QR code
//! drawn on the server and as text, then a first code activates the marker; it then replaces the
//! SMS at sign-in. Devices: registered with platform and OS version, an OS below
//! the bank's minimum refused with the minimum named. Every decision is `tiyn_identity`'s.

use askama::Template;
use axum::Form;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;
use tiyn_api::ApiError;
use tiyn_api::authz::{LOGIN_PAGE, RequestContext};
use tiyn_core::DeviceId;
use tiyn_store::{DeviceRecord, MarkerRecord, MarkerStatus};

use crate::WebState;
use crate::format;
use crate::forms::{FormErrors, identity_error, is_internal, status_of};
use crate::i18n::{Texts, fill, texts};
use crate::lang::PageLang;
use crate::pages::{PageMeta, Viewer, failure, render};
use crate::profile::DoneQuery;
use crate::qr;

pub const MARKERS_PAGE: &str = "/profile/markers";
pub const DEVICES_PAGE: &str = "/profile/devices";

fn to_login() -> Response {
    Redirect::to(LOGIN_PAGE).into_response()
}

fn done(query: Result<Query<DoneQuery>, QueryRejection>) -> Option<String> {
    query.map(|Query(query)| query.done).ok().flatten()
}

// ----- markers -----

/// A marker as the list shows it.
pub struct MarkerRow {
    pub serial: String,
    pub status: &'static str,
    pub status_code: &'static str,
    pub created: String,
    pub activated: String,
    pub revoked: String,
    /// Enrolled, awaiting its first code: the row offers the activation form.
    pub pending: bool,
    pub revocable: bool,
    /// The refusal of the code last posted for this marker.
    pub code_error: Option<String>,
}

impl MarkerRow {
    fn new(marker: &MarkerRecord, lang: tiyn_api::Lang) -> MarkerRow {
        let t = texts(lang);
        let when = |at: Option<jiff::Timestamp>| at.map(|at| format::date_time(at, lang)).unwrap_or_default();
        MarkerRow {
            serial: marker.serial.clone(),
            status: match marker.status {
                MarkerStatus::Pending => t.marker_pending,
                MarkerStatus::Active => t.marker_active,
                MarkerStatus::Revoked => t.marker_revoked,
            },
            status_code: marker.status.as_str(),
            created: format::date_time(marker.created_at, lang),
            activated: when(marker.activated_at),
            revoked: when(marker.revoked_at),
            pending: marker.status == MarkerStatus::Pending,
            revocable: marker.status != MarkerStatus::Revoked,
            code_error: None,
        }
    }
}

#[derive(Template)]
#[template(path = "markers.html")]
struct MarkersPage {
    t: &'static Texts,
    page: PageMeta,
    rows: Vec<MarkerRow>,
    notice: Option<&'static str>,
    errors: FormErrors,
}

/// The page right after enrolment: the only time the secret is shown.
#[derive(Template)]
#[template(path = "marker_enrolled.html")]
struct MarkerEnrolledPage {
    t: &'static Texts,
    page: PageMeta,
    serial: String,
    /// The inline `<svg>` of the `otpauth://` URI, drawn here from our own string.
    qr: Option<String>,
    /// The base32 secret in groups of four, for typing by hand.
    secret: String,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct CodeForm {
    pub code: String,
}

/// Renders the list; `refusal` is a refused code of one marker (its serial and the message) or a
/// summary above the list.
async fn markers_page(
    state: &WebState,
    lang: PageLang,
    viewer: &Viewer,
    status: StatusCode,
    notice: Option<&'static str>,
    code_refusal: Option<(String, String)>,
    errors: FormErrors,
) -> Response {
    let Some(principal) = viewer.principal.as_ref() else { return to_login() };
    let markers = match state.identity.markers(principal).await {
        Ok(markers) => markers,
        Err(error) => return failure(state, lang, viewer, &error.into()),
    };
    let mut rows: Vec<MarkerRow> = markers.iter().map(|marker| MarkerRow::new(marker, lang.lang)).collect();
    if let Some((serial, message)) = code_refusal
        && let Some(row) = rows.iter_mut().find(|row| row.serial == serial)
    {
        row.code_error = Some(message);
    }
    let page = MarkersPage {
        t: texts(lang.lang),
        page: PageMeta::new(lang.lang, state.demo, "profile", MARKERS_PAGE, viewer),
        rows,
        notice,
        errors,
    };
    render(&page, status, lang)
}

/// `GET /profile/markers`: the user's markers, the enrolment button.
pub async fn markers(
    State(state): State<WebState>,
    lang: PageLang,
    viewer: Viewer,
    query: Result<Query<DoneQuery>, QueryRejection>,
) -> Response {
    let t = texts(lang.lang);
    let notice = match done(query).as_deref() {
        Some("activated") => Some(t.marker_activated),
        Some("revoked") => Some(t.marker_revoked_notice),
        _ => None,
    };
    markers_page(&state, lang, &viewer, StatusCode::OK, notice, None, FormErrors::none()).await
}

/// `POST /profile/markers`: enrols a marker and shows its secret once, as a QR code and as text,
/// with the form for the first code. The page is not cached (`no-store`, as every page) and cannot
/// be reloaded into the secret: a reload posts again and enrols another marker.
pub async fn enrol_marker(
    State(state): State<WebState>,
    lang: PageLang,
    viewer: Viewer,
    RequestContext(context): RequestContext,
) -> Response {
    let Some(principal) = viewer.principal.as_ref() else { return to_login() };
    let t = texts(lang.lang);
    let enrolled = match state.identity.enrol_marker(&context, principal).await {
        Ok(enrolled) => enrolled,
        Err(error) => {
            let error = ApiError::from(error);
            if is_internal(&error) || error.status() == StatusCode::NOT_FOUND {
                return failure(&state, lang, &viewer, &error);
            }
            let errors = FormErrors::from_api(&error, lang.lang, &[]);
            return markers_page(&state, lang, &viewer, status_of(&error), None, None, errors).await;
        }
    };
    let label = fill(t.marker_qr_label, &[("serial", &enrolled.serial)]);
    let page = MarkerEnrolledPage {
        t,
        page: PageMeta::new(lang.lang, state.demo, "profile", MARKERS_PAGE, &viewer),
        qr: qr::svg(&enrolled.otpauth_uri, &label),
        secret: qr::grouped(qr::otpauth_secret(&enrolled.otpauth_uri).unwrap_or_default()),
        serial: enrolled.serial,
    };
    render(&page, StatusCode::OK, lang)
}

/// `POST /profile/markers/{serial}/activate`: the first code makes the marker usable.
/// A refused code is shown next to that marker's form; another user's serial is not found.
pub async fn activate_marker(
    State(state): State<WebState>,
    lang: PageLang,
    viewer: Viewer,
    RequestContext(context): RequestContext,
    Path(serial): Path<String>,
    Form(form): Form<CodeForm>,
) -> Response {
    let Some(principal) = viewer.principal.as_ref() else { return to_login() };
    match state.identity.activate_marker(&context, principal, &serial, form.code.trim()).await {
        Ok(()) => Redirect::to(&format!("{MARKERS_PAGE}?done=activated")).into_response(),
        Err(error) => {
            let (error, status) = identity_error(error, "code");
            if is_internal(&error) || status == StatusCode::NOT_FOUND {
                return failure(&state, lang, &viewer, &error);
            }
            let errors = FormErrors::from_api(&error, lang.lang, &["code"]);
            match errors.field("code") {
                Some(message) => {
                    let refusal = Some((serial.clone(), message.to_owned()));
                    markers_page(&state, lang, &viewer, status, None, refusal, FormErrors::none()).await
                }
                None => markers_page(&state, lang, &viewer, status, None, None, errors).await,
            }
        }
    }
}

/// `POST /profile/markers/{serial}/revoke`: the marker stops working at once.
pub async fn revoke_marker(
    State(state): State<WebState>,
    lang: PageLang,
    viewer: Viewer,
    RequestContext(context): RequestContext,
    Path(serial): Path<String>,
) -> Response {
    let Some(principal) = viewer.principal.as_ref() else { return to_login() };
    match state.identity.revoke_marker(&context, principal, &serial).await.map_err(ApiError::from) {
        Ok(()) => Redirect::to(&format!("{MARKERS_PAGE}?done=revoked")).into_response(),
        Err(error) if is_internal(&error) || error.status() == StatusCode::NOT_FOUND => {
            failure(&state, lang, &viewer, &error)
        }
        Err(error) => {
            let errors = FormErrors::from_api(&error, lang.lang, &[]);
            markers_page(&state, lang, &viewer, status_of(&error), None, None, errors).await
        }
    }
}

// ----- devices -----

/// The platforms the form offers, as `(code, name)`.
const PLATFORMS: [(&str, &str); 2] = [("android", "Android"), ("ios", "iOS")];

fn platform_name(code: &str) -> String {
    PLATFORMS.iter().find(|(known, _)| *known == code).map_or_else(|| code.to_owned(), |(_, name)| (*name).to_owned())
}

pub struct DeviceRow {
    pub id: String,
    pub name: String,
    pub platform: String,
    pub os_version: String,
    pub registered: String,
}

impl DeviceRow {
    fn new(device: &DeviceRecord, lang: tiyn_api::Lang) -> DeviceRow {
        DeviceRow {
            id: device.id.get().to_string(),
            name: device.name.clone(),
            platform: platform_name(&device.platform),
            os_version: device.os_version.clone(),
            registered: format::date_time(device.registered_at, lang),
        }
    }
}

pub struct PlatformOption {
    pub code: &'static str,
    pub label: &'static str,
    pub selected: bool,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct DeviceForm {
    pub platform: String,
    pub os_version: String,
    pub name: String,
}

#[derive(Template)]
#[template(path = "devices.html")]
struct DevicesPage {
    t: &'static Texts,
    page: PageMeta,
    rows: Vec<DeviceRow>,
    notice: Option<&'static str>,
    values: DeviceForm,
    platforms: Vec<PlatformOption>,
    /// "Android 10 or later, iOS 15 or later."
    minimums: String,
    errors: FormErrors,
}

/// The bank's minimum OS version of `platform`.
fn minimum_of(state: &WebState, platform: &str) -> Option<String> {
    let platform = platform.trim().to_ascii_lowercase();
    state.identity.config().devices.minimum.iter().find(|(known, _)| *known == platform).map(|(_, min)| min.clone())
}

async fn devices_page(
    state: &WebState,
    lang: PageLang,
    viewer: &Viewer,
    status: StatusCode,
    notice: Option<&'static str>,
    values: DeviceForm,
    errors: FormErrors,
) -> Response {
    let Some(principal) = viewer.principal.as_ref() else { return to_login() };
    let t = texts(lang.lang);
    let devices = match state.identity.devices(principal).await {
        Ok(devices) => devices,
        Err(error) => return failure(state, lang, viewer, &error.into()),
    };
    let selected = if values.platform.is_empty() { PLATFORMS[0].0 } else { values.platform.as_str() };
    let platforms =
        PLATFORMS.iter().map(|(code, label)| PlatformOption { code, label, selected: *code == selected }).collect();
    let minimums = state
        .identity
        .config()
        .devices
        .minimum
        .iter()
        .map(|(platform, minimum)| {
            fill(t.os_minimum_item, &[("platform", &platform_name(platform)), ("minimum", minimum)])
        })
        .collect::<Vec<_>>()
        .join(", ");
    let page = DevicesPage {
        t,
        page: PageMeta::new(lang.lang, state.demo, "profile", DEVICES_PAGE, viewer),
        rows: devices
            .iter()
            .filter(|device| device.revoked_at.is_none())
            .map(|d| DeviceRow::new(d, lang.lang))
            .collect(),
        notice,
        values,
        platforms,
        minimums: fill(t.os_minimums, &[("list", &minimums)]),
        errors,
    };
    render(&page, status, lang)
}

/// `GET /profile/devices`: the user's registered devices and the registration form.
pub async fn devices(
    State(state): State<WebState>,
    lang: PageLang,
    viewer: Viewer,
    query: Result<Query<DoneQuery>, QueryRejection>,
) -> Response {
    let t = texts(lang.lang);
    let notice = match done(query).as_deref() {
        Some("registered") => Some(t.device_registered),
        Some("revoked") => Some(t.device_revoked),
        _ => None,
    };
    devices_page(&state, lang, &viewer, StatusCode::OK, notice, DeviceForm::default(), FormErrors::none()).await
}

const DEVICE_FIELDS: &[&str] = &["platform", "os_version", "name"];

/// `POST /profile/devices`: registers a device; an OS below the bank's minimum is refused with the
/// minimum named next to the field.
pub async fn register_device(
    State(state): State<WebState>,
    lang: PageLang,
    viewer: Viewer,
    RequestContext(context): RequestContext,
    Form(form): Form<DeviceForm>,
) -> Response {
    let Some(principal) = viewer.principal.as_ref() else { return to_login() };
    let t = texts(lang.lang);
    let result =
        state.identity.register_device(&context, principal, &form.platform, &form.os_version, &form.name).await;
    match result.map_err(ApiError::from) {
        Ok(_) => Redirect::to(&format!("{DEVICES_PAGE}?done=registered")).into_response(),
        Err(error) if is_internal(&error) => failure(&state, lang, &viewer, &error),
        Err(error) => {
            let mut errors = FormErrors::from_api(&error, lang.lang, DEVICE_FIELDS);
            if errors.code == "os_version_unsupported"
                && let Some(minimum) = minimum_of(&state, &form.platform)
            {
                let message = fill(
                    t.os_version_too_old,
                    &[
                        ("platform", &platform_name(&form.platform.trim().to_ascii_lowercase())),
                        ("version", form.os_version.trim()),
                        ("minimum", &minimum),
                    ],
                );
                errors.fields.retain(|(field, _)| field != "os_version");
                errors.fields.push(("os_version".to_owned(), message));
            }
            devices_page(&state, lang, &viewer, status_of(&error), None, form, errors).await
        }
    }
}

/// `POST /profile/devices/{id}/revoke`: another user's device is not found.
pub async fn revoke_device(
    State(state): State<WebState>,
    lang: PageLang,
    viewer: Viewer,
    RequestContext(context): RequestContext,
    Path(id): Path<String>,
) -> Response {
    let Some(principal) = viewer.principal.as_ref() else { return to_login() };
    let Some(id) = id.parse::<i64>().ok().filter(|id| *id > 0).map(DeviceId::new) else {
        return failure(&state, lang, &viewer, &ApiError::NotFound { what: "device" });
    };
    match state.identity.revoke_device(&context, principal, id).await.map_err(ApiError::from) {
        Ok(()) => Redirect::to(&format!("{DEVICES_PAGE}?done=revoked")).into_response(),
        Err(error) if is_internal(&error) || error.status() == StatusCode::NOT_FOUND => {
            failure(&state, lang, &viewer, &error)
        }
        Err(error) => {
            let errors = FormErrors::from_api(&error, lang.lang, &[]);
            devices_page(&state, lang, &viewer, status_of(&error), None, DeviceForm::default(), errors).await
        }
    }
}
