// The credential verifier: SigV4 signature with a Gatehouse session credential, then expiry,
// revocation, and the policy decision with the request context filled in. Synchronous, no database
// read: the sealing keys, the revocation view and the compiled permission sets are all in memory.
// This is the library entry point a Node service embeds (package export `gatehouse/verifier`);
// POST /api/v1/authorize runs the same function.
//
// Error codes (AWS's, with their statuses):
//   no session token, a malformed or foreign one, unknown sealing key id   → InvalidClientTokenId 403
//   signature wrong (tampered, wrong secret), skew beyond the limit        → SignatureDoesNotMatch 403
//   credential past its expiry                                             → ExpiredToken 400
//   revoked: user disabled/removed/validAfter, session revoked              → InvalidClientTokenId 403
//   revoked: assignment removed, permission set changed or deleted         → AccessDenied 403
//   revocation view stale (this node cannot tell)                          → ServiceUnavailable 503
//   permission set version not loaded yet on this node                     → ServiceUnavailable 503
import type { CatalogEntry } from '../access/catalog.ts';
import {
  type Decision,
  describeDecision,
  type EvaluationResult,
  evaluate,
  type RequestContext,
  type StatementRef,
} from '../policy/index.ts';
import type { RevocationReason, RevocationView } from '../revocation/types.ts';
import { createBoundedCache } from './bounded-cache.ts';
import {
  createDerivedKeys,
  openSessionToken,
  type SealingKeySource,
  type SessionClaims,
} from './session-token.ts';
import {
  createSigningKeyCache,
  type SigV4Failure,
  type SigV4Request,
  type SigV4Secret,
  type SigV4VerifyOptions,
  verifySigV4,
} from './sigv4.ts';
import { fail, INVALID_TOKEN_MESSAGE } from './sigv4-errors.ts';

export type { SealingKeySource, SessionClaims } from './session-token.ts';
export type { SigV4Failure, SigV4Request } from './sigv4.ts';

/** Where permission sets come from: the catalog (src/access/catalog.ts) or any lookup. */
export interface PermissionSetSource {
  get(id: string): CatalogEntry | undefined;
  requestRefresh?(): void;
}

export interface VerifierDeps {
  keys: SealingKeySource;
  revocation: RevocationView;
  permissionSets: PermissionSetSource;
  /** The server clock (tests); default Date.now. */
  now?: () => number;
  /** Counts each use by outcome (`allow`, `deny` or the error code): the Prometheus counter. */
  observe?: (outcome: string) => void;
  /** SigV4 options: accepted services and regions, unsigned payloads, skew (default 900 s). */
  sigv4?: SigV4Options;
  /** How many opened session tokens are remembered (default 20,000). */
  openedCacheSize?: number;
}

/** Who made a request, once its credential verified. */
export interface AccessPrincipal {
  userId: string;
  userName: string;
  accountId: string;
  permissionSetId: string;
  permissionSetName: string;
  permissionSetVersion: number;
  sessionId: string;
  arn: string;
  issuedAt: string;
  expiresAt: string;
  mfa: boolean;
  sourceIdentity?: string;
}

export interface Authenticated {
  ok: true;
  claims: SessionClaims;
  principal: AccessPrincipal;
  permissionSet: CatalogEntry;
  region: string;
  service: string;
}

/** What the resource service wants decided, besides the request it received. */
export interface DecisionInput {
  action: string;
  resource: string;
  /** Extra context keys (service-specific ones such as s3:prefix). Gatehouse's own keys win. */
  context?: RequestContext;
  /** The client address as the service saw it: aws:SourceIp. */
  sourceIp?: string;
  /** Whether the client used TLS: aws:SecureTransport. */
  secureTransport?: boolean;
}

export interface AccessDecision {
  ok: true;
  allowed: boolean;
  decision: Decision;
  principal: AccessPrincipal;
  /** The statement that decided (the allowing or the denying one); absent for an implicit deny. */
  statement?: StatementRef;
  evaluation: EvaluationResult;
  explanation: string;
}

export type AuthenticateResult = Authenticated | SigV4Failure;
export type AuthorizeResult = AccessDecision | SigV4Failure;

export interface AccessVerifier {
  /** Signature, expiry, revocation: who is calling. `sigv4` overrides the verifier's SigV4 options. */
  authenticate(request: SigV4Request, sigv4?: SigV4Options): AuthenticateResult;
  /** authenticate, then the policy decision for the action on the resource. */
  authorize(request: SigV4Request, input: DecisionInput, sigv4?: SigV4Options): AuthorizeResult;
}

