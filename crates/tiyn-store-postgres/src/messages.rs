//! Notices and marketplace reports on PostgreSQL (issue 6, R-3.1.2.8). A notice's key and a
//! report's id are claimed with `INSERT … ON CONFLICT DO NOTHING`, so two processes publishing or
//! ingesting the same thing keep one row and the loser compares contents; a report's orders and
//! payouts are written in the transaction that claims its id.

use sqlx::postgres::PgRow;
use sqlx::{AssertSqlSafe, PgPool, Row};
use tiyn_core::PartnerId;
use tiyn_store::StoreError;
use tiyn_store::messages::{
    CreditMarketplacePayout, IDEMPOTENCY_CONFLICT, MarketplaceReport, MarketplaceReportSummary, NOTICE_COLUMNS,
    NOTICES_PAGE_MAX, NewMarketplaceReport, NewNotice, Notice, NoticeAudience, NoticeCursor, NoticePublished,
    NoticeQuery, NoticeRow, ORDER_COLUMNS, OrderRow, PAYOUT_COLUMNS, PAYOUT_CREDITED_OTHERWISE, PLANNED_PAYOUT_COLUMNS,
    PLANNED_PAYOUTS_MAX, PayoutRow, PlannedPayout, PlannedPayoutRow, REPORT_ORDERS_MAX, REPORT_PAYOUTS_MAX,
    REPORTS_PAGE_MAX, ReportIngested, SUMMARY_COLUMNS, SummaryRow,
};

// Every `AssertSqlSafe` below splices only constants of `tiyn_store::messages` and of this module.

fn notice(row: &PgRow) -> Result<Notice, StoreError> {
    let read = || -> Result<NoticeRow, sqlx::Error> {
        Ok(NoticeRow {
            id: row.try_get(0)?,
            partner_id: row.try_get(1)?,
            kind: row.try_get(2)?,
            title: row.try_get(3)?,
            body: row.try_get(4)?,
            published_at: row.try_get(5)?,
            published_by: row.try_get(6)?,
        })
    };
    read().map_err(StoreError::backend)?.into_notice()
}

fn summary(row: &PgRow) -> Result<MarketplaceReportSummary, StoreError> {
    let read = || -> Result<SummaryRow, sqlx::Error> {
        Ok(SummaryRow {
            id: row.try_get(0)?,
            report_id: row.try_get(1)?,
            partner_id: row.try_get(2)?,
            period_from: row.try_get(3)?,
            period_to: row.try_get(4)?,
            currency: row.try_get(5)?,
            received_at: row.try_get(6)?,
            orders: row.try_get(7)?,
            sales: row.try_get(8)?,
            commission: row.try_get(9)?,
            paid_out: row.try_get(10)?,
            payouts: row.try_get(11)?,
            unpaid_orders: row.try_get(12)?,
        })
    };
    read().map_err(StoreError::backend)?.into_summary()
}

pub async fn publish(pool: &PgPool, new: &NewNotice) -> Result<NoticePublished, StoreError> {
    new.validate()?;
    let sql = AssertSqlSafe(format!(
        "INSERT INTO notices (partner_id, kind, title, body, published_at, published_by, idempotency_key)
         VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (idempotency_key) DO NOTHING RETURNING {NOTICE_COLUMNS}"
    ));
    let inserted = sqlx::query(sql)
        .bind(new.partner.map(PartnerId::get))
        .bind(new.kind.as_str())
        .bind(&new.title)
        .bind(&new.text)
        .bind(new.published_at.as_microsecond())
        .bind(&new.published_by)
        .bind(&new.key)
        .fetch_optional(pool)
        .await
        .map_err(StoreError::backend)?;
    if let Some(row) = inserted {
        return Ok(NoticePublished { notice: notice(&row)?, replayed: false });
    }
    // Only a key can conflict: the notice published first under it decides.
    let sql = AssertSqlSafe(format!("SELECT {NOTICE_COLUMNS} FROM notices WHERE idempotency_key = $1"));
    let row = sqlx::query(sql)
        .bind(&new.key)
        .fetch_optional(pool)
        .await
        .map_err(StoreError::backend)?
        .ok_or_else(|| StoreError::backend("a notice key in conflict is missing"))?;
    let stored = notice(&row)?;
    if new.same_content(&stored) {
        Ok(NoticePublished { notice: stored, replayed: true })
    } else {
        Err(StoreError::Conflict(IDEMPOTENCY_CONFLICT))
    }
}

