//! Postings and balanced journal entries.

use std::collections::BTreeMap;

use tiyn_core::{AccountId, Amount, Currency, Money};

use crate::LedgerError;

/// The most postings one journal entry may have. A payment with a fee has four; a conversion
/// through the FX position has four; 64 leaves room for batch payouts without letting one entry
/// lock an unbounded number of accounts.
pub const ENTRY_POSTINGS_MAX: usize = 64;

/// One leg of a journal entry: a signed change of one account's balance. Positive credits the
/// account (its balance grows), negative debits it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Posting {
    pub account: AccountId,
    pub amount: Money,
}

/// A set of postings that sums to zero in every currency. The only way to build one is
/// [`JournalEntry::new`], which checks that; the store checks the sum again inside the transaction.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JournalEntry {
    postings: Vec<Posting>,
}

impl JournalEntry {
    pub fn new(postings: Vec<Posting>) -> Result<JournalEntry, LedgerError> {
        if postings.len() < 2 || postings.len() > ENTRY_POSTINGS_MAX {
            return Err(LedgerError::InvalidEntry("an entry has between 2 and 64 postings"));
        }
        if postings.iter().any(|posting| posting.amount.is_zero()) {
            return Err(LedgerError::InvalidEntry("a posting of zero moves nothing"));
        }
        let mut sums: BTreeMap<Currency, i128> = BTreeMap::new();
        for posting in &postings {
            *sums.entry(posting.amount.currency()).or_default() += i128::from(posting.amount.minor());
        }
        if sums.values().any(|sum| *sum != 0) {
            return Err(LedgerError::InvalidEntry("the postings do not balance in every currency"));
        }
        Ok(JournalEntry { postings })
    }

    /// The two-legged entry that moves `amount` from `from` to `to`.
    pub fn transfer(from: AccountId, to: AccountId, amount: Amount) -> Result<JournalEntry, LedgerError> {
        if from == to {
            return Err(LedgerError::InvalidEntry("a transfer needs two different accounts"));
        }
        let debit = amount.money().checked_neg().map_err(|_| LedgerError::Overflow)?;
        JournalEntry::new(vec![
            Posting { account: from, amount: debit },
            Posting { account: to, amount: amount.money() },
        ])
    }

    /// The entry that undoes this one: every posting negated. Postings are never changed or
    /// deleted; a correction is always a new entry.
    pub fn reversal(&self) -> Result<JournalEntry, LedgerError> {
        let postings = self
            .postings
            .iter()
            .map(|posting| {
                let amount = posting.amount.checked_neg().map_err(|_| LedgerError::Overflow)?;
                Ok(Posting { account: posting.account, amount })
            })
            .collect::<Result<Vec<_>, LedgerError>>()?;
        JournalEntry::new(postings)
    }

    pub fn postings(&self) -> &[Posting] {
        &self.postings
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn kzt(minor: i64) -> Money {
        Money::from_minor(minor, Currency::Kzt)
    }

    #[test]
    fn refuses_unbalanced_and_degenerate_entries() {
        let (a, b) = (AccountId::new(1), AccountId::new(2));
        let unbalanced = vec![Posting { account: a, amount: kzt(-100) }, Posting { account: b, amount: kzt(99) }];
        assert!(JournalEntry::new(unbalanced).is_err());
        let mixed = vec![
            Posting { account: a, amount: kzt(-100) },
            Posting { account: b, amount: Money::from_minor(100, Currency::Usd) },
        ];
        assert!(JournalEntry::new(mixed).is_err(), "balanced in sum but not per currency");
        assert!(
            JournalEntry::new(vec![Posting { account: a, amount: kzt(0) }, Posting { account: b, amount: kzt(0) }])
                .is_err()
        );
        let one = Amount::new(kzt(1)).unwrap();
        assert!(JournalEntry::transfer(a, a, one).is_err());
    }

    proptest! {
        #[test]
        fn transfers_and_their_reversals_balance(minor in 1_i64..i64::MAX) {
            let amount = Amount::new(kzt(minor)).unwrap();
            let entry = JournalEntry::transfer(AccountId::new(1), AccountId::new(2), amount).unwrap();
            let reversal = entry.reversal().unwrap();
            let total: i128 = entry.postings().iter().chain(reversal.postings()).map(|p| i128::from(p.amount.minor())).sum();
            prop_assert_eq!(total, 0);
            prop_assert_eq!(reversal.reversal().unwrap(), entry);
        }
    }
}
