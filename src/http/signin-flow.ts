import type { Context } from 'koa';
import { z } from 'zod';
import { seal, unseal } from '../keys/seal.ts';
import type { Runtime } from '../runtime.ts';
import { clearCookie, readCookie, setCookie } from './cookies.ts';

/**
 * A sign-in in progress between its steps (password done, MFA or a new password to go): sealed
 * with the key ring's sealing key into a short-lived cookie, so nothing is stored for people who
 * never finish. Only a browser that passed the password step holds one; each step re-reads the
 * user, so disabling them mid-way stops the sign-in.
 */
const COOKIE = 'gh_signin';
const AAD = 'gatehouse:signin-flow';
export const FLOW_TTL_MS = 10 * 60 * 1000;

const flowSchema = z.strictObject({
  userId: z.uuid(),
  userName: z.string(),
  returnTo: z.string(),
  amr: z.array(z.string()),
  mfaDone: z.boolean(),
  mustChange: z.boolean(),
  authTime: z.number(),
  expiresAt: z.number(),
  deviceId: z.string().optional(),
});
export type SignInFlow = z.infer<typeof flowSchema>;

export function saveFlow(runtime: Runtime, ctx: Context, flow: SignInFlow): void {
  const key = runtime.keys.sealingKey();
  const sealed = seal(key.key, Buffer.from(JSON.stringify(flow)), AAD);
  setCookie(runtime, ctx, COOKIE, `${key.kid}~${sealed}`, FLOW_TTL_MS);
}

export function readFlow(runtime: Runtime, ctx: Context, now = Date.now()): SignInFlow | undefined {
  const value = readCookie(runtime, ctx, COOKIE);
  const [kid, sealed] = value?.split('~') ?? [];
  const key = kid ? runtime.keys.sealingKeyById(kid) : undefined;
  const opened = key && sealed ? unseal(key.key, sealed, AAD) : undefined;
  if (!opened) return undefined;
  try {
    const flow = flowSchema.parse(JSON.parse(opened.toString('utf8')));
    return flow.expiresAt > now ? flow : undefined;
  } catch {
    return undefined;
  }
}

export function clearFlow(runtime: Runtime, ctx: Context): void {
  clearCookie(runtime, ctx, COOKIE);
}
