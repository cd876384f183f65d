#!/usr/bin/python3
"""A minimal AWS CLI subset for cluster nodes.

Ubuntu 24.04 ships no AWS CLI package, but it does ship python3-boto3. The node scripts call
`aws ...` exactly as they would call the real AWS CLI; this program implements only the commands
and flags those scripts use, with the AWS CLI's command-line shape, output and exit codes, so that
a real AWS CLI on the node behaves the same. It is installed as /usr/local/bin/aws only when the
node has no `aws` of its own.

Exit codes (as the AWS CLI v2 documents them): 0 success, 1 an `s3 cp` transfer failed,
252 bad command line, 253 no region or no credentials, 254 the service returned an error,
255 anything else (endpoint unreachable, timeouts, bad query at run time).

It never prints or logs its arguments: a secret may be on the command line. Prefer
`--value file:///path` for secrets, which is read here as the AWS CLI reads it.
"""

import datetime
import decimal
import json
import os
import sys
import urllib.request

EXIT_S3_TRANSFER_FAILED = 1
EXIT_USAGE = 252
EXIT_CONFIG = 253
EXIT_SERVICE = 254
EXIT_OTHER = 255

VALUE = 'value'  # the option takes one argument
FLAG = 'flag'  # the option is a boolean; --no-<name> sets it false

GLOBAL_OPTIONS = {
    '--region': VALUE,
    '--output': VALUE,
    '--query': VALUE,
    '--endpoint-url': VALUE,
    # Accepted and ignored, so scripts written for AWS CLI v2 (which pages output) also run here.
    '--no-cli-pager': FLAG,
}

# The commands this subset knows: (service, operation) -> option name -> kind, and required options.
COMMANDS = {
    ('ssm', 'get-parameter'): (
        {'--name': VALUE, '--with-decryption': FLAG},
        ['--name'],
    ),
    ('ssm', 'put-parameter'): (
        {'--name': VALUE, '--value': VALUE, '--type': VALUE, '--key-id': VALUE,
         '--overwrite': FLAG, '--description': VALUE},
        ['--name', '--value'],
    ),
    # The bootstrap reads the SSM channel's own documents and runs them itself, so that a node's
    # first boot never waits for State Manager.
    ('ssm', 'get-document'): (
        {'--name': VALUE, '--document-version': VALUE, '--document-format': VALUE},
        ['--name'],
    ),
    ('autoscaling', 'complete-lifecycle-action'): (
        {'--lifecycle-hook-name': VALUE, '--auto-scaling-group-name': VALUE,
         '--lifecycle-action-result': VALUE, '--instance-id': VALUE,
         '--lifecycle-action-token': VALUE},
        ['--lifecycle-hook-name', '--auto-scaling-group-name', '--lifecycle-action-result'],
    ),
    ('autoscaling', 'set-instance-health'): (
        {'--instance-id': VALUE, '--health-status': VALUE, '--should-respect-grace-period': FLAG},
        ['--instance-id', '--health-status'],
    ),
    # A control-plane node attaches its own etcd volume at boot; a restore in a highly available
    # control plane scales the other nodes' groups to 0 and back (fencing their old etcd members).
    ('ec2', 'attach-volume'): (
        {'--volume-id': VALUE, '--instance-id': VALUE, '--device': VALUE},
        ['--volume-id', '--instance-id', '--device'],
    ),
    ('autoscaling', 'update-auto-scaling-group'): (
        {'--auto-scaling-group-name': VALUE, '--min-size': VALUE, '--max-size': VALUE, '--desired-capacity': VALUE},
        ['--auto-scaling-group-name'],
    ),
    ('cloudwatch', 'put-metric-data'): (
        {'--namespace': VALUE, '--metric-name': VALUE, '--value': VALUE, '--unit': VALUE,
         '--dimensions': VALUE},
        ['--namespace', '--metric-name', '--value'],
    ),
    ('s3api', 'list-objects-v2'): (
        {'--bucket': VALUE, '--prefix': VALUE},
        ['--bucket'],
    ),
    ('s3', 'cp'): (
        {'--sse': VALUE, '--sse-kms-key-id': VALUE,
         '--quiet': FLAG, '--only-show-errors': FLAG, '--no-progress': FLAG},
        [],
    ),
}

