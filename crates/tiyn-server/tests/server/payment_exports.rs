//! The payment documents list as a file through the HTTP API (issue 6, R-3.1.2.6, R-3.1.2.7):
//! CSV read back with the csv crate, XLSX with calamine and PDF with poppler's pdftotext, the
//! filters applied, the export audited. Runs on SQLite, and on PostgreSQL with `TIYN_TEST_BACKEND=postgres`.

use crate::common;

use axum::body::to_bytes;
use calamine::{Data, Reader, Xlsx};
use common::*;

async fn file(f: &PaymentFixture, uri: &str) -> (u16, String, Vec<u8>) {
    let response = get_as(&f.test.app, &f.session, uri).await;
    let status = response.status().as_u16();
    let content_type =
        response.headers().get("content-type").and_then(|value| value.to_str().ok()).unwrap_or("").to_owned();
    let bytes = to_bytes(response.into_body(), 64 << 20).await.expect("body").to_vec();
    (status, content_type, bytes)
}

/// R-3.1.2.6, R-3.1.2.7: every document the filters select, one row each, in the partner's
/// language: the CSV (`;`, BOM) and the XLSX (typed amounts) agree with the API's documents.
#[tokio::test]
async fn r_3_1_2_6_the_payment_list_exports_as_csv_and_xlsx() {
    let f = payment_fixture().await;
    let (_, sent) = f.pay(interbank_order(f.main.id, "1500.05", "ТОО «=Ромашка»")).await;
    assert_eq!(sent["status"], "sent", "{sent}");
    let draft =
        post_json(&f.test.app, "/api/v1/payments", Some(&f.session), interbank_order(f.main.id, "20.00", "ИП Арман"))
            .await;
    assert_eq!(draft.status(), 201);

    let (status, content_type, csv) = file(&f, "/api/v1/payments?format=csv&delimiter=semicolon").await;
    assert_eq!((status, content_type.as_str()), (200, "text/csv; charset=utf-8"));
    let text = std::str::from_utf8(&csv).expect("UTF-8").strip_prefix('\u{feff}').expect("a BOM");
    let mut reader = csv::ReaderBuilder::new().delimiter(b';').from_reader(text.as_bytes());
    let headers = reader.headers().expect("headers").clone();
    assert_eq!(&headers[0], "Номер");
    let rows: Vec<csv::StringRecord> = reader.records().map(|row| row.expect("row")).collect();
    assert_eq!(rows.len(), 2, "both documents, newest first");
    let column = |name: &str| headers.iter().position(|header| header == name).expect(name);
    let sent_row = rows.iter().find(|row| &row[column("Статус")] == "Отправлен").expect("the sent one");
    assert_eq!(&sent_row[column("Сумма")], "1500.05");
    assert_eq!(&sent_row[column("Получатель")], "ТОО «=Ромашка»");
    assert_eq!(&sent_row[column("Счёт получателя")], "KZ806014482455345985");
    assert_eq!(&sent_row[column("Счёт плательщика")], f.main.iban.as_ref().expect("iban").as_str());

    // Filters apply; English headers; XLSX with numbers as numbers.
    let (status, _, xlsx) = file(&f, "/api/v1/payments?format=xlsx&lang=en&status=sent").await;
    assert_eq!(status, 200);
    let mut workbook: Xlsx<_> = Xlsx::new(std::io::Cursor::new(xlsx)).expect("an xlsx");
    let range = workbook.worksheet_range("Payments").expect("the sheet");
    assert_eq!(range.get_value((0, 0)), Some(&Data::String("Payment documents".into())));
    assert_eq!(range.get_value((1, 12)), Some(&Data::String("Amount".into())));
    assert_eq!(range.get_value((2, 12)), Some(&Data::Float(1500.05)));
    assert_eq!(range.get_value((3, 0)), None, "only the sent document");

    let (status, _, body) = file(&f, "/api/v1/payments?format=pdfx").await;
    assert_eq!(status, 422, "{}", String::from_utf8_lossy(&body));
    let full = f.test.sign_in("full", true).await;
    let audit = body_json(get_as(&f.test.app, &full, "/api/v1/audit").await).await;
    assert!(audit.to_string().contains("payments.export"), "the export is audited: {audit}");
}

/// R-3.1.2.6, R-3.1.2.7: the list as a PDF, read with pdftotext: every document with its
/// Cyrillic payee and purpose, the refusal beside its status, the sums per currency, the page
/// numbers and the stamp's notice; a filter narrows it and is named.
#[tokio::test]
async fn r_3_1_2_6_the_payment_list_exports_as_pdf_with_totals() {
    let f = payment_fixture().await;
    let (_, sent) = f.pay(interbank_order(f.main.id, "1500.05", "ТОО «Ромашка»")).await;
    assert_eq!(sent["status"], "sent", "{sent}");
    for (amount, payee) in [("20.00", "ИП Арман"), ("0.95", "ТОО «Береке»")] {
        let draft =
            post_json(&f.test.app, "/api/v1/payments", Some(&f.session), interbank_order(f.main.id, amount, payee))
                .await;
        assert_eq!(draft.status(), 201);
    }

    let (status, content_type, pdf) = file(&f, "/api/v1/payments?format=pdf").await;
    assert_eq!((status, content_type.as_str()), (200, "application/pdf"), "{}", String::from_utf8_lossy(&pdf));
    let text = pdftotext(&pdf);
    for expected in [
        "Платёжные документы",
        "ТОО «Ромашка»",
        "ИП Арман",
        "ТОО «Береке»",
        "KZ806014482455345985",
        "1 500,05 KZT",
        "Отправлен",
        "Черновик",
        "все статусы",
        "Количество",
        "Итого: Сумма",
        // 1500.05 + 20.00 + 0.95
        "1 521,00 KZT",
        "Страница 1 из 1",
        "не является оригиналом",
        "ДОКУМЕНТОВ", // the stamp says what it is for: "ДЛЯ ДОКУМЕНТОВ", wrapped in its ring
    ] {
        assert!(text.contains(expected), "{expected:?} in the PDF:\n{text}");
    }
    assert!(!text.contains("ВЫПИСОК"), "a list's stamp is not a statement's:\n{text}");

    let (status, _, pdf) = file(&f, "/api/v1/payments?format=pdf&status=draft&lang=en").await;
    assert_eq!(status, 200);
    let text = pdftotext(&pdf);
    assert!(text.contains("Payment documents") && text.contains("Draft"), "{text}");
    assert!(text.contains("DOCUMENTS"), "the stamp in English:\n{text}");
    assert!(!text.contains("ТОО «Ромашка»"), "the sent document is filtered out:\n{text}");
    assert!(text.contains("20.95 KZT"), "the drafts' total:\n{text}");
}
