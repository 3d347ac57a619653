//! Private PostgreSQL clusters for tests: `initdb` and `postgres` from the
//! machine's server binaries, in a temporary directory, on a Unix socket in that
//! directory and a free TCP port on 127.0.0.1. When the tests run as root the
//! server runs as the unprivileged `postgres` user (initdb refuses root).
//! Dropping the cluster stops the server and removes the directory.

use crate::tls::TlsFiles;

mod client;
use std::os::unix::fs::PermissionsExt;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// How to start a cluster.
#[derive(Debug, Clone, Default)]
pub struct ClusterOptions {
    /// Extra `postgresql.conf` lines (e.g. `archive_mode = on`).
    pub conf: Vec<String>,
    /// When set, the superuser gets this password and TCP connections need it (scram).
    pub password: Option<String>,
    /// TLS on, with certificates made for the test ([`crate::tls::TlsFiles`]), and a
    /// `pg_hba.conf` that refuses TCP connections without TLS.
    pub tls: bool,
}

/// A running private PostgreSQL server.
pub struct PgCluster {
    dir: tempfile::TempDir,
    bindir: PathBuf,
    port: u16,
    child: Option<Child>,
    run_as: Option<(u32, u32)>,
    opts: ClusterOptions,
    tls: Option<TlsFiles>,
}

/// The directory holding `initdb`, `postgres`, `pg_ctl` …: `$PRA_PG_BINDIR`, else
/// `pg_config --bindir` when it has a server, else the newest `/usr/lib/postgresql/*/bin`.
pub fn server_bindir() -> PathBuf {
    if let Ok(dir) = std::env::var("PRA_PG_BINDIR") {
        return PathBuf::from(dir);
    }
    if let Ok(out) = Command::new("pg_config").arg("--bindir").output() {
        let dir = PathBuf::from(String::from_utf8_lossy(&out.stdout).trim());
        if dir.join("postgres").exists() && dir.join("initdb").exists() {
            return dir;
        }
    }
    let mut found: Vec<(u32, PathBuf)> = std::fs::read_dir("/usr/lib/postgresql")
        .into_iter()
        .flatten()
        .flatten()
        .filter_map(|e| {
            let v = e.file_name().to_string_lossy().parse::<u32>().ok()?;
            let bin = e.path().join("bin");
            bin.join("postgres").exists().then_some((v, bin))
        })
        .collect();
    found.sort();
    match found.pop() {
        Some((_, bin)) => bin,
        None => panic!(
            "no PostgreSQL server binaries found (looked at $PRA_PG_BINDIR, pg_config --bindir, \
             /usr/lib/postgresql/*/bin). Install them: apt-get install -y postgresql \
             (scripts/test.sh does this for you)"
        ),
    }
}

/// A free TCP port on 127.0.0.1 (bound, then released).
pub fn free_port() -> u16 {
    let l = std::net::TcpListener::bind("127.0.0.1:0").expect("bind a free port on 127.0.0.1");
    l.local_addr().unwrap().port()
}

/// uid/gid of the `postgres` user when we are root (the server refuses to run as root).
fn unprivileged_user() -> Option<(u32, u32)> {
    // SAFETY: geteuid has no preconditions.
    if unsafe { libc::geteuid() } != 0 {
        return None;
    }
    let name = std::ffi::CString::new("postgres").unwrap();
    // SAFETY: getpwnam with a valid C string; the result is copied immediately.
    let pw = unsafe { libc::getpwnam(name.as_ptr()) };
    if pw.is_null() {
        panic!("tests run as root and there is no 'postgres' user to run the server as; install postgresql (apt-get install -y postgresql) or run the tests as another user");
    }
    // SAFETY: pw is non-null and points to a valid passwd struct.
    unsafe { Some(((*pw).pw_uid, (*pw).pw_gid)) }
}

fn chown_tree(path: &Path, uid: u32, gid: u32) {
    let c = std::ffi::CString::new(path.as_os_str().as_encoded_bytes()).unwrap();
    // SAFETY: valid path string; failure is checked.
    let rc = unsafe { libc::chown(c.as_ptr(), uid, gid) };
    assert_eq!(
        rc,
        0,
        "chown {} failed: {}",
        path.display(),
        std::io::Error::last_os_error()
    );
}

impl PgCluster {
    /// Starts a cluster with default options.
    pub fn start() -> PgCluster {
        Self::start_with(ClusterOptions::default())
    }