CHOICES = {
    '--output': ('json', 'text'),
    '--type': ('String', 'SecureString'),
    '--document-format': ('YAML', 'JSON', 'TEXT'),
    '--lifecycle-action-result': ('CONTINUE', 'ABANDON'),
    '--health-status': ('Healthy', 'Unhealthy'),
    '--sse': ('AES256', 'aws:kms'),
}

# AWS_ENDPOINT_URL_<service id> names, as the AWS SDKs spell the service ids.
ENDPOINT_ENV = {
    'ssm': 'AWS_ENDPOINT_URL_SSM',
    'autoscaling': 'AWS_ENDPOINT_URL_AUTO_SCALING',
    'ec2': 'AWS_ENDPOINT_URL_EC2',
    'cloudwatch': 'AWS_ENDPOINT_URL_CLOUDWATCH',
    's3': 'AWS_ENDPOINT_URL_S3',
}


class UsageError(Exception):
    pass


class ConfigError(Exception):
    pass


class QueryError(Exception):
    pass


def usage_text():
    commands = '\n'.join(f'  aws {service} {operation}' for service, operation in COMMANDS)
    return ('usage: aws [--region R] [--output json|text] [--query Q] <command> <subcommand> [parameters]\n'
            'This is a minimal AWS CLI subset for cluster nodes. It supports only:\n'
            f'{commands}\n')


def looks_like_option(token):
    # As in argparse: "-" (stdin/stdout), negative numbers and words with a space (such as a PEM
    # block's first line) are values, not options.
    if not token.startswith('-') or token == '-' or ' ' in token:
        return False
    try:
        float(token)
        return False
    except ValueError:
        return True


def parse_command_line(argv):
    """Splits argv into global options, the command, its options and its positional arguments."""
    global_opts, opts, words = {}, {}, []
    command = None
    i = 0
    while i < len(argv):
        token = argv[i]
        i += 1
        if not looks_like_option(token):
            words.append(token)
            if command is None and len(words) == 2:
                command = (words[0], words[1])
                if command not in COMMANDS:
                    raise UsageError(f'unknown command: aws {words[0]} {words[1]}')
                words = []
            continue
        name, has_inline, inline = token.partition('=')
        table, target = GLOBAL_OPTIONS, global_opts
        if name not in GLOBAL_OPTIONS:
            if command is None:
                raise UsageError(f'unknown option {name} before the command')
            table, target = COMMANDS[command][0], opts
        negated = name.startswith('--no-') and table.get('--' + name[5:]) == FLAG
        kind = FLAG if negated else table.get(name)
        if kind is None:
            raise UsageError(f'unknown option {name} for aws {command[0]} {command[1]}')
        if kind == FLAG:
            if has_inline:
                raise UsageError(f'argument {name}: ignored explicit argument')
            target['--' + name[5:] if negated else name] = not negated
            continue
        if has_inline:
            value = inline
        elif name == '--sse' and (i >= len(argv) or argv[i] not in CHOICES['--sse']):
            value = 'AES256'  # the AWS CLI's --sse takes an optional argument with this default
        elif i < len(argv) and not looks_like_option(argv[i]):
            value = argv[i]
            i += 1
        else:
            raise UsageError(f'argument {name}: expected one argument')
        if name in CHOICES and value not in CHOICES[name]:
            raise UsageError(f'argument {name}: invalid choice, valid choices are: {", ".join(CHOICES[name])}')
        target[name] = value
    if command is None:
        raise UsageError('a command and a subcommand are required' if not words else f'unknown command: aws {words[0]}')
    missing = [name for name in COMMANDS[command][1] if name not in opts]
    if missing:
        raise UsageError(f'the following arguments are required: {", ".join(missing)}')
    if command == ('s3', 'cp'):
        if len(words) != 2:
            raise UsageError('aws s3 cp takes exactly two paths: SOURCE DESTINATION')
    elif words:
        raise UsageError(f'unexpected argument for aws {command[0]} {command[1]}')
    return global_opts, command, opts, words


