#!/usr/bin/env bash
# `make test` N times in a row on fresh clones while two busy loops keep both cores busy: the check that
# timing-dependent tests hold on a starved machine (issue 9, point 6). Not part of CI; takes ~20-26 min
# per run on a 2-core machine.
#   bash scripts/loaded-test-runs.sh [COMMIT] [RUNS] [WORKDIR]
# Prints one line per run (exit code, seconds) and keeps each run's log and artifacts in WORKDIR. The
# clones read the shared reference data this checkout sees (BORDERWATCH_SHARED_DATA, else ../shared/data).
set -u
repo=$(cd "$(dirname "$0")/.." && pwd)
commit=${1:-HEAD}
runs=${2:-3}
work=${3:-$(mktemp -d -t borderwatch-loaded-XXXXXX)}
commit=$(git -C "$repo" rev-parse --short "$commit")
export BORDERWATCH_SHARED_DATA=${BORDERWATCH_SHARED_DATA:-$(dirname "$repo")/shared/data}
python3 -c 'while True: pass' &
busy1=$!
python3 -c 'while True: pass' &
busy2=$!
trap 'kill $busy1 $busy2 2>/dev/null' EXIT
failed=0
for n in $(seq 1 "$runs"); do
    dir=$work/run$n
    rm -rf "$dir"
    git clone -q "$repo" "$dir" && git -C "$dir" checkout -q "$commit"
    start=$(date +%s)
    (cd "$dir" && CI=true make test) >"$work/run$n.log" 2>&1
    rc=$?
    [ $rc -eq 0 ] || failed=1
    echo "run $n of $runs, commit $commit: exit $rc after $(($(date +%s) - start)) s (log $work/run$n.log)"
done
exit $failed
