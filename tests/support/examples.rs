//! Reading the examples the documentation shows: fenced code blocks, the shell commands in
//! them (quotes, `\` continuations, trailing `#` comments), and the JSON a request example
//! carries, mapped onto the API's request structs field by field. A field the mapping does not
//! know is an error, so documentation that drifts from the API fails the tests that read it.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use payorch::api;
use serde_json::{Map, Value};

/// A fenced code block: its info string (`sh`, `json`, ...) and its text.
#[derive(Debug, Clone)]
pub struct Block {
    pub lang: String,
    pub text: String,
}

/// The fenced code blocks of a Markdown document, in order.
pub fn fenced_blocks(markdown: &str) -> Vec<Block> {
    let mut blocks = Vec::new();
    let mut open: Option<Block> = None;
    for line in markdown.lines() {
        let trimmed = line.trim_start();
        match (&mut open, trimmed.strip_prefix("```")) {
            (None, Some(info)) => {
                open = Some(Block {
                    lang: info.trim().to_owned(),
                    text: String::new(),
                });
            }
            (Some(_), Some(rest)) if rest.trim().is_empty() => {
                blocks.extend(open.take());
            }
            (Some(block), _) => {
                block.text.push_str(line);
                block.text.push('\n');
            }
            (None, None) => {}
        }
    }
    blocks
}

/// One shell command of a code block: its words after quote removal, and the comment that
/// follows it (on its last line and on comment lines directly below it).
#[derive(Debug, Clone, Default)]
pub struct Command {
    pub words: Vec<String>,
    pub comment: String,
}

impl Command {
    pub fn program(&self) -> &str {
        self.words.first().map(String::as_str).unwrap_or("")
    }
}

/// Splits a POSIX-shell block into commands. Supports what the examples use (single and
/// double quotes, `\` line continuations, `#` comments) and refuses what it cannot run
/// faithfully (`$` expansions, pipes, redirections), so an example that starts using them
/// fails instead of being half-executed.
pub fn shell_commands(block: &str) -> Result<Vec<Command>, String> {
    let mut commands: Vec<Command> = Vec::new();
    let mut words: Vec<String> = Vec::new();
    let mut word: Option<String> = None;
    // A comment line right below a command (no blank line between) still belongs to it.
    let mut attach_comment_to_last = false;
    let mut chars = block.chars().peekable();
    let finish = |words: &mut Vec<String>, word: &mut Option<String>| {
        if let Some(w) = word.take() {
            words.push(w);
        }
    };
    while let Some(c) = chars.next() {
        match c {
            '\'' => {
                let w = word.get_or_insert_with(String::new);
                loop {
                    match chars.next() {
                        Some('\'') => break,
                        Some(ch) => w.push(ch),
                        None => return Err("unterminated single quote".into()),
                    }
                }
            }
            '"' => {
                let w = word.get_or_insert_with(String::new);
                loop {
                    match chars.next() {
                        Some('"') => break,
                        Some('\\') => match chars.next() {
                            Some(ch @ ('"' | '\\' | '$' | '`')) => w.push(ch),
                            Some(ch) => {
                                w.push('\\');
                                w.push(ch);
                            }
                            None => return Err("unterminated double quote".into()),
                        },
                        Some('$' | '`') => {
                            return Err(format!("shell expansion in {w:?}... is not supported"));
                        }
                        Some(ch) => w.push(ch),
                        None => return Err("unterminated double quote".into()),
                    }
                }
            }
            '\\' => match chars.next() {
                Some('\n') => {}
                Some(ch) => word.get_or_insert_with(String::new).push(ch),
                None => return Err("trailing backslash".into()),
            },
            '#' if word.is_none() => {
                let mut comment = String::new();
                while let Some(&ch) = chars.peek() {
                    if ch == '\n' {
                        break;
                    }
                    comment.push(ch);
                    chars.next();
                }
                let comment = comment.trim().to_owned();
                if !words.is_empty() {
                    finish(&mut words, &mut word);
                    commands.push(Command {
                        words: std::mem::take(&mut words),
                        comment,
                    });
                    attach_comment_to_last = true;
                } else if attach_comment_to_last && let Some(last) = commands.last_mut() {
                    if !last.comment.is_empty() {
                        last.comment.push(' ');
                    }
                    last.comment.push_str(&comment);
                }
                // The newline that ends the comment.
                if chars.peek() == Some(&'\n') {
                    chars.next();
                }
            }
            '\n' => {
                finish(&mut words, &mut word);
                if words.is_empty() {
                    // A blank line ends what a comment below can refer to.
                    attach_comment_to_last = false;
                } else {
                    commands.push(Command {
                        words: std::mem::take(&mut words),
                        comment: String::new(),
                    });
                    attach_comment_to_last = true;
                }
            }
            ' ' | '\t' => finish(&mut words, &mut word),
            '$' | '`' | '|' | '>' | '<' | ';' | '&' => {
                return Err(format!(
                    "{c:?} (expansion, pipe, redirection or list) is not supported in an example"
                ));
            }
            ch => word.get_or_insert_with(String::new).push(ch),
        }
    }
    finish(&mut words, &mut word);
    if !words.is_empty() {
        commands.push(Command {
            words,
            comment: String::new(),
        });
    }
    Ok(commands)
}

