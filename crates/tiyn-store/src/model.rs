//! The records the store returns and accepts.

use jiff::Timestamp;
use tiyn_core::access::InformationRestrictions;
use tiyn_core::iban::Iban;
use tiyn_core::iin::Bin;
use tiyn_core::{AccountId, Currency, Money, PartnerId};
use tiyn_ledger::{AccountStatus, BalancePolicy};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewPartner {
    pub name: String,
    pub bin: Bin,
    pub legal_address: String,
    pub created_at: Timestamp,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Partner {
    pub id: PartnerId,
    pub name: String,
    pub bin: Bin,
    pub legal_address: String,
    pub created_at: Timestamp,
    /// Information services the bank withholds from this partner's `create`-level users.
    pub withheld: InformationRestrictions,
}

/// What an account is for. Partner accounts belong to a partner and have an IBAN; the others are
/// the bank's own, one per kind and currency.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum AccountKind {
    /// A partner's current account.
    PartnerCurrent,
    /// The bank's equity: the other side of opening balances and of money created in the demo.
    BankEquity,
    /// Commissions earned.
    BankFees,
    /// The bank's open currency position: the other side of conversions.
    BankFxPosition,
    /// Money in transit to and from other banks through the interbank gateway.
    BankClearing,
    /// Money that cannot be applied yet (unidentified incoming credits).
    BankSuspense,
    /// The bank's FX income: the margin of each conversion, visible as income (R-3.1.1.4).
    BankFxIncome,
    /// What the roundings of conversions leave, so that no minor unit is created or lost.
    BankRounding,
}

impl AccountKind {
    pub const ALL: [AccountKind; 8] = [
        AccountKind::PartnerCurrent,
        AccountKind::BankEquity,
        AccountKind::BankFees,
        AccountKind::BankFxPosition,
        AccountKind::BankClearing,
        AccountKind::BankSuspense,
        AccountKind::BankFxIncome,
        AccountKind::BankRounding,
    ];

    pub const fn as_str(self) -> &'static str {
        match self {
            AccountKind::PartnerCurrent => "partner_current",
            AccountKind::BankEquity => "bank_equity",
            AccountKind::BankFees => "bank_fees",
            AccountKind::BankFxPosition => "bank_fx_position",
            AccountKind::BankClearing => "bank_clearing",
            AccountKind::BankSuspense => "bank_suspense",
            AccountKind::BankFxIncome => "bank_fx_income",
            AccountKind::BankRounding => "bank_rounding",
        }
    }

    pub fn parse(code: &str) -> Option<AccountKind> {
        AccountKind::ALL.into_iter().find(|kind| kind.as_str() == code)
    }

    /// Partner money may never go below zero; the bank's own accounts mirror it and may.
    pub const fn policy(self) -> BalancePolicy {
        match self {
            AccountKind::PartnerCurrent => BalancePolicy::NonNegative,
            _ => BalancePolicy::Unrestricted,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewAccount {
    /// The partner that owns the account: present exactly when `kind` is `PartnerCurrent`.
    pub partner: Option<PartnerId>,
    pub iban: Option<Iban>,
    pub currency: Currency,
    pub kind: AccountKind,
    pub name: String,
    pub created_at: Timestamp,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Account {
    pub id: AccountId,
    pub partner: Option<PartnerId>,
    pub iban: Option<Iban>,
    pub currency: Currency,
    pub kind: AccountKind,
    pub name: String,
    pub status: AccountStatus,
    /// Posted balance: the sum of the account's postings.
    pub balance: Money,
    /// Sum of active holds.
    pub held: Money,
    pub created_at: Timestamp,
}

impl Account {
    /// What can still be spent: balance less holds.
    pub fn available(&self) -> Money {
        Money::from_minor(self.balance.minor() - self.held.minor(), self.currency)
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CurrencyTotal {
    pub currency: Currency,
    /// Sum of all postings in minor units; zero in a sound ledger. i128 because a sum of i64
    /// postings can exceed i64 in its intermediate steps.
    pub sum_minor: i128,
    pub postings: u64,
}

/// The result of [`crate::Store::check_ledger`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LedgerCheck {
    pub totals: Vec<CurrencyTotal>,
    /// Accounts whose stored balance differs from the sum of their postings.
    pub balance_mismatches: Vec<AccountId>,
    /// Partner accounts whose available balance is below zero.
    pub negative_partner_accounts: Vec<AccountId>,
}

impl LedgerCheck {
    pub fn is_sound(&self) -> bool {
        self.totals.iter().all(|total| total.sum_minor == 0)
            && self.balance_mismatches.is_empty()
            && self.negative_partner_accounts.is_empty()
    }
}

/// Whether a commit survives a power loss.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Durability {
    Durable,
    /// Commits may be lost; the reason names the setting (`synchronous=NORMAL`, `fsync=off`, …).
    NotDurable(String),
}
