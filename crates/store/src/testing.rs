//! A throwaway redis-server for tests: started on a free loopback port, killed on drop.
//! It panics (fails the test loudly) when redis-server cannot start; tests never skip.

use std::net::TcpListener;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

pub struct RedisServer {
    child: Child,
    port: u16,
    /// The append-only file's folder, for a server started with persistence.
    aof_dir: Option<std::path::PathBuf>,
}

impl RedisServer {
    /// Starts `redis-server` with AOF persistence (`appendfsync always`), as production
    /// must run it, so [`Self::crash`] then [`Self::restart`] loses nothing.
    #[allow(clippy::expect_used, clippy::panic)]
    pub fn start_persistent() -> Self {
        let port = free_port();
        let dir = std::env::temp_dir().join(format!("payorch-redis-{}-{port}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("a folder for the append-only file");
        let mut server = RedisServer {
            child: Self::spawn_persistent(port, &dir),
            port,
            aof_dir: Some(dir),
        };
        assert!(
            server.wait_ready(Duration::from_secs(10)),
            "redis-server with AOF did not start"
        );
        server
    }

    #[allow(clippy::panic)]
    fn spawn_persistent(port: u16, dir: &std::path::Path) -> Child {
        let binary = std::env::var("REDIS_SERVER").unwrap_or_else(|_| "redis-server".into());
        Command::new(&binary)
            .args(["--port", &port.to_string(), "--bind", "127.0.0.1"])
            .args([
                "--save",
                "",
                "--appendonly",
                "yes",
                "--appendfsync",
                "always",
            ])
            .arg("--dir")
            .arg(dir)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|e| {
                panic!(
                    "cannot start {binary:?} ({e}); run ./scripts/test, which installs redis-server"
                )
            })
    }

    /// Kills the server (SIGKILL: a crash, not a shutdown).
    pub fn crash(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    /// Starts the crashed server again on the same port, from its append-only file.
    #[allow(clippy::panic)]
    pub fn restart(&mut self) {
        let Some(dir) = self.aof_dir.clone() else {
            panic!("restart needs a server started with start_persistent");
        };
        self.child = Self::spawn_persistent(self.port, &dir);
        assert!(
            self.wait_ready(Duration::from_secs(10)),
            "redis-server did not come back"
        );
    }

    /// Starts `redis-server` (from `$REDIS_SERVER` or the PATH) with no persistence.
    #[allow(clippy::expect_used, clippy::panic)]
    pub fn start() -> Self {
        let binary = std::env::var("REDIS_SERVER").unwrap_or_else(|_| "redis-server".into());
        for _ in 0..5 {
            let port = free_port();
            let child = Command::new(&binary)
                .args(["--port", &port.to_string(), "--bind", "127.0.0.1"])
                .args(["--save", "", "--appendonly", "no", "--protected-mode", "yes"])
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .spawn()
                .unwrap_or_else(|e| {
                    panic!("cannot start {binary:?} ({e}); run ./scripts/test, which installs redis-server")
                });
            let mut server = RedisServer {
                child,
                port,
                aof_dir: None,
            };
            if server.wait_ready(Duration::from_secs(10)) {
                return server;
            }
            let _ = server.child.kill();
        }
        panic!("redis-server did not start on a free loopback port after 5 tries");
    }

    pub fn url(&self) -> String {
        format!("redis://127.0.0.1:{}/0", self.port)
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    fn wait_ready(&mut self, within: Duration) -> bool {
        let deadline = Instant::now() + within;
        while Instant::now() < deadline {
            if let Ok(Some(_)) = self.child.try_wait() {
                return false;
            }
            if let Ok(mut stream) = std::net::TcpStream::connect(("127.0.0.1", self.port)) {
                use std::io::{Read, Write};
                let mut reply = [0u8; 7];
                if stream.write_all(b"PING\r\n").is_ok()
                    && stream.read_exact(&mut reply).is_ok()
                    && &reply == b"+PONG\r\n"
                {
                    return true;
                }
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        false
    }
}

impl Drop for RedisServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        if let Some(dir) = &self.aof_dir {
            let _ = std::fs::remove_dir_all(dir);
        }
    }
}

/// A redis-server as production runs one in front of payorch: TLS only (no plain port),
/// its certificate signed by a throwaway CA, the `default` user off and one ACL user,
/// [`TlsRedis::USER`], allowed only `payorch:*` keys and no dangerous commands. With
/// `mutual`, it also requires a client certificate signed by that CA.
pub struct TlsRedis {
    server: RedisServer,
    dir: std::path::PathBuf,
}

impl TlsRedis {
    pub const USER: &'static str = "payorch";
    pub const PASSWORD: &'static str = "s3cret-acl-password";

    #[allow(clippy::expect_used, clippy::panic)]
    pub fn start(mutual: bool) -> Self {
        let port = free_port();
        let dir =
            std::env::temp_dir().join(format!("payorch-redis-tls-{}-{port}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("a folder for the certificates");
        certificates(&dir);
        let file = |name: &str| dir.join(name).to_string_lossy().into_owned();
        let binary = std::env::var("REDIS_SERVER").unwrap_or_else(|_| "redis-server".into());
        let child = Command::new(&binary)
            .args([
                "--port",
                "0",
                "--tls-port",
                &port.to_string(),
                "--bind",
                "127.0.0.1",
            ])
            .args([
                "--tls-cert-file",
                &file("server.crt"),
                "--tls-key-file",
                &file("server.key"),
            ])
            .args(["--tls-ca-cert-file", &file("ca.crt")])
            .args(["--tls-auth-clients", if mutual { "yes" } else { "no" }])
            .args(["--save", "", "--appendonly", "no"])
            .args(["--user", "default", "off"])
            .args(["--user", Self::USER, "on"])
            .arg(format!(">{}", Self::PASSWORD))
            .args(["~payorch:*", "+@all", "-@dangerous"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|e| {
                panic!(
                    "cannot start {binary:?} ({e}); run ./scripts/test, which installs redis-server"
                )
            });
        let mut redis = TlsRedis {
            server: RedisServer {
                child,
                port,
                aof_dir: None,
            },
            dir,
        };
        assert!(
            redis.wait_ready(Duration::from_secs(10)),
            "redis-server with TLS did not start"
        );
        redis
    }

    /// `rediss://` with the ACL user's credentials.
    pub fn url(&self) -> String {
        format!(
            "rediss://{}:{}@127.0.0.1:{}/0",
            Self::USER,
            Self::PASSWORD,
            self.server.port
        )
    }

    pub fn port(&self) -> u16 {
        self.server.port
    }

    /// The CA that signed the server's (and the client's) certificate.
    pub fn ca_file(&self) -> std::path::PathBuf {
        self.dir.join("ca.crt")
    }

    /// A CA that signed nothing here: a server checked against it is refused.
    pub fn other_ca_file(&self) -> std::path::PathBuf {
        self.dir.join("other-ca.crt")
    }

    pub fn client_cert_file(&self) -> std::path::PathBuf {
        self.dir.join("client.crt")
    }

    pub fn client_key_file(&self) -> std::path::PathBuf {
        self.dir.join("client.key")
    }

    fn wait_ready(&mut self, within: Duration) -> bool {
        let deadline = Instant::now() + within;
        while Instant::now() < deadline {
            if let Ok(Some(_)) = self.server.child.try_wait() {
                return false;
            }
            let pong = Command::new("redis-cli")
                .args(["--tls", "--cacert"])
                .arg(self.ca_file())
                .arg("--cert")
                .arg(self.client_cert_file())
                .arg("--key")
                .arg(self.client_key_file())
                .args(["-p", &self.server.port.to_string()])
                .args([
                    "--user",
                    Self::USER,
                    "--pass",
                    Self::PASSWORD,
                    "--no-auth-warning",
                ])
                .arg("PING")
                .output()
                .is_ok_and(|out| out.stdout.starts_with(b"PONG"));
            if pong {
                return true;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        false
    }
}

impl Drop for TlsRedis {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// A CA, a server certificate for 127.0.0.1 and localhost, a client certificate, and an
/// unrelated CA, all P-256, written into `dir` by the `openssl` command.
#[allow(clippy::panic)]
fn certificates(dir: &std::path::Path) {
    let openssl = |args: &[&str]| {
        let out = Command::new("openssl")
            .args(args)
            .current_dir(dir)
            .stdout(Stdio::null())
            .output()
            .unwrap_or_else(|e| {
                panic!("cannot run openssl ({e}); run ./scripts/test, which installs it")
            });
        assert!(
            out.status.success(),
            "openssl {args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    };
    let p256 = [
        "-newkey",
        "ec",
        "-pkeyopt",
        "ec_paramgen_curve:P-256",
        "-nodes",
    ];
    for ca in ["ca", "other-ca"] {
        let (key, crt, subject) = (
            format!("{ca}.key"),
            format!("{ca}.crt"),
            format!("/CN=payorch test {ca}"),
        );
        let mut args = vec!["req", "-x509"];
        args.extend(p256);
        args.extend([
            "-keyout", &key, "-out", &crt, "-days", "2", "-subj", &subject,
        ]);
        openssl(&args);
    }
    for (name, usage, san) in [
        (
            "server",
            "serverAuth",
            "subjectAltName=IP:127.0.0.1,DNS:localhost\n",
        ),
        ("client", "clientAuth", ""),
    ] {
        let ext = format!("{name}.ext");
        #[allow(clippy::expect_used)]
        std::fs::write(
            dir.join(&ext),
            format!("{san}basicConstraints=CA:FALSE\nkeyUsage=digitalSignature\nextendedKeyUsage={usage}\n"),
        )
        .expect("extension file");
        let (key, csr, crt, subject) = (
            format!("{name}.key"),
            format!("{name}.csr"),
            format!("{name}.crt"),
            format!("/CN=payorch test {name}"),
        );
        let mut args = vec!["req"];
        args.extend(p256);
        args.extend(["-keyout", &key, "-out", &csr, "-subj", &subject]);
        openssl(&args);
        openssl(&[
            "x509",
            "-req",
            "-in",
            &csr,
            "-CA",
            "ca.crt",
            "-CAkey",
            "ca.key",
            "-CAcreateserial",
            "-out",
            &crt,
            "-days",
            "2",
            "-extfile",
            &ext,
        ]);
    }
}

#[allow(clippy::expect_used)]
fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("no free loopback port")
}

/// One `--cluster-enabled` node on free loopback ports. Its cluster bus gets a port of its
/// own: by default Redis takes the client port + 10000, which does not exist for a port
/// above 55535 (a quarter of Linux's ephemeral range), and the node exits. A port another
/// process took between `free_port` and the bind is retried with fresh ones.
#[allow(clippy::panic)]
fn cluster_node(binary: &str, dir: &std::path::Path) -> RedisServer {
    for _ in 0..5 {
        let (port, bus) = (free_port(), free_port());
        let child = Command::new(binary)
            .args(["--port", &port.to_string(), "--bind", "127.0.0.1"])
            .args(["--cluster-port", &bus.to_string()])
            .args([
                "--save",
                "",
                "--appendonly",
                "no",
                "--cluster-enabled",
                "yes",
            ])
            .args(["--cluster-config-file", &format!("nodes-{port}.conf")])
            .arg("--dir")
            .arg(dir)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {binary:?} ({e})"));
        let mut node = RedisServer {
            child,
            port,
            aof_dir: None,
        };
        if node.wait_ready(Duration::from_secs(10)) {
            return node;
        }
        // Dropping the node kills what is left of it.
    }
    panic!("cluster node did not start on five pairs of free ports");
}

/// A throwaway Redis Cluster of three masters on free loopback ports, killed on drop.
pub struct RedisCluster {
    nodes: Vec<RedisServer>,
    dir: std::path::PathBuf,
}

impl Drop for RedisCluster {
    fn drop(&mut self) {
        for node in &mut self.nodes {
            let _ = node.child.kill();
            let _ = node.child.wait();
        }
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

impl RedisCluster {
    /// Starts three `redis-server --cluster-enabled yes` nodes and joins them with
    /// `redis-cli --cluster create`. Panics (fails the test) when that cannot be done.
    #[allow(clippy::expect_used, clippy::panic)]
    pub fn start() -> Self {
        let binary = std::env::var("REDIS_SERVER").unwrap_or_else(|_| "redis-server".into());
        let dir = std::env::temp_dir().join(format!("payorch-cluster-{}", free_port()));
        std::fs::create_dir_all(&dir).expect("cluster work directory");
        let nodes: Vec<RedisServer> = (0..3).map(|_| cluster_node(&binary, &dir)).collect();
        let addresses: Vec<String> = nodes
            .iter()
            .map(|n| format!("127.0.0.1:{}", n.port))
            .collect();
        let created = Command::new("redis-cli")
            .args(["--cluster", "create"])
            .args(&addresses)
            .args(["--cluster-replicas", "0", "--cluster-yes"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .expect("redis-cli runs (Debian package redis-tools)");
        assert!(created.success(), "redis-cli --cluster create failed");
        let cluster = RedisCluster { nodes, dir };
        cluster.wait_until_ok(Duration::from_secs(20));
        cluster
    }

    /// The nodes' URLs (any of them lets a cluster client discover the rest).
    pub fn urls(&self) -> Vec<String> {
        self.nodes.iter().map(RedisServer::url).collect()
    }

    #[allow(clippy::panic)]
    fn wait_until_ok(&self, within: Duration) {
        let deadline = Instant::now() + within;
        while Instant::now() < deadline {
            let all_ok = self.nodes.iter().all(|n| {
                Command::new("redis-cli")
                    .args(["-p", &n.port.to_string(), "cluster", "info"])
                    .output()
                    .map(|o| String::from_utf8_lossy(&o.stdout).contains("cluster_state:ok"))
                    .unwrap_or(false)
            });
            if all_ok {
                return;
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        panic!("the Redis Cluster never reached cluster_state:ok");
    }
}
