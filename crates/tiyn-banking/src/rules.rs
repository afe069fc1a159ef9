//! The bank's rules for payments, as use cases: a partner's tariff plan, limits and the kinds
//! switched off; restrictions on accounts;
//! the list of persons linked to terrorism or extremism financing. Every change is the
//! bank's, audited; partners read their accounts' restrictions.

use tiyn_core::iban::Iban;
use tiyn_core::{AccountId, Kbe, Kbk, Knp, PartnerId, TaxpayerId};
use tiyn_identity::{BankActor, Context, Principal};
use tiyn_payments::limits::LimitSet;
use tiyn_payments::tariff::TariffPlan;
use tiyn_payments::{DocumentKind, Payee, PayeeName, Refusal, RefusalCode, Requisites};
use tiyn_store::AccountKind;
use tiyn_store::rules::{
    AmlEntry, CollectFrom, Collected, Creditor, CreditorCodes, NewRestriction, PaymentRules, Restriction,
    RestrictionKind, aml_name_key,
};

use crate::{Banking, BankingError};

/// Audit actions of the bank's payment rules.
pub mod audit_action {
    pub const PAYMENT_RULES: &str = "partners.payment_rules";
    pub const RESTRICTION_ADD: &str = "accounts.restriction_add";
    pub const RESTRICTION_LIFT: &str = "accounts.restriction_lift";
    /// The bank collected money under a collection order.
    pub const COLLECTION: &str = "accounts.collection";
    pub const AML_LIST: &str = "aml.list_replace";
    pub const AML_MATCH: &str = "aml.match";
}

/// Most entries of an AML list upload.
pub const AML_ENTRIES_MAX: usize = 100_000;

/// What applies to a partner's payments now.
#[derive(Debug, Clone)]
pub(crate) struct Effective {
    pub tariff: TariffPlan,
    pub limits: LimitSet,
    pub disabled_kinds: Vec<DocumentKind>,
}

impl Banking {
    pub(crate) async fn effective_rules(&self, partner: PartnerId) -> Result<Effective, BankingError> {
        let rules = self.store.payment_rules(partner).await?;
        Ok(Effective {
            tariff: rules.tariff.unwrap_or(self.config.tariff),
            limits: rules.limits,
            disabled_kinds: rules.disabled_kinds,
        })
    }

    /// A partner's payment rules as the bank set them (`tariff: None` is the bank's standard plan).
    pub async fn payment_rules(&self, partner: PartnerId) -> Result<PaymentRules, BankingError> {
        Ok(self.store.payment_rules(partner).await?)
    }

    /// The bank's standard tariff plan.
    pub fn standard_tariff(&self) -> TariffPlan {
        self.config.tariff
    }

    /// Replaces a partner's payment rules. Limits of users name the partner's users only.
    pub async fn set_payment_rules(
        &self,
        context: &Context,
        actor: &BankActor,
        partner: PartnerId,
        rules: PaymentRules,
    ) -> Result<(), BankingError> {
        let users = self.store.partner_users(partner).await?;
        for limit in rules.limits.limits() {
            let foreign = match limit.scope() {
                tiyn_payments::limits::LimitScope::Partner(scope) => scope != partner,
                tiyn_payments::limits::LimitScope::User(user) => !users.iter().any(|known| known.id == user),
            };
            if foreign {
                return Err(BankingError::Message("limit_scope_foreign", format!("{limit} is not this partner's")));
            }
        }
        let details = format!(
            "tariff: {}; limits: {}; disabled: {}",
            rules.tariff.as_ref().map_or("standard".to_owned(), tiyn_store::rules::tariff_to_text).replace('\n', ", "),
            tiyn_store::rules::limits_to_text(&rules.limits).replace('\n', ", "),
            tiyn_store::rules::kinds_to_text(&rules.disabled_kinds),
        );
        // Notices and marketplace (R-3.1.2.8): the plan before, to tell the partner of a change.
        let tariff_before = self.store.payment_rules(partner).await?.tariff;
        let tariff_after = rules.tariff;
        self.store.set_payment_rules(partner, rules).await?;
        self.identity
            .record_bank_action(
                context,
                actor,
                audit_action::PAYMENT_RULES,
                Some(partner),
                format!("partner:{partner}"),
                Some(details),
            )
            .await?;
        // Notices and marketplace (R-3.1.2.8): a changed plan in force is announced to the partner.
        self.publish_tariff_change(context, actor, partner, tariff_before, tariff_after).await?;
        Ok(())
    }

