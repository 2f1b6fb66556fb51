//! The `topicwire` binary: all of it is [`topicwire::cli::main`], which the
//! end-to-end tests' process under test runs too.

// The benchmarks compare allocators on memory returned after load and CPU per
// message; the default build keeps the system allocator. mimalloc wins when
// both features are on (`--all-features`).
#[cfg(feature = "mimalloc")]
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[cfg(all(feature = "jemalloc", not(feature = "mimalloc")))]
#[global_allocator]
static ALLOCATOR: tikv_jemallocator::Jemalloc = tikv_jemallocator::Jemalloc;

fn main() -> std::process::ExitCode {
    topicwire::cli::main()
}
