import type { LbListener } from '@cdktf/provider-aws/lib/lb-listener';
import type { LbTargetGroup } from '@cdktf/provider-aws/lib/lb-target-group';
import { SecurityGroup } from '@cdktf/provider-aws/lib/security-group';
import { VpcSecurityGroupEgressRule } from '@cdktf/provider-aws/lib/vpc-security-group-egress-rule';
import { VpcSecurityGroupIngressRule } from '@cdktf/provider-aws/lib/vpc-security-group-ingress-rule';
import { createHash } from 'node:crypto';
import { Construct } from 'constructs';
import { API_SERVER_PORT } from '../network/ports';
import { ownedResourceTags } from '../network/tags';
import { bindings } from '../util/bindings';

export interface ApiLoadBalancersProps {
  readonly clusterName: string;
  readonly vpcId: string;
  /** Subnets the load balancers live in (the control plane's, which are public). */
  readonly subnetIds: readonly string[];
  readonly controlPlaneSecurityGroupId: string;
  /** Groups of every node, which reach the API through the internal load balancer. */
  readonly nodeSecurityGroupIds: readonly string[];
  /** Ranges allowed to reach the API through the public load balancer. */
  readonly apiAccessCidrs: readonly string[];
  /**
   * `ip`: targets are the nodes' fixed private IPs, so an instance that replaces a node is a target
   * without registering; `instance`: targets are instance ids (control planes of `aws_instance`s).
   * @default 'instance'
   */
  readonly targetType?: 'ip' | 'instance';
}

/**
 * The API endpoint of a highly available control plane: an internal network load balancer that
 * nodes use (their traffic stays in the VPC and keeps the node security groups as its source) and
 * an internet-facing one for users and Terraform, open only to `apiAccessCidrs`. Both forward to
 * every control-plane node and take a node out when its `/readyz` fails.
 */
export class ApiLoadBalancers extends Construct {
  /** DNS name of the internal load balancer (kubeadm's controlPlaneEndpoint). */
  public readonly internalHost: string;
  /** DNS name of the internet-facing load balancer. */
  public readonly publicHost: string;
  /** Resources that must exist before the endpoint answers. */
  public readonly listeners: readonly LbListener[];
  private readonly targetGroups: ReadonlyArray<{ readonly scope: Construct; readonly group: LbTargetGroup }>;
  private targetCount = 0;

  constructor(scope: Construct, id: string, props: ApiLoadBalancersProps) {
    super(scope, id);
    const internal = this.loadBalancer('internal', props, true, props.nodeSecurityGroupIds.map((id) => ({ referencedSecurityGroupId: id })));
    const external = this.loadBalancer('public', props, false, props.apiAccessCidrs.map((cidr) => ({ cidrIpv4: cidr })));
    this.internalHost = internal.lb.dnsName;
    this.publicHost = external.lb.dnsName;
    this.listeners = [internal.listener, external.listener];
    this.targetGroups = [internal, external].map((lb) => ({ scope: lb.scope, group: lb.targetGroup }));
  }

  /** Adds a control-plane node to both load balancers: its instance id, or its fixed IP with `targetType: 'ip'`. */
  public addTarget(instanceId: string): void {
    const index = this.targetCount++;
    const { LbTargetGroupAttachment } = bindings;
    for (const { scope, group } of this.targetGroups) {
      new LbTargetGroupAttachment(scope, `target-${index}`, { targetGroupArn: group.arn, targetId: instanceId, port: API_SERVER_PORT });
    }
  }

  private loadBalancer(kind: 'internal' | 'public', props: ApiLoadBalancersProps, isInternal: boolean, sources: ReadonlyArray<{ cidrIpv4?: string; referencedSecurityGroupId?: string }>) {
    const { Lb, LbListener, LbTargetGroup } = bindings;
    const scope = new Construct(this, kind);
    const name = shortName(props.clusterName, kind === 'internal' ? 'int' : 'pub');
    const tags = ownedResourceTags(props.clusterName, `${props.clusterName}-api-${kind}`);
    const group = new SecurityGroup(scope, 'security-group', {
      name: `${props.clusterName}-api-${kind}`,
      description: `Kubernetes API load balancer (${kind}) of ${props.clusterName}`,
      vpcId: props.vpcId,
      tags,
    });
    sources.forEach((source, i) => {
      new VpcSecurityGroupIngressRule(scope, `ingress-${i}`, {
        securityGroupId: group.id,
        ipProtocol: 'tcp',
        fromPort: API_SERVER_PORT,
        toPort: API_SERVER_PORT,
        description: isInternal ? 'Kubernetes API from the cluster nodes' : 'Kubernetes API from apiAccessCidrs',
        ...source,
      });
    });
    new VpcSecurityGroupEgressRule(scope, 'egress-control-plane', {
      securityGroupId: group.id,
      ipProtocol: 'tcp',
      fromPort: API_SERVER_PORT,
      toPort: API_SERVER_PORT,
      referencedSecurityGroupId: props.controlPlaneSecurityGroupId,
      description: 'Kubernetes API on the control-plane nodes',
    });
    new VpcSecurityGroupIngressRule(scope, 'control-plane-ingress', {
      securityGroupId: props.controlPlaneSecurityGroupId,
      ipProtocol: 'tcp',
      fromPort: API_SERVER_PORT,
      toPort: API_SERVER_PORT,
      referencedSecurityGroupId: group.id,
      description: `Kubernetes API from the ${kind} load balancer`,
    });

    const lb = new Lb(scope, 'load-balancer', {
      name,
      loadBalancerType: 'network',
      internal: isInternal,
      subnets: [...props.subnetIds],
      securityGroups: [group.id],
      enableCrossZoneLoadBalancing: true,
      tags,
    });
    const targetGroup = new LbTargetGroup(scope, 'targets', {
      name,
      port: API_SERVER_PORT,
      protocol: 'TCP',
      vpcId: props.vpcId,
      targetType: props.targetType ?? 'instance',
      // Without client IP preservation a control-plane node that reaches the endpoint can be sent
      // to itself and still get an answer; the node groups then reach it via the balancer's group.
      preserveClientIp: 'false',
      healthCheck: { protocol: 'HTTPS', path: '/readyz', port: String(API_SERVER_PORT), interval: 10, healthyThreshold: 2, unhealthyThreshold: 2 },
      tags,
    });
    const listener = new LbListener(scope, 'listener', {
      loadBalancerArn: lb.arn,
      port: API_SERVER_PORT,
      protocol: 'TCP',
      defaultAction: [{ type: 'forward', targetGroupArn: targetGroup.arn }],
      tags,
    });
    return { scope, lb, listener, targetGroup };
  }
}

// Load balancer and target group names are limited to 32 characters; a hash of the full cluster
// name keeps names of long, similar cluster names apart.
function shortName(clusterName: string, suffix: string): string {
  const hash = createHash('sha256').update(clusterName).digest('hex').slice(0, 6);
  return `${clusterName.slice(0, 32 - suffix.length - hash.length - 2)}-${hash}-${suffix}`.replace(/--+/g, '-');
}
