//! The compiled-in reference data loads completely and answers the questions payment forms ask.

use jiff::civil::date;
use tiyn_core::{Bic, Iban, Kbe, Kbk, Knp};
use tiyn_refdata::{CsvTexts, InstitutionKind, RefDataError, ReferenceData, TREASURY_BIC, TREASURY_IBAN, kz_calendar};

fn data() -> ReferenceData {
    ReferenceData::embedded().expect("the embedded reference data loads")
}

/// Data rows in a CSV text: non-blank lines after the header. None of the vendored files has
/// a line break inside a quoted field, which this test relies on.
fn data_rows(text: &str) -> usize {
    text.lines().skip(1).filter(|line| !line.trim().is_empty()).count()
}

#[test]
fn every_embedded_row_is_loaded() {
    let data = data();
    let texts = CsvTexts::EMBEDDED;
    assert_eq!(data.banks().entries().len(), data_rows(texts.banks_bic));
    assert_eq!(data.knp().len(), data_rows(texts.knp));
    assert_eq!(data.kbk().len(), data_rows(texts.kbk));
    assert_eq!(data.kbe().len(), data_rows(texts.kbe_kod));
    // The counts FACTS.md states, so a silently shortened file is noticed.
    assert_eq!(data.banks().entries().iter().filter(|e| e.active()).count(), 33);
    assert_eq!(data.banks().entries().iter().filter(|e| !e.active()).count(), 13);
    assert_eq!(data.knp().len(), 27);
    assert_eq!(data.kbk().len(), 24);
    assert_eq!(data.kbe().len(), 18);
}

#[test]
fn bic_from_the_iban_bank_code() {
    let data = data();
    let banks = data.banks();
    let registry_example = Iban::parse("KZ86125KZT5004100100").unwrap();
    assert_eq!(banks.bic_for_iban(&registry_example).unwrap().as_str(), "NBRKKZKX");

    let kaspi = banks.by_iban_bank_code("722").unwrap();
    assert_eq!(kaspi.bic().as_str(), "CASPKZKA");
    assert_eq!(kaspi.kind(), InstitutionKind::Bank);
    assert!(kaspi.active());
    let kaspi_account = Iban::parse("KZ52722S004010602810").unwrap();
    assert_eq!(banks.bic_for_iban(&kaspi_account).unwrap().as_str(), "CASPKZKA");

    // Halyk's BIC ends in KX, Alatau City Bank kept Tsesnabank's BIC.
    assert_eq!(banks.by_iban_bank_code("601").unwrap().bic().as_str(), "HSBKKZKX");
    assert_eq!(banks.by_iban_bank_code("998").unwrap().bic().as_str(), "TSESKZKA");
    assert!(banks.by_iban_bank_code("000").is_none());

    let foreign = Iban::parse("DE89370400440532013000").unwrap();
    assert_eq!(banks.bic_for_iban(&foreign), None);
}

#[test]
fn lookup_by_bic_uses_the_primary_office() {
    let data = data();
    let banks = data.banks();
    let kaspi = Bic::parse("CASPKZKA").unwrap();
    assert_eq!(banks.by_bic(&kaspi).unwrap().iban_bank_code(), Some("722"));
    let kaspi_branch = Bic::parse("CASPKZKAXXX").unwrap();
    assert_eq!(banks.by_bic(&kaspi_branch).unwrap().bic(), &kaspi);
    let unknown = Bic::parse("ABCDKZKA").unwrap();
    assert!(banks.by_bic(&unknown).is_none());
    // A historical BIC is found, and says it is historical.
    let sberbank = banks.by_bic(&Bic::parse("SABRKZKA").unwrap()).unwrap();
    assert!(!sberbank.active());
}

