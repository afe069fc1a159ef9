//! Notices and marketplace reports on SQLite (issue 6, R-3.1.2.8). Writes run on the writer
//! thread, each in its own savepoint of the group commit (a failing report writes nothing); reads
//! on the reader pool.

use rusqlite::{Connection, OptionalExtension, Row, params};
use tiyn_core::PartnerId;
use tiyn_store::StoreError;
use tiyn_store::messages::{
    CreditMarketplacePayout, IDEMPOTENCY_CONFLICT, MarketplaceReport, MarketplaceReportSummary, NOTICE_COLUMNS,
    NOTICES_PAGE_MAX, NewMarketplaceReport, NewNotice, Notice, NoticeAudience, NoticeCursor, NoticePublished,
    NoticeQuery, NoticeRow, ORDER_COLUMNS, OrderRow, PAYOUT_COLUMNS, PAYOUT_CREDITED_OTHERWISE, PLANNED_PAYOUT_COLUMNS,
    PLANNED_PAYOUTS_MAX, PayoutRow, PlannedPayout, PlannedPayoutRow, REPORT_ORDERS_MAX, REPORT_PAYOUTS_MAX,
    REPORTS_PAGE_MAX, ReportIngested, SUMMARY_COLUMNS, SummaryRow,
};

fn notice_row(row: &Row<'_>) -> rusqlite::Result<NoticeRow> {
    Ok(NoticeRow {
        id: row.get(0)?,
        partner_id: row.get(1)?,
        kind: row.get(2)?,
        title: row.get(3)?,
        body: row.get(4)?,
        published_at: row.get(5)?,
        published_by: row.get(6)?,
    })
}

fn summary_row(row: &Row<'_>) -> rusqlite::Result<SummaryRow> {
    Ok(SummaryRow {
        id: row.get(0)?,
        report_id: row.get(1)?,
        partner_id: row.get(2)?,
        period_from: row.get(3)?,
        period_to: row.get(4)?,
        currency: row.get(5)?,
        received_at: row.get(6)?,
        orders: row.get(7)?,
        sales: row.get(8)?,
        commission: row.get(9)?,
        paid_out: row.get(10)?,
        payouts: row.get(11)?,
        unpaid_orders: row.get(12)?,
    })
}

fn notice_by_key(connection: &Connection, key: &str) -> Result<Option<Notice>, StoreError> {
    let sql = format!("SELECT {NOTICE_COLUMNS} FROM notices WHERE idempotency_key = ?1");
    let row = connection
        .prepare_cached(&sql)
        .and_then(|mut statement| statement.query_row(params![key], notice_row).optional())
        .map_err(StoreError::backend)?;
    row.map(NoticeRow::into_notice).transpose()
}

pub fn publish(connection: &mut Connection, new: &NewNotice) -> Result<NoticePublished, StoreError> {
    new.validate()?;
    if let Some(key) = &new.key
        && let Some(stored) = notice_by_key(connection, key)?
    {
        return if new.same_content(&stored) {
            Ok(NoticePublished { notice: stored, replayed: true })
        } else {
            Err(StoreError::Conflict(IDEMPOTENCY_CONFLICT))
        };
    }
    let sql = format!(
        "INSERT INTO notices (partner_id, kind, title, body, published_at, published_by, idempotency_key)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7) RETURNING {NOTICE_COLUMNS}"
    );
    let row = connection
        .prepare_cached(&sql)
        .and_then(|mut statement| {
            statement.query_row(
                params![
                    new.partner.map(PartnerId::get),
                    new.kind.as_str(),
                    new.title,
                    new.text,
                    new.published_at.as_microsecond(),
                    new.published_by,
                    new.key
                ],
                notice_row,
            )
        })
        .map_err(StoreError::backend)?;
    let notice = row.into_notice()?;
    debug_assert!(new.same_content(&notice));
    Ok(NoticePublished { notice, replayed: false })
}

pub fn notices(connection: &Connection, query: &NoticeQuery) -> Result<Vec<Notice>, StoreError> {
    let limit = query.limit.clamp(1, NOTICES_PAGE_MAX) as i64;
    let after = query.after.unwrap_or(NoticeCursor::START);
    let (filter, partner) = match query.audience {
        NoticeAudience::Partner(partner) => ("(partner_id = ?1 OR partner_id IS NULL)", partner.get()),
        NoticeAudience::Bank => ("?1 = ?1", 0),
    };
    let sql = format!(
        "SELECT {NOTICE_COLUMNS} FROM notices WHERE {filter}
           AND (published_at < ?2 OR (published_at = ?2 AND id < ?3))
         ORDER BY published_at DESC, id DESC LIMIT ?4"
    );
    let mut statement = connection.prepare_cached(&sql).map_err(StoreError::backend)?;
    let rows = statement
        .query_map(params![partner, after.published_at_us, after.id, limit], notice_row)
        .map_err(StoreError::backend)?;
    rows.map(|row| row.map_err(StoreError::backend)?.into_notice()).collect()
}

