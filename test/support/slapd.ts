// Throwaway OpenLDAP server for tests and benchmarks: its own cn=config (slapadd -n0) in a temp
// dir, mdb + memberof/refint/ppolicy/syncprov, ldap:// and ldaps:// on free ports of 127.0.0.1 with
// a throwaway CA. Runs as the current user (root here); stop() kills it and deletes everything.
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { makeCertificates } from './certs.ts';

const run = promisify(execFile);

export const BASE_DN = 'dc=example,dc=org';
export const ADMIN_DN = `cn=admin,${BASE_DN}`;
export const ADMIN_PASSWORD = 'admin-secret';
/** Read-only service account the connector binds as. */
export const SERVICE_DN = `cn=gatehouse,ou=services,${BASE_DN}`;
export const SERVICE_PASSWORD = 'service-secret';
/** Service account with a paged-results total limit of 1,500 entries (size-limit tests). */
export const LIMITED_DN = `cn=limited,ou=services,${BASE_DN}`;
export const LIMITED_PASSWORD = 'limited-secret';
/** Service account that may read at most 10 entries per search, paged or not (partial-result tests). */
export const TINY_DN = `cn=tiny,ou=services,${BASE_DN}`;
export const TINY_PASSWORD = 'tiny-secret';

export interface Slapd {
  url: string;
  ldapsUrl: string;
  caFile: string;
  port: number;
  dir: string;
  /** Runs ldapadd / ldapmodify as the admin with this LDIF on stdin. */
  add(ldif: string): Promise<void>;
  modify(ldif: string): Promise<void>;
  stop(): Promise<void>;
}

export interface SlapdOptions {
  /** LDIF loaded with slapadd before the server starts (fast for big sets; no memberOf). */
  offlineLdif?: string;
  /** LDIF added with ldapadd once the server runs. */
  ldif?: string;
  /** subjectAltName of the server certificate (default IP:127.0.0.1,DNS:localhost). */
  san?: string;
}

export async function startSlapd(opts: SlapdOptions = {}): Promise<Slapd> {
  const dir = await mkdtemp(join(tmpdir(), 'gatehouse-slapd-'));
  let child: ChildProcess | null = null;
  try {
    await mkdir(join(dir, 'slapd.d'));
    await mkdir(join(dir, 'data'));
    const caFile = await makeCertificates(dir, opts.san ?? 'IP:127.0.0.1,DNS:localhost');
    await writeFile(join(dir, 'config.ldif'), configLdif(dir));
    await run('slapadd', ['-n0', '-F', join(dir, 'slapd.d'), '-l', join(dir, 'config.ldif')]);
    await writeFile(join(dir, 'base.ldif'), baseLdif() + (opts.offlineLdif ?? ''));
    await run('slapadd', ['-q', '-n1', '-F', join(dir, 'slapd.d'), '-l', join(dir, 'base.ldif')], {
      maxBuffer: 64 << 20,
    });
    const [port, tlsPort] = await freePorts(2);
    const url = `ldap://127.0.0.1:${port}`;
    const ldapsUrl = `ldaps://127.0.0.1:${tlsPort}`;
    const proc = spawn('slapd', ['-d', '0', '-h', `${url}/ ${ldapsUrl}/`, '-F', join(dir, 'slapd.d')], {
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    child = proc;
    let stderr = '';
    proc.stderr?.on('data', (d: Buffer) => {
      stderr = (stderr + d.toString()).slice(-4000);
    });
    const kill = (): void => {
      proc.kill('SIGKILL');
    };
    process.once('exit', kill);
    await waitForPort(port, proc, () => stderr);
    const env = { ...process.env, LDAPCONF: '/dev/null', LDAPTLS_CACERT: caFile };
    const tool = async (cmd: string, ldif: string): Promise<void> => {
      await writeFile(join(dir, 'input.ldif'), ldif);
      await run(cmd, ['-x', '-H', url, '-D', ADMIN_DN, '-w', ADMIN_PASSWORD, '-f', join(dir, 'input.ldif')], {
        env,
        maxBuffer: 64 << 20,
      });
    };
    const server: Slapd = {
      url,
      ldapsUrl,
      caFile,
      port,
      dir,
      add: (ldif) => tool('ldapadd', ldif),
      modify: (ldif) => tool('ldapmodify', ldif),
      async stop() {
        process.removeListener('exit', kill);
        await stopChild(proc);
        await rm(dir, { recursive: true, force: true });
      },
    };
    if (opts.ldif) await server.add(opts.ldif);
    return server;
  } catch (e) {
    if (child) await stopChild(child);
    await rm(dir, { recursive: true, force: true });
    throw e;
  }
}

async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 3000);
  await exited;
  clearTimeout(timer);
}

