//! The receipt of an executed payment: what the payment order said, that it was carried
//! out and when, and the proof of its confirmation.

use jiff::Timestamp;
use jiff::civil::Date;
use tiyn_core::Money;

use crate::fonts::Faces;
use crate::format;
use crate::layout::{self, Align, Cell, DocumentInfo, Flow, PageFormat, TextStyle};
use crate::{Lang, Presentation, RenderError};

/// A payment order that reached its final state, as its receipt shows it. Identifiers are text
/// as the domain spells them (they were parsed and checked before); amounts are money.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PaymentReceipt {
    /// The bank that executed the payment (the payer's bank).
    pub bank_name: String,
    pub bank_bic: String,
    /// The partner's document number.
    pub number: String,
    /// The document's date (when it was drawn up, in Kazakhstan).
    pub date: Date,
    pub kind: PaymentKind,
    pub status: ReceiptStatus,
    /// When the status was reached: executed through the ledger, or settled with the payee's bank.
    pub completed_at: Timestamp,
    /// When an interbank payment was sent to the payment system.
    pub sent_at: Option<Timestamp>,
    pub payer: Party,
    /// For an internal transfer, the partner's own other account.
    pub payee: Party,
    pub amount: Money,
    /// The bank's commission charged with the payment.
    pub commission: Option<Money>,
    /// The payment purpose code (KNP) and, when the directory knows it, its name.
    pub knp: String,
    pub knp_name: Option<String>,
    /// The beneficiary code (KBe).
    pub kbe: Option<String>,
    /// The budget classification code (KBK) of a budget payment.
    pub kbk: Option<String>,
    pub purpose: String,
    pub value_date: Date,
    pub confirmation: Option<ReceiptConfirmation>,
    /// The ledger entry that moved the money (internal transfers).
    pub ledger_entry: Option<String>,
    /// The interbank message id (interbank and budget payments).
    pub message_id: Option<String>,
}

/// A side of the payment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Party {
    pub name: String,
    /// BIN or IIN.
    pub taxpayer_id: String,
    pub iban: String,
    pub bank_name: Option<String>,
    pub bic: String,
}

/// Who confirmed the document, when and how.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReceiptConfirmation {
    /// The user's name (and whatever identifies them further).
    pub confirmed_by: String,
    pub confirmed_at: Timestamp,
    pub method: ConfirmationMethod,
    /// The id of the code's challenge.
    pub challenge: String,
    /// SHA-256 of the document's content as confirmed, hex.
    pub content_digest: String,
    /// SHA-256 of the batch the code confirmed, hex.
    pub batch_digest: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ConfirmationMethod {
    /// A one-time code sent by SMS.
    Sms,
    /// A code of the user's marker (TOTP).
    Marker,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PaymentKind {
    Internal,
    Interbank,
    Budget,
    /// Between own accounts in two currencies, at the bank's rates.
    Conversion,
    /// Foreign currency abroad, through a correspondent bank.
    Foreign,
}

/// The final states a receipt is issued for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReceiptStatus {
    /// Posted through the ledger (an internal transfer).
    Executed,
    /// Settled with the payee's bank (interbank, budget).
    Settled,
}

/// Column of the labels; the values take the rest of the line.
const LABEL_WIDTH_PT: f32 = 165.0;
const GUTTER_PT: f32 = 10.0;
const LABEL: TextStyle = TextStyle::regular(8.5);
const VALUE: TextStyle = TextStyle::regular(9.5);
const VALUE_STRONG: TextStyle = TextStyle::bold(10.5);
const SECTION: TextStyle = TextStyle::bold(10.5);

