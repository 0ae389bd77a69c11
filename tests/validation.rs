//! Every RPC validates its request before anything else: bad input gets INVALID_ARGUMENT
//! naming each field (never echoing a card number), valid input reaches the handler.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod support;

use payorch::api::{
    self, AuthorizeRequest, BrowserInfo, CaptureRequest, CheckEligibilityRequest,
    GetAuthenticationRequest, GetMandateRequest, GetPaymentRequest, Money, PaymentMethod,
    RegisterMandateRequest, StartAuthenticationRequest, SubmitOtpRequest,
};
use tonic::Code;

const GOOD_PAN: &str = "6521500000000014";
const BAD_LUHN_PAN: &str = "6521500000000013";

fn card(number: &str, month: &str, year: &str, cvv: &str) -> PaymentMethod {
    PaymentMethod {
        method: Some(api::payment_method::Method::Card(api::Card {
            number: number.into(),
            expiry_month: month.into(),
            expiry_year: year.into(),
            cvv: cvv.into(),
            holder_name: "A PAYER".into(),
        })),
    }
}

fn inr(minor_units: i64) -> Option<Money> {
    Some(Money {
        minor_units,
        currency: "INR".into(),
    })
}

fn browser() -> Option<BrowserInfo> {
    Some(BrowserInfo {
        ip_address: "203.0.113.7".into(),
        user_agent: "Mozilla/5.0".into(),
        accept_header: "text/html".into(),
        language: "en-IN".into(),
        ..Default::default()
    })
}

fn valid_start() -> StartAuthenticationRequest {
    StartAuthenticationRequest {
        merchant_id: "demo".into(),
        idempotency_key: "start-1".into(),
        amount: inr(10_000),
        payment_method: Some(card(GOOD_PAN, "12", "2031", "123")),
        browser: browser(),
        return_url: "https://merchant.example/return".into(),
        order_reference: "ORD-1".into(),
        ..Default::default()
    }
}

#[tokio::test]
async fn start_authentication_names_every_bad_field_and_never_echoes_the_pan() {
    let server = support::start(support::settings()).await;
    let mut client = support::authentications(server.grpc_addr).await;
    let request = StartAuthenticationRequest {
        merchant_id: "demo".into(),
        idempotency_key: String::new(),
        amount: Some(Money {
            minor_units: -5,
            currency: "INR".into(),
        }),
        payment_method: Some(card(BAD_LUHN_PAN, "13", "2031", "12")),
        browser: Some(BrowserInfo {
            ip_address: "not-an-ip".into(),
            ..Default::default()
        }),
        return_url: "javascript:alert(1)".into(),
        connector: "stripe".into(),
        ..Default::default()
    };
    let status = client.start_authentication(request).await.unwrap_err();
    assert_eq!(status.code(), Code::InvalidArgument);
    let fields = support::violated_fields(&status);
    for expected in [
        "idempotency_key",
        "amount.minor_units",
        "payment_method.card.number",
        "payment_method.card.expiry_month",
        "payment_method.card.cvv",
        "browser.ip_address",
        "browser.user_agent",
        "return_url",
        "connector",
    ] {
        assert!(
            fields.iter().any(|f| f == expected),
            "{expected} missing from {fields:?}"
        );
    }
    let everything = format!("{status:?}");
    assert!(
        !everything.contains(BAD_LUHN_PAN),
        "the PAN leaked into the status"
    );
    server.shutdown().await.unwrap();
}

#[tokio::test]
async fn unknown_currency_and_merchant_are_named() {
    let server = support::start(support::settings()).await;
    let mut client = support::authentications(server.grpc_addr).await;
    let mut request = valid_start();
    request.merchant_id = "nobody".into();
    request.amount = Some(Money {
        minor_units: 100,
        currency: "XYZ".into(),
    });
    let status = client.start_authentication(request).await.unwrap_err();
    assert_eq!(status.code(), Code::InvalidArgument);
    assert_eq!(
        support::violated_fields(&status),
        vec!["merchant_id".to_owned(), "amount.currency".to_owned()]
    );
    server.shutdown().await.unwrap();
}

#[tokio::test]
async fn expired_card_is_refused() {
    let server = support::start(support::settings()).await;
    let mut client = support::authentications(server.grpc_addr).await;
    let mut request = valid_start();
    request.payment_method = Some(card(GOOD_PAN, "01", "2020", "123"));
    let status = client.start_authentication(request).await.unwrap_err();
    assert_eq!(status.code(), Code::InvalidArgument);
    let fields = support::violated_fields(&status);
    assert!(
        fields
            .iter()
            .any(|f| f.starts_with("payment_method.card.expiry")),
        "{fields:?}"
    );
    server.shutdown().await.unwrap();
}

