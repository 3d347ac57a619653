//! No secret shows at the most verbose log level (issue 22, item 3): a short drill
//! with the database password in a URI, a conninfo string, PGPASSWORD and a password
//! file, and the basic-auth password and query token of the probed application URL.

use crate::common::{drill_tool, serial};
use pra_testkit::secrets::{assert_no_secret, password_cluster, password_places, DB_PASSWORD};
use pra_testkit::HttpServer;

#[test]
fn no_secret_shows_at_the_most_verbose_level() {
    let _serial = serial();
    let c = password_cluster();
    c.create_db("app");
    let app = HttpServer::always(200);
    let app_url = app.url("/health?token=query-secret-4422").replacen(
        "http://",
        "http://probe:basic-pw-7733@",
        1,
    );
    let dir = tempfile::tempdir().unwrap();
    for place in password_places(&c, "app", dir.path()) {
        let hits = app.hits();
        let run = drill_tool(&c)
            .args(["-vvv", "-d", &place.dbname, "--app-url", &app_url])
            .args(["--duration", "3s", "--clients", "2", "--scale", "0.1"])
            .args(["--rto", "10m", "--max-slowdown", "50"])
            .envs(place.env)
            .env("RUST_LOG", "trace")
            .run();
        run.success();
        assert!(app.hits() > hits, "{}: the URL was probed", place.how);
        let secrets = [
            DB_PASSWORD,
            "basic-pw-7733",
            "cHJvYmU6YmFzaWMtcHctNzczMw", // base64("probe:basic-pw-7733")
            "query-secret-4422",
        ];
        assert_no_secret(&run, place.how, 5, &secrets);
    }
}
