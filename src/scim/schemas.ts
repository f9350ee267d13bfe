/** SCIM schema URNs (RFC 7643) Gatehouse speaks. */
export const CORE_USER = 'urn:ietf:params:scim:schemas:core:2.0:User';
export const CORE_GROUP = 'urn:ietf:params:scim:schemas:core:2.0:Group';
export const ENTERPRISE_USER = 'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User';
export const LIST_RESPONSE = 'urn:ietf:params:scim:api:messages:2.0:ListResponse';
export const PATCH_OP = 'urn:ietf:params:scim:api:messages:2.0:PatchOp';
export const BULK_REQUEST = 'urn:ietf:params:scim:api:messages:2.0:BulkRequest';
export const BULK_RESPONSE = 'urn:ietf:params:scim:api:messages:2.0:BulkResponse';
export const ERROR = 'urn:ietf:params:scim:api:messages:2.0:Error';
export const SERVICE_PROVIDER_CONFIG = 'urn:ietf:params:scim:schemas:core:2.0:ServiceProviderConfig';
export const RESOURCE_TYPE = 'urn:ietf:params:scim:schemas:core:2.0:ResourceType';
export const SCHEMA = 'urn:ietf:params:scim:schemas:core:2.0:Schema';

/**
 * Enterprise extension attributes stored as directory user attributes (they become session tags,
 * `aws:PrincipalTag/department`, as in AWS IAM Identity Center). `manager` holds the manager's id.
 */
export const ENTERPRISE_ATTRIBUTES = [
  'employeeNumber',
  'costCenter',
  'organization',
  'division',
  'department',
  'manager',
] as const;
export type EnterpriseAttribute = (typeof ENTERPRISE_ATTRIBUTES)[number];

/** Single-valued core User attributes without a directory column (kept in scim_user_profiles). */
export const PROFILE_STRINGS = [
  'nickName',
  'profileUrl',
  'title',
  'userType',
  'preferredLanguage',
  'locale',
  'timezone',
] as const;
/** Parts of `name` without a directory column (givenName and familyName have one). */
export const PROFILE_NAME_PARTS = ['formatted', 'middleName', 'honorificPrefix', 'honorificSuffix'] as const;
/** Multi-valued core User attributes kept in scim_user_profiles, with their sub-attributes. */
export const PROFILE_MULTI: Record<string, readonly string[]> = {
  phoneNumbers: ['value', 'display', 'type', 'primary'],
  ims: ['value', 'display', 'type', 'primary'],
  photos: ['value', 'display', 'type', 'primary'],
  addresses: ['formatted', 'streetAddress', 'locality', 'region', 'postalCode', 'country', 'type', 'primary'],
  entitlements: ['value', 'display', 'type', 'primary'],
  roles: ['value', 'display', 'type', 'primary'],
  x509Certificates: ['value', 'display', 'type', 'primary'],
};
