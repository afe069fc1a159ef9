//! `GET /api/v1/directories/{kind}?q=&limit=`: the reference directories (R-3.1.2.2) — KNP, KBK,
//! KBe/KOd, the Kazakhstan banks and the banks abroad — searched by code (or BIC) prefix and by
//! words of their names, for payment forms' lookups and partners' software.
//!
//! The data is the server's loaded reference data (the embedded files, or the texts the bank
//! loaded with `tiyn admin directories load`), reached through the payment services like every
//! other check of a document, so a lookup offers exactly what a payment is checked against.

use axum::Json;
use axum::extract::{Path, State};
use serde::{Deserialize, Serialize};
use tiyn_refdata::{DirectoryItem, DirectoryKind};
use utoipa::{IntoParams, ToSchema};

use crate::ApiState;
use crate::error::{ApiError, FieldError, ProblemDto};
use crate::extract::ApiQuery;

/// Entries a search answers when the client does not say: a lookup's list of choices.
pub const DIRECTORY_LIMIT_DEFAULT: usize = 20;
/// The most entries one search answers: a lookup, not an export (the foreign bank list has
/// thousands of entries).
pub const DIRECTORY_LIMIT_MAX: usize = 100;

/// What an unknown kind answers, naming the kinds there are.
const UNKNOWN_KIND: &str = "directory: the kinds are knp, kbk, kbe, banks and foreign-banks";

/// One directory entry. `code`, `name` and the three name fields are there for every kind; the
/// rest only for the kinds they describe.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct DirectoryItemDto {
    /// The KNP, KBK or KBe code; a bank's BIC.
    #[schema(example = "CASPKZKA")]
    pub code: String,
    /// The name to show: Russian where the directory has it, else English.
    #[schema(example = "АО «Kaspi Bank»")]
    pub name: String,
    /// The Russian name, where the directory has one.
    pub name_ru: Option<String>,
    /// The Kazakh name, where the directory has one (banks).
    pub name_kk: Option<String>,
    /// The English name or a description of use, where the directory has one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name_en: Option<String>,
    /// Banks (Kazakhstan and abroad): the BIC.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub bic: Option<String>,
    /// Kazakhstan banks: the three-digit code in their IBANs (positions 5–7).
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(example = "722")]
    pub bank_code: Option<String>,
    /// Kazakhstan banks: in the current NBK directory (payments go only to active ones).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub active: Option<bool>,
    /// Banks abroad: the city, `""` where the source does not say.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub city: Option<String>,
    /// Banks abroad: the ISO 3166 country of the BIC.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(example = "DE")]
    pub country: Option<String>,
    /// KBK: the tax group (`vat`, `individual_income_tax`, …).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub group: Option<String>,
}

impl DirectoryItemDto {
    fn blank(code: &str, name: &str) -> DirectoryItemDto {
        DirectoryItemDto {
            code: code.to_owned(),
            name: name.to_owned(),
            name_ru: None,
            name_kk: None,
            name_en: None,
            bic: None,
            bank_code: None,
            active: None,
            city: None,
            country: None,
            group: None,
        }
    }
}

impl From<DirectoryItem<'_>> for DirectoryItemDto {
    fn from(item: DirectoryItem<'_>) -> DirectoryItemDto {
        let owned = |text: Option<&str>| text.map(str::to_owned);
        match item {
            DirectoryItem::Knp(entry) => DirectoryItemDto {
                name_ru: owned(entry.name_ru()),
                name_en: owned(entry.name_en()),
                ..DirectoryItemDto::blank(entry.knp().as_str(), entry.name())
            },
            DirectoryItem::Kbk(entry) => DirectoryItemDto {
                name_en: Some(entry.name().to_owned()),
                group: Some(entry.group().to_owned()),
                ..DirectoryItemDto::blank(entry.kbk().as_str(), entry.name())
            },
            DirectoryItem::Kbe(entry) => DirectoryItemDto {
                name_ru: Some(entry.sector_name_ru().to_owned()),
                name_en: Some(entry.sector_name_en().to_owned()).filter(|name| !name.is_empty()),
                ..DirectoryItemDto::blank(entry.kbe().as_str(), entry.sector_name_ru())
            },
            DirectoryItem::Bank(entry) => DirectoryItemDto {
                name_ru: Some(entry.name_ru().to_owned()),
                name_kk: owned(entry.name_kk()),
                bic: Some(entry.bic().to_string()),
                bank_code: owned(entry.iban_bank_code()),
                active: Some(entry.active()),
                ..DirectoryItemDto::blank(entry.bic().as_str(), entry.name_ru())
            },
            DirectoryItem::ForeignBank(bank) => DirectoryItemDto {
                bic: Some(bank.bic().to_string()),
                city: Some(bank.city().to_owned()),
                country: Some(bank.country().to_string()),
                ..DirectoryItemDto::blank(bank.bic().as_str(), bank.name())
            },
        }
    }
}

