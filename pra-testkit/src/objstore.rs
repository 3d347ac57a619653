//! Real object-storage servers on 127.0.0.1 for tests, started per test with a
//! fresh bucket: an S3-compatible server (moto's server mode, PyPI `moto[server]`)
//! and Azure's Azurite (npm `azurite`; its container is created with PyPI
//! `azure-storage-blob`, as object storage clients cannot create containers).
//!
//! A missing server is a loud failure naming the install command (scripts/test.sh
//! installs it), never a skipped test.

use pra_core::repo::ObjectStorage;
use std::io::{Read, Write};
use std::net::TcpStream;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// The bucket (or container) every server is started with.
pub const BUCKET: &str = "pra-test";

/// A server process listening on a port of 127.0.0.1, its output in a log file;
/// killed when dropped.
struct Spawned {
    port: u16,
    child: Child,
    log: tempfile::NamedTempFile,
}

impl Spawned {
    /// Starts `cmd` with `port_flag PORT` and waits until it listens (30 s); a missing
    /// program fails naming `install`.
    fn start(mut cmd: Command, port_flag: &str, install: &str) -> Spawned {
        let port = crate::cluster::free_port();
        let log = tempfile::NamedTempFile::new().unwrap();
        let what = cmd.get_program().to_string_lossy().into_owned();
        let child = cmd
            .args([port_flag, &port.to_string()])
            .stdout(log.reopen().unwrap())
            .stderr(log.reopen().unwrap())
            .stdin(Stdio::null())
            .spawn()
            .unwrap_or_else(|e| {
                panic!("{what} is needed: {e}\ninstall it with: {install} (scripts/test.sh does)")
            });
        let mut spawned = Spawned { port, child, log };
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            if let Ok(Some(status)) = spawned.child.try_wait() {
                panic!(
                    "{what} exited ({status}) before serving:\n{}",
                    spawned.log_text()
                );
            }
            if TcpStream::connect(("127.0.0.1", port)).is_ok() {
                return spawned;
            }
            assert!(
                Instant::now() < deadline,
                "{what} did not listen on port {port} within 30 s:\n{}",
                spawned.log_text()
            );
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    fn log_text(&self) -> String {
        std::fs::read_to_string(self.log.path()).unwrap_or_default()
    }
}

impl Drop for Spawned {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// `(name, value)` pairs as owned strings.
fn owned<const N: usize>(pairs: [(&str, String); N]) -> Vec<(String, String)> {
    pairs.into_iter().map(|(k, v)| (k.to_string(), v)).collect()
}

/// A running S3-compatible server with the bucket [`BUCKET`]; killed when dropped.
pub struct S3Server {
    /// Its port on 127.0.0.1.
    pub port: u16,
    process: Spawned,
}

impl S3Server {
    /// Starts moto's server mode and creates the bucket.
    pub fn start() -> S3Server {
        let mut cmd = Command::new("moto_server");
        cmd.args(["-H", "127.0.0.1"]);
        let process = Spawned::start(cmd, "-p", "python3 -m pip install 'moto[server]'");
        let server = S3Server {
            port: process.port,
            process,
        };
        let status = server.request("PUT", &format!("/{BUCKET}"), b"");
        assert!(
            status == 200,
            "creating the test bucket answered HTTP {status}\n{}",
            server.server_log()
        );
        server
    }

    /// What the server printed.
    pub fn server_log(&self) -> String {
        self.process.log_text()
    }

    /// One unsigned HTTP request (moto does not check signatures); the status code.
    pub fn request(&self, method: &str, path: &str, body: &[u8]) -> u16 {
        self.exchange(method, path, body).0
    }

    /// The multipart uploads in progress in the bucket (S3 `ListMultipartUploads`):
    /// the keys being uploaded, invisible to listings until complete.
    pub fn uploads_in_progress(&self) -> Vec<String> {
        let (_, reply) = self.exchange("GET", &format!("/{BUCKET}?uploads"), b"");
        reply
            .split("<Key>")
            .skip(1)
            .filter_map(|s| s.split("</Key>").next())
            .map(str::to_string)
            .collect()
    }

