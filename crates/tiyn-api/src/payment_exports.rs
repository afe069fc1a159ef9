//! The payment documents list as a file (R-3.1.2.6, R-3.1.2.7): `GET /payments?format=csv|xlsx|pdf`
//! exports every document the filters select (status, value dates), not a page: one row per
//! document with its number, dates, kind, status, payer account, payee, codes, purpose, amount,
//! commission and refusal. The PDF (landscape A4) joins the payee's requisites in one cell and
//! the refusal to the status, sums the amounts and commissions per currency, and carries the
//! bank's stamp with its notice. The web cabinet's export buttons use the same function.

use axum::body::Body;
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};
use tiyn_banking::PaymentsExport;
use tiyn_payments::{DocumentKind, Status};
pub use tiyn_statement::CsvDelimiter;
use tiyn_statement::{Cell, CsvOptions, TableColumn, write_table_csv, write_table_xlsx};
use tiyn_store::Account;
use tiyn_store::payments::{PaymentQuery, PaymentRecord};

use crate::Lang;
use crate::error::ApiError;

/// The file formats of the list.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ListFormat {
    Csv,
    Xlsx,
    Pdf,
}

impl ListFormat {
    pub fn parse(text: &str) -> Option<ListFormat> {
        match text.trim().to_ascii_lowercase().as_str() {
            "csv" => Some(ListFormat::Csv),
            "xlsx" => Some(ListFormat::Xlsx),
            "pdf" => Some(ListFormat::Pdf),
            _ => None,
        }
    }

    pub const fn name(self) -> &'static str {
        match self {
            ListFormat::Csv => "csv",
            ListFormat::Xlsx => "xlsx",
            ListFormat::Pdf => "pdf",
        }
    }

    const fn content_type(self) -> &'static str {
        match self {
            ListFormat::Csv => "text/csv; charset=utf-8",
            ListFormat::Xlsx => "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            ListFormat::Pdf => "application/pdf",
        }
    }
}

/// The column headers in `lang`, in row order.
fn columns(lang: Lang) -> [TableColumn; 17] {
    let labels: [&'static str; 17] = match lang {
        Lang::Ru => [
            "Номер",
            "Дата документа",
            "Дата валютирования",
            "Вид",
            "Статус",
            "Счёт плательщика",
            "Получатель",
            "БИН/ИИН получателя",
            "Счёт получателя",
            "БИК/SWIFT",
            "КНП",
            "Назначение платежа",
            "Сумма",
            "Валюта",
            "Комиссия",
            "Валюта комиссии",
            "Причина отказа",
        ],
        Lang::Kk => [
            "Нөмірі",
            "Құжат күні",
            "Валюталау күні",
            "Түрі",
            "Мәртебесі",
            "Төлеушінің шоты",
            "Алушы",
            "Алушының БСН/ЖСН",
            "Алушының шоты",
            "БСК/SWIFT",
            "ТМК",
            "Төлемнің мақсаты",
            "Сомасы",
            "Валюта",
            "Комиссия",
            "Комиссия валютасы",
            "Бас тарту себебі",
        ],
        Lang::En => [
            "Number",
            "Document date",
            "Value date",
            "Kind",
            "Status",
            "Payer account",
            "Payee",
            "Payee BIN/IIN",
            "Payee account",
            "BIC/SWIFT",
            "KNP",
            "Purpose",
            "Amount",
            "Currency",
            "Commission",
            "Commission currency",
            "Refusal",
        ],
    };
    const WIDTHS: [u16; 17] = [10, 12, 12, 22, 16, 24, 36, 14, 24, 12, 6, 50, 14, 8, 12, 8, 40];
    std::array::from_fn(|index| TableColumn { label: labels[index], width: WIDTHS[index] })
}

fn kind_label(kind: Option<DocumentKind>, lang: Lang) -> &'static str {
    let Some(kind) = kind else {
        return "";
    };
    match (kind, lang) {
        (DocumentKind::Internal, Lang::Ru) => "Между своими счетами",
        (DocumentKind::Internal, Lang::Kk) => "Өз шоттары арасында",
        (DocumentKind::Internal, Lang::En) => "Between own accounts",
        (DocumentKind::Interbank, Lang::Ru) => "В другой банк",
        (DocumentKind::Interbank, Lang::Kk) => "Басқа банкке",
        (DocumentKind::Interbank, Lang::En) => "To another bank",
        (DocumentKind::Budget, Lang::Ru) => "В бюджет",
        (DocumentKind::Budget, Lang::Kk) => "Бюджетке",
        (DocumentKind::Budget, Lang::En) => "To the budget",
        (DocumentKind::Conversion, Lang::Ru) => "Конвертация",
        (DocumentKind::Conversion, Lang::Kk) => "Айырбастау",
        (DocumentKind::Conversion, Lang::En) => "Conversion",
        (DocumentKind::Foreign, Lang::Ru) => "Перевод в иностранной валюте",
        (DocumentKind::Foreign, Lang::Kk) => "Шетел валютасындағы аударым",
        (DocumentKind::Foreign, Lang::En) => "Foreign currency transfer",
    }
}