#[tokio::test]
async fn bad_ids_and_otp_are_refused() {
    let server = support::start(support::settings()).await;
    let mut auth = support::authentications(server.grpc_addr).await;
    let status = auth
        .submit_otp(SubmitOtpRequest {
            authentication_id: "auth_../../etc".into(),
            otp: "12ab".into(),
            idempotency_key: "k".into(),
            merchant_id: "demo".into(),
        })
        .await
        .unwrap_err();
    assert_eq!(status.code(), Code::InvalidArgument);
    assert_eq!(
        support::violated_fields(&status),
        vec!["authentication_id".to_owned(), "otp".to_owned()]
    );
    let mut payments = support::payments(server.grpc_addr).await;
    let status = payments
        .capture(CaptureRequest {
            payment_id: "pay_123".into(),
            amount: inr(0),
            idempotency_key: "k".into(),
            merchant_id: "demo".into(),
        })
        .await
        .unwrap_err();
    assert_eq!(
        support::violated_fields(&status),
        vec!["payment_id".to_owned(), "amount.minor_units".to_owned()]
    );
    server.shutdown().await.unwrap();
}

#[tokio::test]
async fn mandate_registration_needs_terms() {
    let server = support::start(support::settings()).await;
    let mut mandates = support::mandates(server.grpc_addr).await;
    let status = mandates
        .register_mandate(RegisterMandateRequest {
            merchant_id: "demo".into(),
            idempotency_key: "m-1".into(),
            payment_method: Some(card(GOOD_PAN, "12", "2031", "123")),
            browser: browser(),
            return_url: "https://merchant.example/si".into(),
            customer_phone: "+919876543210".into(),
            ..Default::default()
        })
        .await
        .unwrap_err();
    assert_eq!(status.code(), Code::InvalidArgument);
    assert_eq!(support::violated_fields(&status), vec!["terms".to_owned()]);
    server.shutdown().await.unwrap();
}

/// Valid requests pass validation and reach their flows, which answer from the store and
/// routing.
#[tokio::test]
async fn valid_requests_reach_their_flows() {
    let mut settings = support::settings();
    // The merchant's only rule matches no card sent here, and it has no default route.
    settings.merchants[0].connectors.clear();
    settings.merchants[0].rules = vec![payorch::config::RuleSettings {
        name: "elsewhere".into(),
        brands: Vec::new(),
        bin_ranges: vec!["999999".into()],
        currencies: Vec::new(),
        min_amount: None,
        max_amount: None,
        flow: None,
        initiator: None,
        accounts: vec!["cybersource".into()],
        weights: None,
        rank_by_otp_success: false,
    }];
    let server = support::start(settings).await;
    let mut auth = support::authentications(server.grpc_addr).await;
    let mut payments = support::payments(server.grpc_addr).await;
    let mut mandates = support::mandates(server.grpc_addr).await;
    let id = "auth_0123456789abcdef0123456789abcdef";

    let eligibility = auth
        .check_eligibility(CheckEligibilityRequest {
            merchant_id: "demo".into(),
            payment_method: Some(card(GOOD_PAN, "12", "2031", "")),
            ..Default::default()
        })
        .await
        .unwrap_err();
    assert_eq!(
        eligibility.code(),
        Code::FailedPrecondition,
        "{eligibility:?}"
    );
    let mandate = mandates
        .get_mandate(GetMandateRequest {
            id: "mdt_0123456789abcdef0123456789abcdef".into(),
            refresh: false,
            merchant_id: "demo".into(),
        })
        .await
        .unwrap_err();
    assert_eq!(mandate.code(), Code::NotFound, "{mandate:?}");

    // No route serves the card: refused before anything is recorded or sent.
    let start = auth.start_authentication(valid_start()).await.unwrap_err();
    assert_eq!(start.code(), Code::FailedPrecondition, "{start:?}");
    assert_eq!(support::reason(&start), "NO_ROUTE");
    assert!(
        start.message().contains("BIN 652150 outside 999999"),
        "{start:?}"
    );

    let authorize = payments
        .authorize(AuthorizeRequest {
            merchant_id: "demo".into(),
            idempotency_key: "a-1".into(),
            authentication_id: id.into(),
            amount: inr(10_000),
            capture: true,
            ..Default::default()
        })
        .await
        .unwrap_err();
    assert_eq!(authorize.code(), Code::NotFound);
    let payment = payments
        .get_payment(GetPaymentRequest {
            id: "pay_0123456789abcdef0123456789abcdef".into(),
            refresh: false,
            merchant_id: "demo".into(),
        })
        .await
        .unwrap_err();
    assert_eq!(payment.code(), Code::NotFound);
    server.shutdown().await.unwrap();
}

