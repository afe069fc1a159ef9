//! The statements every export is tested on.
//!
//! The KZT statement covers 1–7 October 2024 and has what the issue asks for: Russian and
//! Kazakh text in names and purposes (Ә Ғ Қ Ң Ө Ұ Ү Һ І, «quotes», №), incoming and outgoing
//! lines, a commission as its own line, a reversal, a purpose longer than 140 characters,
//! a counterparty account that is not an IBAN, and days without lines inside the period (3, 5
//! and 6 October) and after the last line of a day. The USD statement is a foreign-currency
//! account with a foreign payer and a commission.

#![allow(dead_code, clippy::unwrap_used)]

use jiff::Timestamp;
use jiff::civil::{Date, date};
use tiyn_core::{Bic, Currency, EntryId, Iban, Knp, Money, TaxpayerId};
use tiyn_statement::{
    Counterparty, CounterpartyAccount, DailyTurnovers, DayTurnover, Direction, LineKind, Period, StatementHeader,
    StatementLine, Turnover, TurnoverCheck,
};

/// A header and its lines.
#[derive(Debug, Clone)]
pub struct Statement {
    pub header: StatementHeader,
    pub lines: Vec<StatementLine>,
}

pub const KZT_OPENING_MINOR: i64 = 10_000_000;
/// 50 000.00 + 20 000.00 (the reversal) + 7 000.01.
pub const KZT_CREDIT_MINOR: i64 = 7_700_001;
/// 20 000.00 + 150.00 (commission) + 12 345.67.
pub const KZT_DEBIT_MINOR: i64 = 3_249_567;
pub const KZT_CLOSING_MINOR: i64 = 14_450_434;

/// The long purpose of the outgoing payment: 3 `Ustrd` pieces, several `:86:` lines.
pub const LONG_PURPOSE: &str = "Оплата по договору поставки № 12/2024-Қ от 15.09.2024 за товары: \
    бумага офисная, картриджи, папки-регистраторы (Ғимарат №3, Өскемен қ.), в т.ч. НДС 12% — 2 142,86 тенге; \
    счёт-фактура № 455 от 01.10.2024";

pub fn kzt_statement() -> Statement {
    let supplier = Counterparty {
        name: "ТОО «Қазақ Ғарыш Сервис»".into(),
        taxpayer_id: Some(TaxpayerId::parse("220340110009").unwrap()),
        account: Some(CounterpartyAccount::Iban(Iban::parse("KZ806014482455345985").unwrap())),
        bic: Some(Bic::parse("HSBKKZKX").unwrap()),
    };
    let entrepreneur = Counterparty {
        name: "ИП Әлиев Ұлан Һ.".into(),
        taxpayer_id: Some(TaxpayerId::parse("900101310004").unwrap()),
        account: Some(CounterpartyAccount::Iban(Iban::parse("KZ668560203255855690").unwrap())),
        bic: Some(Bic::parse("KCJBKZKX").unwrap()),
    };
    let bank = Counterparty {
        name: "АО «Kaspi Bank»".into(),
        taxpayer_id: None,
        account: Some(CounterpartyAccount::Other("Комиссионные доходы".into())),
        bic: Some(Bic::parse("CASPKZKA").unwrap()),
    };
    let treasury = Counterparty {
        name: "РГУ «УГД по Бостандыкскому району»".into(),
        taxpayer_id: Some(TaxpayerId::parse("190940210009").unwrap()),
        account: Some(CounterpartyAccount::Iban(Iban::parse("KZ24070105KSN0000000").unwrap())),
        bic: Some(Bic::parse("KKMFKZ2A").unwrap()),
    };
    let own = Counterparty {
        name: "ТОО «Тиын Тест»".into(),
        taxpayer_id: Some(TaxpayerId::parse("180140010005").unwrap()),
        account: Some(CounterpartyAccount::Iban(Iban::parse("KZ819657096609065792").unwrap())),
        bic: Some(Bic::parse("CASPKZKA").unwrap()),
    };
    let lines = vec![
        line(
            1001,
            date(2024, 10, 1),
            LineKind::IncomingCredit,
            Direction::Credit,
            5_000_000,
            Some("88"),
            supplier,
            Some("710"),
            "Оплата по счёту №7 от 30.09.2024 за услуги, в т.ч. НДС 12%; Қызмет үшін төлем",
        ),
        line(
            1002,
            date(2024, 10, 2),
            LineKind::Payment,
            Direction::Debit,
            2_000_000,
            Some("15"),
            entrepreneur.clone(),
            Some("859"),
            LONG_PURPOSE,
        ),
        line(
            1003,
            date(2024, 10, 2),
            LineKind::Commission,
            Direction::Debit,
            15_000,
            None,
            bank,
            None,
            "Комиссия за платёж №15 (межбанковский)",
        ),
        // 3 October: no lines.
        line(
            1004,
            date(2024, 10, 4),
            LineKind::Reversal,
            Direction::Credit,
            2_000_000,
            Some("15"),
            entrepreneur,
            Some("859"),
            "Возврат платежа №15: неверный ИИК получателя",
        ),
        line(
            1005,
            date(2024, 10, 4),
            LineKind::Payment,
            Direction::Debit,
            1_234_567,
            Some("16"),
            treasury,
            Some("911"),
            "ИПН за сентябрь 2024 года",
        ),
        // 5 and 6 October: no lines.
        line(
            1006,
            date(2024, 10, 7),
            LineKind::Payment,
            Direction::Credit,
            700_001,
            Some("3"),
            own,
            Some("343"),
            "Перевод собственных средств",
        ),
    ];
    let header = header_for(
        Currency::Kzt,
        "KZ52722S004010602810",
        Period::new(date(2024, 10, 1), date(2024, 10, 7)).unwrap(),
        KZT_OPENING_MINOR,
        &lines,
    );
    assert_eq!(header.turnover.credit.minor(), KZT_CREDIT_MINOR);
    assert_eq!(header.turnover.debit.minor(), KZT_DEBIT_MINOR);
    assert_eq!(header.closing.minor(), KZT_CLOSING_MINOR);
    Statement { header, lines }
}