pub async fn notices(pool: &PgPool, query: &NoticeQuery) -> Result<Vec<Notice>, StoreError> {
    let limit = query.limit.clamp(1, NOTICES_PAGE_MAX) as i64;
    let after = query.after.unwrap_or(NoticeCursor::START);
    let (filter, partner) = match query.audience {
        NoticeAudience::Partner(partner) => ("(partner_id = $1 OR partner_id IS NULL)", partner.get()),
        NoticeAudience::Bank => ("$1 = $1", 0),
    };
    let sql = AssertSqlSafe(format!(
        "SELECT {NOTICE_COLUMNS} FROM notices WHERE {filter}
           AND (published_at < $2 OR (published_at = $2 AND id < $3))
         ORDER BY published_at DESC, id DESC LIMIT $4"
    ));
    let rows = sqlx::query(sql)
        .bind(partner)
        .bind(after.published_at_us)
        .bind(after.id)
        .bind(limit)
        .fetch_all(pool)
        .await
        .map_err(StoreError::backend)?;
    rows.iter().map(notice).collect()
}

pub async fn ingest_report(pool: &PgPool, report: &NewMarketplaceReport) -> Result<ReportIngested, StoreError> {
    report.validate()?;
    let mut transaction = pool.begin().await.map_err(StoreError::backend)?;
    let inserted: Option<i64> = sqlx::query_scalar(
        "INSERT INTO marketplace_reports (report_id, partner_id, period_from, period_to, currency, content_digest,
             received_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (report_id) DO NOTHING RETURNING id",
    )
    .bind(&report.report_id)
    .bind(report.partner.get())
    .bind(report.period_from.to_string())
    .bind(report.period_to.to_string())
    .bind(report.currency.code())
    .bind(&report.content_digest)
    .bind(report.received_at.as_microsecond())
    .fetch_optional(&mut *transaction)
    .await
    .map_err(StoreError::backend)?;
    let Some(id) = inserted else {
        let (id, digest): (i64, String) =
            sqlx::query_as("SELECT id, content_digest FROM marketplace_reports WHERE report_id = $1")
                .bind(&report.report_id)
                .fetch_one(&mut *transaction)
                .await
                .map_err(StoreError::backend)?;
        transaction.rollback().await.map_err(StoreError::backend)?;
        return if digest == report.content_digest {
            Ok(ReportIngested { id, replayed: true })
        } else {
            Err(StoreError::Conflict(IDEMPOTENCY_CONFLICT))
        };
    };
    let mut payout_ids = std::collections::HashMap::new();
    for payout in &report.payouts {
        let payout_row: i64 = sqlx::query_scalar(
            "INSERT INTO marketplace_payouts (report, payout_id, paid_on, amount, account_iban)
             VALUES ($1, $2, $3, $4, $5) RETURNING id",
        )
        .bind(id)
        .bind(&payout.payout_id)
        .bind(payout.paid_on.to_string())
        .bind(payout.amount.minor())
        .bind(&payout.account_iban)
        .fetch_one(&mut *transaction)
        .await
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
        sqlx::query(
            "INSERT INTO marketplace_orders (report, order_id, sold_at, amount, commission, payout)
             VALUES ($1, $2, $3, $4, $5, $6)",
        )
        .bind(id)
        .bind(&order.order_id)
        .bind(order.sold_at.as_microsecond())
        .bind(order.amount.minor())
        .bind(order.commission.minor())
        .bind(payout)
        .execute(&mut *transaction)
        .await
        .map_err(StoreError::backend)?;
    }
    transaction.commit().await.map_err(StoreError::backend)?;
    Ok(ReportIngested { id, replayed: false })
}