#[tokio::test]
async fn unknown_authentication_is_not_found() {
    let server = support::start(support::settings()).await;
    let mut auth = support::authentications(server.grpc_addr).await;
    let status = auth
        .get_authentication(GetAuthenticationRequest {
            id: "auth_0123456789abcdef0123456789abcdef".into(),
            refresh: false,
            merchant_id: "demo".into(),
        })
        .await
        .unwrap_err();
    assert_eq!(status.code(), Code::NotFound);
    server.shutdown().await.unwrap();
}

#[tokio::test]
async fn network_tokens_need_a_cryptogram_and_a_connector_that_takes_them() {
    let server = support::start(support::settings()).await;
    let mut client = support::authentications(server.grpc_addr).await;
    let token = |cryptogram: &str| PaymentMethod {
        method: Some(api::payment_method::Method::NetworkToken(
            api::NetworkToken {
                number: GOOD_PAN.into(),
                cryptogram: cryptogram.into(),
                expiry_month: "12".into(),
                expiry_year: "2031".into(),
            },
        )),
    };
    let mut request = valid_start();
    request.payment_method = Some(token(""));
    let status = client
        .start_authentication(request.clone())
        .await
        .unwrap_err();
    assert_eq!(status.code(), Code::InvalidArgument);
    assert_eq!(
        support::violated_fields(&status),
        vec!["payment_method.network_token.cryptogram".to_owned()]
    );
    request.payment_method = Some(token("AgAAAAAABk4DWZ4C28yUQAAAAAA="));
    request.connector = "cybersource".into();
    let status = client.start_authentication(request).await.unwrap_err();
    assert_eq!(status.code(), Code::FailedPrecondition, "{status:?}");
    assert_eq!(support::reason(&status), "NOT_SUPPORTED_BY_CONNECTOR");
    assert!(!format!("{status:?}").contains("AgAAAAAABk4DWZ4C28yUQAAAAAA="));
    server.shutdown().await.unwrap();
}

#[tokio::test]
async fn eligibility_names_the_connector_and_its_flows() {
    let server = support::start(support::settings()).await;
    let mut client = support::authentications(server.grpc_addr).await;
    let rupay = client
        .check_eligibility(CheckEligibilityRequest {
            merchant_id: "demo".into(),
            connector: "cybersource".into(),
            payment_method: Some(card("5085000000000015", "12", "2031", "123")),
            amount: inr(10_000),
            preferred_flow: 0,
        })
        .await
        .unwrap()
        .into_inner();
    assert!(rupay.available, "{rupay:?}");
    assert_eq!(rupay.connector, "cybersource");
    assert!(!rupay.flows.is_empty());
    assert_eq!(rupay.card_brand(), api::CardBrand::Rupay);
    assert_eq!(
        (rupay.card_bin.as_str(), rupay.card_last4.as_str()),
        ("508500", "0015")
    );
    let visa = client
        .check_eligibility(CheckEligibilityRequest {
            merchant_id: "demo".into(),
            connector: "cybersource".into(),
            payment_method: Some(card("4111111111111111", "12", "2031", "123")),
            amount: None,
            preferred_flow: 0,
        })
        .await
        .unwrap()
        .into_inner();
    assert!(!visa.available, "{visa:?}");
    server.shutdown().await.unwrap();
}

