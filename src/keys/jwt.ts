import { verify } from 'node:crypto';
import { z } from 'zod';
import { GatehouseError } from '../errors.ts';
import type { KeyRing, SigningAlg } from './keyring.ts';

// Verifies a JWT that Gatehouse signed (its OpenID provider's ID tokens) against the key ring's
// verification keys: the header's key id must name a key of the header's algorithm, so a token
// cannot pick its own algorithm ("none", HS256 with a public key as secret).

const headerSchema = z.object({ alg: z.enum(['ES256', 'RS256', 'EdDSA']), kid: z.string().min(1).max(128) });
const claimsSchema = z.looseObject({
  iss: z.string(),
  sub: z.string().min(1),
  aud: z.union([z.string(), z.array(z.string()).min(1)]),
  exp: z.number(),
  iat: z.number().optional(),
  nbf: z.number().optional(),
  amr: z.array(z.string()).optional(),
  azp: z.string().optional(),
});
export type JwtClaims = z.infer<typeof claimsSchema>;

const invalid = (message: string) => new GatehouseError('unauthenticated', 'jwt.invalid', message);

function decodePart(part: string): unknown {
  try {
    return JSON.parse(Buffer.from(part, 'base64url').toString('utf8'));
  } catch {
    return undefined;
  }
}

/** Clock leeway for `exp`/`nbf` between nodes. */
const LEEWAY_SECONDS = 30;

/**
 * The claims of a token signed by one of the ring's keys and issued by `issuer`; `jwt.invalid` for
 * anything else, `jwt.expired` for a good token past its `exp`.
 */
export function verifyJwt(keys: KeyRing, token: string, issuer: string, now = Date.now()): JwtClaims {
  if (token.length > 16_384) throw invalid('token too long');
  const parts = token.split('.');
  if (parts.length !== 3) throw invalid('not a signed JWT');
  const header = headerSchema.safeParse(decodePart(parts[0]!));
  if (!header.success) throw invalid('unsupported JWT header');
  const alg: SigningAlg = header.data.alg;
  const key = keys.verificationKeys(alg).find((k) => k.kid === header.data.kid);
  if (!key) throw invalid('signed by an unknown key');
  const data = Buffer.from(`${parts[0]}.${parts[1]}`);
  const signature = Buffer.from(parts[2]!, 'base64url');
  const ok =
    alg === 'ES256'
      ? verify('sha256', data, { key: key.publicKey, dsaEncoding: 'ieee-p1363' }, signature)
      : verify(alg === 'RS256' ? 'sha256' : null, data, key.publicKey, signature);
  if (!ok) throw invalid('bad signature');
  const claims = claimsSchema.safeParse(decodePart(parts[1]!));
  if (!claims.success) throw invalid('malformed claims');
  if (claims.data.iss !== issuer) throw invalid('issued by someone else');
  const seconds = now / 1000;
  if (claims.data.nbf !== undefined && claims.data.nbf > seconds + LEEWAY_SECONDS)
    throw invalid('not yet valid');
  if (claims.data.exp <= seconds - LEEWAY_SECONDS)
    throw new GatehouseError('unauthenticated', 'jwt.expired', 'token expired');
  return claims.data;
}
