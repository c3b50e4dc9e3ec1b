// `infra/postgres/init-roles.sh` is what docker-compose's Postgres runs on a new data directory.
// No Docker engine runs here, so the script runs as the image's entrypoint would run it — `psql` as
// POSTGRES_USER over the local socket of a fresh cluster — against a throwaway cluster (initdb into
// a temp directory, started on a free loopback port, as Debian's `postgres` user when root), and the
// grants it leaves are compared with those `tools/stack/start.sh` gave the running stack: one query
// reads both. Every process started here is stopped by its pid.
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmodSync, chownSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Client } from 'pg';
import { freeLoopbackPort } from '@phoenix/common/testing';

const ROOT = path.resolve(__dirname, '../..');
const ROLES = ['phoenix_identity', 'phoenix_network'] as const;
// Every database a role could connect to on a fresh cluster (template0 allows no connections).
const DATABASES = ['postgres', 'template1', 'phoenix_identity', 'phoenix_network'] as const;
const PRIVILEGES = ['CONNECT', 'TEMPORARY', 'CREATE'] as const;

interface Grants {
  /** Attributes and memberships of each side's role. */
  roles: Record<string, { login: boolean; superuser: boolean; createdb: boolean; createrole: boolean; replication: boolean; bypassrls: boolean; memberOf: string[] }>;
  /** Per database: its owner, and which of PUBLIC and the two roles hold each privilege. */
  databases: Record<string, { owner: string } & Record<(typeof PRIVILEGES)[number], string[]>>;
}

/** The grants that keep the two sides apart, read through an administrator's connection. */
async function grantsOf(adminUrl: string): Promise<Grants> {
  const pg = new Client({ connectionString: adminUrl, connectionTimeoutMillis: 5000 });
  await pg.connect();
  try {
    const roles = await pg.query<{ rolname: string; rolcanlogin: boolean; rolsuper: boolean; rolcreatedb: boolean; rolcreaterole: boolean; rolreplication: boolean; rolbypassrls: boolean; member_of: string[] }>(
      `SELECT r.rolname, r.rolcanlogin, r.rolsuper, r.rolcreatedb, r.rolcreaterole, r.rolreplication, r.rolbypassrls,
              ARRAY(SELECT g.rolname FROM pg_auth_members m JOIN pg_roles g ON g.oid = m.roleid WHERE m.member = r.oid ORDER BY 1)::text[] AS member_of
       FROM pg_roles r WHERE r.rolname = ANY($1) ORDER BY 1`,
      [ROLES],
    );
    const privileges = await pg.query<{ datname: string; owner: string; grantee: string; privilege: (typeof PRIVILEGES)[number]; held: boolean }>(
      `SELECT d.datname, pg_get_userbyid(d.datdba) AS owner, g.grantee, p.privilege, has_database_privilege(g.grantee, d.oid, p.privilege) AS held
       FROM pg_database d, unnest($2::text[]) AS g(grantee), unnest($3::text[]) AS p(privilege)
       WHERE d.datname = ANY($1) ORDER BY 1, 3, 4`,
      [DATABASES, ['public', ...ROLES], PRIVILEGES],
    );
    const grants: Grants = { roles: {}, databases: {} };
    for (const r of roles.rows) {
      grants.roles[r.rolname] = {
        login: r.rolcanlogin,
        superuser: r.rolsuper,
        createdb: r.rolcreatedb,
        createrole: r.rolcreaterole,
        replication: r.rolreplication,
        bypassrls: r.rolbypassrls,
        memberOf: r.member_of,
      };
    }
    for (const p of privileges.rows) {
      const db = (grants.databases[p.datname] ??= { owner: p.owner, CONNECT: [], TEMPORARY: [], CREATE: [] });
      if (p.held) db[p.privilege].push(p.grantee);
    }
    return grants;
  } finally {
    await pg.end();
  }
}

/** The databases `role` can open a session on, logging in over TCP with its password. */
async function connectable(host: string, port: number, role: string, password: string): Promise<string[]> {
  const ok: string[] = [];
  for (const database of DATABASES) {
    const pg = new Client({ host, port, user: role, password, database, connectionTimeoutMillis: 5000 });
    try {
      await pg.connect();
      ok.push(database);
    } catch (e) {
      // Only a refusal by grants counts as "cannot connect": anything else fails the test.
      if (!/permission denied for database|does not have CONNECT privilege/.test((e as Error).message)) throw e;
    } finally {
      await pg.end().catch(() => undefined);
    }
  }
  return ok;
}

function pgBin(): string {
  const base = '/usr/lib/postgresql';
  const versions = existsSync(base) ? readdirSync(base).filter((v) => /^\d+$/.test(v)).sort((a, b) => Number(a) - Number(b)) : [];
  if (!versions.length) throw new Error('PostgreSQL server binaries are missing (apt-get install postgresql): this test never skips');
  return path.join(base, versions[versions.length - 1]!, 'bin');
}

interface Cluster {
  port: number;
  dir: string;
  adminUrl: string;
  stop: () => Promise<void>;
}

