//! The receipt of an executed payment as a document: `GET /payments/{id}/receipt`.
//! `tiyn_banking::Banking::receipt` decides whose document it is and whether it has a receipt;
//! `tiyn_pdf` lays it out; this module maps one onto the other and answers the bytes.

use axum::extract::State;
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use tiyn_banking::{BankingError, RECEIPT_NOT_AVAILABLE, Receipt, ReceiptPayee};
use tiyn_payments::{ConfirmationChannel, DocumentId, DocumentKind, Status, digest_hex};
use tiyn_pdf::{
    ConfirmationMethod, Party, PaymentKind, PaymentReceipt, Presentation, ReceiptConfirmation, ReceiptStatus,
};
use utoipa::IntoParams;

use crate::ApiState;
use crate::authz::Authenticated;
use crate::error::{ApiError, ProblemDto};
use crate::extract::{ApiPath, ApiQuery};

pub const PDF_CONTENT_TYPE: &str = "application/pdf";

#[derive(Debug, Clone, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ReceiptQuery {
    /// `pdf` (the default and, for now, the only format).
    pub format: Option<String>,
    /// The language of the labels: `ru` (the default: the language of the documents of record),
    /// `kk` or `en`. The data is shown as it was entered.
    pub lang: Option<String>,
}

impl ReceiptQuery {
    /// Both parameters, every problem at once.
    fn parse(&self) -> Result<tiyn_pdf::Lang, ApiError> {
        let mut errors = Vec::new();
        let format = self.format.as_deref().map(str::trim).filter(|format| !format.is_empty()).unwrap_or("pdf");
        if !format.eq_ignore_ascii_case("pdf") {
            errors.push(crate::FieldError::new("format", "unsupported_format", "the receipt is available as pdf"));
        }
        let lang = match self.lang.as_deref().map(str::trim).filter(|lang| !lang.is_empty()) {
            None => Some(tiyn_pdf::Lang::Ru),
            Some(tag) => match crate::Lang::parse(tag) {
                Some(crate::Lang::Ru) => Some(tiyn_pdf::Lang::Ru),
                Some(crate::Lang::Kk) => Some(tiyn_pdf::Lang::Kk),
                Some(crate::Lang::En) => Some(tiyn_pdf::Lang::En),
                None => {
                    errors.push(crate::FieldError::new("lang", "unsupported_language", "ru, kk or en"));
                    None
                }
            },
        };
        match lang {
            Some(lang) if errors.is_empty() => Ok(lang),
            _ => Err(ApiError::Invalid(errors)),
        }
    }
}

/// The confirmation document of an executed payment: the payment order's requisites,
/// its status and when it was reached, and who confirmed it, when, with which code challenge and
/// content digest. A PDF/A-2u file, A4. Only for `executed` and `settled` documents;
/// another partner's document answers 404 like an unknown one.
#[utoipa::path(get, path = "/payments/{id}/receipt", tag = "payments", params(ReceiptQuery),
    responses(
        (status = 200, description = "The receipt", content_type = "application/pdf", body = Vec<u8>),
        (status = 404, body = ProblemDto),
        (status = 409, description = "Not executed or settled (`receipt_not_available`)", body = ProblemDto),
        (status = 422, description = "`unsupported_format`, `unsupported_language`", body = ProblemDto)))]
pub async fn payment_receipt(
    State(state): State<ApiState>,
    Authenticated(principal): Authenticated,
    ApiPath(id): ApiPath<String>,
    ApiQuery(query): ApiQuery<ReceiptQuery>,
) -> Result<Response, ApiError> {
    let id = id.parse::<i64>().map(DocumentId::new).map_err(|_| ApiError::NotFound { what: "payment" })?;
    // The document first: another partner's id answers 404 whatever the parameters say.
    let receipt = state.banking.receipt(&principal, id).await.map_err(receipt_error)?;
    let lang = query.parse()?;
    let document = document(&receipt, lang);
    let filename = format!("payment-{}.pdf", receipt.payment.number);
    // Laying out and compressing a page takes milliseconds of CPU: off the async workers, so a
    // burst of receipts (or, later, long statements) does not stall other requests.
    let pdf =
        tokio::task::spawn_blocking(move || tiyn_pdf::payment_receipt(&document, &Presentation::kazakhstan(lang)))
            .await
            .map_err(ApiError::internal)?
            .map_err(ApiError::internal)?;
    let disposition =
        HeaderValue::from_str(&format!("attachment; filename=\"{filename}\"")).map_err(ApiError::internal)?;
    let headers = [
        (header::CONTENT_TYPE, HeaderValue::from_static(PDF_CONTENT_TYPE)),
        (header::CONTENT_DISPOSITION, disposition),
        // A payment's details stay out of shared caches and the browser's disk cache.
        (header::CACHE_CONTROL, HeaderValue::from_static("private, no-store")),
    ];
    Ok((headers, pdf).into_response())
}

