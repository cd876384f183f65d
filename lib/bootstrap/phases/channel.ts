/**
 * How the bootstrap gets the programs the SSM channel installs.
 */
export const CHANNEL_PROGRAMS = `
# wait_for_program PROGRAM: the SSM channel installs the node AWS command and the join-token
# program; a real AWS CLI in the image serves as well.
wait_for_program() {
  local deadline=$((SECONDS + CHANNEL_WAIT_SECONDS))
  until command -v "$1" > /dev/null; do
    if [ "$SECONDS" -ge "$deadline" ]; then
      log "ERROR: $1 did not appear within $CHANNEL_WAIT_SECONDS s; the SSM channel installs it: check that the SSM agent is online (aws ssm describe-instance-information) and the association status of $CHANNEL_ASSOCIATION"
      return 1
    fi
    log "waiting for $1, which the SSM channel installs"
    sleep 10
  done
}
`;
