//! The reference directories in the cabinet (R-3.1.2.2): `/directories` shows KNP, KBK, KBe, the
//! Kazakhstan banks and the banks abroad as tabs, with a search box whose rows htmx refreshes as
//! one types (`/directories/{kind}/rows`; without script, the form submits and the page answers
//! the same rows). `/directories/{kind}/lookup` answers the choices of a form field's type-ahead
//! (`static/lookup.js` turns any `<input data-lookup="knp|kbk|kbe|banks|foreign-banks">` into one).
//!
//! Searches go through `tiyn_refdata::ReferenceData::find`, the one search the JSON API uses too,
//! over the reference data payments are checked against.

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use serde::Deserialize;
use tiyn_api::{ApiError, Lang};
use tiyn_refdata::{DirectoryItem, DirectoryKind};

use crate::WebState;
use crate::i18n::{Texts, fill, texts};
use crate::lang::PageLang;
use crate::pages::{PageMeta, Viewer, failure, render};

/// Rows the page and its search show: a page to read, not an export (thousands of banks abroad).
pub const PAGE_ROWS_MAX: usize = 50;
/// Choices a form field's type-ahead offers: a short list to pick from while typing.
pub const LOOKUP_CHOICES_MAX: usize = 10;
/// The longest query read: the longest name in the directories is shorter.
pub const QUERY_CHARS_MAX: usize = 200;

/// One tab.
pub struct Tab {
    pub kind: &'static str,
    pub label: &'static str,
    pub current: bool,
}

/// One row of a directory as the page and the type-ahead show it.
pub struct Row {
    pub code: String,
    /// What a type-ahead puts in the field: the code, or a bank's BIC.
    pub value: String,
    /// The name in the page's language where the directory has it, else the Russian (or
    /// English) one.
    pub name: String,
    /// Kind-specific facts: a bank's IBAN code and status, a foreign bank's city and country, a
    /// KBK's group.
    pub details: String,
    /// A historical bank: shown, but not to pay to.
    pub inactive: bool,
}

impl Row {
    fn new(item: DirectoryItem<'_>, lang: Lang, t: &'static Texts) -> Row {
        let pick = |ru: Option<&str>, kk: Option<&str>, en: Option<&str>| -> String {
            let preferred = match lang {
                Lang::Ru => ru,
                Lang::Kk => kk.or(ru),
                Lang::En => en,
            };
            preferred.or(ru).or(en).or(kk).unwrap_or_default().to_owned()
        };
        match item {
            DirectoryItem::Knp(entry) => {
                let code = entry.knp().as_str().to_owned();
                Row {
                    value: code.clone(),
                    code,
                    name: pick(entry.name_ru(), None, entry.name_en()),
                    details: String::new(),
                    inactive: false,
                }
            }
            DirectoryItem::Kbk(entry) => {
                let code = entry.kbk().as_str().to_owned();
                Row {
                    value: code.clone(),
                    code,
                    name: entry.name().to_owned(),
                    details: entry.group().to_owned(),
                    inactive: false,
                }
            }
            DirectoryItem::Kbe(entry) => {
                let code = entry.kbe().as_str().to_owned();
                let en = Some(entry.sector_name_en()).filter(|name| !name.is_empty());
                Row {
                    value: code.clone(),
                    code,
                    name: pick(Some(entry.sector_name_ru()), None, en),
                    details: String::new(),
                    inactive: false,
                }
            }
            DirectoryItem::Bank(entry) => {
                let status = if entry.active() { t.directories_active } else { t.directories_historical };
                let details = match entry.iban_bank_code() {
                    Some(code) => format!("{} · {status}", fill(t.directories_bank_code, &[("code", code)])),
                    None => status.to_owned(),
                };
                Row {
                    code: entry.bic().to_string(),
                    value: entry.bic().to_string(),
                    name: pick(Some(entry.name_ru()), entry.name_kk(), None),
                    details,
                    inactive: !entry.active(),
                }
            }
            DirectoryItem::ForeignBank(bank) => {
                let details = match bank.city() {
                    "" => bank.country().to_string(),
                    city => format!("{city}, {}", bank.country()),
                };
                Row {
                    code: bank.bic().to_string(),
                    value: bank.bic().to_string(),
                    name: bank.name().to_owned(),
                    details,
                    inactive: false,
                }
            }
        }
    }
}

