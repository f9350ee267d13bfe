// Portal sessions: the contract the sign-in pages, the portal and the protocol front doors share.
export * from './assurance.ts';
export * from './sessions.ts';
export type * from './types.ts';
