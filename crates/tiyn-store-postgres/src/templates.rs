//! Templates of frequent payments on PostgreSQL (R-3.1.1.2). Each write is one statement: the
//! unique name per partner is the database's constraint, so concurrent saves of one name from
//! several processes keep exactly one.

use sqlx::postgres::PgRow;
use sqlx::{AssertSqlSafe, PgPool, Row};
use tiyn_core::PartnerId;
use tiyn_store::StoreError;
use tiyn_store::templates::{
    NewPaymentTemplate, PaymentTemplate, TEMPLATE_COLUMNS, TEMPLATES_MAX, TemplateColumns, TemplateId, TemplateRow,
};

use crate::unique_or_backend;

// Every `AssertSqlSafe` below splices only the constant column list of `tiyn_store::templates`.

/// What a duplicate name (or an unknown id) is.
const TEMPLATE: &str = "payment template";

fn template_row(row: &PgRow) -> Result<TemplateRow, sqlx::Error> {
    Ok(TemplateRow {
        id: row.try_get(0)?,
        partner_id: row.try_get(1)?,
        name: row.try_get(2)?,
        kind: row.try_get(3)?,
        payer_account_id: row.try_get(4)?,
        currency: row.try_get(5)?,
        amount: row.try_get(6)?,
        knp: row.try_get(7)?,
        purpose: row.try_get(8)?,
        payee_account_id: row.try_get(9)?,
        payee_name: row.try_get(10)?,
        payee_bin: row.try_get(11)?,
        payee_iban: row.try_get(12)?,
        payee_bic: row.try_get(13)?,
        kbe: row.try_get(14)?,
        kbk: row.try_get(15)?,
        created_by: row.try_get(16)?,
        created_at: row.try_get(17)?,
        foreign_fields: row.try_get(18)?,
    })
}

fn record(row: &PgRow) -> Result<PaymentTemplate, StoreError> {
    template_row(row).map_err(StoreError::backend)?.into_record()
}

pub async fn create(pool: &PgPool, template: &NewPaymentTemplate) -> Result<PaymentTemplate, StoreError> {
    let columns = TemplateColumns::of(template)?;
    let sql = AssertSqlSafe(format!(
        "INSERT INTO payment_templates (partner_id, name, kind, payer_account_id, currency, amount, knp, purpose,
             payee_account_id, payee_name, payee_bin, payee_iban, payee_bic, kbe, kbk, created_by, created_at,
             foreign_fields)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18)
         RETURNING {TEMPLATE_COLUMNS}"
    ));
    let row = sqlx::query(sql)
        .bind(columns.partner_id)
        .bind(columns.name)
        .bind(columns.kind)
        .bind(columns.payer_account_id)
        .bind(columns.currency)
        .bind(columns.amount)
        .bind(columns.knp)
        .bind(columns.purpose)
        .bind(columns.payee_account_id)
        .bind(columns.payee_name)
        .bind(columns.payee_bin)
        .bind(columns.payee_iban)
        .bind(columns.payee_bic)
        .bind(columns.kbe)
        .bind(columns.kbk)
        .bind(columns.created_by)
        .bind(columns.created_at)
        .bind(columns.foreign_fields)
        .fetch_one(pool)
        .await
        .map_err(|error| unique_or_backend(error, TEMPLATE))?;
    record(&row)
}

pub async fn get(pool: &PgPool, partner: PartnerId, id: TemplateId) -> Result<Option<PaymentTemplate>, StoreError> {
    let sql =
        AssertSqlSafe(format!("SELECT {TEMPLATE_COLUMNS} FROM payment_templates WHERE id = $1 AND partner_id = $2"));
    let row =
        sqlx::query(sql).bind(id.get()).bind(partner.get()).fetch_optional(pool).await.map_err(StoreError::backend)?;
    row.as_ref().map(record).transpose()
}

pub async fn list(pool: &PgPool, partner: PartnerId) -> Result<Vec<PaymentTemplate>, StoreError> {
    let sql = AssertSqlSafe(format!(
        "SELECT {TEMPLATE_COLUMNS} FROM payment_templates WHERE partner_id = $1 ORDER BY name, id LIMIT {TEMPLATES_MAX}"
    ));
    let rows = sqlx::query(sql).bind(partner.get()).fetch_all(pool).await.map_err(StoreError::backend)?;
    rows.iter().map(record).collect()
}

pub async fn delete(pool: &PgPool, partner: PartnerId, id: TemplateId) -> Result<(), StoreError> {
    let deleted = sqlx::query("DELETE FROM payment_templates WHERE id = $1 AND partner_id = $2")
        .bind(id.get())
        .bind(partner.get())
        .execute(pool)
        .await
        .map_err(StoreError::backend)?
        .rows_affected();
    if deleted == 0 {
        return Err(StoreError::NotFound { what: TEMPLATE });
    }
    Ok(())
}
