import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { ClickHouseError } from '@clickhouse/client';
import { clickHouseErrorCode, readClickHouseMigrations, splitStatements, substituteVariables } from './clickhouse';
import { withDatabase } from './postgres';

describe('clickHouseErrorCode', () => {
  it('reads the code of an error the client parsed (current servers)', () => {
    expect(clickHouseErrorCode(new ClickHouseError({ message: 'Table default.t does not exist', code: '60', type: 'UNKNOWN_TABLE' }))).toBe('60');
  });

  it("reads it from ClickHouse 18.16's text, which the client leaves unparsed", () => {
    expect(clickHouseErrorCode(new Error("Code: 60, e.displayText() = DB::Exception: Table default.t doesn't exist., e.what() = DB::Exception"))).toBe('60');
  });

  it('gives nothing for an error ClickHouse did not send', () => {
    expect(clickHouseErrorCode(Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:1'), { code: 'ECONNREFUSED' }))).toBeUndefined();
    expect(clickHouseErrorCode('Code: 60')).toBeUndefined();
    expect(clickHouseErrorCode(undefined)).toBeUndefined();
  });
});

describe('splitStatements', () => {
  it('splits on semicolons at line ends and drops comment lines', () => {
    const sql = `-- a comment; with a semicolon\nCREATE TABLE a (x UInt8) ENGINE = Memory;\n\nCREATE TABLE b (s String) ENGINE = Memory;\n`;
    expect(splitStatements(sql)).toEqual(['CREATE TABLE a (x UInt8) ENGINE = Memory', 'CREATE TABLE b (s String) ENGINE = Memory']);
  });

  it('keeps a semicolon inside a line', () => {
    expect(splitStatements(`SELECT ';' AS x;`)).toEqual([`SELECT ';' AS x`]);
  });
});

describe('readClickHouseMigrations', () => {
  it('reads NNN_name.sql in numeric order and ignores other files', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'chm-'));
    writeFileSync(path.join(dir, '010_later.sql'), 'SELECT 10;');
    writeFileSync(path.join(dir, '002_first.sql'), 'SELECT 2;');
    writeFileSync(path.join(dir, 'README.md'), 'not a migration');
    const ms = await readClickHouseMigrations(dir);
    expect(ms.map((m) => [m.version, m.name])).toEqual([
      [2, 'first'],
      [10, 'later'],
    ]);
  });

  it('refuses two migrations with the same version', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'chm-'));
    writeFileSync(path.join(dir, '001_a.sql'), 'SELECT 1;');
    writeFileSync(path.join(dir, '1_b.sql'), 'SELECT 1;');
    await expect(readClickHouseMigrations(dir)).rejects.toThrow(/duplicate ClickHouse migration version 1/);
  });
});

describe('withDatabase', () => {
  it('swaps only the database name', () => {
    expect(withDatabase('postgres://u:p%40w@127.0.0.1:5432/a?sslmode=disable', 'b')).toBe('postgres://u:p%40w@127.0.0.1:5432/b?sslmode=disable');
  });
});

describe('substituteVariables', () => {
  it('fills in ${name} and leaves ClickHouse macros and everything else alone', () => {
    const st = `ENGINE = ReplicatedReplacingMergeTree('/clickhouse/tables/{shard}/\${database}/t', '{replica}'), Distributed(\${cluster}, \${database}, t, x)`;
    expect(substituteVariables(st, { cluster: 'analytics', database: 'phoenix' })).toBe(
      `ENGINE = ReplicatedReplacingMergeTree('/clickhouse/tables/{shard}/phoenix/t', '{replica}'), Distributed(analytics, phoenix, t, x)`,
    );
  });

  it('refuses a statement whose variable has no value', () => {
    expect(() => substituteVariables('Distributed(${cluster}, db, t, x)', { database: 'db' })).toThrow('ClickHouse migration variable ${cluster} has no value');
    expect(() => substituteVariables('Distributed(${toString}, db, t, x)')).toThrow(/\$\{toString\} has no value/);
  });
});
