import type { ProblemList } from './problems';

// Pure: checks that each property of the user's input has the type the code after it relies on,
// so that a wrong type is reported with every other problem (property, value, expected type)
// instead of failing somewhere deeper with an error about the code.

/** A type a property may have, as the code checks it and as a message names it. */
export interface ExpectedType {
  /** How a message names the type, for example `a list of strings`. */
  readonly name: string;
  /** Whether the value has the type. */
  readonly check: (value: unknown) => boolean;
  /** A value of the type, for the fix. */
  readonly example: string;
}

const isString = (value: unknown): value is string => typeof value === 'string';

export function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

export const STRING = (example: string): ExpectedType => ({ name: 'a string', check: isString, example: JSON.stringify(example) });
export const NUMBER = (example: number): ExpectedType => ({ name: 'a number', check: (v) => typeof v === 'number', example: String(example) });
export const BOOLEAN: ExpectedType = { name: 'true or false', check: (v) => typeof v === 'boolean', example: 'true' };
export const STRING_LIST = (example: readonly string[]): ExpectedType => ({
  name: 'a list of strings',
  check: (v) => Array.isArray(v) && v.every(isString),
  example: `[${example.map((e) => `'${e}'`).join(', ')}]`,
});
export const OBJECT = (example: string): ExpectedType => ({ name: 'an object', check: isPlainObject, example });
export const LIST = (example: string): ExpectedType => ({ name: 'a list', check: Array.isArray, example });

/** What a value is, for messages: `a number`, `a list`, `null`. */
export function describeType(value: unknown): string {
  if (value === null) {
    return 'null';
  }
  if (Array.isArray(value)) {
    return 'a list';
  }
  switch (typeof value) {
    case 'string':
      return 'a string';
    case 'number':
      return 'a number';
    case 'boolean':
      return 'a boolean';
    case 'object':
      return 'an object';
    case 'function':
      return 'a function';
    default:
      return `a ${typeof value}`;
  }
}

/**
 * Reports `value` at `property` unless it is undefined or of the expected type. Returns whether it
 * may be used as that type (undefined counts: the default applies).
 */
export function checkType(problems: ProblemList, property: string, value: unknown, expected: ExpectedType): boolean {
  if (value === undefined || expected.check(value)) {
    return true;
  }
  problems.add(property, value, `is ${describeType(value)}, but must be ${expected.name}`, `give ${expected.name}, for example ${expected.example}`);
  return false;
}

/**
 * Checks each property `expected` names (those absent are left to their defaults) and returns a
 * copy of `props` without the ones of the wrong type, so that later checks see only the types they
 * were written for. A `props` that is not an object is reported at `property` and read as `{}`.
 */
export function checkPropTypes<T extends object>(
  problems: ProblemList,
  property: string,
  props: unknown,
  expected: { readonly [K in keyof T]-?: ExpectedType },
): Partial<T> {
  if (props === undefined) {
    return {};
  }
  if (!isPlainObject(props)) {
    problems.add(property || 'props', props, `is ${describeType(props)}, but must be an object of properties`, 'give an object, for example {}');
    return {};
  }
  const checked: Record<string, unknown> = { ...props };
  for (const key of Object.keys(expected) as Array<keyof T & string>) {
    if (!checkType(problems, property ? `${property}.${key}` : key, props[key], expected[key])) {
      delete checked[key];
    }
  }
  return checked as Partial<T>;
}