def read_param_files(opts):
    """Reads `file://` option values from the file, as the AWS CLI does for every parameter.

    The content is used unchanged (a trailing newline in the file stays in the value), like the
    AWS CLI. This keeps secrets out of argv, where any local user could read them.
    """
    for name, value in opts.items():
        if isinstance(value, str) and value.startswith('file://'):
            path = os.path.expanduser(value[len('file://'):])
            try:
                with open(path, encoding='utf-8') as f:
                    opts[name] = f.read()
            except (OSError, UnicodeDecodeError) as e:
                raise UsageError(f'Error parsing parameter {name!r}: Unable to load paramfile {value}: {e}') from e


# ---- AWS clients ----------------------------------------------------------------------------------

def imds_region():
    """The instance's region from instance metadata (IMDSv2), or None off EC2 or when disabled."""
    if os.environ.get('AWS_EC2_METADATA_DISABLED', '').lower() == 'true':
        return None
    base = os.environ.get('AWS_EC2_METADATA_SERVICE_ENDPOINT', 'http://169.254.169.254').rstrip('/')
    # Instance metadata must never go through an HTTP proxy from the environment.
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    for _ in range(2):
        try:
            token_request = urllib.request.Request(
                f'{base}/latest/api/token', method='PUT',
                headers={'X-aws-ec2-metadata-token-ttl-seconds': '60'})
            with opener.open(token_request, timeout=2) as response:
                token = response.read().decode()
            region_request = urllib.request.Request(
                f'{base}/latest/meta-data/placement/region',
                headers={'X-aws-ec2-metadata-token': token})
            with opener.open(region_request, timeout=2) as response:
                region = response.read().decode().strip()
            if region:
                return region
        except (OSError, ValueError):
            pass
    return None


def make_client(service, global_opts):
    import botocore.config
    import botocore.session

    session = botocore.session.get_session()
    # --region, then AWS_REGION (which botocore of this age does not read itself), then
    # AWS_DEFAULT_REGION or the config file, then the instance's own region.
    region = (global_opts.get('--region') or os.environ.get('AWS_REGION')
              or session.get_config_variable('region') or imds_region())
    if not region:
        raise ConfigError('You must specify a region. You can also configure your region by running "aws configure".')
    endpoint = (global_opts.get('--endpoint-url') or os.environ.get(ENDPOINT_ENV[service])
                or os.environ.get('AWS_ENDPOINT_URL') or None)
    try:
        attempts = int(os.environ.get('AWS_MAX_ATTEMPTS', '5'))
    except ValueError:
        attempts = 5
    # Standard retries back off with jitter on throttling, 5xx and connection errors. Attempts
    # count the first call too, as AWS_MAX_ATTEMPTS does (botocore's own `max_attempts` would
    # count retries only). The timeouts bound a hung connection so that systemd's retry of the
    # calling unit can take over.
    config = botocore.config.Config(
        region_name=region,
        retries={'mode': 'standard', 'total_max_attempts': attempts},
        connect_timeout=10,
        read_timeout=30,
    )
    return session.create_client(service, region_name=region, endpoint_url=endpoint, config=config)


# ---- Commands -------------------------------------------------------------------------------------

def call_params(opts, mapping):
    """Maps the command-line options that were given onto the operation's parameter names."""
    return {param: opts[name] for name, param in mapping.items() if name in opts}


def ssm_get_parameter(g, opts):
    params = call_params(opts, {'--name': 'Name', '--with-decryption': 'WithDecryption'})
    return make_client('ssm', g).get_parameter(**params)


