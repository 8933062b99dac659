"""Runs the README's examples and compares what they print with what the README shows.

An example is a fenced block right after a `<!-- example -->` line. In it, a line starting with
`$ ` is a command (a trailing backslash or an open single quote continues it on the next line); the lines after it, up to
the next command, are what it prints (stdout and stderr together; stdout alone after a
`<!-- example stdout -->` line). A command ending in `&` runs
in the background until the block ends (the runner waits for the 127.0.0.1 ports it names to
accept connections). Commands run with bash in a scratch directory holding links to the source
tree's `scenarios` and `tests`, with `agentstorm` on PATH.

Output is compared by shape, so that IDs, ports, timings and counts may differ: runs of hex
digits of 8 or more become H, numbers with their unit or multiplier (10.6ms, 850us, 70.4k) N;
`...` in an expected line matches anything.
Ports 4317, 4318 and 16686 in commands are replaced by free ones, in the output too.

Usage: readme_examples.py README BINARY SOURCE_DIR
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
    return re.sub(r"[0-9]+", "N", line).rstrip()


def matches(expected, actual):
    pattern = ".*".join(re.escape(part) for part in shape(expected).split("..."))
    return re.fullmatch(pattern, shape(actual)) is not None


def examples(text):
    lines = text.split("\n")
    i = 0
    while i < len(lines):
        marker = lines[i].strip()
        if marker in ("<!-- example -->", "<!-- example stdout -->"):
            start = i + 1
            assert lines[start].startswith("```"), f"README:{start + 1}: no fence after the marker"
            end = start + 1
            while not lines[end].startswith("```"):
                end += 1
            yield start + 2, lines[start + 1 : end], marker == "<!-- example stdout -->"
            i = end
        i += 1


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
    text = open(readme).read()
    bindir = tempfile.mkdtemp()
    os.symlink(os.path.abspath(binary), os.path.join(bindir, "agentstorm"))
    env = dict(os.environ, PATH=bindir + ":" + os.environ["PATH"], COLUMNS="200")
    failures = 0
    count = 0
    for line_no, block, stdout_only in examples(text):
        work = tempfile.mkdtemp()
        for name in ("scenarios", "tests"):
            os.symlink(os.path.join(source, name), os.path.join(work, name))
        os.mkdir(os.path.join(work, "build"))  # for the quick start's build/agentstorm
        os.symlink(os.path.abspath(binary), os.path.join(work, "build", "agentstorm"))
        ports = {p: str(free_port()) for p in ("4317", "4318", "16686")}
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
                result = subprocess.run(["bash", "-c", run], cwd=work, env=env, timeout=120,
                                        stdout=subprocess.PIPE,
                                        stderr=subprocess.DEVNULL if stdout_only else subprocess.STDOUT,
                                        text=True)
                actual = result.stdout.rstrip("\n").split("\n") if result.stdout.strip() else []
                for old, new in ports.items():
                    actual = [a.replace(new, old) for a in actual]
                ok = len(actual) == len(expected) and all(
                    matches(e, a) for e, a in zip(expected, actual))
                if not ok:
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
        print("no example in the README: the markers are gone")
        return 1
    print(f"{count} README commands run, {failures} differ")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