fn status_label(status: Status, lang: Lang) -> &'static str {
    match (status, lang) {
        (Status::Draft, Lang::Ru) => "Черновик",
        (Status::Draft, Lang::Kk) => "Жоба",
        (Status::Draft, Lang::En) => "Draft",
        (Status::AwaitingConfirmation, Lang::Ru) => "Ожидает подтверждения",
        (Status::AwaitingConfirmation, Lang::Kk) => "Растауды күтуде",
        (Status::AwaitingConfirmation, Lang::En) => "Awaiting confirmation",
        (Status::Confirmed, Lang::Ru) => "Подтверждён",
        (Status::Confirmed, Lang::Kk) => "Расталды",
        (Status::Confirmed, Lang::En) => "Confirmed",
        (Status::Executed, Lang::Ru) => "Исполнен",
        (Status::Executed, Lang::Kk) => "Орындалды",
        (Status::Executed, Lang::En) => "Executed",
        (Status::Sent, Lang::Ru) => "Отправлен",
        (Status::Sent, Lang::Kk) => "Жіберілді",
        (Status::Sent, Lang::En) => "Sent",
        (Status::Settled, Lang::Ru) => "Проведён",
        (Status::Settled, Lang::Kk) => "Өткізілді",
        (Status::Settled, Lang::En) => "Settled",
        (Status::Refused, Lang::Ru) => "Отказан",
        (Status::Refused, Lang::Kk) => "Бас тартылды",
        (Status::Refused, Lang::En) => "Refused",
    }
}

fn text(value: Option<&str>) -> Cell {
    value.filter(|text| !text.is_empty()).map_or(Cell::Empty, |text| Cell::Text(text.to_owned()))
}

/// One document's row: its payer account by IBAN, the payee as the kind names it (the partner's
/// own account for transfers between own accounts).
fn row(record: &PaymentRecord, accounts: &[Account], lang: Lang) -> Vec<Cell> {
    let fields = &record.fields;
    let account_iban = |id: Option<&str>| -> Cell {
        let id = id.and_then(|id| id.parse::<i64>().ok());
        let account = accounts.iter().find(|account| Some(account.id.get()) == id);
        match account.and_then(|account| account.iban.as_ref()) {
            Some(iban) => Cell::Text(iban.to_string()),
            None => text(id.map(|id| id.to_string()).as_deref()),
        }
    };
    let payee_account = match fields.payee_account.as_deref() {
        Some(id) => account_iban(Some(id)),
        None => text(fields.payee_iban.as_deref()),
    };
    let bic = fields.payee_bic.as_deref().or(fields.payee_swift_bic.as_deref());
    let commission = record.commission.filter(|commission| commission.is_positive());
    vec![
        Cell::Text(record.number.to_string()),
        Cell::Date(tiyn_identity::business_date(record.created_at)),
        Cell::Date(record.value_date),
        Cell::Text(kind_label(record.kind(), lang).to_owned()),
        Cell::Text(status_label(record.status, lang).to_owned()),
        account_iban(fields.payer_account.as_deref()),
        text(fields.payee_name.as_deref()),
        text(fields.payee_bin.as_deref()),
        payee_account,
        text(bic),
        text(fields.knp.as_deref()),
        text(fields.purpose.as_deref()),
        Cell::Money(record.amount.money()),
        Cell::Text(record.amount.currency().code().to_owned()),
        commission.map_or(Cell::Empty, Cell::Money),
        commission.map_or(Cell::Empty, |commission| Cell::Text(commission.currency().code().to_owned())),
        text(record.refusal.as_ref().map(|refusal| refusal.reason.as_str())),
    ]
}

/// The list as a file: CSV (`delimiter` `,` or `;`), XLSX or PDF, in `lang`. A list too long
/// for a PDF is 422 `list_too_long_for_pdf` (CSV and XLSX have no such bound).
pub async fn list_file(
    export: PaymentsExport,
    format: ListFormat,
    lang: Lang,
    delimiter: CsvDelimiter,
) -> Result<Response, ApiError> {
    let bytes = tokio::task::spawn_blocking(move || -> Result<Vec<u8>, ApiError> {
        let (records, accounts) = (&export.records, &export.accounts);
        let rows = records.iter().map(|record| row(record, accounts, lang));
        let mut out = Vec::new();
        match format {
            ListFormat::Csv => {
                let options = CsvOptions { delimiter, lang: crate::statements::statement_lang(lang) };
                write_table_csv(&columns(lang), rows, &options, &mut out).map_err(ApiError::internal)?;
            }
            ListFormat::Xlsx => {
                write_table_xlsx(sheet_name(lang), title(lang), &columns(lang), rows, &mut out)
                    .map_err(ApiError::internal)?;
            }
            ListFormat::Pdf => out = pdf(&export, lang)?,
        }
        Ok(out)
    })
    .await
    .map_err(ApiError::internal)??;
    let disposition = HeaderValue::from_str(&format!("attachment; filename=\"payments.{}\"", format.name()))
        .map_err(ApiError::internal)?;
    Ok((
        [
            (header::CONTENT_TYPE, HeaderValue::from_static(format.content_type())),
            (header::CONTENT_DISPOSITION, disposition),
            (header::CACHE_CONTROL, HeaderValue::from_static("private, no-store")),
        ],
        Body::from(bytes),
    )
        .into_response())
}

