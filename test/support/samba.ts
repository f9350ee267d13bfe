// Throwaway Samba Active Directory domain controller for tests. Samba's ports are fixed
// (389, 636, 88, …): one instance per machine, so tests using it must not run in parallel with
// each other. Provisioned fresh in a temp dir (~6 s), with our own certificate for LDAPS
// (Samba's generated one has no subject alternative names). Needs root and the Debian packages
// samba samba-ad-dc samba-ad-provision winbind krb5-user.
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { chmod, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { makeCertificates } from './certs.ts';
import { toLdif } from './slapd.ts';

const run = promisify(execFile);

export const AD_REALM = 'CORP.EXAMPLE';
export const AD_BASE_DN = 'DC=corp,DC=example';
export const AD_ADMIN_DN = `CN=Administrator,CN=Users,${AD_BASE_DN}`;
export const AD_ADMIN_PASSWORD = 'Adm1n-Passw0rd!';
export const AD_PEOPLE = `OU=People,${AD_BASE_DN}`;
export const AD_GROUPS = `OU=Groups,${AD_BASE_DN}`;

export interface Samba {
  url: string;
  ldapsUrl: string;
  caFile: string;
  dir: string;
  /** ldapadd / ldapmodify over LDAPS as Administrator (passwords need an encrypted connection). */
  add(ldif: string): Promise<void>;
  modify(ldif: string): Promise<void>;
  stop(): Promise<void>;
}

/** Whether this machine can run the fixture (packages installed, root, port 389 free). */
export async function sambaAvailable(): Promise<string | null> {
  if (!existsSync('/usr/sbin/samba') || !existsSync('/usr/share/samba/setup'))
    return 'samba / samba-ad-provision not installed';
  if (process.getuid?.() !== 0) return 'needs root';
  if (await listening(389)) return 'port 389 is in use';
  return null;
}

export async function startSamba(): Promise<Samba> {
  const reason = await sambaAvailable();
  if (reason) throw new Error(`cannot start Samba AD: ${reason}`);
  const dir = await mkdtemp(join(tmpdir(), 'gatehouse-samba-'));
  let child: ChildProcess | null = null;
  try {
    const caFile = await makeCertificates(dir, 'IP:127.0.0.1,DNS:localhost,DNS:dc1.corp.example');
    await chmod(join(dir, 'server.key'), 0o600);
    await run('samba-tool', [
      'domain',
      'provision',
      `--targetdir=${join(dir, 'dc')}`,
      `--realm=${AD_REALM}`,
      '--domain=CORP',
      '--server-role=dc',
      '--dns-backend=NONE',
      `--adminpass=${AD_ADMIN_PASSWORD}`,
      '--host-name=dc1',
      '--use-rfc2307',
      '--option=interfaces=127.0.0.1',
      '--option=bind interfaces only=yes',
    ]);
    const conf = join(dir, 'dc', 'etc', 'smb.conf');
    const text = (await readFile(conf, 'utf8')).replace(
      /\[global\]\n/,
      `[global]
\tldap server require strong auth = no
\tserver services = ldap, cldap, kdc
\ttls enabled = yes
\ttls keyfile = ${join(dir, 'server.key')}
\ttls certfile = ${join(dir, 'server.pem')}
\ttls cafile = ${caFile}
\tlog file = ${join(dir, 'log.%m')}
`,
    );
    await writeFile(
      conf,
      text.replace(/^\tserver services = s3fs.*\n/m, '').replace(/^\tlog file = \/var.*\n/m, ''),
    );
    // Short passwords in fixtures; lockout after 3 failures for the lockout test.
    await run('samba-tool', [
      'domain',
      'passwordsettings',
      'set',
      '-s',
      conf,
      `-H`,
      join(dir, 'dc', 'private', 'sam.ldb'),
      '--complexity=off',
      '--min-pwd-length=4',
      '--min-pwd-age=0',
      '--account-lockout-threshold=3',
      '--account-lockout-duration=10',
      '--reset-account-lockout-after=10',
    ]);
    const proc = spawn('samba', ['-i', '-M', 'single', '-s', conf], { stdio: ['ignore', 'ignore', 'pipe'] });
    child = proc;
    let stderr = '';
    proc.stderr?.on('data', (d: Buffer) => {
      stderr = (stderr + d.toString()).slice(-4000);
    });
    const kill = (): void => {
      proc.kill('SIGKILL');
    };
    process.once('exit', kill);
    await waitFor(636, proc, () => stderr);
    const env = { ...process.env, LDAPCONF: '/dev/null', LDAPTLS_CACERT: caFile };
    const ldapsUrl = 'ldaps://127.0.0.1:636';
    const tool = async (cmd: string, ldif: string): Promise<void> => {
      await writeFile(join(dir, 'input.ldif'), ldif);
      await run(
        cmd,
        ['-x', '-H', ldapsUrl, '-D', AD_ADMIN_DN, '-w', AD_ADMIN_PASSWORD, '-f', join(dir, 'input.ldif')],
        {
          env,
        },
      );
    };
    const samba: Samba = {
      url: 'ldap://127.0.0.1:389',
      ldapsUrl,
      caFile,
      dir,
      add: (ldif) => tool('ldapadd', ldif),
      modify: (ldif) => tool('ldapmodify', ldif),
      async stop() {
        process.removeListener('exit', kill);
        await stopChild(proc);
        await rm(dir, { recursive: true, force: true });
      },
    };
    await samba.add(
      toLdif(AD_PEOPLE, { objectClass: 'organizationalUnit', ou: 'People' }) +
        toLdif(AD_GROUPS, { objectClass: 'organizationalUnit', ou: 'Groups' }),
    );
    return samba;
  } catch (e) {
    if (child) await stopChild(child);
    await rm(dir, { recursive: true, force: true });
    throw e;
  }
}

/** An enabled AD user under OU=People with a password (uid-password unless given). */
export function adUserLdif(
  name: string,
  extra: Record<string, string | string[]> = {},
  password = `${name}-Passw0rd`,
): string {
  return toLdif(`CN=${name},${AD_PEOPLE}`, {
    objectClass: 'user',
    cn: name,
    sAMAccountName: name,
    userPrincipalName: `${name}@corp.example`,
    givenName: name,
    sn: 'Tester',
    displayName: `${name} Tester`,
    mail: `${name}@corp.example`,
    unicodePwd: unicodePwd(password),
    userAccountControl: '512',
    ...extra,
  });
}

export function adGroupLdif(name: string, members: string[]): string {
  return toLdif(`CN=${name},${AD_GROUPS}`, {
    objectClass: 'group',
    cn: name,
    sAMAccountName: name,
    ...(members.length > 0 ? { member: members } : {}),
  });
}

export const adUserDn = (name: string): string => `CN=${name},${AD_PEOPLE}`;
export const adGroupDn = (name: string): string => `CN=${name},${AD_GROUPS}`;

/** AD's password attribute: the quoted password in UTF-16LE. */
function unicodePwd(password: string): Buffer {
  return Buffer.from(`"${password}"`, 'utf16le');
}

async function listening(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = net.connect(port, '127.0.0.1');
    s.once('connect', () => {
      s.destroy();
      resolve(true);
    });
    s.once('error', () => resolve(false));
  });
}

async function waitFor(port: number, child: ChildProcess, stderr: () => string): Promise<void> {
  const deadline = Date.now() + 30_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`samba exited (${child.exitCode}): ${stderr()}`);
    if (await listening(port)) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`samba did not listen on ${port}: ${stderr()}`);
}

async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
  await exited;
  clearTimeout(timer);
}
