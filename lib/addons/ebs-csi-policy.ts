import type { PolicyDocument, PolicyStatement } from '../bootstrap/secrets-policies';

/**
 * The EBS CSI controller's permissions: the driver's example policy (aws-ebs-csi-driver
 * docs/example-iam-policy.json), statement for statement, in this partition. Volumes and snapshots
 * it creates must carry its own tags in the request; it deletes only what carries them.
 */
export function ebsCsiDriverPolicy(partition: string): PolicyDocument {
  const ec2 = (resource: string) => `arn:${partition}:ec2:*:*:${resource}`;
  const like = (key: string, value: string) => ({ StringLike: { [key]: value } });
  const statements: PolicyStatement[] = [
    {
      Sid: 'Describe',
      Effect: 'Allow',
      Action: ['ec2:DescribeAvailabilityZones', 'ec2:DescribeInstances', 'ec2:DescribeSnapshots', 'ec2:DescribeTags', 'ec2:DescribeVolumes', 'ec2:DescribeVolumesModifications', 'ec2:DescribeVolumeStatus'],
      Resource: ['*'],
    },
    { Sid: 'SnapshotAndModifyVolumes', Effect: 'Allow', Action: ['ec2:CreateSnapshot', 'ec2:ModifyVolume'], Resource: [ec2('volume/*')] },
    { Sid: 'CopyVolumes', Effect: 'Allow', Action: ['ec2:CopyVolumes'], Resource: [ec2('volume/vol-*')] },
    { Sid: 'AttachVolumes', Effect: 'Allow', Action: ['ec2:AttachVolume', 'ec2:DetachVolume'], Resource: [ec2('volume/*'), ec2('instance/*')] },
    { Sid: 'VolumesFromSnapshots', Effect: 'Allow', Action: ['ec2:CreateVolume', 'ec2:EnableFastSnapshotRestores'], Resource: [ec2('snapshot/*')] },
    {
      Sid: 'TagOnCreate',
      Effect: 'Allow',
      Action: ['ec2:CreateTags'],
      Resource: [ec2('volume/*'), ec2('snapshot/*')],
      Condition: { StringEquals: { 'ec2:CreateAction': ['CreateVolume', 'CreateSnapshot', 'CopyVolumes'] } },
    },
    { Sid: 'Untag', Effect: 'Allow', Action: ['ec2:DeleteTags'], Resource: [ec2('volume/*'), ec2('snapshot/*')] },
    { Sid: 'CreateDriverVolumes', Effect: 'Allow', Action: ['ec2:CreateVolume', 'ec2:CopyVolumes'], Resource: [ec2('volume/*')], Condition: like('aws:RequestTag/ebs.csi.aws.com/cluster', 'true') },
    { Sid: 'CreateNamedVolumes', Effect: 'Allow', Action: ['ec2:CreateVolume', 'ec2:CopyVolumes'], Resource: [ec2('volume/*')], Condition: like('aws:RequestTag/CSIVolumeName', '*') },
    { Sid: 'DeleteDriverVolumes', Effect: 'Allow', Action: ['ec2:DeleteVolume'], Resource: [ec2('volume/*')], Condition: like('ec2:ResourceTag/ebs.csi.aws.com/cluster', 'true') },
    { Sid: 'DeleteNamedVolumes', Effect: 'Allow', Action: ['ec2:DeleteVolume'], Resource: [ec2('volume/*')], Condition: like('ec2:ResourceTag/CSIVolumeName', '*') },
    { Sid: 'DeleteClaimedVolumes', Effect: 'Allow', Action: ['ec2:DeleteVolume'], Resource: [ec2('volume/*')], Condition: like('ec2:ResourceTag/kubernetes.io/created-for/pvc/name', '*') },
    { Sid: 'CreateNamedSnapshots', Effect: 'Allow', Action: ['ec2:CreateSnapshot'], Resource: [ec2('snapshot/*')], Condition: like('aws:RequestTag/CSIVolumeSnapshotName', '*') },
    { Sid: 'CreateDriverSnapshots', Effect: 'Allow', Action: ['ec2:CreateSnapshot'], Resource: [ec2('snapshot/*')], Condition: like('aws:RequestTag/ebs.csi.aws.com/cluster', 'true') },
    { Sid: 'DeleteNamedSnapshots', Effect: 'Allow', Action: ['ec2:DeleteSnapshot'], Resource: [ec2('snapshot/*')], Condition: like('ec2:ResourceTag/CSIVolumeSnapshotName', '*') },
    { Sid: 'DeleteDriverSnapshots', Effect: 'Allow', Action: ['ec2:DeleteSnapshot'], Resource: [ec2('snapshot/*')], Condition: like('ec2:ResourceTag/ebs.csi.aws.com/cluster', 'true') },
  ];
  return { Version: '2012-10-17', Statement: statements };
}
