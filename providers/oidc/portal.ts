// The portal's sessions, CSRF tokens and page helpers, as the OpenID provider uses them: the
// portal session is the one place a person is signed in.
export { csrfToken, readCheckedForm } from '../../src/http/csrf.ts';
export { seeOther, sendPage } from '../../src/http/page.ts';
export { currentSession, endSession } from '../../src/http/portal-session.ts';
export type { PortalSession } from '../../src/sessions/types.ts';
