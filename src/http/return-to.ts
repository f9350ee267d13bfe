/**
 * Where to send the browser after signing in: only a path on this server. It must begin with
 * exactly one `/` (`//host` and `/\host` are other hosts to a browser), hold no backslash, no
 * control character or space, and stay short. Anything else becomes `/`: no open redirects.
 */
export function safeReturnTo(value: unknown): string {
  if (typeof value !== 'string' || value.length > 2048) return '/';
  if (!value.startsWith('/') || value[1] === '/' || value[1] === '\\') return '/';
  // biome-ignore lint/suspicious/noControlCharactersInRegex: refusing control characters is the point
  if (/[\\\u0000-\u0020\u007f-\u009f]/.test(value)) return '/';
  return value;
}
