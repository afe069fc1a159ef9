//! The one place where an error becomes an HTTP response: RFC 9457 `application/problem+json`
//! with a stable machine-readable `code`.
//!
//! Who reads what: `code` and `errors[].field` are for programs and never change meaning;
//! `title` and `errors[].message` are for people and follow `Accept-Language` (ru, kk, en);
//! `detail` is the specific explanation for the developer integrating with us, in English.
//! Internal failures say only "internal error"; their cause goes to the log, inside the request's
//! span (which carries the request id the client sees in `x-request-id`).

use axum::body::Body;
use axum::extract::Request;
use axum::extract::rejection::{JsonRejection, PathRejection, QueryRejection};
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use tiyn_identity::IdentityError;
use tiyn_ledger::LedgerError;
use tiyn_store::StoreError;
use utoipa::ToSchema;

use crate::lang::Lang;

pub const PROBLEM_CONTENT_TYPE: &str = "application/problem+json";

/// One refused input field: `field` names the request field as the client sent it
/// (`amount.amount`, `payee_iban`), `code` is stable.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldError {
    pub field: String,
    pub code: &'static str,
    /// The specific reason, in English, for the developer (`"KZT has 2 decimal digits; …"`).
    pub detail: String,
}

impl FieldError {
    pub fn new(field: impl Into<String>, code: &'static str, detail: impl Into<String>) -> FieldError {
        FieldError { field: field.into(), code, detail: detail.into() }
    }
}

/// Every way a request can fail, as the client sees it. Each variant is a decision with one
/// status and one code; handlers return it with `?` and never build responses for errors.
#[derive(Debug, Clone)]
pub enum ApiError {
    /// No session or API key.
    Unauthenticated,
    /// Unknown id, or an id of another partner: the two are indistinguishable by design (R-6.4.2).
    NotFound {
        what: &'static str,
    },
    /// No route matches the path.
    RouteNotFound,
    MethodNotAllowed,
    /// One or more fields were refused (422). With one field, its code is the problem's code.
    Invalid(Vec<FieldError>),
    /// The body is not JSON at all.
    MalformedJson {
        detail: String,
    },
    UnsupportedMediaType,
    PayloadTooLarge,
    /// The ledger refused the operation.
    Ledger(LedgerError),
    /// The operation conflicts with the current state (409).
    Conflict {
        code: &'static str,
        detail: String,
    },
    /// A state-changing request authenticated by cookie came without a valid CSRF token, or from
    /// another origin (403).
    CsrfFailed,
    /// The route is the bank's: a partner's user or key may not call it (403).
    OperatorOnly,
    /// An operator whose role does not include this bank permission (403).
    OperatorRoleInsufficient(tiyn_core::BankPermission),
    /// The security procedure refused (login steps, sessions, access levels, users).
    Identity(IdentityError),
    /// Anything the client cannot act on. The string goes to the log, never to the client.
    Internal(String),
}

impl ApiError {
    pub fn invalid(field: impl Into<String>, code: &'static str, detail: impl Into<String>) -> ApiError {
        ApiError::Invalid(vec![FieldError::new(field, code, detail)])
    }

    pub fn internal(error: impl std::fmt::Display) -> ApiError {
        ApiError::Internal(error.to_string())
    }

