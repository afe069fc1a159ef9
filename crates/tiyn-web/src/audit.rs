//! `/audit`: the partner's audit trail for its full-access users, newest first, with a
//! date filter (business days in Asia/Almaty) and pages by cursor (`before` = the last id shown).

use std::collections::HashMap;

use askama::Template;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use jiff::Timestamp;
use jiff::civil::Date;
use serde::Deserialize;
use tiyn_api::ApiError;
use tiyn_api::authz::{LOGIN_PAGE, RequestContext};
use tiyn_core::UserId;
use tiyn_store::{AuditOutcome, AuditQuery, AuditRecord};

use crate::WebState;
use crate::format;
use crate::forms::FormErrors;
use crate::i18n::{Texts, fill, texts};
use crate::lang::PageLang;
use crate::pages::{PageMeta, Viewer, failure, render};

/// Records per page.
pub const AUDIT_PAGE_SIZE: usize = 50;

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct AuditParams {
    pub from: String,
    pub to: String,
    pub before: String,
}

pub struct AuditRow {
    pub id: i64,
    pub at: String,
    /// The partner the record concerns, in the bank's view of every partner; `None` in a
    /// partner's own trail.
    pub partner: Option<String>,
    pub actor: String,
    pub action: String,
    pub object: String,
    pub ip: String,
    pub outcome: String,
    pub success: bool,
}

#[derive(Template)]
#[template(path = "audit.html")]
struct AuditPage {
    t: &'static Texts,
    page: PageMeta,
    from: String,
    to: String,
    rows: Vec<AuditRow>,
    /// The shared table's partner column (the bank's view only).
    show_partner: bool,
    next: Option<String>,
    paged: bool,
    errors: FormErrors,
}

/// The start of a business day in Almaty.
pub(crate) fn day_start(date: Date) -> Option<Timestamp> {
    date.to_zoned(format::almaty()).ok().map(|zoned| zoned.timestamp())
}

pub(crate) fn parse_date(text: &str) -> Result<Option<Date>, ()> {
    let text = text.trim();
    if text.is_empty() {
        return Ok(None);
    }
    text.parse::<Date>().map(Some).map_err(|_| ())
}

/// One record as the audit tables show it; `partners` names the partner column (the bank's view).
pub(crate) fn row(
    record: &AuditRecord,
    names: &HashMap<UserId, String>,
    partners: Option<&HashMap<tiyn_core::PartnerId, String>>,
    t: &'static Texts,
    lang: tiyn_api::Lang,
) -> AuditRow {
    let fields = &record.record;
    AuditRow {
        id: record.id,
        at: format::date_time_seconds(fields.at, lang),
        partner: partners.map(|partners| match fields.partner {
            Some(id) => partners.get(&id).cloned().unwrap_or_else(|| format!("#{}", id.get())),
            None => t.the_bank.to_owned(),
        }),
        actor: match fields.actor {
            Some(id) => names.get(&id).cloned().unwrap_or_else(|| format!("#{}", id.get())),
            None => t.anonymous.to_owned(),
        },
        action: fields.action.clone(),
        object: fields.object.clone().unwrap_or_default(),
        ip: fields.source_ip.clone().unwrap_or_default(),
        outcome: match &fields.outcome {
            AuditOutcome::Success => t.outcome_success.to_owned(),
            AuditOutcome::Failure(code) => fill(t.outcome_failure, &[("code", code)]),
        },
        success: fields.outcome == AuditOutcome::Success,
    }
}

/// `GET /audit?from=YYYY-MM-DD&to=YYYY-MM-DD&before=ID`.
pub async fn show(
    State(state): State<WebState>,
    lang: PageLang,
    viewer: Viewer,
    RequestContext(context): RequestContext,
    params: Result<Query<AuditParams>, QueryRejection>,
) -> Response {
    let Some(principal) = &viewer.principal else {
        return Redirect::to(LOGIN_PAGE).into_response();
    };
    let t = texts(lang.lang);
    let params = params.map(|Query(params)| params).unwrap_or_default();
    let (from, to, before) =
        (parse_date(&params.from), parse_date(&params.to), params.before.trim().parse::<i64>().ok());
    let mut errors = FormErrors::none();
    let (from, to) = match (from, to) {
        (Ok(from), Ok(to)) => (from, to),
        (from, to) => {
            errors = FormErrors::on(if from.is_err() { "from" } else { "to" }, "invalid_date", t.invalid_date);
            (from.unwrap_or(None), to.unwrap_or(None))
        }
    };
    let query = AuditQuery {
        partner: None,
        actor: None,
        from: from.and_then(day_start),
        to: to.and_then(|date| date.tomorrow().ok()).and_then(day_start),
        before_id: before,
        limit: AUDIT_PAGE_SIZE,
    };
    let loaded = async {
        let view = state.identity.partner_audit(&context, principal, query).await?;
        let names: HashMap<UserId, String> =
            state.identity.partner_users(principal).await?.into_iter().map(|user| (user.id, user.full_name)).collect();
        Ok::<_, ApiError>((view, names))
    };
    let (view, names) = match loaded.await {
        Ok(loaded) => loaded,
        Err(error) => return failure(&state, lang, &viewer, &error),
    };
    let next = view.next_before_id.map(|id| {
        let mut href = format!("/audit?before={id}");
        if let Some(from) = from {
            href.push_str(&format!("&from={from}"));
        }
        if let Some(to) = to {
            href.push_str(&format!("&to={to}"));
        }
        href
    });
    // The fields show what was typed, so a refused date can be corrected.
    let (from, to) = (params.from.trim().to_owned(), params.to.trim().to_owned());
    let status = if errors.is_empty() { StatusCode::OK } else { StatusCode::UNPROCESSABLE_ENTITY };
    let page = AuditPage {
        show_partner: false,
        t,
        page: PageMeta::new(lang.lang, state.demo, "audit", "/audit", &viewer),
        rows: view.records.iter().map(|record| row(record, &names, None, t, lang.lang)).collect(),
        from,
        to,
        next,
        paged: before.is_some(),
        errors,
    };
    render(&page, status, lang)
}
