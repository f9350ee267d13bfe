import { createAccount } from '../../../src/access/accounts.ts';
import { createAssignment } from '../../../src/access/assignments.ts';
import { createPermissionSet } from '../../../src/access/permission-sets.ts';
import { runCli } from '../../../src/cli.ts';
import type { User } from '../../../src/directory/users.ts';
import type { Db } from '../../../src/store/db.ts';
import {
  type CookieJar,
  completeSignIn,
  createPasswordUser,
  hidden,
  postForm,
} from '../../support/signin.ts';

export const PASSWORD = 'correct horse battery staple 42';
const admin = { actor: 'test' };

/** alice holds Developer in "production"; bob holds nothing. */
export async function seedAws(db: Db) {
  const alice = await createPasswordUser(db, 'alice', PASSWORD, { email: 'alice@example.com' });
  const bob = await createPasswordUser(db, 'bob', PASSWORD);
  const { account, developer } = await db.transaction(async (tx) => {
    const account = await createAccount(tx, admin, {
      id: '111122223333',
      name: 'production',
      email: 'aws-prod@example.com',
    });
    const developer = await createPermissionSet(tx, admin, {
      name: 'Developer',
      sessionDuration: 'PT1H',
      inlinePolicy: {
        Version: '2012-10-17',
        Statement: [{ Effect: 'Allow', Action: 'sts:GetCallerIdentity', Resource: '*' }],
      },
    });
    await createPermissionSet(tx, admin, { name: 'Admin', sessionDuration: 'PT1H' });
    await createAssignment(tx, admin, {
      accountId: account.id,
      permissionSetId: developer.id,
      userId: alice.id,
    });
    return { account, developer };
  });
  return { alice, bob, account, developer };
}

/**
 * The person's side of a device login, on the pages: open the verification page, type the code,
 * confirm, then (signed in already through `jar`) allow or deny the application on the consent
 * page. Returns the last page's text.
 */
export async function approveDevice(
  jar: CookieJar,
  verificationUri: string,
  userCode: string,
  options: {
    decision?: 'allow' | 'deny';
    user?: { userName: string; password: string; totpSecret?: string };
  } = {},
): Promise<string> {
  const input = await jar.fetch(verificationUri);
  const inputPage = await input.text();
  if (input.status !== 200) throw new Error(`device page answered ${input.status}`);
  const confirm = await postForm(jar, verificationUri, {
    xsrf: hidden(inputPage, 'xsrf')!,
    user_code: userCode,
  });
  const confirmPage = await confirm.text();
  if (!confirmPage.includes(userCode)) throw new Error(`confirmation page did not show ${userCode}`);
  const action = /action="([^"]+)"/.exec(confirmPage)![1]!.replace(/&amp;/g, '&');
  const response = await postForm(jar, new URL(action, verificationUri).href, {
    xsrf: hidden(confirmPage, 'xsrf')!,
    user_code: userCode,
    confirm: 'yes',
  });
  return (await follow(jar, response, verificationUri, options)).page ?? '';
}

/**
 * Follows a browser's way from a response: redirects, the sign-in pages when asked, the consent
 * page (allow or deny), pages that move on by themselves; stops at a URL starting with `stopAt`
 * (its location is returned) or at a page that asks for nothing (its text is returned).
 */
export async function follow(
  jar: CookieJar,
  first: Response,
  from: string,
  options: {
    decision?: 'allow' | 'deny';
    user?: { userName: string; password: string; totpSecret?: string };
    stopAt?: string;
  } = {},
): Promise<{ location?: string; page?: string }> {
  let response = first;
  let location = from;
  for (let hops = 0; hops < 20; hops++) {
    if (response.status >= 300 && response.status < 400) {
      location = new URL(response.headers.get('location')!, location).href;
      if (options.stopAt && location.startsWith(options.stopAt)) return { location };
      if (new URL(location).pathname === '/signin') {
        if (!options.user) throw new Error('sign-in asked for');
        const done = await completeSignIn(jar, location, options.user);
        location = new URL(done.location, location).href;
      }
      response = await jar.fetch(location);
      continue;
    }
    const body = await response.text();
    const consent = /<form method="post" action="([^"]+\/confirm)">/.exec(body);
    if (response.status === 200 && consent) {
      response = await postForm(jar, new URL(consent[1]!, location).href, {
        csrf: hidden(body, 'csrf')!,
        decision: options.decision ?? 'allow',
      });
      continue;
    }
    const onward = /http-equiv="refresh" content="0;\s*url=([^"]+)"/i.exec(body);
    if (response.status === 200 && onward) {
      location = new URL(onward[1]!.replace(/&amp;/g, '&'), location).href;
      if (options.stopAt && location.startsWith(options.stopAt)) return { location };
      response = await jar.fetch(location);
      continue;
    }
    return { page: body };
  }
  throw new Error('too many redirects');
}

export type Seeded = Awaited<ReturnType<typeof seedAws>> & { alice: User };

/** Runs a CLI command in-process with GATEHOUSE_HOME; `onStderr` sees each line as it is written. */
export async function runGatehouse(home: string, args: string[], onStderr?: (line: string) => void) {
  const out: string[] = [];
  const err: string[] = [];
  const code = await runCli(
    args,
    {
      stdout: (text) => out.push(text),
      stderr: (text) => {
        err.push(text);
        onStderr?.(text);
      },
      env: { GATEHOUSE_HOME: home },
      cwd: home,
    },
    new Promise<void>(() => {}),
  );
  return { code, stdout: out.join('\n'), stderr: err.join('\n') };
}

/** `gatehouse login`, the person approving the code it shows through the pages (signed in via `jar`). */
export async function gatehouseLogin(home: string, url: string, jar: CookieJar) {
  let approval: Promise<string> | undefined;
  const result = await runGatehouse(home, ['login', '--url', url], (line) => {
    const code = /code: ([A-Z]{4}-[A-Z]{4})/.exec(line)?.[1];
    const page = /open (\S+)/.exec(line)?.[1];
    if (code && page) approval = approveDevice(jar, page.replace(/\?.*/, ''), code);
  });
  const done = await approval;
  if (!done?.includes('Device connected')) throw new Error(`device approval failed: ${result.stderr}`);
  return result;
}
