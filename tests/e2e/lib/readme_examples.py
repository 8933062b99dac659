"""Runs the README's examples and compares what they print with what the README shows.

An example is a fenced block right after a `<!-- example OPTION... -->` line. In it, a line
starting with `$ ` is a command (a trailing backslash or an open single quote continues it on the
next line); the lines after it, up to the next command, are what it prints: stdout and stderr
together, or only one with the option `stdout` or `stderr`. A command ending in `&` runs in the
background until the block ends (the runner waits for the 127.0.0.1 ports it names to accept
connections). Commands run with bash in a scratch directory holding links to the source tree's
`scenarios`, `tests`, `ci` and `build-fuzz`, with `agentstorm` on PATH.
Other options: `requires PATH` skips the block, saying so, when PATH (under the source tree) is
missing; `field CONFIG PORT=NAME...` marks an example against the field test's collector run
with tests/field/otelcol/CONFIG: it runs only when the runner is given `--field CONFIG
NAME=PORT...` (tests/field/readme_examples.sh), each README port replaced by the real one.

Output is compared by shape, so that IDs, ports, timings and counts may differ: runs of hex
digits of 8 or more become H, numbers with their unit or multiplier (10.6ms, 850us, 70.4k) N,
runs of spaces one;
`...` in an expected line matches anything, and an expected line that is only `...` matches any
number of lines (a measurement that takes as many steps as the machine allows).
Ports 4317, 4318, 16686 and 8080 in commands are replaced by free ones, in the output too. A fenced
block that shows a `$ ` command without a marker is a failure: every example is run.

Usage: readme_examples.py README BINARY SOURCE_DIR [--field CONFIG NAME=PORT...]
"""
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time


def shape(line):
    line = re.sub(r"[0-9a-f]{8,}", "H", line)
    # A figure with its unit or multiplier: 70.4k and 9500, 10.6ms and 850us are the same shape.
    line = re.sub(r"[0-9]+(\.[0-9]+)?( ?(ns|us|µs|ms|s)|k|M|G)?(?![0-9a-zA-Z])", "N", line)
    line = re.sub(r"[0-9]+", "N", line).rstrip()
    return re.sub(r" +", " ", line)  # columns aligned to figures of another width


def matches(expected, actual):
    pattern = ".*".join(re.escape(part) for part in shape(expected).split("..."))
    return re.fullmatch(pattern, shape(actual)) is not None


def all_match(expected, actual):
    """Line by line; an expected line `...` takes any number of actual lines."""
    if not expected:
        return not actual
    if expected[0].strip() == "...":
        return any(all_match(expected[1:], actual[k:]) for k in range(len(actual) + 1))
    return bool(actual) and matches(expected[0], actual[0]) and all_match(expected[1:], actual[1:])


def examples(text):
    lines = text.split("\n")
    i = 0
    while i < len(lines):
        marker = re.fullmatch(r"<!-- example(.*)-->", lines[i].strip())
        if marker:
            start = i + 1
            assert lines[start].startswith("```"), f"README:{start + 1}: no fence after the marker"
            end = start + 1
            while not lines[end].startswith("```"):
                end += 1
            yield start + 2, lines[start + 1 : end], options(marker.group(1).split(), start)
            i = end
        i += 1


def unmarked(text):
    """Line numbers of fenced blocks that show a `$ ` command but carry no marker."""
    lines = text.split("\n")
    i = 0
    while i < len(lines):
        if lines[i].startswith("```"):
            start = i
            i += 1
            while i < len(lines) and not lines[i].startswith("```"):
                i += 1
            marked = start > 0 and lines[start - 1].strip().startswith("<!-- example")
            if not marked and any(l.startswith("$ ") for l in lines[start + 1 : i]):
                yield start + 2
        i += 1


def options(words, line_no):
    """{"stream": "both"|"stdout"|"stderr", "requires": PATH|None, "field": CONFIG|None,
    "ports": {README_PORT: NAME}} from a marker's words."""
    opts = {"stream": "both", "requires": None, "field": None, "ports": {}}
    i = 0
    while i < len(words):
        word = words[i]
        if word in ("stdout", "stderr"):
            opts["stream"] = word
        elif word == "requires" and i + 1 < len(words):
            opts["requires"] = words[i + 1]
            i += 1
        elif word == "field" and i + 1 < len(words):
            opts["field"] = words[i + 1]
            i += 1
            while i + 1 < len(words) and re.fullmatch(r"[0-9]+=[a-z0-9_]+", words[i + 1]):
                port, name = words[i + 1].split("=")
                opts["ports"][port] = name
                i += 1
        else:
            raise AssertionError(f"README:{line_no}: unknown example option {word!r}")
        i += 1
    return opts


