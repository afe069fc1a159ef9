//! The account statement as a use case (issue 6; R-3.1.2.1, R-3.1.2.3, R-6.3.1, R-6.4.6, R-6.2):
//! whose account it may be, whether the user may see (or export) statements, the header every
//! format prints, and the lines, read lazily from the store at one snapshot.
//!
//! Three steps, each a value the next needs, so that no edge can skip one:
//! 1. [`Banking::statement_account`] — the account gate (the same as the payment documents'):
//!    another partner's account, or one an API key may not use, is `NotFound` like an unknown id.
//! 2. [`Banking::statement`] — the information service must not be withheld from the user
//!    the store computes the totals; the header is made. Nothing is read yet but the
//!    totals, so the edge can refuse a statement too long for its format.
//! 3. [`PreparedStatement::open`] — exporting needs its own permission; the read is recorded in
//!    the audit trail; only then are the lines available ([`StatementLines`]).

use std::sync::Arc;

use tiyn_core::access::Permission;
use tiyn_core::{AccountId, TaxpayerId};
use tiyn_identity::{Context, IdentityError, Principal};
pub use tiyn_store::statements::BlockingLines;
use tiyn_store::statements::{LineReader, OwnBank, Period, StatementHeader, StatementTotals};
use tiyn_store::{Account, Store};

use crate::{Banking, BankingError};

/// Audit actions of statements.
pub mod audit_action {
    /// A statement read on screen or through the API as JSON.
    pub const STATEMENT_VIEW: &str = "statements.view";
    /// A statement exported in a file format (R-3.1.2.6).
    pub const STATEMENT_EXPORT: &str = "statements.export";
}

/// Postings per page a statement's lines are read in: one short query each, a few megabytes of
/// lines at most, and few enough queries that a million lines take about two hundred.
pub const STATEMENT_PAGE_POSTINGS: usize = 5_000;

/// What a statement is made for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StatementUse {
    /// Read on screen or as JSON ([`Permission::ViewStatements`]).
    View,
    /// Exported as a file in `format` (`csv`, `xlsx`, `pdf`, …), which also needs
    /// [`Permission::ExportStatements`] (R-3.1.2.6).
    Export { format: &'static str },
}

/// An account the principal may have a statement of: obtained only through the account gate
/// ([`Banking::statement_account`]).
#[derive(Debug, Clone)]
pub struct StatementAccount {
    account: Account,
}

impl StatementAccount {
    pub fn account(&self) -> &Account {
        &self.account
    }
}

/// A statement whose numbers are known and whose lines are not read yet.
#[derive(Debug, Clone)]
pub struct PreparedStatement {
    /// What every format prints before the lines.
    pub header: StatementHeader,
    pub account: Account,
    /// Operations (postings) in the period: each is one line, or two with its commission.
    pub operations: u64,
    lines: StatementLines,
}

/// A statement to deliver: its header and its lines.
#[derive(Debug, Clone)]
pub struct AccountStatement {
    pub header: StatementHeader,
    pub account: Account,
    pub operations: u64,
    pub lines: StatementLines,
}

/// A statement's lines at the snapshot of its totals. Each [`StatementLines::reader`] is a new
/// walk from the first line; every walk gives the same lines.
#[derive(Clone)]
pub struct StatementLines {
    store: Arc<dyn Store>,
    totals: Arc<StatementTotals>,
    bank: OwnBank,
}

impl std::fmt::Debug for StatementLines {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        formatter
            .debug_struct("StatementLines")
            .field("account", &self.totals.account)
            .field("period", &self.totals.period)
            .field("postings", &self.totals.postings)
            .finish()
    }
}

impl StatementLines {
    /// A walk over the lines, page by page.
    pub fn reader(&self) -> LineReader {
        LineReader::new(Arc::clone(&self.store), &self.totals, self.bank.clone(), STATEMENT_PAGE_POSTINGS)
    }

    /// A walk as a blocking iterator, for the writers that take an `Iterator` (run it on a
    /// blocking thread: each page waits for the store on `runtime`). A store error is the last
    /// item.
    pub fn blocking(&self, runtime: tokio::runtime::Handle) -> BlockingLines {
        BlockingLines::new(self.reader(), runtime)
    }
}

impl Banking {
    /// The account gate of statements, the payment documents' own: the principal's partner's
    /// account (and one its API key may use), else `NotFound` exactly like an unknown id.
    pub async fn statement_account(
        &self,
        principal: &Principal,
        id: AccountId,
    ) -> Result<StatementAccount, BankingError> {
        match self.own_account(principal, id, "account").await? {
            Ok(account) => {
                debug_assert!(account.partner.is_some() && account.partner == principal.partner());
                Ok(StatementAccount { account })
            }
            Err(_) => Err(BankingError::NotFound("account")),
        }
    }