pub(crate) fn render(receipt: &PaymentReceipt, presentation: &Presentation) -> Result<Vec<u8>, RenderError> {
    let faces = Faces::get().ok_or(RenderError::Fonts)?;
    let labels = Labels::of(presentation.lang);
    let title = labels.title(&receipt.number, &format::date(receipt.date, presentation.lang));
    let mut flow = Flow::new(faces);
    header(&mut flow, receipt, &labels, &title)?;
    let page = Page { labels: &labels, presentation };

    page.field(&mut flow, labels.status, status(receipt.status, &labels), VALUE_STRONG)?;
    let completed = match receipt.status {
        ReceiptStatus::Executed => labels.executed_at,
        ReceiptStatus::Settled => labels.settled_at,
    };
    page.field(&mut flow, completed, &format::instant(receipt.completed_at, presentation), VALUE)?;
    if let Some(sent_at) = receipt.sent_at {
        page.field(&mut flow, labels.sent_at, &format::instant(sent_at, presentation), VALUE)?;
    }
    page.field(&mut flow, labels.kind, kind(receipt.kind, &labels), VALUE)?;

    page.party(&mut flow, labels.payer, &receipt.payer)?;
    page.party(&mut flow, labels.payee, &receipt.payee)?;
    page.payment(&mut flow, receipt)?;
    if let Some(confirmation) = &receipt.confirmation {
        page.confirmation(&mut flow, confirmation)?;
    }
    if receipt.ledger_entry.is_some() || receipt.message_id.is_some() {
        page.section(&mut flow, labels.execution)?;
        if let Some(entry) = &receipt.ledger_entry {
            page.field(&mut flow, labels.ledger_entry, entry, VALUE)?;
        }
        if let Some(message) = &receipt.message_id {
            page.field(&mut flow, labels.message_id, message, VALUE)?;
        }
    }

    let footer_title = title.clone();
    let pages = flow.finish(|page, pages| format!("{footer_title} · {}", labels.page(page, pages)));
    layout::paint(
        faces,
        PageFormat::A4_PORTRAIT,
        &pages,
        DocumentInfo { title, language: presentation.lang.code(), created: receipt.completed_at },
    )
}

fn header(flow: &mut Flow<'_>, receipt: &PaymentReceipt, labels: &Labels, title: &str) -> Result<(), RenderError> {
    let left = flow.left_pt();
    let width = flow.content_width_pt();
    let bic = format!("{} {}", labels.bic, receipt.bank_bic);
    flow.row(&[
        Cell {
            x_pt: left,
            width_pt: width * 0.7,
            text: &receipt.bank_name,
            style: TextStyle::bold(11.0),
            align: Align::Left,
        },
        Cell {
            x_pt: left + width * 0.7,
            width_pt: width * 0.3,
            text: &bic,
            style: TextStyle::regular(9.0),
            align: Align::Right,
        },
    ])?;
    flow.space(4.0);
    flow.rule(0.8)?;
    flow.space(14.0);
    flow.paragraph(title, TextStyle::bold(15.0))?;
    flow.paragraph(labels.subtitle, TextStyle::regular(10.0))?;
    flow.space(10.0);
    Ok(())
}

/// The parts of the receipt after its header.
struct Page<'a> {
    labels: &'a Labels,
    presentation: &'a Presentation,
}

