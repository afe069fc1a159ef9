//! R-3.1.1.2, R-4.11, R-4.13, R-5.9, R-8.8: the document lifecycle, and confirming a batch with
//! one code bound to its content.

mod common;

use common::*;
use tiyn_core::{Currency, EntryId, HoldId, Money, SessionId};
use tiyn_payments::{
    AnyDocument, AwaitingConfirmation, BatchChallenge, BatchError, BatchMember, Confirmation, ConfirmationChannel,
    Document, DocumentId, MessageId, REFUSAL_REASON_LENGTH_MAX, RawDocument, Refusal, RefusalCode, Requisites,
    RestoreError, Route, Status, batch_digest, digest_hex,
};

fn confirmation() -> Confirmation {
    Confirmation {
        challenge: "abcdefghijklmnopqrstuvwxyz".to_owned(),
        confirmed_by: BOB,
        session: SessionId::new(77),
        channel: ConfirmationChannel::Sms,
        confirmed_at: at(600),
    }
}

/// Three submitted documents: internal (id 1), interbank (id 2), budget (id 3).
fn submitted() -> Vec<Document<AwaitingConfirmation>> {
    [internal(), interbank(), budget()]
        .iter()
        .enumerate()
        .map(|(index, raw)| draft(index as i64 + 1, raw).submit(ALICE, at(60)))
        .collect()
}

fn refs(documents: &[Document<AwaitingConfirmation>]) -> Vec<&Document<AwaitingConfirmation>> {
    documents.iter().collect()
}

/// R-3.1.1.2: a draft is created, edited, sent for confirmation, withdrawn, edited again and
/// deleted; each step records who and when.
#[test]
fn r_3_1_1_2_drafts_are_edited_and_deleted() {
    let mut document = draft(5, &interbank());
    assert_eq!(document.status(), Status::Draft);
    assert_eq!((document.header().created_by, document.header().edited_by), (ALICE, ALICE));

    let mut raw = interbank();
    raw.amount = text("1.00");
    document.edit(parse_ok(&raw), BOB, at(30));
    assert_eq!(document.requisites().amount().minor(), 100);
    assert_eq!((document.header().created_by, document.header().edited_by), (ALICE, BOB));
    assert_eq!((document.header().created_at, document.header().edited_at), (at(0), at(30)));

    let awaiting = document.submit(ALICE, at(40));
    assert_eq!(awaiting.status(), Status::AwaitingConfirmation);
    assert_eq!(awaiting.state().content_digest, awaiting.content_digest());
    let mut document = awaiting.withdraw();
    document.edit(parse_ok(&interbank()), ALICE, at(50));
    let deletion = document.delete(BOB, at(70));
    assert_eq!((deletion.id, deletion.number, deletion.deleted_by), (DocumentId::new(5), number(5), BOB));
}

/// one code confirms a batch; the user is shown its count and exact totals per
/// currency, and every document keeps the evidence.
#[test]
fn r_4_13_one_code_confirms_a_batch() {
    let documents = submitted();
    let (challenge, summary) = BatchChallenge::open(&refs(&documents), 10).expect("a valid batch");
    assert_eq!(summary.count(), 3);
    assert_eq!(
        summary.totals().collect::<Vec<_>>(),
        vec![Money::from_minor(23_435_000, Currency::Kzt), Money::from_minor(150_050, Currency::Usd)]
    );
    assert_eq!(summary.total(Currency::Eur), None);
    assert_eq!(challenge.digest(), batch_digest(&refs(&documents)));
    assert_eq!(digest_hex(&challenge.digest()).len(), 64);

    let digests: Vec<[u8; 32]> = documents.iter().map(Document::content_digest).collect();
    let confirmed = challenge.confirm(documents, &confirmation()).expect("unchanged documents");
    assert_eq!(confirmed.len(), 3);
    for (document, digest) in confirmed.iter().zip(digests) {
        assert_eq!(document.status(), Status::Confirmed);
        let evidence = document.evidence();
        assert_eq!(evidence.content_digest, digest);
        assert_eq!(evidence.batch_digest, challenge.digest());
        assert_eq!(
            (evidence.confirmed_by, evidence.session, evidence.channel),
            (BOB, SessionId::new(77), ConfirmationChannel::Sms)
        );
        assert_eq!(evidence.challenge, "abcdefghijklmnopqrstuvwxyz");
        assert_eq!(evidence.confirmed_at, at(600));
    }
}

