//! payorch's OTLP trace export, received as a collector receives it: a real OTLP/gRPC
//! `TraceService` (served by tonic here) is the endpoint of the real binary, on Redis, and one
//! seamless flow runs through it. Each RPC's spans (the RPC, its Redis round trips, its
//! provider calls) share one trace, and no exported span carries the PAN, CVV or OTP.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod support;

use std::collections::BTreeSet;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use opentelemetry_proto::tonic::collector::trace::v1::trace_service_server::{
    TraceService, TraceServiceServer,
};
use opentelemetry_proto::tonic::collector::trace::v1::{
    ExportTraceServiceRequest, ExportTraceServiceResponse,
};
use opentelemetry_proto::tonic::common::v1::any_value::Value;
use opentelemetry_proto::tonic::common::v1::{AnyValue, KeyValue};
use opentelemetry_proto::tonic::trace::v1::Span;
use payorch::api::AuthenticationStatus;
use payorch_store::testing::RedisServer;
use support::examples::Binary;
use support::flows;

const CVV: &str = "123";

#[derive(Clone, Default)]
struct Collector(Arc<Mutex<Vec<Span>>>);

#[tonic::async_trait]
impl TraceService for Collector {
    async fn export(
        &self,
        request: tonic::Request<ExportTraceServiceRequest>,
    ) -> Result<tonic::Response<ExportTraceServiceResponse>, tonic::Status> {
        let spans = request
            .into_inner()
            .resource_spans
            .into_iter()
            .flat_map(|r| r.scope_spans)
            .flat_map(|s| s.spans);
        self.0.lock().unwrap().extend(spans);
        Ok(tonic::Response::new(ExportTraceServiceResponse::default()))
    }
}

impl Collector {
    fn spans(&self) -> Vec<Span> {
        self.0.lock().unwrap().clone()
    }
}

fn attribute<'a>(span: &'a Span, key: &str) -> Option<&'a str> {
    span.attributes
        .iter()
        .find(|kv| kv.key == key)
        .and_then(|kv| kv.value.as_ref())
        .and_then(|v| match &v.value {
            Some(Value::StringValue(s)) => Some(s.as_str()),
            _ => None,
        })
}

/// Every string a span exports: its name, status message, attribute keys and values, its
/// events' names and attributes (log lines inside the span).
fn strings(span: &Span) -> Vec<String> {
    fn of_value(value: &AnyValue, out: &mut Vec<String>) {
        match &value.value {
            Some(Value::StringValue(s)) => out.push(s.clone()),
            Some(Value::ArrayValue(a)) => a.values.iter().for_each(|v| of_value(v, out)),
            Some(Value::KvlistValue(kv)) => of_attributes(&kv.values, out),
            Some(Value::BytesValue(b)) => out.push(String::from_utf8_lossy(b).into_owned()),
            _ => {}
        }
    }
    fn of_attributes(attributes: &[KeyValue], out: &mut Vec<String>) {
        for kv in attributes {
            out.push(kv.key.clone());
            if let Some(value) = &kv.value {
                of_value(value, out);
            }
        }
    }
    let mut out = vec![span.name.clone()];
    if let Some(status) = &span.status {
        out.push(status.message.clone());
    }
    of_attributes(&span.attributes, &mut out);
    for event in &span.events {
        out.push(event.name.clone());
        of_attributes(&event.attributes, &mut out);
    }
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_flows_spans_share_a_trace_per_rpc_and_carry_no_card_data_or_otp() {
    let collector = Collector::default();
    let receiver = support::free_addr();
    let server = tokio::spawn(
        tonic::transport::Server::builder()
            .add_service(TraceServiceServer::new(collector.clone()))
            .serve(receiver),
    );
    let redis = RedisServer::start();
    let endpoint = format!("http://{receiver}");
    let mut payorch = Binary::spawn(&[
        ("REDIS_URL", &redis.url()),
        ("PAYORCH_ENCRYPTION__ACTIVE_KEY_ID", "k1"),
        ("PAYORCH_ENCRYPTION__KEYS__K1", support::ENCRYPTION_KEY),
        ("OTEL_EXPORTER_OTLP_ENDPOINT", &endpoint),
        // The SDK's batch processor exports every 5 s by default.
        ("OTEL_BSP_SCHEDULE_DELAY", "100"),
        ("RUST_LOG", "info"),
    ]);
    payorch.wait_until_serving().await;

    let mut auth = support::authentications(payorch.grpc).await;
    let started = flows::start_seamless(&mut auth).await;
    let otp = flows::otp(payorch.sandbox, &started.connector, &started).await;
    let done = auth
        .submit_otp(flows::submit(&started, &otp))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(done.status(), AuthenticationStatus::Succeeded);
    support::payments(payorch.grpc)
        .await
        .authorize(flows::authorize(&started, true))
        .await
        .unwrap();

    let methods = ["StartAuthentication", "SubmitOtp", "Authorize"];
    let exported = support::eventually(Duration::from_secs(15), || {
        let spans = collector.spans();
        async move {
            let rpcs: BTreeSet<&str> = spans
                .iter()
                .filter(|s| s.name == "rpc")
                .filter_map(|s| attribute(s, "rpc.method"))
                .collect();
            methods.iter().all(|m| rpcs.contains(m))
        }
    })
    .await;
    let spans = collector.spans();
    assert!(
        exported,
        "the three RPCs' spans were not exported: {:?}\n{}",
        spans.iter().map(|s| &s.name).collect::<Vec<_>>(),
        payorch.output().join("\n")
    );

    for method in methods {
        let rpc = spans
            .iter()
            .find(|s| s.name == "rpc" && attribute(s, "rpc.method") == Some(method))
            .unwrap();
        // The provider and store spans end before their RPC's span, so they are exported by
        // the time it is (same batch or an earlier one).
        let in_trace: Vec<&Span> = spans
            .iter()
            .filter(|s| s.trace_id == rpc.trace_id)
            .collect();
        let providers: Vec<&Span> = in_trace
            .iter()
            .copied()
            .filter(|s| s.name == "provider")
            .collect();
        let stores: Vec<&Span> = in_trace
            .iter()
            .copied()
            .filter(|s| s.name == "store")
            .collect();
        assert!(
            !providers.is_empty(),
            "{method}: no provider span in its trace: {in_trace:#?}"
        );
        assert!(
            providers
                .iter()
                .all(|s| attribute(s, "provider.connector") == Some(started.connector.as_str())),
            "{method}: {providers:#?}"
        );
        assert!(
            stores.len() >= 2,
            "{method}: the RPC's Redis round trips are not in its trace: {in_trace:#?}"
        );
        assert!(
            stores
                .iter()
                .all(|s| attribute(s, "db.system") == Some("redis")),
            "{stores:#?}"
        );
        assert!(
            in_trace
                .iter()
                .filter(|s| s.span_id != rpc.span_id)
                .all(|s| !s.parent_span_id.is_empty()),
            "{method}: a span in the trace has no parent: {in_trace:#?}"
        );
    }

    for span in &spans {
        for text in strings(span) {
            assert!(
                !text.contains(flows::SEAMLESS),
                "the PAN in span {}: {text}",
                span.name
            );
            assert!(
                !text.contains(&otp),
                "the OTP in span {}: {text}",
                span.name
            );
            assert_ne!(text, CVV, "the CVV in span {}", span.name);
            assert!(
                !text.to_ascii_lowercase().contains("cvv"),
                "a CVV field in span {}: {text}",
                span.name
            );
        }
    }
    server.abort();
}
