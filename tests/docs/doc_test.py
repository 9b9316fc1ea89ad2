#!/usr/bin/env python3
"""The docs' commands are real (ctest label `docs`; tests/README.md).

Runs every fenced shell command of README.md, docs/quickstart.md, docs/http-api.md and
examples/quickstart/README.md against the built `storeflow`, the way a reader types
them: one bash session per document, in a scratch copy of the project (workflows/, scripts/, config/, examples/),
with `storeflow serve` on a free loopback port and SQLite files in that folder.

What a block means:
  ```sh       each command must exit 0. A comment line right after a command that shows an
              answer (`# {"key": ...}`, `# 422: {...}`, `... (HTTP 202 ...)`) is checked:
              the HTTP status of the command's curl (2xx unless the comment names one) and
              every "key": of the comment present in the body.
  ```console  `$ COMMAND` lines; the lines after one are its output (stdout, then stderr),
              compared line by line. `...` alone on a line stands for any number of lines,
              inside a line for any text. The exit code must be 0, or N after a
              `<!-- doc-test: exit N -->` line before the block.
  a block after `<!-- doc-test: file PATH -->` must equal the project's file PATH.

Normalised before comparing: the serve port (127.0.0.1:8080 in the docs), ISO-8601
times, the scratch folder's path. A reader types slower than this test: a command that
only reads (curl without a body, ls, storeflow runs/records/events) and fails its check
is tried again for up to 20 s, while a run it looks at finishes.

Commands that cannot run here are listed in NOT_RUN below with the reason and what is
checked instead; an entry that matches no command of the docs fails the test.
"""

import argparse
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.parse

DOCS = ["README.md", "docs/quickstart.md", "docs/http-api.md", "examples/quickstart/README.md"]
# The PostgreSQL URL the docs show; replaced by a fresh database of STOREFLOW_TEST_PG_URL.
DOC_PG_URL = "postgresql://storeflow:change-me@127.0.0.1:5432/storeflow"
DOC_LISTEN = "127.0.0.1:8080"
RETRY_SECONDS = 20


def fail(message):
    print("FAIL: " + message, file=sys.stderr)
    sys.exit(1)


# ---------------------------------------------------------------- not runnable here


def check_demo_script(source, binary):
    script = os.path.join(source, "tools/demo.sh")
    if not os.access(script, os.X_OK):
        return "tools/demo.sh is missing or not executable"
    text = open(script, encoding="utf-8").read()
    listed = subprocess.run([binary, "help"], capture_output=True, text=True).stderr + \
        subprocess.run([binary, "help"], capture_output=True, text=True).stdout
    for command in ("validate", "rules test", "demo"):
        if not re.search(r'storeflow"?\s+' + command.replace(" ", r"\s+"), text) and \
                not re.search(r'\$\{?bin\}?/storeflow"?\s+' + command, text):
            if command.split()[0] not in text:
                return "tools/demo.sh no longer runs `storeflow %s`" % command
        if not re.search(r"^\s+" + re.escape(command) + r"\b", listed, re.M):
            return "`storeflow help` does not list `%s`, which tools/demo.sh runs" % command
    return None


def check_executable(path):
    def check(source, binary):
        if not os.access(os.path.join(source, path), os.X_OK):
            return path + " is missing or not executable"
        return None
    return check


def check_presets(*names):
    def check(source, binary):
        presets = json.load(open(os.path.join(source, "CMakePresets.json"), encoding="utf-8"))
        for kind in ("configurePresets", "buildPresets"):
            have = {p["name"] for p in presets.get(kind, [])}
            for name in names:
                if name not in have:
                    return "CMakePresets.json has no %s %r" % (kind, name)
        return None
    return check


AUTH_EXAMPLE = ("the auth example's route (`auth: bearer`) is no shipped workflow's; "
                "tests/unit/http/trigger_auth_test.cpp and rest_auth_test.cpp cover the scheme")

