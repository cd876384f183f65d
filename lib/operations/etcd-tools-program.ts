import { renderNodeProgram } from '../bootstrap/node-program';

/**
 * etcdctl and etcdutl on the control-plane host, copied from the etcd image kubeadm runs
 * (`registry.k8s.io/etcd:<version>-0`, pinned per minor in PACKAGES_BY_MINOR), so the tools match
 * the server and come from the registry the node already trusts: no new download host. Since etcd
 * 3.6 these images are etcd's own release images, promoted to registry.k8s.io, with etcd, etcdctl
 * and etcdutl in /usr/local/bin.
 *
 * It needs containerd, which the bootstrap installs: the snapshot and restore programs run it when
 * a tool is missing, and the installation runs it once when containerd is already there.
 */

export const ETCD_TOOLS_PROGRAM_PATH = '/usr/local/sbin/kubeadm-etcd-tools';
/** Where the image keeps the tools. */
export const ETCD_IMAGE_TOOLS_DIR = '/usr/local/bin';
export const ETCD_TOOLS: readonly string[] = ['etcdctl', 'etcdutl'];

export interface EtcdToolsProgramProps {
  /** The image, for example registry.k8s.io/etcd:3.6.8-0. */
  readonly image: string;
  /**
   * Where the tools go on the host.
   * @default '/usr/local/bin'
   */
  readonly binDir?: string;
}

const BODY = `
MOUNT=''

cleanup() {
  if [ -n "$MOUNT" ]; then
    ctr -n k8s.io images unmount "$MOUNT" > /dev/null 2>&1 || true
    rmdir "$MOUNT" 2> /dev/null || true
  fi
}

main() {
  local tool
  command -v ctr > /dev/null || fail 'ctr is not installed: containerd comes with the bootstrap; run this again once it has'
  log "pulling $ETCD_IMAGE"
  retry 3 10 ctr -n k8s.io images pull "$ETCD_IMAGE" > /dev/null || fail "could not pull $ETCD_IMAGE"
  MOUNT=$(mktemp -d)
  trap cleanup EXIT
  ctr -n k8s.io images mount "$ETCD_IMAGE" "$MOUNT" > /dev/null || fail "could not mount $ETCD_IMAGE"
  for tool in $TOOLS; do
    [ -f "$MOUNT$IMAGE_TOOLS_DIR/$tool" ] || fail "$ETCD_IMAGE has no $IMAGE_TOOLS_DIR/$tool"
  done
  mkdir -p "$BIN_DIR"
  for tool in $TOOLS; do
    install -m 0755 "$MOUNT$IMAGE_TOOLS_DIR/$tool" "$BIN_DIR/$tool.new"
    mv -f "$BIN_DIR/$tool.new" "$BIN_DIR/$tool"
  done
  log "installed $TOOLS from $ETCD_IMAGE into $BIN_DIR"
}

main "$@"
`;

const IMAGE = /^[a-z0-9.-]+(:\d+)?(\/[a-z0-9._-]+)+:[A-Za-z0-9._-]+$/;

export function etcdToolsProgram(props: EtcdToolsProgramProps): string {
  if (!IMAGE.test(props.image)) {
    throw new Error(`not an image reference with a tag: ${props.image}`);
  }
  return renderNodeProgram({
    name: 'kubeadm-etcd-tools',
    description: "Copies etcdctl and etcdutl from kubeadm's etcd image onto the host",
    settings: [
      ['ETCD_IMAGE', props.image],
      ['IMAGE_TOOLS_DIR', ETCD_IMAGE_TOOLS_DIR],
      ['TOOLS', ETCD_TOOLS.join(' ')],
      ['BIN_DIR', props.binDir ?? '/usr/local/bin'],
    ],
    body: BODY,
  });
}
