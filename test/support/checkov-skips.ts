// Every check of checkov and cfn-lint that test/checkov.test.ts lets pass, and why. A checkov skip
// names the resources it covers (a pattern on the resource as checkov reports it, its construct
// path with the hash Terraform's name ends in): the same check on any other resource is still a
// finding. A skip no example needs any more fails the test, so this list stays as short as the
// stacks allow. Each reason is a check that does not apply to this stack, or a trade-off that the
// README section it names explains.

export interface CheckovSkip {
  /** The check's id, as checkov reports it. */
  readonly id: string;
  /** The resources it is skipped for, matched against checkov's `resource` of a failed check. */
  readonly resources: RegExp;
  readonly reason: string;
}

export interface CfnLintSkip {
  /** The rule's id, as cfn-lint reports it. */
  readonly id: string;
  readonly reason: string;
}

const LEAVE_OUT = 'README "Security defaults" > "What the defaults leave out"';

/** The end of a resource name: its construct path, then the 8 hex digits of cdktf's hash. */
const named = (path: string) => new RegExp(`(^|[._])${path}_[0-9A-F]{8}$`);

const VPC = named('network_vpc');
const PUBLIC_SUBNETS = named('network_subnet-public-\\d+');
const ZONES = named('network_availability-zones');
const CONTROL_PLANE_ADDRESSES = named('control-plane_(endpoint|node-\\d+-address)');
const ETCD_VOLUMES = named('control-plane_node-\\d+_etcd-volume');
const API_LOAD_BALANCERS = named('control-plane_api_(internal|public)_load-balancer');
const SECRETS_KEY = named('secrets_key');
// The parameters of type String: certificates, the service-account public key, and names and
// versions; every key, token and configuration with a secret in it is a SecureString.
const PUBLIC_PARAMETERS = named('(secrets_pki-(ca|etcd-ca|front-proxy-ca)-crt|secrets_pki-sa-pub|channel_kubernetes-version|etcd-backups_restore-request|recovery_generation_parameter)');
const ISSUER_BUCKET = named('service-account-issuer_bucket');
const ISSUER_DISTRIBUTION = named('service-account-issuer_cdn_distribution');
const CLEANUP_FUNCTION = named('destroy-cleanup_function');
const CLEANUP_LOG_GROUP = named('destroy-cleanup_log-group');
const BACKUP_STACK = named('etcd-backups_bucket_stack');
const CHECK_SERVERS = named('connectivity-check_servers');
const TERMINATION_HANDLER = named('workloads_node-termination-handler');
const OWN_DEPLOYMENTS = new RegExp(`${CHECK_SERVERS.source}|${TERMINATION_HANDLER.source}`);