def ssm_put_parameter(g, opts):
    params = call_params(opts, {'--name': 'Name', '--value': 'Value', '--type': 'Type', '--key-id': 'KeyId',
                                '--overwrite': 'Overwrite', '--description': 'Description'})
    return make_client('ssm', g).put_parameter(**params)


def ssm_get_document(g, opts):
    params = call_params(opts, {'--name': 'Name', '--document-version': 'DocumentVersion', '--document-format': 'DocumentFormat'})
    return make_client('ssm', g).get_document(**params)


def autoscaling_complete_lifecycle_action(g, opts):
    params = call_params(opts, {'--lifecycle-hook-name': 'LifecycleHookName',
                                '--auto-scaling-group-name': 'AutoScalingGroupName',
                                '--lifecycle-action-result': 'LifecycleActionResult',
                                '--instance-id': 'InstanceId',
                                '--lifecycle-action-token': 'LifecycleActionToken'})
    return make_client('autoscaling', g).complete_lifecycle_action(**params)


def autoscaling_set_instance_health(g, opts):
    params = call_params(opts, {'--instance-id': 'InstanceId', '--health-status': 'HealthStatus',
                                '--should-respect-grace-period': 'ShouldRespectGracePeriod'})
    return make_client('autoscaling', g).set_instance_health(**params)


def ec2_attach_volume(g, opts):
    params = call_params(opts, {'--volume-id': 'VolumeId', '--instance-id': 'InstanceId', '--device': 'Device'})
    return make_client('ec2', g).attach_volume(**params)


def autoscaling_update_auto_scaling_group(g, opts):
    params = call_params(opts, {'--auto-scaling-group-name': 'AutoScalingGroupName'})
    for name, param in (('--min-size', 'MinSize'), ('--max-size', 'MaxSize'), ('--desired-capacity', 'DesiredCapacity')):
        if name in opts:
            try:
                params[param] = int(opts[name])
            except ValueError as e:
                raise UsageError(f'argument {name}: invalid int value: {opts[name]!r}') from e
    return make_client('autoscaling', g).update_auto_scaling_group(**params)


def cloudwatch_put_metric_data(g, opts):
    try:
        value = decimal.Decimal(opts['--value'])  # a Decimal keeps the number exactly as written
    except decimal.InvalidOperation as e:
        raise UsageError(f'argument --value: not a number: {opts["--value"]}') from e
    datum = {'MetricName': opts['--metric-name'], 'Value': value}
    if '--unit' in opts:
        datum['Unit'] = opts['--unit']
    if '--dimensions' in opts:
        # The AWS CLI's put-metric-data takes its dimensions as ONE argument of Name=Value pairs:
        # `--dimensions AutoScalingGroupName=workers,Role=worker` (not the Name=..,Value=.. form).
        dimensions = []
        for pair in opts['--dimensions'].split(','):
            name, sep, dim_value = pair.partition('=')
            if not sep or not name:
                raise UsageError('argument --dimensions: expected Name=Value[,Name=Value...]')
            dimensions.append({'Name': name, 'Value': dim_value})
        datum['Dimensions'] = dimensions
    return make_client('cloudwatch', g).put_metric_data(Namespace=opts['--namespace'], MetricData=[datum])


def s3api_list_objects_v2(g, opts):
    params = call_params(opts, {'--bucket': 'Bucket', '--prefix': 'Prefix'})
    # Like the AWS CLI, follow continuation tokens until the listing is complete.
    return make_client('s3', g).get_paginator('list_objects_v2').paginate(**params)


def split_s3_url(url):
    bucket, _, key = url[len('s3://'):].partition('/')
    if not bucket:
        raise UsageError(f'not a valid S3 location: {url}')
    return bucket, key


