import type { PolicyDocument, PolicyStatement } from '../../lib/bootstrap/secrets-policies';

/**
 * A small evaluator of identity-policy Allow statements, enough to replay a controller's calls
 * against our policies: action and resource wildcards (`*`, `?`), and the condition operators our
 * policies use (StringEquals, StringLike, Null, ArnLike, ForAnyValue:StringEquals). An operator it does
 * not know is an error, never a silent match. Semantics from the IAM JSON policy reference
 * (docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_condition_operators.html):
 * a key missing from the request fails every operator except Null, and several values of one key
 * are OR-ed.
 */
export interface IamRequest {
  readonly action: string;
  readonly resource: string;
  /** Request context keys: `aws:RequestTag/<k>`, `aws:ResourceTag/<k>`, `ec2:CreateAction`, ... */
  readonly context?: Readonly<Record<string, string | readonly string[]>>;
}

function glob(pattern: string, value: string, caseInsensitive = false): boolean {
  const re = new RegExp(`^${pattern.split('').map((c) => (c === '*' ? '.*' : c === '?' ? '.' : c.replace(/[.+^${}()|[\]\\]/g, '\\$&'))).join('')}$`, caseInsensitive ? 'is' : 's');
  return re.test(value);
}

function conditionHolds(operator: string, key: string, expected: string | readonly string[], context: IamRequest['context']): boolean {
  const wanted = typeof expected === 'string' ? [expected] : expected;
  const present = context?.[key];
  const actual = present === undefined ? [] : typeof present === 'string' ? [present] : present;
  switch (operator) {
    case 'Null':
      return wanted[0] === 'true' ? present === undefined : present !== undefined;
    case 'StringEquals':
    case 'ForAnyValue:StringEquals':
      return actual.some((a) => wanted.includes(a));
    case 'StringLike':
    case 'ArnLike':
      return actual.some((a) => wanted.some((w) => glob(w, a)));
    default:
      throw new Error(`the evaluator does not know condition operator ${operator}`);
  }
}

export function statementAllows(statement: PolicyStatement, request: IamRequest): boolean {
  if (statement.Effect !== 'Allow') {
    return false;
  }
  // Actions are case-insensitive in IAM; resources are not.
  if (!statement.Action.some((a) => glob(a, request.action, true))) {
    return false;
  }
  if (!statement.Resource.some((r) => glob(r, request.resource))) {
    return false;
  }
  return Object.entries(statement.Condition ?? {}).every(([operator, keys]) =>
    Object.entries(keys).every(([key, expected]) => conditionHolds(operator, key, expected, request.context)),
  );
}

/** The Sids of the statements that allow a request (empty: denied). */
export function allowingStatements(policy: PolicyDocument, request: IamRequest): string[] {
  return policy.Statement.filter((s) => statementAllows(s, request)).map((s) => s.Sid);
}