pub fn ingest_report(connection: &mut Connection, report: &NewMarketplaceReport) -> Result<ReportIngested, StoreError> {
    report.validate()?;
    let stored: Option<(i64, String)> = connection
        .prepare_cached("SELECT id, content_digest FROM marketplace_reports WHERE report_id = ?1")
        .and_then(|mut statement| {
            statement.query_row(params![report.report_id], |row| Ok((row.get(0)?, row.get(1)?))).optional()
        })
        .map_err(StoreError::backend)?;
    if let Some((id, digest)) = stored {
        return if digest == report.content_digest {
            Ok(ReportIngested { id, replayed: true })
        } else {
            Err(StoreError::Conflict(IDEMPOTENCY_CONFLICT))
        };
    }
    let id: i64 = connection
        .query_row(
            "INSERT INTO marketplace_reports (report_id, partner_id, period_from, period_to, currency,
                 content_digest, received_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7) RETURNING id",
            params![
                report.report_id,
                report.partner.get(),
                report.period_from.to_string(),
                report.period_to.to_string(),
                report.currency.code(),
                report.content_digest,
                report.received_at.as_microsecond()
            ],
            |row| row.get(0),
        )
        .map_err(StoreError::backend)?;
    let mut payout_ids = std::collections::HashMap::new();
    for payout in &report.payouts {
        let payout_row: i64 = connection
            .prepare_cached(
                "INSERT INTO marketplace_payouts (report, payout_id, paid_on, amount, account_iban)
                 VALUES (?1, ?2, ?3, ?4, ?5) RETURNING id",
            )
            .and_then(|mut statement| {
                statement.query_row(
                    params![
                        id,
                        payout.payout_id,
                        payout.paid_on.to_string(),
                        payout.amount.minor(),
                        payout.account_iban
                    ],
                    |row| row.get(0),
                )
            })
            .map_err(StoreError::backend)?;
        payout_ids.insert(payout.payout_id.as_str(), payout_row);
    }
    for order in &report.orders {
        let payout = match &order.payout_id {
            Some(payout) => {
                Some(*payout_ids.get(payout.as_str()).ok_or(StoreError::Invalid("an order of an unknown payout"))?)
            }
            None => None,
        };
        connection
            .prepare_cached(
                "INSERT INTO marketplace_orders (report, order_id, sold_at, amount, commission, payout)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
            )
            .and_then(|mut statement| {
                statement.execute(params![
                    id,
                    order.order_id,
                    order.sold_at.as_microsecond(),
                    order.amount.minor(),
                    order.commission.minor(),
                    payout
                ])
            })
            .map_err(StoreError::backend)?;
    }
    Ok(ReportIngested { id, replayed: false })
}

pub fn reports(
    connection: &Connection,
    partner: PartnerId,
    before: Option<i64>,
    limit: usize,
) -> Result<Vec<MarketplaceReportSummary>, StoreError> {
    let limit = limit.clamp(1, REPORTS_PAGE_MAX) as i64;
    let sql = format!(
        "SELECT {SUMMARY_COLUMNS} FROM marketplace_reports r WHERE r.partner_id = ?1 AND r.id < ?2
         ORDER BY r.id DESC LIMIT ?3"
    );
    let mut statement = connection.prepare_cached(&sql).map_err(StoreError::backend)?;
    let rows = statement
        .query_map(params![partner.get(), before.unwrap_or(i64::MAX), limit], summary_row)
        .map_err(StoreError::backend)?;
    rows.map(|row| row.map_err(StoreError::backend)?.into_summary()).collect()
}

pub fn report(
    connection: &Connection,
    partner: PartnerId,
    report_id: &str,
) -> Result<Option<MarketplaceReport>, StoreError> {
    let sql =
        format!("SELECT {SUMMARY_COLUMNS} FROM marketplace_reports r WHERE r.partner_id = ?1 AND r.report_id = ?2");
    let summary = connection
        .prepare_cached(&sql)
        .and_then(|mut statement| statement.query_row(params![partner.get(), report_id], summary_row).optional())
        .map_err(StoreError::backend)?;
    let Some(summary) = summary else { return Ok(None) };
    let summary = summary.into_summary()?;
    let currency = summary.currency;
    let sql = format!(
        "SELECT {ORDER_COLUMNS} FROM marketplace_orders o LEFT JOIN marketplace_payouts p ON p.id = o.payout
         WHERE o.report = ?1 ORDER BY o.sold_at, o.id LIMIT {REPORT_ORDERS_MAX}"
    );
    let mut statement = connection.prepare_cached(&sql).map_err(StoreError::backend)?;
    let orders = statement
        .query_map(params![summary.id], |row| {
            Ok(OrderRow {
                order_id: row.get(0)?,
                sold_at: row.get(1)?,
                amount: row.get(2)?,
                commission: row.get(3)?,
                payout_id: row.get(4)?,
            })
        })
        .map_err(StoreError::backend)?
        .map(|row| row.map_err(StoreError::backend)?.into_order(currency))
        .collect::<Result<Vec<_>, _>>()?;
    let sql = format!(
        "SELECT {PAYOUT_COLUMNS} FROM marketplace_payouts p WHERE p.report = ?1 ORDER BY p.paid_on, p.id
         LIMIT {REPORT_PAYOUTS_MAX}"
    );
    let mut statement = connection.prepare_cached(&sql).map_err(StoreError::backend)?;
    let payouts = statement
        .query_map(params![summary.id], |row| {
            Ok(PayoutRow {
                payout_id: row.get(0)?,
                paid_on: row.get(1)?,
                amount: row.get(2)?,
                account_iban: row.get(3)?,
                credited_at: row.get(4)?,
            })
        })
        .map_err(StoreError::backend)?
        .map(|row| row.map_err(StoreError::backend)?.into_payout(currency))
        .collect::<Result<Vec<_>, _>>()?;
    debug_assert_eq!(orders.len() as u64, summary.orders);
    Ok(Some(MarketplaceReport { summary, orders, payouts }))
}