# (document, command as written, without a trailing comment) -> (why not, check)
NOT_RUN = {
    ("README.md", "tools/demo.sh"):
        ("builds a Release tree and installs Debian packages; `storeflow demo` itself is "
         "exercised by e2e DemoTest. Checked: the script exists and the commands it runs "
         "(validate, rules test, demo) are the binary's", check_demo_script),
    ("docs/quickstart.md", "tools/demo.sh"):
        ("as in README.md", check_demo_script),
    ("README.md", "tools/test.sh"):
        ("the whole suite, which runs this test; checked: it exists",
         check_executable("tools/test.sh")),
    ("docs/quickstart.md", "tools/test.sh"):
        ("as in README.md", check_executable("tools/test.sh")),
    ("README.md", "tools/install-deps.sh"):
        ("installs Debian packages as root; checked: it exists",
         check_executable("tools/install-deps.sh")),
    ("README.md", "cmake --preset debug && cmake --build --preset debug -j2 && ctest --preset debug"):
        ("the build and suite this test runs in; checked: the presets exist",
         check_presets("debug")),
    ("README.md", "cmake --preset release && cmake --build --preset release -j2"):
        ("a second full build; checked: the preset exists", check_presets("release")),
    ("docs/quickstart.md", "storeflow serve --config config/shop.yaml"):
        ("connects to a real Shopify shop; the configuration is validated by the "
         "`storeflow validate --config config/shop.yaml` before it", None),
    ("docs/http-api.md", "export STOREFLOW_SECRET_SHOP_API_TOKEN=\"$(openssl rand -hex 32)\""):
        (AUTH_EXAMPLE, None),
    ("docs/http-api.md", "storeflow serve &"): (AUTH_EXAMPLE, None),
    ("docs/http-api.md", "curl -sS -X POST http://127.0.0.1:8080/partner/orders -H \"Authorization: "
     "Bearer $STOREFLOW_SECRET_SHOP_API_TOKEN\" \\\n  -H 'Content-Type: application/json' "
     "--data '{\"total\": 25}'"): (AUTH_EXAMPLE, None),
}


# ---------------------------------------------------------------- reading the docs


class Block:
    def __init__(self, doc, lang, line, marker):
        self.doc, self.lang, self.line, self.marker = doc, lang, line, marker
        self.lines = []


def read_blocks(source, doc):
    blocks, current, marker = [], None, None
    with open(os.path.join(source, doc), encoding="utf-8") as f:
        for n, line in enumerate(f, 1):
            line = line.rstrip("\n")
            if current is None:
                m = re.match(r"^```(\S*)", line)
                if m:
                    current = Block(doc, m.group(1), n, marker)
                    marker = None
                elif line.strip():
                    m = re.match(r"^<!-- doc-test: (.*?) -->$", line.strip())
                    marker = m.group(1) if m else None
            elif line.startswith("```"):
                blocks.append(current)
                current = None
            else:
                current.lines.append((n, line))
    return blocks


def open_quote(text):
    """True when TEXT leaves a shell quote open (a command going on on the next line)."""
    quote = None
    i = 0
    while i < len(text):
        c = text[i]
        if quote == "'":
            if c == "'":
                quote = None
        elif quote == '"':
            if c == "\\":
                i += 1
            elif c == '"':
                quote = None
        elif c == "\\":
            i += 1
        elif c in "'\"":
            quote = c
        elif c == "#" and (i == 0 or text[i - 1].isspace()):
            break
        i += 1
    return quote is not None


def strip_comment(command):
    return re.sub(r"\s+#[^'\"]*$", "", command).strip()


class Command:
    def __init__(self, doc, line, text, kind):
        self.doc, self.line, self.text, self.kind = doc, line, text, kind
        self.comments = []       # sh: the comment lines after it
        self.expected = None     # console: its output lines
        self.exit = 0
        self.block = 0           # the line of its block's fence

    @property
    def where(self):
        return "%s:%d" % (self.doc, self.line)


def sh_commands(block):
    commands, pending, start = [], [], 0
    for n, line in block.lines:
        if not pending and re.match(r"^\s*#", line):
            if commands:
                commands[-1].comments.append(line.strip()[1:].strip())
            continue
        if not pending:
            start = n
        pending.append(line)
        text = "\n".join(pending)
        if text.endswith("\\") or open_quote(text):
            continue
        if text.strip():
            commands.append(Command(block.doc, start, text, "sh"))
            commands[-1].block = block.line
        pending = []
    if pending:
        fail("%s:%d: a command is not finished at the end of its block" % (block.doc, start))
    return commands


def console_commands(block):
    commands = []
    for n, line in block.lines:
        if line.startswith("$ "):
            command = Command(block.doc, n, line[2:], "console")
            command.block = block.line
            command.expected = []
            if block.marker and block.marker.startswith("exit "):
                command.exit = int(block.marker.split()[1])
            commands.append(command)
        elif commands:
            commands[-1].expected.append(line)
        else:
            fail("%s:%d: a console block must start with `$ COMMAND`" % (block.doc, n))
    return commands


# ---------------------------------------------------------------- checking output