pub async fn reports(
    pool: &PgPool,
    partner: PartnerId,
    before: Option<i64>,
    limit: usize,
) -> Result<Vec<MarketplaceReportSummary>, StoreError> {
    let limit = limit.clamp(1, REPORTS_PAGE_MAX) as i64;
    let sql = AssertSqlSafe(format!(
        "SELECT {SUMMARY_COLUMNS} FROM marketplace_reports r WHERE r.partner_id = $1 AND r.id < $2
         ORDER BY r.id DESC LIMIT $3"
    ));
    let rows = sqlx::query(sql)
        .bind(partner.get())
        .bind(before.unwrap_or(i64::MAX))
        .bind(limit)
        .fetch_all(pool)
        .await
        .map_err(StoreError::backend)?;
    rows.iter().map(summary).collect()
}

pub async fn report(
    pool: &PgPool,
    partner: PartnerId,
    report_id: &str,
) -> Result<Option<MarketplaceReport>, StoreError> {
    let sql = AssertSqlSafe(format!(
        "SELECT {SUMMARY_COLUMNS} FROM marketplace_reports r WHERE r.partner_id = $1 AND r.report_id = $2"
    ));
    let row =
        sqlx::query(sql).bind(partner.get()).bind(report_id).fetch_optional(pool).await.map_err(StoreError::backend)?;
    let Some(row) = row else { return Ok(None) };
    let summary = summary(&row)?;
    let currency = summary.currency;
    let sql = AssertSqlSafe(format!(
        "SELECT {ORDER_COLUMNS} FROM marketplace_orders o LEFT JOIN marketplace_payouts p ON p.id = o.payout
         WHERE o.report = $1 ORDER BY o.sold_at, o.id LIMIT {REPORT_ORDERS_MAX}"
    ));
    let rows = sqlx::query(sql).bind(summary.id).fetch_all(pool).await.map_err(StoreError::backend)?;
    let orders = rows
        .iter()
        .map(|row| {
            let read = || -> Result<OrderRow, sqlx::Error> {
                Ok(OrderRow {
                    order_id: row.try_get(0)?,
                    sold_at: row.try_get(1)?,
                    amount: row.try_get(2)?,
                    commission: row.try_get(3)?,
                    payout_id: row.try_get(4)?,
                })
            };
            read().map_err(StoreError::backend)?.into_order(currency)
        })
        .collect::<Result<Vec<_>, _>>()?;
    let sql = AssertSqlSafe(format!(
        "SELECT {PAYOUT_COLUMNS} FROM marketplace_payouts p WHERE p.report = $1 ORDER BY p.paid_on, p.id
         LIMIT {REPORT_PAYOUTS_MAX}"
    ));
    let rows = sqlx::query(sql).bind(summary.id).fetch_all(pool).await.map_err(StoreError::backend)?;
    let payouts = rows
        .iter()
        .map(|row| {
            let read = || -> Result<PayoutRow, sqlx::Error> {
                Ok(PayoutRow {
                    payout_id: row.try_get(0)?,
                    paid_on: row.try_get(1)?,
                    amount: row.try_get(2)?,
                    account_iban: row.try_get(3)?,
                    credited_at: row.try_get(4)?,
                })
            };
            read().map_err(StoreError::backend)?.into_payout(currency)
        })
        .collect::<Result<Vec<_>, _>>()?;
    debug_assert_eq!(orders.len() as u64, summary.orders);
    Ok(Some(MarketplaceReport { summary, orders, payouts }))
}

// ----- Marketplace payouts in planned credits (issue 6, R-3.1.2.5) -----