    /// Starts a cluster with options.
    pub fn start_with(opts: ClusterOptions) -> PgCluster {
        let bindir = server_bindir();
        let dir = tempfile::Builder::new()
            .prefix("pra-pg-")
            .tempdir()
            .expect("create a temp dir");
        let run_as = unprivileged_user();
        std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o755)).unwrap();
        if let Some((uid, gid)) = run_as {
            chown_tree(dir.path(), uid, gid);
        }
        let data = dir.path().join("data");
        let mut initdb = Command::new(bindir.join("initdb"));
        initdb.arg("-D").arg(&data).args([
            "-U",
            "postgres",
            "--auth=trust",
            "--encoding=UTF8",
            "--locale=C.UTF-8",
            "--no-sync",
        ]);
        let pwfile = dir.path().join("pwfile");
        if let Some(pw) = &opts.password {
            std::fs::write(&pwfile, pw).unwrap();
            if let Some((uid, gid)) = run_as {
                chown_tree(&pwfile, uid, gid);
            }
            initdb
                .arg(format!("--pwfile={}", pwfile.display()))
                .args(["--auth-host=scram-sha-256", "--auth-local=trust"]);
        }
        let mut cluster = PgCluster {
            dir,
            bindir,
            port: 0,
            child: None,
            run_as,
            opts,
            tls: None,
        };
        let out = cluster
            .as_server_user(&mut initdb)
            .output()
            .expect("run initdb");
        assert!(
            out.status.success(),
            "initdb failed: {}\n{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        let _ = std::fs::remove_file(&pwfile);
        let mut conf = vec![
            "listen_addresses = '127.0.0.1'".to_string(),
            format!(
                "unix_socket_directories = '{}'",
                cluster.dir.path().display()
            ),
            "fsync = off".to_string(),
            "synchronous_commit = off".to_string(),
            "full_page_writes = off".to_string(),
            "shared_buffers = 64MB".to_string(),
            "max_connections = 60".to_string(),
            "logging_collector = off".to_string(),
        ];
        if cluster.opts.tls {
            conf.extend(cluster.setup_tls(&data));
        }
        conf.extend(cluster.opts.conf.iter().cloned());
        let mut text = std::fs::read_to_string(data.join("postgresql.conf")).unwrap();
        text.push_str("\n# pra-testkit\n");
        text.push_str(&conf.join("\n"));
        text.push('\n');
        std::fs::write(data.join("postgresql.conf"), text).unwrap();
        cluster.launch();
        cluster
    }

    /// Makes the certificates and the TLS-only `pg_hba.conf`; returns the config lines.
    fn setup_tls(&mut self, data: &Path) -> Vec<String> {
        let dir = self.dir.path().join("tls");
        std::fs::create_dir(&dir).unwrap();
        let files = TlsFiles::generate(&dir);
        if let Some((uid, gid)) = self.run_as {
            // The server refuses a key it does not own (or root's with 0640).
            chown_tree(&files.server_key, uid, gid);
        }
        let method = if self.opts.password.is_some() {
            "scram-sha-256"
        } else {
            "trust"
        };
        std::fs::write(data.join("pg_hba.conf"), TlsFiles::hba(method)).unwrap();
        let conf = files.server_conf();
        self.tls = Some(files);
        conf
    }

    /// The TLS files of a cluster started with [`ClusterOptions::tls`].
    pub fn tls_files(&self) -> &TlsFiles {
        self.tls
            .as_ref()
            .expect("the cluster was started without ClusterOptions::tls")
    }

    fn as_server_user<'a>(&self, cmd: &'a mut Command) -> &'a mut Command {
        if let Some((uid, gid)) = self.run_as {
            // std drops the supplementary groups too when it switches from root.
            cmd.uid(uid).gid(gid);
        }
        cmd.env_remove("PGDATA").env("LC_ALL", "C.UTF-8")
    }

    fn launch(&mut self) {
        let mut last_log = String::new();
        for _attempt in 0..3 {
            self.port = free_port();
            let log = std::fs::File::create(self.log_path()).unwrap();
            if let Some((uid, gid)) = self.run_as {
                chown_tree(&self.log_path(), uid, gid);
            }
            let mut cmd = Command::new(self.bindir.join("postgres"));
            cmd.arg("-D")
                .arg(self.data_dir())
                .arg("-p")
                .arg(self.port.to_string());
            cmd.stdin(Stdio::null())
                .stdout(log.try_clone().unwrap())
                .stderr(log);
            self.as_server_user(&mut cmd);
            let child = cmd.spawn().expect("spawn postgres");
            self.child = Some(child);
            if self.wait_ready(Duration::from_secs(30)) {
                return;
            }
            self.kill();
            last_log = std::fs::read_to_string(self.log_path()).unwrap_or_default();
        }
        panic!("PostgreSQL did not start; server log:\n{last_log}");
    }

    fn wait_ready(&mut self, timeout: Duration) -> bool {
        let deadline = Instant::now() + timeout;
        while Instant::now() < deadline {
            if let Some(child) = &mut self.child {
                if let Ok(Some(_)) = child.try_wait() {
                    return false;
                }
            }
            if postgres::Config::new()
                .host_path(self.socket_dir())
                .port(self.port)
                .user("postgres")
                .dbname("postgres")
                .password(self.opts.password.clone().unwrap_or_default())
                .connect(postgres::NoTls)
                .is_ok()
            {
                return true;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        false
    }

    fn kill(&mut self) {
        if let Some(mut child) = self.child.take() {
            // SIGINT: fast shutdown (abort transactions, clean exit).
            // SAFETY: signalling our own child by pid.
            unsafe { libc::kill(child.id() as i32, libc::SIGINT) };
            let deadline = Instant::now() + Duration::from_secs(15);
            while Instant::now() < deadline {
                if let Ok(Some(_)) = child.try_wait() {
                    return;
                }
                std::thread::sleep(Duration::from_millis(20));
            }
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// Stops the server (fast shutdown); the data directory stays until drop.
    pub fn stop(&mut self) {
        self.kill();
    }

    /// Starts the server again after [`PgCluster::stop`], on the same port if it is free.
    pub fn restart(&mut self) {
        self.kill();
        let port = self.port;
        let log = std::fs::OpenOptions::new()
            .append(true)
            .open(self.log_path())
            .unwrap();
        let mut cmd = Command::new(self.bindir.join("postgres"));
        cmd.arg("-D")
            .arg(self.data_dir())
            .arg("-p")
            .arg(port.to_string());
        cmd.stdin(Stdio::null())
            .stdout(log.try_clone().unwrap())
            .stderr(log);
        self.as_server_user(&mut cmd);
        self.child = Some(cmd.spawn().expect("spawn postgres"));
        assert!(
            self.wait_ready(Duration::from_secs(30)),
            "PostgreSQL did not restart:\n{}",
            self.log()
        );
    }

    /// True while the server process runs.
    pub fn is_running(&mut self) -> bool {
        matches!(self.child.as_mut().map(|c| c.try_wait()), Some(Ok(None)))
    }

    /// The server's log so far.
    pub fn log(&self) -> String {
        std::fs::read_to_string(self.log_path()).unwrap_or_default()
    }

    fn log_path(&self) -> PathBuf {
        self.dir.path().join("server.log")
    }

    /// The data directory.
    pub fn data_dir(&self) -> PathBuf {
        self.dir.path().join("data")
    }

    /// The Unix socket directory (use as `PGHOST`).
    pub fn socket_dir(&self) -> &Path {
        self.dir.path()
    }

    /// The port (socket name and TCP on 127.0.0.1).
    pub fn port(&self) -> u16 {
        self.port
    }

    /// The superuser name.
    pub fn superuser(&self) -> &str {
        "postgres"
    }

    /// The directory of the server binaries (`pg_ctl`, `pgbench` …).
    pub fn bindir(&self) -> &Path {
        &self.bindir
    }
}

impl Drop for PgCluster {
    fn drop(&mut self) {
        // A stopped server would ignore its shutdown signal.
        self.thaw();
        self.kill();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn two_clusters_run_at_once() {
        let a = PgCluster::start();
        let b = PgCluster::start();
        assert_ne!(a.port(), b.port());
        a.create_db("only_in_a");
        assert!(a.db_exists("only_in_a"));
        assert!(!b.db_exists("only_in_a"));
        let v: i32 = a
            .connect("postgres")
            .query_one("SELECT 1", &[])
            .unwrap()
            .get(0);
        assert_eq!(v, 1);
        // Over TCP too.
        let tcp = postgres::Config::new()
            .host("127.0.0.1")
            .port(b.port())
            .user("postgres")
            .dbname("postgres")
            .connect(postgres::NoTls);
        assert!(tcp.is_ok());
    }

    #[test]
    fn stop_and_restart() {
        let mut c = PgCluster::start();
        let dir = c.data_dir();
        c.stop();
        assert!(!c.is_running());
        c.restart();
        assert!(c.is_running());
        drop(c);
        assert!(!dir.exists(), "removed on drop");
    }
}