    pub fn status(&self) -> StatusCode {
        match self {
            ApiError::Unauthenticated => StatusCode::UNAUTHORIZED,
            ApiError::NotFound { .. } | ApiError::RouteNotFound => StatusCode::NOT_FOUND,
            ApiError::MethodNotAllowed => StatusCode::METHOD_NOT_ALLOWED,
            ApiError::Invalid(_) => StatusCode::UNPROCESSABLE_ENTITY,
            ApiError::MalformedJson { .. } => StatusCode::BAD_REQUEST,
            ApiError::UnsupportedMediaType => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            ApiError::PayloadTooLarge => StatusCode::PAYLOAD_TOO_LARGE,
            ApiError::Ledger(error) => ledger_status(error),
            ApiError::Conflict { .. } => StatusCode::CONFLICT,
            ApiError::CsrfFailed => StatusCode::FORBIDDEN,
            ApiError::OperatorOnly | ApiError::OperatorRoleInsufficient(_) => StatusCode::FORBIDDEN,
            ApiError::Identity(error) => identity_status(error),
            ApiError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    /// The stable machine-readable code.
    pub fn code(&self) -> &'static str {
        match self {
            ApiError::Unauthenticated => "unauthenticated",
            ApiError::NotFound { .. } => "not_found",
            ApiError::RouteNotFound => "route_not_found",
            ApiError::MethodNotAllowed => "method_not_allowed",
            ApiError::Invalid(fields) => match fields.as_slice() {
                [only] => only.code,
                _ => "validation_failed",
            },
            ApiError::MalformedJson { .. } => "malformed_json",
            ApiError::UnsupportedMediaType => "unsupported_media_type",
            ApiError::PayloadTooLarge => "payload_too_large",
            ApiError::Ledger(error) => error.code(),
            ApiError::Conflict { code, .. } => code,
            ApiError::CsrfFailed => "csrf_failed",
            ApiError::OperatorOnly => "operator_only",
            ApiError::OperatorRoleInsufficient(_) => "operator_role_insufficient",
            ApiError::Identity(error) => error.code(),
            ApiError::Internal(_) => "internal",
        }
    }

    fn detail(&self) -> String {
        match self {
            ApiError::Unauthenticated => "sign in to use this resource".to_owned(),
            ApiError::NotFound { what } => format!("no such {what}"),
            ApiError::RouteNotFound => "no such route".to_owned(),
            ApiError::MethodNotAllowed => "this method is not allowed on this route".to_owned(),
            ApiError::Invalid(fields) => match fields.as_slice() {
                [only] => format!("{}: {}", only.field, only.detail),
                _ => format!("{} fields are invalid", fields.len()),
            },
            ApiError::MalformedJson { detail } => detail.clone(),
            ApiError::UnsupportedMediaType => "send the body as application/json".to_owned(),
            ApiError::PayloadTooLarge => "the request body is too large".to_owned(),
            ApiError::Ledger(error) => error.to_string(),
            ApiError::Conflict { detail, .. } => detail.clone(),
            ApiError::CsrfFailed => {
                "send the session's CSRF token (X-CSRF-Token header or _csrf form field) from the same origin"
                    .to_owned()
            }
            ApiError::OperatorOnly => "only the bank's operators may use this route".to_owned(),
            ApiError::OperatorRoleInsufficient(permission) => {
                format!("the operator's role does not include {}", permission.as_str())
            }
            ApiError::Identity(IdentityError::Store(_)) => "internal error".to_owned(),
            ApiError::Identity(error) => error.to_string(),
            ApiError::Internal(_) => "internal error".to_owned(),
        }
    }

    /// The problem document in `lang`.
    pub fn problem(&self, lang: Lang) -> ProblemDto {
        let code = self.code();
        let identity_field;
        let fields = match self {
            ApiError::Invalid(fields) => fields.as_slice(),
            ApiError::Identity(IdentityError::Invalid { field, code, detail }) => {
                identity_field = [FieldError::new(*field, code, detail.clone())];
                identity_field.as_slice()
            }
            _ => &[],
        };
        ProblemDto {
            problem_type: format!("urn:tiyn:problem:{code}"),
            title: title(code, self.status(), lang).to_owned(),
            status: self.status().as_u16(),
            detail: self.detail(),
            code: code.to_owned(),
            errors: fields
                .iter()
                .map(|field| FieldErrorDto {
                    field: field.field.clone(),
                    code: field.code.to_owned(),
                    message: title(field.code, StatusCode::UNPROCESSABLE_ENTITY, lang).to_owned(),
                })
                .collect(),
        }
    }

    /// The response in `lang`. `IntoResponse` renders the default language; the
    /// [`localize_problems`] middleware re-renders for the request's `Accept-Language`.
    pub fn to_response(&self, lang: Lang) -> Response {
        let body = match serde_json::to_vec(&self.problem(lang)) {
            Ok(body) => body,
            // A struct of strings always serializes; keep a valid answer if it ever does not.
            Err(_) => br#"{"title":"internal error","status":500,"code":"internal"}"#.to_vec(),
        };
        let mut response = Response::new(Body::from(body));
        *response.status_mut() = self.status();
        let headers = response.headers_mut();
        headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(PROBLEM_CONTENT_TYPE));
        headers.insert(header::CONTENT_LANGUAGE, HeaderValue::from_static(lang.code()));
        if self.status() == StatusCode::UNAUTHORIZED {
            headers.insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
        }
        response
    }
}

/// The security procedure's refusals: credentials and sessions 401, levels 403, too many attempts
/// 429, inputs 422, state 409.
fn identity_status(error: &IdentityError) -> StatusCode {
    match error {
        IdentityError::InvalidCredentials
        | IdentityError::Code(_)
        | IdentityError::UnknownChallenge
        | IdentityError::MarkerCode(_)
        | IdentityError::Unauthenticated
        | IdentityError::SessionExpired => StatusCode::UNAUTHORIZED,
        IdentityError::TooManyAttempts => StatusCode::TOO_MANY_REQUESTS,
        IdentityError::Undeliverable => StatusCode::SERVICE_UNAVAILABLE,
        IdentityError::Forbidden(_) => StatusCode::FORBIDDEN,
        IdentityError::Password(_) | IdentityError::NoMobileNumber | IdentityError::Invalid { .. } => {
            StatusCode::UNPROCESSABLE_ENTITY
        }
        IdentityError::NotFound(_) => StatusCode::NOT_FOUND,
        IdentityError::Conflict(_) => StatusCode::CONFLICT,
        IdentityError::Store(_) => StatusCode::INTERNAL_SERVER_ERROR,
    }
}

