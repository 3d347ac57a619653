//! A machine as the documentation describes it, in a temporary directory owned by
//! postgres: /etc/pra/pra.env, /var/lib/pra, /var/log/pra, a repository made by
//! `pra-backup --init` holding one verified backup of the database `app`, and loopback
//! servers for the services the docs send alerts to.
//!
//! The docs' commands run as written; only what names this machine is replaced
//! ([`Machine::localize`]): its paths, the addresses of the outside services (the
//! loopback servers stand in for them), and the size of a drill (a 10-minute load
//! test becomes a few seconds).

use pra_testkit::{tool_as, HttpServer, PgCluster, SmtpServer};
use std::path::{Path, PathBuf};

/// The tools built beside this test (`cargo build --workspace`; scripts/test.sh does).
fn bindir() -> PathBuf {
    let exe = std::env::current_exe().unwrap();
    let dir = exe.parent().and_then(Path::parent).unwrap().to_path_buf();
    for t in [
        "pra-backup",
        "pra-verify",
        "pra-restore",
        "pra-info",
        "pra-rotate",
        "pra-notify",
        "pra-status",
        "pra-report",
        "pra-loadtest",
        "pra-wal",
    ] {
        assert!(
            dir.join(t).exists(),
            "the documentation test runs the real {t}, not built in {}: run `cargo build --workspace` first",
            dir.display()
        );
    }
    dir
}

/// The machine; its servers stop when it is dropped.
pub struct Machine {
    pub home: tempfile::TempDir,
    pub cluster: PgCluster,
    bin: PathBuf,
    /// Every HTTP alert sink of the docs (webhook, Slack, Telegram, SMS, …).
    pub hook: HttpServer,
    /// The SMTP relay (PRA_SMTP) and the mail server of the docs' `--smtp` URLs.
    pub smtp: SmtpServer,
}

impl Machine {
    pub fn new() -> Machine {
        let cluster = PgCluster::start();
        cluster.create_db("app");
        cluster.psql(
            "app",
            "CREATE TABLE public.payments (id int PRIMARY KEY, amount numeric);
             INSERT INTO public.payments SELECT g, g * 1.5 FROM generate_series(1, 100) g;
             CREATE TABLE public.orders (id int PRIMARY KEY, placed_at timestamptz DEFAULT now());
             INSERT INTO public.orders SELECT g FROM generate_series(1, 50) g;
             CREATE SCHEMA rental;
             CREATE TABLE rental.tenants (id int PRIMARY KEY);
             CREATE TABLE rental.leases (id int PRIMARY KEY, tenant_id int REFERENCES rental.tenants);
             CREATE TABLE rental.payments (id int PRIMARY KEY, paid_at timestamptz DEFAULT now());
             INSERT INTO rental.tenants VALUES (1), (2);
             INSERT INTO rental.leases VALUES (1, 1), (2, 2);
             INSERT INTO rental.payments SELECT g FROM generate_series(1, 10) g;",
        );
        let m = Machine {
            home: tempfile::tempdir().unwrap(),
            cluster,
            bin: bindir(),
            hook: HttpServer::always(200),
            smtp: SmtpServer::start(None),
        };
        for d in ["etc", "state", "log", "textfile", "www", "tmp", "mnt"] {
            std::fs::create_dir(m.path(d)).unwrap();
        }
        // The disk thresholds are this test machine's: how full the build host's disk
        // is says nothing about the docs (a CI host with 9 % free made status CRITICAL).
        let mut env = format!(
            "PRA_REPO={}\nPRA_PG_BINDIR={}\nPRA_WEBHOOK={}\nPRA_SLACK_WEBHOOK={}\n\
             PRA_SMTP=smtp://127.0.0.1:{}\nPRA_EMAIL_FROM=pra@db1.example.com\n\
             PRA_EMAIL_TO=dba@example.com\n\
             PRA_TELEGRAM_API_URL={}\nPRA_SENDMAIL_COMMAND={}\n\
             PRA_DISK_WARN=0%\nPRA_DISK_CRIT=0%\n",
            m.path("repo").display(),
            m.cluster.bindir().display(),
            m.hook.url("/hook"),
            m.hook.url("/slack"),
            m.smtp.port,
            m.hook.url("/telegram"),
            m.path("etc/sendmail").display(),
        );
        for (k, v) in m.cluster.env() {
            env.push_str(&format!("{k}={v}\n"));
        }
        // The operator's environment file names the database (scripts/pra.env.example).
        env.push_str("PGDATABASE=app\n");
        m.write_etc("pra.env", &env);
        // The files the docs read secrets from, holding the loopback sinks' URLs.
        for (file, route) in [
            ("discord.url", "/discord"),
            ("teams.url", "/teams"),
            ("mattermost.url", "/mattermost"),
        ] {
            m.write_etc(file, &format!("{}\n", m.hook.url(route)));
        }
        m.write_etc("telegram.token", "123456:test-token\n");
        for secret in [
            "discord.url",
            "teams.url",
            "mattermost.url",
            "telegram.token",
        ] {
            std::fs::set_permissions(
                m.path("etc").join(secret),
                std::os::unix::fs::PermissionsExt::from_mode(0o600),
            )
            .unwrap();
        }
        // The machine's MTA for --sendmail: it keeps what it is given.
        m.write_etc(
            "sendmail",
            &format!("#!/bin/sh\ncat >> {}\n", m.path("log/mail").display()),
        );
        std::fs::set_permissions(
            m.path("etc/sendmail"),
            std::os::unix::fs::PermissionsExt::from_mode(0o755),
        )
        .unwrap();
        m.give_to_postgres();
        // The installer's first run, as postgres: the repository is created explicitly.
        m.as_postgres("set -a; . @ENV@; set +a; pra-backup -d app --init | pra-verify --level checksum > /dev/null")
            .success();
        m
    }