export type SigV4Options = Omit<SigV4VerifyOptions, 'now' | 'keyCache'>;

/** An opened session token, with what every use of it would otherwise compute again. */
interface Looked extends SigV4Secret {
  claims: SessionClaims;
  /** The session token text it was opened from. */
  token: string;
  /** The sealing key it opened under: a hit counts only while the ring still hands out this key. */
  kid: string;
  sealingKey: Buffer;
  issuedAt: string;
  expiresAt: string;
  /** The ARN for the permission set name it was last built with (names change rarely). */
  arnFor: { setName: string; arn: string } | undefined;
}

const REVOKED: Record<RevocationReason, SigV4Failure> = {
  user: fail('InvalidClientTokenId', INVALID_TOKEN_MESSAGE),
  session: fail('InvalidClientTokenId', INVALID_TOKEN_MESSAGE),
  assignment: fail(
    'AccessDenied',
    'The credentials are no longer valid: the assignment they were issued for was removed.',
  ),
  permission_set: fail(
    'AccessDenied',
    'The credentials are no longer valid: their permission set changed or was deleted; obtain new ones.',
  ),
  stale: fail('ServiceUnavailable', 'Credentials cannot be checked right now; retry shortly.'),
};
const EXPIRED = fail('ExpiredToken', 'The security token included in the request is expired');
const NOT_LOADED = fail('ServiceUnavailable', 'The permission set is being loaded; retry shortly.');
const CHANGED = REVOKED.permission_set;

/** `arn:aws:sts::ACCOUNT:assumed-role/PERMISSION_SET/USER` (session name: the user name). */
export const principalArn = (accountId: string, permissionSet: string, userName: string) =>
  `arn:aws:sts::${accountId}:assumed-role/${permissionSet}/${userName}`;

export function createAccessVerifier(deps: VerifierDeps): AccessVerifier {
  const keys = createDerivedKeys(deps.keys);
  const keyCache = createSigningKeyCache();
  const now = deps.now ?? Date.now;
  const observe = deps.observe ?? (() => {});
  const opened = createBoundedCache<Looked>(deps.openedCacheSize ?? 20_000);
  const lookup = (
    accessKeyId: string,
    context: { securityToken: string | undefined },
  ): Looked | undefined => {
    const token = context.securityToken;
    if (token === undefined) return undefined;
    // Clients sign many requests with one credential: the opened token is remembered, by access key
    // id (short to hash), so AES-GCM and the secret's HMAC run once per credential. A hit counts
    // only for the exact token text it opened (a token opens under one access key id only: the
    // associated data), and while its sealing key is still live, so retiring a key ends its tokens
    // at once, cached or not. Signature, expiry and revocation are checked on every request by the
    // caller. (The token is no secret: it travels in the clear, and signing needs the secret key.)
    const hit = opened.get(accessKeyId);
    if (hit !== undefined && hit.token === token && deps.keys.sealingKeyById(hit.kid)?.key === hit.sealingKey)
      return hit;
    const result = openSessionToken(keys, accessKeyId, token);
    if (!result.ok) return undefined;
    const looked: Looked = {
      secretAccessKey: result.secretAccessKey,
      claims: result.claims,
      token,
      kid: result.kid,
      sealingKey: result.sealingKey,
      issuedAt: new Date(result.claims.issuedAt).toISOString(),
      expiresAt: new Date(result.claims.expiresAt).toISOString(),
      arnFor: undefined,
    };
    opened.set(accessKeyId, looked);
    return looked;
  };

  function authenticate(
    request: SigV4Request,
    at: number,
    sigv4: SigV4Options | undefined,
  ): AuthenticateResult {
    const options = sigv4
      ? { ...deps.sigv4, ...sigv4, now: at, keyCache }
      : { ...deps.sigv4, now: at, keyCache };
    const verified = verifySigV4(request, lookup, options);
    if (!verified.ok) return verified;
    const looked = verified.credential;
    const { claims } = looked;
    if (at >= claims.expiresAt) return EXPIRED;
    const reason = deps.revocation.check({
      userId: claims.userId,
      issuedAt: claims.issuedAt,
      sessionId: claims.sessionId,
      accountId: claims.accountId,
      permissionSetId: claims.permissionSetId,
      permissionSetVersion: claims.permissionSetVersion,
    });
    if (reason !== undefined) return REVOKED[reason] ?? REVOKED.stale;
    const set = deps.permissionSets.get(claims.permissionSetId);
    if (set === undefined || set.version < claims.permissionSetVersion) {
      // Not loaded on this node yet (a deleted set is refused by revocation, by its version).
      deps.permissionSets.requestRefresh?.();
      return NOT_LOADED;
    }
    // A newer version than the credential's: the policies it was issued under are gone.
    if (set.version > claims.permissionSetVersion) return CHANGED;
    let arnFor = looked.arnFor;
    if (arnFor === undefined || arnFor.setName !== set.name) {
      arnFor = { setName: set.name, arn: principalArn(claims.accountId, set.name, claims.userName) };
      looked.arnFor = arnFor;
    }
    const principal: AccessPrincipal = {
      userId: claims.userId,
      userName: claims.userName,
      accountId: claims.accountId,
      permissionSetId: claims.permissionSetId,
      permissionSetName: set.name,
      permissionSetVersion: claims.permissionSetVersion,
      sessionId: claims.sessionId,
      arn: arnFor.arn,
      issuedAt: looked.issuedAt,
      expiresAt: looked.expiresAt,
      mfa: claims.mfa,
    };
    if (claims.sourceIdentity !== undefined) principal.sourceIdentity = claims.sourceIdentity;
    return {
      ok: true,
      claims,
      principal,
      permissionSet: set,
      region: verified.region,
      service: verified.service,
    };
  }

  const safely = <T extends { ok: boolean }>(run: () => T | SigV4Failure): T | SigV4Failure => {
    let result: T | SigV4Failure;
    try {
      result = run();
    } catch (error) {
      result = fail('InternalFailure', `Verification failed unexpectedly: ${String(error)}`);
    }
    observe(
      result.ok
        ? 'allowed' in result
          ? result.allowed
            ? 'allow'
            : 'deny'
          : 'authenticated'
        : (result as SigV4Failure).code,
    );
    return result;
  };

  return {
    authenticate: (request, sigv4) => safely(() => authenticate(request, now(), sigv4)),
    authorize: (request, input, sigv4) =>
      safely(() => {
        const at = now();
        const who = authenticate(request, at, sigv4);
        return who.ok ? decide(who.permissionSet, who.claims, who.principal, who.region, input, at) : who;
      }),
  };
}

