//! `eni-harness run`'s arguments: a variant runs embedded and is refused for an HTTP target.

use clap::Parser;

use super::run::{RunArgs, run};
use crate::exit::ErrorKind;

#[derive(Debug, Parser)]
struct Wrapper {
    #[command(flatten)]
    run: RunArgs,
}

fn args(line: &[&str]) -> RunArgs {
    let line = std::iter::once("run").chain(line.iter().copied());
    Wrapper::try_parse_from(line).unwrap().run
}

#[test]
fn a_variant_runs_embedded_and_is_refused_for_an_http_target() {
    assert_eq!(args(&["--variant", "7"]).variant, Some(7));
    assert_eq!(args(&[]).variant, None);
    assert_eq!(
        run(args(&[
            "--target",
            "http://127.0.0.1:9/",
            "--variant",
            "7",
            "--no-progress"
        ]))
        .map_err(|error| error.kind),
        Err(ErrorKind::Usage)
    );
}