pub fn usd_statement() -> Statement {
    let payer = Counterparty {
        name: "ACME Trading Corp.".into(),
        taxpayer_id: None,
        account: Some(CounterpartyAccount::Other("000123456789".into())),
        bic: Some(Bic::parse("CHASUS33").unwrap()),
    };
    let bank = Counterparty {
        name: "АО «Kaspi Bank»".into(),
        taxpayer_id: None,
        account: None,
        bic: Some(Bic::parse("CASPKZKA").unwrap()),
    };
    let mut lines = vec![
        line(
            2001,
            date(2024, 11, 5),
            LineKind::IncomingCredit,
            Direction::Credit,
            150_050,
            Some("INV-2024/77"),
            payer,
            Some("710"),
            "Payment for consulting services, invoice INV-2024/77",
        ),
        line(
            2002,
            date(2024, 11, 5),
            LineKind::Commission,
            Direction::Debit,
            1_500,
            None,
            bank,
            None,
            "Комиссия за зачисление валютного перевода",
        ),
    ];
    for line in &mut lines {
        line.amount = Money::from_minor(line.amount.minor(), Currency::Usd);
    }
    let header = header_for(
        Currency::Usd,
        "KZ125511968161548170",
        Period::new(date(2024, 11, 1), date(2024, 11, 30)).unwrap(),
        25_000,
        &lines,
    );
    Statement { header, lines }
}

/// A statement with no lines at all: the balance stays.
pub fn empty_statement() -> Statement {
    let header = header_for(
        Currency::Kzt,
        "KZ52722S004010602810",
        Period::new(date(2024, 12, 1), date(2024, 12, 3)).unwrap(),
        KZT_OPENING_MINOR,
        &[],
    );
    Statement { header, lines: Vec::new() }
}

#[allow(clippy::too_many_arguments)]
pub fn line(
    entry: i64,
    day: Date,
    kind: LineKind,
    direction: Direction,
    minor: i64,
    document_number: Option<&str>,
    counterparty: Counterparty,
    knp: Option<&str>,
    purpose: &str,
) -> StatementLine {
    StatementLine {
        entry: EntryId::new(entry),
        booked_at: day
            .at(10, 30, 0, 0)
            .to_zoned(jiff::tz::TimeZone::fixed(jiff::tz::Offset::constant(5)))
            .unwrap()
            .timestamp(),
        booking_date: day,
        value_date: day,
        kind,
        direction,
        amount: Money::from_minor(minor, Currency::Kzt),
        document_number: document_number.map(str::to_owned),
        counterparty,
        knp: knp.map(|knp| Knp::parse(knp).unwrap()),
        purpose: purpose.to_owned(),
    }
}

/// The header a store would compute for these lines.
pub fn header_for(
    currency: Currency,
    iban: &str,
    period: Period,
    opening_minor: i64,
    lines: &[StatementLine],
) -> StatementHeader {
    let mut turnover = Turnover::zero(currency);
    for line in lines {
        turnover.add(line).unwrap();
    }
    let opening = Money::from_minor(opening_minor, currency);
    let closing = opening.checked_add(turnover.credit).unwrap().checked_sub(turnover.debit).unwrap();
    StatementHeader {
        reference: "ST-2024-000042".into(),
        created_at: "2024-11-01T13:11:22.5Z".parse::<Timestamp>().unwrap(),
        bank_name: "АО «Kaspi Bank»".into(),
        bank_bic: Bic::parse("CASPKZKA").unwrap(),
        account_iban: Iban::parse(iban).unwrap(),
        currency,
        holder_name: "ТОО «Тиын Тест»".into(),
        holder_id: TaxpayerId::parse("180140010005").unwrap(),
        period,
        opening,
        closing,
        turnover,
    }
}

/// Every day of the period with its turnovers, computed by the model's own walk.
pub fn every_day(statement: &Statement) -> Vec<DayTurnover> {
    let mut check = TurnoverCheck::new(&statement.header);
    let mut days = DailyTurnovers::new(&statement.header);
    let mut out = Vec::new();
    for line in &statement.lines {
        if let Some(day) = check.push(line).unwrap() {
            days.through(day, |day| {
                out.push(day);
                Ok::<_, ()>(())
            })
            .unwrap();
        }
    }
    if let Some(day) = check.finish().unwrap() {
        days.through(day, |day| {
            out.push(day);
            Ok::<_, ()>(())
        })
        .unwrap();
    }
    days.finish(|day| {
        out.push(day);
        Ok::<_, ()>(())
    })
    .unwrap();
    out
}

/// The sum of a statement's lines in minor units, credits positive.
pub fn signed_sum_minor(lines: &[StatementLine]) -> i64 {
    lines
        .iter()
        .map(|line| match line.direction {
            Direction::Credit => line.amount.minor(),
            Direction::Debit => -line.amount.minor(),
        })
        .sum()
}

/// The statement with its header's debit turnover off by one tiyn: every writer must refuse it.
pub fn with_wrong_turnover(mut statement: Statement) -> Statement {
    let debit = statement.header.turnover.debit;
    statement.header.turnover.debit = Money::from_minor(debit.minor() + 1, debit.currency());
    statement.header.closing = Money::from_minor(statement.header.closing.minor() - 1, debit.currency());
    statement
}
