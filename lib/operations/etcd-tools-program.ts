import { renderNodeProgram } from '../bootstrap/node-program';

/**
 * etcdctl and etcdutl on the control-plane host, copied from the etcd image kubeadm runs
 * (`registry.k8s.io/etcd:<version>-0`, pinned per minor in PACKAGES_BY_MINOR), so the tools match
 * the server and come from the registry the node already trusts: no new download host.
 *
 * What the image ships (docs/etcd-tools.md has the sources):
 * - Up to 3.6.4-0, registry.k8s.io/etcd was built by kubernetes/kubernetes
 *   cluster/images/etcd: its Makefile installs only `etcd` and `etcdctl` from each release into the
 *   image (`$(BIN_INSTALL) $$etcd_release_tmp_dir/etcd $$etcd_release_tmp_dir/etcdctl`), so those
 *   images have no etcdutl (etcd-io/etcd#13764 for 3.5.1-0).
 * - From 3.6.5-0 on, the tag is etcd's own release image, gcr.io/etcd-development/etcd:v<version>,
 *   copied to the new tag (kubernetes/k8s.io#8530, `crane copy ... :v3.6.5 ... :3.6.5-0`;
 *   kubernetes/kubernetes#134251; 3.6.8 promoted the same way in kubernetes/k8s.io#9119). That
 *   image is built by etcd-io/etcd scripts/build-docker.sh from the release tarball, and its
 *   Dockerfile (tag v3.6.8) adds etcd, etcdctl and etcdutl to /usr/local/bin.
 * So the pinned 3.6.8-0 has etcdutl, and an older tag is refused here.
 *
 * It needs containerd, which the bootstrap installs: the snapshot and restore programs run it when
 * a tool is missing, and the installation runs it once when containerd is already there. Each tool
 * is checked to report the image's etcd version before it replaces the one installed.
 */

/** The first registry.k8s.io/etcd tag of the 3.6 series that is etcd's release image, with etcdutl. */
export const FIRST_ETCD_IMAGE_WITH_ETCDUTL = '3.6.5-0';

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
  local tool other printed
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
    # "etcdutl version: 3.6.8" (etcdctl prints the same way): the tool of the server it serves.
    printed=$("$BIN_DIR/$tool.new" version 2>&1) || true
    if ! grep -qx "$tool version: $ETCD_VERSION" <<< "$printed"; then
      for other in $TOOLS; do rm -f "$BIN_DIR/$other.new"; done
      fail "$tool from $ETCD_IMAGE does not report version $ETCD_VERSION (it printed: $(head -1 <<< "$printed")); nothing installed"
    fi
  done
  for tool in $TOOLS; do
    mv -f "$BIN_DIR/$tool.new" "$BIN_DIR/$tool"
  done
  log "installed $TOOLS from $ETCD_IMAGE into $BIN_DIR"
}

main "$@"
`;

/** registry.k8s.io/etcd:<major>.<minor>.<patch>-<revision>, the only images kubeadm runs here. */
const ETCD_IMAGE = /^registry\.k8s\.io\/etcd:(\d+)\.(\d+)\.(\d+)-\d+$/;

/** The etcd version of a registry.k8s.io/etcd image, or an error that says which tags have etcdutl. */
export function etcdImageVersion(image: string): string {
  const match = ETCD_IMAGE.exec(image);
  const [minMajor, minMinor, minPatch] = FIRST_ETCD_IMAGE_WITH_ETCDUTL.split(/[.-]/).map(Number);
  if (!match) {
    throw new Error(`etcd image ${image}: expected registry.k8s.io/etcd:<version>-<revision>, the image kubeadm runs`);
  }
  const [major, minor, patch] = match.slice(1).map(Number);
  const atLeast = major !== minMajor ? major > minMajor : minor !== minMinor ? minor > minMinor : patch >= minPatch;
  if (!atLeast) {
    throw new Error(`etcd image ${image} has no etcdutl (tags before ${FIRST_ETCD_IMAGE_WITH_ETCDUTL} were built by kubernetes/kubernetes cluster/images/etcd with etcd and etcdctl only); pin ${FIRST_ETCD_IMAGE_WITH_ETCDUTL} or later in PACKAGES_BY_MINOR`);
  }
  return `${major}.${minor}.${patch}`;
}

export function etcdToolsProgram(props: EtcdToolsProgramProps): string {
  const version = etcdImageVersion(props.image);
  return renderNodeProgram({
    name: 'kubeadm-etcd-tools',
    description: "Copies etcdctl and etcdutl from kubeadm's etcd image onto the host",
    settings: [
      ['ETCD_IMAGE', props.image],
      ['ETCD_VERSION', version],
      ['IMAGE_TOOLS_DIR', ETCD_IMAGE_TOOLS_DIR],
      ['TOOLS', ETCD_TOOLS.join(' ')],
      ['BIN_DIR', props.binDir ?? '/usr/local/bin'],
    ],
    body: BODY,
  });
}
