/** The SCIM filter grammar (RFC 7644 §3.4.2.2) as data: what the parser produces. */

/** `[URI ":"] ATTRNAME ["." subAttr]`; names as written (SCIM names are case-insensitive). */
export interface AttrPath {
  uri?: string | undefined;
  attr: string;
  sub?: string | undefined;
}

export const COMPARE_OPS = ['eq', 'ne', 'co', 'sw', 'ew', 'gt', 'ge', 'lt', 'le'] as const;
export type CompareOp = (typeof COMPARE_OPS)[number];
export type CompValue = string | number | boolean | null;

export type Filter =
  | { kind: 'and' | 'or'; left: Filter; right: Filter }
  | { kind: 'not'; filter: Filter }
  | { kind: 'compare'; path: AttrPath; op: CompareOp; value: CompValue }
  | { kind: 'present'; path: AttrPath }
  /** `emails[type eq "work" and value co "@example.com"]`: the inner filter's paths are sub-attributes. */
  | { kind: 'valuePath'; path: AttrPath; filter: Filter };

/** A PATCH path: `attrPath`, or `attrPath "[" valFilter "]" ["." subAttr]`. */
export interface PatchPath {
  path: AttrPath;
  filter?: Filter | undefined;
  /** The sub-attribute after the brackets (`emails[type eq "work"].value`). */
  sub?: string | undefined;
}

export const pathText = (p: AttrPath): string =>
  `${p.uri ? `${p.uri}:` : ''}${p.attr}${p.sub ? `.${p.sub}` : ''}`;