def steps(block):
    out = []
    i = 0
    while i < len(block):
        line = block[i]
        assert line.startswith("$ "), f"expected a command, got {line!r}"
        command = line[2:]
        # A trailing backslash, or a single-quoted string still open, continues the command.
        while command.endswith("\\") or command.count("'") % 2 == 1:
            i += 1
            command += "\n" + block[i]
        i += 1
        expected = []
        while i < len(block) and not block[i].startswith("$ "):
            expected.append(block[i])
            i += 1
        while expected and not expected[-1].strip():
            expected.pop()  # a blank line between two commands
        out.append((command, expected))
    return out


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for_ports(command, deadline):
    for port in re.findall(r"127\.0\.0\.1:([0-9]+)", command):
        while True:
            try:
                socket.create_connection(("127.0.0.1", int(port)), timeout=1).close()
                break
            except OSError:
                if time.time() > deadline:
                    raise AssertionError(f"nothing listens on {port} after: {command}")
                time.sleep(0.1)


def main():
    readme, binary, source = sys.argv[1:4]
    field, field_ports = None, {}
    if len(sys.argv) > 4:
        assert sys.argv[4] == "--field", "usage: README BINARY SOURCE_DIR [--field CONFIG NAME=PORT...]"
        field = sys.argv[5]
        field_ports = dict(a.split("=", 1) for a in sys.argv[6:])
    text = open(readme).read()
    bindir = tempfile.mkdtemp()
    os.symlink(os.path.abspath(binary), os.path.join(bindir, "agentstorm"))
    env = dict(os.environ, PATH=bindir + ":" + os.environ["PATH"], COLUMNS="200")
    failures = 0
    count = 0
    if not field:
        for line_no in unmarked(text):
            failures += 1
            print(f"README:{line_no}: a command example with no `<!-- example -->` marker, so no "
                  "test runs it")
    for line_no, block, opts in examples(text):
        if opts["field"] != field:
            continue
        if opts["requires"] and not os.path.exists(os.path.join(source, opts["requires"])):
            print(f"README:{line_no}: skipped, {opts['requires']} is missing here")
            continue
        work = tempfile.mkdtemp()
        for name in ("scenarios", "tests", "ci", "build-fuzz"):
            if os.path.exists(os.path.join(source, name)):
                os.symlink(os.path.join(source, name), os.path.join(work, name))
        os.mkdir(os.path.join(work, "build"))  # for the quick start's build/agentstorm
        os.symlink(os.path.abspath(binary), os.path.join(work, "build", "agentstorm"))
        if field:
            ports = {}
            for port, name in opts["ports"].items():
                assert name in field_ports, f"README:{line_no}: no port given for {name}"
                ports[port] = field_ports[name]
        else:
            ports = {p: str(free_port()) for p in ("4317", "4318", "16686", "8080")}
        stderr = {"both": subprocess.STDOUT, "stdout": subprocess.DEVNULL,
                  "stderr": subprocess.PIPE}[opts["stream"]]
        background = []
        try:
            for command, expected in steps(block):
                count += 1
                run = command
                for old, new in ports.items():
                    run = re.sub(rf"\b{old}\b", new, run)
                if run.rstrip().endswith("&"):
                    p = subprocess.Popen(["bash", "-c", "exec " + run.rstrip()[:-1]], cwd=work,
                                         env=env, stdout=subprocess.DEVNULL,
                                         stderr=subprocess.DEVNULL)
                    background.append(p)
                    wait_for_ports(run, time.time() + 20)
                    continue
                result = subprocess.run(["bash", "-c", run], cwd=work, env=env, timeout=300,
                                        stdout=subprocess.PIPE, stderr=stderr, text=True)
                printed = result.stderr if opts["stream"] == "stderr" else result.stdout
                actual = printed.rstrip("\n").split("\n") if printed.strip() else []
                for old, new in ports.items():
                    actual = [a.replace(new, old) for a in actual]
                if not all_match(expected, actual):
                    failures += 1
                    print(f"README:{line_no}: `{command}` printed what the README does not show")
                    print("--- README\n" + "\n".join(expected))
                    print("--- actual\n" + "\n".join(actual))
        finally:
            for p in background:
                p.kill()
                p.wait()
            shutil.rmtree(work, ignore_errors=True)
    shutil.rmtree(bindir, ignore_errors=True)
    if count == 0:
        print("no example in the README" + (f" for {field}" if field else "") +
              ": the markers are gone")
        return 1
    print(f"{count} README commands run, {failures} differ")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