#[test]
fn search_banks_by_code_bic_and_names() {
    let data = data();
    let banks = data.banks();
    let bics =
        |query: &str| -> Vec<String> { banks.search(query).iter().map(|entry| entry.bic().to_string()).collect() };
    // A Russian word, in any case.
    assert_eq!(bics("народный"), ["HSBKKZKX"]);
    assert_eq!(bics("НАРОДНЫЙ банк"), ["HSBKKZKX"]);
    // A Kazakh word (it also occurs inside «халықаралық», international: Ziraat).
    assert!(bics("халық").contains(&"HSBKKZKX".to_owned()));
    assert_eq!(bics("қазақстан халық банкі"), ["HSBKKZKX", "KZIBKZKA"]);
    // Names in Latin letters, a code, a BIC prefix.
    assert_eq!(bics("kaspi"), ["CASPKZKA"]);
    assert_eq!(bics("722"), ["CASPKZKA"]);
    assert_eq!(bics("casp"), ["CASPKZKA"]);
    // Quotes typed around a word do not matter.
    assert_eq!(bics("«Нурбанк»"), ["NURSKZKX"]);
    // Several words narrow the search.
    assert_eq!(bics("банк центркредит"), ["KCJBKZKX"]);
    // Active entries first.
    let results = banks.search("банк");
    assert!(results.len() > 10);
    let first_historical = results.iter().position(|entry| !entry.active()).unwrap_or(results.len());
    assert!(results[first_historical..].iter().all(|entry| !entry.active()));
    assert!(banks.search("   ").is_empty());
    assert!(banks.search("несуществующий").is_empty());
}

#[test]
fn treasury_account_and_bic() {
    let data = data();
    assert_eq!(data.treasury_iban().as_str(), TREASURY_IBAN);
    assert_eq!(data.treasury_bic().as_str(), TREASURY_BIC);
    let iban = Iban::parse(TREASURY_IBAN).unwrap();
    assert_eq!(iban.kz_bank_code(), Some("070"));
    assert_eq!(data.banks().by_iban_bank_code("070").unwrap().bic().as_str(), "KKMFKZ2A");
    assert_eq!(data.banks().bic_for_iban(&iban).unwrap().as_str(), TREASURY_BIC);
    assert_eq!(data.banks().by_iban_bank_code("070").unwrap().kind(), InstitutionKind::StateTreasury);
}

#[test]
fn a_directory_without_the_treasury_is_refused() {
    let banks = CsvTexts::EMBEDDED
        .banks_bic
        .lines()
        .filter(|line| !line.starts_with("KKMFKZ2A"))
        .collect::<Vec<_>>()
        .join("\n");
    let texts = CsvTexts { banks_bic: &banks, ..CsvTexts::EMBEDDED };
    let error = ReferenceData::from_csv_texts(&texts).unwrap_err();
    assert!(matches!(error, RefDataError::TreasuryMismatch { .. }), "{error}");
    assert_eq!(error.code(), "invalid_reference_data");
}

#[test]
fn code_directories() {
    let data = data();
    let tax = Knp::parse("911").unwrap();
    assert!(data.knp().contains(&tax));
    assert_eq!(data.knp().get(&Knp::parse("010").unwrap()).unwrap().name(), "Обязательные пенсионные взносы");
    // 911 has no confirmed Russian wording yet: the English usage note stands in.
    assert!(data.knp().get(&tax).unwrap().name_ru().is_none());
    assert!(data.knp().get(&tax).unwrap().name().starts_with("Tax payments"));
    assert!(!data.knp().contains(&Knp::parse("999").unwrap()));
    let pension: Vec<String> = data.knp().search("пенсионные взносы").iter().map(|e| e.knp().to_string()).collect();
    assert_eq!(pension, ["010", "089"]);
    let knp_by_prefix: Vec<String> = data.knp().search("12").iter().map(|e| e.knp().to_string()).collect();
    assert_eq!(knp_by_prefix, ["121", "122", "123", "124"]);

    let vat = Kbk::parse("105101").unwrap();
    assert_eq!(data.kbk().get(&vat).unwrap().group(), "vat");
    assert!(data.kbk().search("VAT").len() >= 4);
    assert!(!data.kbk().contains(&Kbk::parse("999999").unwrap()));

    let private_company = Kbe::parse("17").unwrap();
    let entry = data.kbe().get(&private_company).unwrap();
    assert_eq!(entry.sector_name_ru(), "Негосударственные нефинансовые организации");
    let households: Vec<String> = data.kbe().search("домашние хозяйства").iter().map(|e| e.kbe().to_string()).collect();
    assert_eq!(households, ["18", "19", "28", "29"]);
}