export const CHECKOV_SKIPS: readonly CheckovSkip[] = [
  // The network
  { id: 'CKV2_AWS_11', resources: VPC, reason: `VPC flow logs need a log destination that outlives the cluster and cost per GB; left to the account (${LEAVE_OUT})` },
  { id: 'CKV_AWS_130', resources: PUBLIC_SUBNETS, reason: 'nodes in public subnets have no NAT and need a public IPv4 address to reach packages and images at boot (README "The network")' },
  { id: 'CKV_AWS_394', resources: ZONES, reason: 'subnets take the first zoneCount zones by index; a zone AWS adds sorts after them, and availabilityZones pins names (README "The network")' },
  { id: 'CKV2_AWS_19', resources: CONTROL_PLANE_ADDRESSES, reason: "does not apply: the control-plane nodes' addresses (the API endpoint's, or each node's with three) are attached by aws_eip_association to the self-healing nodes' network interfaces, which every replacement instance takes; the check follows only instance_id" },
  { id: 'CKV_AWS_150', resources: API_LOAD_BALANCERS, reason: `cdktf destroy must delete the API load balancers; what must outlive a destroy is in the retained backup bucket (${LEAVE_OUT})` },
  { id: 'CKV_AWS_91', resources: API_LOAD_BALANCERS, reason: `does not apply: the API listeners are TCP, and a network load balancer writes access logs only for TLS listeners (${LEAVE_OUT})` },
  // Keys and parameters
  { id: 'CKV_AWS_189', resources: ETCD_VOLUMES, reason: `encrypted with the account's default EBS key (aws/ebs, or the key set by aws_ebs_default_kms_key) (${LEAVE_OUT})` },
  { id: 'CKV2_AWS_64', resources: SECRETS_KEY, reason: 'the default key policy is meant: it lets IAM policies grant the key, and the node roles grant it per parameter (README "Secrets")' },
  { id: 'CKV2_AWS_34', resources: PUBLIC_PARAMETERS, reason: 'does not apply: these String parameters hold public data (CA certificates, the service-account public key, versions, a restore request); every secret is a SecureString under the cluster key (README "Secrets")' },
  // The service-account issuer: two public documents for IAM
  { id: 'CKV2_AWS_42', resources: ISSUER_DISTRIBUTION, reason: `CloudFront's own certificate, so that no domain of the user's is needed (README "Credentials in pods"; ${LEAVE_OUT})` },
  { id: 'CKV_AWS_174', resources: ISSUER_DISTRIBUTION, reason: `with CloudFront's own certificate CloudFront fixes the viewer policy at TLSv1; IAM negotiates TLS 1.2 or later (${LEAVE_OUT})` },
  { id: 'CKV_AWS_68', resources: ISSUER_DISTRIBUTION, reason: `does not apply: no code runs behind the distribution, it serves two static documents (${LEAVE_OUT})` },
  { id: 'CKV2_AWS_47', resources: ISSUER_DISTRIBUTION, reason: `does not apply: no web ACL, and nothing behind the distribution runs Java or any code (${LEAVE_OUT})` },
  { id: 'CKV_AWS_374', resources: ISSUER_DISTRIBUTION, reason: `does not apply: IAM fetches the documents from AWS's addresses in every region (${LEAVE_OUT})` },
  { id: 'CKV2_AWS_32', resources: ISSUER_DISTRIBUTION, reason: `does not apply: security headers protect browsers, and only IAM reads these documents (${LEAVE_OUT})` },
  { id: 'CKV_AWS_305', resources: ISSUER_DISTRIBUTION, reason: `does not apply: the two documents sit at fixed paths and nothing is served at the root (${LEAVE_OUT})` },
  { id: 'CKV_AWS_310', resources: ISSUER_DISTRIBUTION, reason: `does not apply: one bucket holds the documents, and Terraform and the control plane write them again (${LEAVE_OUT})` },
  { id: 'CKV_AWS_86', resources: ISSUER_DISTRIBUTION, reason: `access logs need a bucket that outlives the cluster (${LEAVE_OUT})` },
  { id: 'CKV_AWS_18', resources: ISSUER_BUCKET, reason: `access logs need a bucket that outlives the cluster; only CloudFront reads this one (${LEAVE_OUT})` },
  { id: 'CKV_AWS_21', resources: ISSUER_BUCKET, reason: `does not apply: Terraform and the control-plane nodes write the same two documents again whenever they change; old versions have no use (${LEAVE_OUT})` },
  { id: 'CKV2_AWS_61', resources: ISSUER_BUCKET, reason: `does not apply: two objects, rewritten in place, unversioned; nothing accumulates to expire (${LEAVE_OUT})` },
  { id: 'CKV_AWS_144', resources: ISSUER_BUCKET, reason: `does not apply: its content is rebuilt from the stack and the cluster, never only kept here (${LEAVE_OUT})` },
  { id: 'CKV_AWS_145', resources: ISSUER_BUCKET, reason: `SSE-S3: the documents are public by design, and a KMS key would need a key policy for CloudFront's origin access (${LEAVE_OUT})` },
  { id: 'CKV2_AWS_62', resources: ISSUER_BUCKET, reason: 'does not apply: nothing reacts to changes of the issuer documents' },
  // The destroy cleanup
  { id: 'CKV_AWS_116', resources: CLEANUP_FUNCTION, reason: `does not apply: Terraform invokes it synchronously; a dead-letter queue catches only asynchronous invocations (${LEAVE_OUT})` },
  { id: 'CKV_AWS_117', resources: CLEANUP_FUNCTION, reason: `does not apply: it calls only AWS APIs, and runs while the VPC is being torn down (${LEAVE_OUT})` },
  { id: 'CKV_AWS_115', resources: CLEANUP_FUNCTION, reason: `Lambda keeps 100 units unreserved, so a reservation fails in accounts with a lower limit (${LEAVE_OUT})` },
  { id: 'CKV_AWS_272', resources: CLEANUP_FUNCTION, reason: `does not apply: its code is the library's own, pinned in the stack by its hash (${LEAVE_OUT})` },
  { id: 'CKV_AWS_50', resources: CLEANUP_FUNCTION, reason: `X-Ray tracing for a function that runs once per destroy and logs what it did (${LEAVE_OUT})` },
  { id: 'CKV_AWS_158', resources: CLEANUP_LOG_GROUP, reason: `CloudWatch Logs' own encryption for the cleanup's log of what it removed (${LEAVE_OUT})` },
  { id: 'CKV_AWS_338', resources: CLEANUP_LOG_GROUP, reason: `30 days: the group lives as long as the stack and holds only what the cleanup did (${LEAVE_OUT})` },
  { id: 'CKV_AWS_124', resources: BACKUP_STACK, reason: `does not apply: the stack's one change is the bucket's creation, which Terraform waits for and reports (${LEAVE_OUT})` },
  // The pods the stack defines itself
  { id: 'CKV_K8S_11', resources: OWN_DEPLOYMENTS, reason: `requests and a memory limit, no CPU limit: a CPU limit throttles a pod even on an idle node (${LEAVE_OUT})` },
  { id: 'CKV_K8S_43', resources: OWN_DEPLOYMENTS, reason: `images are pinned by tag, as their upstream charts and manifests name them (${LEAVE_OUT})` },
  { id: 'CKV_K8S_15', resources: OWN_DEPLOYMENTS, reason: `pinned tags are pulled when a node lacks them (IfNotPresent), not at every start (${LEAVE_OUT})` },
  { id: 'CKV_K8S_22', resources: CHECK_SERVERS, reason: `the stock nginx image writes its cache directories and pid file under its root file system (${LEAVE_OUT})` },
  { id: 'CKV_K8S_37', resources: CHECK_SERVERS, reason: `the stock nginx image's master starts as root, binds port 80 and switches its workers to nginx; it drops NET_RAW (${LEAVE_OUT})` },
];

export const CFN_LINT_SKIPS: readonly CfnLintSkip[] = [
  {
    id: 'I1022',
    reason: 'does not apply: Fn::Sub would put ${...} in the template body, which Terraform reads as its own interpolation; Fn::Join carries the same value',
  },
];
