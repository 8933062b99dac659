#!/usr/bin/env python3
"""Per-translation-unit cache of a static analysis that passed (ci/tidy, ci/thread-safety).

A unit is analysed again only when something that could change the analysis changed: the key is
a SHA-256 of the tool's identity (its version and configuration, given by the caller), the
unit's compile command, and the contents of the unit and of every header it includes (the
dependency list ninja recorded when ci/build compiled it). A unit with no recorded dependencies
(not built yet) is never taken from the cache.

  analysis_cache.py pending TOOL_ID BUILD_DIR FILE...   prints "FILE<TAB>STAMP" for each FILE to
                                                        analyse; FILEs already clean are left out
  (the caller creates STAMP, an empty file, once FILE was analysed clean)
"""
import hashlib
import json
import os
import shlex
import subprocess
import sys


def deps_by_object(build_dir):
    """Object path (as ninja names it) -> the files its compilation read."""
    try:
        out = subprocess.run(["ninja", "-C", build_dir, "-t", "deps"], check=True,
                             capture_output=True, text=True).stdout
    except (OSError, subprocess.CalledProcessError):
        return {}
    deps, current = {}, None
    for line in out.splitlines():
        if not line.strip():
            current = None
        elif not line.startswith(" "):
            current = line.split(":", 1)[0]
            if "(VALID)" in line:
                deps[current] = []
            else:
                current = None  # stale: the object is older than its deps
        elif current is not None:
            deps[current].append(line.strip())
    return deps


def main():
    if len(sys.argv) < 4 or sys.argv[1] != "pending":
        sys.exit(__doc__)
    tool_id, build_dir, files = sys.argv[2], sys.argv[3], sys.argv[4:]
    root = os.getcwd()
    cache = os.path.join(build_dir, ".analysis-cache")
    entries = {}
    for e in json.load(open(os.path.join(build_dir, "compile_commands.json"))):
        entries[os.path.normpath(e["file"])] = e
    deps = deps_by_object(build_dir)
    digests = {}

    def digest(path):
        if path not in digests:
            try:
                with open(path, "rb") as f:
                    digests[path] = hashlib.sha256(f.read()).hexdigest()
            except OSError:
                digests[path] = "absent"
        return digests[path]

    for f in files:
        entry = entries.get(os.path.normpath(os.path.join(root, f)))
        command = None
        obj = None
        if entry is not None:
            args = entry.get("arguments") or shlex.split(entry["command"])
            command = json.dumps(args)
            obj = entry.get("output")
            if obj is None and "-o" in args:
                obj = args[args.index("-o") + 1]
        files_read = deps.get(obj) if obj else None
        if not files_read:
            print(f"{f}\t")  # no dependency record: analyse, do not cache
            continue
        h = hashlib.sha256()
        h.update(tool_id.encode())
        h.update(command.encode())
        for path in sorted(set(files_read)):
            p = path if os.path.isabs(path) else os.path.join(entry["directory"], path)
            h.update(f"{path}\0{digest(p)}\0".encode())
        stamp = os.path.join(cache, h.hexdigest())
        if not os.path.exists(stamp):
            print(f"{f}\t{stamp}")


if __name__ == "__main__":
    main()