// ----- Marketplace payouts in planned credits (issue 6, R-3.1.2.5) -----

fn planned_payout_row(row: &Row<'_>) -> rusqlite::Result<PlannedPayoutRow> {
    Ok(PlannedPayoutRow {
        report: row.get(0)?,
        payout: row.get(1)?,
        partner_id: row.get(2)?,
        report_id: row.get(3)?,
        payout_id: row.get(4)?,
        paid_on: row.get(5)?,
        amount: row.get(6)?,
        currency: row.get(7)?,
        account_iban: row.get(8)?,
        orders: row.get(9)?,
        credited_message_id: row.get(10)?,
        credited_at: row.get(11)?,
    })
}

pub fn planned_payouts(connection: &Connection, partner: PartnerId) -> Result<Vec<PlannedPayout>, StoreError> {
    let sql = format!(
        "SELECT {PLANNED_PAYOUT_COLUMNS} FROM marketplace_reports r JOIN marketplace_payouts p ON p.report = r.id
         WHERE r.partner_id = ?1 AND p.credited_message_id IS NULL
         ORDER BY p.paid_on, p.id LIMIT {PLANNED_PAYOUTS_MAX}"
    );
    let mut statement = connection.prepare_cached(&sql).map_err(StoreError::backend)?;
    let rows = statement.query_map(params![partner.get()], planned_payout_row).map_err(StoreError::backend)?;
    let planned =
        rows.map(|row| row.map_err(StoreError::backend)?.into_planned()).collect::<Result<Vec<_>, StoreError>>()?;
    debug_assert!(planned.iter().all(|payout| payout.partner == partner && payout.credited.is_none()));
    Ok(planned)
}

pub fn payout(
    connection: &Connection,
    partner: PartnerId,
    report_id: &str,
    payout_id: &str,
) -> Result<Option<PlannedPayout>, StoreError> {
    let sql = format!(
        "SELECT {PLANNED_PAYOUT_COLUMNS} FROM marketplace_reports r JOIN marketplace_payouts p ON p.report = r.id
         WHERE r.partner_id = ?1 AND r.report_id = ?2 AND p.payout_id = ?3"
    );
    let row = connection
        .prepare_cached(&sql)
        .and_then(|mut statement| {
            statement.query_row(params![partner.get(), report_id, payout_id], planned_payout_row).optional()
        })
        .map_err(StoreError::backend)?;
    row.map(PlannedPayoutRow::into_planned).transpose()
}

/// One conditional update; when it changes nothing, the stored credit says why.
pub fn credit_payout(connection: &mut Connection, credit: &CreditMarketplacePayout) -> Result<bool, StoreError> {
    credit.validate()?;
    let changed = connection
        .prepare_cached(
            "UPDATE marketplace_payouts SET credited_message_id = ?1, credited_at = ?2
             WHERE id = ?3 AND credited_message_id IS NULL",
        )
        .and_then(|mut statement| {
            statement.execute(params![credit.message_id, credit.at.as_microsecond(), credit.payout])
        })
        .map_err(StoreError::backend)?;
    if changed == 1 {
        return Ok(false);
    }
    let stored: Option<Option<String>> = connection
        .prepare_cached("SELECT credited_message_id FROM marketplace_payouts WHERE id = ?1")
        .and_then(|mut statement| statement.query_row(params![credit.payout], |row| row.get(0)).optional())
        .map_err(StoreError::backend)?;
    match stored {
        None => Err(StoreError::NotFound { what: "marketplace payout" }),
        Some(Some(message_id)) if message_id == credit.message_id => Ok(true),
        Some(Some(_)) => Err(StoreError::Conflict(PAYOUT_CREDITED_OTHERWISE)),
        Some(None) => Err(StoreError::backend(format!("marketplace payout {} was not marked", credit.payout))),
    }
}
