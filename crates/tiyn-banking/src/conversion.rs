//! Conversions between a partner's accounts in different currencies (issue 5, R-3.1.1.4).
//!
//! A `conversion` document names the payer account, the payee account and an amount: in the
//! payer's currency it is what is sold, in the payee's what is bought. The user asks for a quote
//! ([`Banking::quote_conversion`]); the quote holds the bank's rates in force for
//! [`BankingConfig::conversion_quote_ttl`](crate::BankingConfig). Opening a confirmation quotes
//! every conversion of the batch at the rates in force then and binds the quotes (rate ids,
//! amounts, expiry) into the digest the code confirms, so the SMS and the code cover the amounts
//! the user saw. Confirming after the quote expired is refused (`quote_expired`): the user opens a
//! new confirmation, sees the new amounts, and confirms those. A conversion with a later value
//! date converts at the rates in force on that day.
//!
//! The entry posts through the bank's FX position accounts in both currencies, so each currency
//! stays zero-sum; the margin goes to the bank's FX income account and what the roundings leave
//! to its rounding account ([`tiyn_fx::Conversion::postings`]). A conversion's commission (the
//! tariff's, usually none: the margin is the bank's income) is computed on what is sold, in the
//! payer account's currency, and posted in the same entry.

use jiff::{SignedDuration, Timestamp};
use sha2::{Digest, Sha256};
use tiyn_core::{AccountId, Amount, Currency, Rounding};
use tiyn_fx::{Conversion, ConversionAmount, ConversionError, FxAccounts, RatesInForce};
use tiyn_identity::Principal;
use tiyn_ledger::Posting;
use tiyn_payments::{Document, Payee, fields};
use tiyn_store::AccountKind;

use crate::{Banking, BankingError};

/// How conversions round: to the minor unit of the target currency, half up (the issue's
/// default; what each roundings leaves goes to the bank's rounding account).
pub const CONVERSION_ROUNDING: Rounding = Rounding::HalfUp;

/// Stable codes of conversions, as conflicts.
pub mod codes {
    /// The confirmation's quote expired before the code was entered: open a new confirmation.
    pub const QUOTE_EXPIRED: &str = "quote_expired";
    /// The rates the confirmation was quoted at no longer give the same amounts.
    pub const QUOTE_CHANGED: &str = "quote_changed";
    /// The bank has no rate in force for the currencies.
    pub const NO_RATE: &str = "no_rate";
}

/// A conversion at the rates in force at `quoted_at`, held until `expires_at`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConversionQuote {
    pub conversion: Conversion,
    pub quoted_at: Timestamp,
    pub expires_at: Timestamp,
}

/// The conversion of `amount` from `payer` to `payee` currency at `rates`: a sale when the
/// amount is in the payer's currency, a purchase when it is in the payee's.
pub(crate) fn convert_at(
    payer: Currency,
    payee: Currency,
    amount: Amount,
    rates: &RatesInForce,
) -> Result<Conversion, BankingError> {
    let fixed = if amount.currency() == payer {
        ConversionAmount::Sell(amount.money())
    } else {
        ConversionAmount::Buy(amount.money())
    };
    tiyn_fx::convert(payer, payee, fixed, rates, CONVERSION_ROUNDING).map_err(conversion_error)
}

/// A conversion error as the use cases answer it: a missing rate is the bank's state, the rest
/// are about the amount.
pub(crate) fn conversion_error(error: ConversionError) -> BankingError {
    match error {
        ConversionError::NoRate { .. } => BankingError::Conflict(codes::NO_RATE),
        ConversionError::NoAccounts(_) => BankingError::Internal(error.to_string()),
        other => BankingError::Invalid(vec![tiyn_payments::FieldError {
            field: fields::AMOUNT,
            code: other.code(),
            detail: other.to_string(),
        }]),
    }
}

/// The bytes a quote adds to the digest a confirmation code is bound to: the document, every
/// leg's rate id and applied rate, the amounts and the expiry.
pub(crate) fn quote_bytes(document: tiyn_payments::DocumentId, quote: &ConversionQuote) -> Vec<u8> {
    let mut out = Vec::with_capacity(128);
    out.extend_from_slice(&document.get().to_be_bytes());
    for leg in &quote.conversion.legs {
        out.extend_from_slice(&leg.rate.get().to_be_bytes());
        out.extend_from_slice(leg.applied.to_string().as_bytes());
        out.push(0);
    }
    for money in [quote.conversion.debit, quote.conversion.credit] {
        out.extend_from_slice(&money.minor().to_be_bytes());
        out.extend_from_slice(money.currency().code().as_bytes());
    }
    out.extend_from_slice(&quote.expires_at.as_microsecond().to_be_bytes());
    out
}