/// Each documented rule of the request fields, one bad value at a time: the field named is
/// the one the proto names, and nothing else is blamed.
#[tokio::test]
async fn documented_field_rules_name_their_field() {
    let server = support::start(support::settings()).await;
    let mut client = support::authentications(server.grpc_addr).await;
    let now = time::OffsetDateTime::now_utc();
    let (last_year, last_month) = if u8::from(now.month()) == 1 {
        (now.year() - 1, 12)
    } else {
        (now.year(), u8::from(now.month()) - 1)
    };
    let last_month = (format!("{last_month:02}"), last_year.to_string());
    type Change = Box<dyn Fn(&mut StartAuthenticationRequest)>;
    let cases: Vec<(&str, Change)> = vec![
        (
            "payment_method.card.number",
            Box::new(|r| r.payment_method = Some(card("6521 5000 0000 0014", "12", "2031", "123"))),
        ),
        (
            "payment_method.card.expiry_year",
            Box::new(|r| r.payment_method = Some(card(GOOD_PAN, "12", "31", "123"))),
        ),
        (
            "payment_method.card.expiry_month",
            Box::new(|r| r.payment_method = Some(card(GOOD_PAN, "1", "2031", "123"))),
        ),
        (
            "payment_method.card.expiry_year",
            Box::new(move |r| {
                r.payment_method = Some(card(GOOD_PAN, &last_month.0, &last_month.1, "123"))
            }),
        ),
        (
            "customer_phone",
            Box::new(|r| r.customer_phone = "abc".into()),
        ),
        (
            "customer_email",
            Box::new(|r| r.customer_email = "payer.example".into()),
        ),
        (
            "order_reference",
            Box::new(|r| r.order_reference = "A".repeat(41)),
        ),
        (
            "order_reference",
            Box::new(|r| r.order_reference = "order 42/x".into()),
        ),
        ("amount.minor_units", Box::new(|r| r.amount = inr(i64::MAX))),
        (
            "return_url",
            Box::new(|r| r.return_url = "http://merchant.example/return".into()),
        ),
    ];
    for (field, change) in cases {
        let mut request = valid_start();
        change(&mut request);
        let status = client.start_authentication(request).await.unwrap_err();
        assert_eq!(status.code(), Code::InvalidArgument, "{field}: {status:?}");
        assert_eq!(
            support::violated_fields(&status),
            vec![field.to_owned()],
            "{status:?}"
        );
    }
    // Allowed: a loopback http return URL (a developer's machine), a valid E.164 phone,
    // a 40-character reference, a 200-character cancel reason.
    let mut request = valid_start();
    request.idempotency_key = "start-allowed".into();
    // The sandbox's seamless test card, so the authentication waits for its OTP.
    request.payment_method = Some(card("5085000000000015", "12", "2031", "123"));
    request.return_url = "http://127.0.0.1:3000/return".into();
    request.customer_phone = "+919876543210".into();
    request.customer_email = "payer@example.in".into();
    request.order_reference = "A".repeat(40);
    let started = client
        .start_authentication(request)
        .await
        .unwrap()
        .into_inner();
    let cancelled = client
        .cancel_authentication(api::CancelAuthenticationRequest {
            authentication_id: started.id,
            idempotency_key: "cancel-long-reason".into(),
            merchant_id: "demo".into(),
            reason: "r".repeat(200),
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(cancelled.status(), api::AuthenticationStatus::Cancelled);
    server.shutdown().await.unwrap();
}

/// Bytes that are not the request message are the caller's error: INVALID_ARGUMENT with an
/// ErrorInfo reason, not INTERNAL (reserved for payorch's bugs).
#[tokio::test]
async fn malformed_protobuf_is_invalid_argument() {
    use tonic::codec::{Codec, DecodeBuf, Decoder, EncodeBuf, Encoder};
    use tonic_types::StatusExt;

    #[derive(Default)]
    struct RawCodec;
    struct RawEncoder;
    struct AnyDecoder;
    impl Encoder for RawEncoder {
        type Item = Vec<u8>;
        type Error = tonic::Status;
        fn encode(&mut self, item: Vec<u8>, dst: &mut EncodeBuf<'_>) -> Result<(), tonic::Status> {
            use prost::bytes::BufMut;
            dst.put_slice(&item);
            Ok(())
        }
    }
    impl Decoder for AnyDecoder {
        type Item = Vec<u8>;
        type Error = tonic::Status;
        fn decode(&mut self, src: &mut DecodeBuf<'_>) -> Result<Option<Vec<u8>>, tonic::Status> {
            use prost::bytes::Buf;
            Ok(Some(src.copy_to_bytes(src.remaining()).to_vec()))
        }
    }
    impl Codec for RawCodec {
        type Encode = Vec<u8>;
        type Decode = Vec<u8>;
        type Encoder = RawEncoder;
        type Decoder = AnyDecoder;
        fn encoder(&mut self) -> RawEncoder {
            RawEncoder
        }
        fn decoder(&mut self) -> AnyDecoder {
            AnyDecoder
        }
    }

    let server = support::start(support::settings()).await;
    let channel = support::channel(server.grpc_addr).await;
    let bodies: [(&str, Vec<u8>); 4] = [
        // field 1 (merchant_id, a string) sent as a varint
        ("wrong wire type", vec![0x08, 0x01]),
        // field 1 as a length-delimited string of invalid UTF-8
        ("invalid utf-8", vec![0x0a, 0x02, 0xff, 0xfe]),
        // a string announced as 10 bytes, 2 sent
        ("truncated", vec![0x0a, 0x0a, b'd', b'e']),
        ("random bytes", vec![0xde, 0xad, 0xbe, 0xef, 0x99, 0x01]),
    ];
    for (what, body) in bodies {
        let mut grpc = tonic::client::Grpc::new(channel.clone());
        grpc.ready().await.unwrap();
        let path = "/payorch.v1.AuthenticationService/GetAuthentication"
            .parse()
            .unwrap();
        let status = grpc
            .unary(tonic::Request::new(body), path, RawCodec)
            .await
            .unwrap_err();
        assert_eq!(status.code(), Code::InvalidArgument, "{what}: {status:?}");
        let reason = status
            .get_error_details()
            .error_info()
            .map(|i| i.reason.clone());
        assert_eq!(reason.as_deref(), Some("MALFORMED_REQUEST"), "{what}");
    }
    server.shutdown().await.unwrap();
}
