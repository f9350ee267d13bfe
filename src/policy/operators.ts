// The condition operators (IAM User Guide, "IAM JSON policy elements: Condition operators"):
// `[ForAllValues:|ForAnyValue:]<Operator>[IfExists]`.

import { quote } from './json.ts';

export type Category =
  | 'String'
  | 'StringIgnoreCase'
  | 'StringLike'
  | 'Numeric'
  | 'Date'
  | 'Bool'
  | 'Binary'
  | 'Ip'
  | 'Arn'
  | 'Null';

export type Comparison = 'eq' | 'lt' | 'le' | 'gt' | 'ge';

export interface BaseOperator {
  category: Category;
  cmp: Comparison;
  /** Negated operators match when no policy value matches (values NOR-ed). */
  negated: boolean;
}

const op = (category: Category, cmp: Comparison = 'eq', negated = false): BaseOperator => ({
  category,
  cmp,
  negated,
});

export const BASE_OPERATORS: Readonly<Record<string, BaseOperator>> = Object.freeze({
  StringEquals: op('String'),
  StringNotEquals: op('String', 'eq', true),
  StringEqualsIgnoreCase: op('StringIgnoreCase'),
  StringNotEqualsIgnoreCase: op('StringIgnoreCase', 'eq', true),
  StringLike: op('StringLike'),
  StringNotLike: op('StringLike', 'eq', true),
  NumericEquals: op('Numeric'),
  NumericNotEquals: op('Numeric', 'eq', true),
  NumericLessThan: op('Numeric', 'lt'),
  NumericLessThanEquals: op('Numeric', 'le'),
  NumericGreaterThan: op('Numeric', 'gt'),
  NumericGreaterThanEquals: op('Numeric', 'ge'),
  DateEquals: op('Date'),
  DateNotEquals: op('Date', 'eq', true),
  DateLessThan: op('Date', 'lt'),
  DateLessThanEquals: op('Date', 'le'),
  DateGreaterThan: op('Date', 'gt'),
  DateGreaterThanEquals: op('Date', 'ge'),
  Bool: op('Bool'),
  BinaryEquals: op('Binary'),
  IpAddress: op('Ip'),
  NotIpAddress: op('Ip', 'eq', true),
  ArnEquals: op('Arn'),
  ArnLike: op('Arn'),
  ArnNotEquals: op('Arn', 'eq', true),
  ArnNotLike: op('Arn', 'eq', true),
  Null: op('Null'),
});

/** Policy variables are substituted in string, ARN and Bool values only; elsewhere `${` is plain text. */
export function allowsVariables(c: Category): boolean {
  return c === 'String' || c === 'StringIgnoreCase' || c === 'StringLike' || c === 'Arn' || c === 'Bool';
}

export type SetOperator = 'ForAllValues' | 'ForAnyValue';

export interface ParsedOperator {
  name: string;
  base: BaseOperator;
  set: SetOperator | undefined;
  ifExists: boolean;
}

const BY_LOWER = new Map(Object.keys(BASE_OPERATORS).map((k) => [k.toLowerCase(), k]));

/** Parses an operator name, or explains why it is not one. Operator names are case-sensitive. */
export function parseOperator(name: string): ParsedOperator | { error: string } {
  let rest = name;
  let set: SetOperator | undefined;
  const colon = rest.indexOf(':');
  if (colon >= 0) {
    const qualifier = rest.slice(0, colon);
    if (qualifier !== 'ForAllValues' && qualifier !== 'ForAnyValue') {
      return { error: `unknown set operator ${quote(qualifier)}: expected ForAllValues or ForAnyValue` };
    }
    set = qualifier;
    rest = rest.slice(colon + 1);
  }
  let ifExists = false;
  let base = Object.hasOwn(BASE_OPERATORS, rest) ? BASE_OPERATORS[rest] : undefined;
  if (!base && rest.endsWith('IfExists')) {
    const stem = rest.slice(0, -'IfExists'.length);
    base = Object.hasOwn(BASE_OPERATORS, stem) ? BASE_OPERATORS[stem] : undefined;
    if (base?.category === 'Null')
      return { error: 'Null cannot take IfExists: it already tests whether the key exists' };
    ifExists = base !== undefined;
  }
  if (!base) {
    const guess = BY_LOWER.get(rest.replace(/ifexists$/i, '').toLowerCase());
    const hint = guess ? ` (operator names are case-sensitive: did you mean ${guess}?)` : '';
    return { error: `unknown condition operator ${quote(name)}${hint}` };
  }
  if (set && base.category === 'Null') {
    return { error: `${set} cannot qualify Null: Null tests whether the key exists` };
  }
  return { name, base, set, ifExists };
}
