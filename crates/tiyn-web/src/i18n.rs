//! Every string of the cabinet, one table per language.
//!
//! A table is a `Texts` value, so a key missing in one language does not compile, and the
//! templates are checked against the field names at compile time too; the tests below catch an
//! empty or untranslated entry.

use tiyn_api::Lang;

#[derive(Debug, PartialEq, Eq)]
pub struct Texts {
    pub language_name: &'static str,
    pub tagline: &'static str,
    pub skip_to_content: &'static str,
    pub nav_label: &'static str,
    pub nav_accounts: &'static str,
    pub language_label: &'static str,
    pub demo_badge: &'static str,
    pub bin_label: &'static str,
    pub accounts_title: &'static str,
    pub col_name: &'static str,
    pub col_iban: &'static str,
    pub col_currency: &'static str,
    pub col_balance: &'static str,
    pub col_available: &'static str,
    pub col_held: &'static str,
    pub col_status: &'static str,
    pub status_open: &'static str,
    pub status_closed: &'static str,
    pub refresh: &'static str,
    pub no_accounts: &'static str,
    pub signed_out_title: &'static str,
    pub signed_out_text: &'static str,
    pub not_found_title: &'static str,
    pub not_found_text: &'static str,
    pub error_title: &'static str,
    pub error_text: &'static str,
    pub back_to_accounts: &'static str,
    pub footer_text: &'static str,
    pub amounts_note: &'static str,
}

pub const RU: Texts = Texts {
    language_name: "Русский",
    tagline: "Интернет-банкинг для бизнеса",
    skip_to_content: "Перейти к содержимому",
    nav_label: "Разделы",
    nav_accounts: "Счета",
    language_label: "Язык",
    demo_badge: "Демо-режим",
    bin_label: "БИН",
    accounts_title: "Счета и остатки",
    col_name: "Счёт",
    col_iban: "ИИК (IBAN)",
    col_currency: "Валюта",
    col_balance: "Остаток",
    col_available: "Доступно",
    col_held: "Заблокировано",
    col_status: "Статус",
    status_open: "Открыт",
    status_closed: "Закрыт",
    refresh: "Обновить",
    no_accounts: "Счетов пока нет.",
    signed_out_title: "Вход пока недоступен",
    signed_out_text: "Вход в кабинет появится в следующей версии. Сейчас кабинет открывается в демонстрационном режиме: tiyn serve --demo.",
    not_found_title: "Страница не найдена",
    not_found_text: "Такой страницы нет. Проверьте адрес.",
    error_title: "Внутренняя ошибка",
    error_text: "Не удалось выполнить запрос. Попробуйте ещё раз позже.",
    back_to_accounts: "К счетам",
    footer_text: "Tiyn — интернет-банкинг для бизнеса в Казахстане",
    amounts_note: "Заблокировано — суммы документов в обработке; доступно — остаток за вычетом заблокированного.",
};

pub const KK: Texts = Texts {
    language_name: "Қазақша",
    tagline: "Бизнеске арналған интернет-банкинг",
    skip_to_content: "Мазмұнға өту",
    nav_label: "Бөлімдер",
    nav_accounts: "Шоттар",
    language_label: "Тіл",
    demo_badge: "Демо режимі",
    bin_label: "БСН",
    accounts_title: "Шоттар мен қалдықтар",
    col_name: "Шот",
    col_iban: "ЖСК (IBAN)",
    col_currency: "Валюта",
    col_balance: "Қалдық",
    col_available: "Қолжетімді",
    col_held: "Бұғатталған",
    col_status: "Мәртебе",
    status_open: "Ашық",
    status_closed: "Жабық",
    refresh: "Жаңарту",
    no_accounts: "Әзірге шоттар жоқ.",
    signed_out_title: "Кіру әзірге қолжетімсіз",
    signed_out_text: "Кабинетке кіру келесі нұсқада пайда болады. Қазір кабинет демо режимінде ашылады: tiyn serve --demo.",
    not_found_title: "Бет табылмады",
    not_found_text: "Мұндай бет жоқ. Мекенжайды тексеріңіз.",
    error_title: "Ішкі қате",
    error_text: "Сұрауды орындау мүмкін болмады. Кейінірек қайталап көріңіз.",
    back_to_accounts: "Шоттарға",
    footer_text: "Tiyn — Қазақстандағы бизнеске арналған интернет-банкинг",
    amounts_note: "Бұғатталған — өңделіп жатқан құжаттардың сомасы; қолжетімді — бұғатталғанды шегергендегі қалдық.",
};