    /// The statement of `account` over `period` (at most three years: [`Period`] refuses more):
    /// its numbers from the ledger and its header. The information service must not be withheld
    /// from the user.
    pub async fn statement(
        &self,
        principal: &Principal,
        account: &StatementAccount,
        period: Period,
    ) -> Result<PreparedStatement, BankingError> {
        require(principal, Permission::ViewStatements)?;
        let account = account.account.clone();
        let partner_id =
            account.partner.ok_or_else(|| BankingError::Internal("a statement of a bank account".into()))?;
        let partner = self
            .store
            .partner(partner_id)
            .await?
            .ok_or_else(|| BankingError::Internal(format!("account {} has an unknown partner", account.id)))?;
        let iban = account
            .iban
            .clone()
            .ok_or_else(|| BankingError::Internal(format!("partner account {} has no IBAN", account.id)))?;
        let bank = self.own_bank()?;
        let totals = self.store.statement_totals(account.id, period).await?;
        if totals.currency != account.currency || totals.account != account.id {
            return Err(BankingError::Internal(format!(
                "the statement totals of account {} are another's",
                account.id
            )));
        }
        let created_at = self.now();
        let header = StatementHeader {
            reference: statement_reference(account.id, created_at),
            created_at,
            bank_name: bank.name.clone(),
            bank_bic: bank.bic.clone(),
            account_iban: iban,
            currency: account.currency,
            holder_name: partner.name,
            holder_id: TaxpayerId::Bin(partner.bin),
            period,
            opening: totals.opening,
            closing: totals.closing,
            turnover: totals.turnover,
        };
        // The store checked its sums; the header says the same of itself before any line.
        header
            .check()
            .map_err(|error| BankingError::Internal(format!("statement of account {}: {error}", account.id)))?;
        let operations = totals.postings;
        let lines = StatementLines { store: Arc::clone(&self.store), totals: Arc::new(totals), bank };
        Ok(PreparedStatement { header, account, operations, lines })
    }

    /// This bank as its statements name it: the directory's name and BIC of its bank code.
    pub(crate) fn own_bank(&self) -> Result<OwnBank, BankingError> {
        let entry = self.reference.banks().by_iban_bank_code(&self.config.bank_code).ok_or_else(|| {
            BankingError::Internal(format!("bank code {} is not in the directory", self.config.bank_code))
        })?;
        Ok(OwnBank { name: entry.name_ru().to_owned(), bic: entry.bic().clone() })
    }
}

impl PreparedStatement {
    /// Makes the lines available for `use_`: an export needs its own permission (R-3.1.2.6), and
    /// the read is recorded in the audit trail before any line leaves.
    pub async fn open(
        self,
        banking: &Banking,
        context: &Context,
        principal: &Principal,
        use_: StatementUse,
    ) -> Result<AccountStatement, BankingError> {
        let (action, format) = match use_ {
            StatementUse::View => (audit_action::STATEMENT_VIEW, "view"),
            StatementUse::Export { format } => {
                require(principal, Permission::ExportStatements)?;
                (audit_action::STATEMENT_EXPORT, format)
            }
        };
        let period = self.header.period;
        let details = format!("{}..{}; {format}; {} operations", period.from(), period.to(), self.operations);
        banking
            .identity
            .record_detailed(
                context,
                principal,
                action,
                Some(format!("account:{}", self.account.id)),
                Some(details),
                None,
            )
            .await?;
        Ok(AccountStatement {
            header: self.header,
            account: self.account,
            operations: self.operations,
            lines: self.lines,
        })
    }
}

/// The principal's level must allow `permission`, the bank's restrictions of the `create` level
/// included. The route's rule asks the same; a use case called from elsewhere (the
/// cabinet) must not depend on that.
fn require(principal: &Principal, permission: Permission) -> Result<(), BankingError> {
    if principal.allows(permission) { Ok(()) } else { Err(IdentityError::Forbidden(permission).into()) }
}

/// A statement's own id (MT940's `:20:`, camt.053's `Id`): the instant it was made in base 36
/// (microseconds: ten characters until the year 5188) and the account, unique per account and
/// request, and within MT940's 16 characters for accounts below 100,000.
fn statement_reference(account: AccountId, at: jiff::Timestamp) -> String {
    const DIGITS: &[u8; 36] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ";
    let mut rest = at.as_microsecond().unsigned_abs();
    let mut encoded = Vec::new();
    while rest > 0 || encoded.is_empty() {
        encoded.push(DIGITS[(rest % 36) as usize]);
        rest /= 36;
    }
    encoded.reverse();
    format!("{}-{}", String::from_utf8_lossy(&encoded), account.get())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn references_are_short_and_differ_per_instant_and_account() {
        let at = jiff::Timestamp::from_second(1_767_225_600).expect("instant");
        let later = at + jiff::SignedDuration::from_micros(1);
        let reference = statement_reference(AccountId::new(17), at);
        assert!(reference.len() <= 16, "{reference}");
        assert_ne!(reference, statement_reference(AccountId::new(17), later));
        assert_ne!(reference, statement_reference(AccountId::new(18), at));
    }
}