impl Page<'_> {
    fn section(&self, flow: &mut Flow<'_>, title: &str) -> Result<(), RenderError> {
        flow.space(10.0);
        flow.paragraph(title, SECTION)?;
        flow.space(2.0);
        flow.rule(0.4)?;
        flow.space(3.0);
        Ok(())
    }

    /// A label and its value, side by side; both wrap.
    fn field(&self, flow: &mut Flow<'_>, label: &str, value: &str, style: TextStyle) -> Result<(), RenderError> {
        let left = flow.left_pt();
        let value_width = flow.content_width_pt() - LABEL_WIDTH_PT - GUTTER_PT;
        flow.row(&[
            Cell { x_pt: left, width_pt: LABEL_WIDTH_PT, text: label, style: LABEL, align: Align::Left },
            Cell {
                x_pt: left + LABEL_WIDTH_PT + GUTTER_PT,
                width_pt: value_width,
                text: value,
                style,
                align: Align::Left,
            },
        ])?;
        flow.space(2.5);
        Ok(())
    }

    fn party(&self, flow: &mut Flow<'_>, title: &str, party: &Party) -> Result<(), RenderError> {
        let labels = self.labels;
        self.section(flow, title)?;
        self.field(flow, labels.name, &party.name, VALUE)?;
        self.field(flow, labels.taxpayer_id, &party.taxpayer_id, VALUE)?;
        self.field(flow, labels.iban, &party.iban, VALUE)?;
        if let Some(bank) = &party.bank_name {
            self.field(flow, labels.bank, bank, VALUE)?;
        }
        self.field(flow, labels.bic, &party.bic, VALUE)
    }

    fn payment(&self, flow: &mut Flow<'_>, receipt: &PaymentReceipt) -> Result<(), RenderError> {
        let (labels, lang) = (self.labels, self.presentation.lang);
        self.section(flow, labels.payment)?;
        self.field(flow, labels.amount, &format::money(receipt.amount, lang), VALUE_STRONG)?;
        if let Some(commission) = receipt.commission {
            self.field(flow, labels.commission, &format::money(commission, lang), VALUE)?;
        }
        let knp = match &receipt.knp_name {
            Some(name) => format!("{} — {name}", receipt.knp),
            None => receipt.knp.clone(),
        };
        self.field(flow, labels.knp, &knp, VALUE)?;
        if let Some(kbe) = &receipt.kbe {
            self.field(flow, labels.kbe, kbe, VALUE)?;
        }
        if let Some(kbk) = &receipt.kbk {
            self.field(flow, labels.kbk, kbk, VALUE)?;
        }
        self.field(flow, labels.purpose, &receipt.purpose, VALUE)?;
        self.field(flow, labels.value_date, &format::date(receipt.value_date, lang), VALUE)
    }

    fn confirmation(&self, flow: &mut Flow<'_>, confirmation: &ReceiptConfirmation) -> Result<(), RenderError> {
        let labels = self.labels;
        self.section(flow, labels.confirmation)?;
        self.field(flow, labels.confirmed_by, &confirmation.confirmed_by, VALUE)?;
        self.field(flow, labels.confirmed_at, &format::instant(confirmation.confirmed_at, self.presentation), VALUE)?;
        let method = match confirmation.method {
            ConfirmationMethod::Sms => labels.method_sms,
            ConfirmationMethod::Marker => labels.method_marker,
        };
        self.field(flow, labels.method, method, VALUE)?;
        self.field(flow, labels.challenge, &confirmation.challenge, VALUE)?;
        self.field(flow, labels.content_digest, &confirmation.content_digest, VALUE)?;
        if let Some(batch) = &confirmation.batch_digest {
            self.field(flow, labels.batch_digest, batch, VALUE)?;
        }
        Ok(())
    }
}

fn status(status: ReceiptStatus, labels: &Labels) -> &'static str {
    match status {
        ReceiptStatus::Executed => labels.status_executed,
        ReceiptStatus::Settled => labels.status_settled,
    }
}

fn kind(kind: PaymentKind, labels: &Labels) -> &'static str {
    match kind {
        PaymentKind::Internal => labels.kind_internal,
        PaymentKind::Interbank => labels.kind_interbank,
        PaymentKind::Budget => labels.kind_budget,
        PaymentKind::Conversion => labels.kind_conversion,
        PaymentKind::Foreign => labels.kind_foreign,
    }
}

/// The receipt's words in one language.
struct Labels {
    lang: Lang,
    subtitle: &'static str,
    status: &'static str,
    status_executed: &'static str,
    status_settled: &'static str,
    executed_at: &'static str,
    settled_at: &'static str,
    sent_at: &'static str,
    kind: &'static str,
    kind_internal: &'static str,
    kind_interbank: &'static str,
    kind_budget: &'static str,
    kind_conversion: &'static str,
    kind_foreign: &'static str,
    payer: &'static str,
    payee: &'static str,
    name: &'static str,
    taxpayer_id: &'static str,
    iban: &'static str,
    bank: &'static str,
    bic: &'static str,
    payment: &'static str,
    amount: &'static str,
    commission: &'static str,
    knp: &'static str,
    kbe: &'static str,
    kbk: &'static str,
    purpose: &'static str,
    value_date: &'static str,
    confirmation: &'static str,
    confirmed_by: &'static str,
    confirmed_at: &'static str,
    method: &'static str,
    method_sms: &'static str,
    method_marker: &'static str,
    challenge: &'static str,
    content_digest: &'static str,
    batch_digest: &'static str,
    execution: &'static str,
    ledger_entry: &'static str,
    message_id: &'static str,
}

impl Labels {
    fn of(lang: Lang) -> Labels {
        match lang {
            Lang::Ru => RU,
            Lang::Kk => KK,
            Lang::En => EN,
        }
    }

    fn title(&self, number: &str, date: &str) -> String {
        match self.lang {
            Lang::Ru => format!("Платёжное поручение № {number} от {date}"),
            Lang::Kk => format!("{date} № {number} төлем тапсырмасы"),
            Lang::En => format!("Payment order No. {number} of {date}"),
        }
    }

