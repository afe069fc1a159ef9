//! Templates of frequent payments on SQLite (R-3.1.1.2). Writes run on the writer thread, each in
//! its own savepoint of the group commit.

use rusqlite::{Connection, OptionalExtension, Row, params};
use tiyn_core::PartnerId;
use tiyn_store::StoreError;
use tiyn_store::templates::{
    NewPaymentTemplate, PaymentTemplate, TEMPLATE_COLUMNS, TEMPLATES_MAX, TemplateColumns, TemplateId, TemplateRow,
};

use crate::unique_or_backend;

/// What a duplicate name is.
const TEMPLATE: &str = "payment template";

fn template_row(row: &Row<'_>) -> rusqlite::Result<TemplateRow> {
    Ok(TemplateRow {
        id: row.get(0)?,
        partner_id: row.get(1)?,
        name: row.get(2)?,
        kind: row.get(3)?,
        payer_account_id: row.get(4)?,
        currency: row.get(5)?,
        amount: row.get(6)?,
        knp: row.get(7)?,
        purpose: row.get(8)?,
        payee_account_id: row.get(9)?,
        payee_name: row.get(10)?,
        payee_bin: row.get(11)?,
        payee_iban: row.get(12)?,
        payee_bic: row.get(13)?,
        kbe: row.get(14)?,
        kbk: row.get(15)?,
        created_by: row.get(16)?,
        created_at: row.get(17)?,
        foreign_fields: row.get(18)?,
    })
}

pub fn create(connection: &mut Connection, template: &NewPaymentTemplate) -> Result<PaymentTemplate, StoreError> {
    let columns = TemplateColumns::of(template)?;
    let savepoint = connection.savepoint().map_err(StoreError::backend)?;
    let id = savepoint
        .query_row(
            "INSERT INTO payment_templates (partner_id, name, kind, payer_account_id, currency, amount, knp, purpose,
                 payee_account_id, payee_name, payee_bin, payee_iban, payee_bic, kbe, kbk, created_by, created_at,
                 foreign_fields)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18) RETURNING id",
            params![
                columns.partner_id,
                columns.name,
                columns.kind,
                columns.payer_account_id,
                columns.currency,
                columns.amount,
                columns.knp,
                columns.purpose,
                columns.payee_account_id,
                columns.payee_name,
                columns.payee_bin,
                columns.payee_iban,
                columns.payee_bic,
                columns.kbe,
                columns.kbk,
                columns.created_by,
                columns.created_at,
                columns.foreign_fields
            ],
            |row| row.get::<_, i64>(0),
        )
        .map_err(|error| unique_or_backend(error, TEMPLATE))?;
    let stored = get(&savepoint, PartnerId::new(columns.partner_id), TemplateId::new(id))?
        .ok_or_else(|| StoreError::backend("a template just written is missing"))?;
    savepoint.commit().map_err(StoreError::backend)?;
    Ok(stored)
}

pub fn get(connection: &Connection, partner: PartnerId, id: TemplateId) -> Result<Option<PaymentTemplate>, StoreError> {
    let sql = format!("SELECT {TEMPLATE_COLUMNS} FROM payment_templates WHERE id = ?1 AND partner_id = ?2");
    let row = connection
        .prepare_cached(&sql)
        .and_then(|mut statement| statement.query_row(params![id.get(), partner.get()], template_row).optional())
        .map_err(StoreError::backend)?;
    row.map(TemplateRow::into_record).transpose()
}

pub fn list(connection: &Connection, partner: PartnerId) -> Result<Vec<PaymentTemplate>, StoreError> {
    let sql = format!(
        "SELECT {TEMPLATE_COLUMNS} FROM payment_templates WHERE partner_id = ?1 ORDER BY name, id LIMIT {TEMPLATES_MAX}"
    );
    let mut statement = connection.prepare_cached(&sql).map_err(StoreError::backend)?;
    let rows = statement.query_map(params![partner.get()], template_row).map_err(StoreError::backend)?;
    rows.map(|row| row.map_err(StoreError::backend)?.into_record()).collect()
}

pub fn delete(connection: &mut Connection, partner: PartnerId, id: TemplateId) -> Result<(), StoreError> {
    let deleted = connection
        .execute("DELETE FROM payment_templates WHERE id = ?1 AND partner_id = ?2", params![id.get(), partner.get()])
        .map_err(StoreError::backend)?;
    if deleted == 0 {
        return Err(StoreError::NotFound { what: TEMPLATE });
    }
    Ok(())
}
