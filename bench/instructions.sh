# Sourced by the bench scripts: instruction counts (callgrind's Ir) of one whole-process run. Unlike wall
# time they do not move when other builds share the machine, so they show where a hot path stands against
# the spawn floor (/bin/true) even when the wall-time ratios are noise. Needs valgrind.
#
#   ir STDIN_FILE COMMAND [ARG...]    prints the Ir of one run (its stdout and stderr are dropped), summed
#                                     over the programs it execs (`regauth` execs regauth-cli for all but
#                                     a token-cache hit)
#   ir_table OUT NAME STDIN_FILE COMMAND [ARG...]    appends "NAME IR" to OUT
ir() {
  local input=$1
  shift
  valgrind --tool=callgrind --trace-children=yes --callgrind-out-file=/dev/null "$@" <"$input" 2>&1 >/dev/null |
    sed -n 's/.*Collected : \([0-9]*\).*/\1/p' | awk '{ s += $1 } END { if (NR) print s }'
}

ir_table() {
  local out=$1 name=$2
  shift 2
  if ! command -v valgrind >/dev/null; then
    echo "$name -" >>"$out"
    return
  fi
  echo "$name $(ir "$@")" >>"$out"
}