    fn page(&self, page: usize, pages: usize) -> String {
        match self.lang {
            Lang::Ru => format!("страница {page} из {pages}"),
            Lang::Kk => format!("{pages} беттің {page}-беті"),
            Lang::En => format!("page {page} of {pages}"),
        }
    }
}

const RU: Labels = Labels {
    lang: Lang::Ru,
    subtitle: "Квитанция об исполнении платежа",
    status: "Статус",
    status_executed: "Исполнено",
    status_settled: "Исполнено, расчёт с банком получателя завершён",
    executed_at: "Время исполнения",
    settled_at: "Время завершения расчёта",
    sent_at: "Отправлено в платёжную систему",
    kind: "Вид платежа",
    kind_internal: "Перевод между своими счетами",
    kind_interbank: "Межбанковский платёж",
    kind_budget: "Платёж в бюджет",
    kind_conversion: "Конвертация",
    kind_foreign: "Перевод в иностранной валюте",
    payer: "Плательщик",
    payee: "Получатель",
    name: "Наименование",
    taxpayer_id: "БИН/ИИН",
    iban: "ИИК (IBAN)",
    bank: "Банк",
    bic: "БИК",
    payment: "Платёж",
    amount: "Сумма",
    commission: "Комиссия банка",
    knp: "КНП (код назначения платежа)",
    kbe: "КБе (код бенефициара)",
    kbk: "КБК (код бюджетной классификации)",
    purpose: "Назначение платежа",
    value_date: "Дата валютирования",
    confirmation: "Подтверждение",
    confirmed_by: "Подтвердил",
    confirmed_at: "Время подтверждения",
    method: "Способ подтверждения",
    method_sms: "одноразовый код из SMS",
    method_marker: "код генератора (маркера)",
    challenge: "Идентификатор запроса кода",
    content_digest: "Хеш содержания документа (SHA-256)",
    batch_digest: "Хеш пакета документов (SHA-256)",
    execution: "Исполнение",
    ledger_entry: "Проводка в главной книге",
    message_id: "Идентификатор межбанковского сообщения",
};

const KK: Labels = Labels {
    lang: Lang::Kk,
    subtitle: "Төлемнің орындалғаны туралы түбіртек",
    status: "Мәртебесі",
    status_executed: "Орындалды",
    status_settled: "Орындалды, алушының банкімен есеп айырысу аяқталды",
    executed_at: "Орындалған уақыты",
    settled_at: "Есеп айырысу аяқталған уақыты",
    sent_at: "Төлем жүйесіне жіберілді",
    kind: "Төлем түрі",
    kind_internal: "Өз шоттары арасындағы аударым",
    kind_interbank: "Банкаралық төлем",
    kind_budget: "Бюджетке төлем",
    kind_conversion: "Айырбастау",
    kind_foreign: "Шетел валютасындағы аударым",
    payer: "Төлеуші",
    payee: "Алушы",
    name: "Атауы",
    taxpayer_id: "БСН/ЖСН",
    iban: "ЖСК (IBAN)",
    bank: "Банк",
    bic: "БСК",
    payment: "Төлем",
    amount: "Сомасы",
    commission: "Банк комиссиясы",
    knp: "ТМК (төлем мақсатының коды)",
    kbe: "БеК (бенефициар коды)",
    kbk: "Бюджеттік сыныптама коды",
    purpose: "Төлемнің мақсаты",
    value_date: "Валюталау күні",
    confirmation: "Растау",
    confirmed_by: "Растаған",
    confirmed_at: "Растау уақыты",
    method: "Растау тәсілі",
    method_sms: "SMS арқылы бір реттік код",
    method_marker: "генератор (маркер) коды",
    challenge: "Код сұрауының идентификаторы",
    content_digest: "Құжат мазмұнының хеші (SHA-256)",
    batch_digest: "Құжаттар пакетінің хеші (SHA-256)",
    execution: "Орындалуы",
    ledger_entry: "Бас кітаптағы жазба",
    message_id: "Банкаралық хабарлама идентификаторы",
};