const fn title(lang: Lang) -> &'static str {
    match lang {
        Lang::Ru => "Платёжные документы",
        Lang::Kk => "Төлем құжаттары",
        Lang::En => "Payment documents",
    }
}

const fn sheet_name(lang: Lang) -> &'static str {
    match lang {
        Lang::Ru => "Платежи",
        Lang::Kk => "Төлемдер",
        Lang::En => "Payments",
    }
}

/// The PDF's columns: the CSV's, with the payee's requisites in one cell, the refusal under the
/// status and each amount with its currency (a landscape page holds eleven columns, not 17).
fn pdf_columns(lang: Lang) -> Vec<tiyn_pdf::ListColumn> {
    let all = columns(lang);
    let column = |index: usize, share: u16, summed: bool| tiyn_pdf::ListColumn {
        label: all[index].label.to_owned(),
        share,
        summed,
    };
    vec![
        column(0, 6, false),
        column(1, 11, false),
        column(2, 14, false),
        column(3, 12, false),
        column(4, 11, false),
        column(5, 21, false),
        column(6, 25, false),
        column(10, 4, false),
        column(11, 25, false),
        column(12, 13, true),
        column(14, 11, true),
    ]
}

/// One document's PDF row, from its CSV row (one place decides what a document's cells are).
fn pdf_row(record: &PaymentRecord, accounts: &[Account], lang: Lang) -> Vec<Cell> {
    let mut cells = row(record, accounts, lang).into_iter();
    let mut next = || cells.next().unwrap_or(Cell::Empty);
    let [number, created, value_date, kind, status, payer, payee, bin, payee_account, bic, knp, purpose] =
        std::array::from_fn(|_| next());
    let [amount, _currency, commission, _commission_currency, refusal] = std::array::from_fn(|_| next());
    let joined = |parts: &[&Cell], separator: &str| -> Cell {
        let texts: Vec<&str> = parts
            .iter()
            .filter_map(|cell| match cell {
                Cell::Text(text) if !text.is_empty() => Some(text.as_str()),
                _ => None,
            })
            .collect();
        if texts.is_empty() { Cell::Empty } else { Cell::Text(texts.join(separator)) }
    };
    let requisites = joined(&[&bin, &payee_account, &bic], " · ");
    vec![
        number,
        created,
        value_date,
        kind,
        joined(&[&status, &refusal], "\n"),
        payer,
        joined(&[&payee, &requisites], "\n"),
        knp,
        purpose,
        amount,
        commission,
    ]
}

fn filter_text(filter: &PaymentQuery, lang: Lang) -> String {
    let status = match filter.status {
        Some(status) => status_label(status, lang),
        None => match lang {
            Lang::Ru => "все статусы",
            Lang::Kk => "барлық мәртебелер",
            Lang::En => "all statuses",
        },
    };
    let date = |date: jiff::civil::Date| match lang {
        Lang::Ru | Lang::Kk => date.strftime("%d.%m.%Y").to_string(),
        Lang::En => date.to_string(),
    };
    let dates = match (filter.from, filter.to) {
        (None, None) => None,
        (from, to) => Some(format!(
            "{}: {} – {}",
            columns(lang)[2].label,
            from.map(date).unwrap_or_default(),
            to.map(date).unwrap_or_default()
        )),
    };
    match dates {
        Some(dates) => format!("{status}; {dates}"),
        None => status.to_owned(),
    }
}

fn pdf(export: &PaymentsExport, lang: Lang) -> Result<Vec<u8>, ApiError> {
    let (holder, filter) = match lang {
        Lang::Ru => ("Клиент", "Отбор"),
        Lang::Kk => ("Клиент", "Іріктеу"),
        Lang::En => ("Customer", "Filter"),
    };
    let document = tiyn_pdf::ListDocument {
        bank_name: export.bank.name.clone(),
        bank_bic: export.bank.bic.as_str().to_owned(),
        title: title(lang).to_owned(),
        fields: vec![
            (holder.to_owned(), export.holder_name.clone()),
            (filter.to_owned(), filter_text(&export.filter, lang)),
        ],
        columns: pdf_columns(lang),
        created_at: export.created_at,
    };
    let presentation = tiyn_pdf::Presentation::kazakhstan(crate::statements::pdf_lang(lang));
    let rows = || export.records.iter().map(|record| pdf_row(record, &export.accounts, lang));
    tiyn_pdf::list(&document, rows, &presentation).map_err(|error| match error {
        tiyn_pdf::RenderError::ListTooLong { .. } => ApiError::invalid("format", error.code(), error.to_string()),
        other => ApiError::internal(other),
    })
}
