// Integration-test helpers for mail: read the Maildir an aiosmtpd sink writes (the stack's
// .stack/mail/, or a suite's own sink), and run a sink of a suite's own that it can stop and start.
import { ChildProcess, spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';

export interface ReceivedMail {
  /** Envelope recipients, as the sink saw them (its X-RcptTo header). */
  rcptTo: string[];
  headers: Record<string, string>;
  /** Decoded body of each MIME part by content type (`text/plain`, `text/html`). */
  parts: Record<string, string>;
}

function parseHeaders(block: string): Record<string, string> {
  const headers: Record<string, string> = {};
  for (const line of block.replace(/\r\n/g, '\n').replace(/\n[ \t]+/g, ' ').split('\n')) {
    const i = line.indexOf(':');
    if (i > 0) headers[line.slice(0, i).trim().toLowerCase()] = line.slice(i + 1).trim();
  }
  return headers;
}

function decode(body: string, encoding: string | undefined): string {
  switch ((encoding ?? '7bit').toLowerCase()) {
    case 'base64':
      return Buffer.from(body.replace(/\s+/g, ''), 'base64').toString('utf8');
    case 'quoted-printable': {
      const bytes = body.replace(/\r\n/g, '\n').replace(/=\n/g, '');
      return Buffer.from(bytes.replace(/=([0-9A-F]{2})/gi, (_, h: string) => String.fromCharCode(parseInt(h, 16))), 'latin1').toString('utf8');
    }
    default:
      return body;
  }
}

/** Splits a message into headers and parts: enough MIME for what nodemailer writes (one level of multipart). */
export function parseMail(raw: string): ReceivedMail {
  const text = raw.replace(/\r\n/g, '\n');
  const split = text.indexOf('\n\n');
  const headers = parseHeaders(text.slice(0, split));
  const body = text.slice(split + 2);
  const parts: Record<string, string> = {};
  const boundary = /boundary="?([^";]+)"?/i.exec(headers['content-type'] ?? '')?.[1];
  if (boundary) {
    for (const chunk of body.split(`--${boundary}`).slice(1)) {
      if (chunk.startsWith('--')) break;
      const at = chunk.indexOf('\n\n');
      const h = parseHeaders(chunk.slice(0, at));
      const type = (h['content-type'] ?? 'text/plain').split(';')[0].trim().toLowerCase();
      parts[type] = decode(chunk.slice(at + 2).replace(/\n$/, ''), h['content-transfer-encoding']);
    }
  } else {
    parts[(headers['content-type'] ?? 'text/plain').split(';')[0].trim().toLowerCase()] = decode(body, headers['content-transfer-encoding']);
  }
  return { rcptTo: (headers['x-rcptto'] ?? '').split(',').map((s) => s.trim()).filter(Boolean), headers, parts };
}

/** Every mail in a Maildir's `new/`. */
export function readMaildir(dir: string): ReceivedMail[] {
  const inbox = path.join(dir, 'new');
  let names: string[];
  try {
    names = readdirSync(inbox);
  } catch {
    return [];
  }
  return names.sort().map((n) => parseMail(readFileSync(path.join(inbox, n), 'utf8')));
}

/** Mails whose envelope recipient is `address` (suites share the stack's sink: each uses addresses of its own). */
export function mailsTo(dir: string, address: string): ReceivedMail[] {
  return readMaildir(dir).filter((m) => m.rcptTo.includes(address));
}

/** Polls until `check` holds or `timeoutMs` passes (bounded); returns whether it held. */
export async function eventually(check: () => boolean | Promise<boolean>, timeoutMs = 15_000, stepMs = 100): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await check()) return true;
    if (Date.now() > deadline) return false;
    await new Promise((r) => setTimeout(r, stepMs));
  }
}

/** The stack's sink (tools/stack/start.sh): its Maildir. */
export function stackMailDir(): string {
  const dir = process.env.PHOENIX_MAIL_DIR;
  if (!dir || !process.env.SMTP_URL) throw new Error('the stack has no SMTP sink: run tools/stack/start.sh');
  return dir;
}

function greets(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = connect(port, '127.0.0.1');
    const done = (ok: boolean) => {
      s.destroy();
      resolve(ok);
    };
    s.setTimeout(1000, () => done(false));
    s.once('data', (d: Buffer) => done(d.toString().startsWith('220')));
    s.once('error', () => done(false));
  });
}

/**
 * A suite's own aiosmtpd sink on a loopback port, into a Maildir of its own; `stop()` ends it by
 * its pid and `start()` brings it back on the same port (an SMTP outage, then recovery).
 */
export class ThrowawaySmtpSink {
  readonly dir = mkdtempSync(path.join(tmpdir(), 'phoenix-mail-'));
  private proc?: ChildProcess;

  constructor(readonly port: number) {
    for (const sub of ['new', 'cur', 'tmp']) mkdirSync(path.join(this.dir, sub), { recursive: true });
  }

  get url(): string {
    return `smtp://127.0.0.1:${this.port}`;
  }

  async start(): Promise<void> {
    this.proc = spawn('/usr/bin/python3', ['-m', 'aiosmtpd', '-n', '-l', `127.0.0.1:${this.port}`, '-c', 'aiosmtpd.handlers.Mailbox', this.dir], { stdio: 'ignore' });
    if (!(await eventually(() => greets(this.port), 15_000))) throw new Error(`SMTP sink did not start on ${this.port}`);
  }

  async stop(): Promise<void> {
    const p = this.proc;
    this.proc = undefined;
    if (!p || p.exitCode !== null) return;
    const exited = new Promise((r) => p.once('exit', r));
    p.kill('SIGTERM');
    await exited;
  }

  async dispose(): Promise<void> {
    await this.stop();
    rmSync(this.dir, { recursive: true, force: true });
  }
}