/** A fresh cluster in a temp directory, like the image's: local trust, host scram-sha-256. */
async function throwawayCluster(adminPassword: string): Promise<Cluster> {
  const bin = pgBin();
  const root = process.getuid?.() === 0;
  // Postgres refuses to run as root: as root, run it as Debian's `postgres` user.
  const ids = root ? { uid: Number(execFileSync('id', ['-u', 'postgres'], { encoding: 'utf8' })), gid: Number(execFileSync('id', ['-g', 'postgres'], { encoding: 'utf8' })) } : null;
  const asPg = (cmd: string, args: string[]) => execFileSync(root ? 'runuser' : cmd, root ? ['-u', 'postgres', '--', cmd, ...args] : args, { stdio: 'pipe', timeout: 90_000 });
  const dir = mkdtempSync(path.join(tmpdir(), 'phx-init-roles-'));
  chmodSync(dir, 0o700);
  const pwfile = path.join(dir, 'pw');
  writeFileSync(pwfile, `${adminPassword}\n`, { mode: 0o600 });
  if (ids) {
    chownSync(dir, ids.uid, ids.gid);
    chownSync(pwfile, ids.uid, ids.gid);
  }
  let pid = 0;
  const stop = async () => {
    if (pid) {
      try {
        process.kill(pid, 'SIGINT'); // fast shutdown
        for (let i = 0; i < 100; i++) {
          process.kill(pid, 0);
          await new Promise((r) => setTimeout(r, 100));
        }
        process.kill(pid, 'SIGKILL');
      } catch {
        // gone
      }
    }
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    asPg(path.join(bin, 'initdb'), ['-D', path.join(dir, 'data'), '-U', 'postgres', `--pwfile=${pwfile}`, '--auth-local=trust', '--auth-host=scram-sha-256', '-E', 'UTF8', '--locale=C.UTF-8']);
    const port = await freeLoopbackPort();
    asPg(path.join(bin, 'pg_ctl'), ['-D', path.join(dir, 'data'), '-l', path.join(dir, 'postgres.log'), '-w', '-t', '60', '-o', `-p ${port} -k ${dir} -c listen_addresses=127.0.0.1`, 'start']);
    pid = Number(readFileSync(path.join(dir, 'data', 'postmaster.pid'), 'utf8').split('\n')[0]);
    return { port, dir, adminUrl: `postgres://postgres:${adminPassword}@127.0.0.1:${port}/postgres`, stop };
  } catch (e) {
    await stop();
    throw e;
  }
}

const EXPECTED_CONNECT = { phoenix_identity: ['phoenix_identity'], phoenix_network: ['phoenix_network'] };

describe('infra/postgres/init-roles.sh (the docker-compose path)', () => {
  let cluster: Cluster | undefined;
  const passwords = { phoenix_identity: `id-${randomBytes(9).toString('hex')}`, phoenix_network: `net-${randomBytes(9).toString('hex')}` };

  beforeAll(async () => {
    cluster = await throwawayCluster(randomBytes(12).toString('hex'));
    // As the image's entrypoint runs it: POSTGRES_USER, the compose file's password variables, psql
    // on the cluster's local socket.
    execFileSync('sh', [path.join(ROOT, 'infra/postgres/init-roles.sh')], {
      env: { PATH: process.env.PATH, POSTGRES_USER: 'postgres', IDENTITY_DB_PASSWORD: passwords.phoenix_identity, NETWORK_DB_PASSWORD: passwords.phoenix_network, PGHOST: cluster.dir, PGPORT: String(cluster.port) },
      stdio: 'pipe',
      timeout: 60_000,
    });
  }, 120_000);
  afterAll(async () => {
    await cluster?.stop();
  });

  it('lets each role connect to its own database only (over TCP, with its password)', async () => {
    for (const role of ROLES) expect({ role, can: await connectable('127.0.0.1', cluster!.port, role, passwords[role]) }).toEqual({ role, can: EXPECTED_CONNECT[role] });
  });

  it('revokes CONNECT from PUBLIC everywhere and gives the roles no superuser, createdb or createrole', async () => {
    const g = await grantsOf(cluster!.adminUrl);
    for (const db of DATABASES) expect({ db, connect: g.databases[db]!.CONNECT }).toEqual({ db, connect: db.startsWith('phoenix_') ? [db] : [] });
    for (const role of ROLES) {
      expect(g.roles[role]).toEqual({ login: true, superuser: false, createdb: false, createrole: false, replication: false, bypassrls: false, memberOf: [] });
      expect(g.databases[role]!.owner).toBe(role);
    }
  });

  it('leaves the same grants as tools/stack/start.sh gave the running stack, and the stack’s roles connect as narrowly', async () => {
    expect(await grantsOf(cluster!.adminUrl)).toEqual(await grantsOf(process.env.PHOENIX_PG_ADMIN_URL!));
    const stackPg = new URL(process.env.IDENTITY_DATABASE_URL!);
    for (const [role, url] of [
      ['phoenix_identity', process.env.IDENTITY_DATABASE_URL!],
      ['phoenix_network', process.env.NETWORK_DATABASE_URL!],
    ] as const) {
      const u = new URL(url);
      expect(decodeURIComponent(u.username)).toBe(role);
      expect({ role, can: await connectable(stackPg.hostname, Number(stackPg.port), role, decodeURIComponent(u.password)) }).toEqual({ role, can: EXPECTED_CONNECT[role] });
    }
  });
});