/// A search's answer: at most `limit` entries, in the directory's order (codes ascending; active
/// banks first). A search has no further pages: narrow it with more words.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct DirectoryListDto {
    /// The directory: `knp`, `kbk`, `kbe`, `banks` or `foreign-banks`.
    pub kind: String,
    pub items: Vec<DirectoryItemDto>,
}

#[derive(Debug, Clone, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct DirectoryQuery {
    /// Words to find, each a prefix of the code (or BIC, or a bank's IBAN code) or a part of a
    /// name (Russian, Kazakh, English), ignoring case; all must match. Blank: the directory from
    /// its start.
    pub q: Option<String>,
    /// At most this many entries, 1 to 100; 20 when absent.
    pub limit: Option<String>,
}

/// The kind in the path, or 404 naming the kinds there are.
pub fn parse_kind(text: &str) -> Result<DirectoryKind, ApiError> {
    DirectoryKind::parse(text).ok_or(ApiError::NotFound { what: UNKNOWN_KIND })
}

/// The `limit` parameter: 1 to [`DIRECTORY_LIMIT_MAX`], [`DIRECTORY_LIMIT_DEFAULT`] when absent.
pub fn parse_limit(text: Option<&str>) -> Result<usize, ApiError> {
    let Some(text) = text.map(str::trim).filter(|text| !text.is_empty()) else {
        return Ok(DIRECTORY_LIMIT_DEFAULT);
    };
    match text.parse::<usize>() {
        Ok(limit) if (1..=DIRECTORY_LIMIT_MAX).contains(&limit) => Ok(limit),
        _ => Err(ApiError::Invalid(vec![FieldError::new("limit", "invalid_limit", "limit is 1 to 100")])),
    }
}

/// Searches a reference directory (R-3.1.2.2): `knp`, `kbk`, `kbe`, `banks` (Kazakhstan banks and
/// payment participants, by BIC, IBAN bank code or words of the Russian and Kazakh names) or
/// `foreign-banks` (banks abroad by SWIFT BIC, country or words of the name and city).
#[utoipa::path(get, path = "/directories/{kind}", tag = "directories",
    params(("kind" = String, Path, description = "`knp`, `kbk`, `kbe`, `banks` or `foreign-banks`"), DirectoryQuery),
    responses(
        (status = 200, body = DirectoryListDto),
        (status = 404, description = "No such directory", body = ProblemDto, content_type = "application/problem+json"),
        (status = 422, description = "`limit` out of range", body = ProblemDto, content_type = "application/problem+json"),
    ))]
pub async fn search(
    State(state): State<ApiState>,
    Path(kind): Path<String>,
    ApiQuery(query): ApiQuery<DirectoryQuery>,
) -> Result<Json<DirectoryListDto>, ApiError> {
    let kind = parse_kind(&kind)?;
    let limit = parse_limit(query.limit.as_deref())?;
    let directories = state.banking.directories()?;
    let found = directories.reference().find(kind, query.q.as_deref().unwrap_or_default(), limit);
    debug_assert!(found.len() <= limit);
    Ok(Json(DirectoryListDto {
        kind: kind.as_str().to_owned(),
        items: found.into_iter().map(DirectoryItemDto::from).collect(),
    }))
}
