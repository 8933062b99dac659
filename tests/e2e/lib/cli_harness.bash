# Sourced by the e2e scripts that drive the agentstorm binary (not a test itself: ctest runs
# tests/e2e/*.sh only). Sets `bin` and a scratch `dir` removed on exit, and defines:
#   fail MESSAGE                  prints MESSAGE and the tail of every output kept in $dir, exits 1
#   run NAME EXPECTED_CODE ARGS   runs agentstorm ARGS into $dir/NAME.{out,err}, checks its exit code
bin=${AGENTSTORM:?AGENTSTORM must name the agentstorm binary}

dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
fail() {
  echo "FAIL: $*"
  for f in "$dir"/*.out "$dir"/*.err; do [[ -f $f ]] && { echo "--- $f"; tail -40 "$f"; }; done
  exit 1
}
run() {
  local name=$1 want=$2
  shift 2
  local code=0
  "$bin" "$@" >"$dir/$name.out" 2>"$dir/$name.err" || code=$?
  [[ $code == "$want" ]] || fail "$name: exit $code, want $want ($*)"
}