/// A `grpcurl` invocation: `grpcurl -plaintext [-d JSON] ADDRESS (list | SERVICE/METHOD)`.
#[derive(Debug, Clone)]
pub struct Grpcurl {
    pub data: Option<Value>,
    pub address: String,
    pub method: String,
}

pub fn parse_grpcurl(words: &[String]) -> Result<Grpcurl, String> {
    let mut plaintext = false;
    let mut data = None;
    let mut positional = Vec::new();
    let mut rest = words.iter().skip(1);
    while let Some(word) = rest.next() {
        match word.as_str() {
            "-plaintext" => plaintext = true,
            "-d" => {
                let raw = rest.next().ok_or("-d without data")?;
                data = Some(
                    serde_json::from_str(raw)
                        .map_err(|e| format!("-d is not JSON ({e}): {raw}"))?,
                );
            }
            flag if flag.starts_with('-') => return Err(format!("unknown grpcurl flag {flag}")),
            value => positional.push(value.to_owned()),
        }
    }
    if !plaintext {
        return Err("grpcurl without -plaintext cannot reach the embedded server".into());
    }
    match positional.as_slice() {
        [address, method] => Ok(Grpcurl {
            data,
            address: address.clone(),
            method: method.clone(),
        }),
        other => Err(format!("expected ADDRESS METHOD, got {other:?}")),
    }
}

/// A `curl -s URL` invocation (a GET).
pub fn parse_curl(words: &[String]) -> Result<String, String> {
    let mut url = None;
    for word in words.iter().skip(1) {
        match word.as_str() {
            "-s" | "--silent" => {}
            flag if flag.starts_with('-') => return Err(format!("unknown curl flag {flag}")),
            value if url.is_none() => url = Some(value.to_owned()),
            value => return Err(format!("a second URL {value}")),
        }
    }
    url.ok_or_else(|| "curl without a URL".into())
}

/// The fields of one JSON object, taken one by one; `done` refuses any field left over.
pub struct Fields<'a> {
    path: String,
    map: &'a Map<String, Value>,
    taken: Vec<&'static str>,
}

impl<'a> Fields<'a> {
    pub fn of(path: &str, value: &'a Value) -> Result<Self, String> {
        match value {
            Value::Object(map) => Ok(Self {
                path: path.to_owned(),
                map,
                taken: Vec::new(),
            }),
            other => Err(format!("{path}: expected an object, got {other}")),
        }
    }

