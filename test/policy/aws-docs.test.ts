// Decisions taken from the examples of the AWS IAM User Guide. Each case cites its page in a
// comment; pages are under https://docs.aws.amazon.com/IAM/latest/UserGuide/. Where a page shows a resource-based policy, the same statement is used without its
// Principal (identity policies may not have one); where a page leaves the service prefix out of an
// action ("GetItem"), it is added.
import { describe, expect, test } from 'vitest';
import type { Decision, RequestContext } from '../../src/policy/index.ts';
import { decide, type SetSpec } from './helpers.ts';

interface Case {
  name: string;
  set: SetSpec;
  action: string;
  resource: string;
  context?: RequestContext;
  principal?: string;
  expect: Decision;
  /** Sid of the deciding statement, when the page names it. */
  sid?: string;
  missingAllow?: 'identity' | 'boundary' | 'session';
}

const allowAll = { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: '*', Resource: '*' }] };
const one = (statement: object) => ({ Version: '2012-10-17', Statement: [statement] });

// reference_policies_evaluation-logic.html: "Example identity-based and resource-based policy evaluation"
const carlos = {
  Version: '2012-10-17',
  Statement: [
    {
      Sid: 'AllowS3ListRead',
      Effect: 'Allow',
      Action: [
        's3:GetBucketLocation',
        's3:GetAccountPublicAccessBlock',
        's3:ListAccessPoints',
        's3:ListAllMyBuckets',
      ],
      Resource: 'arn:aws:s3:::*',
    },
    {
      Sid: 'AllowS3Self',
      Effect: 'Allow',
      Action: 's3:*',
      Resource: ['arn:aws:s3:::carlossalazar/*', 'arn:aws:s3:::carlossalazar'],
    },
    { Sid: 'DenyS3Logs', Effect: 'Deny', Action: 's3:*', Resource: 'arn:aws:s3:::*log*' },
  ],
};

// reference_policies_evaluation-logic.html: "The difference between explicit and implicit denies"
const getListNoReports = {
  Version: '2012-10-17',
  Statement: [
    { Sid: 'AllowGetList', Effect: 'Allow', Action: ['iam:Get*', 'iam:List*'], Resource: '*' },
    { Sid: 'DenyReports', Effect: 'Deny', Action: 'iam:*Report', Resource: '*' },
  ],
};

// reference_policies_elements_notaction.html: "NotAction with Deny"
const denyWithoutMfa = {
  Version: '2012-10-17',
  Statement: [
    {
      Sid: 'DenyAllUsersNotUsingMFA',
      Effect: 'Deny',
      NotAction: 'iam:*',
      Resource: '*',
      Condition: { BoolIfExists: { 'aws:MultiFactorAuthPresent': 'false' } },
    },
  ],
};

// reference_policies_elements_notresource.html
const hrPayroll = {
  Version: '2012-10-17',
  Statement: {
    Effect: 'Deny',
    Action: 's3:*',
    NotResource: ['arn:aws:s3:::HRBucket/Payroll', 'arn:aws:s3:::HRBucket/Payroll/*'],
  },
};

// reference_policies_elements_condition_operators.html: String condition operators (home directory)
const homeDirectory = {
  Version: '2012-10-17',
  Statement: [
    { Effect: 'Allow', Action: ['s3:ListAllMyBuckets', 's3:GetBucketLocation'], Resource: 'arn:aws:s3:::*' },
    {
      Effect: 'Allow',
      Action: 's3:ListBucket',
      Resource: 'arn:aws:s3:::BUCKET-NAME',
      Condition: { StringLike: { 's3:prefix': ['', 'home/', 'home/${aws:username}/'] } },
    },
    {
      Effect: 'Allow',
      Action: 's3:*',
      Resource: [
        'arn:aws:s3:::BUCKET-NAME/home/${aws:username}',
        'arn:aws:s3:::BUCKET-NAME/home/${aws:username}/*',
      ],
    },
  ],
};

// reference_policies_elements_condition_operators.html: ...IfExists condition operators
const runInstanceIfExists = {
  Version: '2012-10-17',
  Statement: [
    {
      Sid: 'RunInstance',
      Effect: 'Allow',
      Action: 'ec2:RunInstances',
      Resource: '*',
      Condition: { StringLikeIfExists: { 'ec2:InstanceType': ['t1.*', 't2.*', 'm3.*'] } },
    },
  ],
};

// id_credentials_temp_control-access_disable-perms.html and id_roles_use_revoke-sessions.html
const revokeOlderSessions = {
  Version: '2012-10-17',
  Statement: {
    Effect: 'Deny',
    Action: '*',
    Resource: '*',
    Condition: { DateLessThan: { 'aws:TokenIssueTime': '2014-05-07T23:47:00Z' } },
  },
};

// reference_policies_multi-value-conditions.html
const dynamoReadOnlySomeAttributes = one({
  Effect: 'Allow',
  Action: 'dynamodb:GetItem',
  Resource: 'arn:aws:dynamodb:REGION:ACCOUNT-ID-WITHOUT-HYPHENS:table/Thread',
  Condition: {
    'ForAllValues:StringLike': { 'dynamodb:requestedAttributes': ['PostDateTime', 'Message', 'Tags'] },
  },
});
const dynamoDenyPutSomeAttributes = one({
  Effect: 'Deny',
  Action: 'dynamodb:PutItem',
  Resource: 'arn:aws:dynamodb:REGION:ACCOUNT-ID-WITHOUT-HYPHENS:table/Thread',
  Condition: { 'ForAnyValue:StringLike': { 'dynamodb:requestedAttributes': ['ID', 'PostDateTime'] } },
});
const THREAD = 'arn:aws:dynamodb:REGION:ACCOUNT-ID-WITHOUT-HYPHENS:table/Thread';

// reference_policies_condition_examples-multi-valued-context-keys.html
const denyRestrictedTags = one({
  Sid: 'DenyRestrictedTags',
  Effect: 'Deny',
  Action: ['iam:Tag*', 'iam:UnTag*'],
  Resource: ['*'],
  Condition: { 'ForAllValues:StringNotLike': { 'aws:TagKeys': 'key1*' } },
});
const denyTagsWithNullCheck = one({
  Sid: 'DenyRestrictedTags',
  Effect: 'Deny',
  Action: ['iam:Tag*', 'iam:UnTag*'],
  Resource: ['*'],
  Condition: {
    Null: { 'aws:TagKeys': 'false' },
    'ForAllValues:StringLike': { 'aws:TagKeys': ['key1*', 'key2*', 'key3*'] },
  },
});

// reference_policies_condition-keys.html#condition-keys-calledvia
const kmsViaDynamo = one({
  Sid: 'KmsActionsIfCalledViaDynamodb',
  Effect: 'Allow',
  Action: ['kms:Encrypt', 'kms:Decrypt', 'kms:ReEncrypt*', 'kms:GenerateDataKey', 'kms:DescribeKey'],
  Resource: 'arn:aws:kms:region:111122223333:key/my-example-key',
  Condition: { 'ForAnyValue:StringEquals': { 'aws:CalledVia': ['dynamodb.amazonaws.com'] } },
});
const kmsViaChain = one({
  Sid: 'KmsActionsIfCalledViaChain',
  Effect: 'Allow',
  Action: ['kms:Encrypt', 'kms:Decrypt'],
  Resource: 'arn:aws:kms:region:111122223333:key/my-example-key',
  Condition: {
    StringEquals: {
      'aws:CalledViaFirst': 'cloudformation.amazonaws.com',
      'aws:CalledViaLast': 'dynamodb.amazonaws.com',
    },
  },
});
const KMS_KEY = 'arn:aws:kms:region:111122223333:key/my-example-key';

// reference_policies_variables.html
const usernameFolders = {
  Version: '2012-10-17',
  Statement: [
    {
      Action: ['s3:ListBucket'],
      Effect: 'Allow',
      Resource: ['arn:aws:s3:::mybucket'],
      Condition: { StringLike: { 's3:prefix': ['${aws:username}/*'] } },
    },
    {
      Action: ['s3:GetObject', 's3:PutObject'],
      Effect: 'Allow',
      Resource: ['arn:aws:s3:::mybucket/${aws:username}/*'],
    },
  ],
};
const ownQueues = {
  Version: '2012-10-17',
  Statement: [
    { Sid: 'ListForConsole', Effect: 'Allow', Action: 'sqs:ListQueues', Resource: '*' },
    {
      Sid: 'AllQueueActions',
      Effect: 'Allow',
      Action: 'sqs:*',
      Resource: 'arn:aws:sqs:us-east-2:*:${aws:username}-queue',
    },
  ],
};

