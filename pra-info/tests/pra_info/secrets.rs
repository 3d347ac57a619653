//! No secret shows at the most verbose log level (issue 22, item 3): the object
//! store's secret key, on a real S3-compatible server.

#[test]
fn the_storage_secret_key_never_shows() {
    pra_testkit::secrets::assert_storage_secret_hidden(env!("CARGO_BIN_EXE_pra-info"), &[]);
}