fn planned_payout(row: &PgRow) -> Result<PlannedPayout, StoreError> {
    let read = || -> Result<PlannedPayoutRow, sqlx::Error> {
        Ok(PlannedPayoutRow {
            report: row.try_get(0)?,
            payout: row.try_get(1)?,
            partner_id: row.try_get(2)?,
            report_id: row.try_get(3)?,
            payout_id: row.try_get(4)?,
            paid_on: row.try_get(5)?,
            amount: row.try_get(6)?,
            currency: row.try_get(7)?,
            account_iban: row.try_get(8)?,
            orders: row.try_get(9)?,
            credited_message_id: row.try_get(10)?,
            credited_at: row.try_get(11)?,
        })
    };
    read().map_err(StoreError::backend)?.into_planned()
}

pub async fn planned_payouts(pool: &PgPool, partner: PartnerId) -> Result<Vec<PlannedPayout>, StoreError> {
    let sql = AssertSqlSafe(format!(
        "SELECT {PLANNED_PAYOUT_COLUMNS} FROM marketplace_reports r JOIN marketplace_payouts p ON p.report = r.id
         WHERE r.partner_id = $1 AND p.credited_message_id IS NULL
         ORDER BY p.paid_on, p.id LIMIT {PLANNED_PAYOUTS_MAX}"
    ));
    let rows = sqlx::query(sql).bind(partner.get()).fetch_all(pool).await.map_err(StoreError::backend)?;
    let planned = rows.iter().map(planned_payout).collect::<Result<Vec<_>, StoreError>>()?;
    debug_assert!(planned.iter().all(|payout| payout.partner == partner && payout.credited.is_none()));
    Ok(planned)
}

pub async fn payout(
    pool: &PgPool,
    partner: PartnerId,
    report_id: &str,
    payout_id: &str,
) -> Result<Option<PlannedPayout>, StoreError> {
    let sql = AssertSqlSafe(format!(
        "SELECT {PLANNED_PAYOUT_COLUMNS} FROM marketplace_reports r JOIN marketplace_payouts p ON p.report = r.id
         WHERE r.partner_id = $1 AND r.report_id = $2 AND p.payout_id = $3"
    ));
    let row = sqlx::query(sql)
        .bind(partner.get())
        .bind(report_id)
        .bind(payout_id)
        .fetch_optional(pool)
        .await
        .map_err(StoreError::backend)?;
    row.as_ref().map(planned_payout).transpose()
}

/// One conditional update, safe with several processes: of two concurrent marks the row lock
/// lets one through and the other re-reads the stored credit (READ COMMITTED re-evaluates the
/// condition on the new row version), so a payout is credited at most once.
pub async fn credit_payout(pool: &PgPool, credit: &CreditMarketplacePayout) -> Result<bool, StoreError> {
    credit.validate()?;
    let changed = sqlx::query(
        "UPDATE marketplace_payouts SET credited_message_id = $1, credited_at = $2
         WHERE id = $3 AND credited_message_id IS NULL",
    )
    .bind(&credit.message_id)
    .bind(credit.at.as_microsecond())
    .bind(credit.payout)
    .execute(pool)
    .await
    .map_err(StoreError::backend)?
    .rows_affected();
    if changed == 1 {
        return Ok(false);
    }
    let stored: Option<Option<String>> =
        sqlx::query_scalar("SELECT credited_message_id FROM marketplace_payouts WHERE id = $1")
            .bind(credit.payout)
            .fetch_optional(pool)
            .await
            .map_err(StoreError::backend)?;
    match stored {
        None => Err(StoreError::NotFound { what: "marketplace payout" }),
        Some(Some(message_id)) if message_id == credit.message_id => Ok(true),
        Some(Some(_)) => Err(StoreError::Conflict(PAYOUT_CREDITED_OTHERWISE)),
        Some(None) => Err(StoreError::backend(format!("marketplace payout {} was not marked", credit.payout))),
    }
}
