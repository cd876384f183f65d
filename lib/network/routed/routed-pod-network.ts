import type { ChannelProgram } from '../../bootstrap/bootstrap-program';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { SsmAssociation } from '@cdktf/provider-aws/lib/ssm-association';
import { Fn } from 'cdktf';
import type { IamRolePolicy } from '@cdktf/provider-aws/lib/iam-role-policy';
import { renderUnit, SYSTEMD_UNIT_DIR, UnitFile } from '../../bootstrap/systemd';
import type { CniPlugin } from '../../cni/cni-plugin';
import { VpcRoutes } from '../../cni/vpc-routes';
import type { NodeChannel } from '../../operations/node-channel';
import type { AddressPlan } from '../../plan/address-plan';
import { terraformText } from '../../util/terraform-text';
import type { NodeIdentity } from '../node-identity';
import { NODE_POD_NETWORK_PROGRAM_PATH, NODE_POD_NETWORK_SERVICE, nodePodNetworkProgram, nodePodNetworkUnit } from './node-pod-network-program';
import { routedNetworkPolicy } from './routed-policy';

/** Where the channel installs the route reconciler on control-plane nodes, and its service. */
export const ROUTE_RECONCILER_PATH = '/usr/local/sbin/kubeadm-vpc-routes';
export const ROUTE_RECONCILER_SERVICE = 'kubeadm-vpc-routes.service';
/** Seconds between passes: a new node's pods are reachable this long after it has its range. */
export const ROUTE_RECONCILE_INTERVAL_SECONDS = 15;

/** The reconciler's source, shipped beside this file. */
export function routeReconcilerSource(): string {
  return readFileSync(join(__dirname, 'pod_routes.py'), 'utf8');
}

export interface RouteReconcilerUnitInput {
  readonly region: string;
  readonly vpcId: string;
  readonly clusterName: string;
  readonly podCidr: string;
}

/** A long-running service on every control-plane node; systemd restarts it if it ever stops. */
export function routeReconcilerUnit(input: RouteReconcilerUnitInput): UnitFile {
  return {
    name: ROUTE_RECONCILER_SERVICE,
    sections: {
      Unit: [
        ['Description', 'VPC routes to the pods: one per node in every route table of the cluster'],
        ['Wants', 'network-online.target'],
        ['After', 'network-online.target'],
      ],
      Service: [
        ['ExecStart', `/usr/bin/python3 ${ROUTE_RECONCILER_PATH} --region ${input.region} --vpc-id ${input.vpcId} --cluster-name ${input.clusterName} --pod-cidr ${input.podCidr} --interval ${ROUTE_RECONCILE_INTERVAL_SECONDS}`],
        ['Restart', 'always'],
        ['RestartSec', '10s'],
        ['StandardOutput', 'journal+console'],
        ['StandardError', 'journal+console'],
      ],
      Install: [['WantedBy', 'multi-user.target']],
    },
  };
}

export interface RoutedPodNetworkProps {
  readonly clusterName: string;
  readonly region: string;
  readonly partition: string;
  readonly vpcId: string;
  readonly plan: AddressPlan;
  readonly channel: NodeChannel;
  readonly controlPlaneIdentity: NodeIdentity;
}

/** What the routed pod network added. */
export interface RoutedPodNetwork {
  readonly nodeInstallation: SsmAssociation;
  readonly reconcilerInstallation: SsmAssociation;
  readonly policy: IamRolePolicy;
  /** The node program and the document that installs it, which a booting node runs itself. */
  readonly nodeProgram: ChannelProgram;
}

const unitFile = (unit: UnitFile) => ({ path: `${SYSTEMD_UNIT_DIR}/${unit.name}`, contentBase64: Fn.base64encode(terraformText(renderUnit(unit))), mode: '0644' });

/**
 * With `Cni.vpcRoutes()`, the two programs of the routed pod network, through the SSM channel (so
 * running nodes, nodes that boot later and clusters of an earlier release get the same files):
 * every node writes its CNI configuration and masquerade rule; every control-plane node runs the
 * route reconciler, with the permissions it needs on the control plane's role. Nothing for other
 * plugins.
 */
export function addRoutedPodNetwork(cni: CniPlugin, props: RoutedPodNetworkProps): RoutedPodNetwork | undefined {
  if (!(cni instanceof VpcRoutes)) {
    return undefined;
  }
  const { channel, plan } = props;
  const nodeInstallation = channel.addInstallation('vpc-routes-node', 'vpc-routes-node', {
    description: 'Installs the routed pod network of a node: its CNI configuration and masquerade rule, written at every boot',
    roles: ['control-plane', 'worker'],
    files: [
      { path: NODE_POD_NETWORK_PROGRAM_PATH, contentBase64: Buffer.from(nodePodNetworkProgram({ podCidr: plan.podCidr, vpcCidr: plan.vpcCidr })).toString('base64'), mode: '0755' },
      unitFile(nodePodNetworkUnit()),
    ],
    // --no-block: the service waits for the Node's range, which may come after this document ends.
    commands: [['systemctl', 'daemon-reload'], ['systemctl', 'enable', NODE_POD_NETWORK_SERVICE], ['systemctl', 'restart', '--no-block', NODE_POD_NETWORK_SERVICE]],
  });
  const reconcilerInstallation = channel.addInstallation('vpc-routes-reconciler', 'vpc-routes-reconciler', {
    description: 'Installs the VPC route reconciler of the routed pod network on a control-plane node',
    roles: ['control-plane'],
    files: [
      { path: ROUTE_RECONCILER_PATH, contentBase64: Buffer.from(routeReconcilerSource()).toString('base64'), mode: '0755' },
      unitFile(routeReconcilerUnit({ region: props.region, vpcId: props.vpcId, clusterName: props.clusterName, podCidr: plan.podCidr })),
    ],
    commands: [['systemctl', 'daemon-reload'], ['systemctl', 'enable', ROUTE_RECONCILER_SERVICE], ['systemctl', 'restart', ROUTE_RECONCILER_SERVICE]],
  });
  const policy = props.controlPlaneIdentity.addPolicy(
    'vpc-routes-policy',
    'vpc-routes',
    routedNetworkPolicy({ clusterName: props.clusterName, ec2ArnPrefix: `arn:${props.partition}:ec2:${props.region}:*` }),
  );
  return { nodeInstallation, reconcilerInstallation, policy, nodeProgram: { path: NODE_POD_NETWORK_PROGRAM_PATH, document: channel.resourceName('vpc-routes-node') } };
}
