//! MandateService: what is decided before any provider call. The terms' shape is refused
//! field by field; a connector without Standing Instructions, or a card that is not RuPay,
//! is FAILED_PRECONDITION naming why, with nothing sent; a valid registration reaches
//! Cybersource. CheckEligibility says which connectors take mandates. The lifecycle itself
//! is `mandate_lifecycle.rs`.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod support;

use payorch::api::{
    self, CheckEligibilityRequest, MandateFrequency, MandateTerms, RegisterMandateRequest,
};
use payorch::app::Running;
use support::flows;
use tonic::Code;

/// A day well ahead, so the test never meets "before today".
const START: &str = "2099-01-05";
const END: &str = "2099-12-31";
/// The sandbox's Standing Instruction card (seamless).
const SI_CARD: &str = support::mandates::SI_SEAMLESS;

/// The embedded defaults: merchant `demo` on every connector, the in-memory store.
async fn start() -> Running {
    support::start(support::settings()).await
}

async fn calls(payorch: &Running) -> u64 {
    flows::sandbox_calls(payorch.sandbox_addr.expect("embedded sandbox")).await
}

fn terms() -> MandateTerms {
    MandateTerms {
        max_amount: flows::inr(500_000),
        min_amount: flows::inr(10_000),
        frequency: MandateFrequency::Monthly.into(),
        preferred_day: 5,
        start_date: START.into(),
        end_date: END.into(),
        total_count: 12,
        ..Default::default()
    }
}