const EN: Labels = Labels {
    lang: Lang::En,
    subtitle: "Payment execution receipt",
    status: "Status",
    status_executed: "Executed",
    status_settled: "Executed and settled with the payee's bank",
    executed_at: "Executed at",
    settled_at: "Settled at",
    sent_at: "Sent to the payment system",
    kind: "Payment type",
    kind_internal: "Transfer between own accounts",
    kind_interbank: "Interbank payment",
    kind_budget: "Payment to the budget",
    kind_conversion: "Currency conversion",
    kind_foreign: "Foreign currency transfer",
    payer: "Payer",
    payee: "Payee",
    name: "Name",
    taxpayer_id: "BIN/IIN",
    iban: "Account (IBAN)",
    bank: "Bank",
    bic: "BIC",
    payment: "Payment",
    amount: "Amount",
    commission: "Bank commission",
    knp: "KNP (purpose code)",
    kbe: "KBe (beneficiary code)",
    kbk: "KBK (budget classification code)",
    purpose: "Purpose of payment",
    value_date: "Value date",
    confirmation: "Confirmation",
    confirmed_by: "Confirmed by",
    confirmed_at: "Confirmed at",
    method: "Method",
    method_sms: "one-time code by SMS",
    method_marker: "code of a marker (token)",
    challenge: "Code challenge id",
    content_digest: "Content digest (SHA-256)",
    batch_digest: "Batch digest (SHA-256)",
    execution: "Execution",
    ledger_entry: "Ledger entry",
    message_id: "Interbank message id",
};

#[cfg(test)]
mod tests {
    use tiyn_core::Currency;

    use super::*;
    use crate::payment_receipt;

    const PURPOSE: &str = "Оплата по договору поставки № 15 от 01.12.2025 за товары согласно счёт-фактуре \
                           № 301, в том числе НДС 12 %; қазақша: әғқңөұүһі ӘҒҚҢӨҰҮҺІ";

    fn receipt() -> PaymentReceipt {
        PaymentReceipt {
            bank_name: "АО «Тийн Банк»".to_owned(),
            bank_bic: "TIYNKZKA".to_owned(),
            number: "12".to_owned(),
            date: "2026-01-12".parse().expect("date"),
            kind: PaymentKind::Interbank,
            status: ReceiptStatus::Settled,
            completed_at: "2026-01-12T06:30:00Z".parse().expect("instant"),
            sent_at: Some("2026-01-12T05:01:00Z".parse().expect("instant")),
            payer: Party {
                name: "ТОО «Демо Партнёр»".to_owned(),
                taxpayer_id: "123456789012".to_owned(),
                iban: "KZ86722KZT0000000001".to_owned(),
                bank_name: Some("АО «Тийн Банк»".to_owned()),
                bic: "TIYNKZKA".to_owned(),
            },
            payee: Party {
                name: "ТОО «Алматы Құрылыс Өнімдері»".to_owned(),
                taxpayer_id: "987654321098".to_owned(),
                iban: "KZ75125KZT2069100100".to_owned(),
                bank_name: Some("АО «Народный Банк Казахстана»".to_owned()),
                bic: "HSBKKZKX".to_owned(),
            },
            amount: Money::from_minor(150_000_025, Currency::Kzt),
            commission: Some(Money::from_minor(20_000, Currency::Kzt)),
            knp: "710".to_owned(),
            knp_name: Some("Оплата за товары".to_owned()),
            kbe: Some("17".to_owned()),
            kbk: None,
            purpose: PURPOSE.to_owned(),
            value_date: "2026-01-12".parse().expect("date"),
            confirmation: Some(ReceiptConfirmation {
                confirmed_by: "Иванова Әсел (пользователь 7)".to_owned(),
                confirmed_at: "2026-01-12T05:00:00Z".parse().expect("instant"),
                method: ConfirmationMethod::Sms,
                challenge: "ch_6f1d0c2a9b".to_owned(),
                content_digest: "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08".to_owned(),
                batch_digest: Some("60303ae22b998861bce3b28f33eec1be758a213c86c93c076dbe9f558c11c752".to_owned()),
            }),
            ledger_entry: None,
            message_id: Some("TIYN20260112000000000012".to_owned()),
        }
    }

