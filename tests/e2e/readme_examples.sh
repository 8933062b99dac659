#!/usr/bin/env bash
# Every README example marked `<!-- example -->` is run as written and its output compared with
# the README's by shape (tests/e2e/lib/readme_examples.py), so the docs cannot drift.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
source_dir=${AGENTSTORM_SOURCE_DIR:-$(cd "$here/../.." && pwd)}
python3 "$here/lib/readme_examples.py" "$source_dir/README.md" "${AGENTSTORM:?}" "$source_dir"
echo PASS