/**
 * The policy decision for a verified session: Gatehouse's context keys (principal, tags, times, MFA,
 * region, source address, transport) over the caller's own. Also used by the simulate endpoint.
 */
export function decide(
  set: CatalogEntry,
  claims: SessionClaims,
  principal: AccessPrincipal,
  region: string,
  input: DecisionInput,
  at: number,
): AccessDecision {
  const context: RequestContext = { ...input.context };
  for (const [key, value] of Object.entries(claims.tags)) context[`aws:PrincipalTag/${key}`] = value;
  context['aws:PrincipalArn'] = principal.arn;
  context['aws:PrincipalAccount'] = claims.accountId;
  context['aws:userid'] = `${claims.permissionSetId}:${claims.userName}`;
  context['aws:username'] = claims.userName;
  context['aws:TokenIssueTime'] = principal.issuedAt;
  context['aws:MultiFactorAuthPresent'] = claims.mfa ? 'true' : 'false';
  context['aws:CurrentTime'] = isoTime(at);
  context['aws:EpochTime'] = String(Math.floor(at / 1000));
  context['aws:RequestedRegion'] = region;
  if (input.sourceIp !== undefined) context['aws:SourceIp'] = input.sourceIp;
  if (input.secureTransport !== undefined)
    context['aws:SecureTransport'] = input.secureTransport ? 'true' : 'false';
  if (claims.sourceIdentity !== undefined) context['aws:SourceIdentity'] = claims.sourceIdentity;
  const evaluation = evaluate(set.policies, {
    principal: principal.arn,
    action: input.action,
    resource: input.resource,
    context,
  });
  const decision: AccessDecision = {
    ok: true,
    allowed: evaluation.decision === 'Allow',
    decision: evaluation.decision,
    principal,
    evaluation,
    explanation: describeDecision(evaluation),
  };
  if (evaluation.matched) decision.statement = evaluation.matched;
  return decision;
}

// Thousands of decisions share each millisecond: the last one's text is kept.
let lastAt = Number.NaN;
let lastIso = '';
function isoTime(at: number): string {
  if (at !== lastAt) {
    lastIso = new Date(at).toISOString();
    lastAt = at;
  }
  return lastIso;
}
