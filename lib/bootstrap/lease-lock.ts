/**
 * A lock held by one node of the control plane at a time: a Lease in kube-system, taken with an
 * atomic create or a replace conditional on the resourceVersion read, handed back when done.
 * Shared bash for the programs that must not act on two nodes at once (join-token rotation,
 * certificate renewal). The including program defines `log`, `fail`, `now`, `epoch`,
 * `kube` (kubectl with the admin kubeconfig) and the variables HOLDER, ERRORS, LEASE_VERSION,
 * LOCK_HOLDER and FIELDS, and the settings LEASE_NAME, LEASE_SECONDS and LEASE_TEMPLATE.
 */

/** kubectl's JSONPath for the fields the lock reads from the Lease. */
export const LEASE_TEMPLATE = '{.metadata.resourceVersion}{"\\t"}{.spec.holderIdentity}{"\\t"}{.spec.renewTime}{"\\t"}{.spec.leaseDurationSeconds}';

/** `split_tabs LINE`: the line's tab-separated fields in FIELDS, empty ones kept. */
export const TAB_FIELDS_FUNCTION = `
# Splits a tab-separated line into FIELDS, keeping empty fields: to read, a tab is white space, so
# it would merge the empty expiry of a never-expiring token with its neighbours.
split_tabs() {
  local line=$1
  FIELDS=()
  while [[ $line == *$'\\t'* ]]; do
    FIELDS+=("\${line%%$'\\t'*}")
    line=\${line#*$'\\t'}
  done
  FIELDS+=("$line")
}
`.trim();

/** `take_lock` (0: held; 1: another node holds it, LOCK_HOLDER says who) and `release_lock`. */
export const LEASE_LOCK_FUNCTIONS = `
# ---- The lock: a Lease on the cluster -------------------------------------------------------------

# lease_manifest HOLDER DURATION [RESOURCE_VERSION]: the Lease as JSON. With a resourceVersion,
# replace succeeds only if nobody changed the Lease since it was read (Conflict otherwise).
lease_manifest() {
  local stamp version=''
  stamp=$(date -u +%Y-%m-%dT%H:%M:%S.%6NZ)
  [ -z "\${3:-}" ] || version=",\\"resourceVersion\\":\\"$3\\""
  printf '{"apiVersion":"coordination.k8s.io/v1","kind":"Lease","metadata":{"name":"%s","namespace":"kube-system"%s},"spec":{"holderIdentity":"%s","leaseDurationSeconds":%s,"acquireTime":"%s","renewTime":"%s"}}\\n' \\
    "$LEASE_NAME" "$version" "$1" "$2" "$stamp" "$stamp"
}

# take_lock: 0 when this run holds the Lease; 1 when another holds it (LOCK_HOLDER says who).
# Anything else the API says is a failure of the run.
take_lock() {
  local observed holder renew duration version expires=0
  observed=$(kube get lease "$LEASE_NAME" -n kube-system --ignore-not-found -o "jsonpath=$LEASE_TEMPLATE") || fail 'could not read the lock (Lease kube-system/'"$LEASE_NAME"')'
  if [ -z "$observed" ]; then
    # create is atomic: of nodes that create at the same moment, one succeeds.
    write_lease create
    return
  fi
  split_tabs "$observed"
  version=\${FIELDS[0]}
  holder=\${FIELDS[1]:-}
  renew=\${FIELDS[2]:-}
  duration=\${FIELDS[3]:-0}
  [ -z "$renew" ] || expires=$(( $(epoch "$renew") + duration ))
  # The local lock rules out another live run on this node, so a fresh Lease under our own name
  # is left over from a run that died; it is taken over like an expired one.
  if [ -n "$holder" ] && [ "$holder" != "$HOLDER" ] && [ "$(now)" -lt "$expires" ]; then
    LOCK_HOLDER="$holder (until $(date -u -d "@$expires" +%FT%TZ))"
    return 1
  fi
  if [ -z "$holder" ]; then
    log 'the lock is free'
  elif [ "$holder" = "$HOLDER" ]; then
    log 'the lock is still ours from an earlier run; taking it over'
  else
    log "the lock of $holder lapsed at $(date -u -d "@$expires" +%FT%TZ); taking it over"
  fi
  # replace carries the observed resourceVersion: of nodes that replace at once, one succeeds.
  write_lease replace "$version"
}

# write_lease create|replace [VERSION]: writes the Lease as ours. Returns 1 when another node was
# first (AlreadyExists on create; Conflict or NotFound on replace); any other error fails the run.
write_lease() {
  local out
  if out=$(lease_manifest "$HOLDER" "$LEASE_SECONDS" \${2:+"$2"} | kube "$1" -f - -o 'jsonpath={.metadata.resourceVersion}' 2> "$ERRORS"); then
    LEASE_VERSION=$out
    log "lock taken (Lease kube-system/$LEASE_NAME, $LEASE_SECONDS s)"
    return 0
  fi
  case $(cat "$ERRORS") in
    *AlreadyExists*|*Conflict*|*NotFound*) LOCK_HOLDER='another node, which took it at the same moment'; return 1 ;;
  esac
  fail "could not take the lock: $(cat "$ERRORS")"
}

# The lock is handed back rather than left to lapse, so that the next run (a revoke right after a
# rotation, or another node's timer) need not wait out the lease. It is handed back by a replace
# with our resourceVersion, not deleted: kubectl delete has no precondition, and after a lapse
# another node may hold the Lease by now.
release_lock() {
  [ -n "$LEASE_VERSION" ] || return 0
  if lease_manifest '' 1 "$LEASE_VERSION" | kube replace -f - > /dev/null 2>&1; then
    log 'lock released'
  else
    log "could not release the lock; it lapses within $LEASE_SECONDS s"
  fi
  LEASE_VERSION=''
}
`.trim();