    /// One unsigned HTTP request: the status code and the whole reply.
    fn exchange(&self, method: &str, path: &str, body: &[u8]) -> (u16, String) {
        let mut s = TcpStream::connect(("127.0.0.1", self.port)).unwrap();
        write!(
            s,
            "{method} {path} HTTP/1.1\r\nHost: 127.0.0.1:{}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
            self.port,
            body.len()
        )
        .unwrap();
        s.write_all(body).unwrap();
        let mut reply = String::new();
        let _ = s.read_to_string(&mut reply);
        let status = reply
            .split_whitespace()
            .nth(1)
            .and_then(|c| c.parse().ok())
            .unwrap_or(0);
        (status, reply)
    }

    /// The repository URL for `prefix` in the test bucket.
    pub fn url(&self, prefix: &str) -> String {
        format!("s3://{BUCKET}/{prefix}")
    }

    /// The environment a tool needs to reach this server (standard `AWS_*` names).
    pub fn env(&self) -> Vec<(String, String)> {
        owned([
            (
                "AWS_ENDPOINT_URL",
                format!("http://127.0.0.1:{}", self.port),
            ),
            ("AWS_ALLOW_HTTP", "true".to_string()),
            ("AWS_ACCESS_KEY_ID", "pra-test-key".to_string()),
            ("AWS_SECRET_ACCESS_KEY", "pra-test-secret".to_string()),
            ("AWS_REGION", "us-east-1".to_string()),
        ])
    }

    /// The storage driver on `prefix`, for in-process tests.
    pub fn storage(&self, prefix: &str) -> ObjectStorage {
        ObjectStorage::open_with(&self.url(prefix), &self.env()).unwrap()
    }
}

/// Azurite's well-known development account and key (public, documented by Microsoft).
const AZURITE_ACCOUNT: &str = "devstoreaccount1";
const AZURITE_KEY: &str =
    "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==";

/// A running Azurite blob server with the container [`BUCKET`]; killed when dropped.
pub struct AzuriteServer {
    /// Its port on 127.0.0.1.
    pub port: u16,
    _process: Spawned,
    _data: tempfile::TempDir,
}

impl AzuriteServer {
    /// Starts `azurite-blob` and creates the container.
    pub fn start() -> AzuriteServer {
        let data = tempfile::tempdir().unwrap();
        let mut cmd = Command::new("azurite-blob");
        cmd.arg("--location")
            .arg(data.path())
            .args(["--skipApiVersionCheck", "--loose", "--silent"])
            .args(["--blobHost", "127.0.0.1"]);
        let process = Spawned::start(cmd, "--blobPort", "npm install -g azurite");
        let server = AzuriteServer {
            port: process.port,
            _process: process,
            _data: data,
        };
        let script = format!(
            "from azure.storage.blob import BlobServiceClient\n\
             BlobServiceClient.from_connection_string('{}').create_container('{BUCKET}')\n",
            server.connection_string()
        );
        let out = Command::new("python3")
            .args(["-c", &script])
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "creating the Azurite container failed (python3 -m pip install azure-storage-blob, \
             as scripts/test.sh does):\n{}",
            String::from_utf8_lossy(&out.stderr)
        );
        server
    }

    fn connection_string(&self) -> String {
        format!(
            "DefaultEndpointsProtocol=http;AccountName={AZURITE_ACCOUNT};AccountKey={AZURITE_KEY};\
             BlobEndpoint=http://127.0.0.1:{}/{AZURITE_ACCOUNT};",
            self.port
        )
    }

    /// The repository URL for `prefix` in the test container.
    pub fn url(&self, prefix: &str) -> String {
        format!("az://{BUCKET}/{prefix}")
    }

    /// The environment a tool needs to reach this server (standard `AZURE_*` names).
    pub fn env(&self) -> Vec<(String, String)> {
        owned([
            ("AZURE_STORAGE_ACCOUNT_NAME", AZURITE_ACCOUNT.to_string()),
            ("AZURE_STORAGE_ACCOUNT_KEY", AZURITE_KEY.to_string()),
            (
                "AZURE_STORAGE_ENDPOINT",
                format!("http://127.0.0.1:{}/{AZURITE_ACCOUNT}", self.port),
            ),
            ("AZURE_ALLOW_HTTP", "true".to_string()),
        ])
    }

    /// The storage driver on `prefix`, for in-process tests.
    pub fn storage(&self, prefix: &str) -> ObjectStorage {
        ObjectStorage::open_with(&self.url(prefix), &self.env()).unwrap()
    }
}
