import { AwsError } from './errors.ts';

/** An awsQuery request: `Action`, `Version` and the operation's parameters, all strings. */
export interface QueryRequest {
  action: string;
  version: string | undefined;
  params: ReadonlyMap<string, string>;
}

const MAX_PARAMS = 200;

/**
 * Reads an awsQuery request from the URL query and the form body (the body wins, as the SDKs send
 * everything there). A parameter given twice is refused: AWS reads one value per name.
 */
export function parseQueryRequest(query: string, body: string | undefined): QueryRequest {
  const params = new Map<string, string>();
  for (const source of [query, body ?? '']) {
    const seen = new Set<string>();
    for (const [name, value] of new URLSearchParams(source)) {
      if (seen.has(name)) throw new AwsError('InvalidParameterValue', 400, `parameter ${name} given twice`);
      seen.add(name);
      params.set(name, value);
    }
  }
  if (params.size > MAX_PARAMS) throw new AwsError('InvalidParameterValue', 400, 'too many parameters');
  const action = params.get('Action');
  if (!action) throw new AwsError('MissingAction', 400, 'The request must contain the parameter Action.');
  const version = params.get('Version');
  params.delete('Action');
  params.delete('Version');
  return { action, version, params };
}

/** A required parameter, or AWS's MissingParameter error naming it. */
export function required(request: QueryRequest, name: string): string {
  const value = request.params.get(name);
  if (value === undefined || value === '')
    throw new AwsError('MissingParameter', 400, `The request must contain the parameter ${name}.`);
  return value;
}

/** An optional integer parameter within bounds (AWS's ValidationError when outside). */
export function optionalInt(
  request: QueryRequest,
  name: string,
  min: number,
  max: number,
): number | undefined {
  const text = request.params.get(name);
  if (text === undefined) return undefined;
  const value = Number(text);
  if (!/^\d+$/.test(text) || value < min || value > max)
    throw new AwsError(
      'ValidationError',
      400,
      `1 validation error detected: Value '${text}' at '${name[0]!.toLowerCase()}${name.slice(1)}' failed to satisfy constraint: Member must have value between ${min} and ${max}`,
    );
  return value;
}
