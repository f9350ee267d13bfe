import type { AttributeSource, NameIdFormat, SamlTemplate } from './saml-settings.ts';

/**
 * What each template adds to a SAML application: the NameID format and the attributes the service
 * expects by default. An application's own `attributes` override the template's of the same name.
 */
export interface TemplatePreset {
  nameIdFormat?: NameIdFormat;
  attributes: Record<string, AttributeSource>;
}

export const TEMPLATES: Record<SamlTemplate, TemplatePreset> = {
  generic: { attributes: {} },
  // AWS account federation: Role, RoleSessionName and SessionDuration are computed (aws-roles.ts).
  aws: { nameIdFormat: 'persistent', attributes: {} },
  // Salesforce: the NameID is the Salesforce user name (or Federation ID); JIT provisioning reads these.
  salesforce: {
    nameIdFormat: 'emailAddress',
    attributes: { 'User.Email': 'email', 'User.FirstName': 'givenName', 'User.LastName': 'familyName' },
  },
  // Slack: a persistent NameID plus the attributes its SAML settings page names.
  slack: {
    nameIdFormat: 'persistent',
    attributes: {
      'User.Email': 'email',
      'User.Username': 'userName',
      first_name: 'givenName',
      last_name: 'familyName',
    },
  },
  // Google Workspace: the primary email address as NameID, nothing else.
  google: { nameIdFormat: 'emailAddress', attributes: {} },
};

export const AWS_ATTRIBUTES = {
  role: 'https://aws.amazon.com/SAML/Attributes/Role',
  roleSessionName: 'https://aws.amazon.com/SAML/Attributes/RoleSessionName',
  sessionDuration: 'https://aws.amazon.com/SAML/Attributes/SessionDuration',
} as const;