impl From<IdentityError> for ApiError {
    fn from(error: IdentityError) -> ApiError {
        match error {
            IdentityError::Store(cause) => ApiError::Internal(cause.to_string()),
            IdentityError::NotFound(what) => ApiError::NotFound { what },
            other => ApiError::Identity(other),
        }
    }
}

/// The ledger's refusals: a missing thing is 404, a state that forbids the operation is 409,
/// an operation that can never succeed as sent is 422.
fn ledger_status(error: &LedgerError) -> StatusCode {
    match error {
        LedgerError::AccountNotFound(_) | LedgerError::HoldNotFound(_) | LedgerError::EntryNotFound(_) => {
            StatusCode::NOT_FOUND
        }
        LedgerError::AccountClosed(_)
        | LedgerError::HoldNotActive(_)
        | LedgerError::AlreadyReversed(_)
        | LedgerError::IdempotencyConflict => StatusCode::CONFLICT,
        LedgerError::InvalidEntry(_)
        | LedgerError::Overflow
        | LedgerError::InvalidIdempotencyKey
        | LedgerError::MemoTooLong
        | LedgerError::CurrencyMismatch { .. }
        | LedgerError::InsufficientFunds { .. } => StatusCode::UNPROCESSABLE_ENTITY,
    }
}

impl From<LedgerError> for ApiError {
    fn from(error: LedgerError) -> ApiError {
        ApiError::Ledger(error)
    }
}

impl From<StoreError> for ApiError {
    fn from(error: StoreError) -> ApiError {
        match error {
            StoreError::Ledger(error) => ApiError::Ledger(error),
            StoreError::NotFound { what } => ApiError::NotFound { what },
            StoreError::AlreadyExists { what } => {
                ApiError::Conflict { code: "already_exists", detail: format!("{what} already exists") }
            }
            // The API built a request the store refused as self-contradictory: our bug, not the
            // client's, so it is logged and answered as an internal error.
            StoreError::Invalid(reason) => ApiError::Internal(format!("store refused an invalid request: {reason}")),
            StoreError::Conflict(code) => {
                ApiError::Conflict { code, detail: format!("refused by the current state: {code}") }
            }
            StoreError::Backend(reason) => ApiError::Internal(reason),
        }
    }
}

impl From<JsonRejection> for ApiError {
    fn from(rejection: JsonRejection) -> ApiError {
        match rejection {
            JsonRejection::JsonDataError(error) => ApiError::invalid("body", "invalid_body", error.body_text()),
            JsonRejection::JsonSyntaxError(error) => ApiError::MalformedJson { detail: error.body_text() },
            JsonRejection::MissingJsonContentType(_) => ApiError::UnsupportedMediaType,
            other if other.status() == StatusCode::PAYLOAD_TOO_LARGE => ApiError::PayloadTooLarge,
            other => ApiError::MalformedJson { detail: other.body_text() },
        }
    }
}

impl From<PathRejection> for ApiError {
    /// A path segment that does not parse (`/accounts/abc`) names no resource: 404, like any
    /// unknown id.
    fn from(_: PathRejection) -> ApiError {
        ApiError::NotFound { what: "resource" }
    }
}

impl From<QueryRejection> for ApiError {
    fn from(rejection: QueryRejection) -> ApiError {
        ApiError::invalid("query", "invalid_query", rejection.body_text())
    }
}

/// Carries the error on the response so that [`localize_problems`] can render it again in the
/// request's language.
#[derive(Debug, Clone)]
struct ProblemSource(ApiError);

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        if let ApiError::Internal(cause) = &self {
            // Inside the request span: the log line carries the request id.
            tracing::error!(cause = %cause, "internal error");
        }
        let mut response = self.to_response(Lang::DEFAULT);
        response.extensions_mut().insert(ProblemSource(self));
        response
    }
}

/// Middleware: renders problem documents in the language of the request's `Accept-Language`.
pub async fn localize_problems(request: Request, next: Next) -> Response {
    let lang = request
        .headers()
        .get(header::ACCEPT_LANGUAGE)
        .and_then(|value| value.to_str().ok())
        .and_then(Lang::from_accept_language)
        .unwrap_or(Lang::DEFAULT);
    let response = next.run(request).await;
    if lang == Lang::DEFAULT {
        return response;
    }
    let Some(ProblemSource(error)) = response.extensions().get::<ProblemSource>().cloned() else {
        return response;
    };
    let (mut parts, _) = response.into_parts();
    let localized = error.to_response(lang);
    parts.headers.remove(header::CONTENT_LENGTH);
    parts.headers.insert(header::CONTENT_LANGUAGE, HeaderValue::from_static(lang.code()));
    Response::from_parts(parts, localized.into_body())
}

