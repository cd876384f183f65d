import { SHARED_FUNCTIONS } from '../node-program';

/**
 * The phase runner that resumes where the last run stopped, and helpers every phase uses (apt
 * with retries, downloads, kubeadm reset).
 */
export const PHASE_RUNNER = `
# phase NAME COMMAND...: runs COMMAND once; a marker records that it finished, so a later run (systemd
# restarts the unit after a failure) resumes with the next phase.
phase() {
  local name=$1
  shift
  if [ -f "$MARKERS/$name.done" ]; then
    log "phase $name: already done"
    return 0
  fi
  log "phase $name: start"
  "$@"
  touch "$MARKERS/$name.done"
  log "phase $name: done"
}

${SHARED_FUNCTIONS.aptGet}

# fetch_url URL FILE: a download with bounded retries and time (the budget adds them up).
fetch_url() {
  curl -fsSL --retry "$DOWNLOAD_RETRIES" --retry-connrefused --connect-timeout 10 --max-time "$DOWNLOAD_MAX_SECONDS" -o "$2" "$1" \
    || fail "could not download $1; check the node's route to the internet (its NAT gateway or public address)"
}

reset_node() {
  kubeadm reset -f --cri-socket "$CRI_SOCKET" || log 'kubeadm reset failed'
}
`;