def normalise(text, work, port):
    text = text.replace(work + "/", "").replace(work, ".")
    text = text.replace("127.0.0.1:%d" % port, DOC_LISTEN)
    text = re.sub(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)?", "<time>", text)
    return [line.rstrip() for line in text.split("\n")]


def lines_match(expected, actual):
    pattern = ""
    for line in expected:
        if line.strip() == "...":
            pattern += r"(?:[^\n]*\n)*?"
        else:
            pattern += ".*".join(re.escape(part) for part in line.split("...")) + r"\n"
    return re.fullmatch(pattern, "\n".join(actual).rstrip("\n") + "\n") is not None


def check(spec, state, n, work, port):
    """The check of command N after it ran: None when it holds, else what is wrong."""
    rc = int(open(os.path.join(state, "%d.rc" % n)).read().strip() or 1)
    out = open(os.path.join(state, "%d.out" % n), errors="replace").read()
    err = open(os.path.join(state, "%d.err" % n), errors="replace").read()
    if spec["kind"] == "console":
        actual = normalise(out + err, work, port)
        expected = [line.rstrip() for line in spec["expected"]]
        problems = []
        if rc != spec["exit"]:
            problems.append("exit code %d, the doc implies %d" % (rc, spec["exit"]))
        if not lines_match(normalise("\n".join(expected), work, port), actual):
            problems.append("the output differs from the doc's")
        if problems:
            return "; ".join(problems) + ".\n--- the doc shows:\n" + "\n".join(expected) + \
                "\n--- the binary printed (normalised):\n" + "\n".join(actual)
        return None
    if rc != 0:
        return "exit code %d\n--- stdout:\n%s--- stderr:\n%s" % (rc, out[-3000:], err[-3000:])
    shown = " ".join(c for c in spec["comments"] if "{" in c or re.search(r"\b[1-5]\d\d\b", c))
    headers_path = os.path.join(state, "headers")
    if not os.path.exists(headers_path):
        return None
    statuses = re.findall(r"^HTTP/\S+ (\d{3})", open(headers_path, errors="replace").read(), re.M)
    status = int(statuses[-1]) if statuses else 0
    body = open(os.path.join(state, "body"), errors="replace").read()
    named = re.search(r"(?:^|HTTP(?:/[\d.]+)? )([1-5]\d\d)\b", shown)
    if named and status != int(named.group(1)):
        return "HTTP %d, the doc shows %s\n--- body: %s" % (status, named.group(1), body[:2000])
    if not named and not 200 <= status < 300:
        return "HTTP %d\n--- body: %s" % (status, body[:2000])
    head = open(headers_path, errors="replace").read()
    for name, value in re.findall(r"(?:^|\s)([A-Z][A-Za-z-]+): (\S+)", " ".join(spec["comments"])):
        if not re.search(r"^%s: %s\s*$" % (re.escape(name), re.escape(value)), head, re.M | re.I):
            return "the answer has no header %s: %s, which the doc shows\n--- head:\n%s" % (
                name, value, head)
    for key in re.findall(r'"([A-Za-z_][\w-]*)"\s*:', shown):
        if not re.search(r'"%s"\s*:' % re.escape(key), body):
            return "the answer has no %r, which the doc shows\n--- body: %s" % (key, body[:2000])
    return None


# ---------------------------------------------------------------- running a document


