// The portal's access page: a user's accounts → permission sets, and "get credentials" shown as
// environment variables, an ~/.aws/credentials block and a credential_process profile. Pure
// functions of data the portal already fetched (effectiveAccess, an issue); the coordinator's
// portal route wires them in. No script: each permission set is a small POST form.
import { type Html, html } from './html.ts';
import { page } from './layout.ts';

export interface AccessEntry {
  accountId: string;
  accountName: string;
  permissionSetId: string;
  permissionSetName: string;
  sessionDuration: string;
}

export interface AccessPageView {
  userName: string;
  access: readonly AccessEntry[];
  csrf: string;
  /** Where the "get credentials" forms post (account and permission set ids go along). */
  action: string;
}

export interface CredentialsView {
  accountId: string;
  accountName: string;
  permissionSetName: string;
  credentials: { AccessKeyId: string; SecretAccessKey: string; SessionToken: string; Expiration: string };
  /** Public base URL, for the credential_process helper's --url. */
  url: string;
  region?: string;
}

/** Accounts, each with the permission sets the user holds in it, in the order given. */
export function groupByAccount(access: readonly AccessEntry[]) {
  const accounts = new Map<string, { accountId: string; accountName: string; sets: AccessEntry[] }>();
  for (const entry of access) {
    let account = accounts.get(entry.accountId);
    if (!account) {
      account = { accountId: entry.accountId, accountName: entry.accountName, sets: [] };
      accounts.set(entry.accountId, account);
    }
    account.sets.push(entry);
  }
  return [...accounts.values()];
}

export function accessPage(view: AccessPageView): string {
  const accounts = groupByAccount(view.access);
  const body: Html =
    accounts.length === 0
      ? html`<p>You have no access to any account yet. An administrator assigns permission sets to you or your groups.</p>`
      : html`<p>Signed in as <strong>${view.userName}</strong>.</p>
<ul class="accounts">${accounts.map(
          (account) => html`<li><h2>${account.accountName} <small>${account.accountId}</small></h2>
<ul class="permission-sets">${account.sets.map(
            (set) => html`<li><form method="post" action="${view.action}">
<input type="hidden" name="csrf" value="${view.csrf}">
<input type="hidden" name="accountId" value="${set.accountId}">
<input type="hidden" name="permissionSetId" value="${set.permissionSetId}">
<span>${set.permissionSetName}</span> <small>sessions of ${set.sessionDuration}</small>
<button type="submit">Get credentials</button>
</form></li>`,
          )}</ul></li>`,
        )}</ul>`;
  return page({ title: 'Your accounts', body });
}

/** A profile name from the account and permission set: letters, digits, `-` and `_` only. */
export function profileName(accountName: string, permissionSetName: string): string {
  const clean = (text: string) => text.replace(/[^A-Za-z0-9_-]+/g, '-').replace(/^-+|-+$/g, '');
  return `${clean(accountName) || 'account'}-${clean(permissionSetName) || 'role'}`;
}

/** POSIX shell single quotes: the value cannot end the quoting or expand. */
const shellQuote = (value: string) => `'${value.replace(/'/g, `'\\''`)}'`;

/** The three text forms of a credential, ready to copy. */
export function credentialTexts(view: CredentialsView): { env: string; file: string; process: string } {
  const c = view.credentials;
  const profile = profileName(view.accountName, view.permissionSetName);
  const region = view.region ? [`AWS_REGION=${shellQuote(view.region)}`] : [];
  const env = [
    `export AWS_ACCESS_KEY_ID=${shellQuote(c.AccessKeyId)}`,
    `export AWS_SECRET_ACCESS_KEY=${shellQuote(c.SecretAccessKey)}`,
    `export AWS_SESSION_TOKEN=${shellQuote(c.SessionToken)}`,
    ...region.map((r) => `export ${r}`),
  ].join('\n');
  // INI values are taken to the end of the line: the token and secret have no newlines.
  const file = [
    `[${profile}]`,
    `aws_access_key_id = ${c.AccessKeyId}`,
    `aws_secret_access_key = ${c.SecretAccessKey}`,
    `aws_session_token = ${c.SessionToken}`,
    ...(view.region ? [`region = ${view.region}`] : []),
  ].join('\n');
  const processProfile = [
    `[profile ${profile}]`,
    `credential_process = gatehouse credentials --url ${view.url} --account ${view.accountId} --role ${view.permissionSetName}`,
    ...(view.region ? [`region = ${view.region}`] : []),
  ].join('\n');
  return { env, file, process: processProfile };
}

export function credentialsPage(view: CredentialsView): string {
  const texts = credentialTexts(view);
  return page({
    title: `${view.accountName} · ${view.permissionSetName}`,
    body: html`<p>Valid until <time datetime="${view.credentials.Expiration}">${view.credentials.Expiration}</time>. Treat them like a password.</p>
<h2>Environment variables</h2>
<pre class="secret">${texts.env}</pre>
<h2>In <code>~/.aws/credentials</code></h2>
<pre class="secret">${texts.file}</pre>
<h2>Or let the AWS CLI fetch them (<code>~/.aws/config</code>)</h2>
<pre>${texts.process}</pre>
<p class="hint">The <code>credential_process</code> profile runs <code>gatehouse credentials</code>, which signs in once by device login and renews the credentials when they expire.</p>`,
  });
}