fn receipt_error(error: BankingError) -> ApiError {
    match error {
        BankingError::Conflict(RECEIPT_NOT_AVAILABLE) => ApiError::Conflict {
            code: RECEIPT_NOT_AVAILABLE,
            detail: "only an executed or settled payment has a receipt".to_owned(),
        },
        other => other.into(),
    }
}

/// The receipt as tiyn-pdf lays it out. Names of banks and of the KNP in the receipt's language
/// where the directory has them, Russian otherwise.
fn document(receipt: &Receipt, lang: tiyn_pdf::Lang) -> PaymentReceipt {
    let payment = &receipt.payment;
    let requisites = &receipt.requisites;
    let our_bank = bank_name(receipt.bank.name_ru(), receipt.bank.name_kk(), lang);
    let own = |name: &str, taxpayer_id: String, account: &tiyn_store::Account| Party {
        name: name.to_owned(),
        taxpayer_id,
        iban: account.iban.as_ref().map(ToString::to_string).unwrap_or_default(),
        bank_name: Some(our_bank.clone()),
        bic: receipt.bank.bic().to_string(),
    };
    let payer = own(&receipt.partner.name, receipt.partner.bin.to_string(), &receipt.payer_account);
    let payee = match &receipt.payee {
        ReceiptPayee::Own(account) => own(&receipt.partner.name, receipt.partner.bin.to_string(), account),
        ReceiptPayee::Bank { payee, bank } => Party {
            name: payee.name().to_string(),
            taxpayer_id: payee.taxpayer_id().to_string(),
            iban: payee.iban().to_string(),
            bank_name: bank.as_ref().map(|entry| bank_name(entry.name_ru(), entry.name_kk(), lang)),
            bic: payee.bic().to_string(),
        },
        ReceiptPayee::Foreign { payee, bank } => Party {
            name: payee.name().to_string(),
            // A payee abroad has no IIN/BIN: its address and country identify it.
            taxpayer_id: format!("{}, {}", payee.address(), payee.country()),
            iban: payee.account().to_string(),
            bank_name: bank.as_ref().map(|bank| format!("{}, {}", bank.name(), bank.city())),
            bic: payee.bic().to_string(),
        },
    };
    let knp_name = match lang {
        tiyn_pdf::Lang::En => receipt.knp_name_en.clone().or_else(|| receipt.knp_name_ru.clone()),
        tiyn_pdf::Lang::Ru | tiyn_pdf::Lang::Kk => receipt.knp_name_ru.clone().or_else(|| receipt.knp_name_en.clone()),
    };
    PaymentReceipt {
        bank_name: our_bank.clone(),
        bank_bic: receipt.bank.bic().to_string(),
        number: payment.number.to_string(),
        date: receipt.document_date,
        kind: match requisites.kind() {
            DocumentKind::Internal => PaymentKind::Internal,
            DocumentKind::Interbank => PaymentKind::Interbank,
            DocumentKind::Budget => PaymentKind::Budget,
            DocumentKind::Conversion => PaymentKind::Conversion,
            DocumentKind::Foreign => PaymentKind::Foreign,
        },
        status: if payment.status == Status::Settled { ReceiptStatus::Settled } else { ReceiptStatus::Executed },
        completed_at: receipt.completed_at,
        sent_at: payment.sent_at,
        payer,
        payee,
        amount: payment.amount.money(),
        commission: payment.commission,
        knp: requisites.knp().to_string(),
        knp_name,
        kbe: requisites.kbe().map(|kbe| kbe.to_string()),
        kbk: requisites.kbk().map(|kbk| kbk.to_string()),
        purpose: requisites.purpose().to_string(),
        value_date: requisites.value_date(),
        confirmation: payment.evidence.as_ref().map(|evidence| ReceiptConfirmation {
            confirmed_by: match &receipt.confirmed_by_name {
                Some(name) => format!("{name} (ID {})", evidence.confirmed_by),
                None => format!("ID {}", evidence.confirmed_by),
            },
            confirmed_at: evidence.confirmed_at,
            method: match evidence.channel {
                ConfirmationChannel::Sms => ConfirmationMethod::Sms,
                ConfirmationChannel::Marker => ConfirmationMethod::Marker,
            },
            challenge: evidence.challenge.clone(),
            content_digest: digest_hex(&evidence.content_digest),
            batch_digest: Some(digest_hex(&evidence.batch_digest)),
        }),
        ledger_entry: payment.entry.map(|entry| entry.to_string()),
        message_id: payment.message_id.clone(),
    }
}

/// A directory bank's name in a receipt's language: Kazakh where the directory has it, Russian
/// otherwise (the directory has no English names).
fn bank_name(name_ru: &str, name_kk: Option<&str>, lang: tiyn_pdf::Lang) -> String {
    match (lang, name_kk) {
        (tiyn_pdf::Lang::Kk, Some(name_kk)) => name_kk.to_owned(),
        _ => name_ru.to_owned(),
    }
}