PRELUDE = r"""
set -o pipefail
doc_fail() { echo "DOC-TEST-FAILED" > "$DOC_STATE/failed"; exit 1; }
doc_ready() {  # after `storeflow serve ... &`: wait until it answers
  for _ in $(seq 300); do
    "$DOC_REAL_CURL" -fs -o /dev/null "http://$STOREFLOW_HTTP_LISTEN/healthz" && return 0
    jobs %% >/dev/null 2>&1 || break
    sleep 0.1
  done
  echo "storeflow serve did not answer on $STOREFLOW_HTTP_LISTEN within 30 s:"; cat "$1"
  doc_fail
}
doc_run() {  # N WHERE RETRY: run command N (its text in $DOC_STATE/N.cmd), then its check
  local doc_n=$1 doc_where=$2 doc_retry=$3 doc_cmd doc_rc
  local doc_deadline=$((SECONDS + DOC_RETRY_SECONDS))
  local doc_serve='storeflow serve[^&]*&[[:space:]]*(#.*)?$' doc_kill='^kill (%[0-9]+)'
  doc_cmd=$(cat "$DOC_STATE/$doc_n.cmd")
  printf '\n$ %s    (%s, %ss)\n' "$doc_cmd" "$doc_where" "$SECONDS"
  while :; do
    rm -f "$DOC_STATE/headers" "$DOC_STATE/body"
    eval "$doc_cmd" >"$DOC_STATE/$doc_n.out" 2>"$DOC_STATE/$doc_n.err"
    doc_rc=$?
    if [[ $doc_cmd =~ $doc_kill ]]; then wait "${BASH_REMATCH[1]}"; doc_rc=$?; fi
    echo "$doc_rc" >"$DOC_STATE/$doc_n.rc"
    if [[ $doc_cmd =~ $doc_serve ]]; then doc_ready "$DOC_STATE/$doc_n.err"; fi
    if [[ ! -e $DOC_STATE/$doc_n.spec ]]; then  # nothing shown: the exit code is the check
      [[ $doc_rc == 0 ]] && break
      echo "FAIL: exit code $doc_rc" >"$DOC_STATE/$doc_n.check"
    elif python3 "$DOC_SCRIPT" --check "$doc_n" >"$DOC_STATE/$doc_n.check"; then
      break
    fi
    if [[ $doc_retry != 1 || $SECONDS -ge $doc_deadline ]]; then
      head -c 2000 "$DOC_STATE/$doc_n.out"; head -c 2000 "$DOC_STATE/$doc_n.err"; echo
      cat "$DOC_STATE/$doc_n.check"; echo "FAIL $doc_where"; doc_fail
    fi
    sleep 0.5
  done
  if [[ ! $doc_cmd =~ $doc_serve ]]; then
    head -c 1500 "$DOC_STATE/$doc_n.out"; head -c 1500 "$DOC_STATE/$doc_n.err"; echo
  fi
}
"""


def is_read_only(command):
    text = strip_comment(command.text)
    if re.match(r"^ls\b", text):
        return True
    if re.match(r"^storeflow (runs|records|events|dlq) (list|show|get)\b", text):
        return True
    if text.startswith("curl ") and not re.search(r"(\s-d\s|--data|-X\s*(POST|PUT|PATCH|DELETE))", text):
        return True
    return False


def run_document(doc, commands, args, work, used):
    port = free_port()
    state = os.path.join(work, ".doc-test", doc.replace("/", "_"))
    os.makedirs(state)
    specs, script, without_pg = {}, [PRELUDE], set()
    for n, command in enumerate(commands):
        key = (doc, strip_comment(command.text))
        if key in NOT_RUN:
            used.add(key)
            reason, checker = NOT_RUN[key]
            problem = checker(args.source, args.binary) if checker else None
            print("NOT RUN %s: %s\n    why: %s" % (command.where, key[1], reason))
            if problem:
                fail("%s: %s" % (command.where, problem))
            continue
        text = command.text.replace(DOC_LISTEN, "127.0.0.1:%d" % port)
        text = text.replace("localhost:8080", "127.0.0.1:%d" % port)
        if (DOC_PG_URL in text or command.block in without_pg) and not args.pg_url:
            without_pg.add(command.block)  # the rest of the block needs that database
            print("NOT RUN %s: %s\n    why: STOREFLOW_TEST_PG_URL is not set"
                  % (command.where, command.text))
            continue
        if DOC_PG_URL in text:
            text = text.replace(DOC_PG_URL, args.pg_url)
        with open(os.path.join(state, "%d.cmd" % n), "w") as f:
            f.write(text)
        specs[n] = {"kind": command.kind, "comments": command.comments,
                    "expected": command.expected, "exit": command.exit}
        if command.kind == "console" or command.comments:
            open(os.path.join(state, "%d.spec" % n), "w").close()
        script.append("doc_run %d %s %d" % (n, shell_quote(command.where),
                                            1 if is_read_only(command) else 0))
    script.append("kill $(jobs -p) 2>/dev/null; wait")
    with open(os.path.join(state, "specs.json"), "w") as f:
        json.dump({"specs": specs, "work": work, "port": port}, f)
    if len(script) == 2:
        return None
    print("\n== %s (serve on 127.0.0.1:%d)" % (doc, port))
    env = dict(os.environ)
    for name in list(env):
        if name.startswith("STOREFLOW_") or name.startswith("SHOPIFY_"):
            del env[name]
    env.update({
        "PATH": os.path.join(work, ".doc-test/bin") + ":" + env.get("PATH", ""),
        "STOREFLOW_HTTP_LISTEN": "127.0.0.1:%d" % port,
        "DOC_STATE": state, "DOC_SCRIPT": os.path.abspath(__file__),
        "DOC_REAL_CURL": shutil.which("curl") or "curl",
        "DOC_RETRY_SECONDS": str(RETRY_SECONDS),
    })
    try:
        done = subprocess.run(["bash", "-c", "\n".join(script)], cwd=work, env=env,
                              timeout=300, stdin=subprocess.DEVNULL)
    except subprocess.TimeoutExpired:
        return "%s: the commands did not finish within 300 s" % doc
    if done.returncode != 0 or os.path.exists(os.path.join(state, "failed")):
        return "%s: a command did not do what the doc says (above)" % doc
    return None