export async function freePorts(n: number): Promise<number[]> {
  const servers = await Promise.all(
    Array.from(
      { length: n },
      () =>
        new Promise<net.Server>((resolve, reject) => {
          const s = net.createServer();
          s.once('error', reject);
          s.listen(0, '127.0.0.1', () => resolve(s));
        }),
    ),
  );
  const ports = servers.map((s) => (s.address() as net.AddressInfo).port);
  await Promise.all(servers.map((s) => new Promise((r) => s.close(r))));
  return ports;
}

async function waitForPort(port: number, child: ChildProcess, stderr: () => string): Promise<void> {
  const deadline = Date.now() + 10_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`slapd exited (${child.exitCode}): ${stderr()}`);
    const ok = await new Promise<boolean>((resolve) => {
      const s = net.connect(port, '127.0.0.1');
      s.once('connect', () => {
        s.destroy();
        resolve(true);
      });
      s.once('error', () => resolve(false));
    });
    if (ok) return;
    await new Promise((r) => setTimeout(r, 25));
  }
  throw new Error(`slapd did not listen on ${port}: ${stderr()}`);
}

function configLdif(dir: string): string {
  const schema = ['core', 'cosine', 'nis', 'inetorgperson'];
  return `dn: cn=config
objectClass: olcGlobal
cn: config
olcPidFile: ${dir}/slapd.pid
olcArgsFile: ${dir}/slapd.args
olcTLSCACertificateFile: ${dir}/ca.pem
olcTLSCertificateFile: ${dir}/server.pem
olcTLSCertificateKeyFile: ${dir}/server.key
olcLogLevel: none

dn: cn=module{0},cn=config
objectClass: olcModuleList
cn: module{0}
olcModulePath: /usr/lib/ldap
olcModuleLoad: back_mdb
olcModuleLoad: memberof
olcModuleLoad: refint
olcModuleLoad: ppolicy
olcModuleLoad: syncprov

dn: cn=schema,cn=config
objectClass: olcSchemaConfig
cn: schema

${schema.map((s) => `include: file:///etc/ldap/schema/${s}.ldif`).join('\n\n')}

dn: olcDatabase={-1}frontend,cn=config
objectClass: olcDatabaseConfig
objectClass: olcFrontendConfig
olcDatabase: {-1}frontend
olcSizeLimit: unlimited

dn: olcDatabase={0}config,cn=config
objectClass: olcDatabaseConfig
olcDatabase: {0}config
olcAccess: {0}to * by * none

dn: olcDatabase={1}mdb,cn=config
objectClass: olcDatabaseConfig
objectClass: olcMdbConfig
olcDatabase: {1}mdb
olcDbDirectory: ${dir}/data
olcSuffix: ${BASE_DN}
olcRootDN: ${ADMIN_DN}
olcRootPW: ${ADMIN_PASSWORD}
olcDbMaxSize: 4294967296
olcDbIndex: objectClass eq
olcDbIndex: uid,mail,cn eq,sub
olcDbIndex: member,uniqueMember,memberUid eq
olcDbIndex: entryUUID,entryCSN eq
olcDbIndex: modifyTimestamp eq
olcLimits: {0}dn.exact="${LIMITED_DN}" size.soft=1000 size.hard=1000 size.prtotal=1500
olcLimits: {1}dn.exact="${TINY_DN}" size.soft=10 size.hard=10 size.prtotal=10
olcLimits: {2}* size.soft=unlimited size.hard=unlimited size.prtotal=unlimited
olcAccess: {0}to attrs=userPassword by self =xw by anonymous auth by * none
olcAccess: {1}to * by users read by * none

dn: olcOverlay={0}memberof,olcDatabase={1}mdb,cn=config
objectClass: olcOverlayConfig
objectClass: olcMemberOf
olcOverlay: {0}memberof
olcMemberOfRefInt: TRUE

dn: olcOverlay={1}refint,olcDatabase={1}mdb,cn=config
objectClass: olcOverlayConfig
objectClass: olcRefintConfig
olcOverlay: {1}refint
olcRefintAttribute: member uniqueMember

dn: olcOverlay={2}ppolicy,olcDatabase={1}mdb,cn=config
objectClass: olcOverlayConfig
objectClass: olcPPolicyConfig
olcOverlay: {2}ppolicy
olcPPolicyDefault: cn=default,ou=policies,${BASE_DN}
olcPPolicyUseLockout: TRUE

dn: olcOverlay={3}syncprov,olcDatabase={1}mdb,cn=config
objectClass: olcOverlayConfig
objectClass: olcSyncProvConfig
olcOverlay: {3}syncprov
`;
}

function baseLdif(): string {
  return `dn: ${BASE_DN}
objectClass: dcObject
objectClass: organization
dc: example
o: Example

dn: ou=services,${BASE_DN}
objectClass: organizationalUnit
ou: services

dn: ${SERVICE_DN}
objectClass: organizationalRole
objectClass: simpleSecurityObject
cn: gatehouse
userPassword: ${SERVICE_PASSWORD}

dn: ${LIMITED_DN}
objectClass: organizationalRole
objectClass: simpleSecurityObject
cn: limited
userPassword: ${LIMITED_PASSWORD}

dn: ${TINY_DN}
objectClass: organizationalRole
objectClass: simpleSecurityObject
cn: tiny
userPassword: ${TINY_PASSWORD}

dn: ou=policies,${BASE_DN}
objectClass: organizationalUnit
ou: policies

dn: cn=default,ou=policies,${BASE_DN}
objectClass: organizationalRole
objectClass: pwdPolicy
cn: default
pwdAttribute: userPassword
pwdLockout: TRUE
pwdMaxFailure: 1000

dn: ou=people,${BASE_DN}
objectClass: organizationalUnit
ou: people

dn: ou=groups,${BASE_DN}
objectClass: organizationalUnit
ou: groups

`;
}

/** LDIF for a person under ou=people. */
export function personLdif(uid: string, extra: Record<string, string | string[]> = {}): string {
  const attrs: Record<string, string | string[]> = {
    objectClass: ['inetOrgPerson'],
    uid,
    cn: uid,
    sn: uid,
    givenName: uid,
    mail: `${uid}@example.org`,
    userPassword: `${uid}-password`,
    ...extra,
  };
  return toLdif(`uid=${uid},ou=people,${BASE_DN}`, attrs);
}

/** LDIF for a groupOfNames under ou=groups (member DNs as given). */
export function groupLdif(cn: string, members: string[]): string {
  return toLdif(`cn=${cn},ou=groups,${BASE_DN}`, {
    objectClass: ['groupOfNames'],
    cn,
    // groupOfNames needs at least one member.
    member: members.length > 0 ? members : [`cn=nobody,${BASE_DN}`],
  });
}

export const userDn = (uid: string): string => `uid=${uid},ou=people,${BASE_DN}`;
export const groupDn = (cn: string): string => `cn=${cn},ou=groups,${BASE_DN}`;

type LdifValue = string | Buffer;

export function toLdif(dn: string, attrs: Record<string, LdifValue | LdifValue[]>): string {
  const lines = [line('dn', dn)];
  for (const [k, v] of Object.entries(attrs)) {
    for (const x of Array.isArray(v) ? v : [v]) lines.push(line(k, x));
  }
  return `${lines.join('\n')}\n\n`;
}

function line(attr: string, value: LdifValue): string {
  // Base64 binary values and anything that is not plain printable ASCII (RFC 2849 SAFE-STRING).
  if (Buffer.isBuffer(value)) return `${attr}:: ${value.toString('base64')}`;
  const printable = [...value].every((c) => c >= ' ' && c <= '~');
  const safe = printable && !/^[ :<]/.test(value) && !value.endsWith(' ');
  return safe ? `${attr}: ${value}` : `${attr}:: ${Buffer.from(value, 'utf8').toString('base64')}`;
}

/** N users (user00001…) and M groups (group0001…) with members spread round-robin, for benchmarks. */
export function bulkLdif(users: number, groups: number, membersPerGroup = 20): string {
  const out: string[] = [];
  const pad = (n: number, w: number) => String(n).padStart(w, '0');
  for (let i = 1; i <= users; i++)
    out.push(personLdif(`user${pad(i, 6)}`, { userPassword: 'bench-password' }));
  for (let j = 1; j <= groups; j++) {
    const members: string[] = [];
    for (let k = 0; k < membersPerGroup; k++)
      members.push(userDn(`user${pad(((j * membersPerGroup + k) % users) + 1, 6)}`));
    out.push(groupLdif(`group${pad(j, 5)}`, members));
  }
  return out.join('');
}