/// An RFC 9457 problem document.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ProblemDto {
    /// A URI naming the problem type: `urn:tiyn:problem:{code}`.
    #[serde(rename = "type")]
    pub problem_type: String,
    /// A short summary in the request's language.
    pub title: String,
    pub status: u16,
    /// The specific explanation, in English, for the developer.
    pub detail: String,
    /// Stable machine-readable code (`invalid_amount`, `insufficient_funds`, `not_found`, …).
    pub code: String,
    /// The refused fields, for validation problems; empty otherwise.
    pub errors: Vec<FieldErrorDto>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct FieldErrorDto {
    pub field: String,
    pub code: String,
    /// What is wrong, in the request's language.
    pub message: String,
}

/// Titles by code, in ru, kk, en. Codes not listed fall back to a title for their status.
const TITLES: &[(&str, [&str; 3])] = &[
    ("unauthenticated", ["Требуется вход в систему", "Жүйеге кіру қажет", "Authentication required"]),
    ("not_found", ["Не найдено", "Табылмады", "Not found"]),
    ("route_not_found", ["Такого адреса нет", "Мұндай мекенжай жоқ", "No such route"]),
    ("method_not_allowed", ["Метод не поддерживается", "Әдіс қолданылмайды", "Method not allowed"]),
    ("validation_failed", ["Ошибки в запросе", "Сұраудағы қателер", "Invalid request"]),
    ("invalid_body", ["Неверное содержимое запроса", "Сұрау мазмұны қате", "Invalid request body"]),
    ("invalid_query", ["Неверные параметры запроса", "Сұрау параметрлері қате", "Invalid query parameters"]),
    ("malformed_json", ["Запрос не является JSON", "Сұрау JSON емес", "Malformed JSON"]),
    ("unsupported_media_type", ["Неподдерживаемый формат", "Қолдау көрсетілмейтін формат", "Unsupported media type"]),
    ("payload_too_large", ["Слишком большой запрос", "Сұрау тым үлкен", "Request body too large"]),
    ("invalid_amount", ["Неверная сумма", "Сома қате", "Invalid amount"]),
    (
        "amount_precision",
        ["Неверное число знаков после запятой", "Үтірден кейінгі таңбалар саны қате", "Wrong number of decimal places"],
    ),
    ("amount_overflow", ["Слишком большая сумма", "Сома тым үлкен", "Amount too large"]),
    (
        "amount_not_positive",
        ["Сумма должна быть больше нуля", "Сома нөлден үлкен болуы керек", "Amount must be positive"],
    ),
    ("unsupported_currency", ["Валюта не поддерживается", "Валютаға қолдау көрсетілмейді", "Unsupported currency"]),
    ("invalid_limit", ["Неверный размер страницы", "Бет өлшемі қате", "Invalid page size"]),
    ("invalid_cursor", ["Неверный курсор", "Курсор қате", "Invalid cursor"]),
    ("insufficient_funds", ["Недостаточно средств", "Қаражат жеткіліксіз", "Insufficient funds"]),
    (
        "idempotency_conflict",
        [
            "Ключ идемпотентности уже использован",
            "Идемпотенттілік кілті бұрын қолданылған",
            "Idempotency key already used",
        ],
    ),
    (
        "invalid_idempotency_key",
        ["Неверный ключ идемпотентности", "Идемпотенттілік кілті қате", "Invalid idempotency key"],
    ),
    ("account_not_found", ["Счёт не найден", "Шот табылмады", "Account not found"]),
    ("account_closed", ["Счёт закрыт", "Шот жабық", "Account closed"]),
    ("currency_mismatch", ["Валюты не совпадают", "Валюталар сәйкес келмейді", "Currency mismatch"]),
    ("no_rate", ["Нет курса банка для конвертации", "Айырбастауға банк бағамы жоқ", "No bank rate to convert at"]),
    ("quote_expired", ["Котировка устарела", "Баға белгілеу ескірді", "The quote expired"]),
    ("quote_changed", ["Курсы котировки изменились", "Баға белгілеу бағамдары өзгерді", "The quoted rates changed"]),
    (
        "creditor_account_not_found",
        [
            "Счёт взыскателя в нашем банке не найден в валюте распоряжения",
            "Өндіріп алушының біздің банктегі шоты өкім валютасында табылмады",
            "The creditor's account at this bank was not found in the order's currency",
        ],
    ),
    ("invalid_entry", ["Неверная проводка", "Өткізбе қате", "Invalid journal entry"]),
    ("memo_too_long", ["Слишком длинное назначение", "Мақсаты тым ұзын", "Memo too long"]),
    ("hold_not_found", ["Блокировка не найдена", "Бұғаттау табылмады", "Hold not found"]),
    ("hold_not_active", ["Блокировка уже снята", "Бұғаттау алынған", "Hold no longer active"]),
    ("entry_not_found", ["Проводка не найдена", "Өткізбе табылмады", "Entry not found"]),
    ("already_reversed", ["Проводка уже сторнирована", "Өткізбе сторноланған", "Entry already reversed"]),
    ("already_exists", ["Уже существует", "Бұрыннан бар", "Already exists"]),
    ("internal", ["Внутренняя ошибка", "Ішкі қате", "Internal error"]),
    (
        "csrf_failed",
        [
            "Запрос отклонён: обновите страницу",
            "Сұрау қабылданбады: бетті жаңартыңыз",
            "Request refused: reload the page",
        ],
    ),
    ("invalid_credentials", ["Неверный логин или пароль", "Логин немесе құпиясөз қате", "Wrong login or password"]),
    (
        "too_many_attempts",
        [
            "Слишком много попыток, попробуйте позже",
            "Әрекет тым көп, кейінірек көріңіз",
            "Too many attempts, try later",
        ],
    ),
    ("code_invalid", ["Неверный код", "Код қате", "Wrong code"]),
    ("code_mismatch", ["Неверный код", "Код қате", "Wrong code"]),
    ("code_expired", ["Срок действия кода истёк", "Кодтың мерзімі өтті", "The code has expired"]),
    ("code_already_used", ["Код уже использован", "Код бұрын қолданылған", "The code was already used"]),
    (
        "code_wrong_purpose",
        ["Код выдан для другой операции", "Код басқа операция үшін берілген", "The code is for another operation"],
    ),
    (
        "code_attempts_exhausted",
        [
            "Попытки ввода кода исчерпаны, запросите новый",
            "Код енгізу әрекеттері таусылды, жаңасын сұраңыз",
            "No attempts left; request a new code",
        ],
    ),
    (
        "session_expired",
        ["Сеанс завершён, войдите снова", "Сеанс аяқталды, қайта кіріңіз", "Session expired, sign in again"],
    ),
    (
        "access_level_insufficient",
        ["Недостаточно прав доступа", "Қол жеткізу құқығы жеткіліксіз", "Your access level does not allow this"],
    ),
    ("password_too_short", ["Пароль слишком короткий", "Құпиясөз тым қысқа", "Password too short"]),
    ("password_too_long", ["Пароль слишком длинный", "Құпиясөз тым ұзын", "Password too long"]),
    ("password_common", ["Пароль слишком распространён", "Құпиясөз тым кең таралған", "Password too common"]),
    (
        "password_contains_login",
        ["Пароль содержит логин или имя", "Құпиясөзде логин не есім бар", "Password contains your login or name"],
    ),
    (
        "password_unchanged",
        ["Новый пароль совпадает с текущим", "Жаңа құпиясөз қазіргімен бірдей", "New password equals the current one"],
    ),
    ("old_password_wrong", ["Текущий пароль неверен", "Ағымдағы құпиясөз қате", "Current password is wrong"]),
    (
        "no_mobile_number",
        ["Не указан номер мобильного телефона", "Ұялы телефон нөмірі көрсетілмеген", "No mobile number registered"],
    ),
    ("invalid_login", ["Неверный логин", "Логин қате", "Invalid login"]),
    ("login_taken", ["Логин уже занят", "Логин бос емес", "Login already taken"]),
    (
        "mobile_required",
        ["Нужен номер мобильного телефона", "Ұялы телефон нөмірі қажет", "A mobile number is required"],
    ),
    ("invalid_mobile_number", ["Неверный номер мобильного", "Ұялы нөмір қате", "Invalid mobile number"]),
    ("invalid_email", ["Неверный адрес эл. почты", "Эл. пошта мекенжайы қате", "Invalid email address"]),
    ("invalid_full_name", ["Неверное ФИО", "Аты-жөні қате", "Invalid full name"]),
    ("invalid_access_level", ["Неверный уровень доступа", "Қол жеткізу деңгейі қате", "Invalid access level"]),
    (
        "consent_required",
        ["Нужно согласие на обработку данных", "Деректерді өңдеуге келісім қажет", "Consent is required"],
    ),
    (
        "last_full_access",
        [
            "Нельзя лишить доступа последнего администратора",
            "Соңғы әкімшіден қол жеткізуді алуға болмайды",
            "The last full-access user must stay",
        ],
    ),
    ("already_blocked", ["Пользователь уже заблокирован", "Пайдаланушы бұғатталған", "User already blocked"]),
    ("not_blocked", ["Пользователь не заблокирован", "Пайдаланушы бұғатталмаған", "User is not blocked"]),
    ("blocked_by_bank", ["Блокировку снимает банк", "Бұғатты банк алады", "Only the bank can lift this block"]),
    (
        "suspension_notice_too_short",
        [
            "Приостановка — не ранее чем через 3 рабочих дня",
            "Тоқтата тұру — кемінде 3 жұмыс күннен кейін",
            "Suspension needs 3 working days' notice",
        ],
    ),
    ("suspension_date_invalid", ["Неверная дата", "Күн қате", "Invalid date"]),
    (
        "code_undeliverable",
        [
            "Не удалось отправить код, попробуйте позже или войдите по маркеру",
            "Кодты жіберу мүмкін болмады, кейінірек көріңіз немесе маркермен кіріңіз",
            "The code could not be sent; try later or use your marker",
        ],
    ),
    ("invalid_channel", ["Неверный канал кода", "Код арнасы қате", "Invalid code channel"]),
    ("totp_mismatch", ["Неверный код маркера", "Маркер коды қате", "Wrong marker code"]),
    ("totp_replayed", ["Код маркера уже использован", "Маркер коды қолданылған", "Marker code already used"]),
    ("totp_malformed", ["Код маркера — 6 цифр", "Маркер коды — 6 цифр", "A marker code has 6 digits"]),
    (
        "marker_not_pending",
        [
            "Маркер уже активирован или отозван",
            "Маркер белсендірілген не кері алынған",
            "Marker already active or revoked",
        ],
    ),
    ("platform_unsupported", ["Платформа не поддерживается", "Платформаға қолдау жоқ", "Platform not supported"]),
    (
        "os_version_unsupported",
        [
            "Версия ОС больше не поддерживается, обновите устройство",
            "ОЖ нұсқасына қолдау жоқ, құрылғыны жаңартыңыз",
            "OS version no longer supported; update the device",
        ],
    ),
    ("invalid_os_version", ["Неверная версия ОС", "ОЖ нұсқасы қате", "Invalid OS version"]),
    ("invalid_name", ["Неверное название", "Атауы қате", "Invalid name"]),
    (
        "api_key_level",
        [
            "Ключ — только «создание» или «подтверждение»",
            "Кілт — тек «құру» не «растау»",
            "A key is create or confirm only",
        ],
    ),
    ("expiry_in_past", ["Срок действия уже прошёл", "Мерзімі өтіп кеткен", "Expiry is in the past"]),
    ("invalid_instant", ["Неверное время", "Уақыт қате", "Invalid instant"]),
    ("invalid_date", ["Неверная дата", "Күн қате", "Invalid date"]),
    // FX rates (R-13.2): the rates the bank sets and the National Bank's files it imports.
    ("required", ["Обязательное поле", "Міндетті өріс", "Required"]),
    ("invalid_rate", ["Неверный курс", "Бағам қате", "Invalid rate"]),
    ("invalid_pair", ["Валюты пары совпадают", "Жұптың валюталары бірдей", "A pair is two different currencies"]),
    (
        "buy_above_sell",
        ["Курс покупки выше курса продажи", "Сатып алу бағамы сату бағамынан жоғары", "Buy rate above sell rate"],
    ),
    (
        "valid_from_in_past",
        [
            "Курс не может действовать с прошлого момента",
            "Бағам өткен уақыттан қолданылмайды",
            "A rate cannot start in the past",
        ],
    ),
    (
        "valid_from_too_far",
        [
            "Курс устанавливается не более чем на 31 день вперёд",
            "Бағам 31 күннен артық алдын ала белгіленбейді",
            "A rate starts within 31 days",
        ],
    ),
    ("date_in_future", ["Дата ещё не наступила", "Күн әлі келген жоқ", "The date has not come yet"]),
    (
        "period_inverted",
        ["Конец периода раньше начала", "Кезеңнің соңы басынан ерте", "The period ends before it starts"],
    ),
    ("period_too_long", ["Период длиннее 366 дней", "Кезең 366 күннен ұзақ", "The period is longer than 366 days"]),
    ("nbk_too_large", ["Файл курсов слишком большой", "Бағамдар файлы тым үлкен", "The rates file is too large"]),
    ("nbk_malformed_xml", ["Файл курсов — не XML", "Бағамдар файлы XML емес", "The rates file is not well-formed XML"]),
    (
        "nbk_unknown_format",
        ["Это не файл курсов Нацбанка", "Бұл Ұлттық банк бағамдарының файлы емес", "Not a National Bank rates file"],
    ),
    (
        "nbk_no_data",
        [
            "Нацбанк не опубликовал курсы на эту дату",
            "Ұлттық банк бұл күнге бағам жарияламаған",
            "No official rates for this date",
        ],
    ),
    ("nbk_too_many_items", ["Слишком много валют в файле", "Файлда валюта тым көп", "Too many currencies in the file"]),
    (
        "nbk_missing_field",
        ["В файле курсов не хватает поля", "Бағамдар файлында өріс жоқ", "A field is missing in the rates file"],
    ),
    (
        "nbk_invalid_date",
        ["Неверная дата в файле курсов", "Бағамдар файлындағы күн қате", "Invalid date in the rates file"],
    ),
    ("nbk_mixed_dates", ["В файле курсы разных дат", "Файлда әр күннің бағамдары", "The file mixes several dates"]),
    (
        "nbk_invalid_code",
        ["Неверный код валюты в файле", "Файлдағы валюта коды қате", "Invalid currency code in the file"],
    ),
    ("nbk_duplicate_code", ["Валюта указана в файле дважды", "Валюта файлда екі рет", "A currency is listed twice"]),
    ("nbk_invalid_rate", ["Неверный курс в файле", "Файлдағы бағам қате", "Invalid rate in the file"]),
    (
        "nbk_invalid_quant",
        ["Неверное количество единиц в файле", "Файлдағы бірлік саны қате", "Invalid quantity in the file"],
    ),
    ("nbk_quant_zero", ["Количество единиц равно нулю", "Бірлік саны нөлге тең", "The quantity is zero"]),
    (
        "nbk_rate_too_precise",
        [
            "Курс за единицу требует более 6 знаков",
            "Бірлік бағамы 6 таңбадан көп",
            "The rate per unit needs more than 6 decimals",
        ],
    ),
    ("invalid_user", ["Неверный пользователь", "Пайдаланушы қате", "Invalid user"]),
    (
        "not_pending_activation",
        ["Пользователь уже активирован", "Пайдаланушы белсендірілген", "User already activated"],
    ),
    (
        "operator_role_insufficient",
        [
            "Роль оператора не позволяет это действие",
            "Оператор рөлі бұл әрекетке рұқсат етпейді",
            "The operator's role does not allow this",
        ],
    ),
    (
        "operator_only",
        ["Доступно только сотрудникам банка", "Тек банк қызметкерлеріне қолжетімді", "For bank operators only"],
    ),
    ("partner_exists", ["Партнёр с таким БИН уже есть", "Бұл БСН-мен серіктес бар", "A partner with this BIN exists"]),
    ("invalid_bin", ["Неверный БИН", "БСН қате", "Invalid BIN"]),
    ("invalid_legal_address", ["Неверный юридический адрес", "Заңды мекенжай қате", "Invalid legal address"]),
    ("accounts_required", ["Нужен хотя бы один счёт", "Кемінде бір шот қажет", "At least one account is required"]),
    ("too_many_accounts", ["Слишком много счетов", "Шоттар тым көп", "Too many accounts"]),
    ("too_many_users", ["Слишком много пользователей", "Пайдаланушылар тым көп", "Too many users"]),
    (
        "full_access_user_required",
        [
            "Нужен пользователь с полным доступом",
            "Толық қол жеткізуі бар пайдаланушы қажет",
            "A full-access user is required",
        ],
    ),
    (
        "not_locked_out",
        ["Вход пользователя не заблокирован", "Пайдаланушы кіруі бұғатталмаған", "User is not locked out"],
    ),
    ("invalid_partner", ["Неверный партнёр", "Серіктес қате", "Invalid partner"]),
    // Notices and marketplace reports (issue 6, R-3.1.2.8).
    ("invalid_title", ["Неверный заголовок", "Тақырып атауы қате", "Invalid title"]),
    ("invalid_text", ["Неверный текст", "Мәтін қате", "Invalid text"]),
    ("invalid_report_id", ["Неверный номер отчёта", "Есеп нөмірі қате", "Invalid report id"]),
    ("no_orders", ["Нет заказов", "Тапсырыстар жоқ", "No orders"]),
    ("too_many_orders", ["Слишком много заказов", "Тапсырыстар тым көп", "Too many orders"]),
    ("too_many_payouts", ["Слишком много выплат", "Төлемдер тым көп", "Too many payouts"]),
    ("invalid_order_id", ["Неверный номер заказа", "Тапсырыс нөмірі қате", "Invalid order id"]),
    ("duplicate_order", ["Заказ повторяется", "Тапсырыс қайталанады", "Duplicate order"]),
    (
        "commission_exceeds_amount",
        ["Комиссия больше суммы заказа", "Комиссия тапсырыс сомасынан көп", "Commission exceeds the amount"],
    ),
    ("invalid_payout_id", ["Неверный номер выплаты", "Төлем нөмірі қате", "Invalid payout id"]),
    ("duplicate_payout", ["Выплата повторяется", "Төлем қайталанады", "Duplicate payout"]),
    (
        "payout_account_invalid",
        ["Счёт выплаты не принадлежит клиенту", "Төлем шоты клиентке тиесілі емес", "Not the partner's account"],
    ),
    ("unknown_order", ["Заказа нет в отчёте", "Тапсырыс есепте жоқ", "Order not in the report"]),
    (
        "order_in_two_payouts",
        ["Заказ уже оплачен другой выплатой", "Тапсырыс басқа төлеммен төленген", "Order already in another payout"],
    ),
    (
        "payout_amount_mismatch",
        [
            "Сумма выплаты не равна сумме заказов за вычетом комиссий",
            "Төлем сомасы комиссиялар шегерілген тапсырыстар сомасына тең емес",
            "Payout is not its orders' amounts less commissions",
        ],
    ),
];