/// a document altered after the code was issued makes the confirmation fail, and
/// nothing in the batch is confirmed.
#[test]
fn r_4_11_a_document_changed_after_the_code_was_issued_is_refused() {
    let mut documents = submitted();
    let (challenge, _) = BatchChallenge::open(&refs(&documents), 10).expect("a valid batch");

    let mut edited = documents.remove(1).withdraw();
    let mut raw = interbank();
    raw.amount = text("150001.00");
    edited.edit(parse_ok(&raw), ALICE, at(300));
    documents.insert(1, edited.submit(ALICE, at(301)));

    let error = challenge.confirm(documents, &confirmation()).expect_err("document 2 changed");
    assert_eq!(error.code(), "content_changed");
    assert_eq!(error.changed, vec![DocumentId::new(2)]);
    assert!(error.missing.is_empty() && error.unexpected.is_empty());
    assert_eq!(error.documents.len(), 3, "the documents are given back, still awaiting confirmation");
}

/// the code covers content, not a moment: withdrawing and resubmitting the same content
/// keeps the batch confirmable.
#[test]
fn r_4_11_resubmitting_identical_content_keeps_the_digest() {
    let mut documents = submitted();
    let (challenge, _) = BatchChallenge::open(&refs(&documents), 10).expect("a valid batch");
    let again = documents.remove(0).withdraw().submit(BOB, at(500));
    documents.push(again);
    assert_eq!(challenge.confirm(documents, &confirmation()).map(|confirmed| confirmed.len()), Ok(3));
}

#[test]
fn r_4_13_the_batch_must_be_exactly_the_documents_the_code_was_issued_for() {
    let documents = submitted();
    let (challenge, _) = BatchChallenge::open(&refs(&documents[..2]), 10).expect("a valid batch");

    let error = challenge.confirm(documents[..1].to_vec(), &confirmation()).expect_err("one missing");
    assert_eq!((error.code(), error.missing.clone()), ("batch_mismatch", vec![DocumentId::new(2)]));

    let error = challenge.confirm(documents.clone(), &confirmation()).expect_err("one extra");
    assert_eq!((error.code(), error.unexpected.clone()), ("batch_mismatch", vec![DocumentId::new(3)]));

    let twice = vec![documents[0].clone(), documents[0].clone(), documents[1].clone()];
    let error = challenge.confirm(twice, &confirmation()).expect_err("one given twice");
    assert_eq!(error.unexpected, vec![DocumentId::new(1)]);
}

#[test]
fn r_4_13_batches_are_bounded_and_have_no_duplicates() {
    let documents = submitted();
    assert_eq!(BatchChallenge::open(&[], 10).map(|_| ()), Err(BatchError::Empty));
    assert_eq!(
        BatchChallenge::open(&refs(&documents), 2).map(|_| ()),
        Err(BatchError::TooLarge { count: 3, documents_max: 2 })
    );
    let twice = [&documents[0], &documents[1], &documents[0]];
    let error = BatchChallenge::open(&twice, 10).map(|_| ()).expect_err("a duplicate");
    assert_eq!((error, error.code()), (BatchError::Duplicate(DocumentId::new(1)), "duplicate_document"));
}

/// A stored challenge comes back only if its members still hash to the digest the code is bound
/// to.
#[test]
fn r_4_11_a_stored_challenge_is_checked_when_restored() {
    let documents = submitted();
    let (challenge, _) = BatchChallenge::open(&refs(&documents), 10).expect("a valid batch");
    let mut members: Vec<BatchMember> = challenge.members().to_vec();
    members.reverse();
    assert_eq!(BatchChallenge::restore(members.clone(), challenge.digest()), Ok(challenge.clone()));

    members[0].content_digest[0] ^= 1;
    let error = BatchChallenge::restore(members, challenge.digest()).expect_err("a member altered");
    assert_eq!(error.code(), "challenge_digest_mismatch");
    assert_eq!(BatchChallenge::restore(Vec::new(), challenge.digest()), Err(BatchError::DigestMismatch));
}

