//! the canonical bytes and digests a confirmation code is bound to, and
//! the exact totals shown before confirming.

mod common;

use std::collections::BTreeMap;

use common::*;
use proptest::prelude::*;
use tiyn_core::{Amount, Currency, Iban, Money};
use tiyn_payments::{
    AwaitingConfirmation, BatchError, BatchSummary, CANONICAL_ENCODING_VERSION, Document, DocumentId, RawDocument,
    batch_digest,
};

/// Everything a generated document is made of. Each part is generated independently, so a test
/// can take one document and replace exactly one part from another.
#[derive(Debug, Clone)]
struct Parts {
    id: i64,
    number: u64,
    kind: usize,
    payer: i64,
    payee_account: i64,
    amount_minor: i64,
    currency: Currency,
    knp: usize,
    purpose: String,
    value_date: usize,
    payee_name: String,
    party: usize,
    bank: usize,
    account_number: String,
    kbk: usize,
    budget_payee: usize,
}

const PART_COUNT: usize = 16;

/// Working days within the fixtures' horizon (06-06 is Kurban Ait).
const VALUE_DATES: [&str; 6] = ["2025-06-02", "2025-06-03", "2025-06-05", "2025-06-09", "2025-06-16", "2025-06-17"];
const KNPS: [&str; 6] = ["710", "343", "119", "721", "851", "012"];
const BUDGET_KNPS: [&str; 2] = ["911", "912"];
/// Payee IIN/BIN with a KBe consistent with it.
const PARTIES: [(&str, &str); 6] = [
    ("180140010005", "17"),
    ("220340110009", "15"),
    ("900101310004", "19"),
    ("851225410006", "29"),
    ("241150010006", "27"),
    ("971240001315", "14"),
];
/// Other banks than ours (722): Halyk, BCC, Forte, Alatau City, Freedom, GCVP.
const BANKS: [&str; 6] = ["601", "856", "965", "998", "551", "009"];
const KBKS: [&str; 5] = ["101201", "101202", "103101", "105101", "104401"];
/// State revenue bodies' BINs (resident legal entities).
const BUDGET_PAYEES: [&str; 2] = ["141140001547", "180140010005"];

fn parts() -> impl Strategy<Value = Parts> {
    (
        (1..1_000_000i64, 1..1_000_000u64, 0..3usize, 1..1000i64, 1000..2000i64, 1..=1_000_000_000_000i64),
        (
            proptest::sample::select(Currency::ALL.to_vec()),
            0..KNPS.len(),
            "[А-Яа-яA-Za-z0-9№][А-Яа-яA-Za-z0-9№ .,]{0,80}",
        ),
        (0..VALUE_DATES.len(), "[А-Яа-яA-Z«»][А-Яа-яA-Z«» .-]{0,60}", 0..PARTIES.len(), 0..BANKS.len()),
        ("[0-9A-Z]{13}", 0..KBKS.len(), 0..BUDGET_PAYEES.len()),
    )
        .prop_map(|(first, second, third, fourth)| {
            let (id, number, kind, payer, payee_account, amount_minor) = first;
            let (currency, knp, purpose) = second;
            let (value_date, payee_name, party, bank) = third;
            let (account_number, kbk, budget_payee) = fourth;
            Parts {
                id,
                number,
                kind,
                payer,
                payee_account,
                amount_minor,
                currency,
                knp,
                purpose,
                value_date,
                payee_name,
                party,
                bank,
                account_number,
                kbk,
                budget_payee,
            }
        })
}

impl Parts {
    /// `self` with part `index` taken from `other`.
    fn with_part_of(&self, other: &Parts, index: usize) -> Parts {
        let mut mixed = self.clone();
        match index {
            0 => mixed.id = other.id,
            1 => mixed.number = other.number,
            2 => mixed.kind = other.kind,
            3 => mixed.payer = other.payer,
            4 => mixed.payee_account = other.payee_account,
            5 => mixed.amount_minor = other.amount_minor,
            6 => mixed.currency = other.currency,
            7 => mixed.knp = other.knp,
            8 => mixed.purpose = other.purpose.clone(),
            9 => mixed.value_date = other.value_date,
            10 => mixed.payee_name = other.payee_name.clone(),
            11 => mixed.party = other.party,
            12 => mixed.bank = other.bank,
            13 => mixed.account_number = other.account_number.clone(),
            14 => mixed.kbk = other.kbk,
            15 => mixed.budget_payee = other.budget_payee,
            _ => unreachable!("{PART_COUNT} parts"),
        }
        mixed
    }