fn title(code: &str, status: StatusCode, lang: Lang) -> &'static str {
    let index = match lang {
        Lang::Ru => 0,
        Lang::Kk => 1,
        Lang::En => 2,
    };
    if let Some((_, titles)) = TITLES.iter().find(|(known, _)| *known == code) {
        return titles[index];
    }
    let fallback = match status.as_u16() {
        404 => ["Не найдено", "Табылмады", "Not found"],
        409 => ["Конфликт с текущим состоянием", "Ағымдағы күймен қайшылық", "Conflict"],
        422 => ["Ошибки в запросе", "Сұраудағы қателер", "Invalid request"],
        400..=499 => ["Неверный запрос", "Сұрау қате", "Bad request"],
        _ => ["Внутренняя ошибка", "Ішкі қате", "Internal error"],
    };
    fallback[index]
}

#[cfg(test)]
mod tests {
    use super::*;
    use tiyn_core::{AccountId, Currency, EntryId, HoldId, Money};

    fn every_ledger_error() -> Vec<LedgerError> {
        let account = AccountId::new(1);
        let kzt = |minor| Money::from_minor(minor, Currency::Kzt);
        vec![
            LedgerError::InvalidEntry("x"),
            LedgerError::Overflow,
            LedgerError::InvalidIdempotencyKey,
            LedgerError::MemoTooLong,
            LedgerError::AccountNotFound(account),
            LedgerError::AccountClosed(account),
            LedgerError::CurrencyMismatch { account, account_currency: Currency::Kzt, amount_currency: Currency::Usd },
            LedgerError::InsufficientFunds { account, available: kzt(1), required: kzt(2) },
            LedgerError::HoldNotFound(HoldId::new(1)),
            LedgerError::HoldNotActive(HoldId::new(1)),
            LedgerError::EntryNotFound(EntryId::new(1)),
            LedgerError::AlreadyReversed(EntryId::new(1)),
            LedgerError::IdempotencyConflict,
        ]
    }