    pub fn path(&self, p: &str) -> PathBuf {
        self.home.path().join(p)
    }

    /// Writes `/etc/pra/<name>` of this machine.
    pub fn write_etc(&self, name: &str, text: &str) {
        std::fs::write(self.path("etc").join(name), text).unwrap();
    }

    /// Everything under the machine's directory belongs to postgres, the tools' user.
    pub fn give_to_postgres(&self) {
        let status = std::process::Command::new("chown")
            .args(["-R", "postgres:"])
            .arg(self.home.path())
            .status()
            .unwrap();
        assert!(status.success());
    }

    /// The document's names of this machine and of the outside world, replaced in
    /// order (so /tmp/ goes first: the replacements are under /tmp themselves).
    fn replacements(&self) -> Vec<(&'static str, String)> {
        let p = |s: &str| self.path(s).display().to_string();
        vec![
            ("/tmp/", format!("{}/", p("tmp"))),
            ("/etc/pra/", format!("{}/", p("etc"))),
            ("@ENV@", p("etc/pra.env")),
            ("/var/lib/pra/", format!("{}/", p("state"))),
            ("/var/log/pra/", format!("{}/", p("log"))),
            (
                "/var/lib/node_exporter/textfile/",
                format!("{}/", p("textfile")),
            ),
            ("/srv/www/pra/", format!("{}/", p("www"))),
            ("/srv/www/", format!("{}/", p("www"))),
            (
                "host=/run/postgresql",
                format!("host={}", self.cluster.socket_dir().display()),
            ),
            // The docs' repository paths are the one repository; a second disk is another.
            ("/var/backups/pra", p("repo")),
            ("/srv/pra", p("repo")),
            ("/mnt/a", p("repo")),
            ("/mnt/b", p("mnt/b")),
            // The outside services, played by the loopback servers.
            ("https://hooks.slack.com/", self.hook.url("/slack/")),
            ("https://ntfy.sh/", self.hook.url("/ntfy/")),
            ("https://events.example.com/", self.hook.url("/events/")),
            ("https://sms.example.com/", self.hook.url("/sms/")),
            ("https://staging.example.com/", self.hook.url("/staging/")),
            ("https://shop.example/", self.hook.url("/shop/")),
            ("https://api.example/", self.hook.url("/api/")),
            ("http://127.0.0.1:8080/", self.hook.url("/app/")),
            // The loopback mail server speaks no TLS; pra-notify's own tests cover STARTTLS.
            (
                "smtp+starttls://mail.example.com:587",
                format!("smtp://127.0.0.1:{}", self.smtp.port),
            ),
            (
                "smtp+starttls://mail:587",
                format!("smtp://127.0.0.1:{}", self.smtp.port),
            ),
            // A drill's size: the flags run as written, for seconds instead of 10 minutes.
            ("--duration 10m", "--duration 4s".to_string()),
            ("--scale 10 ", "--scale 0.1 ".to_string()),
        ]
    }

    /// The text with this machine's names in place of the document's.
    pub fn localize(&self, text: &str) -> String {
        self.replacements()
            .iter()
            .fold(text.to_string(), |t, (from, to)| t.replace(from, to))
    }

    /// Runs a bash script as postgres, the PATH holding the tools and nothing of ours
    /// in its environment but what the script exports itself.
    pub fn as_postgres(&self, script: &str) -> pra_testkit::ToolRun {
        self.as_postgres_verbatim(&self.localize(script))
    }

    /// [`Machine::as_postgres`] without [`Machine::localize`]: for a script that holds
    /// paths of this machine already (under /tmp, which localizing would move).
    pub fn as_postgres_verbatim(&self, script: &str) -> pra_testkit::ToolRun {
        tool_as("postgres", "/usr/bin/env")
            .arg("-i")
            .arg(format!(
                "PATH={}:/usr/local/bin:/usr/bin:/bin",
                self.bin.display()
            ))
            .arg(format!("HOME={}", self.home.path().display()))
            .args(["bash", "-euo", "pipefail", "-c"])
            .arg(script)
            .timeout(std::time::Duration::from_secs(300))
            .run()
    }
}

/// The text of every ```sh block of a Markdown document, with the line its fence is on.
pub fn sh_blocks(doc: &str) -> Vec<(usize, String)> {
    fenced(doc, "sh")
}

/// The text of every block fenced ```<lang> (`""`: a bare fence), with the line its
/// fence is on. Every fence is tracked, so that a closing ``` never opens a block.
pub fn fenced(doc: &str, lang: &str) -> Vec<(usize, String)> {
    let mut blocks = Vec::new();
    // The open block: its line, its language and its text.
    let mut open: Option<(usize, String, String)> = None;
    for (i, line) in doc.lines().enumerate() {
        let fence = line.trim().strip_prefix("```");
        match (open.take(), fence) {
            (None, Some(l)) => open = Some((i + 1, l.trim().to_string(), String::new())),
            (None, None) => {}
            (Some((n, l, text)), Some("")) => {
                if l == lang {
                    blocks.push((n, text));
                }
            }
            (Some((n, l, mut text)), _) => {
                text.push_str(line);
                text.push('\n');
                open = Some((n, l, text));
            }
        }
    }
    assert!(open.is_none(), "an unterminated block: {open:?}");
    blocks
}
