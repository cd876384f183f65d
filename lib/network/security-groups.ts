import { SecurityGroup } from '@cdktf/provider-aws/lib/security-group';
import { VpcSecurityGroupEgressRule } from '@cdktf/provider-aws/lib/vpc-security-group-egress-rule';
import { VpcSecurityGroupIngressRule } from '@cdktf/provider-aws/lib/vpc-security-group-ingress-rule';
import { Annotations, Token } from 'cdktf';
import { Construct } from 'constructs';
import { formatProblem, ProblemList } from '../plan/problems';
import { checkClusterName } from './cluster-name';
import { KUBERNETES_PORTS, NodeRole, PortRule } from './ports';
import { checkPortRule, nodeRulesFor, planSecurityGroupRules, SecurityGroupRuleSpec } from './security-group-rules';
import { ownedResourceTags } from './tags';

export interface ClusterSecurityGroupsProps {
  /** Name of the cluster, in the groups' names and tags. */
  readonly clusterName: string;
  /** The VPC the groups belong to, for example `ClusterNetwork.vpcId`. */
  readonly vpcId: string;
  /**
   * Traffic the network plugin needs between nodes, typically the plugin's `ports`. Opened on top
   * of Kubernetes' own ports (`KUBERNETES_PORTS`).
   * @default - none: only Kubernetes' own ports are open between nodes
   */
  readonly pluginPorts?: readonly PortRule[];
  /**
   * The VPC's range. Nodes admit ICMP "fragmentation needed" (path MTU discovery) from it as well
   * as from anywhere.
   * @default - none: that ICMP message is admitted from anywhere only
   */
  readonly vpcCidr?: string;
  /**
   * The pod range, admitted on every node (all protocols) when pods talk across the VPC with their
   * own addresses, as with `Cni.vpcRoutes()`.
   * @default - none: pod traffic is encapsulated between node addresses
   */
  readonly podCidr?: string;
  /**
   * Ranges from outside the cluster allowed to reach the API server (TCP 6443) on the control plane.
   * `0.0.0.0/0` is accepted but flagged with a warning.
   * @default - none: the API is reachable only from the cluster's own nodes
   */
  readonly apiAccessCidrs?: readonly string[];
  /**
   * Ranges allowed to reach SSH (TCP 22) on every node. Nodes can be reached through SSM Session
   * Manager without it.
   * @default - none: SSH is closed
   */
  readonly sshAccessCidrs?: readonly string[];
  /**
   * Ranges allowed to reach NodePort services (TCP 30000-32767) on the workers.
   * @default - none: NodePorts are closed to everything outside the cluster
   */
  readonly nodePortAccessCidrs?: readonly string[];
}

const GROUP_PURPOSE: Readonly<Record<NodeRole, string>> = {
  'control-plane': 'Control-plane nodes',
  worker: 'Worker nodes',
};

/**
 * One security group per node role, with every rule a resource of its own, generated from port
 * tables: Kubernetes' ports and the network plugin's, open between the cluster's own groups only.
 * More rules can be added with `addRule`.
 */
export class ClusterSecurityGroups extends Construct {
  public readonly clusterName: string;
  public readonly controlPlaneSecurityGroup: SecurityGroup;
  public readonly workerSecurityGroup: SecurityGroup;
  private readonly created = new Map<string, SecurityGroupRuleSpec>();
  private readonly externalRules: VpcSecurityGroupIngressRule[] = [];

  constructor(scope: Construct, id: string, props: ClusterSecurityGroupsProps) {
    super(scope, id);
    const problems = new ProblemList();
    checkClusterName(problems, props.clusterName);
    problems.throwIfAny();
    const plan = planSecurityGroupRules({
      portTables: [
        { property: 'KUBERNETES_PORTS', rules: KUBERNETES_PORTS },
        { property: 'pluginPorts', rules: props.pluginPorts ?? [] },
      ],
      vpcCidr: props.vpcCidr,
      podCidr: props.podCidr,
      apiAccessCidrs: props.apiAccessCidrs,
      sshAccessCidrs: props.sshAccessCidrs,
      nodePortAccessCidrs: props.nodePortAccessCidrs,
      isUnresolved: (value) => Token.isUnresolved(value),
    });

    this.clusterName = props.clusterName;
    const group = (role: NodeRole) => {
      const name = `${props.clusterName}-${role}`;
      return new SecurityGroup(this, role, {
        name,
        description: `${GROUP_PURPOSE[role]} of cluster ${props.clusterName}`,
        vpcId: props.vpcId,
        tags: ownedResourceTags(props.clusterName, name),
      });
    };
    this.controlPlaneSecurityGroup = group('control-plane');
    this.workerSecurityGroup = group('worker');

    plan.rules.forEach((rule) => this.createRule(rule));
    for (const warning of plan.warnings) {
      Annotations.of(this).addWarning(formatProblem(warning));
    }
  }

  /** The group of nodes with `role`. */
  public securityGroup(role: NodeRole): SecurityGroup {
    return role === 'control-plane' ? this.controlPlaneSecurityGroup : this.workerSecurityGroup;
  }

  /** Id of the group of nodes with `role`, for instances and launch templates. */
  public securityGroupId(role: NodeRole): string {
    return this.securityGroup(role).id;
  }

  public get controlPlaneSecurityGroupId(): string {
    return this.controlPlaneSecurityGroup.id;
  }

  public get workerSecurityGroupId(): string {
    return this.workerSecurityGroup.id;
  }

  /** Every rule created so far, in creation order. */
  public get rules(): readonly SecurityGroupRuleSpec[] {
    return [...this.created.values()];
  }

  /**
   * The rules that admit clients from outside the cluster (API, SSH and NodePort access), for
   * whatever must wait until they are in place, such as a readiness check from outside.
   */
  public get externalAccessRules(): readonly VpcSecurityGroupIngressRule[] {
    return this.externalRules;
  }

  /**
   * Opens more traffic between nodes, for example an add-on's port. Each (receiving role, source
   * role) pair becomes an ingress rule referencing the source role's group; pairs already open
   * are left as they are.
   */
  public addRule(rule: PortRule): void {
    const problems = new ProblemList();
    checkPortRule(problems, rule, 'addRule(rule)');
    problems.throwIfAny();
    nodeRulesFor(rule).forEach((spec) => this.createRule(spec));
  }

  private createRule(spec: SecurityGroupRuleSpec): void {
    if (this.created.has(spec.id)) {
      return;
    }
    this.created.set(spec.id, spec);
    const common = {
      securityGroupId: this.securityGroupId(spec.group),
      ipProtocol: spec.ipProtocol,
      fromPort: spec.fromPort,
      toPort: spec.toPort,
      description: spec.description,
      referencedSecurityGroupId: spec.peerRole ? this.securityGroupId(spec.peerRole) : undefined,
      cidrIpv4: spec.cidr,
    };
    if (spec.direction === 'ingress') {
      const rule = new VpcSecurityGroupIngressRule(this, spec.id, common);
      // Path MTU discovery's ICMP is no way in for a client; the readiness wait need not wait for it.
      if (spec.cidr !== undefined && spec.protocol !== 'icmp' && spec.protocol !== 'all') {
        this.externalRules.push(rule);
      }
    } else {
      new VpcSecurityGroupEgressRule(this, spec.id, common);
    }
  }
}