def s3_cp(g, opts, source, destination):
    """Uploads one local file to S3 or downloads one object; returns the exit code."""
    from boto3.s3.transfer import TransferConfig, create_transfer_manager

    upload = destination.startswith('s3://')
    if upload == source.startswith('s3://'):
        raise UsageError('aws s3 cp here copies between a local file and S3 only (one side must be s3://)')
    if not upload and ('--sse' in opts or '--sse-kms-key-id' in opts):
        raise UsageError('--sse and --sse-kms-key-id apply to uploads only')
    quiet = opts.get('--quiet') or opts.get('--only-show-errors')
    if upload:
        bucket, key = split_s3_url(destination)
        if source != '-' and not os.path.isfile(source):
            sys.stderr.write(f'The user-provided path {source} does not exist.\n')
            return EXIT_OTHER
        if key == '' or key.endswith('/'):
            key += os.path.basename(source)  # as the AWS CLI does for a "directory" destination
        extra = call_params(opts, {'--sse': 'ServerSideEncryption', '--sse-kms-key-id': 'SSEKMSKeyId'})
        local = sys.stdin.buffer if source == '-' else source
        shown = f's3://{bucket}/{key}'
    else:
        bucket, key = split_s3_url(source)
        if destination == '-':
            local = sys.stdout.buffer
        else:
            local = destination
            if destination.endswith(os.sep) or os.path.isdir(destination):
                local = os.path.join(destination, os.path.basename(key))
            os.makedirs(os.path.dirname(os.path.abspath(local)), exist_ok=True)
        shown = local if destination != '-' else '-'
    client = make_client('s3', g)
    manager = create_transfer_manager(client, TransferConfig())
    verb = 'upload' if upload else 'download'
    try:
        with manager:
            if upload:
                manager.upload(local, bucket, key, extra_args=extra).result()
            else:
                manager.download(bucket, key, local).result()
    except Exception as e:  # noqa: BLE001 - every failed transfer is reported the same way, like the AWS CLI
        import botocore.exceptions
        if isinstance(e, (botocore.exceptions.NoCredentialsError, botocore.exceptions.NoRegionError)):
            raise
        sys.stderr.write(f'{verb} failed: {source} to {shown} {e}\n')
        return EXIT_S3_TRANSFER_FAILED
    if not quiet and '-' not in (source, destination):
        sys.stdout.write(f'{verb}: {source} to {shown}\n')
    return 0


HANDLERS = {
    ('ssm', 'get-parameter'): ssm_get_parameter,
    ('ssm', 'put-parameter'): ssm_put_parameter,
    ('ssm', 'get-document'): ssm_get_document,
    ('autoscaling', 'complete-lifecycle-action'): autoscaling_complete_lifecycle_action,
    ('autoscaling', 'set-instance-health'): autoscaling_set_instance_health,
    ('ec2', 'attach-volume'): ec2_attach_volume,
    ('autoscaling', 'update-auto-scaling-group'): autoscaling_update_auto_scaling_group,
    ('cloudwatch', 'put-metric-data'): cloudwatch_put_metric_data,
    ('s3api', 'list-objects-v2'): s3api_list_objects_v2,
}


# ---- Output ---------------------------------------------------------------------------------------

def plain(data):
    """Drops the request metadata and turns timestamps into ISO 8601 strings, as AWS CLI v2 shows
    them; queries such as sort_by(Contents, &LastModified) then compare strings."""
    if isinstance(data, dict):
        return {k: plain(v) for k, v in data.items() if k != 'ResponseMetadata'}
    if isinstance(data, list):
        return [plain(v) for v in data]
    if isinstance(data, datetime.datetime):
        return data.isoformat()
    return data


def run_query(query, data):
    if query is None:
        return data
    import jmespath.exceptions
    try:
        return query.search(data)
    except jmespath.exceptions.JMESPathError as e:
        raise QueryError(str(e)) from e