// access_policies_boundaries.html
const shirleyBoundary = one({ Effect: 'Allow', Action: ['s3:*', 'cloudwatch:*', 'ec2:*'], Resource: '*' });
const createUser = {
  Version: '2012-10-17',
  Statement: { Effect: 'Allow', Action: 'iam:CreateUser', Resource: '*' },
};
const xCompanyBoundaries = {
  Version: '2012-10-17',
  Statement: [
    {
      Sid: 'ServiceBoundaries',
      Effect: 'Allow',
      Action: ['s3:*', 'cloudwatch:*', 'ec2:*', 'dynamodb:*'],
      Resource: '*',
    },
    {
      Sid: 'AllowIAMConsoleForCredentials',
      Effect: 'Allow',
      Action: ['iam:ListUsers', 'iam:GetAccountPasswordPolicy'],
      Resource: '*',
    },
    {
      Sid: 'AllowManageOwnPasswordAndAccessKeys',
      Effect: 'Allow',
      Action: [
        'iam:*AccessKey*',
        'iam:ChangePassword',
        'iam:GetUser',
        'iam:*ServiceSpecificCredential*',
        'iam:*SigningCertificate*',
      ],
      Resource: ['arn:aws:iam::*:user/${aws:username}'],
    },
    {
      Sid: 'DenyS3Logs',
      Effect: 'Deny',
      Action: 's3:*',
      Resource: ['arn:aws:s3:::logs', 'arn:aws:s3:::logs/*'],
    },
    {
      Sid: 'DenyEC2Production',
      Effect: 'Deny',
      Action: 'ec2:*',
      Resource: 'arn:aws:ec2:*:*:instance/i-1234567890abcdef0',
    },
  ],
};
const zhangBoundary = {
  Version: '2012-10-17',
  Statement: [
    {
      Sid: 'CreateOrChangeOnlyWithBoundary',
      Effect: 'Allow',
      Action: [
        'iam:CreateUser',
        'iam:DeleteUserPolicy',
        'iam:AttachUserPolicy',
        'iam:DetachUserPolicy',
        'iam:PutUserPermissionsBoundary',
      ],
      Resource: '*',
      Condition: {
        StringEquals: { 'iam:PermissionsBoundary': 'arn:aws:iam::111122223333:policy/XCompanyBoundaries' },
      },
    },
    {
      Sid: 'NoBoundaryUserDelete',
      Effect: 'Deny',
      Action: 'iam:DeleteUserPermissionsBoundary',
      Resource: '*',
    },
  ],
};
const zhangPermissions = one({ Sid: 'IAM', Effect: 'Allow', Action: 'iam:*', Resource: '*' });