#[test]
fn calendar_knows_kazakhstan_holidays() {
    let calendar = kz_calendar();
    assert_eq!(&calendar, data().calendar());
    assert!(calendar.is_holiday(date(2026, 1, 1)));
    assert!(!calendar.is_working_day(date(2026, 1, 1)));
    assert!(!calendar.is_working_day(date(2026, 1, 7)), "Orthodox Christmas");
    assert!(!calendar.is_working_day(date(2026, 3, 9)), "Women's Day observed on Monday");
    // 2025: Friday 3 January was a day off, Sunday 5 January a working day.
    assert!(!calendar.is_working_day(date(2025, 1, 3)));
    assert!(calendar.is_working_day(date(2025, 1, 5)));
    // 2024: Wednesday 8 May off, Saturday 4 May worked.
    assert!(!calendar.is_working_day(date(2024, 5, 8)));
    assert!(calendar.is_working_day(date(2024, 5, 4)));
    assert_eq!(calendar.holidays_known_through(), Some(date(2027, 12, 16)));
}

/// "services end 30 working days later", counted by hand from the CSV across New
/// Year 2026. From Thursday 25 December 2025: 26, 29, 30, 31 December are days 1–4;
/// 1–2 January are holidays, 3–4 a weekend; 5 and 6 January are days 5–6; 7 January
/// (Orthodox Christmas) is a holiday; 8 January is day 7; then no holidays until March, so
/// day 30 is Tuesday 10 February 2026.
#[test]
fn thirty_working_days_across_new_year() {
    let calendar = kz_calendar();
    let notice = date(2025, 12, 25);
    assert_eq!(calendar.add_working_days(notice, 4).unwrap(), date(2025, 12, 31));
    assert_eq!(calendar.add_working_days(notice, 5).unwrap(), date(2026, 1, 5));
    assert_eq!(calendar.add_working_days(notice, 7).unwrap(), date(2026, 1, 8));
    assert_eq!(calendar.add_working_days(notice, 30).unwrap(), date(2026, 2, 10));
    assert_eq!(calendar.working_days_between(notice, date(2026, 2, 10)), 30);

    // New Year 2025, with the moved working Sunday: the first working day after
    // 31 December 2024 is Sunday 5 January 2025.
    assert_eq!(calendar.next_working_day(date(2024, 12, 31)).unwrap(), date(2025, 1, 5));
}

/// R-3.1.2.2: the embedded list of banks abroad is a real one (the national registries vendored
/// by `scripts/build-foreign-banks`, after the curated rows), not a handful of examples.
#[test]
fn r_3_1_2_2_the_foreign_bank_list_covers_thousands_of_banks_in_dozens_of_countries() {
    let data = data();
    let banks = data.foreign_banks();
    assert_eq!(banks.entries().len(), data_rows(CsvTexts::EMBEDDED.foreign_banks));
    assert!(banks.entries().len() >= 3000, "{} banks", banks.entries().len());
    let countries: std::collections::BTreeSet<&str> =
        banks.entries().iter().map(|bank| bank.country().as_str()).collect();
    assert!(countries.len() >= 36, "{countries:?}");
    assert!(!countries.contains("KZ"), "banks of Kazakhstan are in banks_bic.csv");
    for (bic, name) in [("DEUTDEFF", "Deutsche Bank"), ("COBADEFF", "Commerzbank"), ("BNPAFRPP", "BNP Paribas")] {
        let bank = banks.by_bic(&Bic::parse(bic).unwrap()).unwrap_or_else(|| panic!("{bic} is listed"));
        assert!(bank.name().starts_with(name), "{bic}: {}", bank.name());
    }
    // A registry bank without a city, found by a branch BIC.
    let registry_bank = banks.by_bic(&Bic::parse("ABDIAEADXXX").unwrap()).expect("Abu Dhabi Islamic Bank");
    assert_eq!(registry_bank.city(), "");
}