    fn raw(&self) -> RawDocument {
        let currency = if self.kind == 0 { self.currency } else { Currency::Kzt };
        let amount = Money::from_minor(self.amount_minor, currency).amount_string();
        let mut raw = RawDocument {
            kind: text(["internal", "interbank", "budget"][self.kind]),
            payer_account: Some(self.payer.to_string()),
            amount: Some(amount),
            currency: text(currency.code()),
            knp: text(KNPS[self.knp]),
            purpose: Some(self.purpose.clone()),
            value_date: text(VALUE_DATES[self.value_date]),
            ..RawDocument::default()
        };
        match self.kind {
            0 => raw.payee_account = Some(self.payee_account.to_string()),
            1 => {
                let (bin, kbe) = PARTIES[self.party];
                let iban = Iban::from_bban("KZ", &format!("{}{}", BANKS[self.bank], self.account_number));
                raw.payee_iban = Some(iban.expect("a valid KZ layout").to_string());
                raw.payee_name = Some(self.payee_name.clone());
                raw.payee_bin = text(bin);
                raw.kbe = text(kbe);
            }
            _ => {
                raw.knp = text(BUDGET_KNPS[self.knp % BUDGET_KNPS.len()]);
                raw.payee_iban = text("KZ24070105KSN0000000");
                raw.payee_name = Some(self.payee_name.clone());
                raw.payee_bin = text(BUDGET_PAYEES[self.budget_payee]);
                raw.kbe = text("11");
                raw.kbk = text(KBKS[self.kbk]);
            }
        }
        raw
    }

    fn document(&self) -> Document<AwaitingConfirmation> {
        let requisites = parse_ok(&self.raw());
        Document::create(DocumentId::new(self.id), number(self.number), requisites, ALICE, at(0)).submit(ALICE, at(1))
    }
}

/// Up to seven documents with distinct ids, and the same documents in another order.
fn batch_and_shuffled() -> impl Strategy<Value = (Vec<Parts>, Vec<Parts>)> {
    proptest::collection::vec(parts(), 1..8).prop_flat_map(|parts| {
        let numbered: Vec<Parts> = parts
            .into_iter()
            .zip(1..)
            .map(|(mut part, id)| {
                part.id = id;
                part
            })
            .collect();
        (Just(numbered.clone()), Just(numbered).prop_shuffle())
    })
}