const cases: Record<string, Case[]> = {
  'evaluation logic': [
    // reference_policies_evaluation-logic.html (Carlos and the carlossalazar-logs bucket)
    {
      name: 'an explicit deny overrides the allow for the logs bucket',
      set: { identity: [carlos] },
      action: 's3:PutObject',
      resource: 'arn:aws:s3:::carlossalazar-logs/file.txt',
      expect: 'ExplicitDeny',
      sid: 'DenyS3Logs',
    },
    // reference_policies_evaluation-logic.html (Carlos saves to his own bucket)
    {
      name: 'his own bucket is allowed',
      set: { identity: [carlos] },
      action: 's3:PutObject',
      resource: 'arn:aws:s3:::carlossalazar/file.txt',
      expect: 'Allow',
      sid: 'AllowS3Self',
    },
    // reference_policies_evaluation-logic.html (AllowS3ListRead lets Carlos list the buckets)
    {
      name: 'listing buckets is allowed by the first matching statement',
      set: { identity: [carlos] },
      action: 's3:ListAllMyBuckets',
      resource: 'arn:aws:s3:::carlossalazar',
      expect: 'Allow',
      sid: 'AllowS3ListRead',
    },
    // reference_policies_evaluation-logic.html ("By default, all requests are implicitly denied")
    {
      name: 'an action nothing mentions is implicitly denied',
      set: { identity: [carlos] },
      action: 'ec2:RunInstances',
      resource: '*',
      expect: 'ImplicitDeny',
      missingAllow: 'identity',
    },
    // reference_policies_evaluation-logic.html#AccessPolicyLanguage_Interplay
    {
      name: 'iam:Get* is allowed',
      set: { identity: [getListNoReports] },
      action: 'iam:GetUser',
      resource: 'arn:aws:iam::111122223333:user/alice',
      expect: 'Allow',
      sid: 'AllowGetList',
    },
    // reference_policies_evaluation-logic.html#AccessPolicyLanguage_Interplay
    {
      name: 'iam:CreatePolicy is implicitly denied',
      set: { identity: [getListNoReports] },
      action: 'iam:CreatePolicy',
      resource: '*',
      expect: 'ImplicitDeny',
    },
    // reference_policies_evaluation-logic.html#AccessPolicyLanguage_Interplay
    {
      name: 'a *Report action is explicitly denied even though iam:Get* allows it',
      set: { identity: [getListNoReports] },
      action: 'iam:GetOrganizationsAccessReport',
      resource: '*',
      expect: 'ExplicitDeny',
      sid: 'DenyReports',
    },
    // reference_policies_evaluation-logic.html#AccessPolicyLanguage_Interplay ("still denied")
    {
      name: 'another policy granting reports does not lift the explicit deny',
      set: { identity: [getListNoReports, allowAll] },
      action: 'iam:GenerateCredentialReport',
      resource: '*',
      expect: 'ExplicitDeny',
      sid: 'DenyReports',
    },
  ],
  'Action and Resource': [
    // reference_policies_elements_action.html ("iam:ListAccessKeys is the same as IAM:listaccesskeys")
    {
      name: 'action names are case-insensitive',
      set: { identity: [one({ Effect: 'Allow', Action: 'iam:ListAccessKeys', Resource: '*' })] },
      action: 'IAM:listaccesskeys',
      resource: '*',
      expect: 'Allow',
    },
    // reference_policies_elements_action.html ("iam:*AccessKey*")
    {
      name: 'a wildcard inside the action name',
      set: { identity: [one({ Effect: 'Allow', Action: 'iam:*AccessKey*', Resource: '*' })] },
      action: 'iam:UpdateAccessKey',
      resource: '*',
      expect: 'Allow',
    },
    // reference_policies_elements_action.html ("iam:*AccessKey*")
    {
      name: 'an action outside the wildcard',
      set: { identity: [one({ Effect: 'Allow', Action: 'iam:*AccessKey*', Resource: '*' })] },
      action: 'iam:CreateUser',
      resource: '*',
      expect: 'ImplicitDeny',
    },
    // reference_policies_elements_resource.html ("the IAM user name is case sensitive")
    {
      name: 'resource names are case-sensitive',
      set: {
        identity: [one({ Effect: 'Allow', Action: 'iam:*', Resource: 'arn:aws:iam::111122223333:user/Bob' })],
      },
      action: 'iam:GetUser',
      resource: 'arn:aws:iam::111122223333:user/bob',
      expect: 'ImplicitDeny',
    },
    // reference_policies_elements_resource.html (users whose path is /accounting)
    {
      name: '* in the resource part crosses /',
      set: {
        identity: [
          one({ Effect: 'Allow', Action: 'iam:*', Resource: 'arn:aws:iam::111122223333:user/accounting/*' }),
        ],
      },
      action: 'iam:GetUser',
      resource: 'arn:aws:iam::111122223333:user/accounting/payables/alice',
      expect: 'Allow',
    },
    // reference_policies_elements_resource.html (amzn-s3-demo-bucket/*/test/*)
    {
      name: 'several * expand across /',
      set: {
        identity: [
          one({ Effect: 'Allow', Action: 's3:*', Resource: 'arn:aws:s3:::amzn-s3-demo-bucket/*/test/*' }),
        ],
      },
      action: 's3:GetObject',
      resource: 'arn:aws:s3:::amzn-s3-demo-bucket/1/2/test/3/object.jpg',
      expect: 'Allow',
    },
    // reference_policies_elements_resource.html ("The ARN would not match ... 1-test/object.jpg")
    {
      name: 'a / the pattern requires must be present',
      set: {
        identity: [
          one({ Effect: 'Allow', Action: 's3:*', Resource: 'arn:aws:s3:::amzn-s3-demo-bucket/*/test/*' }),
        ],
      },
      action: 's3:GetObject',
      resource: 'arn:aws:s3:::amzn-s3-demo-bucket/1-test/object.jpg',
      expect: 'ImplicitDeny',
    },
    // reference_policies_elements_resource.html (example?bucket)
    {
      name: '? matches one character',
      set: {
        identity: [one({ Effect: 'Allow', Action: 's3:*', Resource: 'arn:aws:s3:::example?bucket/*' })],
      },
      action: 's3:GetObject',
      resource: 'arn:aws:s3:::example2bucket/key',
      expect: 'Allow',
    },
    // access_policies_boundaries.html (DenyEC2Production: arn:aws:ec2:*:*:instance/…)
    {
      name: '* for region and account',
      set: { identity: [one({ Effect: 'Allow', Action: 'ec2:*', Resource: 'arn:aws:ec2:*:*:instance/*' })] },
      action: 'ec2:StopInstances',
      resource: 'arn:aws:ec2:us-east-1:111122223333:instance/i-1234567890abcdef0',
      expect: 'Allow',
    },
  ],
  'NotAction and NotResource': [
    // reference_policies_elements_notaction.html ("every action in every AWS service except for IAM")
    {
      name: 'Allow with NotAction iam:* allows other services',
      set: { identity: [one({ Effect: 'Allow', NotAction: 'iam:*', Resource: '*' })] },
      action: 's3:GetObject',
      resource: 'arn:aws:s3:::bucket/key',
      expect: 'Allow',
    },
    // reference_policies_elements_notaction.html
    {
      name: 'Allow with NotAction iam:* does not allow IAM',
      set: { identity: [one({ Effect: 'Allow', NotAction: 'iam:*', Resource: '*' })] },
      action: 'iam:CreateUser',
      resource: '*',
      expect: 'ImplicitDeny',
    },
    // reference_policies_elements_notaction.html ("except for deleting a bucket")
    {
      name: 'NotAction s3:DeleteBucket with S3 resources does not allow DeleteBucket',
      set: { identity: [one({ Effect: 'Allow', NotAction: 's3:DeleteBucket', Resource: 'arn:aws:s3:::*' })] },
      action: 's3:DeleteBucket',
      resource: 'arn:aws:s3:::bucket',
      expect: 'ImplicitDeny',
    },
    // reference_policies_elements_notaction.html
    {
      name: 'NotAction s3:DeleteBucket allows other actions on S3 resources',
      set: { identity: [one({ Effect: 'Allow', NotAction: 's3:DeleteBucket', Resource: 'arn:aws:s3:::*' })] },
      action: 's3:GetObject',
      resource: 'arn:aws:s3:::bucket/key',
      expect: 'Allow',
    },
    // reference_policies_elements_notaction.html ("other service actions are not applicable to the S3 resources")
    {
      name: 'NotAction scoped by Resource does not reach other services',
      set: { identity: [one({ Effect: 'Allow', NotAction: 's3:DeleteBucket', Resource: 'arn:aws:s3:::*' })] },
      action: 'ec2:RunInstances',
      resource: 'arn:aws:ec2:us-east-1:111122223333:instance/*',
      expect: 'ImplicitDeny',
    },
    // reference_policies_elements_notaction.html (DenyAllUsersNotUsingMFA)
    {
      name: 'Deny NotAction iam:* without MFA denies S3',
      set: { identity: [denyWithoutMfa, allowAll] },
      action: 's3:ListBucket',
      resource: 'arn:aws:s3:::bucket',
      expect: 'ExplicitDeny',
      sid: 'DenyAllUsersNotUsingMFA',
    },
    // reference_policies_elements_notaction.html ("If the user is signed in with MFA ... no effect")
    {
      name: 'Deny NotAction iam:* has no effect with MFA',
      set: { identity: [denyWithoutMfa, allowAll] },
      action: 's3:ListBucket',
      resource: 'arn:aws:s3:::bucket',
      context: { 'aws:MultiFactorAuthPresent': 'true' },
      expect: 'Allow',
    },
    // reference_policies_elements_notaction.html ("explicitly deny all other actions except IAM actions")
    {
      name: 'Deny NotAction iam:* leaves IAM actions alone',
      set: { identity: [denyWithoutMfa, allowAll] },
      action: 'iam:ChangePassword',
      resource: '*',
      expect: 'Allow',
    },
    // reference_policies_elements_notresource.html (HRPayroll)
    {
      name: 'NotResource: the listed folder stays reachable',
      set: { identity: [hrPayroll, allowAll] },
      action: 's3:GetObject',
      resource: 'arn:aws:s3:::HRBucket/Payroll/2024.csv',
      expect: 'Allow',
    },
    // reference_policies_elements_notresource.html
    {
      name: 'NotResource: every other S3 resource is denied',
      set: { identity: [hrPayroll, allowAll] },
      action: 's3:GetObject',
      resource: 'arn:aws:s3:::HRBucket/Benefits/plan.pdf',
      expect: 'ExplicitDeny',
    },
  ],
  'condition operators': [
    // reference_policies_elements_condition_operators.html#Conditions_String (job-category tag)
    {
      name: 'StringEquals on a principal tag',
      set: {
        identity: [
          one({
            Effect: 'Allow',
            Action: 'iam:*AccessKey*',
            Resource: 'arn:aws:iam::account-id:user/*',
            Condition: { StringEquals: { 'aws:PrincipalTag/job-category': 'iamuser-admin' } },
          }),
        ],
      },
      action: 'iam:CreateAccessKey',
      resource: 'arn:aws:iam::account-id:user/bob',
      context: { 'aws:PrincipalTag/job-category': 'iamuser-admin' },
      expect: 'Allow',
    },
    // reference_policies_elements_condition_operators.html#Conditions_String ("If a user without the tag...")
    {
      name: 'StringEquals with the key absent',
      set: {
        identity: [
          one({
            Effect: 'Allow',
            Action: 'iam:*AccessKey*',
            Resource: 'arn:aws:iam::account-id:user/*',
            Condition: { StringEquals: { 'aws:PrincipalTag/job-category': 'iamuser-admin' } },
          }),
        ],
      },
      action: 'iam:CreateAccessKey',
      resource: 'arn:aws:iam::account-id:user/bob',
      expect: 'ImplicitDeny',
    },
    // reference_policies_elements_condition.html ("Condition key names are not case-sensitive"; tag key names too)
    {
      name: 'condition key names are case-insensitive',
      set: {
        identity: [
          one({
            Effect: 'Allow',
            Action: 'iam:*',
            Resource: '*',
            Condition: { StringEquals: { 'aws:PrincipalTag/job-category': 'iamuser-admin' } },
          }),
        ],
      },
      action: 'iam:GetUser',
      resource: '*',
      context: { 'AWS:principaltag/JOB-CATEGORY': 'iamuser-admin' },
      expect: 'Allow',
    },
    // reference_policies_elements_condition.html ("Users named JohnDoe are denied access")
    {
      name: 'StringEquals values are case-sensitive',
      set: {
        identity: [
          one({
            Effect: 'Allow',
            Action: 's3:*',
            Resource: '*',
            Condition: { StringEquals: { 'aws:username': 'johndoe' } },
          }),
        ],
      },
      action: 's3:GetObject',
      resource: '*',
      context: { 'aws:username': 'JohnDoe' },
      expect: 'ImplicitDeny',
    },
    // reference_policies_elements_condition.html (StringEqualsIgnoreCase matches johndoe or JohnDoe)
    {
      name: 'StringEqualsIgnoreCase',
      set: {
        identity: [
          one({
            Effect: 'Allow',
            Action: 's3:*',
            Resource: '*',
            Condition: { StringEqualsIgnoreCase: { 'aws:username': 'johndoe' } },
          }),
        ],
      },
      action: 's3:GetObject',
      resource: '*',
      context: { 'aws:username': 'JohnDoe' },
      expect: 'Allow',
    },
    // reference_policies_elements_condition_operators.html#Conditions_String (home/${aws:username}/)
    {
      name: 'StringLike with a policy variable',
      set: { identity: [homeDirectory] },
      action: 's3:ListBucket',
      resource: 'arn:aws:s3:::BUCKET-NAME',
      context: { 'aws:username': 'david', 's3:prefix': 'home/david/' },
      expect: 'Allow',
    },
    // reference_policies_elements_condition_operators.html#Conditions_String
    {
      name: "StringLike with another user's folder",
      set: { identity: [homeDirectory] },
      action: 's3:ListBucket',
      resource: 'arn:aws:s3:::BUCKET-NAME',
      context: { 'aws:username': 'david', 's3:prefix': 'home/carlos/' },
      expect: 'ImplicitDeny',
    },
    // reference_policies_elements_condition_operators.html#Conditions_String (the "" prefix: bucket root)
    {
      name: 'StringLike with the empty prefix',
      set: { identity: [homeDirectory] },
      action: 's3:ListBucket',
      resource: 'arn:aws:s3:::BUCKET-NAME',
      context: { 'aws:username': 'david', 's3:prefix': '' },
      expect: 'Allow',
    },
    // reference_policies_elements_condition_operators.html#Conditions_String (home directory objects)
    {
      name: 'a policy variable in Resource',
      set: { identity: [homeDirectory] },
      action: 's3:PutObject',
      resource: 'arn:aws:s3:::BUCKET-NAME/home/david/notes.txt',
      context: { 'aws:username': 'david' },
      expect: 'Allow',
    },
    // reference_policies_elements_condition_operators.html#Conditions_Numeric (up to 10 objects)
    {
      name: 'NumericLessThanEquals at the limit',
      set: {
        identity: [
          one({
            Effect: 'Allow',
            Action: 's3:ListBucket',
            Resource: 'arn:aws:s3:::example_bucket',
            Condition: { NumericLessThanEquals: { 's3:max-keys': '10' } },
          }),
        ],
      },
      action: 's3:ListBucket',
      resource: 'arn:aws:s3:::example_bucket',
      context: { 's3:max-keys': '10' },
      expect: 'Allow',
    },
    // reference_policies_elements_condition_operators.html#Conditions_Numeric
    {
      name: 'NumericLessThanEquals over the limit',
      set: {
        identity: [
          one({
            Effect: 'Allow',
            Action: 's3:ListBucket',
            Resource: 'arn:aws:s3:::example_bucket',
            Condition: { NumericLessThanEquals: { 's3:max-keys': '10' } },
          }),
        ],
      },
      action: 's3:ListBucket',
      resource: 'arn:aws:s3:::example_bucket',
      context: { 's3:max-keys': '11' },
      expect: 'ImplicitDeny',
    },
    // reference_policies_elements_condition_operators.html#Conditions_Date (credentials issued in 2020)
    {
      name: 'DateGreaterThan on aws:TokenIssueTime',
      set: {
        identity: [
          one({
            Effect: 'Allow',
            Action: 'iam:*AccessKey*',
            Resource: 'arn:aws:iam::account-id:user/*',
            Condition: { DateGreaterThan: { 'aws:TokenIssueTime': '2020-01-01T00:00:01Z' } },
          }),
        ],
      },
      action: 'iam:ListAccessKeys',
      resource: 'arn:aws:iam::account-id:user/alice',
      context: { 'aws:TokenIssueTime': '2020-06-01T12:00:00Z' },
      expect: 'Allow',
    },
    // reference_policies_elements_condition_operators.html#Conditions_Date ("if an IAM user attempts ... denied")
    {
      name: 'DateGreaterThan with access keys (no aws:TokenIssueTime)',
      set: {
        identity: [
          one({
            Effect: 'Allow',
            Action: 'iam:*AccessKey*',
            Resource: 'arn:aws:iam::account-id:user/*',
            Condition: { DateGreaterThan: { 'aws:TokenIssueTime': '2020-01-01T00:00:01Z' } },
          }),
        ],
      },
      action: 'iam:ListAccessKeys',
      resource: 'arn:aws:iam::account-id:user/alice',
      expect: 'ImplicitDeny',
    },
    // reference_policies_elements_condition_operators.html#Conditions_Boolean (deny without SSL)
    {
      name: 'Bool aws:SecureTransport false denies',
      set: {
        identity: [
          one({
            Sid: 'BooleanExample',
            Action: 's3:*',
            Effect: 'Deny',
            Resource: ['arn:aws:s3:::DOC-EXAMPLE-BUCKET', 'arn:aws:s3:::DOC-EXAMPLE-BUCKET/*'],
            Condition: { Bool: { 'aws:SecureTransport': 'false' } },
          }),
          allowAll,
        ],
      },
      action: 's3:GetObject',
      resource: 'arn:aws:s3:::DOC-EXAMPLE-BUCKET/key',
      context: { 'aws:SecureTransport': 'false' },
      expect: 'ExplicitDeny',
      sid: 'BooleanExample',
    },
    // reference_policies_elements_condition_operators.html#Conditions_Boolean
    {
      name: 'Bool aws:SecureTransport true passes',
      set: {
        identity: [
          one({
            Sid: 'BooleanExample',
            Action: 's3:*',
            Effect: 'Deny',
            Resource: ['arn:aws:s3:::DOC-EXAMPLE-BUCKET', 'arn:aws:s3:::DOC-EXAMPLE-BUCKET/*'],
            Condition: { Bool: { 'aws:SecureTransport': 'false' } },
          }),
          allowAll,
        ],
      },
      action: 's3:GetObject',
      resource: 'arn:aws:s3:::DOC-EXAMPLE-BUCKET/key',
      context: { 'aws:SecureTransport': 'true' },
      expect: 'Allow',
    },
    // reference_policies_elements_condition_operators.html#Conditions_BinaryEquals
    {
      name: 'BinaryEquals compares bytes of base64 values',
      set: {
        identity: [
          one({
            Effect: 'Allow',
            Action: 'svc:Op',
            Resource: '*',
            Condition: { BinaryEquals: { 'svc:key': 'QmluYXJ5VmFsdWVJbkJhc2U2NA==' } },
          }),
        ],
      },
      action: 'svc:Op',
      resource: '*',
      context: { 'svc:key': 'QmluYXJ5VmFsdWVJbkJhc2U2NA==' },
      expect: 'Allow',
    },
    // reference_policies_elements_condition_operators.html#Conditions_IPAddress (203.0.113.0/24)
    {
      name: 'IpAddress inside the range',
      set: {
        identity: [
          one({
            Effect: 'Allow',
            Action: 'iam:*AccessKey*',
            Resource: 'arn:aws:iam::account-id:user/*',
            Condition: { IpAddress: { 'aws:SourceIp': '203.0.113.0/24' } },
          }),
        ],
      },
      action: 'iam:ListAccessKeys',
      resource: 'arn:aws:iam::account-id:user/alice',
      context: { 'aws:SourceIp': '203.0.113.45' },
      expect: 'Allow',
    },
    // reference_policies_elements_condition_operators.html#Conditions_IPAddress
    {
      name: 'IpAddress outside the range',
      set: {
        identity: [
          one({
            Effect: 'Allow',
            Action: 'iam:*AccessKey*',
            Resource: 'arn:aws:iam::account-id:user/*',
            Condition: { IpAddress: { 'aws:SourceIp': '203.0.113.0/24' } },
          }),
        ],
      },
      action: 'iam:ListAccessKeys',
      resource: 'arn:aws:iam::account-id:user/alice',
      context: { 'aws:SourceIp': '198.51.100.7' },
      expect: 'ImplicitDeny',
    },
    // reference_policies_elements_condition_operators.html#Conditions_IPAddress (mixing IPv4 and IPv6)
    {
      name: 'IpAddress with an IPv6 range',
      set: {
        identity: [
          one({
            Effect: 'Allow',
            Action: 'someservice:*',
            Resource: '*',
            Condition: { IpAddress: { 'aws:SourceIp': ['203.0.113.0/24', '2001:DB8:1234:5678::/64'] } },
          }),
        ],
      },
      action: 'someservice:Do',
      resource: '*',
      context: { 'aws:SourceIp': '2001:db8:1234:5678:abcd::1' },
      expect: 'Allow',
    },
    // reference_policies_elements_condition_operators.html#Conditions_IPAddress
    {
      name: 'IpAddress with an IPv6 address outside the /64',
      set: {
        identity: [
          one({
            Effect: 'Allow',
            Action: 'someservice:*',
            Resource: '*',
            Condition: { IpAddress: { 'aws:SourceIp': ['203.0.113.0/24', '2001:DB8:1234:5678::/64'] } },
          }),
        ],
      },
      action: 'someservice:Do',
      resource: '*',
      context: { 'aws:SourceIp': '2001:db8:1234:5679::1' },
      expect: 'ImplicitDeny',
    },
    // reference_policies_elements_condition_operators.html#Conditions_IPAddress (NotIpAddress: all except the range)
    {
      name: 'NotIpAddress denies requests from elsewhere',
      set: {
        identity: [
          one({
            Effect: 'Deny',
            Action: '*',
            Resource: '*',
            Condition: { NotIpAddress: { 'aws:SourceIp': ['192.0.2.0/24', '203.0.113.0/24'] } },
          }),
          allowAll,
        ],
      },
      action: 'ec2:RunInstances',
      resource: '*',
      context: { 'aws:SourceIp': '198.51.100.1' },
      expect: 'ExplicitDeny',
    },
    // reference_policies_elements_condition_operators.html#Conditions_IPAddress (NotIpAddress)
    {
      name: 'NotIpAddress leaves the listed range alone',
      set: {
        identity: [
          one({
            Effect: 'Deny',
            Action: '*',
            Resource: '*',
            Condition: { NotIpAddress: { 'aws:SourceIp': ['192.0.2.0/24', '203.0.113.0/24'] } },
          }),
          allowAll,
        ],
      },
      action: 'ec2:RunInstances',
      resource: '*',
      context: { 'aws:SourceIp': '203.0.113.9' },
      expect: 'Allow',
    },
    // reference_policies_elements_condition_operators.html#Conditions_ARN (SNS topic as aws:SourceArn)
    {
      name: 'ArnEquals on aws:SourceArn',
      set: {
        identity: [
          one({
            Effect: 'Allow',
            Action: 'SQS:SendMessage',
            Resource: 'arn:aws:sqs:REGION:123456789012:QUEUE-ID',
            Condition: { ArnEquals: { 'aws:SourceArn': 'arn:aws:sns:REGION:123456789012:TOPIC-ID' } },
          }),
        ],
      },
      action: 'sqs:SendMessage',
      resource: 'arn:aws:sqs:REGION:123456789012:QUEUE-ID',
      context: { 'aws:SourceArn': 'arn:aws:sns:REGION:123456789012:TOPIC-ID' },
      expect: 'Allow',
    },
    // reference_policies_elements_condition_operators.html#Conditions_ARN ("With a StringLike condition, the match succeeds")
    {
      name: 'StringLike lets * cross colons',
      set: {
        identity: [
          one({
            Effect: 'Allow',
            Action: 'someservice:*',
            Resource: '*',
            Condition: { StringLike: { 'aws:SourceArn': 'arn:aws:someservice:*:111122223333:finance/*' } },
          }),
        ],
      },
      action: 'someservice:Read',
      resource: '*',
      context: {
        'aws:SourceArn':
          'arn:aws:someservice:us-east-2:999999999999:store/abc:111122223333:finance/document.txt',
      },
      expect: 'Allow',
    },
    // reference_policies_elements_condition_operators.html#Conditions_ARN ("With an ArnLike condition ... the match fails")
    {
      name: 'ArnLike checks each of the six components separately',
      set: {
        identity: [
          one({
            Effect: 'Allow',
            Action: 'someservice:*',
            Resource: '*',
            Condition: { ArnLike: { 'aws:SourceArn': 'arn:aws:someservice:*:111122223333:finance/*' } },
          }),
        ],
      },
      action: 'someservice:Read',
      resource: '*',
      context: {
        'aws:SourceArn':
          'arn:aws:someservice:us-east-2:999999999999:store/abc:111122223333:finance/document.txt',
      },
      expect: 'ImplicitDeny',
    },
    // reference_policies_elements_condition_operators.html#Conditions_IfExists (other resources lack ec2:InstanceType)
    {
      name: 'StringLikeIfExists with the key absent',
      set: { identity: [runInstanceIfExists] },
      action: 'ec2:RunInstances',
      resource: 'arn:aws:ec2:us-east-1::image/ami-12345678',
      expect: 'Allow',
    },
    // reference_policies_elements_condition_operators.html#Conditions_IfExists
    {
      name: 'StringLikeIfExists with an allowed instance type',
      set: { identity: [runInstanceIfExists] },
      action: 'ec2:RunInstances',
      resource: 'arn:aws:ec2:us-east-1:111122223333:instance/*',
      context: { 'ec2:InstanceType': 't2.micro' },
      expect: 'Allow',
    },
    // reference_policies_elements_condition_operators.html#Conditions_IfExists
    {
      name: 'StringLikeIfExists with another instance type',
      set: { identity: [runInstanceIfExists] },
      action: 'ec2:RunInstances',
      resource: 'arn:aws:ec2:us-east-1:111122223333:instance/*',
      context: { 'ec2:InstanceType': 'm5.large' },
      expect: 'ImplicitDeny',
    },
    // reference_policies_elements_condition_operators.html#Conditions_IfExists (THISPOLICYDOESNOTWORK)
    {
      name: 'StringLike without IfExists fails on resources without the key',
      set: {
        identity: [
          one({
            Sid: 'THISPOLICYDOESNOTWORK',
            Effect: 'Allow',
            Action: 'ec2:RunInstances',
            Resource: '*',
            Condition: { StringLike: { 'ec2:InstanceType': ['t1.*', 't2.*', 'm3.*'] } },
          }),
        ],
      },
      action: 'ec2:RunInstances',
      resource: 'arn:aws:ec2:us-east-1::image/ami-12345678',
      expect: 'ImplicitDeny',
    },
    // reference_policies_elements_condition_operators.html#Conditions_Null (must not use temporary credentials)
    {
      name: 'Null true: long-term credentials',
      set: {
        identity: [
          one({
            Action: 'ec2:*',
            Effect: 'Allow',
            Resource: '*',
            Condition: { Null: { 'aws:TokenIssueTime': 'true' } },
          }),
        ],
      },
      action: 'ec2:DescribeInstances',
      resource: '*',
      expect: 'Allow',
    },
    // reference_policies_elements_condition_operators.html#Conditions_Null
    {
      name: 'Null true: temporary credentials',
      set: {
        identity: [
          one({
            Action: 'ec2:*',
            Effect: 'Allow',
            Resource: '*',
            Condition: { Null: { 'aws:TokenIssueTime': 'true' } },
          }),
        ],
      },
      action: 'ec2:DescribeInstances',
      resource: '*',
      context: { 'aws:TokenIssueTime': '2024-01-01T00:00:00Z' },
      expect: 'ImplicitDeny',
    },
    // reference_policies_condition-keys.html (IpAddressIfExists + StringEqualsIfExists: "If either or both keys are not included ... true")
    {
      name: 'two IfExists conditions with both keys absent',
      set: {
        identity: [
          one({
            Effect: 'Allow',
            Action: 's3:*',
            Resource: '*',
            Condition: {
              IpAddressIfExists: { 'aws:SourceIp': ['203.0.113.0/24'] },
              StringEqualsIfExists: { 'aws:SourceVpc': ['vpc-111bbb22'] },
            },
          }),
        ],
      },
      action: 's3:GetObject',
      resource: '*',
      expect: 'Allow',
    },
    // reference_policies_condition-keys.html (…IfExists: "The values are only checked if the specified key is included")
    {
      name: 'two IfExists conditions with one key present and not matching',
      set: {
        identity: [
          one({
            Effect: 'Allow',
            Action: 's3:*',
            Resource: '*',
            Condition: {
              IpAddressIfExists: { 'aws:SourceIp': ['203.0.113.0/24'] },
              StringEqualsIfExists: { 'aws:SourceVpc': ['vpc-111bbb22'] },
            },
          }),
        ],
      },
      action: 's3:GetObject',
      resource: '*',
      context: { 'aws:SourceVpc': 'vpc-999' },
      expect: 'ImplicitDeny',
    },
  ],
  'MFA with BoolIfExists': [
    // reference_policies_condition-keys.html#condition-keys-multifactorauthpresent (Recommended Combination)
    {
      name: 'Deny BoolIfExists false: long-term credentials are denied',
      set: {
        identity: [
          one({
            Effect: 'Deny',
            Action: '*',
            Resource: '*',
            Condition: { BoolIfExists: { 'aws:MultiFactorAuthPresent': 'false' } },
          }),
          allowAll,
        ],
      },
      action: 'ec2:StopInstances',
      resource: '*',
      expect: 'ExplicitDeny',
    },
    // reference_policies_condition-keys.html#condition-keys-multifactorauthpresent
    {
      name: 'Deny BoolIfExists false: temporary credentials without MFA are denied',
      set: {
        identity: [
          one({
            Effect: 'Deny',
            Action: '*',
            Resource: '*',
            Condition: { BoolIfExists: { 'aws:MultiFactorAuthPresent': 'false' } },
          }),
          allowAll,
        ],
      },
      action: 'ec2:StopInstances',
      resource: '*',
      context: { 'aws:MultiFactorAuthPresent': 'false' },
      expect: 'ExplicitDeny',
    },
    // reference_policies_condition-keys.html#condition-keys-multifactorauthpresent
    {
      name: 'Deny BoolIfExists false: MFA sessions pass',
      set: {
        identity: [
          one({
            Effect: 'Deny',
            Action: '*',
            Resource: '*',
            Condition: { BoolIfExists: { 'aws:MultiFactorAuthPresent': 'false' } },
          }),
          allowAll,
        ],
      },
      action: 'ec2:StopInstances',
      resource: '*',
      context: { 'aws:MultiFactorAuthPresent': 'true' },
      expect: 'Allow',
    },
    // reference_policies_condition-keys.html#condition-keys-multifactorauthpresent (Alternative Combinations)
    {
      name: 'Allow BoolIfExists true: long-term credentials are allowed',
      set: {
        identity: [
          one({
            Effect: 'Allow',
            Action: '*',
            Resource: '*',
            Condition: { BoolIfExists: { 'aws:MultiFactorAuthPresent': 'true' } },
          }),
        ],
      },
      action: 'ec2:StopInstances',
      resource: '*',
      expect: 'Allow',
    },
    // reference_policies_condition-keys.html#condition-keys-multifactorauthpresent
    {
      name: 'Allow BoolIfExists true: sessions without MFA are not',
      set: {
        identity: [
          one({
            Effect: 'Allow',
            Action: '*',
            Resource: '*',
            Condition: { BoolIfExists: { 'aws:MultiFactorAuthPresent': 'true' } },
          }),
        ],
      },
      action: 'ec2:StopInstances',
      resource: '*',
      context: { 'aws:MultiFactorAuthPresent': 'false' },
      expect: 'ImplicitDeny',
    },
    // reference_policies_condition-keys.html#condition-keys-multifactorauthpresent (NOT RECOMMENDED: Bool false)
    {
      name: 'Deny Bool false does not deny long-term credentials',
      set: {
        identity: [
          one({
            Effect: 'Deny',
            Action: '*',
            Resource: '*',
            Condition: { Bool: { 'aws:MultiFactorAuthPresent': 'false' } },
          }),
          allowAll,
        ],
      },
      action: 'ec2:StopInstances',
      resource: '*',
      expect: 'Allow',
    },
    // reference_policies_condition-keys.html#condition-keys-multifactorauthpresent ("Null element, and true ... behaves the same way")
    {
      name: 'Deny Null true denies long-term credentials',
      set: {
        identity: [
          one({
            Effect: 'Deny',
            Action: '*',
            Resource: '*',
            Condition: { Null: { 'aws:MultiFactorAuthPresent': 'true' } },
          }),
          allowAll,
        ],
      },
      action: 'ec2:StopInstances',
      resource: '*',
      expect: 'ExplicitDeny',
    },
  ],
  'revoking older sessions (DateLessThan aws:TokenIssueTime)': [
    // id_roles_use_revoke-sessions.html (AWSRevokeOlderSessions denies users who assumed the role before)
    {
      name: 'a session issued before the revocation time is denied',
      set: { identity: [revokeOlderSessions, allowAll] },
      action: 's3:GetObject',
      resource: '*',
      context: { 'aws:TokenIssueTime': '2014-05-07T23:00:00Z' },
      expect: 'ExplicitDeny',
    },
    // id_roles_use_revoke-sessions.html ("Any user who assumes the role after ... is not affected")
    {
      name: 'a session issued afterwards is not affected',
      set: { identity: [revokeOlderSessions, allowAll] },
      action: 's3:GetObject',
      resource: '*',
      context: { 'aws:TokenIssueTime': '2014-05-08T09:00:00Z' },
      expect: 'Allow',
    },
    // id_credentials_temp_control-access_disable-perms.html ("will not affect requests that are signed with the long-term credentials")
    {
      name: 'long-term credentials are not affected',
      set: { identity: [revokeOlderSessions, allowAll] },
      action: 's3:GetObject',
      resource: '*',
      expect: 'Allow',
    },
    // reference_policies_elements_condition_operators.html#Conditions_Date (epoch time accepted)
    {
      name: 'an issue time in epoch seconds',
      set: { identity: [revokeOlderSessions, allowAll] },
      action: 's3:GetObject',
      resource: '*',
      context: { 'aws:TokenIssueTime': '1399500000' },
      expect: 'ExplicitDeny',
    },
    // id_credentials_temp_control-access_disable-perms.html (the exact issue time is not "earlier")
    {
      name: 'a session issued at the very revocation time is not denied',
      set: { identity: [revokeOlderSessions, allowAll] },
      action: 's3:GetObject',
      resource: '*',
      context: { 'aws:TokenIssueTime': '2014-05-07T23:47:00Z' },
      expect: 'Allow',
    },
  ],
  'multivalued context keys': [
    // reference_policies_multi-value-conditions.html (PostDateTime and Message requested)
    {
      name: 'ForAllValues: every requested attribute is listed',
      set: { identity: [dynamoReadOnlySomeAttributes] },
      action: 'dynamodb:GetItem',
      resource: THREAD,
      context: { 'dynamodb:requestedAttributes': ['PostDateTime', 'Message'] },
      expect: 'Allow',
    },
    // reference_policies_multi-value-conditions.html ("There's no match for UserName")
    {
      name: 'ForAllValues: one requested attribute is not listed',
      set: { identity: [dynamoReadOnlySomeAttributes] },
      action: 'dynamodb:GetItem',
      resource: THREAD,
      context: { 'dynamodb:requestedAttributes': ['PostDateTime', 'UserName'] },
      expect: 'ImplicitDeny',
    },
    // reference_policies_condition_examples-multi-valued-context-keys.html ("ForAllValues ... returns true if there are no context keys")
    {
      name: 'ForAllValues: the key is absent',
      set: { identity: [dynamoReadOnlySomeAttributes] },
      action: 'dynamodb:GetItem',
      resource: THREAD,
      expect: 'Allow',
    },
    // reference_policies_multi-value-conditions.html ("an empty data set (for example, an empty string) ... ForAllValues returns true")
    {
      name: 'ForAllValues: an empty string is an empty set',
      set: { identity: [dynamoReadOnlySomeAttributes] },
      action: 'dynamodb:GetItem',
      resource: THREAD,
      context: { 'dynamodb:requestedAttributes': '' },
      expect: 'Allow',
    },
    // reference_policies_multi-value-conditions.html (UserName, Message, PostDateTime: "the request is denied")
    {
      name: 'ForAnyValue: one forbidden attribute is enough to deny',
      set: { identity: [dynamoDenyPutSomeAttributes, allowAll] },
      action: 'dynamodb:PutItem',
      resource: THREAD,
      context: { 'dynamodb:requestedAttributes': ['UserName', 'Message', 'PostDateTime'] },
      expect: 'ExplicitDeny',
    },
    // reference_policies_multi-value-conditions.html ("PutItem with just the UserName attribute ... not denied")
    {
      name: 'ForAnyValue: no forbidden attribute',
      set: { identity: [dynamoDenyPutSomeAttributes, allowAll] },
      action: 'dynamodb:PutItem',
      resource: THREAD,
      context: { 'dynamodb:requestedAttributes': ['UserName'] },
      expect: 'Allow',
    },
    // reference_policies_multi-value-conditions.html ("... ForAnyValue returns false")
    {
      name: 'ForAnyValue: the key is absent',
      set: { identity: [dynamoDenyPutSomeAttributes, allowAll] },
      action: 'dynamodb:PutItem',
      resource: THREAD,
      expect: 'Allow',
    },
    // reference_policies_condition_examples-multi-valued-context-keys.html (table: key1:legal → no match)
    {
      name: 'Deny ForAllValues:StringNotLike: all keys start with key1',
      set: { identity: [denyRestrictedTags, allowAll] },
      action: 'iam:TagUser',
      resource: 'arn:aws:iam::111122223333:user/alice',
      context: { 'aws:TagKeys': ['key1:hr', 'key1:personnel'] },
      expect: 'Allow',
    },
    // reference_policies_condition_examples-multi-valued-context-keys.html (table: key2:audit → match)
    {
      name: 'Deny ForAllValues:StringNotLike: a key without the prefix',
      set: { identity: [denyRestrictedTags, allowAll] },
      action: 'iam:TagUser',
      resource: 'arn:aws:iam::111122223333:user/alice',
      context: { 'aws:TagKeys': ['key2:audit'] },
      expect: 'ExplicitDeny',
      sid: 'DenyRestrictedTags',
    },
    // reference_policies_condition_examples-multi-valued-context-keys.html (table: no aws:TagKeys → match)
    {
      name: 'Deny ForAllValues:StringNotLike: no tag keys in the request',
      set: { identity: [denyRestrictedTags, allowAll] },
      action: 'iam:TagUser',
      resource: 'arn:aws:iam::111122223333:user/alice',
      expect: 'ExplicitDeny',
    },
    // reference_policies_condition_examples-multi-valued-context-keys.html (Null false guards ForAllValues)
    {
      name: 'Null false keeps ForAllValues from matching an absent key',
      set: { identity: [denyTagsWithNullCheck, allowAll] },
      action: 'iam:UntagUser',
      resource: 'arn:aws:iam::111122223333:user/alice',
      expect: 'Allow',
    },
    // reference_policies_condition_examples-multi-valued-context-keys.html
    {
      name: 'Null false with listed prefixes denies',
      set: { identity: [denyTagsWithNullCheck, allowAll] },
      action: 'iam:TagUser',
      resource: 'arn:aws:iam::111122223333:user/alice',
      context: { 'aws:TagKeys': ['key1-a', 'key3-b'] },
      expect: 'ExplicitDeny',
    },
    // reference_policies_condition-keys.html#condition-keys-calledvia (CloudFormation then DynamoDB)
    {
      name: 'ForAnyValue:StringEquals on aws:CalledVia',
      set: { identity: [kmsViaDynamo] },
      action: 'kms:Decrypt',
      resource: KMS_KEY,
      context: { 'aws:CalledVia': ['cloudformation.amazonaws.com', 'dynamodb.amazonaws.com'] },
      expect: 'Allow',
    },
    // reference_policies_condition-keys.html#condition-keys-calledvia ("If the principal makes the call to AWS KMS directly, the condition returns false")
    {
      name: 'ForAnyValue:StringEquals with a direct call',
      set: { identity: [kmsViaDynamo] },
      action: 'kms:Decrypt',
      resource: KMS_KEY,
      expect: 'ImplicitDeny',
    },
    // reference_policies_condition-keys.html#condition-keys-calledvia (first via CloudFormation, last via DynamoDB)
    {
      name: 'several keys in one operator are AND-ed (both match)',
      set: { identity: [kmsViaChain] },
      action: 'kms:Encrypt',
      resource: KMS_KEY,
      context: {
        'aws:CalledViaFirst': 'cloudformation.amazonaws.com',
        'aws:CalledViaLast': 'dynamodb.amazonaws.com',
      },
      expect: 'Allow',
    },
    // reference_policies_condition-keys.html#condition-keys-calledvia
    {
      name: 'several keys in one operator are AND-ed (one fails)',
      set: { identity: [kmsViaChain] },
      action: 'kms:Encrypt',
      resource: KMS_KEY,
      context: {
        'aws:CalledViaFirst': 'cloudformation.amazonaws.com',
        'aws:CalledViaLast': 'athena.amazonaws.com',
      },
      expect: 'ImplicitDeny',
    },
  ],
  'negated operators with several values (NOR)': [
    // reference_policies_condition-logic-multiple-context-keys-or-values.html ("negated matching condition operator ... logical NOR")
    {
      name: 'StringNotEquals [finance, hr]: department finance is not denied',
      set: {
        identity: [
          one({
            Effect: 'Deny',
            Action: 's3:*',
            Resource: '*',
            Condition: { StringNotEquals: { 'aws:PrincipalTag/department': ['finance', 'hr'] } },
          }),
          allowAll,
        ],
      },
      action: 's3:GetObject',
      resource: '*',
      context: { 'aws:PrincipalTag/department': 'finance' },
      expect: 'Allow',
    },
    // reference_policies_condition-logic-multiple-context-keys-or-values.html
    {
      name: 'StringNotEquals [finance, hr]: department legal is denied',
      set: {
        identity: [
          one({
            Effect: 'Deny',
            Action: 's3:*',
            Resource: '*',
            Condition: { StringNotEquals: { 'aws:PrincipalTag/department': ['finance', 'hr'] } },
          }),
          allowAll,
        ],
      },
      action: 's3:GetObject',
      resource: '*',
      context: { 'aws:PrincipalTag/department': 'legal' },
      expect: 'ExplicitDeny',
    },
    // reference_policies_elements_condition_operators.html ("If the policy condition requires that the key is not matched ... the condition is true")
    {
      name: 'StringNotEquals with the key absent is true',
      set: {
        identity: [
          one({
            Effect: 'Deny',
            Action: 's3:*',
            Resource: '*',
            Condition: { StringNotEquals: { 'aws:PrincipalTag/department': ['finance', 'hr'] } },
          }),
          allowAll,
        ],
      },
      action: 's3:GetObject',
      resource: '*',
      expect: 'ExplicitDeny',
    },
    // reference_policies_elements_condition_operators.html#Conditions_IfExists ("Deny ... StringNotEqualsIfExists, the request is still denied even if the tag is missing")
    {
      name: 'StringNotEqualsIfExists in a Deny with the tag missing',
      set: {
        identity: [
          one({
            Effect: 'Deny',
            Action: 's3:*',
            Resource: '*',
            Condition: { StringNotEqualsIfExists: { 'aws:PrincipalTag/department': 'finance' } },
          }),
          allowAll,
        ],
      },
      action: 's3:GetObject',
      resource: '*',
      expect: 'ExplicitDeny',
    },
  ],
  'policy variables': [
    // reference_policies_variables.html (mybucket/${aws:username}/*)
    {
      name: '${aws:username} in Resource',
      set: { identity: [usernameFolders] },
      action: 's3:GetObject',
      resource: 'arn:aws:s3:::mybucket/David/report.pdf',
      context: { 'aws:username': 'David' },
      expect: 'Allow',
    },
    // reference_policies_variables.html
    {
      name: "another user's folder",
      set: { identity: [usernameFolders] },
      action: 's3:GetObject',
      resource: 'arn:aws:s3:::mybucket/Adele/report.pdf',
      context: { 'aws:username': 'David' },
      expect: 'ImplicitDeny',
    },
    // reference_policies_variables.html (the user name comes from the caller: derived from an IAM user ARN)
    {
      name: 'aws:username derived from the principal ARN',
      set: { identity: [usernameFolders] },
      action: 's3:PutObject',
      resource: 'arn:aws:s3:::mybucket/David/x',
      principal: 'arn:aws:iam::111122223333:user/division_abc/David',
      expect: 'Allow',
    },
    // reference_policies_variables.html (s3:prefix ${aws:username}/*)
    {
      name: '${aws:username} in a StringLike value',
      set: { identity: [usernameFolders] },
      action: 's3:ListBucket',
      resource: 'arn:aws:s3:::mybucket',
      context: { 'aws:username': 'David', 's3:prefix': 'David/2024/' },
      expect: 'Allow',
    },
    // reference_policies_variables.html ("If you don't include the Version element ... treated as literal strings")
    {
      name: 'without Version, ${aws:username} is literal text',
      set: { identity: [{ ...usernameFolders, Version: undefined }] },
      action: 's3:GetObject',
      resource: 'arn:aws:s3:::mybucket/David/report.pdf',
      context: { 'aws:username': 'David' },
      expect: 'ImplicitDeny',
    },
    // reference_policies_variables.html
    {
      name: 'without Version, the literal text itself matches',
      set: { identity: [{ Version: '2008-10-17', Statement: usernameFolders.Statement }] },
      action: 's3:GetObject',
      resource: 'arn:aws:s3:::mybucket/${aws:username}/report.pdf',
      context: { 'aws:username': 'David' },
      expect: 'Allow',
    },
    // reference_policies_variables.html (${aws:username}-queue in us-east-2)
    {
      name: 'a variable after the fifth colon of an SQS ARN',
      set: { identity: [ownQueues] },
      action: 'sqs:DeleteQueue',
      resource: 'arn:aws:sqs:us-east-2:111122223333:David-queue',
      context: { 'aws:username': 'David' },
      expect: 'Allow',
      sid: 'AllQueueActions',
    },
    // reference_policies_variables.html
    {
      name: "someone else's queue",
      set: { identity: [ownQueues] },
      action: 'sqs:DeleteQueue',
      resource: 'arn:aws:sqs:us-east-2:111122223333:Adele-queue',
      context: { 'aws:username': 'David' },
      expect: 'ImplicitDeny',
    },
    // reference_policies_variables.html (bucket/${aws:PrincipalTag/department})
    {
      name: 'a principal tag as a variable',
      set: {
        identity: [
          one({
            Effect: 'Allow',
            Action: 's3:*',
            Resource: ['arn:aws:s3:::bucket/${aws:PrincipalTag/department}'],
          }),
        ],
      },
      action: 's3:GetObject',
      resource: 'arn:aws:s3:::bucket/finance',
      context: { 'aws:PrincipalTag/department': 'finance' },
      expect: 'Allow',
    },
    // reference_policies_variables.html#policy-vars-default-values (${aws:userid, 'anonymous'})
    {
      name: 'a default value when the key is absent',
      set: {
        identity: [
          one({
            Effect: 'Allow',
            Action: 's3:*',
            Resource: "arn:aws:s3:::bucket/${aws:userid, 'anonymous'}",
          }),
        ],
      },
      action: 's3:GetObject',
      resource: 'arn:aws:s3:::bucket/anonymous',
      expect: 'Allow',
    },
    // reference_policies_variables.html#policy-vars-default-values
    {
      name: 'the default is not used when the key is present',
      set: {
        identity: [
          one({
            Effect: 'Allow',
            Action: 's3:*',
            Resource: "arn:aws:s3:::bucket/${aws:userid, 'anonymous'}",
          }),
        ],
      },
      action: 's3:GetObject',
      resource: 'arn:aws:s3:::bucket/anonymous',
      context: { 'aws:userid': 'AIDAJQABLZS4A3QDU576Q' },
      expect: 'ImplicitDeny',
    },
    // reference_policies_variables.html ("not present ... any attempt to match it fails")
    {
      name: 'an unresolved variable matches nothing',
      set: { identity: [usernameFolders] },
      action: 's3:GetObject',
      resource: 'arn:aws:s3:::mybucket/David/report.pdf',
      expect: 'ImplicitDeny',
    },
    // reference_policies_variables.html#policy-vars-specialchars (${*} is a literal asterisk)
    {
      name: '${*} is a literal asterisk, not a wildcard',
      set: {
        identity: [
          one({
            Effect: 'Allow',
            Action: 's3:*',
            Resource: '*',
            Condition: { StringLike: { 's3:prefix': 'home${*}' } },
          }),
        ],
      },
      action: 's3:ListBucket',
      resource: '*',
      context: { 's3:prefix': 'home/anything' },
      expect: 'ImplicitDeny',
    },
    // reference_policies_variables.html#policy-vars-specialchars
    {
      name: '${*} matches an asterisk',
      set: {
        identity: [
          one({
            Effect: 'Allow',
            Action: 's3:*',
            Resource: '*',
            Condition: { StringLike: { 's3:prefix': 'home${*}' } },
          }),
        ],
      },
      action: 's3:ListBucket',
      resource: '*',
      context: { 's3:prefix': 'home*' },
      expect: 'Allow',
    },
    // reference_policies_variables.html#policy-vars-specialchars (${?} and ${$})
    {
      name: '${?} and ${$} are literal characters',
      set: {
        identity: [
          one({
            Effect: 'Allow',
            Action: 's3:*',
            Resource: '*',
            Condition: { StringEquals: { 's3:prefix': 'why${?}${$}5' } },
          }),
        ],
      },
      action: 's3:ListBucket',
      resource: '*',
      context: { 's3:prefix': 'why?$5' },
      expect: 'Allow',
    },
    // reference_policies_variables.html ("Key names are case-insensitive")
    {
      name: 'variable names are case-insensitive',
      set: { identity: [usernameFolders] },
      action: 's3:GetObject',
      resource: 'arn:aws:s3:::mybucket/David/report.pdf',
      context: { 'AWS:UserName': 'David' },
      expect: 'Allow',
    },
    // reference_policies_condition-single-vs-multi-valued-context-keys.html ("you cannot use a multivalued context key as a policy variable")
    {
      name: 'a multivalued key does not resolve a variable',
      set: {
        identity: [one({ Effect: 'Allow', Action: 's3:*', Resource: 'arn:aws:s3:::bucket/${aws:TagKeys}' })],
      },
      action: 's3:GetObject',
      resource: 'arn:aws:s3:::bucket/a',
      context: { 'aws:TagKeys': ['a', 'b'] },
      expect: 'ImplicitDeny',
    },
  ],
  'permissions boundaries': [
    // access_policies_boundaries.html (Shirley tries to create a user: "the operation fails")
    {
      name: 'the boundary caps what identity policies grant',
      set: { identity: [createUser], boundary: shirleyBoundary },
      action: 'iam:CreateUser',
      resource: 'arn:aws:iam::111122223333:user/new',
      expect: 'ImplicitDeny',
      missingAllow: 'boundary',
    },
    // access_policies_boundaries.html ("you must add a permissions policy with actions in Amazon S3 ...")
    {
      name: 'an action both allow',
      set: { identity: [one({ Effect: 'Allow', Action: 's3:*', Resource: '*' })], boundary: shirleyBoundary },
      action: 's3:GetObject',
      resource: 'arn:aws:s3:::bucket/key',
      expect: 'Allow',
    },
    // access_policies_boundaries.html ("it limits the user's permissions but does not provide permissions on its own")
    {
      name: 'a boundary alone grants nothing',
      set: {
        identity: [one({ Effect: 'Allow', Action: 'iam:GetUser', Resource: '*' })],
        boundary: shirleyBoundary,
      },
      action: 'ec2:RunInstances',
      resource: '*',
      expect: 'ImplicitDeny',
      missingAllow: 'identity',
    },
    // access_policies_boundaries.html (XCompanyBoundaries DenyS3Logs: "explicit deny in either of these policies overrides the allow")
    {
      name: 'an explicit deny in the boundary',
      set: {
        identity: [one({ Effect: 'Allow', Action: 's3:*', Resource: '*' })],
        boundary: xCompanyBoundaries,
      },
      action: 's3:GetObject',
      resource: 'arn:aws:s3:::logs/2024/01/01.log',
      expect: 'ExplicitDeny',
      sid: 'DenyS3Logs',
    },
    // access_policies_boundaries.html (DenyEC2Production)
    {
      name: 'the production instance is denied by the boundary',
      set: {
        identity: [one({ Effect: 'Allow', Action: 'ec2:*', Resource: '*' })],
        boundary: xCompanyBoundaries,
      },
      action: 'ec2:TerminateInstances',
      resource: 'arn:aws:ec2:us-east-1:111122223333:instance/i-1234567890abcdef0',
      expect: 'ExplicitDeny',
      sid: 'DenyEC2Production',
    },
    // access_policies_boundaries.html (AllowManageOwnPasswordAndAccessKeys)
    {
      name: 'own access keys pass the boundary',
      set: {
        identity: [one({ Effect: 'Allow', Action: 'iam:*', Resource: '*' })],
        boundary: xCompanyBoundaries,
      },
      action: 'iam:CreateAccessKey',
      resource: 'arn:aws:iam::111122223333:user/maria',
      context: { 'aws:username': 'maria' },
      expect: 'Allow',
    },
    // access_policies_boundaries.html ("prevents that from happening")
    {
      name: "another user's access keys do not",
      set: {
        identity: [one({ Effect: 'Allow', Action: 'iam:*', Resource: '*' })],
        boundary: xCompanyBoundaries,
      },
      action: 'iam:CreateAccessKey',
      resource: 'arn:aws:iam::111122223333:user/zhang',
      context: { 'aws:username': 'maria' },
      expect: 'ImplicitDeny',
      missingAllow: 'boundary',
    },
    // access_policies_boundaries.html (Zhang: CreateOrChangeOnlyWithBoundary)
    {
      name: 'Zhang may create users with the company boundary',
      set: { identity: [zhangPermissions], boundary: zhangBoundary },
      action: 'iam:CreateUser',
      resource: 'arn:aws:iam::111122223333:user/newhire',
      context: { 'iam:PermissionsBoundary': 'arn:aws:iam::111122223333:policy/XCompanyBoundaries' },
      expect: 'Allow',
    },
    // access_policies_boundaries.html ("only if he uses the XCompanyBoundaries policy")
    {
      name: 'Zhang may not create users without it',
      set: { identity: [zhangPermissions], boundary: zhangBoundary },
      action: 'iam:CreateUser',
      resource: 'arn:aws:iam::111122223333:user/newhire',
      expect: 'ImplicitDeny',
      missingAllow: 'boundary',
    },
    // access_policies_boundaries.html (NoBoundaryUserDelete)
    {
      name: 'Zhang may not remove boundaries',
      set: { identity: [zhangPermissions], boundary: zhangBoundary },
      action: 'iam:DeleteUserPermissionsBoundary',
      resource: 'arn:aws:iam::111122223333:user/newhire',
      expect: 'ExplicitDeny',
      sid: 'NoBoundaryUserDelete',
    },
  ],
  'session policies': [
    // access_policies.html#policies_session ("the intersection of the IAM entity's identity-based policy and the session policies")
    {
      name: 'the session policy narrows the role',
      set: {
        identity: [one({ Effect: 'Allow', Action: 's3:*', Resource: '*' })],
        session: [one({ Effect: 'Allow', Action: 's3:GetObject', Resource: '*' })],
      },
      action: 's3:PutObject',
      resource: 'arn:aws:s3:::bucket/key',
      expect: 'ImplicitDeny',
      missingAllow: 'session',
    },
    // access_policies.html#policies_session
    {
      name: 'what both allow is allowed',
      set: {
        identity: [one({ Effect: 'Allow', Action: 's3:*', Resource: '*' })],
        session: [one({ Effect: 'Allow', Action: 's3:GetObject', Resource: '*' })],
      },
      action: 's3:GetObject',
      resource: 'arn:aws:s3:::bucket/key',
      expect: 'Allow',
    },
    // access_policies.html#policies_session ("Session policies limit permissions ... do not grant permissions")
    {
      name: 'a session policy cannot grant more than the role',
      set: {
        identity: [one({ Effect: 'Allow', Action: 's3:GetObject', Resource: '*' })],
        session: [allowAll],
      },
      action: 's3:DeleteObject',
      resource: 'arn:aws:s3:::bucket/key',
      expect: 'ImplicitDeny',
      missingAllow: 'identity',
    },
    // reference_policies_evaluation-logic.html ("an explicit deny in any of these policies overrides the allow")
    {
      name: 'an explicit deny in a session policy',
      set: {
        identity: [allowAll],
        session: [
          {
            Version: '2012-10-17',
            Statement: [
              { Effect: 'Allow', Action: '*', Resource: '*' },
              { Sid: 'NoDelete', Effect: 'Deny', Action: 's3:Delete*', Resource: '*' },
            ],
          },
        ],
      },
      action: 's3:DeleteObject',
      resource: 'arn:aws:s3:::bucket/key',
      expect: 'ExplicitDeny',
      sid: 'NoDelete',
    },
    // access_policies_boundaries.html ("everything that is allowed by all three types")
    {
      name: 'identity, boundary and session must all allow',
      set: {
        identity: [one({ Effect: 'Allow', Action: ['s3:*', 'ec2:*'], Resource: '*' })],
        boundary: one({ Effect: 'Allow', Action: ['s3:*', 'sqs:*'], Resource: '*' }),
        session: [one({ Effect: 'Allow', Action: ['s3:Get*', 'ec2:*'], Resource: '*' })],
      },
      action: 's3:GetObject',
      resource: 'arn:aws:s3:::bucket/key',
      expect: 'Allow',
    },
    // access_policies_boundaries.html ("everything that is allowed by all three types")
    {
      name: 'allowed by identity and session but not the boundary',
      set: {
        identity: [one({ Effect: 'Allow', Action: ['s3:*', 'ec2:*'], Resource: '*' })],
        boundary: one({ Effect: 'Allow', Action: ['s3:*', 'sqs:*'], Resource: '*' }),
        session: [one({ Effect: 'Allow', Action: ['s3:Get*', 'ec2:*'], Resource: '*' })],
      },
      action: 'ec2:RunInstances',
      resource: '*',
      expect: 'ImplicitDeny',
      missingAllow: 'boundary',
    },
    // access_policies.html#policies_session (several session policies together form the session's limit)
    {
      name: 'any of several session policies may allow',
      set: {
        identity: [allowAll],
        session: [
          one({ Effect: 'Allow', Action: 's3:*', Resource: '*' }),
          one({ Effect: 'Allow', Action: 'sqs:*', Resource: '*' }),
        ],
      },
      action: 'sqs:SendMessage',
      resource: 'arn:aws:sqs:us-east-1:111122223333:q',
      expect: 'Allow',
    },
  ],
};

const total = Object.values(cases).reduce((n, list) => n + list.length, 0);

test('the table has at least 60 documented cases', () => {
  expect(total).toBeGreaterThanOrEqual(60);
});

for (const [group, list] of Object.entries(cases)) {
  describe(group, () => {
    test.each(list.map((c) => [c.name, c] as const))('%s', (_name, c) => {
      const result = decide(c.set, {
        action: c.action,
        resource: c.resource,
        ...(c.context ? { context: c.context } : {}),
        ...(c.principal ? { principal: c.principal } : {}),
      });
      expect(result.decision).toBe(c.expect);
      if (c.sid !== undefined) expect(result.matched?.sid).toBe(c.sid);
      if (c.missingAllow !== undefined) expect(result.missingAllow).toBe(c.missingAllow);
      if (result.decision === 'Allow') expect(result.matched?.effect).toBe('Allow');
      if (result.decision === 'ExplicitDeny') expect(result.matched?.effect).toBe('Deny');
    });
  });
}