def text_lines(data, label=None):
    """The AWS CLI's text output: a scalar alone; a list of scalars on one line, tab-separated;
    the scalar fields of an object tab-separated in key order, its nested fields on the following
    lines, each led by its upper-cased key."""
    if isinstance(data, dict):
        scalar_keys = sorted(k for k, v in data.items() if not isinstance(v, (dict, list)))
        lines = []
        if scalar_keys:
            row = [text_scalar(data[k]) for k in scalar_keys]
            lines.append('\t'.join(([label.upper()] if label else []) + row))
        for key in sorted(k for k in data if k not in scalar_keys):
            lines += text_lines(data[key], key)
        return lines
    if isinstance(data, list):
        scalars = [v for v in data if not isinstance(v, (dict, list))]
        lines = []
        if scalars:
            if label:
                lines += [f'{label.upper()}\t{text_scalar(v)}' for v in scalars]
            else:
                lines.append('\t'.join(text_scalar(v) for v in scalars))
        for item in data:
            if isinstance(item, (dict, list)):
                lines += text_lines(item, label)
        return lines
    return [text_scalar(data)]


def text_scalar(value):
    return str(value)  # None -> "None", True -> "True", as the AWS CLI prints them


def print_result(result, global_opts, query):
    output = global_opts.get('--output') or os.environ.get('AWS_DEFAULT_OUTPUT') or 'json'
    paginated = hasattr(result, 'build_full_result')
    if output == 'text' and paginated:
        # The AWS CLI prints text output page by page and applies --query to EACH page. So
        # `sort_by(Contents,&LastModified)[-1].Key` prints one key per page of 1000 objects here,
        # exactly as it does with the real AWS CLI. Use JSON output to query the whole listing.
        for page in result:
            page_data = {expr.expression: plain(expr.search(page)) for expr in result.result_keys}
            for line in text_lines(run_query(query, page_data)):
                sys.stdout.write(line + '\n')
        return
    data = plain(result.build_full_result() if paginated else result)
    data = run_query(query, data)
    if output == 'text':
        for line in text_lines(data):
            sys.stdout.write(line + '\n')
    elif data != {}:  # operations without a response body print nothing
        sys.stdout.write(json.dumps(data, indent=4, ensure_ascii=False, default=str) + '\n')


# ---- Main -----------------------------------------------------------------------------------------

def main(argv):
    try:
        global_opts, command, opts, words = parse_command_line(argv)
        query = None
        if '--query' in global_opts:
            import jmespath
            import jmespath.exceptions
            try:
                query = jmespath.compile(global_opts['--query'])
            except jmespath.exceptions.JMESPathError as e:
                raise UsageError(f'argument --query: Bad value for --query {global_opts["--query"]}: {e}') from e
        if command == ('s3', 'cp'):
            return s3_cp(global_opts, opts, words[0], words[1])
        read_param_files(opts)
        print_result(HANDLERS[command](global_opts, opts), global_opts, query)
        return 0
    except UsageError as e:
        sys.stderr.write(f'{usage_text()}\naws: error: {e}\n')
        return EXIT_USAGE
    except ConfigError as e:
        sys.stderr.write(f'\n{e}\n')
        return EXIT_CONFIG
    except QueryError as e:
        sys.stderr.write(f'\n{e}\n')
        return EXIT_OTHER
    except KeyboardInterrupt:
        return 130
    except Exception as e:  # noqa: BLE001 - classified below, like the AWS CLI's error handlers
        import botocore.exceptions as errors
        if isinstance(e, errors.ParamValidationError):
            sys.stderr.write(f'\n{e}\n')
            return EXIT_USAGE
        if isinstance(e, errors.NoCredentialsError):
            sys.stderr.write('\nUnable to locate credentials. You can configure credentials by running "aws configure".\n')
            return EXIT_CONFIG
        if isinstance(e, errors.NoRegionError):
            sys.stderr.write(f'\n{e}\n')
            return EXIT_CONFIG
        if isinstance(e, errors.ClientError):
            # "An error occurred (Code) when calling the Op operation: message": scripts grep it.
            sys.stderr.write(f'\n{e}\n')
            return EXIT_SERVICE
        sys.stderr.write(f'\n{e}\n')
        return EXIT_OTHER


if __name__ == '__main__':
    sys.exit(main(sys.argv[1:]))