/// Whether two documents say the same thing (authorship and time aside).
fn same_content(a: &Document<AwaitingConfirmation>, b: &Document<AwaitingConfirmation>) -> bool {
    a.id() == b.id() && a.number() == b.number() && a.requisites() == b.requisites()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(1000))]

    /// changing any one money-relevant part of a document changes its canonical
    /// bytes and the digest of any batch it is in; a part that does not belong to the kind (a KBK
    /// on an interbank payment) changes nothing.
    #[test]
    fn r_4_11_any_change_changes_the_canonical_bytes_and_the_batch_digest(
        base in parts(),
        other in parts(),
        part in 0..PART_COUNT,
        companion in parts(),
    ) {
        let changed = base.with_part_of(&other, part);
        let (a, b) = (base.document(), changed.document());
        let mut companion = companion;
        companion.id = 0; // never the id of `a` or `b`, which are positive
        let companion = companion.document();
        if same_content(&a, &b) {
            prop_assert_eq!(a.canonical_bytes(), b.canonical_bytes());
            prop_assert_eq!(batch_digest(&[&a, &companion]), batch_digest(&[&b, &companion]));
        } else {
            prop_assert_ne!(a.canonical_bytes(), b.canonical_bytes());
            prop_assert_ne!(a.content_digest(), b.content_digest());
            prop_assert_ne!(batch_digest(&[&a, &companion]), batch_digest(&[&b, &companion]));
            prop_assert_ne!(batch_digest(&[&a]), batch_digest(&[&b]));
        }
    }

    /// the batch digest does not depend on the order the documents were picked in.
    #[test]
    fn r_4_13_the_batch_digest_does_not_depend_on_order((documents, shuffled) in batch_and_shuffled()) {
        let documents: Vec<_> = documents.iter().map(Parts::document).collect();
        let shuffled: Vec<_> = shuffled.iter().map(Parts::document).collect();
        let digest = batch_digest(&documents.iter().collect::<Vec<_>>());
        prop_assert_eq!(digest, batch_digest(&shuffled.iter().collect::<Vec<_>>()));
        if documents.len() > 1 {
            prop_assert_ne!(digest, batch_digest(&documents[1..].iter().collect::<Vec<_>>()), "membership counts");
        }
    }

    /// totals are exact; a total that does not fit is an error, never a wrapped number.
    #[test]
    fn r_4_13_totals_are_exact_or_refused(
        amounts in proptest::collection::vec(
            (prop_oneof![1..=i64::MAX, 1..=1_000_000i64, (i64::MAX / 2)..=i64::MAX], 0..3usize),
            0..12,
        )
    ) {
        let currencies = [Currency::Kzt, Currency::Usd, Currency::Jpy];
        let amounts: Vec<Amount> = amounts
            .into_iter()
            .map(|(minor, currency)| Amount::new(Money::from_minor(minor, currencies[currency])).expect("positive"))
            .collect();
        let mut exact: BTreeMap<Currency, i128> = BTreeMap::new();
        for amount in &amounts {
            *exact.entry(amount.currency()).or_default() += i128::from(amount.minor());
        }
        let overflowing = exact.iter().find(|(_, total)| **total > i128::from(i64::MAX)).map(|(currency, _)| *currency);
        match BatchSummary::of_amounts(amounts.iter().copied()) {
            Ok(summary) => {
                prop_assert_eq!(overflowing, None);
                prop_assert_eq!(summary.count(), amounts.len());
                let totals: BTreeMap<Currency, i128> =
                    summary.totals().map(|total| (total.currency(), i128::from(total.minor()))).collect();
                prop_assert_eq!(totals, exact);
            }
            Err(error) => {
                prop_assert_eq!(error.code(), "amount_overflow");
                let BatchError::TotalOverflow { currency } = error else { panic!("{error:?}") };
                prop_assert!(exact[&currency] > i128::from(i64::MAX));
            }
        }
    }
}

/// The encoding starts with its domain and version, so a future version can never be confused
/// with this one.
#[test]
fn r_5_9_canonical_bytes_are_versioned() {
    let document = draft(1, &interbank());
    let bytes = document.canonical_bytes();
    let domain = b"tiyn.payment-document";
    assert_eq!(&bytes[..4], &(domain.len() as u32).to_be_bytes());
    assert_eq!(&bytes[4..4 + domain.len()], domain);
    assert_eq!(&bytes[4 + domain.len()..6 + domain.len()], &CANONICAL_ENCODING_VERSION.to_be_bytes());
    assert_eq!(CANONICAL_ENCODING_VERSION, 1);
}

/// Who created the document and when is not content: a code covers what the document says.
#[test]
fn r_4_11_authorship_and_status_are_not_content() {
    let requisites = parse_ok(&budget());
    let by_alice = Document::create(DocumentId::new(9), number(9), requisites.clone(), ALICE, at(0));
    let mut by_bob = Document::create(DocumentId::new(9), number(9), requisites.clone(), BOB, at(99));
    by_bob.edit(requisites, ALICE, at(100));
    assert_eq!(by_alice.canonical_bytes(), by_bob.canonical_bytes());
    let submitted = by_bob.submit(BOB, at(200));
    assert_eq!(submitted.content_digest(), by_alice.content_digest());
}

/// A known answer, so that an accidental change of the encoding fails loudly: evidence of
/// confirmed documents must stay verifiable. The value was computed independently of this crate,
/// by a short Python script that follows the table in the `digest` module docs.
#[test]
fn r_5_9_the_encoding_is_stable() {
    let document = draft(42, &budget());
    assert_eq!(
        tiyn_payments::digest_hex(&document.content_digest()),
        KNOWN_BUDGET_DIGEST,
        "the canonical encoding changed: bump CANONICAL_ENCODING_VERSION and keep the old encoder"
    );
}

const KNOWN_BUDGET_DIGEST: &str = "b6c8eca3b835e2fe191025281e715d2f65547cc367cfba53512ac5948052f180";
