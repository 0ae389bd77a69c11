//! Request bodies (camelCase, absent fields omitted).

use serde::Serialize;

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ClientReference {
    pub code: String,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct AmountDetails {
    pub total_amount: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub currency: Option<String>,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct OrderInformation {
    pub amount_details: AmountDetails,
}

/// `paymentInformation.card`: the clear card goes only into the request body (which
/// ProviderHttp redacts before logging); `Debug` prints nothing of it.
#[derive(Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Card {
    /// `061` is RuPay.
    #[serde(rename = "type")]
    pub card_type: &'static str,
    pub number: String,
    pub expiration_month: String,
    pub expiration_year: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub security_code: Option<String>,
}

impl std::fmt::Debug for Card {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Card([REDACTED])")
    }
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PaymentInformation {
    pub card: Card,
}

#[derive(Debug, Clone, Default, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct DeviceInformation {
    pub ip_address: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub http_accept_browser_value: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub user_agent_browser_value: Option<String>,
    /// `/pts/v2/payments` spelling of the Accept header.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub http_accept_content: Option<String>,
    /// `/pts/v2/payments` spelling of the User-Agent.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub user_agent: Option<String>,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct EnrollmentAuthentication {
    /// An integer in the enrollment request (a string in `/pts/v2/payments`).
    pub transaction_flow_indicator: u8,
    /// Present on a resend: the original transaction.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub authentication_transaction_id: Option<String>,
}

/// `POST /risk/v1/authentications` (check enrollment, OTP generation and resend).
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct EnrollmentRequest {
    pub client_reference_information: ClientReference,
    pub order_information: OrderInformation,
    pub payment_information: PaymentInformation,
    pub device_information: DeviceInformation,
    pub consumer_authentication_information: EnrollmentAuthentication,
}

#[derive(Debug, Clone, Default, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ValidationAuthentication {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub authentication_transaction_id: Option<String>,
    /// No `Id` suffix in the request.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub authentication_transaction_context: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub otp_token: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub signed_pares: Option<String>,
}

/// `POST /risk/v1/authentication-results` (validate).
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ValidationRequest {
    pub client_reference_information: ClientReference,
    pub consumer_authentication_information: ValidationAuthentication,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub device_information: Option<DeviceInformation>,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ProcessingInformation {
    pub commerce_indicator: String,
    pub capture: bool,
}

#[derive(Debug, Clone, Default, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PaymentAuthentication {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cavv: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub xid: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub eci_raw: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub transaction_token: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub authentication_transaction_id: Option<String>,
    /// A string here (an integer in enrollment).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub transaction_flow_indicator: Option<String>,
}

/// `POST /pts/v2/payments`.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PaymentRequest {
    pub client_reference_information: ClientReference,
    pub processing_information: ProcessingInformation,
    pub payment_information: PaymentInformation,
    pub order_information: OrderInformation,
    pub consumer_authentication_information: PaymentAuthentication,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub device_information: Option<DeviceInformation>,
    /// A Standing Instruction debit: the registration's identifier (seed 004).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub installment_information: Option<Installment>,
}

/// `POST /pts/v2/payments/{id}/captures` and the refunds.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct AmountRequest {
    pub client_reference_information: ClientReference,
    pub order_information: OrderInformation,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ReversalInformation {
    pub amount_details: AmountDetails,
}

/// `POST /pts/v2/payments/{id}/reversals`.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ReversalRequest {
    pub client_reference_information: ClientReference,
    pub reversal_information: ReversalInformation,
}

/// `POST /tss/v2/searches` (Transaction Search), used to find a payment whose
/// authorization answer was lost.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SearchRequest {
    pub save: bool,
    pub name: String,
    pub timezone: String,
    pub query: String,
    pub offset: u32,
    pub limit: u32,
    pub sort: String,
}

/// `installmentInformation` of the Standing Instruction calls (seed 004, field by field):
/// dates `DDMMYYYY`, amounts in major units, numbers as strings.
#[derive(Debug, Clone, Default, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Installment {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub identifier: Option<String>,
    /// `1` a fixed amount, `2` up to a maximum amount, `6` de-registration (seamless).
    pub payment_type: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub first_installment_date: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last_installment_date: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub total_count: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub min_amount: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max_amount: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub preferred_day: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub frequency: Option<String>,
    /// `SMS`, `EMAIL` or `BOTH`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub alert_preference: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sequence: Option<String>,
}

#[derive(Debug, Clone, Default, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct BillTo {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub phone_number: Option<String>,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct AgreementOrder {
    pub amount_details: AmountDetails,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub bill_to: Option<BillTo>,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct AgreementProcessing {
    pub action_list: Vec<String>,
}

/// `POST /pts/v2/billing-agreements` (registration) and `PATCH
/// /pts/v2/billing-agreements/{id}` (modification; with `CANCEL_AGREEMENT`, deregistration).
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct AgreementRequest {
    pub client_reference_information: ClientReference,
    pub order_information: AgreementOrder,
    pub payment_information: PaymentInformation,
    pub device_information: DeviceInformation,
    pub installment_information: Installment,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub processing_information: Option<AgreementProcessing>,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct MerchantTime {
    /// `YYYYMMDDhhmmss`, the merchant's local time (IST).
    pub transaction_local_date_time: String,
}

/// `POST /pts/v2/billing-agreements/{id}/intimations` (pre-debit intimation).
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct IntimationRequest {
    pub client_reference_information: ClientReference,
    pub order_information: OrderInformation,
    pub merchant_information: MerchantTime,
    pub payment_information: PaymentInformation,
    pub installment_information: Installment,
}
