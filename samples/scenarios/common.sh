# Sourced by every scenario script (samples/scenarios/*.sh) inside the VM.
# `run CMD ARGS...` logs the command, its output (stdout+stderr) and its exit
# status, and never stops the scenario: error cases are part of the corpus.
# Each block in the log looks like:
#
#   $ ip link add dummy0 type dummy
#   <output>
#   [exit 0; t=1795624598.419216123]
#
# t is the wall-clock time (ns) when the command started, the same clock as
# the capture's timestamps, so a log block can be matched with its frames.

_quote() {
    local a out=""
    for a in "$@"; do
        if [[ -n $a && $a =~ ^[][A-Za-z0-9_./:=@,+%^-]+$ ]]; then
            out+="$a "
        else
            out+="'${a//\'/\'\\\'\'}' "
        fi
    done
    printf '%s' "${out% }"
}

run() {
    local t rc
    printf '\n$ %s\n' "$(_quote "$@")"
    t=$(date +%s.%N)
    "$@"
    rc=$?
    printf '[exit %d; t=%s]\n' "$rc" "$t"
    return 0
}

# `save FILE CMD ARGS...`: like run, but the command's stdout goes to
# $OUT/FILE (kept beside the capture for cross-checks); stderr to the log.
save() {
    local f=$1 t rc
    shift
    printf '\n$ %s > %s\n' "$(_quote "$@")" "$f"
    t=$(date +%s.%N)
    "$@" > "$OUT/$f"
    rc=$?
    printf '[exit %d; t=%s]\n' "$rc" "$t"
    return 0
}

note() { printf '\n# %s\n' "$*"; }

# Fixed throw-away WireGuard test keys (made with `wg genkey` for this corpus
# only; they protect nothing) so the logs stay comparable across runs.
WG_PRIV_A="WBaRW2qfUzP4M/0y0RSYqW9LB1FUTO1uzYD+VYnhSk8="
WG_PRIV_B="6CARRTXWM3PMT0zKMW/9TEWx8palzfLjiyd9VhddD34="
WG_PSK="SIP3ko9VtXNvv7n145TzyiXN6ucBvCT40qsQbyKHFVY="

# documentation-only addresses (RFC 5737 / RFC 3849); the VM has no network
# device of its own (qemu -net none), so nothing here ever leaves it.
