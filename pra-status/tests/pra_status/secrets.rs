//! No secret shows at the most verbose log level (issue 22, item 3): the database
//! password in a URI, a conninfo string, PGPASSWORD and a password file, and the
//! basic-auth password and query token of the probed URLs.

use crate::common::*;
use pra_testkit::secrets::{assert_no_secret, password_cluster, password_places, DB_PASSWORD};

#[test]
fn no_secret_shows_at_the_most_verbose_level() {
    let c = password_cluster();
    c.create_db("app");
    let server = http_server();
    let with_auth = server
        .url("")
        .replacen("http://", "http://probe:basic-pw-7733@", 1);
    let app_url = format!("{with_auth}/health?token=query-secret-4422");
    let api_url = format!("{with_auth}/health?key=api-secret-5533");
    let dir = tempfile::tempdir().unwrap();
    for place in password_places(&c, "app", dir.path()) {
        let run = status(&c)
            .args(["-vvv", "-d", &place.dbname])
            .args(["--app-url", &app_url, "--api-url", &api_url])
            .envs(place.env)
            .env("RUST_LOG", "trace")
            .run();
        assert!(server.hits() > 0, "{}: the URLs were probed", place.how);
        let secrets = [
            DB_PASSWORD,
            "basic-pw-7733",
            "cHJvYmU6YmFzaWMtcHctNzczMw", // base64("probe:basic-pw-7733")
            "query-secret-4422",
            "api-secret-5533",
        ];
        assert_no_secret(&run, place.how, 5, &secrets);
    }
}