    /// Every code the API can answer has its own title in every language, so a person never sees
    /// a generic fallback for a known refusal.
    #[test]
    fn every_code_has_a_title_in_every_language() {
        let mut codes: Vec<&str> = every_ledger_error().iter().map(LedgerError::code).collect();
        codes.extend([
            "unauthenticated",
            "not_found",
            "route_not_found",
            "method_not_allowed",
            "validation_failed",
            "invalid_body",
            "invalid_query",
            "malformed_json",
            "unsupported_media_type",
            "payload_too_large",
            "invalid_amount",
            "amount_precision",
            "amount_overflow",
            "amount_not_positive",
            "unsupported_currency",
            "internal",
            "already_exists",
            "csrf_failed",
            "operator_only",
            "operator_role_insufficient",
        ]);
        let identity = [
            IdentityError::InvalidCredentials,
            IdentityError::TooManyAttempts,
            IdentityError::UnknownChallenge,
            IdentityError::Unauthenticated,
            IdentityError::SessionExpired,
            IdentityError::Forbidden(tiyn_core::access::Permission::ManageUsers),
            IdentityError::NoMobileNumber,
            IdentityError::Conflict("last_full_access"),
            IdentityError::Conflict("already_blocked"),
            IdentityError::Conflict("not_blocked"),
            IdentityError::Conflict("blocked_by_bank"),
            IdentityError::Conflict("not_pending_activation"),
        ];
        codes.extend(identity.iter().map(IdentityError::code));
        codes.extend(
            [
                tiyn_auth::CodeError::Expired,
                tiyn_auth::CodeError::WrongPurpose,
                tiyn_auth::CodeError::Mismatch { attempts_left: 1 },
                tiyn_auth::CodeError::AttemptsExhausted,
                tiyn_auth::CodeError::AlreadyUsed,
            ]
            .iter()
            .map(tiyn_auth::CodeError::code),
        );
        codes.extend(
            [
                tiyn_auth::PasswordError::TooShort { min: 12 },
                tiyn_auth::PasswordError::TooLong { max: 128 },
                tiyn_auth::PasswordError::Common,
                tiyn_auth::PasswordError::ContainsLogin,
            ]
            .iter()
            .map(tiyn_auth::PasswordError::code),
        );
        for code in codes {
            let entry = TITLES.iter().find(|(known, _)| *known == code);
            let (_, titles) = entry.unwrap_or_else(|| panic!("no title for {code}"));
            assert!(titles.iter().all(|title| !title.is_empty()), "{code}");
        }
    }

    #[test]
    fn ledger_refusals_keep_the_ledgers_code() {
        for error in every_ledger_error() {
            let api = ApiError::from(StoreError::Ledger(error.clone()));
            assert_eq!(api.code(), error.code());
            assert!(api.status().is_client_error(), "{error:?} must be the client's problem");
        }
    }

    #[test]
    fn backend_failures_hide_their_cause() {
        let api = ApiError::from(StoreError::Backend("password=secret host=db".to_owned()));
        let problem = api.problem(Lang::En);
        assert_eq!(problem.status, 500);
        assert_eq!(problem.code, "internal");
        assert_eq!(problem.detail, "internal error");
        assert!(!serde_json::to_string(&problem).unwrap_or_default().contains("secret"));
    }
}