/// The digest a confirmation code is bound to: the batch's own digest, and, when the batch has
/// conversions, their quotes.
pub(crate) fn bound_digest(batch: [u8; 32], quotes: &[(tiyn_payments::DocumentId, ConversionQuote)]) -> [u8; 32] {
    if quotes.is_empty() {
        return batch;
    }
    let mut hasher = Sha256::new();
    hasher.update(b"tiyn-signing-quotes-v1");
    hasher.update(batch);
    for (document, quote) in quotes {
        let bytes = quote_bytes(*document, quote);
        hasher.update((bytes.len() as u64).to_be_bytes());
        hasher.update(bytes);
    }
    hasher.finalize().into()
}

impl Banking {
    /// How long a quote holds.
    fn quote_ttl(&self) -> SignedDuration {
        self.config.conversion_quote_ttl
    }

    /// Quotes a conversion between two of the principal's accounts (`POST /conversions/quote`):
    /// what would be debited and credited at the rates in force now, with the legs, and until
    /// when the quote holds. Changes nothing.
    pub async fn quote_conversion(
        &self,
        principal: &Principal,
        payer: AccountId,
        payee: AccountId,
        amount: Amount,
    ) -> Result<ConversionQuote, BankingError> {
        Self::partner(principal)?;
        let mut errors = Vec::new();
        let payer =
            self.own_account(principal, payer, fields::PAYER_ACCOUNT).await?.map_err(|error| errors.push(error));
        let payee =
            self.own_account(principal, payee, fields::PAYEE_ACCOUNT).await?.map_err(|error| errors.push(error));
        let (Ok(payer), Ok(payee)) = (payer, payee) else {
            return Err(BankingError::Invalid(errors));
        };
        if let Some(problem) = crate::own_accounts_currencies(
            tiyn_payments::DocumentKind::Conversion,
            amount.currency(),
            payer.currency,
            payee.currency,
        ) {
            return Err(BankingError::Invalid(vec![problem]));
        }
        self.quote_now(payer.currency, payee.currency, amount, self.now()).await
    }

    /// The conversion at the rates in force at `at`, held for the quote's time from then.
    pub(crate) async fn quote_now(
        &self,
        payer: Currency,
        payee: Currency,
        amount: Amount,
        at: Timestamp,
    ) -> Result<ConversionQuote, BankingError> {
        let rates = self.store.fx_rates_at(at).await?;
        let conversion = convert_at(payer, payee, amount, &rates)?;
        let expires_at = at.checked_add(self.quote_ttl()).map_err(|error| BankingError::Internal(error.to_string()))?;
        Ok(ConversionQuote { conversion, quoted_at: at, expires_at })
    }

    /// The quote of a conversion document at `at` (its payer and payee accounts' currencies).
    pub(crate) async fn quote_document<S: tiyn_payments::State + Sync>(
        &self,
        document: &Document<S>,
        at: Timestamp,
    ) -> Result<ConversionQuote, BankingError> {
        let requisites = document.requisites();
        let Payee::Conversion { account: payee } = requisites.payee() else {
            return Err(BankingError::Internal(format!("document {} is not a conversion", document.id())));
        };
        let payee = *payee;
        let payer = self.store.account(requisites.payer_account()).await?.ok_or(BankingError::NotFound("account"))?;
        let payee = self.store.account(payee).await?.ok_or(BankingError::NotFound("account"))?;
        self.quote_now(payer.currency, payee.currency, requisites.amount(), at).await
    }

    /// The postings of a conversion from `payer` to `payee`, through the bank's FX accounts of
    /// every currency it touches (created on first use).
    pub(crate) async fn conversion_postings(
        &self,
        conversion: &Conversion,
        payer: AccountId,
        payee: AccountId,
    ) -> Result<Vec<Posting>, BankingError> {
        let mut currencies: Vec<Currency> =
            conversion.legs.iter().flat_map(|leg| [leg.pair.base(), leg.pair.quote()]).collect();
        currencies.sort_by_key(|currency| currency.code());
        currencies.dedup();
        let mut accounts = Vec::with_capacity(currencies.len());
        for currency in currencies {
            accounts.push(FxAccounts {
                currency,
                position: self.store.bank_account(AccountKind::BankFxPosition, currency).await?,
                income: self.store.bank_account(AccountKind::BankFxIncome, currency).await?,
                rounding: self.store.bank_account(AccountKind::BankRounding, currency).await?,
            });
        }
        conversion.postings(payer, payee, &accounts).map_err(conversion_error)
    }
}

/// What a conversion's commission is computed on: what is sold, in the payer account's currency.
pub(crate) fn commission_base(conversion: &Conversion) -> Result<Amount, BankingError> {
    Amount::new(conversion.debit).map_err(|_| BankingError::Internal("a conversion debits nothing".into()))
}