    /// Registers a restriction on an account; it applies to the next debit.
    pub async fn add_restriction(
        &self,
        context: &Context,
        actor: &BankActor,
        restriction: NewRestriction,
    ) -> Result<Restriction, BankingError> {
        let account = self.store.account(restriction.account).await?.ok_or(BankingError::NotFound("account"))?;
        if account.partner.is_none() {
            return Err(BankingError::NotFound("account"));
        }
        if let RestrictionKind::CollectionOrder(order) = &restriction.kind {
            let currency = order.amount().currency();
            if currency != account.currency {
                return Err(BankingError::Conflict("currency_mismatch"));
            }
            let iban = &order.creditor().iban;
            if iban.kz_bank_code() == Some(self.config.bank_code.as_str()) {
                // Paid to the creditor's account here: it must exist, in the order's currency.
                let creditor_account = self.store.account_by_iban(iban).await?;
                if !creditor_account.is_some_and(|creditor| creditor.currency == currency && creditor.id != account.id)
                {
                    return Err(BankingError::Conflict("creditor_account_not_found"));
                }
            }
            // To another bank: a tenge order leaves with a message; interbank systems settle
            // tenge only, so money collected in another currency waits on the clearing account
            // for the bank's staff (rules::collection_is_sent).
        }
        let stored = self.store.add_restriction(restriction).await?;
        self.identity
            .record_bank_action(
                context,
                actor,
                audit_action::RESTRICTION_ADD,
                account.partner,
                format!("account:{}", account.id),
                Some(format!("restriction {}: {} ({})", stored.id, stored.kind.code(), stored.reference)),
            )
            .await?;
        if matches!(stored.kind, RestrictionKind::CollectionOrder(_)) {
            // The order is registered whatever happens here; a failed collection is left to the
            // executor's sweep.
            if let Err(error) = self.collect(account.id).await {
                tracing::warn!(%error, account = %account.id, "collecting a new collection order failed; the sweep retries");
            }
            return Ok(self
                .store
                .account_restrictions(account.id)
                .await?
                .into_iter()
                .find(|restriction| restriction.id == stored.id)
                .unwrap_or(stored));
        }
        Ok(stored)
    }

    /// Collects the account's outstanding collection orders from the money it has now, by
    /// priority and then arrival; each collection is one journal entry account → the
    /// bank's clearing account, and is audited as the bank's own action. Runs when an order is
    /// registered, when money arrives from another bank, and in the executor's sweep.
    pub async fn collect(&self, account: AccountId) -> Result<Vec<Collected>, BankingError> {
        let found = self.store.account(account).await?.ok_or(BankingError::NotFound("account"))?;
        let clearing = self.store.bank_account(AccountKind::BankClearing, found.currency).await?;
        let done = self.store.collect(CollectFrom { account, clearing, at: self.now() }).await?;
        for collected in &done {
            self.identity
                .record_system(
                    audit_action::COLLECTION,
                    found.partner,
                    format!("account:{account}"),
                    Some(format!(
                        "restriction {}: {} {} collected, entry {}{}",
                        collected.restriction,
                        collected.amount.amount_string(),
                        collected.amount.currency().code(),
                        collected.entry,
                        if collected.paid_off { ", paid off" } else { "" }
                    )),
                )
                .await?;
        }
        Ok(done)
    }

    /// The executor's sweep: collects every account with an outstanding collection order.
    /// Answers how many collections were made.
    pub async fn collect_due(&self) -> Result<usize, BankingError> {
        let mut made = 0;
        for account in self.store.accounts_to_collect().await? {
            made += self.collect(account).await?.len();
        }
        Ok(made)
    }

    pub async fn lift_restriction(
        &self,
        context: &Context,
        actor: &BankActor,
        account: AccountId,
        id: i64,
    ) -> Result<(), BankingError> {
        let partner = self.store.account(account).await?.and_then(|account| account.partner);
        self.store.lift_restriction(account, id, self.now()).await?;
        self.identity
            .record_bank_action(
                context,
                actor,
                audit_action::RESTRICTION_LIFT,
                partner,
                format!("account:{account}"),
                Some(format!("restriction {id}")),
            )
            .await?;
        Ok(())
    }

