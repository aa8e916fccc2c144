"""Running untrusted code in WebAssembly (wasmtime): runtimes, limits, test harness, verdicts."""