    fn take(&mut self, name: &'static str) -> Option<&'a Value> {
        self.taken.push(name);
        self.map.get(name)
    }

    fn path(&self, name: &str) -> String {
        if self.path.is_empty() {
            name.to_owned()
        } else {
            format!("{}.{name}", self.path)
        }
    }

    pub fn string(&mut self, name: &'static str) -> Result<String, String> {
        match self.take(name) {
            None => Ok(String::new()),
            Some(Value::String(s)) => Ok(s.clone()),
            Some(other) => Err(format!(
                "{}: expected a string, got {other}",
                self.path(name)
            )),
        }
    }

    pub fn boolean(&mut self, name: &'static str) -> Result<bool, String> {
        match self.take(name) {
            None => Ok(false),
            Some(Value::Bool(b)) => Ok(*b),
            Some(other) => Err(format!(
                "{}: expected a boolean, got {other}",
                self.path(name)
            )),
        }
    }

    /// A protobuf JSON integer: a number, or (int64) a string of digits.
    pub fn int64(&mut self, name: &'static str) -> Result<i64, String> {
        let path = self.path(name);
        match self.take(name) {
            None => Ok(0),
            Some(Value::Number(n)) => n.as_i64().ok_or(format!("{path}: not an integer: {n}")),
            Some(Value::String(s)) => s
                .parse()
                .map_err(|_| format!("{path}: not an integer: {s}")),
            Some(other) => Err(format!("{path}: expected an integer, got {other}")),
        }
    }

    pub fn int32(&mut self, name: &'static str) -> Result<i32, String> {
        let path = self.path(name);
        i32::try_from(self.int64(name)?).map_err(|_| format!("{path}: out of range"))
    }

    /// A nested message, mapped by `map`; absent stays `None`.
    pub fn message<T>(
        &mut self,
        name: &'static str,
        map: impl FnOnce(Fields<'a>) -> Result<T, String>,
    ) -> Result<Option<T>, String> {
        let path = self.path(name);
        match self.take(name) {
            None | Some(Value::Null) => Ok(None),
            Some(value) => map(Fields::of(&path, value)?).map(Some),
        }
    }

    /// An enum by its proto name (or its number).
    pub fn enumeration(
        &mut self,
        name: &'static str,
        from_name: impl FnOnce(&str) -> Option<i32>,
    ) -> Result<i32, String> {
        let path = self.path(name);
        match self.take(name) {
            None => Ok(0),
            Some(Value::String(s)) => from_name(s).ok_or(format!("{path}: unknown value {s}")),
            Some(Value::Number(n)) => n
                .as_i64()
                .and_then(|n| i32::try_from(n).ok())
                .ok_or(format!("{path}: not an enum number: {n}")),
            Some(other) => Err(format!("{path}: expected an enum, got {other}")),
        }
    }

    /// Refuses fields nobody took: the example names something this mapping does not know.
    pub fn done(self) -> Result<(), String> {
        let unknown: Vec<String> = self
            .map
            .keys()
            .filter(|k| !self.taken.contains(&k.as_str()))
            .map(|k| {
                if self.path.is_empty() {
                    k.clone()
                } else {
                    format!("{}.{k}", self.path)
                }
            })
            .collect();
        if unknown.is_empty() {
            Ok(())
        } else {
            Err(format!(
                "field(s) {unknown:?} not understood by tests/support/examples.rs: map them \
                 onto the request (or fix the example)"
            ))
        }
    }
}

fn money(mut f: Fields<'_>) -> Result<api::Money, String> {
    let money = api::Money {
        minor_units: f.int64("minor_units")?,
        currency: f.string("currency")?,
    };
    f.done()?;
    Ok(money)
}

fn card(mut f: Fields<'_>) -> Result<api::Card, String> {
    let card = api::Card {
        number: f.string("number")?,
        expiry_month: f.string("expiry_month")?,
        expiry_year: f.string("expiry_year")?,
        cvv: f.string("cvv")?,
        holder_name: f.string("holder_name")?,
    };
    f.done()?;
    Ok(card)
}

fn network_token(mut f: Fields<'_>) -> Result<api::NetworkToken, String> {
    let token = api::NetworkToken {
        number: f.string("number")?,
        cryptogram: f.string("cryptogram")?,
        expiry_month: f.string("expiry_month")?,
        expiry_year: f.string("expiry_year")?,
    };
    f.done()?;
    Ok(token)
}

fn payment_method(mut f: Fields<'_>) -> Result<api::PaymentMethod, String> {
    use api::payment_method::Method;
    let card = f.message("card", card)?;
    let token = f.message("network_token", network_token)?;
    f.done()?;
    let method = match (card, token) {
        (Some(card), None) => Some(Method::Card(card)),
        (None, Some(token)) => Some(Method::NetworkToken(token)),
        (None, None) => None,
        (Some(_), Some(_)) => return Err("payment_method: card and network_token both".into()),
    };
    Ok(api::PaymentMethod { method })
}

fn browser(mut f: Fields<'_>) -> Result<api::BrowserInfo, String> {
    let browser = api::BrowserInfo {
        ip_address: f.string("ip_address")?,
        user_agent: f.string("user_agent")?,
        accept_header: f.string("accept_header")?,
        language: f.string("language")?,
        javascript_enabled: f.boolean("javascript_enabled")?,
        java_enabled: f.boolean("java_enabled")?,
        color_depth: f.int32("color_depth")?,
        screen_height: f.int32("screen_height")?,
        screen_width: f.int32("screen_width")?,
        time_zone_offset_minutes: f.int32("time_zone_offset_minutes")?,
    };
    f.done()?;
    Ok(browser)
}

pub fn start_authentication(json: &Value) -> Result<api::StartAuthenticationRequest, String> {
    let mut f = Fields::of("", json)?;
    let request = api::StartAuthenticationRequest {
        merchant_id: f.string("merchant_id")?,
        idempotency_key: f.string("idempotency_key")?,
        connector: f.string("connector")?,
        amount: f.message("amount", money)?,
        payment_method: f.message("payment_method", payment_method)?,
        browser: f.message("browser", browser)?,
        return_url: f.string("return_url")?,
        order_reference: f.string("order_reference")?,
        preferred_flow: f.enumeration("preferred_flow", |s| {
            api::FlowPreference::from_str_name(s).map(Into::into)
        })?,
        capture: f.boolean("capture")?,
        customer_id: f.string("customer_id")?,
        customer_email: f.string("customer_email")?,
        customer_phone: f.string("customer_phone")?,
    };
    f.done()?;
    Ok(request)
}

pub fn submit_otp(json: &Value) -> Result<api::SubmitOtpRequest, String> {
    let mut f = Fields::of("", json)?;
    let request = api::SubmitOtpRequest {
        authentication_id: f.string("authentication_id")?,
        otp: f.string("otp")?,
        idempotency_key: f.string("idempotency_key")?,
        merchant_id: f.string("merchant_id")?,
    };
    f.done()?;
    Ok(request)
}

pub fn get_authentication(json: &Value) -> Result<api::GetAuthenticationRequest, String> {
    let mut f = Fields::of("", json)?;
    let request = api::GetAuthenticationRequest {
        id: f.string("id")?,
        refresh: f.boolean("refresh")?,
        merchant_id: f.string("merchant_id")?,
    };
    f.done()?;
    Ok(request)
}

pub fn authorize(json: &Value) -> Result<api::AuthorizeRequest, String> {
    let mut f = Fields::of("", json)?;
    let request = api::AuthorizeRequest {
        merchant_id: f.string("merchant_id")?,
        idempotency_key: f.string("idempotency_key")?,
        authentication_id: f.string("authentication_id")?,
        amount: f.message("amount", money)?,
        capture: f.boolean("capture")?,
        order_reference: f.string("order_reference")?,
        payment_method: f.message("payment_method", payment_method)?,
        connector: f.string("connector")?,
        browser: f.message("browser", browser)?,
    };
    f.done()?;
    Ok(request)
}

/// The real `payorch` binary on free loopback ports, its stdout (JSON logs) and stderr
/// (start-up lines) collected line by line; killed when dropped.
pub struct Binary {
    pub child: std::process::Child,
    pub grpc: std::net::SocketAddr,
    pub http: std::net::SocketAddr,
    pub sandbox: std::net::SocketAddr,
    output: std::sync::Arc<std::sync::Mutex<Vec<String>>>,
}

impl Binary {
    /// `payorch` with no command and these extra environment variables.
    pub fn spawn(env: &[(&str, &str)]) -> Self {
        use std::io::BufRead;
        use std::process::{Command, Stdio};
        let (grpc, http, sandbox) = (super::free_addr(), super::free_addr(), super::free_addr());
        let mut command = Command::new(env!("CARGO_BIN_EXE_payorch"));
        command
            .env("PAYORCH_GRPC__LISTEN", grpc.to_string())
            .env("PAYORCH_HTTP__LISTEN", http.to_string())
            .env("PAYORCH_SANDBOX__LISTEN", sandbox.to_string())
            .env_remove("REDIS_URL")
            .env_remove("PAYORCH_CONFIG")
            .env_remove("PAYORCH_SANDBOX__FIXED_OTP")
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        for (name, value) in env {
            command.env(name, value);
        }
        let mut child = command.spawn().expect("spawn payorch");
        let output = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
        let stdout = child
            .stdout
            .take()
            .map(|s| Box::new(s) as Box<dyn std::io::Read + Send>);
        let stderr = child
            .stderr
            .take()
            .map(|s| Box::new(s) as Box<dyn std::io::Read + Send>);
        for stream in [stdout, stderr].into_iter().flatten() {
            let output = output.clone();
            std::thread::spawn(move || {
                for line in std::io::BufReader::new(stream)
                    .lines()
                    .map_while(Result::ok)
                {
                    output.lock().unwrap().push(line);
                }
            });
        }
        Self {
            child,
            grpc,
            http,
            sandbox,
            output,
        }
    }

    /// Every line printed so far, stdout and stderr interleaved as they arrived.
    pub fn output(&self) -> Vec<String> {
        self.output.lock().unwrap().clone()
    }

    /// What `/readyz` answers now (0: no answer).
    pub async fn readyz(&self) -> u16 {
        reqwest::get(format!("http://{}/readyz", self.http))
            .await
            .map(|a| a.status().as_u16())
            .unwrap_or(0)
    }

    /// Waits (polling, up to 60 s) until the start-up banner naming the gRPC address is out.
    pub async fn wait_until_serving(&mut self) {
        let banner = format!("gRPC on {}", self.grpc);
        let up = super::eventually(std::time::Duration::from_secs(60), || {
            let printed = self.output().iter().any(|l| l.contains(&banner));
            async move { printed }
        })
        .await;
        assert!(
            up,
            "payorch did not print {banner:?} (exit: {:?}):\n{}",
            self.child.try_wait(),
            self.output().join("\n")
        );
    }
}

impl Drop for Binary {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