pub const EN: Texts = Texts {
    language_name: "English",
    tagline: "E-banking for business",
    skip_to_content: "Skip to content",
    nav_label: "Sections",
    nav_accounts: "Accounts",
    language_label: "Language",
    demo_badge: "Demo mode",
    bin_label: "BIN",
    accounts_title: "Accounts and balances",
    col_name: "Account",
    col_iban: "IBAN",
    col_currency: "Currency",
    col_balance: "Balance",
    col_available: "Available",
    col_held: "Held",
    col_status: "Status",
    status_open: "Open",
    status_closed: "Closed",
    refresh: "Refresh",
    no_accounts: "No accounts yet.",
    signed_out_title: "Sign-in is not available yet",
    signed_out_text: "Sign-in arrives in the next version. For now the cabinet opens in demo mode: tiyn serve --demo.",
    not_found_title: "Page not found",
    not_found_text: "There is no such page. Check the address.",
    error_title: "Internal error",
    error_text: "The request could not be completed. Please try again later.",
    back_to_accounts: "To accounts",
    footer_text: "Tiyn — e-banking for business in Kazakhstan",
    amounts_note: "Held — amounts of documents in processing; available — the balance less what is held.",
};

pub fn texts(lang: Lang) -> &'static Texts {
    match lang {
        Lang::Ru => &RU,
        Lang::Kk => &KK,
        Lang::En => &EN,
    }
}

impl Texts {
    /// Every entry with its key, for the completeness tests.
    pub fn entries(&self) -> Vec<(&'static str, &'static str)> {
        let Texts {
            language_name,
            tagline,
            skip_to_content,
            nav_label,
            nav_accounts,
            language_label,
            demo_badge,
            bin_label,
            accounts_title,
            col_name,
            col_iban,
            col_currency,
            col_balance,
            col_available,
            col_held,
            col_status,
            status_open,
            status_closed,
            refresh,
            no_accounts,
            signed_out_title,
            signed_out_text,
            not_found_title,
            not_found_text,
            error_title,
            error_text,
            back_to_accounts,
            footer_text,
            amounts_note,
        } = self;
        vec![
            ("language_name", *language_name),
            ("tagline", *tagline),
            ("skip_to_content", *skip_to_content),
            ("nav_label", *nav_label),
            ("nav_accounts", *nav_accounts),
            ("language_label", *language_label),
            ("demo_badge", *demo_badge),
            ("bin_label", *bin_label),
            ("accounts_title", *accounts_title),
            ("col_name", *col_name),
            ("col_iban", *col_iban),
            ("col_currency", *col_currency),
            ("col_balance", *col_balance),
            ("col_available", *col_available),
            ("col_held", *col_held),
            ("col_status", *col_status),
            ("status_open", *status_open),
            ("status_closed", *status_closed),
            ("refresh", *refresh),
            ("no_accounts", *no_accounts),
            ("signed_out_title", *signed_out_title),
            ("signed_out_text", *signed_out_text),
            ("not_found_title", *not_found_title),
            ("not_found_text", *not_found_text),
            ("error_title", *error_title),
            ("error_text", *error_text),
            ("back_to_accounts", *back_to_accounts),
            ("footer_text", *footer_text),
            ("amounts_note", *amounts_note),
        ]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Words that are the same in every language on purpose (brand, borrowed terms).
    const SAME_IN_ALL: &[&str] = &["col_currency"];
    /// Keys whose Kazakh and Russian spellings coincide.
    const SAME_IN_KK_AND_RU: &[&str] = &["col_currency"];

    #[test]
    fn every_key_is_filled_in_every_language() {
        for lang in Lang::ALL {
            for (key, text) in texts(lang).entries() {
                assert!(!text.trim().is_empty(), "{key} is empty in {}", lang.code());
            }
        }
    }

    /// A key copied from another language instead of translated is a missing translation.
    #[test]
    fn every_key_is_translated() {
        let ru = RU.entries();
        for (lang, other) in [(Lang::Kk, KK.entries()), (Lang::En, EN.entries())] {
            for ((key, ru_text), (other_key, other_text)) in ru.iter().zip(other.iter()) {
                assert_eq!(key, other_key);
                let allowed = SAME_IN_ALL.contains(key) || (lang == Lang::Kk && SAME_IN_KK_AND_RU.contains(key));
                assert!(allowed || ru_text != other_text, "{key} is not translated to {}", lang.code());
            }
        }
    }
}
