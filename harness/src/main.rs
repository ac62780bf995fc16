//! Placeholder entry point; the guest runtime lands with the guest issue.
fn main() {
    eprintln!("daxkit-harness: guest runtime not built yet");
    std::process::exit(2);
}
