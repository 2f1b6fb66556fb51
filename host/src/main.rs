//! The `topicwire` binary: all of it is [`topicwire::cli::main`], which the
//! end-to-end tests' process under test runs too.

fn main() -> std::process::ExitCode {
    topicwire::cli::main()
}
