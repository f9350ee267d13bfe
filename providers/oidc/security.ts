import type { Context } from 'koa';

/**
 * The response's Content-Security-Policy without `form-action`. Pages whose forms lead, through
 * redirects, to an application's redirect URI (consent, the provider's logout and device pages,
 * form_post) cannot name every registered redirect origin; browsers check `form-action` on each
 * redirect of a form submission. Everything else of the strict policy stays.
 */
export function withoutFormAction(ctx: Context): string {
  const csp = String(ctx.res.getHeader('Content-Security-Policy') ?? "default-src 'none'");
  let relaxed = relaxedPolicies.get(csp);
  if (relaxed === undefined) {
    relaxed = csp
      .split(';')
      .map((d) => d.trim())
      .filter((d) => d && !d.startsWith('form-action'))
      .join('; ');
    // Policies are fixed strings (a handful): every /oidc request would otherwise split one.
    if (relaxedPolicies.size < 16) relaxedPolicies.set(csp, relaxed);
  }
  return relaxed;
}

const relaxedPolicies = new Map<string, string>();
