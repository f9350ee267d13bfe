import {
  CORE_GROUP,
  CORE_USER,
  ENTERPRISE_USER,
  LIST_RESPONSE,
  PROFILE_MULTI,
  PROFILE_NAME_PARTS,
  PROFILE_STRINGS,
  RESOURCE_TYPE,
  SCHEMA,
  SERVICE_PROVIDER_CONFIG,
} from '../../src/scim/schemas.ts';
import { MAX_RESULTS } from './query.ts';
import type { Json } from './user-resource.ts';

/** The discovery endpoints (RFC 7644 §4): what this service provider supports, and its schemas. */
export const BULK_MAX_OPERATIONS = 1000;

export function serviceProviderConfig(baseUrl: string, maxPayloadSize: number): Json {
  return {
    schemas: [SERVICE_PROVIDER_CONFIG],
    patch: { supported: true },
    bulk: { supported: true, maxOperations: BULK_MAX_OPERATIONS, maxPayloadSize },
    filter: { supported: true, maxResults: MAX_RESULTS },
    changePassword: { supported: false },
    sort: { supported: true },
    etag: { supported: true },
    authenticationSchemes: [
      {
        type: 'oauthbearertoken',
        name: 'Bearer token',
        description: 'A SCIM token created by an administrator (gatehouse scim tokens create)',
        primary: true,
      },
    ],
    meta: { resourceType: 'ServiceProviderConfig', location: `${baseUrl}/ServiceProviderConfig` },
  };
}

export function resourceTypes(baseUrl: string): Json[] {
  return [
    {
      schemas: [RESOURCE_TYPE],
      id: 'User',
      name: 'User',
      endpoint: '/Users',
      description: 'Directory users (source scim)',
      schema: CORE_USER,
      schemaExtensions: [{ schema: ENTERPRISE_USER, required: false }],
      meta: { resourceType: 'ResourceType', location: `${baseUrl}/ResourceTypes/User` },
    },
    {
      schemas: [RESOURCE_TYPE],
      id: 'Group',
      name: 'Group',
      endpoint: '/Groups',
      description: 'Directory groups (source scim)',
      schema: CORE_GROUP,
      meta: { resourceType: 'ResourceType', location: `${baseUrl}/ResourceTypes/Group` },
    },
  ];
}

interface AttrOptions {
  type?: string;
  multiValued?: boolean;
  required?: boolean;
  caseExact?: boolean;
  mutability?: string;
  returned?: string;
  uniqueness?: string;
  subAttributes?: Json[];
  referenceTypes?: string[];
}

const attr = (name: string, o: AttrOptions = {}): Json => ({
  name,
  type: o.type ?? 'string',
  multiValued: o.multiValued ?? false,
  description: name,
  required: o.required ?? false,
  caseExact: o.caseExact ?? false,
  mutability: o.mutability ?? 'readWrite',
  returned: o.returned ?? 'default',
  uniqueness: o.uniqueness ?? 'none',
  ...(o.subAttributes ? { subAttributes: o.subAttributes } : {}),
  ...(o.referenceTypes ? { referenceTypes: o.referenceTypes } : {}),
});
const multi = (name: string, subs: readonly string[], o: AttrOptions = {}) =>
  attr(name, {
    type: 'complex',
    multiValued: true,
    subAttributes: subs.map((s) => attr(s, s === 'primary' ? { type: 'boolean' } : {})),
    ...o,
  });

const userAttributes = (): Json[] => [
  attr('userName', { required: true, uniqueness: 'server' }),
  attr('name', {
    type: 'complex',
    subAttributes: ['givenName', 'familyName', ...PROFILE_NAME_PARTS].map((n) => attr(n)),
  }),
  attr('displayName'),
  ...PROFILE_STRINGS.map((n) =>
    attr(n, n === 'profileUrl' ? { type: 'reference', referenceTypes: ['external'] } : {}),
  ),
  attr('active', { type: 'boolean' }),
  attr('password', { mutability: 'writeOnly', returned: 'never' }),
  multi('emails', ['value', 'display', 'type', 'primary']),
  ...Object.entries(PROFILE_MULTI).map(([n, subs]) => multi(n, subs)),
  multi('groups', ['value', 'display', '$ref'], { mutability: 'readOnly', returned: 'request' }),
];

const schemaDocs = (baseUrl: string): Json[] =>
  [
    {
      id: CORE_USER,
      name: 'User',
      description: 'User Account',
      attributes: userAttributes(),
    },
    {
      id: ENTERPRISE_USER,
      name: 'EnterpriseUser',
      description: 'Enterprise User (kept as directory attributes, e.g. for session tags)',
      attributes: [
        ...['employeeNumber', 'costCenter', 'organization', 'division', 'department'].map((n) => attr(n)),
        attr('manager', {
          type: 'complex',
          subAttributes: [
            attr('value', { caseExact: true }),
            attr('$ref', { type: 'reference', referenceTypes: ['User'], mutability: 'readOnly' }),
          ],
        }),
      ],
    },
    {
      id: CORE_GROUP,
      name: 'Group',
      description: 'Group',
      attributes: [
        attr('displayName', { required: true, uniqueness: 'server' }),
        multi('members', ['value', 'display', 'type', '$ref'], { mutability: 'readWrite' }),
      ],
    },
  ].map((s) => ({
    schemas: [SCHEMA],
    ...s,
    meta: { resourceType: 'Schema', location: `${baseUrl}/Schemas/${s.id}` },
  }));

export const schemas = schemaDocs;

export const listOf = (resources: Json[]): Json => ({
  schemas: [LIST_RESPONSE],
  totalResults: resources.length,
  startIndex: 1,
  itemsPerPage: resources.length,
  Resources: resources,
});
