//! `topicwire-under-test`: the `topicwire` binary built inside the tests
//! crate, so end-to-end tests can run the host as a real process
//! (`env!("CARGO_BIN_EXE_topicwire-under-test")`) and `kill -9` it.

fn main() -> std::process::ExitCode {
    topicwire::cli::main()
}
