import type { User } from '../directory/users.ts';
import type { Application } from './apps.ts';
import { primaryEmail } from './name-id.ts';
import type { AttributeSource, SamlSettings } from './saml-settings.ts';
import { AWS_ATTRIBUTES, TEMPLATES } from './templates.ts';

/** One of the user's AWS assignments: an account and the permission set (an IAM role there). */
export interface AwsRoleGrant {
  accountId: string;
  permissionSet: string;
}

/**
 * Where the AWS template learns a user's assignments. The access module (src/access) provides it;
 * until it is wired, callers pass one that returns none.
 */
export type AwsRolesOf = (userId: string) => Promise<AwsRoleGrant[]>;

export interface Subject {
  user: User;
  /** Names of every group the user is in (nested included). */
  groups: string[];
}

/** The SAML attributes of one sign-in: name → values (an attribute with no value is left out). */
export async function samlAttributes(
  app: Pick<Application, 'id'> & { saml: SamlSettings },
  subject: Subject,
  awsRolesOf: AwsRolesOf,
): Promise<Record<string, string[]>> {
  const settings = app.saml;
  const mapping = { ...TEMPLATES[settings.template].attributes, ...settings.attributes };
  const out: Record<string, string[]> = {};
  for (const [name, source] of Object.entries(mapping)) {
    const values = valuesOf(source, subject);
    if (values.length) out[name] = values;
  }
  if (settings.template === 'aws') {
    const aws = settings.aws ?? {
      samlProvider: 'Gatehouse',
      roleSessionName: 'userName',
      sessionDuration: 3600,
    };
    const grants = await awsRolesOf(subject.user.id);
    const roles = grants.map(
      (g) =>
        `arn:aws:iam::${g.accountId}:role/${g.permissionSet},arn:aws:iam::${g.accountId}:saml-provider/${aws.samlProvider}`,
    );
    if (roles.length) out[AWS_ATTRIBUTES.role] = [...new Set(roles)].sort();
    const sessionName =
      aws.roleSessionName === 'email'
        ? (primaryEmail(subject.user) ?? subject.user.userName)
        : subject.user.userName;
    out[AWS_ATTRIBUTES.roleSessionName] = [sessionName];
    out[AWS_ATTRIBUTES.sessionDuration] = [String(aws.sessionDuration)];
  }
  return out;
}

function valuesOf(source: AttributeSource, { user, groups }: Subject): string[] {
  if (typeof source === 'object') return Array.isArray(source.value) ? source.value : [source.value];
  const one = (value: string | null | undefined) => (value ? [value] : []);
  switch (source) {
    case 'id':
      return [user.id];
    case 'userName':
      return [user.userName];
    case 'email':
      return one(primaryEmail(user));
    case 'emails':
      return user.emails.map((e) => e.value);
    case 'displayName':
      return one(user.displayName);
    case 'givenName':
      return one(user.givenName);
    case 'familyName':
      return one(user.familyName);
    case 'groups':
      return groups;
    default:
      return one(user.attributes[source.slice('attributes.'.length)]);
  }
}

export const noAwsRoles: AwsRolesOf = async () => [];
