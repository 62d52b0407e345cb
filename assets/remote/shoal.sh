#!/bin/sh
# shoal's reply shim, installed by shoal on this host (it is replaced at the next start
# of an agent here; do not edit). In an agent's pane, `shoal signal|spawn|inbox` go back
# to the supervisor on the operator's machine through this pane's own tmux options:
# the request is appended to @shoal_req, the answer comes back in @shoal_reply_ID.
# Any other command is handed to a real shoal further down PATH, if there is one.
nl='
'
die() { echo "shoal: $*" >&2; exit 2; }

case "$1" in
  signal|spawn|inbox) ;;
  *)
    me=$(cd "$(dirname "$0")" && pwd)
    old_ifs=$IFS; IFS=:
    for d in $PATH; do
      [ "$d" = "$me" ] && continue
      [ -x "$d/shoal" ] && { IFS=$old_ifs; exec "$d/shoal" "$@"; }
    done
    IFS=$old_ifs
    die "only signal, spawn and inbox work from an agent's pane on this host (there is no shoal binary here)"
    ;;
esac

[ -n "$TMUX_PANE" ] && [ -n "$TMUX" ] || die "run this inside an agent's pane (TMUX_PANE is not set)"
[ -n "$SHOAL_TOKEN" ] || die "this pane was not started by shoal on this host (SHOAL_TOKEN is not set)"

# How long to wait for the answer: a few supervisor ticks, plus an inbox's --wait.
wait_for=60
if [ "$1" = spawn ]; then
  has_cwd=no
  for a in "$@"; do
    [ "$a" = -- ] && break
    case "$a" in --cwd|--cwd=*) has_cwd=yes ;; esac
  done
  # The new agent starts where this command runs, as a local spawn does.
  if [ "$has_cwd" = no ]; then
    first=$1; shift
    set -- "$first" --cwd "$PWD" "$@"
  fi
fi
if [ "$1" = inbox ]; then
  prev=""
  for a in "$@"; do
    v=""
    case "$a" in --wait=*) v=${a#--wait=} ;; esac
    [ "$prev" = --wait ] && v=$a
    if [ -n "$v" ]; then
      n=${v%[smh]}
      case "$n" in
        ''|*[!0-9]*) wait_for=$((wait_for + 86400)) ;;
        *) case "$v" in
             *m) wait_for=$((wait_for + n * 60)) ;;
             *h) wait_for=$((wait_for + n * 3600)) ;;
             *) wait_for=$((wait_for + n)) ;;
           esac ;;
      esac
    fi
    prev=$a
  done
fi

id="$$$(date +%s 2>/dev/null)"
line="shoal1 $SHOAL_TOKEN $id"
for a in "$@"; do
  line="$line x$(printf '%s' "$a" | od -An -v -tx1 | tr -d ' \n')"
done

held=$(tmux display-message -p -t "$TMUX_PANE" '#{n:@shoal_req}' 2>/dev/null) || held=0
[ -n "$held" ] || held=0
if [ $((held + ${#line} + 1)) -gt 16384 ]; then
  die "this pane already has $held bytes of requests waiting for the supervisor; wait for it (is it running?)"
fi
tmux set-option -p -a -t "$TMUX_PANE" @shoal_req "$line$nl" || die "tmux could not queue the request"

start=$(date +%s)
while :; do
  r=$(tmux show-options -p -q -v -t "$TMUX_PANE" "@shoal_reply_$id" 2>/dev/null)
  if [ -n "$r" ]; then
    tmux set-option -p -u -t "$TMUX_PANE" "@shoal_reply_$id" 2>/dev/null
    status=${r%%"$nl"*}
    body=${r#*"$nl"}
    [ "$body" = "$r" ] && body=""
    if [ "$status" = ok ]; then
      [ -n "$body" ] && printf '%s\n' "$body"
      exit 0
    fi
    [ -n "$body" ] && printf 'shoal: %s\n' "$body" >&2
    exit 1
  fi
  if [ $(($(date +%s) - start)) -ge "$wait_for" ]; then
    die "no answer from the supervisor within ${wait_for}s; the request stays queued in this pane and is carried out once a supervisor sees it (is shoal supervise running?)"
  fi
  sleep 0.2 2>/dev/null || sleep 1
done