    /// An account's restrictions for the bank.
    pub async fn restrictions(&self, account: AccountId) -> Result<Vec<Restriction>, BankingError> {
        Ok(self.store.account_restrictions(account).await?)
    }

    /// The partner's view of its account's restrictions; another partner's account answers like
    /// an unknown one.
    pub async fn own_account_restrictions(
        &self,
        principal: &Principal,
        account: AccountId,
    ) -> Result<Vec<Restriction>, BankingError> {
        let owned = self.store.account(account).await?.filter(|found| {
            found.partner.is_some() && found.partner == principal.partner() && principal.may_use_account(account)
        });
        if owned.is_none() {
            return Err(BankingError::NotFound("account"));
        }
        Ok(self.store.account_restrictions(account).await?)
    }

    /// Replaces the AML list and blocks every partner user whose name is on it. Answers
    /// how many users were blocked.
    pub async fn replace_aml_list(
        &self,
        context: &Context,
        actor: &BankActor,
        entries: Vec<AmlEntry>,
    ) -> Result<usize, BankingError> {
        if entries.len() > AML_ENTRIES_MAX {
            return Err(BankingError::Message("too_many_entries", format!("at most {AML_ENTRIES_MAX} entries")));
        }
        let keys: std::collections::HashSet<String> =
            entries.iter().map(|entry| aml_name_key(&entry.name)).filter(|key| !key.is_empty()).collect();
        let count = entries.len();
        self.store.replace_aml_list(entries, self.now()).await?;
        self.identity
            .record_bank_action(
                context,
                actor,
                audit_action::AML_LIST,
                None,
                "aml_list".to_owned(),
                Some(format!("entries: {count}")),
            )
            .await?;
        let mut blocked = 0;
        for partner in self.store.partners().await? {
            for user in self.store.partner_users(partner.id).await? {
                if user.block.is_none() && keys.contains(&aml_name_key(&user.full_name)) {
                    self.identity.bank_block_user(context, actor, user.id).await?;
                    blocked += 1;
                }
            }
        }
        Ok(blocked)
    }

    pub async fn aml_list(&self) -> Result<Vec<AmlEntry>, BankingError> {
        Ok(self.store.aml_list().await?)
    }

    /// The refusal of a payment whose payee is on the AML list: by IIN/BIN, or by name.
    pub(crate) fn aml_refusal(list: &[AmlEntry], requisites: &Requisites, now: jiff::Timestamp) -> Option<Refusal> {
        // A payee abroad has no IIN/BIN: its name is what can match.
        let (taxpayer_id, name) = match requisites.payee() {
            Payee::Internal { .. } | Payee::Conversion { .. } => return None,
            Payee::Interbank(payee) | Payee::Budget { payee, .. } => {
                (Some(payee.taxpayer_id().to_string()), payee.name().to_string())
            }
            Payee::Foreign(payee) => (None, payee.name().to_string()),
        };
        let name = aml_name_key(&name);
        let matched = list.iter().any(|entry| {
            (taxpayer_id.is_some() && entry.taxpayer_id.as_deref() == taxpayer_id.as_deref())
                || (!name.is_empty() && aml_name_key(&entry.name) == name)
        });
        matched.then(|| {
            Refusal::new(
                RefusalCode::AmlMatch,
                "the payee is on the list of persons linked to terrorism or extremism financing",
                now,
            )
        })
    }
}

/// A collection order's creditor as typed in a form or an API request; an empty `kbk` is none.
#[derive(Debug, Clone, Copy, Default)]
pub struct CreditorText<'a> {
    pub name: &'a str,
    pub taxpayer_id: &'a str,
    pub iban: &'a str,
    pub kbe: &'a str,
    pub knp: &'a str,
    pub kbk: &'a str,
}

/// One problem with one creditor field: the field (`name`, `taxpayer_id`, `iban`, `kbe`, `knp`,
/// `kbk`), a stable code (the payment documents' codes: `required`, `invalid_iban`,
/// `unknown_knp`, `kbk_not_allowed`, …) and a sentence for logs and clients.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CreditorProblem {
    pub field: &'static str,
    pub code: &'static str,
    pub detail: String,
}

impl Banking {
    /// [`parse_creditor`] against this bank's directories.
    pub fn parse_creditor(&self, text: &CreditorText<'_>) -> Result<Creditor, Vec<CreditorProblem>> {
        match self.directories() {
            Ok(directories) => parse_creditor(text, &directories),
            Err(error) => Err(vec![CreditorProblem { field: "iban", code: "internal", detail: error.to_string() }]),
        }
    }
}