fn tab_label(kind: DirectoryKind, t: &'static Texts) -> &'static str {
    match kind {
        DirectoryKind::Knp => t.directories_tab_knp,
        DirectoryKind::Kbk => t.directories_tab_kbk,
        DirectoryKind::Kbe => t.directories_tab_kbe,
        DirectoryKind::Banks => t.directories_tab_banks,
        DirectoryKind::ForeignBanks => t.directories_tab_foreign_banks,
    }
}

#[derive(Debug, Clone, Default, Deserialize)]
pub struct DirectoryParams {
    /// The tab: `knp` (the default), `kbk`, `kbe`, `banks`, `foreign-banks`.
    #[serde(default)]
    pub kind: Option<String>,
    #[serde(default)]
    pub q: Option<String>,
}

fn query_of(params: &DirectoryParams) -> String {
    params.q.as_deref().unwrap_or_default().trim().chars().take(QUERY_CHARS_MAX).collect()
}

/// The rows of a search, and a note when there are more than shown.
struct Found {
    rows: Vec<Row>,
    more: Option<String>,
}

fn find(state: &WebState, kind: DirectoryKind, query: &str, limit: usize, lang: Lang) -> Result<Found, ApiError> {
    let t = texts(lang);
    let directories = state.banking.directories()?;
    // One more than shown says whether there are more.
    let mut items = directories.reference().find(kind, query, limit + 1);
    let more = (items.len() > limit).then(|| fill(t.directories_shown, &[("count", &limit.to_string())]));
    items.truncate(limit);
    Ok(Found { rows: items.into_iter().map(|item| Row::new(item, lang, t)).collect(), more })
}

#[derive(Template)]
#[template(path = "directories.html")]
pub struct DirectoriesPage {
    pub t: &'static Texts,
    pub page: PageMeta,
    pub kind: &'static str,
    pub tabs: Vec<Tab>,
    pub query: String,
    pub rows: Vec<Row>,
    pub more: Option<String>,
}

/// The table body alone, for htmx's search as one types.
#[derive(Template)]
#[template(path = "_directory_rows.html")]
pub struct DirectoryRows {
    pub t: &'static Texts,
    pub rows: Vec<Row>,
    pub more: Option<String>,
}

/// A type-ahead's choices.
#[derive(Template)]
#[template(path = "_directory_choices.html")]
pub struct DirectoryChoices {
    pub t: &'static Texts,
    pub rows: Vec<Row>,
}

/// `GET /directories?kind=&q=`: the tabs, the search box and the rows.
pub async fn show(
    State(state): State<WebState>,
    lang: PageLang,
    viewer: Viewer,
    Query(params): Query<DirectoryParams>,
) -> Response {
    let t = texts(lang.lang);
    let kind = match params.kind.as_deref().map(str::trim).filter(|kind| !kind.is_empty()) {
        None => DirectoryKind::Knp,
        Some(kind) => match DirectoryKind::parse(kind) {
            Some(kind) => kind,
            None => return failure(&state, lang, &viewer, &ApiError::NotFound { what: "directory" }),
        },
    };
    let query = query_of(&params);
    let found = match find(&state, kind, &query, PAGE_ROWS_MAX, lang.lang) {
        Ok(found) => found,
        Err(error) => return failure(&state, lang, &viewer, &error),
    };
    let page = DirectoriesPage {
        t,
        page: PageMeta::new(lang.lang, state.demo, "directories", "/directories", &viewer),
        kind: kind.as_str(),
        tabs: DirectoryKind::ALL
            .into_iter()
            .map(|tab| Tab { kind: tab.as_str(), label: tab_label(tab, t), current: tab == kind })
            .collect(),
        query,
        rows: found.rows,
        more: found.more,
    };
    render(&page, StatusCode::OK, lang)
}

/// `GET /directories/{kind}/rows?q=`: the rows of a search (htmx swaps them into the table).
pub async fn rows(
    State(state): State<WebState>,
    lang: PageLang,
    viewer: Viewer,
    Path(kind): Path<String>,
    Query(params): Query<DirectoryParams>,
) -> Response {
    let Some(kind) = DirectoryKind::parse(&kind) else {
        return failure(&state, lang, &viewer, &ApiError::NotFound { what: "directory" });
    };
    match find(&state, kind, &query_of(&params), PAGE_ROWS_MAX, lang.lang) {
        Ok(found) => {
            render(&DirectoryRows { t: texts(lang.lang), rows: found.rows, more: found.more }, StatusCode::OK, lang)
        }
        Err(error) => failure(&state, lang, &viewer, &error),
    }
}

/// `GET /directories/{kind}/lookup?q=`: a form field's choices (`static/lookup.js`). A blank
/// query offers nothing: the field is for typing, the page for browsing.
pub async fn lookup(
    State(state): State<WebState>,
    lang: PageLang,
    viewer: Viewer,
    Path(kind): Path<String>,
    Query(params): Query<DirectoryParams>,
) -> Response {
    let Some(kind) = DirectoryKind::parse(&kind) else {
        return failure(&state, lang, &viewer, &ApiError::NotFound { what: "directory" });
    };
    let t = texts(lang.lang);
    let query = query_of(&params);
    if query.is_empty() {
        return render(&DirectoryChoices { t, rows: Vec::new() }, StatusCode::OK, lang);
    }
    match find(&state, kind, &query, LOOKUP_CHOICES_MAX, lang.lang) {
        Ok(found) => render(&DirectoryChoices { t, rows: found.rows }, StatusCode::OK, lang),
        Err(error) => failure(&state, lang, &viewer, &error),
    }
}