/// R-3.1.1.1: confirmed internal transfers are executed through the ledger; interbank and
/// budget payments are sent, then settled or refused with a stable code.
#[test]
fn confirmed_documents_are_routed_by_kind() {
    let documents = submitted();
    let (challenge, _) = BatchChallenge::open(&refs(&documents), 10).expect("a valid batch");
    let mut confirmed = challenge.confirm(documents, &confirmation()).expect("unchanged").into_iter();

    let Some(Route::Internal(internal)) = confirmed.next().map(Document::route) else { panic!("internal first") };
    let executed = internal.execute(EntryId::new(900), at(700));
    assert_eq!((executed.status(), executed.state().entry), (Status::Executed, EntryId::new(900)));
    assert!(executed.status().is_final());

    let Some(Route::Outgoing(interbank)) = confirmed.next().map(Document::route) else { panic!("interbank") };
    let message = MessageId::parse("TIYN-2-1").expect("a message id");
    let sent = interbank.send(HoldId::new(41), message.clone(), at(710));
    let settled = sent.clone().settle(at(800));
    assert_eq!(
        (settled.status(), settled.state().hold, &settled.state().message_id),
        (Status::Settled, HoldId::new(41), &message)
    );
    let refused = sent.refuse(Refusal::new(RefusalCode::GatewayRejected, " AC01 incorrect account ", at(800)));
    assert_eq!(refused.state().hold, Some(HoldId::new(41)), "the hold to release");
    assert_eq!(refused.state().refusal.reason, "AC01 incorrect account");
    let any = refused.into_any();
    assert_eq!((any.status(), any.refusal().map(|r| r.code.as_str())), (Status::Refused, Some("gateway_rejected")));

    let Some(Route::Outgoing(budget)) = confirmed.next().map(Document::route) else { panic!("budget") };
    let refused = budget.refuse(Refusal::new(RefusalCode::InsufficientFunds, "available 10.00 KZT", at(720)));
    assert_eq!((refused.state().refusal.code, refused.state().hold), (RefusalCode::InsufficientFunds, None));
    assert_eq!(refused.state().evidence.confirmed_by, BOB, "the evidence stays with the document");
}

/// Storage restores documents; content altered in storage is caught by the recorded digest.
#[test]
fn r_5_9_restoring_a_document_checks_its_recorded_digest() {
    let documents = submitted();
    let original = &documents[1];
    let stored = RawDocument::from_requisites(original.requisites());
    let requisites = Requisites::restore(&stored).expect("stored requisites");
    let restored = Document::restore(*original.header(), requisites, *original.state());
    assert_eq!(restored.as_ref(), Ok(original));

    let mut raw = interbank();
    raw.payee_iban = text("KZ668560203255855690");
    raw.payee_bic = None;
    let tampered = Document::restore(*original.header(), parse_ok(&raw), *original.state());
    let error = tampered.expect_err("the payee was swapped in storage");
    assert_eq!(
        (error, error.code()),
        (RestoreError::ContentDigestMismatch { id: DocumentId::new(2) }, "content_digest_mismatch")
    );

    let draft =
        Document::restore(*original.header(), parse_ok(&raw), tiyn_payments::Draft).expect("drafts have no digest");
    let any: AnyDocument = draft.into_any();
    assert_eq!((any.status(), any.id(), any.refusal()), (Status::Draft, DocumentId::new(2), None));
    assert_eq!(any.requisites().payee().bank_payee().map(|p| p.bic().as_str()), Some("KCJBKZKX"));
}

#[test]
fn codes_and_names_round_trip() {
    for status in Status::ALL {
        assert_eq!(Status::parse(status.as_str()), Some(status));
    }
    for code in RefusalCode::ALL {
        assert_eq!(RefusalCode::parse(code.as_str()), Some(code));
    }
    for channel in [ConfirmationChannel::Sms, ConfirmationChannel::Marker] {
        assert_eq!(ConfirmationChannel::parse(channel.as_str()), Some(channel));
    }
    let long = "x".repeat(REFUSAL_REASON_LENGTH_MAX * 2);
    assert_eq!(Refusal::new(RefusalCode::LimitExceeded, &long, at(0)).reason.len(), REFUSAL_REASON_LENGTH_MAX);
    assert!(MessageId::parse("").is_err());
    assert!(MessageId::parse(&"m".repeat(36)).is_err());
    assert_eq!(MessageId::parse("has space").map_err(|e| e.code()), Err("invalid_message_id"));
}