/// Parses a collection order's creditor, every problem reported: the creditor is paid
/// like the payee of a payment order, so the same rules apply (a Kazakhstan IBAN of a bank in the
/// NBK directory, KNP and KBK from their directories, a KBK with a budget KNP and only with one).
/// A creditor at this bank is paid to its account directly.
pub fn parse_creditor(
    text: &CreditorText<'_>,
    directories: &tiyn_payments::Directories<'_>,
) -> Result<Creditor, Vec<CreditorProblem>> {
    let mut problems = Vec::new();
    let mut problem = |field: &'static str, code: &'static str, detail: String| {
        problems.push(CreditorProblem { field, code, detail });
    };
    let reference = directories.reference();
    let name = match PayeeName::parse(text.name) {
        Ok(name) => Some(name),
        Err(error) => {
            problem("name", error.code(), error.to_string());
            None
        }
    };
    let mut parse = |field: &'static str, value: &str| -> Option<String> {
        let value = Some(value.trim()).filter(|value| !value.is_empty()).map(str::to_owned);
        if value.is_none() {
            problem(field, "required", format!("the creditor's {field} is required"));
        }
        value
    };
    let taxpayer_id = parse("taxpayer_id", text.taxpayer_id);
    let iban = parse("iban", text.iban);
    let kbe = parse("kbe", text.kbe);
    let knp = parse("knp", text.knp);
    let taxpayer_id = taxpayer_id.and_then(|value| {
        TaxpayerId::parse(&value).map_err(|error| problem("taxpayer_id", error.code(), error.to_string())).ok()
    });
    let iban = iban.and_then(|value| {
        let iban = Iban::parse(&value).map_err(|error| problem("iban", error.code(), error.to_string())).ok()?;
        let Some(code) = iban.kz_bank_code() else {
            problem("iban", "iban_not_kazakhstan", "a collection order pays a Kazakhstan (KZ) IBAN".into());
            return None;
        };
        if code != directories.own_bank_code() {
            match reference.banks().by_iban_bank_code(code) {
                None => {
                    problem("iban", "unknown_bank", format!("no bank in the NBK directory has the bank code {code}"));
                    return None;
                }
                Some(bank) if !bank.active() => {
                    problem("iban", "inactive_bank", format!("bank code {code} is no longer in the directory"));
                    return None;
                }
                Some(_) => {}
            }
        }
        Some(iban)
    });
    let kbe =
        kbe.and_then(|value| Kbe::parse(&value).map_err(|error| problem("kbe", error.code(), error.to_string())).ok());
    let knp = knp.and_then(|value| {
        let knp = Knp::parse(&value).map_err(|error| problem("knp", error.code(), error.to_string())).ok()?;
        if !reference.knp().contains(&knp) {
            problem("knp", "unknown_knp", format!("KNP {knp} is not in the directory of payment purpose codes"));
            return None;
        }
        Some(knp)
    });
    let kbk = match text.kbk.trim() {
        "" => Ok(None),
        value => Kbk::parse(value).map_err(|error| problem("kbk", error.code(), error.to_string())).and_then(|kbk| {
            if reference.kbk().contains(&kbk) {
                Ok(Some(kbk))
            } else {
                problem("kbk", "unknown_kbk", format!("KBK {kbk} is not in the budget classification directory"));
                Err(())
            }
        }),
    };
    let codes = match (kbe, knp, kbk) {
        (Some(kbe), Some(knp), Ok(kbk)) => {
            let codes = CreditorCodes::new(kbe, knp, kbk);
            if codes.is_none() {
                if kbk.is_some() {
                    problem(
                        "kbk",
                        "kbk_not_allowed",
                        format!("a KBK goes with a budget KNP (section 9); {knp} is not one"),
                    );
                } else {
                    problem("kbk", "required", format!("KNP {knp} is a budget payment's: the KBK is required"));
                }
            }
            codes
        }
        _ => None,
    };
    match (name, taxpayer_id, iban, codes) {
        (Some(name), Some(taxpayer_id), Some(iban), Some(codes)) if problems.is_empty() => {
            Ok(Creditor { name, taxpayer_id, iban, codes: Some(codes) })
        }
        _ => Err(problems),
    }
}