    /// The text of every page as a reader extracts it (through the fonts' ToUnicode maps), with
    /// line breaks and no-break spaces read as spaces.
    fn extract_text(pdf: &[u8]) -> String {
        let document = lopdf::Document::load_mem(pdf).expect("the PDF parses");
        let pages: Vec<u32> = document.get_pages().keys().copied().collect();
        let text = document.extract_text(&pages).expect("text extracts");
        text.replace(['\n', '\u{A0}'], " ").split_whitespace().collect::<Vec<_>>().join(" ")
    }

    /// a receipt is a PDF whose Russian and Kazakh text can be read back: a broken font
    /// embedding or Unicode map loses the Cyrillic here.
    #[test]
    fn a_receipt_is_a_pdf_with_readable_cyrillic_text() {
        let pdf = payment_receipt(&receipt(), &Presentation::kazakhstan(Lang::Ru)).expect("renders");
        assert!(pdf.starts_with(b"%PDF-"), "{:?}", &pdf[..8]);
        let text = extract_text(&pdf);
        for expected in [
            "Платёжное поручение № 12 от 12.01.2026",
            "Исполнено, расчёт с банком получателя завершён",
            "1 500 000,25 KZT",
            "200,00 KZT",
            "ТОО «Алматы Құрылыс Өнімдері»",
            "KZ75125KZT2069100100",
            "HSBKKZKX",
            "710 — Оплата за товары",
            "әғқңөұүһі ӘҒҚҢӨҰҮҺІ",
            "12.01.2026 11:30:00 (UTC+05:00)",
            "Иванова Әсел",
            "ch_6f1d0c2a9b",
            "TIYN20260112000000000012",
        ] {
            assert!(text.contains(expected), "{expected:?} is not in the text: {text}");
        }
        // The long purpose wraps, and no word of it is lost.
        let squeezed: String = text.chars().filter(|character| !character.is_whitespace()).collect();
        let purpose: String = PURPOSE.chars().filter(|character| !character.is_whitespace()).collect();
        assert!(squeezed.contains(&purpose), "the whole purpose is there: {text}");
        // The digest wraps inside the word, and reads back whole once the line break is removed.
        assert!(squeezed.contains("9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"));
    }

    #[test]
    fn every_language_renders_one_a4_page() {
        for (lang, title) in [
            (Lang::Ru, "Платёжное поручение"),
            (Lang::Kk, "төлем тапсырмасы"),
            (Lang::En, "Payment order No. 12 of 2026-01-12"),
        ] {
            let pdf = payment_receipt(&receipt(), &Presentation::kazakhstan(lang)).expect("renders");
            let document = lopdf::Document::load_mem(&pdf).expect("parses");
            assert_eq!(document.get_pages().len(), 1, "{lang:?}");
            let page = *document.get_pages().values().next().expect("a page");
            let media_box = document.get_object(page).and_then(lopdf::Object::as_dict).expect("page").get(b"MediaBox");
            let media_box = format!("{media_box:?}");
            assert!(media_box.contains("595.28") && media_box.contains("841.89"), "A4: {media_box}");
            assert!(extract_text(&pdf).contains(title), "{lang:?}");
        }
    }

    #[test]
    fn rendering_is_pure() {
        let presentation = Presentation::kazakhstan(Lang::Ru);
        let first = payment_receipt(&receipt(), &presentation).expect("renders");
        let second = payment_receipt(&receipt(), &presentation).expect("renders");
        assert!(first == second, "the same receipt gives the same bytes");
    }

    #[test]
    fn an_internal_receipt_without_optional_parts_renders() {
        let mut internal = receipt();
        internal.kind = PaymentKind::Internal;
        internal.status = ReceiptStatus::Executed;
        internal.sent_at = None;
        internal.commission = None;
        internal.kbe = None;
        internal.knp_name = None;
        internal.confirmation = None;
        internal.message_id = None;
        internal.ledger_entry = Some("4711".to_owned());
        // Characters DejaVu Sans cannot draw do not break the PDF/A: they show as U+FFFD.
        internal.purpose = "Перевод 中文 \u{E000}".to_owned();
        let pdf = payment_receipt(&internal, &Presentation::kazakhstan(Lang::Ru)).expect("renders");
        let text = extract_text(&pdf);
        assert!(text.contains("Перевод между своими счетами") && text.contains("4711"), "{text}");
        assert!(text.contains("Перевод \u{FFFD}\u{FFFD} \u{FFFD}"), "{text}");
    }
}