def shell_quote(text):
    return "'" + text.replace("'", "'\\''") + "'"


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def check_files(blocks, source):
    for block in blocks:
        if block.marker and block.marker.startswith("file "):
            path = block.marker.split(None, 1)[1]
            shown = "\n".join(line for _, line in block.lines) + "\n"
            real = open(os.path.join(source, path), encoding="utf-8").read()
            if shown != real:
                fail("%s:%d: the block differs from %s (the doc shows files verbatim)"
                     % (block.doc, block.line, path))
            print("SAME %s:%d = %s" % (block.doc, block.line, path))


# ---------------------------------------------------------------- PostgreSQL


class FreshDatabase:
    def __init__(self, url):
        self.admin_url, self.name = url, "doc_test_%d_%d" % (os.getpid(), int(time.time()))
        parts = urllib.parse.urlsplit(url)
        self.url = urllib.parse.urlunsplit(parts._replace(path="/" + self.name))

    def __enter__(self):
        subprocess.run(["psql", self.admin_url, "-qc", "CREATE DATABASE " + self.name], check=True)
        return self

    def __exit__(self, *exc):
        subprocess.run(["psql", self.admin_url, "-qc",
                        "DROP DATABASE IF EXISTS %s WITH (FORCE)" % self.name])


# ---------------------------------------------------------------- main


def main():
    if len(sys.argv) == 3 and sys.argv[1] == "--check":
        state, n = os.environ["DOC_STATE"], sys.argv[2]
        saved = json.load(open(os.path.join(state, "specs.json")))
        problem = check(saved["specs"][n], state, int(n), saved["work"], saved["port"])
        if problem:
            print("FAIL: " + problem)
            sys.exit(1)
        return
    parser = argparse.ArgumentParser()
    parser.add_argument("--binary", required=True)
    parser.add_argument("--source", required=True)
    args = parser.parse_args()
    args.binary = os.path.abspath(args.binary)
    args.pg_url = os.environ.get("STOREFLOW_TEST_PG_URL", "")
    started = time.monotonic()

    work = tempfile.mkdtemp(prefix="storeflow-doc-test-")
    try:
        for folder in ("workflows", "scripts", "config", "examples"):
            shutil.copytree(os.path.join(args.source, folder), os.path.join(work, folder))
        bindir = os.path.join(work, ".doc-test/bin")
        os.makedirs(bindir)
        with open(os.path.join(bindir, "storeflow"), "w") as f:
            f.write('#!/bin/sh\nexec %s "$@"\n' % shell_quote(args.binary))
        with open(os.path.join(bindir, "curl"), "w") as f:  # keeps each answer's head and body
            f.write('#!/bin/bash\n"$DOC_REAL_CURL" -D "$DOC_STATE/headers" "$@" | tee "$DOC_STATE/body"\n'
                    'exit "${PIPESTATUS[0]}"\n')
        for name in ("storeflow", "curl"):
            os.chmod(os.path.join(bindir, name), 0o755)

        used, failures = set(), []
        database = None
        if args.pg_url:
            database = FreshDatabase(args.pg_url).__enter__()
            args.pg_url = database.url
        try:
            for doc in DOCS:
                blocks = read_blocks(args.source, doc)
                check_files(blocks, args.source)
                commands = []
                for block in blocks:
                    if block.lang == "sh":
                        commands += sh_commands(block)
                    elif block.lang == "console":
                        commands += console_commands(block)
                problem = run_document(doc, commands, args, work, used)
                if problem:
                    failures.append(problem)
        finally:
            if database:
                database.__exit__()
        if failures:
            fail("\n  ".join(["the docs do not hold:"] + failures))
        stale = set(NOT_RUN) - used
        if stale:
            fail("NOT_RUN lists commands no doc has any more: %s" % sorted(stale))
    finally:
        shutil.rmtree(work, ignore_errors=True)
    print("\ndocs ok: every command ran as shown (%.1f s)" % (time.monotonic() - started))


if __name__ == "__main__":
    main()