fn register(connector: &str, card: &str, terms: MandateTerms) -> RegisterMandateRequest {
    let start = flows::start_request(card, api::FlowPreference::Seamless);
    RegisterMandateRequest {
        merchant_id: "demo".into(),
        idempotency_key: flows::key(),
        connector: connector.into(),
        payment_method: start.payment_method,
        browser: start.browser,
        return_url: "https://merchant.example/si".into(),
        terms: Some(terms),
        customer_phone: "+919876543210".into(),
        ..Default::default()
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn terms_are_refused_field_by_field_before_anything_happens() {
    let payorch = start().await;
    let mut mandates = support::mandates(payorch.grpc_addr).await;
    let bad = MandateTerms {
        max_amount: flows::inr(10_000),
        min_amount: flows::inr(20_000),
        frequency: MandateFrequency::Unspecified.into(),
        preferred_day: 40,
        start_date: "2099-02-30".into(),
        end_date: "31/12/2099".into(),
        total_count: -1,
        ..Default::default()
    };
    let refused = mandates
        .register_mandate(register("cybersource", flows::SEAMLESS, bad))
        .await
        .unwrap_err();
    assert_eq!(refused.code(), Code::InvalidArgument, "{refused:?}");
    let mut fields = support::violated_fields(&refused);
    fields.sort();
    assert_eq!(
        fields,
        [
            "terms.end_date",
            "terms.frequency",
            "terms.min_amount",
            "terms.preferred_day",
            "terms.start_date",
            "terms.total_count",
        ]
    );

    let mut backwards = terms();
    backwards.end_date = "2099-01-04".into();
    let refused = mandates
        .register_mandate(register("cybersource", flows::SEAMLESS, backwards))
        .await
        .unwrap_err();
    assert_eq!(support::violated_fields(&refused), ["terms.end_date"]);

    let mut past = terms();
    past.start_date = "2020-01-01".into();
    let refused = mandates
        .register_mandate(register("cybersource", flows::SEAMLESS, past))
        .await
        .unwrap_err();
    assert_eq!(support::violated_fields(&refused), ["terms.start_date"]);

    let mut dollars = terms();
    dollars.max_amount = Some(api::Money {
        minor_units: 500_000,
        currency: "USD".into(),
    });
    dollars.min_amount = None;
    let refused = mandates
        .register_mandate(register("cybersource", flows::SEAMLESS, dollars))
        .await
        .unwrap_err();
    assert_eq!(support::violated_fields(&refused), ["terms.max_amount"]);

    let mut weekly = terms();
    weekly.frequency = MandateFrequency::Weekly.into();
    weekly.preferred_day = 8;
    let refused = mandates
        .register_mandate(register("cybersource", flows::SEAMLESS, weekly))
        .await
        .unwrap_err();
    assert_eq!(support::violated_fields(&refused), ["terms.preferred_day"]);
    assert_eq!(calls(&payorch).await, 0, "nothing reached a provider");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn only_connectors_with_standing_instructions_and_rupay_cards_get_further() {
    let payorch = start().await;
    let mut mandates = support::mandates(payorch.grpc_addr).await;
    for connector in ["mpgs", "fiserv-ipg", "juspay"] {
        let refused = mandates
            .register_mandate(register(connector, flows::SEAMLESS, terms()))
            .await
            .unwrap_err();
        assert_eq!(refused.code(), Code::FailedPrecondition, "{refused:?}");
        assert_eq!(support::reason(&refused), "MANDATES_NOT_SUPPORTED");
        assert!(
            refused.message().contains(connector) && refused.message().contains("cybersource"),
            "names the connector and the ones that do: {}",
            refused.message()
        );
    }
    let visa = mandates
        .register_mandate(register("cybersource", "4111111111111111", terms()))
        .await
        .unwrap_err();
    assert_eq!(visa.code(), Code::FailedPrecondition, "{visa:?}");
    assert_eq!(support::reason(&visa), "CARD_NOT_RUPAY");

    assert_eq!(calls(&payorch).await, 0, "nothing reached a provider");
    let pending = mandates
        .register_mandate(register("cybersource", SI_CARD, terms()))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(
        pending.status(),
        api::MandateStatus::PendingAuthentication,
        "{pending:?}"
    );
}

/// SMS intimations (the default) need the customer's phone; e-mail ones an address.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_intimation_channel_needs_its_contact() {
    let payorch = start().await;
    let mut mandates = support::mandates(payorch.grpc_addr).await;
    let mut no_phone = register("cybersource", SI_CARD, terms());
    no_phone.customer_phone.clear();
    let refused = mandates.register_mandate(no_phone).await.unwrap_err();
    assert_eq!(support::violated_fields(&refused), ["customer_phone"]);
    let mut both = terms();
    both.alert_preference = api::MandateAlertPreference::SmsAndEmail.into();
    let mut no_email = register("cybersource", SI_CARD, both);
    no_email.customer_phone.clear();
    let refused = mandates.register_mandate(no_email).await.unwrap_err();
    let mut fields = support::violated_fields(&refused);
    fields.sort();
    assert_eq!(fields, ["customer_email", "customer_phone"]);
    assert_eq!(calls(&payorch).await, 0, "nothing reached a provider");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn check_eligibility_says_which_connectors_take_mandates() {
    let payorch = start().await;
    let mut auth = support::authentications(payorch.grpc_addr).await;
    for (connector, takes) in [
        ("cybersource", true),
        ("mpgs", false),
        ("fiserv-ipg", false),
        ("juspay", false),
    ] {
        let answer = auth
            .check_eligibility(CheckEligibilityRequest {
                merchant_id: "demo".into(),
                connector: connector.into(),
                payment_method: Some(flows::card(flows::SEAMLESS)),
                amount: flows::inr(10_000),
                preferred_flow: 0,
            })
            .await
            .unwrap()
            .into_inner();
        assert_eq!(answer.connector, connector);
        assert_eq!(
            answer.standing_instructions, takes,
            "{connector}: {answer:?}"
        );
    }
}

/// Not pinned, a mandate goes to the merchant's first connector that takes them, even when
/// the merchant lists another one first.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unpinned_registration_goes_to_a_connector_that_takes_mandates() {
    let mut settings = support::settings();
    settings.merchants[0].connectors = vec!["mpgs".into(), "cybersource".into()];
    let payorch = support::start(settings).await;
    let mut mandates = support::mandates(payorch.grpc_addr).await;
    let registered = mandates
        .register_mandate(register("", SI_CARD, terms()))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(registered.connector, "cybersource", "{registered:?}");
}
